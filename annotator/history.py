"""Versioned storage of the annotation state: snapshots of every version and a log of operations.

Everything lives under ``<dataset>/annotations/clips/<clip>/`` (the annotator owns that folder and
never rewrites the dataset's own files)::

    head.json                          current version of each edited frame and pair, last op number
    frames/<frame>/<v>.png             label map of the frame at version v (16-bit PNG, or RGB ids)
    frames/<frame>/<v>.json            its segment table
    pairs/<fa>__<fb>/<v>.json          pair version v: matches, marks, status, the frame versions it
                                       shows, and the pair's undo/redo stacks
    ops/<seq>.json                     one operation: kind, arguments, time, who made it, the versions
                                       of every item (frame or pair) before and after it

Version 0 of a frame or pair is the dataset's own file; versions are never overwritten or
deleted, so any earlier version can be restored. An operation is committed by one atomic write of
``head.json`` after its new snapshot files are on disk: killing the process at any moment leaves
either the old or the new state. A crash before the commit leaves files above the head (and
possibly ``.*.tmp`` files of a write cut short); :func:`stray_files` finds them and the server
removes them when it starts (``Workspace.recover``), under the store lock so that no operation is
writing them.

Idempotent writes: an operation may carry a client operation id. The head keeps the ids of the
last :data:`MAX_CLIENT_OPS` committed operations of the clip (``client_ops``: id -> op number),
written in the same atomic replace as the commit itself, so a write whose answer was lost is
recognised when the page sends it again, even after a restart.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

from dataprep.format import images
from dataprep.format.atomic import atomic_write_bytes, atomic_write_json
from dataprep.format.dataset import read_json

ANNOTATIONS = "annotations"
MAX_CLIENT_OPS = 512  # client op ids remembered per clip: far more than a page ever has in flight
TMP_STALE_S = 60.0  # a temp file of a write outside the store lock (effort) older than this is a leftover


def now() -> str:
    """UTC time, ISO 8601 with milliseconds."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


def encode_seg_fast(seg: np.ndarray) -> bytes:
    """Lossless PNG of a label map: 16-bit gray when ids fit (OpenCV, ~3x faster than PIL), else RGB ids."""
    if int(seg.max()) <= images.MAX_ID_16:
        ok, buf = cv2.imencode(".png", seg.astype(np.uint16), [cv2.IMWRITE_PNG_COMPRESSION, 3])
        if ok:
            return buf.tobytes()
    return images.encode_segment_map(seg)


class ClipStore:
    """The versioned annotation state of one clip (see the module docstring for the layout)."""

    def __init__(self, annotations: Path, clip: str) -> None:
        self.dir = annotations / "clips" / clip
        self.clip = clip

    # ---- paths --------------------------------------------------------------------------------
    def frame_png(self, frame: str, v: int) -> Path:
        return self.dir / "frames" / frame / f"{v:06d}.png"

    def frame_table(self, frame: str, v: int) -> Path:
        return self.dir / "frames" / frame / f"{v:06d}.json"

    def pair_file(self, name: str, v: int) -> Path:
        return self.dir / "pairs" / name / f"{v:06d}.json"

    def op_file(self, seq: int) -> Path:
        return self.dir / "ops" / f"{seq:08d}.json"

    # ---- reading ------------------------------------------------------------------------------
    def head(self) -> dict:
        """``{"seq": last op, "frames": {frame: v}, "pairs": {name: v}, "client_ops": {id: seq}}``
        (all empty when never edited)."""
        p = self.dir / "head.json"
        if not p.is_file():
            return {"seq": 0, "frames": {}, "pairs": {}, "client_ops": {}}
        return read_json(p)

    def read_op(self, seq: int) -> dict:
        return read_json(self.op_file(seq))

    def read_pair(self, name: str, v: int) -> dict:
        return read_json(self.pair_file(name, v))

    def pair_versions(self, name: str) -> list[int]:
        """Committed versions of a pair (files above the head are from an operation that was cut off)."""
        head = int(self.head()["pairs"].get(name, 0))
        d = self.dir / "pairs" / name
        found = (int(p.stem) for p in d.glob("*.json") if p.stem.isdigit()) if d.is_dir() else ()
        return sorted(v for v in found if v <= head)

    # ---- writing --------------------------------------------------------------------------------
    def write_frame(self, frame: str, v: int, seg: np.ndarray | None, table_json: dict,
                    copy_from: Path | None = None) -> None:
        """Store a frame version: encode ``seg``, or hard-link an existing PNG (``copy_from``)."""
        dst = self.frame_png(frame, v)
        if copy_from is not None:
            _link_or_copy(copy_from, dst)
        else:
            atomic_write_bytes(dst, encode_seg_fast(seg))
        atomic_write_json(self.frame_table(frame, v), table_json, indent=None)

    def write_pair(self, name: str, v: int, snap: dict) -> None:
        atomic_write_json(self.pair_file(name, v), snap, indent=None)

    def write_op(self, rec: dict) -> None:
        atomic_write_json(self.op_file(rec["seq"]), rec, indent=None)

    def write_head(self, head: dict) -> None:
        """The commit point of an operation."""
        atomic_write_json(self.dir / "head.json", head, indent=None)


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


class Transaction:
    """The new versions one operation creates, written and committed together.

    Example:
        >>> with store_lock(ann):                               # doctest: +SKIP
        ...     tx = Transaction(store, "merge", "0000__0001", {"ids": [3, 5]})
        ...     va = tx.set_frame("0000", seg, table_json)
        ...     tx.set_pair("0000__0001", snapshot)
        ...     rec = tx.commit()
    """

    def __init__(self, store: ClipStore, kind: str, pair: str, args: dict) -> None:
        self.store = store
        self.head = store.head()
        self.kind, self.pair, self.args = kind, pair, args
        self.before: dict[str, int] = {}
        self.after: dict[str, int] = {}
        self._frames: list[tuple] = []
        self._pairs: dict[str, dict] = {}
        self.client_op: str | None = None  # the page's id of this operation (see the module docstring)
        self.user: str | None = None  # the annotator who made it (who did what: history, review, effort)

    @property
    def seq(self) -> int:
        """The number this operation's record gets."""
        return int(self.head["seq"]) + 1

    def version(self, item: str) -> int:
        """Current version of ``frame:<id>`` or ``pair:<name>`` (including this transaction's)."""
        if item in self.after:
            return self.after[item]
        kind, _, key = item.partition(":")
        return int(self.head["frames" if kind == "frame" else "pairs"].get(key, 0))

    def _bump(self, item: str) -> int:
        if item not in self.before:
            # The head only moves forward, so head + 1 is free: a file there is left from an operation
            # that was cut off before its commit, and is overwritten.
            self.before[item] = self.version(item)
            self.after[item] = self.before[item] + 1
        return self.after[item]

    def set_frame(self, frame: str, seg: np.ndarray | None, table_json: dict, copy_from: Path | None = None) -> int:
        v = self._bump(f"frame:{frame}")
        self._frames.append((frame, v, seg, table_json, copy_from))
        return v

    def set_pair(self, name: str, snap: dict) -> int:
        v = self._bump(f"pair:{name}")
        self._pairs[name] = snap
        return v

    def pending_pair(self, name: str) -> dict | None:
        """The snapshot this transaction will write for pair ``name`` (None: it leaves the pair alone)."""
        return self._pairs.get(name)

    def commit(self) -> dict:
        """Write the snapshots, the op record and the head (last, atomically). Returns the op record."""
        seq = self.seq
        for frame, v, seg, table_json, copy_from in self._frames:
            self.store.write_frame(frame, v, seg, table_json, copy_from)
        for name, snap in self._pairs.items():
            snap = {**snap, "version": self.after[f"pair:{name}"], "op": seq}
            snap["frames"] = {side: self.version(f"frame:{f}") for side, f in snap["frame_ids"].items()}
            self.store.write_pair(name, snap["version"], snap)
        rec = {"seq": seq, "kind": self.kind, "pair": self.pair, "args": self.args, "time": now(),
               "before": self.before, "after": self.after}
        if self.client_op is not None:
            rec["client_op"] = self.client_op
        if self.user is not None:
            rec["user"] = self.user
        self.store.write_op(rec)
        client_ops = dict(self.head.get("client_ops", {}))
        if self.client_op is not None:
            client_ops[self.client_op] = seq
            for old in list(client_ops)[:-MAX_CLIENT_OPS]:  # JSON objects keep their order: oldest first
                del client_ops[old]
        head = {"seq": seq, "frames": dict(self.head["frames"]), "pairs": dict(self.head["pairs"]),
                "client_ops": client_ops}
        for item, v in self.after.items():
            kind, _, key = item.partition(":")
            head["frames" if kind == "frame" else "pairs"][key] = v
        self.store.write_head(head)
        return rec


_THREAD_LOCK = threading.RLock()


@contextmanager
def store_lock(annotations: Path) -> Iterator[None]:
    """Serialise operations: a thread lock, and an exclusive file lock so that two server processes
    on the same dataset never interleave the steps of two operations."""
    annotations.mkdir(parents=True, exist_ok=True)
    with _THREAD_LOCK, open(annotations / ".lock", "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def is_temp(p: Path) -> bool:
    """Whether ``p`` is the temporary file of an atomic write (``.<name>.<random>.tmp``)."""
    return p.name.startswith(".") and p.name.endswith(".tmp")


def _version(p: Path) -> int | None:
    return int(p.stem) if p.stem.isdigit() else None


def stray_files(annotations: Path, tmp_age: float | None = None) -> list[Path]:
    """Files a killed process left under ``annotations/clips``: temp files of cut-off atomic writes,
    and snapshots and op records above the head (written by an operation that never committed).

    Args:
        annotations: the ``annotations/`` folder.
        tmp_age: report a temp file of the effort log (written outside the store lock) only when it
            is at least this many seconds old (None: every temp file). Every other write happens
            under the store lock, so while it is held their temp files are leftovers whatever their age.

    Raises:
        FormatError: a ``head.json`` does not load (nothing above it can be told apart then).
    """
    clips = annotations / "clips"
    if not clips.is_dir():
        return []
    out: list[Path] = []
    for cdir in sorted(p for p in clips.iterdir() if p.is_dir()):
        store = ClipStore(annotations, cdir.name)
        out += clip_stray_files(store, store.head(), tmp_age)
    return out


def clip_stray_files(store: ClipStore, head: dict, tmp_age: float | None = None) -> list[Path]:
    """:func:`stray_files` of one clip, given its head."""
    out: list[Path] = []
    t_now = time.time()
    for p in sorted(store.dir.rglob("*.tmp")):
        if not is_temp(p):
            continue
        if tmp_age is not None and p.parent.name == "effort":
            try:
                if t_now - p.stat().st_mtime < tmp_age:
                    continue
            except FileNotFoundError:  # its write just finished
                continue
        out.append(p)
    for kind in ("frames", "pairs"):
        root = store.dir / kind
        for d in sorted(root.iterdir()) if root.is_dir() else ():
            if not d.is_dir():
                continue
            limit = int(head[kind].get(d.name, 0))
            out += [p for p in sorted(d.iterdir()) if not is_temp(p) and (_version(p) or 0) > limit]
    ops_dir = store.dir / "ops"
    if ops_dir.is_dir():
        out += [p for p in sorted(ops_dir.glob("*.json")) if (_version(p) or 0) > int(head["seq"])]
    return out
