"""``linecorr train`` / ``score`` / ``leaderboard``."""

from __future__ import annotations

import sys

from dataprep.cli import add_command, add_config_args, not_built


def register_train(sub, name: str) -> None:
    add_command(sub, name, "train AnT or patch-ViT [not built yet]",
                "linecorr train ant --config tiny --dataset data/synth --out runs/ant_tiny",
                not_built(name, 8, "training"))


def register_score(sub, name: str) -> None:
    p = add_command(
        sub, name, "score a predictions file, or run and score a training-free baseline, on a dataset split",
        "linecorr score --method all-baselines --dataset demo_out/toy --split test --out-dir results\n"
        "  linecorr score preds.json --dataset data/synth --split test --out result.json", run_score)
    p.add_argument("predictions", nargs="?", help="predictions JSON (docs/BENCHMARK.md); omit with --method")
    p.add_argument("--method", help="run a method instead: nearest-aligned, hungarian-features, all-baselines")
    p.add_argument("--dataset", required=True, help="dataset folder (project format)")
    p.add_argument("--split", default="test", help="split to score (default test)")
    p.add_argument("--out", help="result JSON path (single predictions file; default result_<method>.json)")
    p.add_argument("--out-dir", default=".", help="folder for predictions/results of --method (default .)")
    add_config_args(p)


def register_leaderboard(sub, name: str) -> None:
    p = add_command(sub, name, "build LEADERBOARD.md and a sortable HTML leaderboard from result JSONs",
                    "linecorr leaderboard results/*.json --out leaderboard", run_leaderboard)
    p.add_argument("results", nargs="+", help="result JSON files written by `linecorr score`")
    p.add_argument("--out", default="leaderboard", help="output folder (default leaderboard)")


def _bar(items, desc):
    from tqdm import tqdm

    return tqdm(items, desc=desc, file=sys.stderr, disable=None, leave=False)


def run_score(args) -> int:
    from pathlib import Path

    from benchmark.predictions import load_predictions
    from benchmark.score import PRIMARY, ScoreConfig, save_result, score
    from dataprep.config import load_config
    from dataprep.errors import LinecorrError
    from dataprep.format import Dataset

    cfg = load_config(ScoreConfig, args.config, args.overrides)
    ds = Dataset.open(args.dataset)
    if bool(args.predictions) == bool(args.method):
        raise LinecorrError("give either a predictions file or --method (not both)")
    jobs = []
    if args.predictions:
        pred = load_predictions(args.predictions)
        out = Path(args.out or f"result_{pred.method['name']}.json")
        jobs.append((pred, out))
    else:
        from benchmark.baselines import BASELINES, get_baseline
        from benchmark.predict import predict_split

        names = list(BASELINES) if args.method == "all-baselines" else [args.method]
        out_dir = Path(args.out_dir)
        for n in names:
            matcher = get_baseline(n)
            pred = predict_split(matcher, ds, args.split, progress=lambda it, n=n: _bar(it, f"predict {n}"))
            ppath = pred.save(out_dir / f"predictions_{n}.json")
            print(f"wrote {ppath}")
            jobs.append((load_predictions(ppath), Path(args.out) if args.out and len(names) == 1
                         else out_dir / f"result_{n}.json"))
    for pred, out in jobs:
        result = score(pred, ds, args.split, cfg, progress=lambda it: _bar(it, f"score {pred.method['name']}"))
        save_result(result, out)
        m = result["metrics"]
        print(f"{pred.method['name']}: {PRIMARY} = {100 * m.get(PRIMARY, float('nan')):.2f}%  "
              f"pbc/acc = {100 * m.get('pbc/acc', float('nan')):.2f}%  ({result['benchmark']['pairs']} pairs)")
        print(f"wrote {out}")
    return 0


def run_leaderboard(args) -> int:
    from benchmark.leaderboard import build_leaderboard

    md, page = build_leaderboard(args.results, args.out)
    print(f"wrote {md}")
    print(f"wrote {page}")
    return 0
