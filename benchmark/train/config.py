"""Training configs for AnT: dataclasses with a comment per field, and the named presets.

``paper`` is the Animation Transformer as published (sec. 3-4.2: D = 256, L = 9, 4 heads,
dropout 0.1, AdamW 5e-4 / 1e-4, clip 1, 1k warmup, 100k steps, batch 4 x 16 pairs, alpha = 0.25),
for a GPU. ``tiny`` is the same model scaled down to train on a laptop CPU in minutes (used by
tests and the demo). Load either by name, or a YAML file (which may start from a preset with
``preset: tiny``), with ``key=value`` overrides on top (``dataprep.config.load_config``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmark.models.ant.config import AntModelConfig


@dataclass
class AugmentConfig:
    """Per-pair augmentation (paper sec. 4.1: frame skipping, cropping, jittering, shearing)."""

    max_skip: int = 3  # frame gap of a training pair drawn uniformly from 1..max_skip (random frame skipping)
    reverse: float = 0.5  # probability of swapping the pair's order (play the clip backwards)
    crop: float = 0.75  # random crop keeps a window of this..1 times the frame side, resized back (shared by the pair)
    hflip: float = 0.5  # probability of mirroring both frames (a mirrored character is still a character)
    jitter: float = 0.03  # per-frame random translation, fraction of the frame side
    rotate: float = 5.0  # per-frame random rotation, degrees
    scale: float = 0.05  # per-frame random zoom, +-fraction
    shear: float = 0.1  # per-frame random shear factor, +-
    prob: float = 1.0  # probability that a pair is augmented at all (0 = raw frames)


@dataclass
class TrainConfig:
    """Everything ``linecorr train ant`` needs, saved as ``config.yaml`` in the run folder."""

    preset: str = "paper"  # the named preset this config started from (a YAML file may set it)
    model: AntModelConfig = field(default_factory=AntModelConfig)  # the architecture (beside the model)
    augment: AugmentConfig = field(default_factory=AugmentConfig)  # pair sampling and augmentation
    labels: str = "correspondence"  # forward-loss labels: "correspondence" (label), "color" (color classes) or "none"
    cycle_weight: float = 0.25  # alpha of the cycle-consistency loss (paper: 0.25); 0 = ablation "no cycle"
    ignore_unlabeled: bool = False  # True: targets labelled -1 get no forward loss (-1 = unknown, not background)
    train_split: str = "train"  # split the pairs are drawn from
    val_split: str = "val"  # split for the periodic validation accuracy ("" = none)
    max_segments: int = 256  # training cap: only the largest segments of a frame are kept (memory); none at test time
    steps: int = 100_000  # optimizer steps (paper: 100k)
    batch_size: int = 16  # pairs per micro-batch (paper: 16)
    accum_steps: int = 4  # micro-batches per optimizer step (paper: 4 -> effective batch 64); divided among DDP ranks
    lr: float = 5e-4  # AdamW learning rate (paper: 5e-4)
    weight_decay: float = 1e-4  # AdamW weight decay (paper: 1e-4)
    warmup_steps: int = 1000  # linear learning-rate warmup (paper: 1k)
    lr_decay: str = "none"  # after warmup: "none" (paper: constant) or "cosine" (to 0 at `steps`)
    clip_norm: float = 1.0  # global gradient-norm clipping (paper: 1); 0 = off
    amp: bool = True  # mixed precision on CUDA (bf16 where supported, else fp16 + loss scaling); ignored on CPU
    device: str = "auto"  # "auto" (CUDA when available), "cpu", "cuda" or "cuda:N"
    threads: int = 0  # torch CPU threads (0 = torch's default)
    workers: int = 8  # DataLoader worker processes building augmented pairs and crops (0 = in the main process)
    frame_cache: int = 512  # decoded frames kept in memory per worker
    seed: int = 0  # seeds the model init and the pair stream (resumed runs continue it)
    # fine-tuning: an AnT checkpoint whose weights start a new run (fresh optimizer, schedule, step 0);
    # "" = random; ignored by --resume
    init: str = ""
    log_every: int = 20  # steps between metrics.csv / TensorBoard rows
    eval_every: int = 500  # steps between validation runs (and best.safetensors updates); 0 = never
    val_pairs: int = 200  # consecutive val pairs used for the validation accuracy (the first ones, fixed)
    ckpt_every: int = 2000  # steps between checkpoints (last.safetensors is also written at the end)
    keep_checkpoints: int = 3  # step checkpoints kept besides last/best (older ones are deleted)
    time_limit_min: float = 0.0  # stop cleanly (and save) after this many minutes; 0 = no limit


def paper() -> TrainConfig:
    """The paper's settings (sec. 4.2), for a GPU."""
    return TrainConfig()


def tiny() -> TrainConfig:
    """A small, fast model that trains on 2 CPU cores in under 10 minutes (tests, ``make demo``).

    Same architecture, smaller: D = 64, 4 blocks (self, cross, self, cross), a 3-conv CNN,
    batch 16 without accumulation, a short warmup, and a cosine decay that follows the clock as
    well as the steps, so a run stopped by ``time_limit_min`` still ends annealed. One torch
    thread for the model and one worker process for the data: on a shared 2-core machine two
    OpenMP threads per process were measured up to 5x slower than one.
    """
    return TrainConfig(
        preset="tiny",
        model=AntModelConfig(backbone="tiny", channels=(16, 32, 64), dim=64, layers=4, ffn_mult=2, dropout=0.1),
        steps=3000, batch_size=16, accum_steps=1, lr=2e-3, warmup_steps=100, lr_decay="cosine",
        threads=1, workers=1, log_every=20, eval_every=250, val_pairs=64, ckpt_every=500, time_limit_min=9.5,
    )


def small() -> TrainConfig:
    """The CPU reference: between ``tiny`` and ``paper``, trained for hours on 2 cores, resumable.

    D = 128, 6 blocks (self/cross alternating), a 3-conv CNN twice tiny's width; a fixed step
    budget with cosine decay over the steps only (not the clock, as ``tiny`` does), so a run
    stopped and resumed across sessions follows the same schedule as one that ran through.
    2,500 steps is 1.5-2 hours at 2-3 s a step on one thread of a shared 2-core machine: the budget
    was 20,000 (about 16 hours, never annealed within a session) until the committed run's step 1,000,
    where it was cut to 2,500 (``--resume --set steps=2500``; results/v2/runs/ant-small/TRAINED.md).
    One torch thread and one data worker, as for ``tiny`` (measured faster on a shared 2-core machine).
    Crop windows are at least 24 px (``min_crop``; 8 before): a sliver between two close lines sees
    what it lies between. Same run otherwise, v2 test: +2.3 / +1.9 / +0.9 / -0.2 points of
    ``accuracy@recursive10`` on exact / clean / rough / extracted (docs/ANT.md, "Crop context").
    """
    return TrainConfig(
        preset="small",
        model=AntModelConfig(backbone="tiny", channels=(32, 64, 128), dim=128, layers=6, ffn_mult=2, dropout=0.1,
                             min_crop=24.0),
        steps=2500, batch_size=16, accum_steps=1, lr=1e-3, warmup_steps=300, lr_decay="cosine",
        threads=1, workers=1, log_every=20, eval_every=500, val_pairs=128, ckpt_every=500, time_limit_min=0.0,
    )


PRESETS = {"paper": paper, "small": small, "tiny": tiny}


def load_train_config(name_or_path: str | None, overrides: list[str] | None = None) -> TrainConfig:
    """A preset by name (``tiny``, ``paper``) or a YAML file, then ``key=value`` overrides.

    A YAML file starts from the preset named by its ``preset`` key (default ``paper``).

    Raises:
        LinecorrError: unknown preset name, missing or malformed file, unknown key.
    """
    from dataprep.config import load_preset_config

    return load_preset_config(TrainConfig, PRESETS, name_or_path, overrides)


def config_from_dict(data: dict) -> TrainConfig:
    """Rebuild a :class:`TrainConfig` from ``config_dict`` output (a checkpoint's metadata)."""
    from dataprep.config import replace_from_dict

    return replace_from_dict(PRESETS.get(str(data.get("preset", "paper")), paper)(), data)
