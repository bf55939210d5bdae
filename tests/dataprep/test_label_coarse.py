"""Coarse matcher: regions without votes, large limb motion, one-to-none (tiny pairs, known answers)."""

from __future__ import annotations

import numpy as np

from dataprep.label.align import Alignment
from dataprep.label.coarse import CoarseConfig, coarse_match, make_side, unique_colour_pairs
from dataprep.label.config import LabelConfig
from dataprep.label.pair import label_prepared, prepare_frame
from dataprep.segment.closed_lines import connected_segments
from dataprep.synthetic.figure import ARM, figure, part_of_regions

NO_POINTS = (np.zeros((0, 2)), np.zeros((0, 2)))


def _pair(size=128, deg=0.0, shift=(8.0, 4.0), drop_b=()):
    a, parts_a, ink_a = figure(size)
    b, parts_b, ink_b = figure(size, deg, shift)
    for p in drop_b:  # repaint a part of B in the torso's colour and merge it away
        parts_b = np.where(parts_b == p, 3, parts_b)
    if drop_b:
        from dataprep.segment.labelops import boundary_lines

        ink_b = boundary_lines(parts_b, 1)
        b = np.where(ink_b[..., None], 0, b)
        b[(parts_b == 3) & ~ink_b] = (50, 80, 200)
    seg_a, seg_b = connected_segments(ink_a), connected_segments(ink_b)
    return (prepare_frame(a, seg_a), part_of_regions(seg_a, parts_a),
            prepare_frame(b, seg_b), part_of_regions(seg_b, parts_b), parts_a, ink_a, size, shift)


def test_without_any_point_match_every_part_is_found():
    fa, of_a, fb, of_b, *_ = _pair()
    res = label_prepared(fa, fb, LabelConfig(), points=NO_POINTS)
    assert res.stats["alignment_source"] == "masks"  # no points: the drawings' masks give the motion
    assert all(how == "coarse" for *_, how in res.matches)
    assert all(of_a[x] == of_b[y] for x, y, _, _ in res.matches)
    assert {of_a[x] for x, _, _, _ in res.matches} == set(of_a.values())
    assert all(0 < c <= LabelConfig().coarse.confidence for _, _, c, _ in res.matches)


def test_a_limb_swung_130_degrees_is_found_by_the_coarse_matcher():
    fa, of_a, fb, of_b, parts_a, ink_a, size, shift = _pair(256, -130.0, (10.0, 4.0))
    ys, xs = np.nonzero(ink_a & ~np.isin(parts_a, ARM))  # point matches everywhere but on the arm,
    pa = np.stack([xs[::5], ys[::5]], 1).astype(float)  # as LightGlue gives on a limb that moved a lot
    pb = pa + np.array(shift) * size / 256
    arm_a = {r for r, p in of_a.items() if p in ARM[1:]}  # forearm and hand: no vote reaches them
    without = label_prepared(fa, fb, LabelConfig(coarse=CoarseConfig(enabled=False)), points=(pa, pb))
    assert not arm_a & {x for x, _, _, _ in without.matches}
    res = label_prepared(fa, fb, LabelConfig(), points=(pa, pb))
    got = {(of_a[x], of_b[y]) for x, y, _, _ in res.matches if of_a[x] in ARM}
    assert got == {(4, 4), (5, 5), (6, 6)}
    assert all(of_a[x] == of_b[y] for x, y, _, _ in res.matches)


def test_a_part_missing_from_b_stays_unmatched():
    fa, of_a, fb, of_b, *_ = _pair(drop_b=(12,))  # B has no hair
    res = label_prepared(fa, fb, LabelConfig(), points=NO_POINTS)
    hair = [r for r, p in of_a.items() if p == 12]
    assert hair and set(hair) <= set(res.unmatched_a)
    assert all(of_a[x] == of_b[y] for x, y, _, _ in res.matches)


def test_the_cost_threshold_leaves_far_candidates_unmatched():
    fa, _, fb, *_ = _pair()
    strict = label_prepared(fa, fb, LabelConfig(coarse=CoarseConfig(max_cost=0.0)), points=NO_POINTS)
    assert strict.matches == []


def test_unique_colour_pairs():
    lab_a = np.array([[50, 0, 0], [80, 10, 0], [80, 12, 0]], np.float32)  # 1 and 2 are the same paint
    lab_b = np.array([[51, 0, 0], [81, 10, 0], [20, 40, 40]], np.float32)
    free = np.ones(3, bool)
    u = unique_colour_pairs(lab_a, lab_b, free, free, 10.0)
    assert u.tolist() == [[True, False, False], [False, False, False], [False, False, False]]
    only_one_free = np.array([True, True, False])  # the twin is matched already: 1 <-> 1 is unique now
    assert unique_colour_pairs(lab_a, lab_b, only_one_free, free, 10.0)[1].tolist() == [False, True, False]


def test_matched_neighbours_carry_a_region_along():
    fa, of_a, fb, of_b, *_ = _pair(shift=(60.0, 0.0))  # far move, global alignment deliberately wrong
    ident = Alignment(np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    sa, sb = make_side(fa.regions, fa.seg, *fa.adjacency()), make_side(fb.regions, fb.seg, *fb.adjacency())
    fwd = np.full(len(fa.regions), -1)
    bwd = np.full(len(fb.regions), -1)
    row_b = {of_b[int(i)]: r for r, i in enumerate(fb.regions.ids)}
    for r, i in enumerate(fa.regions.ids):  # everything but the pupils is matched already
        if of_a[int(i)] not in (10, 11):
            fwd[r] = row_b[of_a[int(i)]]
            bwd[fwd[r]] = r
    zero = np.zeros((len(fa.regions), len(fb.regions)), np.int64)
    new_f, _ = coarse_match(sa, sb, ident, fwd, bwd, zero, CoarseConfig(max_cost=1.0, ratio=1.0))
    got = {of_a[int(fa.regions.ids[a])]: of_b[int(fb.regions.ids[b])] for a, b, _ in new_f}
    assert got == {10: 10, 11: 11}  # left and right pupils kept apart by their neighbours' motion
