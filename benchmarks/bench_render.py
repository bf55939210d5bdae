"""Rendering speed of ``linecorr render`` (color + exact ids + lines, written in the format).

Renders one procedural character for a few frames at 512² and 1024² in a render subprocess (as
the CLI does) and converts the frames to the format, then prints the median seconds per frame of
each step and the frames/s against the targets of docs/ARCHITECTURE.md (>= 2.5 at 512², >= 0.7 at
1024²). Scene building and the bpy import happen once per sequence and are reported apart.
Each line style given (default ``exact`` and ``clean``) is converted and timed on its own, so the
cost the drawn styles add shows next to ``exact`` in the same run (docs/LINE_STYLES.md).

    python benchmarks/bench_render.py [--frames 6] [--family adventurer] [--threads 0] [--samples 16] \
        [--line-style exact,clean]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blender_scripts.config import RenderConfig
from blender_scripts.job import run_sequence
from blender_scripts.plan import plan_sequences
from blender_scripts.to_format import convert_frame, read_raw_frame

TARGETS = {512: 2.5, 1024: 0.7}


def bench(res: int, frames: int, family: str, threads: int, samples: int, styles: list[str]) -> dict:
    from dataprep.linestyle import LineStyleConfig, clip_pen

    cfg = RenderConfig(characters=1, frames=frames, res=res, families=(family,), threads=threads, samples=samples,
                       frame_step=(1,))
    spec = plan_sequences(cfg)[0]
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        raw = Path(tmp) / spec.clip
        t0 = time.perf_counter()
        err = run_sequence(spec, raw, cfg)
        wall = time.perf_counter() - t0
        if err:
            raise SystemExit(f"render failed: {err}")
        info = json.loads((raw / "parts.json").read_text())
        part_color = {p["id"]: p["color_label"] for p in info["parts"]}
        conv: dict[str, list[float]] = {s: [] for s in styles}
        lines = LineStyleConfig()
        pen = clip_pen(lines, np.random.default_rng(0))
        for k in range(frames):
            for style in styles:
                t = time.perf_counter()
                ids, color, tone = read_raw_frame(raw, k)
                convert_frame(ids, color, part_color, tone, style=style, lines=lines, pen=pen,
                              rng=np.random.default_rng(k), part_maps=style != "exact")
                conv[style].append(time.perf_counter() - t)
    # The first frame also builds the BVH and compiles shaders: the median hides that warm-up.
    render = float(np.median(info["frame_s"]))
    cpu = float(np.median(info["frame_cpu_s"]))
    convert = {s: float(np.median(v)) for s, v in conv.items()}
    return {"res": res, "render_s": render, "convert_s": convert, "fps": {s: 1.0 / (render + c) for s, c in convert.items()},
            "render_cpu_s": cpu, "first_frame_s": info["frame_s"][0], "setup_s": info["setup_s"], "process_wall_s": wall,
            "parts": len(info["parts"])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--family", default="adventurer")
    ap.add_argument("--threads", type=int, default=0, help="Cycles threads (0 = all cores)")
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--res", default="512,1024")
    ap.add_argument("--line-style", default="exact,clean", help="styles to convert and time (comma list)")
    args = ap.parse_args()
    try:
        import importlib.util

        if importlib.util.find_spec("bpy") is None:
            print("bench_render: bpy is not installed (pip install bpy==4.5.15); skipped")
            return 0
    except ValueError:
        pass
    for res in (int(r) for r in args.res.split(",")):
        r = bench(res, args.frames, args.family, args.threads, args.samples, args.line_style.split(","))
        target = TARGETS.get(res)
        for style, fps in r["fps"].items():
            verdict = "" if target is None else (f"target >= {target}: " + ("MET" if fps >= target else
                                                 f"MISSED by {100 * (1 - fps / target):.0f}%"))
            print(f"render {res}x{res} ({args.family}, {r['parts']} parts, {args.samples} spp), line style {style}: "
                  f"{fps:.2f} frames/s = render {r['render_s']:.3f} s + convert {r['convert_s'][style]:.3f} s per frame "
                  f"(median of {args.frames}; render CPU {r['render_cpu_s']:.3f} s/frame over all threads); first frame "
                  f"{r['first_frame_s']:.2f} s, scene setup {r['setup_s']:.2f} s, process {r['process_wall_s']:.1f} s. "
                  f"{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
