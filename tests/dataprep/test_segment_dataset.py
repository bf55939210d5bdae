"""``linecorr segment`` over a dataset and over folders of images."""

from __future__ import annotations

import shutil

from sklearn.metrics import adjusted_rand_score

from dataprep.cli import main
from dataprep.format import Dataset
from dataprep.format.validate import validate_dataset


def test_resegmenting_a_dataset_recovers_its_partition_and_pairs(toy_dataset, tmp_path, capsys):
    out = tmp_path / "seg"
    assert main(["segment", str(toy_dataset), "--out", str(out), "--workers", "2"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert validate_dataset(out) == []
    a, b = Dataset.open(toy_dataset), Dataset.open(out)
    assert b.manifest.parent["name"] == a.manifest.name and b.manifest.producer.stage == "segment"
    assert b.splits == a.splits and len(b.pair_ids()) == len(a.pair_ids())
    x, y = a.load_seg("toy000", "0001"), b.load_seg("toy000", "0001")
    assert adjusted_rand_score(x[x > 0], y[x > 0]) > 0.99


def _image_folder(toy_dataset, tmp_path):
    root = tmp_path / "imgs"
    for clip in ("toy000", "toy001"):
        shutil.copytree(toy_dataset / "clips" / clip / "color", root / f"shot-{clip}")
    return root


def test_folder_of_colored_frames_color_method_and_line_extraction(toy_dataset, tmp_path):
    root = _image_folder(toy_dataset, tmp_path)
    for extra in (["--method", "color"], ["--extract-lines", "--set", "params.ball_radius=2"]):
        out = tmp_path / ("o" + extra[0])
        assert main(["segment", str(root), "--out", str(out), *extra]) == 0
        ds = Dataset.open(out)
        assert validate_dataset(out) == [] and ds.clip_ids == ["shot-toy000", "shot-toy001"]
        gt = Dataset.open(toy_dataset).load_seg("toy000", "0000")
        seg = ds.load_seg("shot-toy000", "0000")
        m = gt > 0
        assert adjusted_rand_score(gt[m], seg[m]) > 0.9, extra


def test_bad_image_in_folder_is_one_line_and_writes_nothing(toy_dataset, tmp_path, capsys):
    root = _image_folder(toy_dataset, tmp_path)
    bad = root / "shot-toy001" / "0002.png"
    bad.write_bytes(bad.read_bytes()[:100])
    out = tmp_path / "o"
    assert main(["segment", str(root), "--out", str(out), "--method", "color"]) == 2
    err = capsys.readouterr().err
    assert "0002.png: cannot decode image" in err and "Traceback" not in err
    assert not out.exists()


def test_unknown_parameter_fails_before_work(tmp_path, capsys):
    assert main(["segment", str(tmp_path), "--out", str(tmp_path / "o"), "--set", "params.bogus=1"]) == 2
    assert "unknown config key 'bogus'" in capsys.readouterr().err
