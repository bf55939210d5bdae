"""``linecorr label``: LightGlue-voting pseudo-labels for colored frame pairs."""

from __future__ import annotations

from dataprep.cli import add_command, add_config_args


def register(sub, name: str) -> None:
    p = add_command(
        sub, name, "pseudo-label region matches of colored frame pairs (color segmentation, LightGlue votes, "
        "coarse matcher) into a new dataset ready for the annotator; --eval scores them against GT",
        "linecorr label colored_frames/ --out data/auto --gaps 1,7 --workers 2\n"
        "  linecorr label data/synth --out data/synth_auto --gaps 7 --eval     # label, then score against GT\n"
        "  linecorr label data/synth_auto --eval --report eval.json           # score an existing labelling\n"
        "  linecorr label frames/ --out data/auto --eval --gt data/synth         # images: GT clips/frames by name\n"
        "  linecorr label data/pbc --out data/pbc_auto --set segmentation=given --set extractor=disk", run)
    p.add_argument("input", help="a linecorr dataset with color images, a folder of colored frames (sub-folders "
                                 "= clips), or with --eval and no --out, a dataset made by linecorr label")
    p.add_argument("--out", help="output dataset folder")
    p.add_argument("--gaps", help="frame gaps of the sampled pairs, e.g. 1,7 (config gaps; default 1)")
    p.add_argument("--stride", type=int, help="a pair starts every STRIDE frames (config stride; default 1)")
    p.add_argument("--split", help="dataset input: label only the clips of this split (e.g. test)")
    p.add_argument("--extractor", choices=["aliked", "disk", "sift", "none"], help="point matcher (default aliked)")
    p.add_argument("--device", help="auto (default: CUDA when present), cpu or cuda")
    p.add_argument("--workers", type=int, default=1, help="clips labelled at once in a process pool (default 1)")
    p.add_argument("--backend", choices=["local", "ray"], default="local", help="local processes or a Ray cluster")
    p.add_argument("--eval", action="store_true", help="print region precision/recall and segment/pixel accuracy "
                                                       "per frame gap against the input's ground truth")
    p.add_argument("--gt", metavar="DATASET", help="with --eval: the dataset holding the ground truth, its clips and "
                                                   "frames matched by name (needed for a folder of images; default: "
                                                   "the input dataset / the labelled dataset's parent)")
    p.add_argument("--report", help="with --eval: also write the figures as JSON to this file")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output dataset")
    add_config_args(p, "min_votes=6", "the fields of dataprep/label/config.py LabelConfig (gaps, stride, "
                    "segmentation, extractor, min_votes, chain, ...); coarse.KEY for the coarse matcher "
                    "(dataprep/label/coarse.py CoarseConfig: enabled, max_cost, ratio, w_pos, ...); "
                    "segment_params.KEY for the color segmenter")


def run(args) -> int:
    from dataprep.errors import LinecorrError

    if args.out is None and not args.eval:
        raise LinecorrError("give --out (to label) or --eval (to score a labelled dataset)")
    from pathlib import Path

    # the input is its own ground truth only when it is a dataset, not a folder of images
    own = args.input if args.out is not None and (Path(args.input) / "manifest.json").is_file() else None
    if args.eval and args.out is not None and own is None and not args.gt:  # say so before hours of labelling
        raise LinecorrError("a folder of images has no ground truth to --eval against; pass --gt DATASET (its clips "
                            "and frames are matched by name)", args.input)
    labelled = args.input
    if args.out is not None:
        from dataprep.config import load_config
        from dataprep.label.config import LabelConfig
        from dataprep.label.dataset import label_to_dataset

        cfg = load_config(LabelConfig, args.config, args.overrides)
        if args.gaps:
            try:
                cfg.gaps = tuple(int(g) for g in args.gaps.split(","))
            except ValueError:
                raise LinecorrError(f"--gaps {args.gaps!r} is not a comma-separated list of integers") from None
        if args.stride is not None:
            cfg.stride = args.stride
        if args.extractor:
            cfg.extractor = args.extractor
        if args.device:
            cfg.device = args.device
        labelled = label_to_dataset(args.input, args.out, cfg, overwrite=args.overwrite, workers=args.workers,
                                    backend=args.backend, only_split=args.split)
        print(f"wrote {labelled}")
    if args.eval:
        _evaluate(str(labelled), args.gt or own, args.report)
    return 0


def _evaluate(labelled: str, gt: str | None, report: str | None) -> None:
    import json

    from dataprep.errors import LinecorrError
    from dataprep.format import Dataset
    from dataprep.format.atomic import atomic_write_json
    from dataprep.label.evaluate import evaluate_dataset

    ds = Dataset.open(labelled)
    if ds.manifest.producer is None or ds.manifest.producer.stage != "label":
        raise LinecorrError("was not made by linecorr label; to label it and score the result, pass --out", labelled)
    rep = evaluate_dataset(labelled, gt)
    print(rep.table())
    if report:
        atomic_write_json(report, json.loads(json.dumps(rep.to_json())))
        print(f"wrote {report}")
