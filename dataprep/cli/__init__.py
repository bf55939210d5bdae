"""The ``linecorr`` command: one subcommand per stage, each registered by the package that owns it.

The dispatcher names no package: every package declares its subcommands as entry points of the
group ``linecorr.commands`` in ``pyproject.toml`` (``NAME = "module:register"``), and
:func:`build_parser` loads whatever is installed. ``register(subparsers, name)`` adds one
subcommand; an entry named ``PARENT.CHILD`` extends a command another package owns and is called
as ``register(parent_parser, child)`` (the annotator adds ``export eval`` this way, the benchmark
``viz --regions``). So ``dataprep``, the lowest package, runs every stage without importing one
above it (docs/ARCHITECTURE.md), and a third-party package can add a subcommand without editing
this one. Entry points are package metadata: after adding one, re-run ``pip install -e .``.

Only argparse is imported here and in the subcommand definitions, so ``linecorr --help`` is
instant; each subcommand imports its heavy dependencies when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

#: Entry-point group in which packages register their subcommands.
COMMAND_GROUP = "linecorr.commands"

#: Order of the subcommands in ``--help`` (the pipeline's order); names only, not where they live.
#: Registered commands missing here follow in alphabetical order.
HELP_ORDER = ("demo", "render", "segment", "label", "validate", "viz", "viz.regions", "import", "export",
              "export.eval", "export.effort", "publish", "annotate", "assign", "train", "score", "leaderboard",
              "colorize")

EPILOG = """examples:
  linecorr demo --out demo_out                  # the whole pipeline on built-in data
  linecorr import pbc PBC_ROOT --out data/pbc   # PaintBucket-Character -> linecorr format
  linecorr validate data/pbc                    # check a dataset, every problem one line
  linecorr viz data/pbc CLIP/0000__0001         # picture of a pair's matches
  linecorr publish data/pbc --out hf/pbc        # Hugging Face datasets + dataset card

Run `linecorr COMMAND --help` for a command's options and an example."""

NOT_INSTALLED = ("no subcommand is registered: linecorr's package metadata is missing or stale; "
                 "run `pip install -e .` in the repository (or `make setup`)")


def command_entry_points():
    """The installed ``linecorr.commands`` entry points in :data:`HELP_ORDER`, one per name.

    Returns:
        ``list[importlib.metadata.EntryPoint]``: top-level commands first, then the extensions
        (``PARENT.CHILD``) of commands, each group in help order.
    """
    from importlib.metadata import entry_points

    by_name = {}
    for ep in entry_points(group=COMMAND_GROUP):
        by_name.setdefault(ep.name, ep)  # the same distribution seen twice (e.g. a stale build/) counts once

    def rank(name: str) -> tuple:
        return ("." in name, HELP_ORDER.index(name) if name in HELP_ORDER else len(HELP_ORDER), name)

    return [by_name[n] for n in sorted(by_name, key=rank)]


def build_parser() -> argparse.ArgumentParser:
    """The ``linecorr`` parser with every registered subcommand (see the module docstring)."""
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
    eps = command_entry_points()
    if not eps:
        parser.epilog = f"{EPILOG}\n\nlinecorr: {NOT_INSTALLED}"
    for ep in eps:
        parent, dot, child = ep.name.partition(".")
        if dot and parent not in sub.choices:  # an extension of a command that is not installed has nothing to extend
            continue
        try:
            register = ep.load()
        except (ImportError, AttributeError) as e:
            # Installed metadata naming code that is not there (an editable install older or newer
            # than the checkout): the other commands still work; say what to reinstall.
            print(f"linecorr: warning: command {ep.name!r} skipped: {ep.value} does not load ({e}); "
                  "reinstall: pip install -e .", file=sys.stderr)
            continue
        if dot:
            register(sub.choices[parent], child)
        else:
            register(sub, ep.name)
    return parser


def add_command(sub, name: str, help: str, example: str, run) -> argparse.ArgumentParser:
    """Add a subcommand with a one-line help, an example in its epilog and a runner."""
    p = sub.add_parser(name, help=help, description=help, epilog=f"example:\n  {example}",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(_run=run)
    return p


def add_config_args(p: argparse.ArgumentParser, example: str | None = None, keys: str | None = None) -> None:
    """``--config FILE`` and repeated ``--set key=value`` (defaults < file < overrides).

    One scheme everywhere: a key is a field of the command's config; a dotted key reaches into a
    nested group (``segment_params.min_area=32``). The command spells out its example and keys so
    that ``--help`` imports nothing heavy (tests/test_cli.py checks both against the config
    dataclasses).

    Args:
        p: the command's parser.
        example: a ``KEY=VALUE`` that works for this command, shown in the help.
        keys: the command's valid keys as text, shown in the help.
    """
    text = "override one config value (repeatable)"
    text += f", e.g. --set {example}" if example else ""
    text += f"; keys: {keys}" if keys else ""
    p.add_argument("--config", metavar="FILE", help="YAML file of config values (overrides defaults; same keys "
                                                    "as --set)")
    p.add_argument("--set", dest="overrides", metavar="KEY=VALUE", action="append", default=[], help=text)


def add_format(parent: argparse.ArgumentParser, name: str, help: str, example: str, run) -> argparse.ArgumentParser:
    """Add a FORMAT to a command that has them (``export``), from the package that owns the format.

    The parent's register stores its sub-parsers as ``parent.formats``; the example is appended
    to the parent's epilog too, so ``linecorr export --help`` lists every format's example.
    """
    q = parent.formats.add_parser(name, help=help, description=help, epilog=f"example:\n  {example}",
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    q.set_defaults(_run=run)
    parent.epilog = f"{parent.epilog}\n  {example}"
    return q


def main(argv: list[str] | None = None) -> int:
    """Run ``linecorr`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0
    from dataprep.errors import LinecorrError, one_line_warnings

    t0 = time.time()
    try:
        with one_line_warnings(f"linecorr {args.command}"):  # one line naming the file, no source location
            rc = args._run(args) or 0
    except LinecorrError as e:
        print(f"linecorr {args.command}: error: {e}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:  # a stage run without its pip extra: say which one to install
        from dataprep.extras import missing_extra_message

        msg = missing_extra_message(args.command, e)
        if msg is None:  # not an optional dependency: a real bug, keep the traceback
            raise
        print(f"linecorr {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"linecorr {args.command}: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130
    if os.environ.get("LINECORR_TIMING"):
        print(f"[{args.command} took {time.time() - t0:.1f} s]", file=sys.stderr)
    return rc
