"""Eq. 5 region similarity and the threshold-based greedy matcher (both ways + union)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.models.vit.region_match import (
    RegionMatchConfig,
    greedy_direction,
    match_patch_regions,
    match_regions,
    membership,
    normalized_similarity,
    pixel_membership,
    region_similarity,
)


def test_eq5_is_the_mean_over_both_patch_sets():
    # A has patches 0,1 (region 1) and 2 (region 2); B has patches 0 (region 1) and 1,2 (region 2)
    sim_ab = np.array([[0.9, 0.1, 0.2],
                       [0.7, 0.3, 0.0],
                       [0.0, 0.6, 0.8]])
    ma = membership(np.array([1, 1, 2]), 2)
    mb = membership(np.array([1, 2, 2]), 2)
    s = region_similarity(sim_ab, ma, mb)
    assert s[0, 0] == pytest.approx((0.9 + 0.7) / 2)
    assert s[0, 1] == pytest.approx((0.1 + 0.2 + 0.3 + 0.0) / 4)
    assert s[1, 0] == pytest.approx(0.0)
    assert s[1, 1] == pytest.approx((0.6 + 0.8) / 2)


def test_regions_without_patches_score_zero_and_id_zero_is_no_region():
    m = membership(np.array([0, 2, 2]), 3)  # region 1 has no patch, patch 0 has no region
    assert m.tolist() == [[0, 0, 0], [0, 1, 1], [0, 0, 0]]
    s = region_similarity(np.ones((3, 2)), m, membership(np.array([1, 1]), 1))
    assert s[:, 0].tolist() == [0.0, 1.0, 0.0]


def test_pixel_membership_is_each_regions_pixel_share_per_patch():
    regions = np.zeros((4, 4), np.int32)  # 2 x 2 patches of 2 px
    regions[:2, :2] = 1  # region 1 fills patch 0
    regions[2:, :] = 2  # region 2 fills patches 2 and 3 ...
    regions[1, 3] = 2  # ... and one pixel of patch 1 (the rest of patch 1 is ink, 0)
    m = pixel_membership(regions, 2, 3)
    assert m.shape == (3, 4)
    assert m[0].tolist() == [1, 0, 0, 0]
    assert m[1].tolist() == pytest.approx([0, 1 / 9, 4 / 9, 4 / 9])
    assert m[2].tolist() == [0, 0, 0, 0]  # region 3 has no pixel
    with pytest.raises(ValueError, match="weighting"):
        match_patch_regions(np.ones((8, 8)), np.ones(4, int), np.ones(4, int), RegionMatchConfig(weighting="area"))
    with pytest.raises(ValueError, match="region maps"):
        match_patch_regions(np.ones((8, 8)), np.ones(4, int), np.ones(4, int), RegionMatchConfig(weighting="pixels"))


def test_greedy_direction_thresholds_and_keeps_the_best_first():
    sim = np.array([[0.2, 0.9, 0.5],
                    [0.1, 0.1, 0.1]])
    assert greedy_direction(sim, 0.3) == [(0, 1), (0, 2)]
    assert greedy_direction(sim, 0.3, max_matches=1) == [(0, 1)]
    assert greedy_direction(sim, 0.95) == []


def test_matching_is_the_union_of_both_directions():
    # A->B: region 0 likes B0 best, then B1; B->A: B1 likes A1 only
    s_ab = np.array([[0.9, 0.8],
                     [0.1, 0.2]])
    s_ba = np.array([[0.9, 0.1],
                     [0.3, 0.7]])
    got = match_regions(s_ab, s_ba, RegionMatchConfig(threshold=0.5, max_matches=1))
    assert got.tolist() == [[0, 0], [1, 1]]  # forward (0,0); backward (0,0) and (1,1)
    got = match_regions(s_ab, s_ba, RegionMatchConfig(threshold=0.5, max_matches=0))
    assert got.tolist() == [[0, 0], [0, 1], [1, 1]]  # forward adds (0,1) when uncapped


def test_normalized_similarity_is_s_over_its_diagonal():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(6, 4))
    f /= np.linalg.norm(f, axis=1, keepdims=True)
    cos = f @ f.T
    tau = 0.2
    s = np.exp(cos / tau)
    s /= s.sum(1, keepdims=True)  # the paper's row-softmax S
    got = normalized_similarity(cos, tau)
    assert np.allclose(got, s / np.diag(s)[:, None])
    assert np.allclose(np.diag(got), 1.0) and got.max() <= 1.0 + 1e-12


def test_match_patch_regions_returns_region_ids():
    # 2 patches per image: A = [r1, r2], B = [r1, r2]; A's r2 looks like B's r1 only
    sim = np.array([[1.0, 0.0, 0.9, 0.0],
                    [0.0, 1.0, 0.8, 0.1],
                    [0.9, 0.8, 1.0, 0.0],
                    [0.0, 0.1, 0.0, 1.0]])
    m, s_ab, s_ba = match_patch_regions(sim, np.array([1, 2]), np.array([1, 2]),
                                        RegionMatchConfig(threshold=0.5, max_matches=0))
    assert m.tolist() == [[1, 1], [2, 1]]
    assert s_ab.shape == (2, 2) and s_ba.shape == (2, 2)
