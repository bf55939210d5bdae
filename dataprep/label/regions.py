"""Per-region statistics the matcher needs: area, centroid, mean colour (CIELAB), bbox, shape.

Everything is computed with ``np.bincount`` over the label map (one pass per statistic, no loop
over regions) except the Hu moments, which OpenCV computes per region on its bounding box crop.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage as ndi

from dataprep.segment.color_cluster import rgb_to_lab


@dataclass
class Regions:
    """The regions of one frame; row ``i`` describes region ``ids[i]``.

    Attributes:
        ids: ``(N,) int32`` region ids of the label map (ascending, never 0).
        row_of: ``(max id + 1,) int64`` row of each id, -1 for ids absent (and for 0 = line).
        area: ``(N,) int64`` pixel count.
        centroid: ``(N, 2) float64`` mean ``[x, y]`` (pixel centres at integers).
        lab: ``(N, 3) float32`` mean CIELAB colour (L* 0-100).
        bbox: ``(N, 4) int64`` ``[x, y, w, h]``.
        hu: ``(N, 7) float64`` log-scaled Hu moments (sign kept): a scale/rotation-invariant shape code.
        angle: ``(N,) float64`` orientation of the principal axis in radians, in (-pi/2, pi/2]
            (x right, y down: positive turns from +x towards +y).
        elongation: ``(N,) float64`` sqrt of the ratio of the second moments' eigenvalues (1 = round).
        background: row of the background (largest region touching the border), or -1 when none.
    """

    ids: np.ndarray
    row_of: np.ndarray
    area: np.ndarray
    centroid: np.ndarray
    lab: np.ndarray
    bbox: np.ndarray
    hu: np.ndarray
    angle: np.ndarray
    elongation: np.ndarray
    background: int

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def rows(self, seg_values: np.ndarray) -> np.ndarray:
        """Rows of the regions under label-map values ``seg_values`` (-1 for line pixels)."""
        return self.row_of[seg_values]


def region_stats(seg: np.ndarray, rgb: np.ndarray, lab_image: np.ndarray | None = None) -> Regions:
    """Statistics of every region of a label map.

    Args:
        seg: ``(H, W) int32`` label map, 0 = line pixels, regions > 0.
        rgb: ``(H, W, 3) uint8`` RGB frame the mean colours are taken from.
        lab_image: optional ``(H, W, 3) float32`` CIELAB of ``rgb`` (computed when None).

    Returns:
        The :class:`Regions`.
    """
    flat = seg.ravel()
    n_bins = int(flat.max()) + 1 if flat.size else 1
    area_all = np.bincount(flat, minlength=n_bins)
    ids = np.flatnonzero(area_all)
    ids = ids[ids > 0].astype(np.int32)
    row_of = np.full(n_bins, -1, np.int64)
    row_of[ids] = np.arange(ids.size)
    area = area_all[ids].astype(np.int64)
    ys, xs = np.divmod(np.arange(flat.size), seg.shape[1])
    sx = np.bincount(flat, weights=xs, minlength=n_bins)[ids]
    sy = np.bincount(flat, weights=ys, minlength=n_bins)[ids]
    centroid = np.stack([sx, sy], 1) / np.maximum(area, 1)[:, None]
    lab = rgb_to_lab(rgb) if lab_image is None else lab_image
    lab_flat = lab.reshape(-1, 3)
    mean_lab = np.stack([np.bincount(flat, weights=lab_flat[:, c], minlength=n_bins)[ids] for c in range(3)], 1)
    mean_lab = (mean_lab / np.maximum(area, 1)[:, None]).astype(np.float32)
    objs = ndi.find_objects(seg)
    bbox = np.zeros((ids.size, 4), np.int64)
    for i, sid in enumerate(ids.tolist()):
        sl = objs[sid - 1]
        bbox[i] = (sl[1].start, sl[0].start, sl[1].stop - sl[1].start, sl[0].stop - sl[0].start)
    hu, mu = shape_moments(seg, ids, bbox)
    angle = 0.5 * np.arctan2(2 * mu[:, 2], mu[:, 0] - mu[:, 1])
    spread = np.sqrt(((mu[:, 0] - mu[:, 1]) / 2) ** 2 + mu[:, 2] ** 2)
    mean = (mu[:, 0] + mu[:, 1]) / 2
    elongation = np.sqrt((mean + spread) / np.maximum(mean - spread, 1e-9 * np.maximum(mean, 1)))
    border = np.unique(np.concatenate([seg[0], seg[-1], seg[:, 0], seg[:, -1]]))
    border = border[border > 0]
    background = int(row_of[border[np.argmax(area_all[border])]]) if border.size else -1
    return Regions(ids, row_of, area, centroid, mean_lab, bbox, hu, angle, np.minimum(elongation, 1e3), background)


def shape_moments(seg: np.ndarray, ids: np.ndarray, bbox: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shape moments of each region, computed by OpenCV on the region's bounding-box crop.

    Used by the labeller's coarse matcher and the benchmark's hand-crafted baselines alike.

    Args:
        seg: ``(H, W)`` int label map.
        ids: ``(N,)`` region ids.
        bbox: ``(N, 4)`` int ``[x, y, w, h]`` of each region.

    Returns:
        ``(hu, mu)``: ``(N, 7) float64`` log-scaled Hu moments ``-sign(m) log10 |m|`` clipped to
        [-30, 30] (a scale- and rotation-invariant shape code; the log tames their range of many
        orders of magnitude), and ``(N, 3) float64`` central second moments ``mu20, mu02, mu11``.
    """
    hu = np.zeros((len(ids), 7))
    mu = np.zeros((len(ids), 3))
    for i, (sid, (x, y, w, h)) in enumerate(zip(np.asarray(ids).tolist(), np.asarray(bbox).tolist())):
        mo = cv2.moments((seg[y:y + h, x:x + w] == sid).view(np.uint8), binaryImage=True)
        mu[i] = (mo["mu20"], mo["mu02"], mo["mu11"])
        m = cv2.HuMoments(mo).ravel()
        hu[i] = -np.sign(m) * np.log10(np.abs(m) + 1e-30)
    return np.clip(hu, -30, 30), mu


def adjacency(seg: np.ndarray, regions: Regions, reach: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of regions that touch or are separated only by a thin line, and where they meet.

    Args:
        seg: ``(H, W) int32`` label map, 0 = line pixels.
        regions: its :class:`Regions`.
        reach: px; two regions are neighbours when pixels of both lie within this distance along
            x or y (a drawn line is 1-3 px wide).

    Returns:
        ``(edges, contact)``: ``(E, 2) int64`` row pairs ``(i, j)`` with ``i < j``, each
        neighbouring pair once, and ``(E, 2) float64`` the mean position ``[x, y]`` of the pixel
        pairs across their common boundary (the joint between two parts).
    """
    n = len(regions)
    w = seg.shape[1]
    codes, pos = [], []
    for d in range(1, reach + 1):
        for a, b, step in ((seg[:, :-d], seg[:, d:], d), (seg[:-d, :], seg[d:, :], d * w)):
            diff = (a != b) & (a > 0) & (b > 0)
            ra, rb = regions.row_of[a[diff]], regions.row_of[b[diff]]
            lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
            codes.append(lo * n + hi)
            ys, xs = np.nonzero(diff)
            # midpoint between the two pixels, in full-frame coordinates
            half = np.array([d / 2, 0.0]) if step == d else np.array([0.0, d / 2])
            pos.append(np.stack([xs, ys], 1) + half)
    if n == 0 or not codes:
        return np.zeros((0, 2), np.int64), np.zeros((0, 2))
    code = np.concatenate(codes)
    if code.size == 0:
        return np.zeros((0, 2), np.int64), np.zeros((0, 2))
    u, inv = np.unique(code, return_inverse=True)
    p = np.concatenate(pos)
    cnt = np.bincount(inv, minlength=u.size)
    contact = np.stack([np.bincount(inv, p[:, 0], u.size), np.bincount(inv, p[:, 1], u.size)], 1) / cnt[:, None]
    return np.stack([u // n, u % n], 1), contact
