"""Ink decision for every kind of line image: PNG modes, grey paper, scans."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import adjusted_rand_score

from dataprep.errors import LinecorrError
from dataprep.segment import InkConfig, TrappedBallConfig, ink_masks, segment_closed_lines, segment_trapped_ball
from dataprep.segment.ink import estimate_levels
from dataprep.synthetic.line_art import make_line_art


@pytest.fixture(scope="module")
def art():
    """Anti-aliased gray line art, 128 px, and its trapped-ball segmentation."""
    la = make_line_art((128, 128), 8, antialias=True, seed=0)
    return la, segment_trapped_ball(la.image)


def scan(gray: np.ndarray, paper: float = 150.0, ink: float = 35.0, noise: float = 5.0, vignette: float = 0.3,
         seed: int = 0) -> np.ndarray:
    """A pencil-on-grey-paper scan of a clean gray line image: paper level, ink level, noise, dark corners."""
    h, w = gray.shape
    yy, xx = np.mgrid[:h, :w]
    r2 = ((yy - h / 2) / h) ** 2 + ((xx - w / 2) / w) ** 2  # 0 in the centre, 0.5 in the corners
    p = paper * (1 - 2 * vignette * r2)
    img = ink + (p - ink) * (gray / 255.0) + np.random.default_rng(seed).normal(0, noise, gray.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def _same_partition(a: np.ndarray, b: np.ndarray, min_ari: float = 0.99) -> bool:
    m = (a > 0) & (b > 0)
    return a.max() == b.max() and adjusted_rand_score(a[m], b[m]) >= min_ari


def test_clean_white_paper_levels_are_exact(art):
    la, _ = art
    assert estimate_levels(la.image) == (255.0, 0.0, 0.0)  # so ink is exactly darkness < ink_threshold
    fixed = ink_masks(la.image, InkConfig(levels="fixed")).ink
    np.testing.assert_array_equal(ink_masks(la.image).ink, fixed)
    np.testing.assert_array_equal(fixed, la.image < 200)


def test_opaque_rgba_is_read_by_its_colors(art):
    # before: every pixel had alpha >= 127, so every pixel was ink and there was no segment
    la, seg = art
    g = la.image
    rgba = np.dstack([g, g, g, np.full_like(g, 255)])
    np.testing.assert_array_equal(segment_trapped_ball(rgba), seg)
    assert segment_trapped_ball(rgba).max() >= 8


def test_transparent_background_keeps_pbcs_alpha_rule():
    la = make_line_art((96, 96), 8, n_shading=3, mode="rgba", seed=2)
    alpha = la.image[..., 3]
    np.testing.assert_array_equal(ink_masks(la.image).ink, alpha >= 127)
    np.testing.assert_array_equal(segment_closed_lines(la.image), segment_closed_lines(la.image, None))
    # the same lines with (255, 255, 255, 0) paper instead of (0, 0, 0, 0): the same ink
    white = la.image.copy()
    white[alpha == 0] = (255, 255, 255, 0)
    np.testing.assert_array_equal(ink_masks(white).ink, alpha >= 127)
    # a white opaque fill on a transparent background is paper, not ink
    filled = la.image.copy()
    filled[20:40, 20:40] = np.where(filled[20:40, 20:40, 3:] >= 127, filled[20:40, 20:40], 255)
    assert not ink_masks(filled).ink[20:40, 20:40][filled[20:40, 20:40, 0] == 255].any()


def test_gray_alpha_la_images(art):
    la, _ = art
    g = la.image
    lines_on_transparent = np.dstack([np.zeros_like(g), 255 - g])  # LA: black, coverage in alpha
    np.testing.assert_array_equal(ink_masks(lines_on_transparent).ink, (255 - g) >= 127)
    opaque = np.dstack([g, np.full_like(g, 255)])
    np.testing.assert_array_equal(ink_masks(opaque).ink, ink_masks(g).ink)


def test_16_bit_is_the_same_as_8_bit(art):
    la, seg = art
    g16 = la.image.astype(np.uint16) * 257
    np.testing.assert_array_equal(segment_trapped_ball(g16), seg)


def test_colored_shading_lines_on_opaque_rgba():
    la = make_line_art((96, 96), 8, n_shading=3, mode="rgb", seed=3)
    rgba = np.dstack([la.image, np.full(la.image.shape[:2], 255, np.uint8)])
    m = ink_masks(rgba)
    colored = (la.image.max(2) - la.image.min(2)) > 100
    assert colored.any() and np.array_equal(m.shading, colored) and np.array_equal(m.ink, la.ink)
    np.testing.assert_array_equal(segment_trapped_ball(rgba), segment_trapped_ball(la.image))


@pytest.mark.parametrize("paper, ink", [(130, 40), (150, 35), (180, 80)])
def test_grey_paper_with_noise_and_vignetting(art, paper, ink):
    # before: the default threshold 200 took every pixel of grey paper for ink: no segment
    la, seg = art
    img = scan(la.image, paper, ink)
    assert segment_trapped_ball(img, TrappedBallConfig(levels="fixed")).max() == 0  # the override keeps the old rule
    lv = estimate_levels(img)
    assert abs(float(np.median(lv.paper)) - paper * 0.85) < 0.1 * paper and lv.noise == pytest.approx(5, abs=2.5)
    got = segment_trapped_ball(img)
    assert _same_partition(got, seg, 0.97), (got.max(), seg.max())


def test_jpeg_scan_of_grey_paper(art):
    la, seg = art
    buf = io.BytesIO()
    Image.fromarray(scan(la.image, 160, 30, noise=3)).save(buf, "JPEG", quality=90)
    img = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
    assert _same_partition(segment_trapped_ball(img), seg, 0.97)


def test_dark_fills_and_screen_tones_do_not_move_the_paper(art):
    la, _ = art
    img = la.image.copy()
    img[:64, :64] = np.minimum(img[:64, :64], 30)  # black hair over a quarter of the frame
    img[64:, 64:] = np.minimum(img[64:, 64:], 180)  # a light screen tone over another quarter
    assert estimate_levels(img).paper == 255.0
    np.testing.assert_array_equal(ink_masks(img).ink, img < 200)


def test_blank_and_black_frames():
    assert segment_trapped_ball(np.full((32, 32), 150, np.uint8)).max() == 1  # blank grey paper: one segment
    assert segment_trapped_ball(np.zeros((32, 32), np.uint8)).max() == 0  # all ink
    assert segment_trapped_ball(np.dstack([np.zeros((32, 32, 3), np.uint8), np.zeros((32, 32), np.uint8)])).max() == 1


def test_bad_levels_mode_is_one_line():
    with pytest.raises(LinecorrError, match="levels must be one of auto, fixed"):
        ink_masks(np.zeros((4, 4), np.uint8), InkConfig(levels="otsu"))
