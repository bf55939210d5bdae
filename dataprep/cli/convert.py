"""``linecorr import`` / ``linecorr export``: PaintBucket-Character and AnimeRun <-> linecorr.

``export`` takes more formats from the packages that own them (``export eval`` / ``export effort``:
annotator/cli.py), added to ``parser.formats`` through :func:`dataprep.cli.add_format`.
"""

from __future__ import annotations

import argparse
import sys

from dataprep.cli import add_command, add_config_args

IMPORT_EXAMPLES = {
    "pbc": "linecorr import pbc BasicPBC/dataset --out data/pbc --gaps 1,3 --workers 2",
    "animerun": "linecorr import animerun AnimeRun_v2 --out data/animerun --set zero_is_line=false",
}
EXPORT_EXAMPLES = {
    "pbc": "linecorr export pbc data/pbc --out PBC_OUT",
    "animerun": "linecorr export animerun data/animerun --out ANIMERUN_OUT",
}
# What an export gives back, shown under its example.
EXPORT_NOTES = {
    "pbc": "files of an imported clip come back byte for byte while its source is unchanged where the import\n"
           "read it; edited or moved ones are encoded anew, pixel-exact (docs/FORMAT.md, clip.json)",
    "animerun": "",
}
# Config keys (--set KEY=VALUE), spelled out here so that --help imports nothing heavy.
CONFIG_EXAMPLES = {"pbc": "gaps=[1,3]", "animerun": "zero_is_line=false"}
CONFIG_KEYS = {
    "pbc": "gaps, split, pair_status, name, max_depth (dataprep.importers.pbc.PbcImportConfig)",
    "animerun": "split, zero_is_line, pair_status, name (dataprep.importers.animerun.AnimeRunImportConfig)",
}
FORMAT_HELP = {
    "pbc": "PaintBucket-Character (BasicPBC): <char>/{line,gt,seg,label,json_color,json_index}/NNNN.*",
    "animerun": "AnimeRun: [train|test]/{contour,Frame_Anime,Segment,SegMatching}/<scene>/",
}


def _examples(examples: dict[str, str]) -> str:
    return "\n  ".join(examples.values())


def _sub(fmt_parsers, name: str, help: str, example: str) -> argparse.ArgumentParser:
    return fmt_parsers.add_parser(name, help=help, description=help, epilog=f"example:\n  {example}",
                                  formatter_class=argparse.RawDescriptionHelpFormatter)


def register_import(sub, name: str) -> None:
    p = add_command(sub, name, "import PaintBucket-Character or AnimeRun data as a linecorr dataset",
                    _examples(IMPORT_EXAMPLES), run_import)
    fmts = p.add_subparsers(dest="format", metavar="FORMAT", required=True)
    for fmt, example in IMPORT_EXAMPLES.items():
        q = _sub(fmts, fmt, f"import {FORMAT_HELP[fmt]}", f"{example}\n\nconfig keys: {CONFIG_KEYS[fmt]}")
        q.add_argument("src", metavar="SRC", help="the folder to import (a root with train/ and test/, or below)")
        q.add_argument("--out", required=True, help="output dataset folder (staged in OUT.partial until done)")
        q.add_argument("--overwrite", action="store_true", help="replace OUT if it already exists")
        q.add_argument("--split", help="split of clips not under a train/ or test/ folder (default test)")
        if fmt == "pbc":
            q.add_argument("--gaps", help="frame gaps of the derived pairs, e.g. 1,3 (default 1)")
        q.add_argument("--workers", type=int, default=1, help="clips converted in parallel processes (default 1)")
        add_config_args(q, CONFIG_EXAMPLES[fmt], CONFIG_KEYS[fmt])


def register_export(sub, name: str) -> None:
    p = add_command(sub, name, "export a linecorr dataset to PaintBucket-Character or AnimeRun layout, or the "
                    "hand-corrected pairs and effort log of the annotator",
                    _examples(EXPORT_EXAMPLES), run_export)
    p.formats = p.add_subparsers(dest="format", metavar="FORMAT", required=True)  # other packages add theirs
    for fmt, example in EXPORT_EXAMPLES.items():
        note = f"\n\n{EXPORT_NOTES[fmt]}" if EXPORT_NOTES[fmt] else ""
        add_export_args(_sub(p.formats, fmt, f"export to {FORMAT_HELP[fmt]}", example + note))


def add_export_args(q: argparse.ArgumentParser) -> None:
    """The arguments every ``export FORMAT`` takes: ``DATASET --out OUT [--overwrite]``."""
    q.add_argument("dataset", metavar="DATASET", help="linecorr dataset folder")
    q.add_argument("--out", required=True, help="output folder (written to OUT.partial, renamed when done)")
    q.add_argument("--overwrite", action="store_true", help="replace OUT if it already exists")


def _gaps(text: str) -> tuple[int, ...]:
    from dataprep.errors import LinecorrError

    try:
        gaps = tuple(int(g) for g in text.split(",") if g.strip())
    except ValueError:
        raise LinecorrError(f"--gaps {text!r} is not a comma-separated list of integers") from None
    if not gaps or min(gaps) < 1:
        raise LinecorrError(f"--gaps {text!r} must list positive integers")
    return gaps


def run_import(args) -> int:
    import dataclasses

    from dataprep.config import load_config

    if args.format == "pbc":
        from dataprep.importers.pbc import PbcImportConfig as Config
        from dataprep.importers.pbc import import_pbc as do_import
    else:
        from dataprep.importers.animerun import AnimeRunImportConfig as Config
        from dataprep.importers.animerun import import_animerun as do_import
    cfg = load_config(Config, args.config, args.overrides)
    if args.split:
        cfg = dataclasses.replace(cfg, split=args.split)
    if getattr(args, "gaps", None):
        cfg = dataclasses.replace(cfg, gaps=_gaps(args.gaps))
    out = do_import(args.src, args.out, cfg, overwrite=args.overwrite, workers=max(1, args.workers))
    print(f"wrote {out}")
    return 0


def run_export(args) -> int:
    if args.format == "pbc":
        from dataprep.importers.pbc import export_pbc as do_export
    else:
        from dataprep.importers.animerun import export_animerun as do_export
    out = do_export(args.dataset, args.out, overwrite=args.overwrite, progress=export_bar(args.format))
    print(f"wrote {out}")
    return 0


def export_bar(fmt: str):
    """A progress bar over an export's clips (quiet when stderr is not a terminal)."""
    from tqdm import tqdm

    def bar(items):
        return tqdm(items, desc=f"export {fmt}", unit="clip", file=sys.stderr, disable=None)
    return bar
