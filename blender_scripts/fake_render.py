"""A bpy-free stand-in for :mod:`blender_scripts.render_sequence` (``--set renderer=fake``).

Writes the same raw files (``color_NNNN.png``, ``ids_NNNN.npy``, ``parts.json``, ``DONE``) of the
toy character (:mod:`dataprep.synthetic.character`) moving, with numpy and OpenCV only. It exists so the job
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
from dataprep.synthetic.character import TOY_PARTS, toy_character, toy_ids


def draw_ids(spec: SequenceSpec, k: int, parts: list, phase: np.ndarray) -> np.ndarray:
    """``(res, res) uint16`` part ids of frame ``k`` (0 = background), like Blender's IndexOB pass."""
    return toy_ids(parts, k * spec.step * 0.4, spec.res, 1.0, phase, background=0, dtype=np.uint16)


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
    phase = np.random.default_rng(spec.seq_seed).uniform(0, 2 * np.pi, 4)  # the motion: per sequence
    char = np.random.default_rng(spec.char_seed)  # proportions and paints: per character
    parts = toy_character(char)
    palette = char.integers(40, 230, (len(TOY_PARTS) + 1, 3)).astype(np.uint8)
    palette[0] = 255
    for k in range(spec.frames):
        ids = draw_ids(spec, k, parts, phase)
        cv2.imwrite(str(raw / f"color_{k:04d}.png"), cv2.cvtColor(palette[ids], cv2.COLOR_RGB2BGR))
        np.save(raw / f"ids_{k:04d}.npy", ids)
    part_info = [{"id": i + 1, "name": n, "slot": f"slot{c}", "joint": "root", "color_label": c}
                 for i, (n, _, c, _) in enumerate(TOY_PARTS)]
    info = {"parts": part_info, "meta": {"family": spec.family, "renderer": "fake"},
            "frames": [1 + k * spec.step for k in range(spec.frames)], "frame_s": []}
    (raw / "parts.json").write_text(json.dumps(info))
    (raw / "DONE").write_text("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
