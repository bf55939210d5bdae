"""Segment tables in the annotator: which segments are the frame's background, and keeping a
frame's table in step with its edited label map, without a full recompute.

A full :func:`dataprep.format.compute_segment_table` of a 1024² frame with a color image takes
~0.2 s (a weighted bincount per channel over every pixel); an edit touches a few segments, so only
their rows are recomputed, over the smallest box that holds all their pixels.
"""

from __future__ import annotations

import numpy as np

from annotator.ops import Lineage
from dataprep.format.segtable import SegmentTable, compute_segment_table


def update_table(table: SegmentTable, old: np.ndarray, new: np.ndarray, bbox: tuple[int, int, int, int],
                 lin: Lineage, color: np.ndarray | None = None, alpha: np.ndarray | None = None,
                 pixel_labels: np.ndarray | None = None) -> SegmentTable:
    """The table of ``new``, given the table of ``old`` and the box where they differ.

    Args:
        table: segment table of ``old``.
        old, new: ``(H, W) int32`` label maps (0 = line) that differ only inside ``bbox``.
        bbox: ``(x, y, w, h)``.
        lin: what happened to the segments (:func:`annotator.ops.lineage`); without pixel labels a
            created segment takes its parent's correspondence label and color label.
        color, alpha, pixel_labels: the frame's images, as for ``compute_segment_table``.

    Returns:
        A table equal to ``compute_segment_table(new, color, alpha, pixel_labels)`` (labels of
        surviving segments kept from ``table`` when there are no pixel labels).
    """
    x, y, w, h = bbox
    ids_in_box = np.union1d(np.unique(old[y:y + h, x:x + w]), np.unique(new[y:y + h, x:x + w]))
    affected = ids_in_box[ids_in_box > 0]
    # Box holding every pixel of every affected segment: the change box plus their old boxes.
    x0, y0, x1, y1 = x, y, x + w, y + h
    rows = {int(i): r for r, i in enumerate(table.ids.tolist())}
    for sid in affected.tolist():
        if sid in rows:
            bx, by, bw, bh = table.bbox[rows[sid]].tolist()
            x0, y0, x1, y1 = min(x0, bx), min(y0, by), max(x1, bx + bw), max(y1, by + bh)
    crop = new[y0:y1, x0:x1]
    only = np.where(np.isin(crop, affected), crop, 0)
    sub = (lambda a: None if a is None else a[y0:y1, x0:x1])
    old_label = table.label_of()
    old_clabel = dict(zip(table.ids.tolist(), table.color_label.tolist()))
    labels = None
    if pixel_labels is None:  # without pixel labels a segment keeps its (or its parent's) label
        labels = {}
        for sid in affected.tolist():
            src = sid if sid in old_label else lin.parents.get(sid)
            if src is not None and src in old_label:
                labels[sid] = old_label[src]
    clabels = {sid: old_clabel.get(sid if sid in old_clabel else lin.parents.get(sid, -1), -1)
               for sid in affected.tolist()}
    part = compute_segment_table(only, sub(color), sub(alpha), sub(pixel_labels), labels, clabels)
    part.bbox[:, 0] += x0
    part.bbox[:, 1] += y0
    part.centroid[:, 0] += x0
    part.centroid[:, 1] += y0
    keep = ~np.isin(table.ids, affected)
    ids = np.concatenate([table.ids[keep], part.ids])
    order = np.argsort(ids, kind="stable")

    def cat(a, b):
        return np.concatenate([a[keep], b])[order]

    color_col = None
    if table.color is not None and part.color is not None:
        color_col = cat(table.color, part.color)
    elif table.color is not None and len(part) == 0:
        color_col = table.color[keep][order]
    return SegmentTable(ids[order].astype(np.int32), cat(table.area, part.area), cat(table.bbox, part.bbox),
                        cat(table.centroid, part.centroid), color_col, cat(table.label, part.label),
                        cat(table.color_label, part.color_label))


def background_ids(table: SegmentTable, width: int, height: int) -> list[int]:
    """Ids of a frame's background segments: correspondence label -1 and touching the frame border.

    Rendered datasets (and PBC) give the paper around the character label -1 ("unknown /
    background", docs/FORMAT.md) and their pairs neither match it nor mark it "no match", so without
    this every pair would show it as unlabelled. A -1 segment inside the frame (a hole, a fresh
    import's character) is really unlabelled and is not background. The page draws these plainly and
    J skips them; the queue does not count them as unlabelled. Computed from the table alone, so an
    edited frame's background follows its edits.
    """
    x, y, w, h = (table.bbox[:, k] for k in range(4))
    border = (x <= 0) | (y <= 0) | (x + w >= width) | (y + h >= height)
    return table.ids[(table.label == -1) & border].tolist()
