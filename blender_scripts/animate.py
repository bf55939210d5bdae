"""Keyframed actions on a character's joints, and camera moves.

The key generation is pure Python (testable without bpy): an :class:`Animator` collects
``(joint, channel) -> {frame: xyz}`` keys from a chain of actions; :func:`apply_keys` writes them
as Blender keyframes (Bezier, so motion eases in and out like hand-timed animation).

Actions read only joint *kinds* (arm, leg, wing, tail, ...), so one ``walk`` drives a biped, a
quadruped (trot: diagonal legs together) and a bird. Each action returns every channel it moves
to the rest pose at its end, so actions chain in any order.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from blender_scripts.characters.rig import JointInfo

Vec3 = tuple[float, float, float]
CHANNELS = ("location", "rotation_euler", "scale")
#: Base heading range (degrees, random sign) per family: long animals are shown from the side.
FAMILY_YAW = {"quadruped": (55, 100), "lizard": (55, 100), "bird": (10, 50)}
DEFAULT_YAW = (0, 40)


class Animator:
    """Collects keys for one character; ``height`` scales distances (metres of the rest pose)."""

    def __init__(self, joints: dict[str, JointInfo], height: float, rng: np.random.Generator, yaw: float) -> None:
        self.j = joints
        self.h = height
        self.rng = rng
        self.keys: dict[tuple[str, str], dict[int, Vec3]] = defaultdict(dict)
        self.heading = yaw  # radians about +Z; turn actions change it
        self.pos = np.zeros(2)  # root offset on the ground; walk changes it

    # ---- helpers ------------------------------------------------------------------------------
    def sel(self, kind: str, seg: int | None = None, pair: int | None = None) -> list[JointInfo]:
        """Joints of ``kind`` (and segment / leg pair), in a stable order."""
        return [j for j in self.j.values() if j.kind == kind and (seg is None or j.seg == seg)
                and (pair is None or j.pair == pair)]

    def has(self, kind: str) -> bool:
        return any(j.kind == kind for j in self.j.values())

    def rest_location(self, name: str) -> np.ndarray:
        j = self.j[name]
        parent = np.zeros(3) if j.parent is None else np.asarray(self.j[j.parent].rest)
        return np.asarray(j.rest) - parent

    def key(self, name: str, channel: str, frame: float, value) -> None:
        self.keys[(name, channel)][int(round(frame))] = tuple(float(v) for v in value)

    def rot(self, name: str, frame: float, x: float = 0.0, y: float = 0.0, z: float = 0.0) -> None:
        self.key(name, "rotation_euler", frame, (x, y, z))

    def root(self, frame: float, dz: float = 0.0, scale: Vec3 = (1, 1, 1), pitch: float = 0.0,
             heading: float | None = None, pos: np.ndarray | None = None) -> None:
        """Key the root: ground offset + height change, heading, squash/stretch scale."""
        name = self.sel("root")[0].name
        p = self.pos if pos is None else pos
        base = self.rest_location(name)
        self.key(name, "location", frame, (base[0] + p[0], base[1] + p[1], base[2] + dz))
        self.rot(name, frame, pitch, 0.0, self.heading if heading is None else heading)
        self.key(name, "scale", frame, scale)

    def rest(self, frame: float, kinds: tuple[str, ...]) -> None:
        """Key every joint of ``kinds`` back to its rest rotation (the root: current state)."""
        for k in kinds:
            if k == "root":
                self.root(frame)
                continue
            for j in self.sel(k):
                self.rot(j.name, frame)
                if k == "spine":
                    self.key(j.name, "scale", frame, (1, 1, 1))


def squash(s: float) -> Vec3:
    """Volume-preserving scale: stretch ``s`` along z, ``1/sqrt(s)`` across."""
    c = 1 / math.sqrt(s)
    return (c, c, s)


def _gait_phase(j: JointInfo) -> float:
    """Biped: legs in antiphase. Quadruped trot: diagonal legs (front-left + hind-right) together."""
    return (0.0 if j.side > 0 else math.pi) + (math.pi if j.pair == 1 else 0.0)


# ---- actions: each keys frames in [f0, f1] ------------------------------------------------------
BODY = ("root", "spine", "neck", "head", "arm", "leg", "wing")


def walk(a: Animator, f0: float, f1: float) -> None:
    cycles = max(1, round((f1 - f0) / 16))
    period = (f1 - f0) / cycles
    stride = a.h * 0.22
    start = a.pos.copy()
    fwd = np.array([math.sin(a.heading), -math.cos(a.heading)])
    n = cycles * 8
    for i in range(n + 1):
        t = f0 + (f1 - f0) * i / n
        ph = 2 * math.pi * (t - f0) / period
        amp = math.sin(math.pi * i / n) ** 0.3  # ease in and out of the walk
        for j in a.sel("leg", 0):
            a.rot(j.name, t, x=-0.5 * amp * math.sin(ph + _gait_phase(j)))
        for j in a.sel("leg", 1):
            a.rot(j.name, t, x=0.6 * amp * max(0.0, math.sin(ph + _gait_phase(j) + math.pi / 2)))
        for j in a.sel("arm", 0):
            a.rot(j.name, t, x=0.45 * amp * math.sin(ph + _gait_phase(j)))
        for j in a.sel("arm", 1):
            a.rot(j.name, t, x=-0.3 * amp)
        for j in a.sel("wing", 0):
            a.rot(j.name, t, y=-j.side * 0.25 * amp * math.sin(2 * ph))
        for j in a.sel("spine"):
            a.rot(j.name, t, y=0.05 * amp * math.sin(ph))
        for j in a.sel("head"):
            a.rot(j.name, t, x=0.05 * amp * math.sin(2 * ph))
        a.pos = start + fwd * stride * cycles * 2 * i / n
        a.root(t, dz=a.h * 0.02 * amp * abs(math.sin(ph)))
    a.rest(f1, BODY)


def wave(a: Animator, f0: float, f1: float) -> None:
    L = f1 - f0
    side = int(a.rng.choice([-1, 1]))
    a.rest(f0, BODY)
    n = 3
    for i in range(2 * n + 1):
        t = f0 + L * (0.2 + 0.6 * i / (2 * n))
        osc = 1 if i % 2 else -1  # hand/wing alternates between two extremes
        if a.has("arm"):
            for j in a.sel("arm", 0):
                if j.side == side:
                    a.rot(j.name, t, y=-side * 2.5, x=-0.2)
            for j in a.sel("arm", 1):
                if j.side == side:
                    a.rot(j.name, t, y=-side * (0.35 + 0.35 * osc))
        elif a.has("wing"):
            for j in a.sel("wing", 0):
                a.rot(j.name, t, y=-j.side * (0.9 + 0.6 * osc))
        else:  # no arms: lift a front paw and nod
            for j in a.sel("leg", 0, 0):
                if j.side == side:
                    a.rot(j.name, t, x=-0.9 - 0.3 * osc)
            for j in a.sel("head"):
                a.rot(j.name, t, x=0.2 * osc)
        a.root(t)
    a.rest(f1, BODY)


def turn(a: Animator, f0: float, f1: float) -> None:
    a.rest(f0, BODY)
    old = a.heading
    a.heading = old + math.radians(float(a.rng.choice([-1, 1]) * a.rng.uniform(60, 180)))
    for i in range(1, 4):  # small steps while turning
        t = f0 + (f1 - f0) * i / 4
        a.root(t, heading=old + (a.heading - old) * i / 4, dz=a.h * 0.01 * (i % 2))
        for j in a.sel("leg", 0):
            a.rot(j.name, t, x=-0.25 if (i + (j.side > 0)) % 2 else 0.0)
    a.rest(f1, BODY)


def jump(a: Animator, f0: float, f1: float) -> None:
    L = f1 - f0
    a.rest(f0, BODY)
    # (time, root dz, stretch, hip, knee, arms up): anticipation squash, stretch, apex, land squash.
    poses = [(0.2, -0.1, 0.8, -0.6, 1.1, 0.2), (0.32, 0.05, 1.18, 0.0, 0.1, 2.2), (0.5, 0.4, 1.0, -0.5, 0.9, 1.2),
             (0.7, 0.1, 1.12, 0.0, 0.1, 1.6), (0.8, -0.08, 0.82, -0.5, 1.0, 0.4)]
    for ft, dz, s, hip, knee, arm in poses:
        t = f0 + L * ft
        a.root(t, dz=dz * a.h, scale=squash(s))
        for j in a.sel("leg", 0):
            a.rot(j.name, t, x=hip)
        for j in a.sel("leg", 1):
            a.rot(j.name, t, x=knee)
        for j in a.sel("arm", 0) + a.sel("wing", 0):
            a.rot(j.name, t, y=-j.side * arm)
    a.rest(f1, BODY)


def sit(a: Animator, f0: float, f1: float) -> None:
    L = f1 - f0
    a.rest(f0, BODY)
    quad = bool(a.sel("leg", pair=1))
    hip_z = a.rest_location(a.sel("root")[0].name)[2]
    for ft in (0.3, 0.75):
        t = f0 + L * ft
        if quad:  # hind legs fold, the back end goes down
            a.root(t, dz=-0.25 * hip_z, pitch=-0.35)
            for j in a.sel("leg", 0, 1):
                a.rot(j.name, t, x=-1.0)
            for j in a.sel("leg", 1, 1):
                a.rot(j.name, t, x=1.7)
            for j in a.sel("leg", 0, 0):
                a.rot(j.name, t, x=0.35)
        else:  # on an invisible chair: thighs forward, shins down
            a.root(t, dz=-0.45 * hip_z)
            for j in a.sel("leg", 0):
                a.rot(j.name, t, x=-1.4)
            for j in a.sel("leg", 1):
                a.rot(j.name, t, x=1.4)
            for j in a.sel("arm", 0):
                a.rot(j.name, t, x=-0.5, y=-j.side * 0.1)
            for j in a.sel("arm", 1):
                a.rot(j.name, t, x=-0.6)
    a.rest(f1, BODY)


def squash_stretch(a: Animator, f0: float, f1: float) -> None:
    L = f1 - f0
    a.rest(f0, BODY)
    for k, (ft, s, dz) in enumerate([(0.15, 0.75, -0.05), (0.3, 1.25, 0.15), (0.45, 0.8, -0.04), (0.6, 1.2, 0.12),
                                     (0.75, 0.85, -0.03)]):
        a.root(f0 + L * ft, dz=dz * a.h, scale=squash(s))
    a.rest(f1, BODY)


def reach(a: Animator, f0: float, f1: float) -> None:
    """An arm (or wing) sweeps across the front of the body: self-occlusion."""
    L = f1 - f0
    a.rest(f0, BODY)
    side = int(a.rng.choice([-1, 1]))
    for ft, sweep in ((0.25, 0.0), (0.5, 1.0), (0.7, 1.2)):
        t = f0 + L * ft
        if a.has("arm") or a.has("wing"):
            for j in a.sel("arm", 0) + a.sel("wing", 0):
                if j.side == side:
                    a.rot(j.name, t, x=-1.35, z=-side * 1.1 * sweep)
            for j in a.sel("arm", 1):
                if j.side == side:
                    a.rot(j.name, t, x=-0.5 * sweep)
        else:
            for j in a.sel("neck") + a.sel("head"):
                a.rot(j.name, t, z=side * 0.6 * sweep, x=0.2 * sweep)
            for j in a.sel("leg", 0, 0):
                if j.side == side:
                    a.rot(j.name, t, x=-1.2 * sweep)
        for j in a.sel("spine"):
            a.rot(j.name, t, z=-side * 0.25 * sweep)
        a.root(t)
    a.rest(f1, BODY)


def idle(a: Animator, f0: float, f1: float) -> None:
    L = f1 - f0
    a.rest(f0, BODY)
    for i, ft in enumerate((0.25, 0.5, 0.75)):
        t = f0 + L * ft
        for j in a.sel("head"):
            a.rot(j.name, t, z=0.4 * (1 if i % 2 else -1), x=0.1)
        for j in a.sel("spine"):
            a.key(j.name, "scale", t, squash(1.03 if i % 2 else 0.98))
        a.root(t)
    a.rest(f1, BODY)


ACTION_FUNCS = {"walk": walk, "wave": wave, "turn": turn, "jump": jump, "sit": sit, "squash": squash_stretch,
                "reach": reach, "idle": idle}


def secondary(a: Animator, f0: float, f1: float) -> None:
    """Tails sway and ears flick through the whole clip (overlapping action)."""
    tails = a.sel("tail")
    if not tails:
        return
    amp, period = a.rng.uniform(0.15, 0.35), a.rng.uniform(14, 26)
    for t in np.arange(f0, f1 + 1, 3):
        for j in tails:
            a.rot(j.name, t, z=amp * math.sin(2 * math.pi * t / period - 0.7 * j.seg),
                  x=0.1 * math.sin(2 * math.pi * t / (period * 1.3) - 0.5 * j.seg))


def animate(joints: dict[str, JointInfo], height: float, family: str, actions: list[str], frames: int,
            rng: np.random.Generator) -> Animator:
    """Keys for a chain of ``actions`` spread evenly over animation frames ``1..frames``."""
    lo, hi = FAMILY_YAW.get(family, DEFAULT_YAW)
    yaw = math.radians(float(rng.uniform(lo, hi) * rng.choice([-1, 1])))
    a = Animator(joints, height, rng, yaw)
    a.rest(1, BODY)
    edges = np.linspace(1, max(frames, 2), len(actions) + 1)
    for name, f0, f1 in zip(actions, edges[:-1], edges[1:]):
        ACTION_FUNCS[name](a, float(f0), float(f1))
    secondary(a, 1, max(frames, 2))
    return a


def apply_keys(a: Animator, objects: dict) -> int:
    """Write the keys as Blender keyframes on the joint empties; returns the number of keys."""
    n = 0
    for (name, channel), keys in sorted(a.keys.items()):
        ob = objects[name]
        for frame, value in sorted(keys.items()):
            setattr(ob, channel, value)
            ob.keyframe_insert(channel, frame=frame)
            n += 1
    return n
