"""Segmenting a whole dataset or a folder of images into a new dataset (``linecorr segment``).

Input is either a linecorr dataset (every frame is re-segmented; color images and pixel label
maps are carried over, and when pixel labels exist the pairs are derived from them again, since
the old pairs' segment ids refer to the old segments) or a folder of images: its image files form
one clip, or each sub-folder of images is a clip. Frames are segmented in a process pool; clips
are resumable (see :class:`~dataprep.format.writer.DatasetWriter`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dataprep.errors import LinecorrError, warn
from dataprep.fanout import process_map
from dataprep.format import ClipInfo, Dataset, DatasetWriter, images, make_producer
from dataprep.importers.common import ClipJob, frame_ids, run_import, unique_ids
from dataprep.pairs import frame_pairs, label_pair
from dataprep.segment.api import METHODS, lines_from_color, make_config, segment_count_problem, segment_image

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


@dataclass
class SegmentJobConfig:
    """Settings of ``linecorr segment``."""

    method: str = "trapped_ball"  # trapped_ball (line art with gaps), closed (PBC rule) or color (colored frames)
    extract_lines: bool = False  # inputs are colored frames without line art: extract lines first
    params: dict = field(default_factory=dict)  # the method's parameters; --set takes them flat (ball_radius=3)
    split: str = "test"  # split of the clips made from a folder of images
    gaps: tuple[int, ...] = (1,)  # frame gaps of the pairs derived from pixel labels (dataset input)
    strict: bool = False  # a frame with no segment or only one stops the run (else: a warning naming the file)


def _frame_task(task: tuple) -> tuple[np.ndarray, np.ndarray | None]:
    """Segment one frame (runs in a worker). Returns ``(seg, extracted line image or None)``."""
    kind, where, cfg = task
    if kind == "dataset":
        root, clip, frame = where
        f = Dataset.open(root).load_frame(clip, frame)
        line_raw, color = f.line_raw, f.color
    else:
        arr = images.read_image_8bit(where)  # 16-bit scans and exports are rounded to 8 bits
        color = arr[..., :3] if arr.ndim == 3 and arr.shape[2] >= 3 else None
        line_raw = arr
    extracted = None
    if cfg.extract_lines:
        if color is None:
            raise LinecorrError("extract_lines needs colored frames, got a gray image", where if kind != "dataset" else None)
        extracted = lines_from_color(color)
        line_raw = extracted
    if cfg.method == "color":
        if color is None:
            raise LinecorrError("method 'color' needs colored frames (RGB images)", where if kind != "dataset" else None)
        gray = images.to_gray(line_raw) if line_raw.ndim == 3 else line_raw
        seg = segment_image(color, "color", make_config("color", cfg.params), line=gray if kind == "dataset" or
                            extracted is not None else None)
    else:
        seg = segment_image(line_raw, cfg.method, make_config(cfg.method, cfg.params))
    return seg, extracted


def _segment_frames(tasks: list[tuple], workers: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """:func:`_frame_task` of every task, in order, in ``workers`` processes."""
    return process_map(_frame_task, tasks, workers)


def _check_count(seg: np.ndarray, path: str | os.PathLike, cfg: SegmentJobConfig) -> None:
    """Warn (error with ``strict``) about a frame with no segment or one, naming its file.

    Checked here, in the parent process, so that warnings reach the CLI from pooled workers too.
    """
    problem = segment_count_problem(seg)
    if problem is None:
        return
    if cfg.strict:
        raise LinecorrError(f"{problem} (--strict)", path)
    warn(problem, path)


def _convert_dataset_clip(w: DatasetWriter, job: ClipJob, cfg: SegmentJobConfig) -> None:
    src = Dataset.open(job.path)
    info = src.clip(job.clip)
    w.begin_clip(job.clip)
    results = _segment_frames([("dataset", (str(src.root), job.clip, f), cfg) for f in info.frames],
                              job.extra["workers"])
    tables = {}
    for f, (seg, extracted) in zip(info.frames, results):
        _check_count(seg, src.path(job.clip, "color" if cfg.method == "color" or cfg.extract_lines else "line", f), cfg)
        fr = src.load_frame(job.clip, f, info)
        line = fr.line_raw if extracted is None else extracted
        tables[f] = w.write_frame(job.clip, f, line=line, seg=seg, color=fr.color, alpha=fr.alpha, labels=fr.labels)
    if info.has_labels:
        for fa, fb, gap in frame_pairs(info.frames, tuple(cfg.gaps)):
            w.write_pair(label_pair(job.clip, fa, fb, tables[fa], tables[fb], source="render", gap=gap))
    w.finish_clip(info)


def _convert_folder_clip(w: DatasetWriter, job: ClipJob, cfg: SegmentJobConfig) -> None:
    w.begin_clip(job.clip)
    paths = job.extra["files"]
    results = _segment_frames([("file", p, cfg) for p in paths], job.extra["workers"])
    size = None
    for fid, path, (seg, extracted) in zip(job.frames, paths, results):
        _check_count(seg, path, cfg)
        raw = images.read_image_8bit(path)
        if size is not None and raw.shape[:2] != size:
            raise LinecorrError(f"is {raw.shape[1]}x{raw.shape[0]}, other frames of the clip are {size[1]}x{size[0]}",
                                path)
        size = raw.shape[:2]
        colored = cfg.method == "color" or cfg.extract_lines
        color = raw[..., :3] if colored and raw.ndim == 3 else None
        alpha = raw[..., 3] if colored and raw.ndim == 3 and raw.shape[2] == 4 else None
        line = extracted if extracted is not None else (lines_from_color(color) if colored else raw)
        w.write_frame(job.clip, fid, line=line, seg=seg, color=color, alpha=alpha)
    w.finish_clip(ClipInfo(job.clip, job.frames, size[1], size[0], has_color=color is not None,
                           source={"kind": "images", "folder": Path(job.path).name}))


def _folder_jobs(root: Path, cfg: SegmentJobConfig, workers: int) -> list[ClipJob]:
    def imgs(d: Path) -> list[Path]:
        return sorted((p for p in d.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS
                       and not p.name.startswith(".")), key=lambda p: (not p.stem.isdigit(), int(p.stem)
                                                                      if p.stem.isdigit() else 0, p.stem))
    groups = [(root, imgs(root))] if imgs(root) else []
    groups += [(d, imgs(d)) for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))]
    groups = [(d, fs) for d, fs in groups if fs]
    if not groups:
        raise LinecorrError(f"has no images ({', '.join(IMAGE_EXTS)}) in it or in its sub-folders", root)
    clips = unique_ids([d.name for d, _ in groups])
    jobs = []
    for clip, (d, files) in zip(clips, groups):
        fids, _ = frame_ids([p.stem for p in files])
        jobs.append(ClipJob(clip, cfg.split, str(d), fids, {"files": [str(p) for p in files], "workers": workers}))
    return jobs


def check_params(cfg: SegmentJobConfig) -> None:
    """Check ``cfg.params`` against the method's config, before any work.

    Raises:
        LinecorrError: an unknown key (naming every valid key of ``linecorr segment --method M``:
            the job's and the method's) or a value of the wrong type.
    """
    import dataclasses

    method_keys = [f.name for f in dataclasses.fields(METHODS[cfg.method][0])]
    unknown = sorted(set(cfg.params) - set(method_keys))
    if unknown:
        job_keys = [f.name for f in dataclasses.fields(SegmentJobConfig) if f.name != "params"]
        raise LinecorrError(f"unknown config key {unknown[0]!r} for method {cfg.method!r} (known: "
                            f"{', '.join(job_keys + method_keys)})")
    make_config(cfg.method, cfg.params)


def segment_to_dataset(src: str | os.PathLike, out: str | os.PathLike, cfg: SegmentJobConfig | None = None, *,
                       overwrite: bool = False, workers: int = 1) -> Path:
    """Segment every frame of ``src`` (a dataset or a folder of images) into a new dataset ``out``."""
    from dataprep.config import config_dict

    cfg = cfg or SegmentJobConfig()
    if cfg.method not in METHODS:
        raise LinecorrError(f"unknown segmentation method {cfg.method!r}; choose one of {', '.join(METHODS)}")
    check_params(cfg)  # fail on a bad parameter before any work
    root = Path(src)
    if not root.is_dir():
        raise LinecorrError("is not a directory (expected a dataset or a folder of images)", root)
    workers = max(1, workers)
    is_dataset = (root / "manifest.json").is_file()
    parent = Dataset.open(root) if is_dataset else None
    w = DatasetWriter(out, name=f"{parent.manifest.name}-seg" if parent else root.name,
                      producer=make_producer("segment", config_dict(cfg)), parent=parent, overwrite=overwrite)
    if parent is not None:
        jobs = [ClipJob(c, parent.split_of(c) or cfg.split, str(root), parent.clip(c).frames, {"workers": workers})
                for c in parent.clip_ids]
        convert = _convert_dataset_clip
    else:
        jobs = _folder_jobs(root, cfg, workers)
        convert = _convert_folder_clip
    print(f"segmenting {sum(len(j.frames) for j in jobs)} frames of {len(jobs)} clips with {cfg.method!r}"
          f"{' after line extraction' if cfg.extract_lines else ''}", file=sys.stderr)
    return run_import(w, jobs, convert, cfg, workers=1, desc="segment")
