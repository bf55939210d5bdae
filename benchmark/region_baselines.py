"""Training-free region predictors for the region/patch protocol (``benchmark.region_score``).

``tb-<matcher>``: trapped-ball segmentation of each raw line image (``dataprep.segment``, the
classical answer to "no segmentation given", robust to small gaps) and a training-free segment
matcher of ``benchmark.baselines`` run both ways (A->B and B->A). A region's match in each
direction is its best-scoring partner (score > 0); the union of the two directions is the
prediction, as for the patch-ViT.

Their patch-level similarity (so they get Table-1 numbers too) comes from the same regions at the
same 16-px patch grid: each patch takes the segment covering most of its pixels; intra-image
entries are 1 for patches of one segment and 0 otherwise, cross-image entries are the matcher's
segment score (the mean of both directions). Only line art is used (no color image), like the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from benchmark.baselines import REGION_BASELINES
from benchmark.region_score import RegionPrediction
from dataprep.segment.config import TrappedBallConfig


@dataclass
class RegionBaselineConfig:
    """Settings of :class:`SegmentThenMatch`."""

    segmenter: TrappedBallConfig = field(default_factory=TrappedBallConfig)  # trapped-ball fill of the line art
    image_size: int = 512  # letterbox side of the patch grid used for the patch-level scores
    patch_size: int = 16  # patch side (the model's)


def line_frame(frame, seg: np.ndarray):
    """A copy of ``frame`` whose segments are ``seg`` and that carries no color (line art only)."""
    from dataclasses import replace

    from dataprep.format.segtable import compute_segment_table

    return replace(frame, seg=seg, segments=compute_segment_table(seg), color=None, alpha=None, labels=None)


def best_partners(scores: np.ndarray) -> list[tuple[int, int]]:
    """``(row, col)`` of each row's best column, for rows whose best score is > 0."""
    if scores.size == 0:
        return []
    best = scores.argmax(1)
    return [(i, int(j)) for i, j in enumerate(best) if scores[i, j] > 0]


class SegmentThenMatch:
    """Trapped-ball regions from the line art, matched by a training-free segment matcher both ways."""

    def __init__(self, matcher_name: str, cfg: RegionBaselineConfig | None = None, matcher=None) -> None:
        """``matcher``: any segment matcher (``match(fa, fb) -> (N_b, N_a)`` scores on line art only,
        e.g. a trained ``PatchVitMatcher``) instead of the baseline ``matcher_name``, which then
        only names it."""
        from benchmark.baselines import get_baseline

        self.cfg = cfg or RegionBaselineConfig()
        self.matcher = matcher if matcher is not None else get_baseline(matcher_name)
        self.name = f"tb-{matcher_name}"

    def segment(self, frame) -> np.ndarray:
        """``(H, W) int32`` trapped-ball segments of the frame's raw line art."""
        from dataprep.segment import segment_trapped_ball

        return segment_trapped_ball(frame.line_raw, self.cfg.segmenter)

    def predict(self, fa, fb) -> RegionPrediction:
        ga, gb = line_frame(fa, self.segment(fa)), line_frame(fb, self.segment(fb))
        ids_a, ids_b = ga.segments.ids, gb.segments.ids
        s_ba = self.matcher.match(ga, gb)  # (N_b, N_a)
        s_ab = self.matcher.match(gb, ga)  # (N_a, N_b)
        pairs = {(int(ids_a[j]), int(ids_b[i])) for i, j in best_partners(s_ba)}
        pairs |= {(int(ids_a[i]), int(ids_b[j])) for i, j in best_partners(s_ab)}
        matches = np.array(sorted(pairs), np.int64).reshape(-1, 2)
        cross = 0.5 * (s_ab + s_ba.T) if s_ab.size else np.zeros((len(ids_a), len(ids_b)))
        sim = self.patch_similarity(ga.seg, gb.seg, ids_a, ids_b, cross)
        return RegionPrediction(ga.seg, gb.seg, matches, sim, self.cfg.image_size, self.cfg.patch_size)

    def patch_similarity(self, seg_a: np.ndarray, seg_b: np.ndarray, ids_a: np.ndarray, ids_b: np.ndarray,
                         cross: np.ndarray) -> np.ndarray:
        """``(2N, 2N)`` patch scores from segments: 1/0 within an image, segment scores across."""
        from benchmark.metrics.patch import patch_region_ids
        from benchmark.models.vit.inputs import letterbox_for

        p = self.cfg.patch_size
        pa = patch_region_ids(letterbox_for(seg_a.shape, self.cfg.image_size, p).labels(seg_a), p, 0.0)
        pb = patch_region_ids(letterbox_for(seg_b.shape, self.cfg.image_size, p).labels(seg_b), p, 0.0)
        n = pa.size
        sim = np.zeros((2 * n, 2 * n))
        sim[:n, :n] = (pa[:, None] == pa[None, :]) & (pa[:, None] > 0)
        sim[n:, n:] = (pb[:, None] == pb[None, :]) & (pb[:, None] > 0)
        row_a = np.searchsorted(ids_a, pa)
        row_b = np.searchsorted(ids_b, pb)
        ok_a, ok_b = pa > 0, pb > 0
        block = np.zeros((n, n))
        if cross.size:
            block[np.ix_(ok_a, ok_b)] = cross[np.ix_(row_a[ok_a], row_b[ok_b])]
        sim[:n, n:], sim[n:, :n] = block, block.T
        return sim


def get_region_baseline(name: str, cfg: RegionBaselineConfig | None = None) -> SegmentThenMatch:
    """A region baseline by name (``REGION_BASELINES``)."""
    from dataprep.errors import LinecorrError

    if name not in REGION_BASELINES:
        raise LinecorrError(f"unknown region baseline {name!r} (known: {', '.join(REGION_BASELINES)})")
    return SegmentThenMatch(REGION_BASELINES[name], cfg)
