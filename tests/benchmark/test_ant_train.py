"""AnT training: configs, pair data, checkpoints, the loop, and the train/score CLI."""

from __future__ import annotations

import csv
import json
import math
import shutil

import numpy as np
import pytest
import torch

from benchmark.models.ant.model import AnT
from benchmark.train.checkpoint import load_model, read_checkpoint, restore_optimizer, save_checkpoint
from benchmark.train.config import TrainConfig, load_train_config, paper, tiny
from benchmark.train.data import FrameSource, collate, make_pair, measure
from benchmark.train.loop import lr_factor
from benchmark.train.tb import EventWriter, read_scalars
from dataprep.cli import main
from dataprep.errors import LinecorrError


def _fast(cfg: TrainConfig | None = None) -> TrainConfig:
    """tiny, shrunk further so a few steps take well under a second."""
    cfg = cfg or tiny()
    m = cfg.model
    m.channels, m.dim, m.layers = (8, 16, 16), 16, 2
    cfg.batch_size, cfg.workers, cfg.threads, cfg.val_pairs = 2, 0, 0, 4
    return cfg


def test_presets_follow_the_paper():
    p = paper()
    assert (p.model.dim, p.model.layers, p.model.heads, p.model.dropout, p.model.crop_size) == (256, 9, 4, 0.1, 32)
    assert (p.lr, p.weight_decay, p.clip_norm, p.warmup_steps, p.steps) == (5e-4, 1e-4, 1.0, 1000, 100_000)
    assert p.batch_size * p.accum_steps == 64 and p.cycle_weight == 0.25 and p.lr_decay == "none"
    t = tiny()
    assert t.preset == "tiny" and t.model.dim < p.model.dim and t.time_limit_min <= 10
    s = load_train_config("small")  # the CPU reference: between the two, a step schedule that resumes
    assert t.model.dim < s.model.dim < p.model.dim and t.model.layers < s.model.layers < p.model.layers
    assert s.time_limit_min == 0 and s.lr_decay == "cosine" and lr_factor(s.steps // 2, s) == lr_factor(s.steps // 2, s, 0.0)


def test_load_config_by_name_file_and_overrides(tmp_path):
    assert load_train_config("tiny", ["model.layers=3", "cycle_weight=0"]).model.layers == 3
    f = tmp_path / "c.yaml"
    f.write_text("preset: tiny\nsteps: 7\nmodel:\n  positional: false\n")
    cfg = load_train_config(str(f), ["lr=0.1"])
    assert (cfg.preset, cfg.steps, cfg.model.positional, cfg.lr, cfg.model.dim) == ("tiny", 7, False, 0.1, 64)
    with pytest.raises(LinecorrError, match="unknown config"):
        load_train_config("huge")
    with pytest.raises(LinecorrError, match="unknown config key"):
        load_train_config("tiny", ["nope=1"])


def test_lr_schedule_warmup_then_constant_or_cosine():
    cfg = paper()
    assert lr_factor(0, cfg) == pytest.approx(1 / 1000) and lr_factor(999, cfg) == 1.0 and lr_factor(50_000, cfg) == 1.0
    cfg = TrainConfig(steps=110, warmup_steps=10, lr_decay="cosine")
    assert lr_factor(10, cfg) == pytest.approx(1.0) and lr_factor(60, cfg) == pytest.approx(0.5)
    assert lr_factor(110, cfg) == pytest.approx(0.0, abs=1e-9)
    assert lr_factor(20, cfg, time_frac=0.5) == pytest.approx(0.5)  # the clock is further along


def test_pairs_have_aligned_labels_and_augmentation_keeps_shapes(toy_dataset):
    cfg = _fast()
    src = FrameSource(str(toy_dataset), "train")
    clip = src.clips[0]
    fa, fb = src.get(clip.id, clip.frames[0]), src.get(clip.id, clip.frames[1])
    plain = make_pair(fa, fb, cfg, None)
    assert plain["a"]["crops"].shape == (fa.ids.size, 2, 32, 32)
    assert torch.equal(plain["a"]["label"], torch.from_numpy(fa.label))  # unaugmented: the table's rows
    aug = make_pair(fa, fb, cfg, np.random.default_rng(0))
    for side, fr in (("a", fa), ("b", fb)):
        n = aug[side]["crops"].shape[0]
        assert 0 < n <= fr.ids.size and aug[side]["boxes"].shape == (n, 4)
        assert set(aug[side]["label"].tolist()) <= set(fr.label.tolist())
    batch = collate([plain, aug])
    m = batch["valid_a"].shape[1]
    assert batch["crops_b"].shape == (2, m, 2, 32, 32)
    assert batch["valid_a"][0].sum() == fa.ids.size and (batch["label_a"][~batch["valid_a"]] == -2).all()


def test_segment_cap_keeps_the_largest():
    seg = np.zeros((10, 10), np.int32)
    seg[:5] = 1
    seg[5:, :2] = 2
    seg[5:, 3:] = 3
    ids, bbox = measure(seg, max_segments=2)
    assert ids.tolist() == [1, 3] and bbox.tolist() == [[0, 0, 10, 5], [3, 5, 7, 5]]


def test_checkpoint_round_trip(tmp_path):
    cfg = _fast()
    torch.manual_seed(0)
    model = AnT(cfg.model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = [torch.rand(1, 3, 2, 32, 32), torch.rand(1, 3, 4), torch.ones(1, 3, dtype=torch.bool)]
    model(*x, *x).sum().backward()
    opt.step()
    path = save_checkpoint(tmp_path / "c.safetensors", model, cfg, step=5, optimizer=opt, best=0.5)
    loaded, cfg2, meta = load_model(path)
    assert cfg2 == cfg and meta["step"] == "5" and float(meta["best"]) == 0.5
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(*x, *x), loaded(*x, *x))
    opt2 = torch.optim.AdamW(loaded.parameters(), lr=1e-3)
    tensors, meta = read_checkpoint(path)
    restore_optimizer(opt2, tensors, meta)
    a, b = opt.state_dict(), opt2.state_dict()
    assert all(torch.equal(a["state"][k]["exp_avg"], b["state"][k]["exp_avg"]) for k in a["state"])
    with pytest.raises(LinecorrError, match="missing"):
        load_model(tmp_path / "nope.safetensors")
    (tmp_path / "bad.safetensors").write_bytes(b"not a checkpoint")
    with pytest.raises(LinecorrError, match="not a readable"):
        load_model(tmp_path / "bad.safetensors")


def test_tensorboard_events_round_trip(tmp_path):
    w = EventWriter(tmp_path)
    w.add_scalar("train/loss", 1.5, 3)
    w.add_scalar("val/acc", 0.25, 10)
    w.close()
    assert read_scalars(w.path) == [("train/loss", 1.5, 3), ("val/acc", 0.25, 10)]


def _yaml(tmp_path, **over) -> str:
    import yaml

    cfg = {"preset": "tiny", "steps": 4, "batch_size": 2, "workers": 0, "threads": 0, "val_pairs": 4,
           "eval_every": 2, "log_every": 1, "ckpt_every": 2, "warmup_steps": 2, "time_limit_min": 0,
           "model": {"channels": [8, 16, 16], "dim": 16, "layers": 2}, **over}
    path = tmp_path / "fast.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def test_train_resume_score_from_the_cli(toy_dataset, tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "ant", "--config", _yaml(tmp_path), "--dataset", str(toy_dataset), "--out", str(run)]
    assert main(args) == 0
    assert (run / "last.safetensors").is_file() and (run / "best.safetensors").is_file()
    assert (run / "config.yaml").is_file() and list((run / "checkpoints").glob("step_*.safetensors"))
    assert main(args) == 2  # refuses to overwrite a run without --resume
    assert main(args + ["--resume", "--set", "steps=6"]) == 0
    assert read_checkpoint(run / "last.safetensors")[1]["step"] == "6"
    rows = list(csv.DictReader((run / "metrics.csv").read_text().splitlines()))
    steps = [int(r["step"]) for r in rows if r["loss"]]
    assert steps == [1, 2, 3, 4, 5, 6] and all(math.isfinite(float(r["loss"])) for r in rows if r["loss"])
    assert any(r["val_acc"] for r in rows)
    tags = {t for f in (run / "tb").iterdir() for t, _, _ in read_scalars(f)}
    assert {"train/loss", "val/acc"} <= tags
    capsys.readouterr()
    out = tmp_path / "res"
    assert main(["score", "--model", "ant", "--checkpoint", str(run / "last.safetensors"), "--dataset",
                 str(toy_dataset), "--split", "test", "--out-dir", str(out)]) == 0
    result = json.loads((out / "result_ant-tiny.json").read_text())
    assert result["method"]["name"] == "ant-tiny" and result["method"]["params"]["step"] == 6
    assert 0.0 <= result["metrics"]["ant/accuracy@recursive10"] <= 1.0


def test_user_errors_are_one_liners(toy_dataset, tmp_path, capsys):
    assert main(["score", "--model", "ant", "--checkpoint", str(tmp_path / "none.safetensors"),
                 "--dataset", str(toy_dataset)]) == 2
    assert "checkpoint is missing" in capsys.readouterr().err
    assert main(["score", "--model", "ant", "--dataset", str(toy_dataset)]) == 2
    assert "needs --checkpoint" in capsys.readouterr().err
    assert main(["train", "ant", "--config", "huge", "--dataset", str(toy_dataset), "--out", str(tmp_path / "r")]) == 2
    assert "unknown config" in capsys.readouterr().err
    assert main(["train", "ant", "--dataset", str(toy_dataset), "--out", str(tmp_path / "r2"), "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    assert main(["train", "ant", "--dataset", str(toy_dataset), "--out", str(tmp_path / "afile")]) == 2
    assert "--out is a file" in capsys.readouterr().err


def test_dataset_without_labels_is_refused(toy_dataset, tmp_path, capsys):
    data = tmp_path / "nolabels"
    shutil.copytree(toy_dataset, data)
    for f in data.glob("clips/*/segments/*.json"):
        obj = json.loads(f.read_text())
        obj["columns"]["label"] = [-1] * obj["count"]
        f.write_text(json.dumps(obj))
    args = ["train", "ant", "--config", _yaml(tmp_path), "--dataset", str(data), "--out", str(tmp_path / "r")]
    assert main(args) == 2
    assert "no correspondence labels" in capsys.readouterr().err
    # Colors are there, so color labels + the cycle loss still train (the paper's "real" setting).
    assert main(args + ["--set", "labels=color", "--set", "steps=2"]) == 0


@pytest.mark.slow
def test_torchrun_ddp_on_cpu(toy_dataset, tmp_path):
    """Two gloo ranks on CPU: same code path as multi-GPU DDP, effective batch kept."""
    import subprocess
    import sys

    run = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "benchmark",
           "train", "ant", "--config", _yaml(tmp_path, accum_steps=2, threads=1), "--dataset", str(toy_dataset),
           "--out", str(run), "--set", "device=cpu"]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "world 2, effective batch 4" in proc.stdout
    assert read_checkpoint(run / "last.safetensors")[1]["step"] == "4"


@pytest.mark.gpu
def test_mixed_precision_training_on_gpu(toy_dataset, tmp_path):
    run = tmp_path / "gpu"
    assert main(["train", "ant", "--config", _yaml(tmp_path, device="cuda", amp=True), "--dataset", str(toy_dataset),
                 "--out", str(run)]) == 0
    model, _, _ = load_model(run / "last.safetensors")
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_a_resumed_run_drops_the_rows_logged_after_its_checkpoint(tmp_path):
    """Killed after step 60 with its last checkpoint at 40: the resumed run logs 60 again, once."""
    from benchmark.train.loop import MetricsLog

    log = MetricsLog(tmp_path)
    for step in (20, 40, 60):
        log.write({"step": step, "loss": 1.0 / step})
    log.write({"step": 40, "val_acc": 0.5})
    log.close()
    log = MetricsLog(tmp_path, start_step=40)
    log.write({"step": 60, "loss": 0.01})
    log.close()
    with open(tmp_path / "metrics.csv", newline="") as f:
        steps = [int(r["step"]) for r in csv.DictReader(f)]
    assert steps == [20, 40, 40, 60]


def test_a_resumed_run_logs_its_time_on_from_where_it_stopped(toy_dataset, tmp_path):
    """time_s is the run's training time across resumes (the learning curves plot against it)."""
    run = tmp_path / "run"
    args = ["train", "ant", "--config", _yaml(tmp_path, steps=4, log_every=2, eval_every=0, ckpt_every=2),
            "--dataset", str(toy_dataset), "--out", str(run)]
    assert main(args) == 0
    with open(run / "metrics.csv", newline="") as f:
        before = [(int(r["step"]), float(r["time_s"])) for r in csv.DictReader(f)]
    assert main([*args[:-2], "--out", str(run), "--resume", "--set", "steps=8"]) == 0
    with open(run / "metrics.csv", newline="") as f:
        rows = [(int(r["step"]), float(r["time_s"])) for r in csv.DictReader(f)]
    assert rows[:len(before)] == before and [s for s, _ in rows] == [2, 4, 6, 8]
    times = [t for _, t in rows]
    assert times == sorted(times) and times[2] > before[-1][1]


def test_fine_tuning_starts_from_a_checkpoints_weights_with_a_new_schedule(toy_dataset, tmp_path, capsys):
    """--set init=CKPT: the weights of another run, a fresh optimizer, step 0 and this run's own steps."""
    base = tmp_path / "base"
    args = ["train", "ant", "--config", _yaml(tmp_path, steps=4, eval_every=0, ckpt_every=4), "--dataset",
            str(toy_dataset)]
    assert main([*args, "--out", str(base)]) == 0
    # steps=0: the run saves what it started from, so the weights must be the init checkpoint's own
    ft = tmp_path / "ft"
    assert main([*args, "--out", str(ft), "--set", f"init={base / 'last.safetensors'}", "--set", "steps=0"]) == 0
    assert "step 4 of its run" in capsys.readouterr().out
    a, b = read_checkpoint(base / "last.safetensors")[0], read_checkpoint(ft / "last.safetensors")
    assert b[1]["step"] == "0" and json.loads(b[1]["config"])["init"].endswith("last.safetensors")
    weights = [k for k in a if k.startswith("model.")]
    assert weights and all(torch.equal(a[k], b[0][k]) for k in weights)
    assert any(k.startswith("optim.") for k in a)  # the base run's AdamW moments ...
    assert not any(k.startswith("optim.") for k in b[0])  # ... are not carried over: the optimizer starts anew
    # with validation on, the fine-tune's first row scores the weights it starts from (step 0)
    val = tmp_path / "val"
    assert main([*args, "--out", str(val), "--set", f"init={base / 'last.safetensors'}", "--set", "steps=2",
                 "--set", "eval_every=2"]) == 0
    with open(val / "metrics.csv", newline="") as f:
        assert [int(r["step"]) for r in csv.DictReader(f) if r["val_acc"]] == [0, 2]
    # a fresh run from random weights differs, so the check above is not vacuous
    fresh = tmp_path / "fresh"
    assert main([*args, "--out", str(fresh), "--set", "steps=0", "--set", "seed=1"]) == 0
    c = read_checkpoint(fresh / "last.safetensors")[0]
    assert not all(torch.equal(a[k], c[k]) for k in weights)
    # another architecture is refused in one line, naming the key; so is a missing file
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "bad"), "--set", f"init={base / 'last.safetensors'}",
                 "--set", "model.min_crop=30"]) == 2
    err = capsys.readouterr().err
    assert "another architecture" in err and "model.min_crop" in err and len(err.strip().splitlines()) == 1
    assert main([*args, "--out", str(tmp_path / "bad2"), "--set", f"init={tmp_path / 'none.safetensors'}"]) == 2
    assert "checkpoint is missing" in capsys.readouterr().err


def test_training_reads_several_datasets_as_one(toy_dataset, tmp_path, capsys):
    """--dataset A B: both renders' clips (the same ids, told apart), both checked for labels."""
    from benchmark.train.data import PairStream
    from benchmark.train.vit_data import PairSource

    other = tmp_path / "other"
    shutil.copytree(toy_dataset, other)
    one = FrameSource(str(toy_dataset), "train")
    both = FrameSource([str(toy_dataset), str(other)], "train")
    assert len(both.clips) == 2 * len(one.clips) and len({c.id for c in both.clips}) == len(both.clips)
    assert len(PairSource([str(toy_dataset), str(other)], "train").pids) == 2 * len(PairSource(str(toy_dataset), "train").pids)
    stream = PairStream([str(toy_dataset), str(other)], _fast(), seed=0).samples(np.random.default_rng(0))
    assert set(next(stream)) == {"a", "b"}
    last = both.clips[-1]  # the second dataset's clip, read through its prefixed id
    assert last.id.startswith("1:")
    assert np.array_equal(both.get(last.id, last.frames[0]).ids, one.get(last.id[2:], last.frames[0]).ids)
    run = tmp_path / "run"
    args = ["train", "ant", "--config", _yaml(tmp_path), "--dataset", str(toy_dataset), str(other)]
    assert main([*args, "--out", str(run)]) == 0
    assert (run / "best.safetensors").is_file()
    with open(run / "metrics.csv", newline="") as f:
        assert any(r["val_acc"] for r in csv.DictReader(f))
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "r3"), "--streaming"]) == 2
    assert "--streaming" in capsys.readouterr().err
    # a member without correspondence labels is refused by name, not silently diluting the loss
    for f in other.glob("clips/*/segments/*.json"):
        obj = json.loads(f.read_text())
        obj["columns"]["label"] = [-1] * obj["count"]
        f.write_text(json.dumps(obj))
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "r2")]) == 2
    err = capsys.readouterr().err
    assert "no correspondence labels" in err and str(other) in err and len(err.strip().splitlines()) == 1
