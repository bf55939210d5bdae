"""Transformer building blocks shared by AnT and the patch-ViT, in plain torch.

torchvision and timm are not usable here (docs/ARCHITECTURE.md, "torch"), and a pre-norm block is
a few dozen lines. Parameter names follow timm's ``VisionTransformer`` (``attn.qkv``, ``attn.proj``,
``mlp.fc1``, ``mlp.fc2``) so a timm ViT state dict loads into the patch-ViT as it is.

Cross-attention between two frames runs both directions in one call: the batch holds ``[A; B]``
and the keys/values are :func:`swap_halves` of it, so A reads B and B reads A with the same
weights (AnT's multiplex transformer; the patch-ViT's passes the other frame as ``context``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_mask: torch.Tensor | None,
              dropout: float) -> torch.Tensor:
    """Scaled dot-product attention with an optional key mask.

    Args:
        q: ``(B, H, Nq, dh)``; k, v: ``(B, H, Nk, dh)``.
        key_mask: ``(B, Nk) bool``, True = attend; None = all keys.
        dropout: dropout on the attention weights.

    Returns:
        ``(B, H, Nq, dh)``.
    """
    mask = None if key_mask is None else key_mask[:, None, None, :]
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout)


def swap_halves(x: torch.Tensor) -> torch.Tensor:
    """``[A; B]`` -> ``[B; A]`` along the batch axis (the other frame of each pair)."""
    return x.roll(x.shape[0] // 2, 0)


class Attention(nn.Module):
    """Multi-head attention with a fused ``qkv`` projection (timm layout); self or cross."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} is not divisible by heads {heads}")
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None, key_mask: torch.Tensor | None = None,
                cross_halves: bool = False) -> torch.Tensor:
        """Attend from ``x`` ``(B, N, D)`` to ``context`` ``(B, M, D)`` (to itself when None).

        Args:
            x: queries' tokens.
            context: keys' and values' tokens; None = ``x``.
            key_mask: ``(B, M) bool``, True = attend; None = all.
            cross_halves: with ``context`` None, each half of the batch attends to the other half
                (``[A; B]``); ``key_mask`` is then that of ``x``'s tokens and is swapped with them.

        Returns:
            ``(B, N, D)``.
        """
        b, n, d = x.shape
        h = self.heads
        if context is None:
            q, k, v = self.qkv(x).view(b, n, 3, h, d // h).permute(2, 0, 3, 1, 4)
            if cross_halves:  # one fused projection for both frames, then each reads the other's keys
                k, v = swap_halves(k), swap_halves(v)
                key_mask = None if key_mask is None else swap_halves(key_mask)
        else:
            w_q, w_kv = self.qkv.weight.split([d, 2 * d])
            b_q, b_kv = self.qkv.bias.split([d, 2 * d])
            q = F.linear(x, w_q, b_q).view(b, n, h, d // h).transpose(1, 2)
            m = context.shape[1]
            k, v = F.linear(context, w_kv, b_kv).view(b, m, 2, h, d // h).permute(2, 0, 3, 1, 4)
        out = attention(q, k, v, key_mask, self.dropout if self.training else 0.0)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    """Point-wise MLP ``fc1 -> GELU -> fc2`` (timm layout)."""

    def __init__(self, dim: int, hidden: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(F.gelu(self.fc1(x))))


class Block(nn.Module):
    """Pre-norm transformer block: ``x + Attn(LN(x))``, then ``x + MLP(LN(x))``.

    Self-attention, or with ``cross=True`` each half of the batch attends to the other half
    (``[A; B]``: A's queries read B's keys and values and B's read A's).
    """

    def __init__(self, dim: int, heads: int, mlp_ratio: float, dropout: float = 0.0,
                 mlp_dropout: float | None = None, eps: float = 1e-6) -> None:
        """
        Args:
            dim: token width D.
            heads: attention heads (D must divide by them).
            mlp_ratio: hidden width of the MLP as a multiple of D.
            dropout: dropout on the attention weights (and the MLP output unless ``mlp_dropout``).
            mlp_dropout: dropout on the MLP output; None = ``dropout``.
            eps: LayerNorm epsilon (timm ViT: 1e-6; torch's default 1e-5 for AnT).
        """
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads, dropout)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), dropout if mlp_dropout is None else mlp_dropout)

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor | None = None, cross: bool = False) -> torch.Tensor:
        """``x`` ``(B, N, D)``; ``key_mask`` ``(B, N) bool`` (True = attend), of ``x``'s own tokens."""
        x = x + self.attn(self.norm1(x), key_mask=key_mask, cross_halves=cross)
        return x + self.mlp(self.norm2(x))
