"""AnT's label-source ablation (paper Tables 2-3, scaled down): what the forward loss is trained on.

Three AnT runs on the same budget (same preset, steps, seed and pairs), differing only in the
training signal:

- ``correspondence``: the forward loss on each target's true source segment (``labels=correspondence``)
  plus the cycle loss, the reference setting;
- ``color``: the forward loss on *any* source segment of the target's color (``labels=color``), no
  cycle loss: what a studio's colored frames give without correspondence annotation;
- ``color+cycle``: color labels plus the cycle-consistency loss (alpha 0.25), the paper's fix for the
  shortcuts color labels allow (matching by color class instead of by segment).

Every run is scored on *correspondence* (``ant/accuracy@recursive10`` and the rest of the result) on
the v2 test split of each ``--styles`` track. Each step (a training, a scoring) is skipped when its
output exists, so an interrupted run continues where it stopped; the summary JSON is written
atomically at the end and names the commit the runs used.

Example (v2 rendered on first use into $LINECORR_DATA; about 3 x 12 minutes of training on 2 cores):
    python benchmarks/ablation_label_source.py --steps 1500 --out runs/ablation \\
        --json results/ablation/label_source.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from dataprep.format.atomic import atomic_write_json

#: variant -> the training settings that differ (everything else is the preset's).
VARIANTS = {
    "correspondence": {"labels": "correspondence", "cycle_weight": "0.25"},
    "color": {"labels": "color", "cycle_weight": "0"},
    "color+cycle": {"labels": "color", "cycle_weight": "0.25"},
}

#: the result columns the summary table shows (all are in each result JSON).
COLUMNS = ("ant/accuracy@recursive10", "ant/miou@recursive10", "pbc/acc")


def _run(cmd: list[str]) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("Example")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="tiny", help="AnT preset of every run (default tiny)")
    ap.add_argument("--steps", type=int, default=1500, help="optimizer steps of every run (the shared budget)")
    ap.add_argument("--benchmark", default="v2", help="train on this benchmark's train split (default v2)")
    ap.add_argument("--styles", default="exact,rough", help="v2 line-style tracks to score on (comma list)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="which runs (default all three)")
    ap.add_argument("--out", default="runs/ablation", help="run folders and scores go here")
    ap.add_argument("--json", default="results/ablation/label_source.json", help="summary written here")
    args = ap.parse_args(argv)

    out = Path(args.out)
    py = [sys.executable, "-m", "benchmark"]
    summary: dict = {"config": args.config, "steps": args.steps, "benchmark": args.benchmark, "commit": _git_commit(),
                     "command": " ".join([Path(sys.argv[0]).as_posix(), *(argv if argv is not None else sys.argv[1:])]),
                     "variants": {}}
    names = [v for v in args.variants.split(",") if v]
    for i, name in enumerate(names, 1):
        if name not in VARIANTS:
            ap.error(f"unknown variant {name!r} (known: {', '.join(VARIANTS)})")
        run = out / name.replace("+", "_")
        sets = {**VARIANTS[name], "steps": str(args.steps), "time_limit_min": "0"}
        ckpt = run / "best.safetensors"
        t0 = time.time()
        if not (run / "DONE").is_file():
            print(f"[{i}/{len(names)}] training {name} ({args.steps} steps)", flush=True)
            cmd = [*py, "train", "ant", "--config", args.config, "--benchmark", args.benchmark, "--out", str(run)]
            if (run / "last.safetensors").is_file():
                cmd.append("--resume")
            for k, v in sets.items():
                cmd += ["--set", f"{k}={v}"]
            _run(cmd)
            (run / "DONE").write_text(f"{time.time() - t0:.0f} s\n")
        scores = {}
        for style in [s for s in args.styles.split(",") if s]:
            sdir = run / "scores" / style
            if not any(sdir.glob("result_*.json")):
                print(f"[{i}/{len(names)}] scoring {name} on v2 {style}", flush=True)
                _run([*py, "score", "--model", "ant", "--checkpoint", str(ckpt), "--benchmark", args.benchmark,
                      "--line-style", style, "--out-dir", str(sdir)])
            result = json.loads(next(sdir.glob("result_*.json")).read_text())
            scores[style] = {c: result["metrics"].get(c) for c in COLUMNS}
        summary["variants"][name] = {"train_set": sets, "scores": scores,
                                     "val_acc": _last_val_acc(run / "metrics.csv")}

    dest = Path(args.json)
    atomic_write_json(dest, summary, indent=2)
    print(_table(summary))
    print(f"wrote {dest}")
    return 0


def _last_val_acc(metrics_csv: Path) -> float | None:
    """The last validation accuracy logged in a run's metrics.csv (None when none was)."""
    import csv

    if not metrics_csv.is_file():
        return None
    vals = [r["val_acc"] for r in csv.DictReader(metrics_csv.open()) if r.get("val_acc")]
    return float(vals[-1]) if vals else None


def _table(summary: dict) -> str:
    """The summary as a Markdown table: one row per variant, one column per track and metric."""
    styles = sorted({s for v in summary["variants"].values() for s in v["scores"]})
    head = ["labels"] + [f"{s} {c.split('/')[-1]}" for s in styles for c in COLUMNS[:2]]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, v in summary["variants"].items():
        cells = [name] + [f"{100 * v['scores'][s][c]:.2f}" if v["scores"].get(s, {}).get(c) is not None else "–"
                          for s in styles for c in COLUMNS[:2]]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    raise SystemExit(main())
