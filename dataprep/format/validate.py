"""The one validator of the format: finds every problem in a dataset, one line each.

``validate_dataset(root)`` never raises on bad content: it collects a :class:`Problem` per issue
(file + message) and keeps going, so a user sees everything wrong in one run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format import images, layout
from dataprep.format.dataset import read_json
from dataprep.format.schema import ClipInfo, Manifest, Pair, id_problem, splits_problems
from dataprep.format.segtable import SegmentTable, compute_segment_table
from dataprep.format.validate_parts import PartMaps, check_part_map, check_region_matches


@dataclass(frozen=True)
class Problem:
    """One problem: the file it is in and a one-line message."""

    path: str  # path relative to the dataset root ("." for the root itself)
    message: str  # what is wrong

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class _Collector:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str) -> None:
        try:
            rel = path.relative_to(self.root).as_posix() or "."
        except ValueError:
            rel = str(path)
        self.problems.append(Problem(rel, message))

    def json(self, path: Path):
        """Parse ``path``; record the problem and return None when it cannot be read."""
        try:
            return read_json(path)
        except LinecorrError as e:
            self.add(path, _msg(e))
            return None


def _msg(e: LinecorrError) -> str:
    """The message of ``e`` without its leading ``path: `` (the collector adds the path)."""
    s = str(e)
    return s[len(e.path) + 2:] if e.path and s.startswith(e.path + ": ") else s


def validate_dataset(root: str | os.PathLike, check_images: bool = True,
                     progress: Callable[[Iterable], Iterable] | None = None) -> list[Problem]:
    """Check a dataset directory against docs/FORMAT.md.

    Args:
        root: the dataset folder.
        check_images: decode every image and recompute every segment table (slow on big
            datasets, but it is what catches truncated files and stale tables).
        progress: optional wrapper for the per-clip loop (e.g. ``tqdm``).

    Returns:
        Every problem found (empty when the dataset is valid).
    """
    root = Path(root)
    col = _Collector(root)
    if not root.is_dir():
        col.add(root, "is not a directory")
        return col.problems
    m = col.json(root / layout.MANIFEST)
    if m is not None:
        for p in Manifest.problems(m):
            col.add(root / layout.MANIFEST, p)
    clips_dir = root / layout.CLIPS
    if not clips_dir.is_dir():
        col.add(root, "has no clips/ folder")
        clip_names: list[str] = []
    else:
        clip_names = sorted(p.name for p in clips_dir.iterdir() if not p.name.startswith("."))
    infos: dict[str, ClipInfo] = {}
    tables: dict[tuple[str, str], SegmentTable] = {}
    loop = progress(clip_names) if progress else clip_names
    for name in loop:
        info = _check_clip(col, root, name, check_images, tables)
        if info is not None:
            infos[info.id] = info
    _check_splits(col, root, infos)
    _check_pairs(col, root, infos, tables)
    return col.problems


def _check_clip(col: _Collector, root: Path, name: str, check_images: bool,
                tables: dict[tuple[str, str], SegmentTable]) -> ClipInfo | None:
    cdir = root / layout.CLIPS / name
    if id_problem(name, "clip folder"):
        col.add(cdir, id_problem(name, "clip folder"))
        return None
    try:
        layout.inside(root, cdir)
    except LinecorrError as e:
        col.add(cdir, _msg(e))
        return None
    cj = cdir / layout.CLIP_JSON
    obj = col.json(cj)
    if obj is None:
        return None
    probs = ClipInfo.problems(obj)
    for p in probs:
        col.add(cj, p)
    if probs:
        return None
    info = ClipInfo.from_json(obj)
    if info.id != name:
        col.add(cj, f"id {info.id!r} does not match its folder {name!r}")
    for f in info.frames:
        _check_frame(col, root, info, f, check_images, tables)
    return info


def _check_frame(col: _Collector, root: Path, info: ClipInfo, frame: str, check_images: bool,
                 tables: dict[tuple[str, str], SegmentTable]) -> None:
    def fpath(kind: str) -> Path:
        return layout.frame_file(root, info.id, kind, frame)

    want = (info.height, info.width)
    kinds = [layout.LINE, layout.SEG] + [layout.COLOR] * info.has_color + [layout.LABEL] * info.has_labels
    arrays: dict[str, np.ndarray] = {}
    for kind in kinds:
        p = fpath(kind)
        if not p.is_file():
            col.add(p, "file is missing")
            continue
        try:
            layout.inside(root, p)
            if not check_images:
                continue
            if kind in (layout.SEG, layout.LABEL):
                arr = images.read_ids(p)
                if kind == layout.SEG and arr.min() < 0:
                    col.add(p, "segment map has negative ids (transparent pixels?)")
                    continue
            else:
                arr = images.read_image_raw(p)
                if arr.dtype != np.uint8:
                    col.add(p, f"{kind} image must be 8-bit, got {arr.dtype}")
                    continue
            if arr.shape[:2] != want:
                col.add(p, f"image is {arr.shape[1]}x{arr.shape[0]}, clip.json says {info.width}x{info.height}")
                continue
            arrays[kind] = arr
        except LinecorrError as e:
            col.add(p, _msg(e))
    sp = fpath(layout.SEGMENTS)
    obj = col.json(sp)
    if obj is None:
        return
    probs = SegmentTable.problems(obj)
    for p in probs:
        col.add(sp, p)
    if probs:
        return
    if obj.get("frame") != frame:
        col.add(sp, f"frame field {obj.get('frame')!r} does not match file name {frame!r}")
    table = SegmentTable.from_json(obj)
    tables[(info.id, frame)] = table
    if layout.SEG in arrays:
        # An importer may store the source's exact per-segment colors (PBC json_color) instead
        # of the mean: then only ids, areas, boxes and centroids are checked.
        _check_table(col, sp, table, arrays, info.has_color and not info.source.get("exact_colors"))
    if check_images:  # format 1.1: the exact part map of a drawn line style
        check_part_map(col.add, root, info.id, frame, want, arrays.get(layout.SEG), arrays.get(layout.LABEL), table)


def _check_table(col: _Collector, sp: Path, table: SegmentTable, arrays: dict[str, np.ndarray],
                 has_color: bool) -> None:
    """Recompute the table from the images and report where the stored one disagrees."""
    seg = arrays[layout.SEG]
    color = alpha = None
    if layout.COLOR in arrays:
        color, alpha = _split(arrays[layout.COLOR])
    ref = compute_segment_table(seg, color, alpha)
    if not np.array_equal(ref.ids, table.ids):
        missing = sorted(set(ref.ids.tolist()) - set(table.ids.tolist()))
        extra = sorted(set(table.ids.tolist()) - set(ref.ids.tolist()))
        col.add(sp, f"segment ids disagree with the segment map (missing from table: {missing[:10]}, "
                    f"not in map: {extra[:10]})")
        return
    for name in ("area", "bbox"):
        diff = np.asarray(getattr(ref, name) != getattr(table, name))
        # any over every axis but the first: works for (N,) areas, (N, 4) boxes and N = 0 (an all-ink frame)
        bad = np.nonzero(np.any(diff, axis=tuple(range(1, diff.ndim))))[0]
        if bad.size:
            col.add(sp, f"{name} disagrees with the segment map for segments {ref.ids[bad][:10].tolist()}")
    bad = np.nonzero(np.any(np.abs(ref.centroid - table.centroid) > 0.01, axis=1))[0]
    if bad.size:
        col.add(sp, f"centroid disagrees with the segment map for segments {ref.ids[bad][:10].tolist()}")
    if has_color and table.color is None:
        col.add(sp, "the clip has color images but the table has no color column")
    if has_color and ref.color is not None and table.color is not None:
        bad = np.nonzero(np.any(np.abs(ref.color.astype(int) - table.color.astype(int)) > 1, axis=1))[0]
        if bad.size:
            col.add(sp, f"mean color disagrees with the color image for segments {ref.ids[bad][:10].tolist()}")


def _split(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    if arr.ndim == 2:
        return np.repeat(arr[..., None], 3, axis=2), None
    rgb, alpha = images.split_alpha(arr)
    return rgb.astype(np.uint8), alpha


def _check_splits(col: _Collector, root: Path, infos: dict[str, ClipInfo]) -> None:
    sp = root / layout.SPLITS
    if not sp.is_file():
        return
    obj = col.json(sp)
    if obj is None:
        return
    probs = splits_problems(obj)
    for p in probs:
        col.add(sp, p)
    if probs:
        return
    for name, clips in obj.items():
        for c in clips:
            if c not in infos:
                col.add(sp, f"split {name!r} lists clip {c!r}, which does not exist or is invalid")


def _check_pairs(col: _Collector, root: Path, infos: dict[str, ClipInfo],
                 tables: dict[tuple[str, str], SegmentTable]) -> None:
    pdir = root / layout.PAIRS
    if not pdir.is_dir():
        return
    for cd in sorted(p for p in pdir.iterdir() if not p.name.startswith(".")):
        if not cd.is_dir():
            col.add(cd, "unexpected file (pairs/ holds one folder per clip)")
            continue
        for f in sorted(p for p in cd.iterdir() if not p.name.startswith(".")):
            _check_pair(col, root, cd.name, f, infos, tables)


def _check_pair(col: _Collector, root: Path, clip: str, f: Path, infos: dict[str, ClipInfo],
                tables: dict[tuple[str, str], SegmentTable]) -> None:
    if f.suffix != ".json" or "__" not in f.stem:
        col.add(f, "unexpected file (pair files are named <frame_a>__<frame_b>.json)")
        return
    obj = col.json(f)
    if obj is None:
        return
    probs = Pair.problems(obj)
    for p in probs:
        col.add(f, p)
    if probs:
        return
    pair = Pair.from_json(obj)
    if f"{clip}/{f.stem}" != pair.id:
        col.add(f, f"holds pair {pair.id!r}, its path says {clip}/{f.stem}")
    info = infos.get(pair.clip)
    if info is None:
        col.add(f, f"clip {pair.clip!r} does not exist or is invalid")
        return
    for side, fr in (("a", pair.frame_a), ("b", pair.frame_b)):
        if fr not in info.frames:
            col.add(f, f"frame_{side} {fr!r} is not a frame of clip {pair.clip!r}")
    ta, tb = tables.get((pair.clip, pair.frame_a)), tables.get((pair.clip, pair.frame_b))
    for side, table, ids in (("A", ta, [m.a for m in pair.matches] + pair.unmatched_a),
                             ("B", tb, [m.b for m in pair.matches] + pair.unmatched_b)):
        if table is None:
            continue
        unknown = sorted(set(ids) - set(table.ids.tolist()))
        if unknown:
            col.add(f, f"refers to segments {unknown[:10]} that frame {side} does not have")
    if pair.region_matches is not None:
        col.part_maps = getattr(col, "part_maps", None) or PartMaps(root)
        check_region_matches(col.add, f, pair, col.part_maps)
