"""The patch-ViT model: shapes, masking, position embeddings of crops, symmetry, the ViT-B/16 checkpoint
loader (timm / torchvision / Hugging Face layouts) and the training checkpoint round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmark.models.vit.config import VitModelConfig
from benchmark.models.vit.model import PatchViT, cosine_matrix, similarity_matrix
from benchmark.models.vit.vit import load_vit_checkpoint, resize_pos_embed
from dataprep.errors import LinecorrError

CFG = VitModelConfig(image_size=64, dim=32, depth=2, heads=2, mlp_ratio=2.0, multiplex_layers=2)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return PatchViT(CFG).eval()


def test_shapes_and_s_is_a_row_softmax(model):
    a, b = torch.rand(2, 1, 64, 64), torch.rand(2, 1, 64, 64)
    with torch.no_grad():
        fa, fb = model(a, b)
    assert fa.shape == fb.shape == (2, 16, 32)
    assert torch.allclose(fa.norm(dim=-1), torch.ones(2, 16), atol=1e-5)
    cos = cosine_matrix(fa, fb)
    assert cos.shape == (2, 32, 32)
    s = similarity_matrix(cos, 0.1)
    assert torch.allclose(s.sum(-1), torch.ones(2, 32), atol=1e-5) and (s >= 0).all()


def test_swapping_the_images_swaps_the_features(model):
    a, b = torch.rand(1, 1, 64, 64), torch.rand(1, 1, 64, 64)
    with torch.no_grad():
        fa, fb = model(a, b)
        gb, ga = model(b, a)
    assert torch.allclose(fa, ga, atol=1e-5) and torch.allclose(fb, gb, atol=1e-5)


def test_padding_patches_do_not_change_real_ones(model):
    a, b = torch.rand(1, 1, 64, 64), torch.rand(1, 1, 64, 64)
    mask = torch.ones(1, 16, dtype=torch.bool)
    mask[0, 12:] = False  # the last patch row is letterbox padding
    a2 = a.clone()
    a2[..., 48:, :] = torch.rand(1, 1, 16, 64)  # change only the padding
    with torch.no_grad():
        fa, fb = model(a, b, mask_a=mask, mask_b=mask)
        ga, gb = model(a2, b, mask_a=mask, mask_b=mask)
    assert torch.allclose(fa[0, :12], ga[0, :12], atol=1e-5)
    assert torch.allclose(fb, gb, atol=1e-5)


def test_a_crop_uses_the_position_embeddings_of_the_patches_it_covers(model):
    enc = model.encoder
    full = enc.position_embeddings((4, 4))
    crop = enc.position_embeddings((2, 2), torch.tensor([[1, 2], [0, 0]]))
    assert crop.shape == (2, 4, 32)
    grid = full.reshape(4, 4, 32)
    assert torch.equal(crop[0].reshape(2, 2, 32), grid[1:3, 2:4])
    assert torch.equal(crop[1].reshape(2, 2, 32), grid[0:2, 0:2])
    with pytest.raises(ValueError):
        enc.position_embeddings((2, 2), (3, 3))
    assert enc.position_embeddings((8, 8)).shape == (1, 64, 32)  # another grid: interpolated


def _timm_state(model: PatchViT) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.encoder.state_dict().items()}


def _to_torchvision(sd: dict[str, torch.Tensor], depth: int) -> dict[str, torch.Tensor]:
    out = {"class_token": sd["cls_token"], "encoder.pos_embedding": sd["pos_embed"],
           "conv_proj.weight": sd["patch_embed.proj.weight"], "conv_proj.bias": sd["patch_embed.proj.bias"],
           "encoder.ln.weight": sd["norm.weight"], "encoder.ln.bias": sd["norm.bias"],
           "heads.head.weight": torch.zeros(10, 32), "heads.head.bias": torch.zeros(10)}
    for i in range(depth):
        s, t = f"encoder.layers.encoder_layer_{i}.", f"blocks.{i}."
        for a, b in (("ln_1", "norm1"), ("ln_2", "norm2"), ("mlp.0", "mlp.fc1"), ("mlp.3", "mlp.fc2"),
                     ("self_attention.out_proj", "attn.proj")):
            out[s + a + ".weight"], out[s + a + ".bias"] = sd[t + b + ".weight"], sd[t + b + ".bias"]
        out[s + "self_attention.in_proj_weight"] = sd[t + "attn.qkv.weight"]
        out[s + "self_attention.in_proj_bias"] = sd[t + "attn.qkv.bias"]
    return out


def _to_hf(sd: dict[str, torch.Tensor], depth: int) -> dict[str, torch.Tensor]:
    out = {"vit.embeddings.cls_token": sd["cls_token"], "vit.embeddings.position_embeddings": sd["pos_embed"],
           "vit.embeddings.patch_embeddings.projection.weight": sd["patch_embed.proj.weight"],
           "vit.embeddings.patch_embeddings.projection.bias": sd["patch_embed.proj.bias"],
           "vit.layernorm.weight": sd["norm.weight"], "vit.layernorm.bias": sd["norm.bias"]}
    for i in range(depth):
        s, t = f"vit.encoder.layer.{i}.", f"blocks.{i}."
        for a, b in (("layernorm_before", "norm1"), ("layernorm_after", "norm2"), ("intermediate.dense", "mlp.fc1"),
                     ("output.dense", "mlp.fc2"), ("attention.output.dense", "attn.proj")):
            out[s + a + ".weight"], out[s + a + ".bias"] = sd[t + b + ".weight"], sd[t + b + ".bias"]
        for kind in ("weight", "bias"):
            q, k, v = sd[t + "attn.qkv." + kind].chunk(3)
            out[f"{s}attention.attention.query.{kind}"] = q
            out[f"{s}attention.attention.key.{kind}"] = k
            out[f"{s}attention.attention.value.{kind}"] = v
    return out


@pytest.mark.parametrize("layout", ["timm", "torchvision", "hf"])
def test_vit_checkpoint_loader_maps_every_layout(tmp_path, model, layout):
    from safetensors.torch import save_file

    sd = _timm_state(model)
    if layout == "timm":
        src = {**sd, "head.weight": torch.zeros(10, 32), "head.bias": torch.zeros(10)}
        path = tmp_path / "vit.pth"
        torch.save({"model": src}, path)
    else:
        src = _to_torchvision(sd, CFG.depth) if layout == "torchvision" else _to_hf(sd, CFG.depth)
        path = tmp_path / "vit.safetensors"
        save_file({k: v.contiguous() for k, v in src.items()}, str(path))
    got = load_vit_checkpoint(path)
    assert set(got) == set(sd)
    assert all(torch.equal(got[k], sd[k]) for k in sd)
    fresh = PatchViT(CFG)
    missing, unexpected = fresh.load_encoder_weights(path)
    assert missing == [] and unexpected == []
    assert torch.equal(fresh.encoder.blocks[1].attn.qkv.weight, model.encoder.blocks[1].attn.qkv.weight)


def test_loader_resizes_position_embeddings_and_refuses_foreign_files(tmp_path, model):
    pos = torch.randn(1, 1 + 14 * 14, 8)
    out = resize_pos_embed(pos, 32)
    assert out.shape == (1, 1 + 32 * 32, 8) and torch.equal(out[:, :1], pos[:, :1])
    bad = tmp_path / "bad.pth"
    torch.save({"foo.weight": torch.zeros(2)}, bad)
    with pytest.raises(LinecorrError, match="unknown ViT checkpoint layout"):
        load_vit_checkpoint(bad)
    with pytest.raises(LinecorrError, match="missing"):
        load_vit_checkpoint(tmp_path / "nope.pth")
    wrong = PatchViT(VitModelConfig(image_size=64, dim=16, depth=2, heads=2, multiplex_layers=1))
    good = tmp_path / "good.pth"
    torch.save(_timm_state(model), good)
    with pytest.raises(LinecorrError, match="does not fit"):
        wrong.load_encoder_weights(good)


def test_checkpoint_round_trip(tmp_path):
    from benchmark.models.vit.matcher import PatchVitMatcher
    from benchmark.train.checkpoint import save_checkpoint
    from benchmark.train.vit import FORMAT, load_vit_model
    from benchmark.train.vit_config import load_vit_config

    cfg = load_vit_config("tiny", ["model.image_size=64", "model.dim=32", "model.heads=2", "model.depth=1",
                                   "model.multiplex_layers=1"])
    torch.manual_seed(1)
    m = PatchViT(cfg.model)
    path = save_checkpoint(tmp_path / "x.safetensors", m, cfg, step=7, fmt=FORMAT)
    got, got_cfg, meta = load_vit_model(path)
    assert got_cfg == cfg and meta["step"] == "7"
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), got.state_dict().values()))
    matcher = PatchVitMatcher.from_checkpoint(path)
    assert matcher.name == "patch-vit-tiny" and matcher.cfg.step == 7
    line = np.full((64, 64), 255, np.uint8)
    line[20, :] = 0
    ps = matcher.similarity(line, line)
    assert ps.cos.shape == (32, 32) and np.allclose(np.diag(ps.cos), 1, atol=1e-5)
    # an AnT checkpoint is refused by name
    ant = save_checkpoint(tmp_path / "ant.safetensors", m, cfg, step=1)
    with pytest.raises(LinecorrError, match="linecorr-patch-vit"):
        load_vit_model(ant)


def test_conv_stem_gives_the_patch_grid_and_refuses_linear_patch_weights(tmp_path, model):
    from benchmark.models.vit.vit import ConvStem

    torch.manual_seed(0)
    conv = PatchViT(VitModelConfig(image_size=64, dim=32, depth=2, heads=2, mlp_ratio=2.0, multiplex_layers=2,
                                   stem="conv", in_chans=1, normalize="ink")).eval()
    assert isinstance(conv.encoder.patch_embed, ConvStem)
    assert [m.out_channels for m in conv.encoder.patch_embed.convs if isinstance(m, torch.nn.Conv2d)] == [8, 8, 16, 32]
    a, b = torch.rand(2, 1, 64, 64), torch.rand(2, 1, 64, 64)
    with torch.no_grad():
        fa, fb = conv(a, b)
        gb, ga = conv(b, a)
        crop, _ = conv(a[..., :32, :32], b[..., :32, :32], offset=torch.zeros(2, 2, dtype=torch.long))
    assert fa.shape == fb.shape == (2, 16, 32)
    assert torch.allclose(fa, ga, atol=1e-5) and torch.allclose(fb, gb, atol=1e-5)
    assert crop.shape == (2, 4, 32)
    good = tmp_path / "vit.pth"
    torch.save(_timm_state(model), good)  # a ViT-B/16-style checkpoint has a 16 x 16 linear patch embedding
    with pytest.raises(LinecorrError, match="does not fit"):
        conv.load_encoder_weights(good)
    with pytest.raises(ValueError, match="power-of-two"):
        ConvStem(12, 1, 32)
    with pytest.raises(ValueError, match="stem must be"):
        PatchViT(VitModelConfig(image_size=64, dim=32, depth=1, heads=2, multiplex_layers=1, stem="cnn"))


def test_hflip_tta_averages_the_mirrored_pair_in_the_original_patch_order(model):
    from benchmark.models.vit.matcher import PatchVitMatcher

    rng = np.random.default_rng(0)
    a = np.where(rng.random((64, 64)) < 0.1, 0, 255).astype(np.uint8)
    b = np.where(rng.random((64, 64)) < 0.1, 0, 255).astype(np.uint8)
    m = PatchVitMatcher(model)
    plain = m.similarity(a, b).cos
    m.use_tta("hflip")
    both = m.similarity(a, b).cos
    mirrored = m.similarity(a[:, ::-1], b[:, ::-1]).cos
    # patch (r, c) of the mirrored pair is patch (r, 3 - c) of the pair: its hflip view is the pair's plain view
    order = np.arange(16).reshape(4, 4)[:, ::-1].ravel()
    order = np.concatenate([order, order + 16])
    assert np.allclose(mirrored[np.ix_(order, order)], both, atol=1e-5)
    assert not np.allclose(both, plain, atol=1e-3) and np.allclose(np.diag(both), 1, atol=1e-5)
    # a frame that is not square: padding masks are mirrored with it and the result stays finite
    tall = m.similarity(a[:, :40], b[:, :40])
    assert tall.cos.shape == (32, 32) and np.isfinite(tall.cos).all()
    with pytest.raises(LinecorrError, match="hflip"):
        m.use_tta("vflip")
