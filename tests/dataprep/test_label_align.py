"""Global alignment: RANSAC similarity from point matches, the masks' fallback."""

from __future__ import annotations

import numpy as np
import pytest

from dataprep.label.align import from_masks, from_points


def _similarity(deg: float, s: float, t: tuple[float, float]) -> np.ndarray:
    a = np.deg2rad(deg)
    return np.array([[s * np.cos(a), -s * np.sin(a), t[0]], [s * np.sin(a), s * np.cos(a), t[1]]])


def test_similarity_is_recovered_despite_outliers():
    rng = np.random.default_rng(0)
    m = _similarity(10.0, 1.2, (5.0, -3.0))
    pa = rng.uniform(0, 200, (60, 2))
    pb = pa @ m[:, :2].T + m[:, 2]
    pb[50:] = rng.uniform(0, 200, (10, 2))  # a limb that moved on its own, or wrong matches
    al, inl = from_points(pa, pb, threshold=2.0, min_inliers=8)
    assert al is not None and al.source == "points"
    assert inl[:50].all() and al.inliers >= 50
    assert al.matrix == pytest.approx(m, abs=1e-3)
    assert al.scale == pytest.approx(1.2, abs=1e-4)
    assert al.apply(np.array([[0.0, 0.0]]))[0] == pytest.approx([5.0, -3.0], abs=1e-2)


def test_too_few_matches_give_no_alignment():
    pa = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    al, inl = from_points(pa, pa + 5, min_inliers=8)
    assert al is None and inl.shape == (3,)


def test_masks_give_translation_and_scale():
    a = np.zeros((100, 100), bool)
    a[10:30, 20:40] = True
    b = np.zeros((100, 100), bool)
    b[40:80, 30:70] = True  # twice as wide and tall: area x4
    al = from_masks(a, b)
    assert al.scale == pytest.approx(2.0)
    centre_a = np.array([[29.5, 19.5]])
    assert al.apply(centre_a)[0] == pytest.approx([49.5, 59.5])
