"""AnT as a matcher for the benchmark: ``match(frame_a, frame_b) -> (N_b, N_a)`` similarity S.

Rows are the target segments of frame B, columns the source segments of frame A, both in
segment-table order; each row is the softmax of eq. 4 (sums to one), which is exactly the step
score matrix of the propagation protocol (``benchmark/metrics/propagation.py``, eq. 3). Every
segment is used at test time (no cap). Frames with no segment give an empty-sided matrix.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass

import numpy as np
import torch

from benchmark.models import MatcherInfo, count_parameters
from benchmark.models.ant.config import AntModelConfig
from benchmark.models.ant.crops import frame_inputs
from benchmark.models.ant.model import AnT, fold_batchnorm


@dataclass
class AntMatcherInfo(MatcherInfo):
    """:class:`~benchmark.models.MatcherInfo` plus AnT's size."""

    dim: int = 0  # D
    layers: int = 0  # transformer blocks (0 = no transformer)


def _frame_tensors(frame, cfg: AntModelConfig) -> tuple[torch.Tensor, torch.Tensor]:
    t = frame.segments
    return frame_inputs(frame.line, frame.seg, t.ids, t.bbox, cfg)


def pad_frames(crops_a: torch.Tensor, boxes_a: torch.Tensor, crops_b: torch.Tensor, boxes_b: torch.Tensor
               ) -> tuple[torch.Tensor, ...]:
    """One pair as a padded batch of 1: ``(1, M, ...)`` tensors and ``(1, M)`` masks, M = max(N_a, N_b)."""
    m = max(crops_a.shape[0], crops_b.shape[0])
    out = []
    for crops, boxes in ((crops_a, boxes_a), (crops_b, boxes_b)):
        n = crops.shape[0]
        c = torch.zeros(1, m, *crops.shape[1:], dtype=crops.dtype)
        b = torch.zeros(1, m, 4)
        c[0, :n], b[0, :n] = crops, boxes
        out += [c, b, (torch.arange(m) < n)[None]]
    return tuple(out)


def prepare_for_inference(model: AnT, device: torch.device) -> AnT:
    """An eval-mode copy of ``model`` tuned for inference: BatchNorm folded into the convs and,
    on CPU, the CNN in channels-last layout (oneDNN's fast path). Outputs equal up to rounding."""
    model = fold_batchnorm(copy.deepcopy(model).eval()).to(device)
    if device.type == "cpu":
        model.cnn.to(memory_format=torch.channels_last)
    return model


class AntMatcher:
    """The Animation Transformer: segment similarity S from a trained checkpoint."""

    name = "ant"

    def __init__(self, model: AnT, info: AntMatcherInfo | None = None, device: str | torch.device = "cpu") -> None:
        self.device = torch.device(device)
        self.model = prepare_for_inference(model, self.device)
        self.cfg = info or AntMatcherInfo(parameters=count_parameters(model),
                                          dim=model.cfg.dim, layers=len(model.blocks))
        self.name = f"ant-{self.cfg.preset}" if self.cfg.preset else "ant"

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, device: str | torch.device = "cpu") -> AntMatcher:
        """Load a checkpoint written by ``linecorr train ant`` (any of last/best/step files)."""
        from benchmark.train.checkpoint import load_model

        model, cfg, meta = load_model(path, device)
        info = AntMatcherInfo(os.fspath(path), cfg.preset, int(meta.get("step", 0)),
                              count_parameters(model), cfg.model.dim, len(model.blocks))
        return cls(model, info, device)

    @torch.inference_mode()
    def similarity(self, fa, fb) -> torch.Tensor:
        """``(N_b, N_a) float32`` S on the model's device (rows sum to one)."""
        na, nb = len(fa.segments), len(fb.segments)
        if na == 0 or nb == 0:
            return torch.zeros(nb, na)
        ca, ba = _frame_tensors(fa, self.model.cfg)
        cb, bb = _frame_tensors(fb, self.model.cfg)
        return self.model.pair_logits(*(t.to(self.device) for t in (ca, ba, cb, bb))).softmax(-1)

    def match(self, fa, fb) -> np.ndarray:
        """Scores ``(N_b, N_a) float64``: AnT's S, rows = target segments of ``fb`` (table order).

        Args:
            fa, fb: frames with ``line (H, W) uint8``, ``seg (H, W) int32`` and ``segments``
                (a ``SegmentTable``), e.g. ``Dataset.load_frame`` results.
        """
        return self.similarity(fa, fb).double().cpu().numpy()
