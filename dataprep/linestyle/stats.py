"""Stroke statistics of a line image: what makes line art look drawn, measured the same way for any source.

The figures the line-styles benchmark prints next to real drawings (docs/LINE_STYLES.md):

- stroke width: at every skeleton pixel of the ink, twice the distance to the paper minus one;
- anti-aliased share: ink pixels that are only partly covered (neither paper nor full ink);
- boundary drawn: share of the exact part-boundary pixels with ink within ``reach`` px (needs ids);
- open ends per 1000 px of stroke centre line: skeleton pixels with at most one skeleton
  neighbour (:func:`dataprep.segment.trapped_ball.line_endpoints`), per skeleton length. Real rough
  sketches measure 20-30, clean-up lines 0-4.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.morphology import skeletonize

from dataprep.segment.labelops import boundary_lines
from dataprep.segment.trapped_ball import line_endpoints


def stroke_stats(darkness: np.ndarray, ids: np.ndarray | None = None, reach: int = 2) -> dict[str, float]:
    """Statistics of one line image.

    Args:
        darkness: ``(H, W) float32`` ink density in [0, 1] (1 = full ink); e.g. ``1 - line / 255``.
        ids: optional ``(H, W) int`` exact part ids (0 = background): enables ``boundary_drawn``.
        reach: px; a boundary pixel counts as drawn when ink lies this close.

    Returns:
        ``width_p10``, ``width_p50``, ``width_p90``, ``width_mean`` (px), ``aa_share``, ``open_ends_per_kpx``,
        ``centre_line_px`` and, with ``ids``, ``boundary_drawn``.
    """
    d = np.asarray(darkness, np.float32)
    ink = d >= 0.5
    anyink = d > 0.04
    out: dict[str, float] = {"aa_share": float(((d > 0.04) & (d < 0.96)).sum() / max(1, anyink.sum()))}
    skel = skeletonize(ink)
    n_skel = int(skel.sum())
    dist = cv2.distanceTransform(ink.view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    widths = 2.0 * dist[skel] - 1.0
    for q in (10, 50, 90):
        out[f"width_p{q}"] = float(np.percentile(widths, q)) if widths.size else 0.0
    out["width_mean"] = float(ink.sum() / max(1, n_skel))  # ink area per px of centre line
    out["centre_line_px"] = float(n_skel)
    out["open_ends_per_kpx"] = float(line_endpoints(ink).sum() * 1000.0 / max(1, n_skel))
    if ids is not None:
        bnd = boundary_lines(np.asarray(ids).astype(np.int64))
        near = cv2.dilate(ink.view(np.uint8), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)).astype(bool)
        out["boundary_drawn"] = float((bnd & near).sum() / max(1, bnd.sum()))
    return out
