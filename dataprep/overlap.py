"""How a predicted region map overlaps a ground-truth one: contingency table, purity, region-pair scores.

The labeller's ``--eval`` (dataprep/label/evaluate.py) and the benchmark's region metrics
(benchmark/metrics/region.py) score with these, so both use one definition of the manga paper's
region precision / recall (Li et al., Table 2).

All maps are ``(H, W) int`` with ``0`` = line pixels. Only pixels that are *not* line in the GT map
are evaluated (lines belong to no region). A predicted ``0`` on such a pixel means "unassigned": it
counts in GT region sizes but is never a predicted region.

Region precision / recall ("computed using predicted region pairs with purity > 0.8"): the purity
of a predicted region is the share of its evaluated pixels inside its dominant GT region. A
predicted pair (Ri, Rj) is *pure* when both regions have purity > 0.8, and *correct* when it is
pure and the dominant GT regions (gi, gj) form a GT match. Precision = correct / pure predicted
pairs (``strict=True`` divides by all predicted pairs instead); recall = GT pairs hit by at least
one correct predicted pair / all GT pairs; ``nan`` when a denominator is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dataprep import checks
from dataprep.errors import LinecorrError

PURITY_THRESHOLD = 0.8  # manga paper, Table 2


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


def compact_ids(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique values of the int array ``x`` and the inverse index (bincount for small ids, not a sort)."""
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
    p_map = checks.label_map(pred_map, "pred_map")
    g_map = checks.label_map(gt_map, "gt_map")
    if p_map.shape != g_map.shape:
        raise LinecorrError(f"pred_map is {p_map.shape} but gt_map is {g_map.shape}")
    evaluated = g_map != 0
    if not evaluated.any():
        raise LinecorrError("gt_map has no non-line pixels to evaluate")
    p_ids, p_inv = compact_ids(p_map[evaluated])
    g_ids, g_inv = compact_ids(g_map[evaluated])
    code = p_inv * g_ids.size + g_inv
    if p_ids.size * g_ids.size <= 50_000_000:  # a dense count is faster than sorting while it fits
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


def dominant_regions(pred_map, gt_map) -> dict[int, tuple[int, float, int]]:
    """Dominant GT region, purity and size of each predicted region.

    Args:
        pred_map: ``(H, W) int`` predicted region ids.
        gt_map: ``(H, W) int`` GT segment ids, 0 = line.

    Returns:
        ``{pred id: (dominant GT id, share of the region's evaluated pixels inside it, evaluated
        pixels)}`` for the predicted ids (!= 0) present on evaluated pixels; ties go to the smaller
        GT id.

    Raises:
        LinecorrError: as :func:`overlap`.
    """
    ov = overlap(pred_map, gt_map)
    order = np.lexsort((-ov.cell_count, ov.cell_pred))  # per region, largest cell first
    first = order[np.r_[True, np.diff(ov.cell_pred[order]) != 0]]
    out = {}
    for c in first:
        pid = int(ov.pred_ids[ov.cell_pred[c]])
        if pid != 0:
            size = int(ov.pred_size[ov.cell_pred[c]])
            out[pid] = (int(ov.gt_ids[ov.cell_gt[c]]), float(ov.cell_count[c] / size), size)
    return out


def region_purity(pred_map, gt_map) -> dict[int, tuple[int, float]]:
    """``{pred id: (dominant GT id, purity)}``: :func:`dominant_regions` without the sizes."""
    return {pid: (gid, share) for pid, (gid, share, _) in dominant_regions(pred_map, gt_map).items()}


def _pairs(edges, map_a: np.ndarray, map_b: np.ndarray, name: str) -> np.ndarray:
    """``(K, 2) int64`` unique edges; raises when one names a region absent from its map."""
    e = np.unique(checks.edge_list(edges, name), axis=0)
    for col, m, side in ((0, map_a, "A"), (1, map_b, "B")):
        missing = np.setdiff1d(e[:, col], compact_ids(m.ravel())[0])
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
    pa, pb = checks.label_map(pred_a, "pred_a"), checks.label_map(pred_b, "pred_b")
    ga, gb = checks.label_map(gt_a, "gt_a"), checks.label_map(gt_b, "gt_b")
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
