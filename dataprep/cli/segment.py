"""``linecorr segment``: line art (trapped-ball) or colored frames (color clustering) -> segments."""

from __future__ import annotations

from dataprep.cli import add_command, add_config_args


def register(sub, name: str) -> None:
    p = add_command(
        sub, name, "segment line art (trapped-ball fill, or PBC's closed-line rule) or colored frames "
        "(color clustering) of a dataset or a folder of images into a new dataset",
        "linecorr segment frames/ --out data/seg --method trapped_ball --set ball_radius=3 --workers 2\n"
        "  linecorr segment scans/ --out data/scans --strict            # pencil scans; a frame without regions fails\n"
        "  linecorr segment data/render --out data/render_tb            # re-segment a dataset, pairs from labels\n"
        "  linecorr segment colored/ --out data/col --method color       # colored line art (patch-ViT setting)\n"
        "  linecorr segment colored/ --out data/ext --extract-lines      # no line art: extract lines first", run)
    p.add_argument("input", help="a linecorr dataset, or a folder of images (sub-folders = clips)")
    p.add_argument("--out", required=True, help="output dataset folder")
    p.add_argument("--method", choices=["trapped_ball", "closed", "color"], help="segmenter (default trapped_ball)")
    p.add_argument("--extract-lines", action="store_true", help="inputs are colored frames with no line art")
    p.add_argument("--workers", type=int, default=1, help="processes segmenting frames in parallel (default 1)")
    p.add_argument("--strict", action="store_true", help="a frame that yields no segment or only one is an error "
                                                         "(default: a warning naming the file)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output dataset")
    add_config_args(p, "ball_radius=3", "method, extract_lines, split, gaps, strict, and the method's parameters "
                    "(dataprep/segment/config.py), e.g. trapped_ball: ink_threshold, levels, noise_sigmas, "
                    "alpha_threshold, shading_saturation, shading_min_chroma, ball_radius, radius_step, merge_necks, "
                    "min_area, keep_lines, fold_shading_lines")


def run(args) -> int:
    from dataprep.config import load_config
    from dataprep.segment.dataset import SegmentJobConfig, segment_to_dataset

    cfg = load_config(SegmentJobConfig, args.config, args.overrides, extra="params")  # method keys flat
    if args.method:
        cfg.method = args.method
    if args.extract_lines:
        cfg.extract_lines = True
    if args.strict:
        cfg.strict = True
    out = segment_to_dataset(args.input, args.out, cfg, overwrite=args.overwrite, workers=args.workers)
    print(f"wrote {out}")
    return 0
