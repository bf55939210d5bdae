"""``linecorr render``: synthetic sequences with Blender (issue #3)."""

from __future__ import annotations

from dataprep.cli import add_command, not_built


def register(sub, name: str) -> None:
    add_command(sub, name, "render synthetic toon sequences with pixel-exact segment ids (Blender) [not built yet]",
                "linecorr render --characters 4 --frames 24 --res 512 --seed 0 --out data/synth",
                not_built(name, 3, "rendering with Blender"))
