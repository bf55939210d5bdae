"""Patch-level AP / best F1 / top-k on a hand-made 3 + 3 patch pair."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from benchmark.metrics import (
    average_precision,
    best_f1,
    get_metric,
    list_metrics,
    patch_gt_matrix,
    patch_metrics,
    patch_pr_metrics,
    patch_region_ids,
    patch_topk_accuracy,
)
from dataprep.errors import LinecorrError

# Image A patches a0, a1 in region 1 and a2 in region 2; image B: b0 in 7, b1, b2 in 8.
# GT region matches: 1 <-> 7, 2 <-> 8.
IDS_A, IDS_B, MATCHES = [1, 1, 2], [7, 8, 8], [(1, 7), (2, 8)]
# rows = queries; columns a0 a1 a2 b0 b1 b2
S = np.array(
    [
        [1.0, 0.9, 0.2, 0.8, 0.1, 0.65],  # a0
        [0.9, 1.0, 0.4, 0.2, 0.7, 0.1],  # a1
        [0.3, 0.6, 1.0, 0.1, 0.5, 0.9],  # a2
        [0.7, 0.2, 0.1, 1.0, 0.3, 0.2],  # b0
        [0.1, 0.2, 0.6, 0.3, 1.0, 0.8],  # b1
        [0.2, 0.1, 0.9, 0.4, 0.35, 1.0],  # b2
    ]
)


@pytest.fixture()
def pair():
    gt, valid = patch_gt_matrix(IDS_A, IDS_B, MATCHES)
    return gt, valid


def test_gt_matrix_from_region_ids(pair):
    gt, valid = pair
    expected = np.array(
        [
            [1, 1, 0, 1, 0, 0],
            [1, 1, 0, 1, 0, 0],
            [0, 0, 1, 0, 1, 1],
            [1, 1, 0, 1, 0, 0],
            [0, 0, 1, 0, 1, 1],
            [0, 0, 1, 0, 1, 1],
        ],
        bool,
    )
    assert (gt == expected).all() and valid.all()


def test_patch_region_ids_majority_over_55_percent():
    lm = np.zeros((4, 12), np.int32)
    lm[:, 0:4] = [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 2, 2], [0, 0, 0, 2]]  # 10/16 = 62.5 % -> 1
    lm[:, 4:8] = [[3, 3, 3, 3], [3, 3, 3, 3], [0, 0, 0, 0], [0, 0, 0, 0]]  # 8/16 = 50 % -> none
    lm[:, 8:12] = [[5, 5, 5, 5], [5, 5, 5, 5], [4, 4, 4, 0], [0, 0, 0, 5]]  # 9/16 = 56.25 % -> 5
    assert patch_region_ids(lm, patch_size=4).tolist() == [1, 0, 5]


def test_ap_and_best_f1_on_a_ranked_list():
    # thresholds 0.9: P 1, R 1/2 ; 0.8: P 1/2, R 1/2 ; 0.7: P 2/3, R 1 ; 0.6: P 1/2, R 1
    # AP = 1/2 * 1 + 1/2 * 2/3 = 5/6 ; F1: 2/3, 1/2, 0.8, 2/3 -> best 0.8 at 0.7
    scores, labels = [0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]
    assert average_precision(scores, labels) == pytest.approx(5 / 6)
    assert best_f1(scores, labels) == pytest.approx({"f1": 0.8, "precision": 2 / 3, "recall": 1.0, "threshold": 0.7})
    # ties form one threshold: 0.5 -> P 1/2, R 1/2 ; 0.2 -> P 2/3, R 1 ; AP = 1/4 + 1/3 = 7/12
    assert average_precision([0.5, 0.5, 0.2], [1, 0, 1]) == pytest.approx(7 / 12)
    assert math.isnan(average_precision([0.3, 0.2], [0, 0]))
    assert math.isnan(best_f1([0.3, 0.2], [0, 0])["f1"])


def test_ap_matches_scikit_learn_on_random_scores():
    rng = np.random.default_rng(0)
    for _ in range(10):
        scores = rng.integers(0, 6, 40) / 5.0  # many ties
        labels = rng.random(40) < 0.3
        assert average_precision(scores, labels) == pytest.approx(average_precision_score(labels, scores))


def test_intra_a_is_perfect_and_excludes_the_diagonal(pair):
    gt, valid = pair
    # off-diagonal A-A: positives (a0,a1)=0.9, (a1,a0)=0.9 above every negative (0.6 0.4 0.3 0.2)
    m = patch_pr_metrics(S, gt, valid, "intra_a")
    assert m["ap"] == 1.0 and m["best_f1"] == 1.0 and m["threshold"] == 0.9
    # queries a0, a1 (a2 is alone in region 2: no positive candidate) -> both hit
    assert patch_topk_accuracy(S, gt, valid, "intra_a", k=1) == 1.0


def test_intra_b_hand_computed(pair):
    gt, valid = pair
    # positives (b1,b2)=0.8, (b2,b1)=0.35 ; negatives 0.4, 0.3, 0.3, 0.2
    # 0.8: P 1, R 1/2 ; 0.4: P 1/2, R 1/2 ; 0.35: P 2/3, R 1 -> AP = 1/2 + 1/2 * 2/3 = 5/6
    m = patch_pr_metrics(S, gt, valid, "intra_b")
    assert m["ap"] == pytest.approx(5 / 6)
    # F1 at 0.8: 2/3 ; 0.4: 1/2 ; 0.35: 0.8 ; 0.3: 4/7 ; 0.2: 1/2 -> best 0.8
    assert (m["best_f1"], m["precision"], m["recall"]) == pytest.approx((0.8, 2 / 3, 1.0))
    # b1: positive 0.8 beats b0 (0.3) -> hit ; b2: positive 0.35 < b0 (0.4) -> top-1 miss
    assert patch_topk_accuracy(S, gt, valid, "intra_b", k=1) == pytest.approx(1 / 2)
    assert patch_topk_accuracy(S, gt, valid, "intra_b", k=5) == 1.0


def test_cross_hand_computed(pair):
    gt, valid = pair
    # A->B and B->A pooled: 8 positives 0.9 0.9 0.8 0.7 0.6 0.5 0.2 0.2,
    # 10 negatives 0.7 0.65 0.2 0.2 0.1 x6.
    # threshold: 0.9 P 1 R 2/8 | 0.8 P 1 R 3/8 | 0.7 P 4/5 R 4/8 | 0.65 P 4/6 R 4/8
    #            0.6 P 5/7 R 5/8 | 0.5 P 6/8 R 6/8 | 0.2 P 8/12 R 1 | 0.1 P 8/18 R 1
    # AP = 2/8 + 1/8 + 1/8*4/5 + 0 + 1/8*5/7 + 1/8*6/8 + 2/8*8/12 = 2771/3360
    m = patch_pr_metrics(S, gt, valid, "cross")
    assert m["ap"] == pytest.approx(2771 / 3360)
    # F1 per threshold: .4 .545 .615 .571 .667 .75 .8 .615 -> best 0.8 at 0.2 (P 2/3, R 1)
    assert (m["best_f1"], m["precision"], m["recall"], m["threshold"]) == pytest.approx((0.8, 2 / 3, 1.0, 0.2))
    # all 6 rows are queries; only a1 misses at top-1 (its positive b0 0.2 < negative b1 0.7)
    assert patch_topk_accuracy(S, gt, valid, "cross", k=1) == pytest.approx(5 / 6)
    assert patch_topk_accuracy(S, gt, valid, "cross", k=5) == 1.0
    # one direction only: A->B rows a0 hit, a1 miss, a2 hit
    assert patch_topk_accuracy(S, gt, valid, "cross_ab", k=1) == pytest.approx(2 / 3)


def test_ignored_patches_leave_queries_and_candidates(pair):
    gt, valid = patch_gt_matrix([1, 0, 2], IDS_B, MATCHES)  # a1 has no region
    assert valid.tolist() == [True, False, True, True, True, True]
    # A-A: only (a0,a2)=0.2 and (a2,a0)=0.3, both negative -> undefined
    m = patch_pr_metrics(S, gt, valid, "intra_a")
    assert math.isnan(m["ap"]) and math.isnan(m["best_f1"])
    assert math.isnan(patch_topk_accuracy(S, gt, valid, "intra_a", k=1))
    # cross without a1's row and column:
    # positives 0.9 0.9 0.8 0.7 0.6 0.5, negatives 0.65 0.2 0.1 x4
    # 0.7: P 1 R 4/6 | 0.65: P 4/5 | 0.6: P 5/6 R 5/6 | 0.5: P 6/7 R 1
    # AP = 4/6 + 1/6*5/6 + 1/6*6/7 = 239/252 ; best F1 = 2*(6/7)/(1+6/7) = 12/13 at 0.5
    m = patch_pr_metrics(S, gt, valid, "cross")
    assert m["ap"] == pytest.approx(239 / 252)
    assert (m["best_f1"], m["precision"], m["recall"]) == pytest.approx((12 / 13, 6 / 7, 1.0))
    # the a1 miss is gone: 5 queries, 5 hits
    assert patch_topk_accuracy(S, gt, valid, "cross", k=1) == 1.0


def test_all_right_all_wrong_and_constant_scores(pair):
    gt, valid = pair
    perfect = patch_metrics(gt.astype(float), gt, valid)
    assert all(v == 1.0 for v in perfect.values())
    inverted = patch_pr_metrics(1.0 - gt, gt, valid, "cross")
    # every positive scores 0 below every negative: AP = share of positives = 8/18
    assert inverted["ap"] == pytest.approx(8 / 18)
    assert patch_topk_accuracy(1.0 - gt, gt, valid, "cross", k=1) == 0.0
    # constant similarity: ties count against the model
    assert patch_topk_accuracy(np.full_like(S, 0.5), gt, valid, "cross", k=1) == 0.0


def test_bundle_keys_are_registry_names(pair):
    gt, valid = pair
    bundle = patch_metrics(S, gt, valid)
    assert sorted(bundle) == list_metrics("patch")
    for name, value in bundle.items():
        assert get_metric(name)(S, gt, valid) == pytest.approx(value, nan_ok=True)
    assert bundle["patch/cross/top1"] == pytest.approx(5 / 6)


@pytest.mark.parametrize(
    "call",
    [
        lambda gt: patch_pr_metrics(S[:5, :5], gt[:5, :5]),  # odd size, not 2N
        lambda gt: patch_pr_metrics(S, gt[:4, :4]),  # shape mismatch
        lambda gt: patch_pr_metrics(np.zeros((0, 0)), np.zeros((0, 0))),  # empty
        lambda gt: patch_pr_metrics(np.where(gt, np.nan, S), gt),  # NaN scores
        lambda gt: patch_pr_metrics(S, gt, valid=[True] * 5),  # valid length
        lambda gt: patch_pr_metrics(S, gt, block="diagonal"),  # unknown block
        lambda gt: patch_topk_accuracy(S, gt, k=0),
        lambda gt: patch_region_ids(np.ones((5, 8), np.int32), patch_size=4),  # not a multiple
        lambda gt: patch_gt_matrix([1, 2], [1], []),  # lengths differ
    ],
)
def test_user_errors_raise_linecorr_error(pair, call):
    with pytest.raises(LinecorrError):
        call(pair[0])
