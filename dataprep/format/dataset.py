"""Reading a dataset directory (docs/FORMAT.md) into numpy arrays and records."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from dataprep.errors import FormatError
from dataprep.format import images, layout
from dataprep.format.schema import ClipInfo, Manifest, Pair, parse_pair_id, splits_problems
from dataprep.format.segtable import SegmentTable


def read_json(path: str | os.PathLike) -> Any:
    """Parse a JSON file, with a one-line error naming the file on any problem."""
    path = Path(path)
    if not path.is_file():
        raise FormatError("file is missing", path)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise FormatError(f"malformed JSON (line {e.lineno}, column {e.colno}: {e.msg})", path) from None
    except (UnicodeDecodeError, OSError) as e:
        raise FormatError(f"cannot read JSON ({e})", path) from None


@dataclass
class Frame:
    """One frame loaded as arrays.

    Attributes:
        clip, frame: ids.
        line: ``(H, W) uint8`` line image, 0 = ink, 255 = paper (alpha composited over white).
        line_raw: the line image as stored: ``(H, W) uint8`` or ``(H, W, 2|3|4) uint8`` (keeps
            PBC's RGBA and its colored shading lines).
        color: ``(H, W, 3) uint8`` RGB color image, or None.
        alpha: ``(H, W) uint8`` alpha of the color image, or None when it has none.
        seg: ``(H, W) int32`` segment map, 0 = line pixels, 1..N segments.
        segments: the :class:`SegmentTable`.
        labels: ``(H, W) int32`` pixel label map (correspondence id, -1 = none), or None.
        parts: ``(H, W) int32`` exact part id under the drawing (no line class; -1 = background),
            or None when the frame has no ``parts/`` layer (format 1.1, drawn line styles).
    """

    clip: str
    frame: str
    line: np.ndarray
    line_raw: np.ndarray
    color: np.ndarray | None
    alpha: np.ndarray | None
    seg: np.ndarray
    segments: SegmentTable
    labels: np.ndarray | None
    parts: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)``."""
        return self.seg.shape


class Dataset:
    """A dataset directory opened for reading.

    Every file is read through a few storage methods (``_read_json``, ``_read_image``,
    ``_is_file``, ``_subdirs``, ``_file_names``, :meth:`file_digests`); a subclass that overrides
    them reads the same format from elsewhere with the same checks
    (``dataprep.publish.reader.PublishedDataset``: a dataset written by ``linecorr publish``).
    :func:`dataprep.format.open_dataset` picks the right one for a path or Hub id.

    Example:
        >>> ds = Dataset.open("out/demo")           # doctest: +SKIP
        >>> f = ds.load_frame("clip000", "0000")     # doctest: +SKIP
        >>> f.seg.shape, f.seg.dtype                 # doctest: +SKIP
        ((256, 256), dtype('int32'))
    """

    def __init__(self, root: Path, manifest: Manifest) -> None:
        self.root = root
        self.manifest = manifest
        self._keep: set[str] | None = None  # a view's clips (only_clips); None = every clip
        self._gaps: set[int] | None = None  # a view's pair gaps (only_clips); None = every pair
        self._hashes: dict[tuple, str] = {}  # memo of content / ground-truth hashes (the files never change)

    @property
    def pair_gaps(self) -> list[int] | None:
        """The frame gaps a view keeps (:meth:`only_clips`), sorted; None when every pair is kept."""
        return None if self._gaps is None else sorted(self._gaps)

    def line_style_clips(self, style: str) -> list[str]:
        """Clips whose line art is drawn in ``style`` (``clip.json`` ``meta.line_style``; none = ``exact``)."""
        return [c for c in self.clip_ids if self.clip(c).meta.get("line_style", "exact") == style]

    def only_clips(self, keep=None, gaps=None) -> Dataset:
        """A view restricted to the clips in ``keep`` and the pairs ``gaps`` frames apart.

        Clip ids, splits and pair ids list only those; the files are shared. A benchmark with
        several line-style tracks scores one track this way, and a protocol on consecutive frames
        sets ``gaps={1}``.

        Args:
            keep: clip ids to keep (None = all of this dataset's).
            gaps: frame gaps (difference of the frames' positions in their clip) of the pairs to keep.
        """
        clips = set(self.clip_ids) if keep is None else set(keep)
        view = copy.copy(self)  # same class and storage (a published dataset shares its open readers)
        view.__dict__.pop("clip_ids", None)  # cached properties of this object, recomputed for the view
        view.__dict__.pop("splits", None)
        view._keep = clips if self._keep is None else clips & self._keep
        view._gaps = set(gaps) if gaps is not None else self._gaps
        view._hashes = self._hashes
        view.__dict__["splits"] = {k: [c for c in v if c in view._keep] for k, v in self.splits.items()}
        return view

    @classmethod
    def open(cls, root: str | os.PathLike) -> Dataset:
        """Open ``root``; checks that it is a dataset (has a readable manifest)."""
        root = Path(root)
        if not root.is_dir():
            raise FormatError("is not a directory (expected a linecorr dataset)", root)
        mpath = root / layout.MANIFEST
        if not mpath.is_file():
            if (root / "publish.json").is_file():  # written by `linecorr publish`: say what reads it
                raise FormatError("is a published dataset (no manifest.json): train and score read it "
                                  "(dataprep.format.open_dataset); other commands need the linecorr folder", root)
            raise FormatError("is not a linecorr dataset (no manifest.json)", root)
        return cls(root, Manifest.from_json(read_json(mpath), mpath))

    #: True when frames can only be read efficiently in storage order (a streamed published
    #: dataset): training then walks clips in order instead of jumping between them.
    sequential: bool = False

    # ---- storage: the only methods that touch files ---------------------------------------------
    def _read_json(self, path: Path) -> Any:
        """Parse the JSON file at ``path`` (one-line error naming it)."""
        return read_json(path)

    def _read_image(self, path: Path, reader: Callable[..., Any]) -> Any:
        """Decode the image at ``path`` with ``reader(path, data=None)`` (an ``images.read_*``)."""
        return reader(path)

    def _is_file(self, path: Path) -> bool:
        return path.is_file()

    def _subdirs(self, path: Path) -> list[str]:
        """Names of the folders directly in ``path`` (hidden ones left out), sorted; [] when absent."""
        if not path.is_dir():
            return []
        return sorted(p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))

    def _file_names(self, path: Path, suffix: str) -> list[str]:
        """Names of the ``*suffix`` files directly in ``path`` (hidden ones left out), sorted."""
        if not path.is_dir():
            return []
        return sorted(p.name for p in path.glob("*" + suffix) if not p.name.startswith("."))

    # ---- clips and frames -------------------------------------------------------------------
    @cached_property
    def clip_ids(self) -> list[str]:
        """Clip ids, sorted."""
        return [c for c in self._subdirs(self.root / layout.CLIPS) if self._keep is None or c in self._keep]

    def clip(self, clip: str) -> ClipInfo:
        """The :class:`ClipInfo` of ``clip``."""
        path = layout.inside(self.root, layout.clip_dir(self.root, clip) / layout.CLIP_JSON)
        info = ClipInfo.from_json(self._read_json(path), path)
        if info.id != clip:
            raise FormatError(f"clip.json id {info.id!r} does not match its folder {clip!r}", path)
        return info

    def clips(self) -> Iterator[ClipInfo]:
        """Every clip's info, in id order."""
        for c in self.clip_ids:
            yield self.clip(c)

    def path(self, clip: str, kind: str, frame: str) -> Path:
        """Path of a frame file (``kind``: line, color, seg, label, segments), checked to be inside."""
        return layout.inside(self.root, layout.frame_file(self.root, clip, kind, frame))

    def load_segments(self, clip: str, frame: str) -> SegmentTable:
        """The segment table of a frame."""
        p = self.path(clip, layout.SEGMENTS, frame)
        return SegmentTable.from_json(self._read_json(p), p)

    def load_seg(self, clip: str, frame: str) -> np.ndarray:
        """The ``(H, W) int32`` segment map of a frame (0 = line)."""
        p = self.path(clip, layout.SEG, frame)
        seg = self._read_image(p, images.read_ids)
        if seg.min() < 0:
            raise FormatError("segment map has negative ids (alpha 0?)", p)
        return seg

    def load_frame(self, clip: str, frame: str, info: ClipInfo | None = None) -> Frame:
        """Load every layer of a frame; checks that their sizes agree with the clip."""
        info = info or self.clip(clip)
        line_raw = self._read_image(self.path(clip, layout.LINE, frame), images.read_image_raw)
        seg = self.load_seg(clip, frame)
        color = alpha = labels = None
        if info.has_color:
            color, alpha = self._read_image(self.path(clip, layout.COLOR, frame), images.read_color)
        if info.has_labels:
            labels = self._read_image(self.path(clip, layout.LABEL, frame), images.read_ids)
        want = (info.height, info.width)
        for kind, arr in (("line", line_raw), ("seg", seg), ("color", color), ("label", labels)):
            if arr is not None and arr.shape[:2] != want:
                raise FormatError(
                    f"image is {arr.shape[1]}x{arr.shape[0]}, clip.json says {info.width}x{info.height}",
                    self.path(clip, kind, frame),
                )
        parts = None
        parts_path = layout.frame_file(self.root, clip, layout.PARTS, frame)
        if self._is_file(parts_path):
            parts = self._read_image(self.path(clip, layout.PARTS, frame), images.read_ids)
            if parts.shape != want:
                raise FormatError(f"image is {parts.shape[1]}x{parts.shape[0]}, clip.json says "
                                  f"{info.width}x{info.height}", parts_path)
        line = images.to_gray(line_raw, self.path(clip, layout.LINE, frame))
        return Frame(clip, frame, line, line_raw, color, alpha, seg, self.load_segments(clip, frame), labels, parts)

    # ---- pairs and splits ---------------------------------------------------------------------
    @cached_property
    def splits(self) -> dict[str, list[str]]:
        """``{split name: [clip ids]}`` from splits.json ({} when absent)."""
        p = self.root / layout.SPLITS
        if not self._is_file(p):
            return {}
        obj = self._read_json(p)
        probs = splits_problems(obj)
        if probs:
            raise FormatError(probs[0], p)
        return obj

    def pair_ids(self, split: str | None = None) -> list[str]:
        """Pair ids (``<clip>/<frame_a>__<frame_b>``), sorted; restricted to a split's clips."""
        d = self.root / layout.PAIRS
        if split is not None and split not in self.splits:
            raise FormatError(f"dataset has no split {split!r} (has: {', '.join(self.splits) or 'none'})",
                              self.root / layout.SPLITS)
        keep = self._keep if split is None else set(self.splits[split])
        out = []
        for clip in self._subdirs(d):
            if keep is not None and clip not in keep:
                continue
            pos = None if self._gaps is None else {f: i for i, f in enumerate(self.clip(clip).frames)}
            for name in self._file_names(d / clip, ".json"):
                stem = name[: -len(".json")]
                if "__" in stem:
                    a, _, b = stem.partition("__")
                    if pos is not None and pos.get(b, -10**9) - pos.get(a, 10**9) not in self._gaps:
                        continue
                    out.append(f"{clip}/{a}__{b}")
        return out

    def load_pair(self, pid: str) -> Pair:
        """Load a pair by id; checks the file agrees with its name."""
        clip, fa, fb = parse_pair_id(pid)
        p = layout.inside(self.root, layout.pair_file(self.root, clip, fa, fb))
        pair = Pair.from_json(self._read_json(p), p)
        if pair.id != pid:
            raise FormatError(f"pair file holds {pair.id!r}, its name says {pid!r}", p)
        return pair

    def pairs(self, split: str | None = None) -> Iterator[Pair]:
        """Every pair (of a split), in id order."""
        for pid in self.pair_ids(split):
            yield self.load_pair(pid)

    def split_of(self, clip: str) -> str | None:
        """The split a clip is in, or None."""
        for name, clips in self.splits.items():
            if clip in clips:
                return name
        return None

    def content_hash(self) -> str:
        """SHA-256 over every file's relative path and bytes (manifest excluded: it holds times).

        Identifies exactly what a benchmark result was scored on (of the whole folder, also for a
        view). Computed once per dataset object.
        """
        if ("content",) not in self._hashes:
            self._hashes[("content",)] = self._hash(lambda rel: True)
        return self._hashes[("content",)]

    def ground_truth_hash(self, split: str | None = None) -> str:
        """SHA-256 over what defines the task: line images, segment, label and part maps, pairs, splits.

        Leaves out the color images and the segment tables (their mean colors), whose anti-aliased
        pixels may differ in the last bit between CPUs, so two machines that render the same
        benchmark agree on this hash even when :meth:`content_hash` differs.

        Args:
            split: hash only this split's clips and pairs (and its clip list instead of
                ``splits.json``), so a render of the test split alone can be checked against the
                same figure taken from the full benchmark.
        """
        memo = ("gt", split, None if self._keep is None or split is None else tuple(sorted(self._keep)))
        if memo in self._hashes:
            return self._hashes[memo]
        clips = None if split is None else set(self.splits.get(split, []))
        digest = self._hash(self._ground_truth_files(clips))
        if clips is not None:
            digest = hashlib.sha256((digest + "\0" + "\n".join(sorted(clips))).encode()).hexdigest()
        self._hashes[memo] = digest
        return digest

    def ground_truth_digests(self, split: str | None = None) -> dict[str, str]:
        """``{relative path: SHA-256 of the file}`` of every file :meth:`ground_truth_hash` covers.

        Where two renders of a benchmark differ (a renderer is not bit-exact on every pixel), these
        say which frames and pairs differ.
        """
        clips = None if split is None else set(self.splits.get(split, []))
        return dict(self.file_digests(self._ground_truth_files(clips)))

    @staticmethod
    def _ground_truth_files(clips: set[str] | None):
        """The predicate on relative path parts of the ground-truth files (of ``clips``; None = all)."""
        kinds = {"line", "seg", "label", "parts"}

        def keep(rel: tuple[str, ...]) -> bool:
            if rel[0] == layout.CLIPS:
                return len(rel) == 4 and rel[2] in kinds and (clips is None or rel[1] in clips)
            if rel[0] == layout.PAIRS:
                return clips is None or (len(rel) > 1 and rel[1] in clips)
            return rel == (layout.SPLITS,) and clips is None

        return keep

    def file_digests(self, keep: Callable[[tuple[str, ...]], bool] | None = None) -> Iterator[tuple[str, str]]:
        """``(relative POSIX path, SHA-256 hex)`` of every file the hashes cover, in hash order.

        Every file but ``manifest.json`` and hidden ones (name starting with '.'), in the order of
        their paths' parts (``sorted`` of :class:`pathlib.Path`), read one at a time.

        Args:
            keep: predicate on the relative path's parts; files it rejects are not read.
        """
        for p in sorted(self.root.rglob("*")):
            rel = p.relative_to(self.root)
            if p.is_file() and p.name != layout.MANIFEST and not p.name.startswith(".") and (keep is None or keep(rel.parts)):
                yield rel.as_posix(), hashlib.sha256(p.read_bytes()).hexdigest()

    @staticmethod
    def combine_digests(items: Iterator[tuple[str, str]]) -> str:
        """The dataset hash of ``(relative path, SHA-256 hex)`` items in hash order (:meth:`file_digests`)."""
        h = hashlib.sha256()
        for rel, digest in items:
            h.update(rel.encode() + b"\0")
            h.update(bytes.fromhex(digest))
        return h.hexdigest()

    def _hash(self, keep) -> str:
        return self.combine_digests(self.file_digests(keep))
