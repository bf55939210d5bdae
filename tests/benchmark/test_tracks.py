"""Tracks: what the harness lets a method see (benchmark.inputs)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmark.inputs import visible_frame
from benchmark.leaderboard import build_leaderboard
from benchmark.predict import predict_split
from benchmark.predictions import load_predictions
from benchmark.score import save_result, score
from dataprep.errors import LinecorrError
from dataprep.format import Dataset


@pytest.fixture(scope="module")
def ds(toy_dataset):
    return Dataset.open(toy_dataset)


def test_line_track_hides_color_and_labels(ds):
    clip = ds.clip_ids[0]
    f = ds.load_frame(clip, ds.clip(clip).frames[0])
    assert f.color is not None and f.labels is not None and (f.segments.label >= 0).any()
    v = visible_frame(f, "line")
    assert v.color is None and v.alpha is None and v.labels is None and v.segments.color is None
    assert (v.segments.label == -1).all() and (v.segments.color_label == -1).all()
    np.testing.assert_array_equal(v.seg, f.seg)
    np.testing.assert_array_equal(v.segments.area, f.segments.area)
    # the original frame is untouched (the loader's cache may hand it to the scorer)
    assert f.color is not None and (f.segments.label >= 0).any()


def test_color_track_keeps_color_but_not_labels(ds):
    clip = ds.clip_ids[0]
    f = ds.load_frame(clip, ds.clip(clip).frames[0])
    v = visible_frame(f, "color")
    assert v.color is not None and v.segments.color is not None
    assert v.labels is None and (v.segments.label == -1).all()


def test_unknown_track_is_rejected(ds):
    clip = ds.clip_ids[0]
    with pytest.raises(LinecorrError, match="unknown track 'x'"):
        visible_frame(ds.load_frame(clip, ds.clip(clip).frames[0]), "x")


class _Spy:
    """Records what it was shown; matches nothing."""

    name = "spy"

    def __init__(self):
        self.seen = []

    def match(self, fa, fb):
        self.seen.append((fa.color is None, fb.color is None, fa.labels is None, fb.labels is None))
        return np.zeros((len(fb.segments), len(fa.segments)))


@pytest.mark.parametrize("track,no_color", [("line", True), ("color", False)])
def test_predict_split_enforces_the_track(ds, tmp_path, track, no_color):
    spy = _Spy()
    pred = predict_split(spy, ds, "test", track=track)
    assert spy.seen and all(s == (no_color, no_color, True, True) for s in spy.seen)
    back = load_predictions(pred.save(tmp_path / "p.json"))
    assert back.track == track
    r = score(back, ds, "test")
    assert r["benchmark"]["track"] == track


def test_results_of_different_tracks_get_separate_tables(ds, tmp_path):
    paths = []
    for track in ("line", "color"):
        r = score(predict_split(_Spy(), ds, "test", track=track), ds, "test")
        paths.append(save_result(r, tmp_path / f"r_{track}.json"))
    md, _ = build_leaderboard(paths, tmp_path / "lb")
    text = md.read_text()
    assert "track `line`" in text and "track `color`" in text


def test_bad_track_in_a_submission_is_named(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"format": "linecorr-predictions", "version": "1.0", "method": {"name": "m"},
                             "split": "test", "track": "colour", "pairs": {}}))
    with pytest.raises(LinecorrError, match="'track' must be one of"):
        load_predictions(p)
