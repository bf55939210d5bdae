"""Labelling one clip: its pairs, the streaming core, and writing it into the output dataset.

:func:`label_clip` is what every backend runs for a clip (locally in :func:`convert_clip`, or on a
Ray worker in :mod:`dataprep.label.ray_backend`); :func:`write_frame`, :func:`to_pair` and
:func:`finish_clip` write its results the same way for both. The run over all clips (jobs, resume,
backends) is :mod:`dataprep.label.dataset`.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format import ClipInfo, Dataset, DatasetWriter, Match, Pair, images
from dataprep.importers.common import ClipJob
from dataprep.label.config import LabelConfig
from dataprep.label.pair import (
    PairLabels,
    PreparedFrame,
    check_color_frame,
    label_prepared,
    prepare_frame,
    segment_frame,
)

# A frame as the core sees it: (rgb (H, W, 3) uint8, line image or None, given region map or None, name)
FrameData = tuple[np.ndarray, np.ndarray | None, np.ndarray | None, str]


def sample_pairs(frames: list[str], gaps: tuple[int, ...], stride: int = 1) -> list[tuple[str, str, int]]:
    """``(frame_a, frame_b, gap)``: a pair starts every ``stride`` frames, one per gap that fits.

    Sorted by the position of frame A, so a streaming labeller can drop frames it has passed.
    """
    out = [(frames[t], frames[t + g], g) for t in range(0, len(frames), stride) for g in sorted(set(gaps))
           if t + g < len(frames)]
    return out


def set_threads(cfg: LabelConfig, workers: int) -> None:
    """Torch CPU threads for this process: ``cfg.threads``, or (0) the CPU cores shared among the workers.

    Oversubscribing cores is far worse for torch than using fewer (OpenMP threads spin-wait): on
    the shared 2-core machine a 1024² pair took 1.9 s with 1 thread and 10.7 s with 2
    (benchmarks/bench_label.py), hence the default of 1.
    """
    import torch

    n = cfg.threads or max(1, (os.cpu_count() or 1) // max(1, workers))
    torch.set_num_threads(n)


def chain_steps(frames: list[str], pairs: list[tuple[str, str, int]], cfg: LabelConfig) -> dict:
    """``{(frame_a, frame_b): [(f0, f1), (f1, f2), ...]}``: the one-frame steps each chained pair composes.

    Only pairs more than one frame apart, and only when ``cfg.chain`` is on.
    """
    if not cfg.chain:
        return {}
    pos = {f: i for i, f in enumerate(frames)}
    out = {}
    for fa, fb, gap in pairs:
        i, j = pos.get(fa), pos.get(fb)
        if gap > 1 and i is not None and j is not None and j - i > 1:
            out[(fa, fb)] = [(frames[k], frames[k + 1]) for k in range(i, j)]
    return out


def needed_frames(frames: list[str], pairs: list[tuple[str, str, int]], cfg: LabelConfig) -> list[str]:
    """Frames a clip's labelling reads: those of the pairs and, with chains, every frame between."""
    need = {f for a, b, _ in pairs for f in (a, b)}
    for steps in chain_steps(frames, pairs, cfg).values():
        need.update(f for s in steps for f in s)
    return [f for f in frames if f in need]


def label_clip(load: Callable[[str], FrameData], pairs: list[tuple[str, str, int]], cfg: LabelConfig,
               device: str, frames: list[str] | None = None) -> Iterator[tuple]:
    """Label a clip's pairs, streaming: frames are loaded, segmented and dropped as the pairs pass.

    A pair more than one frame apart also gets the matches of the one-frame steps between its
    frames, composed (:mod:`dataprep.label.chain`), when ``cfg.chain`` is on and ``frames`` is
    given. Steps are labelled once and shared by the pairs that cross them (and by the gap-1 pairs
    themselves).

    Args:
        load: frame id -> :data:`FrameData` (colour checked by the caller or not: checked here).
        pairs: ``(frame_a, frame_b, gap)`` sorted by frame A's position.
        cfg: settings.
        device: resolved torch device.
        frames: the clip's frames in order (needed for chains; None = no chains).

    Yields:
        ``("frame", frame id, seg)`` once per frame of a pair, before any pair that uses it, then
        ``("pair", frame_a, frame_b, gap, PairLabels)`` per pair. Frames read only for chains are
        not yielded.
    """
    from dataprep.label.chain import compose

    order = frames or []
    pos = {f: i for i, f in enumerate(order)}
    steps_of = chain_steps(order, pairs, cfg) if frames else {}
    in_pairs = {f for a, b, _ in pairs for f in (a, b)}
    last_use: dict[str, int] = {}
    for i, (fa, fb, _) in enumerate(pairs):
        for f in (fa, fb, *(x for st in steps_of.get((fa, fb), ()) for x in st)):
            last_use[f] = i
    live: dict[str, PreparedFrame] = {}
    announced: set[str] = set()
    steps: dict[tuple[str, str], PairLabels] = {}

    def prepared(f: str) -> PreparedFrame:
        if f not in live:
            rgb, line, seg, name = load(f)
            rgb = check_color_frame(rgb, name)
            if seg is None:
                seg = segment_frame(rgb, line=line if cfg.use_line_image else None, params=cfg.segment_params)
            live[f] = prepare_frame(rgb, seg, name, checked=True)
        return live[f]

    def step(a: str, b: str) -> PairLabels:
        if (a, b) not in steps:
            steps[(a, b)] = label_prepared(prepared(a), prepared(b), cfg, device)
        return steps[(a, b)]

    for i, (fa, fb, gap) in enumerate(pairs):
        for f in (fa, fb):
            prepared(f)
            if f in in_pairs and f not in announced:
                announced.add(f)
                yield ("frame", f, live[f].seg)
        if (fa, fb) in steps:
            res = steps[(fa, fb)]
        elif (fa, fb) in steps_of:
            chain = compose([step(a, b).matches for a, b in steps_of[(fa, fb)]])
            res = label_prepared(live[fa], live[fb], cfg, device, chain=chain)
        else:
            res = label_prepared(live[fa], live[fb], cfg, device)
            if gap == 1:
                steps[(fa, fb)] = res
        yield ("pair", fa, fb, gap, res)
        for f in [f for f in live if last_use.get(f, -1) <= i]:
            del live[f]
        # pairs come by frame A's position: steps starting before it are not needed again
        here = pos.get(fa, -1)
        for key in [k for k in steps if pos.get(k[0], -1) < here]:
            del steps[key]


def to_pair(clip: str, fa: str, fb: str, gap: int, res: PairLabels, cfg: LabelConfig) -> Pair:
    """The format's :class:`Pair` for a labelled pair (matches ``auto``; how each was made in ``meta``)."""
    stats = {k: v for k, v in res.stats.items() if not isinstance(v, np.ndarray)}
    stats["alignment"] = [[round(float(x), 5) for x in row] for row in res.alignment]
    stats["coarse"] = [[a, b] for a, b, _, how in res.matches if how == "coarse"]
    stats["chain"] = [[a, b] for a, b, _, how in res.matches if how == "chain"]
    return Pair(clip, fa, fb, [Match(a, b, "auto", float(min(1.0, max(0.0, c)))) for a, b, c, _ in res.matches],
                res.unmatched_a if cfg.mark_unmatched else [], res.unmatched_b if cfg.mark_unmatched else [],
                status=cfg.pair_status, meta={"gap": int(gap), "labeller": stats})


def line_from_regions(seg: np.ndarray) -> np.ndarray:
    """``(H, W) uint8`` closed line image of a region map: its line pixels and region boundaries."""
    from dataprep.segment.labelops import boundary_lines

    return np.where((seg == 0) | boundary_lines(seg), 0, 255).astype(np.uint8)


def _frame_loader(job: ClipJob, cfg: LabelConfig) -> Callable[[str], FrameData]:
    if job.extra["kind"] == "dataset":
        src = Dataset.open(job.path)
        info = src.clip(job.clip)

        def load(f: str) -> FrameData:
            fr = src.load_frame(job.clip, f, info)
            name = str(src.path(job.clip, "color", f))
            rgb = fr.color if fr.alpha is None else np.dstack([fr.color, fr.alpha])  # composited on white later
            return rgb, fr.line_raw, fr.seg if cfg.segmentation == "given" else None, name
        return load
    files = dict(zip(job.frames, job.extra["files"]))

    def load_file(f: str) -> FrameData:
        return images.read_image_raw(files[f]), None, None, files[f]
    return load_file


def write_frame(w: DatasetWriter, job: ClipJob, f: str, seg: np.ndarray, cfg: LabelConfig, src: Dataset | None,
                size: list) -> None:
    """Write frame ``f`` of the clip with its region map ``seg`` ``(H, W) int32`` (0 = line).

    A dataset input's frame keeps its images and pixel labels (``segmentation=given``: linked
    as it is); a folder's image becomes the colour image, its line image drawn from ``seg``.
    ``size`` carries the clip's ``[H, W]`` from frame to frame (a folder's frames must agree).
    """
    if src is not None:
        if cfg.segmentation == "given":
            w.link_frame(src, job.clip, f)
            return
        fr = src.load_frame(job.clip, f)
        w.write_frame(job.clip, f, line=fr.line_raw, seg=seg, color=fr.color, alpha=fr.alpha, labels=fr.labels)
        return
    raw = images.read_image_raw(job.extra["files"][job.frames.index(f)])
    if size and raw.shape[:2] != tuple(size):
        raise LinecorrError(f"is {raw.shape[1]}x{raw.shape[0]}, other frames of the clip are {size[1]}x{size[0]}",
                            job.extra["files"][job.frames.index(f)])
    size[:] = raw.shape[:2]
    color = check_color_frame(raw[..., :3] if raw.ndim == 3 and raw.shape[2] == 4 else raw)
    alpha = raw[..., 3] if raw.ndim == 3 and raw.shape[2] == 4 else None
    w.write_frame(job.clip, f, line=line_from_regions(seg), seg=seg, color=color, alpha=alpha)


def finish_clip(w: DatasetWriter, job: ClipJob, used: list[str], src: Dataset | None, size: list) -> None:
    """Close the clip with its ``clip.json``: the frames ``used`` by its pairs, where they came from."""
    if src is not None:
        info = src.clip(job.clip)
        w.finish_clip(dataclasses.replace(info, frames=used, meta={**info.meta, "labelled_from": len(info.frames)}))
    else:
        # the folder and the one above it: what `linecorr label --eval --gt` matches GT clips by
        w.finish_clip(ClipInfo(job.clip, used, size[1], size[0], has_color=True,
                               source={"kind": "images", "folder": Path(job.path).name,
                                       "parent": Path(job.path).resolve().parent.name}))


def convert_clip(w: DatasetWriter, job: ClipJob, cfg: LabelConfig) -> None:
    """Label one clip into the writer (module level: runs in a process pool)."""
    from tqdm import tqdm

    from dataprep.label.lightglue import resolve_device

    set_threads(cfg, job.extra.get("workers", 1))
    device = resolve_device(cfg.device) if cfg.extractor in ("aliked", "disk") else "cpu"
    pairs = sample_pairs(job.frames, tuple(cfg.gaps), cfg.stride)
    src = Dataset.open(job.path) if job.extra["kind"] == "dataset" else None
    w.begin_clip(job.clip)
    in_pairs = {f for a, b, _ in pairs for f in (a, b)}
    used = [f for f in job.frames if f in in_pairs]
    size: list = []
    bar = tqdm(total=len(pairs), desc=job.clip[:20], unit="pair", leave=False, file=sys.stderr,
               disable=None if job.extra.get("workers", 1) <= 1 else True)
    for ev in label_clip(_frame_loader(job, cfg), pairs, cfg, device, job.frames):
        if ev[0] == "frame":
            write_frame(w, job, ev[1], ev[2], cfg, src, size)
        else:
            _, fa, fb, gap, res = ev
            w.write_pair(to_pair(job.clip, fa, fb, gap, res, cfg))
            bar.update()
    bar.close()
    finish_clip(w, job, used, src, size)
