"""Region-level metrics of the manga region-correspondence paper (Li et al., Table 2).

Per image, a predicted region map is compared with the GT segment map; per pair, predicted
region matches are compared with the GT matches. All maps are ``(H, W) int`` with ``0`` = line
pixels. Only pixels that are *not* line in the GT map are evaluated (lines belong to no region).
A predicted ``0`` on such a pixel means "unassigned": the pixel still counts in GT region sizes,
but ``0`` is never a predicted region (not in P→G, not in the cluster ratio, never a best match).
GT regions are the segments of the GT map, background included; to leave the background out,
set its pixels to 0 in the GT map.

Definitions (the paper gives names and one sentence each; our reading):
    * ARI: adjusted Rand index between the two labelings of the evaluated pixels (equal to
      ``sklearn.metrics.adjusted_rand_score``; a predicted 0 is one more cluster there).
    * mIoU P→G: for each predicted region the best IoU with any GT region, averaged over
      predicted regions; G→P: for each GT region the best IoU with any predicted region,
      averaged over GT regions.
    * Cluster ratio: "the average number of predicted regions per ground-truth region", i.e.
      #predicted regions / #GT regions of the image; best at 1 (< 1 under-, > 1 over-segmented).
    * Region precision / recall ("computed using predicted region pairs with purity > 0.8",
      after scene-graph triplet recall, Xu et al. 2017). The purity of a predicted region is the
      share of its evaluated pixels inside its dominant GT region. A predicted pair (Ri, Rj) is
      *pure* when both regions have purity > 0.8, and *correct* when it is pure and the dominant
      GT regions (gi, gj) form a GT match. Precision = correct / pure predicted pairs (impure
      pairs are not "meaningful" and are left out, as the paper says; ``strict=True`` divides by
      all predicted pairs instead). Recall = GT pairs (gi, gj) hit by at least one correct
      predicted pair / all GT pairs. ``nan`` when a denominator is 0.
"""

from __future__ import annotations

import numpy as np

from benchmark.metrics.registry import register

# The overlap table and the region-pair scores are the core's (dataprep/overlap.py), which the
# labeller's --eval uses too; they are part of this module's API.
from dataprep.overlap import (  # noqa: F401
    PURITY_THRESHOLD,
    Overlap,
    overlap,
    region_match_scores,
    region_purity,
)


def _comb2(x) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.sum(x * (x - 1) / 2))


@register(
    "region/ari",
    higher_is_better=True,
    level="region",
    description="adjusted Rand index of predicted regions vs GT segments (non-line pixels)",
)
def adjusted_rand_index(pred_map, gt_map) -> float:
    """ARI of the predicted vs GT partition of the GT's non-line pixels.

    Args:
        pred_map: ``(H, W) int`` predicted region ids.
        gt_map: ``(H, W) int`` GT segment ids, 0 = line.

    Returns:
        ARI in [-1, 1] (1.0 for identical partitions, as scikit-learn).
    """
    return _ari(overlap(pred_map, gt_map))


def _ari(ov: Overlap) -> float:
    n = int(ov.gt_size.sum())
    index = _comb2(ov.cell_count)
    sum_p, sum_g = _comb2(ov.pred_size), _comb2(ov.gt_size)
    expected = sum_p * sum_g / _comb2([n]) if n > 1 else 0.0
    max_index = (sum_p + sum_g) / 2
    if max_index == expected:  # both partitions all-singletons or both one cluster: identical
        return 1.0
    return float((index - expected) / (max_index - expected))


def _cell_iou(ov: Overlap) -> np.ndarray:
    return ov.cell_count / (ov.pred_size[ov.cell_pred] + ov.gt_size[ov.cell_gt] - ov.cell_count)


@register(
    "region/miou_p2g",
    higher_is_better=True,
    level="region",
    description="mean over predicted regions of the best IoU with a GT region",
)
def miou_pred_to_gt(pred_map, gt_map) -> float:
    """Mean over predicted regions (id != 0) of their best IoU with any GT region.

    Args:
        pred_map: ``(H, W) int`` predicted region ids.
        gt_map: ``(H, W) int`` GT segment ids, 0 = line.

    Returns:
        mIoU in [0, 1]; ``nan`` when no predicted region covers an evaluated pixel.
    """
    return _miou_p2g(overlap(pred_map, gt_map))


def _miou_p2g(ov: Overlap) -> float:
    best = np.zeros(ov.pred_ids.size)
    np.maximum.at(best, ov.cell_pred, _cell_iou(ov))
    regions = ov.pred_ids != 0
    return float(best[regions].mean()) if regions.any() else float("nan")


@register(
    "region/miou_g2p",
    higher_is_better=True,
    level="region",
    description="mean over GT regions of the best IoU with a predicted region",
)
def miou_gt_to_pred(pred_map, gt_map) -> float:
    """Mean over GT regions of their best IoU with any predicted region (id != 0).

    Args:
        pred_map: ``(H, W) int`` predicted region ids.
        gt_map: ``(H, W) int`` GT segment ids, 0 = line.

    Returns:
        mIoU in [0, 1].
    """
    return _miou_g2p(overlap(pred_map, gt_map))


def _miou_g2p(ov: Overlap) -> float:
    best = np.zeros(ov.gt_ids.size)
    real = ov.pred_ids[ov.cell_pred] != 0  # "unassigned" is no region to match
    np.maximum.at(best, ov.cell_gt[real], _cell_iou(ov)[real])
    return float(best.mean())


@register(
    "region/cluster_ratio",
    higher_is_better=None,
    target=1.0,
    level="region",
    description="predicted regions per GT region (1 = balanced, <1 under-, >1 over-segmented)",
)
def cluster_ratio(pred_map, gt_map) -> float:
    """Number of predicted regions (id != 0) over number of GT regions, on evaluated pixels.

    Args:
        pred_map: ``(H, W) int`` predicted region ids.
        gt_map: ``(H, W) int`` GT segment ids, 0 = line.
    """
    return _cluster_ratio(overlap(pred_map, gt_map))


def _cluster_ratio(ov: Overlap) -> float:
    return float(np.count_nonzero(ov.pred_ids) / ov.gt_ids.size)


@register(
    "region/precision",
    higher_is_better=True,
    level="region_pair",
    description="share of pure (purity > 0.8) predicted region pairs that match GT",
)
def region_precision(pred_a, pred_b, pred_matches, gt_a, gt_b, gt_matches) -> float:
    """Region precision over pure predicted pairs; arguments as ``region_match_scores``."""
    return region_match_scores(pred_a, pred_b, pred_matches, gt_a, gt_b, gt_matches)["precision"]


@register(
    "region/recall",
    higher_is_better=True,
    level="region_pair",
    description="share of GT region pairs recovered by a correct pure predicted pair",
)
def region_recall(pred_a, pred_b, pred_matches, gt_a, gt_b, gt_matches) -> float:
    """Region recall; arguments as ``region_match_scores``."""
    return region_match_scores(pred_a, pred_b, pred_matches, gt_a, gt_b, gt_matches)["recall"]


def image_region_metrics(pred_map, gt_map) -> dict[str, float]:
    """ARI, both mIoUs and the cluster ratio of one image, keyed by registry name."""
    ov = overlap(pred_map, gt_map)
    return {
        "region/ari": _ari(ov),
        "region/miou_p2g": _miou_p2g(ov),
        "region/miou_g2p": _miou_g2p(ov),
        "region/cluster_ratio": _cluster_ratio(ov),
    }


def region_metrics(pred_a, pred_b, pred_matches, gt_a, gt_b, gt_matches) -> dict[str, dict[str, float]]:
    """All region metrics of a pair, laid out like the paper's Table 2.

    Returns:
        ``{"intra_a": image_region_metrics(A), "intra_b": image_region_metrics(B),
        "cross": {"region/precision": ..., "region/recall": ...}}``.
    """
    scores = region_match_scores(pred_a, pred_b, pred_matches, gt_a, gt_b, gt_matches)
    return {
        "intra_a": image_region_metrics(pred_a, gt_a),
        "intra_b": image_region_metrics(pred_b, gt_b),
        "cross": {"region/precision": scores["precision"], "region/recall": scores["recall"]},
    }


@register(
    "region/matches",
    higher_is_better=None,
    level="count",
    description="predicted region pairs per image pair (a count beside the scores, not ranked)",
)
def region_match_count(pred_a, pred_b, pred_matches, gt_a, gt_b, gt_matches) -> float:
    """Number of predicted region pairs; arguments as ``region_match_scores``."""
    return region_match_scores(pred_a, pred_b, pred_matches, gt_a, gt_b, gt_matches)["n_pred_pairs"]
