"""Label one pair of coloured frames: point matches -> votes -> coarse matcher -> region matches.

The core takes colour images and region maps, whatever made the regions (the colour segmenter,
a dataset's own segments, a benchmark's GT), so the labeller, the benchmark baseline and the
tests share it. A :class:`PreparedFrame` caches what depends on one frame only (region
statistics, keypoints, SIFT features): a frame in several pairs is described once.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from dataprep.errors import LinecorrError
from dataprep.label import align as align_mod
from dataprep.label.chain import Chain
from dataprep.label.coarse import coarse_match, make_side
from dataprep.label.config import LabelConfig
from dataprep.label.regions import Regions, adjacency, region_stats
from dataprep.label.vote import best_by_votes, cast_votes


def check_color_frame(rgb: np.ndarray, name: str | os.PathLike | None = None) -> np.ndarray:
    """Refuse frames the labeller cannot use, with a one-line message naming the file.

    Args:
        rgb: the frame as loaded: ``(H, W)`` gray, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA, uint8.
        name: the file (for the message).

    Returns:
        ``(H, W, 3) uint8`` RGB (RGBA composited on white).

    Raises:
        LinecorrError: not 8-bit, grayscale (no colour to segment or to filter votes by), or a
            single colour (nothing to match).
    """
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8:
        raise LinecorrError(f"frame must be 8-bit, got {arr.dtype}", name)
    if arr.ndim == 3 and arr.shape[2] == 4:
        from dataprep.segment.color_cluster import as_rgb

        arr = as_rgb(arr)
    if arr.ndim != 3 or arr.shape[2] != 3:
        if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (1, 2)):
            raise LinecorrError("is a grayscale image; linecorr label needs colored frames (flat-colored line "
                                "art): it segments and filters votes by color", name)
        raise LinecorrError(f"frame must be (H, W, 3) RGB, got shape {arr.shape}", name)
    if arr.size and (arr == arr.reshape(-1, 3)[0]).all():
        raise LinecorrError("has a single color: there are no regions to match", name)
    chroma = arr.max(axis=2).astype(np.int16) - arr.min(axis=2)
    if np.count_nonzero(chroma > 12) < max(16, 1e-4 * chroma.size):  # JPEG noise on gray stays below 12
        raise LinecorrError("is a grayscale image (no colored pixels); linecorr label needs colored frames "
                            "(flat-colored line art): it segments and filters votes by color", name)
    return np.ascontiguousarray(arr)


@dataclass
class PreparedFrame:
    """One frame ready to be matched; features are computed on first use and cached.

    Attributes:
        rgb: ``(H, W, 3) uint8`` RGB.
        seg: ``(H, W) int32`` region map, 0 = line pixels.
        regions: the region statistics.
        name: file or id used in messages.
    """

    rgb: np.ndarray
    seg: np.ndarray
    regions: Regions
    name: str = ""
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.seg.shape

    def edges(self) -> np.ndarray:
        """``(E, 2)`` neighbouring region rows (cached)."""
        return self.adjacency()[0]

    def adjacency(self) -> tuple[np.ndarray, np.ndarray]:
        """Neighbouring region rows and where they meet (``regions.adjacency``, cached)."""
        if "adjacency" not in self._cache:
            self._cache["adjacency"] = adjacency(self.seg, self.regions)
        return self._cache["adjacency"]

    def side(self):
        """The frame as the coarse matcher sees it (pixel order by region cached)."""
        if "side" not in self._cache:
            self._cache["side"] = make_side(self.regions, self.seg, *self.adjacency())
        return self._cache["side"]

    def drawing_box(self, margin: int = 16) -> tuple[int, int, int, int] | None:
        """``(x0, y0, x1, y1)`` around everything but the background region, or None (no background)."""
        bg = self.regions.background
        if bg < 0:
            return None
        ink = self.seg != self.regions.ids[bg]
        ys, xs = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        if ys.size == 0:
            return None
        h, w = self.shape
        return (max(0, xs[0] - margin), max(0, ys[0] - margin), min(w, xs[-1] + 1 + margin),
                min(h, ys[-1] + 1 + margin))

    def keypoints(self, cfg: LabelConfig, device: str):
        """ALIKED/DISK keypoints (cached per extractor settings)."""
        from dataprep.label.lightglue import extract_keypoints

        key = ("kp", cfg.extractor, device, cfg.extract_size, cfg.max_keypoints, cfg.detection_threshold,
               cfg.crop_to_drawing, cfg.extract_upscale)
        if key not in self._cache:
            box = self.drawing_box() if cfg.crop_to_drawing else None
            self._cache[key] = extract_keypoints(self.rgb, cfg.extractor, device, cfg.extract_size,
                                                 cfg.max_keypoints, cfg.detection_threshold, box,
                                                 cfg.extract_upscale)
        return self._cache[key]

    def sift(self, cfg: LabelConfig):
        """SIFT features (cached per settings)."""
        from dataprep.label.sift import sift_features

        key = ("sift", cfg.sift_size, cfg.sift_max_features, cfg.crop_to_drawing)
        if key not in self._cache:
            box = self.drawing_box() if cfg.crop_to_drawing else None
            self._cache[key] = sift_features(self.rgb, cfg.sift_size, cfg.sift_max_features, box)
        return self._cache[key]


def prepare_frame(rgb: np.ndarray, seg: np.ndarray, name: str | os.PathLike | None = None,
                  checked: bool = False) -> PreparedFrame:
    """Check a frame and compute its region statistics.

    Args:
        rgb: ``(H, W, 3|4)`` uint8 colour frame (gray is refused, see :func:`check_color_frame`).
        seg: ``(H, W)`` int region map, 0 = line pixels.
        name: file or id for messages.
        checked: ``rgb`` already passed :func:`check_color_frame`.
    """
    rgb = rgb if checked else check_color_frame(rgb, name)
    seg = np.asarray(seg)
    if seg.shape != rgb.shape[:2]:
        raise LinecorrError(f"region map is {seg.shape[1]}x{seg.shape[0]}, the frame is "
                            f"{rgb.shape[1]}x{rgb.shape[0]}", name)
    if not np.issubdtype(seg.dtype, np.integer) or (seg.size and seg.min() < 0):
        raise LinecorrError("region map must hold integer ids >= 0 (0 = line)", name)
    seg = seg.astype(np.int32, copy=False)
    return PreparedFrame(rgb, seg, region_stats(seg, rgb), "" if name is None else str(name))


@dataclass
class PairLabels:
    """Region matches of one pair.

    Attributes:
        matches: ``(id_a, id_b, confidence, how)`` with ``how`` = ``vote``, ``chain`` or ``coarse``;
            each (id_a, id_b) once. Confidence: the vote share, ``chain_confidence`` times the
            product along the chain, or ``coarse.confidence * exp(-cost)``.
        unmatched_a, unmatched_b: region ids in no match.
        stats: counts and timings for the pair's ``meta``.
        alignment: the global alignment A -> B (``(2, 3)``).
    """

    matches: list[tuple[int, int, float, str]]
    unmatched_a: list[int]
    unmatched_b: list[int]
    stats: dict
    alignment: np.ndarray


def point_matches(fa: PreparedFrame, fb: PreparedFrame, cfg: LabelConfig, device: str,
                  timings: dict | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Point matches of a pair per source, full-resolution pixels.

    Returns:
        ``{"lightglue": (pts_a, pts_b), "sift": (pts_a, pts_b)}`` (``(M, 2)`` arrays), the sources
        the config enables, primary (LightGlue) first.
    """
    timings = {} if timings is None else timings
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if cfg.extractor in ("aliked", "disk"):
        from dataprep.label.lightglue import match_keypoints

        t = time.perf_counter()
        ka, kb = fa.keypoints(cfg, device), fb.keypoints(cfg, device)
        timings["extract_s"] = time.perf_counter() - t
        t = time.perf_counter()
        pa, pb, _ = match_keypoints(ka, kb, cfg.extractor, device, cfg.lg_filter_threshold,
                                    cfg.lg_depth_confidence, cfg.lg_width_confidence)
        timings["lightglue_s"] = time.perf_counter() - t
        out["lightglue"] = (pa, pb)
    if cfg.sift_votes or cfg.extractor == "sift":
        from dataprep.label.sift import sift_matches

        t = time.perf_counter()
        pa, pb, _ = sift_matches(fa.sift(cfg), fb.sift(cfg), cfg.sift_ratio)
        timings["sift_s"] = time.perf_counter() - t
        out["sift"] = (pa, pb)
    return out


def _global_alignment(fa: PreparedFrame, fb: PreparedFrame, pa: np.ndarray, pb: np.ndarray,
                      cfg: LabelConfig) -> align_mod.Alignment:
    al, _ = align_mod.from_points(pa, pb, cfg.ransac_threshold, cfg.min_inliers)
    if al is not None:
        return al
    def drawing(f: PreparedFrame) -> np.ndarray:
        bg = f.regions.background
        return (f.seg != f.regions.ids[bg]) if bg >= 0 else np.ones(f.shape, bool)
    return align_mod.from_masks(drawing(fa), drawing(fb))


def _reliable(counts: np.ndarray, taken: np.ndarray, cfg: LabelConfig) -> list[tuple[int, int, float]]:
    """``(row, col, share)`` for rows not ``taken`` whose votes in ``counts`` are reliable."""
    rows, cols, share = best_by_votes(counts, cfg.min_votes, cfg.min_share)
    keep = ~taken[rows]
    return list(zip(rows[keep].tolist(), cols[keep].tolist(), share[keep].tolist()))


def _chain_rows(fa: PreparedFrame, fb: PreparedFrame, chain: Chain, cfg: LabelConfig
                ) -> tuple[dict[int, tuple[int, float]], dict[int, tuple[int, float]]]:
    """The chain in region rows: ``({row_a: (row_b, conf)}, {row_b: (row_a, conf)})``.

    A chained partner is kept only when its colour is within ``coarse.max_color`` (the same
    paint) and both regions are big enough to be labelled, like a coarse match.
    """
    ra, rb = fa.regions, fb.regions

    def row(regions, i: int) -> int:
        return int(regions.row_of[i]) if 0 < i < len(regions.row_of) else -1

    def ok(a: int, b: int) -> bool:
        if a < 0 or b < 0 or ra.area[a] < cfg.min_area or rb.area[b] < cfg.min_area:
            return False
        return float(np.linalg.norm(ra.lab[a].astype(np.float64) - rb.lab[b])) <= cfg.coarse.max_color

    fwd = {row(ra, i): (row(rb, j), c) for i, (j, c) in chain.forward.items()}
    bwd = {row(rb, j): (row(ra, i), c) for j, (i, c) in chain.backward.items()}
    return ({a: v for a, v in fwd.items() if ok(a, v[0])}, {b: v for b, v in bwd.items() if ok(v[0], b)})


def _apply_chain(edges: dict, fa: PreparedFrame, fb: PreparedFrame, chain: Chain, cfg: LabelConfig) -> int:
    """Add chained matches to ``edges`` (``{(row_a, row_b): (confidence, how)}``, changed in place).

    A region the votes left unmatched takes its chained partner. With ``chain_override``, a
    region whose votes chose differently takes it too, and the disagreeing vote edges into it are
    dropped unless the other region's own chain confirms them: on the standard test clips at
    gap 7, when the two disagreed the chain was right 85 % of the time and the votes 54 %
    (both can be right when a part is split into several regions).

    Returns:
        The number of chained edges added.
    """
    cf, cb = _chain_rows(fa, fb, chain, cfg)
    added = 0
    for side, links, other in ((1, cb, cf), (0, cf, cb)):
        for r, (p, c) in links.items():
            key = (p, r) if side == 1 else (r, p)
            if key in edges:
                continue
            rivals = [k for k in edges if k[side] == r]
            if rivals and not cfg.chain_override:
                continue
            for k in rivals:
                q = k[1 - side]  # the rival's region on the other side: keep it if its chain says the same
                if edges[k][1] != "chain" and other.get(q, (-1,))[0] != r:
                    del edges[k]
            edges[key] = (float(cfg.chain_confidence * c), "chain")
            added += 1
    return added


def label_prepared(fa: PreparedFrame, fb: PreparedFrame, cfg: LabelConfig | None = None, device: str | None = None,
                   points: dict | tuple | None = None, chain: Chain | None = None) -> PairLabels:
    """Match the regions of two prepared frames.

    Vote sources are used in order (LightGlue, then SIFT): a region takes the first source whose
    votes for it are reliable, so SIFT only decides where LightGlue found too little (a limb that
    swung far), and its noisier matches never override LightGlue's.

    Args:
        fa, fb: the frames (same size).
        cfg: settings; defaults when None.
        device: resolved torch device (``cfg.device`` resolved when None).
        points: optional point matches to vote with instead of running the extractors (tests,
            matches from another tool): ``(pts_a, pts_b)`` ``(M, 2)`` arrays, or
            ``{source: (pts_a, pts_b)}`` in priority order.
        chain: matches carried through the frames in between (:mod:`dataprep.label.chain`);
            they label regions the votes left open, before the coarse matcher guesses.

    Returns:
        The :class:`PairLabels`.
    """
    cfg = cfg or LabelConfig()
    if fa.shape != fb.shape:
        raise LinecorrError(f"frames of a pair must have the same size: {fa.name or 'A'} is "
                            f"{fa.shape[1]}x{fa.shape[0]}, this one is {fb.shape[1]}x{fb.shape[0]}", fb.name or None)
    if device is None and cfg.extractor in ("aliked", "disk") and points is None:
        from dataprep.label.lightglue import resolve_device

        device = resolve_device(cfg.device)
    timings: dict = {}
    t0 = time.perf_counter()
    if points is None:
        sources = point_matches(fa, fb, cfg, device or "cpu", timings)
    else:
        sources = dict(points) if isinstance(points, dict) else {"given": points}
    sources = {k: tuple(np.asarray(p, np.float64).reshape(-1, 2) for p in v) for k, v in sources.items()}
    t = time.perf_counter()
    primary = next(iter(sources.values()), (np.zeros((0, 2)), np.zeros((0, 2))))
    al = _global_alignment(fa, fb, *primary, cfg)
    if al.source != "points" and len(sources) > 1:  # too few primary matches: try all of them together
        al = _global_alignment(fa, fb, *(np.concatenate(x) for x in zip(*sources.values())), cfg)
    ra, rb = fa.regions, fb.regions
    big_a, big_b = ra.area >= cfg.min_area, rb.area >= cfg.min_area
    edges: dict[tuple[int, int], tuple[float, str]] = {}
    fwd = np.full(len(ra), -1, np.int64)
    bwd = np.full(len(rb), -1, np.int64)
    total = np.zeros((len(ra), len(rb)), np.int64)
    vstats = {}
    for name, (pa, pb) in sources.items():
        votes = cast_votes(pa, pb, fa.seg, fb.seg, fa.rgb, fb.rgb, ra.row_of, rb.row_of, ra.lab, len(rb),
                           cfg.neighbourhood, cfg.color_tolerance, al.linear if al.source == "points" else None)
        c = votes.counts * big_a[:, None] * big_b[None, :]
        total += c
        vstats[name] = {"points": len(pa), "votes_cast": votes.cast, "votes_kept": votes.kept}
        for a, b, sh in _reliable(c, fwd >= 0, cfg):
            edges[(a, b)] = (sh, "vote")
            fwd[a] = b
        if cfg.both_directions:
            for b, a, sh in _reliable(c.T, bwd >= 0, cfg):
                if sh > edges.get((a, b), (-1.0, ""))[0]:
                    edges[(a, b)] = (sh, "vote")
                bwd[b] = a
    timings["vote_s"] = time.perf_counter() - t
    n_vote = len(edges)
    # A region matched in one direction counts as matched for the other too: a region of B
    # chosen by a region of A needs no chained or coarse guess of its own.
    fwd_any, bwd_any = fwd.copy(), bwd.copy()
    for a, b in edges:
        fwd_any[a] = b if fwd_any[a] < 0 else fwd_any[a]
        bwd_any[b] = a if bwd_any[b] < 0 else bwd_any[b]
    n_chain = 0
    if chain is not None:
        n_chain = _apply_chain(edges, fa, fb, chain, cfg)
        fwd_any[:], bwd_any[:] = -1, -1
        for a, b in edges:
            fwd_any[a] = b if fwd_any[a] < 0 else fwd_any[a]
            bwd_any[b] = a if bwd_any[b] < 0 else bwd_any[b]
    n_vote = sum(how == "vote" for _, how in edges.values())
    if cfg.coarse.enabled:
        t = time.perf_counter()
        new_f, new_b = coarse_match(fa.side(), fb.side(), al, fwd_any, bwd_any, total, cfg.coarse, cfg.min_area)
        for a, b, c in new_f + [(a, b, c) for b, a, c in new_b]:
            if (a, b) not in edges:
                edges[(a, b)] = (float(cfg.coarse.confidence * np.exp(-c)), "coarse")
        timings["coarse_s"] = time.perf_counter() - t
    matched_a = {a for a, _ in edges}
    matched_b = {b for _, b in edges}
    matches = sorted((int(ra.ids[a]), int(rb.ids[b]), round(float(c), 4), how) for (a, b), (c, how) in edges.items())
    timings["match_total_s"] = time.perf_counter() - t0
    stats = {"sources": vstats, "inliers": al.inliers, "alignment_source": al.source, "vote_matches": n_vote,
             "chain_matches": n_chain,
             "coarse_matches": len(edges) - n_vote - n_chain, "regions_a": len(ra), "regions_b": len(rb),
             **{k: round(v, 4) for k, v in timings.items()}}
    return PairLabels(matches, [int(i) for r, i in enumerate(ra.ids) if r not in matched_a],
                      [int(i) for r, i in enumerate(rb.ids) if r not in matched_b], stats, al.matrix)


def segment_frame(rgb: np.ndarray, line: np.ndarray | None = None, params: dict | None = None) -> np.ndarray:
    """Regions of a coloured frame with the colour segmenter (``(H, W) int32``, 0 = line)."""
    from dataprep.segment.api import make_config, segment_image

    return segment_image(rgb, "color", make_config("color", params or {}), line=line)


def label_images(rgb_a: np.ndarray, rgb_b: np.ndarray, seg_a: np.ndarray | None = None,
                 seg_b: np.ndarray | None = None, cfg: LabelConfig | None = None,
                 names: tuple[str | None, str | None] = (None, None)) -> PairLabels:
    """Label a pair of coloured frames end to end (segmenting them when no regions are given).

    Args:
        rgb_a, rgb_b: ``(H, W, 3|4) uint8`` coloured frames of the same size.
        seg_a, seg_b: optional ``(H, W)`` region maps (0 = line); the colour segmenter runs when None.
        cfg: settings.
        names: file names for error messages.

    Returns:
        The :class:`PairLabels` (ids refer to ``seg_a`` / ``seg_b`` or to the segmenter's maps,
        returned in ``stats["seg_a"]`` / ``stats["seg_b"]`` when segmented here).
    """
    cfg = cfg or LabelConfig()
    a = check_color_frame(rgb_a, names[0])
    b = check_color_frame(rgb_b, names[1])
    if a.shape != b.shape:
        raise LinecorrError(f"frames of a pair must have the same size: {names[0] or 'A'} is {a.shape[1]}x{a.shape[0]}, "
                            f"this one is {b.shape[1]}x{b.shape[0]}", names[1])
    t = time.perf_counter()
    made = seg_a is None or seg_b is None
    seg_a = segment_frame(a, params=cfg.segment_params) if seg_a is None else seg_a
    seg_b = segment_frame(b, params=cfg.segment_params) if seg_b is None else seg_b
    t_seg = time.perf_counter() - t
    fa = prepare_frame(a, seg_a, names[0], checked=True)
    fb = prepare_frame(b, seg_b, names[1], checked=True)
    out = label_prepared(fa, fb, cfg)
    out.stats["segment_s"] = round(t_seg, 4)
    if made:
        out.stats["seg_a"], out.stats["seg_b"] = fa.seg, fb.seg
    return out
