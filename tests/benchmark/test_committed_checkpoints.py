"""The committed checkpoints keep their outputs: code changes to AnT, its crops, the shared attention
block or the patch-ViT must not move what the results in results/ were scored with.

``data/committed_outputs.npz`` holds three toy frames (line, segment map) and the similarity S each
committed checkpoint gave on two pairs of them (one with equal segment counts, one padded), computed
with the code of commit ebf91f0, before AnT's inference path was sped up:

    PYTHONPATH=<checkout of ebf91f0> .venv/bin/python tests/benchmark/test_committed_checkpoints.py

rewrites it with whatever code PYTHONPATH puts first. S must agree to 1e-5 and every row's best
source must stay the same (what the segment metrics and the propagation protocol read off S).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data" / "committed_outputs.npz"
CHECKPOINTS = {"ant": ROOT / "results/standard/runs/ant-tiny/best.safetensors",
               "patch-vit": ROOT / "results/v2/runs/patch-vit-tiny/best.safetensors"}
PAIRS = {"same_n": (0, 1), "padded": (0, 2)}  # frame indices into the stored frames


def _frames(lines: np.ndarray, segs: np.ndarray) -> list:
    from dataprep.format import Frame, compute_segment_table

    return [Frame("toy", f"{i:04d}", line, line, None, None, seg, compute_segment_table(seg), None)
            for i, (line, seg) in enumerate(zip(lines, segs))]


def _outputs(frames: list) -> dict[str, np.ndarray]:
    """``{"<model>/<pair>": S (N_b, N_a) float64}`` of both committed checkpoints on :data:`PAIRS`."""
    import torch

    from benchmark.models import load_matcher

    torch.set_num_threads(1)  # one thread: the same reduction order wherever this runs
    out = {}
    for model, ckpt in CHECKPOINTS.items():
        matcher = load_matcher(model, ckpt, "cpu")
        for name, (a, b) in PAIRS.items():
            out[f"{model}/{name}"] = matcher.match(frames[a], frames[b])
    return out


def write_reference(path: Path = DATA) -> None:
    """Render the toy frames, run both checkpoints with the code on ``sys.path``, save everything."""
    from dataprep.synthetic import ToyConfig, make_toy_clip

    clip_a, _ = make_toy_clip(ToyConfig(size=256, frames=3, seed=3))
    clip_b, _ = make_toy_clip(ToyConfig(size=256, frames=2, seed=5))  # another character: other segment count
    raw = [clip_a[0], clip_a[2], clip_b[1]]
    lines, segs = np.stack([f.line for f in raw]), np.stack([f.seg for f in raw])
    outputs = _outputs(_frames(lines, segs))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez_compressed(tmp, lines=lines, segs=segs, **outputs)
    tmp.replace(path)


@pytest.fixture(scope="module")
def stored():
    with np.load(DATA) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def current(stored):
    return _outputs(_frames(stored["lines"], stored["segs"]))


def test_reference_pairs_cover_both_paths(stored):
    s_same, s_pad = stored["ant/same_n"], stored["ant/padded"]
    assert s_same.shape[0] == s_same.shape[1] > 10  # equal counts: no padding, no attention mask
    assert s_pad.shape[0] != s_pad.shape[1]  # unequal: padded slots and key masks


@pytest.mark.parametrize("key", [f"{m}/{p}" for m in CHECKPOINTS for p in PAIRS])
def test_committed_checkpoint_outputs_unchanged(stored, current, key):
    ref, now = stored[key], current[key]
    assert now.shape == ref.shape
    np.testing.assert_allclose(now, ref, rtol=0, atol=1e-5)
    assert np.array_equal(now.argmax(1), ref.argmax(1))  # the scored best match of every target segment


if __name__ == "__main__":
    write_reference()
    print(f"wrote {DATA} with the code of {sys.modules['benchmark'].__file__}")
