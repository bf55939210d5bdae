"""The Animation Transformer (AnT, Casey et al. 2021, sec. 3.1-3.2).

Local segment features ``x_i = CNN(d_i) + MLP(p_i)`` (eq. 1) from two-channel crops ``d_i`` and
bboxes ``p_i``; a multiplex transformer of ``L`` blocks alternating self-attention (within a
frame) and cross-attention (to the other frame), both directions at once; a final linear
projection; ``S = softmax_i(f_i . f_j)`` over reference segments (eq. 4, rows = target segments).

Frames travel as padded batches: ``(B, M, ...)`` tensors with a ``(B, M) bool`` validity mask;
padded slots are never attended to (key masks) and never matched (their similarity columns are
masked), so adding padding does not change any valid output.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from benchmark.models.ant.config import AntModelConfig
from benchmark.models.attention import Block

_NEG = -1e9  # "minus infinity" that stays finite: a fully masked row softmaxes to uniform, never NaN


class SegmentCNN(nn.Module):
    """CNN backbone: crops ``(N, 2, S, S)`` -> features ``(N, D)``.

    Each stage halves the resolution (a strided 3x3 conv; the ``paper`` variant adds a second
    3x3 conv per stage). A 1x1 conv lifts the last maps to D channels and a learned depthwise
    conv over the whole remaining map squashes the spatial dimensions (keeping where in the crop
    a pattern was, which a global average would throw away).
    """

    def __init__(self, cfg: AntModelConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 2
        for c in cfg.channels:
            layers += [nn.Conv2d(c_in, c, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
            if cfg.backbone == "paper":
                layers += [nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
            c_in = c
        self.stages = nn.Sequential(*layers)
        side = cfg.crop_size // 2 ** len(cfg.channels)
        if side < 1:
            raise ValueError(f"crop_size {cfg.crop_size} is too small for {len(cfg.channels)} stages")
        self.lift = nn.Conv2d(c_in, cfg.dim, 1)
        self.squash = nn.Conv2d(cfg.dim, cfg.dim, side, groups=cfg.dim)

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        return self.squash(self.lift(self.stages(crops))).flatten(1)


class BoxEncoder(nn.Module):
    """MLP_enc of eq. 1: bbox ``(N, 4)`` ``(x, y, h, w)`` in [-1, 1] -> ``(N, D)``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(4, 32), nn.ReLU(inplace=True), nn.Linear(32, 64), nn.ReLU(inplace=True),
                                 nn.Linear(64, dim))

    def forward(self, boxes: torch.Tensor) -> torch.Tensor:
        return self.mlp(boxes)


class AnT(nn.Module):
    """The Animation Transformer: segment crops and boxes of two frames -> match logits.

    Example:
        >>> model = AnT(AntModelConfig(dim=64, layers=2, backbone="tiny"))   # doctest: +SKIP
        >>> logits = model(crops_a, boxes_a, valid_a, crops_b, boxes_b, valid_b)  # (B, M, M)
        >>> S = logits.softmax(-1)   # rows: segments of B; columns: segments of A (padding masked)
    """

    def __init__(self, cfg: AntModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.cnn = SegmentCNN(cfg)
        self.pos = BoxEncoder(cfg.dim) if cfg.positional else None
        self.input_drop = nn.Dropout(cfg.dropout)
        n_blocks = cfg.layers if cfg.transformer else 0
        # Pre-norm blocks without dropout after the MLP and with torch's LayerNorm epsilon, as trained
        # since the first checkpoints; `_upgrade_state_dict` reads those checkpoints' older key names.
        self.blocks = nn.ModuleList(Block(cfg.dim, cfg.heads, cfg.ffn_mult, cfg.dropout, mlp_dropout=0.0, eps=1e-5)
                                    for _ in range(n_blocks))
        self.norm = nn.LayerNorm(cfg.dim) if n_blocks else nn.Identity()
        self.proj = nn.Linear(cfg.dim, cfg.dim)
        self._register_load_state_dict_pre_hook(_upgrade_state_dict)

    def local_features(self, crops: torch.Tensor, boxes: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Eq. 1 for the valid slots only: ``(B, M, 2, S, S)``, ``(B, M, 4)``, ``(B, M)`` -> ``(B, M, D)``.

        Padded slots stay zero and cost no CNN time.
        """
        feats = self._cnn_bucketed(crops[valid])
        if self.pos is not None:
            feats = feats + self.pos(boxes[valid])
        out = feats.new_zeros(*valid.shape, feats.shape[-1])
        out[valid] = feats
        return out

    def _cnn_bucketed(self, crops: torch.Tensor) -> torch.Tensor:
        """The CNN on ``(K, 2, S, S)`` crops; in training, on a batch padded to a multiple of ``cnn_bucket``.

        Padding repeats real crops (not zeros), so BatchNorm's training statistics stay those of
        real crops; the extra rows are dropped. In eval mode (inference, where one pair is small)
        the crops run as they are.
        """
        k, bucket = crops.shape[0], self.cfg.cnn_bucket
        if not self.training or bucket <= 1 or k == 0 or k % bucket == 0:
            return self.cnn(crops)
        idx = torch.arange(-(-k // bucket) * bucket, device=crops.device) % k
        return self.cnn(crops[idx])[:k]

    def transform(self, xa: torch.Tensor, xb: torch.Tensor, valid_a: torch.Tensor | None,
                  valid_b: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The multiplex transformer and the final projection: ``(B, M, D)`` x 2 -> ``f_A, f_B``.

        ``valid_a``, ``valid_b``: ``(B, M) bool`` masks, or both None when no slot is padding (attention
        then runs unmasked: the same result, a little faster).
        """
        b = xa.shape[0]
        x = self.input_drop(torch.cat([xa, xb], 0))
        key_mask = None
        if valid_a is not None:
            valid = torch.cat([valid_a, valid_b], 0)
            # A frame without any segment would have nothing to attend to (NaN): let it see its pads.
            key_mask = valid | ~valid.any(-1, keepdim=True)
        for i, block in enumerate(self.blocks):
            x = block(x, key_mask, cross=bool(i % 2))
        f = self.proj(self.norm(x))
        return f[:b], f[b:]

    def similarity_logits(self, fa: torch.Tensor, fb: torch.Tensor, valid_a: torch.Tensor | None) -> torch.Tensor:
        """Inner products ``f_j . f_i / sqrt(D)`` as ``(B, M_b, M_a) float32``, padded sources masked.

        The 1/sqrt(D) only sets the scale at initialisation (the projection can learn any scale).
        ``valid_a`` None: no source is padding.
        """
        logits = torch.einsum("bnd,bmd->bnm", fb.float(), fa.float()) / math.sqrt(fa.shape[-1])
        return logits if valid_a is None else logits.masked_fill(~valid_a[:, None, :], _NEG)

    def pair_logits(self, crops_a: torch.Tensor, boxes_a: torch.Tensor, crops_b: torch.Tensor,
                    boxes_b: torch.Tensor) -> torch.Tensor:
        """Match logits of ONE pair given unpadded, ``(N_b, N_a) float32`` (inference, eval mode).

        The values of ``forward`` on the pair padded to a batch of one (up to float rounding), without
        building and indexing padded crop tensors: the CNN runs once on both frames' crops as they are,
        and the transformer sees padding (and masks) only when ``N_a != N_b``.

        Args:
            crops_a, crops_b: ``(N_a, 2, S, S)``, ``(N_b, 2, S, S) float32`` crops (``frame_inputs``).
            boxes_a, boxes_b: ``(N_a, 4)``, ``(N_b, 4) float32`` normalised boxes.
        """
        na, nb = crops_a.shape[0], crops_b.shape[0]
        feats = self.cnn(torch.cat([crops_a, crops_b]))  # (N_a + N_b, D)
        if self.pos is not None:
            feats = feats + self.pos(torch.cat([boxes_a, boxes_b]))
        m = max(na, nb)
        if na == nb:
            x, valid_a, valid_b = feats.view(2, m, -1), None, None
        else:
            x = feats.new_zeros(2, m, feats.shape[-1])
            x[0, :na], x[1, :nb] = feats[:na], feats[na:]
            slots = torch.arange(m, device=feats.device)
            valid_a, valid_b = (slots < na)[None], (slots < nb)[None]
        fa, fb = self.transform(x[:1], x[1:], valid_a, valid_b)
        return self.similarity_logits(fa, fb, valid_a)[0, :nb, :na]

    def forward(self, crops_a: torch.Tensor, boxes_a: torch.Tensor, valid_a: torch.Tensor,
                crops_b: torch.Tensor, boxes_b: torch.Tensor, valid_b: torch.Tensor) -> torch.Tensor:
        """Match logits of a batch of padded pairs.

        Args:
            crops_a, crops_b: ``(B, M, 2, S, S) float32`` crops (both frames padded to the same M).
            boxes_a, boxes_b: ``(B, M, 4) float32`` normalised boxes.
            valid_a, valid_b: ``(B, M) bool``, False on padding.

        Returns:
            ``(B, M, M) float32`` logits; row j = segment j of B (target), column i = segment i of
            A (reference); padded columns hold -1e9, so ``softmax(-1)`` gives eq. 4's S.
        """
        b = crops_a.shape[0]
        x = self.local_features(torch.cat([crops_a, crops_b]), torch.cat([boxes_a, boxes_b]),
                                torch.cat([valid_a, valid_b]))  # one CNN call for both frames
        fa, fb = self.transform(x[:b], x[b:], valid_a, valid_b)
        return self.similarity_logits(fa, fb, valid_a)


#: Block parameter names of checkpoints written before AnT used the shared Block -> today's names.
_OLD_BLOCK_KEYS = {".qkv.": ".attn.qkv.", ".out.": ".attn.proj.", ".ffn.0.": ".mlp.fc1.", ".ffn.2.": ".mlp.fc2."}


def _upgrade_state_dict(state_dict: dict, prefix: str, *args) -> None:
    """Rename, in place, the block keys of an older AnT checkpoint (``blocks.N.qkv`` -> ``blocks.N.attn.qkv``)."""
    for key in [k for k in state_dict if k.startswith(prefix + "blocks.")]:
        for old, new in _OLD_BLOCK_KEYS.items():
            if old in key and new not in key:
                state_dict[key.replace(old, new, 1)] = state_dict.pop(key)
                break


def fold_batchnorm(model: AnT) -> AnT:
    """Fold each eval-mode BatchNorm of the CNN into the conv before it (in place; inference only).

    Same outputs up to float rounding, one pass less over the activations per conv.
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    if model.training:
        raise ValueError("fold_batchnorm needs a model in eval mode")
    layers = list(model.cnn.stages)
    for i in range(len(layers) - 1):
        if isinstance(layers[i], nn.Conv2d) and isinstance(layers[i + 1], nn.BatchNorm2d):
            layers[i], layers[i + 1] = fuse_conv_bn_eval(layers[i], layers[i + 1]), nn.Identity()
    model.cnn.stages = nn.Sequential(*layers)
    return model
