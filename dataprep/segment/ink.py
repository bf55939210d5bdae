"""Input checks and binarisation of line images into ink and coloured shading-line masks.

Every line image, whatever its PNG mode, is reduced to one *darkness* plane: the darkest channel
of each pixel (coloured lines are dark in at least one channel), composited over white where the
image has alpha. Ink is then decided against paper and ink levels estimated from that plane
(:func:`estimate_levels`), so white digital paper, grey scanned paper, vignetting and an alpha
channel that is opaque everywhere all give the same lines.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from dataprep.errors import LinecorrError
from dataprep.segment.config import InkConfig

LEVELS = ("auto", "fixed")
#: Image side under which one paper level is estimated for the whole image (no tiles).
_MIN_TILED = 32
#: Most tiles per side: enough to follow vignetting, few enough that each tile has mostly paper.
_MAX_TILES = 8
#: Paper darker than this is no paper (an all-ink or inverted image): white paper is assumed.
_MIN_PAPER = 64.0
#: (p90 - p75) of a normal distribution, in sigmas: turns two percentiles of paper into its noise.
_P90_P75 = 1.2816 - 0.6745


class InkMasks(NamedTuple):
    """Binarised line image.

    Attributes:
        ink: (H, W) bool, True on every line pixel (black and coloured).
        shading: (H, W) bool, True on coloured shading-line pixels (a subset of `ink`).
    """

    ink: np.ndarray
    shading: np.ndarray


class InkLevels(NamedTuple):
    """Paper and ink levels of a darkness plane (0 = black, 255 = white).

    Attributes:
        paper: the paper level, a float, or (H, W) float32 where it varies across the image.
        ink: the ink level (darkness of the strokes' cores), float.
        noise: standard deviation of the paper around its level, float (0 for clean digital art).
    """

    paper: float | np.ndarray
    ink: float
    noise: float


def check_image(image: np.ndarray, what: str = "image", channels: tuple[int, ...] = (1, 3, 4)) -> np.ndarray:
    """Validate a uint8 image and return it as (H, W) or (H, W, C).

    Args:
        image: (H, W) or (H, W, C) uint8 array.
        what: name used in the error message.
        channels: accepted channel counts; 1 also accepts (H, W).

    Returns:
        The same array, with a trailing singleton channel dropped.

    Raises:
        LinecorrError: wrong type, dtype, shape, channel count, or an empty image.
    """
    if not isinstance(image, np.ndarray):
        raise LinecorrError(f"{what} must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise LinecorrError(f"{what} must be uint8, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        ok = 1 in channels
    else:
        ok = image.ndim == 3 and image.shape[2] in channels
    if not ok:
        raise LinecorrError(f"{what} must have shape (H, W) or (H, W, C) with C in {channels}, got {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise LinecorrError(f"{what} is empty (shape {image.shape})")
    return image


def darkness_plane(line: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, list[np.ndarray]]:
    """The darkest channel of every pixel, composited over white, and the alpha plane.

    Args:
        line: (H, W) gray, (H, W, 2) gray + alpha, (H, W, 3) RGB or (H, W, 4) RGBA, uint8.

    Returns:
        ``(dark, alpha, planes)``: (H, W) uint8 darkest channel over white (0 = black ink,
        255 = paper or transparent), (H, W) uint8 alpha or None, and the colour planes as stored
        (one for gray, three for RGB) for the shading test.
    """
    if line.ndim == 2:
        return line, None, [line]
    planes = cv2.split(line)  # per-plane minima: much faster than min(axis=2) on (H, W, C)
    colour = planes[:1] if line.shape[2] == 2 else planes[:3]
    alpha = planes[-1] if line.shape[2] in (2, 4) else None
    lo = colour[0] if len(colour) == 1 else cv2.min(cv2.min(colour[0], colour[1]), colour[2])
    if alpha is None:
        return lo, None, colour
    # Over white: 255 - a * (255 - lo) / 255, rounded; a transparent pixel is paper whatever its RGB
    # (PBC stores (0, 0, 0, 0) or (255, 255, 255, 0) there), an opaque one keeps its colour.
    a = alpha.astype(np.uint32)
    dark = 255 - (a * (255 - lo.astype(np.uint32)) + 127) // 255
    return dark.astype(np.uint8), alpha, colour


def _tile_edges(n: int) -> np.ndarray:
    k = int(np.clip(n // 16, 1, _MAX_TILES)) if n >= _MIN_TILED else 1
    return np.linspace(0, n, k + 1).round().astype(int)


def _fit_surface(ys: np.ndarray, xs: np.ndarray, vals: np.ndarray, noise: float) -> np.ndarray | None:
    """Coefficients of a quadratic surface through the tiles' paper levels, fitted robustly.

    Paper is the brightest thing in line art, so tiles far *below* the fit (a filled dark area, a
    screen tone) are outliers and dropped, round by round until no tile changes side.
    Returns None when too few tiles remain to fit six coefficients.
    """
    keep = np.ones(vals.shape, bool)
    coef = None
    for _ in range(8):
        if keep.sum() < 8:
            return None
        y, x, v = ys[keep], xs[keep], vals[keep]
        a = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], 1)
        coef = np.linalg.lstsq(a, v, rcond=None)[0]
        fit = np.stack([np.ones_like(xs), xs, ys, xs * xs, xs * ys, ys * ys], 1) @ coef
        new = vals >= fit - max(3.0 * noise, 4.0)
        if np.array_equal(new, keep):
            break
        keep = new
    return coef


def estimate_levels(dark: np.ndarray) -> InkLevels:
    """Estimate the paper level (per place), the ink level and the paper noise of a darkness plane.

    The image is cut into up to 8 x 8 tiles; in each, the 75th percentile is the paper level
    (paper covers well over a quarter of any tile of line art) and p90 - p75 measures the paper's
    noise. Tiles far darker than the image's typical paper are dropped; when the rest differ, a
    quadratic surface through them is the paper map (vignetting and uneven lighting are smooth),
    else the paper is one level. The ink level is the 5th percentile of the pixels clearly darker
    than the paper.

    Args:
        dark: (H, W) uint8, 0 = black.

    Returns:
        InkLevels; on clean white paper with black lines exactly (255.0, 0.0, 0.0), and the same
        when the typical tile is darker than 64 (no paper in sight: a black or inverted image).
    """
    h, w = dark.shape
    ye, xe = _tile_edges(h), _tile_edges(w)
    # a few thousand pixels per tile pin its percentiles down; more only costs time on big frames
    step = max(1, int(np.sqrt(h * w / (len(ye) - 1) / (len(xe) - 1) / 4096)))
    p75, p90, cy, cx = [], [], [], []
    for y0, y1 in zip(ye[:-1], ye[1:]):
        for x0, x1 in zip(xe[:-1], xe[1:]):
            a, b = np.percentile(dark[y0:y1:step, x0:x1:step], (75, 90))
            p75.append(a)
            p90.append(b)
            cy.append((y0 + y1 - 1) / 2)
            cx.append((x0 + x1 - 1) / 2)
    p75, p90 = np.array(p75), np.array(p90)
    noise = float(np.median(p90 - p75) / _P90_P75)
    # paper is the brightest common level: the upper quartile of the tiles, not fooled by fills
    typical = float(np.percentile(p75, 75))
    if typical < _MIN_PAPER:  # mostly black: ink on (unseen) white paper, as with fixed levels
        return InkLevels(255.0, 0.0, 0.0)
    # Vignetting can darken the corners by a third; darker tiles than that are drawings, not paper.
    ok = p75 >= typical - max(typical / 3.0, 6.0 * noise)
    paper: float | np.ndarray = typical
    if ok.sum() and p75[ok].max() - p75[ok].min() > max(2.0, 2.0 * noise):
        ys, xs = np.array(cy) / max(h - 1, 1), np.array(cx) / max(w - 1, 1)
        coef = _fit_surface(ys[ok], xs[ok], p75[ok], noise)
        if coef is not None:
            y = (np.arange(h, dtype=np.float32) / max(h - 1, 1))[:, None]
            x = (np.arange(w, dtype=np.float32) / max(w - 1, 1))[None, :]
            c = coef.astype(np.float32)
            surf = c[0] + c[1] * x + c[2] * y + c[3] * x * x + c[4] * x * y + c[5] * y * y
            paper = np.clip(surf, 1.0, 255.0).astype(np.float32)
            if float(paper.max() - paper.min()) <= 2.0:  # the outliers were all the variation
                paper = float(np.median(paper))
        else:
            paper = float(np.median(p75[ok]))
    elif ok.sum():
        paper = float(np.median(p75[ok]))
    # Clearly ink: darker than the paper by a quarter of its level and by far more than its noise.
    gap = np.maximum(np.asarray(paper) * 0.25, 6.0 * noise)
    dark_px = dark[dark < np.asarray(paper) - gap]
    ink = float(np.percentile(dark_px, 5)) if dark_px.size >= 16 else 0.0
    return InkLevels(paper, ink, noise)


def ink_threshold(levels: InkLevels, threshold: int, noise_sigmas: float) -> float | np.ndarray:
    """Darkness under which a pixel is ink: ``ink + (paper - ink) * threshold / 255``, kept clear of the noise.

    Args:
        levels: from :func:`estimate_levels`.
        threshold: `InkConfig.ink_threshold` (0-255, relative to the ink-paper range).
        noise_sigmas: the threshold stays this many noise sigmas below the paper ...
            (but never below the midpoint of ink and paper, where the two are told apart best).

    Returns:
        A float, or (H, W) float32 when the paper level varies.
    """
    paper, ink, noise = levels
    # multiply before dividing: on white paper (255 - 0) * 200 / 255 is exactly 200.0
    t = ink + (np.asarray(paper, np.float64) - ink) * threshold / 255.0
    t = np.maximum(np.minimum(t, paper - noise_sigmas * noise), (np.asarray(paper) + ink) / 2.0)
    return float(t) if np.ndim(t) == 0 else t.astype(np.float32)


def ink_masks(line: np.ndarray, config: InkConfig | None = None) -> InkMasks:
    """Split a line image into ink and coloured shading-line pixels.

    Args:
        line: (H, W) uint8 gray (0 = ink; white or grey paper, anti-aliased grays allowed),
            (H, W, 2) gray + alpha, (H, W, 3) RGB, or (H, W, 4) RGBA whose transparent pixels
            are paper (an alpha opaque everywhere is ignored). uint16 images are rounded to 8 bits.
        config: thresholds and level estimation; `InkConfig()` when None.

    Returns:
        InkMasks with (H, W) bool `ink` and `shading`.

    Raises:
        LinecorrError: a bad array, or an unknown `levels` mode.
    """
    cfg = config or InkConfig()
    if cfg.levels not in LEVELS:
        raise LinecorrError(f"config levels must be one of {', '.join(LEVELS)}, got {cfg.levels!r}")
    if isinstance(line, np.ndarray) and line.dtype == np.uint16:
        from dataprep.format.images import to_8bit

        line = to_8bit(line)
    line = check_image(line, "line image", channels=(1, 2, 3, 4))
    dark, alpha, colour = darkness_plane(line)
    levels = estimate_levels(dark) if cfg.levels == "auto" else InkLevels(255.0, 0.0, 0.0)
    ink = dark < ink_threshold(levels, cfg.ink_threshold, cfg.noise_sigmas)
    if alpha is not None:
        ink &= alpha >= cfg.alpha_threshold
    if len(colour) == 1:
        return InkMasks(ink, np.zeros_like(ink))
    lo = cv2.min(cv2.min(colour[0], colour[1]), colour[2])
    hi = cv2.max(cv2.max(colour[0], colour[1]), colour[2])
    chroma = hi - lo  # uint8, no overflow: max >= min
    # The darkness of a pixel is 255-min; it is a coloured line when most of that darkness is hue.
    darkness = 255 - lo.astype(np.int16)
    shading = ink & (chroma >= cfg.shading_min_chroma) & (chroma >= cfg.shading_saturation * darkness)
    return InkMasks(ink, shading)
