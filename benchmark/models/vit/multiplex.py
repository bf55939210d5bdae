"""The multiplex transformer ``f_MT`` (paper eq. 3): M layers of self- and cross-attention.

In each layer both images first attend to themselves (intra-image structure), then to the other
image (cross-image correspondence), then pass a point-wise MLP; all three are pre-norm residual
blocks and their weights are shared by the two images, so swapping A and B swaps the outputs.
Both cross-attentions of a layer read the states from before that step, so neither image is
updated ahead of the other (as in SuperGlue / LightGlue and AnT's multiplex transformer).
"""

from __future__ import annotations

import torch
from torch import nn

from benchmark.models.attention import Attention, Mlp, swap_halves


class MultiplexLayer(nn.Module):
    """One layer: self-attention, cross-attention (both directions at once), MLP."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm_self = nn.LayerNorm(dim, eps=1e-6)
        self.self_attn = Attention(dim, heads, dropout)
        self.norm_cross = nn.LayerNorm(dim, eps=1e-6)
        self.cross_attn = Attention(dim, heads, dropout)
        self.norm_mlp = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), dropout)

    def forward(self, xa: torch.Tensor, xb: torch.Tensor, mask_a: torch.Tensor | None = None,
                mask_b: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``xa`` ``(B, Na, D)``, ``xb`` ``(B, Nb, D)``; masks ``(B, N) bool`` (False = padding)."""
        # A and B share the weights: stack them on the batch axis when they have the same length.
        if xa.shape[1] == xb.shape[1] and (mask_a is None) == (mask_b is None):
            x = torch.cat([xa, xb])
            m = None if mask_a is None else torch.cat([mask_a, mask_b])
            x = x + self.self_attn(self.norm_self(x), key_mask=m)
            h = self.norm_cross(x)
            other = swap_halves(h)  # [B; A]: each frame's queries read the other's states
            m_other = None if m is None else swap_halves(m)
            x = x + self.cross_attn(h, other, key_mask=m_other)
            x = x + self.mlp(self.norm_mlp(x))
            return x[:xa.shape[0]], x[xa.shape[0]:]
        xa = xa + self.self_attn(self.norm_self(xa), key_mask=mask_a)
        xb = xb + self.self_attn(self.norm_self(xb), key_mask=mask_b)
        ha, hb = self.norm_cross(xa), self.norm_cross(xb)
        xa, xb = xa + self.cross_attn(ha, hb, key_mask=mask_b), xb + self.cross_attn(hb, ha, key_mask=mask_a)
        return xa + self.mlp(self.norm_mlp(xa)), xb + self.mlp(self.norm_mlp(xb))


class MultiplexTransformer(nn.Module):
    """``X'_a, X'_b = f_MT(X_a, X_b)``: M :class:`MultiplexLayer` and a final LayerNorm."""

    def __init__(self, dim: int, heads: int, layers: int, mlp_ratio: float = 4.0, dropout: float = 0.0) -> None:
        super().__init__()
        self.layers = nn.ModuleList(MultiplexLayer(dim, heads, mlp_ratio, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, xa: torch.Tensor, xb: torch.Tensor, mask_a: torch.Tensor | None = None,
                mask_b: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        for layer in self.layers:
            xa, xb = layer(xa, xb, mask_a, mask_b)
        return self.norm(xa), self.norm(xb)
