"""The metric registry: names, directions, levels and lookup errors."""

from __future__ import annotations

import pytest

import benchmark.metrics  # noqa: F401  (importing registers every metric)
from benchmark.metrics import LEVELS, column_metric, get_metric, list_metrics, register
from dataprep.errors import LinecorrError

EXPECTED = {
    "segment": {
        "ant/accuracy",
        "ant/miou",
        "ant/miou_pixel",
        "pbc/acc",
        "pbc/acc_thres",
        "pbc/pix_acc",
        "pbc/pix_acc_wobg",
        "pbc/bmiou",
        "pbc/pix_bmiou",
    },
    "sequence": {f"ant/{m}@{p}10" for p in ("recursive", "nonrecursive") for m in ("accuracy", "miou", "miou_pixel")},
    "patch": {
        f"patch/{b}/{m}"
        for b in ("intra_a", "intra_b", "cross")
        for m in ("ap", "best_f1", "precision", "recall", "top1", "top5")
    },
    "region": {"region/ari", "region/miou_p2g", "region/miou_g2p", "region/cluster_ratio"},
    "region_pair": {"region/precision", "region/recall"},
    "count": {"region/matches"},
}


def test_every_issue_metric_is_registered_at_its_level():
    for level, names in EXPECTED.items():
        assert set(list_metrics(level)) == names
    assert len(list_metrics()) == sum(len(n) for n in EXPECTED.values())
    assert list_metrics() == sorted(list_metrics())


def test_directions_are_recorded():
    for name in list_metrics():
        spec = get_metric(name)
        assert spec.level in LEVELS and spec.description
        if name == "region/cluster_ratio":
            assert spec.higher_is_better is None and spec.target == 1.0
        elif spec.level == "count":
            assert not spec.ranked and not spec.better(2.0, 1.0)
        else:
            assert spec.higher_is_better is True
    cr = get_metric("region/cluster_ratio")
    assert cr.better(0.9, 1.3) and not cr.better(1.5, 1.2)  # closer to 1 wins
    assert get_metric("pbc/acc").better(0.9, 0.8)


def test_unknown_metric_is_a_user_error():
    with pytest.raises(LinecorrError, match="unknown metric 'pbc/accuracy'"):
        get_metric("pbc/accuracy")


def test_register_rejects_duplicates_and_bad_levels():
    with pytest.raises(ValueError):
        register("pbc/acc", higher_is_better=True, level="segment", description="x")(lambda: 0.0)
    with pytest.raises(ValueError):
        register("x/y", higher_is_better=True, level="pixel", description="?")
    with pytest.raises(ValueError):
        register("x/y", higher_is_better=None, level="segment", description="no target")


def test_lower_is_better_metric_can_be_registered_and_looked_up():
    fn = register("test/error_rate", higher_is_better=False, level="segment", description="t")(
        lambda pred, gt, **_: 0.25
    )
    try:
        spec = get_metric("test/error_rate")
        assert spec([1], [1]) == 0.25 and spec.better(0.1, 0.2) and spec.fn is fn
    finally:
        from benchmark.metrics import registry

        del registry._REGISTRY["test/error_rate"]


def test_result_columns_resolve_to_registered_metrics():
    """Results and the registry use one naming scheme: qualifiers and blocks resolve, typos fail."""
    assert column_metric("ant/accuracy@recursive10").level == "sequence"
    assert column_metric("pbc/acc@gap3") is get_metric("pbc/acc")
    assert column_metric("region/precision@micro") is get_metric("region/precision")
    assert column_metric("region/intra_b/ari") is get_metric("region/ari")
    assert column_metric("patch/intra_a/ap") is get_metric("patch/intra_a/ap")
    assert column_metric("ant/accuracy@recursive5") is get_metric("ant/accuracy")  # another horizon
    for bad in ("pbc/accuracy", "pbc/acc@pair", "pbc/acc@gap0", "region/intra_c/ari", "ant/accuracy@recursive"):
        with pytest.raises(LinecorrError, match="unknown metric column"):
            column_metric(bad)
