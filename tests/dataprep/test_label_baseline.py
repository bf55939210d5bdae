"""The labeller as a benchmark baseline (``lightglue-vote``): interface, registry, sanity."""

from __future__ import annotations

import numpy as np

from benchmark.baselines import BASELINES, get_baseline
from benchmark.inputs import visible_frame


def test_registered_and_scores_rows_of_target_segments(toy_dataset):
    from dataprep.format import Dataset

    assert "lightglue-vote" in BASELINES
    m = get_baseline("lightglue-vote")
    assert m.name == "lightglue-vote"
    ds = Dataset.open(toy_dataset)
    clip = ds.clip_ids[0]
    right = total = 0
    for track in ("color", "line"):
        fa, fb = (visible_frame(ds.load_frame(clip, f), track) for f in ("0000", "0001"))
        s = m.match(fa, fb)
        assert s.shape == (len(fb.segments), len(fa.segments))
        assert s.min() >= 0 and s.max() <= 1
        if track == "color":  # judge against the labels the matcher did not see
            ga, gb = ds.load_frame(clip, "0000").segments.label, ds.load_frame(clip, "0001").segments.label
            rows = np.flatnonzero((s.max(axis=1) > 0) & (gb >= 0))
            right = int((ga[s[rows].argmax(axis=1)] == gb[rows]).sum())
            total = rows.size
    assert total > 10 and right / total > 0.8
