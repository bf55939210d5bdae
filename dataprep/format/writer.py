"""Writing a dataset directory: staged, atomic, resumable.

A stage writes into ``<out>.partial/``. Each clip is complete once its ``clip.json`` exists
(written last), so a job that is cut off resumes by skipping complete clips and redoing the
others. :meth:`DatasetWriter.commit` writes the manifest and renames the staging folder to
``<out>`` in one step: nobody ever sees a half-written dataset at ``<out>``.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Self

import numpy as np

from dataprep.errors import FormatError, LinecorrError
from dataprep.format import images, layout
from dataprep.format.atomic import atomic_write_bytes, atomic_write_json, replace_dir
from dataprep.format.dataset import Dataset, read_json
from dataprep.format.schema import ClipInfo, Manifest, Pair, Producer, check_id, splits_problems
from dataprep.format.segtable import SegmentTable, compute_segment_table


def git_sha() -> str | None:
    """The commit of the linecorr checkout this code runs from, or None outside git."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5,
                             check=False)  # outside a checkout: None, not an error
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def make_producer(stage: str, config: dict | None = None) -> Producer:
    """A :class:`Producer` for the running command: version, git sha, command line, config."""
    from dataprep import __version__

    return Producer(stage=stage, version=__version__, git_sha=git_sha(),
                    command=" ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), config=config or {})


class DatasetWriter:
    """Write a dataset to ``out`` through a staging folder.

    Example:
        >>> with DatasetWriter("out/ds", name="toy", producer=make_producer("import")) as w:  # doctest: +SKIP
        ...     w.write_frame("c0", "0000", line=line, seg=seg)
        ...     w.finish_clip(ClipInfo("c0", ["0000"], width=64, height=64))
    """

    def __init__(self, out: str | os.PathLike, *, name: str, producer: Producer, parent: Dataset | None = None,
                 overwrite: bool = False, resume: bool = True, description: str = "", license: str = "") -> None:
        self.out = Path(out)
        self.stage = self.out.with_name(self.out.name + ".partial")
        if self.out.exists() and not overwrite:
            raise LinecorrError("output already exists; pass --overwrite to replace it", self.out)
        if self.out.exists() and not (self.out / layout.MANIFEST).is_file():
            # Never delete a folder we did not write.
            raise LinecorrError("output exists and is not a linecorr dataset; refusing to replace it", self.out)
        if self.stage.exists() and not resume:
            shutil.rmtree(self.stage)
        self.resumed = self.stage.exists()
        self.stage.mkdir(parents=True, exist_ok=True)
        self.manifest = Manifest(name=name, producer=producer, description=description, license=license)
        if parent is not None:
            self.manifest.parent = {"path": str(parent.root.resolve()), "name": parent.manifest.name,
                                    "content_hash": None}
        self._committed = False

    # ---- context manager: commit on success, keep the staging folder (for resume) on failure
    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and not self._committed:
            self.commit()

    # ---- clips ------------------------------------------------------------------------------
    def clip_done(self, clip: str) -> bool:
        """Whether ``clip`` was completed by this or an earlier (resumed) run."""
        return (layout.clip_dir(self.stage, clip) / layout.CLIP_JSON).is_file()

    def begin_clip(self, clip: str) -> None:
        """Start (or restart) a clip: removes whatever an interrupted run left of it."""
        for d in (layout.clip_dir(self.stage, clip), self.stage / layout.PAIRS / check_id(clip, "clip id")):
            if d.exists():
                shutil.rmtree(d)

    def write_frame(self, clip: str, frame: str, *, line: np.ndarray, seg: np.ndarray,
                    color: np.ndarray | None = None, alpha: np.ndarray | None = None,
                    labels: np.ndarray | None = None, segment_labels: dict[int, int] | None = None,
                    color_labels: dict[int, int] | None = None,
                    colors: dict[int, tuple[int, ...]] | None = None,
                    parts: np.ndarray | None = None) -> SegmentTable:
        """Write every layer of one frame and its segment table.

        Args:
            line: ``(H, W)`` or ``(H, W, 2|3|4) uint8`` line image (stored as given).
            seg: ``(H, W)`` integer segment map, 0 = line, 1..N.
            color: optional ``(H, W, 3) uint8`` RGB; ``alpha`` optional ``(H, W) uint8``.
            labels: optional ``(H, W)`` int pixel label map (-1 = none); segments take their
                majority label from it.
            segment_labels: optional ``{segment id: correspondence id}`` (wins over ``labels``).
            color_labels: optional ``{segment id: color label}``.
            colors: optional ``{segment id: (R, G, B, A)}`` stored in the table instead of the
                mean color (see :func:`compute_segment_table`).
            parts: optional ``(H, W)`` int exact part-id map (-1 = background, no line class) of a
                drawn line style: written to ``parts/``, and the table records each segment's purity
                (share of its pixels in its majority label of ``labels``).

        Returns:
            The segment table that was written.
        """
        where = f"{clip}/{frame}"
        seg = images.check_int_map(seg, f"segment map of {where}", allow_negative=False)
        h, w = seg.shape
        line = np.asarray(line)
        if line.dtype != np.uint8 or line.ndim not in (2, 3) or (line.ndim == 3 and line.shape[2] not in (2, 3, 4)):
            raise FormatError(f"line image of {where} must be (H, W[, 2|3|4]) uint8, got {line.shape} {line.dtype}")
        for what, arr in (("line image", line), ("color image", color), ("alpha", alpha), ("pixel label map", labels),
                          ("part map", parts)):
            if arr is not None and np.asarray(arr).shape[:2] != (h, w):
                got = np.asarray(arr).shape
                raise FormatError(f"{what} of {where} is {got[1]}x{got[0]}, its segment map is {w}x{h}")
        if color is not None and (color.dtype != np.uint8 or color.ndim != 3 or color.shape[2] != 3):
            raise FormatError(f"color image of {where} must be (H, W, 3) uint8, got {color.shape} {color.dtype}")
        if labels is not None:
            labels = images.check_int_map(labels, f"pixel label map of {where}", allow_negative=True)
        if parts is not None:
            parts = images.check_int_map(parts, f"part map of {where}", allow_negative=True)
            if labels is None:
                raise FormatError(f"part map of {where} needs the pixel label map too")
        table = compute_segment_table(seg, color, alpha, labels, segment_labels, color_labels, colors,
                                      purity=parts is not None)
        # Encode everything first so a bad array fails before any file of the frame is written.
        blobs = {layout.LINE: images.encode_png(line), layout.SEG: images.encode_segment_map(seg)}
        if color is not None:
            rgba = color if alpha is None else np.dstack([color, alpha])
            blobs[layout.COLOR] = images.encode_png(rgba)
        if labels is not None:
            blobs[layout.LABEL] = images.encode_label_map(labels)
        if parts is not None:
            blobs[layout.PARTS] = images.encode_label_map(parts)
        for kind, data in blobs.items():
            atomic_write_bytes(layout.frame_file(self.stage, clip, kind, frame), data)
        atomic_write_json(layout.frame_file(self.stage, clip, layout.SEGMENTS, frame), table.to_json(frame), indent=None)
        return table

    def link_frame(self, parent: Dataset, clip: str, frame: str, kinds: tuple[str, ...] | None = None) -> None:
        """Reuse a parent dataset's frame files by hard link (copy across file systems)."""
        kinds = kinds or (layout.LINE, layout.COLOR, layout.SEG, layout.LABEL, layout.PARTS, layout.SEGMENTS)
        for kind in kinds:
            src = parent.path(clip, kind, frame)
            if not src.is_file():
                continue
            dst = layout.frame_file(self.stage, clip, kind, frame)
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}.tmp")
            try:
                os.link(src, tmp)
            except OSError:
                shutil.copyfile(src, tmp)
            os.replace(tmp, dst)

    def finish_clip(self, info: ClipInfo) -> None:
        """Write ``clip.json`` last: marks the clip complete for resume."""
        probs = ClipInfo.problems(info.to_json())
        if probs:
            raise FormatError(f"clip {info.id!r}: {probs[0]}")
        for f in info.frames:
            for kind in (layout.LINE, layout.SEG, layout.SEGMENTS):
                if not layout.frame_file(self.stage, info.id, kind, f).is_file():
                    raise FormatError(f"clip {info.id!r} frame {f!r} has no {kind} file; write its frames first")
        atomic_write_json(layout.clip_dir(self.stage, info.id) / layout.CLIP_JSON, info.to_json())

    # ---- pairs and splits --------------------------------------------------------------------
    def write_pair(self, pair: Pair) -> None:
        """Write (or replace) one pair file."""
        obj = pair.to_json()
        probs = Pair.problems(obj)
        if probs:
            raise FormatError(f"pair {pair.id}: {probs[0]}")
        atomic_write_json(layout.pair_file(self.stage, pair.clip, pair.frame_a, pair.frame_b), obj)

    def set_splits(self, splits: dict[str, list[str]]) -> None:
        """Write ``splits.json`` ({split name: [clip ids]})."""
        probs = splits_problems(splits)
        if probs:
            raise FormatError(f"splits: {probs[0]}")
        atomic_write_json(self.stage / layout.SPLITS, splits)

    # ---- finishing ------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Clips, frames, pairs and segments in the staging folder (complete clips only)."""
        n = {"clips": 0, "frames": 0, "pairs": 0, "segments": 0}
        clips_dir = self.stage / layout.CLIPS
        for cj in sorted(clips_dir.glob(f"*/{layout.CLIP_JSON}")) if clips_dir.is_dir() else []:
            info = read_json(cj)
            n["clips"] += 1
            n["frames"] += len(info["frames"])
            for f in info["frames"]:
                n["segments"] += int(read_json(cj.parent / layout.SEGMENTS / f"{f}.json")["count"])
        pairs_dir = self.stage / layout.PAIRS
        if pairs_dir.is_dir():
            n["pairs"] = sum(1 for p in pairs_dir.glob("*/*.json") if not p.name.startswith("."))
        return n

    def commit(self) -> Path:
        """Drop incomplete clips, write the manifest and move the dataset into place atomically."""
        clips_dir = self.stage / layout.CLIPS
        if clips_dir.is_dir():
            for d in clips_dir.iterdir():
                if d.is_dir() and not (d / layout.CLIP_JSON).is_file():
                    shutil.rmtree(d)  # cut off mid-clip and never finished: not part of the dataset
        self.manifest.created = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        self.manifest.counts = self.counts()
        if self.manifest.parent is not None and self.manifest.parent.get("content_hash") is None:
            self.manifest.parent["content_hash"] = Dataset.open(self.manifest.parent["path"]).content_hash() \
                if Path(self.manifest.parent["path"]).is_dir() else None
        atomic_write_json(self.stage / layout.MANIFEST, self.manifest.to_json())
        replace_dir(self.stage, self.out)
        self._committed = True
        return self.out
