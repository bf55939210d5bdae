"""A ViT-B/16-style encoder in plain torch (torchvision and timm are not usable here, docs/ARCHITECTURE.md).

Patch embedding (a ``p x p`` stride-``p`` convolution, i.e. one linear map per patch), a class
token, learnable position embeddings (eq. 1), pre-norm transformer blocks and a final LayerNorm
(eq. 2). Parameter names follow timm's ``VisionTransformer`` so a timm state dict loads as is;
:func:`load_vit_checkpoint` also maps torchvision's ``vit_b_16`` and Hugging Face's ``ViTModel``.

Position embeddings are stored for the grid of ``image_size / patch_size`` patches per side.
A forward pass on that grid uses them as they are; a *crop* of it (training on windows of the
frame) uses the embeddings of the patches it covers (``offset``), so the full-frame grid seen at
test time is exactly the one trained; any other grid gets them bicubically interpolated (as timm
does when fine-tuning at another resolution).
"""

from __future__ import annotations

import math
import os

import torch
import torch.nn.functional as F
from torch import nn

from benchmark.models.attention import Block
from benchmark.models.vit.config import VitModelConfig
from dataprep.errors import LinecorrError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class PatchEmbed(nn.Module):
    """Image ``(B, C, H, W)`` -> patch tokens ``(B, H/p * W/p, D)`` in row-major order."""

    def __init__(self, patch: int, in_chans: int, dim: int) -> None:
        super().__init__()
        self.patch = patch
        self.proj = nn.Conv2d(in_chans, dim, patch, stride=patch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class ConvStem(nn.Module):
    """A convolutional patch embedding (Xiao et al. 2021, "Early Convolutions Help Transformers See
    Better"): ``log2(p)`` 3 x 3 stride-2 convolutions (BatchNorm, ReLU) halving the image down to
    the patch grid, then a 1 x 1 convolution to the token width.

    Why, for line art: the linear patch embedding maps 256 pixels to a token in one step, so a
    stroke that moves by one pixel inside its patch gives an unrelated token, and a patch never
    sees the strokes just past its border. The stem's features shift with the strokes and each
    token sees 31 px around its 16-px patch. Xiao et al. measure faster, more stable optimisation
    of ViTs trained from scratch, which is how every CPU model here is trained.
    Image ``(B, C, H, W)`` -> tokens ``(B, H/p * W/p, D)`` in row-major order, like :class:`PatchEmbed`.
    """

    def __init__(self, patch: int, in_chans: int, dim: int) -> None:
        super().__init__()
        levels = patch.bit_length() - 1
        if patch < 2 or 1 << levels != patch:
            raise ValueError(f"the conv stem needs a power-of-two patch size, got {patch}")
        widths = [max(8, dim >> (levels - 1 - i)) for i in range(levels)]  # ..., D/4, D/2, D
        layers: list[nn.Module] = []
        c = in_chans
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
            c = w
        self.convs = nn.Sequential(*layers)
        self.proj = nn.Conv2d(c, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.convs(x)).flatten(2).transpose(1, 2)


def sincos_pos_embed(grid: int, dim: int) -> torch.Tensor:
    """``(grid * grid, dim)`` 2-D sine-cosine position embeddings (MAE): half the channels encode the
    row, half the column, each as sines and cosines of geometrically spaced frequencies."""
    if dim % 4:
        raise ValueError(f"sine-cosine position embeddings need dim divisible by 4, got {dim}")
    omega = 1.0 / 10000 ** (torch.arange(dim // 4, dtype=torch.float64) / (dim / 4))
    pos = torch.arange(grid, dtype=torch.float64)
    rows, cols = torch.meshgrid(pos, pos, indexing="ij")
    parts = []
    for coord in (rows.reshape(-1), cols.reshape(-1)):
        angle = coord[:, None] * omega[None, :]
        parts += [angle.sin(), angle.cos()]
    return torch.cat(parts, dim=1).float()


class VisionTransformer(nn.Module):
    """ViT encoder: ``Z + E_pos`` (eq. 1) through ``depth`` blocks and a LayerNorm (eq. 2)."""

    def __init__(self, cfg: VitModelConfig) -> None:
        super().__init__()
        if cfg.image_size % cfg.patch_size:
            raise ValueError(f"image_size {cfg.image_size} is not a multiple of patch_size {cfg.patch_size}")
        self.cfg = cfg
        self.grid = cfg.image_size // cfg.patch_size
        if cfg.stem not in ("patch", "conv"):
            raise ValueError(f"stem must be 'patch' or 'conv', got {cfg.stem!r}")
        stem = ConvStem if cfg.stem == "conv" else PatchEmbed
        self.patch_embed = stem(cfg.patch_size, cfg.in_chans, cfg.dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.grid * self.grid, cfg.dim))
        self.blocks = nn.ModuleList(Block(cfg.dim, cfg.heads, cfg.mlp_ratio, cfg.dropout) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """timm's ViT init (truncated normal, std 0.02, for linears; zero biases); position
        embeddings as ``cfg.pos_init`` (2-D sine-cosine or timm's normal)."""
        if self.cfg.pos_init == "sincos":
            with torch.no_grad():
                self.pos_embed[:, 1:] = sincos_pos_embed(self.grid, self.cfg.dim)
                self.pos_embed[:, :1] = 0
        elif self.cfg.pos_init == "random":
            nn.init.trunc_normal_(self.pos_embed, std=0.02)
        else:
            raise ValueError(f"pos_init must be 'sincos' or 'random', got {self.cfg.pos_init!r}")
        nn.init.normal_(self.cls_token, std=1e-6)
        w = self.patch_embed.proj.weight
        nn.init.trunc_normal_(w.view(w.shape[0], -1), std=math.sqrt(1.0 / w[0].numel()))  # lecun normal
        nn.init.zeros_(self.patch_embed.proj.bias)
        for m in self.patch_embed.modules():
            if isinstance(m, nn.Conv2d) and m is not self.patch_embed.proj:
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")  # He init before each ReLU
        for m in self.blocks.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def position_embeddings(self, grid_hw: tuple[int, int], offset: torch.Tensor | tuple[int, int] | None = None
                            ) -> torch.Tensor:
        """Patch position embeddings ``(1 or B, gh * gw, D)`` for a grid of ``gh x gw`` patches.

        Args:
            grid_hw: patches per column and per row of the input.
            offset: ``(row, col)`` of the input's first patch in the stored grid (a training
                crop), or a ``(B, 2) int64`` tensor of one such offset per sample; None = the
                input is a whole frame.
        """
        gh, gw = grid_hw
        g = self.grid
        table = self.pos_embed[:, 1:].reshape(g, g, -1)
        if offset is not None:
            off = torch.as_tensor(offset, device=table.device).long().reshape(-1, 2)
            if (off < 0).any() or (off[:, 0] + gh > g).any() or (off[:, 1] + gw > g).any():
                raise ValueError(f"crop of {gh}x{gw} patches at {off.tolist()} leaves the {g}x{g} grid")
            rows = off[:, :1] + torch.arange(gh, device=table.device)  # (B, gh)
            cols = off[:, 1:] + torch.arange(gw, device=table.device)  # (B, gw)
            return table[rows[:, :, None], cols[:, None, :]].reshape(off.shape[0], gh * gw, -1)
        if (gh, gw) == (g, g):
            return table.reshape(1, g * g, -1)
        resized = F.interpolate(table.permute(2, 0, 1)[None], size=(gh, gw), mode="bicubic", align_corners=False)
        return resized[0].permute(1, 2, 0).reshape(1, gh * gw, -1)

    def forward(self, images: torch.Tensor, offset: torch.Tensor | tuple[int, int] | None = None,
                key_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Patch features.

        Args:
            images: ``(B, C, H, W) float32``, normalised; H, W multiples of the patch size.
            offset: see :meth:`position_embeddings`.
            key_mask: ``(B, N) bool`` patches that may be attended to (False = padding).

        Returns:
            ``(B, N, D)`` token features, N = (H/p)(W/p), row-major (the class token dropped).
        """
        b, _, h, w = images.shape
        p = self.cfg.patch_size
        if h % p or w % p:
            raise ValueError(f"input {h}x{w} is not a multiple of the patch size {p}")
        x = self.patch_embed(images) + self.position_embeddings((h // p, w // p), offset)
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(b, -1, -1)
        x = torch.cat([cls, x], dim=1)
        mask = None
        if key_mask is not None:
            mask = torch.cat([torch.ones_like(key_mask[:, :1]), key_mask], dim=1)
        for blk in self.blocks:
            x = blk(x, mask)
        return self.norm(x)[:, 1:]


# ---- user-supplied ViT-B/16 weights ------------------------------------------------------------------

def _read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Tensors of a ``.safetensors`` / ``.pth`` / ``.pt`` / ``.bin`` file (unwrapping ``model``/``state_dict``)."""
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise LinecorrError("ViT checkpoint is missing", p)
    try:
        if p.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = load_file(str(p))
        else:
            sd = torch.load(str(p), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable file is one user error
        raise LinecorrError(f"cannot read ViT checkpoint ({type(e).__name__}: {str(e).splitlines()[0][:120]})", p) from None
    for key in ("model", "state_dict", "module"):
        if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict):
            sd = sd[key]
    if not isinstance(sd, dict) or not all(torch.is_tensor(v) for v in sd.values()):
        raise LinecorrError("ViT checkpoint holds no state dict of tensors", p)
    return sd


def _from_torchvision(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {"cls_token": sd["class_token"], "pos_embed": sd["encoder.pos_embedding"],
           "patch_embed.proj.weight": sd["conv_proj.weight"], "patch_embed.proj.bias": sd["conv_proj.bias"],
           "norm.weight": sd["encoder.ln.weight"], "norm.bias": sd["encoder.ln.bias"]}
    i = 0
    while f"encoder.layers.encoder_layer_{i}.ln_1.weight" in sd:
        s, t = f"encoder.layers.encoder_layer_{i}.", f"blocks.{i}."
        fc1 = "mlp.0" if s + "mlp.0.weight" in sd else "mlp.linear_1"  # torchvision renamed them in 0.12
        fc2 = "mlp.3" if s + "mlp.3.weight" in sd else "mlp.linear_2"
        for a, b in (("ln_1", "norm1"), ("ln_2", "norm2"), (fc1, "mlp.fc1"), (fc2, "mlp.fc2"),
                     ("self_attention.out_proj", "attn.proj")):
            out[t + b + ".weight"], out[t + b + ".bias"] = sd[s + a + ".weight"], sd[s + a + ".bias"]
        out[t + "attn.qkv.weight"] = sd[s + "self_attention.in_proj_weight"]
        out[t + "attn.qkv.bias"] = sd[s + "self_attention.in_proj_bias"]
        i += 1
    return out


def _from_huggingface(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    sd = {k.removeprefix("vit."): v for k, v in sd.items()}
    out = {"cls_token": sd["embeddings.cls_token"], "pos_embed": sd["embeddings.position_embeddings"],
           "patch_embed.proj.weight": sd["embeddings.patch_embeddings.projection.weight"],
           "patch_embed.proj.bias": sd["embeddings.patch_embeddings.projection.bias"],
           "norm.weight": sd["layernorm.weight"], "norm.bias": sd["layernorm.bias"]}
    i = 0
    while f"encoder.layer.{i}.layernorm_before.weight" in sd:
        s, t = f"encoder.layer.{i}.", f"blocks.{i}."
        for a, b in (("layernorm_before", "norm1"), ("layernorm_after", "norm2"), ("intermediate.dense", "mlp.fc1"),
                     ("output.dense", "mlp.fc2"), ("attention.output.dense", "attn.proj")):
            out[t + b + ".weight"], out[t + b + ".bias"] = sd[s + a + ".weight"], sd[s + a + ".bias"]
        for kind in ("weight", "bias"):
            out[t + "attn.qkv." + kind] = torch.cat(
                [sd[f"{s}attention.attention.{n}.{kind}"] for n in ("query", "key", "value")])
        i += 1
    return out


def load_vit_checkpoint(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a user-supplied ViT-B/16 checkpoint as a state dict of :class:`VisionTransformer`.

    Pretrained ImageNet weights cannot be downloaded here, so the model starts from random weights
    unless you bring them. Accepted (``.safetensors``, ``.pth``, ``.pt`` or ``.bin``; a dict nested
    under ``model`` / ``state_dict`` is unwrapped):

    - **timm** ``vit_base_patch16_224*`` (keys ``patch_embed.proj.weight``, ``blocks.0.attn.qkv.weight``,
      ...): used as is; the classifier ``head.*`` and other extra keys are dropped.
    - **torchvision** ``vit_b_16`` (``conv_proj.weight``, ``encoder.layers.encoder_layer_0...``).
    - **Hugging Face** ``ViTModel`` / ``ViTForImageClassification`` (``[vit.]embeddings...``,
      ``encoder.layer.0.attention.attention.query...``; q, k, v are fused into ``qkv``).

    Position embeddings keep the checkpoint's grid (e.g. 14x14 + class token for 224 px);
    :meth:`PatchViT.load_encoder_weights` resizes them to the model's grid.

    Returns:
        ``{name: tensor}`` with this module's parameter names.

    Raises:
        LinecorrError: unreadable file or an unknown key layout.
    """
    sd = _read_state_dict(path)
    if "class_token" in sd and "conv_proj.weight" in sd:
        sd = _from_torchvision(sd)
    elif any(k.removeprefix("vit.").startswith("embeddings.patch_embeddings") for k in sd):
        sd = _from_huggingface(sd)
    elif "patch_embed.proj.weight" not in sd:
        raise LinecorrError("unknown ViT checkpoint layout (expected timm, torchvision vit_b_16 or Hugging Face "
                            "ViTModel keys)", path)
    keep = ("cls_token", "pos_embed", "patch_embed.", "blocks.", "norm.")
    return {k: v for k, v in sd.items() if k.startswith(keep) and "attn.q_norm" not in k and "attn.k_norm" not in k}


def resize_pos_embed(pos: torch.Tensor, grid: int) -> torch.Tensor:
    """``(1, 1 + g*g, D)`` position embeddings (class token first) resized to ``grid x grid``."""
    n = pos.shape[1] - 1
    g = round(math.sqrt(n))
    if g * g != n:
        raise LinecorrError(f"position embeddings of {n} patches are not a square grid")
    if g == grid:
        return pos
    table = pos[:, 1:].reshape(1, g, g, -1).permute(0, 3, 1, 2).float()
    table = F.interpolate(table, size=(grid, grid), mode="bicubic", align_corners=False)
    return torch.cat([pos[:, :1], table.permute(0, 2, 3, 1).reshape(1, grid * grid, -1).to(pos.dtype)], dim=1)
