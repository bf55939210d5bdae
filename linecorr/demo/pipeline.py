"""The demo pipeline: a list of steps run in order on built-in data.

Each step takes the shared :class:`DemoContext` and returns a :class:`StepResult`. Later stages
add their step to :data:`STEPS`. A failing step is reported and stops the run (exit 1), since
later steps depend on earlier outputs.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from linecorr.demo.report import StepResult, write_report


@dataclass
class DemoConfig:
    """Settings of ``linecorr demo``."""

    source: str = "auto"  # "blender" (render), "toy" (2-D procedural clips) or "auto" (blender if bpy imports)
    clips: int = 5  # characters rendered (or toy clips generated); splits train/val/test by character
    frames: int = 12  # frames per clip
    size: int = 256  # frame width and height in pixels
    seed: int = 0  # random seed of the generated data
    train_minutes: float = 2.0  # CPU minutes of the short tiny-AnT training run (shows training works)
    # the trained AnT scored next to the baselines (relative to the repository; skipped when absent): the best
    # v1 model, the v2 `small` run fine-tuned on v1-style renders (the demo renders v1-like exact lines)
    checkpoint: str = "results/standard/runs/ant-small-v1-union/best.safetensors"


@dataclass
class DemoContext:
    """What the steps share."""

    out: Path  # demo output folder
    cfg: DemoConfig  # settings
    paths: dict[str, Path] = field(default_factory=dict)  # named outputs of earlier steps


def _has_bpy() -> bool:
    import importlib.util

    return importlib.util.find_spec("bpy") is not None


def step_generate(ctx: DemoContext) -> StepResult:
    """Render synthetic clips with Blender (or generate 2-D toy clips without bpy)."""
    from dataprep.format import Dataset

    c = ctx.cfg
    use_blender = c.source == "blender" or (c.source == "auto" and _has_bpy())
    if use_blender:
        from blender_scripts.config import RenderConfig
        from blender_scripts.job import run_render

        rc = RenderConfig(characters=c.clips, frames=c.frames, res=c.size, seed=c.seed, gaps=(1, 3), workers=2)
        path = run_render(rc, ctx.out / "synth", overwrite=True, progress=False)
        what = "rendered with Blender"
    else:
        from dataprep.synthetic import ToyConfig, write_toy_dataset

        path = write_toy_dataset(ctx.out / "toy", clips=c.clips,
                                 cfg=ToyConfig(size=c.size, frames=c.frames, seed=c.seed), gaps=(1, 3))
        what = "2-D toy clips (bpy not installed)" if c.source == "auto" else "2-D toy clips"
    ctx.paths["data"] = path
    counts = Dataset.open(path).manifest.counts
    return StepResult("generate data", 0, f"{what}: {counts['clips']} clips, {counts['frames']} frames, "
                      f"{counts['pairs']} pairs, {counts['segments']} segments", counts, outputs=[path])


def step_validate(ctx: DemoContext) -> StepResult:
    """Validate the generated dataset."""
    from dataprep.format.validate import validate_dataset

    probs = validate_dataset(ctx.paths["data"])
    if probs:
        raise RuntimeError(f"validation found {len(probs)} problems, first: {probs[0]}")
    return StepResult("validate", 0, "dataset is valid (images decoded, segment tables recomputed)")


def step_viz(ctx: DemoContext) -> StepResult:
    """Draw the first test pair: matched segments share a color, unmatched are gray."""
    from dataprep.format import Dataset
    from dataprep.viz import VizConfig, default_viz_name, draw_pair, match_groups, save_png

    ds = Dataset.open(ctx.paths["data"])
    pids = (ds.pair_ids("test") if ds.splits.get("test") else []) or ds.pair_ids()
    pid = pids[0]
    path = save_png(draw_pair(ds, pid, VizConfig(show_ids=True)), ctx.out / default_viz_name(pid))
    pair = ds.load_pair(pid)
    groups = match_groups([(m.a, m.b) for m in pair.matches])
    many = sum(1 for na, nb in groups.sizes if na > 1 or nb > 1)
    return StepResult("visualise a pair", 0, f"{pid}: {len(groups)} match groups ({many} many-to-many), "
                      f"{len(pair.matches)} matches", {"pair": pid, "groups": len(groups), "many-to-many groups": many},
                      images=[path], outputs=[path])


def step_publish(ctx: DemoContext) -> StepResult:
    """Publish the dataset for Hugging Face datasets; read a label map back from parquet."""
    import tempfile

    import numpy as np
    from datasets import load_dataset

    from dataprep.format import Dataset
    from dataprep.publish import PublishConfig, decode_segment_image, publish_dataset
    from dataprep.publish.hf_dataset import quiet_datasets

    res = publish_dataset(ctx.paths["data"], ctx.out / "hf", PublishConfig(overwrite=True), progress=False)
    # A throwaway cache for load_dataset: the user's global HF cache stays untouched.
    with tempfile.TemporaryDirectory(prefix="linecorr-demo-hf-") as cache, quiet_datasets():
        files = {k: [str(p) for p in v] for k, v in res.files.items()}
        split = "test" if "test" in files else next(iter(files))
        row = load_dataset("parquet", data_files=files, cache_dir=cache)[split][0]
        got = decode_segment_image(row["seg_a"])
    want = Dataset.open(ctx.paths["data"]).load_seg(row["clip"], row["frame_a"])
    if not np.array_equal(got, want):
        raise RuntimeError(f"segment map of {row['id']} frame A does not round-trip through parquet")
    per_split = ", ".join(f"{k} {v}" for k, v in res.splits.items())
    all_ = res.counts["all"]
    return StepResult("publish (Hugging Face datasets)", 0,
                      f"{sum(res.splits.values())} pairs ({per_split}); {all_['segments']} segments in "
                      f"{all_['frames']} frames; label map of {row['id']} round-trips pixel-exact through parquet",
                      {f"{k} (clips/frames/pairs/segments)": "/".join(str(v) for v in c.values())
                       for k, c in res.counts.items()},
                      images=[res.out / "preview.png"],
                      outputs=[res.out / "README.md", *(p for ps in res.files.values() for p in ps)])


def step_pbc_round_trip(ctx: DemoContext) -> StepResult:
    """Export to PaintBucket-Character layout, import back, compare."""
    from linecorr.demo.steps_io import step_pbc_round_trip as run

    return run(ctx)


def step_segment(ctx: DemoContext) -> StepResult:
    """Segment the line art with the trapped-ball fill and score it against the exact partition."""
    from linecorr.demo.steps_segment import step_segment as run

    return run(ctx)


def step_baselines(ctx: DemoContext) -> StepResult:
    """Score the training-free baselines and build the leaderboard."""
    from linecorr.demo.steps_benchmark import step_baselines as run

    return run(ctx)


def step_committed_ant(ctx: DemoContext) -> StepResult:
    """Score the committed, trained AnT checkpoint next to the baselines."""
    from linecorr.demo.steps_benchmark import step_committed_ant as run

    return run(ctx)


def step_train_ant(ctx: DemoContext) -> StepResult:
    """A short training run of the tiny AnT (shows training works; not the reference model)."""
    from linecorr.demo.steps_benchmark import step_train_ant as run

    return run(ctx)


STEPS: list[Callable[[DemoContext], StepResult]] = [step_generate, step_validate, step_segment, step_pbc_round_trip,
                                                    step_viz, step_publish, step_baselines, step_committed_ant,
                                                    step_train_ant]


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
        except Exception as e:  # noqa: BLE001  (any failure is reported, then the run stops: later steps need this one)
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
