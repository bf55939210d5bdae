"""The annotation state of a dataset: current pairs and frames, operations, undo/redo, restore.

Frames can belong to several pairs (``0000__0001`` and ``0001__0002`` share frame ``0001``). A
segment edit is therefore made on the *frame*: the frame gets a new version of its label map and
segment table, and every pair showing that frame gets a new version whose matches are rewritten
through :func:`annotator.ops.lineage` (merged segments pass their matches to the merged one,
split pieces inherit their parent's). A pair's version thus changes whenever anything it shows
changes, which is what conflict detection compares.

Every write names the pair version it was based on; a different current version raises
:class:`ConflictError` (HTTP 409) instead of overwriting. Undo restores the versions an operation
replaced, but only while everything that operation wrote is still current (otherwise 409, naming
what changed since), so an undo never throws away later work.

A write may carry a client operation id (``client_op``): a write whose id was already committed is
not applied again but answered again, with the pair as it is now relative to the version the
request names (``"replayed": true``). So a page whose answer was lost (server killed, connection
dropped) can send the same write again without a conflict and without applying it twice.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from annotator import ops
from annotator.args import arg, int_list, is_int, num, points, side_of
from annotator.history import ANNOTATIONS, TMP_STALE_S, ClipStore, Transaction, now, store_lock, stray_files
from annotator.suggest import LOW_CONFIDENCE, SuggestionCache, check_edges, pair_stats
from annotator.tables import background_ids, update_table
from dataprep.errors import FormatError, LinecorrError
from dataprep.format import images, layout
from dataprep.format.atomic import atomic_write_json
from dataprep.format.dataset import Dataset, Frame, read_json
from dataprep.format.schema import ClipInfo, parse_pair_id
from dataprep.format.segtable import SegmentTable
from dataprep.segment.ink import ink_masks


class ConflictError(LinecorrError):
    """The pair changed on the server since the client loaded it (HTTP 409)."""


class NotFoundError(LinecorrError):
    """No such pair, frame or version (HTTP 404)."""


class ReviewerError(LinecorrError):
    """A write that gives or withdraws a review verdict on a pair another person is assigned to review
    (HTTP 403; the answer names the reviewer, so the page shows it instead of stopping its queue)."""

    def __init__(self, message: str, reviewer: str) -> None:
        super().__init__(message)
        self.reviewer = reviewer


#: The review's verdicts: on a pair with an assigned reviewer only that reviewer sets them.
VERDICTS = ("accepted", "rejected")


CLIENT_OP = re.compile(r"[A-Za-z0-9_-]{8,64}")


USER = re.compile(r"[^\x00-\x1f\x7f/\\]{1,64}")


def check_user(user: Any) -> str | None:
    """An annotator's name (1-64 printable characters, no slash; spaces around it dropped), or None."""
    if user is None or user == "":
        return None
    if not isinstance(user, str) or not USER.fullmatch(user.strip()):
        raise ops.OpError("'user' must be a name of 1-64 printable characters without '/' or '\\'")
    return user.strip()


def check_client_op(client_op: Any) -> str | None:
    """A client operation id as the page sends it (8-64 letters, digits, ``_``, ``-``), or None."""
    if client_op is None:
        return None
    if not isinstance(client_op, str) or not CLIENT_OP.fullmatch(client_op):
        raise ops.OpError("'client_op' must be an id of 8-64 letters, digits, '_' or '-'")
    return client_op


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.lock = threading.Lock()

    def get_or(self, key, make: Callable[[], Any]):
        with self.lock:
            if key in self:
                self.move_to_end(key)
                return self[key]
        val = make()
        with self.lock:
            self[key] = val
            while len(self) > self.size:
                self.popitem(last=False)
        return val


def ids_png(seg: np.ndarray) -> bytes:
    """``(H, W)`` ids as an RGB PNG, id = R·256² + G·256 + B: what the browser decodes for hit-testing."""
    rgb = images.encode_rgb_ids(seg)
    ok, buf = cv2.imencode(".png", rgb[..., ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:  # pragma: no cover - OpenCV fails only on absurd sizes
        raise LinecorrError("cannot encode the label map as PNG")
    return buf.tobytes()


class Workspace:
    """The annotation state of one dataset (``<dataset>/annotations/``).

    Args:
        root: the dataset folder.
        split: restrict the queue to the pairs of this split (None = every pair).
    """

    def __init__(self, root: str | Path, split: str | None = None) -> None:
        self.ds = Dataset.open(root)
        self.root = self.ds.root
        self.ann = self.root / ANNOTATIONS
        self.split = split
        self.pair_ids = self.ds.pair_ids(split)
        self._clip_pairs: dict[str, list[str]] = {}
        for pid in self.ds.pair_ids():
            clip, fa, fb = parse_pair_id(pid)
            self._clip_pairs.setdefault(clip, []).append(f"{fa}__{fb}")
        self._known = set(self.pair_ids)
        self._clips: dict[str, ClipInfo] = {}
        self._segs = _LRU(24)  # (clip, frame, v) -> (H, W) int32; a 1024² map is 4 MB
        self._tables = _LRU(512)  # (clip, frame, v) -> SegmentTable
        self._snaps = _LRU(8192)  # (clip, name, v) -> snapshot dict (small)
        self._images = _LRU(6)  # (clip, frame) -> (color, alpha, labels, ink)
        self._png = _LRU(16)  # (clip, frame, v) -> RGB id PNG bytes
        # (clip, name, pair version, low) -> the queue's stats: a pair version never changes, and the
        # stats need both segment tables, which a queue of thousands of frames must not reload each time
        self._stats = _LRU(1 << 16)
        self._pending: list = []  # maps and tables of the operation being committed

    def recover(self) -> list[Path]:
        """Remove what a killed process left (temp files, versions above the head); returns them.

        Runs under the store lock, which every operation holds while it writes, so nothing removed
        is being written (the effort log's temp files, written outside it, only when stale).
        """
        if not self.ann.is_dir():
            return []
        with store_lock(self.ann):
            found = stray_files(self.ann, tmp_age=TMP_STALE_S)
            for p in found:
                p.unlink(missing_ok=True)
        return found

    # ---- identifiers --------------------------------------------------------------------------
    def check_pair(self, pid: str) -> tuple[str, str, str, str]:
        """``(clip, frame_a, frame_b, name)`` of a pair id of this workspace, else NotFoundError."""
        clip, fa, fb = parse_pair_id(pid)
        if pid not in self._known:
            raise NotFoundError(f"no pair {pid!r} in this dataset" + (f" (split {self.split})" if self.split else ""))
        return clip, fa, fb, f"{fa}__{fb}"

    def clip(self, clip: str) -> ClipInfo:
        if clip not in self._clips:
            self._clips[clip] = self.ds.clip(clip)
        return self._clips[clip]

    def check_frame(self, clip: str, frame: str) -> None:
        if clip not in self._clip_pairs or frame not in self.clip(clip).frames:
            raise NotFoundError(f"no frame {clip}/{frame} in this dataset")

    def store(self, clip: str) -> ClipStore:
        return ClipStore(self.ann, clip)

    # ---- reading state --------------------------------------------------------------------------
    def frame_version(self, clip: str, frame: str) -> int:
        return int(self.store(clip).head()["frames"].get(frame, 0))

    def seg(self, clip: str, frame: str, v: int) -> np.ndarray:
        """``(H, W) int32`` label map of a frame at version ``v`` (0 = the dataset's)."""
        def load():
            if v == 0:
                return self.ds.load_seg(clip, frame)
            p = self.store(clip).frame_png(frame, v)
            if not p.is_file():
                raise NotFoundError(f"frame {clip}/{frame} has no version {v}")
            return images.read_ids(p)
        return self._segs.get_or((clip, frame, v), load)

    def table(self, clip: str, frame: str, v: int) -> SegmentTable:
        def load():
            if v == 0:
                return self.ds.load_segments(clip, frame)
            p = self.store(clip).frame_table(frame, v)
            return SegmentTable.from_json(read_json(p), p)
        return self._tables.get_or((clip, frame, v), load)

    def background(self, clip: str, frame: str, v: int) -> list[int]:
        """Background segment ids of a frame version (:func:`annotator.tables.background_ids`): sent
        with the pair view, so the page neither hatches nor visits them, and left out of the queue's
        unlabelled counts."""
        info = self.clip(clip)
        return background_ids(self.table(clip, frame, v), info.width, info.height)

    def frame_source(self, clip: str, frame: str, v: int) -> tuple[Path, Path]:
        """Files (label map PNG, segment table JSON) of a frame version."""
        if v == 0:
            return self.ds.path(clip, layout.SEG, frame), self.ds.path(clip, layout.SEGMENTS, frame)
        st = self.store(clip)
        return st.frame_png(frame, v), st.frame_table(frame, v)

    def frame_images(self, clip: str, frame: str) -> tuple:
        """``(color, alpha, pixel labels, ink)`` of a frame (None where the clip has none)."""
        def load():
            f = self.ds.load_frame(clip, frame, self.clip(clip))
            # the raw line image keeps PBC's coloured shading lines, except LA, which ink_masks does not take
            raw = f.line if f.line_raw.ndim == 3 and f.line_raw.shape[2] == 2 else f.line_raw
            return f.color, f.alpha, f.labels, ink_masks(raw).ink
        return self._images.get_or((clip, frame), load)

    def snapshot(self, clip: str, name: str, v: int) -> dict:
        """Pair ``name`` of ``clip`` at version ``v``: state, frame ids and versions, undo/redo stacks."""
        def load():
            if v == 0:
                pair = self.ds.load_pair(f"{clip}/{name}")
                st = ops.normalise(ops.PairState(
                    tuple((m.a, m.b, m.source, float(m.confidence)) for m in pair.matches),
                    tuple(pair.unmatched_a), tuple(pair.unmatched_b), pair.status, pair.comment))
                return {"pair": pair.id, "frame_ids": {"a": pair.frame_a, "b": pair.frame_b},
                        "frames": {"a": 0, "b": 0}, "state": st.to_json(), "undo": [], "redo": [],
                        "version": 0, "op": None}
            p = self.store(clip).pair_file(name, v)
            if not p.is_file():
                raise NotFoundError(f"pair {clip}/{name} has no version {v}")
            return read_json(p)
        return self._snaps.get_or((clip, name, v), load)

    def current(self, pid: str) -> dict:
        clip, _, _, name = self.check_pair(pid)
        return self.snapshot(clip, name, int(self.store(clip).head()["pairs"].get(name, 0)))

    def _current_in(self, tx: Transaction, clip: str, name: str) -> dict:
        return self.snapshot(clip, name, tx.version(f"pair:{name}"))

    # ---- views for the browser --------------------------------------------------------------------
    def view(self, pid: str, snap: dict | None = None) -> dict:
        """Everything the pair page needs, except the images (fetched by URL, cached by version)."""
        clip, fa, fb, _ = self.check_pair(pid)
        snap = snap or self.current(pid)
        info = self.clip(clip)
        frames = {}
        for side, fid in snap["frame_ids"].items():
            v = int(snap["frames"][side])
            t = self.table(clip, fid, v)
            frames[side] = {"id": fid, "version": v, "width": info.width, "height": info.height,
                            "has_color": info.has_color, "segments": _table_json(t),
                            "background": self.background(clip, fid, v)}
        undo_kind = self._op_kind(clip, snap["undo"][-1]) if snap["undo"] else None
        redo_kind = self._op_kind(clip, snap["redo"][-1]) if snap["redo"] else None
        i = self.pair_ids.index(pid)
        return {"id": pid, "clip": clip, "frame_a": fa, "frame_b": fb, "clip_frames": list(info.frames),
                "version": snap["version"], **snap["state"], "frames": frames, "can_undo": bool(snap["undo"]),
                "can_redo": bool(snap["redo"]),
                "chain": self.chain_hints(clip, fa, fb),
                "undo_kind": undo_kind, "redo_kind": redo_kind,
                "prev": self.pair_ids[i - 1] if i > 0 else None,
                "next": self.pair_ids[i + 1] if i + 1 < len(self.pair_ids) else None}

    def chain_hints(self, clip: str, fa: str, fb: str) -> dict:
        """Corrections of the neighbouring pairs, offered to this one through the chain.

        Frame ``fa`` is frame B of the pair before (``X__fa``) and ``fb`` frame A of the pair after
        (``fb__Y``). A segment a person corrected there (a ``manual`` match, or a "no match" mark the
        dataset's version did not have) is likely wrong here too (the same confusion of the same
        parts): ``{"a": ids of fa corrected in the pair before, "b": ids of fb corrected in the
        pair after, "prev": name, "next": name}``; the page's J visits them.
        """
        out: dict = {"a": [], "b": [], "prev": None, "next": None}
        prev, nxt = self.neighbour_pairs(clip)
        head = None
        # the pair before: fa is its frame B (column 1 of a match); the pair after: fb is its frame A
        for side, k, key, name in (("a", 1, "prev", prev.get(fa)), ("b", 0, "next", nxt.get(fb))):
            if name is None:
                continue
            head = head or self.store(clip).head()
            st = self.snapshot(clip, name, int(head["pairs"].get(name, 0)))["state"]
            there = "unmatched_" + ("b" if key == "prev" else "a")
            marks = set(st[there]) - set(self.snapshot(clip, name, 0)["state"][there])
            out[side] = sorted({int(m[k]) for m in st["matches"] if m[2] == "manual"} | marks)
            out[key] = name
        return out

    def neighbour_pairs(self, clip: str) -> tuple[dict[str, str], dict[str, str]]:
        """``(prev, next)``: for each frame, the pair that ends at it coming from the nearest earlier
        frame, and the pair that starts at it going to the nearest later frame (pair names).

        A dataset with several gaps (the standard benchmark pairs frames 1, 3 and 7 apart) has many
        pairs from one frame; the chain (colorize, corrections offered to the next pair) goes frame by
        frame, through the shortest.
        """
        pos = {f: i for i, f in enumerate(self.clip(clip).frames)}
        prev: dict[str, str] = {}
        nxt: dict[str, str] = {}
        for name in self._clip_pairs.get(clip, []):
            x, _, y = name.partition("__")
            if x not in nxt or pos[y] < pos[nxt[x].partition("__")[2]]:
                nxt[x] = name
            if y not in prev or pos[x] > pos[prev[y].partition("__")[0]]:
                prev[y] = name
        return prev, nxt

    def _op_kind(self, clip: str, seq: int) -> str:
        rec = self.store(clip).read_op(seq)
        if rec["kind"] in ("undo", "redo"):
            return self._op_kind(clip, rec["args"]["of"])
        return rec["kind"]

    def seg_png(self, clip: str, frame: str, v: int) -> bytes:
        self.check_frame(clip, frame)
        if v > self.frame_version(clip, frame):  # never serve (or cache) a version that is not committed
            raise NotFoundError(f"frame {clip}/{frame} has no version {v}")
        return self._png.get_or((clip, frame, v), lambda: ids_png(self.seg(clip, frame, v)))

    def image_path(self, clip: str, frame: str, kind: str) -> Path:
        """Path of the line or color image of a frame (inside the dataset, or NotFoundError)."""
        self.check_frame(clip, frame)
        if kind not in (layout.LINE, layout.COLOR):
            raise NotFoundError(f"no image kind {kind!r} (line or color)")
        p = self.ds.path(clip, kind, frame)
        if not p.is_file():
            raise NotFoundError(f"frame {clip}/{frame} has no {kind} image")
        return p

    def queue(self, status: str | None = None, clip: str | None = None, low: float = LOW_CONFIDENCE) -> list[dict]:
        """Every pair with its status, version and what the queue sorts on (:func:`pair_stats`:
        lowest automatic confidence, matches below ``low``, unlabelled segments), optionally filtered."""
        out = []
        assigned = self.assignments()
        heads: dict[str, dict] = {}
        for pid in self.pair_ids:
            c, fa, fb = parse_pair_id(pid)
            if clip and c != clip:
                continue
            head = heads.setdefault(c, self.store(c).head())
            name = f"{fa}__{fb}"
            snap = self.snapshot(c, name, int(head["pairs"].get(name, 0)))
            st = snap["state"]
            if status and st["status"] != status:
                continue
            def stats(c=c, snap=snap, st=st) -> dict:
                ids, bg = {}, {}
                for side, fid in snap["frame_ids"].items():
                    v = int(snap["frames"][side])
                    ids[side], bg[side] = self.table(c, fid, v).ids.tolist(), self.background(c, fid, v)
                return pair_stats(st, ids["a"], ids["b"], low, bg["a"], bg["b"])
            out.append({"id": pid, "status": st["status"], "version": snap["version"], "comment": st["comment"],
                        "matches": len(st["matches"]),
                        **self._stats.get_or((c, name, snap["version"], low), stats),
                        "annotator": assigned.get(pid, {}).get("annotator"),
                        "reviewer": assigned.get(pid, {}).get("reviewer")})
        return out

    # ---- colorize view --------------------------------------------------------------------------
    def clip_colors(self, clip: str, ref: str | None = None, cache: SuggestionCache | None = None,
                    until: str | None = None) -> dict:
        """Colorize the clip from one colored reference frame through its pairs, as they are now.

        The reference's segments take their mean color (segment table; a stable colour per id when
        the clip has no color); each later frame's segment takes the color of its best match in the
        frame before (manual first, then the highest confidence), pair after pair from ``ref`` (default:
        the clip's first frame). A segment with no colored match gets none. So a correction made on
        pair (t, t+1) recolors frame t+1 and, through the chain, every frame after it.

        With ``cache`` (the ``--suggest`` matcher) a segment without a manual match takes its color
        through the matcher's suggestions instead of the pair's automatic matches: the clip colorized
        with a matcher, and a person's fixes (manual matches) on top. ``until``: stop at this frame
        (the page needs the chain only up to the pair it shows; a matcher may take seconds a pair).

        Returns:
            ``{"ref": frame, "frames": {frame: {segment id: [r, g, b]}}}`` for the frames reached.
        """
        if clip not in self._clip_pairs:
            raise NotFoundError(f"no clip {clip!r} in this dataset")
        names = self._clip_pairs[clip]
        _, nxt = self.neighbour_pairs(clip)
        ref = ref or next(f for f in self.clip(clip).frames if f in nxt)
        self.check_frame(clip, ref)
        head = self.store(clip).head()
        t = self.table(clip, ref, int(head["frames"].get(ref, 0)))
        if t.color is not None:
            colors = {int(i): [int(c) for c in t.color[k, :3]] for k, i in enumerate(t.ids.tolist())}
        else:  # no color image: a stable colour per segment, so the chain is still visible
            colors = {int(i): [(i * 97) % 256, (i * 57) % 256, (i * 151) % 256] for i in t.ids.tolist()}
        out = {ref: colors}
        cur = ref
        while cur in nxt and len(out) <= len(names):
            name = nxt[cur]
            fb = name.partition("__")[2]
            if fb in out:  # a loop in the pair list: stop rather than go round
                break
            snap = self.snapshot(clip, name, int(head["pairs"].get(name, 0)))
            st = snap["state"]
            edges = st["matches"]
            if cache is not None:  # the matcher's edges where no person decided (manual matches kept)
                manual = {m[1] for m in edges if m[2] == "manual"}
                edges = [m for m in edges if m[2] == "manual"] + [
                    [a, b, "auto", c] for a, b, c in self._suggest_edges(clip, snap, cache) if b not in manual]
            best: dict[int, tuple] = {}
            for a, b, src, conf in edges:
                if a not in out[cur]:
                    continue
                key = (src == "manual", float(conf), -a)  # manual first, then confidence, then the smaller id
                if b not in best or key > best[b][0]:
                    best[b] = (key, a)
            out[fb] = {b: out[cur][a] for b, (_, a) in best.items()}
            cur = fb
            if cur == until:
                break
        return {"ref": ref, "matcher": cache.suggester.name if cache is not None else None,
                "frames": {f: {str(k): v for k, v in c.items()} for f, c in out.items()}}

    # ---- who does what -------------------------------------------------------------------------
    def assignments(self) -> dict[str, dict]:
        """``{pair id: {"annotator": name, "reviewer": name}}`` (``annotations/assignments.json``)."""
        p = self.ann / "assignments.json"
        return read_json(p).get("pairs", {}) if p.is_file() else {}

    def assign_pairs(self, pids: list[str], annotator: Any = ..., reviewer: Any = ...) -> dict[str, dict]:
        """Assign pairs to an annotator and/or a reviewer (``None`` unassigns; omitted keeps). Atomic,
        under the store lock (two servers on one dataset). Returns every assignment."""
        changes = {}
        if annotator is not ...:
            changes["annotator"] = check_user(annotator)
        if reviewer is not ...:
            changes["reviewer"] = check_user(reviewer)
        if not isinstance(pids, list) or not pids or len(pids) > 100000:
            raise ops.OpError("'pairs' must be a non-empty list of pair ids")
        for pid in pids:
            if not isinstance(pid, str):
                raise ops.OpError("'pairs' must be a list of pair ids")
            self.check_pair(pid)
        with store_lock(self.ann):
            cur = self.assignments()
            for pid in pids:
                row = {**cur.get(pid, {}), **changes}
                row = {k: v for k, v in row.items() if v is not None}
                if row:
                    cur[pid] = row
                else:
                    cur.pop(pid, None)
            atomic_write_json(self.ann / "assignments.json", {"pairs": cur})
        return cur

    def check_reviewer(self, pid: str, before: dict, after: dict, user: str | None) -> None:
        """Refuse a review the pair's assigned reviewer did not make (``before``/``after``: pair states).

        With a reviewer assigned (:meth:`assign_pairs`), a write by anyone else (or by no name) may not
        set the pair ``accepted`` or ``rejected`` or change the comment of that verdict, nor move the
        pair away from ``accepted`` (an undo of the verdict, "done" again). Moving a rejected pair on
        (the annotator fixes it and marks it done) stays open to all, as does every match or segment
        edit. Without a reviewer nothing is checked: a single user with no assignments works as
        before. Names are what the page says (``--annotator`` or its name box): this keeps a team's
        roles apart, it is not a login.

        Raises:
            ReviewerError: the change is the reviewer's and ``user`` is not the reviewer.
        """
        old, new = before["status"], after["status"]
        if (old, before["comment"]) == (new, after["comment"]) or (new not in VERDICTS and old != "accepted"):
            return
        reviewer = self.assignments().get(pid, {}).get("reviewer")
        if reviewer is None or user == reviewer:
            return
        what = f"set it {new}" if new in VERDICTS else f"change its status from {old}"
        who = f"you are {user!r}" if user else ("this edit carries no name: set yours in the page (or start "
                                                "the server with --annotator NAME)")
        raise ReviewerError(f"pair {pid} is reviewed by {reviewer!r}: only they may {what} ({who})", reviewer)

    def statuses(self, pids: list[str] | None = None) -> dict[str, str]:
        """``{pair id: status}`` as the pairs are now (default: every pair of the workspace); reads no
        segment table, so it is cheap on a whole dataset (the queue also computes per-pair counts)."""
        out = {}
        heads: dict[str, dict] = {}
        for pid in self.pair_ids if pids is None else pids:
            clip, _, _, name = self.check_pair(pid)
            head = heads.setdefault(clip, self.store(clip).head())
            out[pid] = self.snapshot(clip, name, int(head["pairs"].get(name, 0)))["state"]["status"]
        return out

    def progress(self) -> list[dict]:
        """Per clip: pairs, and how many are done or accepted (the queue's progress bars)."""
        by: dict[str, dict] = {}
        for q in self.queue():
            c = parse_pair_id(q["id"])[0]
            row = by.setdefault(c, {"clip": c, "pairs": 0, "done": 0, "accepted": 0, "in_progress": 0})
            row["pairs"] += 1
            if q["status"] in ("done", "accepted", "in_progress"):
                row[q["status"]] += 1
        return list(by.values())

    def history(self, pid: str) -> list[dict]:
        """Every stored version of a pair, newest first: version, time, the operation that made it."""
        clip, _, _, name = self.check_pair(pid)
        st = self.store(clip)
        out = [{"version": 0, "time": None, "kind": "original", "status": self.snapshot(clip, name, 0)["state"]["status"]}]
        for v in st.pair_versions(name):
            snap = self.snapshot(clip, name, v)
            rec = st.read_op(snap["op"]) if st.op_file(snap["op"]).is_file() else {}
            kind = rec.get("kind", "?")
            if rec and rec.get("pair") != name:  # a segment edit made through another pair of the frame
                kind = f"{kind} in {rec.get('pair')}"
            out.append({"version": v, "time": rec.get("time"), "kind": kind, "status": snap["state"]["status"],
                        "user": rec.get("user")})
        return out[::-1]

    # ---- writing ------------------------------------------------------------------------------
    def apply(self, pid: str, base: int, op: dict, client_op: str | None = None, user: str | None = None) -> dict:
        """Apply one operation (see :data:`OPS`) to pair ``pid`` at version ``base``.

        Args:
            client_op: the page's id of this write; a write with an id already committed is answered
                again instead of being applied twice (see the module docstring).
            user: the annotator's name, recorded in the operation (:func:`check_user`).

        Returns:
            ``{"pair": view, "patches": {side: {bbox, png}}}``: the new view, and for each frame
            whose label map changed the changed box as an RGB id PNG (base64).
        """
        if not isinstance(op, dict) or not isinstance(op.get("kind"), str):
            raise ops.OpError("op must be an object with a 'kind'")
        kind = op["kind"]
        if kind not in OP_ARGS:
            raise ops.OpError(f"unknown op kind {kind!r} (one of {', '.join(MATCH_OPS + FRAME_OPS)})")
        # The op record keeps the arguments the operation takes, nothing else a request carried.
        args = {k: op[k] for k in OP_ARGS[kind] if k in op}
        if kind in MATCH_OPS:
            return self._transact(pid, base, kind, args, lambda tx, snap, clip, name: self._match_op(
                tx, snap, clip, name, kind, op), client_op, user)
        return self._transact(pid, base, kind, args, lambda tx, snap, clip, name: self._frame_op(
            tx, snap, clip, name, kind, op), client_op, user)

    def undo(self, pid: str, base: int, client_op: str | None = None, user: str | None = None) -> dict:
        """Undo the pair's last operation (a new version equal to the one before it)."""
        return self._transact(pid, base, "undo", {}, lambda tx, snap, clip, name: self._invert(
            tx, snap, clip, name, "undo"), client_op, user)

    def redo(self, pid: str, base: int, client_op: str | None = None, user: str | None = None) -> dict:
        """Redo the pair's last undone operation."""
        return self._transact(pid, base, "redo", {}, lambda tx, snap, clip, name: self._invert(
            tx, snap, clip, name, "redo"), client_op, user)

    def restore(self, pid: str, base: int, version: int, client_op: str | None = None,
                user: str | None = None) -> dict:
        """Make version ``version`` of the pair (its matches and both frames) current again (undoable)."""
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise ops.OpError("version must be a non-negative integer")
        return self._transact(pid, base, "restore", {"version": version}, lambda tx, snap, clip, name:
                              self._restore(tx, snap, clip, name, version), client_op, user)

    def _transact(self, pid: str, base: Any, kind: str, args: dict, body, client_op: Any = None,
                  user: Any = None) -> dict:
        clip, _, _, name = self.check_pair(pid)
        if not isinstance(base, int) or isinstance(base, bool):
            raise ops.OpError("'base' must be the integer pair version the edit was made on")
        client_op = check_client_op(client_op)
        user = check_user(user)
        with store_lock(self.ann):
            tx = Transaction(self.store(clip), kind, name, args)
            # A write already committed is answered again before the version check: its first
            # answer may have been lost, and the page sends it again with the same base.
            done = tx.head.get("client_ops", {}).get(client_op) if client_op is not None else None
            if done is not None:
                return self._replay(tx, pid, clip, name, int(done), base)
            snap = self._current_in(tx, clip, name)
            if snap["version"] != base:
                raise ConflictError(f"pair {pid} changed on the server (now version {snap['version']}, "
                                    f"this page has version {base}): reload the pair to see the current state")
            self._pending = []
            tx.client_op = client_op
            tx.user = user
            body(tx, snap, clip, name)
            # Checked on the status the operation leaves (a status op, or an undo, redo or restore of
            # one), before the commit: a refused write has written nothing.
            after = tx.pending_pair(name)
            if after is not None:
                self.check_reviewer(pid, snap["state"], after["state"], user)
            tx.commit()
            for key, seg, table in self._pending:
                self._segs.get_or(key, lambda s=seg: s)
                self._tables.get_or(key, lambda t=table: t)
            new = self._current_in(tx, clip, name)
        return {"pair": self.view(pid, new), "patches": self._patches(clip, snap, new)}

    def _replay(self, tx: Transaction, pid: str, clip: str, name: str, seq: int, base: int) -> dict:
        """The answer to a write committed before (op ``seq``): the pair now, patched from ``base``."""
        rec = self.store(clip).read_op(seq)
        if rec.get("pair") != name:
            raise ops.OpError(f"'client_op' was already used for pair {clip}/{rec.get('pair')}")
        new = self._current_in(tx, clip, name)
        # Patch from what the page holds (the version it sent); a base it cannot hold: from before the op.
        v_old = base if 0 <= base <= new["version"] else int(rec["before"].get(f"pair:{name}", 0))
        old = self.snapshot(clip, name, v_old)
        return {"pair": self.view(pid, new), "patches": self._patches(clip, old, new), "replayed": True}

    def _patches(self, clip: str, old: dict, new: dict) -> dict:
        out = {}
        for side, fid in new["frame_ids"].items():
            va, vb = int(old["frames"][side]), int(new["frames"][side])
            if va == vb:
                continue
            a, b = self.seg(clip, fid, va), self.seg(clip, fid, vb)
            box = ops.changed_bbox(a, b)
            if box is None:
                continue
            x, y, w, h = box
            out[side] = {"version": vb, "bbox": [x, y, w, h],
                         "png": base64.b64encode(ids_png(b[y:y + h, x:x + w])).decode("ascii")}
        return out

    def _next_snap(self, snap: dict, state: ops.PairState | dict, acting: bool, tx: Transaction,
                   mark_started: bool = True) -> dict:
        st = state.to_json() if isinstance(state, ops.PairState) else state
        if acting and mark_started and st["status"] == "todo":
            st = {**st, "status": "in_progress"}  # the first edit starts the pair
        new = {"pair": snap["pair"], "frame_ids": snap["frame_ids"], "state": st,
               "undo": list(snap["undo"]), "redo": list(snap["redo"]), "time": now()}
        if acting:
            new["undo"].append(tx.seq)
            new["redo"] = []
        return new

    def _match_op(self, tx: Transaction, snap: dict, clip: str, name: str, kind: str, op: dict) -> None:
        st = ops.PairState.from_json(snap["state"])
        if kind == "status":
            status = arg(op, "status", str)
            comment = op.get("comment")
            if comment is not None and (not isinstance(comment, str) or len(comment) > 5000):
                raise ops.OpError("'comment' must be a string of at most 5000 characters")
            new = ops.set_status(st, status, comment)
            tx.set_pair(name, self._next_snap(snap, new, True, tx, mark_started=False))
            return
        side = side_of(op)
        if kind == "accept":
            tx.set_pair(name, self._next_snap(snap, self._accept(tx, clip, snap, st, side, op), True, tx))
            return
        seg = arg(op, "seg", int)
        ids_here = self._ids(tx, clip, snap, side)
        if seg not in ids_here:
            raise ops.OpError(f"segment {seg} does not exist in frame {snap['frame_ids'][side]}")
        if kind == "assign":
            targets = int_list(op, "targets")
            other = self._ids(tx, clip, snap, "b" if side == "a" else "a")
            bad = [t for t in targets if t not in other]
            if bad:
                raise ops.OpError(f"segment {bad[0]} does not exist in the other frame")
            replace_existing = op.get("replace", True)
            if not isinstance(replace_existing, bool):
                raise ops.OpError("'replace' must be true or false")
            new = ops.assign(st, side, seg, targets, replace_existing)
        elif kind == "unassign":
            targets = int_list(op, "targets") if op.get("targets") is not None else None
            new = ops.unassign(st, side, seg, targets)
        else:  # no_match
            new = ops.no_match(st, side, seg)
        tx.set_pair(name, self._next_snap(snap, new, True, tx))

    def _accept(self, tx: Transaction, clip: str, snap: dict, st: ops.PairState, side: str,
                op: dict) -> ops.PairState:
        """Matcher suggestions taken as matches (``accept``: one key on a segment, or all above a threshold)."""
        edges = op.get("edges")
        if not isinstance(edges, list) or len(edges) > 100000 or not all(
                isinstance(e, list) and len(e) == 3 and is_int(e[0]) and is_int(e[1])
                and isinstance(e[2], (int, float)) and not isinstance(e[2], bool) and 0 <= e[2] <= 1 for e in edges):
            raise ops.OpError("'edges' must be a list of [a, b, confidence] (ids, confidence in 0..1)")
        # the pair format knows render / auto / manual; which matcher suggested it is kept in the op ('by')
        source = arg(op, "source", str)
        if source not in ("auto", "manual"):
            raise ops.OpError(f"'source' must be 'auto' (accepted in bulk) or 'manual' (accepted by a person), "
                              f"got {source!r}"[:200])
        by = op.get("by")
        if by is not None and (not isinstance(by, str) or not re.fullmatch(r"[A-Za-z0-9_.:+-]{1,64}", by)):
            raise ops.OpError("'by' must name the suggester (1-64 letters, digits, '_.:+-')")
        replace_manual = op.get("replace_manual", True)
        if not isinstance(replace_manual, bool):
            raise ops.OpError("'replace_manual' must be true or false")
        ids_a, ids_b = self._ids(tx, clip, snap, "a"), self._ids(tx, clip, snap, "b")
        bad = next((e for e in edges if e[0] not in ids_a or e[1] not in ids_b), None)
        if bad is not None:
            raise ops.OpError(f"suggested match A {bad[0]} - B {bad[1]} names a segment that does not exist")
        return ops.accept(st, side, [tuple(e) for e in edges], source, replace_manual)

    def matcher_frame(self, clip: str, frame: str, v: int) -> Frame:
        """Frame ``frame`` at version ``v`` as a matcher may see it: its edited label map and segment
        table, its line and color images, and no labels (a suggestion must not read the answer)."""
        f = self.ds.load_frame(clip, frame, self.clip(clip))
        t = self.table(clip, frame, v)
        unknown = np.full(len(t), -1, np.int64)
        table = dataclasses.replace(t, label=unknown, color_label=unknown.copy())
        return dataclasses.replace(f, seg=self.seg(clip, frame, v), segments=table, labels=None, parts=None)

    def suggestions(self, pid: str, cache: SuggestionCache) -> dict:
        """The suggester's matches for the pair as it is now: ``{name, versions, edges: [[a, b, c]]}``
        (highest confidence first), computed once per pair and frame versions."""
        clip, _, _, _ = self.check_pair(pid)
        snap = self.current(pid)
        vs = snap["frames"]
        return {"name": cache.suggester.name, "versions": {"a": int(vs["a"]), "b": int(vs["b"])},
                "edges": self._suggest_edges(clip, snap, cache)}

    def _suggest_edges(self, clip: str, snap: dict, cache: SuggestionCache) -> list[list]:
        fids, vs = snap["frame_ids"], snap["frames"]
        key = (clip, fids["a"], int(vs["a"]), fids["b"], int(vs["b"]))

        def compute() -> list[list]:
            fa = self.matcher_frame(clip, fids["a"], int(vs["a"]))
            fb = self.matcher_frame(clip, fids["b"], int(vs["b"]))
            return check_edges(cache.suggester.suggest(fa, fb), set(fa.segments.ids.tolist()),
                               set(fb.segments.ids.tolist()))
        return cache.get(key, compute)

    def _ids(self, tx: Transaction, clip: str, snap: dict, side: str) -> set[int]:
        fid = snap["frame_ids"][side]
        return set(self.table(clip, fid, tx.version(f"frame:{fid}")).ids.tolist())

    def _frame_op(self, tx: Transaction, snap: dict, clip: str, name: str, kind: str, op: dict) -> None:
        side = side_of(op)
        fid = snap["frame_ids"][side]
        v = tx.version(f"frame:{fid}")
        old = self.seg(clip, fid, v)
        if kind == "merge":
            edit = ops.merge(old, int_list(op, "ids"))
        elif kind == "split":
            seg_id = op.get("seg")
            if seg_id is not None and not is_int(seg_id):
                raise ops.OpError("'seg' must be an integer segment id or null")
            edit = ops.split(old, seg_id, points(op), num(op, "width", 1.0))
        elif kind == "bucket":
            edit = ops.bucket(old, self.frame_images(clip, fid)[3], arg(op, "x", int), arg(op, "y", int),
                              num(op, "radius", 2.0))
        elif kind == "brush":
            edit = ops.brush(old, points(op), num(op, "width", 2.0))
        else:  # erase
            edit = ops.erase(old, points(op), num(op, "width", 4.0))
        self._set_frame(tx, clip, fid, old, edit.seg, edit.bbox, acting=(name, snap))

    def _set_frame(self, tx: Transaction, clip: str, fid: str, old: np.ndarray, new: np.ndarray,
                   bbox: tuple, acting: tuple[str, dict] | None, copy_from: tuple[int, Path] | None = None,
                   pair_states: dict | None = None) -> None:
        """Store a frame's new map and rewrite the matches of every pair showing the frame."""
        lin = ops.lineage(old, new, bbox)
        if copy_from is not None:
            vsrc, _ = copy_from
            table = self.table(clip, fid, vsrc)
        else:
            color, alpha, labels, _ = self.frame_images(clip, fid)
            table = update_table(self.table(clip, fid, tx.version(f"frame:{fid}")), old, new, bbox, lin,
                                 color, alpha, labels)
        png = copy_from[1] if copy_from is not None else None
        v = tx.set_frame(fid, None if png else new, table.to_json(fid), copy_from=png)
        self._pending.append(((clip, fid, v), new, table))  # cached once committed
        present = set(table.ids.tolist())
        pair_states = pair_states if pair_states is not None else {}
        for other in self._clip_pairs[clip]:
            fa, _, fb = other.partition("__")
            if fid not in (fa, fb):
                continue
            cur = pair_states.get(other) or self._current_in(tx, clip, other)
            st = ops.PairState.from_json(cur["state"])
            for side, f in (("a", fa), ("b", fb)):
                if f == fid:
                    st = ops.remap_side(st, side, lin, present)
            is_acting = acting is not None and other == acting[0]
            base = acting[1] if is_acting else cur
            nxt = self._next_snap(base, st, is_acting, tx)  # the acting pair's stacks: from its snapshot
            pair_states[other] = nxt
            tx.set_pair(other, nxt)

    def _invert(self, tx: Transaction, snap: dict, clip: str, name: str, which: str) -> None:
        stack = snap["undo"] if which == "undo" else snap["redo"]
        if not stack:
            raise ops.OpError(f"nothing to {which} in this pair")
        store = self.store(clip)
        rec = store.read_op(stack[-1])
        tx.args = {"of": rec["seq"]}
        for item, v in rec["after"].items():
            if not self._unchanged(tx, clip, item, v):
                kind, _, key = item.partition(":")
                raise ConflictError(f"cannot {which} '{self._op_kind(clip, rec['seq'])}': {kind} {clip}/{key} was "
                                    f"changed later (now version {tx.version(item)}); {which} that change first")
        for item, v in rec["before"].items():
            kind, _, key = item.partition(":")
            if kind == "frame":
                png, table_path = self.frame_source(clip, key, v)
                tx.set_frame(key, None, read_json(table_path), copy_from=png)
        for item, v in rec["before"].items():
            kind, _, key = item.partition(":")
            if kind != "pair":
                continue
            old = self.snapshot(clip, key, v)
            cur = self._current_in(tx, clip, key)
            new = {"pair": cur["pair"], "frame_ids": cur["frame_ids"], "state": old["state"],
                   "undo": list(cur["undo"]), "redo": list(cur["redo"]), "time": now()}
            if key == name:
                if which == "undo":
                    new["undo"], new["redo"] = new["undo"][:-1], new["redo"] + [tx.seq]
                else:
                    new["redo"], new["undo"] = new["redo"][:-1], new["undo"] + [tx.seq]
            tx.set_pair(key, new)

    def _unchanged(self, tx: Transaction, clip: str, item: str, v: int) -> bool:
        """Whether ``item`` still holds what version ``v`` held (a later undo may have made an equal copy)."""
        cur = tx.version(item)
        if cur == v:
            return True
        kind, _, key = item.partition(":")
        if kind == "frame":
            return bool(np.array_equal(self.seg(clip, key, cur), self.seg(clip, key, v)))
        return self.snapshot(clip, key, cur)["state"] == self.snapshot(clip, key, v)["state"]

    def _restore(self, tx: Transaction, snap: dict, clip: str, name: str, version: int) -> None:
        target = self.snapshot(clip, name, version)
        states: dict[str, dict] = {}
        for side, fid in snap["frame_ids"].items():
            vc, vt = tx.version(f"frame:{fid}"), int(target["frames"][side])
            if vc == vt:
                continue
            old, new = self.seg(clip, fid, vc), self.seg(clip, fid, vt)
            box = ops.changed_bbox(old, new)
            png, _ = self.frame_source(clip, fid, vt)
            self._set_frame(tx, clip, fid, old, new, box or (0, 0, 1, 1), None, copy_from=(vt, png),
                            pair_states=states)
        new = {"pair": snap["pair"], "frame_ids": snap["frame_ids"], "state": target["state"],
               "undo": list(snap["undo"]) + [tx.seq], "redo": [], "time": now()}
        tx.set_pair(name, new)


def _table_json(t: SegmentTable) -> dict:
    return {"ids": t.ids.tolist(), "area": t.area.tolist(), "bbox": t.bbox.tolist(),
            "centroid": np.round(t.centroid, 1).tolist(), "label": t.label.tolist(),
            "color": None if t.color is None else t.color[:, :3].tolist()}


MATCH_OPS = ("assign", "unassign", "no_match", "accept", "status")
FRAME_OPS = ("merge", "split", "bucket", "brush", "erase")
#: The arguments each operation takes (and its op record keeps).
OP_ARGS = {"assign": ("side", "seg", "targets", "replace"), "unassign": ("side", "seg", "targets"),
           "no_match": ("side", "seg"), "accept": ("side", "edges", "source", "by", "replace_manual"), "status": ("status", "comment"), "merge": ("side", "ids"),
           "split": ("side", "seg", "points", "width"), "bucket": ("side", "x", "y", "radius"),
           "brush": ("side", "points", "width"), "erase": ("side", "points", "width")}


__all__ = ["VERDICTS", "ConflictError", "FormatError", "NotFoundError", "ReviewerError", "Workspace", "check_client_op",
           "ids_png"]
