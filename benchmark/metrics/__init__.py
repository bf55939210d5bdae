"""Correspondence metrics: numpy only, each registered with its direction.

- ``segment``: AnT accuracy / mean IoU and the PaintBucket-Character (BasicPBC) metrics of one
  target frame, on per-segment label ids.
- ``propagation``: AnT's protocol, labels propagated recursively over 10 frames from one GT
  reference frame (and the non-recursive variant), for any matcher.
- ``patch``: AP, best F1 (+ precision, recall), top-k of a patch similarity matrix, intra- and
  cross-image (manga region-correspondence paper, Table 1).
- ``region``: ARI, mIoU P→G / G→P, cluster ratio, region precision / recall with purity > 0.8
  (same paper, Table 2).

Importing this package registers every metric; look them up with ``get_metric(name)`` and
``list_metrics(level)``. ``nan`` means undefined (aggregate with ``np.nanmean``).
"""

from benchmark.metrics.patch import (
    PATCH_BLOCKS,
    average_precision,
    best_f1,
    patch_gt_matrix,
    patch_metrics,
    patch_pr_metrics,
    patch_region_ids,
    patch_topk_accuracy,
)
from benchmark.metrics.propagation import (
    PropagationConfig,
    PropagationResult,
    edges_to_scores,
    evaluate_propagation,
    evaluate_sequence,
    propagate_labels,
    propagation_clips,
    transfer_labels,
    vote_labels,
    vote_with_reference,
)
from benchmark.metrics.region import (
    PURITY_THRESHOLD,
    adjusted_rand_index,
    cluster_ratio,
    image_region_metrics,
    miou_gt_to_pred,
    miou_pred_to_gt,
    overlap,
    region_match_scores,
    region_metrics,
    region_precision,
    region_purity,
    region_recall,
)
from benchmark.metrics.registry import LEVELS, MetricSpec, column_metric, get_metric, list_metrics, register
from benchmark.metrics.segment import (
    PBC_BACKGROUND,
    PBC_BACKGROUND_RGBA,
    PBC_BACKGROUND_RGBA_BLACK,
    PBC_BACKGROUNDS,
    ant_accuracy,
    ant_mean_iou,
    ant_mean_iou_pixel,
    class_iou,
    pack_rgba,
    pbc_metrics,
    segment_areas,
)

__all__ = [
    "LEVELS",
    "PATCH_BLOCKS",
    "PBC_BACKGROUND",
    "PBC_BACKGROUNDS",
    "PBC_BACKGROUND_RGBA",
    "PBC_BACKGROUND_RGBA_BLACK",
    "PURITY_THRESHOLD",
    "MetricSpec",
    "PropagationConfig",
    "PropagationResult",
    "adjusted_rand_index",
    "ant_accuracy",
    "ant_mean_iou",
    "ant_mean_iou_pixel",
    "average_precision",
    "best_f1",
    "class_iou",
    "cluster_ratio",
    "column_metric",
    "edges_to_scores",
    "evaluate_propagation",
    "evaluate_sequence",
    "get_metric",
    "image_region_metrics",
    "list_metrics",
    "miou_gt_to_pred",
    "miou_pred_to_gt",
    "overlap",
    "pack_rgba",
    "patch_gt_matrix",
    "patch_metrics",
    "patch_pr_metrics",
    "patch_region_ids",
    "patch_topk_accuracy",
    "pbc_metrics",
    "propagate_labels",
    "propagation_clips",
    "region_match_scores",
    "region_metrics",
    "region_precision",
    "region_purity",
    "region_recall",
    "register",
    "segment_areas",
    "transfer_labels",
    "vote_labels",
    "vote_with_reference",
]
