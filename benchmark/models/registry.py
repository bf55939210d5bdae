"""The learned models: one entry each, carrying its own matcher, config and training hooks.

``linecorr train MODEL`` and ``linecorr score --model MODEL`` look the model up here and call its
hooks; their ``choices`` and help text are generated from this table, so the CLI names no model.
Adding a model is its package under ``benchmark/models/`` (network, matcher, config, training
hook), one :class:`ModelSpec` below, and its doc (docs/ARCHITECTURE.md, "How to add a model").

Hooks are ``"module:attribute"`` strings imported on first use, so building the CLI (``--help``)
never imports torch.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from dataprep.errors import LinecorrError

if TYPE_CHECKING:  # numpy only for the annotation: ``--help`` builds this table without importing it
    import numpy as np

#: What a model may be scored on: ``segments`` (the segment protocol: matches between given
#: segments, ``Matcher``) and ``regions`` (the region/patch protocol on raw line art, ``RegionPredictor``).
PROTOCOLS = ("segments", "regions")


@runtime_checkable
class Matcher(Protocol):
    """Anything ``benchmark.predict.predict_split`` can run: the baselines and the learned models."""

    name: str  # the method name results are filed under

    def match(self, frame_a, frame_b) -> np.ndarray:
        """``(N_b, N_a) float`` scores S: row = target segment of B, column = source segment of A."""
        ...


@runtime_checkable
class RegionPredictor(Protocol):
    """A method of the region/patch protocol: its own regions and region matches from raw line art."""

    name: str

    def predict(self, frame_a, frame_b):
        """Regions of both frames and their matches (``benchmark.region_score.RegionPrediction``)."""
        ...


@dataclass(frozen=True)
class ModelSpec:
    """One learned model and the hooks the train and score commands call.

    Every hook is a ``"module:attribute"`` string (see :meth:`hook`).
    """

    name: str  # CLI name: ``linecorr train NAME``, ``linecorr score --model NAME``
    summary: str  # one line for ``--help``
    matcher: str  # class with ``from_checkpoint(path, device)`` -> a Matcher; for "regions" also a
    # RegionPredictor with ``use_score_config(RegionScoreConfig)`` (post-processing settings from --set)
    config_class: str  # the training config dataclass (``--set`` keys, ``--resume`` base)
    load_config: str  # ``(preset name or YAML path, overrides) -> config``
    resume_config: str  # ``(checkpoint path) -> config`` of a run, for ``--resume``
    train: str  # ``(cfg, dataset, out, resume=..., streaming=...) -> Path`` of the last checkpoint; dataset: a spec or a list
    best: str  # what ``best.safetensors`` maximises, for the closing message
    protocols: tuple[str, ...] = ("segments",)  # what it is scored on (:data:`PROTOCOLS`)

    def hook(self, field: str) -> Any:
        """Import and return the attribute a hook field names."""
        ref = getattr(self, field)
        mod, _, attr = ref.partition(":")
        return getattr(importlib.import_module(mod), attr)


_SPECS = (
    ModelSpec(
        name="ant",
        summary="the Animation Transformer: segment similarity S for colorization (docs/ANT.md)",
        matcher="benchmark.models.ant.matcher:AntMatcher",
        config_class="benchmark.train.config:TrainConfig",
        load_config="benchmark.train.config:load_train_config",
        resume_config="benchmark.train.ant:checkpoint_ant_config",
        train="benchmark.train.ant:train_ant",
        best="best validation accuracy",
    ),
    ModelSpec(
        name="patch-vit",
        summary="region correspondence from raw line art, patch transformer + post-processing (docs/PATCH_VIT.md)",
        matcher="benchmark.models.vit.matcher:PatchVitMatcher",
        config_class="benchmark.train.vit_config:VitTrainConfig",
        load_config="benchmark.train.vit_config:load_vit_config",
        resume_config="benchmark.train.vit:checkpoint_vit_config",
        train="benchmark.train.vit:train_patch_vit",
        best="best validation cross-image patch AP",
        protocols=("segments", "regions"),
    ),
)

#: model name -> its spec.
MODELS: dict[str, ModelSpec] = {s.name: s for s in _SPECS}


def get_model(name: str) -> ModelSpec:
    """The spec of model ``name``.

    Raises:
        LinecorrError: unknown name (it comes from a command line or a result file).
    """
    try:
        return MODELS[name]
    except KeyError:
        raise LinecorrError(f"unknown model {name!r} (known: {', '.join(MODELS)})") from None


def models_help() -> str:
    """``name: summary`` of every model, for ``--help``."""
    return "; ".join(f"{s.name}: {s.summary}" for s in _SPECS)


def load_matcher(name: str, checkpoint: str | os.PathLike, device: str = "cpu"):
    """Build the matcher of model ``name`` from a checkpoint file.

    Raises:
        LinecorrError: unknown model name, missing or unreadable checkpoint.
    """
    return get_model(name).hook("matcher").from_checkpoint(checkpoint, device)


def training_config(spec: ModelSpec, preset: str | None, overrides: list[str], resume_from: Path | None = None):
    """The config a training run starts from: a preset or YAML with ``--set`` on top, or, to resume,
    the run's own config (from ``resume_from``, its last checkpoint) with ``--set`` on top."""
    from dataprep.config import load_config

    if resume_from is not None:
        return load_config(spec.hook("config_class"), None, overrides, base=spec.hook("resume_config")(resume_from))
    loader: Callable = spec.hook("load_config")
    return loader(preset, overrides)
