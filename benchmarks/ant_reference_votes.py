"""Does letting the colored reference frame vote on every frame stop AnT's errors compounding?

AnT's protocol (``ant/accuracy@recursive10``, the leaderboard's) carries labels down a chain: frame
t+1 takes the labels its matches vote for in frame t's *predicted* labels (eq. 3), so one wrong
label is copied on through the window. ``linecorr colorize`` also has the colored reference itself,
for every frame: with ``ColorizeConfig.reference_weight`` w > 0 each frame after the first sums the
votes of the previous frame (weight 1) and of the reference (weight w)
(``benchmark.metrics.vote_labels``). This measures that on a split, window by window as the
scorer cuts a clip (``propagation_clips``: one GT reference, 10 targets), for several weights, with
the scorer's own ``evaluate_propagation``. w = 0 is exactly ``accuracy@recursive10``.

It is a different use of the reference than the benchmark's protocol, which has one source per
step, so its figures are not leaderboard results: they say what ``colorize`` gains. Choose the
weight on a val split (the default), then read test once.

Example:
    python benchmarks/ant_reference_votes.py --checkpoint results/standard/runs/ant-small-v1/best.safetensors \\
        --benchmark v2 --line-style exact --clips 1 --weights 0,1.5
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # script_args.py beside this script, however it is loaded
from script_args import add_checkpoint_split_args, open_dataset_source, parser, split_clips


def window_logits(matcher, ds, clips: list[str], progress=None) -> dict[str, tuple[list, dict, list, list]]:
    """Per clip: the ``(N_{t+1}, N_t)`` logits of its consecutive pairs, the ``(N_t, N_s)`` logits of
    every target ``t`` against its window's reference frame ``s`` (``{(s, t): logits}``, for ``t >= s +
    2``; ``t = s + 1`` is the consecutive pair), and the GT labels and areas of its frames."""
    from benchmark.inputs import visible_frame
    from benchmark.metrics import propagation_clips

    out = {}
    for clip in progress(clips) if progress else clips:
        names = ds.clip(clip).frames
        frames = [visible_frame(ds.load_frame(clip, f), "line") for f in names]  # what the model may see

        def logits(a, b):
            if len(a.segments) and len(b.segments):
                return matcher.logits(a, b).double().cpu()
            return torch.zeros(len(b.segments), len(a.segments), dtype=torch.float64)

        consecutive = [logits(a, b) for a, b in itertools.pairwise(frames)]
        to_ref = {(w.start, t): logits(frames[w.start], frames[t])
                  for w in propagation_clips(len(frames), 10) for t in w[2:]}
        tables = [ds.load_segments(clip, f) for f in names]  # GT labels, for scoring only
        out[clip] = (consecutive, to_ref, [t.label for t in tables], [t.area for t in tables])
    return out


def _window_predictor(consecutive: list, to_ref: dict, ref_labels: np.ndarray, s: int, weight: float):
    """``predict(t, labels_t) -> labels_{t+1}`` of the window whose GT reference is frame ``s``
    (``t`` counts from ``s``): the previous frame's votes plus ``weight`` times the reference's."""
    from benchmark.metrics import vote_with_reference

    def predict(t: int, labels_t: np.ndarray) -> np.ndarray:
        # target s + t + 1 against the window's GT reference s (for t = 0 frame t is the reference)
        to_reference = (lambda: to_ref[(s, s + t + 1)].softmax(1).numpy()) if t > 0 else None
        return vote_with_reference(labels_t, consecutive[s + t].softmax(1).numpy(), ref_labels, to_reference, weight)

    return predict


def reference_vote_scores(per_clip: dict, weight: float) -> dict[str, float]:
    """Mean ``accuracy`` and ``miou`` over windows, labels propagated with the reference's votes
    weighted ``weight`` (0 = the benchmark's ``@recursive10``)."""
    from benchmark.metrics import PropagationConfig, evaluate_propagation, propagation_clips

    acc, miou = [], []
    for consecutive, to_ref, labels, areas in per_clip.values():
        for w in propagation_clips(len(labels), 10):
            predict = _window_predictor(consecutive, to_ref, labels[w.start], w.start, weight)
            res = evaluate_propagation(labels[w.start:w.stop], predict, PropagationConfig(horizon=10),
                                       areas=areas[w.start:w.stop])
            acc.append(res.accuracy)
            miou.append(res.mean_iou)
    return {"accuracy": float(np.nanmean(acc)), "miou": float(np.nanmean(miou))}


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__)
    add_checkpoint_split_args(ap)
    ap.add_argument("--tta", default="hflip", help="test-time augmentation of the matcher: none or hflip (default)")
    ap.add_argument("--weights", default="0,0.5,1,1.5,2,3",
                    help="reference weights to compare, comma-separated (default 0,0.5,1,1.5,2,3; 0 = plain chain)")
    args = ap.parse_args(argv)

    from tqdm import tqdm

    from benchmark.models.ant.matcher import AntMatcher
    from dataprep.errors import LinecorrError, one_line_warnings

    torch.set_num_threads(args.threads)
    try:
        weights = [float(x) for x in args.weights.split(",") if x.strip()]
        if not weights or any(not np.isfinite(w) or w < 0 for w in weights):
            raise LinecorrError(f"--weights {args.weights!r}: give finite weights >= 0, e.g. 0,1.5")
        with one_line_warnings("ant_reference_votes"):
            view = open_dataset_source(args)
            clips = split_clips(view, args)
            matcher = AntMatcher.from_checkpoint(args.checkpoint)
            matcher.use_tta(args.tta)
            t0 = time.time()
            per_clip = window_logits(matcher, view, clips, lambda it: tqdm(
                it, desc="clips", file=sys.stderr, disable=None, leave=False))
    except (LinecorrError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{len(clips)} {args.split} clips ({args.line_style or 'every style'}), tta {args.tta}, "
          f"forward {time.time() - t0:.0f} s; weight 0 = the benchmark's accuracy@recursive10")
    print(f"{'reference weight':>16} | {'accuracy':>8} {'mIoU':>6}")
    for w in weights:
        m = reference_vote_scores(per_clip, w)
        print(f"{w:16g} | {100 * m['accuracy']:8.2f} {100 * m['miou']:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
