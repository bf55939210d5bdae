"""Suggestion providers for the annotator (``linecorr annotate --suggest NAME``).

The annotator sits below the benchmark and never imports it; it discovers these factories through
the ``linecorr.suggesters`` entry points (pyproject.toml) and calls ``factory(name, arg)``. Every
baseline of :data:`benchmark.baselines.BASELINES` is one provider; ``ant:CHECKPOINT`` loads an AnT
checkpoint (``benchmark.models.registry.load_matcher``).
"""

from __future__ import annotations

import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format import Frame

#: A source segment scoring at least this share of its target's best score is suggested too (the
#: many-to-many matches of a split or merged segment); the rest are noise a person would not want.
REL_FLOOR = 0.5


class MatcherSuggester:
    """Any benchmark matcher (``match(fa, fb) -> (N_b, N_a)`` scores) as an annotator suggester.

    Confidence: the score itself when every score is in 0..1 (vote shares, one-hot assignments,
    AnT's row softmax); otherwise each row's softmax, so a confidence always reads as a probability.
    """

    def __init__(self, matcher, name: str) -> None:
        self.matcher = matcher
        self.name = name

    def suggest(self, frame_a: Frame, frame_b: Frame) -> np.ndarray:
        from benchmark.predictions import scores_to_edges

        s = np.asarray(self.matcher.match(frame_a, frame_b), np.float64)
        if s.size and (s.min() < 0 or s.max() > 1):
            e = np.exp(s - s.max(axis=1, keepdims=True))
            s = e / e.sum(axis=1, keepdims=True)
        return scores_to_edges(s, frame_a.segments.ids, frame_b.segments.ids, rel_floor=REL_FLOOR)


def baseline(name: str, arg: str | None = None) -> MatcherSuggester:
    """A training-free baseline by name (``--suggest lightglue-vote``)."""
    from benchmark.baselines import get_baseline

    if arg is not None:
        raise LinecorrError(f"suggestion provider {name!r} takes no argument (got {name}:{arg})")
    return MatcherSuggester(get_baseline(name), name)


def ant(name: str, arg: str | None = None) -> MatcherSuggester:
    """An AnT checkpoint (``--suggest ant:runs/ant/best.safetensors``), on the GPU when there is one."""
    from benchmark.models.registry import load_matcher

    if not arg:
        raise LinecorrError("--suggest ant needs a checkpoint: --suggest ant:PATH")
    try:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:  # load_matcher names the missing extra
        device = "cpu"
    return MatcherSuggester(load_matcher("ant", arg, device), "ant")
