"""Procedural 2-D toy clips with exact ground truth, for tests and the built-in demo.

Each clip is the toy character (:mod:`dataprep.synthetic.character`) moving over a few frames, so
limbs occlude the body. Line art is drawn exactly where the part id changes, so lines enclose
every segment; the segment map is the 4-connected components of non-line pixels (PBC's rule) and
each segment's correspondence label is its part id. This is not a substitute for the Blender
renderer (blender_scripts/): it needs nothing but numpy and OpenCV and runs in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dataprep.format.schema import ClipInfo
from dataprep.segment.closed_lines import connected_segments
from dataprep.segment.labelops import boundary_lines
from dataprep.synthetic.character import toy_character, toy_color_slots, toy_ids


@dataclass
class ToyConfig:
    """Settings of :func:`make_toy_clip`."""

    size: int = 256  # frame width and height in pixels
    frames: int = 6  # frames per clip
    line_width: int = 1  # line thickness in pixels (1 = exact id boundaries)
    motion: float = 1.0  # motion amplitude multiplier (0 = still)
    seed: int = 0  # random seed: palette, proportions, motion


@dataclass
class ToyFrame:
    """One generated frame. Shapes ``(H, W)``; ``color`` is ``(H, W, 3) uint8``."""

    line: np.ndarray  # uint8, 0 = ink, 255 = paper
    color: np.ndarray  # uint8 RGB, flat part colors, black lines
    seg: np.ndarray  # int32, 0 = line, 1..N (4-connected components of non-line pixels)
    labels: np.ndarray  # int32 pixel label map: part id >= 1, 0 = line, -1 = background
    part_colors: dict[int, int] = field(default_factory=dict)  # part id -> color label


def make_toy_clip(cfg: ToyConfig) -> tuple[list[ToyFrame], dict[int, int]]:
    """Generate one clip.

    Returns:
        ``(frames, palette)``: the frames, and color label -> RGB packed as int (for reference).
    """
    rng = np.random.default_rng(cfg.seed)
    parts = toy_character(rng)
    palette = rng.integers(40, 250, size=(10, 3), dtype=np.int32)
    phase = rng.uniform(0, 2 * np.pi, size=4)
    part_colors = toy_color_slots()
    frames = []
    for k in range(cfg.frames):
        ids = toy_ids(parts, 0.5 * k, cfg.size, cfg.motion, phase)
        ink = boundary_lines(ids, cfg.line_width)
        seg = connected_segments(ink)
        labels = np.where(ink, 0, ids).astype(np.int32)
        color = np.full(ids.shape + (3,), 255, np.uint8)
        for pid, slot in part_colors.items():
            color[ids == pid] = palette[slot]
        color[ink] = 0
        line = np.where(ink, 0, 255).astype(np.uint8)
        frames.append(ToyFrame(line, color, seg, labels, part_colors))
    return frames, {s: int((c[0] << 16) | (c[1] << 8) | c[2]) for s, c in enumerate(palette)}


def write_toy_dataset(out, clips: int = 3, cfg: ToyConfig | None = None, gaps: tuple[int, ...] = (1,),
                      overwrite: bool = True, progress=None) -> Path:
    """Write ``clips`` toy clips as a dataset (splits train/val/test by clip) and return its path."""
    from dataprep.format.writer import DatasetWriter, make_producer
    from dataprep.pairs import frame_pairs, label_pair

    cfg = cfg or ToyConfig()
    w = DatasetWriter(out, name="linecorr-toy", producer=make_producer("toy", {"clips": clips, **cfg.__dict__}),
                      overwrite=overwrite, description="Procedural 2-D toy clips with exact ground truth.",
                      license="CC0-1.0")
    names = [f"toy{i:03d}" for i in range(clips)]
    loop = progress(names) if progress else names
    for i, name in enumerate(loop):
        if w.clip_done(name):
            continue
        w.begin_clip(name)
        frames, _ = make_toy_clip(ToyConfig(**{**cfg.__dict__, "seed": cfg.seed + i}))
        fids = [f"{k:04d}" for k in range(len(frames))]
        tables = {}
        for fid, fr in zip(fids, frames):
            tables[fid] = w.write_frame(name, fid, line=fr.line, seg=fr.seg, color=fr.color, labels=fr.labels,
                                        color_labels=None)
        for fa, fb, gap in frame_pairs(fids, gaps):
            w.write_pair(label_pair(name, fa, fb, tables[fa], tables[fb], source="render", gap=gap))
        w.finish_clip(ClipInfo(name, fids, cfg.size, cfg.size, has_color=True, has_labels=True,
                               source={"kind": "toy", "seed": cfg.seed + i}))
    n = len(names)
    test = names[-max(1, n // 5):] if n >= 3 else []
    val = names[-2 * max(1, n // 5):-max(1, n // 5)] if n >= 3 else []
    w.set_splits({"train": [c for c in names if c not in test + val], "val": val, "test": test})
    return Path(w.commit())
