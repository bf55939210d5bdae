"""The sampled contrastive loss of Li et al. (eq. 4), CLIP-style, supervised by the GT matrix G.

G is sparse, so the loss does not touch all ``(2N)^2`` entries: per pair it draws ``positives``
entries ``(i, j)`` with ``G_ij = 1`` (``i != j``; intra- and cross-image alike, uniformly, as the
paper), and for each one ``K`` negatives ``j_k`` from row ``i`` with ``G_ij_k = 0`` (uniform, with
replacement). Then

    L_ij = -log( exp(C_ij / tau) / (exp(C_ij / tau) + sum_k exp(C_ij_k / tau)) )

averaged over all sampled positives of the batch.

Which matrix goes into the softmax: eq. 4 writes ``S_ij / tau`` with S the row-softmaxed matrix,
but a softmax over 2N columns makes every ``S_ij`` tiny (about 1/2N), so ``exp(S_ij / tau)`` would
hardly vary. We read ``S_ij / tau`` as CLIP does: the *cosine* logits ``C_ij / tau`` before the
row softmax. The row softmax of eq. 4 over ``{j} u {j_k}`` is then exactly CLIP's sampled softmax,
and S = softmax(C / tau) is monotone in C row by row.

Patches without a region (id 0, ``valid`` False) are neither anchors nor candidates.

Uniform sampling over the entries of G is dominated by big regions (a region of k patches owns k^2
intra entries): on frames where the background covers most patches, nearly every draw is a
background-background pair and cross-image positives (character patches only) are rare. Two
options rebalance it (the ``tiny`` preset uses both): ``cross_share`` reserves a share of the draw
for cross-image entries, and ``sampling="rows"`` draws anchor patches uniformly, then a positive in
the anchor's row.
"""

from __future__ import annotations

import math

import torch

from benchmark.models.ant.losses import LossOutput


def contrastive_nll(cos: torch.Tensor, anchors: torch.Tensor, positives: torch.Tensor,
                    negatives: torch.Tensor, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 4 for explicit samples.

    Args:
        cos: ``(2N, 2N)`` cosine matrix of one pair.
        anchors: ``(P,) int64`` rows i.
        positives: ``(P,) int64`` columns j (``G_ij = 1``).
        negatives: ``(P, K) int64`` columns j_k (``G_ij_k = 0``).
        temperature: tau.

    Returns:
        ``(P,)`` losses ``L_ij`` and ``(P,) bool`` whether the positive beat all its negatives.
    """
    pos = cos[anchors, positives][:, None]
    neg = cos[anchors[:, None], negatives]
    logits = torch.cat([pos, neg], dim=1) / temperature
    loss = -logits.log_softmax(dim=1)[:, 0]
    return loss, (pos > neg).all(dim=1)


def _draw(mask: torch.Tensor, k: int, rows: bool, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """``k`` positive entries ``(anchor, positive)`` of ``mask``: uniform over entries (without
    replacement; all when fewer) or, with ``rows``, a uniform anchor row then a uniform entry in it."""
    dev = mask.device
    if k <= 0:
        return torch.zeros(0, dtype=torch.int64, device=dev), torch.zeros(0, dtype=torch.int64, device=dev)
    if rows:
        cand = mask.any(dim=1).nonzero().squeeze(1)
        if cand.numel() == 0:
            return cand, cand
        anchors = cand[torch.randint(cand.numel(), (k,), generator=generator, device=dev)]
        return anchors, torch.multinomial(mask[anchors].float(), 1, generator=generator).squeeze(1)
    idx = mask.flatten().nonzero().squeeze(1)
    if idx.numel() > k:
        idx = idx[torch.randperm(idx.numel(), generator=generator, device=dev)[:k]]
    return idx // mask.shape[1], idx % mask.shape[1]


def sample_pairs(gt: torch.Tensor, valid: torch.Tensor, positives: int, negatives: int,
                 generator: torch.Generator | None = None, cross_share: float = 0.0, sampling: str = "entries"
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Draw positives and their negatives from one pair's G.

    Args:
        gt: ``(2N, 2N) bool`` G.
        valid: ``(2N,) bool`` patches with a region.
        positives: how many positives to draw.
        negatives: K, negatives per positive (with replacement).
        generator: random source (None: torch's global one).
        cross_share: 0 = positives from all of G; in (0, 1] = this share of the draw comes from the
            cross-image blocks (the rest intra), where available.
        sampling: ``"entries"`` = uniform over the positive entries of G, without replacement, all of
            them when fewer (paper); ``"rows"`` = a uniform anchor patch, then a uniform positive of
            its row (with replacement): every patch counts the same, whatever its region's size.

    Returns:
        ``anchors (P,)``, ``pos (P,)``, ``neg (P, K)`` int64 on ``gt``'s device; P = 0 when G has
        no usable positive (a row needs at least one negative).
    """
    if sampling not in ("entries", "rows"):
        raise ValueError(f"sampling must be 'entries' or 'rows', got {sampling!r}")
    n2 = gt.shape[0]
    n = n2 // 2
    ok = valid[:, None] & valid[None, :]
    pos_mask = gt & ok
    pos_mask.fill_diagonal_(False)
    neg_mask = ~gt & ok
    pos_mask &= neg_mask.any(dim=1)[:, None]
    rows = sampling == "rows"
    if cross_share > 0:
        side = torch.arange(n2, device=gt.device) < n
        cross = side[:, None] != side[None, :]
        k_cross = round(positives * cross_share)
        a1, p1 = _draw(pos_mask & cross, k_cross, rows, generator)
        a2, p2 = _draw(pos_mask & ~cross, positives - a1.numel(), rows, generator)
        anchors, pos = torch.cat([a1, a2]), torch.cat([p1, p2])
    else:
        anchors, pos = _draw(pos_mask, positives, rows, generator)
    if anchors.numel() == 0:
        return anchors, pos, torch.zeros(0, negatives, dtype=torch.int64, device=gt.device)
    neg = torch.multinomial(neg_mask[anchors].float(), negatives, replacement=True, generator=generator)
    return anchors, pos, neg


def patch_contrastive_loss(cos: torch.Tensor, gt: torch.Tensor, valid: torch.Tensor, temperature: float,
                           positives: int = 512, negatives: int = 64, cross_share: float = 0.0,
                           sampling: str = "entries", generator: torch.Generator | None = None) -> LossOutput:
    """The batch loss: eq. 4 averaged over all sampled positives of all pairs.

    Args:
        cos: ``(B, 2N, 2N)`` cosine matrices (gradients flow through them).
        gt: ``(B, 2N, 2N) bool`` G per pair.
        valid: ``(B, 2N) bool`` patches with a region.
        temperature: tau.
        positives: positives drawn per pair.
        negatives: K per positive.
        cross_share, sampling: see :func:`sample_pairs`.

    Returns:
        :class:`LossOutput` with ``forward`` = the contrastive loss, ``cycle`` = nan and
        ``accuracy`` = share of sampled positives scoring above all their negatives.
    """
    losses, wins = [], []
    for b in range(cos.shape[0]):
        with torch.no_grad():
            a, p, n = sample_pairs(gt[b], valid[b], positives, negatives, generator, cross_share, sampling)
        if a.numel():
            loss, win = contrastive_nll(cos[b].float(), a, p, n, temperature)
            losses.append(loss)
            wins.append(win)
    if not losses:  # no positive anywhere in the batch: a zero that still has a graph
        zero = cos.sum() * 0.0
        return LossOutput(zero, float("nan"), float("nan"), float("nan"))
    loss = torch.cat(losses).mean()
    acc = float(torch.cat(wins).float().mean())
    return LossOutput(loss, float(loss.detach()), math.nan, acc)
