"""Where a matcher's errors are: pairwise segment accuracy by segment area, from a predictions file.

AnT's accuracy counts every segment once, whatever its size, so a benchmark whose frames hold many
slivers a few pixels wide is scored mostly on them (PaintBucket-Character's ``acc_thres`` leaves
segments of 10 px or less out for that reason). This prints, per area bin, the share of the target
segments, the accuracy there (AnT eq. 3 from the previous frame's GT labels, as ``pbc/acc``) and the
share of all errors, over the consecutive pairs of a split.

Example:
    linecorr render --characters 5 --frames 4 --res 256 --out /tmp/acc_area/data
    linecorr score --method nearest-aligned --dataset /tmp/acc_area/data --split test --out-dir /tmp/acc_area
    python benchmarks/accuracy_by_area.py /tmp/acc_area/predictions_nearest-aligned.json.gz \\
        --dataset /tmp/acc_area/data --split test
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # script_args.py beside this script, however it is loaded
from script_args import add_dataset_source, open_dataset_source, parser

#: Upper area bounds (px) of the bins; the last bin is open.
BINS = (10, 50, 200, 1000)


def accuracy_by_area(pred, ds, split: str, bins: tuple[int, ...] = BINS) -> list[dict]:
    """One row per area bin over the consecutive pairs of ``split`` (every clip of ``ds``).

    Args:
        pred: a ``benchmark.predictions.Predictions`` covering those pairs.
        ds: the dataset (or a view of some clips).
        bins: ascending upper bounds (px, inclusive); one more open bin follows.

    Returns:
        Rows with ``lo``, ``hi`` (``None`` = open), ``segments``, ``share``, ``accuracy`` and
        ``error_share`` (rates in [0, 1]; ``accuracy`` nan for an empty bin).
    """
    from benchmark.metrics import transfer_labels
    from dataprep.errors import LinecorrError
    from dataprep.format.schema import pair_id

    if pred.split != split:
        raise LinecorrError(f"the predictions are for split {pred.split!r}, not {split!r}")
    steps = [(clip, a, b) for clip in ds.splits.get(split, []) for a, b in zip(ds.clip(clip).frames,
                                                                                ds.clip(clip).frames[1:])]
    missing = [pair_id(*s) for s in steps if pair_id(*s) not in pred.pairs]
    if missing:
        raise LinecorrError(f"the predictions miss {len(missing)} of the split's {len(steps)} consecutive pairs "
                            f"(e.g. {missing[0]}): made on another dataset or line style?")
    n = np.zeros(len(bins) + 1)
    ok = np.zeros(len(bins) + 1)
    for clip, a, b in steps:
        ta, tb = ds.load_segments(clip, a), ds.load_segments(clip, b)
        labels = transfer_labels(ta.label, pred.scores(pair_id(clip, a, b), ta.ids, tb.ids), unmatched_label=-1)
        k = np.digitize(tb.area, bins, right=True)  # bin i holds areas in (bins[i-1], bins[i]]
        np.add.at(n, k, 1)
        np.add.at(ok, k, labels == tb.label)
    if n.sum() == 0:
        raise LinecorrError(f"split {split!r} has no consecutive pair with segments", ds.root)
    errors = max(n.sum() - ok.sum(), 1)
    edges = (0, *bins)
    return [{"lo": edges[i] + 1, "hi": bins[i] if i < len(bins) else None, "segments": int(n[i]),
             "share": n[i] / n.sum(), "accuracy": ok[i] / n[i] if n[i] else float("nan"),
             "error_share": (n[i] - ok[i]) / errors} for i in range(len(n))]


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__)
    ap.add_argument("predictions", help="a predictions file written by `linecorr score` (.json or .json.gz)")
    add_dataset_source(ap)
    ap.add_argument("--split", default="test", help="split (default test)")
    args = ap.parse_args(argv)

    from benchmark.predictions import load_predictions
    from dataprep.errors import LinecorrError, one_line_warnings

    try:
        with one_line_warnings("accuracy_by_area"):
            pred = load_predictions(args.predictions)
            view = open_dataset_source(args)
            rows = accuracy_by_area(pred, view, args.split)
    except LinecorrError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    total = sum(r["segments"] for r in rows)
    correct = sum(r["accuracy"] * r["segments"] for r in rows if r["segments"])
    print(f"{'area (px)':>12} | {'segments':>8} {'share':>6} | {'accuracy':>8} | {'errors':>6}")
    for r in rows:
        span = f"{r['lo']}-{r['hi']}" if r["hi"] is not None else f">= {r['lo']}"
        print(f"{span:>12} | {r['segments']:8d} {100 * r['share']:5.1f}% | {100 * r['accuracy']:7.1f}% | "
              f"{100 * r['error_share']:5.1f}%")
    print(f"{'all':>12} | {total:8d} {100.0:5.1f}% | {100 * correct / total:7.2f}% |  "
          f"({args.predictions}, {args.split} split, consecutive pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
