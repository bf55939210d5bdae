"""Training pairs for AnT from a dataset in the project format (docs/FORMAT.md).

A pair is two frames of one clip ``gap`` frames apart (random frame skipping, either order),
augmented (a random crop shared by the pair, then per-frame jitter, rotation, zoom and shear),
re-measured (bboxes of the warped segments), capped to the largest ``max_segments`` segments,
and turned into crops. Labels come from the segment tables: ``label`` (correspondence id) and a
color class (``color_label`` when the data has it, else the exact mean color of the segment).
Batches pad both frames of every pair to one length M with validity masks.

The dataset is anything :func:`dataprep.format.open_dataset` opens (a folder, a ``linecorr
publish`` output, a Hub id). A streamed one (``Dataset.sequential``) cannot jump between frames
cheaply, so its pairs are drawn while walking each clip in order (:func:`sequential_pairs`) and
mixed in a shuffle buffer of :data:`STREAM_BUFFER` pairs.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import cv2
import numpy as np
import torch
from scipy import ndimage

from benchmark.models.ant.crops import frame_inputs
from benchmark.train.config import AugmentConfig, TrainConfig
from dataprep.errors import LinecorrError
from dataprep.format import open_datasets

#: Pairs held in the shuffle buffer of a streamed dataset (their frames stay decoded meanwhile).
STREAM_BUFFER = 32
T = TypeVar("T")


@dataclass
class RawFrame:
    """What training needs of a frame (a light, cacheable subset of ``Frame``)."""

    line: np.ndarray  # (H, W) uint8, 0 = ink
    seg: np.ndarray  # (H, W) int32, 0 = line
    ids: np.ndarray  # (N,) int32 segment ids, ascending
    label: np.ndarray  # (N,) int64 correspondence id, -1 = unknown / background
    color: np.ndarray  # (N,) int64 color class, -1 = unknown


def color_classes(table) -> np.ndarray:
    """Color class of each segment: ``color_label`` if the data has one, else its packed RGBA."""
    if np.any(table.color_label >= 0) or table.color is None:
        return table.color_label.astype(np.int64)
    c = table.color.astype(np.int64)
    return (c[:, 0] << 24) | (c[:, 1] << 16) | (c[:, 2] << 8) | c[:, 3]


def frame_from(frame) -> RawFrame:
    """Keep what training needs of a loaded ``Frame``."""
    t = frame.segments
    return RawFrame(frame.line, frame.seg, t.ids, t.label.astype(np.int64), color_classes(t))


def _affine(h: int, w: int, rng: np.random.Generator, cfg: AugmentConfig, base: np.ndarray) -> np.ndarray:
    """A per-frame random affine (jitter, rotation, zoom, shear about the centre) after ``base``."""
    ang = math.radians(rng.uniform(-cfg.rotate, cfg.rotate))
    s = 1 + rng.uniform(-cfg.scale, cfg.scale)
    sh = rng.uniform(-cfg.shear, cfg.shear)
    lin = s * np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]]) @ np.array([[1, sh], [0, 1]])
    c = np.array([w / 2, h / 2])
    t = c - lin @ c + rng.uniform(-cfg.jitter, cfg.jitter, 2) * np.array([w, h])
    m = np.eye(3)
    m[:2, :2], m[:2, 2] = lin, t
    return m @ base


def _shared_crop(h: int, w: int, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """The pair's random crop (a window of ``crop..1`` of the side, resized back) and mirror."""
    z = rng.uniform(cfg.crop, 1.0)
    x0, y0 = rng.uniform(0, (1 - z) * w), rng.uniform(0, (1 - z) * h)
    m = np.array([[1 / z, 0, -x0 / z], [0, 1 / z, -y0 / z], [0, 0, 1]])
    if rng.random() < cfg.hflip:
        m = np.array([[-1, 0, w - 1], [0, 1, 0], [0, 0, 1]]) @ m
    return m


def warp_frame(fr: RawFrame, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Warp line (bilinear, paper outside) and segment map (nearest, 0 outside) by ``m`` (3x3)."""
    h, w = fr.seg.shape
    line = cv2.warpAffine(fr.line, m[:2], (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    seg = cv2.warpAffine(fr.seg, m[:2], (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    return line, seg


def measure(seg: np.ndarray, max_segments: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids present in ``seg`` and their bboxes ``[x, y, w, h]``, the largest ``max_segments`` only."""
    counts = np.bincount(seg.ravel())
    ids = np.nonzero(counts)[0]
    ids = ids[ids > 0]
    if ids.size > max_segments:  # training-time cap: keep the largest, in id order
        ids = np.sort(ids[np.argsort(-counts[ids], kind="stable")[:max_segments]])
    slices = ndimage.find_objects(seg)
    bbox = np.array([[s[1].start, s[0].start, s[1].stop - s[1].start, s[0].stop - s[0].start]
                     for s in (slices[i - 1] for i in ids)], np.float32).reshape(-1, 4)
    return ids.astype(np.int64), bbox


def frame_sample(fr: RawFrame, m: np.ndarray | None, cfg: TrainConfig) -> dict[str, torch.Tensor]:
    """Crops, boxes and labels of one (possibly warped) frame."""
    line, seg = warp_frame(fr, m) if m is not None else (fr.line, fr.seg)
    ids, bbox = measure(seg, cfg.max_segments)
    crops, boxes = frame_inputs(line, seg, ids, bbox, cfg.model)
    rows = np.searchsorted(fr.ids, ids)
    return {"crops": crops, "boxes": boxes, "label": torch.from_numpy(fr.label[rows]),
            "color": torch.from_numpy(fr.color[rows])}


def make_pair(fa: RawFrame, fb: RawFrame, cfg: TrainConfig, rng: np.random.Generator | None) -> dict:
    """One training (rng given: augmented) or evaluation (rng None) pair sample."""
    ma = mb = None
    if rng is not None and rng.random() < cfg.augment.prob:
        h, w = fa.seg.shape
        base = _shared_crop(h, w, rng, cfg.augment)
        ma, mb = _affine(h, w, rng, cfg.augment, base), _affine(h, w, rng, cfg.augment, base)
    return {"a": frame_sample(fa, ma, cfg), "b": frame_sample(fb, mb, cfg)}


def collate(samples: list[dict]) -> dict[str, torch.Tensor]:
    """Pad a list of pair samples to one length M (the largest frame of the batch).

    Returns:
        ``crops_a/b (B, M, 2, S, S) float32``, ``boxes_a/b (B, M, 4) float32``, ``valid_a/b (B, M)
        bool``, ``label_a/b`` and ``color_a/b (B, M) int64`` (-2 on padding).
    """
    m = max(max(s["a"]["crops"].shape[0], s["b"]["crops"].shape[0]) for s in samples)
    m = max(m, 1)
    out: dict[str, list[torch.Tensor]] = {}
    for s in samples:
        for side in ("a", "b"):
            f = s[side]
            n = f["crops"].shape[0]
            pad = m - n
            out.setdefault(f"crops_{side}", []).append(torch.nn.functional.pad(f["crops"], (0, 0, 0, 0, 0, 0, 0, pad)))
            out.setdefault(f"boxes_{side}", []).append(torch.nn.functional.pad(f["boxes"], (0, 0, 0, pad)))
            out.setdefault(f"valid_{side}", []).append(torch.arange(m) < n)
            for key in ("label", "color"):
                out.setdefault(f"{key}_{side}", []).append(torch.nn.functional.pad(f[key], (0, pad), value=-2))
    return {k: torch.stack(v) for k, v in out.items()}


def source_name(root: str | Sequence[str]) -> str:
    """What a message names for one dataset or several."""
    return root if isinstance(root, str) else ", ".join(map(str, root))


class FrameSource:
    """Frames of a dataset split, decoded on demand and kept in a small LRU cache.

    Args:
        root: what ``open_dataset`` opens (folder, published folder, Hub id), or a list of them
            (read as one, ``open_datasets``).
        streaming: open a published source as a stream; its clips are then listed in storage
            (id) order, the order its rows can be read in.
    """

    def __init__(self, root: str | Sequence[str], split: str, cache: int = 512, streaming: bool = False) -> None:
        self.ds = open_datasets(root, streaming=streaming)
        if split not in self.ds.splits:
            raise LinecorrError(f"dataset has no split {split!r} (has: {', '.join(self.ds.splits) or 'none'})",
                                source_name(root))
        clip_ids = self.ds.splits[split]
        self.clips = [self.ds.clip(c) for c in (sorted(clip_ids) if self.ds.sequential else clip_ids)]
        self.clips = [c for c in self.clips if len(c.frames) >= 2]
        if not self.clips:
            raise LinecorrError(f"split {split!r} has no clip with 2 or more frames", source_name(root))
        self._cache: OrderedDict[tuple[str, str], RawFrame] = OrderedDict()
        self._size = cache

    def get(self, clip: str, frame: str) -> RawFrame:
        key = (clip, frame)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        fr = frame_from(self.ds.load_frame(clip, frame))
        self._cache[key] = fr
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return fr


def check_labels(root: str | Sequence[str], split: str, labels: str, streaming: bool = False) -> None:
    """Refuse a dataset whose split carries no label of the kind the forward loss needs (each one
    of several: a dataset without them would only dilute the loss)."""
    if labels == "none":
        return
    if not isinstance(root, str):
        for r in root:
            check_labels(r, split, labels, streaming)
        return
    ds = open_datasets(root, streaming=streaming)
    clips = ds.splits.get(split, [])
    for clip in (sorted(clips) if ds.sequential else clips)[:50]:
        info = ds.clip(clip)
        for fid in info.frames[:3]:
            t = ds.load_segments(clip, fid)
            have = np.any(t.label >= 0) if labels == "correspondence" else (t.color is not None or np.any(t.color_label >= 0))
            if have:
                return
    what = "correspondence labels (segment 'label')" if labels == "correspondence" else "colors or color labels"
    raise LinecorrError(f"split {split!r} has no {what}; train with --set labels=none (cycle loss only) or "
                        "label the data first", root)


def worker_rng(seed: int, rank: int) -> np.random.Generator:
    """The random generator of this DataLoader worker on this rank: streams differ per worker and rank."""
    info = torch.utils.data.get_worker_info()
    return np.random.default_rng([seed, rank, info.id if info is not None else 0])


class SeededStream(torch.utils.data.IterableDataset):
    """An endless stream of training samples from dataset ``root``, drawn with a generator of its
    own per DataLoader worker and DDP rank (:func:`worker_rng`). Subclasses define :meth:`samples`."""

    def __init__(self, root: str, cfg, seed: int, rank: int = 0, streaming: bool = False) -> None:
        super().__init__()
        self.root, self.cfg, self.seed, self.rank, self.streaming = root, cfg, seed, rank, streaming

    def __iter__(self):
        return self.samples(worker_rng(self.seed, self.rank))

    def samples(self, rng: np.random.Generator):
        """Yield samples forever."""
        raise NotImplementedError


def stream_shard(rank: int) -> tuple[int, int]:
    """``(shard, shards)`` of this DataLoader worker on this DDP rank: which clips it walks when the
    dataset is streamed (every worker reads the stream; each keeps every ``shards``-th clip)."""
    info = torch.utils.data.get_worker_info()
    workers, wid = (info.num_workers, info.id) if info is not None else (1, 0)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return rank * workers + wid, world * workers


def shuffled(items: Iterable[T], size: int, rng: np.random.Generator) -> Iterator[T]:
    """``items`` through a shuffle buffer of ``size`` (endless ``items``: nothing is left over)."""
    buf: list[T] = []
    for x in items:
        if len(buf) < size:
            buf.append(x)
            continue
        k = int(rng.integers(size))
        yield buf[k]
        buf[k] = x
    rng.shuffle(buf)
    yield from buf


def sequential_pairs(src: FrameSource, cfg: AugmentConfig, rng: np.random.Generator,
                     shard: int = 0, shards: int = 1) -> Iterator[tuple[RawFrame, RawFrame]]:
    """Training pairs drawn while walking every clip frame by frame, for ever (a streamed dataset).

    At each frame t >= 1 of a clip, one pair: t and t - gap, the gap uniform in 1..min(max_skip, t)
    (random frame skipping, as :func:`sample_indices`), either order. Only the last ``max_skip + 1``
    frames are needed, so the rows are read once per epoch, in order.

    Args:
        shard, shards: walk only clips ``shard``, ``shard + shards``, ... (all when there are fewer).
    """
    clips = src.clips[shard::shards] or src.clips
    while True:
        for clip in clips:
            window: deque[RawFrame] = deque(maxlen=cfg.max_skip + 1)
            for fid in clip.frames:
                window.append(src.get(clip.id, fid))
                if len(window) < 2:
                    continue
                gap = int(rng.integers(1, len(window)))
                pair = (window[-1 - gap], window[-1])
                yield pair[::-1] if rng.random() < cfg.reverse else pair


class PairStream(SeededStream):
    """An endless stream of augmented AnT training pairs."""

    def samples(self, rng: np.random.Generator):
        src = FrameSource(self.root, self.cfg.train_split, self.cfg.frame_cache, self.streaming)
        if src.ds.sequential:
            for fa, fb in shuffled(sequential_pairs(src, self.cfg.augment, rng, *stream_shard(self.rank)),
                                   STREAM_BUFFER, rng):
                if fa.ids.size and fb.ids.size:
                    yield make_pair(fa, fb, self.cfg, rng)
            return
        weights = np.array([len(c.frames) for c in src.clips], np.float64)
        weights /= weights.sum()
        while True:
            clip = src.clips[rng.choice(len(src.clips), p=weights)]
            ta, tb = sample_indices(len(clip.frames), self.cfg.augment, rng)
            fa, fb = src.get(clip.id, clip.frames[ta]), src.get(clip.id, clip.frames[tb])
            if fa.ids.size == 0 or fb.ids.size == 0:
                continue
            yield make_pair(fa, fb, self.cfg, rng)


def sample_indices(n: int, cfg: AugmentConfig, rng: np.random.Generator) -> tuple[int, int]:
    """Frame indices of a pair: a random gap in 1..max_skip (shrunk to fit), either order."""
    gap = int(rng.integers(1, max(1, min(cfg.max_skip, n - 1)) + 1))
    t = int(rng.integers(0, n - gap))
    a, b = t, t + gap
    return (b, a) if rng.random() < cfg.reverse else (a, b)


def eval_pairs(root: str | Sequence[str], split: str, cfg: TrainConfig, limit: int, streaming: bool = False) -> list[dict]:
    """The first ``limit`` consecutive pairs of ``split``, unaugmented (for validation)."""
    src = FrameSource(root, split, cache=4, streaming=streaming)
    out = []
    for clip in src.clips:
        for a, b in zip(clip.frames, clip.frames[1:]):
            if len(out) >= limit:
                return out
            fa, fb = src.get(clip.id, a), src.get(clip.id, b)
            if fa.ids.size and fb.ids.size:
                out.append(make_pair(fa, fb, cfg, None))
    return out
