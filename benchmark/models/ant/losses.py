"""AnT's losses (paper sec. 3.3): forward match cross-entropy and cycle consistency.

Both work on the match logits of :class:`~benchmark.models.ant.model.AnT` in log space:

- **forward match** (eq. 3 + cross-entropy): the predicted label distribution of target j is
  ``c_hat_j = sum_i S_ji onehot(c_i)``, so ``log c_hat_j[c_j] = logsumexp_{i: c_i = c_j} log S_ji``.
  With correspondence labels this rewards the right segment(s); with color labels any segment of
  the right color (the shortcut of Fig. 7).
- **cycle consistency** (eqs. 5-7): random unique ids ``r_i`` of the reference segments are
  propagated forward with S and back with T (softmax over targets of the same inner products);
  the cross-entropy of the returned ids with the originals. With unique ids one-hot encoded,
  ``r_hat_i[r_i] = (T S)_ii`` whatever the random order, so the loss is computed from the
  diagonal of ``T S`` (``test_ant_losses`` checks it against explicit random ids).

Losses are means over the segments that take part (the paper sums; a mean keeps the scale
independent of segment counts and batch size).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

_NEG = -1e9


@dataclass
class LossOutput:
    """Total loss and its parts (detached floats for logging)."""

    loss: torch.Tensor  # scalar to backpropagate
    forward: float  # forward match cross-entropy (nan when unused)
    cycle: float  # cycle-consistency cross-entropy (nan when unused)
    accuracy: float  # share of scored targets whose best source has the right label (nan: none)


def log_similarity(logits: torch.Tensor, valid_a: torch.Tensor) -> torch.Tensor:
    """``log S`` ``(B, N, M)``: log-softmax over reference segments (eq. 4), padding masked."""
    return logits.masked_fill(~valid_a[:, None, :], _NEG).log_softmax(-1)


def log_backward(logits: torch.Tensor, valid_b: torch.Tensor) -> torch.Tensor:
    """``log T`` ``(B, M, N)``: the backward matrix of eq. 7, log-softmax over target segments."""
    return logits.transpose(1, 2).masked_fill(~valid_b[:, None, :], _NEG).log_softmax(-1)


def forward_match_loss(logits: torch.Tensor, labels_a: torch.Tensor, labels_b: torch.Tensor,
                       valid_a: torch.Tensor, valid_b: torch.Tensor, ignore_label: int | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy between predicted (eq. 3) and true target labels.

    Args:
        logits: ``(B, N, M) float32`` match logits (rows = targets of B, columns = sources of A).
        labels_a: ``(B, M) int64`` reference labels (correspondence ids or color classes).
        labels_b: ``(B, N) int64`` target labels.
        valid_a, valid_b: ``(B, M)``, ``(B, N) bool``.
        ignore_label: targets with this label get no loss (None: every label counts).

    Returns:
        ``(per-target loss (K,), mask (B, N) bool)``: a loss for each scored target, i.e. a valid
        target whose label occurs among the valid references (a part that just appeared cannot be
        predicted and is left out).
    """
    log_s = log_similarity(logits, valid_a)
    same = (labels_b[:, :, None] == labels_a[:, None, :]) & valid_a[:, None, :]
    scored = valid_b & same.any(-1)
    if ignore_label is not None:
        scored &= labels_b != ignore_label
    log_p = log_s.masked_fill(~same, _NEG).logsumexp(-1)  # (B, N): log c_hat_j[c_j]
    return -log_p[scored], scored


def cycle_loss(logits: torch.Tensor, valid_a: torch.Tensor, valid_b: torch.Tensor) -> torch.Tensor:
    """Cycle-consistency cross-entropy of each valid reference segment, ``(K,)``.

    ``log (T S)_ii = logsumexp_j (log T_ij + log S_ji)`` with padded targets excluded.
    """
    log_s = log_similarity(logits, valid_a)  # (B, N, M)
    log_t = log_backward(logits, valid_b)  # (B, M, N)
    log_ts = (log_t + log_s.transpose(1, 2)).masked_fill(~valid_b[:, None, :], _NEG).logsumexp(-1)  # (B, M)
    has_target = valid_b.any(-1, keepdim=True).expand_as(valid_a)
    return -log_ts[valid_a & has_target]


def propagate_ids(logits: torch.Tensor, valid_a: torch.Tensor, valid_b: torch.Tensor, ids: torch.Tensor
                  ) -> torch.Tensor:
    """Eqs. 5-6 literally, for one pair: one-hot ids of A forward with S and back with T.

    Args:
        logits: ``(N, M)``; valid_a ``(M,)``; valid_b ``(N,)``; ids ``(M,) int64`` unique in 0..M-1.

    Returns:
        ``(M, M)`` r_hat: row i = distribution over ids after the round trip.
    """
    s = log_similarity(logits[None], valid_a[None])[0].exp()
    t = log_backward(logits[None], valid_b[None])[0].exp()
    onehot = torch.nn.functional.one_hot(ids, ids.shape[0]).to(s.dtype)
    return t @ (s @ onehot)


def ant_loss(logits: torch.Tensor, batch: dict, labels: str = "correspondence", cycle_weight: float = 0.25,
             ignore_label: int | None = None) -> LossOutput:
    """The training loss of eq. 8: ``L_fwd + alpha * L_cyc``.

    Args:
        logits: ``(B, N, M)`` match logits.
        batch: holds ``valid_a``, ``valid_b`` and, for the forward loss, ``label_a``/``label_b``
            (correspondence) or ``color_a``/``color_b`` (color classes), ``(B, M) int64``.
        labels: "correspondence", "color" or "none" (cycle loss only: data without labels).
        cycle_weight: alpha (0 = no cycle loss).
        ignore_label: target label without forward loss (e.g. -1 = unknown).

    Raises:
        ValueError: neither loss is enabled.
    """
    va, vb = batch["valid_a"], batch["valid_b"]
    total = logits.new_zeros(())
    fwd = cyc = acc = float("nan")
    if labels not in ("correspondence", "color", "none"):
        raise ValueError(f"labels must be correspondence, color or none, got {labels!r}")
    if labels == "none" and cycle_weight <= 0:
        raise ValueError("no loss: labels='none' needs cycle_weight > 0")
    if labels != "none":
        key = "label" if labels == "correspondence" else "color"
        la, lb = batch[f"{key}_a"], batch[f"{key}_b"]
        per, scored = forward_match_loss(logits, la, lb, va, vb, ignore_label)
        if per.numel():
            total = total + per.mean()
            fwd = float(per.detach().mean())
            best = logits.masked_fill(~va[:, None, :], _NEG).argmax(-1)  # (B, N) best source per target
            acc = float((la.gather(1, best) == lb)[scored].float().mean())
    if cycle_weight > 0:
        per = cycle_loss(logits, va, vb)
        if per.numel():
            total = total + cycle_weight * per.mean()
            cyc = float(per.detach().mean())
    return LossOutput(total, fwd, cyc, acc)
