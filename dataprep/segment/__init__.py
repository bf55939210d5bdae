"""Segmentation: line art or coloured frames -> (H, W) int32 segment label maps.

Conventions: 0 = line pixels (when kept as the line class), segments 1..N numbered contiguously in
raster order of their first pixel. Line images are (H, W) uint8 gray (0 = ink; white or grey
paper), (H, W, 2) gray + alpha, (H, W, 3) RGB or (H, W, 4) RGBA (transparent = paper; an alpha
opaque everywhere is ignored), uint16 rounded to 8 bits; paper and ink levels are estimated per
image (`InkConfig.levels`, see `ink.py`). Coloured frames are (H, W, 3) uint8 RGB.

Methods:
    segment_trapped_ball  leak-proof trapped-ball fill of line art with gaps (AnT setting)
    segment_closed_lines  4-connected components of non-line pixels (PaintBucket-Character `seg`)
    segment_colored       colour clustering of coloured line art / frames (patch-ViT setting)
    extract_lines         closed 1-2 px line art from a coloured frame, for the two above
    segment_image         one entry point by method name, for the CLI and process pools
"""

from dataprep.segment.api import METHODS, lines_from_color, make_config, segment_image
from dataprep.segment.closed_lines import connected_segments, segment_closed_lines
from dataprep.segment.color_cluster import segment_colored
from dataprep.segment.config import (
    ClosedLineConfig,
    ColorSegmentConfig,
    InkConfig,
    LineExtractConfig,
    TrappedBallConfig,
)
from dataprep.segment.evaluate import adjusted_rand, partition_scores, segment_iou
from dataprep.segment.ink import InkMasks, ink_masks
from dataprep.segment.labelops import fill_from_neighbours, relabel_raster
from dataprep.segment.line_extract import extract_lines
from dataprep.segment.postprocess import fold_shading_lines, merge_small_segments
from dataprep.segment.trapped_ball import segment_trapped_ball, trapped_ball_fill

__all__ = [
    "METHODS",
    "ClosedLineConfig",
    "ColorSegmentConfig",
    "InkConfig",
    "InkMasks",
    "LineExtractConfig",
    "TrappedBallConfig",
    "adjusted_rand",
    "connected_segments",
    "extract_lines",
    "fill_from_neighbours",
    "fold_shading_lines",
    "ink_masks",
    "lines_from_color",
    "make_config",
    "merge_small_segments",
    "partition_scores",
    "relabel_raster",
    "segment_closed_lines",
    "segment_colored",
    "segment_image",
    "segment_iou",
    "segment_trapped_ball",
    "trapped_ball_fill",
]
