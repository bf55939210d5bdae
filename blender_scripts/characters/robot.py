"""Robot family: a boxy biped with faceted (flat-shaded) plates, visor, eye lights, mouth grill,
antenna, bolts, joint balls and two-finger claws. 38-46 parts."""

from __future__ import annotations

from blender_scripts.characters.body import arm_point, biped_joints, sample_biped
from blender_scripts.characters.parts import Kit


def build(kit: Kit) -> None:
    rng = kit.rng
    b = sample_biped(rng, "adult")
    biped_joints(kit, b)
    rx, ry = b.torso_r[0] * 1.15, b.torso_r[1] * 1.4
    length = b.shoulder_z - b.hip_z
    kit.box("chest", "spine", (0, 0, b.hip_z + length * 0.68), (2 * rx, 2 * ry, length * 0.62), "top", bevel=0.08)
    kit.box("abdomen", "spine", (0, 0, b.hip_z + length * 0.25), (1.5 * rx, 1.6 * ry, length * 0.3), "metal")
    kit.box("pelvis", "root", (0, 0, b.hip_z), (1.7 * rx, 1.7 * ry, length * 0.2), "bottom", bevel=0.1)
    kit.box("chest_panel", "spine", (0, -ry - 0.005, b.hip_z + length * 0.7), (rx, 0.02, length * 0.32), "accent")
    nb = int(rng.integers(2, 5))
    for i in range(nb):
        x = (i - (nb - 1) / 2) * rx * 0.3
        kit.ellipsoid(f"button{i}", "spine", (x, -ry - 0.02, b.hip_z + length * 0.66), (rx * 0.08,) * 3,
                      "glow" if i % 2 else "mouth")
    c, r = b.head_c, b.head_r
    kit.limb("neck", "neck", (0, 0, b.shoulder_z), (0, 0, c[2] - r[2] * 0.8), r[0] * 0.3, r[0] * 0.3, "metal")
    hw, hd, hh = r[0] * rng.uniform(1.6, 2.1), r[1] * rng.uniform(1.6, 2.0), r[2] * rng.uniform(1.5, 1.9)
    kit.box("head", "head", c, (hw, hd, hh), "top", bevel=0.12)
    kit.box("visor", "head", (0, -hd / 2 - 0.005, c[2] + hh * 0.1), (hw * 0.8, 0.02, hh * 0.32), "eye_white")
    for side, s in ((1, "l"), (-1, "r")):
        kit.ellipsoid(f"eye_{s}", "head", (side * hw * 0.2, -hd / 2 - 0.018, c[2] + hh * 0.1),
                      (hw * 0.09, 0.015, hh * 0.1), "pupil")
        kit.limb(f"bolt_{s}", "head", (side * hw * 0.5, 0, c[2]), (side * (hw * 0.5 + 0.05), 0, c[2]),
                 hh * 0.1, hh * 0.1, "metal", segments=10)
    for i in range(3):
        kit.box(f"grill{i}", "head", ((i - 1) * hw * 0.16, -hd / 2 - 0.006, c[2] - hh * 0.27),
                (hw * 0.1, 0.02, hh * 0.12), "mouth")
    top = c[2] + hh / 2
    kit.limb("antenna", "head", (0, 0, top), (0, 0, top + hh * 0.6), 0.012, 0.01, "metal", segments=8)
    kit.ellipsoid("antenna_ball", "head", (0, 0, top + hh * 0.65), (hh * 0.1,) * 3, "glow")
    for side, s in ((1, "l"), (-1, "r")):
        sh, el, wr = arm_point(b, side, 0.0), arm_point(b, side, 0.5), arm_point(b, side, 1.0)
        kit.ellipsoid(f"shoulder_ball_{s}", f"shoulder_{s}", sh, (b.arm_r * 1.6,) * 3, "metal")
        kit.limb(f"upper_arm_{s}", f"shoulder_{s}", sh, el, b.arm_r, b.arm_r, "top", segments=8)
        kit.ellipsoid(f"elbow_ball_{s}", f"elbow_{s}", el, (b.arm_r * 1.25,) * 3, "metal")
        kit.limb(f"forearm_{s}", f"elbow_{s}", el, wr, b.arm_r * 1.1, b.arm_r * 1.3, "top", segments=8)
        palm = (wr[0], wr[1], wr[2] - b.arm_r * 1.2)
        kit.box(f"palm_{s}", f"elbow_{s}", palm, (b.arm_r * 1.6, b.arm_r * 2.2, b.arm_r * 1.6), "metal")
        for k, y in enumerate((-1, 1)):
            kit.box(f"claw{k}_{s}", f"elbow_{s}", (palm[0], palm[1] + y * b.arm_r * 0.7, palm[2] - b.arm_r * 1.5),
                    (b.arm_r * 0.5, b.arm_r * 0.5, b.arm_r * 1.6), "accent")
        hip, knee = (side * b.hip_x, 0, b.hip_z), (side * b.hip_x, 0, b.hip_z * 0.5)
        kit.limb(f"thigh_{s}", f"hip_{s}", hip, knee, b.leg_r, b.leg_r, "bottom", segments=8)
        kit.ellipsoid(f"knee_ball_{s}", f"knee_{s}", knee, (b.leg_r * 1.3,) * 3, "metal")
        kit.box(f"shin_{s}", f"knee_{s}", (side * b.hip_x, 0, b.hip_z * 0.28), (b.leg_r * 2.2, b.leg_r * 2.2, b.hip_z * 0.4),
                "bottom", bevel=0.1)
        kit.box(f"foot_{s}", f"knee_{s}", (side * b.hip_x, -b.leg_r * 0.8, b.leg_r * 0.5),
                (b.leg_r * 2.4, b.leg_r * 4.0, b.leg_r * 1.0), "shoes", bevel=0.15)
