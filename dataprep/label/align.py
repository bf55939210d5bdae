"""Global motion of the drawing between two frames, estimated from the point matches.

A similarity (rotation, uniform scale, translation) is fitted with RANSAC
(``cv2.estimateAffinePartial2D``): camera pans/zooms and the body's drift fit it, while matches
on a swinging limb are outliers that do not move it. With too few inliers (LightGlue found
little: a textureless frame, a large turn) the drawings' masks give the similarity instead
(centroid and area of everything but the background).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class Alignment:
    """``p_b = matrix[:, :2] @ p_a + matrix[:, 2]`` (x right, y down, pixels).

    Attributes:
        matrix: ``(2, 3) float64``.
        inliers: point matches that support it (0 when it came from the masks).
        source: ``points``, ``masks`` or ``identity``.
    """

    matrix: np.ndarray
    inliers: int = 0
    source: str = "identity"

    @property
    def linear(self) -> np.ndarray:
        """``(2, 2)`` rotation-and-scale part."""
        return self.matrix[:, :2]

    @property
    def scale(self) -> float:
        """Isotropic scale (square root of the determinant)."""
        return float(np.sqrt(abs(np.linalg.det(self.linear))))

    def apply(self, pts: np.ndarray) -> np.ndarray:
        """Map ``(N, 2)`` points of A into B."""
        return np.asarray(pts, np.float64) @ self.linear.T + self.matrix[:, 2]


def identity() -> Alignment:
    return Alignment(np.array([[1.0, 0, 0], [0, 1.0, 0]]), 0, "identity")


def from_points(pts_a: np.ndarray, pts_b: np.ndarray, threshold: float = 8.0, min_inliers: int = 8,
                seed: int = 0) -> tuple[Alignment | None, np.ndarray]:
    """RANSAC similarity from point matches.

    Args:
        pts_a, pts_b: ``(M, 2)`` matched points in A and B.
        threshold: px; inlier reprojection distance.
        min_inliers: fewer inliers than this gives None.
        seed: RNG seed of OpenCV's RANSAC (results are deterministic).

    Returns:
        ``(alignment or None, (M,) bool inlier mask)``.
    """
    m = len(pts_a)
    if m < max(3, min_inliers):
        return None, np.zeros(m, bool)
    cv2.setRNGSeed(seed)
    mat, inl = cv2.estimateAffinePartial2D(np.asarray(pts_a, np.float32), np.asarray(pts_b, np.float32),
                                           method=cv2.RANSAC, ransacReprojThreshold=threshold, maxIters=2000,
                                           confidence=0.995, refineIters=10)
    if mat is None or inl is None:
        return None, np.zeros(m, bool)
    inl = inl.ravel().astype(bool)
    if inl.sum() < min_inliers:
        return None, inl
    return Alignment(mat.astype(np.float64), int(inl.sum()), "points"), inl


def from_masks(mask_a: np.ndarray, mask_b: np.ndarray) -> Alignment:
    """Similarity without rotation from two drawing masks' centroids and areas.

    Args:
        mask_a, mask_b: ``(H, W) bool`` drawing (everything but the background) of A and B.
    """
    def stats(m: np.ndarray) -> tuple[np.ndarray, float]:
        mo = cv2.moments(m.view(np.uint8), binaryImage=True)
        if mo["m00"] < 1:
            return np.array([m.shape[1] / 2, m.shape[0] / 2]), float(m.size)
        return np.array([mo["m10"] / mo["m00"], mo["m01"] / mo["m00"]]), mo["m00"]

    ca, aa = stats(mask_a)
    cb, ab = stats(mask_b)
    s = float(np.clip(np.sqrt(ab / aa), 0.5, 2.0))
    t = cb - s * ca
    return Alignment(np.array([[s, 0, t[0]], [0, s, t[1]]]), 0, "masks")
