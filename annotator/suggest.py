"""Model suggestions in the correction loop: a small provider interface and its registry.

The matchers live in ``benchmark`` (baselines, learned models), which sits *above* the annotator, so
the annotator never imports them: it defines what a suggestion provider is (:class:`Suggester`) and
discovers providers through the ``linecorr.suggesters`` entry point group (package metadata, like
the CLI's ``linecorr.commands``). ``benchmark`` registers one per baseline and ``ant`` for AnT
checkpoints; ``linecorr annotate --suggest NAME`` (or ``--suggest ant:PATH``) picks one.

An entry point ``NAME = "module:factory"`` names a factory called as ``factory(name, arg)``, where
``arg`` is what followed ``NAME:`` in ``--suggest`` (None without), returning a :class:`Suggester`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from typing import Protocol, runtime_checkable

import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format.dataset import Frame

GROUP = "linecorr.suggesters"
#: Below this confidence a match counts as "low confidence" unless the page says otherwise.
LOW_CONFIDENCE = 0.7

#: Providers registered in code (tests, embedding scripts), before the entry points: name -> factory.
_EXTRA: dict[str, Callable[[str, str | None], Suggester]] = {}


@runtime_checkable
class Suggester(Protocol):
    """A matcher the annotator can ask for suggestions."""

    name: str  # shown in the page and recorded as the source of accepted matches ("suggest:NAME")

    def suggest(self, frame_a: Frame, frame_b: Frame) -> np.ndarray:
        """``(K, 3) float`` rows ``[a, b, confidence]``: segment a of A matches b of B, confidence in 0..1.

        The frames carry no labels (``labels`` None, ``segments.label`` -1): a provider sees what a
        method being scored sees.
        """
        ...


def register_suggester(name: str, factory: Callable[[str, str | None], Suggester]) -> None:
    """Make a provider available under ``name`` without an entry point (tests, scripts)."""
    _EXTRA[name] = factory


def available_suggesters() -> list[str]:
    """Names ``--suggest`` accepts: registered in code, then the installed entry points."""
    from importlib.metadata import entry_points

    return sorted({*_EXTRA, *(ep.name for ep in entry_points(group=GROUP))})


def load_suggester(spec: str) -> Suggester:
    """The provider ``spec`` names: ``NAME`` or ``NAME:ARG`` (e.g. ``ant:runs/ant/best.safetensors``).

    Raises:
        LinecorrError: no provider of that name (the message lists the known ones).
    """
    from importlib.metadata import entry_points

    name, sep, arg = spec.partition(":")
    factory = _EXTRA.get(name)
    if factory is None:
        eps = [ep for ep in entry_points(group=GROUP) if ep.name == name]
        if not eps:
            known = ", ".join(available_suggesters()) or "none installed"
            raise LinecorrError(f"unknown suggestion provider {name!r} (known: {known})")
        factory = eps[0].load()
    s = factory(name, arg if sep else None)
    if not isinstance(s, Suggester):
        raise LinecorrError(f"suggestion provider {name!r} did not return a Suggester")
    return s


def check_edges(edges: np.ndarray, ids_a: set[int], ids_b: set[int]) -> list[list]:
    """A provider's answer as JSON rows ``[a, b, confidence]``, sorted by confidence (highest first),
    keeping only segments that exist and confidences clipped to 0..1."""
    e = np.asarray(edges, np.float64).reshape(-1, 3)
    out = [[int(a), int(b), round(min(1.0, max(0.0, float(c))), 4)] for a, b, c in e.tolist()
           if int(a) in ids_a and int(b) in ids_b and c > 0]
    out.sort(key=lambda r: (-r[2], r[0], r[1]))
    return out


def pair_stats(state: dict, ids_a: list[int], ids_b: list[int], low: float = LOW_CONFIDENCE,
               background_a: Collection[int] = (), background_b: Collection[int] = ()) -> dict:
    """What the queue sorts and filters on: the lowest confidence of an automatic match, how many
    automatic matches fall below ``low``, and how many segments are unlabelled (neither matched nor
    marked "no match"), per frame.

    ``background_a`` / ``background_b``: the frames' background segments
    (:func:`annotator.tables.background_ids`), never counted as unlabelled: a rendered pair leaves the
    paper unmatched, and counting it would flag every pair.
    """
    ma = {m[0] for m in state["matches"]}
    mb = {m[1] for m in state["matches"]}
    auto = [float(m[3]) for m in state["matches"] if m[2] != "manual"]
    un_a = len(set(ids_a) - ma - set(state["unmatched_a"]) - set(background_a))
    un_b = len(set(ids_b) - mb - set(state["unmatched_b"]) - set(background_b))
    return {"min_conf": min(auto) if auto else None, "low": sum(c < low for c in auto),
            "unlabelled": un_a + un_b, "unlabelled_a": un_a, "unlabelled_b": un_b}


class SuggestionCache:
    """Suggestions per pair and frame versions, computed once (a matcher may take seconds)."""

    def __init__(self, suggester: Suggester, size: int = 64) -> None:
        self.suggester = suggester
        self.size = size
        self._done: dict[tuple, list[list]] = {}
        self._lock = threading.Lock()
        self._busy: dict[tuple, threading.Lock] = {}

    def get(self, key: tuple, compute: Callable[[], list[list]]) -> list[list]:
        with self._lock:
            if key in self._done:
                return self._done[key]
            busy = self._busy.setdefault(key, threading.Lock())
        with busy:  # two requests for the same pair compute it once
            with self._lock:
                if key in self._done:
                    return self._done[key]
            out = compute()
            with self._lock:
                self._done[key] = out
                self._busy.pop(key, None)
                while len(self._done) > self.size:
                    self._done.pop(next(iter(self._done)))
        return out


__all__ = [
    "GROUP",
    "LOW_CONFIDENCE",
    "Suggester",
    "SuggestionCache",
    "available_suggesters",
    "check_edges",
    "load_suggester",
    "pair_stats",
    "register_suggester",
]
