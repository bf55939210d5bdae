"""Colorization: recursive color propagation from one reference frame, and the CLI."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
import torch

from benchmark.models.ant.colorize import (
    ColorizeConfig,
    colorize_sequence,
    flat_fill,
    recover_reference,
    reference_line,
    segment_colors,
    segment_lines,
    thin_region_fills,
)
from benchmark.models.ant.model import AnT
from benchmark.train.checkpoint import save_checkpoint
from benchmark.train.config import tiny
from dataprep.cli import main
from dataprep.errors import LinecorrError
from dataprep.format.images import encode_png, read_color, to_gray
from dataprep.segment.labelops import boundary_lines, fill_from_neighbours
from dataprep.synthetic import ToyConfig, make_toy_clip
from dataprep.synthetic.line_art import distinct_palette, render_gray


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
    # recovered from the colors: the same lines but for a few 1-px specks of fill caught between two lines
    assert (to_gray(reference_line(f.color)) != f.line).mean() < 0.001
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


class BrokenLink(PartOracle):
    """The perfect matcher but for one link of the chain (frames 0000 -> 0001), which sends every
    segment to the last segment of 0000: a mistake the plain chain copies on to every later frame."""

    def match(self, fa, fb) -> np.ndarray:
        s = super().match(fa, fb)
        if (fa.frame, fb.frame) == ("0000", "0001"):
            s = np.zeros_like(s)
            s[:, -1] = 1.0
        return s


def test_reference_votes_stop_a_broken_link_from_compounding(clip):
    lines = [f.line for f in clip[1:]]

    def agreement(weight: float) -> list[float]:
        out = colorize_sequence(BrokenLink(clip), clip[0].color, lines,
                                cfg=ColorizeConfig(segmenter="closed", reference_weight=weight))
        return [np.all(img == f.color, axis=-1)[f.seg > 0].mean() for img, f in zip(out, clip[1:])]

    chain, voted = agreement(0.0), agreement(1.5)
    assert chain[0] > 0.97 and voted[0] > 0.97  # frame 0000 matches the reference directly either way
    assert max(chain[1:]) < 0.5  # the plain chain copies the broken link's single color on
    assert min(voted[1:]) > 0.97  # the reference outvotes it, and the chain recovers
    with pytest.raises(LinecorrError, match="reference_weight must be a number >= 0"):
        colorize_sequence(BrokenLink(clip), clip[0].color, lines, cfg=ColorizeConfig(reference_weight=-1))


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
    flipped = tmp_path / "colored_flip"  # test-time mirroring runs end to end and keeps the lines on top
    assert main(["colorize", "--reference", str(tmp_path / "ref.png"), "--checkpoint", str(ckpt), *lines,
                 "--out", str(flipped), "--tta", "hflip"]) == 0
    assert all(np.all(read_color(flipped / f"line_{k}.png")[0][clip[k].line == 0] == 0) for k in (1, 2, 3))
    capsys.readouterr()
    assert main(["colorize", "--reference", str(tmp_path / "ref.png"), "--checkpoint", str(tmp_path / "x.safetensors"),
                 *lines, "--out", str(out)]) == 2
    assert "checkpoint is missing" in capsys.readouterr().err


def rendered_toy(seed: int, size: int = 384):
    """A frame as a renderer draws it: 2-px anti-aliased lines multiplied over flat fills, and a shadow on
    the largest part bounded by a red shading line, painted (as PBC does) as the region it folds into.

    Returns:
        ``(line (H, W, 3) uint8 RGB, color (H, W, 3) uint8, fills (H, W) bool: character pixels that are
        not under a black line, chord (H, W) bool: the shading line)``.
    """
    toy = make_toy_clip(ToyConfig(size=size, frames=1, seed=seed))[0][0]
    ids = fill_from_neighbours(np.maximum(toy.labels, 0), toy.labels == 0)  # the part under each line pixel
    ids[toy.labels < 0] = -1
    ink = boundary_lines(ids, 2)
    gray = render_gray(ink, antialias=True, seed=seed)
    pal = distinct_palette(int(ids.max()) + 2, seed)
    fill = np.full(ids.shape + (3,), 255, np.uint8)
    for p in range(1, int(ids.max()) + 1):
        fill[ids == p] = pal[p]
    big = np.bincount(ids[ids > 0]).argmax()
    row = int(np.median(np.nonzero((ids == big) & ~ink)[0]))
    chord = np.zeros(ids.shape, bool)
    chord[row] = (ids[row] == big) & ~ink[row]
    below = (ids == big) & (np.arange(size)[:, None] > row)
    fill[below] = pal[-1]
    line = np.repeat(gray[..., None], 3, axis=2)
    line[chord] = (255, 0, 0)
    seg = segment_lines(line)
    for s in np.unique(seg[chord]):  # each piece of the shading line takes the fill of the region it folds into
        fill[chord & (seg == s)] = fill[(seg == s) & ~chord][0]
    color = np.round(fill * (np.where(chord, 255, gray)[..., None] / 255.0)).astype(np.uint8)
    return line, color, (ids > 0) & ((gray >= 128) | chord), chord


class Overlap:
    """A perfect matcher for two segmentations of the same frame: scores = shared pixels."""

    def match(self, fa, fb) -> np.ndarray:
        m = np.zeros((int(fb.seg.max()) + 1, int(fa.seg.max()) + 1))
        np.add.at(m, (fb.seg.ravel(), fa.seg.ravel()), 1)
        return m[np.ix_(fb.segments.ids, fa.segments.ids)]


@pytest.mark.parametrize("seed", [0, 1])
def test_default_reference_reproduces_the_reference_frame(seed):
    # without --reference-line the reference's segments came from its near-black pixels and
    # only 92-98 % of the character's fills came back here (99.98 % with the line image given)
    line, color, fills, chord = rendered_toy(seed)
    near_black = np.where(np.all(color <= 60, axis=-1), 0, 255).astype(np.uint8)
    for ref_line, least in ((line, 0.999), (None, 0.999), (near_black, 0.0)):
        out = colorize_sequence(Overlap(), color, [line], ref_line)[0]
        right = np.all(np.abs(out.astype(int) - color) <= 2, axis=-1)
        assert right[fills].mean() >= least, (ref_line is None, right[fills].mean())
        if ref_line is near_black:
            assert right[fills].mean() < 0.99  # the old default
        else:
            assert right[chord].all()  # the shading line is painted as its region, not as a gray line
    row = int(np.nonzero(chord.any(axis=1))[0][0])  # the shadow's border is recovered as a red line beside it
    assert (reference_line(color)[row - 1:row + 2] == (255, 0, 0)).all(-1).sum() >= chord.sum() - 2


def test_thin_region_takes_the_seen_fill_on_whose_ray_its_pixels_lie():
    # a 2-px region is all anti-aliased rim: its brightest pixel is a shade of its fill, not the fill
    fill, dark, unique = np.array([100, 219, 141]), np.array([50, 109, 70]), np.array([216, 44, 22])
    rgb = np.full((40, 60, 3), 255, np.uint8)
    regions = np.zeros((40, 60), np.int32)
    regions[2:20, 2:28], rgb[2:20, 2:28] = 1, fill  # flat: the fill is seen
    regions[2:20, 32:58], rgb[2:20, 32:58] = 2, dark  # flat, a darker shade of the same color (same ray)
    g = np.linspace(0.42, 0.48, 26)[:, None]  # the rims' darkening: fill * 0.45 = dark * 0.9
    regions[22:24, 2:28] = 3
    rgb[22, 2:28], rgb[23, 2:28] = np.round(fill * g), np.round(fill * g[::-1])
    regions[22:24, 32:58], rgb[22:24, 32:58] = 4, rgb[22:24, 2:28]  # the same shades, beside the dark fill
    regions[30:32, 10:16], rgb[30:32, 10:16] = 5, np.round(unique * 0.8)  # a color seen nowhere flat
    lut = np.zeros((6, 3), np.uint8)
    for r in range(1, 6):
        lut[r] = rgb[regions == r].max(axis=0)  # the old estimate: the brightest pixels
    out, guessed = thin_region_fills(rgb, regions, lut)
    assert np.array_equal(out[1:5], [fill, dark, fill, dark])  # both fills fit regions 3 and 4: the nearest wins
    assert np.array_equal(out[5], lut[5]) and guessed.tolist() == [False] * 5 + [True]


def test_estimated_reference_at_192_px_takes_thin_regions_fills_from_the_frame():
    # At 192 px the face between the strands of hair is 1-3 px wide: every pixel lies in a line's rim,
    # and the reference's fill there was estimated as a rim shade: 97.68 % of the character came back
    # (99.87 % with the line image, whose remaining 6 px are the line image's own segmentation).
    line, color, fills, _ = rendered_toy(0, size=192)
    _, _, guessed = recover_reference(color)
    out = colorize_sequence(Overlap(), color, [line], estimate_fills=True)[0]
    right = np.all(np.abs(out.astype(int) - color) <= 2, axis=-1)
    assert right[fills].mean() >= 0.985, right[fills].mean()
    # what is still wrong lies in the few tiny regions (eyes) whose color occurs nowhere without a
    # line over it: they are reported, and only the line image can give their fills
    assert right[fills & ~guessed].mean() >= 0.998 and 0 < guessed.sum() < 0.03 * fills.sum()


def test_default_refuses_a_reference_whose_fills_can_only_be_estimated():
    # the default must give the reference frame back (>= 99.9 %); estimates give 98.69 % here: it asks
    # for the line image, naming the reference, before reading a line image
    line, color, fills, _ = rendered_toy(0, size=192)
    n = int(recover_reference(color)[2].sum())
    read = []

    def lines():
        read.append(1)
        yield line

    with pytest.raises(LinecorrError) as err:
        colorize_sequence(Overlap(), color, lines(), ref_name="ref.png")
    msg = str(err.value)
    assert err.value.path == "ref.png" and msg.startswith(f"ref.png: {n} px of small regions") and "\n" not in msg
    assert "--reference-line" in msg and "--estimate-fills" in msg and not read
    out = colorize_sequence(Overlap(), color, [line], line)[0]  # with the line image: no estimate needed
    assert np.all(np.abs(out.astype(int) - color) <= 2, axis=-1)[fills].mean() >= 0.998


def test_default_reference_at_384_px_needs_no_flag():
    # at 384 px every region shows its fill somewhere undarkened: nothing to estimate, no error
    line, color, fills, _ = rendered_toy(0, size=384)
    assert not recover_reference(color)[2].any()
    out = colorize_sequence(Overlap(), color, [line], ref_name="ref.png")[0]
    assert np.all(np.abs(out.astype(int) - color) <= 2, axis=-1)[fills].mean() >= 0.999


def test_reference_without_regions_asks_for_its_line_image():
    blank = np.full((32, 32, 3), 200, np.uint8)
    with pytest.raises(LinecorrError, match="pass its line image"):
        colorize_sequence(Overlap(), blank, [np.full((32, 32), 255, np.uint8)])


def test_colorize_cli_on_rgba_reference_colored_lines_and_umask(tmp_path, capsys):
    # PBC-like inputs: a reference with a transparent (0, 0, 0, 0) background, line images as opaque RGBA
    # with a red shading line, one blank line image (a warning naming it); outputs follow the umask
    line, color, fills, chord = rendered_toy(2, size=128)
    rgba = np.dstack([color, np.full(color.shape[:2], 255, np.uint8)])
    rgba[~fills & (color.min(-1) == 255)] = 0  # paper -> transparent black
    (tmp_path / "ref.png").write_bytes(encode_png(rgba))
    opaque = np.dstack([line, np.full(line.shape[:2], 255, np.uint8)])
    (tmp_path / "a.png").write_bytes(encode_png(opaque))
    (tmp_path / "b.png").write_bytes(encode_png(np.full(line.shape[:2], 255, np.uint8)))
    torch.manual_seed(0)
    cfg = tiny()
    ckpt = save_checkpoint(tmp_path / "m.safetensors", AnT(cfg.model), cfg, step=0)
    out = tmp_path / "colored"
    args = ["colorize", "--reference", str(tmp_path / "ref.png"), "--checkpoint", str(ckpt),
            str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--out", str(out)]
    # at 128 px the eyes show their colors only under their lines' rims: by default the reference is
    # refused, in one line naming it, and nothing is written
    assert main(args) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"linecorr colorize: error: {tmp_path / 'ref.png'}: ")
    assert "--reference-line" in err and "--estimate-fills" in err
    assert not (out.exists() and any(out.glob("*.png")))
    old = os.umask(0o022)
    try:
        assert main([*args, "--estimate-fills"]) == 0
    finally:
        os.umask(old)
    err = capsys.readouterr().err
    assert f"linecorr colorize: warning: {tmp_path / 'b.png'}: only one segment" in err
    # with --estimate-fills the estimates are taken and the reference is named in a warning
    assert f"linecorr colorize: warning: {tmp_path / 'ref.png'}: " in err and "--reference-line" in err
    for name in ("a.png", "b.png"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644  # was once 0600
    rgb, _ = read_color(out / "a.png")
    assert np.all(rgb[to_gray(line) == 0] == 0)
    assert not (np.abs(rgb[chord].astype(int) - rgb[chord].max(-1, keepdims=True)) == 0).all()  # not gray
