"""Entry points for the CLI and process pools: config building, dispatch, pickling."""

import functools
import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from dataprep.errors import LinecorrError
from dataprep.segment import (
    METHODS,
    ColorSegmentConfig,
    LineExtractConfig,
    TrappedBallConfig,
    lines_from_color,
    make_config,
    segment_closed_lines,
    segment_image,
    segment_trapped_ball,
)
from dataprep.synthetic.line_art import make_colored_frame, make_line_art


def test_make_config_coerces_cli_strings():
    cfg = make_config("trapped_ball", {"ball_radius": "2.5", "keep_lines": "false", "min_area": "3"})
    assert cfg == TrappedBallConfig(ball_radius=2.5, keep_lines=False, min_area=3)
    col = make_config("color", {"n_colors": "none", "max_colors": 12})
    assert col.n_colors is None and col.max_colors == 12
    assert make_config("color", {"n_colors": "5"}).n_colors == 5
    assert isinstance(make_config("color", {"line_width": 2}, extract=True), LineExtractConfig)


@pytest.mark.parametrize(
    "method, overrides",
    [
        ("nope", {}),
        ("trapped_ball", {"radius": 3}),
        ("trapped_ball", {"min_area": "x"}),
        ("closed", {"keep_lines": "maybe"}),
    ],
)
def test_make_config_rejects_bad_input(method, overrides):
    with pytest.raises(LinecorrError) as err:
        make_config(method, overrides)
    assert "\n" not in str(err.value)


def test_segment_image_dispatch():
    la = make_line_art((96, 96), 6, n_gaps=4, seed=1)
    np.testing.assert_array_equal(segment_image(la.image), segment_trapped_ball(la.image))
    np.testing.assert_array_equal(segment_image(la.image, "closed"), segment_closed_lines(la.image))
    np.testing.assert_array_equal(
        segment_image(la.image, "trapped_ball", {"ball_radius": 2}),
        segment_trapped_ball(la.image, TrappedBallConfig(ball_radius=2)),
    )
    fr = make_colored_frame((96, 96), 6, 5, seed=1)
    assert segment_image(fr.image, "color").max() > 1
    with pytest.raises(LinecorrError):
        segment_image(la.image, "closed", ColorSegmentConfig())
    with pytest.raises(LinecorrError):
        segment_image(la.image, "closed", line=la.image)


def test_lines_from_color():
    fr = make_colored_frame((96, 96), 6, 5, seed=2)
    lines = lines_from_color(fr.image, {"line_width": "2"})
    assert lines.shape == (96, 96) and lines.dtype == np.uint8


def test_configs_and_functions_pickle_for_process_pools():
    for cls, fn in METHODS.values():
        assert pickle.loads(pickle.dumps(cls())) == cls()
        assert pickle.loads(pickle.dumps(fn)) is fn
    job = functools.partial(segment_image, method="trapped_ball", config=TrappedBallConfig(ball_radius=2))
    images = [make_line_art((64, 64), 4, seed=s).image for s in range(2)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(job, images))
    for img, res in zip(images, results):
        np.testing.assert_array_equal(res, job(img))
