"""Line styles: each style's invariants on a generated character (exact ids kept, purity, closure, openness)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dataprep.format.regions import match_regions, part_regions, region_matches, region_parts
from dataprep.linestyle import STYLES, LineStyleConfig, clip_pen, draw_frame, drawing_segments
from dataprep.linestyle.stats import stroke_stats
from dataprep.linestyle.trace import boundary_runs

# part id -> color label: arms share a paint; the leg has the body's paint (a same-paint boundary).
PAINT = {1: 0, 2: 1, 3: 2, 4: 2, 5: 3, 6: 0}
PALETTE = np.array([(200, 60, 60), (240, 200, 170), (60, 120, 200), (30, 30, 30)], np.uint8)


def character(size: int = 320, shift: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ids, tone, render)``: a body, a head with an eye (a hole), two arms of one paint, a leg of the body's paint."""
    s = size / 320
    ids = np.zeros((size, size), np.int32)
    c = lambda x, y: (int((x + shift) * s), int(y * s))
    cv2.ellipse(ids, c(160, 200), (int(60 * s), int(80 * s)), 0, 0, 360, 1, -1)
    cv2.ellipse(ids, c(160, 260), (int(25 * s), int(55 * s)), 0, 0, 360, 6, -1)
    cv2.ellipse(ids, c(160, 200), (int(60 * s), int(70 * s)), 0, 0, 360, 1, -1)
    cv2.circle(ids, c(160, 95), int(45 * s), 2, -1)
    cv2.circle(ids, c(175, 90), int(10 * s), 5, -1)
    cv2.ellipse(ids, c(95, 190), (int(18 * s), int(60 * s)), 20, 0, 360, 3, -1)
    cv2.ellipse(ids, c(225, 190), (int(18 * s), int(60 * s)), -20, 0, 360, 4, -1)
    tone = np.ones_like(ids, dtype=np.uint8)
    yy, xx = np.mgrid[:size, :size]
    tone[(ids == 1) & (xx > (175 + shift) * s)] = 0  # a shadow on the body
    tone[(ids == 2) & (yy < 75 * s)] = 2  # a highlight on the head
    render = np.full((size, size, 3), 255, np.uint8)
    for p, slot in PAINT.items():
        for t, f in ((0, 0.6), (1, 1.0), (2, 1.25)):
            m = (ids == p) & (tone == t)
            render[m] = np.clip(PALETTE[slot] * f, 0, 255).astype(np.uint8)
    return ids, tone, render


def draw(style: str, seed: int = 0, size: int = 320, tone: bool = True, cfg: LineStyleConfig | None = None):
    ids, t, render = character(size)
    cfg = cfg or LineStyleConfig()
    pen = clip_pen(cfg, np.random.default_rng(7))
    d = draw_frame(style, ids, render, t if tone else None, PAINT, cfg, pen, np.random.default_rng(seed))
    return ids, d, drawing_segments(d, cfg)


def purity(seg: np.ndarray, ids: np.ndarray) -> dict[int, tuple[int, float]]:
    """segment -> (majority part, share of its pixels in it)."""
    out = {}
    for s in np.unique(seg[seg > 0]):
        v, c = np.unique(ids[seg == s], return_counts=True)
        out[int(s)] = (int(v[np.argmax(c)]), float(c.max() / c.sum()))
    return out


@pytest.mark.parametrize("style", STYLES)
def test_every_style_draws_from_the_ids_without_changing_them(style):
    ids, d, seg = draw(style)
    ids0, _, _ = character()
    assert np.array_equal(ids, ids0)
    assert d.line.dtype == np.uint8 and d.line.shape[:2] == ids.shape
    assert d.ink.dtype == np.float32 and 0 <= d.ink.min() and d.ink.max() <= 1 and d.ink.max() > 0.9
    assert seg.shape == ids.shape and seg.max() >= 2
    # The color frame keeps the paint away from the lines.
    assert (d.color[(ids == 2) & (d.ink == 0)] != 255).any()


@pytest.mark.parametrize("style", STYLES)
def test_same_seed_same_bytes_other_seed_other_strokes(style):
    a = draw(style, seed=3)[1].line
    b = draw(style, seed=3)[1].line
    assert a.tobytes() == b.tobytes()
    if style in ("rough",):
        assert draw(style, seed=4)[1].line.tobytes() != a.tobytes()


def test_clean_lines_enclose_every_part():
    ids, d, seg = draw("clean", tone=False)
    pur = purity(seg, ids)
    assert all(p == 1.0 for _, p in pur.values())  # no segment crosses a part boundary
    labelled = {part for part, _ in pur.values()}
    assert labelled >= {0, 1, 2, 3, 4, 5, 6}  # every part (and the paper) is a segment of its own
    # Hard-edged by default; widths vary by kind: the silhouette is heavier than interior lines.
    assert set(np.unique(d.line)) <= {0, 255}
    stats = stroke_stats(d.ink, ids)
    assert stats["aa_share"] == 0.0 and stats["boundary_drawn"] == 1.0 and stats["open_ends_per_kpx"] <= 4
    sil = cv2.dilate((ids == 0).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & (d.ink > 0)
    inner = (ids > 0) & ~cv2.dilate((ids == 0).astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool) & (d.ink > 0)
    dist = cv2.distanceTransform((d.ink == 0).view(np.uint8), cv2.DIST_L2, 3)
    assert sil.sum() / max(1, inner.sum()) > 0.8 and dist.max() > 0


def test_clean_antialiased_keeps_a_closed_core():
    cfg = LineStyleConfig()
    cfg.clean.antialias = True
    ids, d, seg = draw("clean", tone=False, cfg=cfg)
    assert ((d.line > 0) & (d.line < 255)).any()  # soft edges
    assert all(p == 1.0 for _, p in purity(seg, ids).values())


def test_clean_tone_lines_are_pbc_red_and_blue_and_fold_into_regions():
    ids, d, seg = draw("clean", tone=True)
    assert d.line.ndim == 3
    px = {tuple(v) for v in d.line.reshape(-1, 3)[d.shading.ravel()]}
    assert (255, 0, 0) in px and (0, 0, 255) in px
    assert d.shading.any() and (seg[d.shading] > 0).all()  # folded into a neighbouring segment
    black = (d.line == 0).all(axis=2)
    assert (seg[black] == 0).all()
    # The cel keeps the black lines only: the painter fills over colored lines.
    assert (d.color[d.shading] != 0).any(axis=1).all()
    # A shadowed body is two segments, both labelled with the body.
    assert sum(1 for part, _ in purity(seg, ids).values() if part == 1) >= 2


def test_rough_leaves_regions_open_and_ends_like_a_sketch():
    ids, d, seg = draw("rough", size=640)
    stats = stroke_stats(d.ink, ids)
    clean = stroke_stats(draw("clean", size=640, tone=False)[1].ink, ids)
    assert stats["aa_share"] > 0.5  # soft pencil
    assert stats["boundary_drawn"] < 0.95  # omitted boundaries and gaps
    assert stats["open_ends_per_kpx"] > 8 and stats["open_ends_per_kpx"] > 3 * clean["open_ends_per_kpx"]
    pur = purity(seg, ids)
    # The leg has the body's paint: their boundary is never drawn, so one segment holds both.
    assert any(((ids == 1) & (seg == s)).sum() > 100 and ((ids == 6) & (seg == s)).sum() > 100 for s in pur)
    assert min(p for _, p in pur.values()) < 0.95  # a region no stroke encloses


def test_extracted_follows_the_paint_not_the_parts():
    ids, _, seg = draw("extracted")
    pur = purity(seg, ids)
    # Same paint as the body: no line between them, one segment holds both.
    assert any(((ids == 1) & (seg == s)).sum() > 100 and ((ids == 6) & (seg == s)).sum() > 100 for s in pur)
    assert sum(1 for part, _ in pur.values() if part == 1) >= 2  # the shadow band is a region of its own


def test_boundary_runs_trace_each_boundary_once():
    ids, _, _ = character()
    runs = boundary_runs(ids)
    pairs = {(r.own, r.other) for r in runs}
    assert (2, 5) in pairs and (5, 2) not in pairs  # head/eye traced from the lower id only
    assert all(r.other == 0 or r.own < r.other for r in runs)
    drawn = np.zeros(ids.shape, bool)
    for r in runs:
        drawn[r.points[:, 1].astype(int), r.points[:, 0].astype(int)] = True
    exact = np.zeros(ids.shape, bool)
    exact[:, :-1] |= ids[:, :-1] != ids[:, 1:]
    near = cv2.dilate(drawn.view(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert (near & exact).sum() / exact.sum() > 0.97


def test_part_regions_pieces_and_matches():
    parts = np.array([[1, 1, -1, 2],
                      [-1, -1, -1, 2],
                      [1, 1, -1, -1]])
    reg = part_regions(parts)
    assert reg.tolist() == [[1, 1, 2, 3], [2, 2, 2, 3], [4, 4, 2, 2]]  # raster order; part 1 in two pieces
    assert region_parts(reg, parts).tolist() == [-1, 1, -1, 2, 1]
    other = np.array([[2, 2, 1, 1]] * 3)
    assert region_matches(parts, other) == [(1, 2), (3, 1), (4, 2)]
    assert match_regions(region_parts(reg, parts), np.array([-1, 2, 1])) == [(1, 2), (3, 1), (4, 2)]
