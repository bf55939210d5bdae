"""Partition quality against a ground-truth segment map: adjusted Rand index and segment-wise IoU."""

from __future__ import annotations

import numpy as np

from dataprep.errors import LinecorrError


def _contingency(pred: np.ndarray, gt: np.ndarray, where: np.ndarray):
    """(gt id, pred id, count) of every overlapping pair, and per-id areas, over `where`."""
    g = gt[where].astype(np.int64)
    p = pred[where].astype(np.int64)
    base = int(p.max()) + 1 if p.size else 1
    pairs, counts = np.unique(g * base + p, return_counts=True)
    return pairs // base, pairs % base, counts.astype(np.float64)


def _comb2(x: np.ndarray) -> float:
    return float(np.sum(x * (x - 1) / 2))


def adjusted_rand(pred: np.ndarray, gt: np.ndarray, where: np.ndarray | None = None) -> float:
    """Adjusted Rand index of two partitions (same value as sklearn.metrics.adjusted_rand_score).

    Args:
        pred, gt: (H, W) integer label maps.
        where: (H, W) bool pixels to compare; default all pixels with gt > 0 (non-line).

    Returns:
        ARI in [-1, 1]; 1.0 when both partitions agree (also when both are a single segment).
    """
    where = gt > 0 if where is None else where
    _, _, n_ij = _contingency(pred, gt, where)
    _, g_area = np.unique(gt[where], return_counts=True)
    _, p_area = np.unique(pred[where], return_counts=True)
    n = float(where.sum())
    if n < 2:
        return 1.0
    sum_ij, sum_a, sum_b = _comb2(n_ij), _comb2(g_area.astype(float)), _comb2(p_area.astype(float))
    expected = sum_a * sum_b / (n * (n - 1) / 2)
    max_index = (sum_a + sum_b) / 2
    if max_index == expected:  # both trivial (one segment each, or all singletons)
        return 1.0
    return (sum_ij - expected) / (max_index - expected)


def segment_iou(pred: np.ndarray, gt: np.ndarray, where: np.ndarray | None = None, min_area: int = 0) -> dict:
    """Segment-wise IoU in both directions.

    For every ground-truth segment, the IoU with the predicted segment that overlaps it best; the
    mean over ground-truth segments is mIoU G->P (1 = every true segment recovered). The mean over
    predicted segments of their best IoU with a true segment is mIoU P->G (1 = nothing spurious).

    Args:
        pred, gt: (H, W) integer label maps.
        where: (H, W) bool pixels to compare; default all pixels with gt > 0.
        min_area: only true (resp. predicted) segments with at least this many compared pixels count.

    Returns:
        {"miou_g2p": float, "miou_p2g": float, "n_gt": int, "n_pred": int}.
    """
    where = gt > 0 if where is None else where
    gi, pi, inter = _contingency(pred, gt, where)
    g_area = np.bincount(gi, inter)
    p_area = np.bincount(pi, inter)
    iou = inter / (g_area[gi] + p_area[pi] - inter)
    best_g = np.zeros(g_area.size)
    np.maximum.at(best_g, gi, iou)
    best_p = np.zeros(p_area.size)
    np.maximum.at(best_p, pi, iou)
    g_ok = g_area >= max(min_area, 1)
    p_ok = p_area >= max(min_area, 1)
    return {
        "miou_g2p": float(best_g[g_ok].mean()) if g_ok.any() else 1.0,
        "miou_p2g": float(best_p[p_ok].mean()) if p_ok.any() else 1.0,
        "n_gt": int(g_ok.sum()),
        "n_pred": int(p_ok.sum()),
    }


def partition_scores(pred: np.ndarray, gt: np.ndarray, min_area: int = 0) -> dict:
    """ARI and segment-wise IoU of a predicted partition over the ground truth's non-line pixels.

    Args:
        pred: (H, W) int label map (line pixels should be assigned to segments for a fair score).
        gt: (H, W) int label map, 0 = line pixels (ignored).
        min_area: see `segment_iou`.

    Returns:
        {"ari", "miou_g2p", "miou_p2g", "n_gt", "n_pred"}.
    """
    if pred.shape != gt.shape:
        raise LinecorrError(f"prediction shape {pred.shape} differs from ground truth {gt.shape}")
    where = gt > 0
    return {"ari": adjusted_rand(pred, gt, where), **segment_iou(pred, gt, where, min_area)}
