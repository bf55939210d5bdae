"""Chibi family: ~2.5 heads tall, huge eyes with highlights, mitts, skirt or shorts, scarf or
hair buns. 25-40 parts."""

from __future__ import annotations

from blender_scripts.characters.body import biped_joints, biped_limbs, sample_biped
from blender_scripts.characters.humanoid import head, torso
from blender_scripts.characters.parts import Kit


def build(kit: Kit) -> None:
    rng = kit.rng
    b = sample_biped(rng, "chibi")
    biped_joints(kit, b)
    torso(kit, b, buttons=int(rng.integers(1, 3)))
    head(kit, b, eye=rng.uniform(1.35, 1.65), sparkle=True, locks=int(rng.integers(3, 6)), nose=False)
    biped_limbs(kit, b, "top", "skin", "bottom", "shoes", fingers=0)
    rx, ry = b.torso_r
    if rng.random() < 0.5:  # skirt: a short cone over the hips
        prof = [(rx * 0.9, 0.0), (rx * 1.45, -b.hip_z * 0.45), (0.0, -b.hip_z * 0.45)]
        kit.lathe("skirt", "root", (0, 0, b.hip_z + 0.02), [(0.0, 0.0)] + prof, "bottom", scale=(1, ry / rx, 1))
    c, r = b.head_c, b.head_r
    if rng.random() < 0.6:
        kit.torus("scarf", "neck", (0, 0, b.shoulder_z + 0.01), rx * 0.55, rx * 0.18, "accent")
        kit.limb("scarf_tail", "neck", (rx * 0.3, -ry * 0.9, b.shoulder_z), (rx * 0.5, -ry * 1.1, b.shoulder_z - rx),
                 rx * 0.16, rx * 0.12, "accent")
    else:
        for side, s in ((1, "l"), (-1, "r")):
            kit.ellipsoid(f"bun_{s}", "head", (side * r[0] * 0.75, r[1] * 0.2, c[2] + r[2] * 0.75),
                          (r[0] * 0.3,) * 3, "hair")
    for side, s in ((1, "l"), (-1, "r")):
        kit.ellipsoid(f"blush_{s}", "head", (side * r[0] * 0.55, -r[1] * 0.8, c[2] - r[2] * 0.3),
                      (r[0] * 0.14, r[1] * 0.05, r[2] * 0.08), "blush", (0, 0, side * 0.6))
