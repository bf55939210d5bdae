"""Training configs for the patch-ViT: dataclasses with a comment per field, and presets.

``paper``: the model and schedule of Li et al. (Implementation Details): ViT-B/16 (d 768, 12 layers,
12 heads), M = 4 multiplex layers, AdamW lr 1e-4, warm-up then cosine annealing, batch 16, 20 epochs,
mixed precision on a GPU. The paper starts from ImageNet weights; none can be downloaded here, so the
encoder is randomly initialised unless ``pretrained`` names a user-supplied ViT-B/16 checkpoint.

``small``: ``tiny`` with 6 encoder layers and a 3,000-step schedule: the CPU reference, trained for
hours in the background and resumable across sessions. ``small-conv``: ``small`` with a convolutional
stem instead of the linear patch embedding (``model.stem=conv``).

``tiny``: the same architecture scaled down to train on 2 shared CPU cores within 15 minutes: d 128,
4 encoder layers of 4 heads, MLP ratio 2, M = 2, trained on 256 x 256 windows (16 x 16 patches) of the
512 x 512 frames around the drawing, batch 8, a higher learning rate (1e-3, random init), 12 minutes,
and positives rebalanced towards cross-image and small regions (``loss.cross_share`` 0.5,
``loss.sampling`` rows: see ``benchmark/models/vit/losses.py``; the paper samples uniformly).
Patches stay 16 x 16 pixels and the position-embedding grid stays 32 x 32 (the whole frame), so a
window uses the embeddings of the patches it covers and the full frame at test time is the grid
that was trained. Load either by name or a YAML file (``preset: tiny`` to start from one), with
``key=value`` overrides on top.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmark.models.vit.config import VitModelConfig


@dataclass
class VitDataConfig:
    """Training pairs: which regions supervise G, windows and augmentation."""

    regions: str = "auto"  # GT regions: "segments" (segment maps + pair matches, paper), "labels", "parts"
    # (painted parts' pieces of drawn line styles) or "auto" (parts where frames have part maps, else segments)
    min_share: float = 0.55  # a patch has a region when one covers more than this share of it (paper: 55 %)
    crop: int = 0  # training window side in input pixels (multiple of the patch size); 0 = whole frames
    hflip: float = 0.5  # probability of mirroring both frames of a pair
    reverse: float = 0.5  # probability of swapping A and B
    jitter: int = 2  # the window's centre moves up to this many patches off a random drawing pixel


@dataclass
class VitLossConfig:
    """The sampled contrastive loss (eq. 4)."""

    positives: int = 512  # positive entries of G drawn per pair
    negatives: int = 64  # K: negatives drawn per positive, from the same row of S
    cross_share: float = 0.0  # 0 = positives from all of G (paper); > 0 = this share from the cross blocks
    sampling: str = "entries"  # "entries": uniform over G's positive entries (paper); "rows": uniform anchor patches


@dataclass
class VitTrainConfig:
    """Everything ``linecorr train patch-vit`` needs, saved as ``config.yaml`` in the run folder.

    Field names of the optimisation part match ``benchmark.train.config.TrainConfig``: the generic
    loop (``benchmark.train.loop.Trainer``) runs both models.
    """

    preset: str = "paper"  # the named preset this config started from (a YAML file may set it)
    model: VitModelConfig = field(default_factory=VitModelConfig)  # the architecture
    data: VitDataConfig = field(default_factory=VitDataConfig)  # pairs, windows, augmentation
    loss: VitLossConfig = field(default_factory=VitLossConfig)  # eq. 4 sampling
    pretrained: str = ""  # user-supplied ViT-B/16 checkpoint (timm / torchvision / HF) for the encoder; "" = random
    train_split: str = "train"  # split the pairs are drawn from
    val_split: str = "val"  # split for the periodic validation (cross-image patch AP); "" = none
    epochs: float = 20.0  # passes over the training pairs (paper: 20); sets `steps` when > 0
    steps: int = 0  # optimizer steps (used when epochs = 0)
    batch_size: int = 16  # pairs per micro-batch (paper: 16)
    accum_steps: int = 1  # micro-batches per optimizer step; divided among DDP ranks
    lr: float = 1e-4  # AdamW learning rate (paper: 1e-4)
    weight_decay: float = 0.05  # AdamW weight decay (paper: not given; the usual ViT value)
    warmup_steps: int = 200  # linear warm-up before the cosine annealing (paper: "warm-up", length not given)
    lr_decay: str = "cosine"  # after warm-up: "cosine" (paper) or "none"
    clip_norm: float = 1.0  # global gradient-norm clipping; 0 = off
    amp: bool = True  # mixed precision on CUDA (bf16 where supported, else fp16 + loss scaling); ignored on CPU
    device: str = "auto"  # "auto" (CUDA when available), "cpu", "cuda" or "cuda:N"
    threads: int = 0  # torch CPU threads (0 = torch's default)
    workers: int = 4  # DataLoader worker processes building pairs (0 = in the main process)
    frame_cache: int = 256  # decoded frames kept in memory per worker
    seed: int = 0  # seeds the model init and the pair stream
    # fine-tuning: a patch-ViT checkpoint whose weights start a new run (fresh optimizer, schedule, step 0;
    # `pretrained` is then not loaded); "" = random; ignored by --resume
    init: str = ""
    log_every: int = 20  # steps between metrics.csv / TensorBoard rows
    eval_every: int = 250  # steps between validations (and best.safetensors updates); 0 = never
    val_pairs: int = 32  # GT pairs of the validation split scored (spread evenly over the split)
    ckpt_every: int = 1000  # steps between checkpoints (last.safetensors is also written at the end)
    keep_checkpoints: int = 3  # step checkpoints kept besides last/best
    time_limit_min: float = 0.0  # stop cleanly (and save) after this many minutes; 0 = no limit


def paper() -> VitTrainConfig:
    """The paper's settings, for a GPU."""
    return VitTrainConfig()


def tiny() -> VitTrainConfig:
    """Small and fast: trains on 2 shared CPU cores in about 12 minutes (module docstring).

    One torch thread for the model and one worker process for the data: on a shared 2-core
    machine, two OpenMP threads per process were measured slower than one (as for AnT's tiny).
    """
    return VitTrainConfig(
        preset="tiny",
        model=VitModelConfig(image_size=512, dim=128, depth=4, heads=4, mlp_ratio=2.0, multiplex_layers=2,
                             normalize="ink"),
        data=VitDataConfig(crop=256, jitter=4),
        loss=VitLossConfig(positives=1024, negatives=128, cross_share=0.5, sampling="rows"),
        epochs=0.0, steps=1500, batch_size=8, lr=1e-3, warmup_steps=50, threads=1, workers=1,
        log_every=10, eval_every=100, val_pairs=16, ckpt_every=100, time_limit_min=12.0,
    )


def small() -> VitTrainConfig:
    """The CPU reference: ``tiny``'s width with 6 encoder layers, trained for hours, resumable.

    A fixed step budget with cosine annealing over the steps only (no time limit), so a run stopped
    and resumed across sessions follows the same schedule as one that ran through; validation on 32
    val pairs every 250 steps, a checkpoint (with optimizer state) at each. About 1.5-2 s a step on
    one thread of a shared 2-core machine: 3,000 steps is 1.5-2 hours.
    """
    cfg = tiny()
    cfg.preset = "small"
    cfg.model.depth = 6
    cfg.steps, cfg.warmup_steps, cfg.lr, cfg.time_limit_min = 3000, 100, 1e-3, 0.0
    cfg.log_every, cfg.eval_every, cfg.val_pairs, cfg.ckpt_every = 10, 250, 32, 250
    return cfg


def small_conv() -> VitTrainConfig:
    """``small`` with the convolutional stem (``model.stem=conv``, ``vit.ConvStem``) on one input channel:
    the same schedule, so the two runs differ only in how pixels become tokens.

    The stem costs about a fifth more model time per training step; how the two compare is in
    docs/PATCH_VIT.md (val cross-image patch AP 0.725 against 0.501 after the same 3,000 steps).
    """
    cfg = small()
    cfg.preset = "small-conv"
    cfg.model.stem, cfg.model.in_chans = "conv", 1
    return cfg


PRESETS = {"paper": paper, "small": small, "small-conv": small_conv, "tiny": tiny}


def load_vit_config(name_or_path: str | None, overrides: list[str] | None = None) -> VitTrainConfig:
    """A preset by name (``tiny``, ``paper``) or a YAML file, then ``key=value`` overrides.

    Raises:
        LinecorrError: unknown preset name, missing or malformed file, unknown key.
    """
    from dataprep.config import load_preset_config

    return load_preset_config(VitTrainConfig, PRESETS, name_or_path, overrides)


def vit_config_from_dict(data: dict) -> VitTrainConfig:
    """Rebuild a :class:`VitTrainConfig` from ``config_dict`` output (a checkpoint's metadata)."""
    from dataprep.config import replace_from_dict

    return replace_from_dict(PRESETS.get(str(data.get("preset", "paper")), paper)(), data)
