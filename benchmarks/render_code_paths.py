"""Which of Cycles' CPU code paths decide a v2 render's pixels: kernel instruction set and BVH.

A v2 render on another machine differs from the reference in a few pixels of some frames
(docs/BENCHMARK.md). This renders one v2 clip (raw ids and tones) through Cycles' code paths,

- ``default``: what ``linecorr render`` uses (the AVX2 kernel where the CPU has it, Embree's BVH);
- ``sse42``: the SSE4.2 kernel (``CYCLES_CPU_NO_AVX2=1``, read by Cycles at every render);
- ``bvh2``: Cycles' own BVH instead of Embree (``debug_bvh_layout``, which Cycles only reads with
  the developer preferences on: set by a ``sitecustomize`` hook in the render process);
- ``bvh2-sse42``: both,

then prints, for each pair of paths, the frames and pixels whose part id or tone differ, and for
each path how many ground-truth files of the clip (every line style) differ from the reference's
digests (``benchmark/references/linecorr-synth-v2.json.gz``).

Example:
    python benchmarks/render_code_paths.py --clip c0001-humanoid-s0 --paths default,bvh2 --out /tmp/render_paths
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np

#: Environment of each code path; ``LINECORR_CYCLES_BVH`` is read by the hook below.
PATHS = {
    "default": {},
    "sse42": {"CYCLES_CPU_NO_AVX2": "1"},
    "bvh2": {"LINECORR_CYCLES_BVH": "BVH2"},
    "bvh2-sse42": {"CYCLES_CPU_NO_AVX2": "1", "LINECORR_CYCLES_BVH": "BVH2"},
}

#: Imported by every Python process that finds it on PYTHONPATH (the render subprocess): Cycles reads
#: its scene debug flags only when the developer preferences are on, so both are set before a render.
HOOK = '''
import importlib.abc
import os
import sys


def _register(bpy):
    @bpy.app.handlers.persistent
    def _linecorr_bvh(scene, *_):
        prefs = bpy.context.preferences
        prefs.experimental.use_cycles_debug = True
        prefs.view.show_developer_ui = True
        scene.cycles.debug_bvh_layout = os.environ["LINECORR_CYCLES_BVH"]
        # once is enough (the scene and the preferences keep it); a handler left registered hangs
        # the render process at exit
        for handlers in (bpy.app.handlers.render_init, bpy.app.handlers.render_pre):
            if _linecorr_bvh in handlers:
                handlers.remove(_linecorr_bvh)

    bpy.app.handlers.render_init.append(_linecorr_bvh)
    bpy.app.handlers.render_pre.append(_linecorr_bvh)


class _AfterBpy(importlib.abc.MetaPathFinder):
    """Registers the handler once the render script imports bpy (importing bpy here, first, hangs its exit)."""

    def find_spec(self, name, path=None, target=None):
        if name != "bpy":
            return None
        sys.meta_path.remove(self)
        from importlib.util import find_spec

        spec = find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            _register(module)

        spec.loader.exec_module = exec_module
        return spec


if os.environ.get("LINECORR_CYCLES_BVH"):
    sys.meta_path.insert(0, _AfterBpy())
'''


def render_path(spec, cfg, out: Path, path: str) -> Path:
    """Render ``spec`` raw into ``out/path`` under that code path's environment; return the folder."""
    from blender_scripts.job import run_sequence
    from dataprep.errors import LinecorrError

    hooks = out / "_hook"
    hooks.mkdir(parents=True, exist_ok=True)
    (hooks / "sitecustomize.py").write_text(HOOK)
    saved = dict(os.environ)
    os.environ.update(PATHS[path])
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hooks), saved.get("PYTHONPATH")]))
    try:
        raw = out / path
        why = run_sequence(spec, raw, cfg)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if why:
        raise LinecorrError(f"render of {spec.clip} ({path}) failed: {why}")
    return raw


def pixel_differences(a: Path, b: Path, frames: int) -> list[tuple[int, int, int]]:
    """``(frame, id pixels, tone pixels)`` for each frame where two raw renders differ."""
    out = []
    for k in range(frames):
        ids = [np.load(d / f"ids_{k:04d}.npy") for d in (a, b)]
        tones = [np.load(d / f"tone_{k:04d}.npy") for d in (a, b)] if (a / f"tone_{k:04d}.npy").is_file() else None
        n_ids = int((ids[0] != ids[1]).sum())
        n_tone = int((tones[0] != tones[1]).sum()) if tones else 0
        if n_ids or n_tone:
            out.append((k, n_ids, n_tone))
    return out


def reference_differences(spec, cfg, raw: Path, out: Path) -> tuple[int, int, list[str]]:
    """Convert a raw render to the format; ``(files differing, files compared, frames differing)``."""
    from benchmark.standard import reference_digests
    from blender_scripts.to_format import write_clip
    from dataprep.config import config_dict
    from dataprep.format.writer import DatasetWriter, make_producer

    w = DatasetWriter(out, name="render-code-paths", producer=make_producer("render", config_dict(cfg)),
                      overwrite=True, resume=False, description="one clip per code path", license="CC0-1.0")
    write_clip(w, spec, raw, cfg)
    ref = reference_digests("linecorr-synth-v2") or {}
    n = 0
    bad: list[str] = []
    for f in sorted((w.stage / "clips").rglob("*.png")):
        rel = f.relative_to(w.stage).as_posix()
        if rel.split("/")[2] in ("line", "seg", "label", "parts") and rel in ref:
            n += 1
            if hashlib.sha256(f.read_bytes()).hexdigest()[:16] != ref[rel][:16]:
                bad.append(rel)
    frames = sorted({p.split("/")[3].removesuffix(".png") for p in bad})
    return len(bad), n, frames


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__[__doc__.index("Example:"):],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clip", default="c0001-humanoid-s0", help="a v2 sequence (default c0001-humanoid-s0)")
    ap.add_argument("--paths", default="default,sse42,bvh2,bvh2-sse42",
                    help=f"comma-separated, of {', '.join(PATHS)} (default: all)")
    ap.add_argument("--out", type=Path, required=True, help="work folder (raw renders, converted clips)")
    args = ap.parse_args(argv)

    from benchmark.standard import v2_config
    from blender_scripts.plan import plan_sequences
    from dataprep.errors import LinecorrError

    try:
        paths = [p.strip() for p in args.paths.split(",") if p.strip()]
        unknown = [p for p in paths if p not in PATHS]
        if unknown or not paths:
            raise LinecorrError(f"--paths: unknown {', '.join(unknown) or '(none given)'} (known: {', '.join(PATHS)})")
        cfg = dataclasses.replace(v2_config(), keep_raw=True, workers=1)
        specs = [s for s in plan_sequences(cfg) if s.clip == args.clip]
        if not specs:
            raise LinecorrError(f"--clip {args.clip!r} is not a v2 sequence (e.g. c0001-humanoid-s0)")
        spec = specs[0]
        raws = {}
        for p in paths:
            t0 = time.time()
            raws[p] = render_path(spec, cfg, args.out, p)
            print(f"rendered {args.clip} ({p}) in {time.time() - t0:.0f} s: {raws[p]}", flush=True)
        for a, b in itertools.combinations(paths, 2):
            d = pixel_differences(raws[a], raws[b], spec.frames)
            print(f"{a} vs {b}: {len(d)} of {spec.frames} frames differ, {sum(x[1] for x in d)} id px, "
                  f"{sum(x[2] for x in d)} tone px {[x[0] for x in d]}")
        for p in paths:
            n_bad, n, frames = reference_differences(spec, cfg, raws[p], args.out / f"{p}.format")
            print(f"{p} vs the reference: {n_bad} of {n} ground-truth files differ (frames {', '.join(frames) or 'none'})")
    except LinecorrError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
