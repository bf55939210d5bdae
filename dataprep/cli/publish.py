"""``linecorr publish``: Hugging Face datasets export (being written)."""

from __future__ import annotations

from dataprep.cli import add_command, not_built


def register(sub, name: str) -> None:
    add_command(sub, name, "publish a dataset as a Hugging Face DatasetDict with parquet shards and a card "
                "[being written]", "linecorr publish data/pbc --out hf/pbc", not_built(name, 2, "publishing"))
