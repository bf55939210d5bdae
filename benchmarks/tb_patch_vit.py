"""Is the patch-ViT's region recall limited by its regions or by its similarity? Trapped-ball regions
matched by the model.

The patch-ViT's regions come from clustering 16-px patches (docs/PATCH_VIT.md, "Post-processing");
on `extracted` lines the trapped-ball baselines, whose regions the line art encloses, score higher
region precision and recall. This scores, on the same pairs and in the same run, the trapped-ball
regions matched three ways: the `tb-hungarian-features` and `tb-nearest-aligned` baselines, and the
patch-ViT's own segment similarity (``PatchVitMatcher.match``: its normalised patch similarity
averaged over each region's patches, best partner both ways, as the baselines). If the model's
similarity matched regions well, the third would lead: the partition is the same for all three.

Example:
    LINECORR_DATA=/work/data python benchmarks/tb_patch_vit.py \\
        --checkpoint results/v2/runs/patch-vit-small/best.safetensors --benchmark v2 --line-style extracted --pairs 24
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # script_args.py beside this script, however it is loaded
from script_args import add_dataset_source, open_dataset_source, parser


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__)
    ap.add_argument("--checkpoint", required=True, help="a patch-ViT .safetensors from `linecorr train patch-vit`")
    add_dataset_source(ap)
    ap.add_argument("--split", default="val", help="split (default val)")
    ap.add_argument("--pairs", type=int, default=24, help="GT pairs, spread evenly over the split (default 24; 0 = all)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--tta", default="none", help="the model's test-time augmentation, as `linecorr score --tta`: "
                                                  "none (default) or hflip")
    args = ap.parse_args(argv)

    import torch
    from tqdm import tqdm

    from benchmark.models.vit.matcher import PatchVitMatcher
    from benchmark.region_baselines import SegmentThenMatch, get_region_baseline
    from benchmark.region_score import RegionScoreConfig, score_regions
    from dataprep.errors import LinecorrError, one_line_warnings

    torch.set_num_threads(args.threads)
    cfg = RegionScoreConfig(max_pairs=args.pairs)
    rows = []
    try:
        with one_line_warnings("tb_patch_vit"):
            view = open_dataset_source(args)
            model = PatchVitMatcher.from_checkpoint(args.checkpoint)
            model.use_tta(args.tta)
            predictors = [get_region_baseline("tb-hungarian-features"), get_region_baseline("tb-nearest-aligned"),
                          SegmentThenMatch("patch-vit", matcher=model)]
            for pred in predictors:
                t0 = time.time()
                m = score_regions(pred, view, args.split, cfg, progress=lambda it, name=pred.name: tqdm(
                    it, desc=name, file=sys.stderr, disable=None, leave=False))["metrics"]
                rows.append((pred.name, m, time.time() - t0))
    except LinecorrError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{args.split} split ({args.line_style or 'every style'}), {args.pairs or 'all'} pairs; "
          "trapped-ball regions for all three (the reference rows first)")
    print(f"{'regions matched by':>24} | {'region P':>8} {'region R':>8} {'ARI':>6} | {'time':>5}")
    for name, m, dt in rows:
        print(f"{name:>24} | {100 * m['region/precision']:8.2f} {100 * m['region/recall']:8.2f} "
              f"{100 * m['region/ari']:6.2f} | {dt:4.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
