"""Camera placement and moves (pan, zoom, slight roll) for a sequence.

The camera frames the union of the character's bounding boxes over the whole clip, then moves:
a pan pushes part of the character out of frame and brings it back, a zoom goes in to a close-up
(hands and feet leave the frame) and out again, a roll tilts the horizon a few degrees.
"""

from __future__ import annotations

import math

import bpy
import numpy as np

from blender_scripts.scene import world_bounds

LENS = 50.0  # mm on a 36 mm sensor: a natural perspective
HALF_FOV = math.atan(18.0 / LENS)


def clip_bounds(scene: bpy.types.Scene, objects, frames: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Union of world bounds over ``frames`` (every few frames is enough: motion is smooth)."""
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for f in frames:
        scene.frame_set(f)
        a, b = world_bounds(objects, scene)
        lo, hi = np.minimum(lo, a), np.maximum(hi, b)
    return lo, hi


def place_camera(cam: bpy.types.Object, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator,
                 moves: list[str], f0: int, f1: int) -> dict:
    """Key the camera for frames ``f0..f1``; returns what was done (for clip.json ``meta``).

    The camera looks along +Y (the character faces -Y at heading 0), slightly from above.
    """
    c = (lo + hi) / 2
    ext = max(hi[0] - lo[0], hi[2] - lo[2], (hi[1] - lo[1]) * 0.6)
    margin = rng.uniform(1.0, 1.2)
    dist = ext * margin / 2 / math.tan(HALF_FOV) + (hi[1] - lo[1]) / 2
    elev = math.radians(rng.uniform(0, 15))
    base = np.array([c[0], c[1] - dist * math.cos(elev), c[2] + dist * math.sin(elev)])
    info = {"distance": round(float(dist), 3), "elevation_deg": round(math.degrees(elev), 1), "moves": list(moves)}
    mid = (f0 + f1) / 2
    keys = {f0: (base.copy(), LENS, 0.0), mid: (base.copy(), LENS, 0.0), f1: (base.copy(), LENS, 0.0)}
    if "pan" in moves:
        # Half a frame width or more: part of the character leaves the frame, then comes back.
        shift = float(rng.choice([-1, 1]) * rng.uniform(0.25, 0.45) * ext * margin)
        keys[mid][0][0] += shift
        keys[mid][0][2] += float(rng.uniform(-0.15, 0.15) * ext)
        info["pan"] = round(shift, 3)
    if "zoom" in moves:
        z = float(rng.uniform(1.6, 2.5))
        keys[mid] = (keys[mid][0] + np.array([0, 0, (hi[2] - c[2]) * 0.4]), LENS * z, keys[mid][2])
        info["zoom"] = round(z, 2)
    if "roll" in moves:
        r = math.radians(float(rng.uniform(3, 10)))
        keys[f0] = (keys[f0][0], keys[f0][1], -r)
        keys[f1] = (keys[f1][0], keys[f1][1], r)
        info["roll_deg"] = round(math.degrees(r), 1)
    for f, (loc, lens, roll) in keys.items():
        cam.location = tuple(float(v) for v in loc)
        cam.rotation_euler = (math.pi / 2 - elev, roll, 0.0)
        cam.data.lens = lens
        cam.keyframe_insert("location", frame=f)
        cam.keyframe_insert("rotation_euler", frame=f)
        cam.data.keyframe_insert("lens", frame=f)
    return info
