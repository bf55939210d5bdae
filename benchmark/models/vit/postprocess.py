"""From intra-image patch similarities to a pixel-wise region map (paper: "Intra-Image Patch Merging").

Steps, for one image of the pair (model resolution, ``g x g`` patches of ``p`` pixels):

1. **Edge map** ``E``: Sobel gradient magnitude of the Gaussian-smoothed line image, scaled to
   [0, 1] (its 99.5th percentile = 1).
2. **Patch merging**: 8-neighbour patches are joined (union-find) in order of decreasing
   similarity when their similarity reaches ``merge_threshold`` and the mean of ``E`` along
   their shared border stays below ``edge_threshold`` (a stroke between them vetoes the merge).
   With ``linkage="average"`` the two *clusters* must also reach the threshold on average over
   all their patch pairs, which stops a chain of pairwise-similar patches from spreading one
   cluster over the whole drawing.
3. **Watershed** (``skimage.segmentation.watershed``) on ``E`` plus the smoothed ink, seeded by
   the clusters: each patch seeds the pixels of its dominant stroke-free area (the largest
   connected non-ink component inside it) at least ``seed_margin`` px away from ink, so region
   boundaries settle on the strokes rather than on the patch grid. The smoothed ink is added to
   the elevation because a thin stroke's Sobel response is a ridge on each flank with a valley
   on the stroke itself.
4. **Small regions** (< ``min_region`` patch areas) are merged, smallest first, into the
   neighbour with the largest contact length weighted by ``1 - mean E`` along the contact.
5. **Enclosed pieces** (off by default, ``enclosed_min`` > 0; not in the paper): a region that
   strokes cut into several stroke-free components keeps its largest; every other component of at
   least ``enclosed_min`` patch areas becomes a region of its own. The paper names the loss of
   small enclosed parts (eyes, eyebrows merged into the face) as its post-processing's limit: a
   16-px patch grid cannot seed a part smaller than a patch, but the line art itself encloses it.
6. **Majority vote**: each patch takes the region covering most of its non-ink pixels. A region
   that wins no patch (an enclosed piece) is matched through the patches it overlaps
   (``RegionMatchConfig.weighting``).

Inputs are the *normalised* similarities ``S[p, q] / S[p, p] = exp((C_pq - 1) / tau)`` in (0, 1]
(``region_match.normalized_similarity``): S rescaled row by row, so one threshold means the same
for a patch of a big region as for one of a small region.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from dataprep.config import check_values
from dataprep.segment.closed_lines import connected_segments
from dataprep.segment.labelops import relabel_raster


@dataclass
class PostprocessConfig:
    """Settings of :func:`regions_from_patches` (pixels are model-input pixels)."""

    sigma: float = 1.0  # Gaussian smoothing (px) of the line image before Sobel
    merge_threshold: float = 0.02  # neighbouring patches/clusters merge at normalised similarity >= this (tuned, tiny)
    linkage: str = "average"  # "average": clusters must also be similar on average; "single": pairs suffice
    edge_threshold: float = 0.03  # a shared border whose mean edge response (0..1) reaches this vetoes a merge (tuned)
    border_width: int = 2  # px on each side of a patch border averaged for its edge response
    ink_threshold: int = 160  # line pixels darker than this (0-255) are ink
    seed_margin: float = 1.5  # px: seeds keep at least this distance from ink
    min_region: float = 0.5  # regions smaller than this many patch areas merge into a neighbour
    # Stroke-enclosed pieces of a region of at least this many patch areas become regions of their
    # own (step 5; 0 = off, the paper's pipeline). Pair it with match.weighting=pixels, which gives
    # such pieces (often smaller than a patch) a similarity.
    enclosed_min: float = 0.0


#: Values of ``PostprocessConfig.linkage``.
LINKAGES = ("average", "single")


def check_post_config(cfg: PostprocessConfig) -> PostprocessConfig:
    """``cfg`` when its values are usable (``dataprep.config.check_values``: a known linkage, no
    negative size or margin); raises ``LinecorrError`` otherwise."""
    return check_values(cfg, "post", {"linkage": LINKAGES},
                        ("sigma", "border_width", "seed_margin", "min_region", "enclosed_min"))


# ---- 1. edges ------------------------------------------------------------------------------------

def edge_map(line: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """``(H, W) float32`` in [0, 1]: Sobel magnitude of the Gaussian-smoothed line image.

    Args:
        line: ``(H, W)`` line image, uint8 (0 = ink) or float in [0, 1] (0 = ink).
        sigma: Gaussian sigma in pixels (0 = no smoothing).
    """
    img = line.astype(np.float32) / (255.0 if line.dtype == np.uint8 else 1.0)
    if sigma > 0:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy)
    top = float(np.percentile(mag, 99.5))
    return np.clip(mag / top, 0, 1) if top > 1e-6 else np.zeros_like(mag)


def border_edges(edges: np.ndarray, patch: int, width: int = 2) -> dict[tuple[int, int], np.ndarray]:
    """Mean edge response along the border shared by each kind of 8-neighbour patch pair.

    Args:
        edges: ``(g*p, g*p)`` edge map.
        patch: p.
        width: pixels taken on each side of a border line.

    Returns:
        ``{(dr, dc): (g, g) float32}`` for the offsets ``(0, 1)``, ``(1, 0)``, ``(1, 1)``, ``(1, -1)``:
        entry ``[r, c]`` is the border of patch ``(r, c)`` with ``(r + dr, c + dc)`` (nan where that
        patch does not exist). Diagonal neighbours share one corner: their "border" is the four
        half-borders (half a patch long) that meet at that corner.
    """
    g = edges.shape[0] // patch
    w = max(1, width)
    pad = np.pad(edges, w, mode="edge")
    cs = np.cumsum(np.pad(pad, ((0, 0), (1, 0))), axis=1)  # column sums -> strip means across a vertical line
    xs = (np.arange(1, g) * patch) + w
    vprof = (cs[:, xs + w] - cs[:, xs - w]) / (2 * w)  # (S + 2w, g-1): strip mean at every row
    rs = np.cumsum(np.pad(pad, ((1, 0), (0, 0))), axis=0)
    hprof = (rs[xs + w, :] - rs[xs - w, :]) / (2 * w)  # (g-1, S + 2w)
    vprof, hprof = vprof[w:-w], hprof[:, w:-w]
    half = patch // 2

    def seg_mean(prof: np.ndarray, start: np.ndarray, length: int) -> np.ndarray:
        c = np.cumsum(np.pad(prof, [(1, 0)] + [(0, 0)] * (prof.ndim - 1)), axis=0)
        return (c[start + length] - c[start]) / length

    out = {k: np.full((g, g), np.nan, np.float32) for k in ((0, 1), (1, 0), (1, 1), (1, -1))}
    starts = np.arange(g) * patch
    out[(0, 1)][:, :-1] = seg_mean(vprof, starts, patch)  # (g, g-1): rows r, border right of column c
    out[(1, 0)][:-1, :] = seg_mean(hprof.T, starts, patch).T  # (g-1, g)
    if g > 1:
        corner = np.arange(1, g) * patch  # corner coordinate between patch k-1 and k
        v_up = seg_mean(vprof, corner - half, half)  # (g-1 corners in y, g-1 borders in x): above the corner
        v_dn = seg_mean(vprof, corner, half)
        h_lf = seg_mean(hprof.T, corner - half, half).T  # (g-1 borders in y, g-1 corners in x): left of the corner
        h_rt = seg_mean(hprof.T, corner, half).T
        # Entry [r, c] is the cross of half-borders around the corner at y = (r+1)p, x = (c+1)p.
        out[(1, 1)][:-1, :-1] = (v_up + v_dn + h_lf + h_rt) / 4
        out[(1, -1)][:-1, 1:] = out[(1, 1)][:-1, :-1]  # same corner, the other diagonal
    return out


# ---- 2. patch merging ---------------------------------------------------------------------------

class _Clusters:
    """Union-find over patches that also keeps each cluster's members (for average linkage)."""

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)
        self.members = {i: [i] for i in range(n)}

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:  # path compression
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a] += self.members.pop(b)


def neighbour_pairs(g: int) -> list[tuple[np.ndarray, np.ndarray, tuple[int, int]]]:
    """Row-major index pairs ``(p, q)`` of 8-neighbour patches in a ``g x g`` grid, by offset."""
    r, c = np.mgrid[0:g, 0:g]
    out = []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        ok = (r + dr < g) & (c + dc >= 0) & (c + dc < g)
        out.append(((r * g + c)[ok], ((r + dr) * g + c + dc)[ok], (dr, dc)))
    return out


def merge_patches(sim: np.ndarray, edges: np.ndarray, patch: int, cfg: PostprocessConfig,
                  active: np.ndarray | None = None) -> np.ndarray:
    """Cluster the patches of one image.

    Args:
        sim: ``(N, N)`` normalised intra-image similarity (N = g*g, row-major).
        edges: ``(g*p, g*p)`` edge map.
        patch: p.
        cfg: thresholds.
        active: ``(N,) bool`` patches to cluster (False = letterbox padding, left alone).

    Returns:
        ``(N,) int64`` cluster index per patch, 0..K-1 (padding patches get their own clusters).
    """
    n = sim.shape[0]
    g = round(float(np.sqrt(n)))
    sym = (sim + sim.T) / 2
    borders = border_edges(edges, patch, cfg.border_width)
    ps, qs, ss = [], [], []
    for p, q, off in neighbour_pairs(g):
        be = borders[off].ravel()[p]
        ok = (sym[p, q] >= cfg.merge_threshold) & (be < cfg.edge_threshold)
        if active is not None:
            ok &= active[p] & active[q]
        ps.append(p[ok])
        qs.append(q[ok])
        ss.append(sym[p[ok], q[ok]])
    p, q, s = np.concatenate(ps), np.concatenate(qs), np.concatenate(ss)
    cl = _Clusters(n)
    for k in np.argsort(-s, kind="stable"):
        a, b = cl.find(int(p[k])), cl.find(int(q[k]))
        if a == b:
            continue
        if cfg.linkage == "average":
            if sym[np.ix_(cl.members[a], cl.members[b])].mean() < cfg.merge_threshold:
                continue
        elif cfg.linkage != "single":
            raise ValueError(f"linkage must be one of {', '.join(LINKAGES)}, got {cfg.linkage!r}")
        cl.union(a, b)
    roots = np.array([cl.find(i) for i in range(n)])
    return np.unique(roots, return_inverse=True)[1].astype(np.int64)


# ---- 3. watershed ---------------------------------------------------------------------------------

def patch_seeds(ink: np.ndarray, clusters: np.ndarray, patch: int, margin: float) -> np.ndarray:
    """Watershed markers: per patch, its dominant stroke-free component, away from ink.

    Args:
        ink: ``(S, S) bool`` ink pixels.
        clusters: ``(N,)`` cluster index per patch.
        patch: p.
        margin: minimum distance of a seed pixel to ink (px).

    Returns:
        ``(S, S) int32`` markers: cluster index + 1, 0 = not seeded.
    """
    s = ink.shape[0]
    g = s // patch
    cc = connected_segments(ink)  # the stroke-free components, 1..n_cc - 1
    n_cc = int(cc.max()) + 1
    yy, xx = np.divmod(np.arange(s * s), s)
    tile = (yy // patch) * g + (xx // patch)
    flat_cc = cc.ravel()
    paper = flat_cc > 0
    # Sparse (tile, component) counts: noisy line art can have thousands of tiny components.
    keys, counts = np.unique(tile[paper].astype(np.int64) * n_cc + flat_cc[paper], return_counts=True)
    k_tile, k_cc = keys // n_cc, keys % n_cc
    order = np.lexsort((-counts, k_tile))  # per tile, the largest component first
    first = order[np.r_[True, np.diff(k_tile[order]) != 0]]
    dominant = np.zeros(g * g, np.int64)  # 0 = the tile is all ink: no seed
    dominant[k_tile[first]] = k_cc[first]
    seeded = (flat_cc == dominant[tile]) & paper
    if margin > 0:
        dist = cv2.distanceTransform((~ink).astype(np.uint8), cv2.DIST_L2, 3).ravel()
        seeded &= dist >= margin
    markers = np.where(seeded, clusters[tile] + 1, 0).astype(np.int32)
    return markers.reshape(s, s)


def watershed_regions(edges: np.ndarray, line: np.ndarray, markers: np.ndarray, sigma: float) -> np.ndarray:
    """``(S, S) int32`` regions grown from ``markers`` over the elevation ``E + smoothed ink``."""
    from skimage.segmentation import watershed

    dark = 1.0 - line.astype(np.float32) / (255.0 if line.dtype == np.uint8 else 1.0)
    if sigma > 0:
        dark = cv2.GaussianBlur(dark, (0, 0), sigma)
    elevation = edges + dark / max(float(dark.max()), 1e-6)
    if not markers.any():
        return np.ones(markers.shape, np.int32)
    return watershed(elevation, markers, connectivity=1).astype(np.int32)


# ---- 4. small regions -----------------------------------------------------------------------------

def _contacts(labels: np.ndarray, edges: np.ndarray) -> dict[tuple[int, int], list[float]]:
    """``{(a, b): [pixel contacts, summed edge response]}`` for 4-adjacent labels a < b."""
    out: dict[tuple[int, int], list[float]] = {}
    for u, v, eu, ev in ((labels[:, :-1], labels[:, 1:], edges[:, :-1], edges[:, 1:]),
                         (labels[:-1, :], labels[1:, :], edges[:-1, :], edges[1:, :])):
        d = u != v
        a, b = np.minimum(u[d], v[d]).astype(np.int64), np.maximum(u[d], v[d]).astype(np.int64)
        e = (eu[d] + ev[d]) / 2
        base = int(labels.max()) + 1
        keys, inv = np.unique(a * base + b, return_inverse=True)
        cnt = np.bincount(inv)
        esum = np.bincount(inv, weights=e)
        for k, c, s in zip(keys.tolist(), cnt.tolist(), esum.tolist()):
            entry = out.setdefault((k // base, k % base), [0.0, 0.0])
            entry[0] += c
            entry[1] += s
    return out


def merge_small_regions(labels: np.ndarray, edges: np.ndarray, min_area: float) -> np.ndarray:
    """Merge regions below ``min_area`` px, smallest first, into their best neighbour.

    The best neighbour maximises ``contact length x (1 - mean edge response along the contact)``:
    a long, weak border (no stroke) is where a fragment most likely belongs.

    Args:
        labels: ``(H, W) int`` regions, ids >= 1.
        edges: ``(H, W)`` edge map in [0, 1].
        min_area: area threshold in pixels.

    Returns:
        ``(H, W) int32`` with the small regions relabelled to their neighbours.
    """
    area = np.bincount(labels.ravel()).astype(np.float64)
    contacts = _contacts(labels, edges)
    nbrs: dict[int, dict[int, list[float]]] = {}
    for (a, b), (c, s) in contacts.items():
        nbrs.setdefault(a, {})[b] = [c, s]
        nbrs.setdefault(b, {})[a] = [c, s]
    target = np.arange(area.size)
    alive = {int(i) for i in np.flatnonzero(area)}
    while True:
        small = [i for i in alive if area[i] < min_area and nbrs.get(i)]
        if not small or len(alive) <= 1:
            break
        i = min(small, key=lambda k: (area[k], k))
        best = max(nbrs[i].items(), key=lambda kv: (kv[1][0] * (1 - kv[1][1] / kv[1][0]), -kv[0]))[0]
        # fold i into best: areas, contacts, and the relabelling table
        area[best] += area[i]
        area[i] = 0
        target[target == i] = best
        for k, (c, s) in nbrs.pop(i).items():
            nbrs[k].pop(i, None)
            if k != best:
                entry = nbrs[best].setdefault(k, [0.0, 0.0])
                entry[0] += c
                entry[1] += s
                nbrs[k][best] = entry
        alive.discard(i)
    return target[labels].astype(np.int32)


# ---- 5. enclosed pieces ----------------------------------------------------------------------------

def split_enclosed(regions: np.ndarray, ink: np.ndarray, min_area: float) -> np.ndarray:
    """Give the stroke-enclosed pieces of each region their own id.

    A piece is the intersection of a region with one connected stroke-free component of ``~ink``.
    Each region keeps its largest piece (and its pieces below ``min_area``, which are left as they
    are: ink-bounded specks are mostly gaps between doubled strokes); every other piece of at least
    ``min_area`` px gets a new id.

    Args:
        regions: ``(H, W) int`` regions, ids >= 1 on every pixel (ink included).
        ink: ``(H, W) bool`` ink pixels.
        min_area: smallest piece (px) that becomes a region.

    Returns:
        ``(H, W) int32`` regions, new ids after the old ones (not renumbered).
    """
    cc = connected_segments(ink).astype(np.int64)  # stroke-free components 1.., 0 = ink
    paper = cc > 0
    base = int(cc.max()) + 1
    keys, inv, area = np.unique(regions[paper].astype(np.int64) * base + cc[paper],
                                return_inverse=True, return_counts=True)
    reg = keys // base
    order = np.lexsort((-area, reg))  # per region, its largest piece first
    largest = np.zeros(keys.size, bool)
    largest[order[np.r_[True, np.diff(reg[order]) != 0]]] = True
    new = np.where(~largest & (area >= min_area), 0, reg)  # 0 = gets a new id below
    fresh = np.flatnonzero(new == 0)
    new[fresh] = int(regions.max()) + 1 + np.arange(fresh.size)
    out = regions.astype(np.int32).copy()
    out[paper] = new[inv.ravel()]
    return out


# ---- 6. majority vote + the whole pipeline ---------------------------------------------------------

def patch_majority(regions: np.ndarray, ink: np.ndarray, patch: int) -> np.ndarray:
    """``(N,) int64`` region covering most non-ink pixels of each patch (all pixels if all ink)."""
    s = regions.shape[0]
    g = s // patch
    tiles = regions.reshape(g, patch, g, patch).swapaxes(1, 2).reshape(g * g, -1)
    paper = ~ink.reshape(g, patch, g, patch).swapaxes(1, 2).reshape(g * g, -1)
    out = np.zeros(g * g, np.int64)
    for t in range(g * g):
        vals = tiles[t][paper[t]] if paper[t].any() else tiles[t]
        out[t] = np.bincount(vals).argmax()
    return out


@dataclass
class ImageRegions:
    """Post-processing output of one image (model resolution)."""

    regions: np.ndarray  # (S, S) int32 region ids 1..R, 0 on ink pixels
    patch_region: np.ndarray  # (N,) int64 region id of each patch (majority vote), 0 = padding patch
    clusters: np.ndarray  # (N,) int64 patch cluster after merging (step 2), for figures
    edges: np.ndarray  # (S, S) float32 edge map


def regions_from_patches(line: np.ndarray, sim: np.ndarray, patch: int, cfg: PostprocessConfig | None = None,
                         active: np.ndarray | None = None) -> ImageRegions:
    """The whole intra-image pipeline (module docstring) for one image.

    Args:
        line: ``(S, S)`` model-resolution line image, uint8 (0 = ink) or float in [0, 1].
        sim: ``(N, N)`` normalised intra-image similarity, N = (S/p)^2.
        patch: p.
        cfg: settings.
        active: ``(N,) bool`` patches inside the frame (letterbox); None = all.

    Returns:
        :class:`ImageRegions`.
    """
    cfg = cfg or PostprocessConfig()
    line8 = line if line.dtype == np.uint8 else np.clip(np.round(line * 255), 0, 255).astype(np.uint8)
    edges = edge_map(line8, cfg.sigma)
    ink = line8 < cfg.ink_threshold
    clusters = merge_patches(sim, edges, patch, cfg, active)
    markers = patch_seeds(ink, clusters, patch, cfg.seed_margin)
    if active is not None:  # padding patches seed nothing
        g = line8.shape[0] // patch
        pad_px = np.repeat(np.repeat(~active.reshape(g, g), patch, 0), patch, 1)
        markers[pad_px] = 0
    regions = watershed_regions(edges, line8, markers, cfg.sigma)
    if cfg.min_region > 0:
        regions = merge_small_regions(regions, edges, cfg.min_region * patch * patch)
    if cfg.enclosed_min > 0:
        regions = split_enclosed(regions, ink, cfg.enclosed_min * patch * patch)
    regions = relabel_raster(regions)  # watershed labels every pixel >= 1: all are renumbered
    patch_region = patch_majority(regions, ink, patch)
    if active is not None:
        patch_region[~active] = 0
    regions = np.where(ink, 0, regions).astype(np.int32)
    return ImageRegions(regions, patch_region, clusters, edges)

