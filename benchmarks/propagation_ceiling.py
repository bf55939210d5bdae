"""The best score AnT's propagation protocol allows on a split: labels the reference frame lacks.

A label can only be propagated from a frame that has it. In a 10-frame window seeded from one GT
frame (``@recursive10``), a target segment whose part is hidden in the reference frame (an arm
behind the body that comes into view) cannot be labelled by any matcher, however good; from the
previous GT frame (``@nonrecursive10``, ``pbc/acc``) only a part hidden in that frame is lost. This
runs an oracle through the scorer's own protocol (``benchmark.metrics.evaluate_sequence``): every
target segment takes its GT label when the frame it propagates from holds that label, else it is
unmatched. Its accuracy is the ceiling against which a matcher's figure reads.

Example:
    linecorr render --characters 5 --frames 4 --res 256 --out /tmp/ceiling/data
    python benchmarks/propagation_ceiling.py --dataset /tmp/ceiling/data --split test
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # script_args.py beside this script, however it is loaded
from script_args import add_dataset_source, open_dataset_source, parser, split_clips


def reachable(target: np.ndarray, source: np.ndarray, unmatched_label: int = -1) -> np.ndarray:
    """``(N,) bool``: which target labels a perfect matcher gets right from ``source``'s labels (held
    there, or the unmatched label, which a segment matched to nothing gets anyway)."""
    return np.isin(target, source) | (target == unmatched_label)


def oracle_predictor(gt_labels: list[np.ndarray], unmatched_label: int = -1):
    """``predict(t, labels_t) -> labels_{t+1}``: the GT label of each target segment where
    ``labels_t`` holds it (or it is ``unmatched_label``, which an unmatched segment gets anyway), else
    ``unmatched_label``. ``gt_labels``: per frame ``(N_t,) int`` GT labels of one sequence."""

    def predict(t: int, labels_t: np.ndarray) -> np.ndarray:
        target = np.asarray(gt_labels[t + 1], np.int64)
        return np.where(reachable(target, labels_t, unmatched_label), target, unmatched_label)

    return predict


def propagation_ceiling(ds, split: str, horizon: int = 10, unmatched_label: int = -1) -> dict[str, float]:
    """Oracle ``accuracy@recursive{horizon}`` / ``@nonrecursive{horizon}`` (windows averaged, as the
    scorer does) and the pairwise share of target segments whose label the previous frame holds.

    Args:
        ds: the dataset (or a view of some clips); ``split``: which clips.
        horizon: target frames per reference frame (AnT: 10).
        unmatched_label: the label an unmatched segment gets (the scorer's ``background_label``).

    Returns:
        ``recursive``, ``nonrecursive`` and ``pairwise`` in [0, 1], and ``windows`` (a count).
    """
    from benchmark.metrics import PropagationConfig, evaluate_sequence

    windows: dict[bool, list[float]] = {True: [], False: []}
    pair_ok = pair_n = 0
    for clip in ds.splits.get(split, []):
        gt = [np.asarray(ds.load_segments(clip, f).label, np.int64) for f in ds.clip(clip).frames]
        if len(gt) < 2:
            continue
        for recursive in (True, False):
            cfg = PropagationConfig(horizon=horizon, recursive=recursive, unmatched_label=unmatched_label)
            windows[recursive] += [r.accuracy for r in evaluate_sequence(gt, oracle_predictor(gt, unmatched_label), cfg)]
        for a, b in itertools.pairwise(gt):
            pair_ok += int(reachable(b, a, unmatched_label).sum())
            pair_n += b.size
    return {"recursive": float(np.nanmean(windows[True])) if windows[True] else float("nan"),
            "nonrecursive": float(np.nanmean(windows[False])) if windows[False] else float("nan"),
            "pairwise": pair_ok / pair_n if pair_n else float("nan"), "windows": len(windows[True])}


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__)
    add_dataset_source(ap)
    ap.add_argument("--split", default="test", help="split (default test)")
    ap.add_argument("--horizon", type=int, default=10, help="target frames per reference frame (default 10, AnT's)")
    args = ap.parse_args(argv)

    from dataprep.errors import LinecorrError, one_line_warnings

    try:
        with one_line_warnings("propagation_ceiling"):
            view = open_dataset_source(args)
            split_clips(view, args)  # a one-line error when the split has none
            c = propagation_ceiling(view, args.split, args.horizon)
    except LinecorrError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    h = args.horizon
    print(f"{args.split} split ({args.line_style or 'every style'}), {c['windows']} windows of {h} target frames")
    print(f"ceiling accuracy@recursive{h}     {100 * c['recursive']:6.2f} %  (labels the window's reference frame holds)")
    print(f"ceiling accuracy@nonrecursive{h}  {100 * c['nonrecursive']:6.2f} %  (labels the previous GT frame holds)")
    print(f"ceiling pairwise (consecutive)     {100 * c['pairwise']:6.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
