"""The patch-level similarity model of Li et al. (Approach, "Patch-Level Similarity Learning").

``PatchViT(image_a, image_b)``: both line images are cut into N patches and encoded by the same
ViT (eqs. 1-2), the multiplex transformer mixes the two token sets (eq. 3), and the L2-normalised
features give the cosine matrix ``C`` over all 2N patches (first N rows/columns = A). The paper's
``S in [0, 1]^{2N x 2N}`` is the row-wise softmax of ``C / tau``; its blocks ``S_aa``, ``S_ab``,
``S_ba``, ``S_bb`` hold the intra- and cross-image similarities.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn

from benchmark.models.vit.config import VitModelConfig
from benchmark.models.vit.multiplex import MultiplexTransformer
from benchmark.models.vit.vit import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    VisionTransformer,
    load_vit_checkpoint,
    resize_pos_embed,
)

_NEG = -1e4  # masked logits: finite, so a fully masked row stays finite (half precision included)


class PatchViT(nn.Module):
    """ViT encoder + multiplex transformer -> normalised patch features of a pair."""

    def __init__(self, cfg: VitModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = VisionTransformer(cfg)
        self.multiplex = MultiplexTransformer(cfg.dim, cfg.heads, cfg.multiplex_layers, cfg.mlp_ratio, cfg.dropout)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def prepare(self, gray: torch.Tensor) -> torch.Tensor:
        """``(B, 1, H, W)`` line art in [0, 1] (1 = paper) -> the encoder's ``(B, C, H, W)`` input.

        Gray is repeated to C channels, then ``cfg.normalize`` = ``"imagenet"`` standardises it with
        the ImageNet mean and std (the paper's preprocessing, which ImageNet-pretrained weights
        expect) and ``"ink"`` maps paper to 0 and ink to 1: a randomly initialised patch embedding
        then sends every blank patch to its bias, and blank patches differ by position only (with
        ImageNet statistics the large constant "white" vector makes all blank tokens nearly equal
        at initialisation, cosine ~0.93, a collapsed start the contrastive loss barely leaves).
        """
        x = gray.float().expand(-1, self.cfg.in_chans, -1, -1)
        if self.cfg.normalize == "imagenet":
            if self.cfg.in_chans != 3:
                raise ValueError("normalize='imagenet' needs in_chans=3")
            return (x - self.mean) / self.std
        if self.cfg.normalize == "ink":
            return 1.0 - x
        raise ValueError(f"normalize must be 'imagenet' or 'ink', got {self.cfg.normalize!r}")

    def forward(self, gray_a: torch.Tensor, gray_b: torch.Tensor, offset: torch.Tensor | None = None,
                mask_a: torch.Tensor | None = None, mask_b: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Unit-length patch features of both images.

        Args:
            gray_a, gray_b: ``(B, 1, H, W)`` line images in [0, 1], 1 = paper; H, W multiples of
                the patch size (``inputs.Letterbox.line`` gives them).
            offset: ``(B, 2) int64`` (row, col) of each training crop in the position-embedding grid
                (the same window for A and B); None = whole frames.
            mask_a, mask_b: ``(B, N) bool`` real patches (False = letterbox padding); None = all real.

        Returns:
            ``(B, N, D) float32`` features ``X'_a``, ``X'_b`` scaled to unit length.
        """
        b = gray_a.shape[0]
        mask = None if mask_a is None else torch.cat([mask_a, mask_b])
        if offset is not None:
            offset = torch.as_tensor(offset).reshape(-1, 2)
            offset = torch.cat([offset, offset]) if offset.shape[0] == b else offset
        # One encoder call for both images: the ViT is shared (eq. 2) and batching is faster.
        x = self.encoder(self.prepare(torch.cat([gray_a, gray_b])), offset, mask)
        xa, xb = self.multiplex(x[:b], x[b:], mask_a, mask_b)
        return F.normalize(xa.float(), dim=-1), F.normalize(xb.float(), dim=-1)

    def load_encoder_weights(self, path: str | os.PathLike) -> tuple[list[str], list[str]]:
        """Initialise the ViT encoder from a user-supplied ViT-B/16 checkpoint (see ``load_vit_checkpoint``).

        Position embeddings are resized to this model's grid (bicubic). The multiplex transformer
        keeps its random init.

        Returns:
            ``(missing, unexpected)`` parameter names of the encoder.
        """
        from dataprep.errors import LinecorrError

        sd = load_vit_checkpoint(path)
        if "pos_embed" in sd:
            sd["pos_embed"] = resize_pos_embed(sd["pos_embed"], self.encoder.grid)
        own = self.encoder.state_dict()
        bad = [k for k, v in sd.items() if k in own and own[k].shape != v.shape]
        if bad:
            raise LinecorrError(f"checkpoint does not fit the encoder ({bad[0]}: {tuple(sd[bad[0]].shape)} vs "
                                f"{tuple(own[bad[0]].shape)}); the paper preset is ViT-B/16", path)
        res = self.encoder.load_state_dict(sd, strict=False)
        return list(res.missing_keys), list(res.unexpected_keys)


def cosine_matrix(fa: torch.Tensor, fb: torch.Tensor) -> torch.Tensor:
    """``C`` ``(B, 2N, 2N)``: cosine similarity of all patches of ``[A; B]`` (unit features in)."""
    f = torch.cat([fa, fb], dim=1)
    return f @ f.transpose(1, 2)


def similarity_matrix(cos: torch.Tensor, temperature: float, valid: torch.Tensor | None = None) -> torch.Tensor:
    """The paper's ``S``: row-wise softmax of ``C / tau`` over all 2N patches.

    Args:
        cos: ``(B, 2N, 2N)`` cosine matrix.
        temperature: tau.
        valid: ``(B, 2N) bool`` real patches; padding columns get probability 0.

    Returns:
        ``(B, 2N, 2N)`` rows summing to one.
    """
    logits = cos / temperature
    if valid is not None:
        logits = logits.masked_fill(~valid[:, None, :], _NEG)
    return logits.softmax(-1)
