"""One GPU run, ready to go: CUDA tests, forward timings, short training runs and scores, one results JSON.

On a machine with one CUDA GPU (``make gpu-check``), in this order, each stage timed:

1. ``env``          device name, torch / CUDA / cuDNN versions, AMP dtype, git sha;
2. ``tests``        ``pytest -m gpu`` (the CUDA-marked tests) in a subprocess;
3. ``data``         the v1 benchmark (``--benchmark v1``: rendered on first use, CPU-bound, not counted
                    in the time budget) or ``--dataset PATH``, an existing render;
4. ``ant_forward``  AnT ``paper`` on 50 + 50 segments at 512² (benchmarks/bench_ant.py, fp32 as scoring runs);
5. ``vit_forward``  the patch-ViT ``paper`` on a 512² pair (benchmarks/bench_vit.py, AMP autocast);
6. ``train_ant``    ``linecorr train ant --config paper`` for ``--steps`` steps with AMP on the train split;
7. ``train_vit``    ``linecorr train patch-vit --config paper`` for ``--steps`` steps with AMP;
8. ``score_ant``    ``linecorr score --model ant`` of that checkpoint on the test split;
9. ``score_vit``    ``linecorr score --model patch-vit`` (segment and region protocols) on the test split.

Everything (versions, timings, steps/s, losses, scores, test outcome, wall time per stage, git sha)
goes into one JSON written atomically (``OUT/gpu_check.json``); its path is printed at the end. A
stage that fails records its error and the run goes on; the exit status is 1 if any stage failed
(2 if no CUDA device is visible). Scoring takes the consecutive pairs (``--score-gaps 1``) so the
whole check fits in 10 minutes on one GPU; ``--score-gaps all`` scores every pair of the split.

``--cpu-smoke`` runs the same code on the CPU at toy sizes (a toy dataset written on the fly, a few
steps, small models, the ``-m gpu`` tests skipped by their marker): the CI test
tests/benchmark/test_gpu_check.py runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # bench_ant, bench_vit, timing: the scripts beside this one
sys.path.insert(1, str(ROOT))

EXAMPLES = """examples:
  make gpu-check                                             # = .venv/bin/python benchmarks/gpu_check.py
  .venv/bin/python benchmarks/gpu_check.py --dataset ~/.cache/linecorr/linecorr-synth-v1 --steps 50
  .venv/bin/python benchmarks/gpu_check.py --cpu-smoke --out /tmp/gpu_check   # the CI's CPU run, ~10 s
"""

STAGES = ("env", "tests", "data", "ant_forward", "vit_forward", "train_ant", "train_vit", "score_ant", "score_vit")


class Plan(NamedTuple):
    """Sizes of one run: the GPU check proper, or the CPU smoke run of the same code.

    (A NamedTuple, not a dataclass: tests load this script with ``importlib`` under no package.)
    """

    device: str  # torch device of the models
    steps: int  # training steps per model
    ant_preset: str  # training preset of AnT (and the timed forward)
    vit_preset: str  # training preset of the patch-ViT (and the timed forward)
    forward_size: int  # frame side of the timed forwards
    forward_grid: tuple[int, int]  # AnT timing pair: rows x cols cells (50 + 50 segments: 5 x 10)
    ant_runs: int  # timed AnT forwards (median reported)
    vit_runs: int  # timed patch-ViT forwards
    warmup: int  # untimed AnT forwards first
    ant_set: list[str]  # `--set` of `linecorr train ant`
    vit_set: list[str]  # `--set` of `linecorr train patch-vit`
    vit_model_set: dict  # VitModelConfig fields of the timed patch-ViT besides the preset's


def gpu_plan(args) -> Plan:
    workers = max(1, min(8, os.cpu_count() or 1))  # the paper presets' 8 / 4 loader processes, capped by the cores
    common = [f"steps={args.steps}", "eval_every=0", "log_every=1", "ckpt_every=0", "time_limit_min=0",
              f"device={args.device}", "amp=true"]
    return Plan(device=args.device, steps=args.steps, ant_preset="paper", vit_preset="paper", forward_size=512,
                forward_grid=(5, 10), ant_runs=50, vit_runs=5, warmup=10,
                ant_set=[*common, f"workers={workers}"],
                vit_set=[*common, "epochs=0", f"workers={min(4, workers)}"], vit_model_set={})


def smoke_plan(args) -> Plan:
    """Toy sizes: the whole run takes well under a minute on 2 CPU cores."""
    common = [f"steps={args.steps}", "eval_every=0", "log_every=1", "ckpt_every=0", "time_limit_min=0",
              "device=cpu", "amp=true", "workers=0", "threads=1", "batch_size=2"]
    return Plan(device="cpu", steps=args.steps, ant_preset="tiny", vit_preset="tiny", forward_size=128,
                forward_grid=(2, 3), ant_runs=3, vit_runs=1, warmup=1,
                ant_set=[*common, "accum_steps=1", "max_segments=32", "model.channels=[8,16,16]", "model.dim=16",
                         "model.layers=2"],
                vit_set=[*common, "epochs=0", "model.image_size=128", "data.crop=64", "model.dim=32", "model.heads=2",
                         "model.depth=1", "model.multiplex_layers=1", "loss.positives=32", "loss.negatives=8"],
                vit_model_set={"dim": 32, "heads": 2, "depth": 1, "multiplex_layers": 1})


class Tee(io.TextIOBase):
    """Writes to a stream and keeps a copy (a stage's stderr: shown live, its last line is the error)."""

    def __init__(self, stream) -> None:
        self.stream, self.copy = stream, io.StringIO()

    def write(self, s: str) -> int:
        self.copy.write(s)
        return self.stream.write(s)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()


def linecorr(argv: list[str]) -> None:
    """Run a ``linecorr`` command in this process (the real entry point); raise with its error line."""
    from dataprep.cli import main

    tee = Tee(sys.stderr)
    with contextlib.redirect_stderr(tee):
        rc = main(argv)
    if rc:
        lines = [ln for ln in tee.copy.getvalue().splitlines() if ln.strip()]
        raise RuntimeError(lines[-1] if lines else f"`linecorr {argv[0]}` exited {rc}")


def training_log(run: Path) -> dict:
    """Losses and speed from a run's ``metrics.csv`` (``log_every=1``: one row per step).

    ``steps_per_s`` spans the second to the last row, so the first step (CUDA context, cuDNN
    autotuning, the first batches of the loader) does not count.
    """
    with open(run / "metrics.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r.get("loss")]
    if not rows:
        raise RuntimeError(f"no training rows in {run / 'metrics.csv'}")
    steps = [int(r["step"]) for r in rows]
    t = [float(r["time_s"]) for r in rows]
    span = (steps[-1] - steps[0], t[-1] - t[0]) if len(rows) > 1 else (steps[0], t[0])
    return {"steps": steps[-1], "losses": [float(r["loss"]) for r in rows], "loss_first": float(rows[0]["loss"]),
            "loss_last": float(rows[-1]["loss"]), "steps_per_s": span[0] / span[1] if span[1] > 0 else None,
            "pairs_per_s": float(rows[-1]["pairs_per_s"]) if rows[-1].get("pairs_per_s") else None,
            "train_time_s": t[-1]}


def read_results(folder: Path) -> dict:
    """``{result file name: {metrics, pairs}}`` of the result JSONs ``linecorr score`` wrote into ``folder``."""
    out = {}
    for p in sorted(folder.glob("result_*.json")):
        r = json.loads(p.read_text(encoding="utf-8"))
        out[p.name] = {"metrics": r["metrics"], "pairs": r["benchmark"].get("pairs"), "path": str(p)}
    if not out:
        raise RuntimeError(f"`linecorr score` wrote no result into {folder}")
    return out


def git_sha() -> dict:
    def git(*a: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True, check=True).stdout.strip()

    try:
        return {"sha": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.CalledProcessError) as e:
        return {"sha": None, "dirty": None, "error": f"git: {e}"}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class Check:
    """The stages of one run and the JSON they fill."""

    def __init__(self, args, plan: Plan) -> None:
        self.args, self.plan = args, plan
        self.out = Path(args.out).resolve()
        self.smoke = args.cpu_smoke
        self.dataset: str | None = args.dataset
        self.report: dict = {"format": "linecorr-gpu-check/1", "mode": "cpu-smoke" if self.smoke else "gpu",
                             "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "argv": sys.argv[1:],
                             "budget_min": args.budget_min, "plan": plan._asdict(), "stages": {}}
        self.budget_start: float | None = None  # the time budget starts after the data stage

    # ---- the stages --------------------------------------------------------------------------
    def env(self) -> dict:
        import numpy as np
        import torch

        from benchmark.train.loop import amp_dtype

        dev = torch.device(self.plan.device)
        info = {"device": str(dev), "torch": torch.__version__, "cuda": torch.version.cuda,
                "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
                "numpy": np.__version__, "python": platform.python_version(), "platform": platform.platform(),
                "cpu": cpu_name(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                "amp_dtype": str(amp_dtype(dev)).replace("torch.", "") if dev.type == "cuda" else None,
                "git": git_sha()}
        if dev.type == "cuda":
            p = torch.cuda.get_device_properties(dev)
            info.update(device_name=p.name, device_memory_gb=round(p.total_memory / 2**30, 1),
                        compute_capability=f"{p.major}.{p.minor}", device_count=torch.cuda.device_count())
        else:
            info["device_name"] = info["cpu"]
        self.report["env"] = info
        return {"summary": f"{info['device_name']}, torch {info['torch']}, CUDA {info['cuda']}, "
                           f"git {str(info['git']['sha'])[:10]}"}

    def tests(self) -> dict:
        # The CPU smoke run collects only the files that mark tests `gpu` (the whole suite takes seconds
        # to collect on 2 cores); the GPU run collects everything, so no marked test is missed.
        paths = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py")
                       if "mark.gpu" in p.read_text(encoding="utf-8")) if self.smoke else ["tests"]
        cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-rs", "-p", "no:cacheprovider", *paths]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
        tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr.strip()[-300:]
        counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|errors?|deselected)", tail)}
        rec = {"command": cmd[1:], "returncode": proc.returncode, "summary": tail, **counts}
        if proc.returncode:
            raise StageError(f"pytest -m gpu: {tail}", rec)
        if not self.smoke and (counts.get("skipped") or not counts.get("passed")):
            raise StageError(f"pytest -m gpu on a GPU machine must run its tests, not skip them: {tail}", rec)
        return rec

    def data(self) -> dict:
        if self.smoke:
            from dataprep.synthetic import ToyConfig, write_toy_dataset

            self.dataset = str(write_toy_dataset(self.out / "toy", clips=4, cfg=ToyConfig(size=128, frames=4)))
            path, source = self.dataset, "toy (dataprep.synthetic.write_toy_dataset, 4 clips x 4 frames at 128²)"
        elif self.dataset:
            path, source = self.dataset, "--dataset"
        else:  # train and score name --benchmark v1; render it now, on every core, outside the time budget
            from benchmark.standard import ensure_benchmark

            path = ensure_benchmark("v1", workers=max(1, min(16, os.cpu_count() or 1)))
            source = "--benchmark v1 (rendered here on first use)"
        from dataprep.format import open_dataset

        ds = open_dataset(str(path))
        pairs = {s: len(ds.pair_ids(s)) for s in ("train", "val", "test")}
        return {"dataset": str(path), "source": source, "clips": len(ds.clip_ids), "pairs": pairs,
                "summary": f"{source}: {len(ds.clip_ids)} clips, pairs " + " / ".join(f"{k} {v}" for k, v in pairs.items())}

    def ant_forward(self) -> dict:
        import torch
        from bench_ant import bench_pair, medians, stage_times

        from benchmark.models.ant.model import AnT
        from benchmark.train.config import load_train_config

        cfg = load_train_config(self.plan.ant_preset,
                                [s for s in self.plan.ant_set if s.startswith("model.")]).model
        torch.manual_seed(0)
        model = AnT(cfg).eval()
        fa, fb = bench_pair(self.plan.forward_size, *self.plan.forward_grid)
        ms = medians(stage_times(model, fa, fb, self.plan.ant_runs, self.plan.device, self.plan.warmup))
        return {"preset": self.plan.ant_preset, "segments": [len(fa.segments), len(fb.segments)],
                "size": self.plan.forward_size, "runs": self.plan.ant_runs, "dtype": "float32", "ms": ms,
                "summary": f"{ms['total']:.2f} ms per pair (crops {ms['crops']:.2f}, CNN {ms['cnn']:.2f}, "
                           f"transformer {ms['transformer']:.2f})"}

    def vit_forward(self) -> dict:
        import dataclasses

        import torch
        from bench_vit import bench, grid_line

        from benchmark.models.vit.model import PatchViT
        from benchmark.train.loop import amp_dtype
        from benchmark.train.vit_config import PRESETS

        cfg = dataclasses.replace(PRESETS[self.plan.vit_preset]().model,
                                  **{"image_size": self.plan.forward_size, **self.plan.vit_model_set})
        torch.manual_seed(0)
        dev = torch.device(self.plan.device)
        size = self.plan.forward_size
        ms = bench(self.plan.vit_preset, PatchViT(cfg).eval(), grid_line(size, 50, 0), grid_line(size, 50, 1),
                   self.plan.vit_runs, dev, amp=True)
        dtype = amp_dtype(dev)
        return {"preset": self.plan.vit_preset, "size": size, "runs": self.plan.vit_runs,
                "autocast": str(dtype).replace("torch.", "") if dtype else None, "ms": ms,
                "summary": f"{ms['total']:.1f} ms per pair (model {ms['model']:.1f}, post-processing "
                           f"{ms['postprocess']:.1f}, matching {ms['matching']:.1f})"}

    def _data_args(self, split: str | None = None) -> list[str]:
        if self.dataset:
            return ["--dataset", self.dataset] + (["--split", split] if split else [])
        return ["--benchmark", "v1"]

    def _train(self, model: str, preset: str, sets: list[str]) -> dict:
        run = self.out / "runs" / model
        if (run / "last.safetensors").exists():  # a re-run of the check starts its runs afresh
            import shutil

            shutil.rmtree(run)
        argv = ["train", model, "--config", preset, *self._data_args(), "--out", str(run)]
        for s in sets:
            argv += ["--set", s]
        self._reset_peak()
        linecorr(argv)
        return {"command": ["linecorr", *argv], "checkpoint": str(run / "last.safetensors"),
                "amp": self._amp_name(), **training_log(run), **self._peak()}

    def train_ant(self) -> dict:
        rec = self._train("ant", self.plan.ant_preset, self.plan.ant_set)
        rec["summary"] = _train_summary(rec)
        return rec

    def train_vit(self) -> dict:
        rec = self._train("patch-vit", self.plan.vit_preset, self.plan.vit_set)
        rec["summary"] = _train_summary(rec)
        return rec

    def _score(self, model: str) -> dict:
        ckpt = self.report["stages"].get(f"train_{'ant' if model == 'ant' else 'vit'}", {}).get("checkpoint")
        if not ckpt or not Path(ckpt).is_file():
            raise RuntimeError(f"no checkpoint to score: the {model} training stage failed")
        folder = self.out / "scores" / model
        for old in folder.glob("result_*.json"):
            old.unlink()
        argv = ["score", "--model", model, "--checkpoint", ckpt, *self._data_args("test"), "--out-dir", str(folder),
                "--device", self.plan.device]
        if self.args.score_gaps != "all":
            argv += ["--gaps", self.args.score_gaps]
        self._reset_peak()
        linecorr(argv)
        results = read_results(folder)
        first = next(iter(results.values()))
        return {"command": ["linecorr", *argv], "results": results, **self._peak(),
                "summary": ", ".join(f"{n}: " + _headline(r["metrics"]) for n, r in results.items())
                + f" ({first['pairs']} pairs)"}

    def score_ant(self) -> dict:
        return self._score("ant")

    def score_vit(self) -> dict:
        return self._score("patch-vit")

    # ---- helpers ---------------------------------------------------------------------------------
    def _amp_name(self) -> str | None:
        import torch

        from benchmark.train.loop import amp_dtype

        dtype = amp_dtype(torch.device(self.plan.device))
        return str(dtype).replace("torch.", "") if dtype else None

    def _reset_peak(self) -> None:
        import torch

        if torch.device(self.plan.device).type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.plan.device)

    def _peak(self) -> dict:
        import torch

        if torch.device(self.plan.device).type != "cuda":
            return {}
        return {"gpu_peak_memory_gb": round(torch.cuda.max_memory_allocated(self.plan.device) / 2**30, 2)}

    # ---- the run -----------------------------------------------------------------------------
    def run(self) -> int:
        t0 = time.time()
        self.out.mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(STAGES, 1):
            print(f"[{i}/{len(STAGES)}] {name} ...", flush=True)
            t = time.time()
            spent = (t - self.budget_start) / 60 if self.budget_start is not None else 0.0
            if spent > self.args.budget_min:
                rec = {"ok": False, "error": f"skipped: the time budget of {self.args.budget_min:g} min is spent"}
            else:
                try:
                    rec = {"ok": True, **getattr(self, name)()}
                except StageError as e:
                    rec = {"ok": False, **e.record, "error": str(e)}
                except Exception as e:  # noqa: BLE001 -- any failure is this stage's result; the next stage runs
                    rec = {"ok": False, "error": f"{type(e).__name__}: {e}".splitlines()[0],
                           "traceback": traceback.format_exc(limit=8)}
            rec["wall_s"] = round(time.time() - t, 2)
            self.report["stages"][name] = rec
            if name == "data":
                self.budget_start = time.time()
            what = rec.get("summary") if rec["ok"] else rec["error"]
            print(f"      {'ok' if rec['ok'] else 'FAILED'} in {rec['wall_s']:.1f} s" + (f": {what}" if what else ""),
                  flush=True)
        self.report["wall_s"] = round(time.time() - t0, 2)
        self.report["wall_s_budgeted"] = round(time.time() - (self.budget_start or t0), 2)
        self.report["failed"] = [n for n, r in self.report["stages"].items() if not r["ok"]]
        self.report["ok"] = not self.report["failed"]
        path = self.out / "gpu_check.json"
        from dataprep.format.atomic import atomic_write_json

        atomic_write_json(path, _json_safe(self.report))
        status = "all stages ok" if self.report["ok"] else f"FAILED: {', '.join(self.report['failed'])}"
        print(f"gpu check {status} in {self.report['wall_s']:.0f} s; wrote {path}")
        return 0 if self.report["ok"] else 1


class StageError(RuntimeError):
    """A stage failed but has a partial record worth keeping (e.g. the test counts)."""

    def __init__(self, message: str, record: dict) -> None:
        super().__init__(message)
        self.record = record


def _headline(m: dict) -> str:
    for k in ("ant/accuracy@recursive10", "region/ari", "patch/cross/ap"):
        if m.get(k) is not None:
            return f"{k} {100 * m[k]:.2f}"
    return "no headline metric"


def _train_summary(rec: dict) -> str:
    sps = rec.get("steps_per_s")
    return (f"{rec['steps']} steps, {sps:.2f} steps/s" if sps else f"{rec['steps']} steps") + \
        f", loss {rec['loss_first']:.3f} -> {rec['loss_last']:.3f}" + (f", AMP {rec['amp']}" if rec.get("amp") else "")


def _json_safe(x):
    """NaN/inf -> None (JSON has neither), tuples -> lists."""
    import math

    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="gpu_check.py", description=__doc__.split("\n\n")[0],
                                 epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="out/gpu_check", help="folder for runs, scores and gpu_check.json "
                                                           "(default out/gpu_check)")
    ap.add_argument("--dataset", help="an existing render of the v1 benchmark (or any dataset with train and test "
                                      "splits) instead of --benchmark v1, which renders on first use")
    ap.add_argument("--steps", type=int, help="training steps per model (default 50; --cpu-smoke 2)")
    ap.add_argument("--device", default="cuda", help="CUDA device of the run (default cuda)")
    ap.add_argument("--score-gaps", default=None,
                    help="frame gaps of the scored test pairs, e.g. 1 or 1,3,7, or all (default 1)")
    ap.add_argument("--budget-min", type=float, default=10.0,
                    help="stop starting stages once this many minutes have passed since the data stage (default 10)")
    ap.add_argument("--cpu-smoke", action="store_true",
                    help="run every stage on the CPU at toy sizes (CI): toy data, 2 steps, small models")
    args = ap.parse_args(argv)
    args.steps = args.steps or (2 if args.cpu_smoke else 50)
    args.score_gaps = args.score_gaps or "1"
    import torch

    if args.cpu_smoke:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # toy sizes on a shared 2-core CI machine: one thread is faster than two
        try:
            return Check(args, smoke_plan(args)).run()
        finally:
            torch.set_num_threads(threads)  # as it was, for whoever called main() in-process (the CI test)
    else:
        if not args.device.startswith("cuda"):
            ap.error("--device must be a CUDA device (use --cpu-smoke for the CPU run)")
        if not torch.cuda.is_available():
            print(f"gpu_check: error: no CUDA device visible to torch {torch.__version__} (CUDA build: "
                  f"{torch.version.cuda or 'none, a CPU build'}); install a CUDA build of torch, or run --cpu-smoke",
                  file=sys.stderr)
            return 2
        return Check(args, gpu_plan(args)).run()


if __name__ == "__main__":
    sys.exit(main())
