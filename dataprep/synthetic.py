"""Procedural 2-D toy clips with exact ground truth, for tests and the built-in demo.

A "toy character" is a stack of flat parts (ellipses and polygons, a unique id each) drawn in
depth order; parts move, rotate and swing between frames, so limbs occlude the body. Line art is
drawn exactly where the part id changes, so lines enclose every segment; the segment map is the
4-connected components of non-line pixels (PBC's rule) and each segment's correspondence label
is its part id. This is not a substitute for the Blender renderer (blender_scripts/): it needs
nothing but numpy and OpenCV and runs in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from dataprep.format.schema import ClipInfo


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


# (name, kind, color slot, depth): color slots are shared (both eyes one color), as in animation.
_PARTS = [
    ("leg_l", "ell", 0, 1), ("leg_r", "ell", 0, 1), ("body", "ell", 1, 2), ("belt", "poly", 2, 3),
    ("head", "ell", 3, 4), ("hair", "poly", 4, 5), ("eye_l", "ell", 5, 6), ("eye_r", "ell", 5, 6),
    ("pupil_l", "ell", 6, 7), ("pupil_r", "ell", 6, 7), ("mouth", "ell", 7, 7),
    ("arm_l", "ell", 8, 8), ("arm_r", "ell", 8, 0), ("hat", "poly", 9, 9),
]


def _rot(pts: np.ndarray, ang: float, c: np.ndarray) -> np.ndarray:
    ca, sa = np.cos(ang), np.sin(ang)
    return (pts - c) @ np.array([[ca, sa], [-sa, ca]]) + c


def _part_geometry(rng: np.random.Generator) -> dict[str, dict]:
    """Rest pose of every part in unit coordinates (character centred at 0, height ~1)."""
    s = rng.uniform(0.85, 1.15, size=8)
    g = {
        "body": dict(c=(0, 0.05), ax=(0.17 * s[0], 0.24 * s[1])),
        "belt": dict(poly=[(-0.17 * s[0], 0.08), (0.17 * s[0], 0.08), (0.16 * s[0], 0.13), (-0.16 * s[0], 0.13)]),
        "head": dict(c=(0, -0.33), ax=(0.16 * s[2], 0.15 * s[2])),
        "hair": dict(poly=[(-0.16 * s[2], -0.36), (0, -0.52 * s[3]), (0.16 * s[2], -0.36), (0, -0.42)]),
        "eye_l": dict(c=(-0.06, -0.34), ax=(0.035, 0.045)), "eye_r": dict(c=(0.06, -0.34), ax=(0.035, 0.045)),
        "pupil_l": dict(c=(-0.055, -0.335), ax=(0.015, 0.02)), "pupil_r": dict(c=(0.065, -0.335), ax=(0.015, 0.02)),
        "mouth": dict(c=(0, -0.25), ax=(0.05 * s[4], 0.015)),
        "arm_l": dict(c=(-0.23 * s[0], 0.02), ax=(0.05, 0.2 * s[5]), pivot=(-0.18 * s[0], -0.15)),
        "arm_r": dict(c=(0.23 * s[0], 0.02), ax=(0.05, 0.2 * s[5]), pivot=(0.18 * s[0], -0.15)),
        "leg_l": dict(c=(-0.08, 0.33), ax=(0.06, 0.17 * s[6]), pivot=(-0.08, 0.2)),
        "leg_r": dict(c=(0.08, 0.33), ax=(0.06, 0.17 * s[6]), pivot=(0.08, 0.2)),
        "hat": dict(poly=[(-0.2, -0.47), (0.2, -0.47), (0.08, -0.6 * s[7]), (-0.08, -0.6 * s[7])]),
    }
    return g


def _render_ids(geom: dict, t: float, size: int, motion: float, phase: np.ndarray) -> np.ndarray:
    """Rasterise every part at time ``t`` into ``(size, size) int32`` part ids (-1 = background)."""
    ids = np.full((size, size), -1, np.int32)
    scale = size * 0.7 * (1 + 0.08 * motion * np.sin(0.5 * t + phase[0]))
    offset = np.array([size / 2 + 0.08 * size * motion * np.sin(0.4 * t + phase[1]), size / 2 + 0.03 * size])
    swing = {"arm_l": 0.9 * np.sin(t + phase[2]), "arm_r": -0.9 * np.sin(t + phase[2]) - 0.6,
             "leg_l": 0.35 * np.sin(t), "leg_r": -0.35 * np.sin(t)}
    tilt = 0.12 * motion * np.sin(0.7 * t + phase[3])
    order = sorted(range(len(_PARTS)), key=lambda i: _PARTS[i][3])
    for i in order:
        name, kind, _, _ = _PARTS[i]
        part = geom[name]
        if kind == "ell":
            ang = np.linspace(0, 2 * np.pi, 48, endpoint=False)
            pts = np.stack([part["c"][0] + part["ax"][0] * np.cos(ang), part["c"][1] + part["ax"][1] * np.sin(ang)], 1)
        else:
            pts = np.asarray(part["poly"], np.float64)
        if name in swing:
            pts = _rot(pts, motion * swing[name], np.asarray(part["pivot"]))
        if name.startswith(("head", "hair", "eye", "pupil", "mouth", "hat")):
            pts = _rot(pts, tilt, np.array([0.0, -0.2]))
        px = np.round(pts * scale + offset).astype(np.int32)
        cv2.fillPoly(ids, [px], color=int(i + 1))
    return ids


def lines_from_ids(ids: np.ndarray, width: int = 1) -> np.ndarray:
    """``(H, W) bool`` ink where the id changes to the right or below (closed outlines), ``width`` px."""
    ink = np.zeros(ids.shape, bool)
    ink[:, :-1] |= ids[:, :-1] != ids[:, 1:]
    ink[:-1, :] |= ids[:-1, :] != ids[1:, :]
    if width > 1:
        ink = cv2.dilate(ink.astype(np.uint8), np.ones((width, width), np.uint8)).astype(bool)
    return ink


def closed_segments(ink: np.ndarray) -> np.ndarray:
    """4-connected components of non-ink pixels, numbered 1..N in raster order; 0 = ink."""
    n, lab = cv2.connectedComponents((~ink).astype(np.uint8), connectivity=4, ltype=cv2.CV_32S)
    # cv2 numbers in raster order of first pixel already; keep 0 for ink.
    return lab.astype(np.int32)


def make_toy_clip(cfg: ToyConfig) -> tuple[list[ToyFrame], dict[int, int]]:
    """Generate one clip.

    Returns:
        ``(frames, palette)``: the frames, and color label -> RGB packed as int (for reference).
    """
    rng = np.random.default_rng(cfg.seed)
    geom = _part_geometry(rng)
    palette = rng.integers(40, 250, size=(10, 3), dtype=np.int32)
    phase = rng.uniform(0, 2 * np.pi, size=4)
    part_colors = {i + 1: _PARTS[i][2] for i in range(len(_PARTS))}
    frames = []
    for k in range(cfg.frames):
        ids = _render_ids(geom, 0.5 * k, cfg.size, cfg.motion, phase)
        ink = lines_from_ids(ids, cfg.line_width)
        seg = closed_segments(ink)
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
