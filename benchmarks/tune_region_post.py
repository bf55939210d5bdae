"""Tune a patch-ViT checkpoint's post-processing thresholds on validation pairs (region protocol).

The paper's post-processing turns patch similarities into regions and matches with three
thresholds (``post.merge_threshold``, ``post.edge_threshold``, ``match.threshold``; see
docs/PATCH_VIT.md). Their best values move with the checkpoint (a model that has trained longer is
more confident, so its similarities are spread differently), so each checkpoint is tuned on the
**validation** split and scored on test with the values found.

The model runs once per pair; the post-processing runs once per (merge, edge) setting and the
region matching once per match threshold on top (``PatchVitMatcher.region_pair`` /
``predict_from``), and every setting is scored with the region metrics of ``linecorr score
--protocol regions`` (``benchmark.region_score.score_pair``; the patch-level metrics do not depend on
these thresholds and are left out). The chosen setting maximises region F1, the harmonic mean of the
mean region precision and recall (the paper's Table 2 pair), over the pooled pairs.

Region precision and recall only count *pure* regions, so splitting regions further keeps raising
them: with a high enough merge threshold F1 grows while ARI falls and the cluster ratio climbs
(docs/PATCH_VIT.md). ``--max-cluster-ratio`` keeps the choice among settings that over-segment at
most that much (the rows above it are still printed and written, marked).

Example:
    python benchmarks/tune_region_post.py --checkpoint results/v2/runs/patch-vit-tiny/best.safetensors \\
        --benchmark v2 --pairs 8 --merge 0.01,0.02 --edge 0.03 --match 0.02,0.04

Prints one row per setting (sorted by F1) and the ``--set`` flags of the best for ``linecorr score``;
``--json`` writes every row and the choice.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # script_args.py beside this script, however it is loaded
from script_args import add_dataset_source, open_dataset_source, parser


def _floats(text: str) -> list[float]:
    return [float(t) for t in text.split(",") if t.strip()]


def f1(p: float, r: float) -> float:
    """Harmonic mean of two rates (0 when both are 0 or either is nan)."""
    return 0.0 if not (p + r > 0) else 2 * p * r / (p + r)


def tune(matcher, ds, split: str, n_pairs: int, merges: list[float], edges: list[float], matches: list[float],
         cfg=None, progress=None) -> list[dict]:
    """Score every (merge, edge, match) setting on ``n_pairs`` pairs of ``split``.

    Args:
        matcher: a ``PatchVitMatcher`` (its ``post`` / ``match_cfg`` are changed in turn).
        ds: the dataset (or a view of some clips / pair gaps).
        cfg: the ``RegionScoreConfig`` whose other settings (GT regions, 55 % rule) apply.

    Returns:
        One row per setting: the thresholds, ``pairs`` and the means of ``region/precision``,
        ``region/recall``, ``region/ari``, ``region/miou_p2g``, ``region/miou_g2p``,
        ``region/cluster_ratio`` and ``region/f1``.
    """
    import dataclasses

    from benchmark.models.vit.inputs import region_map
    from benchmark.region_score import RegionScoreConfig, score_pair
    from benchmark.score import mean_rows
    from dataprep.errors import LinecorrError

    cfg = cfg or RegionScoreConfig()
    pids = ds.pair_ids(split)
    if not pids:
        raise LinecorrError(f"split {split!r} has no pairs", ds.root)
    pids = pids[::max(1, len(pids) // n_pairs)][:n_pairs]  # spread evenly, as score --set max_pairs=N does
    pairs = []
    for pid in progress(pids, "model") if progress else pids:
        pair = ds.load_pair(pid)
        fa, fb = ds.load_frame(pair.clip, pair.frame_a), ds.load_frame(pair.clip, pair.frame_b)
        maps = region_map(fa, cfg.regions), region_map(fb, cfg.regions)
        if maps[0].any() and maps[1].any():  # the scorer skips a pair with a frame without GT regions too
            pairs.append((pair, fa, fb, maps, matcher.similarity(fa.line, fb.line)))
    if not pairs:
        raise LinecorrError(f"none of the {len(pids)} {split} pairs has GT regions in both frames", ds.root)
    rows_by_setting: dict[tuple[float, float, float], list[dict]] = {}
    grid = list(itertools.product(merges, edges))
    for merge, edge in progress(grid, "settings") if progress else grid:
        matcher.post = dataclasses.replace(cfg.post, merge_threshold=merge, edge_threshold=edge)
        for pair, fa, fb, maps, ps in pairs:
            regions = matcher.region_pair(ps)  # once per post setting; only the matching changes below
            for thr in matches:
                matcher.match_cfg = dataclasses.replace(cfg.match, threshold=thr)
                pred = matcher.predict_from(ps, regions, patch_level=False)
                row, _ = score_pair(pred, fa, fb, pair, cfg, gt_maps=maps)
                rows_by_setting.setdefault((merge, edge, thr), []).append(row)
    out = []
    keys = ("region/precision", "region/recall", "region/ari", "region/miou_p2g", "region/miou_g2p",
            "region/cluster_ratio")
    for (merge, edge, thr), rows in rows_by_setting.items():
        m = mean_rows(rows)
        row = {"merge_threshold": merge, "edge_threshold": edge, "match_threshold": thr, "pairs": len(rows)}
        row.update({k: float(m.get(k, np.nan)) for k in keys})
        row["region/f1"] = f1(row["region/precision"], row["region/recall"])
        out.append(row)
    return sorted(out, key=lambda r: -r["region/f1"])


def choose(rows: list[dict], max_cluster_ratio: float | None = None) -> dict:
    """The best-F1 row (``rows`` sorted as :func:`tune` returns them) within the cluster-ratio cap.

    Raises:
        LinecorrError: no row has a cluster ratio at or below ``max_cluster_ratio``.
    """
    from dataprep.errors import LinecorrError

    ok = [r for r in rows if max_cluster_ratio is None or r["region/cluster_ratio"] <= max_cluster_ratio]
    if not ok:
        low = min(r["region/cluster_ratio"] for r in rows)
        raise LinecorrError(f"no setting has a cluster ratio <= {max_cluster_ratio:g} (lowest: {low:.2f}); "
                            "raise --max-cluster-ratio or try lower --merge values")
    return ok[0]


def set_flags(row: dict) -> str:
    """The ``linecorr score`` flags that apply a tuned row."""
    return (f"--set post.merge_threshold={row['merge_threshold']:g} --set post.edge_threshold={row['edge_threshold']:g} "
            f"--set match.threshold={row['match_threshold']:g}")


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__)
    ap.add_argument("--checkpoint", required=True, help="a patch-ViT .safetensors from `linecorr train patch-vit`")
    add_dataset_source(ap)
    ap.add_argument("--split", default="val", help="split to tune on (default val; never tune on test)")
    ap.add_argument("--pairs", type=int, default=24, help="pairs, spread evenly over the split (default 24)")
    ap.add_argument("--merge", type=_floats, default=_floats("0.005,0.01,0.02,0.04,0.08"),
                    help="post.merge_threshold values (comma-separated)")
    ap.add_argument("--edge", type=_floats, default=_floats("0.02,0.03,0.05,0.08"),
                    help="post.edge_threshold values")
    ap.add_argument("--match", type=_floats, default=_floats("0.005,0.01,0.02,0.04,0.08"),
                    help="match.threshold values")
    ap.add_argument("--max-cluster-ratio", dest="max_cr", type=float, default=None,
                    help="choose only among settings with at most this many predicted regions per GT region "
                         "(default: no cap)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--json", type=Path, default=None, help="write every row and the choice here")
    args = ap.parse_args(argv)

    import torch
    from tqdm import tqdm

    from benchmark.models import load_matcher
    from benchmark.score import save_result
    from dataprep.errors import LinecorrError, one_line_warnings

    torch.set_num_threads(args.threads)
    try:
        with one_line_warnings("tune_region_post"):  # e.g. a benchmark render a few pixels off its reference
            view = open_dataset_source(args)
            matcher = load_matcher("patch-vit", args.checkpoint, "cpu")
            t0 = time.time()
            bar = lambda it, what: tqdm(it, desc=what, file=sys.stderr, disable=None, leave=False)
            rows = tune(matcher, view, args.split, args.pairs, args.merge, args.edge, args.match, progress=bar)
            best = choose(rows, args.max_cr)
    except LinecorrError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    pct = lambda v: f"{100 * v:6.2f}"
    print(f"{'merge':>6} {'edge':>6} {'match':>6} | {'P':>6} {'R':>6} {'F1':>6} | {'ARI':>6} {'mIoU':>6} {'CR':>5}")
    for r in rows:
        over = args.max_cr is not None and r["region/cluster_ratio"] > args.max_cr
        print(f"{r['merge_threshold']:6g} {r['edge_threshold']:6g} {r['match_threshold']:6g} | "
              f"{pct(r['region/precision'])} {pct(r['region/recall'])} {pct(r['region/f1'])} | "
              f"{pct(r['region/ari'])} {pct(r['region/miou_p2g'])} {r['region/cluster_ratio']:5.2f}"
              + (" (over the cluster-ratio cap)" if over else ""))
    cap = "" if args.max_cr is None else f", cluster ratio <= {args.max_cr:g}"
    print(f"best on {best['pairs']} {args.split} pairs{cap} ({time.time() - t0:.0f} s): {set_flags(best)}")
    if args.json:
        record = {"checkpoint": args.checkpoint, "dataset": str(view.root), "line_style": args.line_style or "all",
                  "split": args.split, "objective": "region/f1", "max_cluster_ratio": args.max_cr,
                  "best": best, "set": set_flags(best), "rows": rows}
        save_result(record, args.json)  # NaN (no pure match at all) as null
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
