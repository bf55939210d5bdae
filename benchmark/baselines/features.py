"""Hand-crafted segment features and a global alignment between two frames.

Shared by the training-free baselines. Everything works on :class:`dataprep.format.Frame`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from dataprep.format import Frame
from dataprep.label.regions import shape_moments


@dataclass
class Alignment:
    """A 2-D affine map ``p_b = A @ p_a + t`` from frame A to frame B (x right, y down, pixels)."""

    matrix: np.ndarray  # (2, 3) float64 [A | t]

    @property
    def scale(self) -> float:
        """Isotropic scale factor (sqrt of the determinant)."""
        return float(np.sqrt(abs(np.linalg.det(self.matrix[:, :2]))))

    def apply(self, pts: np.ndarray) -> np.ndarray:
        """Map ``(N, 2)`` points of A into B."""
        return pts @ self.matrix[:, :2].T + self.matrix[:, 2]

    def inverse(self, pts: np.ndarray) -> np.ndarray:
        """Map ``(N, 2)`` points of B back into A."""
        return (pts - self.matrix[:, 2]) @ np.linalg.inv(self.matrix[:, :2]).T


def drawing_mask(f: Frame) -> np.ndarray:
    """``(H, W) bool``: the drawing = everything but the background segment.

    The background is the largest segment touching the border (PBC: segment 1, label -1); a frame
    whose border is all ink or empty is taken as all drawing.
    """
    seg = f.seg
    border = np.concatenate([seg[0], seg[-1], seg[:, 0], seg[:, -1]])
    border = np.unique(border[border > 0])
    if border.size == 0:
        return np.ones(seg.shape, bool)
    areas = dict(zip(f.segments.ids.tolist(), f.segments.area.tolist()))
    bg = max(border.tolist(), key=lambda i: areas.get(i, 0))
    return seg != bg


def _moment_init(ma: np.ndarray, mb: np.ndarray) -> np.ndarray:
    """``(2, 3)`` similarity from the masks' centroids and areas (robust to a swinging limb, unlike
    bboxes): the labeller's fallback alignment, :func:`dataprep.label.align.from_masks`."""
    from dataprep.label.align import from_masks

    return from_masks(np.ascontiguousarray(ma, bool), np.ascontiguousarray(mb, bool)).matrix


def estimate_alignment(fa: Frame, fb: Frame, refine: bool = True, work_size: int = 192) -> Alignment:
    """Estimate the global motion of the drawing from A to B.

    The drawing masks' moments give a similarity; ECC (``cv2.findTransformECC``, affine) on
    blurred masks at ``work_size`` pixels refines it. Refinement is kept only when it raises
    the masks' IoU, so a failed optimisation never makes things worse.
    """
    ma, mb = drawing_mask(fa), drawing_mask(fb)
    m = _moment_init(ma, mb)
    if not refine:
        return Alignment(m)
    k = work_size / max(ma.shape)
    small = lambda x: cv2.GaussianBlur(cv2.resize(x.astype(np.float32), None, fx=k, fy=k,
                                                  interpolation=cv2.INTER_AREA), (0, 0), 2)
    sa, sb = small(ma), small(mb)
    ms = m.copy()
    ms[:, 2] *= k
    try:
        crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-5)
        # ECC finds W with template(x) ~ input(W x): template A, input B gives W = A -> B.
        _, w = cv2.findTransformECC(sa, sb, ms.astype(np.float32), cv2.MOTION_AFFINE, crit, None, 1)
        refined = w.astype(np.float64)
        refined[:, 2] /= k
    except cv2.error:
        return Alignment(m)
    return Alignment(refined) if _iou(ma, mb, refined) >= _iou(ma, mb, m) else Alignment(m)


def _iou(ma: np.ndarray, mb: np.ndarray, m: np.ndarray) -> float:
    h, w = mb.shape
    warped = cv2.warpAffine(ma.astype(np.uint8), m, (w, h), flags=cv2.INTER_NEAREST) > 0
    union = np.count_nonzero(warped | mb)
    return np.count_nonzero(warped & mb) / union if union else 0.0


def segment_features(f: Frame) -> dict[str, np.ndarray]:
    """Per-segment features, rows in segment-table order.

    Returns:
        ``centroid (N, 2)`` px, ``log_area (N,)``, ``aspect (N,)`` log(w/h) of the bbox,
        ``lab (N, 3)`` mean CIE-Lab color (from the color image, else from the line image's gray
        level, which is constant and so neutral), ``hu (N, 7)`` log-scaled Hu moments.
    """
    t = f.segments
    n = len(t)
    if t.color is not None:
        rgb = t.color[:, :3].reshape(n, 1, 3).astype(np.uint8)
    else:
        rgb = np.full((n, 1, 3), 255, np.uint8)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).reshape(n, 3).astype(np.float64)
    hu, _ = shape_moments(f.seg, t.ids, t.bbox)
    aspect = np.log(np.maximum(t.bbox[:, 2], 1) / np.maximum(t.bbox[:, 3], 1))
    return {"centroid": t.centroid.astype(np.float64), "log_area": np.log(np.maximum(t.area, 1)),
            "aspect": aspect, "lab": lab, "hu": hu}
