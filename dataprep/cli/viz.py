"""``linecorr viz DIR PAIR_ID``: picture of a pair's matches (one color per match group).

``--regions`` (a region method's segmentation and matching) is added by the benchmark package,
which owns the region methods (benchmark/viz_regions.py, entry point ``viz.regions``).
"""

from __future__ import annotations

from dataprep.cli import add_command


def register(sub, name: str) -> None:
    p = add_command(sub, name, "draw a pair side by side, matched segments in the same color, unmatched gray",
                    "linecorr viz data/pbc CLIP/0000__0001 --ids --out pair.png\n"
                    "  linecorr viz data/styles --styles c0000-robot-s0/0003 --out styles.png\n"
                    "  linecorr viz data/synth CLIP/0000__0007 --regions runs/vit_tiny --out fig7.png", run)
    p.add_argument("dataset", help="dataset folder")
    p.add_argument("pair", nargs="?", help="pair id CLIP/FRAME_A__FRAME_B (see --list)")
    p.add_argument("--out", metavar="FILE.png", help="output PNG (default viz_<clip>_<frame_a>__<frame_b>.png here)")
    p.add_argument("--background", choices=("line", "color"), default="line",
                   help="'line': flat colors shaded by the line art (default); 'color': blended over the color image")
    p.add_argument("--ids", action="store_true", help="write segment ids (small frames are upscaled to fit them)")
    p.add_argument("--scale", type=int, default=0, help="integer upscaling (default: auto)")
    p.add_argument("--list", action="store_true", help="print the dataset's pair ids and exit")
    p.add_argument("--styles", metavar="CLIP/FRAME",
                   help="instead, a contact sheet of one frame in every line style the dataset has for that "
                        "character (clips CLIP-exact, CLIP-clean, ...): the color frame and each drawing, whole "
                        "and as an enlarged 1:1 crop")


def run(args) -> int:
    from pathlib import Path

    from dataprep.errors import LinecorrError
    from dataprep.format import Dataset
    from dataprep.viz import VizConfig, default_viz_name, draw_pair, find_pair, save_png

    ds = Dataset.open(args.dataset)
    if args.list:
        for pid in ds.pair_ids():
            print(pid)
        return 0
    if args.styles:
        from dataprep.viz_styles import contact_sheet

        clip, _, frame = args.styles.partition("/")
        if not frame:
            raise LinecorrError(f"--styles wants CLIP/FRAME, got {args.styles!r}")
        out = Path(args.out or f"styles_{clip}_{frame}.png")
        if out.suffix.lower() != ".png":
            raise LinecorrError("output must be a .png file", out)
        save_png(contact_sheet(ds, clip, frame), out)
        print(f"wrote {out}")
        return 0
    if not args.pair:
        raise LinecorrError("give a pair id CLIP/FRAME_A__FRAME_B (`linecorr viz DIR --list` prints them)",
                            args.dataset)
    if args.scale < 0:
        raise LinecorrError(f"--scale must be >= 0, got {args.scale}")
    find_pair(ds, args.pair)  # a bad id gets the helpful message before anything else
    out = Path(args.out or default_viz_name(args.pair))
    if out.suffix.lower() != ".png":
        raise LinecorrError("output must be a .png file", out)  # say so before the drawing work
    if getattr(args, "regions", None):  # the option and its drawer come from the package that adds them
        img = args._draw_regions(ds, args.pair, args.regions, args.device)
    else:
        img = draw_pair(ds, args.pair, VizConfig(background=args.background, show_ids=args.ids, scale=args.scale))
    save_png(img, out)
    print(f"wrote {out}")
    return 0
