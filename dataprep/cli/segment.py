"""``linecorr segment``: line art / colored frames -> segments (issue #4)."""

from __future__ import annotations

from dataprep.cli import add_command, not_built


def register(sub, name: str) -> None:
    add_command(sub, name, "segment line art (trapped-ball) or colored frames (color clustering) [not built yet]",
                "linecorr segment FRAMES_DIR --out data/seg", not_built(name, 4, "segmentation"))
