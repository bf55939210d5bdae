"""Coloured line art / flat-coloured frames -> segments by colour clustering (patch-ViT's annotation).

1. Line pixels: thin strokes darker than the paint around them, or the ink of a given line image.
2. Palette: K dominant colours. With K automatic, the peaks of a 32^3-bin RGB histogram smoothed
   over 3x3x3 bins, strongest first, dropping peaks within `merge_distance` CIELAB Delta-E of a
   stronger one and peaks holding too few pixels; each colour is then refined to the mean of the
   histogram bins near it. With K given, weighted k-means on the histogram bins. Either way it works
   on at most 32768 bins, not on pixels, so it costs the same at any resolution.
   Colours that occur almost only as 1-2 px fringes (anti-aliased blends along long edges) are
   dropped again.
3. Every pixel takes the palette colour nearest (Delta-E) to its histogram bin (one table lookup),
   after a 3x3 median that removes JPEG speckle and the dark halo beside lines. A detected stroke
   pixel painted in the colour of a region right next to it is paint (the narrow neck of a darker
   region), not a line.
4. Segments: 4-connected components of equal colour among non-line pixels.
5. Fragments (small, or thin colour fringes left by anti-aliasing and JPEG along edges) merge into a
   neighbour by colour distance and boundary cues, see `postprocess.merge_small_segments`; then
   segments of the same colour that now touch directly (the fringe between them is gone) merge.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage.measure import label as sk_label

from dataprep.errors import LinecorrError
from dataprep.segment.config import ColorSegmentConfig
from dataprep.segment.ink import check_image, ink_masks
from dataprep.segment.labelops import fill_from_neighbours, relabel_raster
from dataprep.segment.postprocess import merge_small_segments, merge_touching_alike

_BITS = 5  # histogram bits per channel: 32 levels, bins 8 RGB units wide (JPEG noise spans 1-2 bins)
_LEVELS = 1 << _BITS


def as_rgb(image: np.ndarray) -> np.ndarray:
    """(H, W, 3|4) uint8 -> (H, W, 3) uint8 RGB; RGBA is composited on white paper."""
    image = check_image(image, "colour image", channels=(3, 4))
    if image.shape[2] == 3:
        return np.ascontiguousarray(image)
    alpha = image[:, :, 3:4].astype(np.float32) / 255
    return (image[:, :, :3] * alpha + 255 * (1 - alpha) + 0.5).astype(np.uint8)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) RGB in 0-255 (any dtype) -> (..., 3) float32 CIELAB (L* 0-100)."""
    arr = np.asarray(rgb, np.float32).reshape(1, -1, 3) / 255
    return cv2.cvtColor(arr, cv2.COLOR_RGB2Lab).reshape(np.shape(rgb))


def bin_index(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 -> (...) uint16 index of its 32^3 histogram bin."""
    shift = 8 - _BITS
    r, g, b = (np.right_shift(rgb[..., c], shift) for c in range(3))
    out = np.left_shift(r, 2 * _BITS, dtype=np.uint16)
    out |= np.left_shift(g, _BITS, dtype=np.uint16)
    out |= b
    return out


def channel_max(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> (H, W) uint8 brightest channel (per-plane maxima: faster than max(axis=2))."""
    r, g, b = cv2.split(rgb)
    return cv2.max(cv2.max(r, g), b)


def _bin_centres_lab() -> np.ndarray:
    """(32768, 3) CIELAB of the centre of every histogram bin."""
    levels = (np.arange(_LEVELS) << (8 - _BITS)) + (1 << (7 - _BITS))
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    return rgb_to_lab(np.stack([r, g, b], -1).reshape(-1, 3))


_CENTRES = _bin_centres_lab()


def detect_line_pixels(rgb: np.ndarray, contrast: float, min_contrast: int, max_width: int) -> np.ndarray:
    """Drawn lines: thin structures clearly darker than the paint around them.

    Darkness is the brightest channel (HSV value), not luma, so a saturated red or blue region is
    not dark. A morphological black-hat (closing minus image) with a disk a little wider than
    `max_width` measures how much darker a pixel is than its surroundings once every structure
    thinner than the disk is closed: high on lines (even anti-aliased gray ones, or lines between
    two dark regions), zero inside dark areas wider than the disk (black hair) and across a plain
    step from a light to a darker region. A pixel is line when that drop is at least `contrast`
    of the surrounding value (a faint anti-aliased line over a mid-tone is still a line) and at
    least `min_contrast` (JPEG noise is not).

    Returns:
        (H, W) bool.
    """
    value = channel_max(rgb)
    size = max_width + 2 | 1  # odd, and wider than the widest line
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    closed = cv2.morphologyEx(value, cv2.MORPH_CLOSE, kernel)
    drop = cv2.subtract(closed, value)
    return (drop >= min_contrast) & (drop >= contrast * closed.astype(np.float32))


def _auto_palette(hist: np.ndarray, n_pixels: int, cfg: ColorSegmentConfig) -> np.ndarray:
    """(K, 3) CIELAB palette from the peaks of the colour histogram."""
    cube = hist.reshape(_LEVELS, _LEVELS, _LEVELS)
    # Mass of a bin = pixels within +-1 bin, where JPEG noise scatters a flat colour; peaks of the
    # mass, not of the raw counts, so one noisy colour gives one peak (its bin may itself be empty).
    mass = ndi.uniform_filter(cube, size=3, mode="constant") * 27
    peak = mass == ndi.maximum_filter(mass, size=3, mode="constant")
    min_mass = max(cfg.min_peak_pixels, cfg.min_peak_fraction * n_pixels)
    cand = np.flatnonzero(peak.ravel() & (mass.ravel() >= min_mass))
    cand = cand[np.argsort(-mass.ravel()[cand], kind="stable")]
    kept: list[int] = []
    for b in cand:
        if len(kept) == min(cfg.max_colors, 1024):
            break
        if not kept or np.min(np.linalg.norm(_CENTRES[kept] - _CENTRES[b], axis=1)) > cfg.merge_distance:
            kept.append(int(b))
    if not kept:  # e.g. every pixel is a line pixel: one colour, the commonest bin
        kept = [int(np.argmax(hist))]
    palette = _refine(_CENTRES[kept], hist, cfg.merge_distance)
    return _dedupe(palette, cfg.merge_distance)


def _dedupe(palette: np.ndarray, distance: float) -> np.ndarray:
    """Drop colours within `distance` of an earlier (stronger) one: refinement can pull peaks together."""
    kept: list[int] = []
    for k in range(len(palette)):
        if not kept or np.min(np.linalg.norm(palette[kept] - palette[k], axis=1)) > distance:
            kept.append(k)
    return palette[kept]


def _refine(palette: np.ndarray, hist: np.ndarray, radius: float) -> np.ndarray:
    """Move each colour to the count-weighted mean of the occupied bins within `radius` of it."""
    occupied = np.flatnonzero(hist)
    lab, w = _CENTRES[occupied], hist[occupied]
    d = np.linalg.norm(lab[:, None, :] - palette[None, :, :], axis=2)
    near = np.argmin(d, axis=1)
    close = d[np.arange(len(near)), near] <= radius
    out = palette.copy()
    for k in range(len(palette)):
        sel = close & (near == k)
        if w[sel].sum() > 0:
            out[k] = np.average(lab[sel], axis=0, weights=w[sel])
    return out


def _kmeans_palette(hist: np.ndarray, k: int) -> np.ndarray:
    """(K, 3) CIELAB palette by k-means on the occupied histogram bins, weighted by pixel count."""
    from sklearn.cluster import KMeans

    occupied = np.flatnonzero(hist)
    if not 1 <= k <= 1024:
        raise LinecorrError(f"n_colors must be between 1 and 1024, got {k}")
    k = min(k, occupied.size)
    km = KMeans(n_clusters=k, n_init=3, random_state=0).fit(_CENTRES[occupied], sample_weight=hist[occupied])
    return km.cluster_centers_.astype(np.float32)


def palette_of(
    bins: np.ndarray, mask: np.ndarray, cfg: ColorSegmentConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dominant colours of the pixels in `mask`, and per-bin lookup tables into them.

    Args:
        bins: (H, W) uint16 histogram bin of every pixel (see `bin_index`).
        mask: (H, W) bool, the pixels to cluster (non-line).
        cfg: palette options.

    Returns:
        (palette, nearest, gap): (K, 3) float32 CIELAB palette; (32768,) int16 index of the palette
        colour nearest to each bin; (32768,) float32 Delta-E from each bin to that colour.
    """
    hist = np.bincount(bins[mask], minlength=_LEVELS**3).astype(np.float64)
    if cfg.n_colors is None:
        palette = _auto_palette(hist, int(mask.sum()), cfg)
    else:
        palette = _kmeans_palette(hist, int(cfg.n_colors))
    d = np.linalg.norm(_CENTRES[:, None, :] - palette[None, :, :], axis=2)
    nearest = np.argmin(d, axis=1).astype(np.int16)  # K <= 64: half the memory traffic of int32
    return palette.astype(np.float32), nearest, d[np.arange(len(d)), nearest].astype(np.float32)


def _palette_value(palette: np.ndarray) -> np.ndarray:
    """(K,) brightest RGB channel (0-255) of each CIELAB palette colour."""
    rgb = cv2.cvtColor(palette.reshape(1, -1, 3).astype(np.float32), cv2.COLOR_Lab2RGB)
    return rgb.reshape(-1, 3).max(axis=1) * 255


_LIGHT_VALUE = 96  # palette colours darker than this (brightest channel) are never paint
_DIAMOND = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3) if 0 < abs(dy) + abs(dx) <= 2]
_MAX_PAINT_ROUNDS = 64


def _unmark_paint(
    lines: np.ndarray,
    rgb: np.ndarray,
    index: np.ndarray,
    palette: np.ndarray,
    light: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    """Give back to a region the detected line pixels painted in that region's colour.

    A thin stroke darker than its surroundings is usually a drawn line, but it may be the narrow
    neck of a darker region. Paint spreads from the regions into line pixels: a line pixel whose
    colour is within `tolerance` Delta-E of a light palette colour held by a non-line pixel within
    2 px joins that colour, and the rule repeats from the pixels it just gave back (so a whole
    neck is recovered from its ends). A black line between two regions matches neither and stays.

    Args:
        lines: (H, W) bool detected line pixels.
        rgb: (H, W, 3) uint8 original (not median-filtered) image.
        index: (H, W) int16 palette index of every pixel; updated in place for unmarked pixels.
        palette: (K, 3) CIELAB.
        light: (K,) bool, palette colours that may be paint (not near-black).
        tolerance: Delta-E.

    Returns:
        (H, W) bool line mask without the paint pixels.
    """
    h, w = lines.shape
    out = lines.copy()
    padded = np.full((h + 4, w + 4), -1, np.int32)
    padded[2:-2, 2:-2] = np.where(lines, -1, index)
    ys, xs = np.nonzero(lines)
    kernel = cv2.getStructuringElement(cv2.MORPH_CROSS, (5, 5))
    kernel[[1, 1, 3, 3], [1, 3, 1, 3]] = 1  # the |dy| + |dx| <= 2 diamond
    for _ in range(_MAX_PAINT_ROUNDS):
        if ys.size == 0:
            break
        own = _CENTRES[bin_index(rgb[ys, xs])]  # (M, 3) Lab of each candidate line pixel
        best = np.full(ys.size, np.inf, np.float32)
        match = np.zeros(ys.size, np.int32)
        for dy, dx in _DIAMOND:
            k = padded[ys + 2 + dy, xs + 2 + dx]
            ok = k >= 0
            ok[ok] = light[k[ok]]
            d = np.where(ok, np.linalg.norm(own - palette[np.maximum(k, 0)], axis=1), np.inf)
            better = d < best
            best[better], match[better] = d[better], k[better]
        paint = best <= tolerance
        if not paint.any():
            break
        py, px = ys[paint], xs[paint]
        index[py, px] = match[paint]
        padded[py + 2, px + 2] = match[paint]
        out[py, px] = False
        # Next round: only line pixels next to what was just given back can change.
        fresh = np.zeros((h, w), np.uint8)
        fresh[py, px] = 1
        ys, xs = np.nonzero(cv2.dilate(fresh, kernel).astype(bool) & out)
    return out


def _drop_fringe_colours(
    palette: np.ndarray, index: np.ndarray, bins: np.ndarray, mask: np.ndarray, min_core: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Remove palette colours that only occur as 1-2 px fringes, and re-index their pixels.

    Anti-aliasing blends neighbouring colours (and black lines) along every edge; along a long edge
    the blend is frequent enough to form a histogram peak. Such a colour has almost no pixel whose
    four neighbours share it, whereas a real colour, even of a small region, does.

    Args:
        palette: (K, 3) CIELAB.
        index: (H, W) int16 palette index per pixel.
        bins: (H, W) uint16 histogram bin per pixel.
        mask: (H, W) bool pixels that count (non-line).
        min_core: a colour is kept when at least this fraction of its pixels are interior.

    Returns:
        (palette, index) without the fringe colours.
    """
    k = len(palette)
    c = index[1:-1, 1:-1]
    core = np.zeros(index.shape, bool)
    core[1:-1, 1:-1] = (
        (c == index[:-2, 1:-1]) & (c == index[2:, 1:-1]) & (c == index[1:-1, :-2]) & (c == index[1:-1, 2:])
    )
    total = np.bincount(index[mask], minlength=k)
    interior = np.bincount(index[mask & core], minlength=k)
    keep = interior >= min_core * total
    if keep.all() or not keep.any():
        return palette, index
    palette = palette[keep]
    d = np.linalg.norm(_CENTRES[:, None, :] - palette[None, :, :], axis=2)
    return palette, np.argmin(d, axis=1).astype(np.int16)[bins]


def _thin_segments(labels: np.ndarray, n: int) -> np.ndarray:
    """(N + 1,) bool: segments with no pixel whose four neighbours are all in the same segment.

    Such a segment is at most 2 px wide everywhere: the colour fringe an anti-aliased or JPEG edge
    leaves between two regions, not a region of its own.
    """
    core = np.zeros(labels.shape, bool)
    c = labels[1:-1, 1:-1]
    core[1:-1, 1:-1] = (
        (c == labels[:-2, 1:-1]) & (c == labels[2:, 1:-1]) & (c == labels[1:-1, :-2]) & (c == labels[1:-1, 2:])
    )
    return np.bincount(labels[core], minlength=n + 1) == 0


def line_mask(rgb: np.ndarray, line: np.ndarray | None, cfg: ColorSegmentConfig) -> np.ndarray:
    """(H, W) bool line class: a given line image's ink, the detected strokes, or nothing."""
    if line is not None:
        lines = ink_masks(line, cfg).ink
        if lines.shape != rgb.shape[:2]:
            raise LinecorrError(f"line image shape {lines.shape} differs from colour image {rgb.shape[:2]}")
        return lines
    if cfg.detect_lines:
        return detect_line_pixels(rgb, cfg.line_contrast, cfg.line_min_contrast, cfg.line_max_width)
    return np.zeros(rgb.shape[:2], bool)


def colour_index(
    rgb: np.ndarray, lines: np.ndarray, cfg: ColorSegmentConfig, detected: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Palette of a frame and the palette colour of every pixel.

    Args:
        rgb: (H, W, 3) uint8 RGB.
        lines: (H, W) bool line pixels (excluded from the palette).
        cfg: options.
        detected: the lines were detected (not given), so paint may be taken back from them.

    Returns:
        (palette, index, lines): (K, 3) float32 CIELAB; (H, W) int16 palette index, -1 on line
        pixels; (H, W) bool final line mask.
    """
    smooth = cv2.medianBlur(rgb, 3) if cfg.denoise else rgb
    bins = bin_index(smooth)
    paper = ~lines if (~lines).any() else np.ones_like(lines)
    palette, nearest, _ = palette_of(bins, paper, cfg)
    index = nearest[bins]
    if cfg.n_colors is None:
        palette, index = _drop_fringe_colours(palette, index, bins, paper)
    if detected and lines.any():
        # Only light colours can be paint: black stays a line even where black hair or a missed
        # junction blob put black in the palette.
        light = _palette_value(palette) >= _LIGHT_VALUE
        lines = _unmark_paint(lines, rgb, index, palette, light, cfg.paint_distance)
    index[lines] = -1
    return palette, index, lines


def segment_colored(
    image: np.ndarray, config: ColorSegmentConfig | None = None, line: np.ndarray | None = None
) -> np.ndarray:
    """Segment a coloured frame (or coloured line art) by colour clustering.

    Args:
        image: (H, W, 3) uint8 RGB or (H, W, 4) RGBA (composited on white).
        config: options, `ColorSegmentConfig()` when None.
        line: optional line image of the same frame ((H, W) gray, RGB or RGBA, see `ink_masks`);
            its ink is the line class instead of the detected dark strokes.

    Returns:
        (H, W) int32 label map: 0 = line pixels (when `keep_lines`), segments 1..N in raster order.
    """
    cfg = config or ColorSegmentConfig()
    rgb = as_rgb(image)
    palette, index, _ = colour_index(rgb, line_mask(rgb, line, cfg), cfg, detected=line is None)
    labels = sk_label(index, background=-1, connectivity=1).astype(np.int32)
    n = int(labels.max())
    if n > 1:
        seg_index = np.zeros(n + 1, np.int32)
        seg_index[labels.ravel()] = index.ravel()  # every pixel of a segment has the same colour
        seg_color = palette[np.maximum(seg_index, 0)]
        labels = merge_small_segments(
            labels, cfg.min_area, cfg.enclosed_min_area, colors=seg_color, thin=_thin_segments(labels, n)
        )
        labels = merge_touching_alike(labels, seg_color, cfg.merge_distance)
    if not cfg.keep_lines:
        labels = fill_from_neighbours(labels, labels == 0)
    return relabel_raster(labels)
