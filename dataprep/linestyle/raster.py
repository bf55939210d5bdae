"""Rasterising lines: closed width-field lines (clean) and free strokes with a width profile (rough).

Two renderers, because the two styles need opposite guarantees:

- :func:`closed_lines` must never leave a gap (a bucket fill leaks through one pixel). It draws the
  exact id boundary and thickens it through a distance transform: every pixel takes the width of
  its nearest boundary pixel (``cv2.distanceTransformWithLabels``), so widths vary along a line
  while the 1-px boundary underneath, which closes every region, is always fully inked. Drawing at
  twice the size first gives half-pixel width steps and a line centred on the true boundary.
- :func:`draw_strokes` draws polylines whose width changes along them (taper, pressure), anti-aliased
  through supersampling; OpenCV's ``polylines`` draws each run of equal integer width in C.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from dataprep.segment.labelops import boundary_lines


def smooth_noise(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """``(H, W) float32`` smooth noise in about [-1, 1] whose features are ``scale`` px across."""
    h, w = shape
    gh, gw = max(2, int(np.ceil(h / max(scale, 1.0))) + 2), max(2, int(np.ceil(w / max(scale, 1.0))) + 2)
    grid = rng.uniform(-1.0, 1.0, size=(gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC).clip(-1.0, 1.0)


def boundary_kinds(key: np.ndarray, classify) -> tuple[np.ndarray, np.ndarray]:
    """The 1-px boundary of ``key`` and what each boundary pixel separates.

    Args:
        key: ``(H, W)`` int region map.
        classify: ``f(own, other) -> (N,) int`` kind code (> 0) of boundary pixels between regions
            ``own`` and ``other`` (both ``(N,) int64``).

    Returns:
        ``(ink, kind)``: ``(H, W) bool`` pixels whose right or lower neighbour differs, and
        ``(H, W) int8`` kind code there (0 elsewhere).
    """
    ink = boundary_lines(key)
    ys, xs = np.nonzero(ink)
    own = key[ys, xs].astype(np.int64)
    right = key[ys, np.minimum(xs + 1, key.shape[1] - 1)].astype(np.int64)
    down = key[np.minimum(ys + 1, key.shape[0] - 1), xs].astype(np.int64)
    other = np.where(right != own, right, down)
    kind = np.zeros(key.shape, np.int8)
    kind[ys, xs] = classify(own, other)
    return ink, kind


def closed_lines(key: np.ndarray, classify, widths: dict[int, float], modulate: np.ndarray | None,
                 n_kinds: int) -> np.ndarray:
    """Closed lines along every boundary of ``key`` with a width per kind: ink coverage per kind.

    Args:
        key: ``(H, W)`` int region map (part id, or part id and tone).
        classify: see :func:`boundary_kinds`.
        widths: kind code -> line width in pixels of this frame.
        modulate: optional ``(H, W) float32`` width multiplier (pen pressure), sampled at the boundary.
        n_kinds: kind codes are 1..n_kinds.

    Returns:
        ``(n_kinds, H, W) float32`` coverage in [0, 1] of each kind's ink; every pixel of the exact
        1-px boundary has a total coverage of 1 (closed by construction).
    """
    h, w = key.shape
    key2 = np.repeat(np.repeat(key, 2, axis=0), 2, axis=1)
    ink2, kind2 = boundary_kinds(key2, classify)
    ys, xs = np.nonzero(ink2)  # raster order = the labels of distanceTransformWithLabels
    wtab = np.zeros(n_kinds + 1, np.float32)
    for k, v in widths.items():
        wtab[k] = v
    wb = wtab[kind2[ys, xs]] * 2.0  # widths in half pixels
    if modulate is not None:
        wb *= modulate[ys // 2, xs // 2]
    dist, near = cv2.distanceTransformWithLabels((~ink2).view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_5,
                                                 labelType=cv2.DIST_LABEL_PIXEL)
    if ys.size == 0:
        return np.zeros((n_kinds, h, w), np.float32)
    near = near - 1
    cov2 = np.clip(wb[near] / 2.0 + 0.5 - dist, 0.0, 1.0)  # 1 inside the stroke, ramps over 1 half-pixel
    kind_at = kind2[ys, xs][near]
    out = np.empty((n_kinds, h, w), np.float32)
    for k in range(1, n_kinds + 1):
        ck = np.where(kind_at == k, cov2, 0.0).astype(np.float32)
        out[k - 1] = cv2.resize(ck, (w, h), interpolation=cv2.INTER_AREA)
    # The exact 1-px boundary at full size: always inked, in the kind drawn there.
    exact, kind1 = boundary_kinds(key, classify)
    ey, ex = np.nonzero(exact)
    total = out[:, ey, ex].sum(axis=0)
    lift = np.where(total > 0, 1.0 / np.maximum(total, 1e-6), 0.0)
    out[:, ey, ex] *= lift
    missing = total <= 0
    out[kind1[ey[missing], ex[missing]] - 1, ey[missing], ex[missing]] = 1.0
    return out


@dataclass
class Stroke:
    """One pen stroke: a path with a width and an ink density."""

    points: np.ndarray  # (N, 2) float64 [x, y] in pixels of the frame
    widths: np.ndarray  # (N,) float64 line width in pixels at each point
    darkness: float  # ink density in (0, 1]: 1 = black


def draw_strokes(strokes: list[Stroke], shape: tuple[int, int], supersample: int = 2) -> np.ndarray:
    """Draw strokes anti-aliased: ``(H, W) float32`` ink density in [0, 1].

    Strokes go down lightest first, so where strokes cross the darker one shows, as with pencil.
    """
    h, w = shape
    s = max(1, int(supersample))
    canvas = np.zeros((h * s, w * s), np.uint8)
    shift = 4  # sub-pixel precision of cv2 drawing: coordinates in 1/16 px
    for st in sorted(strokes, key=lambda st: st.darkness):
        if len(st.points) < 2:
            continue
        pts = np.round((st.points * s + (s - 1) / 2.0) * (1 << shift)).astype(np.int32)
        thick = np.maximum(1, np.round(st.widths * s)).astype(np.int32)
        val = round(255 * float(np.clip(st.darkness, 0.0, 1.0)))
        # One polylines call per stretch of equal thickness (segment i takes its start's width).
        tseg = thick[:-1]
        cut = np.flatnonzero(np.diff(tseg)) + 1
        for a, b in zip(np.r_[0, cut], np.r_[cut, len(tseg)]):
            cv2.polylines(canvas, [pts[a:b + 1]], False, val, int(tseg[a]), cv2.LINE_AA, shift)
    if s > 1:
        canvas = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
    return canvas.astype(np.float32) / 255.0
