"""The models can learn: each overfits a small fixed batch (loss far below its start, ~100 % on it).

These are the tests that fail when a model cannot learn at all (a detached tensor, a wrong mask, a
loss that ignores its target), which range checks on outputs never catch. CPU, seconds each.
"""

from __future__ import annotations

import pytest
import torch

from benchmark.models.ant.model import AnT
from benchmark.train.ant import label_accuracy, make_loss_fn
from benchmark.train.config import tiny
from benchmark.train.data import collate, eval_pairs


def _fit(model: torch.nn.Module, loss_of, steps: int, lr: float) -> tuple[float, float]:
    """Adam on one fixed batch; returns the loss before the first and after the last step."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    first = last = float("nan")
    for step in range(steps):
        opt.zero_grad()
        loss = loss_of(model)
        loss.backward()
        opt.step()
        if step == 0:
            first = float(loss.detach())
        last = float(loss.detach())
    model.eval()
    return first, last


def test_ant_overfits_a_fixed_batch(toy_dataset):
    torch.manual_seed(0)
    cfg = tiny()
    m = cfg.model
    m.channels, m.dim, m.layers, m.dropout = (8, 16, 32), 32, 2, 0.0
    batch = collate(eval_pairs(str(toy_dataset), "train", cfg, 4))
    model = AnT(m)
    loss_fn = make_loss_fn(cfg)
    before = label_accuracy(model.eval(), [batch])
    first, last = _fit(model, lambda mod: loss_fn(mod, batch).loss, steps=60, lr=3e-3)
    after = label_accuracy(model, [batch])
    print(f"AnT loss {first:.3f} -> {last:.4f}, batch accuracy {before:.3f} -> {after:.3f}")
    assert last < 0.1 * first, (first, last)
    assert after >= 0.97 and after > before + 0.2, (before, after)


@pytest.mark.parametrize("stem", ["patch", "conv"])
def test_patch_vit_overfits_a_fixed_pair(toy_dataset, stem):
    from benchmark.models.vit.model import PatchViT
    from benchmark.train.vit import cross_ap
    from benchmark.train.vit import make_loss_fn as vit_loss_fn
    from benchmark.train.vit_config import load_vit_config
    from benchmark.train.vit_data import collate as vit_collate
    from benchmark.train.vit_data import eval_samples

    torch.manual_seed(0)
    cfg = load_vit_config("tiny", ["model.image_size=128", "model.dim=64", "model.depth=1", "model.heads=2",
                                   "model.multiplex_layers=1", "data.crop=128", "loss.positives=256",
                                   "loss.negatives=64", f"model.stem={stem}"])
    samples = eval_samples(str(toy_dataset), "train", cfg, 2)
    batch = vit_collate(samples)
    model = PatchViT(cfg.model)
    loss_fn = vit_loss_fn(cfg)
    before = cross_ap(model.eval(), samples)
    first, last = _fit(model, lambda mod: loss_fn(mod, batch).loss, steps=100, lr=2e-3)
    after = cross_ap(model, samples)
    print(f"patch-ViT ({stem} stem) loss {first:.3f} -> {last:.4f}, cross-image patch AP {before:.3f} -> {after:.3f}")
    assert last < 0.1 * first, (first, last)
    assert after >= 0.95 and after > before + 0.5, (before, after)
