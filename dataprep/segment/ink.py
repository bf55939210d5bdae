"""Input checks and binarisation of line images into ink and coloured shading-line masks."""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from dataprep.errors import LinecorrError
from dataprep.segment.config import InkConfig


class InkMasks(NamedTuple):
    """Binarised line image.

    Attributes:
        ink: (H, W) bool, True on every line pixel (black and coloured).
        shading: (H, W) bool, True on coloured shading-line pixels (a subset of `ink`).
    """

    ink: np.ndarray
    shading: np.ndarray


def check_image(image: np.ndarray, what: str = "image", channels: tuple[int, ...] = (1, 3, 4)) -> np.ndarray:
    """Validate a uint8 image and return it as (H, W) or (H, W, C).

    Args:
        image: (H, W) or (H, W, C) uint8 array.
        what: name used in the error message.
        channels: accepted channel counts; 1 also accepts (H, W).

    Returns:
        The same array, with a trailing singleton channel dropped.

    Raises:
        LinecorrError: wrong type, dtype, shape, channel count, or an empty image.
    """
    if not isinstance(image, np.ndarray):
        raise LinecorrError(f"{what} must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise LinecorrError(f"{what} must be uint8, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        ok = 1 in channels
    else:
        ok = image.ndim == 3 and image.shape[2] in channels
    if not ok:
        raise LinecorrError(f"{what} must have shape (H, W) or (H, W, C) with C in {channels}, got {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise LinecorrError(f"{what} is empty (shape {image.shape})")
    return image


def ink_masks(line: np.ndarray, config: InkConfig | None = None) -> InkMasks:
    """Split a line image into ink and coloured shading-line pixels.

    Args:
        line: (H, W) uint8 gray (0 = ink, 255 = paper, anti-aliased grays allowed), (H, W, 3) uint8
            RGB on white paper, or (H, W, 4) uint8 RGBA whose transparent pixels are paper.
        config: thresholds; `InkConfig()` when None.

    Returns:
        InkMasks with (H, W) bool `ink` and `shading`.
    """
    cfg = config or InkConfig()
    line = check_image(line, "line image")
    if line.ndim == 2:
        ink = line < cfg.ink_threshold
        return InkMasks(ink, np.zeros_like(ink))
    planes = cv2.split(line)  # per-plane minima/maxima: much faster than min(axis=2) on (H, W, C)
    lo = cv2.min(cv2.min(planes[0], planes[1]), planes[2])
    hi = cv2.max(cv2.max(planes[0], planes[1]), planes[2])
    if line.shape[2] == 4:
        ink = planes[3] >= cfg.alpha_threshold
    else:
        ink = lo < cfg.ink_threshold
    chroma = hi - lo  # uint8, no overflow: max >= min
    # The darkness of a pixel is 255-min; it is a coloured line when most of that darkness is hue.
    darkness = 255 - lo.astype(np.int16)
    shading = ink & (chroma >= cfg.shading_min_chroma) & (chroma >= cfg.shading_saturation * darkness)
    return InkMasks(ink, shading)
