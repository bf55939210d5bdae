"""Demo step: trapped-ball segmentation of the line art, scored against the exact partition."""

from __future__ import annotations

import numpy as np

from linecorr.demo.report import StepResult


def step_segment(ctx) -> StepResult:
    """Re-segment every line image with the trapped-ball fill; ARI / IoU against the ground truth."""
    from dataprep.format import Dataset
    from dataprep.segment import partition_scores
    from dataprep.segment.dataset import SegmentJobConfig, segment_to_dataset

    src = Dataset.open(ctx.paths["data"])
    out = segment_to_dataset(src.root, ctx.out / "segmented", SegmentJobConfig(method="trapped_ball"),
                             overwrite=True, workers=2)
    seg = Dataset.open(out)
    rows = [partition_scores(seg.load_seg(c, f), src.load_seg(c, f), min_area=64)
            for c in src.clip_ids for f in src.clip(c).frames]
    ari = float(np.mean([r["ari"] for r in rows]))
    g2p = float(np.mean([r["miou_g2p"] for r in rows]))
    details = {"frames": len(rows), "mean ARI": f"{ari:.4f}", "mean IoU GT->pred (segments >= 64 px)": f"{g2p:.4f}",
               "pairs re-derived from labels": len(seg.pair_ids())}
    return StepResult("segment (trapped-ball)", 0, f"{len(rows)} frames: mean ARI {ari:.4f}, "
                      f"IoU {g2p:.4f} against the exact partition", details, outputs=[out])
