"""Line styles: does each drawing look drawn, does it cost little, and how hard is it for trapped-ball?

Three tables, medians over frames, each printed next to its reference from the same run or from
measurements on real drawings (docs/LINE_STYLES.md):

1. **Raw-line difficulty**: trapped-ball (``linecorr segment`` defaults, as a user runs it) on each
   style's line image, scored against the *part regions* (the painted parts' pieces, the raw-line
   ground truth) with the raw-line track's metrics (ARI, mIoU G->P; ``benchmark.metrics.region``).
   For ``clean`` also with its colored tone lines read as paper ("black lines"): tone boundaries are
   not part boundaries. Target: ``clean`` >= 0.99, ``rough`` / ``extracted`` clearly below 1.
2. **Stroke statistics** (``dataprep.linestyle.stats``): width percentiles and mean, anti-aliased
   share, share of the part boundaries drawn, open stroke ends per 1000 px of centre line. Real
   rough sketches: 20-30 ends / kpx; clean-up lines: 0-4.
3. **Cost** of the line-style step (draw + segment) per frame, at the render's size and upscaled to
   1024² (``--time-res``), next to the ``exact`` style in the same run. Target: <= 0.2 s added per
   1024² frame.

Example (the v2 benchmark rendered with ``--set keep_raw=true``; any render with styles works):
    python benchmarks/bench_line_styles.py --data ~/.cache/linecorr/linecorr-synth-v2 --split test \\
        --frames 24 --json results/v2/line_styles.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

#: Measured on real drawings (docs/LINE_STYLES.md): open stroke ends per 1000 px of centre line.
REAL_ENDS = {"rough sketches": "20-30", "clean-up lines": "0-4"}


def _frames(ds, clips: list[str], n: int) -> list[tuple[str, str]]:
    """``n`` (clip, frame) ids spread evenly over ``clips``."""
    every = [(c, f) for c in clips for f in ds.clip(c).frames]
    return every[:: max(1, len(every) // n)][:n]


def difficulty(ds, frames: list[tuple[str, str]]) -> dict[str, float]:
    """Median trapped-ball ARI / mIoU G->P against part regions over ``frames`` (and, for colored lines, as paper)."""
    from benchmark.metrics.region import image_region_metrics
    from benchmark.models.vit.inputs import region_map
    from dataprep.segment.api import segment_image

    ari, g2p, ari_b, g2p_b = [], [], [], []
    for c, f in frames:
        fr = ds.load_frame(c, f)
        gt = region_map(fr, "parts")
        m = image_region_metrics(segment_image(fr.line_raw, "trapped_ball"), gt)
        ari.append(m["region/ari"])
        g2p.append(m["region/miou_g2p"])
        if fr.line_raw.ndim == 3:  # colored tone lines: also score with them read as paper
            raw = fr.line_raw[..., :3]
            colored = (raw.max(axis=2).astype(int) - raw.min(axis=2)) >= 40
            black = np.where(colored[..., None], 255, raw).astype(np.uint8)
            mb = image_region_metrics(segment_image(black, "trapped_ball"), gt)
            ari_b.append(mb["region/ari"])
            g2p_b.append(mb["region/miou_g2p"])
    out = {"ari": float(np.median(ari)), "miou_g2p": float(np.median(g2p))}
    if ari_b:
        out.update(ari_black_lines=float(np.median(ari_b)), miou_g2p_black_lines=float(np.median(g2p_b)))
    return out


def strokes(ds, frames: list[tuple[str, str]]) -> dict[str, float]:
    """Median stroke statistics over ``frames``."""
    from dataprep.linestyle.stats import stroke_stats

    rows = []
    for c, f in frames:
        fr = ds.load_frame(c, f)
        raw = fr.line_raw if fr.line_raw.ndim == 2 else fr.line_raw[..., :3].min(axis=2)
        rows.append(stroke_stats(1.0 - raw.astype(np.float32) / 255.0, np.maximum(fr.parts, 0)))
    return {k: float(np.median([r[k] for r in rows])) for k in rows[0]}


def cost(raw_dirs: list[Path], styles: list[str], res: int | None, repeats: int) -> dict[str, dict[str, float]]:
    """Median seconds per frame of draw + segment for each style (``res``: upscale the raw maps)."""
    import cv2

    from blender_scripts.to_format import read_raw_frame
    from dataprep.linestyle import LineStyleConfig, clip_pen, draw_frame, drawing_segments

    cfg = LineStyleConfig()
    pen = clip_pen(cfg, np.random.default_rng(0))
    times: dict[str, list[float]] = {s: [] for s in styles}
    for raw in raw_dirs:
        info = json.loads((raw / "parts.json").read_text())
        part_color = {int(p["id"]): int(p["color_label"]) for p in info["parts"]}
        ids, color, tone = read_raw_frame(raw, 0)
        if res:
            ids = cv2.resize(ids, (res, res), interpolation=cv2.INTER_NEAREST)
            color = cv2.resize(color, (res, res), interpolation=cv2.INTER_LINEAR)
            tone = None if tone is None else cv2.resize(tone, (res, res), interpolation=cv2.INTER_NEAREST)
        for style in styles:
            for r in range(repeats):
                t0 = time.perf_counter()
                d = draw_frame(style, ids, color, tone, part_color, cfg, pen, np.random.default_rng(r))
                drawing_segments(d, cfg)
                times[style].append(time.perf_counter() - t0)
    return {s: {"s_per_frame": float(np.median(v))} for s, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("Example")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="a dataset rendered with several --line-style (e.g. v2)")
    ap.add_argument("--split", default="test", help="split to measure (default test)")
    ap.add_argument("--frames", type=int, default=24, help="frames per style (spread over the split; default 24)")
    ap.add_argument("--raw", help="raw renders (<out>.raw/ of a render with --set keep_raw=true; default: next to "
                                  "--data when there) for the cost table")
    ap.add_argument("--time-res", type=int, default=1024, help="also time at this size (ids upscaled; default 1024)")
    ap.add_argument("--json", help="write every figure to this JSON file")
    args = ap.parse_args(argv)

    from tqdm import tqdm

    from dataprep.format import Dataset
    from dataprep.linestyle import STYLES

    ds = Dataset.open(args.data)
    split = set(ds.splits.get(args.split, []))
    report: dict = {"dataset": ds.manifest.name, "split": args.split, "styles": {}}
    for style in tqdm([s for s in STYLES if ds.line_style_clips(s)], desc="styles", file=sys.stderr, disable=None):
        frames = _frames(ds, [c for c in ds.line_style_clips(style) if c in split], args.frames)
        report["styles"][style] = {"frames": len(frames), **difficulty(ds, frames), **strokes(ds, frames)}
    raw_root = Path(args.raw) if args.raw else Path(str(Path(args.data)) + ".raw")
    raws = sorted(p for p in raw_root.iterdir() if (p / "parts.json").is_file())[:3] if raw_root.is_dir() else []
    if raws:
        h = int(np.load(raws[0] / "ids_0000.npy", mmap_mode="r").shape[0])
        report["cost"] = {f"{h}": cost(raws, list(STYLES), None, 3)}
        if args.time_res and args.time_res != h:
            report["cost"][str(args.time_res)] = cost(raws, list(STYLES), args.time_res, 3)

    print(f"\n{ds.manifest.name} / {args.split}: trapped-ball vs part regions (medians; target clean >= 0.99, "
          "rough/extracted clearly < 1)")
    print(f"{'style':10s} {'frames':>6s} {'ARI':>7s} {'mIoU G>P':>9s} {'ARI blk':>8s}  {'w p10/50/90':>13s} {'w mean':>6s} "
          f"{'AA share':>8s} {'drawn':>6s} {'ends/kpx':>8s}")
    for style, r in report["styles"].items():
        blk = f"{r['ari_black_lines']:.4f}" if "ari_black_lines" in r else "-"
        print(f"{style:10s} {r['frames']:6d} {r['ari']:7.4f} {r['miou_g2p']:9.4f} {blk:>8s}  "
              f"{r['width_p10']:.1f}/{r['width_p50']:.1f}/{r['width_p90']:.1f}{'':>2s} {r['width_mean']:6.2f} "
              f"{r['aa_share']:8.3f} {r['boundary_drawn']:6.3f} {r['open_ends_per_kpx']:8.1f}")
    print("reference, real drawings: " + "; ".join(f"{k} {v} ends/kpx" for k, v in REAL_ENDS.items()))
    for res, rows in report.get("cost", {}).items():
        base = rows["exact"]["s_per_frame"]
        print(f"cost at {res}²: " + "  ".join(f"{s} {v['s_per_frame']:.3f} s" for s, v in rows.items())
              + f"  (reference: exact {base:.3f} s; target <= 0.2 s added per 1024² frame)")
    if args.json:
        from dataprep.format.atomic import atomic_write_json

        atomic_write_json(Path(args.json), report)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
