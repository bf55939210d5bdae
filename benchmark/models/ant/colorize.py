"""Colorization, AnT's user-facing application (paper Fig. 8): colors flow from one colored
reference frame through a sequence of line images, each prediction seeding the next.

Per frame: segment the line image (``segment_lines``: ``dataprep.segment``'s trapped-ball fill by
default, or its 4-connected components), match its segments to the previous
frame's with a matcher (``match(prev, cur) -> (N_cur, N_prev)`` scores), give each segment the
color its matches vote for (eq. 3 via ``transfer_labels``), and flat-fill it. Segments matched to
nothing stay paper white. Lines are drawn over the fill (multiplied), so anti-aliasing survives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.metrics.propagation import transfer_labels
from dataprep.format import Frame, compute_segment_table


@dataclass
class ColorizeConfig:
    """Settings of :func:`colorize_sequence`."""

    segmenter: str = "trapped_ball"  # line image -> segments: "trapped_ball" (closes small gaps, the paper's) or "closed"
    ink_threshold: int = 128  # line-image gray below this is ink (segment boundaries)
    reference_ink: int = 60  # reference color image without a line image: pixels with every channel <= this are ink


def segment_lines(line: np.ndarray, method: str = "trapped_ball", ink_threshold: int = 128) -> np.ndarray:
    """Segments of a line image, by ``dataprep.segment`` (the one place to swap segmenters).

    Args:
        line: ``(H, W) uint8``, 0 = ink, 255 = paper.
        method: "trapped_ball" (leak-proof fill that closes small gaps in the lines; merges
            specks under 8 px) or "closed" (4-connected components of non-line pixels, exactly
            how PaintBucket-Character and the toy data are segmented).
        ink_threshold: gray below this is ink.

    Returns:
        ``(H, W) int32``: 0 on ink, segments 1..N in raster order of their first pixel.
    """
    try:
        from dataprep.segment import segment_image
    except ImportError:  # the segmentation package is optional here: plain 4-connected components
        from dataprep.synthetic import closed_segments

        return closed_segments(np.asarray(line) < ink_threshold)
    return segment_image(np.asarray(line), method=method, config={"ink_threshold": ink_threshold})


def line_frame(line: np.ndarray, name: str = "", cfg: ColorizeConfig | None = None,
               color: np.ndarray | None = None) -> Frame:
    """A ``Frame`` (line, seg, segment table) from a line image, for matchers."""
    cfg = cfg or ColorizeConfig()
    seg = segment_lines(line, cfg.segmenter, cfg.ink_threshold)
    table = compute_segment_table(seg, color=color)
    return Frame("", name, line, line, color, None, seg, table, None)


def reference_line(color: np.ndarray, reference_ink: int = 60) -> np.ndarray:
    """A line image from a colored frame whose lines are (near) black: ``(H, W) uint8``."""
    ink = np.all(color <= reference_ink, axis=-1)
    return np.where(ink, 0, 255).astype(np.uint8)


def segment_colors(seg: np.ndarray, color: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The most frequent RGB color of each segment (exact for flat fills, robust to soft edges).

    Returns:
        ``(N, 3) uint8`` in the order of ``ids``.
    """
    packed = (color[..., 0].astype(np.int64) << 16) | (color[..., 1].astype(np.int64) << 8) | color[..., 2]
    keep = seg > 0
    pairs, counts = np.unique(np.stack([seg[keep].astype(np.int64), packed[keep]], 1), axis=0, return_counts=True)
    order = np.lexsort((-counts, pairs[:, 0]))  # per segment, the largest count first
    first = np.unique(pairs[order, 0], return_index=True)[1]
    mode = dict(zip(pairs[order][first, 0].tolist(), pairs[order][first, 1].tolist()))
    vals = np.array([mode.get(int(i), 0xFFFFFF) for i in ids], np.int64)
    return np.stack([(vals >> 16) & 255, (vals >> 8) & 255, vals & 255], 1).astype(np.uint8)


def flat_fill(seg: np.ndarray, ids: np.ndarray, colors: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Flat-fill each segment with its color and multiply the line image on top: ``(H, W, 3) uint8``."""
    lut = np.full((int(seg.max()) + 1, 3), 255, np.uint8)
    lut[ids] = colors
    out = lut[seg].astype(np.float32) * (line.astype(np.float32)[..., None] / 255.0)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def colorize_sequence(matcher, ref_color: np.ndarray, lines: list[np.ndarray], ref_line: np.ndarray | None = None,
                      cfg: ColorizeConfig | None = None) -> list[np.ndarray]:
    """Propagate the reference's colors through ``lines`` recursively.

    Args:
        matcher: object with ``match(frame_a, frame_b) -> (N_b, N_a)`` scores (e.g. ``AntMatcher``).
        ref_color: ``(H, W, 3) uint8`` RGB colored reference frame.
        lines: line images ``(H, W) uint8`` (0 = ink) of the frames to colorize, in order.
        ref_line: the reference's line image; None = its near-black pixels.
        cfg: thresholds.

    Returns:
        One ``(H, W, 3) uint8`` RGB flat-filled image per line image.
    """
    cfg = cfg or ColorizeConfig()
    if ref_line is None:
        ref_line = reference_line(ref_color, cfg.reference_ink)
    prev = line_frame(ref_line, "reference", cfg)
    ref_rgb = segment_colors(prev.seg, ref_color, prev.segments.ids)
    palette, labels = np.unique(ref_rgb, axis=0, return_inverse=True)  # label = palette index
    labels = labels.reshape(-1).astype(np.int64)
    out = []
    for k, line in enumerate(lines):
        cur = line_frame(line, f"{k:04d}", cfg)
        labels = transfer_labels(labels, matcher.match(prev, cur), unmatched_label=-1)
        rgb = np.where(labels[:, None] >= 0, palette[np.maximum(labels, 0)], 255).astype(np.uint8)
        out.append(flat_fill(cur.seg, cur.segments.ids, rgb, line))
        prev = cur
    return out
