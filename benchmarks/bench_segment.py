"""Speed and quality of the segmenters, on synthetic data with known segments.

Usage:
    python benchmarks/bench_segment.py [--repeats 7] [--ref-repeats 3] [--json out.json]

Everything runs on ONE core (OMP/MKL/OpenBLAS threads, cv2 and torch threads set to 1 before
any heavy import). Printed:

* trapped-ball on a 1600x1600 anti-aliased line image with gaps: median time of our fill and of a
  LineFiller-style reference (repeated flood fills with a shrinking ball, written below the
  straightforward way), measured in the same run, and the speed-up;
* quality on that image (lines broken by random gaps of 1-3 px): adjusted Rand index (ARI) over
  the true non-line pixels and segment-wise IoU, for our trapped-ball, plain connected components
  (which leak through the gaps) and the reference; and on the same image with closed lines;
* colour segmentation of 1920x1920 coloured frames (black lines, anti-aliasing, JPEG): median time
  and the same quality figures.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import functools
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

cv2.setNumThreads(1)
try:  # torch is not used here, but the protocol pins its threads too
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dataprep.segment import (
    ClosedLineConfig,
    ColorSegmentConfig,
    TrappedBallConfig,
    fill_from_neighbours,
    partition_scores,
    segment_closed_lines,
    segment_colored,
    segment_trapped_ball,
)
from dataprep.synthetic import line_art as syn

# ---------------------------------------------------------------------------------------------
# Reference: the usual Python trapped-ball (LineFiller style), written the straightforward way.
# One flood fill per region and radius, each followed by whole-image morphology and np.where.
# ---------------------------------------------------------------------------------------------


def _ball(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _flood(free: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    """uint8 image, 0 on the 4-connected free area containing `seed` (x, y), 255 elsewhere."""
    out = np.full(free.shape, 255, np.uint8)
    mask = cv2.copyMakeBorder(cv2.bitwise_not(free), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    cv2.floodFill(out, mask, seed, 0, 0, 0, 4)
    return out


def _ball_fill(free: np.ndarray, seed: tuple[int, int], radius: int) -> np.ndarray:
    """One leak-proof fill: flood, shrink by the ball, flood from the seed again, grow back."""
    reached = cv2.dilate(_flood(free, seed), _ball(radius))  # 0-area shrinks: gaps disconnect
    opened = _flood(cv2.bitwise_not(reached), seed)
    return cv2.erode(opened, _ball(radius))  # 0 on the fill


def _fills_at_radius(free: np.ndarray, radius: int, keep: str) -> list:
    fills, sizes = [], []
    while True:
        ys, xs = np.where(cv2.erode(free, _ball(radius)) == 255)  # free pixels a ball fits around
        if len(ys) == 0:
            break
        fill = _ball_fill(free, (int(xs[0]), int(ys[0])), radius)
        free = cv2.bitwise_and(free, fill)
        where = np.where(fill == 0)
        fills.append(where)
        sizes.append(len(where[0]))
    if not fills:
        return []
    bar = max(sizes) if keep == "max" else 0
    return [f for f, s in zip(fills, sizes) if s >= bar]


def _mark(free: np.ndarray, fills: list) -> np.ndarray:
    out = free.copy()
    for f in fills:
        out[f] = 0
    return out


def linefiller_reference(gray: np.ndarray, radii=(3, 2, 1), threshold: int = 220) -> np.ndarray:
    """LineFiller-style trapped-ball fill + flood fill of the rest + merge of tiny fills.

    Returns:
        (H, W) int32 fill map, 0 on lines.
    """
    free = np.where(gray >= threshold, 255, 0).astype(np.uint8)
    fills = []
    for i, r in enumerate(radii):
        new = _fills_at_radius(free, r, "max" if i == 0 else "all")
        fills += new
        free = _mark(free, new)
    while True:  # whatever no ball reached: one plain flood fill per remaining region
        ys, xs = np.where(free == 255)
        if len(ys) == 0:
            break
        fill = _flood(free, (int(xs[0]), int(ys[0])))
        free = cv2.bitwise_and(free, fill)
        fills.append(np.where(fill == 0))
    fillmap = np.zeros(gray.shape, np.int32)
    for k, f in enumerate(fills, start=1):
        fillmap[f] = k
    return _merge_tiny(fillmap, max_area=50)


def _merge_tiny(fillmap: np.ndarray, max_area: int) -> np.ndarray:
    """Each fill under `max_area` px joins the fill it touches most (one pass, per-fill masks)."""
    out = fillmap.copy()
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for k in range(1, int(fillmap.max()) + 1):
        mask = (out == k).astype(np.uint8)
        area = int(mask.sum())
        if area == 0 or area >= max_area:
            continue
        ring = (cv2.dilate(mask, cross) > 0) & (mask == 0)
        ids, counts = np.unique(out[ring], return_counts=True)
        counts, ids = counts[ids > 0], ids[ids > 0]
        if ids.size:
            out[mask > 0] = ids[np.argmax(counts)]
    return out


# ---------------------------------------------------------------------------------------------


def timed(fn, repeats: int, warmup: int = 1):
    """(median seconds, all times, last result)."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def scores(pred: np.ndarray, gt: np.ndarray) -> dict:
    """Quality of a label map (line pixels given to their nearest segment first, for fairness)."""
    full = fill_from_neighbours(pred, pred == 0)
    s = partition_scores(full, gt)
    big = partition_scores(full, gt, min_area=64)
    return {
        "ari": s["ari"],
        "miou_g2p": s["miou_g2p"],
        "miou_g2p_64": big["miou_g2p"],
        "miou_p2g_64": big["miou_p2g"],
        "n_pred": s["n_pred"],
        "n_gt": s["n_gt"],
    }


def line_scene(size: int = 1600, n_shapes: int = 250, n_gaps: int = 500, seed: int = 1):
    """Line art with a few hundred segments: binary closed, anti-aliased closed, anti-aliased gapped.

    Returns:
        (closed_binary, closed_aa, gapped_aa, gt, gap_px): (H, W) uint8 images, the true (H, W)
        int32 segments (0 on lines) and the number of line pixels the gaps removed.
    """
    parts = syn.random_parts(size, size, n_shapes, seed, size=(0.01, 0.08))
    lines = syn.boundary_lines(parts)
    gt = syn.connected_segments(lines)
    gapped = syn.cut_gaps(lines, n_gaps, max_gap=3, seed=seed + 2)
    return (
        syn.render_gray(lines),
        syn.render_gray(lines, antialias=True, seed=seed + 3),
        syn.render_gray(gapped, antialias=True, seed=seed + 3),
        gt,
        int((lines & ~gapped).sum()),
    )


def fmt(s: dict) -> str:
    return (
        f"ARI {s['ari']:.4f}  mIoU(G->P) {s['miou_g2p']:.3f}  mIoU(G->P, >=64px) {s['miou_g2p_64']:.3f}"
        f"  mIoU(P->G, >=64px) {s['miou_p2g_64']:.3f}  segments {s['n_pred']} (truth {s['n_gt']})"
    )


def bench_lines(repeats: int, ref_repeats: int, report: dict) -> None:
    binary, closed, gapped, gt, gap_px = line_scene()
    n_gaps = 500
    print(
        f"\n== Line art 1600x1600, anti-aliased, {gt.max()} true segments, "
        f"{gap_px} line px removed by {n_gaps} gaps of 1-3 px =="
    )
    tb_cfg, cc_cfg = TrappedBallConfig(), ClosedLineConfig()
    t_tb, times_tb, lab_tb = timed(lambda: segment_trapped_ball(gapped, tb_cfg), repeats)
    print(
        f"trapped-ball (ours)        median {t_tb * 1e3:9.1f} ms over {repeats} runs {np.round(times_tb, 3).tolist()}"
    )
    t_ref, times_ref, lab_ref = timed(lambda: linefiller_reference(gapped), ref_repeats, warmup=0)
    print(
        f"LineFiller-style reference median {t_ref * 1e3:9.1f} ms over {ref_repeats} runs "
        f"{np.round(times_ref, 2).tolist()}"
    )
    print(f"speed-up x{t_ref / t_tb:.0f}   (target: ours <= 500 ms on one core)")
    t_cc, _, lab_cc = timed(lambda: segment_closed_lines(gapped, cc_cfg), repeats)
    print(f"plain 4-connected components median {t_cc * 1e3:.1f} ms")
    q = {
        "trapped_ball": scores(lab_tb, gt),
        "connected_components": scores(lab_cc, gt),
        "linefiller_ref": scores(lab_ref, gt),
    }
    print("quality, lines with gaps (line pixels assigned to the nearest segment before scoring):")
    for name, s in q.items():
        print(f"  {name:21s} {fmt(s)}")
    q_closed = {"trapped_ball": scores(segment_trapped_ball(closed, tb_cfg), gt)}
    exact = bool(np.array_equal(segment_closed_lines(binary, cc_cfg), gt))
    print("quality, closed anti-aliased lines:")
    print(f"  {'trapped_ball':21s} {fmt(q_closed['trapped_ball'])}")
    print(f"closed-line mode on the binary closed lines reproduces the truth exactly: {exact}")
    report["lines"] = {
        "n_true_segments": int(gt.max()),
        "time_trapped_ball_s": t_tb,
        "times_trapped_ball_s": times_tb,
        "time_reference_s": t_ref,
        "times_reference_s": times_ref,
        "speedup": t_ref / t_tb,
        "time_connected_components_s": t_cc,
        "gapped": q,
        "closed": q_closed,
        "closed_mode_exact": exact,
    }


def bench_color(repeats: int, report: dict) -> None:
    print("\n== Coloured frames 1920x1920 (300 shapes, 16 colours) ==")
    cfg = ColorSegmentConfig()
    report["color"] = {}
    variants = [
        ("lines + AA + JPEG q90", {"lines": True, "antialias": True, "jpeg_quality": 90}),
        ("lines + JPEG q75", {"lines": True, "antialias": False, "jpeg_quality": 75}),
        ("no lines + AA + JPEG q90", {"lines": False, "antialias": True, "jpeg_quality": 90}),
    ]
    for i, (name, kw) in enumerate(variants):
        fr = syn.make_colored_frame((1920, 1920), 300, 16, seed=7, **kw)
        n = repeats if i == 0 else 1
        t, times, lab = timed(functools.partial(segment_colored, fr.image, cfg), n, warmup=1 if i == 0 else 0)
        s = scores(lab, fr.gt)
        print(f"{name:26s} median {t * 1e3:7.1f} ms over {n} runs {np.round(times, 3).tolist()}  (target <= 1000 ms)")
        print(f"  {fmt(s)}")
        report["color"][name] = {"time_s": t, **s}


def bench_rendered(root: Path, report: dict, n_gaps_per_mpx: int = 200) -> None:
    """Quality on a Blender-rendered dataset (``linecorr render``): its exact partition is the truth.

    Per frame: trapped-ball and plain 4-connected components on the rendered lines, then on the
    same lines broken by random gaps of 1-3 px; the color segmenter on the rendered color frame.
    """
    from dataprep.format import Dataset
    from dataprep.segment import segment_closed_lines, segment_colored

    ds = Dataset.open(root)
    rows: dict[str, list[dict]] = {"tb_closed": [], "cc_closed": [], "tb_gapped": [], "cc_gapped": [], "color": []}
    for clip in ds.clip_ids:
        for i, frame in enumerate(ds.clip(clip).frames):
            f = ds.load_frame(clip, frame)
            gt = f.seg
            ink = f.line < 128
            n_gaps = max(1, int(n_gaps_per_mpx * ink.size / 1e6))
            gapped = syn.cut_gaps(ink, n_gaps, max_gap=3, seed=i)
            gapped_img = np.where(gapped, 0, 255).astype(np.uint8)
            rows["tb_closed"].append(scores(segment_trapped_ball(f.line), gt))
            rows["cc_closed"].append(scores(segment_closed_lines(f.line), gt))
            rows["tb_gapped"].append(scores(segment_trapped_ball(gapped_img), gt))
            rows["cc_gapped"].append(scores(segment_closed_lines(gapped_img), gt))
            if f.color is not None:
                rows["color"].append(scores(segment_colored(f.color), gt))
    print(f"\nrendered dataset {root} ({len(rows['tb_closed'])} frames, {ds.clip(ds.clip_ids[0]).width} px; "
          f"gapped: ~{n_gaps_per_mpx} gaps of 1-3 px per megapixel)")
    for key, label in (("tb_closed", "trapped-ball, rendered lines"), ("cc_closed", "plain 4-CC,   rendered lines"),
                       ("tb_gapped", "trapped-ball, gapped lines  "), ("cc_gapped", "plain 4-CC,   gapped lines  "),
                       ("color", "color segmenter, color frame ")):
        if rows[key]:
            mean = {k: float(np.mean([r[k] for r in rows[key]])) for k in ("ari", "miou_g2p_64", "miou_p2g_64")}
            report[f"rendered/{key}"] = mean
            print(f"  {label}: ARI {mean['ari']:.4f}  mIoU G->P {mean['miou_g2p_64']:.4f}  "
                  f"P->G {mean['miou_p2g_64']:.4f} (segments >= 64 px)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="timed runs of our segmenters (median)")
    ap.add_argument("--ref-repeats", type=int, default=3, help="timed runs of the slow reference (median)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument("--skip-color", action="store_true")
    ap.add_argument("--rendered", type=Path, help="also score on a dataset from `linecorr render` (exact truth)")
    ap.add_argument("--skip-synthetic", action="store_true", help="only the --rendered part")
    args = ap.parse_args(argv)
    print(f"one core: cv2 threads {cv2.getNumThreads()}, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}", end="")
    print(f", torch threads {torch.get_num_threads()}" if torch is not None else "")
    report: dict = {}
    if not args.skip_synthetic:
        bench_lines(args.repeats, args.ref_repeats, report)
        if not args.skip_color:
            bench_color(args.repeats, report)
    if args.rendered:
        bench_rendered(args.rendered, report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
