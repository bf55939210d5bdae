"""``linecorr train`` / ``score`` / ``leaderboard`` (issues #7, #8, #9)."""

from __future__ import annotations

from dataprep.cli import add_command, not_built


def register_train(sub, name: str) -> None:
    add_command(sub, name, "train AnT or patch-ViT [not built yet]",
                "linecorr train ant --config tiny --dataset data/synth --out runs/ant_tiny",
                not_built(name, 8, "training"))


def register_score(sub, name: str) -> None:
    add_command(sub, name, "score predictions or a model on a benchmark split [not built yet]",
                "linecorr score preds.json --dataset data/synth --split test", not_built(name, 7, "scoring"))


def register_leaderboard(sub, name: str) -> None:
    add_command(sub, name, "build LEADERBOARD.md and an HTML leaderboard from result JSONs [not built yet]",
                "linecorr leaderboard results/*.json --out leaderboard", not_built(name, 7, "the leaderboard"))
