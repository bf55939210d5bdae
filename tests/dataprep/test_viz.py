"""dataprep.viz and `linecorr viz`: one color per match group, grays, lines, CLI errors."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from PIL import Image

from dataprep.cli import main
from dataprep.errors import LinecorrError
from dataprep.format import Dataset, Frame, Match, Pair, compute_segment_table, parse_pair_id
from dataprep.viz import (
    UNKNOWN_GRAY,
    UNMATCHED_GRAY,
    VizConfig,
    default_viz_name,
    draw_pair,
    draw_pair_frames,
    group_colors,
    match_groups,
)


def _frame(seg: np.ndarray, name: str) -> Frame:
    """A Frame from a segment map alone: white paper, black ink on segment 0."""
    seg = seg.astype(np.int32)
    line = np.where(seg == 0, 0, 255).astype(np.uint8)
    return Frame("c", name, line, line, None, None, seg, compute_segment_table(seg), None)


# A: segments 1, 2, 3 in columns, split by ink columns; B: segments 1..4.
SEG_A = np.array([[1, 1, 0, 2, 2, 0, 3, 3]] * 4)
SEG_B = np.array([[1, 1, 0, 2, 0, 3, 0, 4]] * 4)


def _pair() -> Pair:
    # 1 -> {2, 3} is a 1:n group (one color for all three); 2 -> 1 is 1:1; A's 3 and B's 4 have no match.
    return Pair("c", "a", "b", [Match(1, 2), Match(1, 3), Match(2, 1)], unmatched_a=[3], unmatched_b=[])


def test_match_groups_are_connected_components_in_a_fixed_order():
    g = match_groups([(4, 12), (1, 10), (2, 10), (3, 11), (4, 13), (1, 10)])
    assert g.a == {1: 0, 2: 0, 3: 1, 4: 2}
    assert g.b == {10: 0, 11: 1, 12: 2, 13: 2}
    assert g.sizes == [(2, 1), (1, 1), (1, 2)]
    assert len(match_groups([])) == 0


def test_group_colors_are_distinct_and_not_gray():
    c = group_colors(60)
    assert c.shape == (60, 3) and c.dtype == np.uint8
    assert len({tuple(x) for x in c.tolist()}) == 60
    assert (c.max(axis=1).astype(int) - c.min(axis=1)).min() > 40  # saturated: never mistaken for the grays
    np.testing.assert_array_equal(c, group_colors(60))  # deterministic


def test_draw_pair_frames_colors_groups_grays_lines_and_gap():
    img = draw_pair_frames(_frame(SEG_A, "a"), _frame(SEG_B, "b"), _pair(), VizConfig(gap=3))
    assert img.shape == (4, 8 + 3 + 8, 3) and img.dtype == np.uint8
    left, gap, right = img[:, :8], img[:, 8:11], img[:, 11:]
    c0, c1 = group_colors(2)
    np.testing.assert_array_equal(left[0, 0], c0)  # A1 and its partners B2, B3 share a color
    np.testing.assert_array_equal(right[0, 3], c0)
    np.testing.assert_array_equal(right[0, 5], c0)
    np.testing.assert_array_equal(left[0, 3], c1)  # A2 <-> B1
    np.testing.assert_array_equal(right[0, 0], c1)
    assert tuple(left[0, 6]) == UNMATCHED_GRAY  # listed unmatched
    assert tuple(right[0, 7]) == UNKNOWN_GRAY  # nothing known
    assert (left[:, 2] == 0).all() and (right[:, 2] == 0).all()  # ink is black
    assert (gap == 255).all()


def test_ids_scale_up_small_frames_and_color_background_needs_color():
    a, b = _frame(np.kron(SEG_A, np.ones((8, 8), int)), "a"), _frame(np.kron(SEG_B, np.ones((8, 8), int)), "b")
    img = draw_pair_frames(a, b, _pair(), VizConfig(show_ids=True, gap=2))
    assert img.shape[0] == 32 * 4 and img.shape[1] == (64 + 2 + 64) * 4  # auto scale 4 for tiny frames
    plain = draw_pair_frames(a, b, _pair(), VizConfig(scale=4, gap=2))
    assert (img != plain).any()  # the ids were drawn
    with pytest.raises(LinecorrError, match="no color images"):
        draw_pair_frames(a, b, _pair(), VizConfig(background="color"))


def test_draw_pair_on_toy_dataset(toy_dataset):
    ds = Dataset.open(toy_dataset)
    pid = ds.pair_ids("test")[0]
    img = draw_pair(ds, pid)
    assert img.shape == (128, 128 + 8 + 128, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img, draw_pair(toy_dataset, pid))
    col = draw_pair(ds, pid, VizConfig(background="color"))
    assert col.shape == img.shape and (col != img).any()
    clip, fa, _ = parse_pair_id(pid)
    seg = ds.load_seg(clip, fa)
    assert (img[:, :128][seg == 0] == 0).all()


def test_cli_writes_png_with_default_name(toy_dataset, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    pid = Dataset.open(toy_dataset).pair_ids()[0]
    assert main(["viz", str(toy_dataset), pid, "--ids"]) == 0
    name = default_viz_name(pid)
    assert capsys.readouterr().out.strip() == f"wrote {name}"
    im = Image.open(tmp_path / name)
    assert im.mode == "RGB" and im.size[1] == 128 * 4


def test_cli_bad_pair_id_lists_examples(toy_dataset, capsys):
    assert main(["viz", str(toy_dataset), "toy000/0000__0009"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no such pair" in err and "toy000/0000__0001" in err and "--list" in err
    assert main(["viz", str(toy_dataset), "garbage"]) == 2
    assert "CLIP/FRAME_A__FRAME_B" in capsys.readouterr().err
    assert main(["viz", str(toy_dataset), "--list"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "toy000/0000__0001"


def test_cli_rejects_non_png_output(toy_dataset, tmp_path, capsys):
    pid = Dataset.open(toy_dataset).pair_ids()[0]
    assert main(["viz", str(toy_dataset), pid, "--out", str(tmp_path / "x.jpg")]) == 2
    assert ".png" in capsys.readouterr().err
    assert not (tmp_path / "x.jpg").exists()


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_cli_png_follows_the_umask(toy_dataset, tmp_path, capsys, umask, mode):
    # the PNG used to be 0600 whatever the umask (mkstemp's mode)
    pid = Dataset.open(toy_dataset).pair_ids()[0]
    old = os.umask(umask)
    try:
        assert main(["viz", str(toy_dataset), pid, "--out", str(tmp_path / "v.png")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "v.png").stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["v.png"]  # no temp file left
