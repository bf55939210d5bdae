"""Voting: 5x5 expansion, colour filter, vote counting, reliable choices (tiny pairs, known answers)."""

from __future__ import annotations

import numpy as np
import pytest

from dataprep.label.coarse import CoarseConfig
from dataprep.label.config import LabelConfig
from dataprep.label.pair import label_prepared, prepare_frame
from dataprep.label.vote import best_by_votes, cast_votes, count_votes, expand
from dataprep.segment.closed_lines import connected_segments
from dataprep.synthetic.figure import figure, part_of_regions

RED, BLUE, BLACK = (220, 30, 30), (30, 30, 220), (0, 0, 0)


def two_halves(h: int = 20, w: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Red region 1 (x < 19), a black line at x = 19 (segment 0), blue region 2 (x > 19)."""
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[:, :19], rgb[:, 19], rgb[:, 20:] = RED, BLACK, BLUE
    seg = np.zeros((h, w), np.int32)
    seg[:, :19], seg[:, 20:] = 1, 2
    return rgb, seg


def test_expand_gives_the_5x5_neighbourhood_with_the_same_offsets():
    ia, ib = expand(np.array([[10.2, 10.0]]), np.array([[20.0, 15.4]]), 5, (32, 32), (32, 32))
    assert ia.size == ib.size == 25
    ya, xa = np.divmod(ia, 32)
    yb, xb = np.divmod(ib, 32)
    assert sorted(set(xa.tolist())) == [8, 9, 10, 11, 12] and sorted(set(ya.tolist())) == [8, 9, 10, 11, 12]
    assert np.all(xb - xa == 10) and np.all(yb - ya == 5)


def test_expand_drops_pixels_outside_either_frame_and_rotates_offsets():
    ia, _ = expand(np.array([[0.0, 0.0]]), np.array([[10.0, 10.0]]), 5, (32, 32), (32, 32))
    assert ia.size == 9  # x, y in {0, 1, 2}
    rot90 = np.array([[0.0, -1.0], [1.0, 0.0]])  # an offset (dx, dy) in A lands at (-dy, dx) in B
    ia, ib = expand(np.array([[10.0, 10.0]]), np.array([[20.0, 20.0]]), 3, (32, 32), (32, 32), rot90)
    da = np.stack(np.divmod(ia, 32)[::-1], 1) - 10  # (dx, dy) in A
    db = np.stack(np.divmod(ib, 32)[::-1], 1) - 20
    assert np.array_equal(db, np.stack([-da[:, 1], da[:, 0]], 1))


def test_count_votes_and_reliable_choices():
    counts = count_votes(np.array([0, 0, 1, 1, 1]), np.array([2, 2, 0, 1, 1]), 2, 3)
    assert counts.tolist() == [[0, 0, 2], [1, 2, 0]]
    m = np.array([[0, 0, 2], [1, 2, 0], [1, 1, 1]])
    rows, cols, share = best_by_votes(m, min_votes=2, min_share=0.5)
    assert rows.tolist() == [0, 1] and cols.tolist() == [2, 1]
    assert share.tolist() == pytest.approx([1.0, 2 / 3])  # row 2: best share 1/3 is not reliable
    rows, _, _ = best_by_votes(m, min_votes=3, min_share=0.5)
    assert rows.tolist() == [1]  # row 0 has only 2 votes


def _votes(rgb_a, seg_a, rgb_b, seg_b, pa, pb, tol):
    fa, fb = prepare_frame(rgb_a, seg_a), prepare_frame(rgb_b, seg_b)
    return cast_votes(np.array(pa, float), np.array(pb, float), seg_a, seg_b, rgb_a, rgb_b, fa.regions.row_of,
                      fb.regions.row_of, fa.regions.lab, len(fb.regions), 5, tol)


def test_colour_filter_drops_votes_landing_on_another_colour():
    rgb, seg = two_halves()
    pa, pb = [[5, 10], [5, 10]], [[5, 10], [30, 10]]  # red -> red (right), red -> blue (wrong)
    v = _votes(rgb, seg, rgb, seg, pa, pb, 20.0)
    assert v.cast == 50 and v.kept == 25
    assert v.counts.tolist() == [[25, 0], [0, 0]]
    off = _votes(rgb, seg, rgb, seg, pa, pb, np.inf)
    assert off.counts.tolist() == [[25, 25], [0, 0]]


def test_colour_filter_drops_source_pixels_unlike_their_region():
    rgb, seg = two_halves()
    src = rgb.copy()
    src[10, 5] = (250, 180, 180)  # one pale (anti-aliased) pixel inside the red region
    v = _votes(src, seg, rgb, seg, [[5, 10]], [[5, 10]], 20.0)
    assert v.counts[0, 0] == 24


def test_votes_on_line_pixels_are_not_cast():
    rgb, seg = two_halves()
    v = _votes(rgb, seg, rgb, seg, [[19, 10]], [[19, 10]], np.inf)  # centred on the line: 5 px wide on it
    assert v.cast == 20 and v.counts.tolist() == [[10, 0], [0, 10]]


def _figure_pair(shift=(6.0, 3.0), size=128):
    a, parts_a, ink_a = figure(size)
    b, parts_b, ink_b = figure(size, shift=shift)
    seg_a, seg_b = connected_segments(ink_a), connected_segments(ink_b)
    return a, seg_a, parts_a, b, seg_b, parts_b


def test_exact_point_matches_label_every_region_by_votes():
    a, seg_a, parts_a, b, seg_b, parts_b = _figure_pair()
    ys, xs = np.nonzero(ink := (seg_a == 0))  # keypoints sit on lines, as detectors put them
    pick = np.arange(0, ys.size, 7)
    pa = np.stack([xs[pick], ys[pick]], 1).astype(float)
    pb = pa + np.array([6.0, 3.0]) * 128 / 256
    cfg = LabelConfig(coarse=CoarseConfig(enabled=False))
    res = label_prepared(prepare_frame(a, seg_a), prepare_frame(b, seg_b), cfg, points=(pa, pb))
    pa_of, pb_of = part_of_regions(seg_a, parts_a), part_of_regions(seg_b, parts_b)
    assert res.matches and all(how == "vote" for *_, how in res.matches)
    assert all(pa_of[x] == pb_of[y] for x, y, _, _ in res.matches)
    big = [r for r in np.unique(seg_b[seg_b > 0]) if (seg_b == r).sum() >= 20]
    assert {y for _, y, _, _ in res.matches} >= set(big)
    assert min(c for _, _, c, _ in res.matches) == pytest.approx(1.0)  # consistent votes: share 1
    assert ink.any()


def test_a_region_split_in_two_is_matched_to_both_pieces():
    rgb_a, seg_a = two_halves()
    rgb_b, seg_b = two_halves()
    rgb_b[:, 8], seg_b[:, 8] = BLACK, 0  # an occluding stroke splits B's red region in two
    seg_b[:, :8] = 3
    pa = [[4, 5], [4, 15], [13, 5], [13, 15], [30, 10]]
    res = label_prepared(prepare_frame(rgb_a, seg_a), prepare_frame(rgb_b, seg_b), LabelConfig(coarse=CoarseConfig(enabled=False)),
                         points=(pa, pa))
    edges = {(x, y) for x, y, _, _ in res.matches}
    assert edges == {(1, 3), (1, 1), (2, 2)}  # one-to-many from A's side, each piece picks region 1
