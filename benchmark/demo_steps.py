"""Demo steps of the benchmark stage: score the training-free baselines, build the leaderboard."""

from __future__ import annotations

from dataprep.demo.report import StepResult


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
