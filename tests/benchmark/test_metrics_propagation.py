"""AnT's 10-frame label propagation protocol on tiny hand-made clips."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmark.metrics import (
    PropagationConfig,
    edges_to_scores,
    evaluate_propagation,
    evaluate_sequence,
    get_metric,
    propagate_labels,
    propagation_clips,
    transfer_labels,
    vote_labels,
    vote_with_reference,
)
from dataprep.errors import LinecorrError

# Three frames of three segments with the same labels; step 0 swaps segments 2 and 3.
GT3 = [np.array([10, 20, 30])] * 3
SWAP_THEN_IDENTITY = [np.array([0, 2, 1]), np.array([0, 1, 2])]


def test_transfer_labels_by_assignment_with_unmatched():
    # target seg1 <- source seg2 (label 7), seg2 unmatched, seg3 <- source seg1 (label 5)
    assert transfer_labels([5, 7], [1, -1, 0]).tolist() == [7, -1, 5]
    assert transfer_labels([5, 7], [1, -1, 0], unmatched_label=99).tolist() == [7, 99, 5]


def test_transfer_labels_by_scores_sums_votes_per_class():
    source = [1, 1, 2]
    scores = np.array(
        [
            [0.3, 0.3, 0.4],  # class 1: 0.3+0.3 = 0.6 > class 2: 0.4 (AnT eq. 3, not argmax)
            [0.0, 0.0, 0.0],  # no vote at all -> unmatched
            [0.5, 0.0, 0.5],  # tie 0.5 / 0.5 -> smallest label, 1
            [0.1, 0.0, 0.9],  # class 2
        ]
    )
    assert transfer_labels(source, scores).tolist() == [1, -1, 1, 2]


def test_edges_to_scores_places_one_per_edge():
    # edges (id in frame t, id in frame t+1): (1 -> 2), (3 -> 1), (2 -> 2)
    s = edges_to_scores([(1, 2), (3, 1), (2, 2)], n_source=3, n_target=2)
    assert s.tolist() == [[0, 0, 1], [1, 1, 0]]
    # target 2 is matched to sources 1 and 2, both labelled 4 -> 4; target 1 <- source 3 (6)
    assert transfer_labels([4, 4, 6], s).tolist() == [6, 4]


def test_recursive_propagation_carries_errors_forward():
    res = evaluate_propagation(GT3, SWAP_THEN_IDENTITY)  # recursive by default
    # frame 1 = [10, 30, 20] (swap) ; frame 2 copies frame 1's *prediction* = [10, 30, 20]
    assert [p.tolist() for p in res.predictions] == [[10, 30, 20], [10, 30, 20]]
    # pooled: 2 correct of 6 segments
    assert res.accuracy == pytest.approx(2 / 6)
    assert res.frame_accuracy == pytest.approx([1 / 3, 1 / 3])
    # class 10: 2/2 = 1 ; class 20: pred at {2,5}, gt at {1,4} -> 0 ; class 30: 0 -> mean 1/3
    assert res.mean_iou == pytest.approx(1 / 3)
    assert res.n_segments == 6
    assert math.isnan(res.mean_iou_pixel)  # no areas given


def test_non_recursive_propagation_restarts_from_gt_each_step():
    res = evaluate_propagation(GT3, SWAP_THEN_IDENTITY, PropagationConfig(recursive=False))
    # frame 2 copies frame 1's GT = [10, 20, 30]
    assert [p.tolist() for p in res.predictions] == [[10, 30, 20], [10, 20, 30]]
    assert res.accuracy == pytest.approx(4 / 6)
    assert res.frame_accuracy == pytest.approx([1 / 3, 1.0])
    # class 10: 1 ; class 20: pred {2,4} gt {1,4} -> 1/3 ; class 30: pred {1,5} gt {2,5} -> 1/3
    assert res.mean_iou == pytest.approx((1 + 1 / 3 + 1 / 3) / 3)


def test_pixel_mean_iou_uses_target_areas():
    areas = [np.array([9, 9, 9]), np.array([1, 2, 3]), np.array([1, 2, 3])]
    res = evaluate_propagation(GT3, SWAP_THEN_IDENTITY, areas=areas)
    # pooled target areas [1,2,3,1,2,3]; class 10: 2/2 px -> 1 ; classes 20 and 30: no overlap -> 0
    assert res.mean_iou_pixel == pytest.approx(1 / 3)


def test_callable_predictor_sees_predicted_labels_only_when_recursive():
    gt = [np.zeros(2, np.int64)] * 13

    def plus_one(t, labels):  # a "model" that always drifts by one label
        return labels + 1

    rec = propagate_labels(gt, plus_one)
    # horizon 10 of 12 available targets; recursive drift: frame t gets label t
    assert len(rec) == 10
    assert [int(p[0]) for p in rec] == list(range(1, 11))
    nonrec = propagate_labels(gt, plus_one, PropagationConfig(recursive=False))
    assert all(p.tolist() == [1, 1] for p in nonrec)


def test_perfect_and_all_wrong_matchers():
    gt = [np.array([1, 2, 3, 4])] * 11
    identity = [np.eye(4)] * 10  # softmax-like scores, each segment on itself
    assert evaluate_propagation(gt, identity).accuracy == 1.0
    assert evaluate_propagation(gt, identity).mean_iou == 1.0
    unmatched = [np.full(4, -1)] * 10  # every segment unmatched -> label -1
    res = evaluate_propagation(gt, unmatched)
    assert res.accuracy == 0.0 and res.mean_iou == 0.0


def test_ignore_label_leaves_segments_out():
    gt = [np.array([-1, 5]), np.array([-1, 5])]
    res = evaluate_propagation(gt, [np.array([1, 0])], PropagationConfig(ignore_label=-1))
    # prediction [5, -1]; only seg2 (GT 5) scored, predicted -1 -> 0/1
    assert res.accuracy == 0.0 and res.n_segments == 1


def test_propagation_clips_share_the_reference_frame():
    assert propagation_clips(22, 10) == [range(11), range(10, 21), range(20, 22)]
    assert propagation_clips(11, 10) == [range(11)]
    assert propagation_clips(1, 10) == []


def test_evaluate_sequence_reseeds_each_clip_from_gt():
    # horizon 1: clips [0,1] and [1,2]; the second starts from frame 1's GT, so the swap of
    # step 0 does not leak into frame 2 (unlike the recursive 2-frame horizon above)
    results = evaluate_sequence(GT3, SWAP_THEN_IDENTITY, PropagationConfig(horizon=1))
    assert [r.accuracy for r in results] == pytest.approx([1 / 3, 1.0])
    calls = []
    record = lambda t, labels: calls.append(t) or labels
    evaluate_sequence(GT3, record, PropagationConfig(horizon=1))
    assert calls == [0, 1]  # absolute frame indices


def test_registered_protocol_metrics():
    expected = {
        "ant/accuracy@recursive10": 2 / 6,
        "ant/accuracy@nonrecursive10": 4 / 6,
        "ant/miou@recursive10": 1 / 3,
        "ant/miou@nonrecursive10": 5 / 9,
    }
    for name, value in expected.items():
        assert get_metric(name)(GT3, SWAP_THEN_IDENTITY) == pytest.approx(value)
    areas = [np.array([9, 9, 9]), np.array([1, 2, 3]), np.array([1, 2, 3])]
    pixel = get_metric("ant/miou_pixel@recursive10")(GT3, SWAP_THEN_IDENTITY, areas=areas)
    assert pixel == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "call",
    [
        lambda: evaluate_propagation([np.array([1])], []),  # no target frame
        lambda: evaluate_propagation(GT3, SWAP_THEN_IDENTITY[:1]),  # too few steps
        lambda: evaluate_propagation(GT3, lambda t, labels: labels[:1]),  # wrong length
        # the only target frame has no segment: nothing to score
        lambda: evaluate_propagation([np.array([1]), np.zeros(0, int)], [np.zeros(0, int)]),
        lambda: transfer_labels([1, 2], [2]),  # index out of range
        lambda: transfer_labels([1, 2], np.array([[0.5, -0.1]])),  # negative scores
        lambda: transfer_labels([1, 2], np.ones((1, 3))),  # wrong score width
        lambda: edges_to_scores([(4, 1)], n_source=3, n_target=2),  # id beyond N
        lambda: propagate_labels(GT3, SWAP_THEN_IDENTITY, PropagationConfig(horizon=0)),
        lambda: get_metric("ant/miou_pixel@recursive10")(GT3, SWAP_THEN_IDENTITY),  # needs areas
    ],
)
def test_user_errors_raise_linecorr_error(call):
    with pytest.raises(LinecorrError):
        call()


def test_vote_labels_sums_weighted_votes_over_sources():
    prev = np.array([[1.0, 0.0], [0.6, 0.4]])  # two targets against a previous frame labelled [3, 4]
    ref = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # the same targets against a reference labelled [3, 4, 4]
    assert vote_labels([([3, 4], prev, 1.0)]).tolist() == [3, 3]  # one source: transfer_labels
    assert vote_labels([([3, 4], prev, 1.0), ([3, 4, 4], ref, 0.5)]).tolist() == [3, 4]  # 0.4 + 0.5 > 0.6
    assert vote_labels([([3, 4], prev, 1.0), ([3, 4, 4], ref, 2.0)]).tolist() == [4, 4]  # 2 > 1 outvotes
    assert vote_labels([([3, 4], prev, 0.0), ([3, 4, 4], ref, 0.0)]).tolist() == [-1, -1]  # no vote at all
    # an assignment source, and a label only the second source holds
    assert vote_labels([([3, 4], [0, -1], 1.0), ([7], np.array([[0.0], [1.0]]), 1.0)]).tolist() == [3, 7]


def test_vote_labels_refuses_mismatched_sources_and_bad_weights():
    for sources in ([([1, 2], np.ones((2, 2)), 1.0), ([1], np.ones((3, 1)), 1.0)],  # 2 vs 3 targets
                    [([1, 2], np.ones((2, 2)), -1.0)], [([1, 2], np.ones((2, 2)), float("nan"))], []):
        with pytest.raises(LinecorrError):
            vote_labels(sources)


def test_vote_with_reference_lets_the_reference_overturn_the_previous_frame():
    prev_labels, ref_labels = np.array([5, 6]), np.array([6, 9])
    prev = np.array([[0.6, 0.4]])  # the one target segment: label 5 from the previous frame
    ref = np.array([[0.0, 1.0]])  # the reference says 9
    calls = []

    def ref_match():
        calls.append(1)
        return ref

    assert vote_with_reference(prev_labels, prev, ref_labels, ref_match, 0.0).tolist() == [5]
    assert vote_with_reference(prev_labels, prev, ref_labels, ref, 0.5).tolist() == [5]  # 0.6 > 0.5
    assert calls == []  # weight 0: the reference's matcher never runs
    assert vote_with_reference(prev_labels, prev, ref_labels, None, 2.0).tolist() == [5]  # t = 0
    assert vote_with_reference(prev_labels, prev, ref_labels, ref_match, 1.0).tolist() == [9]
    assert vote_with_reference(prev_labels, prev, ref_labels, ref, 1.0).tolist() == [9] and calls == [1]
