"""Chains through the frames in between: composition, filling, overriding, and the clip labeller."""

from __future__ import annotations

import numpy as np
import pytest

from dataprep.label.chain import best_links, compose
from dataprep.label.clip import chain_steps, label_clip, needed_frames
from dataprep.label.coarse import CoarseConfig
from dataprep.label.config import LabelConfig
from dataprep.label.pair import label_prepared, prepare_frame
from dataprep.segment.closed_lines import connected_segments
from dataprep.synthetic.figure import ARM, figure, part_of_regions


def test_best_links_keep_the_most_confident_partner():
    fwd, bwd = best_links([(1, 10, 0.4, "vote"), (1, 11, 0.9, "vote"), (2, 11, 0.5, "coarse")])
    assert fwd == {1: (11, 0.9), 2: (11, 0.5)}
    assert bwd == {10: (1, 0.4), 11: (1, 0.9)}


def test_compose_follows_each_region_and_multiplies_confidences():
    steps = [[(1, 5, 0.5, "vote"), (2, 6, 1.0, "vote"), (3, 7, 1.0, "vote")],
             [(5, 8, 0.5, "vote"), (6, 9, 0.8, "coarse")]]  # region 7 has no match in the second step
    ch = compose(steps)
    assert ch.steps == 2
    assert ch.forward == {1: (8, 0.25), 2: (9, 0.8)}  # 3 -> 7 -> nothing: the chain breaks
    assert ch.backward == {8: (1, 0.25), 9: (2, 0.8)}
    assert compose([]).forward == {}


def _frames(size=128, deg=-130.0, shift=(10.0, 4.0)):
    a, parts_a, ink_a = figure(size)
    b, parts_b, ink_b = figure(size, deg, shift)
    seg_a, seg_b = connected_segments(ink_a), connected_segments(ink_b)
    return prepare_frame(a, seg_a), part_of_regions(seg_a, parts_a), prepare_frame(b, seg_b), \
        part_of_regions(seg_b, parts_b), ink_a, parts_a


def _true_chain(fa, of_a, fb, of_b):
    """The chain a perfect labeller of the frames in between would give: each region to the region
    of the same part closest in area (a part may be split in several regions), in one step."""
    area_a = dict(zip(fa.regions.ids.tolist(), fa.regions.area.tolist()))
    area_b = dict(zip(fb.regions.ids.tolist(), fb.regions.area.tolist()))
    links = []
    for ra, p in of_a.items():
        cands = [rb for rb, q in of_b.items() if q == p]
        if cands:
            links.append((ra, min(cands, key=lambda rb: abs(area_b[rb] - area_a[ra])), 0.9, "vote"))
    return compose([links])


def test_a_chain_labels_a_limb_the_votes_missed():
    fa, of_a, fb, of_b, ink_a, parts_a = _frames()
    ys, xs = np.nonzero(ink_a & ~np.isin(parts_a, ARM))  # votes everywhere but on the swung arm
    pa = np.stack([xs[::3], ys[::3]], 1).astype(float)
    pb = pa + np.array([10.0, 4.0]) * 128 / 256
    cfg = LabelConfig(coarse=CoarseConfig(enabled=False))
    without = label_prepared(fa, fb, cfg, points=(pa, pb))
    arm_a = {r for r, p in of_a.items() if p in ARM[1:]}
    assert not arm_a & {x for x, _, _, _ in without.matches}
    res = label_prepared(fa, fb, cfg, points=(pa, pb), chain=_true_chain(fa, of_a, fb, of_b))
    chained = [(x, y) for x, y, _, how in res.matches if how == "chain"]
    assert arm_a <= {x for x, _ in chained}
    assert all(of_a[x] == of_b[y] for x, y, _, _ in res.matches)
    assert res.stats["chain_matches"] == len(chained)
    assert all(c == pytest.approx(cfg.chain_confidence * 0.9) for *_, c, how in res.matches if how == "chain")


def test_a_chain_overrides_votes_that_swapped_two_same_coloured_parts():
    fa, of_a, fb, of_b, *_ = _frames(deg=0.0, shift=(0.0, 0.0))
    assert np.array_equal(fa.seg, fb.seg)
    eye = {p: max((r for r, q in of_a.items() if q == p), key=lambda r: (fa.seg == r).sum()) for p in (8, 9)}
    eye_b = eye
    # points on the left eye of A land on the right eye of B and back: same white, the colour filter passes them
    pts_a, pts_b = [], []
    for p, q in ((8, 9), (9, 8)):
        ya, xa = np.nonzero(fa.seg == eye[p])
        yb, xb = np.nonzero(fb.seg == eye_b[q])
        pts_a.append(np.stack([xa, ya], 1)[:6].astype(float))
        pts_b.append(np.tile([xb.mean(), yb.mean()], (min(6, xa.size), 1)))
    pts = (np.concatenate(pts_a), np.concatenate(pts_b))
    cfg = LabelConfig(coarse=CoarseConfig(enabled=False), neighbourhood=1)
    swapped = label_prepared(fa, fb, cfg, points=pts)
    got = {(of_a[x], of_b[y]) for x, y, _, _ in swapped.matches}
    assert got == {(8, 9), (9, 8)}
    chain = compose([[(r, r, 0.9, "vote") for r in of_a]])  # B is A: the true chain is the identity
    kept = label_prepared(fa, fb, LabelConfig(coarse=CoarseConfig(enabled=False), neighbourhood=1, chain_override=False), points=pts,
                          chain=chain)
    assert {(of_a[x], of_b[y]) for x, y, _, how in kept.matches if of_a[x] in (8, 9)} == {(8, 9), (9, 8)}
    fixed = label_prepared(fa, fb, cfg, points=pts, chain=chain)
    eyes = {(of_a[x], of_b[y], how) for x, y, _, how in fixed.matches if of_a[x] in (8, 9) or of_b[y] in (8, 9)}
    assert eyes == {(8, 8, "chain"), (9, 9, "chain")}
    assert all(of_a[x] == of_b[y] for x, y, _, _ in fixed.matches)


def test_chain_steps_and_needed_frames():
    fr = [f"{i:04d}" for i in range(6)]
    pairs = [("0000", "0001", 1), ("0000", "0003", 3), ("0002", "0005", 3)]
    steps = chain_steps(fr, pairs, LabelConfig())
    assert steps == {("0000", "0003"): [("0000", "0001"), ("0001", "0002"), ("0002", "0003")],
                     ("0002", "0005"): [("0002", "0003"), ("0003", "0004"), ("0004", "0005")]}
    assert needed_frames(fr, pairs, LabelConfig()) == fr
    assert chain_steps(fr, pairs, LabelConfig(chain=False)) == {}
    assert needed_frames(fr, [("0000", "0003", 3)], LabelConfig(chain=False)) == ["0000", "0003"]


def test_label_clip_chains_through_frames_it_does_not_write():
    frames = {f"{k}": figure(128, -25.0 * k, (3.0 * k, 1.0 * k))[0] for k in range(4)}
    loads = []

    def load(f):
        loads.append(f)
        return frames[f], None, None, f

    cfg = LabelConfig(extractor="none", gaps=(3,))  # coarse-only steps: fast, no LightGlue
    order = list(frames)
    events = list(label_clip(load, [("0", "3", 3)], cfg, "cpu", order))
    assert [e[1] for e in events if e[0] == "frame"] == ["0", "3"]  # frames in between are read, not written
    assert sorted(loads) == order and len(loads) == len(set(loads))  # each frame read once
    res = next(e for e in events if e[0] == "pair")[4]
    assert res.stats["chain_matches"] > 0
    plain = next(e for e in label_clip(load, [("0", "3", 3)], cfg, "cpu") if e[0] == "pair")[4]
    assert plain.stats["chain_matches"] == 0  # no frame order given: no chain


def test_cli_gap_2_chains_writes_only_pair_frames_and_ray_agrees(tmp_path, monkeypatch):
    import sys

    from test_label_cli import FakeRay  # tests/dataprep is on sys.path (rootdir-relative test modules)

    from dataprep.cli import main
    from dataprep.format import Dataset
    from dataprep.format.validate import validate_dataset
    from dataprep.synthetic import ToyConfig, write_toy_dataset

    toy = write_toy_dataset(tmp_path / "toy", clips=1, cfg=ToyConfig(size=96, frames=3))
    out = tmp_path / "auto"
    assert main(["label", str(toy), "--out", str(out), "--gaps", "2", "--extractor", "none"]) == 0
    ds = Dataset.open(out)
    assert validate_dataset(out) == []
    (pid,) = ds.pair_ids()
    clip = pid.split("/")[0]
    assert ds.clip(clip).frames == [Dataset.open(toy).clip(clip).frames[i] for i in (0, 2)]
    meta = ds.load_pair(pid).meta["labeller"]
    assert meta["chain_matches"] == len(meta["chain"]) > 0
    monkeypatch.setitem(sys.modules, "ray", FakeRay())
    out_ray = tmp_path / "auto_ray"
    assert main(["label", str(toy), "--out", str(out_ray), "--gaps", "2", "--extractor", "none", "--backend", "ray"]) == 0
    assert Dataset.open(out_ray).load_pair(pid).matches == ds.load_pair(pid).matches
