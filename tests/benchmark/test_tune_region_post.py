"""benchmarks/tune_region_post.py on toy data: every setting is scored, the thresholds change the
outcome, and the chosen setting scores the same through `linecorr score --set ...`."""

from __future__ import annotations

import json
import shlex

import pytest
from vit_fast import FAST

from dataprep.cli import main


def test_grid_choice_and_score_agree(toy_dataset, tmp_path, capsys, repo_module):
    run = tmp_path / "run"
    assert main(["train", "patch-vit", "--config", "tiny", "--dataset", str(toy_dataset), "--out", str(run), *FAST]) == 0
    ckpt = run / "best.safetensors"
    tune = repo_module("benchmarks/tune_region_post.py")
    out = tmp_path / "tuning.json"
    # match threshold 0.9999 matches (almost) nothing; 1e-9 matches every region to its best partners
    assert tune.main(["--checkpoint", str(ckpt), "--dataset", str(toy_dataset), "--pairs", "2",
                      "--merge", "0.02,0.5", "--edge", "0.03", "--match", "1e-9,0.9999", "--enclosed", "0,0.05",
                      "--weighting", "vote,pixels", "--image-size", "128,192", "--position-sigma", "0,0.1",
                      "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"wrote {out}" in text and "--set post.merge_threshold=" in text
    rec = json.loads(out.read_text())
    rows = rec["rows"]
    assert len(rows) == 64 and rec["split"] == "val" and all(r["pairs"] == 2 for r in rows)
    assert [r["region/f1"] for r in rows] == sorted((r["region/f1"] for r in rows), reverse=True)
    assert rec["best"] == rows[0]
    assert len({json.dumps({k: v for k, v in r.items() if k.startswith("region/")}) for r in rows}) > 4
    plain = [r for r in rows if r["image_size"] == 128 and r["enclosed_min"] == 0 and r["weighting"] == "vote"
             and r["position_sigma"] == 0]
    by = {(r["merge_threshold"], r["match_threshold"]): r for r in plain}
    # the input size reaches the model: 192 px gives the drawing more patches, so other regions
    big = {(r["merge_threshold"], r["match_threshold"]): r for r in rows
           if r["image_size"] == 192 and r["enclosed_min"] == 0 and r["weighting"] == "vote" and r["position_sigma"] == 0}
    assert any(big[k]["region/ari"] != by[k]["region/ari"] for k in by)
    # the thresholds reach the post-processing and the matching
    assert by[(0.02, 1e-9)]["region/recall"] > by[(0.02, 0.9999)]["region/recall"]
    assert by[(0.02, 1e-9)]["region/cluster_ratio"] != by[(0.5, 1e-9)]["region/cluster_ratio"]
    # the motion prior reaches the matching (and only the matching)
    moved = {(r["merge_threshold"], r["match_threshold"]): r for r in rows if r["image_size"] == 128
             and r["enclosed_min"] == 0 and r["weighting"] == "vote" and r["position_sigma"] == 0.1}
    assert any(moved[k]["region/precision"] != by[k]["region/precision"] for k in by)
    assert all(moved[k]["region/ari"] == by[k]["region/ari"] for k in by)
    # the choice, applied by `linecorr score` on the same pairs, gives the same region scores
    res = tmp_path / "res"
    assert main(["score", "--model", "patch-vit", "--checkpoint", str(ckpt), "--dataset", str(toy_dataset),
                 "--split", "val", "--protocol", "regions", "--out-dir", str(res), "--set", "max_pairs=2",
                 *shlex.split(rec["set"])]) == 0
    m = json.loads((res / "result_patch-vit-tiny_regions.json").read_text())["metrics"]
    for k in ("region/precision", "region/recall", "region/ari", "region/cluster_ratio"):
        assert m[k] == pytest.approx(rec["best"][k], abs=1e-9), k
    # every searched setting goes through `linecorr score --set`: the one that differs most from the defaults
    odd = next(r for r in rows if r["image_size"] == 192 and r["enclosed_min"] == 0.05 and r["weighting"] == "pixels"
               and r["position_sigma"] == 0.1)
    assert "--set match.position_sigma=0.1" in tune.set_flags(odd, 128)
    assert main(["score", "--model", "patch-vit", "--checkpoint", str(ckpt), "--dataset", str(toy_dataset),
                 "--split", "val", "--protocol", "regions", "--out-dir", str(res), "--set", "max_pairs=2",
                 *shlex.split(tune.set_flags(odd, 128))]) == 0
    m = json.loads((res / "result_patch-vit-tiny_regions.json").read_text())["metrics"]
    for k in ("region/precision", "region/recall", "region/ari", "region/cluster_ratio"):
        assert m[k] == pytest.approx(odd[k], abs=1e-9), k
    capsys.readouterr()
    assert main(["score", "--model", "patch-vit", "--checkpoint", str(ckpt), "--dataset", str(toy_dataset),
                 "--split", "val", "--protocol", "regions", "--out-dir", str(res), "--set", "image_size=100"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "image_size=100" in err[0]
    # an unusable grid value fails before any work, in one line
    assert tune.main(["--checkpoint", str(ckpt), "--dataset", str(toy_dataset), "--pairs", "1",
                      "--position-sigma", "0,-0.5", "--json", str(tmp_path / "bad.json")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "match.position_sigma must be >= 0" in err[0]
    assert not (tmp_path / "bad.json").exists()


def test_bad_checkpoint_is_one_line(toy_dataset, tmp_path, capsys, repo_module):
    tune = repo_module("benchmarks/tune_region_post.py")
    missing = tmp_path / "nope.safetensors"
    assert tune.main(["--checkpoint", str(missing), "--dataset", str(toy_dataset), "--pairs", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "nope.safetensors" in err[0]


def test_cluster_ratio_cap_and_floors(repo_module):
    """The cap skips the over-segmenting settings that region P/R (pure regions only) reward; the
    precision / recall floors pick an operating point above a reference on both."""
    from dataprep.errors import LinecorrError

    tune = repo_module("benchmarks/tune_region_post.py")
    rows = [{"region/f1": 0.30, "region/cluster_ratio": 1.7, "region/precision": 0.2, "region/recall": 0.6},
            {"region/f1": 0.28, "region/cluster_ratio": 1.3, "region/precision": 0.5, "region/recall": 0.2},
            {"region/f1": 0.20, "region/cluster_ratio": 0.9, "region/precision": 0.6, "region/recall": 0.12}]
    assert tune.choose(rows) is rows[0]
    assert tune.choose(rows, 1.5) is rows[1]
    assert tune.choose(rows, 1.3) is rows[1]  # at the cap is allowed
    assert tune.choose(rows, 0.9) is rows[2]
    with pytest.raises(LinecorrError, match="lowest: 0.90"):
        tune.choose(rows, 0.5)
    assert tune.choose(rows, min_precision=0.4) is rows[1]
    assert tune.choose(rows, min_precision=0.4, min_recall=0.2) is rows[1]  # at the floor is allowed
    assert tune.choose(rows, 1.0, min_precision=0.4) is rows[2]
    with pytest.raises(LinecorrError, match="best precision 60.00, best recall 60.00"):
        tune.choose(rows, min_precision=0.55, min_recall=0.5)
