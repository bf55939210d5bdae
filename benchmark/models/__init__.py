"""Learned matchers, loaded from a checkpoint by name (``linecorr score --model NAME``).

Each matcher has ``name`` and ``match(frame_a, frame_b) -> (N_b, N_a) scores``, the interface of
the baselines and of ``benchmark.predict.predict_split``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

#: model name -> "module:class" with a ``from_checkpoint(path, device)`` constructor.
MODELS: dict[str, str] = {
    "ant": "benchmark.models.ant.matcher:AntMatcher",
    "patch-vit": "benchmark.models.vit.matcher:PatchVitMatcher",
}


@dataclass
class MatcherInfo:
    """What a learned matcher ran (recorded as the method's params in predictions and results)."""

    checkpoint: str = ""  # checkpoint file
    preset: str = ""  # the training preset it started from
    step: int = 0  # optimizer steps it was trained for
    parameters: int = 0  # trainable parameters


def count_parameters(model) -> int:
    """Number of trainable parameters of a ``torch.nn.Module``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def load_matcher(name: str, checkpoint: str | os.PathLike, device: str = "cpu"):
    """Build the matcher of model ``name`` from a checkpoint file.

    Raises:
        LinecorrError: unknown model name, missing or unreadable checkpoint.
    """
    import importlib

    from dataprep.errors import LinecorrError

    if name not in MODELS:
        raise LinecorrError(f"unknown model {name!r} (known: {', '.join(MODELS)})")
    mod, _, cls = MODELS[name].partition(":")
    return getattr(importlib.import_module(mod), cls).from_checkpoint(checkpoint, device)
