"""SIFT point matches: a second vote source that survives large rotations of a limb.

LightGlue finds almost no matches on a limb that swung far (docs/ARCHITECTURE.md, kornia; a limb rotated 130° in docs/LABEL.md);
SIFT descriptors are rotation invariant, so a corner of a hand still matches the same corner.
Matches are mutual nearest neighbours that pass Lowe's ratio test; the colour filter of the
voting step then removes most of the wrong ones a flat-coloured drawing produces.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from dataprep.label.lightglue import resize_long_side


@dataclass
class SiftFeatures:
    """SIFT keypoints of one frame: ``xy (N, 2) float32`` full-resolution pixels, ``desc (N, 128) float32``."""

    xy: np.ndarray
    desc: np.ndarray


def sift_features(rgb: np.ndarray, size: int = 1024, max_features: int = 4000,
                  box: tuple[int, int, int, int] | None = None) -> SiftFeatures:
    """Detect and describe SIFT keypoints on the gray frame resized to long side ``size``.

    Args:
        rgb: ``(H, W, 3) uint8`` RGB frame.
        size: long side the frame is resized to (never enlarged).
        max_features: keypoints kept (strongest first).
        box: optional ``(x0, y0, x1, y1)`` crop (full-resolution pixels) to detect in.
    """
    x0, y0 = (0, 0) if box is None else (int(box[0]), int(box[1]))
    if box is not None:
        rgb = rgb[box[1]:box[3], box[0]:box[2]]
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    small, k = resize_long_side(gray, size)
    sift = cv2.SIFT_create(nfeatures=max_features)
    kps, desc = sift.detectAndCompute(small, None)
    if desc is None or not kps:
        return SiftFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32))
    xy = (np.array([kp.pt for kp in kps], np.float32) + 0.5) * k - 0.5 + np.array([x0, y0], np.float32)
    return SiftFeatures(xy, desc.astype(np.float32))


def sift_matches(fa: SiftFeatures, fb: SiftFeatures, ratio: float = 0.8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mutual nearest-neighbour SIFT matches passing the ratio test.

    Returns:
        ``(pts_a, pts_b, score)``: ``(M, 2) float32`` points in A and B, ``(M,) float32`` score
        ``1 - d1 / d2`` (0 = ambiguous, 1 = unique).
    """
    empty = (np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32), np.zeros(0, np.float32))
    if len(fa.xy) < 2 or len(fb.xy) < 2:
        return empty
    bf = cv2.BFMatcher(cv2.NORM_L2)
    ab = bf.knnMatch(fa.desc, fb.desc, k=2)
    ba = bf.match(fb.desc, fa.desc)
    back = np.full(len(fb.xy), -1, np.int64)
    back[[m.queryIdx for m in ba]] = [m.trainIdx for m in ba]
    ia, ib, score = [], [], []
    for pair in ab:
        if len(pair) < 2:
            continue
        m, second = pair
        if m.distance < ratio * second.distance and back[m.trainIdx] == m.queryIdx:
            ia.append(m.queryIdx)
            ib.append(m.trainIdx)
            score.append(1.0 - m.distance / max(second.distance, 1e-6))
    if not ia:
        return empty
    return fa.xy[ia], fb.xy[ib], np.asarray(score, np.float32)
