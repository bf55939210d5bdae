"""Demo steps of the benchmark stage: score the training-free baselines, build the leaderboard, score the
committed AnT checkpoint next to them, and show that training runs (a short run, labelled as such)."""

from __future__ import annotations

import shutil
from pathlib import Path

from linecorr.demo.report import StepResult

#: The repository root (the demo runs from a checkout; a committed checkpoint path is relative to it).
_REPO = Path(__file__).resolve().parents[2]


def step_baselines(ctx) -> StepResult:
    """Score the training-free baselines on the test split and build the leaderboard."""
    from benchmark.baselines import BASELINES, get_baseline
    from benchmark.leaderboard import build_leaderboard
    from benchmark.predict import predict_split
    from benchmark.score import PRIMARY, save_result, score
    from dataprep.format import Dataset

    ds = Dataset.open(ctx.paths["data"])
    res_dir = ctx.out / "results"
    results, details = [], {}
    for name in BASELINES:
        pred = predict_split(get_baseline(name), ds, "test")
        pred.save(res_dir / f"predictions_{name}.json")
        r = score(pred, ds, "test")
        results.append(save_result(r, res_dir / f"result_{name}.json"))
        details[f"{name} {PRIMARY}"] = f"{100 * r['metrics'][PRIMARY]:.2f}%"
        details[f"{name} pbc/acc"] = f"{100 * r['metrics']['pbc/acc']:.2f}%"
    ctx.paths["results"] = res_dir
    md, page = build_leaderboard(results, ctx.out / "leaderboard")
    best = max(details, key=lambda k: float(details[k][:-1]) if PRIMARY in k else -1)
    return StepResult("score baselines + leaderboard", 0, f"{len(results)} baselines scored; best: {best} = "
                      f"{details[best]}", details, outputs=[md, page])


def _score_ant(ctx, checkpoint: Path, name: str, description: str) -> dict:
    """Score an AnT checkpoint on the demo's test split, save its result, rebuild the leaderboard;
    returns the result's metrics."""
    from benchmark.leaderboard import build_leaderboard
    from benchmark.models import load_matcher
    from benchmark.predict import predict_split
    from benchmark.score import save_result, score
    from dataprep.format import Dataset

    ds = Dataset.open(ctx.paths["data"])
    pred = predict_split(load_matcher("ant", checkpoint), ds, "test")
    pred.method = {**pred.method, "name": name, "description": description}
    res_dir = ctx.paths["results"]
    r = score(pred, ds, "test")
    save_result(r, res_dir / f"result_{name}.json")
    ctx.paths["leaderboard"] = build_leaderboard(sorted(res_dir.glob("result_*.json")), ctx.out / "leaderboard")[0]
    return r["metrics"]


def _baseline_scores(ctx) -> dict[str, float]:
    """``{baseline: primary metric}`` of the results the baseline step wrote."""
    import json

    from benchmark.baselines import BASELINES
    from benchmark.score import PRIMARY

    return {n: json.loads((ctx.paths["results"] / f"result_{n}.json").read_text())["metrics"][PRIMARY]
            for n in BASELINES}


def step_committed_ant(ctx) -> StepResult:
    """Score the committed, trained AnT checkpoint on the demo's test split next to the baselines.

    The checkpoint (``DemoConfig.checkpoint``, relative to the repository) is the best v1 model
    (``ant-small-v1-union``: trained on v2's train split, fine-tuned on v1's and on 240 more characters
    rendered with v1's settings), trained on other characters than the demo's (those renders use other
    seeds), so this is a held-out test of it.
    """
    from benchmark.score import PRIMARY

    ckpt = Path(ctx.cfg.checkpoint)
    ckpt = ckpt if ckpt.is_absolute() else _REPO / ckpt
    if not ckpt.is_file():  # an installed wheel ships no results/: say so and go on
        return StepResult("score the committed AnT", 0, f"skipped: no committed checkpoint at {ckpt} "
                          "(run the demo from a checkout of the repository)")
    m = _score_ant(ctx, ckpt, "ant-committed", f"AnT checkpoint {ctx.cfg.checkpoint} (trained on the v1 / v2 "
                   "benchmarks' train splits and v1-style renders of other seeds; see its TRAINED.md / docs/ANT.md), "
                   "not trained on this data")
    base = _baseline_scores(ctx)
    best = max(base, key=base.get)
    verdict = "above" if m[PRIMARY] > base[best] else "NOT above"
    details = {f"ant-committed {PRIMARY}": f"{100 * m[PRIMARY]:.2f}%", "ant-committed pbc/acc": f"{100 * m['pbc/acc']:.2f}%",
               f"best baseline ({best}) {PRIMARY}": f"{100 * base[best]:.2f}%", "checkpoint": str(ckpt)}
    return StepResult("score the committed AnT", 0, f"committed AnT {PRIMARY} = {100 * m[PRIMARY]:.2f}%, {verdict} "
                      f"the best baseline ({best} {100 * base[best]:.2f}%)", details,
                      outputs=[ctx.paths["leaderboard"]])


def step_train_ant(ctx) -> StepResult:
    """A short training run of the tiny AnT (shows that training runs; not the reference model)."""
    import dataclasses

    from benchmark.score import PRIMARY
    from benchmark.train.ant import train_ant
    from benchmark.train.config import tiny
    from dataprep.format import Dataset

    ds = Dataset.open(ctx.paths["data"])
    minutes = float(getattr(ctx.cfg, "train_minutes", 2.0))
    cfg = dataclasses.replace(tiny(), time_limit_min=minutes, eval_every=100, ckpt_every=100)
    run = ctx.out / "runs" / "ant_tiny"
    if run.is_dir():  # the demo's own run of an earlier `make demo`: replaced, as every other step's output is
        shutil.rmtree(run)
    last = train_ant(cfg, ds.root, run, progress=False)
    m = _score_ant(ctx, last, "ant-tiny-short-run", f"AnT tiny config, a short run: {minutes:g} min of CPU "
                   "training on the demo's train split (shows that training runs; the committed checkpoint "
                   "is the reference)")
    details = {f"ant-tiny-short-run {PRIMARY}": f"{100 * m[PRIMARY]:.2f}%",
               "ant-tiny-short-run pbc/acc": f"{100 * m['pbc/acc']:.2f}%", "training minutes (limit)": minutes,
               "checkpoint": str(last)}
    return StepResult("short training run (AnT tiny)", 0, f"short run: ant-tiny {PRIMARY} = {100 * m[PRIMARY]:.2f}% "
                      f"after {minutes:g} min of training (shows training works; not the reference)", details,
                      outputs=[last, ctx.paths["leaderboard"]])
