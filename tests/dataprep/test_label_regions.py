"""Region statistics and adjacency the matcher relies on (tiny maps, known answers)."""

from __future__ import annotations

import numpy as np
import pytest

from dataprep.label.regions import adjacency, region_stats
from dataprep.segment.color_cluster import rgb_to_lab


def test_stats_of_two_regions_and_a_background():
    seg = np.ones((20, 30), np.int32)  # background 1 touches the border
    seg[5:15, 5:12] = 2
    seg[5:15, 12] = 0  # a 1-px line between 2 and 3
    seg[5:15, 13:20] = 3
    rgb = np.full((20, 30, 3), 255, np.uint8)
    rgb[seg == 2] = (200, 0, 0)
    rgb[seg == 3] = (0, 0, 200)
    r = region_stats(seg, rgb)
    assert r.ids.tolist() == [1, 2, 3] and r.area.tolist() == [600 - 150, 70, 70]
    assert r.centroid[1] == pytest.approx([8.0, 9.5])
    assert r.lab[1] == pytest.approx(rgb_to_lab(np.array([200, 0, 0])), abs=0.01)
    assert r.bbox[2].tolist() == [13, 5, 7, 10]
    assert r.background == 0
    assert r.elongation[1] > 1.3 and abs(abs(r.angle[1]) - np.pi / 2) < 1e-6  # taller than wide: axis along y
    assert r.rows(np.array([0, 3])).tolist() == [-1, 2]


def test_adjacency_across_a_thin_line_and_the_joint():
    seg = np.zeros((10, 21), np.int32)
    seg[:, :10] = 1
    seg[:, 11:] = 2  # column 10 is a line
    seg[:3, 11:] = 3  # 3 touches 2 directly, and 1 across the line
    r = region_stats(seg, np.full((10, 21, 3), (10, 200, 30), np.uint8))
    edges, contact = adjacency(seg, r)
    assert {tuple(e) for e in edges.tolist()} == {(0, 1), (0, 2), (1, 2)}
    k = edges.tolist().index([1, 2])
    assert contact[k][1] == pytest.approx(2.5)  # between rows 2 and 3, where 3 meets 2
    far = np.zeros((10, 21), np.int32)
    far[:, :5], far[:, 16:] = 1, 2
    assert len(adjacency(far, region_stats(far, np.zeros((10, 21, 3), np.uint8)))[0]) == 0
