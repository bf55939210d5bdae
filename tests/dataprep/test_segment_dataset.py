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
    for extra in (["--method", "color"], ["--extract-lines", "--set", "ball_radius=2"]):
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


def _line_kinds(root):
    """One clip per kind of line image, two 96 px frames each, and the clean segment counts."""
    import io

    import numpy as np
    from PIL import Image

    from dataprep.segment import segment_trapped_ball
    from dataprep.synthetic.line_art import make_line_art

    counts = []
    for k in range(2):
        g = make_line_art((96, 96), 8, antialias=True, seed=k).image
        counts.append(int(segment_trapped_ball(g).max()))
        yy, xx = np.mgrid[:96, :96]
        paper = 160 * (1 - 0.6 * (((yy - 48) / 96) ** 2 + ((xx - 48) / 96) ** 2))
        grey = 35 + (paper - 35) * g / 255 + np.random.default_rng(k).normal(0, 4, g.shape)
        kinds = {
            "opaque_rgba": Image.fromarray(np.dstack([g, g, g, np.full_like(g, 255)])),
            "grey_paper": Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8)),
            "gray16": Image.fromarray(g.astype(np.uint16) * 257),
            "gray_alpha": Image.fromarray(np.dstack([g, np.full_like(g, 255)]), "LA"),
        }
        for name, im in kinds.items():
            (root / name).mkdir(parents=True, exist_ok=True)
            im.save(root / name / f"{k:04d}.png")
        (root / "jpeg").mkdir(exist_ok=True)
        buf = io.BytesIO()
        Image.fromarray(g).convert("RGB").save(buf, "JPEG", quality=90)
        (root / "jpeg" / f"{k:04d}.jpg").write_bytes(buf.getvalue())
    return counts


def test_every_kind_of_line_image_gives_its_segments(tmp_path, capsys):
    # before: opaque RGBA and grey paper gave 0 segments per frame (exit 0, silent); 16-bit and LA: an error
    counts = _line_kinds(tmp_path / "in")
    out = tmp_path / "o"
    assert main(["segment", str(tmp_path / "in"), "--out", str(out), "--workers", "2"]) == 0
    assert "warning" not in capsys.readouterr().err
    ds = Dataset.open(out)
    assert validate_dataset(out) == []
    for clip in ("opaque_rgba", "grey_paper", "gray16", "gray_alpha", "jpeg"):
        got = [len(ds.load_segments(clip, f).ids) for f in ds.clip(clip).frames]
        assert all(abs(a - b) <= 1 for a, b in zip(got, counts)), (clip, got, counts)
    assert ds.load_frame("gray16", "0000").line_raw.dtype.name == "uint8"


def test_frames_with_no_segment_or_one_warn_and_strict_fails(tmp_path, capsys):
    import numpy as np
    from PIL import Image

    root = tmp_path / "in"
    _line_kinds(root)
    clip = root / "grey_paper"
    Image.fromarray(np.full((96, 96), 150, np.uint8)).save(clip / "0002.png")  # blank grey paper: one segment
    Image.fromarray(np.zeros((96, 96), np.uint8)).save(clip / "0003.png")  # all ink: no segment
    out = tmp_path / "o"
    assert main(["segment", str(clip), "--out", str(out)]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert err == [f"linecorr segment: warning: {clip / '0002.png'}: only one segment: no ink found (a blank frame?)",
                   (f"linecorr segment: warning: {clip / '0003.png'}: no segment: all 9216 pixels are ink; a line "
                   "image must be dark lines on lighter paper (the ink_threshold and levels settings decide ink)")]
    assert validate_dataset(out) == []
    strict = tmp_path / "strict"
    assert main(["segment", str(clip), "--out", str(strict), "--strict"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"linecorr segment: error: {clip / '0002.png'}: only one segment") and "--strict" in err
    assert not strict.exists()
