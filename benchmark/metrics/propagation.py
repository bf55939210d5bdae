"""AnT's evaluation protocol: labels propagated over 10 frames from one GT reference frame.

AnT (sec. 4.3, Fig. 8) seeds a clip with the GT labels of its first frame and *recursively*
propagates them: the labels predicted for frame ``t`` are the reference for frame ``t + 1``, for
10 target frames. Errors therefore accumulate, which is the point of the protocol. The
non-recursive variant predicts every frame ``t + 1`` from the GT labels of frame ``t`` (a plain
pairwise score). Accuracy and mean IoU (``segment.py``) are computed on the segments of all
target frames of the clip pooled together ("averaged over all segments in each of the target
sequences"); average clips with ``np.nanmean`` to score a data set.

The protocol is model-agnostic. A *step* relates target frame ``t + 1`` to reference frame ``t``
and is one of:

- an assignment ``(N_{t+1},) int``: index (``0..N_t - 1``, i.e. segment id - 1) of the frame-``t``
  segment each target segment copies its label from, ``-1`` = unmatched;
- a score matrix ``(N_{t+1}, N_t) float >= 0`` (e.g. AnT's row-softmaxed similarity): as in AnT
  eq. 3 the label scores are ``S @ onehot(labels_t)`` and each target segment takes the label
  with the largest summed score (ties → the smallest label; an all-zero row → unmatched);
- or, instead of a list of steps, a callable ``predict(t, labels_t) -> labels_{t+1}`` for models
  that consume labels (e.g. colors) rather than output matches.

Matches do not depend on the labels, so a matcher's steps can be computed once and reused for
both variants. Edge lists from the data format convert with ``edges_to_scores``.

The registered ``ant/*@recursive10`` and ``ant/*@nonrecursive10`` metrics (the names results use) score one clip (frame 0
as reference and up to 10 targets); ``evaluate_sequence`` cuts a longer sequence into such clips,
each reseeded from GT (``propagation_clips``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from benchmark.metrics.registry import register
from benchmark.metrics.segment import ant_accuracy, ant_mean_iou, ant_mean_iou_pixel
from dataprep import checks as v
from dataprep.errors import LinecorrError

LabelPredictor = Callable[[int, np.ndarray], np.ndarray]
Steps = Sequence[np.ndarray] | LabelPredictor


@dataclass
class PropagationConfig:
    """How labels are propagated and scored."""

    horizon: int = 10  # target frames per GT reference frame (AnT: 10)
    recursive: bool = True  # True: t+1 from *predicted* labels of t (paper); False: from GT of t
    unmatched_label: int = -1  # label of a target segment that matched nothing
    ignore_label: int | None = None  # GT label whose segments are not scored (None: score all)


@dataclass
class PropagationResult:
    """Scores of one clip (reference frame + up to ``horizon`` target frames).

    Attributes:
        accuracy: Pooled per-segment accuracy over all target frames.
        mean_iou: Pooled segment-count mean IoU over label classes.
        mean_iou_pixel: Pooled pixel mean IoU (``nan`` when no areas were given).
        frame_accuracy: Accuracy of each target frame (``nan`` for a frame with no scored segment).
        predictions: Predicted ``(N_t,) int64`` labels of each target frame.
        n_segments: Number of target segments scored.
    """

    accuracy: float
    mean_iou: float
    mean_iou_pixel: float
    frame_accuracy: list[float] = field(default_factory=list)
    predictions: list[np.ndarray] = field(default_factory=list)
    n_segments: int = 0


def edges_to_scores(edges, n_source: int, n_target: int) -> np.ndarray:
    """Turn a match edge list into a step score matrix (1 per edge).

    Args:
        edges: ``(K, 2) int`` of (segment id in source frame ``t``, segment id in target frame
            ``t + 1``), ids ``1..N`` as in the label maps; many-to-many allowed.
        n_source: ``N_t``.
        n_target: ``N_{t+1}``.

    Returns:
        ``(n_target, n_source) float64`` with ``S[j - 1, i - 1] = 1`` for each edge ``(i, j)``.
    """
    e = v.edge_list(edges, "edges")
    if e.size and (e[:, 0].min() < 1 or e[:, 0].max() > n_source):
        raise LinecorrError(f"edges name source segment ids outside 1..{n_source}")
    if e.size and (e[:, 1].min() < 1 or e[:, 1].max() > n_target):
        raise LinecorrError(f"edges name target segment ids outside 1..{n_target}")
    scores = np.zeros((n_target, n_source), np.float64)
    scores[e[:, 1] - 1, e[:, 0] - 1] = 1.0
    return scores


def _source_scores(source_labels, match) -> tuple[np.ndarray, np.ndarray]:
    """One source of eq. 3 as ``(labels (N_s,) int64, scores (N_target, N_s) float64 >= 0)``; an
    assignment becomes one-hot rows (an unmatched target's row is all zero)."""
    src = v.int_vector(source_labels, "source labels", allow_empty=True)
    m = np.asarray(match)
    if m.ndim == 1:
        idx = v.int_vector(m, "assignment", allow_empty=True)
        if idx.size and (idx.min() < -1 or idx.max() >= src.size):
            raise LinecorrError(f"assignment indices must lie in -1..{src.size - 1}")
        scores = np.zeros((idx.size, src.size))
        scores[np.flatnonzero(idx >= 0), idx[idx >= 0]] = 1.0
        return src, scores
    if m.ndim != 2 or m.shape[1] != src.size:
        raise LinecorrError(f"step scores must have shape (N_target, {src.size}), got {m.shape}")
    scores = m.astype(np.float64)
    if not np.all(np.isfinite(scores)) or np.any(scores < 0):
        raise LinecorrError("step scores must be finite and >= 0 (e.g. softmaxed similarities)")
    return src, scores


def vote_labels(sources, *, unmatched_label: int = -1) -> np.ndarray:
    """AnT's eq. 3 over several source frames: each target segment takes the label with the largest
    summed, weighted score over all sources.

    Used by ``linecorr colorize`` to let the colored reference frame vote on every frame beside the
    previous one (``ColorizeConfig.reference_weight``); the benchmark protocol has one source per step.

    Args:
        sources: ``[(labels, match, weight), ...]``: ``labels (N_s,) int`` of a source frame,
            ``match`` an ``(N_target,) int`` assignment (``-1`` = unmatched) or ``(N_target, N_s)
            float >= 0`` scores, ``weight >= 0`` of its votes. Every source has the same ``N_target``.
        unmatched_label: label of a target segment no source votes for.

    Returns:
        ``(N_target,) int64`` labels; ties go to the smallest label.
    """
    parsed = [(*_source_scores(labels, match), float(w)) for labels, match, w in sources]
    if not parsed:
        raise LinecorrError("vote_labels needs at least one source")
    n_target = {s.shape[0] for _, s, _ in parsed}
    if len(n_target) != 1:
        raise LinecorrError(f"sources score different numbers of target segments: {sorted(n_target)}")
    if any(not np.isfinite(w) or w < 0 for _, _, w in parsed):
        raise LinecorrError("source weights must be finite and >= 0")
    out = np.full(n_target.pop(), unmatched_label, np.int64)
    classes = np.unique(np.concatenate([src for src, _, _ in parsed]))
    if classes.size == 0:
        return out
    votes = np.zeros((out.size, classes.size))
    for src, scores, w in parsed:
        onehot = np.zeros((src.size, classes.size))
        onehot[np.arange(src.size), np.searchsorted(classes, src)] = 1.0
        votes += w * (scores @ onehot)  # AnT eq. 3 with one-hot labels
    best = votes.argmax(axis=1)  # classes are sorted, so ties go to the smallest label
    has = votes.max(axis=1) > 0
    out[has] = classes[best[has]]
    return out


def vote_with_reference(prev_labels, prev_match, ref_labels, ref_match, weight: float, *,
                        unmatched_label: int = -1) -> np.ndarray:
    """One propagation step in which the colored reference frame votes beside the previous frame.

    The previous frame's votes count 1, the reference's ``weight`` (``vote_labels``); ``weight`` 0 is
    the benchmark's plain chain. ``linecorr colorize`` and ``benchmarks/ant_reference_votes.py`` both
    propagate this way.

    Args:
        prev_labels, prev_match: ``(N_prev,) int`` labels of frame t and frame t+1's match to it (as
            in ``vote_labels``).
        ref_labels: ``(N_ref,) int`` labels of the reference frame.
        ref_match: frame t+1's match to the reference, a zero-argument callable returning it (called
            only when ``weight`` > 0, so no matcher runs for votes that would not count), or None
            when frame t is the reference itself.
        weight: the reference's vote weight, >= 0.
        unmatched_label: label of a target segment no source votes for.

    Returns:
        ``(N_{t+1},) int64`` labels.
    """
    sources = [(prev_labels, prev_match, 1.0)]
    if weight > 0 and ref_match is not None:
        sources.append((ref_labels, ref_match() if callable(ref_match) else ref_match, weight))
    return vote_labels(sources, unmatched_label=unmatched_label)


def transfer_labels(source_labels, match, *, unmatched_label: int = -1) -> np.ndarray:
    """Labels of the target frame from the source frame's labels and one step's match.

    Args:
        source_labels: ``(N_t,) int`` labels of the reference frame.
        match: ``(N_{t+1},) int`` assignment or ``(N_{t+1}, N_t) float >= 0`` scores.
        unmatched_label: Label for unmatched target segments.

    Returns:
        ``(N_{t+1},) int64`` predicted labels.
    """
    return vote_labels([(source_labels, match, 1.0)], unmatched_label=unmatched_label)


def _labels_list(gt_labels) -> list[np.ndarray]:
    frames = [v.int_vector(g, f"gt_labels[{t}]", allow_empty=True) for t, g in enumerate(gt_labels)]
    if len(frames) < 2:
        raise LinecorrError(f"propagation needs >= 2 frames (reference + targets), got {len(frames)}")
    return frames


def propagate_labels(gt_labels, steps: Steps, config: PropagationConfig | None = None) -> list[np.ndarray]:
    """Predict labels for the target frames of one clip, starting from frame 0's GT labels.

    Args:
        gt_labels: Per frame ``(N_t,) int`` GT labels; frame 0 is the reference.
        steps: ``steps[t]`` relates frame ``t + 1`` to frame ``t`` (assignment or scores; at least
            ``min(horizon, len(gt_labels) - 1)`` of them), or ``predict(t, labels_t)``.
        config: Horizon, recursive or not, unmatched label.

    Returns:
        Predicted ``(N_t,) int64`` labels of frames ``1..T``, ``T = min(horizon, frames - 1)``.
    """
    cfg = config or PropagationConfig()
    frames = _labels_list(gt_labels)
    if cfg.horizon < 1:
        raise LinecorrError(f"horizon must be >= 1, got {cfg.horizon}")
    n_targets = min(cfg.horizon, len(frames) - 1)
    if not callable(steps) and len(steps) < n_targets:
        raise LinecorrError(f"got {len(steps)} steps for {n_targets} target frames")
    preds: list[np.ndarray] = []
    source = frames[0]
    for t in range(n_targets):
        if callable(steps):
            pred = v.int_vector(steps(t, source.copy()), f"prediction for frame {t + 1}", allow_empty=True)
        else:
            pred = transfer_labels(source, steps[t], unmatched_label=cfg.unmatched_label)
        if pred.shape != frames[t + 1].shape:
            raise LinecorrError(f"frame {t + 1}: {pred.size} predicted labels for {frames[t + 1].size} segments")
        preds.append(pred)
        # The one line that makes the protocol recursive: errors carry into the next step.
        source = pred if cfg.recursive else frames[t + 1]
    return preds


def evaluate_propagation(
    gt_labels, steps: Steps, config: PropagationConfig | None = None, *, areas=None
) -> PropagationResult:
    """Propagate labels over one clip and score the pooled target segments.

    Args:
        gt_labels: Per frame ``(N_t,) int`` GT labels; frame 0 is the reference.
        steps: As in ``propagate_labels``.
        config: As in ``propagate_labels``; ``ignore_label`` drops GT segments from scoring.
        areas: Optional per frame ``(N_t,) int`` pixel counts, for ``mean_iou_pixel``.

    Returns:
        A ``PropagationResult``.

    Raises:
        LinecorrError: Fewer than 2 frames, shape mismatches, or no target segment at all.
    """
    cfg = config or PropagationConfig()
    frames = _labels_list(gt_labels)
    preds = propagate_labels(frames, steps, cfg)
    targets = frames[1 : len(preds) + 1]
    pred_all = np.concatenate(preds)
    gt_all = np.concatenate(targets)
    if gt_all.size == 0:
        raise LinecorrError("the target frames of the clip have no segments to score")
    frame_acc = [
        ant_accuracy(p, g, ignore_label=cfg.ignore_label) if g.size else float("nan") for p, g in zip(preds, targets)
    ]
    miou_pixel = float("nan")
    if areas is not None:
        if len(areas) < len(frames):
            raise LinecorrError(f"got areas for {len(areas)} frames, expected {len(frames)}")
        area_all = np.concatenate(
            [
                v.areas_vector(a, g.size, f"areas[{t + 1}]") if g.size else np.zeros(0, np.int64)
                for t, (a, g) in enumerate(zip(areas[1:], targets))
            ]
        )
        miou_pixel = ant_mean_iou_pixel(pred_all, gt_all, areas=area_all, ignore_label=cfg.ignore_label)
    scored = gt_all if cfg.ignore_label is None else gt_all[gt_all != cfg.ignore_label]
    return PropagationResult(
        accuracy=ant_accuracy(pred_all, gt_all, ignore_label=cfg.ignore_label),
        mean_iou=ant_mean_iou(pred_all, gt_all, ignore_label=cfg.ignore_label),
        mean_iou_pixel=miou_pixel,
        frame_accuracy=frame_acc,
        predictions=preds,
        n_segments=int(scored.size),
    )


def propagation_clips(n_frames: int, horizon: int = 10) -> list[range]:
    """Split a sequence into clips of one reference frame + up to ``horizon`` targets.

    Consecutive clips share a frame (the last target of one is the GT reference of the next),
    so every frame but the first is scored exactly once.

    Example:
        ``propagation_clips(22, 10) == [range(0, 11), range(10, 21), range(20, 22)]``
    """
    if horizon < 1:
        raise LinecorrError(f"horizon must be >= 1, got {horizon}")
    return [range(s, min(s + horizon, n_frames - 1) + 1) for s in range(0, n_frames - 1, horizon)]


def evaluate_sequence(
    gt_labels, steps: Steps, config: PropagationConfig | None = None, *, areas=None
) -> list[PropagationResult]:
    """``evaluate_propagation`` on each clip of ``propagation_clips`` of a long sequence.

    ``steps[t]`` (or ``predict(t, ...)``) keeps the sequence's absolute frame index ``t``.
    """
    cfg = config or PropagationConfig()
    frames = _labels_list(gt_labels)
    results = []
    for clip in propagation_clips(len(frames), cfg.horizon):
        s = clip.start
        if callable(steps):
            clip_steps: Steps = lambda t, labels, s=s: steps(s + t, labels)
        else:
            clip_steps = steps[s : clip.stop - 1]
        clip_areas = None if areas is None else areas[s : clip.stop]
        clip_frames = frames[s : clip.stop]
        results.append(evaluate_propagation(clip_frames, clip_steps, cfg, areas=clip_areas))
    return results


def _register_protocol(recursive: bool) -> None:
    tag = "recursive10" if recursive else "nonrecursive10"
    how = "recursively from one GT frame" if recursive else "each frame from the previous GT frame"
    cfg = PropagationConfig(horizon=10, recursive=recursive)

    def _acc(gt_labels, steps: Steps, *, areas=None) -> float:
        return evaluate_propagation(gt_labels, steps, cfg).accuracy

    def _miou(gt_labels, steps: Steps, *, areas=None) -> float:
        return evaluate_propagation(gt_labels, steps, cfg).mean_iou

    def _miou_pixel(gt_labels, steps: Steps, *, areas=None) -> float:
        if areas is None:
            raise LinecorrError(f"ant/miou_pixel@{tag} needs per-frame segment areas")
        return evaluate_propagation(gt_labels, steps, cfg, areas=areas).mean_iou_pixel

    for name, fn, what in (
        ("accuracy", _acc, "per-segment accuracy"),
        ("miou", _miou, "mean IoU over label classes (segments)"),
        ("miou_pixel", _miou_pixel, "mean IoU over label classes (pixels)"),
    ):
        register(
            f"ant/{name}@{tag}",
            higher_is_better=True,
            level="sequence",
            description=f"AnT {what}, labels propagated over 10 frames {how}",
        )(fn)


_register_protocol(recursive=True)
_register_protocol(recursive=False)
