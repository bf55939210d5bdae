"""The "real-looking" test data: warped, blurred, noisy JPEG frames with their GT warped alike."""

from __future__ import annotations

import numpy as np

from dataprep.format import Dataset
from dataprep.format.validate import validate_dataset
from dataprep.label.degrade import DegradeConfig, degrade_dataset


def test_degraded_copy_keeps_exact_ground_truth(toy_dataset, tmp_path):
    src = Dataset.open(toy_dataset)
    clip = src.clip_ids[0]
    out = degrade_dataset(toy_dataset, tmp_path / "deg", DegradeConfig(warp_px=4.0), clips=[clip])
    assert validate_dataset(out) == []
    ds = Dataset.open(out)
    assert ds.clip_ids == [clip] and ds.manifest.parent["name"] == src.manifest.name
    a, b = src.load_frame(clip, "0000"), ds.load_frame(clip, "0000")
    assert b.color.shape == a.color.shape and not np.array_equal(b.color, a.color)
    assert set(np.unique(b.labels)) <= set(np.unique(a.labels))  # warped by nearest neighbour: no new ids
    moved = np.mean(b.labels != a.labels)
    assert 0 < moved < 0.2  # a few px of warp: boundaries move, parts stay
