"""Checkpoints as safetensors: model weights, optimizer state, step and config in one file.

Layout of a checkpoint file (``RUN/last.safetensors``, ``RUN/best.safetensors``,
``RUN/checkpoints/step_NNNNNNN.safetensors``):

- tensors ``model.<name>`` (the model's state dict), ``optim.<param index>.<key>`` (AdamW
  moments and step counts), ``rng.torch`` (CPU generator state);
- metadata (strings): ``format`` = ``linecorr-ant``, ``config`` (the resolved ``TrainConfig``
  as JSON), ``step``, ``optim_groups`` (param groups as JSON), ``scaler`` (AMP loss-scaler
  state), ``best`` (best validation accuracy so far).

Any of these files is enough to run the model (``load_model``); ``last`` resumes training.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from benchmark.train.config import TrainConfig, config_from_dict
from dataprep.config import config_dict
from dataprep.errors import LinecorrError

FORMAT = "linecorr-ant"


def save_checkpoint(path: str | os.PathLike, model: torch.nn.Module, cfg: TrainConfig, step: int,
                    optimizer: torch.optim.Optimizer | None = None, scaler_state: dict | None = None,
                    best: float = float("nan"), fmt: str = FORMAT) -> Path:
    """Write a checkpoint atomically (temp file + rename); returns its path.

    ``fmt`` names the model family in the metadata (``linecorr-ant``; the patch-ViT writes
    ``linecorr-patch-vit``), so one model's checkpoint is never loaded as another's.
    """
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    meta = {"format": fmt, "config": json.dumps(config_dict(cfg)), "step": str(step), "best": repr(best),
            "scaler": json.dumps(scaler_state or {})}
    if optimizer is not None:
        sd = optimizer.state_dict()
        for pid, state in sd["state"].items():
            for key, val in state.items():
                t = val if torch.is_tensor(val) else torch.tensor(val)
                tensors[f"optim.{pid}.{key}"] = t.detach().contiguous().cpu()
        meta["optim_groups"] = json.dumps(sd["param_groups"])
    tensors["rng.torch"] = torch.get_rng_state()
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(tensors, str(tmp), metadata=meta)
    os.chmod(tmp, 0o644)  # safetensors creates owner-only files; checkpoints are meant to be shared
    os.replace(tmp, path)
    return path


def read_checkpoint(path: str | os.PathLike, fmt: str = FORMAT) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and metadata of a checkpoint (one-line errors for a missing or foreign file).

    ``fmt``: the format the caller expects (see :func:`save_checkpoint`).
    """
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise LinecorrError("checkpoint is missing", path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise LinecorrError(f"not a readable safetensors checkpoint ({type(e).__name__})", path) from None
    if meta.get("format") != fmt:
        what = "an AnT" if fmt == FORMAT else f"a {fmt}"
        raise LinecorrError(f"not {what} checkpoint (format {meta.get('format')!r}, expected {fmt!r})", path)
    return tensors, meta


def checkpoint_config(meta: dict[str, str]) -> TrainConfig:
    """The ``TrainConfig`` stored in a checkpoint's metadata."""
    return config_from_dict(json.loads(meta["config"]))


def model_state(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The model's state dict out of a checkpoint's tensors."""
    return {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}


def restore_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict[str, str]) -> None:
    """Load the AdamW state saved by :func:`save_checkpoint` into ``optimizer``."""
    if "optim_groups" not in meta:
        return
    groups = json.loads(meta["optim_groups"])
    for g in groups:
        if isinstance(g.get("betas"), list):
            g["betas"] = tuple(g["betas"])
    state: dict[int, dict[str, torch.Tensor]] = {}
    for k, v in tensors.items():
        if k.startswith("optim."):
            _, pid, key = k.split(".", 2)
            state.setdefault(int(pid), {})[key] = v
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def build_from_checkpoint(path: str | os.PathLike, fmt: str, config_from: Callable[[dict], Any],
                          build: Callable[[Any], torch.nn.Module], device: str | torch.device = "cpu"):
    """Read a checkpoint of format ``fmt``, rebuild its config and model, load the weights, eval mode.

    Args:
        path: the ``.safetensors`` checkpoint.
        fmt: the format tag it must carry (``linecorr-ant``, ``linecorr-patch-vit``).
        config_from: the stored config dict -> the training config.
        build: ``cfg.model`` -> an untrained model of that shape.
        device: where the model goes.

    Returns:
        ``(model, cfg, meta)``.

    Raises:
        LinecorrError: not a checkpoint of that format, or weights that do not fit the stored config.
    """
    tensors, meta = read_checkpoint(path, fmt)
    cfg = config_from(json.loads(meta["config"]))
    model = build(cfg.model)
    try:
        model.load_state_dict(model_state(tensors))
    except RuntimeError as e:
        raise LinecorrError(f"weights do not fit the stored config ({str(e).splitlines()[0]})", path) from None
    return model.to(device).eval(), cfg, meta


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu"):
    """Build the AnT model of a checkpoint, load its weights, put it in eval mode.

    Returns:
        ``(model, cfg, meta)``: the model on ``device``, its ``TrainConfig``, the metadata.
    """
    from benchmark.models.ant.model import AnT

    return build_from_checkpoint(path, FORMAT, config_from_dict, AnT, device)
