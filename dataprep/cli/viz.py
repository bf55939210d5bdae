"""``linecorr viz``: picture of a pair's matches (being written)."""

from __future__ import annotations

from dataprep.cli import add_command, not_built


def register(sub, name: str) -> None:
    add_command(sub, name, "draw a pair with matched segments in the same color [being written]",
                "linecorr viz data/pbc CLIP/0000__0001 --out pair.png", not_built(name, 2, "visualisation"))
