"""Scoring a submission on a dataset split: the numbers that go on the leaderboard.

Two protocols, both from the submitted pair matches:

- **pairwise** — every GT pair of the split: each target segment takes the label its matches
  vote for (AnT eq. 3); every registered segment metric (PaintBucket-Character's acc, acc > 10 px,
  pixel acc, pixel acc without background, bmIoU, and AnT's accuracy and mIoUs), averaged over
  pairs. BasicPBC's protocol is consecutive frames, so the plain names (``pbc/acc``) are the pairs
  one frame apart; pairs further apart are reported separately as ``pbc/acc@gap3`` and so on.
- **propagation** — AnT's protocol on every clip: labels propagated over windows of 10 frames
  from one GT reference frame, recursively (``@recursive10``, the paper's) and from the previous
  GT frame (``@nonrecursive10``); accuracy and mean IoU averaged over windows.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from benchmark.metrics import (
    PropagationConfig,
    column_metric,
    evaluate_sequence,
    get_metric,
    list_metrics,
    transfer_labels,
)
from benchmark.predictions import Predictions, check_against, required_pairs
from dataprep.config import config_dict
from dataprep.errors import LinecorrError
from dataprep.format import Dataset
from dataprep.format.schema import pair_id

RESULT_FORMAT = "linecorr-result"
RESULT_VERSION = "1.0"
#: The headline metric of the leaderboard (the AnT paper's).
PRIMARY = "ant/accuracy@recursive10"


@dataclass
class ScoreConfig:
    """Settings of the scorer (saved in every result)."""

    horizon: int = 10  # target frames per GT reference frame in the propagation protocol (AnT: 10)
    pbc_threshold: int = 10  # PBC acc_thres counts segments larger than this many pixels
    background_label: int = -1  # label of the transparent background (PBC convention)


def score(pred: Predictions, ds: Dataset, split: str, cfg: ScoreConfig | None = None,
          progress: Callable[[Iterable], Iterable] | None = None) -> dict:
    """Validate ``pred`` against ``ds`` and compute every metric.

    Returns:
        The result record (see docs/BENCHMARK.md): ``metrics``, ``per_clip``, ``method``,
        ``benchmark`` (dataset, hash, split, counts) and ``provenance``.

    Raises:
        LinecorrError: the submission does not fit the dataset (missing pairs, unknown segments).
    """
    cfg = cfg or ScoreConfig()
    tables = lru_cache(maxsize=None)(ds.load_segments)
    check_against(pred, ds, split, tables)
    segment_metrics = [get_metric(n) for n in list_metrics("segment")]
    clips = ds.splits[split]
    loop = progress(clips) if progress else clips
    per_clip: dict[str, dict[str, float]] = {}
    all_pairs: list[dict[str, float]] = []
    all_windows: dict[str, list[float]] = {}
    n_segments = 0
    for clip in loop:
        pair_rows = _pairwise(pred, ds, clip, tables, cfg, segment_metrics)
        windows = _propagation(pred, ds, clip, tables, cfg)
        all_pairs += pair_rows
        for k, vals in windows.items():
            all_windows.setdefault(k, []).extend(vals)
        per_clip[clip] = {**mean_rows(pair_rows), **{k: nanmean(v) for k, v in windows.items()}}
        n_segments += sum(len(tables(clip, f)) for f in ds.clip(clip).frames)
    metrics = {**{k: nanmean(v) for k, v in all_windows.items()}, **mean_rows(all_pairs)}
    for k in metrics:  # every column a registered metric: a name the leaderboard cannot rank is a bug here
        column_metric(k)
    return {
        "format": RESULT_FORMAT, "version": RESULT_VERSION,
        "method": pred.method,
        "benchmark": {"dataset": ds.manifest.name, "content_hash": ds.content_hash(),
                      "ground_truth_hash": ds.ground_truth_hash(), "split": split,
                      "track": pred.track,
                      "clips": len(clips), "pairs": len(all_pairs), "segments": n_segments,
                      "required_pairs": len(required_pairs(ds, split))},
        "metrics": metrics,
        "per_clip": per_clip,
        "provenance": provenance(cfg, pred.sha256),
    }


def _pairwise(pred: Predictions, ds: Dataset, clip: str, tables, cfg: ScoreConfig,
              metrics: list) -> list[dict[str, float]]:
    """One row per GT pair of ``clip``: every segment metric, named for the pair's frame gap."""
    options = {"background_label": cfg.background_label, "threshold": cfg.pbc_threshold}
    frames = ds.clip(clip).frames
    rows = []
    for pid in ds.pair_ids():
        if not pid.startswith(clip + "/"):
            continue
        p = ds.load_pair(pid)
        ta, tb = tables(clip, p.frame_a), tables(clip, p.frame_b)
        if len(tb) == 0:
            continue
        labels = transfer_labels(ta.label, pred.scores(pid, ta.ids, tb.ids), unmatched_label=cfg.background_label)
        gap = abs(frames.index(p.frame_b) - frames.index(p.frame_a))
        suffix = "" if gap == 1 else f"@gap{gap}"
        rows.append({m.name + suffix: m(labels, tb.label, areas=tb.area, **{o: options[o] for o in m.options})
                     for m in metrics})
    return rows


def _propagation(pred: Predictions, ds: Dataset, clip: str, tables, cfg: ScoreConfig) -> dict[str, list[float]]:
    frames = ds.clip(clip).frames
    if len(frames) < 2:
        return {}
    ts = [tables(clip, f) for f in frames]
    steps = [pred.scores(pair_id(clip, a, b), ta.ids, tb.ids)
             for a, b, ta, tb in zip(frames, frames[1:], ts, ts[1:])]
    gt = [t.label for t in ts]
    areas = [t.area for t in ts]
    out: dict[str, list[float]] = {}
    for recursive, tag in ((True, "recursive"), (False, "nonrecursive")):
        pc = PropagationConfig(horizon=cfg.horizon, recursive=recursive, unmatched_label=cfg.background_label)
        try:
            res = evaluate_sequence(gt, steps, pc, areas=areas)
        except LinecorrError:
            continue  # a window with no segment at all: nothing to score
        suffix = f"@{tag}{cfg.horizon}"
        out.setdefault("ant/accuracy" + suffix, []).extend(r.accuracy for r in res)
        out.setdefault("ant/miou" + suffix, []).extend(r.mean_iou for r in res)
        out.setdefault("ant/miou_pixel" + suffix, []).extend(r.mean_iou_pixel for r in res)
    return out


def nanmean(vals: list[float]) -> float:
    """Mean ignoring NaN; NaN when there is nothing to average (no warning)."""
    arr = np.asarray(vals, np.float64)
    return float(np.nanmean(arr)) if arr.size and not np.all(np.isnan(arr)) else float("nan")


def mean_rows(rows: list[dict[str, float]]) -> dict[str, float]:
    """Per-key :func:`nanmean` over metric rows (a key missing from a row counts as NaN there)."""
    keys = sorted({k for r in rows for k in r})
    return {k: nanmean([r.get(k, float("nan")) for r in rows]) for k in keys}


def provenance(cfg: ScoreConfig, predictions_sha256: str = "") -> dict:
    """Where and how a result was computed: code version, config, hardware, time."""
    from dataprep import __version__
    from dataprep.format.writer import git_sha

    hw = {"platform": platform.platform(), "python": platform.python_version(), "cpu": platform.processor() or
          platform.machine(), "cpu_count": os.cpu_count()}
    try:
        import torch

        hw["torch"] = torch.__version__
        if torch.cuda.is_available():
            hw["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return {"linecorr_version": __version__, "git_sha": git_sha(), "config": config_dict(cfg), "hardware": hw,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "predictions_sha256": predictions_sha256}


def save_result(result: dict, path: str | os.PathLike) -> Path:
    """Write a result JSON atomically (NaN written as null: JSON has no NaN)."""
    from dataprep.format.atomic import atomic_write_json

    atomic_write_json(path, _no_nan(result))
    return Path(path)


def _no_nan(x):
    if isinstance(x, dict):
        return {k: _no_nan(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_no_nan(v) for v in x]
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x
