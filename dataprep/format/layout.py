"""Where each file of a dataset lives (docs/FORMAT.md, "Layout"), and path-safety checks."""

from __future__ import annotations

import os
from pathlib import Path

from dataprep.errors import FormatError
from dataprep.format.schema import check_id

MANIFEST = "manifest.json"
SPLITS = "splits.json"
CLIPS = "clips"
PAIRS = "pairs"
CLIP_JSON = "clip.json"
LINE, COLOR, SEG, LABEL, SEGMENTS = "line", "color", "seg", "label", "segments"
#: Exact part-id map under a drawn line style (format 1.1, optional): the ground truth no stroke can hide.
PARTS = "parts"


def clip_dir(root: Path, clip: str) -> Path:
    """``ROOT/clips/<clip>``."""
    return root / CLIPS / check_id(clip, "clip id")


def frame_file(root: Path, clip: str, kind: str, frame: str) -> Path:
    """Path of one file of a frame: ``kind`` is line, color, seg, label, parts (PNG) or segments (JSON)."""
    ext = ".json" if kind == SEGMENTS else ".png"
    return clip_dir(root, clip) / kind / (check_id(frame, "frame id") + ext)


def pair_file(root: Path, clip: str, frame_a: str, frame_b: str) -> Path:
    """``ROOT/pairs/<clip>/<frame_a>__<frame_b>.json``."""
    return root / PAIRS / check_id(clip, "clip id") / f"{check_id(frame_a, 'frame id')}__{check_id(frame_b, 'frame id')}.json"


def inside(root: Path, path: Path) -> Path:
    """Return ``path`` if it resolves inside ``root`` (symlinks followed), else raise.

    Ids are already restricted so that they cannot spell ``..``; this also stops a symlink in a
    dataset from pointing outside it.
    """
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(path))
    if real != real_root and real_root not in real.parents:
        raise FormatError("path escapes the dataset root", path)
    return path
