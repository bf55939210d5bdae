"""benchmarks/ant_reference_votes.py: weight 0 is the scorer's ``@recursive10``; the reference's votes
reach the labels; bad arguments are one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.models.ant.matcher import AntMatcher
from benchmark.predict import predict_split
from benchmark.score import score
from dataprep.format import Dataset

CKPT = Path(__file__).resolve().parents[2] / "results/standard/runs/ant-tiny/best.safetensors"


def test_weight_zero_is_what_score_measures_and_votes_change_it(toy_dataset, repo_module, capsys):
    mod = repo_module("benchmarks/ant_reference_votes.py")
    ds = Dataset.open(toy_dataset)
    matcher = AntMatcher.from_checkpoint(CKPT)
    matcher.use_tta("hflip")
    per_clip = mod.window_logits(matcher, ds, ds.splits["val"])
    want = score(predict_split(matcher, ds, "val"), ds, "val")["metrics"]
    chain = mod.reference_vote_scores(per_clip, 0.0)
    assert chain["accuracy"] == pytest.approx(want["ant/accuracy@recursive10"], abs=1e-9)
    assert chain["miou"] == pytest.approx(want["ant/miou@recursive10"], abs=1e-9)
    assert mod.main(["--checkpoint", str(CKPT), "--dataset", str(toy_dataset), "--clips", "1", "--weights", "0,1.5"]) == 0
    out = capsys.readouterr().out
    assert "1 val clips" in out and "\n               0 |" in out and "\n             1.5 |" in out
    assert mod.main(["--checkpoint", str(CKPT), "--dataset", str(toy_dataset), "--weights", "-1"]) == 1
    assert "--weights '-1'" in capsys.readouterr().err
    assert mod.main(["--checkpoint", str(CKPT), "--dataset", str(toy_dataset), "--split", "nope"]) == 1
    assert "split 'nope' has no clip" in capsys.readouterr().err


def test_the_reference_outvotes_a_broken_link(repo_module):
    """Three frames of two segments labelled [5, 6]; the link 1 -> 2 swaps them, the reference sees
    frame 2 right: the chain gets frame 2 wrong, a reference weight above 1 gets it right."""
    mod = repo_module("benchmarks/ant_reference_votes.py")
    right, swapped = torch.eye(2, dtype=torch.float64) * 20, torch.eye(2, dtype=torch.float64).flip(1) * 20
    labels = [np.array([5, 6])] * 3
    per_clip = {"c": ([right, swapped], {(0, 2): right}, labels, [np.array([10, 10])] * 3)}
    assert mod.reference_vote_scores(per_clip, 0.0)["accuracy"] == pytest.approx(0.5)  # frame 1 right, 2 wrong
    assert mod.reference_vote_scores(per_clip, 0.5)["accuracy"] == pytest.approx(0.5)  # outweighed by the link
    assert mod.reference_vote_scores(per_clip, 1.5)["accuracy"] == pytest.approx(1.0)
