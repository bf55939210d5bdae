"""Checking the annotation state on disk (``DATASET/annotations/``): ``linecorr validate`` runs this.

The annotator extends dataprep's ``validate`` command (entry point ``validate.annotations``): the
state is the annotator's, so the annotator checks it. Every problem is one line naming the file:

* the history is consistent with the head: op records ``1..seq`` exist and load, each moves the
  items it touches from the version the previous op left to the next one, and the head holds the
  versions the history ends at;
* every version ``1..head`` of every frame and pair exists and loads (a frame's label map decodes
  at the clip's size and holds the ids of its segment table, unless ``--quick``; a pair version
  names its own frames, versions that exist, and ops of the history);
* nothing is left over by a kill: temp files of cut-off writes, versions above the head (the
  annotator removes both when it starts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from annotator import ops
from annotator.history import ANNOTATIONS, ClipStore, clip_stray_files, is_temp
from dataprep.errors import LinecorrError
from dataprep.format import images
from dataprep.format.dataset import Dataset, read_json
from dataprep.format.schema import parse_pair_id
from dataprep.format.segtable import SegmentTable
from dataprep.format.validate import Problem


def _msg(e: LinecorrError) -> str:
    """The message of ``e`` without the path it starts with (the problem names the file already)."""
    text = str(e)
    return text[len(e.path) + 2:] if e.path and text.startswith(f"{e.path}: ") else text


def _is_version(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


class _Checker:
    def __init__(self, root: Path, check_images: bool) -> None:
        self.root = root
        self.check_images = check_images
        self.problems: list[Problem] = []

    def bad(self, path: Path, message: str) -> None:
        self.problems.append(Problem(path.relative_to(self.root).as_posix(), " ".join(message.split())))

    def load(self, path: Path) -> Any:
        """The JSON at ``path``, or None (a problem) when it is missing or does not load."""
        if not path.is_file():
            self.bad(path, "missing")
            return None
        try:
            return read_json(path)
        except LinecorrError as e:
            self.bad(path, f"does not load ({_msg(e)})")
            return None

    def clip(self, ds: Dataset, store: ClipStore, pairs: set[str]) -> None:
        head_path = store.dir / "head.json"
        head = self.load(head_path) if head_path.is_file() else {"seq": 0, "frames": {}, "pairs": {}}
        if head is None:
            return
        info = ds.clip(store.clip)
        if not (isinstance(head, dict) and _is_version(head.get("seq")) and isinstance(head.get("frames"), dict)
                and isinstance(head.get("pairs"), dict) and isinstance(head.get("client_ops", {}), dict)):
            self.bad(head_path, "is not {seq, frames: {frame: version}, pairs: {pair: version}, client_ops}")
            return
        items: dict[str, int] = {}
        for kind, known in (("frame", set(info.frames)), ("pair", pairs)):
            for key, v in head[f"{kind}s"].items():
                if key not in known:
                    self.bad(head_path, f"names {kind} {key!r}, which clip {store.clip} does not have")
                elif not _is_version(v):
                    self.bad(head_path, f"{kind} {key}: version {v!r} is not a non-negative integer")
                else:
                    items[f"{kind}:{key}"] = v
        seq = head["seq"]
        for cop, n in head.get("client_ops", {}).items():
            if not _is_version(n) or not 1 <= n <= seq:
                self.bad(head_path, f"client op {cop!r} names op {n!r}, not one of 1..{seq}")
        for p in clip_stray_files(store, head):
            what = "temporary file of an interrupted write" if is_temp(p) else \
                "uncommitted version left by an interrupted operation"
            self.bad(p, f"{what} (linecorr annotate removes it when it starts)")
        self.history(store, head_path, seq, items)
        tables = self.frames(store, info, items)
        self.pairs(store, seq, items, tables)
        edir = store.dir / "effort"
        for p in sorted(edir.glob("*.json")) if edir.is_dir() else ():
            if p.stem not in pairs:
                self.bad(p, f"effort log of pair {p.stem!r}, which clip {store.clip} does not have")
            elif (rec := self.load(p)) is not None and not isinstance(rec, dict):
                self.bad(p, "is not an effort record (an object)")

    def history(self, store: ClipStore, head_path: Path, seq: int, items: dict[str, int]) -> None:
        """Replay the op records: each moves an item from the version the previous op left to the next."""
        at: dict[str, int] = {}
        for n in range(1, seq + 1):
            path = store.op_file(n)
            rec = self.load(path)
            if rec is None:
                continue
            if not (isinstance(rec, dict) and rec.get("seq") == n and isinstance(rec.get("before"), dict)
                    and isinstance(rec.get("after"), dict) and isinstance(rec.get("kind"), str)):
                self.bad(path, f"is not the record of op {n} (seq, kind, before, after)")
                continue
            for item, v in rec["after"].items():
                was = at.get(item, 0)
                if rec["before"].get(item) != was or v != was + 1:
                    self.bad(path, f"{item} goes {rec['before'].get(item)!r} -> {v!r}, but the history "
                                   f"before it left version {was}")
                at[item] = v if _is_version(v) else was
        for item in sorted(set(items) | set(at)):
            if items.get(item, 0) != at.get(item, 0):
                self.bad(head_path, f"{item} is at version {items.get(item, 0)} but its history ends at "
                                    f"version {at.get(item, 0)}")

    def frames(self, store: ClipStore, info, items: dict[str, int]) -> dict[tuple[str, int], set[int]]:
        """Check every frame version; returns the segment ids of each one that loads."""
        tables: dict[tuple[str, int], set[int]] = {}
        for item, top in sorted(items.items()):
            kind, _, fid = item.partition(":")
            if kind != "frame":
                continue
            for v in range(1, top + 1):
                tpath, png = store.frame_table(fid, v), store.frame_png(fid, v)
                obj = self.load(tpath)
                if obj is None:
                    continue
                try:
                    table = SegmentTable.from_json(obj, tpath)
                except LinecorrError as e:
                    self.bad(tpath, f"is not a segment table ({_msg(e)})")
                    continue
                tables[(fid, v)] = set(table.ids.tolist())
                if not png.is_file():
                    self.bad(png, "missing")
                elif self.check_images:
                    try:
                        seg = images.read_ids(png)
                    except LinecorrError as e:
                        self.bad(png, f"does not decode ({_msg(e)})")
                        continue
                    if seg.shape != (info.height, info.width):
                        self.bad(png, f"is {seg.shape[1]}x{seg.shape[0]}, the clip is {info.width}x{info.height}")
                    elif set(np.unique(seg).tolist()) - {0} != tables[(fid, v)]:
                        self.bad(png, f"holds other segment ids than its table {tpath.name}")
        return tables

    def pairs(self, store: ClipStore, seq: int, items: dict[str, int],
              tables: dict[tuple[str, int], set[int]]) -> None:
        for item, top in sorted(items.items()):
            kind, _, name = item.partition(":")
            if kind != "pair":
                continue
            fa, _, fb = name.partition("__")
            for v in range(1, top + 1):
                path = store.pair_file(name, v)
                snap = self.load(path)
                if snap is not None:
                    self.pair_version(path, snap, name, v, {"a": fa, "b": fb}, seq, items, tables)

    def pair_version(self, path: Path, snap: Any, name: str, v: int, fids: dict[str, str], seq: int,
                     items: dict[str, int], tables: dict[tuple[str, int], set[int]]) -> None:
        keys = ("pair", "frame_ids", "frames", "state", "undo", "redo", "version", "op")
        if not isinstance(snap, dict) or any(k not in snap for k in keys):
            self.bad(path, f"is not a pair version (keys {', '.join(keys)})")
            return
        if snap["version"] != v or snap["frame_ids"] != fids:
            self.bad(path, f"says it is version {snap['version']!r} of frames {snap['frame_ids']!r}, not "
                           f"version {v} of {fids}")
            return
        stacks = snap["undo"], snap["redo"]
        if not (_is_version(snap["op"]) and 1 <= snap["op"] <= seq) or not all(
                isinstance(s, list) and all(_is_version(n) and 1 <= n <= seq for n in s) for s in stacks):
            self.bad(path, f"names ops that are not in the history (1..{seq})")
        try:
            st = ops.PairState.from_json(snap["state"])
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            self.bad(path, f"state does not load ({type(e).__name__}: {e})")
            return
        frames = snap["frames"]
        for side, fid in fids.items():
            fv = frames.get(side) if isinstance(frames, dict) else None
            if not _is_version(fv) or fv > items.get(f"frame:{fid}", 0):
                self.bad(path, f"shows frame {fid} at version {fv!r}, which was never committed")
                continue
            ids = tables.get((fid, fv)) if fv else None
            if ids is None:
                continue  # version 0 is the dataset's (validated by linecorr validate); else reported above
            col = 0 if side == "a" else 1
            used = {m[col] for m in st.matches} | set(st.unmatched_a if side == "a" else st.unmatched_b)
            if used - ids:
                self.bad(path, f"names segment {min(used - ids)} of frame {fid}, which its version {fv} does not have")


def check_annotations(root: str | Path, check_images: bool = True) -> list[Problem]:
    """Every problem of ``root/annotations/`` (none when the annotator never wrote there).

    Args:
        root: the dataset folder.
        check_images: decode every label map version (``linecorr validate --quick`` skips it).
    """
    root = Path(root)
    clips_dir = root / ANNOTATIONS / "clips"
    if not clips_dir.is_dir():
        return []
    try:
        ds = Dataset.open(root)
    except LinecorrError:
        return []  # the dataset itself does not open: validate_dataset says why
    root = ds.root
    chk = _Checker(root, check_images)
    pairs: dict[str, set[str]] = {}
    for pid in ds.pair_ids():
        clip, fa, fb = parse_pair_id(pid)
        pairs.setdefault(clip, set()).add(f"{fa}__{fb}")
    for cdir in sorted(p for p in clips_dir.iterdir() if p.is_dir()):
        if cdir.name not in ds.clip_ids:
            chk.bad(cdir, "annotations of a clip the dataset does not have")
            continue
        try:
            chk.clip(ds, ClipStore(root / ANNOTATIONS, cdir.name), pairs.get(cdir.name, set()))
        except LinecorrError:
            continue  # the clip's own files do not load: validate_dataset reports them
    return chk.problems


__all__ = ["check_annotations"]
