"""Validation of the format 1.1 ground truth of drawn line styles: part maps, purity, part-region matches.

Kept apart from :mod:`dataprep.format.validate` (the 1.0 checks) because it only runs for datasets
that carry ``parts/`` maps. Checks, per frame: the part map's size and values (part ids > 0, -1 for
the background, no line class), the pixel label map agreeing with it off the lines, and each
segment's label and purity recomputed from it; per pair: ``region_matches`` equal to what
:func:`dataprep.format.regions.region_matches` gives for the two part maps.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format import images, layout
from dataprep.format.regions import match_regions, part_regions, region_parts
from dataprep.format.schema import Pair
from dataprep.format.segtable import SegmentTable, majority_labels

Report = Callable[[Path, str], None]  # (file, one-line problem)


class PartMaps:
    """Reads part maps (and their regions) once, keeping the last few (pairs come in clip order)."""

    def __init__(self, root: Path, size: int = 16) -> None:
        self.root, self.size = root, size
        self._cache: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray] | None] = OrderedDict()

    def get(self, clip: str, frame: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(parts, regions, part of each region)`` of a frame, or None when it has no readable part map."""
        key = (clip, frame)
        if key not in self._cache:
            p = layout.frame_file(self.root, clip, layout.PARTS, frame)
            val = None
            if p.is_file():
                try:
                    parts = images.read_ids(p)
                    reg = part_regions(parts)
                    val = (parts, reg, region_parts(reg, parts))
                except LinecorrError:
                    val = None
            self._cache[key] = val
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return self._cache[key]


def check_part_map(report: Report, root: Path, clip: str, frame: str, want: tuple[int, int],
                   seg: np.ndarray | None, labels: np.ndarray | None, table: SegmentTable | None) -> None:
    """Check one frame's ``parts/`` map (when present) against its label map and segment table."""
    p = layout.frame_file(root, clip, layout.PARTS, frame)
    if not p.is_file():
        if table is not None and table.purity is not None:
            report(p, "segment table records purity but the frame has no part map")
        return
    try:
        parts = images.read_ids(p)
    except LinecorrError as e:
        report(p, str(e).split(": ", 1)[-1] if str(e).startswith(str(p)) else str(e))
        return
    if parts.shape != want:
        report(p, f"image is {parts.shape[1]}x{parts.shape[0]}, clip.json says {want[1]}x{want[0]}")
        return
    if parts.size and (parts.min() < -1 or (parts == 0).any()):
        report(p, "part map holds ids < -1 or 0 (parts are > 0, the background -1; it has no line class)")
    if seg is None or labels is None or seg.shape != want or labels.shape != want:
        return
    off = seg > 0
    if not np.array_equal(labels[off], parts[off]):
        report(layout.frame_file(root, clip, layout.LABEL, frame), "pixel labels differ from the part map off the lines")
    if table is None or len(table) == 0:
        return
    lab, top = majority_labels(seg.ravel().astype(np.int64), parts.ravel().astype(np.int64), table.ids)
    sp = layout.frame_file(root, clip, layout.SEGMENTS, frame)
    bad = np.flatnonzero(lab != table.label)
    if bad.size:
        report(sp, f"segment {int(table.ids[bad[0]])} is labelled {int(table.label[bad[0]])}, its majority part is "
                   f"{int(lab[bad[0]])} ({bad.size} segments differ)")
    if table.purity is None:
        report(sp, "frame has a part map but its segment table has no purity column")
    else:
        pur = top / np.maximum(table.area, 1)
        bad = np.flatnonzero(np.abs(pur - table.purity) > 1e-3)
        if bad.size:
            report(sp, f"segment {int(table.ids[bad[0]])} purity {table.purity[bad[0]]:.4f} differs from its part "
                       f"map ({pur[bad[0]]:.4f})")


def check_region_matches(report: Report, f: Path, pair: Pair, maps: PartMaps) -> None:
    """Check a pair's ``region_matches`` against the part maps of its two frames."""
    if pair.region_matches is None:
        return
    a, b = maps.get(pair.clip, pair.frame_a), maps.get(pair.clip, pair.frame_b)
    if a is None or b is None:
        report(f, "has region_matches but its frames have no readable part maps")
        return
    want = match_regions(a[2], b[2])
    got = sorted(tuple(m) for m in pair.region_matches)
    if got != want:
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        report(f, f"region_matches differ from the part maps ({len(missing)} missing, e.g. {missing[:3]}; "
                  f"{len(extra)} wrong, e.g. {extra[:3]})")
