"""Tune a patch-ViT checkpoint's post-processing thresholds on validation pairs (region protocol).

The paper's post-processing turns patch similarities into regions and matches with three
thresholds (``post.merge_threshold``, ``post.edge_threshold``, ``match.threshold``; see
docs/PATCH_VIT.md). Their best values move with the checkpoint (a model that has trained longer is
more confident, so its similarities are spread differently), so each checkpoint is tuned on the
**validation** split and scored on test with the values found.

The model runs once per pair and input size; the post-processing once per (merge, edge, enclosed)
setting and the region matching once per (match threshold, weighting, max matches) on top (``PatchVitMatcher.region_pair`` /
``predict_from``), and every setting is scored with the region metrics of ``linecorr score
--protocol regions`` (``benchmark.region_score.score_pair``; the patch-level metrics do not depend on
these thresholds and are left out). The chosen setting maximises region F1, the harmonic mean of the
mean region precision and recall (the paper's Table 2 pair), over the pooled pairs.

Region precision and recall only count *pure* regions, so splitting regions further keeps raising
them: with a high enough merge threshold F1 grows while ARI falls and the cluster ratio climbs
(docs/PATCH_VIT.md). ``--max-cluster-ratio`` keeps the choice among settings that over-segment at
most that much (the rows above it are still printed and written, marked).

Beyond the paper's three thresholds it can also search ``post.enclosed_min`` (stroke-enclosed pieces
as regions of their own), ``match.weighting`` (``vote`` or ``pixels``), ``match.max_matches``, the
motion prior (``match.position_sigma``, ``match.area_sigma``: region pairs weighted by how well they
agree with the model's own patch matches, ``benchmark.models.vit.region_motion``) and the input side
at scoring time (``image_size``: more patches per drawing); each defaults to the one value
``linecorr score`` would use.

``--min-precision`` / ``--min-recall`` choose an operating point: the best F1 among the settings
whose mean region precision and recall reach those floors (e.g. a baseline's figures on the same
pairs, to find a setting that is above it on both; the rows below a floor are still printed).

Example:
    python benchmarks/tune_region_post.py --checkpoint results/v2/runs/patch-vit-tiny/best.safetensors \\
        --benchmark v2 --pairs 8 --merge 0.01,0.02 --edge 0.03 --match 0.02,0.04 --enclosed 0,0.1 \\
        --weighting vote,pixels

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
         cfg=None, progress=None, enclosed: list[float] | None = None, weightings: list[str] | None = None,
         max_matches: list[int] | None = None, image_sizes: list[int] | None = None,
         positions: list[float] | None = None, areas: list[float] | None = None) -> list[dict]:
    """Score every (image size, merge, edge, enclosed, match, weighting, max matches, position sigma,
    area sigma) setting on
    ``n_pairs`` pairs of ``split``.

    Args:
        matcher: a ``PatchVitMatcher`` (its ``post`` / ``match_cfg`` / input size are changed in turn).
        ds: the dataset (or a view of some clips / pair gaps).
        cfg: the ``RegionScoreConfig`` whose other settings (GT regions, 55 % rule) apply.
        enclosed, weightings, max_matches, image_sizes, positions, areas: values of
            ``post.enclosed_min``, ``match.weighting``, ``match.max_matches``, ``image_size``,
            ``match.position_sigma`` and ``match.area_sigma`` (None = ``cfg``'s only).

    Returns:
        One row per setting: the settings, ``pairs`` and the means of ``region/precision``,
        ``region/recall``, ``region/ari``, ``region/miou_p2g``, ``region/miou_g2p``,
        ``region/cluster_ratio`` and ``region/f1``.
    """
    import dataclasses

    from benchmark.models.vit.inputs import region_map
    from benchmark.region_score import RegionScoreConfig, score_pair
    from benchmark.score import mean_rows
    from dataprep.errors import LinecorrError

    cfg = cfg or RegionScoreConfig()
    enclosed = enclosed or [cfg.post.enclosed_min]
    weightings = weightings or [cfg.match.weighting]
    max_matches = max_matches or [cfg.match.max_matches]
    image_sizes = image_sizes or [cfg.image_size or matcher.model.cfg.image_size]
    positions = positions or [cfg.match.position_sigma]
    areas = areas or [cfg.match.area_sigma]
    from benchmark.models.vit.postprocess import check_post_config
    from benchmark.models.vit.region_match import check_match_config

    for enc in enclosed:
        check_post_config(dataclasses.replace(cfg.post, enclosed_min=enc))

    for weighting, top, pos, area in itertools.product(weightings, max_matches, positions, areas):
        check_match_config(dataclasses.replace(cfg.match, weighting=weighting, max_matches=top,
                                               position_sigma=pos, area_sigma=area))
    pids = ds.pair_ids(split)
    if not pids:
        raise LinecorrError(f"split {split!r} has no pairs", ds.root)
    pids = pids[::max(1, len(pids) // n_pairs)][:n_pairs]  # spread evenly, as score --set max_pairs=N does
    gts = []
    for pid in progress(pids, "pairs") if progress else pids:
        pair = ds.load_pair(pid)
        fa, fb = ds.load_frame(pair.clip, pair.frame_a), ds.load_frame(pair.clip, pair.frame_b)
        maps = region_map(fa, cfg.regions), region_map(fb, cfg.regions)
        if maps[0].any() and maps[1].any():  # the scorer skips a pair with a frame without GT regions too
            gts.append((pair, fa, fb, maps))
    if not gts:
        raise LinecorrError(f"none of the {len(pids)} {split} pairs has GT regions in both frames", ds.root)
    rows_by_setting: dict[tuple, list[dict]] = {}
    for size in image_sizes:
        matcher.use_score_config(dataclasses.replace(cfg, image_size=size))
        pairs = [(pair, fa, fb, maps, matcher.similarity(fa.line, fb.line))
                 for pair, fa, fb, maps in (progress(gts, f"model at {size} px") if progress else gts)]
        grid = list(itertools.product(merges, edges, enclosed))
        for merge, edge, enc in progress(grid, "settings") if progress else grid:
            matcher.post = dataclasses.replace(cfg.post, merge_threshold=merge, edge_threshold=edge, enclosed_min=enc)
            for pair, fa, fb, maps, ps in pairs:
                regions = matcher.region_pair(ps)  # once per post setting; only the matching changes below
                for thr, weighting, top, pos, area in itertools.product(matches, weightings, max_matches,
                                                                        positions, areas):
                    matcher.match_cfg = dataclasses.replace(cfg.match, threshold=thr, weighting=weighting,
                                                            max_matches=top, position_sigma=pos, area_sigma=area)
                    pred = matcher.predict_from(ps, regions, patch_level=False)
                    row, _ = score_pair(pred, fa, fb, pair, cfg, gt_maps=maps)
                    key = (size, merge, edge, enc, thr, weighting, top, pos, area)
                    rows_by_setting.setdefault(key, []).append(row)
    out = []
    keys = ("region/precision", "region/recall", "region/ari", "region/miou_p2g", "region/miou_g2p",
            "region/cluster_ratio")
    for (size, merge, edge, enc, thr, weighting, top, pos, area), rows in rows_by_setting.items():
        m = mean_rows(rows)
        row = {"merge_threshold": merge, "edge_threshold": edge, "match_threshold": thr, "enclosed_min": enc,
               "weighting": weighting, "max_matches": top, "position_sigma": pos, "area_sigma": area,
               "image_size": size, "pairs": len(rows)}
        row.update({k: float(m.get(k, np.nan)) for k in keys})
        row["region/f1"] = f1(row["region/precision"], row["region/recall"])
        out.append(row)
    return sorted(out, key=lambda r: -r["region/f1"])


def within(row: dict, max_cluster_ratio: float | None = None, min_precision: float | None = None,
           min_recall: float | None = None) -> bool:
    """Whether a row meets the cap on the cluster ratio and the floors on region precision / recall
    (rates in [0, 1]; None = no limit)."""
    return ((max_cluster_ratio is None or row["region/cluster_ratio"] <= max_cluster_ratio)
            and (min_precision is None or row["region/precision"] >= min_precision)
            and (min_recall is None or row["region/recall"] >= min_recall))


def choose(rows: list[dict], max_cluster_ratio: float | None = None, min_precision: float | None = None,
           min_recall: float | None = None) -> dict:
    """The best-F1 row (``rows`` sorted as :func:`tune` returns them) that is :func:`within` the limits.

    Raises:
        LinecorrError: no row is.
    """
    from dataprep.errors import LinecorrError

    ok = [r for r in rows if within(r, max_cluster_ratio, min_precision, min_recall)]
    if not ok:
        if max_cluster_ratio is not None and not any(within(r, max_cluster_ratio) for r in rows):
            low = min(r["region/cluster_ratio"] for r in rows)
            raise LinecorrError(f"no setting has a cluster ratio <= {max_cluster_ratio:g} (lowest: {low:.2f}); "
                                "raise --max-cluster-ratio or try lower --merge values")
        best_p = max(r["region/precision"] for r in rows)
        best_r = max(r["region/recall"] for r in rows)
        raise LinecorrError(f"no setting reaches the precision / recall floors (best precision {100 * best_p:.2f}, "
                            f"best recall {100 * best_r:.2f}, not necessarily in one setting); lower the floors "
                            "or widen the grid")
    return ok[0]


def set_flags(row: dict, model_image_size: int | None = None) -> str:
    """The ``linecorr score`` flags that apply a tuned row (the three thresholds always; the other
    settings where they differ from the defaults, or from the checkpoint's own input size)."""
    from benchmark.models.vit.postprocess import PostprocessConfig
    from benchmark.models.vit.region_match import RegionMatchConfig

    flags = (f"--set post.merge_threshold={row['merge_threshold']:g} --set post.edge_threshold={row['edge_threshold']:g} "
             f"--set match.threshold={row['match_threshold']:g}")
    if row.get("enclosed_min", 0.0) != PostprocessConfig.enclosed_min:
        flags += f" --set post.enclosed_min={row['enclosed_min']:g}"
    if row.get("weighting", "vote") != RegionMatchConfig.weighting:
        flags += f" --set match.weighting={row['weighting']}"
    if row.get("max_matches", RegionMatchConfig.max_matches) != RegionMatchConfig.max_matches:
        flags += f" --set match.max_matches={row['max_matches']}"
    for key in ("position_sigma", "area_sigma"):
        if row.get(key, 0.0) != getattr(RegionMatchConfig, key):
            flags += f" --set match.{key}={row[key]:g}"
    if row.get("image_size") and row["image_size"] != model_image_size:
        flags += f" --set image_size={row['image_size']}"
    return flags


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
    ap.add_argument("--enclosed", type=_floats, default=None,
                    help="post.enclosed_min values (patch areas; 0 = off, the default)")
    ap.add_argument("--weighting", type=lambda t: [w for w in t.split(",") if w], default=None,
                    help="match.weighting values: vote (the paper, default), pixels")
    ap.add_argument("--max-matches", dest="max_matches", type=lambda t: [int(v) for v in _floats(t)], default=None,
                    help="match.max_matches values (default 2)")
    ap.add_argument("--position-sigma", dest="positions", type=_floats, default=None,
                    help="match.position_sigma values (motion prior, fraction of the input side; 0 = off, the default)")
    ap.add_argument("--area-sigma", dest="areas", type=_floats, default=None,
                    help="match.area_sigma values (log-area factor of the motion prior; 0 = off, the default)")
    ap.add_argument("--image-size", dest="image_sizes", type=lambda t: [int(v) for v in _floats(t)], default=None,
                    help="input sides in px, multiples of the patch size (default: the checkpoint's)")
    ap.add_argument("--max-cluster-ratio", dest="max_cr", type=float, default=None,
                    help="choose only among settings with at most this many predicted regions per GT region "
                         "(default: no cap)")
    ap.add_argument("--min-precision", dest="min_p", type=float, default=None,
                    help="choose only among settings with at least this mean region precision, in %% (default: none)")
    ap.add_argument("--min-recall", dest="min_r", type=float, default=None,
                    help="choose only among settings with at least this mean region recall, in %% (default: none)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--tta", default="none", help="the model's test-time augmentation, as `linecorr score --tta`: "
                                                  "none (default) or hflip")
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
            matcher.use_tta(args.tta)
            t0 = time.time()
            bar = lambda it, what: tqdm(it, desc=what, file=sys.stderr, disable=None, leave=False)
            native = matcher.model.cfg.image_size
            rows = tune(matcher, view, args.split, args.pairs, args.merge, args.edge, args.match, progress=bar,
                        enclosed=args.enclosed, weightings=args.weighting, max_matches=args.max_matches,
                        image_sizes=args.image_sizes, positions=args.positions, areas=args.areas)
    except LinecorrError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    pct = lambda v: f"{100 * v:6.2f}"
    floors = (args.max_cr, None if args.min_p is None else args.min_p / 100,
              None if args.min_r is None else args.min_r / 100)
    print(f"{'size':>5} {'merge':>6} {'edge':>6} {'encl':>5} {'match':>6} {'weight':>6} {'top':>3} "
          f"{'pos':>5} {'area':>4} | "
          f"{'P':>6} {'R':>6} {'F1':>6} | {'ARI':>6} {'mIoU':>6} {'CR':>5}")
    for r in rows:
        print(f"{r['image_size']:5d} {r['merge_threshold']:6g} {r['edge_threshold']:6g} {r['enclosed_min']:5g} "
              f"{r['match_threshold']:6g} {r['weighting']:>6} {r['max_matches']:3d} "
              f"{r['position_sigma']:5g} {r['area_sigma']:4g} | "
              f"{pct(r['region/precision'])} {pct(r['region/recall'])} {pct(r['region/f1'])} | "
              f"{pct(r['region/ari'])} {pct(r['region/miou_p2g'])} {r['region/cluster_ratio']:5.2f}"
              + ("" if within(r, *floors) else " (outside the cap / floors)"))
    try:
        best = choose(rows, *floors)
    except LinecorrError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    cap = "" if args.max_cr is None else f", cluster ratio <= {args.max_cr:g}"
    cap += "" if args.min_p is None else f", precision >= {args.min_p:g}"
    cap += "" if args.min_r is None else f", recall >= {args.min_r:g}"
    print(f"best on {best['pairs']} {args.split} pairs{cap} ({time.time() - t0:.0f} s): {set_flags(best, native)}")
    if args.json:
        record = {"checkpoint": args.checkpoint, "dataset": str(view.root), "line_style": args.line_style or "all",
                  "split": args.split, "objective": "region/f1", "max_cluster_ratio": args.max_cr,
                  "min_precision": args.min_p, "min_recall": args.min_r,
                  "best": best, "set": set_flags(best, native), "rows": rows}
        save_result(record, args.json)  # NaN (no pure match at all) as null
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
