"""Segment-level metrics of one target frame: AnT accuracy / mean IoU and the PBC metrics.

Inputs are per-segment arrays: entry ``i`` belongs to segment id ``i + 1`` of the frame's
``(H, W) int32`` label map (``0`` = line pixels). ``pred``/``gt`` hold correspondence label ids
(``-1`` = none / background), ``areas`` the pixel count of each segment (``segment_areas``).

AnT (Casey et al., "The Animation Transformer"):
    * accuracy: share of target segments whose predicted label equals the GT label.
    * mean IoU: the paper says "mean IoU averaged over the label classes" (sec. 4.3) and, in its
      appendix C, that unlike the pixel-based region similarity J it is "measured at the level of
      segments". We therefore compute, for every label class ``c`` present in GT or prediction,
      ``IoU_c = |{pred = c} ∩ {gt = c}| / |{pred = c} ∪ {gt = c}|`` counting *segments*, and
      average over those classes (a class only predicted, never in GT, gets IoU 0, as in the usual
      confusion-matrix mIoU). ``ant/miou_pixel`` weights each segment by its pixel count.
    * For the 10-frame protocol the segments of all target frames of a clip are pooled before
      computing either metric ("averaged over all segments in each of the target sequences").

PBC (Dai et al., BasicPBC ``paint/utils.py::eval_json``), per frame, comparing predicted vs GT
label ids instead of RGBA colors (pass colors packed with ``pack_rgba`` and
``background_label=PBC_BACKGROUNDS`` to reproduce color-based numbers exactly; BasicPBC's files
paint the transparent background (255, 255, 255, 0) or (0, 0, 0, 0), and both count as background,
the same background):
    * acc: correct segments / all segments.
    * acc_thres: correct segments with > ``threshold`` px / segments with > ``threshold`` px.
      (BasicPBC counts the line pixels of index 0 in its bincount and subtracts 1; identical
      whenever a frame has more than ``threshold`` line pixels, and this form needs no such
      assumption.)
    * pix_acc: pixels of correct segments / all non-line pixels.
    * pix_acc_wobg: the same restricted to segments whose GT label is not the background.
    * bmiou: |segments where both pred and GT are background| /
      |segments where pred or GT is background|; 1.0 when no segment is background in either.
    * pix_bmiou: the same weighted by pixels.
    A predicted "no match" equal to ``background_label`` counts as predicting background.
"""

from __future__ import annotations

import numpy as np

from benchmark.metrics.registry import register
from dataprep import checks as v
from dataprep.errors import LinecorrError

PBC_BACKGROUND_RGBA = (255, 255, 255, 0)  # BasicPBC's transparent background color (np_2_labelpng)
PBC_BACKGROUND_RGBA_BLACK = (0, 0, 0, 0)  # the other transparent background its files use (json_color)


def pack_rgba(colors) -> np.ndarray:
    """Pack RGBA colors into one integer each, so colors can stand in for label ids.

    Args:
        colors: ``(N, 4) uint8`` (or any int) RGBA per segment.

    Returns:
        ``(N,) int64``: ``R·2²⁴ + G·2¹⁶ + B·2⁸ + A``.
    """
    c = np.asarray(colors, dtype=np.int64)
    if c.ndim != 2 or c.shape[1] != 4:
        raise LinecorrError(f"colors must be (N, 4) RGBA, got shape {c.shape}")
    return (c[:, 0] << 24) | (c[:, 1] << 16) | (c[:, 2] << 8) | c[:, 3]


PBC_BACKGROUND = int(pack_rgba([PBC_BACKGROUND_RGBA])[0])
#: Both packed transparent backgrounds: ``background_label=PBC_BACKGROUNDS`` accepts either convention.
PBC_BACKGROUNDS = (PBC_BACKGROUND, int(pack_rgba([PBC_BACKGROUND_RGBA_BLACK])[0]))


def segment_areas(label_map, n_segments: int | None = None) -> np.ndarray:
    """Pixel count of each segment of a label map.

    Args:
        label_map: ``(H, W) int`` segment ids, ``0`` = line pixels, segments ``1..N``.
        n_segments: ``N``; defaults to the largest id present.

    Returns:
        ``(N,) int64``, entry ``i`` = pixels of segment id ``i + 1`` (0 for absent ids).
    """
    lm = v.label_map(label_map, "label_map")
    if lm.min() < 0:
        raise LinecorrError("label_map has negative segment ids")
    n = int(lm.max()) if n_segments is None else int(n_segments)
    if lm.max() > n:
        raise LinecorrError(f"label_map has segment id {lm.max()} > n_segments={n}")
    return np.bincount(lm.ravel(), minlength=n + 1)[1:].astype(np.int64)


def _pair(pred, gt, ignore_label: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated ``pred``, ``gt`` and the keep-mask of segments not ignored."""
    p = v.int_vector(pred, "pred")
    g = v.int_vector(gt, "gt")
    v.same_length(p, g, "pred", "gt")
    keep = np.ones(g.shape, bool) if ignore_label is None else g != ignore_label
    return p, g, keep


@register(
    "ant/accuracy",
    higher_is_better=True,
    level="segment",
    description="AnT per-segment label accuracy (share of segments with the GT label)",
)
def ant_accuracy(pred, gt, *, areas=None, ignore_label: int | None = None) -> float:
    """Share of segments whose predicted label equals the GT label.

    Args:
        pred: ``(N,) int`` predicted label per segment.
        gt: ``(N,) int`` GT label per segment.
        areas: Unused (accepted so all segment metrics share one call signature).
        ignore_label: GT label whose segments are left out (e.g. ``-1``); ``None`` keeps all.

    Returns:
        Accuracy in [0, 1]; ``nan`` when every segment is ignored.
    """
    p, g, keep = _pair(pred, gt, ignore_label)
    if not keep.any():
        return float("nan")
    return float(np.mean(p[keep] == g[keep]))


def class_iou(pred, gt, *, weights=None, ignore_label: int | None = None) -> dict[int, float]:
    """IoU of every label class present in GT or prediction, counting (weighted) segments.

    Args:
        pred: ``(N,) int`` predicted labels.
        gt: ``(N,) int`` GT labels.
        weights: ``(N,)`` per-segment weights (pixel counts); ``None`` = 1 per segment.
        ignore_label: GT label whose segments are left out entirely.

    Returns:
        ``{label: IoU}``; classes whose union has zero weight are omitted.
    """
    p, g, keep = _pair(pred, gt, ignore_label)
    w = np.ones(p.shape, np.float64) if weights is None else v.areas_vector(weights, p.size)
    p, g, w = p[keep], g[keep], w[keep].astype(np.float64)
    classes, inv = np.unique(np.concatenate([p, g]), return_inverse=True)
    pi, gi = inv[: p.size], inv[p.size :]
    k = classes.size
    hit = pi == gi
    inter = np.bincount(pi[hit], w[hit], minlength=k)
    union = np.bincount(pi, w, minlength=k) + np.bincount(gi, w, minlength=k) - inter
    return {int(c): float(i / u) for c, i, u in zip(classes, inter, union) if u > 0}


@register(
    "ant/miou",
    higher_is_better=True,
    level="segment",
    description="AnT mean IoU over label classes, IoU counted in segments (paper appendix C)",
)
def ant_mean_iou(pred, gt, *, areas=None, ignore_label: int | None = None) -> float:
    """Mean over label classes of the segment-count IoU (see the module docstring).

    Args:
        pred: ``(N,) int`` predicted labels.
        gt: ``(N,) int`` GT labels.
        areas: Unused here (see ``ant_mean_iou_pixel``).
        ignore_label: GT label whose segments are left out.

    Returns:
        mIoU in [0, 1]; ``nan`` when no class remains.
    """
    ious = class_iou(pred, gt, ignore_label=ignore_label)
    return float(np.mean(list(ious.values()))) if ious else float("nan")


@register(
    "ant/miou_pixel",
    higher_is_better=True,
    level="segment",
    description="mean IoU over label classes, IoU counted in pixels (segments weighted by area)",
)
def ant_mean_iou_pixel(pred, gt, *, areas=None, ignore_label: int | None = None) -> float:
    """Mean over label classes of the pixel IoU (each segment weighted by its area).

    Args:
        pred: ``(N,) int`` predicted labels.
        gt: ``(N,) int`` GT labels.
        areas: ``(N,) int`` pixel count per segment.
        ignore_label: GT label whose segments are left out.

    Returns:
        mIoU in [0, 1]; ``nan`` when no class has pixels.
    """
    if areas is None:
        raise LinecorrError("ant/miou_pixel needs per-segment areas")
    ious = class_iou(pred, gt, weights=areas, ignore_label=ignore_label)
    return float(np.mean(list(ious.values()))) if ious else float("nan")


def pbc_metrics(pred, gt, areas, *, background_label: int | tuple[int, ...] = -1,
                threshold: int = 10) -> dict[str, float]:
    """All BasicPBC ``eval_json`` metrics of one frame (see the module docstring).

    Args:
        pred: ``(N,) int`` predicted label (or packed color) per segment.
        gt: ``(N,) int`` GT label (or packed color) per segment.
        areas: ``(N,) int`` pixel count per segment.
        background_label: The label meaning "transparent background" (``-1`` for label ids,
            ``PBC_BACKGROUNDS`` for packed RGBA colors), or several labels that all mean it
            (they are one class: a prediction of one where GT has another is correct).
        threshold: Segments with more than this many pixels count for ``acc_thres``.

    Returns:
        ``{"pbc/acc", "pbc/acc_thres", "pbc/pix_acc", "pbc/pix_acc_wobg", "pbc/bmiou",
        "pbc/pix_bmiou"}`` → value; a ratio with an empty denominator is ``nan`` (BasicPBC would
        divide by zero), except the bmIoUs, which are 1.0 as in BasicPBC.
    """
    p, g, _ = _pair(pred, gt)
    if areas is None:
        raise LinecorrError("PBC metrics need per-segment areas")
    backgrounds = np.atleast_1d(np.asarray(background_label, np.int64))
    if backgrounds.ndim != 1 or backgrounds.size == 0:
        raise LinecorrError(f"background_label must be an integer or a tuple of integers, got {background_label!r}")
    background_label = int(backgrounds[0])
    if backgrounds.size > 1:  # every spelling of the background becomes the first one
        p = np.where(np.isin(p, backgrounds), background_label, p)
        g = np.where(np.isin(g, backgrounds), background_label, g)
    a = v.areas_vector(areas, p.size).astype(np.float64)
    ok = p == g
    big = a > threshold
    fg = g != background_label
    bg_or = (p == background_label) | (g == background_label)
    bg_and = (p == background_label) & (g == background_label)

    def ratio(num: float, den: float, empty: float = float("nan")) -> float:
        return float(num / den) if den > 0 else empty

    return {
        "pbc/acc": ratio(ok.sum(), ok.size),
        "pbc/acc_thres": ratio((ok & big).sum(), big.sum()),
        "pbc/pix_acc": ratio(a[ok].sum(), a.sum()),
        "pbc/pix_acc_wobg": ratio(a[ok & fg].sum(), a[fg].sum()),
        "pbc/bmiou": ratio(bg_and.sum(), bg_or.sum(), empty=1.0),
        "pbc/pix_bmiou": ratio(a[bg_and].sum(), a[bg_or].sum(), empty=1.0),
    }


_PBC_DESCRIPTIONS = {
    "pbc/acc": "PBC segment accuracy (correct segments / all segments)",
    "pbc/acc_thres": "PBC accuracy over segments larger than 10 px",
    "pbc/pix_acc": "PBC pixel accuracy (pixels of correct segments / non-line pixels)",
    "pbc/pix_acc_wobg": "PBC pixel accuracy over segments whose GT is not background",
    "pbc/bmiou": "PBC background mIoU over segments (both bg / either bg)",
    "pbc/pix_bmiou": "PBC background mIoU over pixels",
}


def _make_pbc(key: str):
    def metric(pred, gt, *, areas=None, background_label: int | tuple[int, ...] = -1, threshold: int = 10) -> float:
        return pbc_metrics(pred, gt, areas, background_label=background_label, threshold=threshold)[key]

    metric.__name__ = key.replace("/", "_")
    metric.__doc__ = f"{_PBC_DESCRIPTIONS[key]}; arguments as ``pbc_metrics``."
    return metric


for _key, _desc in _PBC_DESCRIPTIONS.items():
    register(_key, higher_is_better=True, level="segment", description=_desc,
             options=("background_label", "threshold"))(_make_pbc(_key))
