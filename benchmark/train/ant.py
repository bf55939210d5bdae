"""``linecorr train ant``: wire the AnT model, pair stream, losses and validation to the loop."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch

from benchmark.models.ant.losses import LossOutput, ant_loss
from benchmark.models.ant.model import AnT
from benchmark.train.config import TrainConfig
from benchmark.train.data import PairStream, check_labels, collate, eval_pairs
from benchmark.train.loop import DistInfo, make_loader, run_training
from dataprep.errors import LinecorrError
from dataprep.format import dataset_specs


def make_loss_fn(cfg: TrainConfig):
    """``loss_fn(model, batch) -> LossOutput`` for the trainer (eq. 8 with the config's labels)."""
    ignore = -1 if cfg.ignore_unlabeled else None

    def loss_fn(model: torch.nn.Module, batch: dict) -> LossOutput:
        logits = model(batch["crops_a"], batch["boxes_a"], batch["valid_a"],
                       batch["crops_b"], batch["boxes_b"], batch["valid_b"])
        return ant_loss(logits, batch, cfg.labels, cfg.cycle_weight, ignore)

    return loss_fn


@torch.no_grad()
def label_accuracy(model: AnT, batches: list[dict], key: str = "label") -> float:
    """Pairwise eq.-3 accuracy: share of target segments whose S-weighted label vote is right.

    Args:
        batches: collated, unaugmented pairs (``collate`` output).
        key: "label" (correspondence) or "color".
    """
    right = total = 0
    dev = next(model.parameters()).device
    for b in batches:
        b = {k: v.to(dev) for k, v in b.items()}
        s = model(b["crops_a"], b["boxes_a"], b["valid_a"], b["crops_b"], b["boxes_b"], b["valid_b"]).softmax(-1)
        la, lb = b[f"{key}_a"], b[f"{key}_b"]
        classes, inv = torch.unique(la, return_inverse=True)
        onehot = torch.nn.functional.one_hot(inv, classes.numel()).to(s.dtype) * b["valid_a"][..., None]
        pred = classes[(s @ onehot).argmax(-1)]  # (B, N) label with the largest summed score
        right += int(((pred == lb) & b["valid_b"]).sum())
        total += int(b["valid_b"].sum())
    return right / total if total else float("nan")


def _loader(dataset: str | list[str], cfg: TrainConfig, dist: DistInfo, start_step: int, streaming: bool = False):
    stream = PairStream(dataset, cfg, seed=cfg.seed * 1_000_003 + start_step, rank=dist.rank, streaming=streaming)
    return make_loader(stream, cfg, collate)


def _validation(dataset: str | list[str], cfg: TrainConfig, streaming: bool = False):
    if not cfg.val_split or not cfg.eval_every:
        return None
    try:
        pairs = eval_pairs(dataset, cfg.val_split, cfg, cfg.val_pairs, streaming)
    except LinecorrError:
        return None  # no such split: train without validation
    if not pairs:
        return None
    batches = [collate(pairs[i:i + cfg.batch_size]) for i in range(0, len(pairs), cfg.batch_size)]
    key = "color" if cfg.labels == "color" else "label"
    return lambda model: label_accuracy(model, batches, key)


def train_ant(cfg: TrainConfig, dataset: str | os.PathLike | Sequence[str | os.PathLike], out: str | os.PathLike, resume: bool = False,
              progress: bool = True, streaming: bool = False) -> Path:
    """Train AnT on ``dataset`` into run folder ``out``; returns the final checkpoint's path.

    Args:
        dataset: a dataset folder, a ``linecorr publish`` output or a Hub id (``open_dataset``), or
            a list of them read as one (``open_datasets``: e.g. several renders of a generator).
        streaming: read a published dataset as a stream (pairs drawn in storage order).
    """
    dataset = dataset_specs(dataset, streaming)  # strings: the data workers receive them
    check_labels(dataset, cfg.train_split, cfg.labels, streaming)
    if cfg.labels == "none" and cfg.cycle_weight <= 0:
        raise LinecorrError("labels=none trains with the cycle loss only: set cycle_weight > 0")
    return run_training(cfg, out, resume, title="AnT", build_model=lambda dist: AnT(cfg.model),
                        loss_fn=make_loss_fn(cfg), validation=lambda: _validation(dataset, cfg, streaming),
                        loader=lambda dist, step: _loader(dataset, cfg, dist, step, streaming), progress=progress)


def checkpoint_ant_config(path: str | os.PathLike) -> TrainConfig:
    """The training config stored in an AnT checkpoint (the base of ``linecorr train ant --resume``)."""
    from benchmark.train.checkpoint import checkpoint_config, read_checkpoint

    return checkpoint_config(read_checkpoint(path)[1])
