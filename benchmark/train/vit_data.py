"""Training pairs for the patch-ViT from a dataset in the project format (docs/FORMAT.md).

A sample is one GT pair of the split (the paper trains on fixed frame pairs): both line images
letterboxed to the model's input, optionally mirrored and swapped, optionally cut to a window of
``data.crop`` pixels (the same window for both frames, centred near a random pixel of the drawing,
aligned to the patch grid so the window's position embeddings are those of the full frame), and
the targets of eq. 4: patch region ids (55 % rule) and G (``benchmark.metrics.patch``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import torch

from benchmark.models.vit.inputs import gt_matches, letterbox_for, patch_targets, region_map
from benchmark.train.data import STREAM_BUFFER, SeededStream, shuffled, source_name, stream_shard
from benchmark.train.vit_config import VitTrainConfig
from dataprep.errors import LinecorrError
from dataprep.format import open_datasets


class PairSource:
    """GT pairs of a split, frames decoded on demand and kept in a small LRU cache.

    Each cached frame keeps only its line image ``(H, W) uint8`` and GT region map ``(H, W) int32``.
    ``root`` is anything ``open_dataset`` opens, or a list of them (``open_datasets``: read as one);
    ``streaming`` opens a published one as a stream.
    """

    def __init__(self, root: str | Sequence[str], split: str, regions: str = "segments", cache: int = 256,
                 streaming: bool = False) -> None:
        self.ds = open_datasets(root, streaming=streaming)
        if split not in self.ds.splits:
            raise LinecorrError(f"dataset has no split {split!r} (has: {', '.join(self.ds.splits) or 'none'})",
                                source_name(root))
        self.pids = self.ds.pair_ids(split)
        if not self.pids:
            raise LinecorrError(f"split {split!r} has no pairs to train on", source_name(root))
        self.regions = regions
        self._cache: OrderedDict[tuple[str, str], tuple] = OrderedDict()
        self._size = cache

    def _frame(self, clip: str, fid: str):
        key = (clip, fid)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        f = self.ds.load_frame(clip, fid)
        out = (f, f.line, region_map(f, self.regions))
        self._cache[key] = out
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return out

    def get(self, pid: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``line_a, map_a, line_b, map_b, matches (K, 2)`` of pair ``pid``."""
        pair = self.ds.load_pair(pid)
        fa, la, ma = self._frame(pair.clip, pair.frame_a)
        fb, lb, mb = self._frame(pair.clip, pair.frame_b)
        return la, ma, lb, mb, gt_matches(pair, fa, fb, self.regions)


def _window(ink: np.ndarray, grid: int, win: int, patch: int, jitter: int, rng: np.random.Generator) -> tuple[int, int]:
    """Patch offset ``(row, col)`` of a ``win x win``-patch window near a random ink pixel."""
    ys, xs = np.nonzero(ink)
    if ys.size:
        k = int(rng.integers(ys.size))
        cr, cc = ys[k] // patch, xs[k] // patch
    else:
        cr, cc = rng.integers(grid, size=2)
    cr += int(rng.integers(-jitter, jitter + 1))
    cc += int(rng.integers(-jitter, jitter + 1))
    return (int(np.clip(cr - win // 2, 0, grid - win)), int(np.clip(cc - win // 2, 0, grid - win)))


def make_sample(line_a: np.ndarray, map_a: np.ndarray, line_b: np.ndarray, map_b: np.ndarray, matches: np.ndarray,
                cfg: VitTrainConfig, rng: np.random.Generator | None) -> dict[str, np.ndarray]:
    """One training (``rng`` given: augmented, windowed) or evaluation (``rng`` None) sample.

    Returns:
        ``image_a``, ``image_b`` ``(1, s, s) float32`` (1 = paper), ``gt`` ``(2n, 2n) bool``,
        ``valid`` ``(2n,) bool`` (patch has a region), ``mask_a``, ``mask_b`` ``(n,) bool`` (patch
        inside the frame) and ``offset`` ``(2,) int64`` (window position in patches; 0 0 for
        whole frames).
    """
    mc, dc = cfg.model, cfg.data
    p, size = mc.patch_size, mc.image_size
    box_a, box_b = letterbox_for(line_a.shape, size, p), letterbox_for(line_b.shape, size, p)
    la, lb = box_a.line(line_a), box_b.line(line_b)
    ma, mb = box_a.labels(map_a), box_b.labels(map_b)
    pa, pb = box_a.patch_valid().reshape(box_a.grid, -1), box_b.patch_valid().reshape(box_b.grid, -1)
    matches = np.asarray(matches, np.int64).reshape(-1, 2)
    if rng is not None:
        if rng.random() < dc.hflip:
            la, lb, ma, mb, pa, pb = (x[:, ::-1] for x in (la, lb, ma, mb, pa, pb))
        if rng.random() < dc.reverse:
            la, lb, ma, mb, pa, pb = lb, la, mb, ma, pb, pa
            matches = matches[:, ::-1]
    offset = (0, 0)
    if rng is not None and 0 < dc.crop < size:
        if dc.crop % p:
            raise LinecorrError(f"data.crop {dc.crop} is not a multiple of the patch size {p}")
        win = dc.crop // p
        offset = _window((la < 0.5) | (lb < 0.5), size // p, win, p, dc.jitter, rng)
        ys, xs = slice(offset[0] * p, (offset[0] + win) * p), slice(offset[1] * p, (offset[1] + win) * p)
        la, lb, ma, mb = la[ys, xs], lb[ys, xs], ma[ys, xs], mb[ys, xs]
        gs, gx = slice(offset[0], offset[0] + win), slice(offset[1], offset[1] + win)
        pa, pb = pa[gs, gx], pb[gs, gx]
    ids_a, ids_b, gt = patch_targets(np.ascontiguousarray(ma), np.ascontiguousarray(mb), matches, p, dc.min_share)
    return {"image_a": np.ascontiguousarray(la)[None], "image_b": np.ascontiguousarray(lb)[None], "gt": gt,
            "valid": np.concatenate([ids_a, ids_b]) != 0, "mask_a": np.ascontiguousarray(pa).ravel(),
            "mask_b": np.ascontiguousarray(pb).ravel(), "offset": np.array(offset, np.int64)}


def collate(samples: list[dict[str, np.ndarray]]) -> dict[str, torch.Tensor]:
    """Stack samples (all of one window size) into a batch of tensors."""
    return {k: torch.from_numpy(np.stack([s[k] for s in samples])) for k in samples[0]}


def _in_order(src: PairSource, shard: int, shards: int):
    """Every pair of ``src`` in storage order, for ever (a streamed dataset: rows read once an epoch)."""
    pids = src.pids[shard::shards] or src.pids
    while True:
        for pid in pids:
            yield src.get(pid)


class PairStream(SeededStream):
    """An endless stream of augmented patch-ViT training samples.

    Random GT pairs; from a streamed dataset, the pairs in storage order through a shuffle buffer.
    """

    def samples(self, rng: np.random.Generator):
        src = PairSource(self.root, self.cfg.train_split, self.cfg.data.regions, self.cfg.frame_cache,
                         self.streaming)
        if src.ds.sequential:
            for item in shuffled(_in_order(src, *stream_shard(self.rank)), STREAM_BUFFER, rng):
                yield make_sample(*item, self.cfg, rng)
            return
        while True:
            pid = src.pids[int(rng.integers(len(src.pids)))]
            yield make_sample(*src.get(pid), self.cfg, rng)


def eval_samples(root: str | Sequence[str], split: str, cfg: VitTrainConfig, limit: int,
                 streaming: bool = False) -> list[dict[str, np.ndarray]]:
    """Whole-frame samples of ``limit`` GT pairs spread evenly over ``split`` (validation)."""
    src = PairSource(root, split, cfg.data.regions, cache=8, streaming=streaming)
    step = max(1, len(src.pids) // max(1, limit))
    return [make_sample(*src.get(pid), cfg, None) for pid in src.pids[::step][:limit]]
