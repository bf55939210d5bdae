"""Mascot family: a bear or bunny suit character: round body with belly patch, big head with
muzzle, round or long ears with inner ears, cheeks, mitt arms, bow tie, tail ball. 28-36 parts."""

from __future__ import annotations

from blender_scripts.characters.body import Biped, arm_point, biped_joints, face
from blender_scripts.characters.parts import Kit, on_ellipsoid


def build(kit: Kit) -> None:
    rng = kit.rng
    u = lambda a, b: float(rng.uniform(a, b))
    h = u(1.1, 1.5)
    hr = h * u(0.2, 0.24)
    b = Biped(height=h, hip_z=h * 0.22, hip_x=h * 0.1, shoulder_z=h * 0.52, shoulder_x=h * 0.2,
              torso_r=(h * 0.22, h * 0.19), head_c=(0, 0, h - hr), head_r=(hr * 1.05, hr * 0.95, hr),
              arm_len=h * 0.28, arm_r=h * 0.06, leg_r=h * 0.08, spread=u(0.35, 0.6))
    biped_joints(kit, b)
    rx, ry = b.torso_r
    bc = (0, 0, (b.hip_z + b.shoulder_z) / 2)
    kit.ellipsoid("body", "spine", bc, (rx, ry, (b.shoulder_z - b.hip_z) * 0.75), "fur")
    kit.ellipsoid("belly", "spine", (0, -ry * 0.55, bc[2] - 0.02), (rx * 0.65, ry * 0.5, (b.shoulder_z - b.hip_z) * 0.55),
                  "fur_light")
    c, r = b.head_c, b.head_r
    kit.ellipsoid("head", "head", c, r, "fur")
    kit.ellipsoid("muzzle", "head", (0, -r[1] * 0.8, c[2] - r[2] * 0.35), (r[0] * 0.42, r[1] * 0.3, r[2] * 0.3), "fur_light")
    kit.ellipsoid("nose", "head", (0, -r[1] * 1.07, c[2] - r[2] * 0.22), (r[0] * 0.12, r[1] * 0.08, r[2] * 0.08), "pupil")
    face(kit, "head", c, r, eye=1.2, sparkle=rng.random() < 0.5, nose=False)
    bunny = rng.random() < 0.5
    for side, s in ((1, "l"), (-1, "r")):
        kit.ellipsoid(f"cheek_{s}", "head", (side * r[0] * 0.58, -r[1] * 0.75, c[2] - r[2] * 0.3),
                      (r[0] * 0.16, r[1] * 0.06, r[2] * 0.1), "blush", (0, 0, side * 0.7))
        base = on_ellipsoid(c, r, (side * 0.45, 0.1, 0.9))
        if bunny:
            tip = (base[0] + side * r[0] * 0.3, base[1] + r[1] * 0.1, base[2] + r[2] * u(1.2, 1.7))
            kit.limb(f"ear_{s}", "head", base, tip, r[0] * 0.2, r[0] * 0.22, "fur")
            kit.limb(f"inner_ear_{s}", "head", (base[0], base[1] - r[0] * 0.14, base[2] + r[2] * 0.2),
                     (tip[0], tip[1] - r[0] * 0.14, tip[2] - r[2] * 0.1), r[0] * 0.1, r[0] * 0.12, "blush")
        else:
            kit.ellipsoid(f"ear_{s}", "head", base, (r[0] * 0.3, r[1] * 0.15, r[2] * 0.3), "fur", (0, side * 0.3, 0))
            kit.ellipsoid(f"inner_ear_{s}", "head", (base[0], base[1] - r[1] * 0.1, base[2]), (r[0] * 0.18, r[1] * 0.1, r[2] * 0.18),
                          "blush", (0, side * 0.3, 0))
        sh, wr = arm_point(b, side, 0.0), arm_point(b, side, 1.0)
        el = arm_point(b, side, 0.5)
        kit.limb(f"arm_{s}", f"shoulder_{s}", sh, el, b.arm_r, b.arm_r * 0.95, "fur")
        kit.limb(f"forearm_{s}", f"elbow_{s}", el, wr, b.arm_r * 0.95, b.arm_r * 0.9, "fur")
        kit.ellipsoid(f"mitt_{s}", f"elbow_{s}", (wr[0], wr[1], wr[2] - b.arm_r * 0.5), (b.arm_r * 1.2,) * 3, "fur_light")
        hip, knee = (side * b.hip_x, 0, b.hip_z), (side * b.hip_x, 0, b.hip_z * 0.5)
        kit.limb(f"leg_{s}", f"hip_{s}", hip, knee, b.leg_r, b.leg_r, "fur")
        kit.limb(f"shin_{s}", f"knee_{s}", knee, (side * b.hip_x, 0, b.leg_r * 0.7), b.leg_r, b.leg_r * 0.9, "fur")
        kit.ellipsoid(f"foot_{s}", f"knee_{s}", (side * b.hip_x, -b.leg_r * 0.7, b.leg_r * 0.55),
                      (b.leg_r * 1.1, b.leg_r * 1.6, b.leg_r * 0.6), "fur")
        kit.ellipsoid(f"foot_pad_{s}", f"knee_{s}", (side * b.hip_x, -b.leg_r * 2.25, b.leg_r * 0.55),
                      (b.leg_r * 0.6, b.leg_r * 0.1, b.leg_r * 0.35), "fur_light", (0.3, 0, 0))
        kit.cone(f"bow_{s}", "spine", (0, -ry * 0.98, b.shoulder_z - 0.02),
                 (side * rx * 0.45, -ry * 0.98, b.shoulder_z - 0.02), rx * 0.16, "accent")
    kit.ellipsoid("bow_knot", "spine", (0, -ry * 1.02, b.shoulder_z - 0.02), (rx * 0.09,) * 3, "accent")
    kit.ellipsoid("tail", "root", (0, ry * 1.0, b.hip_z + 0.05), (rx * 0.25,) * 3, "fur_light")
    if rng.random() < 0.5:
        for i in range(2):
            kit.ellipsoid(f"button{i}", "spine", (0, -ry * 0.98 + 0.01, bc[2] - 0.05 - i * 0.1), (rx * 0.06, 0.02, rx * 0.06),
                          "accent")
