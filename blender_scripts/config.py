"""Settings of ``linecorr render`` (defaults < ``--config`` YAML < ``--set key=value`` < flags).

Pure Python (no bpy): the parent process resolves the config, plans the sequences and hands each
subprocess a JSON spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dataprep.linestyle.config import STYLES, LineStyleConfig

#: File types ``--model`` accepts (the importers that ship with bpy 4.5).
MODEL_EXTENSIONS = (".blend", ".glb", ".gltf", ".fbx")


@dataclass
class RenderConfig:
    """Everything that decides what ``linecorr render`` draws; saved in the manifest."""

    characters: int = 4  # number of distinct characters (each gets its own family/seed/palette)
    sequences_per_character: int = 1  # clips per character (different actions and camera)
    frames: int = 24  # output frames per clip
    res: int = 512  # frame width and height in pixels (16..4096)
    seed: int = 0  # master seed: same seed -> same characters, motion and byte-identical label maps
    gaps: tuple[int, ...] = (1, 3, 7)  # frame gaps between the two frames of each written pair
    frame_step: tuple[int, ...] = (1, 2)  # animation frames advanced per output frame, drawn per clip
    # (frame skipping: 2 renders every other animation frame, so motion between frames doubles)
    families: tuple[str, ...] = ()  # restrict to these character families (empty = all, round robin)
    actions_per_clip: int = 3  # keyframed actions chained in one clip (walk, wave, turn, jump, ...)
    samples: int = 16  # Cycles samples per pixel (anti-aliasing only: every shader is an emission)
    filter_width: float = 1.5  # Blackman-Harris pixel filter width in pixels
    threads: int = 0  # Cycles threads per render process (0 = CPU cores / workers)
    workers: int = 1  # sequences rendered at once, one subprocess each
    line_width: int = 1  # line thickness in pixels (1 = exact id boundaries, like PBC's seg rule)
    shadow_segments: bool = False  # also draw lines between lit and shadow tones (AnT's grouping case)
    line_style: str = "exact"  # exact|clean|rough|extracted; a comma list draws each clip in each (clip id
    # + "-<style>", rendered once); "mix" draws each clip in one style, drawn with lines.mix shares
    lines: LineStyleConfig = field(default_factory=LineStyleConfig)  # how the drawn styles make strokes
    part_maps: bool = True  # keep the exact part map (parts/), segment purity and pairs' part-region matches
    # (False: format 1.0 output, exactly as the v1 benchmark was made)
    val_fraction: float = 0.1  # share of characters in the val split (by stable hash of the character)
    test_fraction: float = 0.1  # share of characters held out for test (never seen in train)
    test_characters: int = 0  # > 0: exactly this many characters in test, the first ones (families go round
    # robin, so any 8 consecutive characters cover all 8 families); overrides both fractions
    val_characters: int = 0  # with test_characters: the next this many characters are val
    only_split: str = ""  # render only this split's clips (e.g. "test", to score without the train set)
    model: str = ""  # a user's rigged, animated .blend/.glb/.gltf/.fbx (empty = procedural characters)
    model_parts: str = "object"  # with --model: "object" (each mesh is a part) or "material"
    camera_moves: bool = True  # pan / zoom / roll the camera (parts leave and re-enter the frame)
    backend: str = "local"  # "local" (process pool) or "ray" (optional extra)
    timeout_s: int = 3600  # a render subprocess running longer than this counts as crashed
    python: str = ""  # interpreter with bpy for the render subprocess (empty = this one)
    renderer: str = "blender"  # "blender", or "fake": a bpy-free stand-in (flat 2-D parts) for tests/dry runs
    keep_raw: bool = False  # keep each clip's raw renders (color PNG + id arrays) for debugging
    extra: dict = field(default_factory=dict)  # free-form notes copied into the manifest config


def check_config(cfg: RenderConfig) -> None:
    """Raise :class:`~dataprep.errors.LinecorrError` (one line) on a value a user got wrong."""
    from pathlib import Path

    from dataprep.errors import LinecorrError

    if not 16 <= cfg.res <= 4096:
        raise LinecorrError(f"--res {cfg.res} is out of range (16..4096 pixels)")
    if cfg.frames < 1 or cfg.characters < 1 or cfg.sequences_per_character < 1:
        raise LinecorrError("--frames, --characters and sequences_per_character must be >= 1")
    if cfg.samples < 1 or cfg.workers < 1 or cfg.line_width < 1:
        raise LinecorrError("samples, workers and line_width must be >= 1")
    if any(g < 1 for g in cfg.gaps) or not cfg.frame_step or any(s < 1 for s in cfg.frame_step):
        raise LinecorrError(f"gaps {list(cfg.gaps)} and frame_step {list(cfg.frame_step)} must be >= 1")
    if cfg.test_characters < 0 or cfg.val_characters < 0 or cfg.test_characters + cfg.val_characters > cfg.characters:
        raise LinecorrError("test_characters + val_characters must be between 0 and --characters")
    if cfg.only_split not in ("", "train", "val", "test"):
        raise LinecorrError(f"only_split {cfg.only_split!r} is not train, val or test")
    if cfg.backend not in ("local", "ray"):
        raise LinecorrError(f"--backend {cfg.backend!r} is not 'local' or 'ray'")
    if cfg.renderer not in ("blender", "fake"):
        raise LinecorrError(f"renderer {cfg.renderer!r} is not 'blender' or 'fake'")
    if cfg.model_parts not in ("object", "material"):
        raise LinecorrError(f"model_parts {cfg.model_parts!r} is not 'object' or 'material'")
    if cfg.model:
        p = Path(cfg.model)
        if p.suffix.lower() not in MODEL_EXTENSIONS:
            raise LinecorrError(f"unsupported model type {p.suffix!r} (use {', '.join(MODEL_EXTENSIONS)})", p)
        if not p.is_file():
            raise LinecorrError("model file is missing", p)
    styles = line_styles(cfg)
    bad_style = [s for s in styles if s not in STYLES]
    if bad_style or not styles:
        raise LinecorrError(f"--line-style {cfg.line_style!r}: use one of {', '.join(STYLES)}, a comma list, or mix")
    if not cfg.part_maps and styles != ["exact"]:
        raise LinecorrError("part_maps=false only goes with --line-style exact (drawn styles need the part maps)")
    from blender_scripts.characters import FAMILIES

    bad = [f for f in cfg.families if f not in FAMILIES]
    if bad:
        raise LinecorrError(f"unknown character family {bad[0]!r} (known: {', '.join(FAMILIES)})")


def line_styles(cfg: RenderConfig) -> list[str]:
    """The styles ``cfg`` may draw: the comma list, or the styles with a share in ``lines.mix``."""
    if cfg.line_style.strip() == "mix":
        shares = {k: float(v) for k, v in (cfg.lines.mix or {}).items()}
        return [s for s in STYLES if shares.get(s, 0) > 0] + [s for s in shares if s not in STYLES]
    return [s.strip() for s in cfg.line_style.split(",") if s.strip()]
