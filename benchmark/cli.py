"""``linecorr train`` / ``score`` / ``leaderboard`` / ``colorize``."""

from __future__ import annotations

import sys

from dataprep.cli import add_command, add_config_args


def register_train(sub, name: str) -> None:
    from benchmark.models.registry import MODELS, models_help

    p = add_command(
        sub, name, "train a learned model (" + ", ".join(MODELS) + ") on a dataset",
        "linecorr train ant --config tiny --dataset data/synth --out runs/ant_tiny\n"
        "  linecorr train patch-vit --config tiny --dataset data/synth --out runs/vit_tiny\n"
        "  linecorr train ant --config tiny --dataset hf/synth --out runs/ant_hf   # a `linecorr publish` output\n"
        "  linecorr train ant --config tiny --dataset data/other --out runs/ant_ft "
        "--set init=runs/ant_tiny/best.safetensors --set steps=500   # fine-tune\n"
        "  linecorr train ant --config tiny --dataset data/synth data/other --out runs/ant_both   # two datasets as one\n"
        "  torchrun --nproc_per_node 4 -m benchmark train ant --config paper --dataset data/synth --out runs/ant",
        run_train)
    p.add_argument("model", choices=list(MODELS), help="model to train: " + models_help())
    p.add_argument("--config", default="tiny",
                   help="preset name (tiny: CPU, minutes; small: the CPU reference, hours, resumable; paper: the "
                        "paper's settings, GPU) or a YAML file (which may start from a preset with `preset: tiny`); "
                        "default tiny")
    p.add_argument("--dataset", nargs="+", metavar="DATASET",
                   help="dataset with a train split: a folder (project format), a folder written by `linecorr "
                        "publish`, or the Hub id ORG/NAME of one; several are read as one (their splits joined, "
                        "clip ids prefixed with the dataset's index); or --benchmark")
    _streaming_arg(p)
    p.add_argument("--benchmark", choices=["standard", "v1", "v2"],
                   help="train on a standard synthetic benchmark's train split (rendered on first use): "
                        "standard = v1 (exact lines), v2 (all four line styles together)")
    p.add_argument("--out", required=True, help="run folder: checkpoints, metrics.csv, tb/, config.yaml")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last.safetensors")
    p.add_argument("--set", dest="overrides", metavar="KEY=VALUE", action="append", default=[],
                   help="override one config value, e.g. --set steps=500 --set model.layers=3 (repeatable); "
                        "--set init=CKPT starts from a checkpoint's weights (fine-tuning: new optimizer and schedule)")


def run_train(args) -> int:
    """Train ``args.model`` through the hooks its registry entry names (benchmark.models.registry)."""
    import os
    from pathlib import Path

    from benchmark.models.registry import get_model, training_config
    from benchmark.train.loop import prepare_run_dir

    spec = get_model(args.model)
    last_ckpt = None
    if args.resume:  # the run's own config, with --set on top (e.g. more steps)
        prepare_run_dir(args.out, resume=True)
        last_ckpt = Path(args.out) / "last.safetensors"
    cfg = training_config(spec, args.config, args.overrides, resume_from=last_ckpt)
    last = spec.hook("train")(cfg, _dataset_arg(args), args.out, resume=args.resume, streaming=args.streaming)
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun only rank 0 reports
        print(f"wrote {last}")
        best = Path(args.out) / "best.safetensors"
        if best.is_file():
            print(f"wrote {best} ({spec.best})")
    return 0


def register_score(sub, name: str) -> None:
    p = add_command(
        sub, name, "score a predictions file, or run and score a baseline or a trained model, on a dataset split",
        "linecorr score --method all-baselines --benchmark standard --out-dir results/standard\n"
        "  linecorr score --method all-baselines --benchmark v2 --line-style rough --out-dir results/v2\n"
        "  linecorr score --method all-baselines --dataset demo_out/toy --split test --out-dir results\n"
        "  linecorr score --model ant --checkpoint runs/ant_tiny/best.safetensors --dataset data/synth --out-dir results\n"
        "  linecorr score --model patch-vit --checkpoint runs/vit_tiny/best.safetensors --dataset data/synth "
        "--out-dir results\n"
        "  linecorr score --method region-baselines --dataset data/synth --split test --out-dir results\n"
        "  linecorr score preds.json --dataset data/synth --split test --out result.json\n"
        "  linecorr score --check results/standard/result_nearest-aligned.json", run_score)
    p.add_argument("predictions", nargs="?", help="predictions JSON (docs/BENCHMARK.md); omit with --method / --model")
    p.add_argument("--check", nargs="+", metavar="RESULT",
                   help="re-run committed results (files or folders) from the command each records and report "
                        "any metric that drifted; exit 1 on drift (`make reproduce` checks results/)")
    p.add_argument("--update", action="store_true",
                   help="with --check: replace drifted results and their predictions by the re-run ones")
    from benchmark.baselines import BASELINES, REGION_BASELINES
    from benchmark.models import TTA_MODES
    from benchmark.models.registry import MODELS, models_help

    p.add_argument("--method", help="run a method instead: " + ", ".join([*BASELINES, "all-baselines"]) +
                                    "; or a region baseline on raw line art (region/patch protocol): " +
                                    ", ".join([*REGION_BASELINES, "region-baselines"]))
    two = [n for n, m in MODELS.items() if len(m.protocols) > 1]
    p.add_argument("--model", choices=list(MODELS),
                   help="run a trained model instead (needs --checkpoint): " + models_help() +
                        f". {', '.join(two)}: scored on the segment protocol and on the region/patch protocol "
                        "(result_<name>_regions.json)")
    p.add_argument("--checkpoint", help="checkpoint of --model, e.g. runs/ant_tiny/best.safetensors")
    p.add_argument("--protocol", choices=["segments", "regions", "both"],
                   help=f"for a model with two protocols ({', '.join(two)}): the segment protocol, the region/patch "
                        "protocol or both (default both)")
    p.add_argument("--device", default="cpu", help="device for --model: cpu, cuda, cuda:N (default cpu)")
    p.add_argument("--dataset", help="a dataset folder (project format), a folder written by `linecorr publish`, "
                                     "or the Hub id ORG/NAME of one (docs/PUBLISH.md); or use --benchmark")
    _streaming_arg(p)
    p.add_argument("--benchmark", choices=["standard", "v1", "v2"],
                   help="score on a standard synthetic benchmark instead of --dataset: standard = v1 (exact "
                        "lines, ~15 min to render on 2 cores), v2 (four line styles; only the scored split is "
                        "rendered when the full set is not there, ~15 min for test); rendered once into "
                        "$LINECORR_DATA or ~/.cache/linecorr, then reused")
    p.add_argument("--line-style", dest="line_style",
                   help="score the clips of one line style (a v2 track: exact, clean, rough, extracted); "
                        "--benchmark v2 requires it")
    p.add_argument("--gaps", metavar="1,3",
                   help="score only the pairs this many frames apart (default: all pairs; --benchmark v2: 1, "
                        "the consecutive pairs of AnT's propagation and BasicPBC's protocol)")
    p.add_argument("--split", default="test", help="split to score (default test)")
    p.add_argument("--track", default="line", choices=["line", "color"],
                   help="what --method/--model may see: line = line art only, the colorization setting (default); "
                        "color = colored frames too (benchmark.inputs)")
    p.add_argument("--out", help="result JSON path (single predictions file; default result_<method>.json)")
    p.add_argument("--out-dir", default=".", help="folder for predictions/results of --method (default .)")
    p.add_argument("--tta", choices=TTA_MODES, default="none",
                   help="with --model ant or patch-vit: test-time augmentation; hflip also runs the pair mirrored "
                        "left to right and averages the two score matrices (twice the model time; docs/ANT.md, "
                        "docs/PATCH_VIT.md). Default none")
    p.add_argument("--name", help="with --model: the method's name in the result and on the leaderboard (default "
                                  "from the model and its preset, e.g. ant-tiny), e.g. ant-tiny-v2 for a second checkpoint")
    add_config_args(p, "horizon=5", "horizon, pbc_threshold, background_label; region methods also those of "
                    "benchmark/region_score.py RegionScoreConfig (min_share, ...)")


def register_leaderboard(sub, name: str) -> None:
    p = add_command(sub, name, "build LEADERBOARD.md and a sortable HTML leaderboard from result JSONs",
                    "linecorr leaderboard results/*.json --out leaderboard", run_leaderboard)
    p.add_argument("results", nargs="+", help="result JSON files written by `linecorr score`")
    p.add_argument("--out", default="leaderboard", help="output folder (default leaderboard)")


def _bar(items, desc):
    from tqdm import tqdm

    return tqdm(items, desc=desc, file=sys.stderr, disable=None, leave=False)


def run_score(args) -> int:
    from pathlib import Path

    from benchmark.predictions import load_predictions
    from benchmark.reproduce import score_command
    from benchmark.score import PRIMARY, ScoreConfig, save_result, score
    from dataprep.config import load_config
    from dataprep.errors import LinecorrError
    from dataprep.format import open_dataset

    if args.check:
        return _check(args)
    regions = _region_job(args)
    if regions:  # the region/patch protocol's settings extend the segment protocol's
        from benchmark.region_score import RegionScoreConfig

        cfg = load_config(RegionScoreConfig, args.config, args.overrides)
        args._region_cfg = cfg
    else:
        cfg = load_config(ScoreConfig, args.config, args.overrides)
    ds = _style_view(open_dataset(_dataset_arg(args, split=args.split), streaming=args.streaming), args)
    if sum(map(bool, (args.predictions, args.method, args.model))) != 1:
        raise LinecorrError("give exactly one of: a predictions file, --method or --model")
    if args.checkpoint and not args.model:
        raise LinecorrError("--checkpoint goes with --model")
    if args.name and not args.model:
        raise LinecorrError("--name goes with --model (baselines keep their names)")
    if args.tta != "none" and not args.model:
        raise LinecorrError("--tta goes with --model (a predictions file or a baseline has no test-time augmentation)")
    if args.protocol and not _two_protocols(args):
        raise LinecorrError("--protocol goes with a --model scored on two protocols (the others have one)")
    if regions == "baselines":
        return _score_region_baselines(args, ds, cfg)
    jobs = []
    if args.predictions:
        pred = load_predictions(args.predictions)
        out = Path(args.out or f"result_{pred.method['name']}.json")
        jobs.append((pred, out, score_command([args.predictions], args)))
    elif regions == "model" and args.protocol == "regions":
        matchers = _model_matchers(args)
    else:
        from benchmark.predict import predict_split

        matchers = _model_matchers(args) if args.model else _baseline_matchers(args.method)
        # with --out (one method) and no --out-dir, the predictions go beside the result, not into the cwd
        out_dir = Path(args.out).parent if args.out and len(matchers) == 1 and args.out_dir == "." else Path(args.out_dir)
        for n, matcher in matchers:
            pred = predict_split(matcher, ds, args.split, progress=lambda it, n=n: _bar(it, f"predict {n}"),
                                 track=args.track)
            ppath = pred.save(out_dir / f"predictions_{n}.json.gz")
            print(f"wrote {ppath}")
            jobs.append((load_predictions(ppath), Path(args.out) if args.out and len(matchers) == 1
                         else out_dir / f"result_{n}.json", score_command(_method_args(args, n), args, _proto(args))))
    for pred, out, command in jobs:
        result = score(pred, ds, args.split, cfg, progress=lambda it, p=pred: _bar(it, f"score {p.method['name']}"))
        result["benchmark"].update(_view_meta(ds, args))
        result["provenance"]["command"] = command
        save_result(result, out)
        m = result["metrics"]
        print(f"{pred.method['name']}: {PRIMARY} = {100 * m.get(PRIMARY, float('nan')):.2f}%  "
              f"pbc/acc = {100 * m.get('pbc/acc', float('nan')):.2f}%  ({result['benchmark']['pairs']} pairs)")
        print(f"wrote {out}")
    if regions == "model" and args.protocol != "segments":
        from benchmark.region_score import run_region_protocol

        for n, matcher in matchers:
            out = Path(args.out) if args.out and args.protocol == "regions" else \
                Path(args.out_dir) / f"result_{n}_regions.json"
            run_region_protocol(matcher, ds, args.split, cfg, out, extra=_view_meta(ds, args),
                                command=score_command(_method_args(args, n), args, _proto(args, "regions")))
    return 0


def _method_args(args, name: str) -> list[str]:
    """How one method of this run is named on a command line (one baseline of all-baselines)."""
    if args.model:
        return ["--model", args.model, "--checkpoint", args.checkpoint] + \
            (["--device", args.device] if args.device != "cpu" else []) + (["--name", args.name] if args.name else [])
    return ["--method", name]


def _two_protocols(args) -> bool:
    """Whether ``--model`` is scored on the segment and the region protocol."""
    from benchmark.models.registry import get_model

    return bool(args.model) and len(get_model(args.model).protocols) > 1


def _proto(args, which: str = "segments") -> str | None:
    """``--protocol`` to record: only a model with two protocols has one."""
    return which if _two_protocols(args) else None


def _check(args) -> int:
    from benchmark.reproduce import check_results, report

    checks = check_results(args.check, update=args.update, progress=lambda it: _bar(it, "check"))
    print(report(checks, update=args.update))
    return 0 if all(c.ok or (args.update and not c.error) for c in checks) else 1


def _region_job(args) -> str:
    """"model" (a model with the region protocol), "baselines" (region baselines) or "" (segment protocol)."""
    from benchmark.baselines import REGION_BASELINES

    if _two_protocols(args):
        return "model"
    if args.method and (args.method == "region-baselines" or args.method in REGION_BASELINES):
        return "baselines"
    return ""


def _score_region_baselines(args, ds, cfg) -> int:
    from pathlib import Path

    from benchmark.region_baselines import REGION_BASELINES, get_region_baseline
    from benchmark.region_score import run_region_protocol
    from benchmark.reproduce import score_command

    names = list(REGION_BASELINES) if args.method == "region-baselines" else [args.method]
    for n in names:
        out = Path(args.out) if args.out and len(names) == 1 else Path(args.out_dir) / f"result_{n}_regions.json"
        run_region_protocol(get_region_baseline(n), ds, args.split, cfg, out, extra=_view_meta(ds, args),
                            command=score_command(["--method", n], args))
    return 0


def _streaming_arg(p) -> None:
    p.add_argument("--streaming", action="store_true",
                   help="with a published --dataset (Hub id or folder): read its rows as a datasets stream instead "
                        "of downloading / memory-mapping them first; frames are then read in storage order")


def _dataset_arg(args, split: str | None = None) -> str | list[str]:
    """What --dataset names (a folder, a published folder, a Hub id: ``open_dataset`` tells them
    apart; ``linecorr train`` takes several, a list), or a standard benchmark's folder (rendered on
    first use).

    With ``split``, a benchmark that is not rendered in full is rendered for that split only.
    """
    from dataprep.errors import LinecorrError

    if bool(args.dataset) == bool(args.benchmark):
        raise LinecorrError("give exactly one of --dataset DIR or --benchmark standard|v2")
    if args.dataset:
        return args.dataset
    from benchmark.standard import default_location, ensure_benchmark, get_benchmark

    bench = get_benchmark(args.benchmark)
    if bench.tracks and split is not None and not getattr(args, "line_style", None):
        raise LinecorrError(f"--benchmark {args.benchmark} has one track per line style: add --line-style "
                            f"{' / '.join(bench.tracks)}")
    full = default_location(bench.name)
    only = split if split is not None and bench.split_hashes.get(split) and not (full / "manifest.json").is_file() \
        else None
    path = ensure_benchmark(args.benchmark, split=only)
    print(f"benchmark {bench.name}: {path}", file=sys.stderr)
    return str(path)


def _view_meta(ds, args) -> dict:
    """What a result records about the part of the dataset it scored (line style, pair gaps)."""
    out = {}
    if getattr(args, "line_style", None):
        out["line_style"] = args.line_style
    if ds.pair_gaps is not None:
        out["gaps"] = ds.pair_gaps
    if getattr(args, "benchmark", None):
        from benchmark.standard import reference_record

        rec = reference_record(ds.root)  # written by ensure_benchmark just before (benchmark.standard)
        if rec:  # the reference this render stands for, and how many of its frames differ from it
            out["reference"] = {"benchmark": rec["benchmark"], "hash": rec["reference_hash"],
                                "frames_differing": len(rec["frames_differing"]), "frames": rec["frames"]}
    return out


def _style_view(ds, args):
    """``ds`` restricted to the clips of --line-style and the pairs of --gaps (``ds`` itself without them)."""
    from benchmark.standard import get_benchmark
    from dataprep.errors import LinecorrError

    gaps = getattr(args, "gaps", None)
    if gaps is None and getattr(args, "benchmark", None):
        gaps = ",".join(map(str, get_benchmark(args.benchmark).score_gaps)) or None
    style = getattr(args, "line_style", None)
    if not style and not gaps:
        return ds
    try:
        gap_set = {int(g) for g in gaps.split(",") if g.strip()} if gaps else None
    except ValueError:
        raise LinecorrError(f"--gaps {gaps!r} is not a comma-separated list of integers") from None
    clips = None
    if style:
        clips = ds.line_style_clips(style)
        if not clips:
            raise LinecorrError(f"no clip is drawn in line style {style!r}", ds.root)
    return ds.only_clips(clips, gap_set)


def _baseline_matchers(method: str) -> list:
    from benchmark.baselines import BASELINES, get_baseline

    names = list(BASELINES) if method == "all-baselines" else [method]
    return [(n, get_baseline(n)) for n in names]


def _model_matchers(args) -> list:
    from dataprep.errors import LinecorrError

    if not args.checkpoint:
        raise LinecorrError(f"--model {args.model} needs --checkpoint (a .safetensors from `linecorr train`)")
    from benchmark.models import load_matcher

    matcher = load_matcher(args.model, args.checkpoint, args.device)
    cfg = getattr(args, "_region_cfg", None)
    if cfg is not None:  # a region-protocol model takes its post-processing settings from the score config
        matcher.use_score_config(cfg)
    tta = getattr(args, "tta", "none")
    if tta != "none":
        if not hasattr(matcher, "use_tta"):
            raise LinecorrError(f"--tta {tta}: --model {args.model} has no test-time augmentation (ant and patch-vit have)")
        matcher.use_tta(tta)
    if args.name:  # a second checkpoint of one preset gets its own name on the leaderboard
        matcher.name = args.name
    return [(matcher.name, matcher)]


def register_colorize(sub, name: str) -> None:
    from benchmark.models import TTA_MODES

    p = add_command(
        sub, name, "color a sequence of line images from one colored reference frame with a trained AnT",
        "linecorr colorize --reference ref_color.png --checkpoint runs/ant_tiny/best.safetensors "
        "lines/*.png --out colored", run_colorize)
    p.add_argument("lines", nargs="+", help="line images (PNG, dark lines on white/transparent), in order")
    p.add_argument("--reference", required=True, help="colored reference frame (flat colors, dark lines)")
    p.add_argument("--reference-line", help="line image of the reference (default: recovered from its colors: "
                                            "lines divided by the fills, borders between fills as shading lines; "
                                            "where tiny regions show their fill only darkened by lines, so the colors "
                                            "cannot tell it, an error asks for this file or --estimate-fills)")
    p.add_argument("--estimate-fills", action="store_true",
                   help="without --reference-line, accept estimated fills for tiny regions whose color the colored "
                        "reference cannot tell (an eye at low resolution), with a warning naming the reference; "
                        "the reference frame may then not come back exactly")
    p.add_argument("--checkpoint", required=True, help="AnT checkpoint (.safetensors from `linecorr train ant`)")
    p.add_argument("--out", required=True, help="output folder: one flat-filled PNG per line image, same names")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N (default cpu)")
    p.add_argument("--tta", choices=TTA_MODES, default="none",
                   help="test-time augmentation: hflip also matches each pair mirrored and averages the logits "
                        "(twice the forward passes; docs/ANT.md). Default none")
    # reference_weight: the colored reference votes on every frame beside the previous frame (0 = AnT's chain)
    add_config_args(p, "reference_weight=0", "segmenter, ink_threshold, reference_weight")


def run_colorize(args) -> int:
    from benchmark.models.ant.colorize import ColorizeConfig, colorize_files
    from benchmark.models.ant.matcher import AntMatcher
    from dataprep.config import load_config

    cfg = load_config(ColorizeConfig, args.config, args.overrides)
    matcher = AntMatcher.from_checkpoint(args.checkpoint, args.device)
    matcher.use_tta(args.tta)
    colorize_files(args.reference, args.lines, args.out, matcher, args.reference_line, cfg,
                   progress=lambda items: _bar(items, "colorize"), estimate_fills=args.estimate_fills)
    print(f"wrote {len(args.lines)} colored frames to {args.out}")
    return 0


def run_leaderboard(args) -> int:
    from benchmark.leaderboard import build_leaderboard

    md, page = build_leaderboard(args.results, args.out)
    print(f"wrote {md}")
    print(f"wrote {page}")
    return 0
