"""Humanoid family: adult proportions (height, build, head size vary), shirt, trousers, shoes,
belt, buttons, hair locks, fingers. 30-50 parts."""

from __future__ import annotations

from blender_scripts.characters.body import Biped, biped_joints, biped_limbs, ears, face, hair, sample_biped
from blender_scripts.characters.parts import Kit


def torso(kit: Kit, b: Biped, top: str = "top", bottom: str = "bottom", buttons: int = 3) -> None:
    """Torso (lathe, flattened front to back), pelvis, belt and a row of buttons."""
    rx, ry = b.torso_r
    length = b.shoulder_z - b.hip_z
    prof = [(0.0, -0.01), (rx * 0.85, 0.0), (rx * 0.8, length * 0.35), (rx, length * 0.75),
            (rx * 0.9, length * 0.95), (rx * 0.45, length * 1.04), (0.0, length * 1.06)]
    kit.lathe("torso", "spine", (0, 0, b.hip_z), prof, top, scale=(1, ry / rx, 1))
    kit.ellipsoid("pelvis", "root", (0, 0, b.hip_z), (rx * 0.92, ry * 1.02, length * 0.2), bottom)
    kit.torus("belt", "spine", (0, 0, b.hip_z + length * 0.06), rx * 0.84, length * 0.035, "accent",
              scale=(1, ry / rx, 1))
    for i in range(buttons):
        z = b.hip_z + length * (0.25 + 0.55 * i / max(buttons - 1, 1))
        kit.ellipsoid(f"button{i}", "spine", (0, -ry * 0.97, z), (rx * 0.07, rx * 0.04, rx * 0.07), "accent")


def head(kit: Kit, b: Biped, eye: float = 1.0, sparkle: bool = False, locks: int | None = None,
         nose: bool | None = None) -> None:
    """Neck, head, face, hair and ears."""
    c, r = b.head_c, b.head_r
    kit.limb("neck", "neck", (0, 0, b.shoulder_z - r[2] * 0.2), (0, 0, c[2] - r[2] * 0.6), r[0] * 0.38,
             r[0] * 0.35, "skin")
    kit.ellipsoid("head", "head", c, r, "skin")
    face(kit, "head", c, r, eye=eye, sparkle=sparkle, nose=nose)
    hair(kit, "head", c, r, locks)
    ears(kit, "head", c, r)


def body(kit: Kit, style: str = "adult") -> Biped:
    """A dressed biped without props (shared with the adventurer family)."""
    b = sample_biped(kit.rng, style)
    biped_joints(kit, b)
    torso(kit, b, buttons=int(kit.rng.integers(2, 5)))
    head(kit, b)
    biped_limbs(kit, b, "top", "skin", "bottom", "shoes", fingers=int(kit.rng.choice([0, 3, 4])))
    return b


def build(kit: Kit) -> None:
    body(kit)
