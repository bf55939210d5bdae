"""Patch-ViT end to end on toy data, through the CLI: train (+ resume), score on both protocols,
region baselines, the Figure-7 picture, the leaderboard with its PR curve; and the presets."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from vit_fast import FAST

from benchmark.train.vit_config import load_vit_config, paper, tiny
from dataprep.cli import main
from dataprep.errors import LinecorrError


def test_presets_follow_the_paper():
    p = paper()
    m = p.model
    assert (m.patch_size, m.dim, m.depth, m.heads, m.mlp_ratio, m.multiplex_layers) == (16, 768, 12, 12, 4.0, 4)
    assert (p.lr, p.batch_size, p.epochs, p.lr_decay, p.amp, p.data.min_share) == (1e-4, 16, 20.0, "cosine", True, 0.55)
    assert p.pretrained == "" and p.data.regions == "auto"  # parts on drawn line styles, else segments (paper)
    t = tiny()
    assert t.model.patch_size == 16 and t.model.dim < m.dim and t.data.crop == 256 and t.time_limit_min < 15


def test_config_file_and_unknown_keys(tmp_path):
    f = tmp_path / "v.yaml"
    f.write_text("preset: tiny\nsteps: 9\nmodel:\n  depth: 2\n")
    cfg = load_vit_config(str(f), ["loss.negatives=5"])
    assert (cfg.preset, cfg.steps, cfg.model.depth, cfg.loss.negatives, cfg.model.dim) == ("tiny", 9, 2, 5, 128)
    with pytest.raises(LinecorrError, match="unknown config key"):
        load_vit_config("tiny", ["model.nope=1"])


@pytest.fixture(scope="module")
def run(toy_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("vit") / "run"
    assert main(["train", "patch-vit", "--config", "tiny", "--dataset", str(toy_dataset), "--out", str(out), *FAST]) == 0
    return out


def test_train_writes_checkpoints_logs_and_resumes(run, toy_dataset, capsys):
    assert (run / "last.safetensors").is_file() and (run / "best.safetensors").is_file()
    rows = (run / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("step,") and len(rows) >= 3
    assert any(p.name.startswith("events") for p in (run / "tb").iterdir())
    # a second run into the same folder is refused; --resume continues to more steps
    assert main(["train", "patch-vit", "--dataset", str(toy_dataset), "--out", str(run), *FAST]) == 2
    assert main(["train", "patch-vit", "--dataset", str(toy_dataset), "--out", str(run), "--resume",
                 "--set", "steps=4"]) == 0
    from safetensors import safe_open

    with safe_open(str(run / "last.safetensors"), framework="pt") as f:
        meta = f.metadata()
    assert meta["format"] == "linecorr-patch-vit" and meta["step"] == "4"
    assert "wrote" in capsys.readouterr().out


def test_score_both_protocols_baselines_figure_and_leaderboard(run, toy_dataset, tmp_path, capsys):
    res = tmp_path / "results"
    assert main(["score", "--model", "patch-vit", "--checkpoint", str(run / "best.safetensors"), "--dataset",
                 str(toy_dataset), "--split", "test", "--out-dir", str(res),
                 "--set", "post.merge_threshold=0.2", "--set", "max_pairs=2"]) == 0
    seg = json.loads((res / "result_patch-vit-tiny.json").read_text())
    reg = json.loads((res / "result_patch-vit-tiny_regions.json").read_text())
    assert "ant/accuracy@recursive10" in seg["metrics"]
    m = reg["metrics"]
    for k in ("patch/cross/ap", "patch/cross/top1", "patch/intra_a/best_f1", "region/ari", "region/miou_p2g",
              "region/miou_g2p", "region/cluster_ratio", "region/precision", "region/recall"):
        assert k in m
    assert -1 <= m["region/ari"] <= 1 and 0 <= m["patch/cross/ap"] <= 1
    assert reg["benchmark"]["protocol"] == "regions" and reg["benchmark"]["pairs"] == 2
    assert reg["provenance"]["config"]["post"]["merge_threshold"] == 0.2
    pr = reg["curves"]["patch_pr"]
    assert len(pr["precision"]) == len(pr["recall"]) and pr["recall"][-1] == pytest.approx(1.0)
    assert main(["score", "--method", "tb-nearest-aligned", "--dataset", str(toy_dataset), "--split", "test",
                 "--out-dir", str(res), "--set", "max_pairs=2"]) == 0
    tb = json.loads((res / "result_tb-nearest-aligned_regions.json").read_text())
    assert tb["metrics"]["region/ari"] > 0.9  # trapped ball on closed toy lines is near exact
    fig = tmp_path / "fig.png"
    from dataprep.format import Dataset

    pid = Dataset.open(toy_dataset).pair_ids("test")[0]
    assert main(["viz", str(toy_dataset), pid, "--regions", str(run), "--out", str(fig)]) == 0
    from dataprep.format.images import read_color

    img, _ = read_color(fig)
    assert img.shape[0] > 4 * 128 and img.shape[1] >= 2 * 128 and len(np.unique(img.reshape(-1, 3), axis=0)) > 4
    assert main(["leaderboard", *map(str, sorted(res.glob("result_*.json"))), "--out", str(tmp_path / "lb")]) == 0
    page = (tmp_path / "lb" / "index.html").read_text()
    assert "PR curves" in page and "patch-vit-tiny [regions]" in page
    assert main(["viz", str(toy_dataset), pid, "--regions", "no-such-method", "--out", str(fig)]) == 2
    capsys.readouterr()


def test_scores_a_paintbucket_character_import(run, tmp_path, repo_module):
    """The PBC path: BasicPBC layout -> `linecorr import pbc` -> both protocols."""
    root = repo_module("tests/dataprep/foreign_layouts.py").write_pbc_root(tmp_path / "pbc_raw", size=64)
    data = tmp_path / "pbc"
    assert main(["import", "pbc", str(root), "--out", str(data)]) == 0
    res = tmp_path / "res"
    # PBC's test layout carries no labels, so its clips have no GT pairs: score the train clips
    assert main(["score", "--model", "patch-vit", "--checkpoint", str(run / "last.safetensors"), "--dataset",
                 str(data), "--split", "train", "--out-dir", str(res)]) == 0
    r = json.loads((res / "result_patch-vit-tiny_regions.json").read_text())
    assert r["benchmark"]["pairs"] == 3 and r["benchmark"]["track"] == "raw-line"
    assert r["metrics"]["region/ari"] is not None and r["metrics"]["patch/cross/top1"] is not None
    assert (res / "result_patch-vit-tiny.json").is_file()  # the segment protocol too


@pytest.mark.slow
def test_torchrun_ddp_on_cpu(toy_dataset, tmp_path):
    """Two gloo ranks on CPU: the code path of multi-GPU DDP, effective batch kept."""
    import subprocess
    import sys

    from benchmark.train.vit import load_vit_model

    run = tmp_path / "ddp"
    fast = [a if a != "batch_size=2" else "batch_size=1" for a in FAST]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "benchmark",
           "train", "patch-vit", "--config", "tiny", "--dataset", str(toy_dataset), "--out", str(run), *fast,
           "--set", "accum_steps=2", "--set", "steps=4", "--set", "device=cpu", "--set", "threads=1"]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "world 2, effective batch 2" in proc.stdout
    model, _, meta = load_vit_model(run / "last.safetensors")
    assert meta["step"] == "4" and all(bool(p.isfinite().all()) for p in model.parameters())


def test_fine_tuning_starts_from_a_checkpoints_weights(run, toy_dataset, tmp_path, capsys):
    """--set init=CKPT (the loop shared with AnT): the patch-ViT's weights, its format checked."""
    from benchmark.train.checkpoint import read_checkpoint

    ft = tmp_path / "ft"
    init = run / "best.safetensors"
    assert main(["train", "patch-vit", "--dataset", str(toy_dataset), "--out", str(ft), *FAST,
                 "--set", f"init={init}", "--set", "steps=1", "--set", "lr=0"]) == 0
    fmt = "linecorr-patch-vit"
    a, (b, meta) = read_checkpoint(init, fmt)[0], read_checkpoint(ft / "last.safetensors", fmt)
    assert meta["step"] == "1" and all(torch.equal(a[k], b[k]) for k in a if k.startswith("model."))
    # lr 0 leaves the weights as loaded (AdamW's decay is scaled by lr too). Another model's checkpoint
    # and a missing file are one-line errors.
    from safetensors.torch import save_file

    save_file({"model.x": torch.zeros(1)}, str(tmp_path / "ant.safetensors"), metadata={"format": "linecorr-ant"})
    for bad, msg in (("ant.safetensors", "not a linecorr-patch-vit checkpoint"), ("none.safetensors", "is missing")):
        capsys.readouterr()
        assert main(["train", "patch-vit", "--dataset", str(toy_dataset), "--out", str(tmp_path / f"run-{bad}"),
                     *FAST, "--set", "init=" + str(tmp_path / bad)]) == 2
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1
