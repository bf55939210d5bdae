"""Does another normalisation of AnT's match logits, or mirroring at test time, propagate labels better?

AnT turns its logits into S by a softmax over the source segments of each target (a row) and
propagates labels with eq. 3 (summed S per label). Feature matchers often normalise both ways
instead (dual softmax, Sinkhorn), which favours one-to-one matches. This runs a checkpoint once per
consecutive pair of a split (validation by default: this is a choice to tune, never on test), then
scores AnT's 10-frame propagation, recursive and not, with each normalisation of the same logits.
With ``--tta none,hflip`` (the default) it does so for the logits as drawn and for the logits
averaged with those of the mirrored pair (``AntMatcher`` ``tta="hflip"``, ``linecorr score --tta``).

Example:
    python benchmarks/ant_normalisation.py --checkpoint results/v2/runs/ant-small/best.safetensors \\
        --benchmark v2 --line-style exact --clips 2
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # script_args.py beside this script, however it is loaded
from script_args import add_checkpoint_split_args, open_dataset_source, parser, split_clips


def _sinkhorn(logits: torch.Tensor, iters: int) -> torch.Tensor:
    """Rows of ``exp(logits)`` scaled towards a doubly stochastic matrix (log domain), rows summing to 1."""
    la = logits.clone()
    for _ in range(iters):
        la = la - la.logsumexp(1, keepdim=True)
        la = la - la.logsumexp(0, keepdim=True)
    return (la - la.logsumexp(1, keepdim=True)).exp()


#: name -> ``(N_b, N_a) logits -> (N_b, N_a) scores``; "row" is AnT's S.
NORMALISATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "row": lambda x: x.softmax(1),
    "row, T 0.5": lambda x: (x / 0.5).softmax(1),
    "row, T 2": lambda x: (x / 2).softmax(1),
    "dual softmax": lambda x: x.softmax(1) * x.softmax(0),
    "sinkhorn 3": lambda x: _sinkhorn(x, 3),
    "sinkhorn 10": lambda x: _sinkhorn(x, 10),
    "argmax": lambda x: torch.nn.functional.one_hot(x.argmax(1), x.shape[1]).to(x.dtype),
}


def clip_logits(matcher, ds, clips: list[str], progress=None) -> dict[str, tuple[list, list, list]]:
    """Per clip: the ``(N_{t+1}, N_t) float64`` logits of its consecutive pairs (``matcher.logits``,
    so with the matcher's test-time augmentation), GT labels and areas."""
    from benchmark.inputs import visible_frame

    out = {}
    for clip in progress(clips) if progress else clips:
        names = ds.clip(clip).frames
        frames = [visible_frame(ds.load_frame(clip, f), "line") for f in names]  # what the model may see
        logits = [matcher.logits(a, b).double().cpu() if len(a.segments) and len(b.segments)
                  else torch.zeros(len(b.segments), len(a.segments), dtype=torch.float64)
                  for a, b in itertools.pairwise(frames)]
        tables = [ds.load_segments(clip, f) for f in names]  # GT labels, for scoring only
        out[clip] = (logits, [t.label for t in tables], [t.area for t in tables])
    return out


def propagation_scores(per_clip: dict, norm: Callable[[torch.Tensor], torch.Tensor]) -> dict[str, float]:
    """Mean ``accuracy@recursive10``, ``miou@recursive10`` and ``accuracy@nonrecursive10`` over windows."""
    from benchmark.metrics import PropagationConfig, evaluate_sequence

    acc: dict[str, list[float]] = {"accuracy@recursive10": [], "miou@recursive10": [], "accuracy@nonrecursive10": []}
    for logits, labels, areas in per_clip.values():
        steps = [norm(x).numpy() for x in logits]
        for recursive, tag in ((True, "recursive10"), (False, "nonrecursive10")):
            res = evaluate_sequence(labels, steps, PropagationConfig(horizon=10, recursive=recursive), areas=areas)
            acc[f"accuracy@{tag}"] += [r.accuracy for r in res]
            if recursive:
                acc["miou@recursive10"] += [r.mean_iou for r in res]
    return {k: float(np.nanmean(v)) for k, v in acc.items()}


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__)
    add_checkpoint_split_args(ap)
    ap.add_argument("--tta", default="none,hflip", help="test-time augmentations to compare, comma-separated "
                                                         "(default none,hflip)")
    args = ap.parse_args(argv)

    from tqdm import tqdm

    from benchmark.models.ant.matcher import AntMatcher
    from dataprep.errors import LinecorrError, one_line_warnings

    torch.set_num_threads(args.threads)
    try:
        with one_line_warnings("ant_normalisation"):
            view = open_dataset_source(args)
            clips = split_clips(view, args)
            matcher = AntMatcher.from_checkpoint(args.checkpoint)
            modes = [m.strip() for m in args.tta.split(",") if m.strip()]
            per_mode, forward_s = {}, {}
            for mode in modes:
                matcher.use_tta(mode)
                t0 = time.time()
                per_mode[mode] = clip_logits(matcher, view, clips, lambda it, m=mode: tqdm(
                    it, desc=f"clips, tta {m}", file=sys.stderr, disable=None, leave=False))
                forward_s[mode] = time.time() - t0
    except LinecorrError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{len(clips)} {args.split} clips ({args.line_style or 'every style'}), forward "
          + ", ".join(f"{forward_s[m]:.0f} s (tta {m})" for m in modes))
    print(f"{'tta':>5} {'normalisation':>14} | {'acc@rec10':>9} {'mIoU@rec10':>10} | {'acc@nonrec10':>12}")
    for mode in modes:
        for name, norm in NORMALISATIONS.items():
            m = propagation_scores(per_mode[mode], norm)
            print(f"{mode:>5} {name:>14} | {100 * m['accuracy@recursive10']:9.2f} {100 * m['miou@recursive10']:10.2f} | "
                  f"{100 * m['accuracy@nonrecursive10']:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
