"""benchmarks/propagation_ceiling.py: the oracle loses exactly the labels the source frame lacks."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.baselines import get_baseline
from benchmark.metrics import PropagationConfig, evaluate_sequence
from benchmark.predict import predict_split
from benchmark.score import score
from dataprep.format import Dataset


def _acc(mod, gt, recursive):
    gt = [np.array(g) for g in gt]
    res = evaluate_sequence(gt, mod.oracle_predictor(gt), PropagationConfig(horizon=10, recursive=recursive))
    return res[0].accuracy


def test_oracle_loses_what_the_source_frame_lacks(repo_module):
    mod = repo_module("benchmarks/propagation_ceiling.py")
    # part 3 comes into view in frame 1: never reachable from frame 0, reachable from GT frame 1
    assert _acc(mod, [[1, 2], [1, 3], [1, 3]], recursive=True) == pytest.approx(2 / 4)
    assert _acc(mod, [[1, 2], [1, 3], [1, 3]], recursive=False) == pytest.approx(3 / 4)
    # part 2 hidden in frame 1 and back in frame 2: lost to recursion and to the previous frame alike
    assert _acc(mod, [[1, 2], [1], [1, 2]], recursive=True) == pytest.approx(2 / 3)
    # an unmatched (-1) target is right whatever the source holds; nothing hidden: the ceiling is 1
    assert _acc(mod, [[1, 2], [2, -1, 1], [1, 2]], recursive=True) == 1.0


def test_ceiling_bounds_a_real_matcher(toy_dataset, repo_module, capsys):
    mod = repo_module("benchmarks/propagation_ceiling.py")
    ds = Dataset.open(toy_dataset)
    c = mod.propagation_ceiling(ds, "test")
    got = score(predict_split(get_baseline("nearest-aligned"), ds, "test"), ds, "test")["metrics"]
    assert got["ant/accuracy@recursive10"] <= c["recursive"] <= c["nonrecursive"] <= 1.0
    assert got["ant/accuracy@nonrecursive10"] <= c["nonrecursive"] and c["windows"] >= 1
    assert mod.main(["--dataset", str(toy_dataset)]) == 0
    assert f"ceiling accuracy@recursive10     {100 * c['recursive']:6.2f} %" in capsys.readouterr().out
    assert mod.main(["--dataset", str(toy_dataset), "--split", "nope"]) == 1
    assert "split 'nope' has no clip" in capsys.readouterr().err
