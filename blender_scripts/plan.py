"""What each clip shows, decided in the parent before any rendering (pure Python, no bpy).

A clip is one *sequence*: one character doing a chain of actions under one camera move. Its spec
is derived only from the master seed and the clip's index, so a re-run (resume) or another worker
re-derives exactly the same clip, and the split of a character never depends on how many
characters were asked for.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from blender_scripts.config import RenderConfig

#: Actions the animator knows (blender_scripts/animate.py). "reach" swings an arm across the body
#: (self-occlusion); "squash" is squash-and-stretch without leaving the ground.
ACTIONS = ("walk", "wave", "turn", "jump", "sit", "squash", "reach", "idle")
#: Camera moves (several may be combined in one clip).
CAMERA_MOVES = ("pan", "zoom", "roll", "still")


@dataclass
class SequenceSpec:
    """Everything the render subprocess needs to draw one clip; JSON round-trips."""

    clip: str  # clip id, e.g. "c0003-robot-s0"
    character: int  # character index (0..characters-1); splits are by character
    family: str  # character family (blender_scripts/characters/) or "model"
    char_seed: int  # seed of the character's proportions, shapes and palette
    seq_seed: int  # seed of the motion, camera and light of this clip
    frames: int  # output frames
    step: int  # animation frames per output frame (frame skipping)
    res: int  # width = height in pixels
    actions: list[str] = field(default_factory=list)  # chained actions, in order
    camera: list[str] = field(default_factory=list)  # camera moves
    light: list[float] = field(default_factory=list)  # world-space light direction (toon ramp)
    samples: int = 16  # Cycles samples per pixel
    filter_width: float = 1.5  # pixel filter width
    threads: int = 0  # Cycles threads (0 = Blender's default: all cores)
    shadow_segments: bool = False  # also output the tone index (lit / mid / shadow) per pixel
    model: str = ""  # user model path (family "model")
    model_parts: str = "object"  # "object" or "material"
    split: str = "train"  # train / val / test

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SequenceSpec:
        return cls(**json.loads(text))


def stable_unit(*keys: object) -> float:
    """A number in [0, 1) from a hash of ``keys``: the same on every machine and Python run."""
    h = hashlib.sha256(repr(keys).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0**64


def character_split(seed: int, character: int, val: float, test: float) -> str:
    """Split of one character: a stable hash, so adding characters never moves existing ones."""
    u = stable_unit("split", seed, character)
    return "test" if u < test else "val" if u < test + val else "train"


def assign_splits(seed: int, n: int, val: float, test: float) -> list[str]:
    """Splits of characters ``0..n-1``; with 3+ characters val and test each get at least one.

    The guarantee takes the training characters with the smallest hashes, so it is stable too.
    """
    splits = [character_split(seed, i, val, test) for i in range(n)]
    if n >= 3:
        for name, frac in (("test", test), ("val", val)):
            if frac > 0 and name not in splits:
                train = [i for i in range(n) if splits[i] == "train"]
                if len(train) > 1:
                    splits[min(train, key=lambda i: stable_unit("split", seed, i))] = name
    return splits


def plan_sequences(cfg: RenderConfig) -> list[SequenceSpec]:
    """The specs of every clip, in clip order (deterministic in ``cfg``)."""
    from blender_scripts.characters import FAMILIES

    families = list(cfg.families) or list(FAMILIES)
    # A seed-shuffled round robin: any 8 consecutive characters cover all 8 families.
    order = np.random.default_rng([cfg.seed, 7]).permutation(len(families))
    if cfg.test_characters > 0:
        t, v = cfg.test_characters, cfg.val_characters
        splits = ["test" if c < t else "val" if c < t + v else "train" for c in range(cfg.characters)]
    else:
        splits = assign_splits(cfg.seed, cfg.characters, cfg.val_fraction, cfg.test_fraction)
    threads = cfg.threads or max(1, _cpu_count() // max(1, cfg.workers))
    specs = []
    for c in range(cfg.characters):
        family = "model" if cfg.model else families[order[c % len(families)]]
        char_seed = int(np.random.default_rng([cfg.seed, c, 1]).integers(2**31))
        for s in range(cfg.sequences_per_character):
            rng = np.random.default_rng([cfg.seed, c, s, 2])
            actions = list(rng.choice(ACTIONS[:-1], size=cfg.actions_per_clip, replace=False)) \
                if cfg.actions_per_clip <= len(ACTIONS) - 1 else list(rng.choice(ACTIONS, cfg.actions_per_clip))
            moves = ["still"]
            if cfg.camera_moves:
                k = int(rng.integers(1, 3))
                moves = sorted(rng.choice(CAMERA_MOVES[:-1], size=k, replace=False).tolist())
            light = rng.normal(size=3) * [0.6, 0.4, 0.3] + [0.0, -0.6, 0.8]  # from the front and above
            specs.append(SequenceSpec(
                clip=f"c{c:04d}-{family}-s{s}", character=c, family=family, char_seed=char_seed,
                seq_seed=int(rng.integers(2**31)), frames=cfg.frames,
                step=int(rng.choice(cfg.frame_step)), res=cfg.res, actions=[str(a) for a in actions],
                camera=[str(m) for m in moves], light=[round(float(v), 4) for v in light / np.linalg.norm(light)],
                samples=cfg.samples, filter_width=cfg.filter_width, threads=threads,
                shadow_segments=cfg.shadow_segments, model=str(Path(cfg.model).resolve()) if cfg.model else "",
                model_parts=cfg.model_parts, split=splits[c]))
    return specs


def _cpu_count() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def clip_styles(cfg: RenderConfig, spec: SequenceSpec) -> list[tuple[str, str]]:
    """``[(clip id, line style)]`` written from one rendered sequence.

    One style keeps the sequence's clip id; several give one clip each (``<clip>-<style>``), all from
    the same render; ``mix`` picks one style per character by a stable hash and the ``lines.mix`` shares.
    """
    from blender_scripts.config import line_styles

    styles = line_styles(cfg)
    if cfg.line_style.strip() == "mix":
        shares = np.array([float(cfg.lines.mix[s]) for s in styles])
        u = stable_unit("line_style", cfg.seed, spec.character) * shares.sum()
        return [(spec.clip, styles[int(np.searchsorted(np.cumsum(shares), u, side="right"))])]
    if len(styles) == 1:
        return [(spec.clip, styles[0])]
    return [(f"{spec.clip}-{s}", s) for s in styles]
