"""Architecture of the patch-ViT region-correspondence model (Li et al., "Region-Wise Correspondence
Prediction between Manga Line Art Images"): one dataclass, a comment per field.

The defaults are the paper's model: a ViT-B/16 encoder (16x16 patches, D = 768, 12 layers, 12 heads,
MLP 3072, learnable position embeddings, class token) and a multiplex transformer of M = 4 layers.
The ``tiny`` training preset (``benchmark/train/vit_config.py``) shrinks it to train on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class VitModelConfig:
    """Encoder, multiplex transformer and similarity of :class:`benchmark.models.vit.model.PatchViT`."""

    image_size: int = 512  # frames are letterboxed to this square side (pixels) before patching
    patch_size: int = 16  # p: patch side in pixels (ViT-B/16: 16)
    stem: str = "patch"  # patch embedding: "patch" (one p x p stride-p linear map, ViT-B/16, paper) or "conv"
    #                      (3 x 3 stride-2 convolutions down to the patch grid, Xiao et al. 2021; vit.ConvStem)
    in_chans: int = 3  # gray line art is repeated to RGB so ImageNet ViT weights fit (paper)
    dim: int = 768  # d: token width of the encoder and the multiplex transformer (ViT-B: 768)
    depth: int = 12  # encoder transformer layers (ViT-B: 12)
    heads: int = 12  # attention heads in every layer (ViT-B: 12)
    mlp_ratio: float = 4.0  # hidden width of each MLP as a multiple of d (ViT-B: 4 -> 3072)
    multiplex_layers: int = 4  # M: layers of self- + cross-attention (paper: 4)
    dropout: float = 0.0  # dropout on attention weights and MLP outputs (ViT-B fine-tuning: 0)
    temperature: float = 0.1  # tau: S = row-softmax(cos / tau); also the loss temperature (eq. 4)
    normalize: str = "imagenet"  # "imagenet": RGB standardised by ImageNet mean/std (paper, ImageNet weights);
    #                              "ink": 1 - gray (paper 0, ink 1), so blank patches start as pure position (random init)
    pos_init: str = "sincos"  # initial value of the learnable position embeddings: "sincos" (2-D sine-cosine, MAE)
    #                           or "random" (timm: normal, std 0.02); a loaded ViT checkpoint replaces either
