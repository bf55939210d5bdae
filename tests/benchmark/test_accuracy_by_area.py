"""benchmarks/accuracy_by_area.py: per-area accuracy of a predictions file adds up and tells good from bad."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.baselines import get_baseline
from benchmark.predict import predict_split
from benchmark.predictions import Predictions
from dataprep.errors import LinecorrError
from dataprep.format import Dataset


def _wrong(pred: Predictions) -> Predictions:
    """Every target segment matched to the first source segment of its pair."""
    pairs = {pid: np.array([[e[0, 0], b, 1.0] for b in np.unique(e[:, 1])]) for pid, e in pred.pairs.items()}
    return Predictions({"name": "wrong"}, pred.split, pairs)


def test_bins_add_up_and_rank_matchers(toy_dataset, repo_module, tmp_path, capsys):
    mod = repo_module("benchmarks/accuracy_by_area.py")
    ds = Dataset.open(toy_dataset)
    pred = predict_split(get_baseline("nearest-aligned"), ds, "test")
    rows = mod.accuracy_by_area(pred, ds, "test", bins=(20, 200))
    n_targets = sum(len(ds.load_segments(c, f)) for c in ds.splits["test"] for f in ds.clip(c).frames[1:])
    assert len(rows) == 3 and sum(r["segments"] for r in rows) == n_targets
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    assert sum(r["error_share"] for r in rows) == pytest.approx(1.0)
    assert [r["hi"] for r in rows] == [20, 200, None] and rows[1]["lo"] == 21
    good = sum(r["accuracy"] * r["segments"] for r in rows if r["segments"])
    bad_rows = mod.accuracy_by_area(_wrong(pred), ds, "test", bins=(20, 200))
    bad = sum(r["accuracy"] * r["segments"] for r in bad_rows if r["segments"])
    assert good > bad + 0.2 * n_targets
    # the command: a table, and one-line errors for predictions that do not fit
    path = pred.save(tmp_path / "p.json")
    assert mod.main([str(path), "--dataset", str(toy_dataset)]) == 0
    assert "all |" in capsys.readouterr().out
    assert mod.main([str(path), "--dataset", str(toy_dataset), "--split", "val"]) == 1
    assert "for split 'test', not 'val'" in capsys.readouterr().err
    short = Predictions(pred.method, "test", dict(list(pred.pairs.items())[1:]))
    with pytest.raises(LinecorrError, match="miss 1 of"):
        mod.accuracy_by_area(short, ds, "test")
