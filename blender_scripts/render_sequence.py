"""Render one sequence with bpy: the script run INSIDE a subprocess (one per clip).

    python -m blender_scripts.render_sequence --spec SPEC.json --raw RAW_DIR

Builds the character (or imports the user's model), keys the actions and the camera, and renders
every output frame with Cycles into ``RAW_DIR``:

- ``color_NNNN.png``: ``(H, W, 3)`` 8-bit sRGB, anti-aliased toon color on white paper;
- ``ids_NNNN.npy``: ``(H, W) uint16`` part id per pixel (IndexOB, exact), 0 = background;
- ``tone_NNNN.npy``: ``(H, W) uint8`` 0 shadow / 1 base / 2 highlight (only with shadow_segments);
- ``parts.json``: the parts (id, name, color slot), what was animated, per-frame render seconds;
- ``DONE``: written last. Frames already in ``RAW_DIR`` are kept, so a rerun after a crash resumes.

Running in a subprocess means a Blender abort (SIGABRT, e.g. an engine that wants OpenGL) or a
leak cannot take the parent or the other sequences down. Needs no bpy at import time in the parent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np


def _atomic_save_npy(path: Path, arr: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.tmp.npy")
    np.save(tmp, arr)
    os.replace(tmp, path)


def tone_codes(mean: np.ndarray, samples: int) -> np.ndarray:
    """Tone codes from the tone AOV: ``(H, W) float32`` in [0, 1] -> ``(H, W) uint8`` 0 / 1 / 2.

    The AOV is the mean of ``samples`` samples' codes (0, 0.5, 1; Cycles importance-samples its
    pixel filter, so every sample weighs the same), i.e. ``2 * mean`` lies on a grid of
    ``1 / samples``. Where exactly half the samples see each of two tones, plain rounding sits *on*
    a grid level and float noise of ~1e-7 decides: that made single pixels differ between renders.
    The threshold here lies half a step *below* each tie, so ties go up (as the noise sent all 4,540
    ties of a measured clip) and no noise smaller than half a step can move a pixel.
    """
    return np.clip(np.floor(mean.astype(np.float64) * 2 + 0.5 + 0.5 / samples), 0, 2).astype(np.uint8)


def build_scene(spec, raw: Path):
    """Build the scene of ``spec``; returns ``(scene, parts, frames, meta, part objects)``. Imports bpy."""
    from blender_scripts import camera
    from blender_scripts import scene as sc

    scene = sc.reset_scene()
    sc.setup_render(scene, spec.res, spec.samples, spec.filter_width, spec.threads, seed=spec.seq_seed % 2**16)
    last = 1 + (spec.frames - 1) * spec.step
    rng = np.random.default_rng(spec.seq_seed)
    if spec.family == "model":
        from blender_scripts.model import load_model

        parts, objects, first, meta = load_model(scene, spec, rng)
        frames = [first + k * spec.step for k in range(spec.frames)]
    else:
        parts, objects, meta = build_character(scene, spec, rng, last)
        frames = [1 + k * spec.step for k in range(spec.frames)]
    if scene.camera is None or spec.family != "model" or meta.get("auto_camera"):
        cam = sc.add_camera(scene) if scene.camera is None else scene.camera
        lo, hi = camera.clip_bounds(scene, objects, frames[:: max(1, len(frames) // 8)] + [frames[-1]])
        meta["camera"] = camera.place_camera(cam, lo, hi, rng, spec.camera, frames[0], frames[-1])
    sc.setup_id_outputs(scene, raw / "exr", tone=spec.shadow_segments, id_pass=meta.get("id_pass", "IndexOB"))
    return scene, parts, frames, meta, objects


def build_character(scene, spec, rng: np.random.Generator, last: int):
    """A procedural character of ``spec.family``, keyed with ``spec.actions``."""
    from blender_scripts.animate import animate, apply_keys
    from blender_scripts.characters import build_character as build
    from blender_scripts.characters.parts import Kit
    from blender_scripts.materials import SLOT_INDEX, make_palette
    from blender_scripts.scene import world_bounds

    crng = np.random.default_rng(spec.char_seed)
    palette = make_palette(np.random.default_rng([spec.char_seed, 1]))
    kit = Kit(spec.family, crng, palette, tuple(spec.light), scene.collection, tone_aov=spec.shadow_segments)
    build(spec.family, kit)
    lo, hi = world_bounds(kit.part_objects, scene)
    anim = animate(kit.joints, float(hi[2] - lo[2]), spec.family, spec.actions, last, rng)
    nkeys = apply_keys(anim, kit.joint_objects)
    meta = {"family": spec.family, "char_seed": spec.char_seed, "actions": spec.actions, "keys": nkeys,
            "joints": len(kit.joints), "height_m": round(float(hi[2] - lo[2]), 3),
            "heading_deg": round(float(np.degrees(anim.heading)), 1)}
    parts = [dict(p.to_json(), rgb=list(palette[p.slot]), color_label=SLOT_INDEX[p.slot]) for p in kit.parts]
    return parts, kit.part_objects, meta


def render_frames(scene, frames: list[int], raw: Path, tone_samples: int, objects) -> tuple[list[float], list[float]]:
    """Render every frame not already in ``raw``; returns wall and CPU seconds per rendered frame.

    ``tone_samples``: the samples per pixel when the tone pass is on (see :func:`tone_codes`), 0 when off.

    CPU seconds (all render threads) tell the cost independently of other load on the machine.
    """
    import bpy

    from blender_scripts.scene import IDS_PREFIX, TONE_PREFIX, read_exr_channel, set_border

    times, cpu = [], []
    for k, f in enumerate(frames):
        ids_path = raw / f"ids_{k:04d}.npy"
        if ids_path.is_file() and (raw / f"color_{k:04d}.png").is_file():
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        scene.frame_set(f)
        set_border(scene, objects)
        scene.render.filepath = str(raw / f"color_{k:04d}.png")
        bpy.ops.render.render(write_still=True)
        exr = raw / "exr" / f"{IDS_PREFIX}{f:04d}.exr"
        ids = np.rint(read_exr_channel(exr)).astype(np.uint16)
        exr.unlink()
        if tone_samples:
            texr = raw / "exr" / f"{TONE_PREFIX}{f:04d}.exr"
            _atomic_save_npy(raw / f"tone_{k:04d}.npy", tone_codes(read_exr_channel(texr), tone_samples))
            texr.unlink()
        _atomic_save_npy(ids_path, ids)  # last: marks the frame complete
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return times, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", required=True, help="JSON file of a blender_scripts.plan.SequenceSpec")
    ap.add_argument("--raw", required=True, help="folder for the raw renders")
    args = ap.parse_args(argv)
    from blender_scripts.plan import SequenceSpec

    spec = SequenceSpec.from_json(Path(args.spec).read_text())
    raw = Path(args.raw)
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "DONE").unlink(missing_ok=True)
    t0 = time.perf_counter()
    scene, parts, frames, meta, objects = build_scene(spec, raw)
    setup_s = time.perf_counter() - t0
    times, cpu = render_frames(scene, frames, raw, spec.samples if spec.shadow_segments else 0, objects)
    info = {"parts": parts, "meta": meta, "frames": frames, "setup_s": round(setup_s, 3),
            "frame_s": [round(t, 4) for t in times], "frame_cpu_s": [round(t, 4) for t in cpu]}
    (raw / "parts.json").write_text(json.dumps(info, indent=1))
    (raw / "DONE").write_text("ok\n")
    print(f"rendered {spec.clip}: {len(times)} frames, {np.median(times) if times else 0:.3f} s/frame median",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
