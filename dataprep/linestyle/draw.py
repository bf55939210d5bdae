"""Drawing a frame's line art in a style, from its exact part ids (and tones, and color render).

Why strokes are made this way (see docs/LINE_STYLES.md): the exact id map is the ground truth, so
every style is drawn *from* it and never changes it. ``clean`` thickens the exact boundary (closed by
construction, widths by kind and pen pressure, PBC's red/blue tone lines); ``rough`` traces the
boundaries into paths and draws them as a hand would (smoothed, wobbling, tapered, overshooting,
broken, sometimes doubled, some boundaries never drawn); ``extracted`` runs the toolkit's own line
extractor on the flat-painted frame, so what separates regions is only what the paint shows. Pure
numpy/OpenCV: a 1024² frame costs well under the render itself and needs no OpenGL.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from dataprep.errors import LinecorrError
from dataprep.linestyle.config import STYLES, CleanStyle, LineStyleConfig, RoughStyle
from dataprep.linestyle.raster import Stroke, closed_lines, draw_strokes, smooth_noise
from dataprep.linestyle.trace import boundary_runs
from dataprep.segment.labelops import boundary_lines

#: Boundary kinds of the clean style (codes of :func:`dataprep.linestyle.raster.closed_lines`).
SILHOUETTE, INTERIOR, HIGHLIGHT, SHADOW = 1, 2, 3, 4
#: Tone index of the renderer's tone pass.
TONE_SHADOW, TONE_BASE, TONE_HIGHLIGHT = 0, 1, 2


@dataclass
class Drawing:
    """One frame's line art in one style."""

    style: str  # the style that drew it
    line: np.ndarray  # (H, W) uint8 gray (0 = ink) or (H, W, 3) uint8 RGB with colored tone lines
    ink: np.ndarray  # (H, W) float32 ink coverage in [0, 1] (colored lines included)
    color: np.ndarray  # (H, W, 3) uint8 RGB color frame as a cel of this drawing would look
    shading: np.ndarray  # (H, W) bool colored tone-line pixels (PBC's red/blue lines), a subset of the ink


@dataclass
class ClipPen:
    """What stays fixed over a clip: the artist's pen (and whether it is anti-aliased)."""

    pen: float  # width multiplier of this character's pen
    antialias: bool  # clean style: soft edges


def clip_pen(cfg: LineStyleConfig, rng: np.random.Generator) -> ClipPen:
    """Draw the clip-level style parameters (one pen per character and clip)."""
    lo, hi = cfg.clean.pen_range
    pen = float(rng.uniform(lo, hi))
    aa = cfg.clean.antialias or bool(rng.random() < cfg.clean.antialias_share)
    return ClipPen(pen, aa)


def draw_frame(style: str, ids: np.ndarray, render: np.ndarray, tone: np.ndarray | None,
               part_color: dict[int, int], cfg: LineStyleConfig, pen: ClipPen,
               rng: np.random.Generator) -> Drawing:
    """Draw one frame's line art.

    Args:
        style: one of :data:`STYLES`.
        ids: ``(H, W) int`` exact part id per pixel, 0 = background.
        render: ``(H, W, 3) uint8`` RGB color render without lines (paper white).
        tone: optional ``(H, W) uint8`` tone index (0 shadow, 1 base, 2 highlight).
        part_color: part id -> color label (the paint; parts sharing one are "the same paint").
        cfg: the style settings; pen: the clip's pen; rng: this frame's generator.

    Returns:
        The :class:`Drawing` (``line``, ``ink``, ``color``).
    """
    if style not in STYLES:
        raise LinecorrError(f"unknown line style {style!r} (choose one of {', '.join(STYLES)})")
    ids = np.asarray(ids).astype(np.int32)
    scale = ids.shape[1] / 1024.0
    h, w = ids.shape
    # Draw inside the character's bounding box only (plus a margin for overshoot and wobble):
    # the paper around it costs time and holds no line.
    m = int(np.ceil(32 * scale)) + 8
    x, y, bw, bh = cv2.boundingRect((ids > 0).view(np.uint8) if ids.dtype == np.uint8 else (ids > 0).astype(np.uint8))
    x0, y0, x1, y1 = max(0, x - m), max(0, y - m), min(w, x + bw + m), min(h, y + bh + m)
    if bw == 0 or bh == 0:
        x0, y0, x1, y1 = 0, 0, w, h
    sl = (slice(y0, y1), slice(x0, x1))
    c_ids, c_render = ids[sl], render[sl]
    c_tone = None if tone is None else tone[sl]
    if style == "exact":
        key = c_ids if c_tone is None else c_ids * 4 + c_tone.astype(np.int32)
        ink = boundary_lines(key).astype(np.float32)
        line, black = np.where(ink > 0, 0, 255).astype(np.uint8), ink
    elif style == "clean":
        line, ink, black = _clean(c_ids, c_tone, cfg.clean, pen, scale, rng)
    elif style == "rough":
        line, ink, black = _rough(c_ids, part_color, cfg.rough, pen, scale, rng)
    else:
        line, ink, black = _extracted(c_ids, c_render, c_tone, cfg)
    full_line = np.full((h, w) + line.shape[2:], 255, np.uint8)
    full_line[sl] = line
    full_ink = np.zeros((h, w), np.float32)
    full_ink[sl] = ink
    full_black = np.zeros((h, w), np.float32)
    full_black[sl] = black
    # Colored lines: inked pixels whose ink is mostly not black (only the clean style draws them).
    shading = (full_ink >= 0.5) & (full_black < 0.5 * full_ink) if style == "clean" else np.zeros((h, w), bool)
    return Drawing(style, full_line, full_ink, _cel(render, ids, full_black), shading)


def _cel(render: np.ndarray, ids: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """The render with black ink of density ``ink`` drawn on; pure white far from every part."""
    col = render.astype(np.float32)
    # Far from every part the render is pure white paper; border renders leave it black: repaint.
    near = cv2.dilate((ids > 0).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    col[~near] = 255.0
    col *= (1.0 - ink)[..., None]
    return np.clip(np.round(col), 0, 255).astype(np.uint8)


def _clean(ids, tone, c: CleanStyle, pen: ClipPen, scale: float, rng):
    """``(line, ink, black)``: the line image, its ink coverage and the black ink a cel keeps."""
    with_tone = tone is not None and c.tone_lines
    key = ids * 4 + tone.astype(np.int32) if with_tone else ids * 4

    def classify(own: np.ndarray, other: np.ndarray) -> np.ndarray:
        po, pt = own // 4, other // 4
        kind = np.where((po == 0) | (pt == 0), SILHOUETTE, INTERIOR)
        same = (po == pt) & (po > 0)
        hi = np.maximum(own % 4, other % 4) == TONE_HIGHLIGHT
        return np.where(same, np.where(hi & (np.minimum(own % 4, other % 4) == TONE_BASE), HIGHLIGHT, SHADOW),
                        kind).astype(np.int8)

    base = {SILHOUETTE: c.silhouette_width, INTERIOR: c.interior_width, HIGHLIGHT: c.tone_width,
            SHADOW: c.tone_width}
    widths = {k: max(1.0, v * scale * pen.pen) for k, v in base.items()}
    mod = 1.0 + c.pressure * smooth_noise(ids.shape, c.pressure_scale * scale, rng) if c.pressure > 0 else None
    cov = closed_lines(key, classify, widths, mod, 4)
    if with_tone:
        # Colored lines end at the black ones (as in PBC): the exact part boundary is always black, so
        # the black lines alone close every part and the colored ones only split a part into tones.
        pb = boundary_lines(ids)
        cov[HIGHLIGHT - 1][pb] = 0.0
        cov[SHADOW - 1][pb] = 0.0
        cov[INTERIOR - 1][pb] = 1.0 - cov[SILHOUETTE - 1][pb]
    if not pen.antialias:
        cov = _harden(cov)
    black = np.clip(cov[SILHOUETTE - 1] + cov[INTERIOR - 1], 0.0, 1.0)
    red, blue = cov[HIGHLIGHT - 1], cov[SHADOW - 1]
    ink = np.clip(black + red + blue, 0.0, 1.0)
    if not with_tone:
        return np.round(255 * (1 - black)).astype(np.uint8), ink, black
    line = np.full(ids.shape + (3,), 255.0, np.float32)
    for cv, rgb in ((red, c.highlight_rgb), (blue, c.shadow_rgb), (black, (0, 0, 0))):
        line = line * (1 - cv[..., None]) + cv[..., None] * np.asarray(rgb, np.float32)
    # The painter fills over the colored lines: the cel keeps only the black ones.
    return np.clip(np.round(line), 0, 255).astype(np.uint8), ink, black


def _harden(cov: np.ndarray) -> np.ndarray:
    """Hard-edged ink: a pixel is fully inked in its dominant kind when the coverage reaches 1/2."""
    total = cov.sum(axis=0)
    top = cov.argmax(axis=0)
    out = np.zeros_like(cov)
    on = total >= 0.5
    ys, xs = np.nonzero(on)
    out[top[ys, xs], ys, xs] = 1.0
    return out


def _rough(ids, part_color: dict[int, int], r: RoughStyle, pen: ClipPen, scale: float, rng):
    """``(line, ink, black)`` of a rough sketch (pencil: the cel shows it too)."""
    strokes: list[Stroke] = []
    for run in boundary_runs(ids, min_points=max(2, int(r.min_length * scale))):
        if run.other > 0:
            same_paint = part_color.get(run.own, -1) == part_color.get(run.other, -2)
            if (r.omit_same_paint and same_paint) or rng.random() < r.omit_interior:
                continue
        strokes.extend(_hand_strokes(run.points, run.closed, r, pen.pen, scale, rng))
    dark = draw_strokes(strokes, ids.shape, r.supersample)
    return np.round(255 * (1 - dark)).astype(np.uint8), dark, dark


def _resample(pts: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` px of arc length along the polyline ``pts`` ``(N, 2)``."""
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.r_[0.0, np.cumsum(seg)]
    if s[-1] <= 0:
        return pts[:1]
    t = np.linspace(0.0, s[-1], max(2, int(np.ceil(s[-1] / step)) + 1))
    return np.stack([np.interp(t, s, pts[:, 0]), np.interp(t, s, pts[:, 1])], axis=1)


def _gauss_smooth(pts: np.ndarray, sigma: float, closed: bool) -> np.ndarray:
    """Smooth a 1-px-spaced path with a Gaussian of ``sigma`` points (ends kept in place when open)."""
    if sigma <= 0 or len(pts) < 3:
        return pts
    from scipy.ndimage import gaussian_filter1d

    out = gaussian_filter1d(pts, sigma, axis=0, mode="wrap" if closed else "nearest")
    if not closed:
        out[0], out[-1] = pts[0], pts[-1]
    return out


def _normals(pts: np.ndarray) -> np.ndarray:
    d = np.gradient(pts, axis=0)
    n = np.stack([-d[:, 1], d[:, 0]], axis=1)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)


def _hand_strokes(pts: np.ndarray, closed: bool, r: RoughStyle, pen: float, scale: float, rng) -> list[Stroke]:
    """Turn one traced boundary into the strokes a hand would make along it."""
    path = _gauss_smooth(_resample(pts, 1.0), r.smooth * scale, closed)
    if closed:
        path = np.vstack([path, path[:1]])
    length = len(path) - 1
    # Cut the path into strokes no longer than max_stroke; between two strokes either a gap or an overlap.
    pieces: list[tuple[int, int]] = []
    start = 0
    max_len = max(8, int(r.max_stroke * scale))
    while start < length:
        end = min(length, start + int(rng.uniform(0.5, 1.0) * max_len))
        pieces.append((start, end))
        if end >= length:
            break
        lap = rng.random() < r.break_overlap
        start = end - int(rng.uniform(2, 6) * scale + 1) if lap else end + int(rng.uniform(*r.gap_length) * scale)
    # Extra gaps inside strokes at gap_rate per 1000 px.
    cut: list[tuple[int, int]] = []
    for a, b in pieces:
        n_gaps = rng.poisson(r.gap_rate * (b - a) / 1000.0)
        marks = sorted(int(rng.uniform(a, b)) for _ in range(n_gaps))
        for m in marks:
            g = int(rng.uniform(*r.gap_length) * scale) + 1
            if m - a > 2:
                cut.append((a, m))
            a = min(b, m + g)
        if b - a > 2:
            cut.append((a, b))
    out: list[Stroke] = []
    w0 = r.width * scale * pen
    for a, b in cut:
        seg = path[a:b + 1]
        if len(seg) < 3:
            continue
        for pass_no in range(2 if rng.random() < r.double_rate else 1):
            out.append(_one_stroke(seg, r, w0 * (1.0 if pass_no == 0 else 0.7), scale, rng,
                                   offset=pass_no * r.double_offset * scale * rng.choice([-1.0, 1.0])))
    return out


def _one_stroke(seg: np.ndarray, r: RoughStyle, w0: float, scale: float, rng, offset: float) -> Stroke:
    """One stroke along ``seg``: overshoot at both ends, wobble, taper, pressure."""
    ext = []
    for end, nxt in ((seg[0], seg[min(3, len(seg) - 1)]), (seg[-1], seg[max(-4, -len(seg))])):
        d = end - nxt
        d = d / max(np.linalg.norm(d), 1e-9)
        ext.append(end + d * rng.uniform(*r.overshoot) * scale)
    seg = _resample(np.vstack([ext[0], seg, ext[1]]), 1.0)
    n = len(seg)
    # Hand wobble: smooth 1-D noise across the stroke, wavelength jitter_scale.
    knots = max(2, int(n / max(r.jitter_scale * scale, 1.0)) + 2)
    wob = np.interp(np.linspace(0, knots - 1, n), np.arange(knots), rng.normal(0, 1, knots))
    seg = seg + _normals(seg) * (wob * r.jitter * scale + offset)[:, None]
    s = np.arange(n, dtype=np.float64)
    taper = np.clip(np.minimum(s, n - 1 - s) / max(r.taper * scale, 1.0), 0.0, 1.0) ** 0.6
    width = w0 * (1.0 + r.width_jitter * rng.uniform(-1, 1)) * (0.25 + 0.75 * taper)
    return Stroke(seg, width, float(rng.uniform(*r.darkness)))


def _extracted(ids, render, tone, cfg: LineStyleConfig):
    """``(line, ink, black)``: lines extracted from the flat-painted frame (the frame itself shows none)."""
    from dataprep.segment.config import LineExtractConfig
    from dataprep.segment.line_extract import extract_lines

    flat = flat_paint(ids, render, tone)
    ecfg = dataclasses.replace(LineExtractConfig(), line_width=cfg.extracted.line_width)
    line = extract_lines(flat, ecfg)
    dark = (255 - line).astype(np.float32) / 255.0
    if cfg.extracted.soften > 0:
        dark = np.maximum(dark, cv2.GaussianBlur(dark, (0, 0), cfg.extracted.soften) * 1.4).clip(0, 1)
    return np.round(255 * (1 - dark)).astype(np.uint8), dark, np.zeros_like(dark)


def flat_paint(ids: np.ndarray, render: np.ndarray, tone: np.ndarray | None) -> np.ndarray:
    """``(H, W, 3) uint8`` the frame painted flat: each (part, tone) region in its mean rendered color.

    Averaging over a region's inner pixels removes the render's anti-aliasing, whose last bit may
    differ between CPUs: the extracted lines then depend only on the exact maps and the palette.
    """
    key = ids * 4 + (tone.astype(np.int32) if tone is not None else 0)
    vals, inv = np.unique(key, return_inverse=True)
    inv = inv.reshape(key.shape)
    inner = ~cv2.dilate(boundary_lines(key, 1).view(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    flat = np.full(render.shape, 255, np.uint8)
    for ch in range(3):
        num = np.bincount(inv[inner], weights=render[..., ch][inner].astype(np.float64), minlength=vals.size)
        den = np.bincount(inv[inner], minlength=vals.size)
        allnum = np.bincount(inv.ravel(), weights=render[..., ch].ravel().astype(np.float64), minlength=vals.size)
        allden = np.bincount(inv.ravel(), minlength=vals.size)
        mean = np.where(den > 0, num / np.maximum(den, 1), allnum / np.maximum(allden, 1))
        flat[..., ch] = np.round(mean).astype(np.uint8)[inv]
    flat[ids == 0] = 255  # paper
    return flat
