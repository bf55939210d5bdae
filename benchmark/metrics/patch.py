"""Patch-level metrics of the manga region-correspondence paper (Li et al., Table 1).

A pair of images is cut into ``N`` patches each (row-major); ``similarity`` is the model's
``(2N, 2N)`` matrix (first ``N`` rows/cols = image A, next ``N`` = image B; rows softmaxed) and
``gt`` the ``(2N, 2N)`` boolean correspondence matrix (``patch_gt_matrix``). ``valid`` marks the
patches that have a region; the others are left out as queries and as candidates.

Blocks: ``intra_a`` (A-A), ``intra_b`` (B-B), ``cross`` (A-B and B-A pooled: the paper reports
one cross-image row), and ``cross_ab`` / ``cross_ba`` separately.

Choices where the paper is silent:
    * The diagonal of intra blocks (a patch vs itself, always positive) is excluded from AP/F1 and
      from top-k candidates; otherwise every query would trivially find itself.
    * AP is the step-wise area under the PR curve over all entries of the block (same as
      ``sklearn.metrics.average_precision_score``); best F1 is the maximum over all thresholds
      (one per distinct score, predicting "match" when score >= threshold), reported with the
      precision and recall at that threshold.
    * top-k: a query is a row with at least one positive among its candidates (the paper: "ground-
      truth matched patches"); it is a hit when the best-scored positive is among the k highest
      scores. Ties are counted pessimistically (a negative with the same score ranks first), so a
      constant similarity earns no credit.
    * ``nan`` when undefined: no positive entry (AP/F1) or no query (top-k).
"""

from __future__ import annotations

import numpy as np

from benchmark.metrics.registry import register
from dataprep import checks as v
from dataprep.errors import LinecorrError

PATCH_BLOCKS = ("intra_a", "intra_b", "cross", "cross_ab", "cross_ba")
_REPORTED_BLOCKS = ("intra_a", "intra_b", "cross")  # the rows of the paper's Table 1


def patch_region_ids(label_map, patch_size: int = 16, min_share: float = 0.55) -> np.ndarray:
    """Region id of each patch: its most frequent region if that covers > ``min_share`` of it.

    Args:
        label_map: ``(H, W) int`` region ids, ``0`` = line pixels (never a region);
            ``H`` and ``W`` multiples of ``patch_size``.
        patch_size: Patch side in pixels (ViT-B/16: 16).
        min_share: Minimum share of the patch *area* (line pixels included) the region needs
            (paper: 55 %).

    Returns:
        ``(N,) int64`` region id per patch in row-major order, ``0`` = no region (ignored).
    """
    lm = v.label_map(label_map, "label_map")
    h, w = lm.shape
    if h % patch_size or w % patch_size:
        raise LinecorrError(f"label map {h}x{w} is not a multiple of the patch size {patch_size}")
    tiles = lm.reshape(h // patch_size, patch_size, w // patch_size, patch_size).swapaxes(1, 2)
    tiles = tiles.reshape(-1, patch_size * patch_size)
    out = np.zeros(tiles.shape[0], np.int64)
    for i, tile in enumerate(tiles):
        ids, counts = np.unique(tile[tile != 0], return_counts=True)
        if ids.size and counts.max() > min_share * tile.size:
            out[i] = ids[counts.argmax()]
    return out


def patch_gt_matrix(ids_a, ids_b, region_matches) -> tuple[np.ndarray, np.ndarray]:
    """Ground-truth patch matrix ``G`` of a pair from patch region ids and region matches.

    Args:
        ids_a: ``(N,) int`` region id per patch of A (``patch_region_ids``), 0 = none.
        ids_b: ``(N,) int`` same for B.
        region_matches: ``(K, 2) int`` GT pairs (region id in A, region id in B).

    Returns:
        ``gt`` ``(2N, 2N) bool`` (intra: same region; cross: regions matched, both directions)
        and ``valid`` ``(2N,) bool`` (patch has a region).
    """
    a = v.int_vector(ids_a, "ids_a")
    b = v.int_vector(ids_b, "ids_b")
    v.same_length(a, b, "ids_a", "ids_b")
    e = v.edge_list(region_matches, "region_matches")
    ids = np.concatenate([a, b])
    valid = ids != 0
    n = a.size
    gt = np.zeros((2 * n, 2 * n), bool)
    gt[:n, :n] = a[:, None] == a[None, :]
    gt[n:, n:] = b[:, None] == b[None, :]
    if e.size:
        if e.min() < 1:
            raise LinecorrError("region_matches must name region ids >= 1")
        base = int(max(b.max(), e[:, 1].max())) + 1  # pair (x, y) -> x * base + y, collision-free
        cross = np.isin(a[:, None] * base + b[None, :], e[:, 0] * base + e[:, 1])
        gt[:n, n:] = cross
        gt[n:, :n] = cross.T
    gt &= valid[:, None] & valid[None, :]
    return gt, valid


def _checked(similarity, gt, valid) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    s = np.asarray(similarity, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] != s.shape[1] or s.shape[0] % 2:
        raise LinecorrError(f"similarity must be (2N, 2N), got shape {s.shape}")
    if s.size == 0:
        raise LinecorrError("similarity is empty")
    if not np.all(np.isfinite(s)):
        raise LinecorrError("similarity has non-finite values")
    g = np.asarray(gt)
    if g.shape != s.shape:
        raise LinecorrError(f"gt has shape {g.shape} but similarity has shape {s.shape}")
    g = g.astype(bool)
    ok = np.ones(s.shape[0], bool) if valid is None else np.asarray(valid).astype(bool)
    if ok.shape != (s.shape[0],):
        raise LinecorrError(f"valid has shape {ok.shape}, expected ({s.shape[0]},)")
    return s, g, ok, s.shape[0] // 2


def _blocks(similarity, gt, valid, block: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(scores, labels, candidate mask)`` of each sub-block making up ``block``."""
    if block not in PATCH_BLOCKS:
        raise LinecorrError(f"unknown patch block {block!r}; expected one of {PATCH_BLOCKS}")
    s, g, ok, n = _checked(similarity, gt, valid)
    a, b = slice(0, n), slice(n, 2 * n)
    parts = {"intra_a": [(a, a)], "intra_b": [(b, b)], "cross_ab": [(a, b)], "cross_ba": [(b, a)]}
    parts["cross"] = parts["cross_ab"] + parts["cross_ba"]
    out = []
    for rows, cols in parts[block]:
        mask = ok[rows][:, None] & ok[cols][None, :]
        if rows == cols:
            np.fill_diagonal(mask, False)  # a patch is not its own candidate
        out.append((s[rows, cols], g[rows, cols], mask))
    return out


def _pr_curve(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and thresholds at each distinct score, highest threshold first."""
    order = np.argsort(-scores)  # order inside a tie is irrelevant: ties form one threshold
    s, y = scores[order], labels[order].astype(np.float64)
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]  # predict all entries >= s
    tps = np.cumsum(y)[last_of_tie]
    predicted = last_of_tie + 1.0
    return tps / predicted, tps / tps[-1], s[last_of_tie]


def _pr_summary(scores, labels) -> dict[str, float]:
    """AP and best F1 (+ its precision, recall, threshold) from one PR curve."""
    s, y = np.ravel(scores).astype(np.float64), np.ravel(labels).astype(bool)
    if s.shape != y.shape:
        raise LinecorrError(f"{s.size} scores but {y.size} labels")
    if not y.any():
        return dict.fromkeys(("ap", "f1", "precision", "recall", "threshold"), float("nan"))
    precision, recall, thresholds = _pr_curve(s, y)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
    i = int(np.argmax(f1))  # first maximum = highest threshold
    return {
        "ap": float(np.sum(np.diff(np.r_[0.0, recall]) * precision)),
        "f1": float(f1[i]),
        "precision": float(precision[i]),
        "recall": float(recall[i]),
        "threshold": float(thresholds[i]),
    }


def average_precision(scores, labels) -> float:
    """Step-wise AP: ``Σ (R_k - R_{k-1}) P_k`` over distinct thresholds (= scikit-learn's).

    Args:
        scores: ``(M,) float`` scores.
        labels: ``(M,) bool`` positives.

    Returns:
        AP in [0, 1]; ``nan`` when there is no positive.
    """
    return _pr_summary(scores, labels)["ap"]


def best_f1(scores, labels) -> dict[str, float]:
    """Best F1 over thresholds, with the precision, recall and threshold where it is reached.

    Args:
        scores: ``(M,) float`` scores.
        labels: ``(M,) bool`` positives.

    Returns:
        ``{"f1", "precision", "recall", "threshold"}``; all ``nan`` without positives. Equal F1
        values resolve to the highest threshold.
    """
    out = _pr_summary(scores, labels)
    del out["ap"]
    return out


def _pr_of(parts) -> dict[str, float]:
    scores = np.concatenate([s[m] for s, _, m in parts])
    labels = np.concatenate([g[m] for _, g, m in parts])
    pr = _pr_summary(scores, labels)
    pr["best_f1"] = pr.pop("f1")
    return pr


def _topk_of(parts, ks: tuple[int, ...]) -> dict[int, float]:
    ahead_of_query = []
    for s, g, m in parts:
        pos, neg = g & m, ~g & m
        is_query = pos.any(axis=1)
        best_pos = np.where(pos, s, -np.inf).max(axis=1)
        # Negatives scoring >= the best positive rank ahead of it (pessimistic ties).
        ahead = (neg & (s >= best_pos[:, None])).sum(axis=1)
        ahead_of_query.append(ahead[is_query])
    ahead = np.concatenate(ahead_of_query)
    return {k: float(np.mean(ahead < k)) if ahead.size else float("nan") for k in ks}


def patch_pr_metrics(similarity, gt, valid=None, block: str = "cross") -> dict[str, float]:
    """AP and best F1 (with its precision, recall, threshold) over the entries of one block.

    Args:
        similarity: ``(2N, 2N) float`` patch similarities.
        gt: ``(2N, 2N) bool`` GT correspondences.
        valid: ``(2N,) bool`` patches with a region; ``None`` = all.
        block: One of ``PATCH_BLOCKS``.

    Returns:
        ``{"ap", "best_f1", "precision", "recall", "threshold"}``.
    """
    return _pr_of(_blocks(similarity, gt, valid, block))


def patch_topk_accuracy(similarity, gt, valid=None, block: str = "cross", k: int = 1) -> float:
    """Share of query patches whose k most similar candidates contain a true match.

    Args:
        similarity: ``(2N, 2N) float`` patch similarities.
        gt: ``(2N, 2N) bool`` GT correspondences.
        valid: ``(2N,) bool`` patches with a region; ``None`` = all.
        block: One of ``PATCH_BLOCKS``; for ``cross`` queries come from both images.
        k: How many top candidates count.

    Returns:
        Top-k accuracy in [0, 1]; ``nan`` when no row has a positive candidate.
    """
    if k < 1:
        raise LinecorrError(f"k must be >= 1, got {k}")
    return _topk_of(_blocks(similarity, gt, valid, block), (k,))[k]


def patch_metrics(similarity, gt, valid=None, ks: tuple[int, ...] = (1, 5)) -> dict[str, float]:
    """All patch metrics of one pair, keyed by registry name (``"patch/cross/ap"``, ...).

    Covers the blocks ``intra_a``, ``intra_b`` and ``cross``; shapes as ``patch_pr_metrics``.
    """
    if any(k < 1 for k in ks):
        raise LinecorrError(f"every k must be >= 1, got {ks}")
    out: dict[str, float] = {}
    for block in _REPORTED_BLOCKS:
        parts = _blocks(similarity, gt, valid, block)
        pr = _pr_of(parts)
        for key in ("ap", "best_f1", "precision", "recall"):
            out[f"patch/{block}/{key}"] = pr[key]
        for k, acc in _topk_of(parts, tuple(ks)).items():
            out[f"patch/{block}/top{k}"] = acc
    return out


def _register_patch_metrics() -> None:
    texts = {
        "ap": "average precision",
        "best_f1": "best F1 over thresholds",
        "precision": "precision at the best-F1 threshold",
        "recall": "recall at the best-F1 threshold",
    }
    for block in _REPORTED_BLOCKS:
        for key, text in texts.items():

            def fn(similarity, gt, valid=None, _block=block, _key=key) -> float:
                return patch_pr_metrics(similarity, gt, valid, _block)[_key]

            register(
                f"patch/{block}/{key}",
                higher_is_better=True,
                level="patch",
                description=f"patch {text}, {block.replace('_', '-')} block",
            )(fn)
        for k in (1, 5):

            def topk(similarity, gt, valid=None, _block=block, _k=k) -> float:
                return patch_topk_accuracy(similarity, gt, valid, _block, _k)

            register(
                f"patch/{block}/top{k}",
                higher_is_better=True,
                level="patch",
                description=f"patch top-{k} accuracy, {block.replace('_', '-')} block",
            )(topk)


_register_patch_metrics()
