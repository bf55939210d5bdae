"""Tiny coloured frames with known parts, for tests and the limb-motion check of the labeller.

``figure`` draws a flat-coloured character (legs, torso, a three-piece arm, head, eyes, pupils,
hair) with 1-px black outlines where the part changes; the arm can swing about the shoulder and
the whole figure can move, so a pair of figures has exact part correspondence.
"""

from __future__ import annotations

import cv2
import numpy as np

from dataprep.synthetic import lines_from_ids

#: part id -> RGB colour (0 = paper). The hand shares the head's skin colour on purpose.
PALETTE = {0: (255, 255, 255), 2: (60, 140, 70), 3: (50, 80, 200), 4: (200, 50, 50), 5: (230, 140, 40),
           6: (240, 200, 170), 7: (240, 200, 170), 8: (250, 250, 250), 9: (250, 250, 250), 10: (20, 20, 20),
           11: (20, 20, 20), 12: (120, 60, 30)}
PARTS = {2: "legs", 3: "torso", 4: "upper_arm", 5: "forearm", 6: "hand", 7: "head", 8: "eye_l", 9: "eye_r",
         10: "pupil_l", 11: "pupil_r", 12: "hair"}
ARM = (4, 5, 6)


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
    ids = np.zeros((size, size), np.int32)
    s = size / 256

    def px(pts) -> np.ndarray:
        return ((np.asarray(pts, np.float64) + shift) * s).round().astype(np.int32)

    def ell(c, ax) -> np.ndarray:
        return cv2.ellipse2Poly(tuple(int(v) for v in px([c])[0]), (max(1, int(ax[0] * s)), max(1, int(ax[1] * s))),
                                0, 0, 360, 5)

    shoulder = np.array([152.0, 92.0])
    a = np.deg2rad(arm_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])

    def arm(pts) -> np.ndarray:
        return px((np.asarray(pts, np.float64) - shoulder) @ rot.T + shoulder)

    cv2.fillPoly(ids, [ell((128, 170), (22, 55))], 2)
    cv2.fillPoly(ids, [ell((128, 120), (30, 40))], 3)
    cv2.fillPoly(ids, [arm([(148, 90), (158, 90), (162, 130), (150, 132)])], 4)
    cv2.fillPoly(ids, [arm([(150, 132), (162, 130), (166, 165), (154, 167)])], 5)
    cv2.fillPoly(ids, [arm([(152, 167), (168, 165), (170, 178), (160, 184), (150, 178)])], 6)
    cv2.fillPoly(ids, [ell((128, 60), (26, 28))], 7)
    cv2.fillPoly(ids, [ell((118, 55), (6, 7))], 8)
    cv2.fillPoly(ids, [ell((138, 55), (6, 7))], 9)
    cv2.fillPoly(ids, [ell((119, 56), (2, 3))], 10)
    cv2.fillPoly(ids, [ell((139, 56), (2, 3))], 11)
    cv2.fillPoly(ids, [px([(102, 45), (128, 28), (154, 45), (128, 38)])], 12)
    rgb = np.zeros((size, size, 3), np.uint8)
    for k, c in PALETTE.items():
        rgb[ids == k] = c
    ink = lines_from_ids(ids, line_width or max(1, round(s)))
    rgb[ink] = 0
    return rgb, ids, ink


def part_of_regions(seg: np.ndarray, parts: np.ndarray) -> dict[int, int]:
    """``{region id: part id covering most of its pixels}`` for a region map of a :func:`figure`."""
    out = {}
    for r in np.unique(seg[seg > 0]).tolist():
        out[r] = int(np.bincount(parts[seg == r]).argmax())
    return out
