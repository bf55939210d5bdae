"""Flat 2-D characters drawn into part-id maps: the one drawing routine of the toy data, and the toy character.

A character is a list of :class:`Part` in depth order (later parts cover earlier ones), each an
outline polygon in design units; a *pose* turns groups of parts about their pivots (an arm swings
about its shoulder), then the whole drawing is scaled and moved into pixels and filled with
OpenCV. :func:`draw_parts` is all the toy generators share: the toy clips (:mod:`.clips`), the
labeller's test figure (:mod:`.figure`) and the bpy-free stand-in renderer
(``blender_scripts/fake_render.py``) draw their characters with it.

:data:`TOY_PARTS` / :func:`toy_ids` is the toy character: legs, body, belt, head, hair, eyes,
pupils, mouth, two swinging arms and a hat, with per-character proportions and a motion over time
(walk-like swings, a sway, a head tilt) so limbs occlude the body.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Part:
    """One filled part of a character."""

    id: int  # value painted into the id map (> 0)
    outline: np.ndarray  # (K, 2) float64 polygon [x, y] in design units
    group: str = ""  # parts of one group turn together in a pose ("" = never turns)
    pivot: tuple[float, float] = (0.0, 0.0)  # [x, y] design units the group turns about


def rotate(points: np.ndarray, angle: float, pivot) -> np.ndarray:
    """``(K, 2)`` points turned by ``angle`` radians about ``pivot`` (x right, y down: positive turns +x to +y)."""
    c, s = np.cos(angle), np.sin(angle)
    p = np.asarray(pivot, np.float64)
    return (points - p) @ np.array([[c, s], [-s, c]]) + p


def ellipse(centre, axes, points: int = 48) -> np.ndarray:
    """``(points, 2) float64`` outline of an axis-aligned ellipse (design units)."""
    t = np.linspace(0, 2 * np.pi, points, endpoint=False)
    return np.stack([centre[0] + axes[0] * np.cos(t), centre[1] + axes[1] * np.sin(t)], 1)


def draw_parts(parts: list[Part], size: int, scale: float, offset, turns: dict[str, float] | None = None,
               background: int = -1, dtype=np.int32) -> np.ndarray:
    """Fill every part, in order, into a ``(size, size)`` id map.

    Args:
        parts: the character, back to front.
        size: side of the square map in pixels.
        scale: pixels per design unit.
        offset: ``[x, y]`` pixels the design origin lands on.
        turns: ``{group: radians}`` of the pose; groups not named stay as designed.
        background: id of pixels no part covers.
        dtype: dtype of the map.

    Returns:
        ``(size, size)`` ids: each pixel the id of the front-most part covering it.
    """
    turns = turns or {}
    ids = np.full((size, size), background, dtype)
    off = np.asarray(offset, np.float64)
    for part in parts:
        pts = part.outline
        if part.group in turns:
            pts = rotate(pts, turns[part.group], part.pivot)
        cv2.fillPoly(ids, [np.round(pts * scale + off).astype(np.int32)], color=int(part.id))
    return ids


# ---- the toy character ---------------------------------------------------------------------------

#: (name, shape, color slot, depth) of each toy part; its id is its index + 1. Color slots are shared
#: (both eyes one color), as in animation.
TOY_PARTS = [
    ("leg_l", "ell", 0, 1), ("leg_r", "ell", 0, 1), ("body", "ell", 1, 2), ("belt", "poly", 2, 3),
    ("head", "ell", 3, 4), ("hair", "poly", 4, 5), ("eye_l", "ell", 5, 6), ("eye_r", "ell", 5, 6),
    ("pupil_l", "ell", 6, 7), ("pupil_r", "ell", 6, 7), ("mouth", "ell", 7, 7),
    ("arm_l", "ell", 8, 8), ("arm_r", "ell", 8, 0), ("hat", "poly", 9, 9),
]
#: Parts that tilt with the head, about the neck.
_HEAD = ("head", "hair", "eye", "pupil", "mouth", "hat")
_NECK = (0.0, -0.2)


def toy_character(rng: np.random.Generator) -> list[Part]:
    """The toy character with proportions drawn from ``rng``, back to front (design units: centred at 0, height ~1)."""
    s = rng.uniform(0.85, 1.15, size=8)
    geom = {
        "body": {"c": (0, 0.05), "ax": (0.17 * s[0], 0.24 * s[1])},
        "belt": {"poly": [(-0.17 * s[0], 0.08), (0.17 * s[0], 0.08), (0.16 * s[0], 0.13), (-0.16 * s[0], 0.13)]},
        "head": {"c": (0, -0.33), "ax": (0.16 * s[2], 0.15 * s[2])},
        "hair": {"poly": [(-0.16 * s[2], -0.36), (0, -0.52 * s[3]), (0.16 * s[2], -0.36), (0, -0.42)]},
        "eye_l": {"c": (-0.06, -0.34), "ax": (0.035, 0.045)}, "eye_r": {"c": (0.06, -0.34), "ax": (0.035, 0.045)},
        "pupil_l": {"c": (-0.055, -0.335), "ax": (0.015, 0.02)}, "pupil_r": {"c": (0.065, -0.335), "ax": (0.015, 0.02)},
        "mouth": {"c": (0, -0.25), "ax": (0.05 * s[4], 0.015)},
        "arm_l": {"c": (-0.23 * s[0], 0.02), "ax": (0.05, 0.2 * s[5]), "pivot": (-0.18 * s[0], -0.15)},
        "arm_r": {"c": (0.23 * s[0], 0.02), "ax": (0.05, 0.2 * s[5]), "pivot": (0.18 * s[0], -0.15)},
        "leg_l": {"c": (-0.08, 0.33), "ax": (0.06, 0.17 * s[6]), "pivot": (-0.08, 0.2)},
        "leg_r": {"c": (0.08, 0.33), "ax": (0.06, 0.17 * s[6]), "pivot": (0.08, 0.2)},
        "hat": {"poly": [(-0.2, -0.47), (0.2, -0.47), (0.08, -0.6 * s[7]), (-0.08, -0.6 * s[7])]},
    }
    parts = []
    for i in sorted(range(len(TOY_PARTS)), key=lambda i: TOY_PARTS[i][3]):  # back to front
        name, kind, _, _ = TOY_PARTS[i]
        g = geom[name]
        outline = ellipse(g["c"], g["ax"]) if kind == "ell" else np.asarray(g["poly"], np.float64)
        if "pivot" in g:
            parts.append(Part(i + 1, outline, name, tuple(g["pivot"])))
        else:
            parts.append(Part(i + 1, outline, "head" if name.startswith(_HEAD) else "", _NECK))
    return parts


def toy_color_slots() -> dict[int, int]:
    """``{part id: color slot}`` of the toy character."""
    return {i + 1: TOY_PARTS[i][2] for i in range(len(TOY_PARTS))}


def toy_ids(parts: list[Part], t: float, size: int, motion: float, phase: np.ndarray,
            background: int = -1, dtype=np.int32) -> np.ndarray:
    """The toy character at time ``t``.

    Args:
        parts: :func:`toy_character`.
        t: time (0.5 per frame of a toy clip).
        size: side of the square frame in pixels.
        motion: amplitude of every movement (0 = still).
        phase: ``(4,)`` radians offsetting the sway, drift, arm swing and head tilt (per clip).
        background: id of the pixels no part covers.
        dtype: dtype of the map.

    Returns:
        ``(size, size)`` part ids (:data:`TOY_PARTS` index + 1), ``background`` elsewhere.
    """
    scale = size * 0.7 * (1 + 0.08 * motion * np.sin(0.5 * t + phase[0]))
    offset = (size / 2 + 0.08 * size * motion * np.sin(0.4 * t + phase[1]), size / 2 + 0.03 * size)
    turns = {"arm_l": 0.9 * np.sin(t + phase[2]), "arm_r": -0.9 * np.sin(t + phase[2]) - 0.6,
             "leg_l": 0.35 * np.sin(t), "leg_r": -0.35 * np.sin(t)}
    turns = {g: motion * a for g, a in turns.items()}
    turns["head"] = 0.12 * motion * np.sin(0.7 * t + phase[3])
    return draw_parts(parts, size, scale, offset, turns, background, dtype)
