"""Configs of the segmenters: one `@dataclass` of defaults per method, a comment per field.

The fields are flat (no nested configs) so that the CLI's `key=value` overrides and YAML files map
onto them one to one; `dataprep.segment.api.make_config` builds one from such a mapping.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class InkConfig:
    """How a line image is split into paper, black ink and coloured shading ink.

    A pixel's darkness is its darkest channel (so coloured lines count), composited over white
    where the image has alpha. With `levels="auto"` the paper level is estimated per image and
    per place (tiles of the image, a smooth surface through them: grey paper, vignetting, uneven
    scans) and the ink level from the clearly dark pixels; `ink_threshold` is then relative:
    a pixel is ink when darker than ink + (paper - ink) * ink_threshold / 255, and never closer
    to the paper than `noise_sigmas` times the paper's noise. On white paper with black ink this
    is exactly `darkness < ink_threshold`. `levels="fixed"` uses the absolute gray level instead.
    Where alpha says a pixel is transparent (alpha < `alpha_threshold`) it is paper; an alpha
    that is opaque everywhere carries no information and the colours decide.
    An ink pixel is a coloured shading line (PBC draws shadow/highlight boundaries in red, green or
    blue) when most of its darkness comes from one hue, see `shading_saturation`.
    """

    ink_threshold: int = (
        200  # 0-255; high so the faint rim of an anti-aliased 1-px line stays ink and the line stays closed
    )
    levels: str = "auto"  # auto: paper/ink levels estimated per image (ink_threshold relative); fixed: absolute gray
    noise_sigmas: float = 4.0  # auto: paper pixels this many noise sigmas from the paper level are never ink
    alpha_threshold: int = 127  # 0-255; images with alpha: paper where alpha < this (PBC: alpha < 127 is paper)
    shading_saturation: float = (
        0.5  # (max-min)/(255-min) of an ink pixel's RGB at or above this makes it a coloured line
    )
    shading_min_chroma: int = 40  # and max-min must reach this, so a JPEG tint on black or gray lines is not colour


@dataclass
class TrappedBallConfig(InkConfig):
    """Line art -> segments with a leak-proof trapped-ball fill (the AnT setting)."""

    ball_radius: float = 3.0  # px; largest ball: a gap narrower than about 2*ball_radius px does not join two regions
    radius_step: float = 1.0  # px; the ball shrinks by this much per level until it reaches 0 (plain flood fill)
    merge_necks: bool = True  # re-join segments split where no stroke ends nearby (a narrow neck, not a gap)
    min_area: int = (
        8  # px; segments smaller than this are merged into a neighbour (rule in postprocess.merge_small_segments)
    )
    keep_lines: bool = True  # True: line pixels are label 0; False: each goes to the nearest segment
    fold_shading_lines: bool = (
        True  # coloured shading lines bound regions, then their pixels join the smallest adjacent segment (as PBC)
    )


@dataclass
class ClosedLineConfig(InkConfig):
    """Closed line art -> segments: the 4-connected components of non-line pixels (how PBC made `seg`).

    The defaults reproduce PBC's `seg` maps exactly: no merging, no folding, lines kept as 0.
    """

    min_area: int = 0  # px; 0 keeps every component (exact PBC partition)
    keep_lines: bool = True  # True: line pixels are label 0; False: each goes to the nearest segment
    fold_shading_lines: bool = False  # True: coloured shading-line pixels join the smallest adjacent segment


@dataclass
class ColorSegmentConfig(InkConfig):
    """Coloured line art or flat-coloured frame -> segments by colour clustering (the patch-ViT setting).

    The `InkConfig` fields apply only when a separate line image is passed to `segment_colored`.
    """

    n_colors: int | None = None  # palette size K; None picks K from the peaks of the colour histogram
    max_colors: int = 64  # upper bound on the automatic K (at most 1024)
    merge_distance: float = 8.0  # CIELAB Delta-E under which two histogram peaks are one colour (JPEG noise is ~2-5)
    min_peak_fraction: float = 2e-5  # a palette colour must hold at least this fraction of the pixels ...
    min_peak_pixels: int = 16  # ... and at least this many pixels
    denoise: bool = True  # 3x3 median before assigning colours: removes JPEG speckle and the dark halo beside lines
    detect_lines: bool = True  # dark thin strokes become the line class; False: every pixel is coloured region
    line_contrast: float = (
        0.2  # a line pixel's brightest channel is at least this fraction below the paint around it ...
    )
    line_min_contrast: int = 24  # ... and at least this much (0-255) below it, above JPEG noise
    line_max_width: int = 5  # px; darker structures up to this wide are lines, wider ones are dark regions (black hair)
    paint_distance: float = (
        12.0  # Delta-E; a detected line pixel this close to the colour of a region beside it is paint
    )
    min_area: int = 64  # px; fragments smaller than this that touch another region directly are merged
    enclosed_min_area: int = 4  # px; fragments enclosed by lines are kept unless smaller than this
    keep_lines: bool = True  # True: line pixels are label 0; False: each goes to the nearest segment


@dataclass
class LineExtractConfig(ColorSegmentConfig):
    """Coloured frame -> closed 1-2 px line image usable by the trapped-ball or closed-line segmenter."""

    line_width: int = 1  # 1 or 2 px; 1 marks one side of each region boundary, 2 marks both
    keep_strokes: bool = True  # also draw the skeleton of open dark strokes that bound no region (folds, hair strands)
