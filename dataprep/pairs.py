"""Deriving pairs and their matches from correspondence labels (render data, importers)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from dataprep.format.schema import Match, Pair
from dataprep.format.segtable import SegmentTable


def matches_from_labels(table_a: SegmentTable, table_b: SegmentTable, source: str = "render") -> list[Match]:
    """Match every segment of A to every segment of B with the same correspondence label.

    Labels < 0 (unknown / transparent background) are never matched. A label split into several
    segments (an occluded part) gives a many-to-many group, as the format allows.

    Returns:
        Edges sorted by (a, b), confidence 1.
    """
    by_label: dict[int, list[int]] = defaultdict(list)
    for seg_id, lab in zip(table_b.ids.tolist(), table_b.label.tolist()):
        if lab >= 0:
            by_label[lab].append(seg_id)
    out = []
    for seg_id, lab in zip(table_a.ids.tolist(), table_a.label.tolist()):
        if lab >= 0:
            out.extend(Match(seg_id, b, source, 1.0) for b in by_label.get(lab, ()))
    return out


def unmatched_from_labels(table_a: SegmentTable, table_b: SegmentTable) -> tuple[list[int], list[int]]:
    """Labelled segments whose label does not occur in the other frame (disoccluded, left frame)."""
    la = set(table_a.label[table_a.label >= 0].tolist())
    lb = set(table_b.label[table_b.label >= 0].tolist())
    ua = [int(i) for i, lab in zip(table_a.ids, table_a.label) if lab >= 0 and lab not in lb]
    ub = [int(i) for i, lab in zip(table_b.ids, table_b.label) if lab >= 0 and lab not in la]
    return ua, ub


def frame_pairs(frames: list[str], gaps: tuple[int, ...] = (1,)) -> list[tuple[str, str, int]]:
    """``(frame_a, frame_b, gap)`` for every frame and every gap that stays inside the clip."""
    return [(frames[i], frames[i + g], g) for g in gaps for i in range(len(frames) - g) if g > 0]


def label_pair(clip: str, fa: str, fb: str, table_a: SegmentTable, table_b: SegmentTable,
               source: str = "render", status: str = "todo", gap: int | None = None) -> Pair:
    """A :class:`Pair` with matches (and unmatched segments) derived from the labels."""
    ua, ub = unmatched_from_labels(table_a, table_b)
    meta = {} if gap is None else {"gap": int(gap)}
    return Pair(clip, fa, fb, matches_from_labels(table_a, table_b, source), ua, ub, status=status, meta=meta)


def segment_gt_matrix(table_a: SegmentTable, table_b: SegmentTable) -> np.ndarray:
    """``(Na, Nb) bool``: True where segments share a (non-negative) label."""
    la, lb = table_a.label[:, None], table_b.label[None, :]
    return (la == lb) & (la >= 0)
