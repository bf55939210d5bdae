"""Demo steps of the benchmark stage: score the training-free baselines, build the leaderboard, train AnT."""

from __future__ import annotations

from linecorr.demo.report import StepResult


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


def step_train_ant(ctx) -> StepResult:
    """Train the tiny AnT on the train split for a few minutes, score it, rebuild the leaderboard."""
    import dataclasses

    from benchmark.leaderboard import build_leaderboard
    from benchmark.models import load_matcher
    from benchmark.predict import predict_split
    from benchmark.score import PRIMARY, save_result, score
    from benchmark.train.ant import train_ant
    from benchmark.train.config import tiny
    from dataprep.format import Dataset

    ds = Dataset.open(ctx.paths["data"])
    minutes = float(getattr(ctx.cfg, "train_minutes", 2.0))
    cfg = dataclasses.replace(tiny(), time_limit_min=minutes, eval_every=100, ckpt_every=100)
    run = ctx.out / "runs" / "ant_tiny"
    last = train_ant(cfg, ds.root, run, progress=False)
    pred = predict_split(load_matcher("ant", last), ds, "test")
    pred.method = {**pred.method, "name": "ant-tiny", "description": f"AnT tiny config, {minutes:g} min of CPU "
                   "training on the demo's train split"}
    res_dir = ctx.paths["results"]
    r = score(pred, ds, "test")
    save_result(r, res_dir / "result_ant-tiny.json")
    md, page = build_leaderboard(sorted(res_dir.glob("result_*.json")), ctx.out / "leaderboard")
    m = r["metrics"]
    details = {f"ant-tiny {PRIMARY}": f"{100 * m[PRIMARY]:.2f}%", "ant-tiny pbc/acc": f"{100 * m['pbc/acc']:.2f}%",
               "training minutes (limit)": minutes, "checkpoint": str(last)}
    return StepResult("train + score AnT (tiny)", 0, f"ant-tiny {PRIMARY} = {100 * m[PRIMARY]:.2f}% after "
                      f"{minutes:g} min of training", details, outputs=[last, md, page])
