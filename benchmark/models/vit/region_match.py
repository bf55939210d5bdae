"""Cross-image region matching (paper: "Cross-Image Region Matching", eq. 5).

For regions ``R_i`` of A and ``R_j`` of B (sets of patches, from the majority vote of the
post-processing), the directional similarity is the mean cross-image patch similarity

    s(R_i, R_j) = 1 / (|R_i| |R_j|) * sum_{p in R_i} sum_{q in R_j} S_ab[p, q]        (eq. 5)

and ``s(R_j, R_i)`` the same with ``S_ba``. Matching is threshold-based and greedy in both
directions: every region of A takes the regions of B whose similarity exceeds ``threshold``, best
first, at most ``max_matches`` of them (0 = all); likewise every region of B; the result is the
union of the two sets.

Which S: the paper's S is a row-wise softmax over all 2N patches, so its entries shrink with the
size of a patch's region (a row spreads one unit of mass over all similar patches) and no single
threshold fits big and small regions. We use it rescaled row by row by its diagonal,
``S[p, q] / S[p, p] = exp((C_pq - 1) / tau)`` in (0, 1] (:func:`normalized_similarity`): the
ranking within every row is S's, 1 means "as similar as the patch to itself", and one threshold
serves every region. It is symmetric, so ``S_ab`` and ``S_ba`` give the same eq. 5 scores; the two
greedy directions still differ when ``max_matches`` caps them (each side keeps its own best).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.models.vit.inputs import letterbox_for, segment_patch_weights
from benchmark.models.vit.region_motion import motion_prior
from dataprep.config import check_values


@dataclass
class RegionMatchConfig:
    """Settings of :func:`match_regions`."""

    threshold: float = 0.02  # a region pair matches when its eq.-5 similarity exceeds this (normalised S; tuned, tiny)
    max_matches: int = 2  # per region and direction, keep at most this many best partners (0 = all above threshold)
    # Which patches make up a region in eq. 5: "vote" = those it wins by majority vote (the paper);
    # "pixels" = every patch it touches, weighted by the share of its pixels there, so a region
    # smaller than a patch (post.enclosed_min) still has a similarity.
    weighting: str = "vote"
    # Motion prior (``region_motion``; not in the paper; 0 = off): each pair's eq.-5 score is also
    # weighted by exp(-d^2 / 2 sigma^2), d = distance (a fraction of the input side) between B's
    # region and where the model's own patch matches carry A's region (and back). It separates
    # small neighbouring regions, whose eq.-5 scores are alike because they share patches.
    position_sigma: float = 0.0
    area_sigma: float = 0.0  # with the motion prior: also weighted by their log-area ratio, this sigma (0 = off)


#: Values of ``RegionMatchConfig.weighting``.
WEIGHTINGS = ("vote", "pixels")


def check_match_config(cfg: RegionMatchConfig) -> RegionMatchConfig:
    """``cfg`` when its values are usable (``dataprep.config.check_values``: a known weighting, no
    negative sigma or cap); raises ``LinecorrError`` otherwise."""
    return check_values(cfg, "match", {"weighting": WEIGHTINGS}, ("position_sigma", "area_sigma", "max_matches"))


def normalized_similarity(cos: np.ndarray, temperature: float) -> np.ndarray:
    """``S[p, q] / S[p, p] = exp((C_pq - C_pp) / tau)``: S rescaled by its diagonal, in (0, 1].

    Args:
        cos: ``(2N, 2N)`` cosine matrix (unit features: ``C_pp = 1``).
        temperature: tau of ``S = softmax(C / tau)``.
    """
    c = np.asarray(cos, np.float32)
    return np.exp((c - np.diag(c)[:, None]) / np.float32(temperature))


def membership(patch_region: np.ndarray, n_regions: int) -> np.ndarray:
    """``(R, N) float64`` 0/1 matrix: row r marks the patches of region r + 1 (id 0 = none)."""
    m = np.zeros((n_regions, patch_region.size))
    ok = patch_region > 0
    m[patch_region[ok] - 1, np.flatnonzero(ok)] = 1.0
    return m


def pixel_membership(regions: np.ndarray, patch: int, n_regions: int) -> np.ndarray:
    """``(R, N) float64`` share of each region's pixels in each patch (rows sum to 1; 0 rows for
    regions without pixels): :func:`~benchmark.models.vit.inputs.segment_patch_weights` of the
    model-resolution map, whose letterbox is the identity.

    Args:
        regions: ``(S, S) int`` region ids 1..R at model resolution, 0 = ink (counted nowhere).
        patch: p (S divisible by p).
        n_regions: R (at least ``regions.max()``).
    """
    ids = np.arange(1, n_regions + 1)
    return segment_patch_weights(regions, ids, letterbox_for(regions.shape, regions.shape[0], patch))


def region_similarity(sim_ab: np.ndarray, member_a: np.ndarray, member_b: np.ndarray) -> np.ndarray:
    """Eq. 5 for every region pair, from weights.

    Args:
        sim_ab: ``(N_a, N_b)`` patch similarity from A's patches (rows) to B's (columns).
        member_a: ``(R_a, N_a)`` non-negative patch weights of each region of A (0/1 in the paper).
        member_b: ``(R_b, N_b)`` same for B.

    Returns:
        ``(R_a, R_b)``: the weighted mean of ``sim_ab`` over ``R_i x R_j`` (0 for a region without
        patches).
    """
    num = member_a @ sim_ab @ member_b.T
    den = member_a.sum(1)[:, None] * member_b.sum(1)[None, :]
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def greedy_direction(sim: np.ndarray, threshold: float, max_matches: int = 0) -> list[tuple[int, int]]:
    """For every row, the columns above ``threshold``, best first, at most ``max_matches`` (0 = all).

    Returns:
        ``(row, column)`` index pairs.
    """
    out = []
    for i, row in enumerate(sim):
        cols = np.flatnonzero(row > threshold)
        cols = cols[np.argsort(-row[cols], kind="stable")]
        if max_matches > 0:
            cols = cols[:max_matches]
        out += [(i, int(j)) for j in cols]
    return out


def match_regions(s_ab: np.ndarray, s_ba: np.ndarray, cfg: RegionMatchConfig | None = None) -> np.ndarray:
    """Both greedy directions and their union.

    Args:
        s_ab: ``(R_a, R_b)`` eq.-5 similarities from A's regions to B's.
        s_ba: ``(R_b, R_a)`` from B's regions to A's.

    Returns:
        ``(K, 2) int64`` region *indices* ``(i, j)`` (0-based rows of ``s_ab``), sorted, unique.
    """
    cfg = cfg or RegionMatchConfig()
    fwd = greedy_direction(s_ab, cfg.threshold, cfg.max_matches)
    bwd = [(i, j) for j, i in greedy_direction(s_ba, cfg.threshold, cfg.max_matches)]
    pairs = sorted(set(fwd) | set(bwd))
    return np.array(pairs, np.int64).reshape(-1, 2)


def match_patch_regions(sim: np.ndarray, region_a: np.ndarray, region_b: np.ndarray,
                        cfg: RegionMatchConfig | None = None, map_a: np.ndarray | None = None,
                        map_b: np.ndarray | None = None, patch: int = 16,
                        valid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eq. 5 + greedy matching from the full normalised matrix and the patch region ids.

    Args:
        sim: ``(2N, 2N)`` normalised patch similarity (A first).
        region_a, region_b: ``(N,) int`` region id (1..R) of each patch, 0 = none.
        map_a, map_b: ``(S, S) int`` model-resolution region maps (0 = ink), needed for
            ``cfg.weighting == "pixels"`` and for the motion prior.
        patch: p, for ``"pixels"`` and the motion prior.
        valid: ``(2N,) bool`` patches inside the frames (not letterbox padding), for the motion
            prior; None = all.

    Returns:
        ``matches`` ``(K, 2) int64`` region *ids* (A, B), ``s_ab`` ``(R_a, R_b)``, ``s_ba`` ``(R_b, R_a)``.
    """
    cfg = cfg or RegionMatchConfig()
    n = region_a.size
    if cfg.weighting == "pixels":
        if map_a is None or map_b is None:
            raise ValueError("match.weighting=pixels needs the region maps")
        ra, rb = int(map_a.max(initial=0)), int(map_b.max(initial=0))
        ma, mb = pixel_membership(map_a, patch, ra), pixel_membership(map_b, patch, rb)
    elif cfg.weighting == "vote":
        ra, rb = int(region_a.max(initial=0)), int(region_b.max(initial=0))
        ma, mb = membership(region_a, ra), membership(region_b, rb)
    else:
        raise ValueError(f"match.weighting must be one of {', '.join(WEIGHTINGS)}, got {cfg.weighting!r}")
    s_ab = region_similarity(sim[:n, n:], ma, mb)
    s_ba = region_similarity(sim[n:, :n], mb, ma)
    if cfg.position_sigma > 0 or cfg.area_sigma > 0:
        if map_a is None or map_b is None:
            raise ValueError("the motion prior (match.position_sigma / match.area_sigma) needs the region maps")
        prior_ab, prior_ba = motion_prior(sim[:n, n:], sim[n:, :n], map_a, map_b, region_a, region_b, patch,
                                          cfg.position_sigma, cfg.area_sigma,
                                          valid=None if valid is None else (valid[:n], valid[n:]),
                                          n_regions=s_ab.shape)
        s_ab, s_ba = s_ab * prior_ab, s_ba * prior_ba
    return match_regions(s_ab, s_ba, cfg) + 1, s_ab, s_ba
