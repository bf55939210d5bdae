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

from dataclasses import dataclass

import numpy as np

from benchmark.metrics import _validate as v
from benchmark.metrics.registry import register
from dataprep.errors import LinecorrError

PURITY_THRESHOLD = 0.8  # paper, Table 2


@dataclass
class Overlap:
    """Sparse contingency table of a predicted vs a GT map over the evaluated pixels.

    Attributes:
        pred_ids: ``(P,)`` sorted predicted ids present (may include 0 = unassigned).
        gt_ids: ``(G,)`` sorted GT ids present (never 0).
        cell_pred: ``(C,)`` index into ``pred_ids`` of each non-empty cell.
        cell_gt: ``(C,)`` index into ``gt_ids`` of each non-empty cell.
        cell_count: ``(C,)`` pixels in each cell.
        pred_size: ``(P,)`` evaluated pixels of each predicted id.
        gt_size: ``(G,)`` pixels of each GT region.
    """

    pred_ids: np.ndarray
    gt_ids: np.ndarray
    cell_pred: np.ndarray
    cell_gt: np.ndarray
    cell_count: np.ndarray
    pred_size: np.ndarray
    gt_size: np.ndarray


def _compact(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique values and the inverse index; bincount instead of a sort for small ids."""
    if x.min() >= 0 and x.max() < (1 << 22):
        present = np.bincount(x) > 0
        return np.flatnonzero(present), (np.cumsum(present) - 1)[x]
    return np.unique(x, return_inverse=True)


def overlap(pred_map, gt_map) -> Overlap:
    """Contingency table of ``pred_map`` vs ``gt_map`` on the GT's non-line pixels.

    Args:
        pred_map: ``(H, W) int`` predicted region ids, 0 = unassigned/line.
        gt_map: ``(H, W) int`` GT segment ids, 0 = line.

    Raises:
        LinecorrError: Shapes differ, or the GT has no non-line pixel.
    """
    p_map = v.label_map(pred_map, "pred_map")
    g_map = v.label_map(gt_map, "gt_map")
    if p_map.shape != g_map.shape:
        raise LinecorrError(f"pred_map is {p_map.shape} but gt_map is {g_map.shape}")
    evaluated = g_map != 0
    if not evaluated.any():
        raise LinecorrError("gt_map has no non-line pixels to evaluate")
    p_ids, p_inv = _compact(p_map[evaluated])
    g_ids, g_inv = _compact(g_map[evaluated])
    code = p_inv * g_ids.size + g_inv
    if p_ids.size * g_ids.size <= 50_000_000:
        dense = np.bincount(code, minlength=p_ids.size * g_ids.size)
        cells = np.flatnonzero(dense)
        counts = dense[cells]
    else:
        cells, counts = np.unique(code, return_counts=True)
    return Overlap(
        pred_ids=p_ids,
        gt_ids=g_ids,
        cell_pred=cells // g_ids.size,
        cell_gt=cells % g_ids.size,
        cell_count=counts.astype(np.int64),
        pred_size=np.bincount(p_inv, minlength=p_ids.size),
        gt_size=np.bincount(g_inv, minlength=g_ids.size),
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


def region_purity(pred_map, gt_map) -> dict[int, tuple[int, float]]:
    """Dominant GT region and purity of each predicted region.

    Args:
        pred_map: ``(H, W) int`` predicted region ids.
        gt_map: ``(H, W) int`` GT segment ids, 0 = line.

    Returns:
        ``{pred id: (dominant GT id, share of the region's evaluated pixels inside it)}`` for the
        predicted ids (!= 0) present on evaluated pixels.
    """
    ov = overlap(pred_map, gt_map)
    order = np.lexsort((-ov.cell_count, ov.cell_pred))  # per region, largest cell first
    first = order[np.r_[True, np.diff(ov.cell_pred[order]) != 0]]
    out = {}
    for c in first:
        pid = int(ov.pred_ids[ov.cell_pred[c]])
        if pid != 0:
            share = ov.cell_count[c] / ov.pred_size[ov.cell_pred[c]]
            out[pid] = (int(ov.gt_ids[ov.cell_gt[c]]), float(share))
    return out


def _pairs(edges, map_a: np.ndarray, map_b: np.ndarray, name: str) -> np.ndarray:
    e = np.unique(v.edge_list(edges, name), axis=0)
    for col, m, side in ((0, map_a, "A"), (1, map_b, "B")):
        missing = np.setdiff1d(e[:, col], _compact(m.ravel())[0])
        if missing.size:
            raise LinecorrError(f"{name} names region {int(missing[0])} absent from the {side} map")
    return e


def region_match_scores(
    pred_a,
    pred_b,
    pred_matches,
    gt_a,
    gt_b,
    gt_matches,
    *,
    purity_threshold: float = PURITY_THRESHOLD,
    strict: bool = False,
) -> dict[str, float]:
    """Region precision and recall of predicted matches (see the module docstring).

    Args:
        pred_a: ``(H, W) int`` predicted regions of image A.
        pred_b: ``(H', W') int`` predicted regions of image B.
        pred_matches: ``(K, 2) int`` predicted pairs (region id in A, region id in B).
        gt_a: ``(H, W) int`` GT segments of A, 0 = line.
        gt_b: ``(H', W') int`` GT segments of B, 0 = line.
        gt_matches: ``(L, 2) int`` GT pairs (segment id in A, segment id in B).
        purity_threshold: A region is pure when its purity is strictly above this.
        strict: Divide precision by all predicted pairs instead of the pure ones.

    Returns:
        ``{"precision", "recall", "n_pred_pairs", "n_pure_pairs", "n_correct", "n_gt_pairs",
        "n_recovered"}`` (counts as floats); duplicate pairs count once.
    """
    pa, pb = v.label_map(pred_a, "pred_a"), v.label_map(pred_b, "pred_b")
    ga, gb = v.label_map(gt_a, "gt_a"), v.label_map(gt_b, "gt_b")
    pm = _pairs(pred_matches, pa, pb, "pred_matches")
    gm = _pairs(gt_matches, ga, gb, "gt_matches")
    pur_a, pur_b = region_purity(pa, ga), region_purity(pb, gb)
    gt_set = set(map(tuple, gm.tolist()))
    n_pure, correct_hits = 0, set()
    n_correct = 0
    for ra, rb in pm.tolist():
        dom_a, share_a = pur_a.get(ra, (0, 0.0))
        dom_b, share_b = pur_b.get(rb, (0, 0.0))
        if share_a > purity_threshold and share_b > purity_threshold:
            n_pure += 1
            if (dom_a, dom_b) in gt_set:
                n_correct += 1
                correct_hits.add((dom_a, dom_b))
    den = len(pm) if strict else n_pure
    return {
        "precision": n_correct / den if den else float("nan"),
        "recall": len(correct_hits) / len(gt_set) if gt_set else float("nan"),
        "n_pred_pairs": float(len(pm)),
        "n_pure_pairs": float(n_pure),
        "n_correct": float(n_correct),
        "n_gt_pairs": float(len(gt_set)),
        "n_recovered": float(len(correct_hits)),
    }


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
