"""The metric registry: names, directions, levels and lookup errors."""

from __future__ import annotations

import pytest

import benchmark.metrics  # noqa: F401  (importing registers every metric)
from benchmark.metrics import LEVELS, get_metric, list_metrics, register
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
    "sequence": {f"ant/{p}10/{m}" for p in ("recursive", "nonrecursive") for m in ("accuracy", "miou", "miou_pixel")},
    "patch": {
        f"patch/{b}/{m}"
        for b in ("intra_a", "intra_b", "cross")
        for m in ("ap", "best_f1", "precision", "recall", "top1", "top5")
    },
    "region": {"region/ari", "region/miou_p2g", "region/miou_g2p", "region/cluster_ratio"},
    "region_pair": {"region/precision", "region/recall"},
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
