"""From frames to model inputs and back: letterboxing, normalisation, GT patch ids.

A frame of any size is scaled (area interpolation for the line art, nearest for label maps) so
its long side is ``image_size`` and padded at the bottom/right with paper (line) or 0 (labels) to
an ``image_size`` square, whose ``16 x 16`` patches the model sees. Patches entirely in the padding
are masked out of attention and never matched. Predicted maps come back to the frame's own size
by nearest-neighbour upsampling of the content area. For the standard benchmark (512 px frames,
``image_size`` 512) every step is the identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from benchmark.metrics.patch import patch_gt_matrix, patch_region_ids


@dataclass(frozen=True)
class Letterbox:
    """How a ``height x width`` frame sits in the model's ``size x size`` input."""

    height: int  # frame rows
    width: int  # frame columns
    size: int  # model input side (pixels)
    patch: int  # patch side (pixels)

    @property
    def scale(self) -> float:
        return self.size / max(self.height, self.width)

    @property
    def content(self) -> tuple[int, int]:
        """Rows and columns of the scaled frame inside the input (the rest is padding)."""
        return (min(self.size, max(1, round(self.height * self.scale))),
                min(self.size, max(1, round(self.width * self.scale))))

    @property
    def grid(self) -> int:
        return self.size // self.patch

    def patch_valid(self) -> np.ndarray:
        """``(N,) bool`` patches that overlap the frame (row-major)."""
        h, w = self.content
        g, p = self.grid, self.patch
        rows = np.arange(g) * p < h
        cols = np.arange(g) * p < w
        return (rows[:, None] & cols[None, :]).ravel()

    def line(self, line: np.ndarray) -> np.ndarray:
        """``(size, size) float32`` in [0, 1] (1 = paper) from ``(H, W) uint8`` line art."""
        h, w = self.content
        out = np.ones((self.size, self.size), np.float32)
        src = line if (h, w) == line.shape else cv2.resize(line, (w, h), interpolation=cv2.INTER_AREA)
        out[:h, :w] = src.astype(np.float32) / 255.0
        return out

    def labels(self, label_map: np.ndarray) -> np.ndarray:
        """``(size, size) int32`` label map (nearest), 0 in the padding."""
        h, w = self.content
        out = np.zeros((self.size, self.size), np.int32)
        src = label_map if (h, w) == label_map.shape else cv2.resize(
            label_map.astype(np.int32), (w, h), interpolation=cv2.INTER_NEAREST)
        out[:h, :w] = src
        return out

    def to_frame(self, model_map: np.ndarray) -> np.ndarray:
        """A ``(size, size)`` map of the model input back at the frame's ``(H, W)`` (nearest)."""
        h, w = self.content
        crop = np.ascontiguousarray(model_map[:h, :w])
        if (h, w) == (self.height, self.width):
            return crop
        return cv2.resize(crop.astype(np.int32), (self.width, self.height), interpolation=cv2.INTER_NEAREST)


def letterbox_for(shape: tuple[int, int], size: int, patch: int) -> Letterbox:
    """The :class:`Letterbox` of a frame of ``shape = (H, W)``."""
    return Letterbox(int(shape[0]), int(shape[1]), size, patch)


def segment_patch_weights(seg: np.ndarray, ids: np.ndarray, box: Letterbox) -> np.ndarray:
    """``(len(ids), N)``: share of each segment's pixels falling in each model patch (rows sum to 1).

    Pixels map to patches at the frame's own resolution (``floor(y * scale / p)``), so no segment
    vanishes in a downscale.
    """
    h, w = seg.shape
    g, p, s = box.grid, box.patch, box.scale
    pr = np.minimum((np.arange(h) * s // p).astype(np.int64), g - 1)
    pc = np.minimum((np.arange(w) * s // p).astype(np.int64), g - 1)
    patch_of = (pr[:, None] * g + pc[None, :]).ravel()
    row_of = np.full(max(int(seg.max(initial=0)), int(ids.max(initial=0))) + 1, -1, np.int64)  # ids may have no pixel
    row_of[ids] = np.arange(ids.size)
    rows = row_of[seg.ravel()]
    ok = rows >= 0
    counts = np.bincount(rows[ok] * (g * g) + patch_of[ok], minlength=ids.size * g * g).reshape(ids.size, g * g)
    tot = counts.sum(1, keepdims=True)
    return np.divide(counts, tot, out=np.zeros(counts.shape), where=tot > 0)


#: GT region sources of the raw-line task (``RegionScoreConfig.regions``, ``VitTrainConfig.regions``).
REGION_SOURCES = ("auto", "segments", "labels", "parts")
#: A line pixel of the drawing (excluded from the part regions, as the paper excludes lines).
INK_LEVEL = 128


def resolve_regions(frame, regions: str) -> str:
    """``auto`` -> ``parts`` for frames with an exact part map (drawn line styles), else ``segments``."""
    if regions == "auto":
        return "parts" if getattr(frame, "parts", None) is not None else "segments"
    return regions


def region_map(frame, regions: str) -> np.ndarray:
    """The GT region map of a frame: ``(H, W) int32``, 0 = no region.

    Args:
        frame: a loaded ``Frame``.
        regions: ``"segments"`` (``frame.seg``, the paper's region ids), ``"labels"`` (the
            per-pixel correspondence labels ``frame.labels``: label ``l >= 0`` becomes id ``l + 1``;
            unlabelled pixels (< 0) and line pixels become 0), ``"parts"`` (the painted parts'
            connected pieces, :func:`dataprep.format.regions.part_regions` of ``frame.parts``: regions
            whether or not a stroke encloses them; 0 on the drawing's ink and on the background, which
            corresponds to nothing and would otherwise dominate every pixel-weighted score) or ``"auto"``.
    """
    regions = resolve_regions(frame, regions)
    if regions == "segments":
        return frame.seg
    if regions == "parts":
        from dataprep.errors import LinecorrError
        from dataprep.format.regions import part_regions

        if frame.parts is None:
            raise LinecorrError(f"clip {frame.clip!r} has no part maps (parts/); use regions=segments")
        return np.where((frame.line < INK_LEVEL) | (frame.parts < 0), 0, part_regions(frame.parts)).astype(np.int32)
    if frame.labels is None:
        from dataprep.errors import LinecorrError

        raise LinecorrError(f"clip {frame.clip!r} has no label maps; use regions=segments")
    lab = frame.labels.astype(np.int64)
    return np.where((lab >= 0) & (frame.seg != 0), lab + 1, 0).astype(np.int32)


def gt_matches(pair, frame_a, frame_b, regions: str) -> np.ndarray:
    """``(K, 2) int64`` GT region pairs in the ids of :func:`region_map`.

    ``segments``: the pair's matches. ``labels``: every label present in both frames. ``parts``: the
    pair's part-region matches (computed from the part maps when the pair has none recorded).
    """
    regions = resolve_regions(frame_a, regions)
    if regions == "segments":
        return np.array([(m.a, m.b) for m in pair.matches], np.int64).reshape(-1, 2)
    if regions == "parts":
        rm = pair.region_matches
        if rm is None:
            from dataprep.format.regions import region_matches

            rm = region_matches(frame_a.parts, frame_b.parts)
        return np.array(rm, np.int64).reshape(-1, 2)
    ids_a = np.unique(region_map(frame_a, regions))
    ids_b = np.unique(region_map(frame_b, regions))
    both = np.intersect1d(ids_a[ids_a > 0], ids_b[ids_b > 0])
    return np.stack([both, both], 1).astype(np.int64)


def patch_targets(map_a: np.ndarray, map_b: np.ndarray, matches: np.ndarray, patch: int,
                  min_share: float = 0.55) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Patch region ids and the GT matrix G of a pair of model-resolution region maps.

    Args:
        map_a, map_b: ``(S, S) int`` region ids (0 = line / padding), multiples of ``patch``.
        matches: ``(K, 2) int`` GT region pairs.

    Returns:
        ``ids_a``, ``ids_b`` ``(N,) int64`` (0 = no region: no id covers > ``min_share``) and
        ``gt`` ``(2N, 2N) bool`` (paper: intra same region, cross matched regions).
    """
    ids_a = patch_region_ids(map_a, patch, min_share)
    ids_b = patch_region_ids(map_b, patch, min_share)
    gt, _ = patch_gt_matrix(ids_a, ids_b, matches)
    return ids_a, ids_b, gt
