"""The --eval figures on hand-computed tiny cases."""

from __future__ import annotations

import numpy as np
import pytest

from dataprep.errors import LinecorrError
from dataprep.format import Frame, SegmentTable
from dataprep.label.evaluate import BACKGROUND, dominant_ids, gt_id_map, score_pair, summarise


def _cols(spec: list[int]) -> np.ndarray:
    """A (4, len(spec)) map whose column x holds spec[x]."""
    return np.tile(np.array(spec, np.int64), (4, 1))


PRED_A = _cols([1, 1, 1, 2, 2, 2, 4])
GT_A = _cols([2, 2, 2, 3, 3, 3, BACKGROUND])
PRED_B = _cols([1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 4])
GT_B = _cols([3, 3, 3, 2, 2, 2, 2, 2, 2, 3, 3, BACKGROUND])  # region 3: 60 % part 2, 40 % part 3
MATCHES = [(1, 2, 0.9, "vote"), (2, 1, 0.8, "vote"), (1, 1, 0.5, "coarse"), (2, 3, 0.7, "coarse"),
           (4, 4, 1.0, "vote")]


def test_dominant_ids_and_purity():
    d = dominant_ids(PRED_B, GT_B)
    assert d[1] == (3, 1.0, 12) and d[2] == (2, 1.0, 12)
    assert d[3][0] == 2 and d[3][1] == pytest.approx(0.6) and d[3][2] == 20


def test_score_pair_by_hand():
    s = score_pair(PRED_A, PRED_B, MATCHES, GT_A, GT_B, gap=7)
    # background<->background is left out; (2, 3) is impure (0.6); (1, 1) pairs part 2 with part 3
    assert (s.n_pure, s.n_correct, s.n_gt_pairs, s.n_recovered) == (3, 2, 2, 2)
    # targets 1 and 2 take the right part from their best source, target 3 (part 2) the wrong one
    assert (s.n_targets, s.n_targets_right, s.px_targets, s.px_targets_right) == (3, 2, 44, 24)
    assert (s.n_vote_correct, s.n_vote_scored, s.n_coarse_correct, s.n_coarse_scored) == (3, 3, 0, 2)
    r = summarise([s])
    assert r["region_precision"] == pytest.approx(2 / 3) and r["region_recall"] == 1.0
    assert r["segment_accuracy"] == pytest.approx(2 / 3) and r["pixel_accuracy"] == pytest.approx(24 / 44)
    assert r["coverage"] == 1.0


def test_precision_agrees_with_the_benchmark_metric():
    from dataprep.overlap import region_match_scores

    pairs = [(a, b) for a, b, _, _ in MATCHES[:4]]
    ref = region_match_scores(PRED_A, PRED_B, pairs, GT_A, GT_B, [(2, 2), (3, 3)])
    r = summarise([score_pair(PRED_A, PRED_B, MATCHES, GT_A, GT_B)])
    assert r["region_precision"] == ref["precision"] and r["region_recall"] == ref["recall"]


def test_an_unmatched_target_whose_part_is_absent_from_a_is_right():
    pred_b, gt_b = _cols([1, 1, 2, 2]), _cols([2, 2, 9, 9])  # part 9 appears only in B
    s = score_pair(_cols([1, 1]), pred_b, [(1, 1, 1.0, "vote")], _cols([2, 2]), gt_b)
    assert (s.n_targets, s.n_targets_right) == (2, 2)


def _frame(seg, labels=None, seg_labels=None):
    ids = np.unique(seg[seg > 0]).astype(np.int32)
    n = ids.size
    lab = np.full(n, -1, np.int64) if seg_labels is None else np.asarray(seg_labels, np.int64)
    t = SegmentTable(ids, np.ones(n, np.int64), np.zeros((n, 4), np.int32), np.zeros((n, 2)), None, lab,
                     np.full(n, -1, np.int64))
    return Frame("c", "0", seg.astype(np.uint8), seg.astype(np.uint8), None, None, seg.astype(np.int32), t,
                 labels)


def test_gt_id_map_from_label_maps_and_from_segment_labels():
    seg = np.array([[1, 0, 2, 2]])
    labels = np.array([[-1, 0, 5, 5]])
    assert gt_id_map(_frame(seg, labels)).tolist() == [[BACKGROUND, 0, 7, 7]]
    assert gt_id_map(_frame(seg, seg_labels=[-1, 5])).tolist() == [[BACKGROUND, 0, 7, 7]]
    with pytest.raises(LinecorrError, match="no correspondence labels"):
        gt_id_map(_frame(seg), "data/x")
