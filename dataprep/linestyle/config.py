"""Settings of the drawn line styles (``linecorr render --line-style``): one dataclass, a comment per field.

Widths are given in pixels *at 1024²* and scaled with the frame size, so a style looks the same at
every resolution (a 2-px silhouette at 1024² is 1.5 px at 768²).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The styles, in the order the benchmark lists its tracks.
STYLES = ("exact", "clean", "rough", "extracted")


@dataclass
class CleanStyle:
    """Production clean-up lines (PaintBucket-Character): closed, 1-3 px, hard-edged."""

    silhouette_width: float = 2.6  # px at 1024²: outline against the background (the heaviest line)
    interior_width: float = 1.7  # px at 1024²: boundaries between two parts
    tone_width: float = 1.3  # px at 1024²: colored highlight / shadow boundaries
    pen_range: tuple[float, float] = (0.8, 1.25)  # per-character pen width multiplier (drawn per clip)
    pressure: float = 0.25  # relative width variation along a stroke (smooth noise, 0 = uniform)
    pressure_scale: float = 48.0  # px at 1024²: length over which the pen pressure changes
    antialias: bool = False  # False: hard-edged ink (a bucket fill needs it); True: soft edges, same closed core
    antialias_share: float = 0.0  # share of clips drawn anti-aliased even when antialias is False
    tone_lines: bool = True  # with the shadow pass: draw tone boundaries in PBC's colors
    highlight_rgb: tuple[int, int, int] = (255, 0, 0)  # PBC: pure red marks highlight boundaries
    shadow_rgb: tuple[int, int, int] = (0, 0, 255)  # PBC: pure blue marks shadow boundaries


@dataclass
class RoughStyle:
    """Hand-drawn rough keys: soft tapered strokes, jitter, overshoot, gaps, omitted boundaries."""

    width: float = 2.2  # px at 1024²: mean stroke width at full pressure
    width_jitter: float = 0.35  # relative width change between strokes
    taper: float = 14.0  # px at 1024²: length over which a stroke end thins to nothing
    darkness: tuple[float, float] = (0.55, 0.95)  # ink density range of a stroke (pencil pressure)
    jitter: float = 1.1  # px at 1024²: amplitude of the hand's wobble across the stroke
    jitter_scale: float = 40.0  # px at 1024²: wavelength of the wobble
    smooth: float = 3.0  # px at 1024²: Gaussian smoothing of the traced path (hides the pixel staircase)
    overshoot: tuple[float, float] = (1.0, 7.0)  # px at 1024²: how far a stroke runs past its end
    gap_rate: float = 4.0  # gaps per 1000 px of stroke
    gap_length: tuple[float, float] = (4.0, 16.0)  # px at 1024²: gap length range
    max_stroke: float = 160.0  # px at 1024²: a boundary longer than this is drawn as several strokes
    break_overlap: float = 0.35  # chance that consecutive strokes overlap instead of leaving a gap
    double_rate: float = 0.12  # share of strokes drawn twice (a second, offset pass)
    double_offset: float = 1.6  # px at 1024²: offset of the second pass
    omit_same_paint: bool = True  # boundaries between touching parts of the same paint are not drawn
    omit_interior: float = 0.25  # share of the other interior boundaries left undrawn
    min_length: float = 6.0  # px at 1024²: shorter boundary pieces are dropped (a sketch skips specks)
    supersample: int = 2  # strokes are drawn at this multiple of the size, then area-averaged (anti-aliasing)


@dataclass
class ExtractedStyle:
    """Lines extracted from the colored frame (the manga paper's ATD-12K / GenAI setting)."""

    line_width: int = 1  # 1 or 2 px: the extractor's boundary width
    soften: float = 0.6  # px: Gaussian blur of the extracted lines (extractors output soft ink; 0 = none)


@dataclass
class LineStyleConfig:
    """How line art is drawn from a frame's exact part ids (and tones, and colors)."""

    mix: dict = field(default_factory=dict)  # style -> share for `--line-style mix` (e.g. {"clean": 0.5, "rough": 0.5})
    trapped_ball_radius: float = 3.0  # px: the ball that finds the segments of open styles (rough, extracted)
    clean: CleanStyle = field(default_factory=CleanStyle)  # the `clean` style
    rough: RoughStyle = field(default_factory=RoughStyle)  # the `rough` style
    extracted: ExtractedStyle = field(default_factory=ExtractedStyle)  # the `extracted` style
