"""A bpy-free stand-in for :mod:`blender_scripts.render_sequence` (``--set renderer=fake``).

Writes the same raw files (``color_NNNN.png``, ``ids_NNNN.npy``, ``parts.json``, ``DONE``) from
a few flat ellipses that move and overlap, with numpy and OpenCV only. It exists so the job
runner, resume, crash isolation and the conversion to the format can be tested (and a pipeline
dry-run) on machines without bpy. Setting ``LINECORR_FAKE_CRASH`` to a comma-separated list of
clip ids makes those sequences abort (SIGABRT), like a Blender crash.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np

from blender_scripts.plan import SequenceSpec

# (name, color label): two parts share color label 3, like a pair of eyes.
_PARTS = [("body", 0), ("head", 1), ("arm_l", 2), ("arm_r", 2), ("eye_l", 3), ("eye_r", 3), ("hat", 4)]


def draw_ids(spec: SequenceSpec, k: int, rng_phase: np.ndarray) -> np.ndarray:
    """``(res, res) uint16`` part ids of frame ``k`` (0 = background); parts move with ``k``."""
    s = spec.res
    ids = np.zeros((s, s), np.uint16)
    t = k * spec.step * 0.4
    cx = s * (0.5 + 0.12 * np.sin(0.5 * t + rng_phase[0]))
    cy = s * 0.55
    shapes = [((cx, cy), (0.16 * s, 0.25 * s), 0), ((cx, cy - 0.3 * s), (0.13 * s, 0.12 * s), 0),
              ((cx - 0.2 * s, cy), (0.05 * s, 0.2 * s), 30 * np.sin(t)), ((cx + 0.2 * s, cy), (0.05 * s, 0.2 * s), -30 * np.sin(t)),
              ((cx - 0.05 * s, cy - 0.31 * s), (0.03 * s, 0.04 * s), 0), ((cx + 0.05 * s, cy - 0.31 * s), (0.03 * s, 0.04 * s), 0),
              ((cx, cy - 0.43 * s), (0.14 * s, 0.04 * s), 10 * np.sin(0.7 * t))]
    for pid, ((x, y), (ax, ay), ang) in enumerate(shapes, start=1):
        cv2.ellipse(ids, (int(round(x)), int(round(y))), (max(1, int(ax)), max(1, int(ay))), float(ang), 0, 360,
                    int(pid), -1)
    return ids


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", required=True)
    ap.add_argument("--raw", required=True)
    args = ap.parse_args(argv)
    spec = SequenceSpec.from_json(Path(args.spec).read_text())
    if spec.clip in os.environ.get("LINECORR_FAKE_CRASH", "").split(","):
        print(f"fake crash in {spec.clip}", file=sys.stderr, flush=True)
        os.abort()
    raw = Path(args.raw)
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(spec.seq_seed)
    phase = rng.uniform(0, 2 * np.pi, 4)
    palette = np.random.default_rng(spec.char_seed).integers(40, 230, (len(_PARTS) + 1, 3)).astype(np.uint8)
    palette[0] = 255
    for k in range(spec.frames):
        ids = draw_ids(spec, k, phase)
        cv2.imwrite(str(raw / f"color_{k:04d}.png"), cv2.cvtColor(palette[ids], cv2.COLOR_RGB2BGR))
        np.save(raw / f"ids_{k:04d}.npy", ids)
    parts = [{"id": i + 1, "name": n, "slot": f"slot{c}", "joint": "root", "color_label": c}
             for i, (n, c) in enumerate(_PARTS)]
    info = {"parts": parts, "meta": {"family": spec.family, "renderer": "fake"},
            "frames": [1 + k * spec.step for k in range(spec.frames)], "frame_s": []}
    (raw / "parts.json").write_text(json.dumps(info))
    (raw / "DONE").write_text("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
