"""Label primitives, small-segment merging, shading-line folding and the quality metrics."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from dataprep.segment import (
    adjusted_rand,
    fill_from_neighbours,
    fold_shading_lines,
    merge_small_segments,
    partition_scores,
    relabel_raster,
    segment_iou,
)
from dataprep.segment.labelops import contact_counts
from dataprep.segment.postprocess import merge_touching_alike


def test_relabel_raster_orders_by_first_pixel():
    lab = np.array([[0, 7, 7], [3, 0, 9], [3, 3, 9]])
    np.testing.assert_array_equal(relabel_raster(lab), [[0, 1, 1], [2, 0, 3], [2, 2, 3]])
    assert relabel_raster(lab).dtype == np.int32
    assert relabel_raster(np.zeros((2, 2), int)).max() == 0


def test_fill_from_neighbours_is_geodesic():
    lab = np.array([[1, 0, 0, 2], [1, 0, 0, 2], [0, 0, 0, 0]])
    out = fill_from_neighbours(lab, lab == 0)
    assert (out > 0).all()
    np.testing.assert_array_equal(out[:2, 1], [1, 1])
    np.testing.assert_array_equal(out[:2, 2], [2, 2])
    walled = np.array([[1, 0, -5, 0]])  # pixels not offered are never crossed
    np.testing.assert_array_equal(fill_from_neighbours(walled, np.array([[False, True, False, True]])), [[1, 1, 0, 0]])


def test_contact_counts_hand_case():
    lab = np.array([[1, 1, 2], [1, 3, 2], [0, 3, 3]])
    a, b, n = contact_counts(lab)
    got = {(int(x), int(y)): int(c) for x, y, c in zip(a, b, n)}
    assert got == {(1, 2): 1, (1, 3): 2, (2, 3): 2}


def test_merge_small_longest_contact_without_colours():
    lab = np.array(
        [
            [1, 1, 1, 1, 2, 2],
            [1, 1, 1, 1, 2, 2],
            [1, 1, 3, 3, 2, 2],
            [1, 1, 1, 1, 1, 2],
        ]
    )
    out = merge_small_segments(lab, min_area=3)
    assert set(np.unique(out)) == {1, 2}
    assert (out[2, 2:4] == 1).all()  # 3 touches 1 on 5 edges, 2 on 1


def test_merge_small_prefers_similar_colour():
    lab = np.array([[1, 1, 1, 3, 2, 2, 2]] * 3)
    colors = np.array([[0, 0, 0], [50, 0, 0], [80, 0, 0], [76, 0, 0]], float)
    out = merge_small_segments(lab, min_area=4, colors=colors)
    assert (out[:, 3] == 2).all()


def test_enclosed_segment_kept_unless_tiny():
    lab = np.zeros((7, 7), int)
    lab[:] = 1
    lab[2:5, 2:5] = 0
    lab[3, 3] = 2  # one pixel enclosed by line pixels
    assert 2 in merge_small_segments(lab, min_area=10, enclosed_min_area=1)
    assert 2 not in merge_small_segments(lab, min_area=10, enclosed_min_area=2)


def test_merge_chain_of_small_segments_terminates():
    lab = np.array([[1, 2, 3, 4, 5, 5, 5, 5, 5, 5]])
    out = merge_small_segments(lab, min_area=3)
    assert np.unique(out).tolist() == [5]


def test_merge_touching_alike():
    lab = np.array([[1, 1, 2, 2, 0, 3]])
    colors = np.array([[0, 0, 0], [10, 0, 0], [12, 0, 0], [10, 0, 0]], float)
    np.testing.assert_array_equal(merge_touching_alike(lab, colors, 5), [[1, 1, 1, 1, 0, 3]])


def test_fold_shading_lines_smallest_neighbour():
    lab = np.array([[1, 1, 0, 2], [1, 1, 0, 2], [1, 1, 0, 2]])
    shading = lab == 0
    np.testing.assert_array_equal(fold_shading_lines(lab, shading)[:, 2], [2, 2, 2])
    lonely = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]])
    assert fold_shading_lines(lonely, lonely == 0)[1, 1] == 1


@pytest.mark.parametrize("seed", range(5))
def test_adjusted_rand_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    gt = rng.integers(0, 5, (30, 30))
    pred = np.where(rng.random((30, 30)) < 0.8, gt, rng.integers(0, 7, (30, 30)))
    where = gt > 0
    assert adjusted_rand(pred, gt) == pytest.approx(adjusted_rand_score(gt[where], pred[where]))


def test_segment_iou_hand_case():
    gt = np.array([[1, 1, 2, 2]])
    pred = np.array([[5, 5, 5, 6]])
    s = segment_iou(pred, gt)
    assert s["miou_g2p"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert s["miou_p2g"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    perfect = partition_scores(gt * 3, gt)
    assert perfect["ari"] == 1.0 and perfect["miou_g2p"] == 1.0 and perfect["n_pred"] == 2
