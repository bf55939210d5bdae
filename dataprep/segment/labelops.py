"""Label-map primitives shared by the segmenters, the synthetic data and the renderer's conversion.

All work on (H, W) integer label maps where 0 is "no segment" (line pixels or not yet filled).
Growth runs on a flat view of a map padded by one pixel of -1, so the four neighbours of every
real pixel are valid flat indices (no bounds checks in the inner loop) and the pad never grows.
"""

from __future__ import annotations

import cv2
import numpy as np

PAD = -1  # label of the one-pixel frame around a padded map


def boundary_lines(ids: np.ndarray, width: int = 1, both_sides: bool = False) -> np.ndarray:
    """Ink where the id changes: the lines that enclose every region of an id map exactly.

    A pixel is ink when its right or lower neighbour has another id, so every 4-adjacent pair of
    different ids loses at least one pixel to the line and the lines 4-separate all regions (the
    rule of the rendered "exact" line style and of PaintBucket-Character's ``seg``).

    Args:
        ids: ``(H, W)`` integer ids (parts, segments, colors); any values, negatives included.
        width: the 1-px lines dilated by a ``width`` x ``width`` square (1 = unchanged).
        both_sides: mark both pixels of each differing pair (2 px lines centred on the boundary).

    Returns:
        ``(H, W) bool`` line mask.
    """
    right = ids[:, :-1] != ids[:, 1:]
    down = ids[:-1, :] != ids[1:, :]
    ink = np.zeros(ids.shape, bool)
    ink[:, :-1] |= right
    ink[:-1, :] |= down
    if both_sides:
        ink[:, 1:] |= right
        ink[1:, :] |= down
    if width > 1:
        ink = cv2.dilate(ink.view(np.uint8), np.ones((width, width), np.uint8)).astype(bool)
    return ink


def relabel_raster(labels: np.ndarray) -> np.ndarray:
    """Renumber positive labels 1..N in raster order of their first pixel; 0 (and below) become 0.

    Args:
        labels: (H, W) integer label map.

    Returns:
        (H, W) int32 map, segments numbered contiguously in raster order (deterministic).
    """
    lab = np.asarray(labels)
    flat = lab.ravel()
    if flat.size == 0:
        return np.zeros(lab.shape, np.int32)
    # Only the starts of runs of equal labels along the raster can be first pixels: sort those few.
    starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
    run_labels = flat[starts]
    uniq, first = np.unique(run_labels, return_index=True)
    keep = uniq > 0
    uniq, first = uniq[keep], first[keep]
    order = uniq[np.argsort(first, kind="stable")]
    if order.size == 0:
        return np.zeros(lab.shape, np.int32)
    if np.array_equal(order, np.arange(1, order.size + 1)) and flat.min() >= 0:
        return lab.astype(np.int32, copy=False)
    lut = np.zeros(int(order.max()) + 1, np.int32)
    lut[order] = np.arange(1, order.size + 1, dtype=np.int32)
    return lut[np.clip(lab, 0, None)]


def pad(labels: np.ndarray) -> np.ndarray:
    """Return labels as int32 with a one-pixel frame of PAD: (H + 2, W + 2)."""
    out = np.full((labels.shape[0] + 2, labels.shape[1] + 2), PAD, np.int32)
    out[1:-1, 1:-1] = labels
    return out


def offsets(width: int, diagonal: bool = False) -> tuple[int, ...]:
    """Flat offsets of the 4 (or 8, with `diagonal`) neighbours in a padded map of row stride `width`."""
    four = (-1, 1, -width, width)
    return four + (-width - 1, -width + 1, width - 1, width + 1) if diagonal else four


def neighbour_max(flat: np.ndarray, idx: np.ndarray, width: int, diagonal: bool = False) -> np.ndarray:
    """Largest label among the 4 (or 8) neighbours of each flat index of a padded map."""
    offs = offsets(width, diagonal)
    best = flat[idx + offs[0]]
    for off in offs[1:]:
        np.maximum(best, flat[idx + off], out=best)
    return best


def grow(
    flat: np.ndarray, idx: np.ndarray, width: int, max_iter: int | None = None, diagonal: bool = False
) -> np.ndarray:
    """Breadth-first geodesic growth of labels into the pixels `idx` of a padded map, in place.

    Each round gives every still-unlabelled pixel of `idx` that has a labelled neighbour the
    label of that neighbour (the largest one on ties, so the result is deterministic). Labels move
    only through pixels of `idx`, so they never cross pixels that are not offered (ink).

    Args:
        flat: flat view of a padded (H + 2, W + 2) int32 map; updated in place.
        idx: flat indices of the pixels that may be filled (all currently 0).
        width: W + 2, the row stride of the padded map.
        max_iter: stop after this many rounds; None runs until nothing changes.
        diagonal: step to 8-neighbours instead of 4-neighbours.

    Returns:
        The flat indices of `idx` still unlabelled.
    """
    rounds = 0
    while idx.size and (max_iter is None or rounds < max_iter):
        best = neighbour_max(flat, idx, width, diagonal)
        got = best > 0
        if not got.any():
            break
        flat[idx[got]] = best[got]  # all reads happened before this write: one BFS layer per round
        idx = idx[~got]
        rounds += 1
    return idx


def fill_from_neighbours(labels: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Give each pixel of `where` the label of the nearest (geodesically, through `where`) segment.

    Args:
        labels: (H, W) int label map; pixels of `where` should be 0.
        where: (H, W) bool, the pixels to fill (e.g. line pixels).

    Returns:
        (H, W) int32 copy of `labels` with `where` filled; pixels of `where` that no segment
        reaches (a region of `where` that touches no segment) stay 0.
    """
    padded = pad(labels)
    flat = padded.ravel()
    region = np.zeros(padded.shape, bool)
    region[1:-1, 1:-1] = where & (labels <= 0)
    flat[region.ravel()] = 0
    grow(flat, np.flatnonzero(region), padded.shape[1])
    out = padded[1:-1, 1:-1]
    out[out < 0] = 0
    return np.ascontiguousarray(out)


def contact_counts(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count 4-adjacent pixel pairs between different positive labels.

    Args:
        labels: (H, W) int label map.

    Returns:
        (a, b, n): int64 arrays with a < b, one entry per touching pair of segments, n the number of
        4-adjacent pixel pairs (the contact length in pixel edges).
    """
    lab = np.asarray(labels)
    base = int(lab.max()) + 1 if lab.size else 1
    keys = []
    for u, v in ((lab[:, :-1], lab[:, 1:]), (lab[:-1, :], lab[1:, :])):
        differ = u != v  # compare in the input dtype; only the few boundary pairs are widened
        a, b = u[differ].astype(np.int64), v[differ].astype(np.int64)
        ok = (a > 0) & (b > 0)
        a, b = a[ok], b[ok]
        keys.append(np.minimum(a, b) * base + np.maximum(a, b))
    allkeys = np.concatenate(keys)
    if base * base <= 1 << 24:  # small key space: counting beats sorting
        counts = np.bincount(allkeys, minlength=base * base)
        uniq = np.flatnonzero(counts)
        n = counts[uniq]
    else:
        uniq, n = np.unique(allkeys, return_counts=True)
    return uniq // base, uniq % base, n.astype(np.int64)
