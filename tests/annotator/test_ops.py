"""The annotator's operations as pure functions: expected label maps and matches on tiny hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from annotator import ops
from annotator.tables import update_table
from dataprep.format import compute_segment_table


def _grid() -> np.ndarray:
    """12x12 map: a line (0) cross splits four 5x5 squares 1..4; a 1-px border of 0 around them."""
    seg = np.zeros((12, 12), np.int32)
    seg[1:6, 1:6], seg[1:6, 7:11], seg[7:11, 1:6], seg[7:11, 7:11] = 1, 2, 3, 4
    return seg


def test_assign_replaces_by_default_and_adds_on_request():
    st = ops.PairState(((1, 1, "auto", 0.6), (1, 2, "auto", 0.4), (2, 2, "render", 1.0)), unmatched_b=(5,))
    got = ops.assign(st, "a", 1, [5])
    assert got.matches == ((1, 5, "manual", 1.0), (2, 2, "render", 1.0))
    assert got.unmatched_b == ()  # a segment that gets a match is no longer "no match"
    got = ops.assign(st, "b", 2, [3], replace_existing=False)
    assert (3, 2, "manual", 1.0) in got.matches and (1, 2, "auto", 0.4) in got.matches


def test_unassign_and_no_match():
    st = ops.PairState(((1, 1, "auto", 1.0), (1, 2, "auto", 1.0), (3, 2, "auto", 1.0)))
    assert ops.unassign(st, "a", 1, [2]).matches == ((1, 1, "auto", 1.0), (3, 2, "auto", 1.0))
    assert ops.unassign(st, "b", 2).matches == ((1, 1, "auto", 1.0),)
    nm = ops.no_match(st, "a", 1)
    assert nm.matches == ((3, 2, "auto", 1.0),) and nm.unmatched_a == (1,)
    assert ops.unassign(nm, "a", 1).unmatched_a == ()
    with pytest.raises(ops.OpError, match="status"):
        ops.set_status(st, "finished")


def test_merge_gives_the_smallest_id_and_matches_follow():
    seg = _grid()
    edit = ops.merge(seg, [4, 2])
    assert set(np.unique(edit.seg)) == {0, 1, 2, 3} and (edit.seg[7:11, 7:11] == 2).all()
    assert edit.bbox == (7, 7, 4, 4) and edit.created == []
    lin = ops.lineage(seg, edit.seg, edit.bbox)
    assert lin.heirs == {4: 2} and lin.parents == {}
    st = ops.PairState(((2, 9, "auto", 1.0), (4, 8, "auto", 1.0)), unmatched_a=())
    got = ops.remap_side(st, "a", lin, {1, 2, 3})
    assert [m[:2] for m in got.matches] == [(2, 8), (2, 9)]
    with pytest.raises(ops.OpError, match="does not exist"):
        ops.merge(seg, [1, 7])


def test_split_along_a_stroke_makes_pieces_that_inherit_matches():
    seg = _grid()
    edit = ops.split(seg, 1, [[0, 3], [7, 3]], width=1)  # a horizontal cut through square 1 (rows 1..5)
    top, bottom = edit.seg[1:3, 1:6], edit.seg[4:6, 1:6]
    assert (top == top[0, 0]).all() and (bottom == bottom[0, 0]).all() and top[0, 0] != bottom[0, 0]
    assert (edit.seg[3, 1:6] > 0).all()  # the stroke's pixels went to a piece: a split adds no line
    assert edit.created == [5] and (edit.seg[1:6, 7:11] == 2).all()  # neighbours untouched
    lin = ops.lineage(seg, edit.seg, edit.bbox)
    assert lin.parents == {5: 1}
    st = ops.remap_side(ops.PairState(((7, 1, "auto", 1.0),)), "b", lin, {1, 2, 3, 4, 5})
    assert [m[:2] for m in st.matches] == [(7, 1), (7, 5)]
    with pytest.raises(ops.OpError, match="does not cut"):
        ops.split(seg, 1, [[1, 1], [3, 1]], width=1)  # along the edge: one piece only


def test_split_picks_the_segment_under_the_stroke():
    edit = ops.split(_grid(), None, [[8, 6], [8, 11]], width=1)  # vertical through 4 only
    assert edit.created == [5] and len(np.unique(edit.seg[7:11, 7:11])) == 2


def test_bucket_closes_a_gap_and_fills_the_region():
    # A 40x40 square split in two halves by a vertical line with a 2-px gap: connected components
    # see one segment, the trapped ball (radius 2) sees two regions.
    ink = np.zeros((40, 40), bool)
    ink[0, :] = ink[-1, :] = ink[:, 0] = ink[:, -1] = True
    ink[:, 20] = True
    ink[18:20, 20] = False
    seg = np.where(ink, 0, 1).astype(np.int32)
    edit = ops.bucket(seg, ink, 30, 30, radius=2)
    left, right = edit.seg[5:35, 2:18], edit.seg[5:35, 23:38]
    assert (right == 1).all() and (left == 2).all()  # clicked region keeps the id, the rest is new
    with pytest.raises(ops.OpError, match="not on a line"):
        ops.bucket(seg, ink, 20, 5)


def test_bucket_absorbs_a_segment_and_its_matches_follow():
    ink = np.zeros((20, 20), bool)
    ink[0, :] = ink[-1, :] = ink[:, 0] = ink[:, -1] = True
    seg = np.where(ink, 0, 1).astype(np.int32)
    seg[5:10, 5:10] = 2  # an over-segmented piece with no line around it
    edit = ops.bucket(seg, ink, 15, 15, radius=0)
    assert set(np.unique(edit.seg)) == {0, 1}
    lin = ops.lineage(seg, edit.seg, edit.bbox)
    st = ops.remap_side(ops.PairState(((2, 4, "auto", 1.0),)), "a", lin, {1})
    assert [m[:2] for m in st.matches] == [(1, 4)]


def test_brush_draws_a_boundary_and_splits_what_it_cuts():
    seg = _grid()
    edit = ops.brush(seg, [[8, 6], [8, 11]], width=1)
    assert (edit.seg[7:11, 8] == 0).all() and edit.created == [5]
    assert set(np.unique(edit.seg[7:11, 7:11])) == {0, 4, 5}


def test_erase_removes_boundary_pixels_without_merging():
    seg = _grid()
    edit = ops.erase(seg, [[3, 6], [3, 6]], width=1)
    assert edit.seg[6, 3] in (1, 3) and set(np.unique(edit.seg)) == {0, 1, 2, 3, 4}
    with pytest.raises(ops.OpError, match="no boundary"):
        ops.erase(seg, [[3, 3]], width=1)


@pytest.mark.parametrize("bad", [[], [[1, 2, 3]], [[float("nan"), 1]], "x"])
def test_malformed_strokes_are_refused(bad):
    with pytest.raises(ops.OpError):
        ops.stroke_mask((10, 10), bad, 1)


def test_incremental_table_equals_full_recompute():
    rng = np.random.default_rng(0)
    seg = _grid()
    color = rng.integers(0, 255, (12, 12, 3), dtype=np.uint8)
    labels = rng.integers(-1, 3, (12, 12)).astype(np.int32)
    table = compute_segment_table(seg, color, None, labels)
    for edit in (ops.merge(seg, [1, 4]), ops.split(seg, 2, [[9, 0], [9, 7]], 1), ops.brush(seg, [[0, 3], [6, 3]], 1)):
        lin = ops.lineage(seg, edit.seg, edit.bbox)
        got = update_table(table, seg, edit.seg, edit.bbox, lin, color, None, labels)
        want = compute_segment_table(edit.seg, color, None, labels)
        for col in ("ids", "area", "bbox", "color", "label"):
            np.testing.assert_array_equal(getattr(got, col), getattr(want, col), err_msg=col)
        np.testing.assert_allclose(got.centroid, want.centroid)
