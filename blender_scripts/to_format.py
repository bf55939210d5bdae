"""Raw renders of one sequence -> a clip of the project format (parent side: no bpy).

Per frame, from the exact part-id image (IndexOB) and the anti-aliased color render:

- line art = pixels where the id changes to the right or below (the background counts as an id),
  so lines enclose every segment exactly; with ``shadow_segments`` the lit/shadow tone boundary
  inside a part becomes a line too (AnT's grouping case: one part, several segments);
- segments = 4-connected components of non-line pixels (PBC's rule), numbered in raster order;
- pixel label map = part id, 0 on lines, -1 on the background (PBC convention);
- a segment's correspondence label = its part id (unique in the clip, the same in every frame);
  its color label = the part's color slot (non-unique: both eyes share one);
- the color image has the lines drawn on in black, like a cel.

Pairs with ground-truth matches come from the labels (:func:`dataprep.pairs.label_pair`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format.schema import ClipInfo
from dataprep.pairs import frame_pairs, label_pair
from dataprep.synthetic import closed_segments


@dataclass
class FrameLayers:
    """One converted frame; all ``(H, W)``."""

    line: np.ndarray  # uint8, 0 = ink, 255 = paper
    color: np.ndarray  # (H, W, 3) uint8 RGB, lines drawn black
    seg: np.ndarray  # int32, 0 = line, 1..N
    labels: np.ndarray  # int32 part id, 0 = line, -1 = background
    color_labels: dict[int, int]  # segment id -> color label (background segments absent)


def id_lines(key: np.ndarray, width: int = 1) -> np.ndarray:
    """``(H, W) bool`` ink where ``key`` changes to the right or below; dilated to ``width`` px."""
    from dataprep.synthetic import lines_from_ids

    return lines_from_ids(key, width)


def convert_frame(ids: np.ndarray, color: np.ndarray, part_color: dict[int, int], tone: np.ndarray | None = None,
                  line_width: int = 1) -> FrameLayers:
    """Turn one frame's raw renders into the format's layers.

    Args:
        ids: ``(H, W)`` uint16 part id per pixel, 0 = background.
        color: ``(H, W, 3)`` uint8 RGB render.
        part_color: part id -> color label.
        tone: optional ``(H, W)`` uint8 tone index (0 shadow, 1 base, 2 highlight).
    """
    ids = ids.astype(np.int32)
    key = ids if tone is None else ids * 4 + tone.astype(np.int32)
    ink = id_lines(key, line_width)
    seg = closed_segments(ink)
    labels = np.where(ink, 0, np.where(ids == 0, -1, ids)).astype(np.int32)
    # Lines are drawn at every id change, so each segment holds exactly one id: read it anywhere.
    sids, first = np.unique(seg.ravel(), return_index=True)
    seg_part = ids.ravel()[first]
    clabels = {int(s): int(part_color.get(int(p), -1)) for s, p in zip(sids, seg_part) if s > 0 and p > 0}
    col = color.copy()
    # Far from every part the render is pure white paper; border renders leave it black: repaint.
    near = cv2.dilate((ids > 0).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    col[~near] = 255
    col[ink] = 0
    line = np.where(ink, 0, 255).astype(np.uint8)
    return FrameLayers(line, col, seg, labels, clabels)


def read_raw_frame(raw: Path, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(ids, color, tone)`` of raw frame ``k`` (tone None when not rendered)."""
    ids_path, col_path = raw / f"ids_{k:04d}.npy", raw / f"color_{k:04d}.png"
    try:
        ids = np.load(ids_path)
    except (OSError, ValueError) as e:
        raise LinecorrError(f"cannot read raw id image ({e})", ids_path) from None
    bgr = cv2.imread(str(col_path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise LinecorrError("cannot read raw color render", col_path)
    tone_path = raw / f"tone_{k:04d}.npy"
    tone = np.load(tone_path) if tone_path.is_file() else None
    return ids, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), tone


def write_clip(writer, spec, raw: Path, gaps: tuple[int, ...], line_width: int = 1) -> ClipInfo:
    """Convert the raw renders of ``spec`` in ``raw`` into clip ``spec.clip`` of ``writer``.

    Writes every frame, the pairs for ``gaps`` (ground-truth matches from the part ids) and,
    last, ``clip.json`` (which marks the clip complete for resume).
    """
    info = json.loads((raw / "parts.json").read_text())
    part_color = {int(p["id"]): int(p["color_label"]) for p in info["parts"]}
    writer.begin_clip(spec.clip)
    fids = [f"{k:04d}" for k in range(spec.frames)]
    tables = {}
    for k, fid in enumerate(fids):
        ids, color, tone = read_raw_frame(raw, k)
        h, w = ids.shape
        fr = convert_frame(ids, color, part_color, tone, line_width)
        tables[fid] = writer.write_frame(spec.clip, fid, line=fr.line, seg=fr.seg, color=fr.color, labels=fr.labels,
                                         color_labels=fr.color_labels)
    for fa, fb, gap in frame_pairs(fids, tuple(gaps)):
        writer.write_pair(label_pair(spec.clip, fa, fb, tables[fa], tables[fb], source="render", gap=gap))
    meta = dict(info.get("meta", {}))
    meta.update(split=spec.split, character=spec.character, seq_seed=spec.seq_seed, step=spec.step,
                anim_frames=info.get("frames"), light=spec.light,
                parts=[{k: p[k] for k in ("id", "name", "slot", "color_label")} for p in info["parts"]],
                render_s_per_frame=_median(info.get("frame_s", [])))
    clip = ClipInfo(spec.clip, fids, int(w), int(h), has_color=True, has_labels=True,
                    source={"kind": "render", "family": spec.family, "model": spec.model or None}, meta=meta)
    writer.finish_clip(clip)
    return clip


def _median(xs: list[float]) -> float | None:
    return round(float(np.median(xs)), 4) if xs else None
