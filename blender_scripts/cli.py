"""``linecorr render``: synthetic toon sequences with pixel-exact segment ids (Blender)."""

from __future__ import annotations

from dataprep.cli import add_command, add_config_args

EXAMPLE = ("linecorr render --characters 8 --frames 24 --res 512 --seed 0 --out data/synth --workers 2\n"
           "  linecorr render --characters 2 --frames 6 --res 768 --line-style clean,rough --set shadow_segments=true "
           "--out data/styles\n"
           "  linecorr render --characters 4 --line-style mix --set 'lines.mix={clean: 0.5, rough: 0.5}' --out data/mix")

# flag -> RenderConfig field; flags win over --config and --set.
_FLAGS = {"characters": "characters", "frames": "frames", "res": "res", "seed": "seed", "workers": "workers",
          "gaps": "gaps", "model": "model", "backend": "backend", "line_style": "line_style"}


def register(sub, name: str) -> None:
    p = add_command(sub, name, "render synthetic toon sequences with pixel-exact segment ids (Blender)", EXAMPLE, run)
    p.add_argument("--characters", type=int, metavar="N", help="number of distinct characters (default 4)")
    p.add_argument("--frames", type=int, metavar="F", help="frames per clip (default 24)")
    p.add_argument("--res", type=int, metavar="R", help="width = height in pixels (default 512)")
    p.add_argument("--seed", type=int, metavar="S", help="master seed; same seed = same output (default 0)")
    p.add_argument("--out", required=True, metavar="DIR", help="output dataset folder")
    p.add_argument("--workers", type=int, metavar="W", help="sequences rendered at once (default 1)")
    p.add_argument("--gaps", metavar="1,3,7", help="frame gaps of the written pairs (default 1,3,7)")
    p.add_argument("--model", metavar="FILE", help="render your own rigged, animated .blend/.glb/.gltf/.fbx "
                   "(each mesh, or with --set model_parts=material each material, is a part)")
    p.add_argument("--backend", choices=("local", "ray"), help="local process pool (default) or a Ray cluster")
    p.add_argument("--line-style", metavar="STYLE", dest="line_style",
                   help="how line art is drawn: exact (id boundaries, default), clean (production clean-up lines; "
                        "red/blue tone lines with --set shadow_segments=true), rough (hand-drawn: tapered, gaps, open "
                        "regions), extracted (lines extracted from the colored frame); a comma list draws every clip "
                        "in each (clip id + '-STYLE'); mix draws one per clip with the shares in --set lines.mix=...")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output dataset")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_config_args(p, keys="the fields of blender_scripts/config.py RenderConfig")


def run(args) -> int:
    from blender_scripts.config import RenderConfig
    from blender_scripts.job import run_render
    from dataprep.config import load_config
    from dataprep.errors import LinecorrError

    overrides = list(args.overrides)
    for flag, key in _FLAGS.items():
        val = getattr(args, flag)
        if val is None:
            continue
        if flag == "gaps":
            try:
                val = [int(g) for g in val.split(",") if g.strip()]
            except ValueError:
                raise LinecorrError(f"--gaps {args.gaps!r} is not a comma-separated list of integers") from None
        overrides.append(f"{key}={val!r}" if isinstance(val, str) else f"{key}={val}")
    cfg = load_config(RenderConfig, args.config, overrides)
    path = run_render(cfg, args.out, overwrite=args.overwrite, progress=not args.quiet)
    print(f"wrote {path}")
    return 0
