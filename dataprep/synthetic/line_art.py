"""Render-like synthetic line art and coloured frames with known segments, for the segmenters' tests and benchmarks.

A scene is a map of part ids (random ellipses and polygons painted over each other). Lines are the
pixels where the segment changes (:func:`dataprep.segment.labelops.boundary_lines`: exact, they
enclose every segment), optionally thickened,
anti-aliased, broken by gaps, or joined by coloured shading lines; the ground truth is the
4-connected components of the non-line pixels, numbered in raster order. Everything is
deterministic given the seed.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from dataprep.segment.closed_lines import connected_segments
from dataprep.segment.labelops import boundary_lines, relabel_raster

SHADING_COLORS = ((255, 0, 0), (0, 255, 0), (0, 0, 255))  # PBC: red highlight, green, blue shadow


class LineArt(NamedTuple):
    """A rendered line image and its ground truth.

    Attributes:
        image: (H, W) uint8 gray, (H, W, 3) RGB or (H, W, 4) RGBA line art.
        gt: (H, W) int32, 0 on line pixels (before gaps were cut), segments 1..N in raster order.
        ink: (H, W) bool, the line pixels as drawn (after gaps were cut).
    """

    image: np.ndarray
    gt: np.ndarray
    ink: np.ndarray


def random_parts(h: int, w: int, n_shapes: int, seed: int = 0, size: tuple[float, float] = (0.03, 0.2)) -> np.ndarray:
    """Paint random ellipses and polygons over a background.

    Args:
        h, w: image size.
        n_shapes: number of shapes.
        seed: random seed.
        size: (min, max) shape radius as a fraction of min(h, w).

    Returns:
        (H, W) int32 part ids, 0 = background, shapes 1..n_shapes (later shapes on top).
    """
    rng = np.random.default_rng(seed)
    parts = np.zeros((h, w), np.int32)
    scale = min(h, w)
    for pid in range(1, n_shapes + 1):
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        r = rng.uniform(*size, 2) * scale
        if rng.random() < 0.6:
            angle = float(rng.uniform(0, 180))
            cv2.ellipse(parts, (cx, cy), (max(2, int(r[0])), max(2, int(r[1]))), angle, 0, 360, pid, -1)
        else:
            k = int(rng.integers(3, 8))
            ang = np.sort(rng.uniform(0, 2 * np.pi, k))
            rad = rng.uniform(0.5, 1.0, k) * r[0]
            pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1).round().astype(np.int32)
            cv2.fillPoly(parts, [pts], pid)
    return parts


def thicken(line: np.ndarray, thickness: int) -> np.ndarray:
    """Dilate a 1-px line mask to about `thickness` px (1 = unchanged)."""
    if thickness <= 1:
        return line
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (thickness, thickness))
    return cv2.dilate(line.view(np.uint8), kernel).astype(bool)


def cut_gaps(
    line: np.ndarray, n_gaps: int, max_gap: int = 3, thickness: int = 1, seed: int = 0, spacing: int = 12
) -> np.ndarray:
    """Break lines with up to `n_gaps` random gaps of 1..max_gap px.

    A gap removes the line pixels in a square of side (gap + thickness - 1) centred on a random line
    pixel, so it cuts through a line of the given thickness. Gap centres are at least `spacing` px
    apart (Chebyshev), so two gaps never run together into one wider opening.

    Returns:
        (H, W) bool line mask with the gaps cut.
    """
    rng = np.random.default_rng(seed)
    ys, xs = np.nonzero(line)
    out = line.copy()
    taken = np.zeros(line.shape, bool)
    made = 0
    for k in rng.permutation(ys.size):
        if made == n_gaps:
            break
        y, x = int(ys[k]), int(xs[k])
        if taken[y, x]:
            continue
        side = int(rng.integers(1, max_gap + 1)) + thickness - 1
        y0, x0 = y - (side - 1) // 2, x - (side - 1) // 2
        out[max(0, y0) : y0 + side, max(0, x0) : x0 + side] = False
        taken[max(0, y - spacing) : y + spacing + 1, max(0, x - spacing) : x + spacing + 1] = True
        made += 1
    return out


def shading_chords(parts_gt: np.ndarray, n_lines: int, seed: int = 0, min_area: int = 400) -> np.ndarray:
    """Straight coloured lines across large segments (PBC's shadow / highlight boundaries).

    Args:
        parts_gt: (H, W) int32 segments, 0 on lines.
        n_lines: number of chords (at most one per segment).
        seed: random seed.
        min_area: only segments at least this large get a chord.

    Returns:
        (H, W) int8: 0 = none, 1..3 = index into SHADING_COLORS + 1.
    """
    rng = np.random.default_rng(seed)
    area = np.bincount(parts_gt.ravel())
    big = np.flatnonzero(area >= min_area)
    big = big[big > 0]
    out = np.zeros(parts_gt.shape, np.int8)
    for seg in rng.permutation(big)[:n_lines]:
        ys, xs = np.nonzero(parts_gt == seg)
        cy, cx = ys.mean(), xs.mean()
        ang = rng.uniform(0, np.pi)
        reach = 2 * max(np.ptp(ys), np.ptp(xs)) + 2
        p0 = (int(cx - reach * np.cos(ang)), int(cy - reach * np.sin(ang)))
        p1 = (int(cx + reach * np.cos(ang)), int(cy + reach * np.sin(ang)))
        chord = np.zeros(parts_gt.shape, np.uint8)
        cv2.line(chord, p0, p1, 1, 1, cv2.LINE_8)
        out[(chord > 0) & (parts_gt == seg)] = int(rng.integers(1, 4))
    return out


def render_gray(ink: np.ndarray, antialias: bool = False, seed: int = 0) -> np.ndarray:
    """Gray line image: 0 ink on 255 paper; anti-aliased: a soft gray rim and some half-tone cores.

    Returns:
        (H, W) uint8.
    """
    img = np.where(ink, 0, 255).astype(np.uint8)
    if not antialias:
        return img
    rng = np.random.default_rng(seed)
    # Thin sub-pixel strokes cover a pixel only partly: some core pixels are mid-gray.
    partial = ink & (rng.random(ink.shape) < 0.25)
    img[partial] = rng.integers(60, 170, int(partial.sum())).astype(np.uint8)
    halo = cv2.GaussianBlur(img, (0, 0), 0.6)
    return np.minimum(img, halo)


def make_line_art(
    size: tuple[int, int] = (256, 256),
    n_shapes: int = 12,
    thickness: int = 1,
    n_gaps: int = 0,
    max_gap: int = 3,
    antialias: bool = False,
    n_shading: int = 0,
    mode: str = "gray",
    seed: int = 0,
) -> LineArt:
    """Synthetic line art with known segments.

    Args:
        size: (H, W).
        n_shapes: random shapes painted (the segment count is larger: overlaps cut shapes up).
        thickness: line thickness in px.
        n_gaps: random gaps cut into the lines (0 = closed lines).
        max_gap: largest gap in px.
        antialias: soft gray rims and partial cores (gray output only).
        n_shading: coloured shading chords across large segments (RGB/RGBA output only).
        mode: "gray", "rgb" (white paper) or "rgba" (transparent paper).
        seed: random seed.

    Returns:
        LineArt(image, gt, ink). With shading chords, `gt` has them as boundaries and the chord
        pixels folded into the smallest adjacent segment (PBC's rule).
    """
    h, w = size
    parts = random_parts(h, w, n_shapes, seed)
    lines = thicken(boundary_lines(parts), thickness)
    gt = connected_segments(lines)
    chords = shading_chords(gt, n_shading, seed + 1) if n_shading and mode != "gray" else np.zeros((h, w), np.int8)
    if chords.any():
        from dataprep.segment.postprocess import fold_shading_lines

        gt = relabel_raster(fold_shading_lines(connected_segments(lines | (chords > 0)), chords > 0))
    ink = cut_gaps(lines, n_gaps, max_gap, thickness, seed + 2) if n_gaps else lines
    if mode == "gray":
        return LineArt(render_gray(ink, antialias, seed + 3), gt, ink)
    rgb = np.full((h, w, 3), 255, np.uint8)
    rgb[ink] = 0
    for k, color in enumerate(SHADING_COLORS, start=1):
        rgb[chords == k] = color
    drawn = ink | (chords > 0)
    if mode == "rgb":
        return LineArt(rgb, gt, drawn)
    alpha = np.where(drawn, 255, 0).astype(np.uint8)
    rgb[~drawn] = 0  # PBC's transparent pixels carry no colour
    return LineArt(np.dstack([rgb, alpha]), gt, drawn)


def distinct_palette(n: int, seed: int = 0, min_delta: float = 25.0, min_lightness: float = 45.0) -> np.ndarray:
    """`n` RGB colours at least `min_delta` CIELAB Delta-E apart, none darker than `min_lightness` L*.

    Returns:
        (n, 3) uint8 (fewer rows if the colour space runs out, which does not happen for n <= 40).
    """
    rng = np.random.default_rng(seed)
    cand = rng.integers(0, 256, (4000, 3)).astype(np.uint8)
    lab = cv2.cvtColor(cand[None].astype(np.float32) / 255, cv2.COLOR_RGB2Lab)[0]
    keep: list[int] = []
    for i in range(len(cand)):
        if lab[i, 0] < min_lightness:
            continue
        if all(np.linalg.norm(lab[i] - lab[j]) >= min_delta for j in keep):
            keep.append(i)
            if len(keep) == n:
                break
    return cand[keep]


class ColoredFrame(NamedTuple):
    """A flat-coloured frame and its ground truth.

    Attributes:
        image: (H, W, 3) uint8 RGB.
        gt: (H, W) int32, 0 on line pixels, segments 1..N = 4-connected components of equal colour.
    """

    image: np.ndarray
    gt: np.ndarray


def make_colored_frame(
    size: tuple[int, int] = (256, 256),
    n_shapes: int = 12,
    n_colors: int = 10,
    lines: bool = True,
    antialias: bool = False,
    jpeg_quality: int | None = None,
    seed: int = 0,
) -> ColoredFrame:
    """Synthetic coloured frame: each part a flat colour, optional black lines, AA and JPEG noise.

    Args:
        size: (H, W).
        n_shapes: random shapes painted.
        n_colors: palette size; parts draw colours from it at random.
        lines: draw 1-px black lines on the part boundaries.
        antialias: blur the clean frame slightly (sigma 0.6) before noise, like a rendered edge.
        jpeg_quality: JPEG-compress at this quality (None = lossless).
        seed: random seed.

    Returns:
        ColoredFrame(image, gt); gt from the clean frame (before blur and compression).
    """
    h, w = size
    rng = np.random.default_rng(seed)
    parts = random_parts(h, w, n_shapes, seed)
    palette = distinct_palette(n_colors, seed + 1)
    color_of = rng.integers(0, len(palette), parts.max() + 1)
    color_idx = color_of[parts]
    img = palette[color_idx]
    line = boundary_lines(parts) if lines else np.zeros((h, w), bool)
    img[line] = 0
    from skimage.measure import label

    gt = relabel_raster(label(np.where(line, -1, color_idx), background=-1, connectivity=1))
    if antialias:
        img = cv2.GaussianBlur(img, (0, 0), 0.6)
    if jpeg_quality is not None:
        _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return ColoredFrame(np.ascontiguousarray(img), gt)
