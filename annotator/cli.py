"""``linecorr annotate``: the correction web app (issue #6)."""

from __future__ import annotations

from dataprep.cli import add_command


def register(sub, name: str) -> None:
    p = add_command(sub, name, "correct pairs by hand in the browser (a local web app; prints its URL)",
                    "linecorr annotate data/eval --port 8765\n"
                    "  then open the printed URL; `linecorr export eval data/eval --out data/eval-v1` writes the\n"
                    "  accepted pairs, `linecorr export effort data/eval --out effort.csv` the effort log", run)
    p.add_argument("dataset", metavar="DATASET", help="linecorr dataset folder (the work is kept in DATASET/annotations/)")
    p.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 = any free port)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--split", help="queue only the pairs of this split (default: every pair)")
    p.add_argument("--quiet", action="store_true", help="do not log each request")


def run(args) -> int:
    from dataprep.errors import LinecorrError

    try:
        from annotator.server import serve
    except ImportError as e:  # flask is the [annotator] extra
        raise LinecorrError(f"the annotator needs Flask ({e}); install it with: pip install 'linecorr[annotator]'")
    if not 0 <= args.port <= 65535:
        raise LinecorrError(f"--port {args.port} is not a TCP port (0..65535)")
    try:
        serve(args.dataset, host=args.host, port=args.port, split=args.split, quiet=args.quiet)
    except OSError as e:
        raise LinecorrError(f"cannot listen on {args.host}:{args.port} ({e.strerror or e})") from None
    return 0
