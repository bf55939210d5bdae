"""`linecorr score` and `linecorr train` on a dataset written by `linecorr publish`:
the same metrics and hashes as on the source folder, training from the published rows (memory-mapped
or streamed), and the Hub id path with `datasets.load_dataset` played by the local folder."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
import yaml

from benchmark.train.checkpoint import read_checkpoint
from dataprep.cli import main
from dataprep.publish import PublishConfig, publish_dataset


@pytest.fixture(scope="module")
def published(toy_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("pub") / "hf"
    publish_dataset(toy_dataset, out, PublishConfig(preview=False), progress=False)
    return out


@pytest.fixture(scope="module")
def parquet_only(published, tmp_path_factory):
    out = tmp_path_factory.mktemp("pq") / "hf"
    shutil.copytree(published, out, ignore=shutil.ignore_patterns("arrow"))
    return out


def _score(dataset: str, out, *extra: str) -> dict:
    assert main(["score", "--method", "nearest-aligned", "--dataset", dataset, "--split", "test",
                 "--out-dir", str(out), *extra]) == 0
    return json.loads((out / "result_nearest-aligned.json").read_text())


def _comparable(result: dict) -> dict:
    """What a leaderboard compares: metrics, per-clip rows, the benchmark block (hashes, counts)."""
    return {k: result[k] for k in ("metrics", "per_clip", "benchmark", "method")}


def test_scoring_a_published_dataset_gives_the_source_metrics_and_hashes(toy_dataset, published, parquet_only,
                                                                        tmp_path):
    want = _score(str(toy_dataset), tmp_path / "src")
    assert want["metrics"]["ant/accuracy@recursive10"] > 0
    for name, root, extra in (("arrow", published, ()), ("parquet", parquet_only, ()),
                              ("stream", published, ("--streaming",))):
        got = _score(str(root), tmp_path / name, *extra)
        assert _comparable(got) == _comparable(want), name
        preds = [json.loads(gzip.decompress((d / "predictions_nearest-aligned.json.gz").read_bytes()))
                 for d in (tmp_path / "src", tmp_path / name)]
        assert preds[0]["pairs"] == preds[1]["pairs"] and preds[0]["dataset"] == preds[1]["dataset"]


def _config(tmp_path, **over) -> str:
    cfg = {"preset": "tiny", "steps": 2, "batch_size": 2, "workers": 0, "threads": 0, "val_pairs": 2,
           "eval_every": 2, "log_every": 1, "ckpt_every": 2, "warmup_steps": 1, "time_limit_min": 0,
           "model": {"channels": [8, 16, 16], "dim": 16, "layers": 2}, **over}
    path = tmp_path / "fast.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


@pytest.mark.parametrize("streaming", [False, True])
def test_train_ant_on_a_published_folder(published, tmp_path, streaming):
    run = tmp_path / "run"
    args = ["train", "ant", "--config", _config(tmp_path), "--dataset", str(published), "--out", str(run)]
    assert main(args + ["--streaming"] * streaming) == 0
    assert read_checkpoint(run / "last.safetensors")[1]["step"] == "2"
    assert (run / "best.safetensors").is_file()  # validation ran on the published val split


def test_train_patch_vit_on_a_streamed_published_folder(published, tmp_path):
    fast = ["--set", "model.image_size=128", "--set", "data.crop=64", "--set", "model.dim=32",
            "--set", "model.heads=2", "--set", "model.depth=1", "--set", "model.multiplex_layers=1",
            "--set", "steps=2", "--set", "eval_every=2", "--set", "ckpt_every=2", "--set", "workers=0",
            "--set", "val_pairs=2", "--set", "batch_size=2", "--set", "time_limit_min=0",
            "--set", "loss.positives=32", "--set", "loss.negatives=8"]
    run = tmp_path / "vit"
    assert main(["train", "patch-vit", "--config", "tiny", "--dataset", str(published), "--streaming",
                 "--out", str(run), *fast]) == 0
    assert (run / "last.safetensors").is_file()


def test_streamed_ant_pairs_walk_clips_in_order(published):
    import numpy as np

    from benchmark.train.config import AugmentConfig
    from benchmark.train.data import FrameSource, sequential_pairs, shuffled

    src = FrameSource(str(published), "train", cache=1, streaming=True)  # no frame kept: rows re-read
    assert src.ds.sequential
    rows = src.ds.pair_rows["train"].inner

    def walk(n: int) -> list:
        return list(zip(range(n), sequential_pairs(src, AugmentConfig(max_skip=2, reverse=0.0),
                                                   np.random.default_rng(0))))

    walk(30)  # 10 epochs of the 3-row split: the rows fit in one kept batch, read once
    assert (rows.reads, rows.restarts) == (1, 0)
    rows._batch = 1  # one row per batch: each epoch goes back to row 0, which restarts the stream
    rows._restart()
    pairs = walk(30)
    assert rows.restarts == 9 and rows.reads == 1 + 30  # one pass (3 rows) per epoch
    assert all(fa.seg.shape == fb.seg.shape for _, (fa, fb) in pairs)
    got = list(zip(range(50), shuffled(iter(range(10**6)), 8, np.random.default_rng(0))))
    assert sorted(v for _, v in got) != [v for _, v in got] and max(v for _, v in got) < 58


def test_train_and_score_from_a_hub_id(toy_dataset, published, tmp_path, monkeypatch):
    import datasets
    import huggingface_hub.constants as c

    for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(k)
    monkeypatch.setattr(c, "HF_HUB_OFFLINE", False)
    real = datasets.load_dataset

    def fake(path, *args, **kw):  # the Hub repo org/toy: the published folder as uploaded
        assert path == "org/toy"
        return real(str(published), *args, cache_dir=str(tmp_path / "cache"), **kw)

    monkeypatch.setattr(datasets, "load_dataset", fake)
    monkeypatch.chdir(tmp_path)
    want = _score(str(toy_dataset), tmp_path / "src")
    assert _comparable(_score("org/toy", tmp_path / "hub")) == _comparable(want)
    run = tmp_path / "run"
    assert main(["train", "ant", "--config", _config(tmp_path), "--dataset", "hf://org/toy", "--streaming",
                 "--out", str(run)]) == 0
    assert read_checkpoint(run / "last.safetensors")[1]["step"] == "2"
