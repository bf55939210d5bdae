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
