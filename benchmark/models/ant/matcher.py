"""AnT as a matcher for the benchmark: ``match(frame_a, frame_b) -> (N_b, N_a)`` similarity S.

Rows are the target segments of frame B, columns the source segments of frame A, both in
segment-table order; each row is the softmax of eq. 4 (sums to one), which is exactly the step
score matrix of the propagation protocol (``benchmark/metrics/propagation.py``, eq. 3). Every
segment is used at test time (no cap). Frames with no segment give an empty-sided matrix.

Test-time augmentation (``tta="hflip"``, ``linecorr score --model ant --tta hflip``): the pair
is matched as drawn and mirrored left to right, and the two logit matrices are averaged before the
softmax. Training mirrors pairs half the time (``augment.hflip``), so both views are in the
model's distribution; the mirrored view sees every crop and position from the other side. It costs
a second forward pass. Chosen on v2's val split, never on test (docs/ANT.md, "Test-time mirroring").
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass

import numpy as np
import torch

from benchmark.models import MatcherInfo, check_tta, count_parameters, tta_views
from benchmark.models.ant.config import AntModelConfig
from benchmark.models.ant.crops import frame_inputs
from benchmark.models.ant.model import AnT, fold_batchnorm


@dataclass
class AntMatcherInfo(MatcherInfo):
    """:class:`~benchmark.models.MatcherInfo` plus AnT's size."""

    dim: int = 0  # D
    layers: int = 0  # transformer blocks (0 = no transformer)
    tta: str = "none"  # test-time augmentation: "none" or "hflip" (logits averaged with the mirrored pair's)


_CACHED_INPUTS = 6  # frames x views whose crops a matcher keeps: a reference and two frames, both views


def _frame_tensors(frame, cfg: AntModelConfig, mirror: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Crops and boxes of a frame (``frame_inputs``), optionally of the frame mirrored left to right.

    Mirroring flips the line and segment maps and moves each box to ``x' = W - x - w`` (same ids,
    same table order), which is what the segment table of the mirrored segment map says.
    """
    t = frame.segments
    if not mirror:
        return frame_inputs(frame.line, frame.seg, t.ids, t.bbox, cfg)
    bbox = np.array(t.bbox, np.int64).reshape(-1, 4)
    bbox[:, 0] = frame.line.shape[1] - bbox[:, 0] - bbox[:, 2]
    return frame_inputs(frame.line[:, ::-1], frame.seg[:, ::-1], t.ids, bbox, cfg)


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
        # The crops and boxes of the last few frames seen, by identity: a sequence matches frame t
        # against t - 1 and then t + 1 (and colorize the reference against every frame), so each
        # frame's crops (a third of a pair's time on CPU) are cut once. Holding the frame itself
        # keeps its id from being reused while the entry lives.
        self._inputs: list[tuple[object, bool, tuple[torch.Tensor, torch.Tensor]]] = []

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, device: str | torch.device = "cpu") -> AntMatcher:
        """Load a checkpoint written by ``linecorr train ant`` (any of last/best/step files)."""
        from benchmark.train.checkpoint import load_model

        model, cfg, meta = load_model(path, device)
        info = AntMatcherInfo(os.fspath(path), cfg.preset, int(meta.get("step", 0)),
                              count_parameters(model), cfg.model.dim, len(model.blocks))
        return cls(model, info, device)

    def use_tta(self, mode: str) -> None:
        """Set the test-time augmentation (one of ``benchmark.models.TTA_MODES``); recorded in ``cfg.tta``.

        Raises:
            LinecorrError: an unknown mode (it may come from a script's command line).
        """
        self.cfg.tta = check_tta(mode)

    def _frame_inputs(self, frame, mirror: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """``_frame_tensors`` of ``frame``, cut once while it is among the last few frames seen."""
        for f, m, tensors in self._inputs:
            if f is frame and m == mirror:
                return tensors
        tensors = _frame_tensors(frame, self.model.cfg, mirror)
        self._inputs = [*self._inputs[-(_CACHED_INPUTS - 1):], (frame, mirror, tensors)]
        return tensors

    @torch.inference_mode()
    def logits(self, fa, fb) -> torch.Tensor:
        """``(N_b, N_a) float32`` match logits on the model's device (eq. 4 before the softmax),
        averaged over the views of ``cfg.tta``. Needs at least one segment in each frame."""
        views = tta_views(self.cfg.tta)
        total = None
        for mirror in views:
            ca, ba = self._frame_inputs(fa, mirror)
            cb, bb = self._frame_inputs(fb, mirror)
            x = self.model.pair_logits(*(t.to(self.device) for t in (ca, ba, cb, bb)))
            total = x if total is None else total + x
        return total / len(views)

    @torch.inference_mode()
    def similarity(self, fa, fb) -> torch.Tensor:
        """``(N_b, N_a) float32`` S on the model's device (rows sum to one)."""
        na, nb = len(fa.segments), len(fb.segments)
        if na == 0 or nb == 0:
            return torch.zeros(nb, na)
        return self.logits(fa, fb).softmax(-1)

    def match(self, fa, fb) -> np.ndarray:
        """Scores ``(N_b, N_a) float64``: AnT's S, rows = target segments of ``fb`` (table order).

        Args:
            fa, fb: frames with ``line (H, W) uint8``, ``seg (H, W) int32`` and ``segments``
                (a ``SegmentTable``), e.g. ``Dataset.load_frame`` results.
        """
        return self.similarity(fa, fb).double().cpu().numpy()
