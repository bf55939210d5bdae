"""Part regions: the ground-truth regions of the raw-line task (format 1.1).

Under a drawn line style the segments are what the drawing encloses, which need not be the painted
parts; the raw-line task (patch-ViT) is scored against the parts themselves. A *part region* is a
4-connected piece of one part in the exact part-id map (``parts/``), the background's pieces
included; two regions correspond when they belong to the same part (> 0). Numbering is the raster
order of each region's first pixel, so a pair's ``region_matches`` refer to ids anyone recomputes
from ``parts/`` with :func:`part_regions`.
"""

from __future__ import annotations

import numpy as np
from skimage.measure import label as _cc_label


def part_regions(parts: np.ndarray) -> np.ndarray:
    """Connected pieces of every part.

    Args:
        parts: ``(H, W)`` int exact part id per pixel, -1 (or 0) = background.

    Returns:
        ``(H, W) int32`` region ids 1..R in raster order of each region's first pixel.
    """
    parts = np.asarray(parts)
    if parts.size == 0:
        return np.zeros(parts.shape, np.int32)
    lab = _cc_label(parts.astype(np.int64) - int(parts.min()) + 1, background=0, connectivity=1)
    flat = lab.ravel()
    ids, first = np.unique(flat, return_index=True)
    rank = np.empty(int(ids.max()) + 1, np.int32)
    rank[ids[np.argsort(first)]] = np.arange(1, ids.size + 1, dtype=np.int32)
    return rank[lab]


def region_parts(regions: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """``(R + 1,) int64``: the part of each region id (index 0 unused, -1)."""
    out = np.full(int(regions.max()) + 1 if regions.size else 1, -1, np.int64)
    out[regions.ravel()] = np.asarray(parts).ravel()
    out[0] = -1
    return out


def region_matches(parts_a: np.ndarray, parts_b: np.ndarray) -> list[tuple[int, int]]:
    """Every ``(region of A, region of B)`` of the same part (> 0), sorted."""
    ra, rb = part_regions(parts_a), part_regions(parts_b)
    return match_regions(region_parts(ra, parts_a), region_parts(rb, parts_b))


def match_regions(pa: np.ndarray, pb: np.ndarray) -> list[tuple[int, int]]:
    """Region pairs of the same part (> 0), given each frame's :func:`region_parts`; sorted."""
    by_part: dict[int, list[int]] = {}
    for r, p in enumerate(pb.tolist()):
        if p > 0:
            by_part.setdefault(p, []).append(r)
    return sorted((a, b) for a, p in enumerate(pa.tolist()) if p > 0 for b in by_part.get(p, ()))
