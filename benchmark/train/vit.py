"""``linecorr train patch-vit``: wire the patch-ViT, its pair stream, eq.-4 loss and validation to the
generic loop (``benchmark.train.loop.Trainer``: AdamW, warm-up + cosine, accumulation, AMP, DDP,
safetensors checkpoints + resume, metrics.csv + TensorBoard).

Logged columns of ``metrics.csv`` keep the loop's names: ``loss`` / ``loss_fwd`` = the contrastive
loss, ``match_acc`` = share of sampled positives scoring above all their K negatives, ``val_acc`` =
the cross-image patch AP on the validation pairs (what ``best.safetensors`` maximises).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from benchmark.models.ant.losses import LossOutput
from benchmark.models.vit.losses import patch_contrastive_loss
from benchmark.models.vit.model import PatchViT, cosine_matrix, similarity_matrix
from benchmark.train.loop import DistInfo, Trainer, make_loader, run_training
from benchmark.train.vit_config import VitTrainConfig, vit_config_from_dict
from benchmark.train.vit_data import PairSource, PairStream, collate, eval_samples
from dataprep.errors import LinecorrError
from dataprep.format import dataset_specs

FORMAT = "linecorr-patch-vit"


class VitTrainer(Trainer):
    """The generic trainer writing ``linecorr-patch-vit`` checkpoints."""

    checkpoint_format = FORMAT


def _masks(batch: dict) -> dict:
    """Attention masks only when some patch is letterbox padding (the unmasked path is faster)."""
    if bool(batch["mask_a"].all()) and bool(batch["mask_b"].all()):
        return {}
    return {"mask_a": batch["mask_a"], "mask_b": batch["mask_b"]}


def make_loss_fn(cfg: VitTrainConfig):
    """``loss_fn(model, batch) -> LossOutput`` for the trainer (eq. 4)."""
    lc = cfg.loss

    def loss_fn(model: torch.nn.Module, batch: dict) -> LossOutput:
        fa, fb = model(batch["image_a"], batch["image_b"], offset=batch["offset"], **_masks(batch))
        cos = cosine_matrix(fa, fb)
        return patch_contrastive_loss(cos, batch["gt"], batch["valid"], cfg.model.temperature, lc.positives,
                                      lc.negatives, lc.cross_share, lc.sampling)

    return loss_fn


@torch.no_grad()
def cross_ap(model: PatchViT, samples: list[dict]) -> float:
    """Mean cross-image patch AP (paper Table 1, "Cross-img") of whole-frame samples."""
    from benchmark.metrics.patch import patch_pr_metrics

    dev = next(model.parameters()).device
    aps = []
    for s in samples:
        b = {k: v.to(dev) for k, v in collate([s]).items()}
        fa, fb = model(b["image_a"], b["image_b"], **_masks(b))
        valid = torch.cat([b["mask_a"], b["mask_b"]], dim=1)
        sim = similarity_matrix(cosine_matrix(fa, fb), model.cfg.temperature, valid)[0].cpu().numpy()
        aps.append(patch_pr_metrics(sim, s["gt"], s["valid"], "cross")["ap"])
    aps = [a for a in aps if math.isfinite(a)]
    return float(np.mean(aps)) if aps else float("nan")


def _validation(dataset: str | list[str], cfg: VitTrainConfig, streaming: bool = False):
    if not cfg.val_split or not cfg.eval_every:
        return None
    try:
        samples = eval_samples(dataset, cfg.val_split, cfg, cfg.val_pairs, streaming)
    except LinecorrError:
        return None  # no such split, or no pairs in it: train without validation
    return (lambda model: cross_ap(model, samples)) if samples else None


def _loader(dataset: str | list[str], cfg: VitTrainConfig, dist: DistInfo, start_step: int, streaming: bool = False):
    stream = PairStream(dataset, cfg, seed=cfg.seed * 1_000_003 + start_step, rank=dist.rank, streaming=streaming)
    return make_loader(stream, cfg, collate)


def resolve_steps(cfg: VitTrainConfig, dataset: str | list[str], streaming: bool = False) -> VitTrainConfig:
    """With ``epochs > 0``, set ``steps`` = epochs x training pairs / effective batch (rounded up)."""
    import dataclasses

    if cfg.epochs <= 0:
        if cfg.steps <= 0:
            raise LinecorrError("set steps > 0 or epochs > 0")
        return cfg
    n = len(PairSource(dataset, cfg.train_split, cfg.data.regions, cache=1, streaming=streaming).pids)
    steps = math.ceil(cfg.epochs * n / (cfg.batch_size * max(1, cfg.accum_steps)))
    return dataclasses.replace(cfg, steps=max(1, steps))


def train_patch_vit(cfg: VitTrainConfig, dataset: str | os.PathLike | Sequence[str | os.PathLike], out: str | os.PathLike, resume: bool = False,
                    progress: bool = True, streaming: bool = False) -> Path:
    """Train the patch-ViT on ``dataset`` into run folder ``out``; returns the final checkpoint's path.

    Args:
        dataset: a dataset folder, a ``linecorr publish`` output or a Hub id (``open_dataset``), or
            a list of them read as one (``open_datasets``: e.g. several renders of a generator).
        streaming: read a published dataset as a stream (pairs taken in storage order, shuffled
            in a buffer).
    """
    dataset = dataset_specs(dataset, streaming)  # strings: the data workers receive them
    cfg = resolve_steps(cfg, dataset, streaming)

    def build(dist: DistInfo) -> PatchViT:
        model = PatchViT(cfg.model)
        if cfg.pretrained and not resume and not cfg.init:  # resumed / fine-tuned runs get their weights from a checkpoint
            missing, _ = model.load_encoder_weights(cfg.pretrained)
            if dist.main:
                print(f"encoder initialised from {cfg.pretrained} ({len(missing)} encoder tensors left random)")
        return model

    return run_training(cfg, out, resume, title="patch-ViT", build_model=build, loss_fn=make_loss_fn(cfg),
                        validation=lambda: _validation(dataset, cfg, streaming),
                        loader=lambda dist, step: _loader(dataset, cfg, dist, step, streaming), trainer_cls=VitTrainer,
                        progress=progress)


def load_vit_model(path: str | os.PathLike, device: str | torch.device = "cpu"
                   ) -> tuple[PatchViT, VitTrainConfig, dict[str, str]]:
    """Build the patch-ViT of a checkpoint, load its weights, put it in eval mode.

    Returns:
        ``(model, cfg, meta)``: the model on ``device``, its ``VitTrainConfig``, the metadata.
    """
    from benchmark.train.checkpoint import build_from_checkpoint

    return build_from_checkpoint(path, FORMAT, vit_config_from_dict, PatchViT, device)


def checkpoint_vit_config(path: str | os.PathLike) -> VitTrainConfig:
    """The ``VitTrainConfig`` stored in a patch-ViT checkpoint."""
    import json

    from benchmark.train.checkpoint import read_checkpoint

    return vit_config_from_dict(json.loads(read_checkpoint(path, FORMAT)[1]["config"]))
