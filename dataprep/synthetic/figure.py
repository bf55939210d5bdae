"""Tiny coloured frames with known parts, for tests and the limb-motion check of the labeller.

``figure`` draws a flat-coloured character (legs, torso, a three-piece arm, head, eyes, pupils,
hair) with 1-px black outlines where the part changes; the arm can swing about the shoulder and
the whole figure can move, so a pair of figures has exact part correspondence. It is drawn by
:func:`dataprep.synthetic.character.draw_parts`, like the toy clips' character.
"""

from __future__ import annotations

import cv2
import numpy as np

from dataprep.segment.labelops import boundary_lines
from dataprep.synthetic.character import Part, draw_parts, rotate

#: part id -> RGB colour (0 = paper). The hand shares the head's skin colour on purpose.
PALETTE = {0: (255, 255, 255), 2: (60, 140, 70), 3: (50, 80, 200), 4: (200, 50, 50), 5: (230, 140, 40),
           6: (240, 200, 170), 7: (240, 200, 170), 8: (250, 250, 250), 9: (250, 250, 250), 10: (20, 20, 20),
           11: (20, 20, 20), 12: (120, 60, 30)}
PARTS = {2: "legs", 3: "torso", 4: "upper_arm", 5: "forearm", 6: "hand", 7: "head", 8: "eye_l", 9: "eye_r",
         10: "pupil_l", 11: "pupil_r", 12: "hair"}
ARM = (4, 5, 6)
_SHOULDER = (152.0, 92.0)  # the arm turns about this point (design pixels of a 256² frame)
#: (part id, ellipse centre and half axes) and (part id, polygon) in design pixels of a 256² frame.
_ELLIPSES = {2: ((128, 170), (22, 55)), 3: ((128, 120), (30, 40)), 7: ((128, 60), (26, 28)), 8: ((118, 55), (6, 7)),
             9: ((138, 55), (6, 7)), 10: ((119, 56), (2, 3)), 11: ((139, 56), (2, 3))}
_POLYGONS = {4: [(148, 90), (158, 90), (162, 130), (150, 132)], 5: [(150, 132), (162, 130), (166, 165), (154, 167)],
             6: [(152, 167), (168, 165), (170, 178), (160, 184), (150, 178)], 12: [(102, 45), (128, 28), (154, 45), (128, 38)]}
_ORDER = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)  # back to front


def figure_parts(size: int, arm_deg: float = 0.0, shift: tuple[float, float] = (0.0, 0.0)) -> list[Part]:
    """The figure's parts, back to front, as outlines in pixels of a ``size``² frame (the arm turned).

    Ellipses are OpenCV's ``ellipse2Poly`` at integer pixel centres and half axes (a point per 5°),
    so small figures keep their parts' proportions as drawn.
    """
    s = size / 256

    def px(pts) -> np.ndarray:
        return ((np.asarray(pts, np.float64) + shift) * s).round()

    parts = []
    for pid in _ORDER:
        if pid in _ELLIPSES:
            (c, ax) = _ELLIPSES[pid]
            centre = tuple(int(v) for v in px([c])[0])
            outline = cv2.ellipse2Poly(centre, (max(1, int(ax[0] * s)), max(1, int(ax[1] * s))), 0, 0, 360, 5)
        else:
            pts = np.asarray(_POLYGONS[pid], np.float64)
            outline = px(rotate(pts, np.deg2rad(arm_deg), _SHOULDER) if pid in ARM else pts)
        parts.append(Part(pid, outline.astype(np.float64)))
    return parts


def figure(size: int = 256, arm_deg: float = 0.0, shift: tuple[float, float] = (0.0, 0.0),
           line_width: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw the figure.

    Args:
        size: frame width and height in px (the drawing is designed at 256 and scaled).
        arm_deg: arm rotation about the shoulder in degrees (negative = up, counter-clockwise on screen).
        shift: translation of the whole figure in px at 256 scale.
        line_width: outline width in px (default: 1 px per 256 px of size).

    Returns:
        ``(rgb, parts, ink)``: ``(H, W, 3) uint8`` colours with black outlines, ``(H, W) int32``
        part id per pixel (0 = paper, see :data:`PARTS`), ``(H, W) bool`` outline pixels.
    """
    ids = draw_parts(figure_parts(size, arm_deg, shift), size, 1.0, (0.0, 0.0), background=0)
    rgb = np.zeros((size, size, 3), np.uint8)
    for k, c in PALETTE.items():
        rgb[ids == k] = c
    ink = boundary_lines(ids, line_width or max(1, round(size / 256)))
    rgb[ink] = 0
    return rgb, ids, ink


def part_of_regions(seg: np.ndarray, parts: np.ndarray) -> dict[int, int]:
    """``{region id: part id covering most of its pixels}`` for a region map of a :func:`figure`."""
    out = {}
    for r in np.unique(seg[seg > 0]).tolist():
        out[r] = int(np.bincount(parts[seg == r]).argmax())
    return out
