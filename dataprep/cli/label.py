"""``linecorr label``: LightGlue-voting pseudo-labels for colored frame pairs (issue #5)."""

from __future__ import annotations

from dataprep.cli import add_command, not_built


def register(sub, name: str) -> None:
    add_command(sub, name, "pseudo-label region matches of colored frame pairs (LightGlue voting) [not built yet]",
                "linecorr label data/real --out data/real_labelled", not_built(name, 5, "pseudo-labelling"))
