"""Raw-line segmentation on open lines: how far trapped-ball holds when strokes do not close.

The patch-ViT paper's case for learned regions is line art whose strokes do not close, where
filling leaks. This script measures that case on a rendered dataset: each frame's line art is
broken by random gaps (``dataprep.synthetic.line_art.cut_gaps``: one gap per ``--every`` line
pixels, widths 1..max px, at least 8 px apart), segmented by trapped-ball with several ball radii,
and scored against the frame's segments with the region-level metrics of the raw-line track
(``benchmark.metrics.region``: ARI, mIoU P->G / G->P, cluster ratio; the same functions
``linecorr score --method region-baselines`` uses).

Example:
    python benchmarks/bench_open_lines.py --dataset data/linecorr-synth-v1 --split test \\
        --frames 20 --max-gaps 0,3,8,12 --radii 3,5,7 --json results/open_lines.json

Prints one row per (max gap, radius): means over the frames.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def _ints(text: str) -> list[int]:
    return [int(t) for t in text.split(",") if t.strip()]


def frames_of(ds, split: str, n: int) -> list[tuple[str, str]]:
    """``n`` (clip, frame) ids spread evenly over the frame A of the split's pairs."""
    pids = ds.pair_ids(split)
    if not pids:
        raise SystemExit(f"error: split {split!r} of {ds.root} has no pairs")
    seen: dict[tuple[str, str], None] = {}
    for pid in pids[:: max(1, len(pids) // n)]:
        p = ds.load_pair(pid)
        seen[(p.clip, p.frame_a)] = None
    return list(seen)[:n]


def run(dataset: str, split: str, n_frames: int, max_gaps: list[int], radii: list[int], every: int) -> list[dict]:
    """Rows ``{"max_gap", "radius", "frames", "region/ari", ...}`` (means over the frames)."""
    from tqdm import tqdm

    from benchmark.metrics.region import image_region_metrics
    from dataprep.format import Dataset
    from dataprep.segment import segment_trapped_ball
    from dataprep.segment.config import TrappedBallConfig
    from dataprep.synthetic.line_art import cut_gaps

    ds = Dataset.open(dataset)
    frames = [ds.load_frame(c, f) for c, f in frames_of(ds, split, n_frames)]
    rows = []
    with tqdm(total=len(max_gaps) * len(radii) * len(frames), desc="open lines", file=sys.stderr, disable=None) as bar:
        for gap in max_gaps:
            # The same broken lines for every radius: only the segmenter changes along a row group.
            lines = []
            for k, f in enumerate(frames):
                ink = f.line < 128
                if gap > 0:
                    ink = cut_gaps(ink, max(1, int(ink.sum()) // every), max_gap=gap, seed=k, spacing=8)
                lines.append(np.where(ink, 0, 255).astype(np.uint8))
            for r in radii:
                per = []
                for f, line in zip(frames, lines):
                    per.append(image_region_metrics(segment_trapped_ball(line, TrappedBallConfig(ball_radius=r)), f.seg))
                    bar.update()
                rows.append({"max_gap": gap, "radius": r, "frames": len(per),
                             **{k: float(np.mean([m[k] for m in per])) for k in per[0]}})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("Example:")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True, help="a rendered dataset in the project format")
    ap.add_argument("--split", default="test", help="split whose pairs' frames are used")
    ap.add_argument("--frames", type=int, default=20, help="frames scored (spread over the split)")
    ap.add_argument("--max-gaps", type=_ints, default=[0, 3, 8, 12], help="widest gap per setting, px (0 = intact)")
    ap.add_argument("--radii", type=_ints, default=[3, 5, 7], help="trapped-ball radii, px (3 = the default)")
    ap.add_argument("--every", type=int, default=60, help="one gap per this many line pixels")
    ap.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = ap.parse_args(argv)
    rows = run(args.dataset, args.split, args.frames, args.max_gaps, args.radii, args.every)
    print(f"trapped-ball on open lines: {rows[0]['frames']} frames of {args.dataset} [{args.split}], "
          f"one gap per {args.every} line px")
    print("max gap  radius     ARI  mIoU P->G  mIoU G->P     CR")
    for r in rows:
        print(f"{r['max_gap']:7d}  {r['radius']:6d}  {100 * r['region/ari']:6.2f}  {100 * r['region/miou_p2g']:9.2f}  "
              f"{100 * r['region/miou_g2p']:9.2f}  {r['region/cluster_ratio']:5.3f}")
    if args.json:
        from dataprep.format.atomic import atomic_write_json

        atomic_write_json(args.json, {"dataset": args.dataset, "split": args.split, "every": args.every, "rows": rows})
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
