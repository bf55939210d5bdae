"""Closed-line mode: exactly the 4-connected components of non-line pixels, numbered like PBC."""

import numpy as np
import pytest
from skimage.measure import label

from dataprep.errors import LinecorrError
from dataprep.segment import ClosedLineConfig, connected_segments, segment_closed_lines
from dataprep.synthetic.line_art import make_line_art


@pytest.mark.parametrize("seed", range(8))
def test_matches_skimage_label_on_random_images(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 70, 2))
    ink = rng.random(shape) < rng.uniform(0.2, 0.6)
    img = np.where(ink, 0, 255).astype(np.uint8)
    expected = label(~ink, connectivity=1)
    got = segment_closed_lines(img)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(connected_segments(ink), expected)


def test_matches_pbc_rule_on_rgba_with_coloured_lines():
    la = make_line_art((160, 160), 10, n_shading=3, mode="rgba", seed=3)
    rgba = la.image.copy()
    rgba[..., 3][(rgba[..., 3] > 0) & (np.arange(160)[None, :] % 7 == 0)] = 100  # faint: paper in PBC
    expected = label(rgba[..., 3] < 127, connectivity=1)  # PBC: LineArt.label_img
    np.testing.assert_array_equal(segment_closed_lines(rgba), expected)


def test_reproduces_ground_truth_of_rendered_line_art():
    for mode in ("gray", "rgb"):
        la = make_line_art((200, 200), 12, thickness=2, mode=mode, seed=1)
        np.testing.assert_array_equal(segment_closed_lines(la.image), la.gt)


def test_folding_shading_lines_gives_pbc_style_partition():
    la = make_line_art((160, 160), 8, n_shading=3, mode="rgb", seed=4)
    got = segment_closed_lines(la.image, ClosedLineConfig(fold_shading_lines=True))
    np.testing.assert_array_equal(got, la.gt)


def test_gray_antialiased_threshold():
    img = np.full((5, 7), 255, np.uint8)
    img[:, 3] = 180  # a light anti-aliased stroke still closes
    assert segment_closed_lines(img).max() == 2
    assert segment_closed_lines(img, ClosedLineConfig(ink_threshold=128)).max() == 1


def test_line_pixels_assigned_when_not_kept():
    la = make_line_art((96, 96), 5, seed=2)
    got = segment_closed_lines(la.image, ClosedLineConfig(keep_lines=False))
    assert (got > 0).all()
    np.testing.assert_array_equal(got[la.gt > 0], la.gt[la.gt > 0])


def test_blank_all_ink_and_empty_images():
    assert (segment_closed_lines(np.full((9, 4), 255, np.uint8)) == 1).all()
    assert (segment_closed_lines(np.zeros((9, 4, 4), np.uint8)) == 1).all()  # transparent RGBA: paper
    assert segment_closed_lines(np.zeros((9, 4), np.uint8)).max() == 0
    with pytest.raises(LinecorrError):
        segment_closed_lines(np.zeros((0, 0), np.uint8))
