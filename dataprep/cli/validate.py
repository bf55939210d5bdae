"""``linecorr validate DIR``: check a dataset, report every problem as one line.

Packages above dataprep add checks of what they keep in a dataset folder through an entry point
``validate.NAME`` (the annotator checks ``annotations/``): ``register(validate_parser, NAME)``
appends ``check(dataset, quick) -> list[Problem]`` to ``validate_parser.checks``.
"""

from __future__ import annotations

import sys

from dataprep.cli import add_command


def register(sub, name: str) -> None:
    p = add_command(sub, name, "check a dataset against docs/FORMAT.md; every problem is one line naming the file",
                    "linecorr validate data/pbc", run)
    p.add_argument("dataset", help="dataset folder")
    p.add_argument("--quick", action="store_true", help="skip decoding images and recomputing segment tables")
    p.add_argument("--max-problems", type=int, default=200, help="print at most this many problems (default 200)")
    p.checks = []  # extra checks registered by other packages (see the module docstring)
    p.set_defaults(_checks=p.checks)


def run(args) -> int:
    from tqdm import tqdm

    from dataprep.format.validate import validate_dataset

    def bar(items):
        return tqdm(items, desc="validate", unit="clip", file=sys.stderr, disable=None)

    problems = validate_dataset(args.dataset, check_images=not args.quick, progress=bar)
    for check in getattr(args, "_checks", ()):
        problems += check(args.dataset, args.quick)
    for p in problems[: args.max_problems]:
        print(f"{args.dataset.rstrip('/')}/{p.path}: {p.message}" if p.path != "." else f"{args.dataset}: {p.message}")
    if len(problems) > args.max_problems:
        print(f"... and {len(problems) - args.max_problems} more problems")
    if problems:
        print(f"{args.dataset}: {len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"{args.dataset}: valid")
    return 0
