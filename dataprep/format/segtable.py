"""The per-segment table of a frame: id, area, bbox, centroid, mean color, label ids.

Stored as ``clips/<clip>/segments/<frame>.json`` in columnar form (one list per field) so that
loading gives numpy arrays directly; see docs/FORMAT.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from dataprep.errors import FormatError

_COLUMNS = ("id", "area", "bbox", "centroid", "color", "label", "color_label")


@dataclass
class SegmentTable:
    """Per-segment statistics of one frame; row i describes segment ``ids[i]``.

    Attributes:
        ids: ``(N,) int32`` segment ids, ascending, as in the label map (never 0).
        area: ``(N,) int64`` pixel count.
        bbox: ``(N, 4) int32`` ``[x, y, w, h]``: top-left pixel (x right, y down) and size.
        centroid: ``(N, 2) float64`` ``[x, y]`` mean pixel position (pixel centres at integers).
        color: ``(N, 4) uint8`` mean RGBA of the color image over the segment, or None when the
            frame has no color image. Alpha is 255 for opaque images.
        label: ``(N,) int64`` correspondence id (the same id marks the same part across the clip),
            -1 = unknown / background.
        color_label: ``(N,) int64`` color label (non-unique: both eyes share one), -1 = unknown.
        purity: ``(N,) float64`` share of the segment's pixels that carry its label (drawn line
            styles, whose segments need not follow the parts), or None when not recorded.
    """

    ids: np.ndarray
    area: np.ndarray
    bbox: np.ndarray
    centroid: np.ndarray
    color: np.ndarray | None
    label: np.ndarray
    color_label: np.ndarray
    purity: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def index_of(self, seg_id: int) -> int:
        """Row of ``seg_id`` (KeyError if absent)."""
        i = int(np.searchsorted(self.ids, seg_id))
        if i >= len(self) or self.ids[i] != seg_id:
            raise KeyError(seg_id)
        return i

    def label_of(self) -> dict[int, int]:
        """``{segment id: correspondence label}``."""
        return dict(zip(self.ids.tolist(), self.label.tolist()))

    def to_json(self, frame: str) -> dict:
        cols: dict[str, Any] = {
            "id": self.ids.tolist(),
            "area": self.area.tolist(),
            "bbox": self.bbox.tolist(),
            "centroid": np.round(self.centroid, 3).tolist(),
            "color": None if self.color is None else self.color.tolist(),
            "label": self.label.tolist(),
            "color_label": self.color_label.tolist(),
        }
        if self.purity is not None:  # optional column (format 1.1): absent, older files stay byte-identical
            cols["purity"] = np.round(self.purity, 4).tolist()
        return {"frame": frame, "count": len(self), "columns": cols}

    @staticmethod
    def problems(obj: Any) -> list[str]:
        """Every structural problem of a parsed segments JSON."""
        if not isinstance(obj, dict) or not isinstance(obj.get("columns"), dict):
            return ["segment table must be an object with 'frame', 'count' and 'columns'"]
        cols = obj["columns"]
        probs = [f"segment table is missing column {c!r}" for c in _COLUMNS if c not in cols]
        if probs:
            return probs
        n = obj.get("count")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            return [f"count must be a non-negative integer, got {n!r}"]
        shapes = {"id": (n,), "area": (n,), "bbox": (n, 4), "centroid": (n, 2), "color": (n, 4),
                  "label": (n,), "color_label": (n,)}
        for c, shape in shapes.items():
            if c == "color" and cols[c] is None:
                continue
            try:
                arr = np.asarray(cols[c], dtype=np.float64)
            except (TypeError, ValueError):
                probs.append(f"column {c!r} is not a numeric array of shape {shape}")
                continue
            if arr.shape != shape and not (n == 0 and arr.size == 0):
                probs.append(f"column {c!r} has shape {arr.shape}, expected {shape}")
            elif c != "centroid" and arr.size and not np.all(arr == np.round(arr)):
                probs.append(f"column {c!r} must hold integers")
        if cols.get("purity") is not None:
            try:
                pur = np.asarray(cols["purity"], dtype=np.float64)
            except (TypeError, ValueError):
                pur = np.zeros(0)
            if pur.shape != (n,) and not (n == 0 and pur.size == 0):
                probs.append(f"column 'purity' must be {n} numbers")
            elif pur.size and (np.any(~np.isfinite(pur)) or pur.min() < 0 or pur.max() > 1):
                probs.append("column 'purity' values must be in [0, 1]")
        if not probs and n:
            ids = np.asarray(cols["id"])
            if ids.min() <= 0 or np.any(np.diff(ids) <= 0):
                probs.append("column 'id' must be positive and strictly ascending")
            if cols["color"] is not None and (np.min(cols["color"]) < 0 or np.max(cols["color"]) > 255):
                probs.append("column 'color' values must be in 0..255")
        return probs

    @classmethod
    def from_json(cls, obj: Any, path=None) -> SegmentTable:
        probs = cls.problems(obj)
        if probs:
            raise FormatError(probs[0], path)
        c = obj["columns"]
        n = obj["count"]
        color = None if c["color"] is None else np.asarray(c["color"], np.uint8).reshape(n, 4)
        return cls(
            ids=np.asarray(c["id"], np.int32).reshape(n),
            area=np.asarray(c["area"], np.int64).reshape(n),
            bbox=np.asarray(c["bbox"], np.int32).reshape(n, 4),
            centroid=np.asarray(c["centroid"], np.float64).reshape(n, 2),
            color=color,
            label=np.asarray(c["label"], np.int64).reshape(n),
            color_label=np.asarray(c["color_label"], np.int64).reshape(n),
            purity=None if c.get("purity") is None else np.asarray(c["purity"], np.float64).reshape(n),
        )


def compute_segment_table(
    seg: np.ndarray,
    color: np.ndarray | None = None,
    alpha: np.ndarray | None = None,
    pixel_labels: np.ndarray | None = None,
    labels: dict[int, int] | None = None,
    color_labels: dict[int, int] | None = None,
    colors: dict[int, tuple[int, ...]] | None = None,
    purity: bool = False,
) -> SegmentTable:
    """Compute the segment table of a label map.

    Args:
        seg: ``(H, W)`` integer segment map, 0 = line pixels, segments > 0.
        color: optional ``(H, W, 3) uint8`` color image; gives the mean color.
        alpha: optional ``(H, W) uint8`` alpha of the color image (255 assumed when None).
        pixel_labels: optional ``(H, W)`` int correspondence id per pixel (-1 = none); a
            segment takes its majority label. Ignored for segments listed in ``labels``.
        labels: optional ``{segment id: correspondence id}``; wins over ``pixel_labels``.
        color_labels: optional ``{segment id: color label}``.
        colors: optional ``{segment id: (R, G, B, A)}`` stored instead of the mean color for
            those segments (an importer keeping PBC's ``json_color`` exactly); needs ``color``.
        purity: record each segment's purity (share of its pixels with its majority label in
            ``pixel_labels``); needs ``pixel_labels``.

    Returns:
        The :class:`SegmentTable`, rows in ascending id order.
    """
    seg = np.asarray(seg)
    flat = seg.ravel().astype(np.int64)
    if flat.size and flat.min() < 0:
        raise FormatError("segment map has negative ids")
    counts = np.bincount(flat)
    ids = np.nonzero(counts)[0]
    ids = ids[ids > 0]
    area = counts[ids]
    h, w = seg.shape
    # find_objects gives the bounding slices of every label 1..max in one C pass.
    slices = ndimage.find_objects(seg.astype(np.int32)) if ids.size else []
    bbox = np.zeros((ids.size, 4), np.int32)
    for row, i in enumerate(ids):
        sy, sx = slices[i - 1]
        bbox[row] = (sx.start, sy.start, sx.stop - sx.start, sy.stop - sy.start)
    ys, xs = np.divmod(np.arange(flat.size, dtype=np.int64), w)
    cx = np.bincount(flat, weights=xs, minlength=counts.size)[ids] / area
    cy = np.bincount(flat, weights=ys, minlength=counts.size)[ids] / area
    col = None
    if color is not None:
        if color.shape[:2] != seg.shape:
            raise FormatError(f"color image is {color.shape[1]}x{color.shape[0]}, label map is {w}x{h}")
        chans = [color[..., k].ravel() for k in range(3)]
        chans.append(np.full(flat.size, 255, np.uint8) if alpha is None else alpha.ravel())
        col = np.stack(
            [np.bincount(flat, weights=c, minlength=counts.size)[ids] / area for c in chans], axis=1
        )
        col = np.clip(np.round(col), 0, 255).astype(np.uint8)
        if colors:  # exact per-segment colors given by the source (PBC json_color) win
            for row, i in enumerate(ids.tolist()):
                if i in colors:
                    col[row] = colors[i]
    lab = np.full(ids.size, -1, np.int64)
    pur = None
    if pixel_labels is not None:
        lab, top = majority_labels(flat, np.asarray(pixel_labels).ravel().astype(np.int64), ids)
        pur = top / np.maximum(area, 1) if purity else None
    if labels:
        for row, i in enumerate(ids.tolist()):
            if i in labels:
                lab[row] = labels[i]
    clab = np.full(ids.size, -1, np.int64)
    if color_labels:
        clab = np.array([color_labels.get(i, -1) for i in ids.tolist()], np.int64)
    return SegmentTable(ids.astype(np.int32), area.astype(np.int64), bbox,
                        np.stack([cx, cy], axis=1) if ids.size else np.zeros((0, 2)), col, lab, clab, pur)


def majority_labels(seg_flat: np.ndarray, lab_flat: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Majority pixel label of each segment in ``ids`` (ties: the smallest label) and its pixel count.

    Args:
        seg_flat: ``(P,) int64`` segment id per pixel (0 = line, ignored).
        lab_flat: ``(P,) int64`` pixel label per pixel.
        ids: ``(N,)`` segment ids to report.

    Returns:
        ``(labels, counts)``: ``(N,) int64`` each, -1 / 0 for a segment with no pixel.
    """
    ids = np.asarray(ids, np.int64)
    if ids.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keep = seg_flat > 0
    s, l = seg_flat[keep], lab_flat[keep]
    lo = int(l.min()) if l.size else 0
    span = int(l.max()) - lo + 1 if l.size else 1
    if ids.size * span <= 20_000_000 and (not s.size or int(s.max()) < 1 << 24):
        # Few labels (the usual case: an edit's few segments, a frame's parts): one dense bincount
        # of (row, label) beats sorting every pixel.
        row = np.full(max(int(s.max()) if s.size else 0, int(ids.max())) + 1, -1, np.int64)
        row[ids] = np.arange(ids.size)
        r = row[s]
        mine = r >= 0
        counts = np.bincount(r[mine] * span + (l[mine] - lo), minlength=ids.size * span).reshape(ids.size, span)
        best = counts.argmax(axis=1)  # the first maximum: the smallest label on ties
        top = counts[np.arange(ids.size), best]
        return np.where(top > 0, best + lo, -1).astype(np.int64), top.astype(np.int64)
    # One int64 key per (segment, label): a 1-D unique is far faster than unique rows (axis=0).
    keys, cnt = np.unique(s * span + (l - lo), return_counts=True)
    pairs = np.stack([keys // span, keys % span + lo], 1)
    # Sort by segment, then count descending, then label ascending; take each segment's first row.
    order = np.lexsort((pairs[:, 1], -cnt, pairs[:, 0]))
    pairs = pairs[order]
    first = np.r_[True, pairs[1:, 0] != pairs[:-1, 0]]
    cnt = cnt[order]
    best = dict(zip(pairs[first, 0].tolist(), zip(pairs[first, 1].tolist(), cnt[first].tolist())))
    got = [best.get(i, (-1, 0)) for i in ids.tolist()]
    return np.array([g[0] for g in got], np.int64), np.array([g[1] for g in got], np.int64)
