"""Shared body plans: the biped skeleton, faces, hair and hands (used by several families).

All sizes are in metres of the rest pose (see :mod:`.rig`); ``rng`` draws proportions so that no
two characters of a family look the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from blender_scripts.characters.parts import Kit, face_dir, on_ellipsoid


@dataclass
class Biped:
    """Rest-pose landmarks of a biped (world coordinates, metres)."""

    height: float  # top of the head
    hip_z: float  # hip joints height
    hip_x: float  # hip joint offset from the centre line
    shoulder_z: float  # shoulder joints height
    shoulder_x: float  # shoulder joint offset
    torso_r: tuple[float, float]  # torso half-width (x) and half-depth (y)
    head_c: tuple[float, float, float]  # head centre
    head_r: tuple[float, float, float]  # head radii
    arm_len: float  # shoulder to wrist
    arm_r: float  # upper-arm radius
    leg_r: float  # thigh radius
    spread: float  # arms' outward angle at rest (radians): an A pose, so arms do not touch the body


def sample_biped(rng: np.random.Generator, style: str = "adult") -> Biped:
    """Random biped proportions; ``style`` is "adult" (~7 heads tall) or "chibi" (~2.5 heads)."""
    u = lambda a, b: float(rng.uniform(a, b))
    if style == "chibi":
        h, head = u(0.95, 1.15), u(0.36, 0.42)
        hip_z, sh_z = h * u(0.2, 0.26), h * u(0.45, 0.5)
        build = u(0.9, 1.25)
        torso = (h * 0.14 * build, h * 0.11 * build)
        arm, arm_r, leg_r = h * u(0.2, 0.25), h * u(0.045, 0.06), h * u(0.055, 0.07)
    else:
        h, head = u(1.55, 2.0), u(0.15, 0.19)
        hip_z, sh_z = h * u(0.47, 0.54), h * u(0.78, 0.81)
        build = u(0.8, 1.35)
        torso = (h * 0.095 * build, h * 0.06 * build)
        arm, arm_r, leg_r = h * u(0.36, 0.42), h * u(0.028, 0.036) * build, h * u(0.038, 0.05) * build
    hr = h * head / 2
    head_c = (0.0, 0.0, h - hr * 1.02)
    return Biped(h, hip_z, torso[0] * 0.55, sh_z, torso[0] + arm_r * 0.9, torso, head_c,
                 (hr * u(0.88, 1.0), hr * u(0.85, 0.95), hr), arm, arm_r, leg_r, u(0.12, 0.22))


def biped_joints(kit: Kit, b: Biped) -> None:
    """Root, spine, neck, head, shoulders/elbows, hips/knees (joint names used by the families)."""
    kit.joint("root", None, (0, 0, b.hip_z), "root")
    kit.joint("spine", "root", (0, 0, b.hip_z), "spine")
    kit.joint("neck", "spine", (0, 0, b.shoulder_z), "neck")
    kit.joint("head", "neck", (0, 0, b.head_c[2] - b.head_r[2] * 0.7), "head")
    for side, s in ((1, "l"), (-1, "r")):
        sh = (side * b.shoulder_x, 0, b.shoulder_z)
        kit.joint(f"shoulder_{s}", "spine", sh, "arm", side, 0)
        kit.joint(f"elbow_{s}", f"shoulder_{s}", arm_point(b, side, 0.5), "arm", side, 1)
        kit.joint(f"hip_{s}", "root", (side * b.hip_x, 0, b.hip_z), "leg", side, 0)
        kit.joint(f"knee_{s}", f"hip_{s}", (side * b.hip_x, 0, b.hip_z * 0.5), "leg", side, 1)


def arm_point(b: Biped, side: int, t: float) -> tuple[float, float, float]:
    """The point at fraction ``t`` from shoulder to wrist of the rest-pose (A-pose) arm."""
    return (side * (b.shoulder_x + t * b.arm_len * math.sin(b.spread)), 0.0,
            b.shoulder_z - t * b.arm_len * math.cos(b.spread))


def face(kit: Kit, joint: str, c, r, eye: float = 1.0, sparkle: bool = False, nose: bool | None = None) -> None:
    """Eyes, pupils, brows, mouth and maybe a nose on the front of an ellipsoid head.

    Args:
        c, r: head centre and radii; ``eye`` scales the eyes (chibi ~1.8).
    """
    rng = kit.rng
    yaw, pitch = rng.uniform(0.3, 0.45), rng.uniform(0.0, 0.15)
    er = r[0] * rng.uniform(0.16, 0.22) * eye
    tall = rng.uniform(1.0, 1.5)
    for side, s in ((1, "l"), (-1, "r")):
        d = face_dir(side * yaw, pitch)
        p = np.asarray(on_ellipsoid(c, r, d)) - np.asarray(d) * er * 0.12  # sunk a little: not bug-eyed
        rot = (-pitch, 0.0, side * yaw)
        kit.ellipsoid(f"eye_{s}", joint, tuple(p), (er, er * 0.32, er * tall), "eye_white", rot)
        pp = on_ellipsoid(c, np.asarray(r) + er * 0.12, face_dir(side * (yaw - 0.04), pitch - 0.03))
        kit.ellipsoid(f"pupil_{s}", joint, pp, (er * 0.5, er * 0.22, er * 0.62 * tall), "pupil", rot)
        if sparkle:
            sp = on_ellipsoid(c, np.asarray(r) + er * 0.3, face_dir(side * (yaw - 0.08), pitch + 0.08))
            kit.ellipsoid(f"sparkle_{s}", joint, sp, (er * 0.18, er * 0.12, er * 0.18), "glow", rot)
        bp = on_ellipsoid(c, np.asarray(r) + er * 0.2, face_dir(side * yaw, pitch + er * tall / r[2] + 0.22))
        kit.ellipsoid(f"brow_{s}", joint, bp, (er * 1.1, er * 0.25, er * 0.22), "brow",
                      (-pitch - 0.4, side * rng.uniform(-0.25, 0.1), side * yaw))
    mp = on_ellipsoid(c, r, face_dir(0.0, -rng.uniform(0.35, 0.5)))
    kit.ellipsoid("mouth", joint, mp, (r[0] * rng.uniform(0.18, 0.32), r[1] * 0.08, r[2] * rng.uniform(0.05, 0.1)),
                  "mouth", (0.45, 0, 0))
    if nose if nose is not None else rng.random() < 0.6:
        np_ = on_ellipsoid(c, r, face_dir(0.0, -0.12))
        kit.ellipsoid("nose", joint, np_, (r[0] * 0.09, r[1] * 0.12, r[2] * 0.1), "skin")


def hair(kit: Kit, joint: str, c, r, locks: int | None = None) -> None:
    """A hair cap over the back/top of the head plus ``locks`` cone-shaped locks (spikes or bangs)."""
    rng = kit.rng
    # Clearly bigger than the head and shifted up/back, so the two surfaces cross at a steep angle
    # (nearly coincident surfaces would give speckled, noisy segments).
    cap_r = (r[0] * 1.1, r[1] * 1.12, r[2] * 1.08)
    kit.ellipsoid("hair_cap", joint, (c[0], c[1] + r[1] * 0.22, c[2] + r[2] * 0.14), cap_r, "hair", (0.3, 0, 0))
    n = int(locks if locks is not None else rng.integers(3, 8))
    style = rng.choice(["spiky", "bangs"])
    for i in range(n):
        yaw = (i - (n - 1) / 2) * (1.6 / max(n - 1, 1)) + rng.uniform(-0.1, 0.1)
        if style == "spiky":
            base = on_ellipsoid(c, cap_r, face_dir(yaw * 1.6, rng.uniform(0.6, 1.1)))
            tip = np.asarray(base) + np.asarray(face_dir(yaw * 1.6, 0.9)) * r[2] * rng.uniform(0.5, 0.9)
            tip[1] += r[1] * 0.3
        else:
            base = on_ellipsoid(c, cap_r, face_dir(yaw, rng.uniform(0.7, 0.95)))
            tip = np.asarray(on_ellipsoid(c, cap_r, face_dir(yaw * 1.1, 0.35))) + (0, -r[1] * 0.12, 0)
        kit.cone(f"hair_lock{i}", joint, base, tuple(tip), r[0] * rng.uniform(0.18, 0.28), "hair")


def ears(kit: Kit, joint: str, c, r, slot: str = "skin") -> None:
    """Two small ear ellipsoids on the sides of the head."""
    for side, s in ((1, "l"), (-1, "r")):
        p = on_ellipsoid(c, r, (side, 0.1, -0.05))
        kit.ellipsoid(f"ear_{s}", joint, p, (r[0] * 0.12, r[1] * 0.2, r[2] * 0.26), slot)


def hand(kit: Kit, joint: str, wrist, side: int, size: float, fingers: int, slot: str = "skin") -> None:
    """A mitt (palm ellipsoid) plus a thumb and ``fingers`` finger capsules (0 = mitt only)."""
    s = "l" if side > 0 else "r"
    w = np.asarray(wrist, np.float64)
    palm = w + (side * size * 0.15, 0, -size * 0.9)
    kit.ellipsoid(f"hand_{s}", joint, tuple(palm), (size * 0.55, size * 0.8, size), slot)
    kit.limb(f"thumb_{s}", joint, tuple(palm + (0, -size * 0.6, size * 0.2)),
             tuple(palm + (0, -size * 1.15, -size * 0.35)), size * 0.22, size * 0.18, slot, segments=10)
    for i in range(fingers):
        y = (i - (fingers - 1) / 2) * size * 0.42
        a = palm + (side * size * 0.1, y, -size * 0.8)
        kit.limb(f"finger{i}_{s}", joint, tuple(a), tuple(a + (side * size * 0.1, y * 0.2, -size * 0.6)),
                 size * 0.17, size * 0.14, slot, segments=10)


def biped_limbs(kit: Kit, b: Biped, sleeve: str, skin: str, pants: str, shoes: str, fingers: int) -> None:
    """Upper arms, forearms, hands, thighs, shins and shoes on the biped joints."""
    rng = kit.rng
    long_sleeves = rng.random() < 0.5
    for side, s in ((1, "l"), (-1, "r")):
        sh, el, wr = arm_point(b, side, 0.0), arm_point(b, side, 0.5), arm_point(b, side, 1.0)
        kit.limb(f"upper_arm_{s}", f"shoulder_{s}", sh, el, b.arm_r * 1.1, b.arm_r * 0.95, sleeve)
        kit.limb(f"forearm_{s}", f"elbow_{s}", el, wr, b.arm_r * 0.95, b.arm_r * 0.8,
                 sleeve if long_sleeves else skin)
        hand(kit, f"elbow_{s}", wr, side, b.arm_r * 1.5, fingers, skin)
        hip, knee = (side * b.hip_x, 0, b.hip_z), (side * b.hip_x, 0, b.hip_z * 0.5)
        ankle = (side * b.hip_x, 0, b.leg_r * 1.2)
        kit.limb(f"thigh_{s}", f"hip_{s}", hip, knee, b.leg_r * 1.1, b.leg_r * 0.9, pants)
        kit.limb(f"shin_{s}", f"knee_{s}", knee, ankle, b.leg_r * 0.9, b.leg_r * 0.7, pants)
        kit.ellipsoid(f"shoe_{s}", f"knee_{s}", (side * b.hip_x, -b.leg_r * 0.9, b.leg_r * 0.75),
                      (b.leg_r * 1.05, b.leg_r * 2.0, b.leg_r * 0.8), shoes)
