"""A contact sheet of one frame in every line style: the color frame and each drawing side by side.

Row 1 shows the whole character (scaled to ``cell`` px), row 2 a 1:1 crop of the same spot in every
style, enlarged ``zoom`` times with nearest-neighbour so single pixels, anti-aliasing and colored
tone lines stay visible. Clips of one character in several styles are named ``<base>-<style>``
(``linecorr render --line-style a,b,...``).
"""

from __future__ import annotations

import cv2
import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format import Dataset
from dataprep.linestyle import STYLES


def style_clips(ds: Dataset, clip: str) -> dict[str, str]:
    """``{style: clip id}`` of the character of ``clip`` (a ``<base>-<style>`` id or the base itself)."""
    base = next((clip[: -len(s) - 1] for s in STYLES if clip.endswith("-" + s)), clip)
    out = {s: f"{base}-{s}" for s in STYLES if f"{base}-{s}" in ds.clip_ids}
    if not out and clip in ds.clip_ids:
        out = {ds.clip(clip).meta.get("line_style", "exact"): clip}
    if not out:
        raise LinecorrError(f"no clip {clip!r} (nor {base}-<style>) in the dataset", ds.root)
    return out


def _rgb(line: np.ndarray) -> np.ndarray:
    if line.ndim == 2:
        return np.dstack([line] * 3)
    if line.shape[2] == 4:  # over white
        a = line[..., 3:4].astype(np.float32) / 255.0
        return np.round(line[..., :3] * a + 255 * (1 - a)).astype(np.uint8)
    return line[..., :3]


def _label(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 3, cv2.LINE_AA)
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def contact_sheet(ds: Dataset, clip: str, frame: str, cell: int = 320, crop: int = 96, zoom: int = 3) -> np.ndarray:
    """``(H, W, 3) uint8`` the sheet of ``frame`` of every style clip of ``clip`` (module docstring)."""
    clips = style_clips(ds, clip)
    frames = {s: ds.load_frame(c, frame) for s, c in clips.items()}
    first = next(iter(frames.values()))
    color = first.color if first.color is not None else np.full(first.line.shape + (3,), 255, np.uint8)
    if "extracted" in frames and frames["extracted"].color is not None:  # the frame without drawn lines
        color = frames["extracted"].color
    panels = [("color", color)] + [(s, _rgb(f.line_raw)) for s, f in frames.items()]
    ink = first.line < 128
    ys, xs = np.nonzero(ink) if ink.any() else (np.array([0, ink.shape[0] - 1]), np.array([0, ink.shape[1] - 1]))
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    side = max(y1 - y0, x1 - x0)
    cy, cx = (y0 + y1) // 2, (x0 + x1) // 2
    h, w = ink.shape
    sy, sx = max(0, min(h - side, cy - side // 2)), max(0, min(w - side, cx - side // 2))
    # The 1:1 crop: the densest patch of ink (most detail), found on a coarse grid.
    dens = cv2.boxFilter(ink.astype(np.float32), -1, (crop, crop))
    py, px = np.unravel_index(np.argmax(dens), dens.shape)
    py, px = int(np.clip(py - crop // 2, 0, h - crop)), int(np.clip(px - crop // 2, 0, w - crop))
    top, bottom = [], []
    for name, img in panels:
        full = cv2.resize(img[sy:sy + side, sx:sx + side], (cell, cell), interpolation=cv2.INTER_AREA)
        top.append(_label(full, name))
        zoomed = cv2.resize(img[py:py + crop, px:px + crop], (crop * zoom, crop * zoom), interpolation=cv2.INTER_NEAREST)
        bottom.append(_label(cv2.resize(zoomed, (cell, cell), interpolation=cv2.INTER_NEAREST), f"{name} 1:1 x{zoom}"))
    sep = np.full((cell, 4, 3), 200, np.uint8)
    row = lambda cells: np.concatenate([c for cell_ in cells for c in (cell_, sep)][:-1], axis=1)
    return np.concatenate([row(top), np.full((4, row(top).shape[1], 3), 200, np.uint8), row(bottom)], axis=0)
