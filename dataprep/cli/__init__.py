"""The ``linecorr`` command: one subcommand per stage.

Only argparse is imported here and in the subcommand definitions, so ``linecorr --help`` is
instant; each subcommand imports its heavy dependencies when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import warnings

# name -> "module:function" registering the subcommand. Order = order in --help.
COMMANDS = {
    "demo": "dataprep.cli.demo:register",
    "render": "blender_scripts.cli:register",
    "segment": "dataprep.cli.segment:register",
    "label": "dataprep.cli.label:register",
    "validate": "dataprep.cli.validate:register",
    "viz": "dataprep.cli.viz:register",
    "import": "dataprep.cli.convert:register_import",
    "export": "dataprep.cli.convert:register_export",
    "publish": "dataprep.cli.publish:register",
    "annotate": "annotator.cli:register",
    "train": "benchmark.cli:register_train",
    "score": "benchmark.cli:register_score",
    "leaderboard": "benchmark.cli:register_leaderboard",
    "colorize": "benchmark.cli:register_colorize",
}

EPILOG = """examples:
  linecorr demo --out demo_out                  # the whole pipeline on built-in data
  linecorr import pbc PBC_ROOT --out data/pbc   # PaintBucket-Character -> linecorr format
  linecorr validate data/pbc                    # check a dataset, every problem one line
  linecorr viz data/pbc CLIP/0000__0001         # picture of a pair's matches
  linecorr publish data/pbc --out hf/pbc        # Hugging Face datasets + dataset card

Run `linecorr COMMAND --help` for a command's options and an example."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linecorr",
        description="Build, correct, publish and benchmark datasets of segment-wise correspondence "
        "between line-art frames.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from dataprep import __version__

    parser.add_argument("--version", action="version", version=f"linecorr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, target in COMMANDS.items():
        mod, _, fn = target.partition(":")
        getattr(importlib.import_module(mod), fn)(sub, name)
    return parser


def add_command(sub, name: str, help: str, example: str, run) -> argparse.ArgumentParser:
    """Add a subcommand with a one-line help, an example in its epilog and a runner."""
    p = sub.add_parser(name, help=help, description=help, epilog=f"example:\n  {example}",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(_run=run)
    return p


#: Per command (its ``prog`` after "linecorr "): a ``--set`` that works as written, and the valid keys,
#: spelled out here so that ``--help`` imports nothing heavy (tests/test_cli.py checks both against the
#: config dataclasses). One scheme everywhere: a key is a field of the command's config; a dotted key
#: reaches into a nested group (``segment_params.min_area=32``).
CONFIG_HELP = {
    "demo": ("clips=3", "source, clips, frames, size, seed, train_minutes"),
    "segment": ("ball_radius=3", "method, extract_lines, split, gaps, strict, and the method's parameters "
                "(dataprep/segment/config.py), e.g. trapped_ball: ink_threshold, levels, noise_sigmas, "
                "alpha_threshold, shading_saturation, shading_min_chroma, ball_radius, radius_step, merge_necks, "
                "min_area, keep_lines, fold_shading_lines"),
    "label": ("min_votes=6", "the fields of dataprep/label/config.py LabelConfig (gaps, stride, segmentation, "
              "extractor, min_votes, chain, coarse, ...); segment_params.KEY for the color segmenter"),
    "publish": ("max_shard_size=1GB", "repo_id, push, private, overwrite, max_shard_size, writer_batch_size, "
                "row_group_size, unsplit, validate, verify, preview, timeout"),
    "colorize": ("segmenter=closed", "segmenter, ink_threshold"),
    "score": ("horizon=5", "horizon, pbc_threshold, background_label; region methods also those of "
              "benchmark/region_score.py RegionScoreConfig (min_share, ...)"),
    "render": (None, "the fields of blender_scripts/config.py RenderConfig"),
}


def add_config_args(p: argparse.ArgumentParser, example: str | None = None, keys: str | None = None) -> None:
    """``--config FILE`` and repeated ``--set key=value`` (defaults < file < overrides).

    Args:
        p: the command's parser.
        example: a ``KEY=VALUE`` that works for this command; default from :data:`CONFIG_HELP`.
        keys: the command's valid keys as text; default from :data:`CONFIG_HELP`.
    """
    known_example, known_keys = CONFIG_HELP.get(p.prog.split(" ", 1)[-1], (None, None))
    example, keys = example or known_example, keys or known_keys
    text = "override one config value (repeatable)"
    text += f", e.g. --set {example}" if example else ""
    text += f"; keys: {keys}" if keys else ""
    p.add_argument("--config", metavar="FILE", help="YAML file of config values (overrides defaults; same keys "
                                                    "as --set)")
    p.add_argument("--set", dest="overrides", metavar="KEY=VALUE", action="append", default=[], help=text)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0
    from dataprep.errors import LinecorrError, LinecorrWarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, LinecorrWarning):  # one line naming the file, no source location
            print(f"linecorr {args.command}: warning: {message}", file=sys.stderr)
        else:
            default_show(message, category, filename, lineno, file, line)

    t0 = time.time()
    try:
        with warnings.catch_warnings():
            default_show = warnings.showwarning
            warnings.showwarning = show
            warnings.simplefilter("always", LinecorrWarning)  # every frame's warning, not just the first
            rc = args._run(args) or 0
    except LinecorrError as e:
        print(f"linecorr {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"linecorr {args.command}: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130
    if os.environ.get("LINECORR_TIMING"):
        print(f"[{args.command} took {time.time() - t0:.1f} s]", file=sys.stderr)
    return rc
