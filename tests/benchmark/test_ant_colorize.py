"""Colorization: recursive color propagation from one reference frame, and the CLI."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmark.models.ant.colorize import (
    ColorizeConfig,
    colorize_sequence,
    flat_fill,
    reference_line,
    segment_colors,
    segment_lines,
)
from benchmark.models.ant.model import AnT
from benchmark.train.checkpoint import save_checkpoint
from benchmark.train.config import tiny
from dataprep.cli import main
from dataprep.format.images import encode_png, read_color
from dataprep.synthetic import ToyConfig, make_toy_clip


@pytest.fixture(scope="module")
def clip():
    frames, _ = make_toy_clip(ToyConfig(size=128, frames=4, seed=3))
    return frames


class PartOracle:
    """Matches segments by the toy's part ids (looked up by pixel), standing in for a perfect model."""

    def __init__(self, frames):
        self.parts = [f.labels for f in frames]

    def _labels(self, fr) -> np.ndarray:
        k = int(fr.frame) + 1 if fr.frame != "reference" else 0
        lab = self.parts[k]
        return np.array([np.bincount(np.maximum(lab[fr.seg == i], 0) + 1).argmax() - 1 for i in fr.segments.ids])

    def match(self, fa, fb) -> np.ndarray:
        la, lb = self._labels(fa), self._labels(fb)
        return (lb[:, None] == la[None, :]).astype(np.float64)


def test_segment_lines_closed_is_the_4_connected_partition(clip):
    assert np.array_equal(segment_lines(clip[0].line, "closed"), clip[0].seg)
    tb = segment_lines(clip[0].line, "trapped_ball")  # closes gaps, merges specks: never more segments
    assert tb.shape == clip[0].seg.shape and 0 < tb.max() <= clip[0].seg.max() and np.all((tb == 0) == (clip[0].seg == 0))


def test_reference_colors_and_flat_fill_reproduce_the_frame(clip):
    f = clip[0]
    assert np.array_equal(reference_line(f.color), f.line)
    ids = np.unique(f.seg[f.seg > 0])
    rgb = segment_colors(f.seg, f.color, ids)
    assert np.array_equal(flat_fill(f.seg, ids, rgb, f.line), f.color)


@pytest.mark.parametrize("segmenter", ["closed", "trapped_ball"])
def test_propagation_with_a_perfect_matcher_recolors_the_sequence(clip, segmenter):
    out = colorize_sequence(PartOracle(clip), clip[0].color, [f.line for f in clip[1:]],
                            cfg=ColorizeConfig(segmenter=segmenter))
    assert len(out) == 3
    for img, f in zip(out, clip[1:]):
        assert img.shape == f.color.shape and img.dtype == np.uint8
        paper = f.seg > 0
        agree = np.all(img == f.color, axis=-1)[paper].mean()
        assert agree > 0.97  # only parts that were hidden in the previous frame can miss


def test_colorize_cli_writes_one_image_per_line_image(clip, tmp_path, capsys):
    torch.manual_seed(0)
    cfg = tiny()
    ckpt = save_checkpoint(tmp_path / "m.safetensors", AnT(cfg.model), cfg, step=0)
    (tmp_path / "ref.png").write_bytes(encode_png(clip[0].color))
    lines = []
    for k, f in enumerate(clip[1:], 1):
        p = tmp_path / f"line_{k}.png"
        p.write_bytes(encode_png(f.line))
        lines.append(str(p))
    out = tmp_path / "colored"
    assert main(["colorize", "--reference", str(tmp_path / "ref.png"), "--checkpoint", str(ckpt), *lines,
                 "--out", str(out)]) == 0
    for k in (1, 2, 3):
        rgb, _ = read_color(out / f"line_{k}.png")
        assert rgb.shape == (128, 128, 3)
        assert np.all(rgb[clip[k].line == 0] == 0)  # lines stay on top of the fill
    capsys.readouterr()
    assert main(["colorize", "--reference", str(tmp_path / "ref.png"), "--checkpoint", str(tmp_path / "x.safetensors"),
                 *lines, "--out", str(out)]) == 2
    assert "checkpoint is missing" in capsys.readouterr().err
