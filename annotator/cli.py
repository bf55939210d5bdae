"""``linecorr annotate``: the correction web app (issue #6)."""

from __future__ import annotations

from dataprep.cli import add_command, not_built


def register(sub, name: str) -> None:
    add_command(sub, name, "correct evaluation pairs by hand in the browser [not built yet]",
                "linecorr annotate data/eval --port 8765", not_built(name, 6, "the annotator"))
