"""Where the model's own patch matches carry each region: a motion prior for region matching.

Not in the paper. Eq. 5 (``region_match``) scores a region pair by the mean patch similarity over
the two regions' patches. A region smaller than a patch or two shares its patches with its
neighbours, so it inherits their similarities and cannot be told from them: on `extracted` line
art, trapped-ball regions matched by eq. 5 score below regions matched by their aligned position
alone (docs/PATCH_VIT.md). Position is what the eq.-5 mean blurs, and the model's patch matches
already say where things moved. So each region pair is also weighted by how well it agrees with
that motion:

1. **Motion from the model.** Mutual nearest-neighbour patch pairs across the images (among
   patches that hold ink: empty paper matches anything) give point correspondences; RANSAC fits a
   similarity transform ``A -> B`` to them (``cv2.estimateAffinePartial2D``: rotation, uniform
   scale, translation; robust to the wrong matches). That is the *global* motion.
2. **Local motion per region.** A limb moves on its own, so a region with at least
   ``min_patches`` patches moves by the median displacement of its patches' best matches; a
   smaller region, whose few matches are too noisy, follows the global motion.
3. **Prior.** With ``d`` the distance from region i's moved centroid to region j's centroid (a
   fraction of the input side) and ``a`` the log-area ratio of j to i after the global scale,
   ``prior(i, j) = exp(-d^2 / 2 sigma_pos^2) * exp(-a^2 / 2 sigma_area^2)``; each factor is off
   when its sigma is 0. Both directions (A's regions moved into B, B's moved back into A).

Everything is at the model's resolution (``(S, S)`` region maps, ``g x g`` patches of ``p`` px).
"""

from __future__ import annotations

import cv2
import numpy as np

from dataprep.format.segtable import compute_segment_table

#: Fewer mutual matches than this give no transform (the identity is used).
MIN_CORRESPONDENCES = 4


def patch_centers(grid: int, patch: int) -> np.ndarray:
    """``(g*g, 2) float64`` patch centres ``(x, y)`` in px, row-major."""
    r, c = np.divmod(np.arange(grid * grid), grid)
    return np.stack([(c + 0.5) * patch, (r + 0.5) * patch], 1).astype(np.float64)


def ink_patches(region_map: np.ndarray, patch: int) -> np.ndarray:
    """``(g*g,) bool`` patches holding at least one ink pixel (0 in the region map)."""
    g = region_map.shape[0] // patch
    return (region_map.reshape(g, patch, g, patch) == 0).any(axis=(1, 3)).ravel()


def global_motion(cross: np.ndarray, use_a: np.ndarray, use_b: np.ndarray, patch: int) -> np.ndarray:
    """``(2, 3) float64`` similarity transform A -> B (px) fitted by RANSAC to mutual best matches.

    Args:
        cross: ``(N, N)`` cross-image patch similarity, A's patches in rows (any score monotone in
            the cosine; only argmaxes are read).
        use_a, use_b: ``(N,) bool`` patches allowed to take part.
        patch: p (the RANSAC inlier radius is two patches).

    Returns:
        The transform, or the identity when fewer than :data:`MIN_CORRESPONDENCES` mutual matches
        exist or RANSAC fails.
    """
    ident = np.hstack([np.eye(2), np.zeros((2, 1))])
    ia, ib = np.flatnonzero(use_a), np.flatnonzero(use_b)
    if ia.size == 0 or ib.size == 0:
        return ident
    sub = cross[np.ix_(ia, ib)]
    fwd, bwd = sub.argmax(1), sub.argmax(0)
    mutual = bwd[fwd] == np.arange(ia.size)
    if mutual.sum() < MIN_CORRESPONDENCES:
        return ident
    g = round(float(np.sqrt(cross.shape[0])))
    xy = patch_centers(g, patch)
    src, dst = xy[ia[mutual]], xy[ib[fwd[mutual]]]
    m, _ = cv2.estimateAffinePartial2D(src.astype(np.float32), dst.astype(np.float32), method=cv2.RANSAC,
                                       ransacReprojThreshold=2.0 * patch)
    return ident if m is None else m.astype(np.float64)


def region_centroids(region_map: np.ndarray, n_regions: int) -> tuple[np.ndarray, np.ndarray]:
    """Centroids and areas of regions 1..R of a map (0 = ink, not counted), from its segment table.

    Returns:
        ``(R, 2) float64`` centroids ``(x, y)`` in px, measured from the image's corner like the patch
        centres (0 for a region without pixels), ``(R,) float64`` areas in px.
    """
    table = compute_segment_table(region_map)
    keep = table.ids <= n_regions
    rows = table.ids[keep] - 1
    centroids, area = np.zeros((n_regions, 2)), np.zeros(n_regions)
    centroids[rows] = table.centroid[keep] + 0.5  # the table's are pixel indices; +0.5 = pixel centres
    area[rows] = table.area[keep]
    return centroids, area


def moved_centroids(centroids: np.ndarray, patch_region: np.ndarray, cross: np.ndarray, use_b: np.ndarray,
                    transform: np.ndarray, patch: int, min_patches: int) -> np.ndarray:
    """``(R, 2)`` where each region's centroid lands in the other image (step 2 of the module doc).

    Args:
        centroids: ``(R, 2)`` region centroids (px).
        patch_region: ``(N,) int`` region id (1..R) of each patch of this image, 0 = none.
        cross: ``(N, N)`` similarity from this image's patches (rows) to the other's.
        use_b: ``(N,) bool`` patches of the other image a best match may land on.
        transform: ``(2, 3)`` global motion, this image -> the other.
        patch: p.
        min_patches: regions with at least this many patches move by their own median displacement.
    """
    moved = centroids @ transform[:, :2].T + transform[:, 2]
    cols = np.flatnonzero(use_b)
    if cols.size == 0:
        return moved
    g = round(float(np.sqrt(cross.shape[0])))
    xy = patch_centers(g, patch)
    disp = xy[cols[cross[:, cols].argmax(1)]] - xy  # (N, 2) every patch's best-match displacement
    for r in range(1, centroids.shape[0] + 1):
        sel = patch_region == r
        if sel.sum() >= min_patches:
            moved[r - 1] = centroids[r - 1] + np.median(disp[sel], axis=0)
    return moved


def motion_prior(sim_ab: np.ndarray, sim_ba: np.ndarray, map_a: np.ndarray, map_b: np.ndarray,
                 patch_region_a: np.ndarray, patch_region_b: np.ndarray, patch: int, position_sigma: float,
                 area_sigma: float = 0.0, min_patches: int = 2,
                 valid: tuple[np.ndarray, np.ndarray] | None = None,
                 n_regions: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The prior of every region pair, both directions (module doc).

    Args:
        sim_ab: ``(N, N)`` patch similarity from A's patches (rows) to B's; ``sim_ba`` the other way.
        map_a, map_b: ``(S, S) int`` model-resolution region maps, ids 1..R, 0 = ink.
        patch_region_a, patch_region_b: ``(N,) int`` region id of each patch (majority vote), 0 = none.
        patch: p.
        position_sigma: sigma of the position factor, a fraction of the input side S (0 = off).
        area_sigma: sigma of the log-area factor (0 = off).
        min_patches: regions with at least this many patches follow their own motion.
        valid: ``(N,) bool`` patches inside each frame (not letterbox padding); None = all.
        n_regions: ``(R_a, R_b)``, the rows and columns wanted (ids 1..R); None = the maps' max. A
            region without pixels in its map (all ink) has no position: its factor is 1.

    Returns:
        ``prior_ab (R_a, R_b)``, ``prior_ba (R_b, R_a)`` float64 in [0, 1].
    """
    ra, rb = n_regions or (int(map_a.max(initial=0)), int(map_b.max(initial=0)))
    n = patch_region_a.size
    va, vb = valid if valid is not None else (np.ones(n, bool), np.ones(n, bool))
    tf = global_motion(sim_ab, ink_patches(map_a, patch) & va, ink_patches(map_b, patch) & vb, patch)
    ca, area_a = region_centroids(map_a, ra)
    cb, area_b = region_centroids(map_b, rb)
    size = float(map_a.shape[0])
    prior_ab, prior_ba = np.ones((ra, rb)), np.ones((rb, ra))
    if position_sigma > 0:
        inv = cv2.invertAffineTransform(tf)
        to_b = moved_centroids(ca, patch_region_a, sim_ab, vb, tf, patch, min_patches)
        to_a = moved_centroids(cb, patch_region_b, sim_ba, va, inv, patch, min_patches)
        d_ab = np.linalg.norm(to_b[:, None] - cb[None], axis=2) / size
        d_ba = np.linalg.norm(to_a[:, None] - ca[None], axis=2) / size
        prior_ab *= np.exp(-d_ab ** 2 / (2 * position_sigma ** 2))
        prior_ba *= np.exp(-d_ba ** 2 / (2 * position_sigma ** 2))
    if area_sigma > 0:
        log_scale2 = np.log(max(abs(float(np.linalg.det(tf[:, :2]))), 1e-9))  # areas scale by det
        da = np.log(np.maximum(area_b, 1))[None] - np.log(np.maximum(area_a, 1))[:, None] - log_scale2
        f = np.exp(-da ** 2 / (2 * area_sigma ** 2))
        prior_ab *= f
        prior_ba *= f.T
    empty_a, empty_b = area_a == 0, area_b == 0
    prior_ab[empty_a], prior_ab[:, empty_b] = 1.0, 1.0
    prior_ba[empty_b], prior_ba[:, empty_a] = 1.0, 1.0
    return prior_ab, prior_ba
