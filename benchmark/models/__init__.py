"""Learned matchers, loaded from a checkpoint by name (``linecorr score --model NAME``).

Each matcher has ``name`` and ``match(frame_a, frame_b) -> (N_b, N_a) scores`` (the ``Matcher``
protocol), the interface of the baselines and of ``benchmark.predict.predict_split``. The models
and their train / score hooks are listed in :mod:`benchmark.models.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.models.registry import MODELS, Matcher, ModelSpec, RegionPredictor, get_model, load_matcher
from dataprep.errors import LinecorrError


@dataclass
class MatcherInfo:
    """What a learned matcher ran (recorded as the method's params in predictions and results)."""

    checkpoint: str = ""  # checkpoint file
    preset: str = ""  # the training preset it started from
    step: int = 0  # optimizer steps it was trained for
    parameters: int = 0  # trainable parameters


#: Test-time augmentations of the learned matchers (``use_tta``, ``linecorr score --tta``): "hflip" also
#: runs the pair mirrored left to right and averages the two score matrices (AnT: logits; patch-ViT: cosines).
TTA_MODES = ("none", "hflip")


def check_tta(mode: str) -> str:
    """``mode`` if it is one of :data:`TTA_MODES`.

    Raises:
        LinecorrError: an unknown mode (it may come from a script's command line).
    """
    if mode not in TTA_MODES:
        raise LinecorrError(f"tta={mode!r} is not one of {', '.join(TTA_MODES)}")
    return mode


def tta_views(mode: str) -> tuple[bool, ...]:
    """The views a matcher runs for ``mode``: ``(False,)`` as drawn, ``(False, True)`` with the mirror image."""
    return (False, True) if mode == "hflip" else (False,)


def count_parameters(model) -> int:
    """Number of trainable parameters of a ``torch.nn.Module``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


__all__ = ["MODELS", "Matcher", "MatcherInfo", "ModelSpec", "RegionPredictor", "count_parameters", "get_model",
           "load_matcher"]
