"""Bad input gets a one-line message naming the file: gray frames, sizes that differ, one colour."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dataprep.cli import main
from dataprep.errors import LinecorrError
from dataprep.label.pair import check_color_frame, label_images
from dataprep.synthetic.figure import figure


def _one_line(err: str) -> None:
    assert err.count("\n") <= 1 and "Traceback" not in err


@pytest.mark.parametrize("img, what", [
    (np.full((16, 16), 128, np.uint8), "grayscale"),
    (np.repeat(np.arange(256, dtype=np.uint8).reshape(16, 16)[..., None], 3, axis=2), "grayscale"),
    (np.full((16, 16, 3), (200, 30, 30), np.uint8), "single color"),
    (np.zeros((16, 16, 3), np.uint16), "8-bit"),
])
def test_check_color_frame_refuses(img, what):
    with pytest.raises(LinecorrError, match=what) as e:
        check_color_frame(img, "frames/0001.png")
    assert str(e.value).startswith("frames/0001.png: ")


def test_colour_frames_pass_and_rgba_is_composited():
    rgb, _, _ = figure(64)
    assert check_color_frame(rgb).shape == (64, 64, 3)
    rgba = np.dstack([rgb, np.full((64, 64), 255, np.uint8)])
    rgba[0, 0, 3] = 0
    out = check_color_frame(rgba)
    assert out[0, 0].tolist() == [255, 255, 255]


def test_pair_of_different_sizes():
    a, _, _ = figure(64)
    b, _, _ = figure(96)
    with pytest.raises(LinecorrError, match="same size") as e:
        label_images(a, b, names=("a.png", "b.png"))
    assert str(e.value).startswith("b.png: ") and "64x64" in str(e.value)


def _folder(tmp_path, frames: dict[str, np.ndarray]):
    d = tmp_path / "frames" / "clip"
    d.mkdir(parents=True)
    for name, arr in frames.items():
        Image.fromarray(arr).save(d / name)
    return tmp_path / "frames"


@pytest.mark.parametrize("second, what", [
    (np.full((64, 64), 200, np.uint8), "grayscale"),
    (np.full((64, 64, 3), 255, np.uint8), "single color"),
    (figure(80)[0], "80x80"),
])
def test_cli_names_the_bad_file(tmp_path, capsys, second, what):
    good = figure(64)[0]
    root = _folder(tmp_path, {"0000.png": good, "0001.png": second})
    rc = main(["label", str(root), "--out", str(tmp_path / "out"), "--set", "extractor=none"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert rc == 2, err
    assert "0001.png" in err and what in err
    _one_line(err)
    assert not (tmp_path / "out").exists()


def test_dataset_without_colour_is_refused(tmp_path, capsys):
    from dataprep.format import ClipInfo, DatasetWriter, make_producer

    w = DatasetWriter(tmp_path / "gray", name="gray", producer=make_producer("test"))
    seg = np.ones((8, 8), np.int32)
    for f in ("0", "1"):
        w.write_frame("c", f, line=np.full((8, 8), 255, np.uint8), seg=seg)
    w.finish_clip(ClipInfo("c", ["0", "1"], 8, 8))
    w.commit()
    assert main(["label", str(tmp_path / "gray"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "clips/c/clip.json" in err and "no color images" in err


def test_cli_needs_out_or_eval(capsys, tmp_path):
    assert main(["label", str(tmp_path)]) == 2
    assert "give --out" in capsys.readouterr().err
    assert main(["label", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "nope: is not a directory" in capsys.readouterr().err
    assert main(["label", str(tmp_path), "--out", str(tmp_path / "o"), "--set", "extractor=magic"]) == 2
    assert "extractor 'magic'" in capsys.readouterr().err
