"""Baseline: optimal one-to-one assignment on hand-crafted segment features.

Cost between source segment a and target segment b (after global alignment):
``w_pos * |c_b - T(c_a)| / diag + w_area * |log A_b - log A_a - 2 log s| + w_color * dE(a, b) / 100
+ w_shape * mean|hu_a - hu_b| / 10 + w_aspect * |aspect_a - aspect_b|``. The Hungarian algorithm
(scipy's ``linear_sum_assignment``) picks the cheapest one-to-one matching; pairs costlier than
``max_cost`` stay unmatched. Scores are one-hot on the assignment, with a soft ``exp(-cost/τ)``
second choice so label propagation can still use near-misses when a row is unassigned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from benchmark.baselines.features import estimate_alignment, segment_features
from dataprep.format import Frame


@dataclass
class HungarianConfig:
    """Settings of :class:`HungarianMatcher` (weights of the cost terms)."""

    w_pos: float = 4.0  # aligned centroid distance, in units of the image diagonal
    w_area: float = 0.5  # |log area ratio| after the global scale
    w_color: float = 1.0  # CIE-Lab distance / 100
    w_shape: float = 0.3  # mean absolute difference of log Hu moments / 10
    w_aspect: float = 0.2  # |log bbox aspect ratio difference|
    max_cost: float = 1.5  # assignments costlier than this are dropped (segment unmatched)
    soft_tau: float = 0.25  # temperature of the soft fallback scores of unassigned rows


class HungarianMatcher:
    """Training-free matcher: Hungarian assignment on position, area, shape (and color on the color track)."""

    name = "hungarian-features"

    def __init__(self, cfg: HungarianConfig | None = None) -> None:
        self.cfg = cfg or HungarianConfig()

    def cost(self, fa: Frame, fb: Frame) -> np.ndarray:
        """Cost matrix ``(N_b, N_a) float64``."""
        c = self.cfg
        tf = estimate_alignment(fa, fb)
        a, b = segment_features(fa), segment_features(fb)
        diag = float(np.hypot(*fb.seg.shape))
        pos = np.linalg.norm(b["centroid"][:, None] - tf.apply(a["centroid"])[None], axis=2) / diag
        area = np.abs(b["log_area"][:, None] - a["log_area"][None] - 2 * np.log(tf.scale))
        color = np.linalg.norm(b["lab"][:, None] - a["lab"][None], axis=2) / 100
        shape = np.abs(b["hu"][:, None] - a["hu"][None]).mean(axis=2) / 10
        aspect = np.abs(b["aspect"][:, None] - a["aspect"][None])
        return c.w_pos * pos + c.w_area * area + c.w_color * color + c.w_shape * shape + c.w_aspect * aspect

    def match(self, fa: Frame, fb: Frame) -> np.ndarray:
        """Scores ``(N_b, N_a) float64``: 1 on the assignment, soft scores < 1 elsewhere."""
        nb, na = len(fb.segments), len(fa.segments)
        if na == 0 or nb == 0:
            return np.zeros((nb, na))
        cost = self.cost(fa, fb)
        rows, cols = linear_sum_assignment(cost)
        keep = cost[rows, cols] <= self.cfg.max_cost
        scores = np.exp(-(cost - cost.min(axis=1, keepdims=True)) / self.cfg.soft_tau) * 0.5
        scores[rows[keep]] = 0.0
        scores[rows[keep], cols[keep]] = 1.0
        return scores
