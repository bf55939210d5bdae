"""benchmarks/ant_normalisation.py: its "row" normalisation is the scorer's AnT (with and without
test-time mirroring), the others differ."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from benchmark.models.ant.matcher import AntMatcher
from benchmark.predict import predict_split
from benchmark.score import score
from dataprep.format import Dataset

CKPT = Path(__file__).resolve().parents[2] / "results/standard/runs/ant-tiny/best.safetensors"


def test_row_normalisation_is_what_score_measures(toy_dataset, repo_module, capsys):
    mod = repo_module("benchmarks/ant_normalisation.py")
    ds = Dataset.open(toy_dataset)
    matcher = AntMatcher.from_checkpoint(CKPT)
    rows = {}
    for tta in ("none", "hflip"):
        matcher.use_tta(tta)
        per_clip = mod.clip_logits(matcher, ds, ds.splits["val"])
        got = {name: mod.propagation_scores(per_clip, norm) for name, norm in mod.NORMALISATIONS.items()}
        want = score(predict_split(matcher, ds, "val"), ds, "val")["metrics"]
        for k in ("accuracy@recursive10", "accuracy@nonrecursive10", "miou@recursive10"):
            assert got["row"][k] == pytest.approx(want["ant/" + k], abs=1e-9), (tta, k)
        # the normalisations reach the scores: not all of them agree with the row softmax
        assert len({round(m["accuracy@nonrecursive10"], 9) for m in got.values()}) > 1
        rows[tta] = per_clip
    clip = ds.splits["val"][0]  # mirroring reaches the logits the scores are made of
    assert not torch.allclose(rows["none"][clip][0][0], rows["hflip"][clip][0][0], atol=1e-4)
    assert mod.main(["--checkpoint", str(CKPT), "--dataset", str(toy_dataset), "--clips", "1"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in mod.NORMALISATIONS) and "1 val clips" in out
    assert " none            row |" in out and "hflip            row |" in out
    assert mod.main(["--checkpoint", str(CKPT), "--dataset", str(toy_dataset), "--clips", "1", "--tta", "vflip"]) == 1
    assert "tta='vflip' is not one of none, hflip" in capsys.readouterr().err
    assert mod.main(["--checkpoint", str(CKPT), "--dataset", str(toy_dataset), "--split", "nope"]) == 1
    assert "split 'nope' has no clip" in capsys.readouterr().err
