"""Pictures of a pair's correspondence: matched segments share a color across the two frames.

The figure style of the AnT and manga region-correspondence papers: both frames side by side,
each segment filled with the color of its correspondence group, line pixels black. A *group* is
a connected component of the pair's many-to-many match graph (segments of A and B are nodes,
matches are edges), so a part split in two by an occluding arm gets one color on both sides.

Colors are deterministic: groups are ordered by their smallest A segment id and take hues along
the golden-ratio sequence, so neighbouring groups (close ids: ids run in raster order) get far
apart hues, and the same pair always gives the same picture.
"""

from __future__ import annotations

import colorsys
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format.dataset import Dataset, Frame
from dataprep.format.schema import Pair, parse_pair_id

#: Fill of segments known to have no match (listed in the pair's ``unmatched_a/b``).
UNMATCHED_GRAY = (150, 150, 150)
#: Fill of segments the pair says nothing about (unlabelled, background).
UNKNOWN_GRAY = (215, 215, 215)
#: OpenCV font scale of segment ids: ~10 px tall digits, readable at 100 % zoom.
_FONT_SCALE = 0.42


@dataclass
class VizConfig:
    """Settings of :func:`draw_pair`."""

    background: str = "line"  # "line": flat colors shaded by the line image; "color": blended over the color image
    show_ids: bool = False  # write each segment's id at its most interior pixel
    gap: int = 8  # width in pixels of the white strip between the two frames (before scaling)
    scale: int = 0  # integer nearest-neighbour upscaling; 0 = auto (1, or enough to read ids on small frames)
    blend: float = 0.6  # weight of the group color over the color image (background "color")


@dataclass
class Groups:
    """The connected components of a pair's match graph.

    Attributes:
        a: ``{segment id of A: group index}`` for every matched segment of A.
        b: ``{segment id of B: group index}`` for every matched segment of B.
        sizes: ``[(n_a, n_b)]`` per group: how many segments of A and of B it holds.
    """

    a: dict[int, int]
    b: dict[int, int]
    sizes: list[tuple[int, int]]

    def __len__(self) -> int:
        return len(self.sizes)


def match_groups(edges: list[tuple[int, int]]) -> Groups:
    """Group matched segments into connected components of the bipartite match graph.

    Args:
        edges: ``(a, b)`` segment id pairs (A's id, B's id); duplicates are harmless.

    Returns:
        :class:`Groups`, numbered 0.. in order of each group's smallest A id (deterministic).
    """
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(x: tuple[str, int]) -> tuple[str, int]:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]  # path halving keeps trees flat
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(("a", int(a))), find(("b", int(b)))
        if ra != rb:
            parent[rb] = ra
    members: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for node in list(parent):
        members.setdefault(find(node), []).append(node)
    # Every group has an A node (each edge has one), so min A id orders them totally.
    order = sorted(members.values(), key=lambda ns: min(i for s, i in ns if s == "a"))
    ga, gb, sizes = {}, {}, []
    for k, nodes in enumerate(order):
        na = nb = 0
        for side, i in nodes:
            if side == "a":
                ga[i], na = k, na + 1
            else:
                gb[i], nb = k, nb + 1
        sizes.append((na, nb))
    return Groups(ga, gb, sizes)


def group_colors(n: int) -> np.ndarray:
    """``(n, 3) uint8`` distinct, saturated RGB colors along the golden-ratio hue sequence."""
    out = np.zeros((n, 3), np.uint8)
    for k in range(n):
        h = (0.11 + k * 0.618033988749895) % 1.0
        s = (0.85, 0.6, 0.95)[k % 3]  # vary saturation/value too, so hues that come round again differ
        v = (0.95, 0.85, 0.7)[(k // 3) % 3]
        out[k] = np.round(np.array(colorsys.hsv_to_rgb(h, s, v)) * 255)
    return out


def segment_fills(seg: np.ndarray, groups: dict[int, int], unmatched: list[int],
                  colors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fill color per segment id.

    Returns:
        ``(lut, grouped)``: ``(max id + 1, 3) uint8`` colors (index 0, the line, black) and
        ``(max id + 1,) bool`` True where the segment belongs to a match group.
    """
    n = int(seg.max()) + 1
    lut = np.empty((n, 3), np.uint8)
    lut[:] = UNKNOWN_GRAY
    lut[0] = 0
    grouped = np.zeros(n, bool)
    for i in unmatched:
        if 0 < i < n:
            lut[i] = UNMATCHED_GRAY
    for i, k in groups.items():
        if 0 < i < n:  # ids the map lacks are a dataset error the validator reports; skip them here
            lut[i], grouped[i] = colors[k], True
    return lut, grouped


def colorize_frame(frame: Frame, lut: np.ndarray, grouped: np.ndarray, background: str = "line",
                   blend: float = 0.6) -> np.ndarray:
    """Paint one frame by segment.

    Args:
        frame: the loaded frame (``seg`` ``(H, W) int32``, ``line`` ``(H, W) uint8``, optional
            ``color`` ``(H, W, 3) uint8``).
        lut, grouped: from :func:`segment_fills`.
        background: ``"line"``: fills shaded by the line image, so anti-aliased strokes stay
            visible; ``"color"``: fills blended over the color image, segments without a group
            show the color image faded to gray.
        blend: weight of the fill over the color image for ``"color"``.

    Returns:
        ``(H, W, 3) uint8`` RGB; line pixels (segment 0) are black.
    """
    fill = lut[frame.seg].astype(np.float32)
    if background == "color":
        if frame.color is None:
            raise LinecorrError(f"clip {frame.clip!r} has no color images; use --background line")
        col = frame.color.astype(np.float32)
        gray = col @ np.array([0.299, 0.587, 0.114], np.float32)
        pale = np.repeat((0.5 * gray + 127.5)[..., None], 3, axis=2)
        out = np.where(grouped[frame.seg][..., None], blend * fill + (1 - blend) * col, pale)
    elif background == "line":
        out = fill * (frame.line.astype(np.float32)[..., None] / 255.0)
    else:
        raise LinecorrError(f"background must be 'line' or 'color', got {background!r}")
    out[frame.seg == 0] = 0
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _label_points(seg: np.ndarray, ids: list[int]) -> dict[int, tuple[int, int, float]]:
    """Most interior pixel of each segment: ``{id: (x, y, distance to its border)}``.

    The centroid of a crescent lies outside it; the maximum of the distance transform is
    always inside, and its value says how much text fits there.
    """
    out = {}
    for i in ids:
        ys, xs = np.nonzero(seg == i)
        if ys.size == 0:
            continue
        y0, x0 = ys.min(), xs.min()
        mask = np.zeros((ys.max() - y0 + 3, xs.max() - x0 + 3), np.uint8)  # 1-px margin: borders count
        mask[ys - y0 + 1, xs - x0 + 1] = 1
        dist = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
        y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
        out[i] = (int(x + x0 - 1), int(y + y0 - 1), float(dist[y, x]))
    return out


def draw_ids(img: np.ndarray, seg: np.ndarray, scale: int) -> None:
    """Write segment ids (white with a black outline) into ``img`` ``(H*s, W*s, 3) uint8`` in place."""
    ids = [int(i) for i in np.unique(seg) if i > 0]
    for i, (x, y, d) in _label_points(seg, ids).items():
        text = str(i)
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, _FONT_SCALE, 1)
        if 2 * d * scale < max(th, 0.6 * tw):
            continue  # no room: a label spilling over its neighbours misleads more than it helps
        org = (int((x + 0.5) * scale - tw / 2), int((y + 0.5) * scale + th / 2))
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, _FONT_SCALE, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, _FONT_SCALE, (255, 255, 255), 1, cv2.LINE_AA)


def _auto_scale(cfg: VizConfig, height: int) -> int:
    if cfg.scale > 0:
        return cfg.scale
    # Ids are ~10 px text: upscale small frames to >= ~500 px so the labels fit inside segments.
    return int(min(4, max(1, np.ceil(500 / max(height, 1))))) if cfg.show_ids else 1


def draw_pair_frames(fa: Frame, fb: Frame, pair: Pair, cfg: VizConfig | None = None) -> np.ndarray:
    """Draw a pair from loaded frames.

    Args:
        fa, fb: frames A and B (same height; :meth:`Dataset.load_frame` gives them).
        pair: the pair's matches and unmatched lists.
        cfg: settings (defaults: line background, no ids, auto scale).

    Returns:
        ``(H*s, (Wa + gap + Wb)*s, 3) uint8`` RGB, ``s`` the scale (1 unless ids or ``scale``
        ask for more): A on the left, B on the right, a white strip between.
    """
    cfg = cfg or VizConfig()
    if fa.seg.shape[0] != fb.seg.shape[0]:
        raise LinecorrError(f"pair {pair.id}: frames have different heights ({fa.seg.shape[0]}, {fb.seg.shape[0]})")
    groups = match_groups([(m.a, m.b) for m in pair.matches])
    colors = group_colors(len(groups))
    s = _auto_scale(cfg, fa.seg.shape[0])
    halves = []
    for frame, grp, unm in ((fa, groups.a, pair.unmatched_a), (fb, groups.b, pair.unmatched_b)):
        lut, grouped = segment_fills(frame.seg, grp, unm, colors)
        img = colorize_frame(frame, lut, grouped, cfg.background, cfg.blend)
        if s > 1:
            img = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_NEAREST)
        if cfg.show_ids:
            draw_ids(img, frame.seg, s)
        halves.append(img)
    strip = np.full((halves[0].shape[0], max(0, cfg.gap) * s, 3), 255, np.uint8)
    return np.concatenate([halves[0], strip, halves[1]], axis=1)


def find_pair(ds: Dataset, pid: str) -> Pair:
    """Load pair ``pid``; a missing or malformed id gives a one-line error with examples."""
    ids = ds.pair_ids()
    if pid not in ids:
        if not ids:
            raise LinecorrError("dataset has no pairs", ds.root)
        try:
            parse_pair_id(pid)
            why = "no such pair"
        except LinecorrError:
            why = "pair ids look like CLIP/FRAME_A__FRAME_B"
        shown = ", ".join(ids[:3])
        raise LinecorrError(f"{why}: {pid!r} (it has {len(ids)} pairs, e.g. {shown}; "
                            f"`linecorr viz {ds.root} --list` prints them all)", ds.root)
    return ds.load_pair(pid)


def draw_pair(dataset: Dataset | str | os.PathLike, pid: str, cfg: VizConfig | None = None) -> np.ndarray:
    """Draw pair ``pid`` of a dataset: matched segments in one color per match group.

    Args:
        dataset: an open :class:`Dataset` or its folder.
        pid: pair id ``<clip>/<frame_a>__<frame_b>``.
        cfg: settings.

    Returns:
        ``(H*s, (Wa + gap + Wb)*s, 3) uint8`` RGB image (see :func:`draw_pair_frames`).
    """
    ds = dataset if isinstance(dataset, Dataset) else Dataset.open(dataset)
    pair = find_pair(ds, pid)
    info = ds.clip(pair.clip)
    return draw_pair_frames(ds.load_frame(pair.clip, pair.frame_a, info),
                            ds.load_frame(pair.clip, pair.frame_b, info), pair, cfg)


def default_viz_name(pid: str) -> str:
    """``viz_<clip>_<frame_a>__<frame_b>.png`` for pair ``pid``."""
    clip, fa, fb = parse_pair_id(pid)
    return f"viz_{clip}_{fa}__{fb}.png"


def save_png(img: np.ndarray, path: str | os.PathLike) -> Path:
    """Write ``(H, W, 3) uint8`` RGB as a PNG atomically; returns the path."""
    from dataprep.format.atomic import atomic_write_bytes
    from dataprep.format.images import encode_png

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise LinecorrError("output must be a .png file", path)
    atomic_write_bytes(path, encode_png(img))
    return path
