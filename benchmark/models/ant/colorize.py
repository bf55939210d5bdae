"""Colorization, AnT's user-facing application (paper Fig. 8): colors flow from one colored
reference frame through a sequence of line images, each prediction seeding the next.

Per frame: segment the line image (``segment_lines``: ``dataprep.segment``'s trapped-ball fill by
default, or its 4-connected components), match its segments to the previous
frame's with a matcher (``match(prev, cur) -> (N_cur, N_prev)`` scores) and, from the second
frame on, to the colored reference's (``ColorizeConfig.reference_weight``), give each segment the
color its matches vote for (eq. 3 summed over both, ``vote_labels``), and flat-fill it. Segments matched to
nothing stay paper white. Black lines are drawn over the fill (multiplied), so anti-aliasing
survives; colored shading lines are painted as the region they fold into, as in the colored frames.

The reference's segments must be found the way the targets' are, or its colors land on the wrong
regions. With its line image (``--reference-line``) they are; without it, the line image is
recovered from the colored frame (:func:`reference_line`: the dark lines divided by the fill under
them, and every boundary between two fills that no line covers drawn as a shading line) and
segmented by the same segmenter. A region so thin that all its pixels are darkened by its lines'
anti-aliasing takes the frame's fill of which they are shades (:func:`thin_region_fills`). A
tiny region whose color occurs nowhere else undarkened (an eye) can only be estimated: only the
line image tells how dark its lines made it. The default then refuses (a ``LinecorrError`` naming
the reference, before anything is written), since an estimate cannot promise the reference frame
back; ``estimate_fills`` (``--estimate-fills``) accepts the estimates with a warning instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.metrics.propagation import vote_with_reference
from dataprep.errors import LinecorrError
from dataprep.format import Frame, compute_segment_table

#: RGB of the shading lines drawn where two fills of the reference meet without a line (PBC's red).
SHADING_RGB = (255, 0, 0)
#: A fill whose brightest channel is below this hides its lines: its pixels are not divided by it.
_DARK_FILL = 48
#: Channels of a flat pixel's four neighbours are within this of its own (flat fills, slight noise).
_FLAT_TOL = 2
#: A pixel lies on a fill's ray when ``t * fill`` is within this of it on every channel, for the best ``t``.
_RAY_TOL = 2.0
#: Pixels whose brightest channel is below this are near black, on every fill's ray: they do not vote.
_RAY_MIN_VALUE = 64
#: A fill explains a region when this share of its voting pixels lie on its ray.
_RAY_SHARE = 0.9


@dataclass
class ColorizeConfig:
    """Settings of :func:`colorize_sequence`."""

    segmenter: str = "trapped_ball"  # line image -> segments: "trapped_ball" (closes small gaps, the paper's) or "closed"
    ink_threshold: int = 128  # line-image darkness below this (relative to paper and ink levels) is ink
    # weight of the colored reference's own votes on every frame after the first, beside the previous
    # frame's (weight 1): errors stop compounding down the chain; 0 = AnT's plain chain (half the
    # matching). 1.5 chosen on v1's val split (docs/ANT.md, "Reference votes")
    reference_weight: float = 1.5


def segment_lines(line: np.ndarray, method: str = "trapped_ball", ink_threshold: int = 128) -> np.ndarray:
    """Segments of a line image, by ``dataprep.segment`` (the one place to swap segmenters).

    Args:
        line: ``(H, W) uint8`` (0 = ink, 255 = paper) or ``(H, W, 2|3|4) uint8`` gray+alpha / RGB /
            RGBA line art (colored shading lines bound regions and fold into them).
        method: "trapped_ball" (leak-proof fill that closes small gaps in the lines; merges
            specks under 8 px) or "closed" (4-connected components of non-line pixels, exactly
            how PaintBucket-Character and the toy data are segmented).
        ink_threshold: darkness below this is ink (see ``dataprep.segment.InkConfig``).

    Returns:
        ``(H, W) int32``: 0 on ink, segments 1..N in raster order of their first pixel.
    """
    try:
        from dataprep.segment import segment_image
    except ImportError:  # the segmentation package is optional here: plain 4-connected components
        from dataprep.format.images import to_gray
        from dataprep.segment.closed_lines import connected_segments

        line = np.asarray(line)
        return connected_segments((to_gray(line) if line.ndim == 3 else line) < ink_threshold)
    return segment_image(np.asarray(line), method=method, config={"ink_threshold": ink_threshold})


def shading_mask(line: np.ndarray, cfg: ColorizeConfig | None = None) -> np.ndarray:
    """``(H, W) bool``: the colored shading-line pixels of a line image (none in a gray one)."""
    line = np.asarray(line)
    if line.ndim != 3 or line.shape[2] < 3:
        return np.zeros(line.shape[:2], bool)
    from dataprep.segment import ink_masks, make_config

    cfg = cfg or ColorizeConfig()
    return ink_masks(line, make_config(cfg.segmenter, {"ink_threshold": cfg.ink_threshold})).shading


def line_frame(line: np.ndarray, name: str = "", cfg: ColorizeConfig | None = None,
               color: np.ndarray | None = None) -> Frame:
    """A ``Frame`` (gray line, raw line, seg, segment table) from a line image of any mode, for matchers."""
    from dataprep.format.images import to_gray

    cfg = cfg or ColorizeConfig()
    raw = np.asarray(line)
    seg = segment_lines(raw, cfg.segmenter, cfg.ink_threshold)
    table = compute_segment_table(seg, color=color)
    gray = to_gray(raw) if raw.ndim == 3 else raw
    return Frame(clip="", frame=name, line=gray, line_raw=raw, color=color, alpha=None, seg=seg, segments=table,
                 labels=None)


def over_white(color: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
    """``(H, W, 3) uint8`` RGB of a colored frame composited over white paper.

    PBC's colored frames are transparent around the character, with (0, 0, 0) or anything under
    alpha 0: without compositing, that background would be a black fill.

    Args:
        color: ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA uint8.
        alpha: ``(H, W) uint8`` alpha for an RGB ``color`` (ignored for RGBA).
    """
    color = np.asarray(color)
    if color.ndim == 3 and color.shape[2] == 4:
        color, alpha = color[..., :3], color[..., 3]
    if alpha is None:
        return color
    a = alpha.astype(np.uint32)[..., None]
    return ((color.astype(np.uint32) * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def reference_line(color: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
    """The line image of a colored frame (see :func:`recover_reference`): ``(H, W, 3) uint8`` RGB."""
    return recover_reference(color, alpha)[0]


def recover_reference(color: np.ndarray,
                      alpha: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The line image of a colored frame, recovered so that it segments like the original line art.

    A colored frame is fills with the line art multiplied on top. The frame is segmented by
    color (``dataprep.segment.segment_colored``: flat regions, and its drawn dark strokes as the
    line class); each pixel's gray is what the line left of the fill under it (the nearest
    region's), in that fill's brightest channel: ``255 * C / fill``, so anti-aliased rims come
    back as drawn. A region too thin to show its fill anywhere (every pixel in a line's
    anti-aliased rim) takes the frame's fill of which its pixels are darker shades
    (:func:`thin_region_fills`). Where two regions meet with nothing darker than half the fill
    between them (a shadow, a highlight), the border is drawn as a 1-px red shading line, which the
    segmenters treat as PBC's: it bounds a region, then folds into it.

    Args:
        color: ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA uint8 colored frame (flat fills, dark lines).
        alpha: its alpha when ``color`` is RGB; transparent pixels are paper.

    Returns:
        ``(line, fill, guessed)``: ``(H, W, 3) uint8`` RGB line image (gray lines on white, red
        shading lines), ``(H, W, 3) uint8`` the flat fill under every pixel, lines removed, and
        ``(H, W) bool`` the pixels of regions whose fill is only estimated (seen nowhere without a
        line darkening it, and no other fill's shade: the line image alone can tell it).
    """
    from dataprep.segment import fill_from_neighbours, segment_colored

    rgb = over_white(color, alpha)
    regions = segment_colored(rgb)  # 0 = drawn strokes, 1..N flat regions
    if regions.max() == 0:
        return np.full(rgb.shape, 255, np.uint8), rgb, np.zeros(rgb.shape[:2], bool)
    ids = np.arange(1, int(regions.max()) + 1)
    # A line only darkens: a region's fill is among its brighter pixels (in a thin region the
    # anti-aliased rims outnumber them, so a plain majority would pick a rim shade). The 90th
    # percentile of brightness, not the maximum: a few stray brighter pixels must not decide.
    bright = rgb.max(axis=2).astype(np.int16)
    order = np.lexsort((bright.ravel(), regions.ravel()))
    starts = np.searchsorted(regions.ravel()[order], np.arange(len(ids) + 1))
    ends = np.append(starts[1:], order.size)
    pick = np.clip(starts + ((ends - starts - 1) * 9) // 10, 0, order.size - 1)
    top = bright.ravel()[order][pick]
    lut = np.full((len(ids) + 1, 3), 255, np.uint8)
    lut[ids] = segment_colors(np.where(bright >= top[regions] - 8, regions, 0), rgb, ids)
    lut, guessed = thin_region_fills(rgb, regions, lut)
    full = fill_from_neighbours(regions, regions == 0)
    fill = lut[full]
    # divide by the brightest channel of the fill: the one where a line's darkening shows best
    ch = np.argmax(fill, axis=2)[..., None]
    under = np.take_along_axis(fill, ch, 2)[..., 0].astype(np.float32)
    val = np.take_along_axis(rgb, ch, 2)[..., 0].astype(np.float32)
    gray = np.where(under >= _DARK_FILL, np.clip(np.round(255.0 * val / np.maximum(under, 1.0)), 0, 255), 255.0)
    out = np.repeat(gray.astype(np.uint8)[..., None], 3, axis=2)
    # Two regions meeting with nothing dark between them (a shadow's border; also a "stroke" the
    # color segmenter saw that is no darker than the fill beside it): the original had a shading
    # line there. Through a drawn line the change of region always crosses a dark pixel.
    light = gray >= 128
    touch = np.zeros(regions.shape, bool)
    touch[:, :-1] |= (full[:, :-1] != full[:, 1:]) & light[:, :-1] & light[:, 1:]
    touch[:-1, :] |= (full[:-1, :] != full[1:, :]) & light[:-1, :] & light[1:, :]
    out[touch] = SHADING_RGB
    return out, fill, guessed[regions]


def flat_pixels(rgb: np.ndarray, regions: np.ndarray, tol: int = _FLAT_TOL) -> np.ndarray:
    """``(H, W) bool``: pixels showing their region's fill undarkened by any line.

    A pixel is flat when its four neighbours lie in its region and have its color (within ``tol``
    per channel). A line's anti-aliased rim is darkened differently one pixel further from the
    line, so rim pixels are never flat; a region at most 2 px wide has no flat pixel at all.

    Args:
        rgb: ``(H, W, 3) uint8``.
        regions: ``(H, W) int`` region ids, 0 = line pixels.
    """
    c = rgb.astype(np.int16)
    out = np.zeros(regions.shape, bool)
    mid, cm = regions[1:-1, 1:-1], c[1:-1, 1:-1]
    ok = mid > 0
    for sl in ((slice(None, -2), slice(1, -1)), (slice(2, None), slice(1, -1)),
               (slice(1, -1), slice(None, -2)), (slice(1, -1), slice(2, None))):
        ok &= (regions[sl] == mid) & (np.abs(c[sl] - cm).max(axis=2) <= tol)
    out[1:-1, 1:-1] = ok
    return out


def thin_region_fills(rgb: np.ndarray, regions: np.ndarray, lut: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The fills of regions that show no pixel of their fill, taken from the frame's other fills.

    In a region a few pixels wide (a face between strands of hair, an eye) every pixel lies in the
    anti-aliased rim of a line, so every color there is the fill darkened, ``C = F * g / 255``
    with an unknown line gray ``g``: its brightest pixels are a rim shade, not the fill. Its pixels
    all lie on one ray through black, the ray of ``F``. The fill is taken from the regions whose
    fill is seen (a :func:`flat_pixels` pixel of the estimated color): the one whose ray holds the
    region's pixels and that is at least as bright as they are. Among several such fills (grays; a
    color and its darker shade) the one seen nearest to the region's pixels wins. A region no seen
    fill explains keeps its estimate: its fill occurs nowhere undarkened, and only the line image
    can tell how dark its lines are.

    Args:
        rgb: ``(H, W, 3) uint8`` colored frame over white.
        regions: ``(H, W) int`` region ids 1..N, 0 = line pixels.
        lut: ``(N + 1, 3) uint8`` estimated fill per region id (row 0 unused).

    Returns:
        ``(lut, guessed)``: ``(N + 1, 3) uint8`` the fills, an explained region's the seen fill
        on whose ray it lies; ``(N + 1,) bool`` the regions whose fill stayed an estimate (but
        near-black ones, where any fill looks alike).
    """
    from scipy.ndimage import distance_transform_edt

    n = len(lut) - 1
    # A fill is seen where a flat pixel has the estimated color. Only flat is not enough: JPEG
    # smooths a thin region's rim shades into flat patches of a darker color than its fill.
    flat = flat_pixels(rgb, regions)
    flat &= np.abs(rgb.astype(np.int16) - lut[regions]).max(axis=2) <= _FLAT_TOL
    seen = np.bincount(regions[flat], minlength=n + 1) > 0
    seen[0] = False
    unseen = ~seen
    unseen[0] = False
    out = lut.copy()
    cand, seen_fill = np.unique(out[seen], axis=0, return_inverse=True)  # (K, 3) fills seen; seen region -> row
    # A dark fill hides its lines: no rim shade to recognise on its ray (and every ray nears black).
    usable = cand.max(axis=1) >= _DARK_FILL
    # Only pixels bright enough to show their hue vote: near black, every ray is close to them.
    pix = unseen[regions] & (rgb.max(axis=2) >= _RAY_MIN_VALUE)
    # A region with no such pixel is near black whatever its fill: not worth a guess's warning.
    unseen &= np.bincount(regions[pix], minlength=n + 1) > 0
    if not usable.any() or not pix.any():
        return out, unseen
    reg = regions[pix]
    p = rgb[pix].astype(np.float32)  # (M, 3)
    f = cand.astype(np.float32)  # (K, 3)
    norm = np.maximum((f * f).sum(axis=1), 1.0)
    brighter = 1.0 + _RAY_TOL / np.maximum(f.max(axis=1), 1.0)  # the fill is never darker than its pixels
    hits = np.zeros((n + 1, len(cand)), np.int64)
    for a in range(0, len(p), 4096):  # (4096, K, 3) floats at a time
        pc = p[a:a + 4096]
        t = (pc @ f.T) / norm  # (m, K): the darkening that best maps each fill onto the pixel
        resid = np.abs(pc[:, None, :] - t[..., None] * f[None]).max(axis=2)
        ok = (resid <= _RAY_TOL) & (t <= brighter) & usable
        np.add.at(hits, reg[a:a + 4096], ok.astype(np.int64))
    fits = (hits >= _RAY_SHARE * np.bincount(reg, minlength=n + 1)[:, None]) & unseen[:, None]
    todo = np.flatnonzero(fits.any(axis=1))
    if not len(todo):
        return out, unseen
    # Several fitting fills: count, over the region's pixels, whose fill is seen nearest to each.
    row_of = np.full(n + 1, -1, np.int64)
    row_of[seen] = seen_fill.reshape(-1)
    iy, ix = distance_transform_edt(~flat, return_distances=False, return_indices=True)
    m = np.isin(regions, todo)
    near = row_of[regions[iy[m], ix[m]]]  # (P,) the seen fill nearest to each pixel of the regions
    votes = np.zeros((n + 1, len(cand)), np.int64)
    np.add.at(votes, (regions[m], near), 1)
    for r in todo:
        ks = np.flatnonzero(fits[r])
        out[r] = cand[ks[np.argmax(votes[r, ks])]]  # ties: the first fill, as np.argmax picks
        unseen[r] = False
    return out, unseen


def segment_colors(seg: np.ndarray, color: np.ndarray, ids: np.ndarray, line: np.ndarray | None = None) -> np.ndarray:
    """The fill color of each segment: its most frequent RGB (exact for flat fills, robust to soft edges).

    Args:
        seg: ``(H, W) int`` segment ids, 0 = line pixels (no color).
        color: ``(H, W, 3) uint8`` RGB.
        ids: the segment ids wanted.
        line: optional ``(H, W) uint8`` gray line image multiplied on the fills (0 = ink; shading
            lines 255). Each pixel then votes for its color divided by the line (``255 * C / L``,
            the fill it was drawn over), with weight ``(L / 255)^4``, pixels under the dark half
            of a line not at all: a thin segment whose pixels all lie in the anti-aliased rims of
            its lines still gets its fill, not a rim shade.

    Returns:
        ``(N, 3) uint8`` in the order of ``ids`` (white for an id with no pixel).
    """
    keep = seg > 0
    rgb = color.astype(np.float32)
    weight = np.ones(seg.shape, np.float32)
    if line is not None:
        lf = line.astype(np.float32)
        usable = keep & (lf >= 128)
        # a segment lying wholly under dark line pixels keeps its plain colors
        has = np.zeros(int(seg.max()) + 1, bool)
        has[seg[usable]] = True
        unmult = usable | (keep & ~has[seg])
        rgb = np.where(usable[..., None], np.clip(np.round(rgb * 255.0 / np.maximum(lf, 1.0)[..., None]), 0, 255), rgb)
        weight = np.where(usable, (lf / 255.0) ** 4, np.where(unmult, 1e-3, 0.0)).astype(np.float32)
        keep = unmult
    c = rgb.astype(np.int64)
    packed = (c[..., 0] << 16) | (c[..., 1] << 8) | c[..., 2]
    codes, inv = np.unique(np.stack([seg[keep].astype(np.int64), packed[keep]], 1), axis=0, return_inverse=True)
    votes = np.bincount(inv.reshape(-1), weight[keep])
    order = np.lexsort((-votes, codes[:, 0]))  # per segment, the heaviest color first
    first = np.unique(codes[order, 0], return_index=True)[1]
    mode = dict(zip(codes[order][first, 0].tolist(), codes[order][first, 1].tolist()))
    vals = np.array([mode.get(int(i), 0xFFFFFF) for i in ids], np.int64)
    return np.stack([(vals >> 16) & 255, (vals >> 8) & 255, vals & 255], 1).astype(np.uint8)


def flat_fill(seg: np.ndarray, ids: np.ndarray, colors: np.ndarray, line: np.ndarray,
              shading: np.ndarray | None = None) -> np.ndarray:
    """Flat-fill each segment with its color and multiply the line image on top: ``(H, W, 3) uint8``.

    Args:
        seg: ``(H, W) int`` segments, 0 = line pixels.
        ids: ``(N,)`` segment ids; ``colors`` ``(N, 3) uint8`` their RGB.
        line: ``(H, W) uint8`` gray line image (0 = ink).
        shading: ``(H, W) bool`` colored shading-line pixels: painted as their region, no line on top.

    Line pixels take the color of the nearest segment before the line is multiplied, as in a
    render, so an anti-aliased line's gray core is tinted like the fill it was drawn over.
    """
    from dataprep.segment.labelops import fill_from_neighbours

    lut = np.full((int(seg.max()) + 1, 3), 255, np.uint8)
    lut[ids] = colors
    under = fill_from_neighbours(seg, seg == 0) if (seg == 0).any() and seg.max() > 0 else seg
    shade = line.astype(np.float32)
    if shading is not None:
        shade[shading] = 255.0
    out = lut[under].astype(np.float32) * (shade[..., None] / 255.0)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def colorize_sequence(matcher, ref_color: np.ndarray, lines: Iterable[np.ndarray], ref_line: np.ndarray | None = None,
                      cfg: ColorizeConfig | None = None, ref_alpha: np.ndarray | None = None,
                      names: list | None = None, ref_name: str | None = None,
                      estimate_fills: bool = False) -> list[np.ndarray]:
    """Propagate the reference's colors through ``lines`` recursively: each frame takes the labels its
    segments' matches vote for in the previous frame (AnT eq. 3) and, with ``cfg.reference_weight``
    > 0, in the colored reference too (:func:`~benchmark.metrics.propagation.vote_labels`).

    Args:
        matcher: object with ``match(frame_a, frame_b) -> (N_b, N_a)`` scores (e.g. ``AntMatcher``).
        ref_color: ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA uint8 colored reference frame.
        lines: line images of the frames to colorize, in order: ``(H, W) uint8`` gray (0 = ink)
            or ``(H, W, 2|3|4) uint8`` with alpha and colored shading lines.
        ref_line: the reference's line image (any mode above); None = :func:`reference_line`.
        cfg: segmenter and threshold.
        ref_alpha: alpha of an RGB ``ref_color`` (transparent = paper).
        names: the line images' files: a line image with no segment or one gets a warning naming it.
        ref_name: the reference's file, named in the error (or, with ``estimate_fills``, the
            warning) when some of its regions' fills could only be estimated.
        estimate_fills: without ``ref_line``, accept estimated fills for the small regions whose
            color the colored frame cannot tell (see :func:`recover_reference`), with a warning;
            False = refuse such a reference.

    Returns:
        One ``(H, W, 3) uint8`` RGB flat-filled image per line image.

    Raises:
        LinecorrError: a negative ``reference_weight``; the reference yields fewer than two segments
            (pass its line image); without
            ``ref_line`` and ``estimate_fills``, some of its regions' fills can only be estimated.
            Raised before ``lines`` is read, so a caller has written nothing yet.
    """
    from dataprep.errors import warn
    from dataprep.format.images import to_gray
    from dataprep.segment.api import segment_count_problem

    cfg = cfg or ColorizeConfig()
    if not np.isfinite(cfg.reference_weight) or cfg.reference_weight < 0:
        raise LinecorrError(f"reference_weight must be a number >= 0 (0 = the plain chain), got {cfg.reference_weight}")
    ref_rgb_img = over_white(ref_color, ref_alpha)
    fill = None
    if ref_line is None:
        ref_line, fill, guessed = recover_reference(ref_color, ref_alpha)
        if guessed.any() and not estimate_fills:
            # An estimate can miss the reference frame itself (98.69 % instead of >= 99.9 % on a
            # 192-px toy): the default must reproduce it, so it asks for what tells the fills.
            raise LinecorrError(f"{int(guessed.sum())} px of small regions show their fill only darkened by lines, "
                                "so their colors cannot be told from the colored frame; pass the reference's line "
                                "image (--reference-line), or --estimate-fills to accept estimates", ref_name)
        if ref_name is not None and guessed.any():
            warn(f"{int(guessed.sum())} px of small regions show their fill only darkened by lines: their colors "
                 "are estimated (pass --reference-line for exact ones)", ref_name)
    prev = line_frame(ref_line, "reference", cfg)
    if prev.seg.shape != ref_rgb_img.shape[:2]:
        raise LinecorrError(f"reference line image is {prev.seg.shape[1]}x{prev.seg.shape[0]}, the colored "
                            f"reference {ref_rgb_img.shape[1]}x{ref_rgb_img.shape[0]}")
    if prev.seg.max() < 2:
        raise LinecorrError("no regions found in the colored reference; pass its line image (--reference-line)"
                            if fill is not None else "the reference line image has fewer than two regions")
    if fill is not None:  # the recovered fills are flat: their majority is exact
        ref_rgb = segment_colors(prev.seg, fill, prev.segments.ids)
    else:
        light = prev.line.copy()
        light[shading_mask(prev.line_raw, cfg)] = 255  # shading lines are painted as their region, not darkened
        ref_rgb = segment_colors(prev.seg, ref_rgb_img, prev.segments.ids, light)
    palette, labels = np.unique(ref_rgb, axis=0, return_inverse=True)  # label = palette index
    labels = labels.reshape(-1).astype(np.int64)
    ref, ref_labels = prev, labels
    out = []
    for k, line in enumerate(lines):
        cur = line_frame(line, f"{k:04d}", cfg)
        problem = segment_count_problem(cur.seg) if names is not None else None
        if problem:
            warn(problem, names[k])
        # for the first frame the previous frame is the reference
        labels = vote_with_reference(labels, matcher.match(prev, cur), ref_labels,
                                     (lambda cur=cur: matcher.match(ref, cur)) if k > 0 else None, cfg.reference_weight)
        rgb = np.where(labels[:, None] >= 0, palette[np.maximum(labels, 0)], 255).astype(np.uint8)
        raw = np.asarray(line)
        out.append(flat_fill(cur.seg, cur.segments.ids, rgb, to_gray(raw) if raw.ndim == 3 else raw,
                             shading_mask(raw, cfg)))
        prev = cur
    return out


def colorize_files(reference: str | os.PathLike, lines: list[str | os.PathLike], out: str | os.PathLike,
                   matcher, reference_line_path: str | os.PathLike | None = None, cfg: ColorizeConfig | None = None,
                   progress: Callable[[Iterable], Iterable] | None = None, estimate_fills: bool = False) -> list[Path]:
    """``linecorr colorize``: read the files, colorize, write one PNG per line image into ``out``.

    Line images may be any PNG mode (gray, gray+alpha, RGB with colored shading lines, RGBA,
    16-bit); a line image that yields no segment or one gets a warning naming it. Each output is
    written atomically, with the user's umask.

    Args:
        reference: the colored reference frame (RGB or RGBA).
        lines: line image files, in order.
        out: output folder; outputs keep the line images' names, as ``.png``.
        matcher: see :func:`colorize_sequence`.
        reference_line_path: the reference's line image, or None to recover it from its colors.
        cfg: settings.
        progress: optional wrapper of the per-frame loop (e.g. tqdm).
        estimate_fills: without ``reference_line_path``, accept estimated fills where the
            reference's colors cannot tell them (see :func:`colorize_sequence`).

    Returns:
        The written paths.

    Raises:
        LinecorrError: unreadable files, two line images with one name, a reference without regions,
            a reference whose fills can only be estimated (without ``estimate_fills``). Nothing is
            written then: every output is written after :func:`colorize_sequence` returns.
    """
    from dataprep.format.atomic import atomic_write_bytes
    from dataprep.format.images import encode_png, read_image_8bit

    ref = read_image_8bit(reference)
    if ref.ndim == 2:
        ref = np.repeat(ref[..., None], 3, axis=2)
    elif ref.shape[2] == 2:  # gray + alpha
        ref = np.dstack([np.repeat(ref[..., :1], 3, axis=2), ref[..., 1]])
    ref_line = read_image_8bit(reference_line_path) if reference_line_path else None
    targets = [Path(out) / (Path(p).stem + ".png") for p in lines]
    dup = {t.name for t in targets if targets.count(t) > 1}
    if dup:
        raise LinecorrError(f"two line images would both be written as {min(dup)}; rename one")
    imgs = [read_image_8bit(p) for p in lines]

    def frames() -> Iterable[np.ndarray]:
        # the progress bar starts with the first frame: a refused reference prints its error alone
        yield from progress(imgs) if progress else imgs

    try:
        colored = colorize_sequence(matcher, ref, frames(), ref_line, cfg,
                                    names=[str(p) for p in lines], ref_name=str(reference),
                                    estimate_fills=estimate_fills)
    except LinecorrError as e:
        if e.path is None:
            raise LinecorrError(str(e), reference_line_path or reference) from None
        raise
    for target, img in zip(targets, colored):
        atomic_write_bytes(target, encode_png(img))
    return targets
