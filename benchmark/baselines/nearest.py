"""Baseline: nearest segment after a global alignment ("warp and vote").

Each target segment's pixels are mapped back into frame A by the estimated global motion; the
source segment under them collects a vote per pixel. Scores are vote shares, so a target segment
straddling two source segments matches both in proportion. Segments whose pixels land on line
pixels only fall back to the source segment with the nearest aligned centroid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.baselines.features import estimate_alignment
from dataprep.format import Frame


@dataclass
class NearestConfig:
    """Settings of :class:`NearestSegment`."""

    max_pixels: int = 400  # pixels sampled per target segment (votes); more = slower, smoother
    refine: bool = True  # refine the bbox alignment by phase correlation of the line images
    seed: int = 0  # pixel sampling seed (results are deterministic)


class NearestSegment:
    """Training-free matcher: global alignment, then per-pixel votes in the source label map."""

    name = "nearest-aligned"

    def __init__(self, cfg: NearestConfig | None = None) -> None:
        self.cfg = cfg or NearestConfig()

    def match(self, fa: Frame, fb: Frame) -> np.ndarray:
        """Scores ``(N_b, N_a) float64`` in [0, 1], rows = target segments (table order)."""
        ta, tb = fa.segments, fb.segments
        scores = np.zeros((len(tb), len(ta)))
        if len(ta) == 0 or len(tb) == 0:
            return scores
        tf = estimate_alignment(fa, fb, self.cfg.refine)
        rng = np.random.default_rng(self.cfg.seed)
        h, w = fa.seg.shape
        col_of = np.full(int(ta.ids.max()) + 1, -1, np.int64)
        col_of[ta.ids] = np.arange(len(ta))
        flat = fb.seg.ravel()
        order = np.argsort(flat, kind="stable")  # pixels grouped by segment id, one sort for all
        starts = np.searchsorted(flat[order], tb.ids)
        for row, (start, n) in enumerate(zip(starts, tb.area)):
            idx = order[start:start + n]
            if n > self.cfg.max_pixels:
                idx = rng.choice(idx, self.cfg.max_pixels, replace=False)
            ys, xs = np.divmod(idx, fb.seg.shape[1])
            pa = tf.inverse(np.stack([xs, ys], 1).astype(np.float64))
            xa = np.clip(np.round(pa[:, 0]).astype(np.int64), 0, w - 1)
            ya = np.clip(np.round(pa[:, 1]).astype(np.int64), 0, h - 1)
            src = fa.seg[ya, xa]
            src = src[src > 0]
            if src.size:
                cols = col_of[src]
                scores[row] = np.bincount(cols[cols >= 0], minlength=len(ta)) / src.size
            else:
                c = tf.inverse(tb.centroid[row:row + 1])
                scores[row, np.argmin(np.linalg.norm(ta.centroid - c, axis=1))] = 1.0
        return scores
