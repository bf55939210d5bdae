"""Tiny PaintBucket-Character and AnimeRun folders in their exact on-disk layouts, for tests.

The PBC writer mimics BasicPBC: RGBA lines on transparent background (black outlines, a red
shading line in frame 1 that splits the body), ``seg`` = 4-connected components of non-line
pixels written as 3-channel RGB (segment 1 = background), ``label`` RGBA with -1 transparent
= (255, 255, 255, 0) and 0 on black lines, part ids the same in every frame, ``json_index``
[pixel count, majority part id], ``json_color`` RGBA per segment, ``gt`` colored from them.
The eye is closed (absent) in the last frame, so its segment is unmatched.

The AnimeRun writer: a segment map covering every pixel with ids 0..N-1 (raster order), black
contour on white where the part changes, an RGB colored frame, and forward matchings.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from dataprep.segment.closed_lines import connected_segments
from dataprep.segment.labelops import boundary_lines

#: part name -> PBC label id (> 255 for one, so the G channel is used).
PART_LABELS = {"body": 61, "head": 25, "arm": 300, "eye": 7}
PART_COLORS = {"body": (210, 93, 83), "head": (243, 229, 218), "arm": (120, 180, 60), "eye": (20, 30, 200)}
SHADOW = (150, 60, 50)  # color of the body part below the shading line


def part_map(size: int, t: int, eye: bool = True) -> np.ndarray:
    """``(size, size) int32`` part index (into PART_LABELS order) at frame ``t``, -1 = background."""
    ids = np.full((size, size), -1, np.int32)
    s, dx = size / 48, t  # parts move one pixel right per frame
    cv2.rectangle(ids, (int(14 * s) + dx, int(22 * s)), (int(30 * s) + dx, int(40 * s)), 0, -1)  # body
    cv2.circle(ids, (int(22 * s) + dx, int(14 * s)), int(7 * s), 1, -1)  # head
    cv2.rectangle(ids, (int(30 * s) + dx, int(24 * s) + t), (int(36 * s) + dx, int(28 * s) + t), 2, -1)  # arm
    if eye:
        cv2.rectangle(ids, (int(23 * s) + dx, int(11 * s)), (int(25 * s) + dx, int(13 * s)), 3, -1)  # eye
    return ids


def rgb_ids(ids: np.ndarray, alpha: bool) -> np.ndarray:
    """BasicPBC's np_2_labelpng: id -> RGB(A), -1 -> (255, 255, 255, 0)."""
    a = np.where(ids < 0, 0, ids).astype(np.int64)
    out = np.stack([(a >> 16) & 255, (a >> 8) & 255, a & 255] + ([np.full_like(a, 255)] if alpha else []), -1)
    out = out.astype(np.uint8)
    if alpha:
        out[ids < 0] = (255, 255, 255, 0)
    return out


def _png(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


def _json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))


def pbc_frame(size: int, t: int, frames: int, shading: bool) -> dict[str, np.ndarray | dict]:
    """Every PBC layer of one frame (arrays as BasicPBC stores them, JSON as dicts)."""
    names = list(PART_LABELS)
    ids = part_map(size, t, eye=t < frames - 1)
    ink = boundary_lines(ids)
    shade = np.zeros_like(ink)
    if shading:  # a red shading line across the body (colored lines are lines too)
        row = int(31 * size / 48)
        shade[row] = (ids[row] == 0) & ~ink[row]
    seg = connected_segments(ink | shade)  # BasicPBC: 4-connected components of non-line pixels
    labels = np.where(ids < 0, -1, np.array([PART_LABELS[n] for n in names])[np.maximum(ids, 0)])
    labels[ink] = 0
    index, colors = {}, {}
    gt = np.zeros((size, size, 4), np.uint8)
    for s in range(1, int(seg.max()) + 1):
        m = seg == s
        vals, cnt = np.unique(labels[m], return_counts=True)
        lab = int(vals[np.argmax(cnt)])
        index[str(s)] = [int(m.sum()), lab]
        part = ids[m][0]
        if part < 0:
            colors[str(s)] = [0, 0, 0, 0]
        else:
            below = shading and names[part] == "body" and np.argwhere(m)[0][0] > 31 * size / 48
            colors[str(s)] = list(SHADOW if below else PART_COLORS[names[part]]) + [255]
        gt[m] = colors[str(s)]
    gt[ink] = (0, 0, 0, 255)
    gt[shade] = PART_COLORS["body"] + (255,)
    line = np.zeros((size, size, 4), np.uint8)
    line[ink] = (0, 0, 0, 255)
    line[shade] = (255, 0, 0, 255)
    return {"line": line, "gt": gt, "seg": rgb_ids(seg, alpha=False), "label": rgb_ids(labels, alpha=True),
            "json_index": index, "json_color": colors}


def write_pbc_character(char: Path, frames: int = 3, size: int = 48, layout: str = "train") -> Path:
    """Write one character folder.

    ``layout``: "train" (line, gt, seg, label, json_color, json_index), "test" (line, gt, seg
    with seg/NNNN.json colors) or "real" (line, gt, seg).
    """
    for t in range(frames):
        fr = pbc_frame(size, t, frames, shading=(t == 1))
        stem = f"{t:04d}"
        for kind in ("line", "gt", "seg"):
            _png(char / kind / f"{stem}.png", fr[kind])
        if layout == "train":
            _png(char / "label" / f"{stem}.png", fr["label"])
            _json(char / "json_color" / f"{stem}.json", fr["json_color"])
            _json(char / "json_index" / f"{stem}.json", fr["json_index"])
        elif layout == "test":
            _json(char / "seg" / f"{stem}.json", fr["json_color"])
    return char


def write_pbc_root(root: Path, size: int = 48) -> Path:
    """A BasicPBC ``dataset/`` root: train/PaintBucket_Char/{Abe,Aj}, test/PaintBucket_Char/amy (test
    layout) and test/PaintBucket_Real/dog (real layout)."""
    write_pbc_character(root / "train" / "PaintBucket_Char" / "Abe", size=size)
    write_pbc_character(root / "train" / "PaintBucket_Char" / "Aj", frames=2, size=size)
    write_pbc_character(root / "test" / "PaintBucket_Char" / "amy", size=size, layout="test")
    write_pbc_character(root / "test" / "PaintBucket_Real" / "dog", frames=2, size=size, layout="real")
    return root


# ---------------------------------------------------------------------------------------------
# AnimeRun


def animerun_frame(size: int, t: int, frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(seg ids 0..N-1, part map, contour RGB, color RGB)`` of one frame.

    Parts: background 0, body 1, head 2, arm 3, eye 4 (absent in the last frame), and in frame
    1 a strap (part 5) that cuts the body in two.
    """
    ids = part_map(size, t, eye=t < frames - 1) + 1
    if t == 1:
        ids[int(30 * size / 48):int(32 * size / 48), :][ids[int(30 * size / 48):int(32 * size / 48), :] == 1] = 5
    seg = np.full(ids.shape, -1, np.int64)
    n = 0
    for p in np.unique(ids):
        lab = connected_segments(ids != p)  # the pieces of part p
        for k in range(1, int(lab.max()) + 1):
            seg[lab == k] = n
            n += 1
    # renumber in raster order of first pixel (AnimeRun's ids are contiguous; order is arbitrary)
    _, first = np.unique(seg.ravel(), return_index=True)
    order = np.argsort(np.argsort(first))
    seg = order[seg]
    contour = np.full((size, size, 3), 255, np.uint8)
    contour[boundary_lines(ids)] = 0
    palette = np.array([(255, 255, 255), (210, 93, 83), (243, 229, 218), (120, 180, 60), (20, 30, 200),
                        (90, 60, 30)], np.uint8)
    return seg, ids, contour, palette[ids]


def forward_matching(seg_a: np.ndarray, ids_a: np.ndarray, seg_b: np.ndarray, ids_b: np.ndarray) -> dict:
    """``{"<seg in a>": [segs in b with the same part]}`` or ``[-1]`` when the part is gone."""
    out = {}
    for s in range(int(seg_a.max()) + 1):
        part = ids_a[seg_a == s][0]
        targets = sorted(set(seg_b[ids_b == part].tolist()))
        out[str(s)] = targets or [-1]
    return out


def write_animerun_scene(sroot: Path, scene: str, frames: int = 3, size: int = 40, dtype=np.int32) -> None:
    """Write one scene under a split root (``sroot`` holds contour/, Frame_Anime/, ...)."""
    data = [animerun_frame(size, t, frames) for t in range(frames)]
    for t, (seg, ids, contour, color) in enumerate(data):
        stem = f"{t:04d}"
        (sroot / "Segment" / scene).mkdir(parents=True, exist_ok=True)
        np.save(sroot / "Segment" / scene / f"{stem}.npy", seg.astype(dtype))
        _png(sroot / "contour" / scene / f"{stem}.png", contour)
        _png(sroot / "Frame_Anime" / scene / "original" / f"{stem}.png", color)
        if t + 1 < frames:
            nseg, nids = data[t + 1][0], data[t + 1][1]
            _json(sroot / "SegMatching" / scene / "forward" / f"{stem}.json", forward_matching(seg, ids, nseg, nids))


def write_animerun_root(root: Path, splits: bool = True, size: int = 40) -> Path:
    """An AnimeRun root: with splits, train/{s1 (int32), s2 (int64)} and test/{s3}; else {s1}."""
    if splits:
        write_animerun_scene(root / "train", "s1", size=size)
        write_animerun_scene(root / "train", "s2", frames=2, size=size, dtype=np.int64)
        write_animerun_scene(root / "test", "s3", size=size, dtype=np.uint16)
    else:
        write_animerun_scene(root, "s1", size=size)
    return root


# ---------------------------------------------------------------------------------------------
# comparing folders


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def assert_same_tree(a: Path, b: Path) -> None:
    """Same files; PNGs with the same mode and pixels; JSON with the same values; others same bytes."""
    assert _files(a) == _files(b)
    for rel in _files(a):
        pa, pb = a / rel, b / rel
        if rel.endswith(".png"):
            ia, ib = Image.open(pa), Image.open(pb)
            assert ia.mode == ib.mode, rel
            assert np.array_equal(np.asarray(ia), np.asarray(ib)), rel
        elif rel.endswith(".json"):
            assert json.loads(pa.read_text()) == json.loads(pb.read_text()), rel
        else:
            assert pa.read_bytes() == pb.read_bytes(), rel
