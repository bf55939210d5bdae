"""Adventurer family: a humanoid with props (hat, shoulder bag with strap, sword in hand, belt
pouch, optional cape). 40-58 parts."""

from __future__ import annotations

import math

from blender_scripts.characters.body import Biped, arm_point
from blender_scripts.characters.humanoid import body
from blender_scripts.characters.parts import Kit


def hat(kit: Kit, b: Biped) -> None:
    c, r = b.head_c, b.head_r
    top = (0, 0, c[2] + r[2] * 0.55)
    if kit.rng.random() < 0.5:  # wizard hat: wide brim, tall bent cone, band
        kit.lathe("hat_brim", "head", top, [(0.0, 0.0), (r[0] * 1.9, -0.01), (r[0] * 1.9, 0.01), (0.0, 0.02)], "prop")
        kit.cone("hat_crown", "head", top, (0, r[1] * 0.6, top[2] + r[2] * 2.2), r[0] * 0.95, "prop")
    else:  # bowler / explorer hat
        kit.lathe("hat_brim", "head", top, [(0.0, 0.0), (r[0] * 1.45, 0.0), (r[0] * 1.45, 0.02), (0.0, 0.03)], "prop")
        kit.lathe("hat_crown", "head", top, [(0.0, 0.0), (r[0] * 0.95, 0.0), (r[0] * 0.9, r[2] * 0.7),
                                             (r[0] * 0.6, r[2] * 0.85), (0.0, r[2] * 0.88)], "prop")
    kit.torus("hat_band", "head", (0, 0, top[2] + 0.03), r[0] * 0.93, 0.022, "accent")


def bag(kit: Kit, b: Biped) -> None:
    rx, ry = b.torso_r
    z = b.hip_z + (b.shoulder_z - b.hip_z) * 0.05
    kit.box("bag", "spine", (-rx * 1.25, -ry * 0.2, z), (rx * 0.35, ry * 1.4, rx * 0.8), "prop", bevel=0.15)
    kit.box("bag_flap", "spine", (-rx * 1.44, -ry * 0.2, z + rx * 0.22), (0.02, ry * 1.3, rx * 0.4), "accent")
    length = b.shoulder_z - b.hip_z
    kit.torus("bag_strap", "spine", (0, 0, b.hip_z + length * 0.55), rx * 1.05, 0.015, "accent",
              rot=(0, math.radians(-38), 0), scale=(1, ry / rx * 1.1, 1))
    kit.box("pouch", "root", (rx * 0.7, -ry * 0.9, b.hip_z + 0.01), (rx * 0.35, ry * 0.3, rx * 0.3), "prop", bevel=0.2)


def sword(kit: Kit, b: Biped) -> None:
    """A sword held in the right hand, blade pointing forward-down; parented to the forearm."""
    w = arm_point(b, -1, 1.0)
    grip = (w[0], w[1] - b.arm_r * 1.0, w[2] - b.arm_r * 1.4)
    s = b.height * kit.rng.uniform(0.35, 0.5)
    kit.limb("sword_grip", "elbow_r", (grip[0], grip[1] + 0.06, grip[2]), (grip[0], grip[1] - 0.06, grip[2]),
             0.018, 0.018, "accent", segments=10)
    kit.ellipsoid("sword_pommel", "elbow_r", (grip[0], grip[1] + 0.085, grip[2]), (0.028,) * 3, "metal")
    # The blade points forward and down (not at the camera, where it would be a sliver).
    tilt = math.radians(kit.rng.uniform(25, 50))
    d = (0.0, -math.cos(tilt), -math.sin(tilt))
    g = (grip[0], grip[1] - 0.07, grip[2])
    kit.box("sword_guard", "elbow_r", g, (0.16, 0.025, 0.035), "metal", rot=(tilt, 0, 0))
    mid = tuple(g[i] + d[i] * (0.01 + s / 2) for i in range(3))
    kit.box("sword_blade", "elbow_r", mid, (0.055, s, 0.014), "metal", rot=(tilt, 0, 0))


def build(kit: Kit) -> None:
    b = body(kit)
    hat(kit, b)
    bag(kit, b)
    sword(kit, b)
    if kit.rng.random() < 0.5:
        rx, ry = b.torso_r
        length = b.shoulder_z - b.hip_z
        prof = [(0.0, 0.0), (rx * 0.7, 0.0), (rx * 1.3, -length * 1.3), (0.0, -length * 1.3)]
        kit.lathe("cape", "spine", (0, ry * 0.9, b.shoulder_z), prof, "accent", scale=(1, 0.25, 1))
