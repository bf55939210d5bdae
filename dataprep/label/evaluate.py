"""Quality of pseudo-labels on data with ground truth (``linecorr label --eval``).

The labeller segments frames itself, so its regions are not the GT segments. Each predicted
region is mapped to the GT id covering most of its pixels (its *dominant* id; *purity* = that
share), using GT ids that are consistent across the frames of a clip: the pixel label maps
(rendered clips, PBC imports) or else the segment tables' ``label`` column. Only pixels inside GT
segments are evaluated (GT lines belong to no region). GT background (label -1) is a region
too, so a predicted region spilling into the background is impure; predicted pairs whose two
regions are both background are left out (matching paper to paper says nothing).

Figures, pooled over all pairs (and per frame gap, and per split):

* region precision / recall: the manga paper's Table 2 metric (purity > 0.8), computed by
  :func:`dataprep.overlap.region_match_scores`, which the benchmark's region metrics use too,
  so the labeller and the benchmark share one definition; GT pairs = every part id present in
  both frames.
* segment accuracy: share of target regions (of frame B, background excluded) whose match
  carries the right GT id: the best-confidence source region's dominant id equals the target's,
  or, for a target whose part is absent from A, the target is unmatched.
* pixel accuracy: the same weighted by the target regions' evaluated pixels.
* coverage: share of target regions with a match; vote / chain / coarse: matches by each step,
  and the share of each step's matches whose two regions carry the same GT id.
"""

from __future__ import annotations

import math
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format import Dataset, Frame
from dataprep.overlap import PURITY_THRESHOLD, dominant_regions, region_match_scores

BACKGROUND = 1  # GT id of the background in the maps built here; parts are label + 2; 0 = not evaluated


def gt_id_map(frame: Frame, where: str = "") -> np.ndarray:
    """``(H, W) int64`` GT ids: 0 = not evaluated (GT line), 1 = background, ``label + 2`` for parts.

    Raises:
        LinecorrError: the frame has neither pixel label maps nor segment labels.
    """
    seg = frame.seg
    if frame.labels is not None:
        lab = frame.labels.astype(np.int64)
    else:
        lut = np.full(int(seg.max()) + 1, -1, np.int64)
        lut[frame.segments.ids] = frame.segments.label
        if not (frame.segments.label >= 0).any():
            raise LinecorrError("has no correspondence labels (pixel label maps or segment label ids); "
                                "--eval needs ground truth such as rendered clips or PBC imports", where or None)
        lab = lut[seg]
    out = np.where(lab >= 0, lab + 2, BACKGROUND)
    out[seg == 0] = 0
    return out


def dominant_ids(pred: np.ndarray, gt: np.ndarray) -> dict[int, tuple[int, float, int]]:
    """``{predicted id: (dominant GT id, purity, evaluated pixels)}`` for predicted ids > 0 on evaluated pixels.

    Args:
        pred: ``(H, W) int`` predicted region map (0 = line).
        gt: ``(H, W) int64`` GT id map from :func:`gt_id_map` (0 = not evaluated).
    """
    if not (gt > 0).any():  # nothing evaluated: no region has a dominant id (not an error here)
        return {}
    return dominant_regions(pred, gt)


@dataclass
class PairScore:
    """Counts of one pair (sums of these give pooled figures)."""

    gap: int
    n_pure: int = 0
    n_correct: int = 0
    n_gt_pairs: int = 0
    n_recovered: int = 0
    n_targets: int = 0
    n_targets_right: int = 0
    px_targets: int = 0
    px_targets_right: int = 0
    n_targets_matched: int = 0
    n_vote: int = 0
    n_coarse: int = 0
    n_matches: int = 0
    n_vote_correct: int = 0
    n_vote_scored: int = 0
    n_coarse_correct: int = 0
    n_coarse_scored: int = 0
    n_chain: int = 0
    n_chain_correct: int = 0


def score_pair(pred_a: np.ndarray, pred_b: np.ndarray, matches: list[tuple[int, int, float, str]],
               gt_a: np.ndarray, gt_b: np.ndarray, gap: int = 0) -> PairScore:
    """Score one pair's matches against GT id maps.

    Args:
        pred_a, pred_b: ``(H, W) int`` predicted region maps (0 = line).
        matches: ``(id_a, id_b, confidence, how)`` edges (``how``: vote / coarse / anything).
        gt_a, gt_b: ``(H, W) int64`` GT id maps from :func:`gt_id_map`.
        gap: frame gap, for grouping.
    """
    dom_a, dom_b = dominant_ids(pred_a, gt_a), dominant_ids(pred_b, gt_b)
    s = PairScore(gap)
    kept = [(a, b, c, how) for a, b, c, how in matches
            if not (dom_a.get(a, (0,))[0] == BACKGROUND and dom_b.get(b, (0,))[0] == BACKGROUND)]
    parts_a = set(np.unique(gt_a[gt_a > BACKGROUND]).tolist())
    parts_b = set(np.unique(gt_b[gt_b > BACKGROUND]).tolist())
    gt_pairs = [(g, g) for g in sorted(parts_a & parts_b)]
    if gt_pairs or kept:
        r = region_match_scores(pred_a, pred_b, [(a, b) for a, b, _, _ in kept] or np.zeros((0, 2), np.int64),
                                gt_a, gt_b, gt_pairs or np.zeros((0, 2), np.int64), purity_threshold=PURITY_THRESHOLD)
        s.n_pure, s.n_correct = int(r["n_pure_pairs"]), int(r["n_correct"])
        s.n_gt_pairs, s.n_recovered = int(r["n_gt_pairs"]), int(r["n_recovered"])
    best: dict[int, tuple[float, int]] = {}
    for a, b, c, how in matches:
        if c > best.get(b, (-1.0, 0))[0]:
            best[b] = (c, a)
        s.n_matches += 1
        right = dom_a.get(a, (0,))[0] == dom_b.get(b, (-1,))[0]
        if how == "vote":
            s.n_vote += 1
            s.n_vote_scored += 1
            s.n_vote_correct += right
        elif how == "coarse":
            s.n_coarse += 1
            s.n_coarse_scored += 1
            s.n_coarse_correct += right
        elif how == "chain":
            s.n_chain += 1
            s.n_chain_correct += right
    for b, (g, _, px) in dom_b.items():
        if g == BACKGROUND:
            continue
        s.n_targets += 1
        if b in best:
            s.n_targets_matched += 1
            ok = dom_a.get(best[b][1], (0,))[0] == g
        else:
            ok = g not in parts_a
        s.n_targets_right += ok
        s.px_targets += px
        s.px_targets_right += px * ok
    return s


def summarise(scores: list[PairScore]) -> dict:
    """Pooled figures of a list of pair scores (see the module docstring)."""
    t = defaultdict(int)
    for s in scores:
        for k, v in vars(s).items():
            if k != "gap":
                t[k] += v

    def ratio(a: str, b: str) -> float:
        return t[a] / t[b] if t[b] else float("nan")

    return {"pairs": len(scores), "region_precision": ratio("n_correct", "n_pure"),
            "region_recall": ratio("n_recovered", "n_gt_pairs"),
            "segment_accuracy": ratio("n_targets_right", "n_targets"),
            "pixel_accuracy": ratio("px_targets_right", "px_targets"),
            "coverage": ratio("n_targets_matched", "n_targets"),
            "vote_match_accuracy": ratio("n_vote_correct", "n_vote_scored"),
            "coarse_match_accuracy": ratio("n_coarse_correct", "n_coarse_scored"),
            "chain_match_accuracy": ratio("n_chain_correct", "n_chain"),
            "vote_matches": t["n_vote"], "chain_matches": t["n_chain"], "coarse_matches": t["n_coarse"], "target_regions": t["n_targets"],
            "pure_pairs": t["n_pure"], "gt_pairs": t["n_gt_pairs"]}


@dataclass
class EvalReport:
    """Pooled figures overall and per frame gap."""

    overall: dict
    by_gap: dict[int, dict] = field(default_factory=dict)
    by_split: dict[str, dict] = field(default_factory=dict)

    def to_json(self) -> dict:
        """The figures as JSON-able dicts; a ratio with nothing to count (NaN) becomes null."""
        def clean(d: dict) -> dict:
            return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in d.items()}

        return {"overall": clean(self.overall), "by_gap": {str(k): clean(v) for k, v in sorted(self.by_gap.items())},
                "by_split": {k: clean(v) for k, v in sorted(self.by_split.items())}}

    def table(self) -> str:
        """The report as a text table (one row per gap, then all)."""
        cols = [("pairs", "pairs", "{:d}"), ("region_precision", "reg.P", "{:.3f}"),
                ("region_recall", "reg.R", "{:.3f}"), ("segment_accuracy", "seg.acc", "{:.3f}"),
                ("pixel_accuracy", "pix.acc", "{:.3f}"), ("coverage", "covered", "{:.3f}"),
                ("vote_match_accuracy", "vote.acc", "{:.3f}"), ("chain_match_accuracy", "chain.acc", "{:.3f}"),
                ("coarse_match_accuracy", "coarse.acc", "{:.3f}"), ("vote_matches", "votes", "{:d}"),
                ("chain_matches", "chain", "{:d}"), ("coarse_matches", "coarse", "{:d}")]
        lines = ["pairs        " + " ".join(f"{h:>10}" for _, h, _ in cols)]
        rows = [(f"gap {g}", r) for g, r in sorted(self.by_gap.items())]
        if len(self.by_split) > 1:
            rows += [(f"{s[:8]}", r) for s, r in sorted(self.by_split.items())]
        rows.append(("all", self.overall))
        for name, r in rows:
            lines.append(f"{name:<12} " + " ".join(f"{fmt.format(r[k]):>10}" for k, _, fmt in cols))
        return "\n".join(lines)


def _number(name: str) -> int | None:
    """The frame number in a name (``frame_0007`` -> 7, ``0007`` -> 7), None without digits."""
    digits = re.findall(r"\d+", name)
    return int(digits[-1]) if digits else None


def match_gt_clip(out: Dataset, clip: str, ref: Dataset) -> str:
    """The GT clip of labelled clip ``clip``, by name.

    Tried in order: the same id; the folder the frames came from, and the folder above it
    (``linecorr label GT/clips/c01/color`` labels clip ``color`` of folder ``c01``); and when
    both datasets hold a single clip, that one.

    Raises:
        LinecorrError: no GT clip of that name, naming the GT clips.
    """
    src = out.clip(clip).source
    for name in (clip, src.get("folder"), src.get("parent")):
        if name and name in ref.clip_ids:
            return name
    if len(out.clip_ids) == 1 and len(ref.clip_ids) == 1:
        return ref.clip_ids[0]
    raise LinecorrError(f"clip {clip!r} has no clip of that name in the ground truth {ref.root} (clips: "
                        f"{', '.join(ref.clip_ids[:10])}); name the folders of images like the GT clips", out.root)


def match_gt_frame(clip: str, frame: str, gt_clip: str, ref: Dataset, where: str) -> str:
    """The GT frame of labelled frame ``frame``: the same id, else the same frame number (``frame_0007`` ~ ``0007``).

    Raises:
        LinecorrError: none or several GT frames match, naming the GT clip's frames.
    """
    frames = ref.clip(gt_clip).frames
    if frame in frames:
        return frame
    n = _number(frame)
    same = [f for f in frames if n is not None and _number(f) == n]
    if len(same) == 1:
        return same[0]
    raise LinecorrError(f"frame {frame!r} of clip {clip!r} has {'several' if same else 'no'} frames of that name "
                        f"or number in GT clip {gt_clip!r} (frames: {', '.join(frames[:8])}"
                        f"{', ...' if len(frames) > 8 else ''})", where)


def evaluate_dataset(labelled: str, gt: str | None = None, progress: bool = True) -> EvalReport:
    """Score every ``auto`` pair of a labelled dataset against the GT of its input dataset.

    Args:
        labelled: a dataset written by ``linecorr label``.
        gt: the dataset with ground truth; default: the labelled dataset's parent (manifest
            ``parent.path``). Clips and frames are matched by name (:func:`match_gt_clip`,
            :func:`match_gt_frame`), so a folder of images labelled by ``linecorr label`` can be
            scored against the dataset the images came from.
        progress: show a progress bar.

    Raises:
        LinecorrError: no GT dataset, a clip or frame without a GT counterpart, frames of
            different sizes, or GT without correspondence labels.
    """
    from tqdm import tqdm

    out = Dataset.open(labelled)
    gt_path = gt or (out.manifest.parent or {}).get("path")
    if not gt_path:
        raise LinecorrError("has no parent dataset to take ground truth from (it was labelled from a folder of "
                            "images); pass the GT dataset (--gt DATASET)", out.root)
    ref = Dataset.open(gt_path)
    cache: dict[tuple[str, str], np.ndarray] = {}
    clips: dict[str, str] = {}

    def gt_map(clip: str, frame: str) -> np.ndarray:
        if (clip, frame) not in cache:
            if len(cache) > 64:
                cache.clear()
            if clip not in clips:
                clips[clip] = match_gt_clip(out, clip, ref)
            where = f"{out.root}/clips/{clip}"
            gc = clips[clip]
            gf = match_gt_frame(clip, frame, gc, ref, where)
            ids = gt_id_map(ref.load_frame(gc, gf), f"{ref.root}/clips/{gc}")
            shape = out.clip(clip)
            if ids.shape != (shape.height, shape.width):
                raise LinecorrError(f"frame {frame!r} is {shape.width}x{shape.height}, its ground truth {gc}/{gf} in "
                                    f"{ref.root} is {ids.shape[1]}x{ids.shape[0]}", where)
            cache[(clip, frame)] = ids
        return cache[(clip, frame)]

    scores = []
    for pid in tqdm(out.pair_ids(), desc="evaluate", unit="pair", file=sys.stderr, disable=not progress or None):
        p = out.load_pair(pid)
        how = {tuple(e): k for k in ("coarse", "chain") for e in p.meta.get("labeller", {}).get(k, [])}
        ms = [(m.a, m.b, m.confidence, how.get((m.a, m.b), "vote" if m.source == "auto" else m.source))
              for m in p.matches]
        gap = int(p.meta.get("gap", 0))
        scores.append(score_pair(out.load_seg(p.clip, p.frame_a), out.load_seg(p.clip, p.frame_b), ms,
                                 gt_map(p.clip, p.frame_a), gt_map(p.clip, p.frame_b), gap))
    if not scores:
        raise LinecorrError("has no pairs to evaluate", out.root)
    by_gap: dict[int, list[PairScore]] = defaultdict(list)
    by_split: dict[str, list[PairScore]] = defaultdict(list)
    for pid, s in zip(out.pair_ids(), scores):
        by_gap[s.gap].append(s)
        by_split[out.split_of(pid.split("/")[0]) or "none"].append(s)
    return EvalReport(summarise(scores), {g: summarise(v) for g, v in by_gap.items()},
                      {k: summarise(v) for k, v in by_split.items()})
