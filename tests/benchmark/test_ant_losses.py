"""AnT's losses: forward match cross-entropy, cycle consistency, and the color-label shortcut."""

from __future__ import annotations

import math

import pytest
import torch

from benchmark.models.ant.losses import ant_loss, cycle_loss, forward_match_loss, propagate_ids


def _batch(la, lb, va=None, vb=None, key="label"):
    la, lb = torch.tensor([la]), torch.tensor([lb])
    va = torch.ones_like(la, dtype=torch.bool) if va is None else torch.tensor([va])
    vb = torch.ones_like(lb, dtype=torch.bool) if vb is None else torch.tensor([vb])
    return {f"{key}_a": la, f"{key}_b": lb, "valid_a": va, "valid_b": vb}


def test_forward_loss_is_cross_entropy_of_eq3_labels():
    logits = torch.tensor([[[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]]])  # 2 targets x 3 sources
    b = _batch([7, 8, 7], [7, 8])
    per, scored = forward_match_loss(logits, b["label_a"], b["label_b"], b["valid_a"], b["valid_b"])
    s = logits.softmax(-1)[0]
    # Target 0 has label 7: sources 0 and 2 both carry it, so c_hat_0[7] = S_00 + S_02.
    want = torch.tensor([-math.log(s[0, 0] + s[0, 2]), -math.log(s[1, 1])])
    assert scored.tolist() == [[True, True]]
    assert torch.allclose(per, want, atol=1e-6)


def test_forward_loss_skips_padding_unseen_labels_and_ignored():
    logits = torch.zeros(1, 3, 3)
    b = _batch([1, 2, 3], [1, 9, -1], va=[True, True, False], vb=[True, True, True])
    per, scored = forward_match_loss(logits, b["label_a"], b["label_b"], b["valid_a"], b["valid_b"])
    assert scored.tolist() == [[True, False, False]]  # 9: not in A; -1: not among *valid* sources
    assert torch.allclose(per, torch.tensor([math.log(2.0)]))  # the padded source gets no weight
    b = _batch([1, -1], [1, -1])
    _, scored = forward_match_loss(torch.zeros(1, 2, 2), b["label_a"], b["label_b"], b["valid_a"], b["valid_b"],
                                   ignore_label=-1)
    assert scored.tolist() == [[True, False]]


def test_cycle_loss_equals_propagating_random_unique_ids():
    torch.manual_seed(0)
    logits = torch.randn(1, 4, 5) * 3  # 4 targets, 5 sources
    va = torch.tensor([[True, True, True, True, False]])
    vb = torch.tensor([[True, True, True, False]])
    per = cycle_loss(logits, va, vb)
    ids = torch.randperm(4)  # random unique ids of the 4 valid reference segments
    r_hat = propagate_ids(logits[0, :3, :4], va[0, :4], vb[0, :3], ids)  # eqs. 5-6, explicitly
    want = -torch.log(r_hat[torch.arange(4), ids])
    assert torch.allclose(per, want, atol=1e-5)
    assert torch.allclose(r_hat.sum(-1), torch.ones(4), atol=1e-5)


def test_color_labels_reward_a_wrong_match_that_the_cycle_loss_penalises():
    # Two reference segments share a color (both eyes), and so do their two targets.
    b = _batch([5, 5], [5, 5], key="color")
    right = torch.tensor([[[8.0, -8.0], [-8.0, 8.0]]])  # target j <- source j
    wrong = torch.tensor([[[8.0, -8.0], [8.0, -8.0]]])  # both targets <- source 0: a wrong correspondence
    fwd = {name: ant_loss(lg, b, labels="color", cycle_weight=0.0).forward for name, lg in
           (("right", right), ("wrong", wrong))}
    assert fwd["right"] == pytest.approx(0.0, abs=1e-6) and fwd["wrong"] == pytest.approx(0.0, abs=1e-6)
    cyc = {name: ant_loss(lg, b, labels="color", cycle_weight=0.25).cycle for name, lg in
           (("right", right), ("wrong", wrong))}
    assert cyc["right"] < 1e-3
    assert cyc["wrong"] > 0.3  # source 1 comes back as source 0 half of the time or worse


def test_ant_loss_modes_and_gradients():
    logits = torch.randn(2, 3, 3, requires_grad=True)
    b = {"label_a": torch.tensor([[1, 2, 3], [1, 2, 3]]), "label_b": torch.tensor([[1, 2, 3], [3, 2, 1]]),
         "valid_a": torch.ones(2, 3, dtype=torch.bool), "valid_b": torch.ones(2, 3, dtype=torch.bool)}
    both = ant_loss(logits, b, "correspondence", 0.25)
    assert both.loss.item() == pytest.approx(both.forward + 0.25 * both.cycle, rel=1e-5)
    both.loss.backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()
    only_cycle = ant_loss(logits, b, "none", 0.25)
    assert math.isnan(only_cycle.forward) and only_cycle.cycle > 0
    no_cycle = ant_loss(logits, b, "correspondence", 0.0)
    assert math.isnan(no_cycle.cycle) and 0.0 <= no_cycle.accuracy <= 1.0
    with pytest.raises(ValueError):
        ant_loss(logits, b, "none", 0.0)


def test_losses_are_finite_with_an_empty_frame_in_the_batch():
    logits = torch.randn(2, 3, 3)
    b = {"label_a": torch.tensor([[1, 2, 3], [-2, -2, -2]]), "label_b": torch.tensor([[1, 2, 3], [-2, -2, -2]]),
         "valid_a": torch.tensor([[True] * 3, [False] * 3]), "valid_b": torch.tensor([[True] * 3, [False] * 3])}
    out = ant_loss(logits, b, "correspondence", 0.25)
    assert math.isfinite(out.loss.item()) and math.isfinite(out.cycle)
