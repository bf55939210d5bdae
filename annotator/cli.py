"""``linecorr annotate``: the correction web app; ``linecorr assign``: who does which pairs;
``linecorr export eval`` / ``export effort``: its results.

The two export formats extend dataprep's ``export`` command (entry points ``export.eval`` and
``export.effort`` in pyproject.toml): what they export is the annotator's work, so the annotator
owns them. Likewise ``validate.annotations`` makes ``linecorr validate`` check ``annotations/``.
"""

from __future__ import annotations

import argparse

from dataprep.cli import add_command, add_format


def register(sub, name: str) -> None:
    p = add_command(sub, name, "correct pairs by hand in the browser (a local web app; prints its URL)",
                    "linecorr annotate data/eval --port 8765\n"
                    "  then open the printed URL; `linecorr export eval data/eval --out data/eval-v1` writes the\n"
                    "  accepted pairs, `linecorr export effort data/eval --out effort.csv` the effort log", run)
    p.add_argument("dataset", metavar="DATASET", help="linecorr dataset folder (the work is kept in DATASET/annotations/)")
    p.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 = any free port)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; any other address "
                        "needs the token printed in the URL)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="with --host: another name the browser may use for this server in the Host header "
                        "(repeatable; this machine's name and addresses are allowed)")
    p.add_argument("--split", help="queue only the pairs of this split (default: every pair)")
    p.add_argument("--quiet", action="store_true", help="do not log each request")
    p.add_argument("--suggest", metavar="NAME",
                   help="show a matcher's suggestions in the page: a provider of the linecorr.suggesters entry "
                        "points (the benchmark's baselines, e.g. lightglue-vote, hungarian-features, "
                        "nearest-aligned; or ant:CHECKPOINT)")
    p.add_argument("--annotator", metavar="NAME",
                   help="the annotator's name recorded with every edit (the page can set its own)")


def run(args) -> int:
    from dataprep.errors import LinecorrError

    try:
        from annotator.server import serve
    except ImportError as e:  # flask is the [annotator] extra
        raise LinecorrError(f"the annotator needs Flask ({e}); install it with: pip install 'linecorr[annotator]'")
    if not 0 <= args.port <= 65535:
        raise LinecorrError(f"--port {args.port} is not a TCP port (0..65535)")
    try:
        serve(args.dataset, host=args.host, port=args.port, split=args.split, quiet=args.quiet,
              allow_hosts=args.allow_host, suggest=args.suggest, annotator=args.annotator)
    except OSError as e:
        raise LinecorrError(f"cannot listen on {args.host}:{args.port} ({e.strerror or e})") from None
    return 0


ASSIGN_EXAMPLE = "linecorr assign data/render --split test --annotator alice --reviewer bob"


def register_assign(sub, name: str) -> None:
    """``linecorr assign``: hand pairs to annotators and reviewers; ``--list``: where each person stands."""
    p = add_command(sub, name, "assign pairs to an annotator and a reviewer for `linecorr annotate`, or list "
                    "per person the pairs assigned, done, accepted and their effort",
                    f"{ASSIGN_EXAMPLE}\n"
                    "  then `linecorr assign data/render --list` prints each person's pairs (assigned, done,\n"
                    "  accepted, rejected, waiting for review) and effort (seconds, interactions)", run_assign)
    p.add_argument("dataset", metavar="DATASET", help="linecorr dataset folder (assignments are kept in "
                   "DATASET/annotations/assignments.json)")
    sel = p.add_argument_group("which pairs (given together, a pair must match each)")
    sel.add_argument("--clip", nargs="+", action="extend", metavar="NAME", help="every pair of these clips")
    sel.add_argument("--pairs", nargs="+", action="extend", metavar="ID",
                     help="these pairs (CLIP/FRAME_A__FRAME_B)")
    sel.add_argument("--split", help="every pair of this split's clips")
    sel.add_argument("--all", action="store_true", help="every pair of the dataset")
    who = p.add_argument_group("to whom (without any of these: --list)")
    who.add_argument("--annotator", metavar="NAME", help="the person who corrects the pairs")
    who.add_argument("--reviewer", metavar="NAME",
                     help="the person who reviews them: then only this name may accept or reject them in the page")
    who.add_argument("--clear", nargs="?", const="both", choices=["annotator", "reviewer", "both"],
                     help="unassign the pairs' annotator, reviewer or both (default both)")
    p.add_argument("--list", action="store_true", help="print per person the pairs assigned and their progress "
                   "and effort (over the pairs selected; default every pair)")


def run_assign(args) -> int:
    from annotator.assign import select_pairs, summary
    from annotator.workspace import Workspace
    from dataprep.errors import LinecorrError

    changes: dict = {}
    for role in ("annotator", "reviewer"):
        if getattr(args, role) is not None:
            changes[role] = getattr(args, role)
    for role in ("annotator", "reviewer") if args.clear == "both" else (args.clear,) if args.clear else ():
        if role in changes:
            raise LinecorrError(f"--clear {args.clear} and --{role} contradict each other: give one")
        changes[role] = None
    chosen = args.clip or args.pairs or args.split is not None or args.all
    if changes and not chosen:
        raise LinecorrError("name the pairs to assign: --clip NAME, --pairs ID, --split S or --all")
    ws = Workspace(args.dataset)
    pids = select_pairs(ws, args.clip, args.pairs, args.split)
    if changes:
        ws.assign_pairs(pids, **changes)
        what = ", ".join(f"{k} {v}" if v else f"{k} cleared" for k, v in changes.items())
        print(f"{len(pids)} pair(s): {what} ({ws.ann / 'assignments.json'})")
    if args.list or not changes:
        print(summary(ws, pids))
    return 0


def register_validate(validate: argparse.ArgumentParser, name: str) -> None:
    """``linecorr validate`` also checks the annotator's state, ``DATASET/annotations/``."""
    validate.description = f"{validate.description}; also checks the work of `linecorr annotate` (annotations/)"
    validate.checks.append(check_annotations)


def check_annotations(dataset: str, quick: bool) -> list:
    """Problems of ``dataset/annotations/`` (:func:`annotator.integrity.check_annotations`)."""
    from annotator.integrity import check_annotations as check

    return check(dataset, check_images=not quick)


def register_export_eval(export: argparse.ArgumentParser, name: str) -> None:
    """``linecorr export eval``: the pairs accepted in the annotator as a new dataset."""
    from dataprep.cli.convert import add_export_args

    q = add_format(export, name, "export to a new linecorr dataset of the pairs accepted in `linecorr annotate` "
                   "(split eval, source manual)",
                   "linecorr export eval data/render --out data/eval   # accepted pairs of `linecorr annotate`",
                   run_export_eval)
    add_export_args(q)
    q.add_argument("--status", action="append", choices=["accepted", "done", "in_progress", "todo", "rejected"],
                   help="export the pairs with this status (repeatable; default accepted)")


def run_export_eval(args) -> int:
    from annotator.export import export_eval
    from dataprep.cli.convert import export_bar

    out = export_eval(args.dataset, args.out, statuses=args.status or ("accepted",), overwrite=args.overwrite,
                      progress=export_bar(args.format))
    print(f"wrote {out}")
    return 0


def register_export_effort(export: argparse.ArgumentParser, name: str) -> None:
    """``linecorr export effort``: the annotation effort log as CSV."""
    from dataprep.cli.convert import add_export_args

    q = add_format(export, name, "export to the annotation effort log of `linecorr annotate` as CSV "
                   "(time, clicks, keys per pair)",
                   "linecorr export effort data/render --out effort.csv   # annotation effort log",
                   run_export_effort)
    add_export_args(q)
    q.add_argument("--by-annotator", action="store_true",
                   help="one row per annotator (the name given with --annotator or in the page), summed over pairs")


def run_export_effort(args) -> int:
    from pathlib import Path

    from annotator.export import export_effort
    from dataprep.errors import LinecorrError

    if Path(args.out).exists() and not args.overwrite:
        raise LinecorrError("output already exists; pass --overwrite to replace it", args.out)
    print(f"wrote {export_effort(args.dataset, args.out, by_annotator=args.by_annotator)}")
    return 0
