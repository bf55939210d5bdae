"""Per-segment crops: the local visual input of AnT (paper sec. 3, "Formulation").

Each segment's bbox (plus a margin of context) is cut out of the line image and of the segment's
binary mask and resized to ``crop_size`` x ``crop_size``: two channels, ink and mask. All
segments of a frame are sampled in one batched ``grid_sample`` call per channel (no Python loop
over segments), with ``supersample`` x ``supersample`` samples averaged per crop pixel so that
1-px lines do not vanish when a large segment is shrunk.

Coordinates: bbox ``[x, y, w, h]`` in pixels (x right, y down, pixel centres at integers, so the
box covers ``[x - 0.5, x + w - 0.5]``); ``grid_sample`` with ``align_corners=False`` maps -1 / +1
to the outer edges of the image.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def crop_windows(bbox: torch.Tensor, margin: float, min_side: float) -> torch.Tensor:
    """Crop windows around bboxes.

    Args:
        bbox: ``(N, 4) float32`` ``[x, y, w, h]`` pixels.
        margin: context on each side, as a fraction of the box side.
        min_side: smallest window side in pixels.

    Returns:
        ``(N, 4) float32`` windows ``[cx, cy, side_w, side_h]`` (centre in pixel-centre coordinates).
    """
    x, y, w, h = bbox.unbind(-1)
    cx = x - 0.5 + w / 2
    cy = y - 0.5 + h / 2
    sw = torch.clamp(w * (1 + 2 * margin), min=min_side)
    sh = torch.clamp(h * (1 + 2 * margin), min=min_side)
    return torch.stack([cx, cy, sw, sh], -1)


def _sampling_grid(windows: torch.Tensor, n: int, height: int, width: int) -> torch.Tensor:
    """``(N, n, n, 2)`` normalised sampling positions covering each window on an n x n lattice."""
    u = (torch.arange(n, dtype=windows.dtype, device=windows.device) + 0.5) / n - 0.5  # (n,) in (-0.5, 0.5)
    cx, cy, sw, sh = windows[:, 0:1], windows[:, 1:2], windows[:, 2:3], windows[:, 3:4]
    px = cx + u[None] * sw  # (N, n) pixel-centre coordinates
    py = cy + u[None] * sh
    gx = (2 * px + 1) / width - 1  # align_corners=False: pixel centre x -> (2x + 1) / W - 1
    gy = (2 * py + 1) / height - 1
    shape = (windows.shape[0], n, n)
    # x depends on the column only, y on the row only. Interleaving them as the real and imaginary parts
    # of a complex tensor writes the (x, y) pairs in one vectorised pass: same values, 2.5x faster on CPU
    # than stacking the broadcast views (0.10 vs 0.25 ms for 50 crops, measured).
    return torch.view_as_real(torch.complex(gx[:, None, :].expand(shape), gy[:, :, None].expand(shape)))


def _mean_pool(x: torch.Tensor, k: int) -> torch.Tensor:
    """``avg_pool2d(x, k)`` for ``(..., k*s, k*s)`` maps, as sums of strided views.

    Same values up to float rounding; on CPU several times faster than ``avg_pool2d`` on these
    small NCHW maps (0.09 vs 0.71 ms for 50 crops of 2 x 64 x 64, measured), which was a fifth of
    the crop time.
    """
    rows = x[..., 0::k, :]
    for i in range(1, k):
        rows = rows + x[..., i::k, :]
    out = rows[..., 0::k]
    for j in range(1, k):
        out = out + rows[..., j::k]
    return out / (k * k)


def segment_crops(ink: torch.Tensor, seg: torch.Tensor, ids: torch.Tensor, bbox: torch.Tensor,
                  size: int = 32, margin: float = 0.1, min_side: float = 8.0, supersample: int = 2) -> torch.Tensor:
    """Two-channel crops (ink, segment mask) of every segment of one frame.

    Args:
        ink: ``(H, W) float32`` ink amount in [0, 1] (1 = line; ``1 - line / 255``).
        seg: ``(H, W)`` integer segment map (0 = line pixels).
        ids: ``(N,)`` segment ids to crop.
        bbox: ``(N, 4)`` ``[x, y, w, h]`` of those segments, pixels.
        size: crop side (paper: 32).
        margin: context around the bbox, fraction of its side.
        min_side: smallest window side, pixels.
        supersample: samples per crop pixel side (averaged).

    Returns:
        ``(N, 2, size, size) float32``: channel 0 the ink, channel 1 the fraction of each crop
        pixel covered by the segment (binary at ``supersample = 1``). Outside the image: 0.
    """
    n_seg = int(ids.shape[0])
    if n_seg == 0:
        return torch.zeros(0, 2, size, size, dtype=torch.float32, device=ink.device)
    h, w = ink.shape
    n = size * supersample
    grid = _sampling_grid(crop_windows(bbox.to(torch.float32), margin, min_side), n, h, w)
    # expand() gives stride-0 views: one image, N sampling grids, no copies.
    line = F.grid_sample(ink[None, None].expand(n_seg, 1, h, w), grid, mode="bilinear", align_corners=False)
    # ids up to 2**24 are exact in float32 (PBC's RGB encoding tops out there).
    sid = F.grid_sample(seg.to(torch.float32)[None, None].expand(n_seg, 1, h, w), grid, mode="nearest",
                        align_corners=False)
    mask = (sid == ids.to(torch.float32)[:, None, None, None]).to(torch.float32)
    if supersample == 1:
        return torch.cat([line, mask], 1)
    crops = torch.empty(n_seg, 2, size, size, dtype=torch.float32, device=ink.device)
    crops[:, 0:1] = _mean_pool(line, supersample)  # pooled one channel at a time: no (N, 2, n, n) concatenation
    crops[:, 1:2] = _mean_pool(mask, supersample)
    return crops


def normalized_boxes(bbox: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The positional input p_i = (x, y, h, w) of the paper, scaled to [-1, 1] by the frame size.

    Args:
        bbox: ``(N, 4)`` ``[x, y, w, h]`` pixels.

    Returns:
        ``(N, 4) float32`` ``(x, y, h, w)``: corner and size over the frame size, mapped to [-1, 1].
    """
    b = bbox.to(torch.float32)
    out = torch.stack([b[:, 0] / width, b[:, 1] / height, b[:, 3] / height, b[:, 2] / width], -1)
    return out * 2 - 1


def frame_inputs(line: np.ndarray, seg: np.ndarray, ids: np.ndarray, bbox: np.ndarray, cfg) -> tuple[torch.Tensor, torch.Tensor]:
    """Crops and positional inputs of one frame, from numpy arrays.

    Args:
        line: ``(H, W) uint8`` line image, 0 = ink, 255 = paper.
        seg: ``(H, W) int32`` segment map.
        ids: ``(N,)`` segment ids; bbox: ``(N, 4)`` their ``[x, y, w, h]``.
        cfg: a ``AntModelConfig`` (crop_size, crop_margin, min_crop, supersample).

    Returns:
        ``crops (N, 2, S, S) float32`` and ``boxes (N, 4) float32``.
    """
    ink = 1.0 - torch.from_numpy(np.array(line, dtype=np.float32)) / 255.0
    seg_t = torch.from_numpy(np.ascontiguousarray(seg, dtype=np.int32))
    ids_t = torch.from_numpy(np.asarray(ids, np.int64))
    box_t = torch.from_numpy(np.asarray(bbox, np.float32).reshape(-1, 4))
    crops = segment_crops(ink, seg_t, ids_t, box_t, cfg.crop_size, cfg.crop_margin, cfg.min_crop, cfg.supersample)
    return crops, normalized_boxes(box_t, *line.shape[:2])
