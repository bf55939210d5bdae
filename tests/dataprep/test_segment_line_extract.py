"""Line extraction from coloured frames: closed 1-2 px lines that the line segmenters can use."""

import numpy as np
import pytest

from dataprep.segment import (
    ColorSegmentConfig,
    LineExtractConfig,
    TrappedBallConfig,
    extract_lines,
    partition_scores,
    segment_closed_lines,
    segment_colored,
    segment_trapped_ball,
)
from dataprep.segment.labelops import boundary_lines
from dataprep.synthetic.line_art import make_colored_frame


@pytest.mark.parametrize("width", [1, 2])
def test_lines_close_every_colour_segment(width):
    fr = make_colored_frame((192, 192), 12, 8, jpeg_quality=90, seed=1)
    cfg = LineExtractConfig(line_width=width, keep_strokes=False)
    lines = extract_lines(fr.image, cfg)
    assert lines.dtype == np.uint8 and set(np.unique(lines)) <= {0, 255}
    colour = segment_colored(fr.image, ColorSegmentConfig(keep_lines=False))
    closed = segment_closed_lines(lines)
    # every closed-line segment lies inside one colour segment (no leak across a boundary)
    paper = closed > 0
    pairs = np.unique(np.stack([closed[paper], colour[paper]]), axis=1)
    assert len(np.unique(pairs[0])) == pairs.shape[1]
    assert partition_scores(segment_closed_lines(lines, keep_lines_config()), fr.gt, 64)["ari"] > 0.95


def keep_lines_config():
    from dataprep.segment import ClosedLineConfig

    return ClosedLineConfig(keep_lines=False)


def test_line_width():
    labels = np.zeros((10, 10), np.int32)
    labels[:, 5:] = 1
    assert boundary_lines(labels).sum() == 10 and boundary_lines(labels)[:, 4].all()
    assert boundary_lines(labels, both_sides=True).sum() == 20


def test_extracted_lines_feed_the_trapped_ball():
    fr = make_colored_frame((192, 192), 12, 8, antialias=True, seed=2)
    lines = extract_lines(fr.image)
    s = partition_scores(segment_trapped_ball(lines, TrappedBallConfig(keep_lines=False)), fr.gt, 64)
    assert s["ari"] > 0.9 and s["miou_g2p"] > 0.9


def test_open_strokes_kept_as_skeleton():
    img = np.full((64, 64, 3), 200, np.uint8)
    img[30:33, 10:40] = 0  # a 3-px open stroke inside one region
    with_strokes = extract_lines(img)
    without = extract_lines(img, LineExtractConfig(keep_strokes=False))
    assert (without == 255).all()
    ink = with_strokes == 0
    assert ink[28:35, 10:40].sum() >= 25 and ink.sum() <= 35  # thinned to about 1 px
    assert segment_closed_lines(with_strokes).max() == 1  # an open stroke splits nothing
