"""Figure-7-style pictures of region segmentation and matching (``linecorr viz DATASET PAIR --regions M``).

Rows, each showing frame A left and frame B right:

1. the raw line art (the only input);
2. predicted regions: one color per region within each image, the background region white;
3. predicted matching: matched regions share a color across the two images (a color per connected
   group of the match graph), regions without a match gray;
4. the ground-truth matching (``dataprep.viz``), for comparison.

``M`` is a patch-ViT checkpoint (a ``.safetensors`` file, or a run folder: its ``best`` then ``last``
checkpoint) or a region-baseline name (``benchmark.region_baselines``).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from dataprep.errors import LinecorrError
from dataprep.viz import UNMATCHED_GRAY, group_colors, match_groups

_WHITE = (255, 255, 255)


def background_region(regions: np.ndarray) -> int:
    """Id of the largest region touching the image border (0 if none)."""
    border = np.concatenate([regions[0], regions[-1], regions[:, 0], regions[:, -1]])
    border = border[border > 0]
    if border.size == 0:
        return 0
    counts = np.bincount(regions.ravel())
    cand = np.unique(border)
    return int(cand[np.argmax(counts[cand])])


def paint(regions: np.ndarray, line: np.ndarray, colors: dict[int, tuple[int, int, int]],
          default: tuple[int, int, int] = UNMATCHED_GRAY) -> np.ndarray:
    """``(H, W, 3) uint8``: each region in its color (``default`` if none), ink drawn black on top."""
    n = int(regions.max()) + 1
    lut = np.empty((n, 3), np.uint8)
    lut[:] = default
    for i, c in colors.items():
        if 0 <= i < n:
            lut[i] = c
    img = lut[regions].astype(np.float32) * (line.astype(np.float32)[..., None] / 255.0)  # anti-aliased ink
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def segmentation_colors(regions: np.ndarray) -> dict[int, tuple[int, int, int]]:
    """A distinct color per region, the background white."""
    ids = [int(i) for i in np.unique(regions) if i > 0]
    cols = group_colors(len(ids))
    out = {i: tuple(int(v) for v in cols[k]) for k, i in enumerate(ids)}
    out[background_region(regions)] = _WHITE
    return out


def matching_colors(regions_a: np.ndarray, regions_b: np.ndarray, matches: np.ndarray
                    ) -> tuple[dict[int, tuple], dict[int, tuple]]:
    """Colors of matched regions (one per match group, shared across images); unmatched backgrounds white."""
    groups = match_groups([(int(a), int(b)) for a, b in np.asarray(matches).reshape(-1, 2)])
    cols = group_colors(len(groups))
    ca = {i: tuple(int(v) for v in cols[k]) for i, k in groups.a.items()}
    cb = {i: tuple(int(v) for v in cols[k]) for i, k in groups.b.items()}
    for regions, c in ((regions_a, ca), (regions_b, cb)):
        bg = background_region(regions)
        c.setdefault(bg, _WHITE)
    return ca, cb


def _label(img: np.ndarray, text: str) -> np.ndarray:
    strip = np.full((22, img.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([strip, img], axis=0)


def _side_by_side(a: np.ndarray, b: np.ndarray, gap: int = 8) -> np.ndarray:
    if a.ndim == 2:
        a, b = (np.repeat(x[..., None], 3, axis=2) for x in (a, b))
    h = max(a.shape[0], b.shape[0])
    pad = lambda x: np.pad(x, ((0, h - x.shape[0]), (0, 0), (0, 0)), constant_values=255)
    return np.concatenate([pad(a), np.full((h, gap, 3), 255, np.uint8), pad(b)], axis=1)


def region_figure(fa, fb, pair, pred, title: str) -> np.ndarray:
    """The figure (module docstring) of one pair: ``(H', W', 3) uint8`` RGB.

    Args:
        fa, fb: the loaded frames (GT included, for the last row).
        pair: the pair (GT matches).
        pred: a :class:`~benchmark.region_score.RegionPrediction` for the pair.
        title: method name written above the predicted rows.
    """
    from dataprep.viz import draw_pair_frames

    rows = [_label(_side_by_side(fa.line, fb.line), "line art (input)")]
    seg_a = paint(pred.map_a, fa.line, segmentation_colors(pred.map_a))
    seg_b = paint(pred.map_b, fb.line, segmentation_colors(pred.map_b))
    rows.append(_label(_side_by_side(seg_a, seg_b), f"{title}: regions"))
    ca, cb = matching_colors(pred.map_a, pred.map_b, pred.matches)
    rows.append(_label(_side_by_side(paint(pred.map_a, fa.line, ca), paint(pred.map_b, fb.line, cb)),
                       f"{title}: region matching"))
    rows.append(_label(draw_pair_frames(fa, fb, pair), "ground-truth matching"))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return np.concatenate(rows, axis=0)


def load_region_method(method: str, device: str = "cpu"):
    """A region predictor from a baseline name, a checkpoint file or a run folder."""
    from benchmark.region_baselines import REGION_BASELINES, get_region_baseline

    if method in REGION_BASELINES:
        return get_region_baseline(method)
    path = Path(method)
    if path.is_dir():
        found = [path / n for n in ("best.safetensors", "last.safetensors") if (path / n).is_file()]
        if not found:
            raise LinecorrError("run folder holds no best.safetensors or last.safetensors", path)
        path = found[0]
    if not path.is_file():
        raise LinecorrError(f"--regions takes a patch-ViT checkpoint, a run folder or a region baseline "
                            f"({', '.join(REGION_BASELINES)}); {method!r} is none of these")
    from benchmark.models.vit.matcher import PatchVitMatcher

    return PatchVitMatcher.from_checkpoint(path, device)


def draw_region_figure(dataset, pid: str, method: str, device: str = "cpu") -> np.ndarray:
    """Run ``method`` on pair ``pid`` of ``dataset`` (raw line art only) and draw the figure."""
    from benchmark.region_score import raw_line_frame
    from dataprep.format import Dataset
    from dataprep.viz import find_pair

    ds = dataset if isinstance(dataset, Dataset) else Dataset.open(os.fspath(dataset))
    pair = find_pair(ds, pid)
    fa, fb = ds.load_frame(pair.clip, pair.frame_a), ds.load_frame(pair.clip, pair.frame_b)
    predictor = load_region_method(method, device)
    pred = predictor.predict(raw_line_frame(fa), raw_line_frame(fb))
    return region_figure(fa, fb, pair, pred, getattr(predictor, "name", method))
