"""What the PBC and AnimeRun converters share: ids, file listing, JSON, the clip loop, staging.

Importing writes through :class:`~dataprep.format.writer.DatasetWriter` (staged in
``<out>.partial``, resumable per clip, committed at the end). Exporting writes a foreign layout
into ``<out>.partial`` and renames it to ``<out>`` only when every clip is written.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dataprep.errors import FormatError, LinecorrError
from dataprep.fanout import process_map
from dataprep.format import images
from dataprep.format.atomic import replace_dir
from dataprep.format.dataset import read_json
from dataprep.format.schema import PAIR_STATUSES, id_problem
from dataprep.format.writer import DatasetWriter


@dataclass
class ClipJob:
    """One foreign clip (a PBC character, an AnimeRun scene) to import as one of our clips."""

    clip: str  # our clip id (sanitised, unique in the dataset)
    split: str  # split the clip goes to
    path: str  # the foreign clip folder (PBC character folder, AnimeRun split root)
    frames: list[str]  # source file stems in temporal order
    extra: dict = field(default_factory=dict)  # format-specific facts found while listing


# ---------------------------------------------------------------------------------------------
# ids and listing


def sanitise_id(name: str) -> str:
    """Turn a folder or file name into a valid clip/frame id (see schema.id_problem)."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name)
    s = re.sub(r"__+", "_", s).lstrip("._-")[:128]
    return s or "x"


def unique_ids(names: Sequence[str], fallbacks: Sequence[str] | None = None) -> list[str]:
    """Sanitised, unique ids for ``names``; a clash uses the fallback name, then a -2, -3... suffix."""
    first = [sanitise_id(n) for n in names]
    counts = Counter(first)
    out: list[str] = []
    taken: set[str] = set()
    for i, cand in enumerate(first):
        if counts[cand] > 1 and fallbacks is not None:
            cand = sanitise_id(fallbacks[i])
        base, k = cand, 2
        while cand in taken:
            cand = f"{base[:120]}-{k}"
            k += 1
        out.append(cand)
        taken.add(cand)
    return out


def frame_ids(stems: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Our frame ids for source stems, and ``{id: stem}`` for those that had to change."""
    ids = unique_ids(stems)
    return ids, {i: s for i, s in zip(ids, stems) if i != s}


def _natural_key(stem: str) -> tuple:
    return (0, int(stem), stem) if stem.isdigit() else (1, 0, stem)


def list_stems(folder: Path, ext: str) -> list[str]:
    """Stems of the ``*ext`` files in ``folder`` in temporal order (numeric stems by value)."""
    if not folder.is_dir():
        raise FormatError("folder is missing", folder)
    return sorted((p.name[: -len(ext)] for p in folder.iterdir()
                   if p.name.endswith(ext) and not p.name.startswith(".") and p.is_file()), key=_natural_key)


def require_files(folder: Path, stems: Sequence[str], ext: str, what: str) -> None:
    """Raise naming the first missing ``folder/<stem><ext>``; also files with no ``what`` frame."""
    have = set(list_stems(folder, ext))
    for s in stems:
        if s not in have:
            raise FormatError("file is missing", folder / f"{s}{ext}")
    extra = sorted(have - set(stems), key=_natural_key)
    if extra:
        raise FormatError(f"has no matching {what}", folder / f"{extra[0]}{ext}")


# ---------------------------------------------------------------------------------------------
# reading helpers with one-line errors


def read_int_dict(path: Path, what: str) -> dict[int, list]:
    """Read a JSON object ``{"<int>": [ints...]}`` (PBC's json_color/json_index, AnimeRun matching).

    Returns:
        ``{int key: list of ints}`` in file order.
    """
    obj = read_json(path)
    if not isinstance(obj, dict):
        raise FormatError(f"{what} must be a JSON object {{segment id: [...]}}, got {type(obj).__name__}", path)
    out: dict[int, list] = {}
    for k, v in obj.items():
        try:
            key = int(k)
        except ValueError:
            raise FormatError(f"{what} key {k!r} is not an integer segment id", path) from None
        if not isinstance(v, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in v):
            raise FormatError(f"{what} value of {k!r} must be a list of integers, got {v!r}", path)
        out[key] = v
    return out


def read_raw(path: Path, want: tuple[int, int] | None, ref: Path | None) -> np.ndarray:
    """Read an 8-bit image as stored; check it is ``want`` = (H, W) (the size of ``ref``)."""
    arr = images.read_image_raw(path)
    if arr.dtype != np.uint8:
        raise FormatError(f"image must be 8-bit, got {arr.dtype}", path)
    check_size(arr, want, path, ref)
    return arr


def check_size(arr: np.ndarray, want: tuple[int, int] | None, path: Path, ref: Path | None) -> None:
    """Raise unless ``arr`` is ``want`` = (H, W) pixels (the size of ``ref``)."""
    if want is not None and arr.shape[:2] != want:
        raise FormatError(f"is {arr.shape[1]}x{arr.shape[0]} pixels, {ref} is {want[1]}x{want[0]}", path)


def dump_json(obj: Any) -> str:
    """JSON as the source tools write it (``json.dumps`` defaults)."""
    return json.dumps(obj)


# ---------------------------------------------------------------------------------------------
# the import loop


def run_import(writer: DatasetWriter, jobs: list[ClipJob], convert: Callable[[DatasetWriter, ClipJob, Any], None],
               cfg: Any, workers: int = 1, desc: str = "import") -> Path:
    """Convert every clip not done yet (resume), write splits and commit.

    ``convert(writer, job, cfg)`` writes one clip, ``finish_clip`` last; it must be a module-level
    function so that ``workers > 1`` can run clips in a process pool. On the first error the
    staging folder stays for resume and nothing appears at the output.
    """
    from tqdm import tqdm

    todo = [j for j in jobs if not writer.clip_done(j.clip)]
    bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc=desc, unit="clip", file=sys.stderr,
               disable=None)
    try:
        process_map(functools.partial(_convert, convert, writer, cfg), todo, workers, on_done=bar.update)
    finally:
        bar.close()
    splits: dict[str, list[str]] = {}
    for job in jobs:
        splits.setdefault(job.split, []).append(job.clip)
    writer.set_splits(splits)
    return writer.commit()


def import_dataset(root: str | os.PathLike, out: str | os.PathLike, cfg: Any, jobs: list[ClipJob],
                   convert: Callable[[DatasetWriter, ClipJob, Any], None], *, kind: str, title: str,
                   overwrite: bool = False, workers: int = 1) -> Path:
    """Open a :class:`DatasetWriter` for an import of ``kind`` (``pbc``, ``animerun``) and run it.

    The manifest records the resolved config and the source root; the dataset is named
    ``cfg.name`` or ``<kind>-<source folder>``.
    """
    from dataprep.config import config_dict
    from dataprep.format.writer import make_producer

    src = Path(root).resolve()
    conf = {**config_dict(cfg), "source": str(src)}
    writer = DatasetWriter(out, name=cfg.name or f"{kind}-{sanitise_id(src.name)}",
                           producer=make_producer("import", conf), overwrite=overwrite,
                           description=f"Imported from {title} data at {src}.")
    return run_import(writer, jobs, convert, cfg, workers=workers, desc=f"import {kind}")


def _convert(convert: Callable[[DatasetWriter, ClipJob, Any], None], writer: DatasetWriter, cfg: Any,
             job: ClipJob) -> None:
    """``convert(writer, job, cfg)`` with the job last, as :func:`process_map` calls it."""
    convert(writer, job, cfg)


# ---------------------------------------------------------------------------------------------
# export staging


@contextmanager
def staged_output(out: str | os.PathLike, overwrite: bool, source: Path) -> Iterator[Path]:
    """Yield ``<out>.partial`` to write an export into; rename it to ``out`` on success.

    On failure the staging folder is removed: an export is cheap to redo and nothing
    half-written is left at ``out``.
    """
    out = Path(out)
    src, dst = source.resolve(), out.resolve()
    if dst == src or src in dst.parents or dst in src.parents:
        raise LinecorrError(f"output must be outside the dataset {source}", out)
    if out.exists() and not overwrite:
        raise LinecorrError("output already exists; pass --overwrite to replace it", out)
    stage = out.with_name(out.name + ".partial")
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    replace_dir(stage, out)


def write_png(path: Path, arr: np.ndarray) -> None:
    """Write ``arr`` (uint8 gray/LA/RGB/RGBA or uint16 gray) as a PNG, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(images.encode_png(arr))


def write_bytes(path: Path, data: bytes) -> None:
    """Write bytes as they are (e.g. a source file copied back), creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def check_config(cfg: Any) -> None:
    """Raise LinecorrError for config values no import can use (gaps, pair_status)."""
    gaps = getattr(cfg, "gaps", (1,))
    if not gaps or any(not isinstance(g, int) or isinstance(g, bool) or g < 1 for g in gaps):
        raise LinecorrError(f"config gaps must be positive integers, got {list(gaps)!r}")
    if cfg.pair_status not in PAIR_STATUSES:
        raise LinecorrError(f"config pair_status {cfg.pair_status!r} is not one of {', '.join(PAIR_STATUSES)}")
    if id_problem(sanitise_id(cfg.split), "split"):
        raise LinecorrError(f"config split {cfg.split!r} is not a usable split name")
