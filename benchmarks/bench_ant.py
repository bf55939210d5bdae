"""AnT forward-pass speed: a pair of frames with 50 + 50 segments, per stage, tiny and paper.

Target (docs/ARCHITECTURE.md): <= 30 ms per pair for the paper-size model on this CPU with 2 torch
threads (the paper: 76 ms on a V100); one thread cannot reach it, the convolutions (1.0 GMAC) and
the transformer's matrix products (0.48 GMAC) alone take ~30 ms at one core's fp32 peak.

Stages: crops (both frames, from the images), CNN + box MLP (local features of both frames in one
batch), transformer (blocks, projection, similarity and softmax); ``total`` is ``AntMatcher.match``,
which is what scoring runs. Prints the median of ``--runs`` runs per stage.

On a shared machine one number means little: ``--reference REV`` loads the code of git revision
REV (``git archive`` into a temporary folder) beside the working tree's, in this process, gives
both the same weights and times them call by call, alternating (so load that comes and goes hits
both alike); it prints both medians with the interquartile range of the totals and the median
run-by-run ratio current / reference.

    .venv/bin/python benchmarks/bench_ant.py [--runs 50] [--threads 2] [--size 512] [--device cpu|cuda]
    .venv/bin/python benchmarks/bench_ant.py --reference HEAD --threads 1,2 --runs 100
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from benchmark.models import count_parameters
from benchmark.models.ant.crops import frame_inputs
from benchmark.models.ant.matcher import AntMatcher
from benchmark.models.ant.model import AnT
from benchmark.train.config import PRESETS
from dataprep.format import Frame, compute_segment_table

sys.path.insert(0, str(Path(__file__).resolve().parent))  # timing.py beside this script, however it is loaded
from timing import times_ms

ROOT = Path(__file__).resolve().parents[1]


def grid_frame(size: int, rows: int, cols: int, seed: int) -> Frame:
    """A line drawing of ``rows x cols`` jittered cells (so rows * cols segments), 1-px lines."""
    rng = np.random.default_rng(seed)
    # Interior lines at jittered even spacing: cells keep a positive size, so exactly rows * cols segments.
    ys = np.r_[0, (np.arange(1, rows) + rng.uniform(-0.3, 0.3, rows - 1)) * size / rows, size].astype(int)
    xs = np.r_[0, (np.arange(1, cols) + rng.uniform(-0.3, 0.3, cols - 1)) * size / cols, size].astype(int)
    seg = np.zeros((size, size), np.int32)
    k = 0
    for r in range(rows):
        for c in range(cols):
            k += 1
            seg[ys[r]:ys[r + 1], xs[c]:xs[c + 1]] = k
    seg[ys[1:-1], :] = 0
    seg[:, xs[1:-1]] = 0
    line = np.where(seg == 0, 0, 255).astype(np.uint8)
    return Frame("bench", str(seed), line, line, None, None, seg, compute_segment_table(seg), None)


def bench_pair(size: int = 512, rows: int = 5, cols: int = 10) -> tuple[Frame, Frame]:
    """The timed pair: ``rows x cols`` cells against ``cols x rows`` (50 + 50 segments by default)."""
    return grid_frame(size, rows, cols, 0), grid_frame(size, cols, rows, 1)


def stage_fns(model: AnT, fa: Frame, fb: Frame, device: torch.device | str = "cpu", code=None
              ) -> dict[str, Callable[[], object]]:
    """Zero-argument callables for each stage and for ``match()`` (see the module docstring).

    What is timed is the matcher's inference copy of ``model`` (BatchNorm folded, channels-last CNN
    on CPU) on ``device``. ``code``: the namespace the matcher and crops come from (:func:`load_code`;
    default this tree's); only APIs that older revisions have too are used, so ``--reference`` can
    run the same stages on them.
    """
    code = code or SimpleNamespace(AntMatcher=AntMatcher, frame_inputs=frame_inputs)
    device = torch.device(device)
    matcher = code.AntMatcher(model, device=device)
    net = matcher.model

    def crops():
        return [code.frame_inputs(f.line, f.seg, f.segments.ids, f.segments.bbox, net.cfg) for f in (fa, fb)]

    (ca, ba), (cb, bb) = crops()
    both_crops, both_boxes = torch.cat([ca, cb]).to(device), torch.cat([ba, bb]).to(device)
    na, nb = len(ca), len(cb)
    m = max(na, nb)

    def cnn():
        x = net.cnn(both_crops)
        return x + net.pos(both_boxes) if net.pos is not None else x

    with torch.inference_mode():
        feats = cnn()
    x = feats.new_zeros(2, m, feats.shape[-1])
    x[0, :na], x[1, :nb] = feats[:na], feats[na:]
    valid = torch.arange(m, device=device)[None] < torch.tensor([[na], [nb]], device=device)

    def transformer():
        f_a, f_b = net.transform(x[:1], x[1:], valid[:1], valid[1:])
        return net.similarity_logits(f_a, f_b, valid[:1]).softmax(-1)

    return {"crops": crops, "cnn": cnn, "transformer": transformer, "total": lambda: matcher.match(fa, fb)}


@torch.inference_mode()
def stage_times(model: AnT, fa: Frame, fb: Frame, runs: int, device: torch.device | str = "cpu",
                warmup: int = 10) -> dict[str, list[float]]:
    """Per-run milliseconds of each stage of :func:`stage_fns`."""
    return {k: times_ms(fn, runs, device, warmup) for k, fn in stage_fns(model, fa, fb, device).items()}


def medians(times: dict[str, list[float]]) -> dict[str, float]:
    return {k: statistics.median(v) for k, v in times.items()}


def bench(name: str, model: AnT, fa: Frame, fb: Frame, runs: int, device: torch.device | str = "cpu",
          warmup: int = 10) -> dict[str, float]:
    """Median milliseconds per stage of ``model`` on the pair; prints one line."""
    out = medians(stage_times(model, fa, fb, runs, device, warmup))
    print(f"{name:6s} {count_parameters(model):>10,d} params | " + _stages_line(out))
    return out


def _stages_line(t: dict[str, float]) -> str:
    return (f"crops {t['crops']:6.2f} ms | CNN {t['cnn']:6.2f} ms | transformer {t['transformer']:6.2f} ms"
            f" | total match() {t['total']:6.2f} ms")


def build(preset: str) -> AnT:
    """The preset's AnT with seeded random weights (timing does not depend on the weights)."""
    torch.manual_seed(0)
    return AnT(PRESETS[preset]().model).eval()


def checkout(rev: str, dest: Path) -> Path:
    """Extract the ``benchmark`` and ``dataprep`` packages of git revision ``rev`` into ``dest``."""
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "benchmark", "dataprep"],
                         capture_output=True, check=False)
    if tar.returncode:
        raise SystemExit(f"bench_ant: git archive {rev} failed: {tar.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(tar.stdout)) as t:
        t.extractall(dest, filter="data")
    return dest


_PACKAGES = ("benchmark", "dataprep")


def load_code(root: Path) -> SimpleNamespace:
    """AnT's matcher, network and crops as the packages under ``root`` define them, beside this tree's.

    The packages are imported afresh from ``root`` and taken out of ``sys.modules`` again, so both
    versions live in one process (their functions keep their own module globals); that lets the
    comparison alternate call by call, which cancels load that comes and goes far better than
    separate processes.
    """
    mine = {k: v for k, v in sys.modules.items() if k.split(".")[0] in _PACKAGES}
    for k in mine:
        del sys.modules[k]
    sys.path.insert(0, str(root))
    try:
        matcher = importlib.import_module("benchmark.models.ant.matcher")
        crops = importlib.import_module("benchmark.models.ant.crops")
        model = importlib.import_module("benchmark.models.ant.model")
        return SimpleNamespace(AntMatcher=matcher.AntMatcher, frame_inputs=crops.frame_inputs, AnT=model.AnT)
    finally:
        sys.path.remove(str(root))
        for k in [k for k in sys.modules if k.split(".")[0] in _PACKAGES]:
            del sys.modules[k]
        sys.modules.update(mine)


@torch.inference_mode()
def paired_times(fns: dict[str, dict[str, Callable[[], object]]], runs: int, device: torch.device | str = "cpu",
                 warmup: int = 10) -> dict[str, dict[str, list[float]]]:
    """Per-run milliseconds of each side's stages, the sides alternating call by call (order flipped
    every run): ``{side: {stage: [ms, ...]}}``."""
    sides = list(fns)
    out = {s: {k: [] for k in fns[s]} for s in sides}
    for stage in fns[sides[0]]:
        for s in sides:
            for _ in range(warmup):
                fns[s][stage]()
        for i in range(runs):
            for s in (sides if i % 2 == 0 else sides[::-1]):
                out[s][stage] += times_ms(fns[s][stage], 1, device, warmup=0)
    return out


def compare(args, fa: Frame, fb: Frame) -> dict:
    """Reference revision vs this tree, call by call; prints and returns medians and noise."""
    with tempfile.TemporaryDirectory(prefix="bench_ant_ref_") as tmp:
        # Imported once, the reference modules live in memory: the folder can go when this returns.
        ref = load_code(checkout(args.reference, Path(tmp)))
    results: dict = {}
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        for preset in args.presets.split(","):
            model = build(preset)
            old = ref.AnT(model.cfg).eval()
            old.load_state_dict(model.state_dict())
            fns = {"reference": stage_fns(old, fa, fb, args.device, ref), "current": stage_fns(model, fa, fb, args.device)}
            times = paired_times(fns, args.runs, args.device)
            print(f"{preset}, {threads} thread(s), {args.runs} runs per stage and side, alternating:")
            row = {}
            for side, t in times.items():
                med = medians(t)
                q = statistics.quantiles(t["total"], n=4)
                row[side] = {**med, "total_iqr": [q[0], q[2]]}
                print(f"  {side:9s} | {_stages_line(med)} (IQR {q[0]:.2f}-{q[2]:.2f})")
            ratios = [c / r for c, r in zip(times["current"]["total"], times["reference"]["total"])]
            q = statistics.quantiles(ratios, n=4)
            row["ratio"] = {"median": statistics.median(ratios), "iqr": [q[0], q[2]]}
            print(f"  current / reference, run by run: median {statistics.median(ratios):.3f} "
                  f"(IQR {q[0]:.3f}-{q[2]:.3f})")
            results[f"{preset}@{threads}"] = row
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="example: .venv/bin/python benchmarks/bench_ant.py --reference HEAD --threads 1,2",
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=50, help="timed runs per stage (median reported)")
    ap.add_argument("--threads", default="2", help="torch CPU threads; with --reference a list, e.g. 1,2")
    ap.add_argument("--size", type=int, default=512, help="frame side in pixels")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N")
    ap.add_argument("--presets", default="tiny,paper", help="comma-separated presets to time (" + ", ".join(PRESETS) + ")")
    ap.add_argument("--reference", metavar="REV", help="also time git revision REV, alternating with this tree")
    ap.add_argument("--json", help="with --reference: write the medians here")
    args = ap.parse_args(argv)
    fa, fb = bench_pair(args.size)
    print(f"AnT forward, {len(fa.segments)} + {len(fb.segments)} segments, {args.size}x{args.size}, "
          f"{args.threads} thread(s), {args.device}, median of {args.runs} runs "
          f"(target <= 30 ms; paper 76 ms on a V100)")
    if args.reference:
        results = compare(args, fa, fb)
        if args.json:
            tmp = Path(args.json).with_name(Path(args.json).name + ".tmp")
            tmp.write_text(json.dumps(results, indent=1))
            os.replace(tmp, args.json)
            print(f"wrote {args.json}")
        return 0
    torch.set_num_threads(int(args.threads))
    for name in args.presets.split(","):
        bench(name, build(name), fa, fb, args.runs, args.device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
