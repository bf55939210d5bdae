"""G construction (55 % rule, intra same region, cross matched regions) and the eq.-4 sampled loss."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from benchmark.models.vit.inputs import letterbox_for, patch_targets
from benchmark.models.vit.losses import contrastive_nll, patch_contrastive_loss, sample_pairs


def _maps():
    """Two 32x32 frames of 2x2 patches (16 px). A: region 5 fills patches 0, 1; region 6 covers
    patch 2 fully; patch 3 is half 6, half 7 (no majority > 55 %). B: region 9 in patches 0-2, 8 in 3."""
    a = np.zeros((32, 32), np.int32)
    a[:16, :] = 5
    a[16:, :16] = 6
    a[16:, 16:24] = 6
    a[16:, 24:] = 7
    b = np.full((32, 32), 9, np.int32)
    b[16:, 16:] = 8
    return a, b


def test_gt_matrix_from_region_ids_and_matches():
    a, b = _maps()
    ids_a, ids_b, gt = patch_targets(a, b, np.array([[5, 9], [7, 8]]), 16)
    assert ids_a.tolist() == [5, 5, 6, 0]
    assert ids_b.tolist() == [9, 9, 9, 8]
    expect = np.zeros((8, 8), bool)
    expect[0:2, 0:2] = True  # A: region 5
    expect[2, 2] = True  # A: region 6
    expect[4:7, 4:7] = True  # B: region 9
    expect[7, 7] = True
    expect[0:2, 4:7] = expect[4:7, 0:2] = True  # 5 <-> 9; 7 <-> 8 names no patch with a region of A
    assert (gt == expect).all()


def test_55_percent_rule_counts_line_pixels_in_the_patch_area():
    a = np.zeros((16, 16), np.int32)
    a[:, :9] = 3  # 9/16 = 56 % -> region 3
    b = a.copy()
    b[0, :9] = 0  # a line row: 135/256 = 52.7 % -> no region
    ids_a, ids_b, _ = patch_targets(a, b, np.zeros((0, 2)), 16)
    assert ids_a.tolist() == [3] and ids_b.tolist() == [0]


def test_letterbox_pads_non_square_frames():
    box = letterbox_for((30, 60), 64, 16)
    assert box.content == (32, 64)
    assert box.patch_valid().reshape(4, 4)[:, 0].tolist() == [True, True, False, False]
    lab = np.arange(1, 30 * 60 + 1, dtype=np.int32).reshape(30, 60)
    assert box.labels(lab)[40:].max() == 0  # padding carries no region
    assert box.to_frame(box.labels(lab)).shape == (30, 60)
    line = np.zeros((30, 60), np.uint8)
    assert box.line(line)[40:].min() == 1.0  # padding is paper


def test_contrastive_nll_by_hand():
    cos = torch.tensor([[1.0, 0.5, 0.0],
                        [0.5, 1.0, -0.5],
                        [0.0, -0.5, 1.0]])
    loss, win = contrastive_nll(cos, torch.tensor([0, 1]), torch.tensor([1, 0]), torch.tensor([[2, 2], [2, 2]]), 0.5)
    # row 0: positive 0.5, negatives 0.0, 0.0 -> -log(e^1 / (e^1 + 2 e^0))
    assert loss[0].item() == pytest.approx(-math.log(math.e / (math.e + 2)), rel=1e-6)
    # row 1: positive 0.5, negatives -0.5, -0.5 -> -log(e^1 / (e^1 + 2 e^-1))
    assert loss[1].item() == pytest.approx(-math.log(math.e / (math.e + 2 / math.e)), rel=1e-6)
    assert win.tolist() == [True, True]
    loss_hot, _ = contrastive_nll(cos, torch.tensor([0]), torch.tensor([1]), torch.tensor([[2, 2]]), 0.05)
    assert loss_hot.item() < loss[0].item()  # a colder temperature sharpens a correct ranking


def test_sampling_draws_positives_from_g_and_negatives_outside_it():
    a, b = _maps()
    _, _, gt = patch_targets(a, b, np.array([[5, 9], [6, 8]]), 16)
    gt_t = torch.from_numpy(gt)
    valid = torch.tensor([True, True, True, False, True, True, True, True])
    g = torch.Generator().manual_seed(0)
    anc, pos, neg = sample_pairs(gt_t, valid, positives=1000, negatives=16, generator=g)
    assert anc.numel() == int((gt & ~np.eye(8, dtype=bool)).sum())  # fewer than asked: all of them, no diagonal
    assert gt[anc.numpy(), pos.numpy()].all() and (anc != pos).all()
    assert not gt[anc.numpy()[:, None], neg.numpy()].any()
    assert valid[neg].all() and valid[anc].all()
    anc2, _, _ = sample_pairs(gt_t, valid, positives=4, negatives=2, generator=g)
    assert anc2.numel() == 4
    # cross_share: all drawn positives cross-image
    a3, p3, _ = sample_pairs(gt_t, valid, positives=4, negatives=2, generator=g, cross_share=1.0)
    assert ((a3 < 4) != (p3 < 4)).all()
    # rows: anchors uniform over patches, so region 9's three B patches do not outweigh A's patch 2
    a4, p4, n4 = sample_pairs(gt_t, valid, positives=4000, negatives=2, generator=g, sampling="rows")
    assert a4.numel() == 4000 and gt[a4.numpy(), p4.numpy()].all() and not gt[a4.numpy()[:, None], n4.numpy()].any()
    counts = np.bincount(a4.numpy(), minlength=8)
    rows_with_pos = (gt & ~np.eye(8, dtype=bool))[:, valid.numpy()].any(1) & valid.numpy()
    assert (counts[~rows_with_pos] == 0).all()
    share = counts[rows_with_pos] / 4000
    assert np.allclose(share, 1 / rows_with_pos.sum(), atol=0.03)
    with pytest.raises(ValueError):
        sample_pairs(gt_t, valid, 4, 2, sampling="nope")


def test_loss_prefers_features_that_agree_with_g():
    a, b = _maps()
    _, _, gt = patch_targets(a, b, np.array([[5, 9], [6, 8]]), 16)
    gt_t = torch.from_numpy(gt)[None]
    valid = torch.from_numpy(gt.any(1))[None]
    good = torch.from_numpy(np.where(gt, 1.0, -1.0)).float()[None]  # cos = +1 on G, -1 elsewhere
    bad = -good
    torch.manual_seed(0)
    lg = patch_contrastive_loss(good, gt_t, valid, 0.1, positives=64, negatives=8)
    lb = patch_contrastive_loss(bad, gt_t, valid, 0.1, positives=64, negatives=8)
    assert lg.forward < 1e-3 and lb.forward > 10 and lg.accuracy == 1.0 and lb.accuracy == 0.0
    empty = patch_contrastive_loss(good, torch.zeros_like(gt_t), valid, 0.1)
    assert math.isnan(empty.forward) and empty.loss.item() == 0.0
