"""``linecorr label`` end to end: real LightGlue on tiny clips, resume, image folders, --eval, backends."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from dataprep.cli import main
from dataprep.format import Dataset
from dataprep.format.validate import validate_dataset


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    from dataprep.synthetic import ToyConfig, write_toy_dataset

    return write_toy_dataset(tmp_path_factory.mktemp("label") / "toy", clips=2, cfg=ToyConfig(size=128, frames=3))


@pytest.fixture(scope="module")
def labelled(toy, tmp_path_factory):
    out = tmp_path_factory.mktemp("labelled") / "auto"
    rep = out.parent / "eval.json"
    assert main(["label", str(toy), "--out", str(out), "--eval", "--report", str(rep), "--set", "threads=1"]) == 0
    return out, rep


def test_label_writes_a_valid_dataset_of_auto_pairs(labelled, toy, capsys):
    out, _ = labelled
    assert validate_dataset(out) == []
    ds = Dataset.open(out)
    assert ds.manifest.producer.stage == "label" and ds.manifest.parent["path"] == str(toy.resolve())
    assert ds.manifest.producer.config["extractor"] == "aliked"
    pids = ds.pair_ids()
    assert len(pids) == 4  # 2 clips x (0-1, 1-2)
    for pid in pids:
        p = ds.load_pair(pid)
        assert p.status == "todo" and p.meta["gap"] == 1
        assert p.matches and all(m.source == "auto" and 0 < m.confidence <= 1 for m in p.matches)
        assert p.meta["labeller"]["sources"]["lightglue"]["points"] > 0
    f = ds.load_frame(ds.clip_ids[0], "0000")
    assert f.color is not None and f.labels is not None  # colour and GT labels travel with the frames


def test_eval_report_on_toy_clips(labelled):
    _, rep = labelled
    r = json.loads(rep.read_text())
    assert set(r["by_gap"]) == {"1"}
    o = r["overall"]
    assert o["pairs"] == 4 and o["target_regions"] > 20
    # flat-coloured toy clips one frame apart: the labeller should be nearly always right
    assert o["region_precision"] > 0.9 and o["segment_accuracy"] > 0.8
    assert o["vote_matches"] > 0


def test_eval_of_an_existing_labelling_and_refusals(labelled, toy, capsys):
    out, _ = labelled
    assert main(["label", str(out), "--eval"]) == 0
    text = capsys.readouterr().out
    assert "reg.P" in text and "seg.acc" in text and "gap 1" in text
    assert main(["label", str(toy), "--eval"]) == 2  # not a labelling: needs --out
    assert "not made by linecorr label" in capsys.readouterr().err
    assert main(["label", str(toy), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_resume_skips_finished_clips(toy, tmp_path, monkeypatch):
    import dataprep.label.dataset as job

    calls = []
    real = job.convert_clip

    def flaky(w, clip_job, cfg):
        calls.append(clip_job.clip)
        if len(calls) == 2:
            raise KeyboardInterrupt  # cut off while on the second clip
        real(w, clip_job, cfg)

    monkeypatch.setattr(job, "convert_clip", flaky)
    out = tmp_path / "auto"
    args = ["label", str(toy), "--out", str(out), "--set", "extractor=none"]
    assert main(args) == 130
    assert (out.with_name("auto.partial") / "clips" / "toy000" / "clip.json").is_file()
    assert main(args) == 0
    assert calls == ["toy000", "toy001", "toy001"]  # the finished clip was not redone
    assert len(Dataset.open(out).pair_ids()) == 4


def test_folder_of_jpeg_frames(tmp_path, capsys):
    """Colored frames as a user has them: JPEG, no line art, no segments; sub-folders are clips."""
    from dataprep.synthetic import ToyConfig, make_toy_clip

    for c in range(2):
        frames, _ = make_toy_clip(ToyConfig(size=128, frames=3, seed=c))
        d = tmp_path / "frames" / f"shot{c}"
        d.mkdir(parents=True)
        for k, fr in enumerate(frames):
            Image.fromarray(fr.color).save(d / f"{k:03d}.jpg", quality=90)
    out = tmp_path / "auto"
    assert main(["label", str(tmp_path / "frames"), "--out", str(out), "--gaps", "2", "--set", "threads=1"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    ds = Dataset.open(out)
    assert ds.clip_ids == ["shot0", "shot1"] and ds.splits == {"train": ["shot0", "shot1"]}
    assert ds.clip("shot0").frames == ["000", "002"]  # only the frames of the sampled pairs
    p = ds.load_pair("shot0/000__002")
    assert p.meta["gap"] == 2 and len(p.matches) >= 5
    f = ds.load_frame("shot0", "000")
    assert f.color is not None and (f.line == 0).any() and f.seg.max() >= 5


def test_sample_pairs():
    from dataprep.label.clip import sample_pairs

    fr = [f"{i}" for i in range(6)]
    assert sample_pairs(fr, (1,)) == [(str(i), str(i + 1), 1) for i in range(5)]
    assert sample_pairs(fr, (2, 1), stride=3) == [("0", "1", 1), ("0", "2", 2), ("3", "4", 1), ("3", "5", 2)]
    assert sample_pairs(fr, (7,)) == []


def test_process_pool_gives_the_same_labels(toy, labelled, tmp_path):
    out = tmp_path / "pool"
    assert main(["label", str(toy), "--out", str(out), "--workers", "2", "--set", "threads=1"]) == 0
    a, b = Dataset.open(labelled[0]), Dataset.open(out)
    assert a.pair_ids() == b.pair_ids()
    for pid in a.pair_ids():
        assert a.load_pair(pid).matches == b.load_pair(pid).matches


class FakeRef:
    def __init__(self, value) -> None:
        self.value = value


class FakeRay:
    """Stands in for the ``ray`` module: runs each remote call at once, in this process.

    It exercises our side of the Ray backend (frames shipped as bytes, region maps and pairs
    shipped back and written) without starting a cluster, which takes 10-70 s here.
    """

    def __init__(self) -> None:
        self.calls = 0

    def is_initialized(self) -> bool:
        return True

    def remote(self, **_):
        def wrap(fn):
            class Task:
                @staticmethod
                def remote(*args):
                    self.calls += 1
                    return FakeRef(fn(*args))
            return Task
        return wrap

    def wait(self, refs, num_returns=1):
        return refs[:num_returns], refs[num_returns:]

    def get(self, ref):
        return ref.value


def test_ray_backend_gives_the_same_labels(toy, labelled, tmp_path, monkeypatch):
    import sys

    fake = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    out = tmp_path / "ray"
    assert main(["label", str(toy), "--out", str(out), "--backend", "ray", "--set", "threads=1"]) == 0
    assert fake.calls == 2  # one task per clip
    a, b = Dataset.open(labelled[0]), Dataset.open(out)
    assert a.pair_ids() == b.pair_ids()
    for pid in a.pair_ids():
        assert a.load_pair(pid).matches == b.load_pair(pid).matches
    assert validate_dataset(out) == []


@pytest.mark.gpu
def test_labels_on_cuda(toy):
    from dataprep.label.config import LabelConfig
    from dataprep.label.pair import label_images

    ds = Dataset.open(toy)
    a, b = (ds.load_frame("toy000", f) for f in ("0000", "0001"))
    res = label_images(a.color, b.color, cfg=LabelConfig(device="cuda"))
    assert res.matches and res.stats["sources"]["lightglue"]["points"] > 0


def test_only_one_split(toy, tmp_path, capsys):
    out = tmp_path / "one"
    assert main(["label", str(toy), "--out", str(out), "--split", "train", "--set", "extractor=none"]) == 0
    assert Dataset.open(out).splits == {"train": ["toy000", "toy001"]}
    assert main(["label", str(toy), "--out", str(tmp_path / "x"), "--split", "nope"]) == 2
    assert "no split 'nope'" in capsys.readouterr().err


def test_eval_of_a_folder_of_images_against_gt_by_name(toy, tmp_path, capsys):
    # a regression: a labelling of a folder of images could not be scored (no dataset to take GT from)
    import shutil

    frames = tmp_path / "frames"
    shutil.copytree(toy / "clips" / "toy000" / "color", frames / "toy000")  # clip named like the GT clip
    (frames / "toy001").mkdir()
    for f in ("0000", "0001", "0002"):  # frames named differently, same numbers
        shutil.copy(toy / "clips" / "toy001" / "color" / f"{f}.png", frames / "toy001" / f"frame_{f}.png")
    out, rep = tmp_path / "auto", tmp_path / "eval.json"
    args = ["label", str(frames), "--out", str(out), "--set", "extractor=none", "--eval"]
    assert main(args) == 2  # before: labelled, then failed saying the folder is no dataset; now asks for --gt first
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "has no ground truth to --eval against; pass --gt DATASET" in err
    assert not out.exists()
    assert main(args + ["--gt", str(toy), "--report", str(rep)]) == 0
    assert main(["label", str(out), "--eval", "--gt", str(toy)]) == 0  # an existing labelling
    report = json.loads(rep.read_text())
    assert report["overall"]["pairs"] == 4 and report["overall"]["segment_accuracy"] > 0.8
    # one clip straight from a dataset's clip folder: `color` of clip toy000
    one = tmp_path / "one"
    assert main(["label", str(toy / "clips" / "toy000" / "color"), "--out", str(one), "--set", "extractor=none",
                 "--eval", "--gt", str(toy)]) == 0
    assert "all " in capsys.readouterr().out
    # a clip with no GT counterpart: one line naming it and the GT clips
    shutil.move(str(frames / "toy001"), str(frames / "shot9"))
    assert main(["label", str(frames), "--out", str(tmp_path / "bad"), "--set", "extractor=none", "--eval",
                 "--gt", str(toy)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "clip 'shot9' has no clip of that name in the ground truth" in err and "toy000, toy001" in err
