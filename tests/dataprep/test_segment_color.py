"""Colour-clustering segmentation of coloured frames: lines, anti-aliasing, JPEG, palette, edge cases."""

import numpy as np
import pytest

from dataprep.errors import LinecorrError
from dataprep.segment import ColorSegmentConfig, partition_scores, segment_colored
from dataprep.segment.color_cluster import colour_index, line_mask, rgb_to_lab
from dataprep.synthetic.line_art import make_colored_frame, make_line_art

FULL = ColorSegmentConfig(keep_lines=False)


def palette_of_frame(image, config=None):
    config = config or ColorSegmentConfig()
    lines = line_mask(image, None, config)
    palette, index, _ = colour_index(image, lines, config)
    return palette, index


def mean_scores(frames, config=FULL):
    scores = [partition_scores(segment_colored(f.image, config), f.gt, min_area=64) for f in frames]
    return {k: float(np.mean([s[k] for s in scores])) for k in ("ari", "miou_g2p", "miou_p2g")}


def test_clean_frame_with_lines_is_recovered_exactly_up_to_specks():
    fr = make_colored_frame((256, 256), 16, 10, seed=1)
    labels = segment_colored(fr.image)
    s = partition_scores(labels, fr.gt, min_area=16)
    assert s["ari"] > 0.999 and s["miou_g2p"] > 0.99 and s["miou_p2g"] > 0.97
    lines = fr.image.max(axis=2) == 0
    assert (labels[lines] == 0).mean() > 0.95  # drawn lines are the line class


@pytest.mark.parametrize("antialias, jpeg", [(True, None), (False, 75), (True, 85)])
def test_antialiasing_and_jpeg_noise(antialias, jpeg):
    frames = [make_colored_frame((256, 256), 16, 10, antialias=antialias, jpeg_quality=jpeg, seed=s) for s in range(3)]
    s = mean_scores(frames)
    assert s["ari"] > 0.93 and s["miou_g2p"] > 0.93


@pytest.mark.parametrize("antialias, jpeg", [(False, None), (True, None), (False, 80)])
def test_frames_without_drawn_lines(antialias, jpeg):
    frames = [
        make_colored_frame((256, 256), 16, 10, lines=False, antialias=antialias, jpeg_quality=jpeg, seed=s)
        for s in range(3)
    ]
    s = mean_scores(frames)
    assert s["ari"] > 0.93 and s["miou_g2p"] > 0.9


def test_automatic_palette_size_matches_colours_used():
    clean = make_colored_frame((256, 256), 16, 6, seed=2)
    noisy = make_colored_frame((256, 256), 16, 6, antialias=True, jpeg_quality=85, seed=2)
    n_true = len(np.unique(clean.image[clean.gt > 0].reshape(-1, 3), axis=0))
    palette, _ = palette_of_frame(noisy.image)
    assert abs(len(palette) - n_true) <= 1
    # every true colour has a palette colour within the merge distance
    true_lab = rgb_to_lab(np.unique(clean.image[clean.gt > 0].reshape(-1, 3), axis=0))
    assert np.linalg.norm(true_lab[:, None] - palette[None], axis=2).min(axis=1).max() < 8


def test_palette_size_override():
    fr = make_colored_frame((128, 128), 8, 6, lines=False, seed=3)
    two = segment_colored(fr.image, ColorSegmentConfig(n_colors=2, min_area=0, keep_lines=False))
    auto = segment_colored(fr.image, ColorSegmentConfig(min_area=0, keep_lines=False))
    assert two.max() <= auto.max()
    assert partition_scores(auto, fr.gt)["ari"] > 0.99


def test_line_image_given_alongside():
    la = make_line_art((128, 128), 8, seed=4)
    rng = np.random.default_rng(0)
    colours = rng.integers(60, 255, (la.gt.max() + 1, 3)).astype(np.uint8)
    frame = colours[la.gt]
    frame[la.gt == 0] = 255  # lines not drawn in the frame: they come from the line image
    labels = segment_colored(frame, ColorSegmentConfig(min_area=0, enclosed_min_area=0), line=la.image)
    np.testing.assert_array_equal(labels > 0, la.gt > 0)
    assert partition_scores(labels, la.gt)["ari"] > 0.999


def test_dark_region_is_not_a_line():
    img = np.full((64, 64, 3), 230, np.uint8)
    img[16:48, 16:48] = (25, 20, 30)  # black hair: dark but wide
    labels = segment_colored(img)
    assert labels.max() == 2 and (labels > 0).mean() > 0.995  # at most the square's corners


def test_thin_dark_stroke_is_a_line_and_assigned_when_asked():
    img = np.full((64, 64, 3), 230, np.uint8)
    img[:, 31:33] = 0
    kept = segment_colored(img)
    assert kept.max() == 2 and (kept[:, 31:33] == 0).all()
    full = segment_colored(img, FULL)
    assert full.max() == 2 and (full > 0).all()


def test_one_colour_and_rgba_input():
    assert (segment_colored(np.full((20, 30, 3), 120, np.uint8)) == 1).all()
    rgba = np.zeros((20, 30, 4), np.uint8)  # fully transparent: white paper
    assert (segment_colored(rgba) == 1).all()


@pytest.mark.parametrize(
    "bad", [np.zeros((0, 4, 3), np.uint8), np.zeros((4, 4), np.uint8), np.zeros((4, 4, 3), np.int32)]
)
def test_bad_input_raises(bad):
    with pytest.raises(LinecorrError):
        segment_colored(bad)


def test_line_image_shape_mismatch_raises():
    with pytest.raises(LinecorrError):
        segment_colored(np.zeros((8, 8, 3), np.uint8), line=np.zeros((9, 8), np.uint8))
