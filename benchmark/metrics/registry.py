"""A registry of named scalar metrics, each recording which direction is better.

Scoring code and the leaderboard look metrics up by name (``"pbc/acc"``, ``"patch/cross/ap"``)
instead of importing functions, so adding a metric is one decorator. Every registered function
returns one ``float``; ``nan`` means "undefined on this input" (e.g. no positives), so aggregate
with ``np.nanmean``.

Call signatures by level (all arrays numpy):

- ``"segment"``: ``fn(pred, gt, *, areas=None, ...)``; ``pred``/``gt`` ``(N,) int`` per-segment
  label ids (entry ``i`` is segment id ``i + 1``), ``areas`` ``(N,) int`` pixel counts.
- ``"sequence"``: ``fn(gt_labels, steps, *, areas=None)``; ``gt_labels`` a list of ``(N_t,) int``
  per frame of one clip (frame 0 = GT reference), ``steps`` per-step matches or a label
  predictor, ``areas`` a list of ``(N_t,) int`` (see ``propagation.py``).
- ``"patch"``: ``fn(similarity, gt, valid=None)``; ``(2N, 2N) float``, ``(2N, 2N) bool``,
  ``(2N,) bool``.
- ``"region"``: ``fn(pred_map, gt_map)``; two ``(H, W) int`` maps of one image, ``0`` = line.
- ``"region_pair"``: ``fn(pred_a, pred_b, pred_matches, gt_a, gt_b, gt_matches)``; maps
  ``(H, W) int`` and match edge lists ``(K, 2) int`` of (region id in A, region id in B).
- ``"count"``: not a score but a count a result reports beside its metrics (``region/matches``);
  never ranked.

**Result columns** use the same names. A column is a registered name, or a registered name
qualified by the part of the protocol it was measured on: ``<name>@gap<N>`` (the pairs ``N``
frames apart; unqualified segment metrics are on the consecutive pairs, BasicPBC's protocol),
``<name>@micro`` (pooled over pairs instead of averaged), or a per-image block
``<family>/<block>/<metric>`` of a registered ``<family>/<metric>`` (``region/intra_a/ari``).
:func:`column_metric` resolves a column; an unknown one is an error, never ranked by a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from dataprep.errors import LinecorrError

LEVELS = ("segment", "sequence", "patch", "region", "region_pair", "count")
#: Qualifiers a result column may add after ``@`` (see the module docstring).
QUALIFIER = re.compile(r"gap[1-9][0-9]*|micro|(non)?recursive[1-9][0-9]*")
#: Per-image blocks a region column may insert between family and metric.
IMAGE_BLOCKS = ("intra_a", "intra_b")


@dataclass(frozen=True)
class MetricSpec:
    """One registered metric.

    Attributes:
        name: Unique name, ``"<family>/<metric>"`` or ``"<family>/<block>/<metric>"``.
        fn: The function computing it; returns a ``float`` (``nan`` when undefined).
        higher_is_better: ``True``/``False``; ``None`` when the best value is ``target``
            (e.g. the cluster ratio, best at 1.0).
        level: One of ``LEVELS``; fixes the call signature (see the module docstring).
        description: One line for tables and ``--help``.
        target: The ideal value when ``higher_is_better`` is ``None``.
        options: Scorer settings the function takes as keywords (e.g. ``("background_label",)``):
            the scorer iterates the registry and passes each metric only the settings it names.
    """

    name: str
    fn: Callable[..., float]
    higher_is_better: bool | None
    level: str
    description: str
    target: float | None = None
    options: tuple[str, ...] = ()

    def __call__(self, *args, **kwargs) -> float:
        return self.fn(*args, **kwargs)

    @property
    def ranked(self) -> bool:
        """Whether tables rank methods by this entry (counts are not ranked)."""
        return self.level != "count"

    def better(self, a: float, b: float) -> bool:
        """Whether value ``a`` is strictly better than value ``b`` under this metric."""
        if not self.ranked:
            return False
        if self.higher_is_better is None:
            return abs(a - self.target) < abs(b - self.target)
        return a > b if self.higher_is_better else a < b


_REGISTRY: dict[str, MetricSpec] = {}


def register(
    name: str,
    *,
    higher_is_better: bool | None,
    level: str,
    description: str,
    target: float | None = None,
    options: tuple[str, ...] = (),
) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Decorator adding a metric function to the registry; returns the function unchanged.

    Example:
        ``@register("ant/accuracy", higher_is_better=True, level="segment", description="...")``
    """
    # Programming errors (not user input), hence plain ValueError.
    if level not in LEVELS:
        raise ValueError(f"unknown metric level {level!r}; expected one of {LEVELS}")
    if higher_is_better is None and target is None and level != "count":
        raise ValueError(f"metric {name!r}: higher_is_better=None needs a target")

    def decorator(fn: Callable[..., float]) -> Callable[..., float]:
        if name in _REGISTRY and _REGISTRY[name].fn is not fn:
            raise ValueError(f"metric {name!r} is already registered")
        _REGISTRY[name] = MetricSpec(name, fn, higher_is_better, level, description, target, tuple(options))
        return fn

    return decorator


def get_metric(name: str) -> MetricSpec:
    """Look a metric up by name.

    Raises:
        LinecorrError: The name is not registered (a user can type it on the command line).
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LinecorrError(f"unknown metric {name!r}; known metrics: {', '.join(sorted(_REGISTRY))}") from None


def list_metrics(level: str | None = None) -> list[str]:
    """Sorted names of the registered metrics, optionally only those of one level."""
    return sorted(n for n, s in _REGISTRY.items() if level is None or s.level == level)


def column_metric(column: str) -> MetricSpec:
    """The registered metric a result column reports (its direction, description, level).

    Args:
        column: a key of a result's ``metrics``: a registered name, ``<name>@<qualifier>``
            (:data:`QUALIFIER`) or a per-image block ``<family>/<block>/<metric>``.

    Raises:
        LinecorrError: the column names no registered metric (a typo, or a metric from a newer
            version): tables must not rank by a guessed direction.
    """
    if column in _REGISTRY:
        return _REGISTRY[column]
    base, at, qual = column.partition("@")
    if at and not QUALIFIER.fullmatch(qual):
        raise LinecorrError(f"unknown metric column {column!r}: qualifier {qual!r} is not one of "
                            "gap<N>, micro, recursive<N>, nonrecursive<N>")
    parts = base.split("/")
    if len(parts) == 3 and parts[1] in IMAGE_BLOCKS:
        base = f"{parts[0]}/{parts[2]}"
    if base in _REGISTRY:
        return _REGISTRY[base]
    raise LinecorrError(f"unknown metric column {column!r}; known metrics: {', '.join(sorted(_REGISTRY))}")
