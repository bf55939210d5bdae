"""Region matching by point votes (the manga paper's automatic annotation, "Automatic Cross-Image Matching").

1. Each matched keypoint pair ``(p_a, p_b)`` is expanded to its ``n x n`` neighbourhood (paper: 5):
   pixel ``p_a + d`` of A votes for pixel ``p_b + L d`` of B, where ``L`` is the rotation/scale of
   the global alignment (identity without one), for every offset ``d``. Keypoints sit on lines,
   where a single pixel belongs to no region; the neighbourhood reaches the regions on both sides.
2. Colour filter: a vote of source region ``r`` is dropped when the colour of its pixel in A, or
   of the pixel it lands on in B, is further than ``color_tolerance`` (CIELAB Delta-E) from ``r``'s
   mean colour. That removes votes from anti-aliased edge pixels and votes landing in a region of
   another colour (a keypoint matched to the wrong side of a line, a wrong match).
3. Votes are counted per (source region, target region) with one ``np.bincount``; each source
   region's most-voted target is its match when it has at least ``min_votes`` votes and holds at
   least ``min_share`` of them; the confidence is that vote share. The same matrix read by column
   gives each target region its most-voted source (``both_directions``): a part split in two in B
   is then matched from both pieces (one-to-many), several regions of A may pick one region of B
   (many-to-one), and a region with no reliable votes is left to the coarse matcher.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dataprep.segment.color_cluster import rgb_to_lab


@dataclass
class Votes:
    """Vote counts between the regions of A (rows) and B (columns).

    Attributes:
        counts: ``(N_a, N_b) int64`` colour-consistent votes.
        cast: votes cast (neighbourhood pixels inside both frames and on regions of both).
        kept: votes that passed the colour filter (``counts.sum()``).
    """

    counts: np.ndarray
    cast: int
    kept: int


def expand(pts_a: np.ndarray, pts_b: np.ndarray, n: int, shape_a: tuple[int, int], shape_b: tuple[int, int],
           linear: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``n x n`` neighbourhood of every point match, as pixel pairs.

    Args:
        pts_a, pts_b: ``(M, 2)`` matched points ``[x, y]`` in A and B.
        n: odd neighbourhood size.
        shape_a, shape_b: ``(H, W)`` of A and B.
        linear: optional ``(2, 2)`` map of an offset in A to an offset in B (global rotation/scale).

    Returns:
        ``(idx_a, idx_b)``: ``(K,) int64`` flat pixel indices (``y * W + x``) in A and B of the
        ``K <= M * n * n`` pixel pairs that fall inside both frames.
    """
    r = n // 2
    d = np.stack(np.meshgrid(np.arange(-r, r + 1), np.arange(-r, r + 1), indexing="xy"), -1).reshape(-1, 2)
    db = d if linear is None else d @ np.asarray(linear, np.float64).T
    qa = np.rint(np.asarray(pts_a, np.float64))[:, None, :] + d[None]  # (M, n*n, 2)
    qb = np.rint(np.asarray(pts_b, np.float64)[:, None, :] + db[None])
    qa, qb = qa.reshape(-1, 2).astype(np.int64), qb.reshape(-1, 2).astype(np.int64)
    (ha, wa), (hb, wb) = shape_a, shape_b
    ok = ((qa[:, 0] >= 0) & (qa[:, 0] < wa) & (qa[:, 1] >= 0) & (qa[:, 1] < ha)
          & (qb[:, 0] >= 0) & (qb[:, 0] < wb) & (qb[:, 1] >= 0) & (qb[:, 1] < hb))
    qa, qb = qa[ok], qb[ok]
    return qa[:, 1] * wa + qa[:, 0], qb[:, 1] * wb + qb[:, 0]


def color_consistent(src_lab: np.ndarray, px_lab_a: np.ndarray, px_lab_b: np.ndarray, tolerance: float) -> np.ndarray:
    """Which votes keep the colour of their source region.

    Args:
        src_lab: ``(K, 3)`` mean CIELAB of each vote's source region.
        px_lab_a: ``(K, 3)`` CIELAB of the vote's pixel in A.
        px_lab_b: ``(K, 3)`` CIELAB of the pixel it lands on in B.
        tolerance: Delta-E.

    Returns:
        ``(K,) bool``.
    """
    da = np.linalg.norm(px_lab_a - src_lab, axis=1)
    db = np.linalg.norm(px_lab_b - src_lab, axis=1)
    return (da <= tolerance) & (db <= tolerance)


def count_votes(rows_a: np.ndarray, rows_b: np.ndarray, n_a: int, n_b: int) -> np.ndarray:
    """``(n_a, n_b) int64`` number of votes of each (source row, target row) pair."""
    code = np.asarray(rows_a, np.int64) * n_b + np.asarray(rows_b, np.int64)
    return np.bincount(code, minlength=n_a * n_b).reshape(n_a, n_b)


def cast_votes(pts_a: np.ndarray, pts_b: np.ndarray, seg_a: np.ndarray, seg_b: np.ndarray, rgb_a: np.ndarray,
               rgb_b: np.ndarray, row_of_a: np.ndarray, row_of_b: np.ndarray, lab_a: np.ndarray, n_b: int,
               neighbourhood: int = 5, color_tolerance: float = 20.0, linear: np.ndarray | None = None) -> Votes:
    """Expand point matches, drop colour-inconsistent votes and count the rest.

    Args:
        pts_a, pts_b: ``(M, 2)`` matched points in A and B (full-resolution pixels).
        seg_a, seg_b: ``(H, W) int32`` region maps (0 = line) of A and B.
        rgb_a, rgb_b: ``(H, W, 3) uint8`` frames.
        row_of_a, row_of_b: region id -> row lookups (-1 for line / absent ids).
        lab_a: ``(N_a, 3)`` mean CIELAB of A's regions.
        n_b: number of regions of B.
        neighbourhood: odd size of the vote neighbourhood.
        color_tolerance: Delta-E of the colour filter (``inf`` disables it).
        linear: optional ``(2, 2)`` global rotation/scale for the offsets.

    Returns:
        The :class:`Votes`.
    """
    n_a = len(lab_a)
    idx_a, idx_b = expand(pts_a, pts_b, neighbourhood, seg_a.shape, seg_b.shape, linear)
    ra, rb = row_of_a[seg_a.ravel()[idx_a]], row_of_b[seg_b.ravel()[idx_b]]
    on = (ra >= 0) & (rb >= 0)
    idx_a, idx_b, ra, rb = idx_a[on], idx_b[on], ra[on], rb[on]
    if np.isfinite(color_tolerance) and ra.size:
        px_a = rgb_to_lab(rgb_a.reshape(-1, 3)[idx_a])
        px_b = rgb_to_lab(rgb_b.reshape(-1, 3)[idx_b])
        keep = color_consistent(lab_a[ra], px_a, px_b, color_tolerance)
        ra, rb = ra[keep], rb[keep]
    counts = count_votes(ra, rb, n_a, n_b)
    return Votes(counts, int(on.sum()), int(ra.size))


def best_by_votes(counts: np.ndarray, min_votes: int, min_share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's most-voted column, where the votes are reliable.

    Args:
        counts: ``(R, C)`` vote counts (rows = the regions that choose).
        min_votes: a row needs at least this many votes in total ...
        min_share: ... and its best column at least this share of them.

    Returns:
        ``(rows, cols, share)`` of the reliable choices; ``share`` = best column's votes / row total.
    """
    if counts.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    total = counts.sum(axis=1)
    best = np.argmax(counts, axis=1)  # ties -> the lower row of the other frame (deterministic)
    share = counts[np.arange(len(counts)), best] / np.maximum(total, 1)
    ok = (total >= min_votes) & (share >= min_share)
    rows = np.flatnonzero(ok)
    return rows, best[rows], share[rows]
