"""Command-line pieces shared by the analysis scripts in ``benchmarks/`` that read a dataset.

Each script's module docstring is its ``--help``: the first paragraph the description, the part
from ``Example:`` on the epilog. ``--dataset`` / ``--benchmark`` / ``--line-style`` choose what it
reads, as ``linecorr score`` does.
"""

from __future__ import annotations

import argparse


def parser(doc: str) -> argparse.ArgumentParser:
    """An argument parser whose help is ``doc`` (a module docstring with an ``Example:`` section)."""
    return argparse.ArgumentParser(description=doc.split("\n\n")[0], epilog=doc[doc.index("Example:"):],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def add_dataset_source(ap: argparse.ArgumentParser) -> None:
    """``--dataset DIR`` or ``--benchmark v1|v2`` (one required), and ``--line-style``."""
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--dataset", help="a linecorr dataset folder")
    src.add_argument("--benchmark", help="a standard benchmark (v1 / v2), rendered on first use")
    ap.add_argument("--line-style", dest="line_style", default=None,
                    help="only the clips drawn in this line style (default: every style, pooled)")


def open_dataset_source(args: argparse.Namespace):
    """The dataset ``add_dataset_source``'s flags name, as ``linecorr score`` sees it.

    Restricted to ``--line-style``'s clips and, for a standard benchmark, to the pairs it scores
    (v2: consecutive frames).

    Raises:
        LinecorrError: no such dataset, a benchmark render off its hash, no clip in that style.
    """
    from benchmark.cli import _style_view
    from benchmark.standard import ensure_benchmark
    from dataprep.format import Dataset

    ds = Dataset.open(args.dataset or ensure_benchmark(args.benchmark))
    return _style_view(ds, argparse.Namespace(benchmark=args.benchmark, line_style=args.line_style, gaps=None))


def add_checkpoint_split_args(ap: argparse.ArgumentParser) -> None:
    """The flags of a script that runs one AnT checkpoint over the clips of a split: ``--checkpoint``,
    the dataset source (:func:`add_dataset_source`), ``--split`` (default val: such scripts choose
    settings), ``--clips`` and ``--threads``."""
    ap.add_argument("--checkpoint", required=True, help="an AnT .safetensors from `linecorr train ant`")
    add_dataset_source(ap)
    ap.add_argument("--split", default="val", help="split (default val)")
    ap.add_argument("--clips", type=int, default=0, help="only the first N clips of the split (default: all)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")


def split_clips(view, args: argparse.Namespace) -> list[str]:
    """The clips of ``args.split`` in ``view`` (the first ``args.clips`` of them when the script has
    ``--clips`` and it is > 0).

    Raises:
        LinecorrError: the split has no clip.
    """
    from dataprep.errors import LinecorrError

    clips = view.splits.get(args.split, [])[: getattr(args, "clips", 0) or None]
    if not clips:
        raise LinecorrError(f"split {args.split!r} has no clip", view.root)
    return clips
