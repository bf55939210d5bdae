"""Make rendered clips look like scanned / streamed colored frames, keeping their ground truth.

There are no real labelled anime frames here (no internet), so the labeller's "real-looking"
figure comes from rendered clips degraded the way real frames differ from renders: lines
thickened to ``line_px`` (drawn line art is 2-3 px wide; the renders' exact 1-px id boundaries
would vanish under the blur), a smooth random warp per frame (hand-drawn shapes are not rigid
copies), blur, sensor-like noise and JPEG compression, and a small global brightness change. The pixel label maps and segment
maps are warped with the same field (nearest neighbour), so the GT stays exact. The line image
is dropped: the labeller must find the lines in the colors, as it does for a user's frames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dataprep.format import Dataset, DatasetWriter, make_producer


@dataclass
class DegradeConfig:
    """How much to degrade (defaults: clearly visible, still a clean drawing)."""

    line_px: int = 2  # line width in px after thickening the renders' lines (1 = keep them)
    line_gray: int = 30  # gray level of the thickened lines (dark, not pure black)
    warp_px: float = 3.0  # amplitude of the smooth random warp (px at 512 px; scaled with the frame)
    warp_scale: float = 48.0  # px; spatial scale of the warp (Gaussian sigma of the smoothed noise)
    blur_sigma: float = 0.6  # px; Gaussian blur before compression
    noise: float = 2.0  # std of additive Gaussian noise (0-255 levels)
    jpeg_quality: int = 70  # JPEG quality of the round trip
    brightness: float = 3.0  # max global brightness change per frame (0-255 levels)
    seed: int = 0  # random seed


def _warp_maps(h: int, w: int, cfg: DegradeConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    k = max(h, w) / 512
    sigma = cfg.warp_scale * k
    fields = []
    for _ in range(2):
        f = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigma)
        f *= cfg.warp_px * k / max(float(np.abs(f).max()), 1e-6)
        fields.append(f)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return xs + fields[0], ys + fields[1]


def degrade_frame(rgb: np.ndarray, maps: list[np.ndarray], cfg: DegradeConfig, rng: np.random.Generator,
                  mx: np.ndarray, my: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Warp, blur, add noise, JPEG round trip one ``(H, W, 3) uint8`` frame; warp its ``(H, W)`` int maps alike."""
    out = cv2.remap(rgb, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    warped = [cv2.remap(m.astype(np.float32), mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
              .astype(np.int32) for m in maps]
    if cfg.blur_sigma > 0:
        out = cv2.GaussianBlur(out, (0, 0), cfg.blur_sigma)
    shift = rng.uniform(-cfg.brightness, cfg.brightness)
    noisy = out.astype(np.float32) + shift + rng.normal(0, cfg.noise, out.shape)
    out = np.clip(noisy + 0.5, 0, 255).astype(np.uint8)
    _, buf = cv2.imencode(".jpg", cv2.cvtColor(out, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, cfg.jpeg_quality])
    out = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return out, warped


def degrade_dataset(src: str | os.PathLike, out: str | os.PathLike, cfg: DegradeConfig | None = None,
                    clips: list[str] | None = None, overwrite: bool = False) -> Path:
    """Write a degraded copy of a rendered dataset (colour + GT; see the module docstring).

    Args:
        src: dataset with colour images and pixel label maps.
        out: new dataset.
        cfg: degradation settings.
        clips: only these clips (default all).
        overwrite: replace ``out``.
    """
    from dataprep.config import config_dict
    from dataprep.label.clip import line_from_regions

    cfg = cfg or DegradeConfig()
    ds = Dataset.open(src)
    w = DatasetWriter(out, name=f"{ds.manifest.name}-degraded", producer=make_producer("degrade", config_dict(cfg)),
                      parent=ds, overwrite=overwrite, description="Rendered clips warped, blurred, noised and "
                      "JPEG-compressed to look like real colored frames; GT labels warped alike.")
    rng = np.random.default_rng(cfg.seed)
    keep = clips or ds.clip_ids
    for clip in keep:
        info = ds.clip(clip)
        w.begin_clip(clip)
        for f in info.frames:
            fr = ds.load_frame(clip, f, info)
            color, seg0 = fr.color.copy(), fr.seg.copy()
            if cfg.line_px > 1:
                ink = cv2.dilate((fr.seg == 0).view(np.uint8), np.ones((cfg.line_px, cfg.line_px), np.uint8)) > 0
                color[ink], seg0[ink] = cfg.line_gray, 0
            mx, my = _warp_maps(*fr.seg.shape, cfg, rng)
            maps = [seg0] + ([fr.labels] if fr.labels is not None else [])
            rgb, warped = degrade_frame(color, maps, cfg, rng, mx, my)
            seg = warped[0]
            w.write_frame(clip, f, line=line_from_regions(seg), seg=seg, color=rgb,
                          labels=warped[1] if len(warped) > 1 else None)
        w.finish_clip(info)
    w.set_splits({k: [c for c in v if c in keep] for k, v in ds.splits.items() if any(c in keep for c in v)})
    return w.commit()
