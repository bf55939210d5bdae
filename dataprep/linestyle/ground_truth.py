"""Ground truth of a drawn frame: the segments its drawing encloses, labelled by the exact parts.

A real dataset's segments come from its line art, not from the paint: closed line art gives the
4-connected components of its paper (PBC's rule, colored tone lines folded into the smallest
neighbouring segment); open line art needs a gap-closing fill (trapped-ball). The same is done here
on each style's drawing, so the segments are what a user's own pipeline would produce, while the
exact part-id map stays untouched beside them: each segment is labelled with its majority part and
its purity (share of its pixels in that part) is recorded.
"""

from __future__ import annotations

import numpy as np

from dataprep.linestyle.config import LineStyleConfig
from dataprep.linestyle.draw import Drawing
from dataprep.segment.closed_lines import connected_segments
from dataprep.segment.ink import InkMasks
from dataprep.segment.postprocess import finish_line_segments
from dataprep.segment.trapped_ball import merge_necks, trapped_ball_fill

#: Styles whose lines close every region (segments = components of the paper).
CLOSED_STYLES = ("exact", "clean")


def drawing_segments(drawing: Drawing, cfg: LineStyleConfig) -> np.ndarray:
    """``(H, W) int32`` segments of a drawing: 0 = line pixels, 1..N in raster order.

    The ink is the drawing's own (coverage >= 1/2), not re-read from the line image: the ground
    truth must not move when the toolkit's reading of user images (paper levels, thresholds) is tuned.
    """
    if drawing.style == "exact":
        return connected_segments(drawing.ink > 0)
    ink = drawing.ink >= 0.5
    if drawing.style in CLOSED_STYLES:
        masks = InkMasks(ink, drawing.shading & ink)
        return finish_line_segments(connected_segments(ink), masks, 0, True, True)
    r = cfg.trapped_ball_radius
    labels = trapped_ball_fill(ink, r, 1.0)
    if r > 0:
        labels = merge_necks(labels, ink, r)
    return finish_line_segments(labels, InkMasks(ink, np.zeros_like(ink)), 0, True, False)


def part_map(ids: np.ndarray) -> np.ndarray:
    """``(H, W) int32`` the format's part map: part id, -1 on the background (renderer id 0)."""
    ids = np.asarray(ids).astype(np.int32)
    return np.where(ids == 0, -1, ids)


def pixel_labels(seg: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """``(H, W) int32`` pixel label map in PBC's convention: the part, 0 on line pixels, -1 background."""
    return np.where(seg == 0, 0, parts).astype(np.int32)
