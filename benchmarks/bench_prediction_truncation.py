"""What a predictions file leaves out of S, and whether any metric sees it.

AnT's propagation (eq. 3) sums a target's scores per source label, so every entry of the
similarity matrix S can matter. A predictions file cannot hold S whole at benchmark scale (about
80 MB per method on v2's test split), so :func:`benchmark.predictions.scores_to_edges` keeps every
entry down to ``REL_SCORE_FLOOR`` of its row's best. This script runs each method once per pair,
keeps S in memory, and scores three versions of the same predictions side by side:

- ``full``: S whole (every entry > 0), the reference;
- ``floor``: what the files hold (``REL_SCORE_FLOOR``), and ``floor=X`` for each other ``--floors`` X;
- ``top3``: the top 3 sources per target (what files held before; kept here as the comparison).

It prints, per method, the edges per pair and the file size of each version, and the largest
metric difference of ``floor`` and ``top3`` from ``full`` over every metric of the result.

Example (the v1 benchmark, rendered on first use; a folder works too):
    python benchmarks/bench_prediction_truncation.py --benchmark v1 --methods nearest-aligned,hungarian-features \\
        --ant results/standard/runs/ant-tiny/best.safetensors --json results/standard/prediction_truncation.json
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def top3_edges(scores: np.ndarray, ids_a: np.ndarray, ids_b: np.ndarray) -> np.ndarray:
    """The old file contents: the 3 best sources of each target with score >= 1e-4, ``(K, 3)``."""
    if scores.size == 0:
        return np.zeros((0, 3))
    k = min(3, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(scores.shape[0]), k)
    cols = top.ravel()
    s = scores[rows, cols]
    keep = s >= 1e-4
    return np.stack([ids_a[cols[keep]], ids_b[rows[keep]], s[keep]], 1).astype(np.float64)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__[__doc__.index("Example"):],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--benchmark", choices=["v1", "v2", "standard"], help="a standard benchmark (or --data)")
    ap.add_argument("--data", help="dataset folder")
    ap.add_argument("--line-style", dest="line_style", help="v2 track (required with --benchmark v2)")
    ap.add_argument("--split", default="test")
    ap.add_argument("--methods", default="nearest-aligned,hungarian-features",
                    help="comma-separated training-free baselines (default nearest-aligned,hungarian-features)")
    ap.add_argument("--ant", help="an AnT checkpoint to include")
    ap.add_argument("--floors", default="", help="other relative floors to compare, e.g. 1e-4,1e-5")
    ap.add_argument("--json", help="write the table here too")
    args = ap.parse_args(argv)

    from tqdm import tqdm

    from benchmark.baselines import get_baseline
    from benchmark.inputs import visible_frame
    from benchmark.predictions import REL_SCORE_FLOOR, Predictions, required_pairs, scores_to_edges
    from benchmark.score import score
    from benchmark.standard import ensure_benchmark, get_benchmark
    from dataprep.format import Dataset
    from dataprep.format.schema import parse_pair_id

    if bool(args.benchmark) == bool(args.data):
        ap.error("give exactly one of --benchmark or --data")
    path = args.data or ensure_benchmark(args.benchmark, split=None)
    ds = Dataset.open(path)
    if args.benchmark:
        bench = get_benchmark(args.benchmark)
        if bench.tracks and not args.line_style:
            ap.error(f"--benchmark {args.benchmark} needs --line-style ({', '.join(bench.tracks)})")
        clips = ds.line_style_clips(args.line_style) if args.line_style else None
        ds = ds.only_clips(clips, set(bench.score_gaps) or None) if (clips or bench.score_gaps) else ds
    methods = [(m, get_baseline(m)) for m in args.methods.split(",") if m]
    if args.ant:
        from benchmark.models import load_matcher

        methods.append(("ant", load_matcher("ant", args.ant)))
    pids = required_pairs(ds, args.split)
    meta = {"name": ds.manifest.name, "ground_truth_hash": ds.ground_truth_hash()}
    rows = []
    for name, matcher in methods:
        frames: dict = {}
        floors = [float(x) for x in args.floors.split(",") if x.strip()]
        versions = {"full": {}, "floor": {}, **{f"floor={x:g}": {} for x in floors}, "top3": {}}
        for pid in tqdm(pids, desc=name, file=sys.stderr, disable=None, leave=False):
            clip, fa, fb = parse_pair_id(pid)
            for f in (fa, fb):
                if (clip, f) not in frames:
                    frames[(clip, f)] = visible_frame(ds.load_frame(clip, f), "line")
            a, b = frames[(clip, fa)], frames[(clip, fb)]
            s = matcher.match(a, b)
            ia, ib = a.segments.ids, b.segments.ids
            versions["full"][pid] = scores_to_edges(s, ia, ib, rel_floor=0.0)
            versions["floor"][pid] = scores_to_edges(s, ia, ib)
            for x in floors:
                versions[f"floor={x:g}"][pid] = scores_to_edges(s, ia, ib, rel_floor=x)
            versions["top3"][pid] = top3_edges(s, ia, ib)
        results = {}
        for v, pairs in versions.items():
            pred = Predictions({"name": f"{name}-{v}"}, args.split, pairs, meta)
            results[v] = (score(pred, ds, args.split), len(json.dumps(pred.to_json())),
                          float(np.mean([e.shape[0] for e in pairs.values()])))
        ref = results["full"][0]["metrics"]
        for v, (res, size, edges) in results.items():
            diffs = {k: abs((res["metrics"].get(k) or 0.0) - (x or 0.0)) for k, x in ref.items()
                     if isinstance(x, float) and np.isfinite(x)}
            worst = max(diffs, key=diffs.get) if diffs else ""
            rows.append({"method": name, "version": v, "edges_per_pair": round(edges, 1), "file_mb": round(size / 1e6, 2),
                         "max_abs_diff": diffs.get(worst, 0.0), "worst_metric": worst,
                         "ant/accuracy@recursive10": res["metrics"].get("ant/accuracy@recursive10")})
    print(f"REL_SCORE_FLOOR = {REL_SCORE_FLOOR}; {ds.manifest.name}, split {args.split}, {len(pids)} pairs")
    print(f"{'method':22s} {'version':10s} {'edges/pair':>10s} {'file MB':>8s} {'max |diff| vs full':>19s}  "
          f"worst metric                  acc@recursive10")
    for r in rows:
        print(f"{r['method']:22s} {r['version']:10s} {r['edges_per_pair']:10.1f} {r['file_mb']:8.2f} "
              f"{r['max_abs_diff']:19.2e}  {r['worst_metric']:29s} {100 * (r['ant/accuracy@recursive10'] or 0):.4f}")
    if args.json:
        from dataprep.format.atomic import atomic_write_json

        atomic_write_json(args.json, {"rel_score_floor": REL_SCORE_FLOOR, "dataset": meta, "split": args.split,
                                      "line_style": args.line_style, "rows": rows})
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
