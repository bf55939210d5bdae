"""Pseudo-labelling speed on CPU: one 1024² colored pair, all steps, vs DISK+LightGlue at full size.

Target (docs/ARCHITECTURE.md): <= 2 s per 1024² pair on this 2-core CPU, everything included: colour
segmentation of both frames (lines detected from the colours, as for a user's frames), ALIKED
keypoints (drawing cropped, long side resized to ``extract_size``), LightGlue, voting, coarse
matcher. Reference in the same run: DISK + LightGlue at full resolution (7.5 s measured before, docs/ARCHITECTURE.md),
timed on the first ``--ref-pairs`` pairs. Also prints the throughput of a streamed clip (every
frame segmented and described once, shared by the pairs it is in), which is what
``linecorr label`` achieves: at gap 1, and at ``--chain-gap`` with chains off and on (the
one-frame steps between each pair's frames labelled once and shared). Medians; the machine is
shared, so the load average is printed with the figures.

    .venv/bin/python benchmarks/bench_label.py [--data DATASET] [--pairs 8] [--threads 1,2] [--set extract_size=512]

Without ``--data``: procedural toy clips at 1024² (dataprep.synthetic; the figure fills most of
the frame, so cropping to the drawing saves less than on renders). With ``--data``: any dataset
with colour images (e.g. ``linecorr render --res 1024``), pairs ``--gap`` frames apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

import numpy as np
import torch

from dataprep.label.config import LabelConfig
from dataprep.label.pair import label_images


def toy_pairs(n: int, size: int, gap: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from dataprep.synthetic import ToyConfig, make_toy_clip

    out = []
    for seed in range(n):
        frames, _ = make_toy_clip(ToyConfig(size=size, frames=gap + 1, seed=seed))
        out.append((frames[0].color, frames[gap].color))
    return out


def dataset_pairs(root: str, n: int, gap: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from dataprep.format import Dataset

    ds = Dataset.open(root)
    out = []
    for info in ds.clips():
        for t in range(0, len(info.frames) - gap, max(1, gap)):
            if len(out) == n:
                return out
            fa, fb = (ds.load_frame(info.id, info.frames[i], info) for i in (t, t + gap))
            out.append((fa.color, fb.color))
    return out


def clip_frames(root: str, n: int) -> list[np.ndarray]:
    """The first ``n`` consecutive colour frames (or all, if fewer) of the dataset's longest clip."""
    from dataprep.format import Dataset

    ds = Dataset.open(root)
    info = max((ds.clip(c) for c in ds.clip_ids), key=lambda i: len(i.frames))
    return [ds.load_frame(info.id, f, info).color for f in info.frames[:n]]


def time_pairs(pairs, cfg: LabelConfig) -> dict[str, float]:
    """Median seconds per step over the pairs (models loaded before timing)."""
    label_images(*pairs[0], cfg=cfg)  # warm-up: load the models, build oneDNN primitives
    rows = []
    for a, b in pairs:
        t = time.perf_counter()
        res = label_images(a, b, cfg=cfg)
        total = time.perf_counter() - t
        st = res.stats
        rows.append({"segment": st["segment_s"], "extract": st.get("extract_s", 0.0),
                     "lightglue": st.get("lightglue_s", 0.0), "vote": st["vote_s"], "coarse": st.get("coarse_s", 0.0),
                     "total": total, "matches": len(res.matches)})
    return {k: statistics.median(r[k] for r in rows) for k in rows[0]}


def time_reference(pairs) -> float:
    """Median seconds of DISK keypoints on both frames + LightGlue, full resolution, whole frame."""
    from dataprep.label.lightglue import extract_keypoints, match_keypoints

    def run(a, b):
        ka = extract_keypoints(a, "disk", "cpu", 10**6, 2048, 0.0)
        kb = extract_keypoints(b, "disk", "cpu", 10**6, 2048, 0.0)
        return match_keypoints(ka, kb, "disk", "cpu")

    run(*pairs[0])
    times = []
    for a, b in pairs:
        t = time.perf_counter()
        run(a, b)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def time_stream(clip: list[np.ndarray], cfg: LabelConfig, gap: int = 1) -> float:
    """Seconds per pair when a clip is labelled as a stream (every pair ``gap`` apart, stride 1).

    Gap 1: each frame is in two pairs. Gap > 1 with ``cfg.chain``: the one-frame steps between
    are labelled too (once each, shared by the pairs that cross them), which is what
    ``linecorr label --gaps 7`` costs.
    """
    from dataprep.label.clip import label_clip, sample_pairs

    ids = [f"{i}" for i in range(len(clip))]
    pairs = sample_pairs(ids, (gap,))
    t = time.perf_counter()
    n = sum(ev[0] == "pair" for ev in label_clip(lambda f: (clip[int(f)], None, None, f), pairs, cfg, "cpu", ids))
    return (time.perf_counter() - t) / max(n, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="dataset with colour images (default: toy clips at --size)")
    ap.add_argument("--size", type=int, default=1024, help="toy frame size (default 1024)")
    ap.add_argument("--pairs", type=int, default=8, help="pairs timed (median)")
    ap.add_argument("--gap", type=int, default=3, help="frames between the two frames of a pair")
    ap.add_argument("--threads", default="1,2", help="torch CPU threads to time, comma-separated")
    ap.add_argument("--chain-gap", type=int, default=7, help="also time a streamed clip at this gap, chains off/on (0 = skip)")
    ap.add_argument("--clip-frames", type=int, default=24,
                    help="frames of the streamed clip timed with chains (default 24, the standard clips' length)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a label config value, e.g. --set extract_size=512 (repeatable)")
    ap.add_argument("--ref-pairs", type=int, default=2, help="pairs for the DISK+LG reference (0 = skip)")
    args = ap.parse_args()
    pairs = dataset_pairs(args.data, args.pairs, args.gap) if args.data else toy_pairs(args.pairs, args.size, args.gap)
    h, w = pairs[0][0].shape[:2]
    print(f"{len(pairs)} pairs of {w}x{h} colored frames ({args.data or 'toy clips'}), gap {args.gap}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    from dataprep.config import load_config

    cfg = load_config(LabelConfig, None, ["use_line_image=false", *args.set])
    for n in [int(x) for x in args.threads.split(",")]:
        torch.set_num_threads(n)
        r = time_pairs(pairs, cfg)
        steps = " ".join(f"{k} {r[k]:.3f}" for k in ("segment", "extract", "lightglue", "vote", "coarse"))
        print(f"labeller, {n} thread(s): {r['total']:.2f} s per pair (median)   [{steps}]  "
              f"{r['matches']:.0f} matches  load {os.getloadavg()[0]:.1f}")
    torch.set_num_threads(int(args.threads.split(",")[0]))
    n_clip = max(6, args.chain_gap + 2, args.clip_frames)
    frames = clip_frames(args.data, n_clip) if args.data else None
    if frames is None:  # consecutive toy frames
        from dataprep.synthetic import ToyConfig, make_toy_clip

        frames = [f.color for f in make_toy_clip(ToyConfig(size=args.size, frames=n_clip, seed=0))[0]]
    print(f"streamed clip ({len(frames[:6])} frames, gap 1): {time_stream(frames[:6], cfg):.2f} s per pair")
    if args.chain_gap > 1 and len(frames) > args.chain_gap:
        g = args.chain_gap
        off = time_stream(frames, dataclasses.replace(cfg, chain=False), g)
        on = time_stream(frames, cfg, g)
        print(f"streamed clip ({len(frames)} frames, gap {g}): {off:.2f} s per pair direct, {on:.2f} s with chains "
              f"({len(frames) - 1} one-frame steps shared by {len(frames) - g} pairs)  load {os.getloadavg()[0]:.1f}")
    if args.ref_pairs:
        ref = time_reference(pairs[:args.ref_pairs])
        print(f"reference DISK + LightGlue at full size, {torch.get_num_threads()} thread(s): {ref:.2f} s per pair "
              f"(keypoints + matching only)  load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
