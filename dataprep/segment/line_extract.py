"""Line extraction from coloured frames, for users without line art.

Classical, no learned weights: the frame is segmented by colour (`color_cluster.segment_colored`,
drawn dark lines assigned to the nearest region), and the line image is the set of region
boundaries: a pixel is ink when its right or lower neighbour belongs to another segment (1 px), or
when any 4-neighbour does (2 px, both sides). Every 4-adjacent pair of different segments loses at
least one pixel to the ink, so the lines are closed by construction and the 4-connected components
of the paper reproduce the colour segments (up to segments a 1-px line cuts in two). Open dark
strokes that bound no region (folds, hair strands) are added as their skeleton when
`keep_strokes`, away from the boundaries so they do not thicken them.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
from skimage.morphology import skeletonize

from dataprep.errors import LinecorrError
from dataprep.segment.color_cluster import as_rgb, detect_line_pixels, segment_colored
from dataprep.segment.config import LineExtractConfig
from dataprep.segment.labelops import boundary_lines


def extract_lines(image: np.ndarray, config: LineExtractConfig | None = None) -> np.ndarray:
    """Closed 1-2 px line art from a coloured frame.

    Args:
        image: (H, W, 3) uint8 RGB or (H, W, 4) RGBA coloured frame.
        config: options, `LineExtractConfig()` when None.

    Returns:
        (H, W) uint8 line image, 0 = ink, 255 = paper: input for `segment_trapped_ball` or
        `segment_closed_lines`.
    """
    cfg = config or LineExtractConfig()
    seg_cfg = dataclasses.replace(cfg, keep_lines=False)
    labels = segment_colored(image, seg_cfg)
    if cfg.line_width not in (1, 2):
        raise LinecorrError(f"line_width must be 1 or 2, got {cfg.line_width}")
    ink = boundary_lines(labels, both_sides=cfg.line_width == 2)  # 2: both pixels of each boundary
    if cfg.keep_strokes and cfg.detect_lines:
        lines = detect_line_pixels(as_rgb(image), cfg.line_contrast, cfg.line_min_contrast, cfg.line_max_width)
        strokes = skeletonize(lines)
        near = cv2.dilate(ink.view(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        ink |= strokes & ~near
    return np.where(ink, 0, 255).astype(np.uint8)
