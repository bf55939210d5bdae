"""Procedural character families. Each module has ``build(kit) -> None`` drawing one character.

Importing this package needs no bpy (the CLI lists families); :func:`build_character` imports
the family module, which does.
"""

from __future__ import annotations

import importlib

#: family name -> module (blender_scripts/characters/<module>.py). Order = round-robin order
#: before the seed shuffle.
FAMILIES = {
    "humanoid": "humanoid",  # adult proportions, varied height/build, clothes, fingers
    "chibi": "chibi",  # big head, stubby limbs, mitts, huge eyes with highlights
    "adventurer": "adventurer",  # humanoid with props: hat, bag with strap, sword, belt pouch
    "robot": "robot",  # boxy, faceted, antenna, visor, claws, joint balls
    "quadruped": "quadruped",  # dog/cat-like: four legs, snout, ears, tail, collar
    "bird": "bird",  # round bird: beak, crest, feathered wings, tail fan, toes
    "lizard": "lizard",  # long-tailed creature: tail chain, back spikes, splayed legs
    "mascot": "mascot",  # bear/bunny mascot: round body, belly patch, big ears, bow tie
}


def build_character(family: str, kit) -> None:
    """Build one character of ``family`` with ``kit`` (a :class:`.parts.Kit`)."""
    mod = importlib.import_module(f"blender_scripts.characters.{FAMILIES[family]}")
    mod.build(kit)
