"""``linecorr import`` / ``linecorr export``: PaintBucket-Character and AnimeRun (being written)."""

from __future__ import annotations

from dataprep.cli import add_command, not_built


def register_import(sub, name: str) -> None:
    add_command(sub, name, "import PaintBucket-Character or AnimeRun data [being written]",
                "linecorr import pbc PBC_ROOT --out data/pbc", not_built(name, 2, "import"))


def register_export(sub, name: str) -> None:
    add_command(sub, name, "export a dataset to PaintBucket-Character or AnimeRun layout [being written]",
                "linecorr export pbc data/pbc --out PBC_OUT", not_built(name, 2, "export"))
