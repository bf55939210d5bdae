"""Tracing the boundaries of a region map into ordered polylines, one per stretch between two regions.

A drawn style needs paths, not pixels: a stroke has a direction to taper along, a length to break
and an end to overshoot. Each region's outline comes from OpenCV's border following
(``cv2.findContours``, C speed) on its bounding box; every outline pixel is tagged with the region on
the other side, and the outline is cut wherever that neighbour changes. A boundary between regions
``r < o`` is kept from ``r``'s outline only, so every boundary is traced once; boundaries with the
background (0) are traced from the region's side, and the image border is never a boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage


@dataclass
class Run:
    """One traced boundary stretch between two regions."""

    points: np.ndarray  # (N, 2) float64 [x, y] pixel centres along the boundary, in order
    closed: bool  # True when the stretch is a whole loop (the last point touches the first)
    own: int  # key of the region it was traced on (> 0)
    other: int  # key of the region on the other side (0 = background)


_N4 = ((0, -1), (0, 1), (-1, 0), (1, 0))  # (dx, dy)
_ND = ((-1, -1), (1, -1), (-1, 1), (1, 1))


def boundary_runs(key: np.ndarray, min_points: int = 2) -> list[Run]:
    """Every boundary of ``key`` as ordered runs.

    Args:
        key: ``(H, W)`` integer region map; 0 = background (never traced itself), any other value
            a region (it need not be connected: each connected piece gets its own outline).
        min_points: runs with fewer points are dropped.

    Returns:
        The runs, in a deterministic order (by region key, then outline, then position).
    """
    vals, inv = np.unique(np.asarray(key), return_inverse=True)
    lab = inv.reshape(key.shape).astype(np.int32)
    if vals[0] != 0:  # no background: shift so that label 0 stays "background"
        lab += 1
        vals = np.concatenate([[0], vals])
    padded = np.pad(lab, 1, constant_values=-1)  # -1 = outside the image: not a boundary
    runs: list[Run] = []
    for k, sl in enumerate(ndimage.find_objects(lab), start=1):
        if sl is None:
            continue
        y0, y1, x0, x1 = sl[0].start, sl[0].stop + 2, sl[1].start, sl[1].stop + 2  # padded coords, 1-px margin
        crop = padded[y0:y1, x0:x1]
        mask = (crop == k).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        for c in contours:
            xy = c[:, 0, :]
            other = _other_side(crop, xy, k)
            keep = (other == 0) | (other > k)
            for idx, closed in _split(other, keep):
                if idx.size < min_points:
                    continue
                pts = xy[idx].astype(np.float64) + (x0 - 1, y0 - 1)
                runs.append(Run(pts, closed, int(vals[k]), int(vals[other[idx[0]]])))
    return runs


def _other_side(crop: np.ndarray, xy: np.ndarray, k: int) -> np.ndarray:
    """``(N,) int`` label across the boundary at each outline pixel (-1: none, the image border)."""
    x, y = xy[:, 0], xy[:, 1]
    best = np.full(len(xy), -2, np.int64)
    for dx, dy in _N4:
        v = crop[y + dy, x + dx].astype(np.int64)
        best = np.maximum(best, np.where(v != k, v, -2))
    diag = np.full(len(xy), -2, np.int64)
    for dx, dy in _ND:  # an outline pixel whose only foreign neighbour is diagonal (8-connected corner)
        v = crop[y + dy, x + dx].astype(np.int64)
        diag = np.maximum(diag, np.where(v != k, v, -2))
    best = np.where(best == -2, diag, best)
    return np.where(best == -2, -1, best)


def _split(other: np.ndarray, keep: np.ndarray):
    """Yield ``(indices, closed)`` of the maximal kept stretches of constant ``other`` on a closed outline."""
    n = len(other)
    change = np.flatnonzero((other != np.roll(other, 1)) | (keep != np.roll(keep, 1)))
    if change.size == 0:
        if keep[0]:
            yield np.arange(n), True
        return
    # Start at a change so no stretch wraps around the array end; each stretch also takes the
    # first pixel of the next one, so consecutive stretches meet (a drawn outline stays connected).
    starts = change
    ends = np.r_[change[1:], change[0] + n]
    for s, e in zip(starts.tolist(), ends.tolist()):
        if keep[s]:
            yield np.arange(s, min(e + 1, s + n)) % n, False
