"""``linecorr demo``: run every stage that exists on built-in data and write an HTML report."""

from __future__ import annotations

from dataprep.cli import add_command, add_config_args


def register(sub, name: str) -> None:
    p = add_command(sub, name, "run the pipeline end to end on built-in data; writes OUT/report.html",
                    "linecorr demo --out demo_out --set clips=3", run)
    p.add_argument("--out", default="demo_out", help="output folder (default demo_out)")
    add_config_args(p, "clips=3", "source, clips, frames, size, seed, train_minutes, checkpoint")


def run(args) -> int:
    from pathlib import Path

    from dataprep.config import load_config
    from linecorr.demo.pipeline import DemoConfig, run_demo

    cfg = load_config(DemoConfig, args.config, args.overrides)
    report, ok = run_demo(Path(args.out), cfg)
    print(f"wrote {report}")
    return 0 if ok else 1
