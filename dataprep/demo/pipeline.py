"""The demo pipeline: a list of steps run in order on built-in data.

Each step takes the shared :class:`DemoContext` and returns a :class:`StepResult`. Later stages
add their step to :data:`STEPS`. A failing step is reported and stops the run (exit 1), since
later steps depend on earlier outputs.
"""

from __future__ import annotations

import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from dataprep.demo.report import StepResult, write_report


@dataclass
class DemoConfig:
    """Settings of ``linecorr demo``."""

    clips: int = 5  # toy clips to generate
    frames: int = 6  # frames per clip
    size: int = 256  # frame size in pixels
    seed: int = 0  # random seed of the generated data


@dataclass
class DemoContext:
    """What the steps share."""

    out: Path  # demo output folder
    cfg: DemoConfig  # settings
    paths: dict[str, Path] = field(default_factory=dict)  # named outputs of earlier steps


def step_generate(ctx: DemoContext) -> StepResult:
    """Generate toy clips with exact ground truth in the project format."""
    from dataprep.format import Dataset
    from dataprep.synthetic import ToyConfig, write_toy_dataset

    cfg = ToyConfig(size=ctx.cfg.size, frames=ctx.cfg.frames, seed=ctx.cfg.seed)
    path = write_toy_dataset(ctx.out / "toy", clips=ctx.cfg.clips, cfg=cfg, gaps=(1, 3))
    ctx.paths["toy"] = path
    counts = Dataset.open(path).manifest.counts
    return StepResult("generate toy clips", 0, f"{counts['clips']} clips, {counts['frames']} frames, "
                      f"{counts['pairs']} pairs, {counts['segments']} segments", counts, outputs=[path])


def step_validate(ctx: DemoContext) -> StepResult:
    """Validate the generated dataset."""
    from dataprep.format.validate import validate_dataset

    probs = validate_dataset(ctx.paths["toy"])
    if probs:
        raise RuntimeError(f"validation found {len(probs)} problems, first: {probs[0]}")
    return StepResult("validate", 0, "dataset is valid (images decoded, segment tables recomputed)")


STEPS: list[Callable[[DemoContext], StepResult]] = [step_generate, step_validate]


def run_demo(out: Path, cfg: DemoConfig, log=print) -> tuple[Path, bool]:
    """Run every step; write ``out/report.html``. Returns (report path, all ok)."""
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out, cfg)
    results: list[StepResult] = []
    ok = True
    for i, step in enumerate(STEPS, 1):
        name = (step.__doc__ or step.__name__).strip().splitlines()[0]
        log(f"[{i}/{len(STEPS)}] {name}")
        t0 = time.time()
        try:
            res = step(ctx)
        except Exception as e:  # report, then stop: later steps need this step's output
            traceback.print_exc(file=sys.stderr)
            res = StepResult(step.__name__, 0, f"FAILED: {type(e).__name__}: {e}", ok=False)
            ok = False
        res.seconds = time.time() - t0
        log(f"      {res.summary} ({res.seconds:.1f} s)")
        results.append(res)
        if not ok:
            break
    report = write_report(out / "report.html", "linecorr demo", results)
    return report, ok
