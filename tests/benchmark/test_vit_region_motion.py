"""The motion prior of region matching: the model's patch matches say where each region moved."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.models.vit.region_match import RegionMatchConfig, match_patch_regions
from benchmark.models.vit.region_motion import (
    global_motion,
    ink_patches,
    motion_prior,
    moved_centroids,
    patch_centers,
    region_centroids,
)

G, P = 8, 4  # an 8 x 8 grid of 4-px patches: 32-px images


def shifted_cross(dr: int, dc: int, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """``(N, N)`` cross similarity whose best match of patch (r, c) is (r + dr, c + dc) where that exists."""
    rng = np.random.default_rng(seed)
    cross = rng.uniform(0, noise, (G * G, G * G))
    for r in range(G):
        for c in range(G):
            if 0 <= r + dr < G and 0 <= c + dc < G:
                cross[r * G + c, (r + dr) * G + c + dc] = 1.0
    return cross


def test_global_motion_recovers_a_translation_from_mutual_matches():
    cross = shifted_cross(1, 2)
    every = np.ones(G * G, bool)
    m = global_motion(cross, every, every, P)
    assert m[:, :2] == pytest.approx(np.eye(2), abs=1e-6)
    assert m[:, 2] == pytest.approx([2 * P, 1 * P], abs=1e-6)  # (x, y) in px
    # Too few usable patches: the identity, not a fit to noise.
    few = np.zeros(G * G, bool)
    few[:3] = True
    assert global_motion(cross, few, every, P) == pytest.approx(np.hstack([np.eye(2), np.zeros((2, 1))]))


def test_region_centroids_skip_ink_and_ink_patches_are_found():
    m = np.zeros((32, 32), np.int32)
    m[:8, :8] = 1  # patches (0, 0), (0, 1), (1, 0), (1, 1)
    m[20:24, 20:28] = 2
    c, area = region_centroids(m, 3)
    assert c[0].tolist() == [4.0, 4.0] and c[1].tolist() == [24.0, 22.0]
    assert area.tolist() == [64, 32, 0]
    ink = ink_patches(m, P)
    assert not ink[0] and ink[G * G - 1]  # patch 0 is all region 1; the last is all 0 (ink)


def test_a_region_with_enough_patches_follows_its_own_matches():
    cross = shifted_cross(0, 1)  # the image moves one patch right ...
    patch_region = np.zeros(G * G, int)
    big = [r * G + c for r in (4, 5) for c in (1, 2)]
    patch_region[big] = 1  # ... but region 1's four patches match two patches down, one left
    for i in big:
        cross[i] = 0
        cross[i, i + 2 * G - 1] = 1
    patch_region[0] = 2  # region 2 has one patch: it follows the global motion
    centroids = np.array([[12.0, 20.0], [2.0, 2.0]])
    shift = np.array([[1.0, 0, 10.0], [0, 1.0, 0]])  # a global motion of 10 px right
    moved = moved_centroids(centroids, patch_region, cross, np.ones(G * G, bool), shift, P, min_patches=2)
    assert moved[0].tolist() == [12.0 - P, 20.0 + 2 * P]
    assert moved[1].tolist() == [12.0, 2.0]


def two_region_maps() -> np.ndarray:
    """``(32, 32)``: region 1 on the left, region 2 on the right, an ink stroke between them."""
    m = np.ones((32, 32), np.int32)
    m[:, 17:] = 2
    m[:, 15:17] = 0
    return m


def test_the_prior_overrules_an_eq5_mean_that_neighbours_dominate():
    # Each patch's best match is itself (the model knows where things are), but every patch of one
    # region is fairly similar to all the patches of the *other* region, so the eq.-5 means prefer
    # the wrong partner: the case of a small region whose patches it shares with a neighbour.
    n = G * G
    pr = np.where(np.arange(n) % G < G // 2, 1, 2)
    cross = np.where(pr[:, None] != pr[None, :], 0.9, 0.5)
    np.fill_diagonal(cross, 1.0)
    sim = np.block([[np.ones((n, n)), cross], [cross.T, np.ones((n, n))]])
    m = two_region_maps()
    plain, _, _ = match_patch_regions(sim, pr, pr, RegionMatchConfig(threshold=0.3, max_matches=1), m, m, P)
    assert plain.tolist() == [[1, 2], [2, 1]]
    cfg = RegionMatchConfig(threshold=0.3, max_matches=1, position_sigma=0.1)
    got, s_ab, _ = match_patch_regions(sim, pr, pr, cfg, m, m, P, valid=np.ones(2 * n, bool))
    assert got.tolist() == [[1, 1], [2, 2]]
    assert s_ab[0, 0] > s_ab[0, 1] and s_ab[1, 1] > s_ab[1, 0]
    with pytest.raises(ValueError, match="region maps"):
        match_patch_regions(sim, pr, pr, cfg)


def test_the_area_factor_prefers_the_partner_of_like_size():
    m = two_region_maps()
    mb = m.copy()
    mb[:16, 17:] = 3  # B's right half is split: region 3 is half the size of A's region 2
    n = G * G
    pa = np.where(np.arange(n) % G < G // 2, 1, 2)
    pb = pa.copy()
    pb[(np.arange(n) % G >= G // 2) & (np.arange(n) // G < G // 2)] = 3
    sim_ab = np.ones((n, n))
    prior_ab, prior_ba = motion_prior(sim_ab, sim_ab, m, mb, pa, pb, P, position_sigma=0.0, area_sigma=0.5)
    assert prior_ab.shape == (2, 3) and prior_ba.shape == (3, 2)
    # A2 (half the image) -> B2 or B3 (a quarter each): penalised alike; A1 -> B1 (same size) not at all.
    assert prior_ab[1, 1] == pytest.approx(prior_ab[1, 2]) and prior_ab[1, 1] < 0.5
    assert prior_ab[0, 0] == pytest.approx(1.0)
    assert prior_ab[0, 0] > prior_ab[0, 1]
    assert np.allclose(prior_ba, prior_ab.T)
    # Regions without pixels (all ink) have no position or area: factor 1.
    prior_ab, _ = motion_prior(sim_ab, sim_ab, m, mb, pa, pb, P, 0.1, 0.5, n_regions=(3, 3))
    assert prior_ab[2].tolist() == [1.0, 1.0, 1.0]


def test_patch_centers_are_row_major_pixel_centres():
    xy = patch_centers(2, 4)
    assert xy.tolist() == [[2, 2], [6, 2], [2, 6], [6, 6]]


def test_unusable_match_and_post_values_are_one_line_errors():
    from benchmark.models.vit.postprocess import PostprocessConfig, check_post_config
    from benchmark.models.vit.region_match import check_match_config
    from dataprep.errors import LinecorrError

    ok = RegionMatchConfig(position_sigma=0.02, area_sigma=1.0)
    assert check_match_config(ok) is ok
    for bad, text in ((RegionMatchConfig(weighting="area"), "match.weighting"),
                      (RegionMatchConfig(position_sigma=-0.1), "match.position_sigma"),
                      (RegionMatchConfig(area_sigma=-1), "match.area_sigma"),
                      (RegionMatchConfig(max_matches=-2), "match.max_matches")):
        with pytest.raises(LinecorrError, match=text):
            check_match_config(bad)
    with pytest.raises(LinecorrError, match="post.linkage"):
        check_post_config(PostprocessConfig(linkage="complete"))
    with pytest.raises(LinecorrError, match="post.enclosed_min"):
        check_post_config(PostprocessConfig(enclosed_min=-1))
