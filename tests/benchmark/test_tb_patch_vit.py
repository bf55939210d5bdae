"""benchmarks/tb_patch_vit.py: trapped-ball regions matched by a trained patch-ViT, next to the baselines."""

from __future__ import annotations

import numpy as np
from vit_fast import FAST

from benchmark.region_baselines import SegmentThenMatch
from dataprep.cli import main
from dataprep.format import Dataset


class _Scores:
    """A segment matcher that scores every pair ``value`` (records what it was asked)."""

    def __init__(self, value: float) -> None:
        self.value, self.calls = value, 0

    def match(self, fa, fb):
        self.calls += 1
        return np.full((len(fb.segments), len(fa.segments)), self.value)


def test_a_matcher_instance_replaces_the_baseline(toy_dataset):
    ds = Dataset.open(toy_dataset)
    fa, fb = ds.load_frame("toy000", "0000"), ds.load_frame("toy000", "0001")
    none = SegmentThenMatch("nothing", matcher=_Scores(0.0))
    pred = none.predict(fa, fb)
    assert none.matcher.calls == 2 and none.name == "tb-nothing"  # both directions, through the given matcher
    assert pred.matches.shape == (0, 2) and pred.map_a.max() > 1  # the regions are still trapped-ball's
    every = SegmentThenMatch("all", matcher=_Scores(1.0)).predict(fa, fb)
    assert len(every.matches) > 0 and np.array_equal(every.map_a, pred.map_a)


def test_the_script_scores_three_matchers_on_one_partition(toy_dataset, tmp_path, capsys, repo_module):
    run = tmp_path / "run"
    assert main(["train", "patch-vit", "--config", "tiny", "--dataset", str(toy_dataset), "--out", str(run), *FAST]) == 0
    script = repo_module("benchmarks/tb_patch_vit.py")
    capsys.readouterr()
    assert script.main(["--checkpoint", str(run / "best.safetensors"), "--dataset", str(toy_dataset),
                        "--pairs", "2"]) == 0
    rows = [line.split("|") for line in capsys.readouterr().out.splitlines() if line.count("|") == 2][1:]
    assert [r[0].strip() for r in rows] == ["tb-hungarian-features", "tb-nearest-aligned", "tb-patch-vit"]
    assert len({r[1].split()[2] for r in rows}) == 1  # one partition: the same ARI for all three
    assert script.main(["--checkpoint", str(tmp_path / "none.safetensors"), "--dataset", str(toy_dataset)]) == 1
    assert "checkpoint is missing" in capsys.readouterr().err
    # the model's test-time augmentation, as `linecorr score --tta`
    assert script.main(["--checkpoint", str(run / "best.safetensors"), "--dataset", str(toy_dataset),
                        "--pairs", "1", "--tta", "hflip"]) == 0
    assert script.main(["--checkpoint", str(run / "best.safetensors"), "--dataset", str(toy_dataset),
                        "--tta", "vflip"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "error: tta='vflip' is not one of none, hflip"
