"""AnT and PBC segment metrics on tiny hand-computed frames."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmark.metrics import (
    PBC_BACKGROUND,
    PBC_BACKGROUND_RGBA,
    PBC_BACKGROUND_RGBA_BLACK,
    PBC_BACKGROUNDS,
    ant_accuracy,
    ant_mean_iou,
    ant_mean_iou_pixel,
    class_iou,
    get_metric,
    pack_rgba,
    pbc_metrics,
    segment_areas,
)
from dataprep.errors import LinecorrError

# Five segments (ids 1..5). Segment 1 is the transparent background (label -1), as in PBC.
GT = np.array([-1, 1, 2, 2, 3])
PRED = np.array([-1, 1, 2, 3, -1])
AREAS = np.array([100, 20, 5, 30, 8])


def test_segment_areas_counts_pixels_per_id_without_lines():
    lm = np.array([[0, 1, 1], [2, 0, 3]], np.int32)
    assert segment_areas(lm).tolist() == [2, 1, 1]
    # id 4 is absent: 0 pixels; the line pixels (id 0) are never a segment
    assert segment_areas(lm, n_segments=4).tolist() == [2, 1, 1, 0]


def test_ant_accuracy_hand_computed():
    # correct: seg1 (-1=-1), seg2 (1=1), seg3 (2=2) -> 3/5
    assert ant_accuracy(PRED, GT) == pytest.approx(3 / 5)
    # ignoring GT -1 drops seg1: seg2, seg3 correct out of 4 -> 2/4
    assert ant_accuracy(PRED, GT, ignore_label=-1) == pytest.approx(2 / 4)


def test_ant_mean_iou_counts_segments_per_class():
    # class -1: pred {1,5}, gt {1} -> 1/2 ; class 1: {2} vs {2} -> 1
    # class 2: pred {3}, gt {3,4} -> 1/2 ; class 3: pred {4}, gt {5} -> 0/2
    # mean = (0.5 + 1 + 0.5 + 0) / 4 = 0.5
    assert class_iou(PRED, GT) == pytest.approx({-1: 0.5, 1: 1.0, 2: 0.5, 3: 0.0})
    assert ant_mean_iou(PRED, GT) == pytest.approx(0.5)
    # without seg1: class -1 only predicted (seg5) -> 0/1; 1 -> 1; 2 -> 1/2; 3 -> 0
    # mean = 1.5 / 4 = 0.375
    assert ant_mean_iou(PRED, GT, ignore_label=-1) == pytest.approx(0.375)


def test_ant_mean_iou_pixel_weights_by_area():
    # class -1: inter 100, union 100+8 = 108 ; class 1: 20/20 ; class 2: 5 / (5+30) = 1/7
    # class 3: inter 0, union 30+8 -> 0 ; mean = (100/108 + 1 + 1/7 + 0) / 4
    expected = (100 / 108 + 1 + 1 / 7 + 0) / 4
    assert ant_mean_iou_pixel(PRED, GT, areas=AREAS) == pytest.approx(expected)
    with pytest.raises(LinecorrError):
        ant_mean_iou_pixel(PRED, GT)


def test_ant_all_right_and_all_wrong():
    gt = np.array([1, 2, 3])
    assert ant_accuracy(gt, gt) == 1.0
    assert ant_mean_iou(gt, gt) == 1.0
    wrong = np.array([2, 3, 1])  # every segment takes its neighbour's label
    assert ant_accuracy(wrong, gt) == 0.0
    assert ant_mean_iou(wrong, gt) == 0.0
    # everything ignored -> undefined
    assert math.isnan(ant_accuracy([1, 1], [1, 1], ignore_label=1))
    assert math.isnan(ant_mean_iou([1, 1], [1, 1], ignore_label=1))


def test_pbc_metrics_hand_computed():
    m = pbc_metrics(PRED, GT, AREAS)
    assert m["pbc/acc"] == pytest.approx(3 / 5)  # seg1, seg2, seg3 correct
    # > 10 px: seg1 (100), seg2 (20), seg4 (30); correct among them: seg1, seg2 -> 2/3
    assert m["pbc/acc_thres"] == pytest.approx(2 / 3)
    # correct pixels 100 + 20 + 5 = 125 of 100+20+5+30+8 = 163
    assert m["pbc/pix_acc"] == pytest.approx(125 / 163)
    # GT not background: seg2..5 = 20+5+30+8 = 63 px, correct seg2+seg3 = 25 px
    assert m["pbc/pix_acc_wobg"] == pytest.approx(25 / 63)
    # bg in pred or GT: seg1, seg5 ; bg in both: seg1 -> 1/2 ; pixels 100 / (100+8)
    assert m["pbc/bmiou"] == pytest.approx(1 / 2)
    assert m["pbc/pix_bmiou"] == pytest.approx(100 / 108)


def test_pbc_registered_metrics_match_bundle():
    m = pbc_metrics(PRED, GT, AREAS)
    for name, value in m.items():
        assert get_metric(name)(PRED, GT, areas=AREAS) == pytest.approx(value)


def test_pbc_all_right_no_background_gives_bmiou_one():
    gt = np.array([4, 5, 6])
    m = pbc_metrics(gt, gt, np.array([3, 50, 12]))
    assert m["pbc/acc"] == m["pbc/acc_thres"] == m["pbc/pix_acc"] == m["pbc/pix_acc_wobg"] == 1.0
    # no segment is background in pred or GT: BasicPBC's convention is 1.0
    assert m["pbc/bmiou"] == m["pbc/pix_bmiou"] == 1.0


def test_pbc_all_wrong_and_undefined_ratios():
    gt = np.array([-1, 1])
    pred = np.array([1, -1])  # background and character swapped
    m = pbc_metrics(pred, gt, np.array([4, 6]))
    assert m["pbc/acc"] == 0.0 and m["pbc/pix_acc"] == 0.0 and m["pbc/pix_acc_wobg"] == 0.0
    assert m["pbc/bmiou"] == 0.0  # 0 both-bg of 2 either-bg
    # no segment > 10 px -> acc_thres undefined (BasicPBC would divide by zero)
    assert math.isnan(m["pbc/acc_thres"])
    # all-background GT: pix_acc_wobg undefined
    only_bg = pbc_metrics(np.array([-1]), np.array([-1]), np.array([50]))
    assert math.isnan(only_bg["pbc/pix_acc_wobg"]) and only_bg["pbc/bmiou"] == 1.0


def _basicpbc_reference(seg: np.ndarray, pred_colors: dict, gt_colors: dict, threshold=10):
    """The definitions of BasicPBC eval_json, written out loop by loop on RGBA lists."""
    counts = np.bincount(seg.ravel()).tolist()  # includes index 0 = line pixels
    bg = list(PBC_BACKGROUND_RGBA)
    s = dict.fromkeys(["acc", "thr", "pix", "wobg", "wobg_max", "b", "b_max", "pb", "pb_max"], 0)
    for k, p in pred_colors.items():
        n, g = counts[int(k)], gt_colors[k]
        if g != bg:
            s["wobg_max"] += n
            s["wobg"] += n if p == g else 0
        if p == g:
            s["acc"] += 1
            s["pix"] += n
            s["thr"] += n > threshold
        if p == bg or g == bg:
            s["b_max"] += 1
            s["pb_max"] += n
        if p == bg and g == bg:
            s["b"] += 1
            s["pb"] += n
    return {
        "pbc/acc": s["acc"] / len(pred_colors),
        "pbc/acc_thres": s["thr"] / (sum(np.array(counts) > threshold) - 1),
        "pbc/pix_acc": s["pix"] / sum(counts[1:]),
        "pbc/pix_acc_wobg": s["wobg"] / s["wobg_max"],
        "pbc/bmiou": s["b"] / s["b_max"] if s["b_max"] else 1.0,
        "pbc/pix_bmiou": s["pb"] / s["pb_max"] if s["pb_max"] else 1.0,
    }


def test_pbc_reproduces_basicpbc_on_packed_colors():
    rng = np.random.default_rng(0)
    palette = [list(PBC_BACKGROUND_RGBA), [255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]]
    for _ in range(20):
        seg = rng.integers(0, 9, size=(20, 20))  # ids 1..8, ~45 line pixels (> threshold)
        seg[0, :8] = np.arange(1, 9)  # every id present
        n = 8
        gt_c = {str(i + 1): palette[rng.integers(4)] for i in range(n)}
        gt_c["1"] = palette[1]  # at least one non-background GT segment
        pred_c = {k: (c if rng.random() < 0.6 else palette[rng.integers(4)]) for k, c in gt_c.items()}
        ref = _basicpbc_reference(seg, pred_c, gt_c)
        ours = pbc_metrics(
            pack_rgba([pred_c[str(i + 1)] for i in range(n)]),
            pack_rgba([gt_c[str(i + 1)] for i in range(n)]),
            segment_areas(seg, n),
            background_label=PBC_BACKGROUND,
        )
        assert ours == pytest.approx(ref)


def test_pbc_accepts_both_transparent_backgrounds():
    # BasicPBC paints the background (255, 255, 255, 0) or (0, 0, 0, 0); both are background
    rng = np.random.default_rng(1)
    white, black = list(PBC_BACKGROUND_RGBA), list(PBC_BACKGROUND_RGBA_BLACK)
    palette = [white, black, [255, 0, 0, 255], [0, 255, 0, 255]]
    for _ in range(20):
        seg = rng.integers(0, 9, size=(20, 20))
        seg[0, :8] = np.arange(1, 9)
        gt_c = {str(i + 1): palette[rng.integers(4)] for i in range(8)}
        gt_c["1"] = palette[2]
        pred_c = {k: (c if rng.random() < 0.6 else palette[rng.integers(4)]) for k, c in gt_c.items()}
        as_white = {k: white if c == black else c for k, c in pred_c.items()}
        ref = _basicpbc_reference(seg, as_white, {k: white if c == black else c for k, c in gt_c.items()})
        ours = pbc_metrics(pack_rgba([pred_c[str(i + 1)] for i in range(8)]),
                           pack_rgba([gt_c[str(i + 1)] for i in range(8)]),
                           segment_areas(seg, 8), background_label=PBC_BACKGROUNDS)
        assert ours == pytest.approx(ref)
    # a black background predicted where GT has white is a correct background segment
    r = pbc_metrics(pack_rgba([black, [255, 0, 0, 255]]), pack_rgba([white, [255, 0, 0, 255]]), [5, 5],
                    background_label=PBC_BACKGROUNDS)
    assert r["pbc/acc"] == 1.0 and r["pbc/bmiou"] == 1.0
    with pytest.raises(LinecorrError, match="background_label"):
        pbc_metrics([1], [1], [1], background_label=())


def test_pack_rgba_is_injective_on_channels():
    packed = pack_rgba([[255, 255, 255, 0], [255, 255, 255, 255], [0, 0, 0, 0]])
    assert packed.tolist() == [0xFFFFFF00, 0xFFFFFFFF, 0]
    assert PBC_BACKGROUND == 0xFFFFFF00


@pytest.mark.parametrize(
    "call",
    [
        lambda: ant_accuracy([1, 2], [1, 2, 3]),  # length mismatch
        lambda: ant_accuracy([], []),  # empty
        lambda: ant_mean_iou([[1]], [[1]]),  # not 1-D
        lambda: ant_accuracy([1.5], [1]),  # not integer ids
        lambda: pbc_metrics([1], [1], None),  # PBC needs areas
        lambda: pbc_metrics([1, 2], [1, 2], [3]),  # areas length
        lambda: pbc_metrics([1], [1], [-3]),  # negative area
        lambda: pack_rgba([[1, 2, 3]]),  # RGB, not RGBA
        lambda: segment_areas(np.zeros((2, 2), np.float32)),  # float label map
        lambda: segment_areas(np.array([[1, 5]]), n_segments=3),  # id beyond N
    ],
)
def test_user_errors_raise_linecorr_error(call):
    with pytest.raises(LinecorrError):
        call()
