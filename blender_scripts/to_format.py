"""Raw renders of one sequence -> a clip of the project format (parent side: no bpy).

Per frame, from the exact part-id image (IndexOB) and the anti-aliased color render, in the
``exact`` line style (the others are drawn by :mod:`dataprep.linestyle`, see docs/LINE_STYLES.md):

- line art = pixels where the id changes to the right or below (the background counts as an id),
  so lines enclose every segment exactly; with ``shadow_segments`` the lit/shadow tone boundary
  inside a part becomes a line too (AnT's grouping case: one part, several segments);
- segments = 4-connected components of non-line pixels (PBC's rule), numbered in raster order;
- pixel label map = part id, 0 on lines, -1 on the background (PBC convention);
- a segment's correspondence label = its part id (unique in the clip, the same in every frame);
  its color label = the part's color slot (non-unique: both eyes share one);
- the color image has the lines drawn on in black, like a cel.

Pairs with ground-truth matches come from the labels (:func:`dataprep.pairs.label_pair`).

With part maps on (every drawn style, and the v2 benchmark's ``exact`` track), the frame also keeps
the exact part-id map (``parts/``): segments are what the drawing encloses, labelled by majority
part with their purity, and pairs carry the part-region matches of the raw-line task.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format.schema import ClipInfo
from dataprep.format.segtable import majority_labels
from dataprep.pairs import frame_pairs, label_pair
from dataprep.segment.closed_lines import connected_segments
from dataprep.segment.labelops import boundary_lines


@dataclass
class FrameLayers:
    """One converted frame; all ``(H, W)``."""

    line: np.ndarray  # uint8 0 = ink, 255 = paper; (H, W, 3) RGB when colored tone lines are drawn
    color: np.ndarray  # (H, W, 3) uint8 RGB, lines drawn as on a cel
    seg: np.ndarray  # int32, 0 = line, 1..N
    labels: np.ndarray  # int32 part id, 0 = line, -1 = background
    color_labels: dict[int, int]  # segment id -> color label (background segments absent)
    parts: np.ndarray | None = None  # int32 exact part id (-1 = background), with part maps on


def convert_frame(ids: np.ndarray, color: np.ndarray, part_color: dict[int, int], tone: np.ndarray | None = None,
                  line_width: int = 1, style: str = "exact", lines=None, pen=None,
                  rng: np.random.Generator | None = None, part_maps: bool = False) -> FrameLayers:
    """Turn one frame's raw renders into the format's layers, its lines drawn in ``style``.

    Args:
        ids: ``(H, W)`` uint16 part id per pixel, 0 = background.
        color: ``(H, W, 3)`` uint8 RGB render.
        part_color: part id -> color label.
        tone: optional ``(H, W)`` uint8 tone index (0 shadow, 1 base, 2 highlight).
        line_width: ``exact`` style only: line thickness in px.
        style: line style (:data:`dataprep.linestyle.STYLES`); lines: its
            :class:`~dataprep.linestyle.LineStyleConfig`; pen: the clip's pen; rng: this frame's generator.
        part_maps: also return the exact part map (segments then carry their purity).
    """
    from dataprep.linestyle import LineStyleConfig, clip_pen, draw_frame, drawing_segments, part_map, pixel_labels

    ids = ids.astype(np.int32)
    if style == "exact" and not part_maps:
        # Format 1.0 output, byte for byte what the v1 benchmark was rendered with.
        key = ids if tone is None else ids * 4 + tone.astype(np.int32)
        ink = boundary_lines(key, line_width)
        seg = connected_segments(ink)
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
    lines = lines or LineStyleConfig()
    rng = rng if rng is not None else np.random.default_rng(0)
    drawing = draw_frame(style, ids, color, tone, part_color, lines, pen or clip_pen(lines, rng), rng)
    seg = drawing_segments(drawing, lines)
    parts = part_map(ids)
    labels = pixel_labels(seg, parts)
    sids = np.unique(seg[seg > 0])
    seg_part, _ = majority_labels(seg.ravel().astype(np.int64), labels.ravel().astype(np.int64), sids)
    clabels = {int(s): int(part_color.get(int(p), -1)) for s, p in zip(sids.tolist(), seg_part.tolist()) if p > 0}
    return FrameLayers(drawing.line, drawing.color, seg, labels, clabels, parts if part_maps else None)


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


def write_clip(writer, spec, raw: Path, cfg) -> list[ClipInfo]:
    """Convert the raw renders of ``spec`` in ``raw`` into its clips of ``writer`` (one per line style).

    Writes every frame, the pairs for ``cfg.gaps`` (ground-truth matches from the part ids, and the
    part-region matches with ``cfg.part_maps``) and, last, ``clip.json`` (which marks the clip
    complete for resume). Clips already complete are skipped.
    """
    from blender_scripts.plan import clip_styles

    info = json.loads((raw / "parts.json").read_text())
    part_color = {int(p["id"]): int(p["color_label"]) for p in info["parts"]}
    return [_write_style_clip(writer, spec, raw, cfg, info, part_color, clip, style)
            for clip, style in clip_styles(cfg, spec) if not writer.clip_done(clip)]


def _write_style_clip(writer, spec, raw: Path, cfg, info: dict, part_color: dict[int, int], clip: str,
                      style: str) -> ClipInfo:
    from dataprep.format.regions import match_regions, part_regions, region_parts
    from dataprep.linestyle import STYLES, clip_pen

    writer.begin_clip(clip)
    fids = [f"{k:04d}" for k in range(spec.frames)]
    tables, parts = {}, {}
    sidx = STYLES.index(style)
    # Seeds: the pen is the character's (same in every style's clip), strokes are new in every frame.
    pen = clip_pen(cfg.lines, np.random.default_rng([spec.char_seed, 5]))
    for k, fid in enumerate(fids):
        ids, color, tone = read_raw_frame(raw, k)
        h, w = ids.shape
        fr = convert_frame(ids, color, part_color, tone, cfg.line_width, style, cfg.lines, pen,
                           np.random.default_rng([spec.seq_seed, k, sidx]), cfg.part_maps)
        tables[fid] = writer.write_frame(clip, fid, line=fr.line, seg=fr.seg, color=fr.color, labels=fr.labels,
                                         color_labels=fr.color_labels, parts=fr.parts)
        if fr.parts is not None:  # each region's part, for the pairs' part-region matches
            parts[fid] = region_parts(part_regions(fr.parts), fr.parts)
    for fa, fb, gap in frame_pairs(fids, tuple(cfg.gaps)):
        pair = label_pair(clip, fa, fb, tables[fa], tables[fb], source="render", gap=gap)
        if cfg.part_maps:
            pair.region_matches = match_regions(parts[fa], parts[fb])
        writer.write_pair(pair)
    meta = dict(info.get("meta", {}))
    meta.update(split=spec.split, character=spec.character, seq_seed=spec.seq_seed, step=spec.step,
                anim_frames=info.get("frames"), light=spec.light,
                parts=[{k: p[k] for k in ("id", "name", "slot", "color_label")} for p in info["parts"]],
                render_s_per_frame=_median(info.get("frame_s", [])))
    if cfg.part_maps or style != "exact":
        meta.update(line_style=style, pen=round(pen.pen, 4), antialias=pen.antialias if style == "clean" else None)
    clip_info = ClipInfo(clip, fids, int(w), int(h), has_color=True, has_labels=True,
                         source={"kind": "render", "family": spec.family, "model": spec.model or None}, meta=meta)
    writer.finish_clip(clip_info)
    return clip_info


def _median(xs: list[float]) -> float | None:
    return round(float(np.median(xs)), 4) if xs else None
