"""AnT forward-pass speed on CPU: a pair of frames with 50 + 50 segments, per stage.

Target (docs/ARCHITECTURE.md): <= 30 ms per pair on this CPU with 2 torch threads (the paper: 76 ms on a
V100). Stages: crops (both frames, from the images), CNN + box MLP (local features), transformer
(blocks, projection, similarity and softmax). Prints the median of many runs per config.

    .venv/bin/python benchmarks/bench_ant.py [--runs 50] [--threads 2] [--size 512]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from benchmark.models import count_parameters
from benchmark.models.ant.crops import frame_inputs
from benchmark.models.ant.matcher import AntMatcher, pad_frames
from benchmark.models.ant.model import AnT
from benchmark.train.config import paper, tiny
from dataprep.format import Frame, compute_segment_table


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


def median_ms(fn, runs: int) -> float:
    for _ in range(10):  # warm-up: thread pools, oneDNN primitives, allocator
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


@torch.inference_mode()
def bench(name: str, model: AnT, fa: Frame, fb: Frame, runs: int) -> dict[str, float]:
    n_params = count_parameters(model)
    matcher = AntMatcher(model)  # the inference copy (BatchNorm folded, channels-last CNN) is what we time
    model = matcher.model
    cfg = model.cfg

    def crops():
        return [frame_inputs(f.line, f.seg, f.segments.ids, f.segments.bbox, cfg) for f in (fa, fb)]

    (ca, ba), (cb, bb) = crops()
    batch = pad_frames(ca, ba, cb, bb)
    both = [torch.cat([batch[i], batch[i + 3]]) for i in range(3)]
    x = model.local_features(*both)
    xa, xb = x[:1], x[1:]

    def cnn():
        return model.local_features(*both)

    def transformer():
        fa_, fb_ = model.transform(xa, xb, batch[2], batch[5])
        return model.similarity_logits(fa_, fb_, batch[2]).softmax(-1)

    out = {"crops": median_ms(crops, runs), "cnn": median_ms(cnn, runs), "transformer": median_ms(transformer, runs),
           "total": median_ms(lambda: matcher.match(fa, fb), runs)}
    print(f"{name:6s} {n_params:>10,d} params | crops {out['crops']:6.2f} ms | CNN {out['cnn']:6.2f} ms"
          f" | transformer {out['transformer']:6.2f} ms | total match() {out['total']:6.2f} ms")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50, help="timed runs per stage (median reported)")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--size", type=int, default=512, help="frame side in pixels")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    fa, fb = grid_frame(args.size, 5, 10, 0), grid_frame(args.size, 10, 5, 1)
    print(f"AnT forward, {len(fa.segments)} + {len(fb.segments)} segments, {args.size}x{args.size}, "
          f"{args.threads} threads, median of {args.runs} runs (target <= 30 ms; paper 76 ms on a V100)")
    for name, cfg in (("tiny", tiny()), ("paper", paper())):
        torch.manual_seed(0)
        bench(name, AnT(cfg.model).eval(), fa, fb, args.runs)


if __name__ == "__main__":
    main()
