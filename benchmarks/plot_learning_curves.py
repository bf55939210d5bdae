"""Learning curves of training runs: validation metric against steps and against training time.

Reads each run folder's ``metrics.csv`` (written by ``linecorr train``; ``time_s`` is the run's
training time across resumes) and draws three panels: the validation metric (``val_acc``: AnT's
pairwise eq.-3 accuracy on the val pairs, the patch-ViT's validation score) against optimizer steps,
the same against training hours, and the training loss (a running median over 5 logged rows, since
single batches are noisy) against steps.

Example (the committed CPU reference runs):
    python benchmarks/plot_learning_curves.py results/v2/runs/ant-small results/v2/runs/patch-vit-tiny \\
        --out docs/img/learning_curves.png
"""

from __future__ import annotations

import argparse
import csv
import io
import math
from pathlib import Path

import numpy as np

from dataprep.format.atomic import atomic_write_bytes


def read_metrics(run: Path) -> dict[str, np.ndarray]:
    """``metrics.csv`` of ``run`` as float arrays: ``train`` rows (``step``, ``time_s``, ``loss``) and
    ``val`` rows (``step``, ``time_s``, ``val_acc``), each ``(N,) float64`` sorted by step."""
    path = run / "metrics.csv"
    if not path.is_file():
        raise SystemExit(f"error: {path}: no metrics.csv (is this a `linecorr train` run folder?)")
    train, val = [], []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r.get("val_acc"):
                val.append((float(r["step"]), float(r["time_s"]), float(r["val_acc"])))
            elif r.get("loss"):
                train.append((float(r["step"]), float(r["time_s"]), float(r["loss"])))
    t = np.array(sorted(train), np.float64).reshape(-1, 3)
    v = np.array(sorted(val), np.float64).reshape(-1, 3)
    return {"step": t[:, 0], "time_s": t[:, 1], "loss": t[:, 2],
            "val_step": v[:, 0], "val_time_s": v[:, 1], "val_acc": v[:, 2]}


def running_median(x: np.ndarray, k: int = 5) -> np.ndarray:
    """Median over a window of ``k`` values ending at each index, ``(N,) float64``."""
    return np.array([np.median(x[max(0, i - k + 1):i + 1]) for i in range(len(x))])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="Example" + __doc__.split("Example")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="run folders (each with a metrics.csv)")
    ap.add_argument("--labels", help="comma list of legend labels (default: the folder names)")
    ap.add_argument("--out", type=Path, default=Path("docs/img/learning_curves.png"), help="PNG written here")
    args = ap.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = args.labels.split(",") if args.labels else [r.name for r in args.runs]
    if len(labels) != len(args.runs):
        ap.error(f"--labels has {len(labels)} names for {len(args.runs)} runs")
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2 + 0.25 * math.ceil(len(labels) / 3)))
    for run, label in zip(args.runs, labels, strict=True):
        m = read_metrics(run)
        (line,) = axes[0].plot(m["val_step"], m["val_acc"], marker="o", ms=3, label=label)
        axes[1].plot(m["val_time_s"] / 3600, m["val_acc"], marker="o", ms=3, color=line.get_color(), label=label)
        axes[2].plot(m["step"], running_median(m["loss"]), color=line.get_color(), label=label)
        print(f"{label}: {len(m['step'])} training rows, last step {int(m['step'][-1]) if len(m['step']) else 0}, "
              f"{m['time_s'][-1] / 3600 if len(m['time_s']) else 0:.2f} h, "
              f"best val {m['val_acc'].max() if len(m['val_acc']) else float('nan'):.3f}")
    axes[0].set(xlabel="optimizer step", ylabel="validation accuracy", title="validation vs steps")
    axes[1].set(xlabel="training time (h, 2 CPU cores)", ylabel="validation accuracy", title="validation vs time")
    axes[2].set(xlabel="optimizer step", ylabel="training loss (running median of 5)", title="training loss",
                yscale="log")
    for ax in axes:
        ax.grid(alpha=0.3)
    # One legend under the three panels: inside them it hid the curves once there were many runs.
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(3, len(names)), fontsize=8, frameon=False)
    rows = math.ceil(len(names) / 3)
    fig.tight_layout(rect=(0, 0.05 * rows + 0.02, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    atomic_write_bytes(args.out, buf.getvalue())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
