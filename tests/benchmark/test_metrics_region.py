"""Region-level ARI / mIoU / cluster ratio / purity-based precision and recall, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from benchmark.metrics import (
    adjusted_rand_index,
    cluster_ratio,
    get_metric,
    image_region_metrics,
    miou_gt_to_pred,
    miou_pred_to_gt,
    region_match_scores,
    region_metrics,
    region_purity,
)
from dataprep.errors import LinecorrError

# Image A: GT segments 1 (4 px), 2 (3 px), 3 (2 px); column 2 is line. Prediction merges 1 and 3
# into region 5 (6 px) and finds segment 2 as region 6 (it also covers one line pixel).
GT_A = np.array([[1, 1, 0, 2], [1, 1, 0, 2], [3, 3, 0, 2]])
PRED_A = np.array([[5, 5, 5, 6], [5, 5, 5, 6], [5, 5, 6, 6]])
# Image B: GT segments 1 (6 px), 2 (3 px). Prediction splits 1 into 7 (5 px) and 9 (1 px).
GT_B = np.array([[1, 1, 0, 2], [1, 1, 0, 2], [1, 1, 0, 2]])
PRED_B = np.array([[7, 7, 0, 8], [7, 7, 0, 8], [7, 9, 0, 8]])
GT_MATCHES = [(1, 1), (2, 2), (3, 1)]
PRED_MATCHES = [(5, 7), (6, 8), (6, 9)]


def test_ari_hand_computed():
    # 9 evaluated pixels, C(9,2) = 36 pairs. Cells: (5,1)=4, (5,3)=2, (6,2)=3
    # index = C(4,2)+C(2,2)+C(3,2) = 6+1+3 = 10 ; pred sums C(6,2)+C(3,2) = 18 ;
    # GT sums C(4,2)+C(3,2)+C(2,2) = 10 ; expected = 18*10/36 = 5 ; max = (18+10)/2 = 14
    # ARI = (10-5)/(14-5) = 5/9
    assert adjusted_rand_index(PRED_A, GT_A) == pytest.approx(5 / 9)
    evaluated = GT_A != 0
    assert adjusted_rand_score(GT_A[evaluated], PRED_A[evaluated]) == pytest.approx(5 / 9)


def test_ari_matches_scikit_learn_including_special_cases():
    rng = np.random.default_rng(1)
    for _ in range(10):
        gt = rng.integers(0, 5, (12, 12))
        pred = rng.integers(0, 4, (12, 12)) * 1_000_003 - 7  # large and negative ids
        ev = gt != 0
        assert adjusted_rand_index(pred, gt) == pytest.approx(adjusted_rand_score(gt[ev], pred[ev]))
    one = np.ones((3, 3), int)
    assert adjusted_rand_index(one * 4, one) == 1.0  # one cluster each: identical
    singletons = np.arange(1, 10).reshape(3, 3)
    assert adjusted_rand_index(singletons + 10, singletons) == 1.0  # all singletons: identical
    assert adjusted_rand_index(one, singletons) == pytest.approx(0.0)


def test_miou_both_directions_and_cluster_ratio():
    # IoU(5,1) = 4/(6+4-4) = 2/3 ; IoU(5,3) = 2/(6+2-2) = 1/3 ; IoU(6,2) = 3/(3+3-3) = 1
    # P->G: region 5 -> 2/3, region 6 -> 1 ; mean 5/6
    assert miou_pred_to_gt(PRED_A, GT_A) == pytest.approx(5 / 6)
    # G->P: seg 1 -> 2/3, seg 2 -> 1, seg 3 -> 1/3 ; mean 2/3
    assert miou_gt_to_pred(PRED_A, GT_A) == pytest.approx(2 / 3)
    # 2 predicted regions / 3 GT segments (under-segmented)
    assert cluster_ratio(PRED_A, GT_A) == pytest.approx(2 / 3)
    # B: 3 predicted / 2 GT (over-segmented); IoU(7,1) = 5/6, IoU(9,1) = 1/6, IoU(8,2) = 1
    assert cluster_ratio(PRED_B, GT_B) == pytest.approx(3 / 2)
    assert miou_pred_to_gt(PRED_B, GT_B) == pytest.approx((5 / 6 + 1 / 6 + 1) / 3)
    assert miou_gt_to_pred(PRED_B, GT_B) == pytest.approx((5 / 6 + 1) / 2)


def test_unassigned_prediction_is_not_a_region():
    gt = np.array([[1, 1, 1], [2, 2, 2]])
    pred = np.array([[1, 0, 0], [2, 2, 2]])  # two pixels of segment 1 left unassigned
    # P->G over regions 1, 2 only: IoU(1, seg1) = 1/3, IoU(2, seg2) = 1 -> 2/3
    assert miou_pred_to_gt(pred, gt) == pytest.approx(2 / 3)
    # G->P: seg1's best *region* is 1 (1/3), not the unassigned 0 (2/3) ; seg2 -> 1 ; mean 2/3
    assert miou_gt_to_pred(pred, gt) == pytest.approx(2 / 3)
    assert cluster_ratio(pred, gt) == 1.0  # 2 regions / 2 segments
    assert math.isnan(miou_pred_to_gt(np.zeros_like(gt), gt))  # no predicted region at all
    assert miou_gt_to_pred(np.zeros_like(gt), gt) == 0.0


def test_purity_uses_evaluated_pixels():
    # region 5: 4 of its 6 evaluated pixels in seg 1 -> 2/3 ; region 6: 3/3 in seg 2 (its pixel
    # on the GT line is not evaluated)
    pur = region_purity(PRED_A, GT_A)
    assert pur == {5: (1, pytest.approx(2 / 3)), 6: (2, 1.0)}


def test_region_precision_recall_hand_computed():
    s = region_match_scores(PRED_A, PRED_B, PRED_MATCHES, GT_A, GT_B, GT_MATCHES)
    # (5,7): region 5 has purity 2/3 <= 0.8 -> not pure, left out
    # (6,8): pure, dominant (2,2) is a GT match -> correct
    # (6,9): pure, dominant (2,1) is not a GT match -> wrong
    assert s["n_pure_pairs"] == 2 and s["n_correct"] == 1
    assert s["precision"] == pytest.approx(1 / 2)
    # GT pairs (1,1), (2,2), (3,1): only (2,2) recovered -> 1/3
    assert s["recall"] == pytest.approx(1 / 3)
    strict = region_match_scores(PRED_A, PRED_B, PRED_MATCHES, GT_A, GT_B, GT_MATCHES, strict=True)
    assert strict["precision"] == pytest.approx(1 / 3)  # 1 correct of all 3 predicted pairs
    # a lower purity bar lets (5,7) in: dominant (1,1) is a GT match -> 2 correct of 3 pure
    loose = region_match_scores(PRED_A, PRED_B, PRED_MATCHES, GT_A, GT_B, GT_MATCHES, purity_threshold=0.5)
    assert (loose["precision"], loose["recall"]) == pytest.approx((2 / 3, 2 / 3))


def test_region_perfect_empty_and_duplicate_matches():
    perfect = region_match_scores(GT_A, GT_B, GT_MATCHES, GT_A, GT_B, GT_MATCHES)
    assert perfect["precision"] == 1.0 and perfect["recall"] == 1.0
    dup = region_match_scores(GT_A, GT_B, GT_MATCHES + [(1, 1)], GT_A, GT_B, GT_MATCHES)
    assert dup["n_pred_pairs"] == 3  # the repeated pair counts once
    empty = region_match_scores(PRED_A, PRED_B, [], GT_A, GT_B, GT_MATCHES)
    assert math.isnan(empty["precision"]) and empty["recall"] == 0.0
    no_gt = region_match_scores(GT_A, GT_B, [(1, 1)], GT_A, GT_B, [])
    assert no_gt["precision"] == 0.0 and math.isnan(no_gt["recall"])
    # all wrong: every pure pair points at a non-matched GT pair
    wrong = region_match_scores(GT_A, GT_B, [(1, 2), (2, 1)], GT_A, GT_B, GT_MATCHES)
    assert wrong["precision"] == 0.0 and wrong["recall"] == 0.0


def test_bundles_and_registry_agree():
    table = region_metrics(PRED_A, PRED_B, PRED_MATCHES, GT_A, GT_B, GT_MATCHES)
    assert table["intra_a"] == pytest.approx(
        {"region/ari": 5 / 9, "region/miou_p2g": 5 / 6, "region/miou_g2p": 2 / 3, "region/cluster_ratio": 2 / 3}
    )
    assert table["intra_b"] == image_region_metrics(PRED_B, GT_B)
    for name, value in table["intra_a"].items():
        assert get_metric(name)(PRED_A, GT_A) == pytest.approx(value)
    for name, value in table["cross"].items():
        fn = get_metric(name)
        assert fn(PRED_A, PRED_B, PRED_MATCHES, GT_A, GT_B, GT_MATCHES) == pytest.approx(value)
    assert table["cross"] == pytest.approx({"region/precision": 1 / 2, "region/recall": 1 / 3})


@pytest.mark.parametrize(
    "call",
    [
        lambda: adjusted_rand_index(PRED_A[:2], GT_A),  # shape mismatch
        lambda: adjusted_rand_index(PRED_A, np.zeros_like(GT_A)),  # no non-line pixel
        lambda: adjusted_rand_index(PRED_A.ravel(), GT_A.ravel()),  # not (H, W)
        lambda: cluster_ratio(PRED_A.astype(float), GT_A),  # float map
        lambda: miou_pred_to_gt(np.zeros((0, 0), int), np.zeros((0, 0), int)),  # empty
        lambda: region_match_scores(PRED_A, PRED_B, [(42, 7)], GT_A, GT_B, GT_MATCHES),
        lambda: region_match_scores(PRED_A, PRED_B, PRED_MATCHES, GT_A, GT_B, [(1, 9)]),
        lambda: region_match_scores(PRED_A, PRED_B, [(5, 7, 1)], GT_A, GT_B, GT_MATCHES),
    ],
)
def test_user_errors_raise_linecorr_error(call):
    with pytest.raises(LinecorrError):
        call()
