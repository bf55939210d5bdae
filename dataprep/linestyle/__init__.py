"""Drawn line styles: line art a person would take for drawn, from exact part ids (docs/LINE_STYLES.md).

``exact`` (the id boundaries), ``clean`` (production clean-up lines), ``rough`` (hand-drawn keys) and
``extracted`` (lines extracted from the colored frame). :func:`draw_frame` draws one frame;
:func:`drawing_segments` finds the segments the drawing encloses; :mod:`.stats` measures strokes.
"""

from dataprep.linestyle.config import STYLES, CleanStyle, ExtractedStyle, LineStyleConfig, RoughStyle
from dataprep.linestyle.draw import ClipPen, Drawing, clip_pen, draw_frame
from dataprep.linestyle.ground_truth import drawing_segments, part_map, pixel_labels

__all__ = ["STYLES", "CleanStyle", "ClipPen", "Drawing", "ExtractedStyle", "LineStyleConfig", "RoughStyle",
           "clip_pen", "draw_frame", "drawing_segments", "part_map", "pixel_labels"]
