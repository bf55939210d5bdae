"""Architecture of the Animation Transformer (Casey et al. 2021, sec. 3.1): one dataclass, a comment per field.

The defaults are the paper's model (D = 256, L = 9, 4 heads, dropout 0.1); the training presets
(benchmark/train/config.py: ``paper``, ``tiny``) nest it as ``TrainConfig.model``, so
``--set model.layers=3`` reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class AntModelConfig:
    """Architecture of :class:`benchmark.models.ant.model.AnT` (paper sec. 3.1)."""

    crop_size: int = 32  # Hc = Wc: side of each segment crop in pixels (paper: 32)
    crop_margin: float = 0.1  # context added around the bbox on each side, as a fraction of its side
    min_crop: float = 8.0  # smallest crop window side in image pixels, so tiny segments keep some context
    supersample: int = 2  # samples per crop pixel side, averaged: keeps 1-px lines visible when shrinking
    backbone: str = "paper"  # "tiny": plain strided convs; "paper": a deeper VGG-style CNN (see model.py)
    channels: tuple[int, ...] = (32, 64, 128)  # CNN width per stage; each stage halves the resolution
    dim: int = 256  # D, the local-feature and attention width (paper: 256)
    heads: int = 4  # attention heads (paper: 4)
    layers: int = 9  # L, alternating self/cross attention blocks, self first (paper: 9; ablation: 3)
    ffn_mult: int = 2  # hidden width of each block's point-wise MLP, as a multiple of D
    dropout: float = 0.1  # input and attention dropout (paper: 0.1)
    transformer: bool = True  # False = ablation "no transformer": local features go straight to the projection
    positional: bool = True  # False = ablation "no positional embedding": the bbox MLP is dropped
    cnn_bucket: int = 32  # CNN batches are padded (repeating crops) to a multiple of this: few distinct shapes,
    #                       because every new batch shape costs oneDNN ~2x time and cache memory on CPU

