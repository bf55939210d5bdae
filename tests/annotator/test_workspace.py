"""The annotation state on disk: versions, undo/redo across reloads, shared frames, conflicts, crashes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from annotator.history import ClipStore
from annotator.workspace import ConflictError, Workspace
from dataprep.format import Dataset, compute_segment_table, layout
from dataprep.format.atomic import atomic_write_json

P1, P2 = "toy000/0000__0001", "toy000/0001__0002"


def _two_segments(ws: Workspace, frame: str) -> tuple[int, int]:
    """Two labelled segments of a frame (the largest foreground ones)."""
    t = ws.table("toy000", frame, 0)
    order = np.argsort(-t.area)
    fg = [int(t.ids[i]) for i in order if t.label[i] > 0]
    return fg[0], fg[1]


def test_an_operation_is_on_disk_before_it_returns(toy_root):
    ws = Workspace(toy_root)
    a, _ = _two_segments(ws, "0000")
    b = int(ws.table("toy000", "0001", 0).ids[-1])
    out = ws.apply(P1, 0, {"kind": "assign", "side": "a", "seg": a, "targets": [b]})
    assert out["pair"]["version"] == 1 and out["pair"]["status"] == "in_progress"
    fresh = Workspace(toy_root).current(P1)  # a new process sees it: it is on disk
    assert [m for m in fresh["state"]["matches"] if m[0] == a] == [[a, b, "manual", 1.0]]


def test_stale_version_is_refused_and_nothing_is_written(toy_root):
    ws = Workspace(toy_root)
    a, _ = _two_segments(ws, "0000")
    ws.apply(P1, 0, {"kind": "no_match", "side": "a", "seg": a})
    with pytest.raises(ConflictError, match="changed on the server"):
        ws.apply(P1, 0, {"kind": "unassign", "side": "a", "seg": a})
    assert Workspace(toy_root).current(P1)["version"] == 1


def test_merge_rewrites_every_pair_showing_the_frame_and_undo_restores_both(toy_root):
    ws = Workspace(toy_root)
    keep, gone = sorted(_two_segments(ws, "0001"))
    before2 = ws.current(P2)["state"]
    out = ws.apply(P1, 0, {"kind": "merge", "side": "b", "ids": [keep, gone]})
    assert "b" in out["patches"] and gone not in out["pair"]["frames"]["b"]["segments"]["ids"]
    ws2 = Workspace(toy_root)
    seg = ws2.seg("toy000", "0001", ws2.frame_version("toy000", "0001"))
    assert not (seg == gone).any()
    p2 = ws2.current(P2)  # frame 0001 is frame A of the second pair: its matches moved to the merged id
    assert p2["version"] == 1 and p2["frames"]["a"] == 1
    assert all(m[0] != gone for m in p2["state"]["matches"])
    old_targets = {m[1] for m in before2["matches"] if m[0] in (keep, gone)}
    assert {m[1] for m in p2["state"]["matches"] if m[0] == keep} == old_targets
    ws2.undo(P1, 1)
    ws3 = Workspace(toy_root)
    np.testing.assert_array_equal(ws3.seg("toy000", "0001", ws3.frame_version("toy000", "0001")),
                                  Dataset.open(toy_root).load_seg("toy000", "0001"))
    assert ws3.current(P2)["state"] == before2


def test_undo_and_redo_work_across_a_reload(toy_root):
    ws = Workspace(toy_root)
    t = ws.table("toy000", "0000", 0)
    big = int(t.ids[np.argmax(np.where(t.label > 0, t.area, 0))])
    x, y, w, h = t.bbox[t.index_of(big)].tolist()
    stroke = [[x - 2, y + h // 2], [x + w + 2, y + h // 2]]
    ws.apply(P1, 0, {"kind": "split", "side": "a", "seg": big, "points": stroke, "width": 1})
    split_map = ws.seg("toy000", "0000", 1).copy()
    assert len(np.unique(split_map)) == len(np.unique(Dataset.open(toy_root).load_seg("toy000", "0000"))) + 1
    Workspace(toy_root).undo(P1, 1)
    ws = Workspace(toy_root)
    view = ws.view(P1)
    assert view["can_redo"] and not view["can_undo"] and view["redo_kind"] == "split"
    ws.redo(P1, view["version"])
    ws = Workspace(toy_root)
    np.testing.assert_array_equal(ws.seg("toy000", "0000", ws.frame_version("toy000", "0000")), split_map)
    assert ws.view(P1)["undo_kind"] == "split"


def test_undo_is_refused_when_later_work_depends_on_it(toy_root):
    ws = Workspace(toy_root)
    keep, gone = sorted(_two_segments(ws, "0001"))
    ws.apply(P1, 0, {"kind": "merge", "side": "b", "ids": [keep, gone]})
    ws.apply(P2, 1, {"kind": "no_match", "side": "a", "seg": keep})  # work in the other pair on the merged segment
    with pytest.raises(ConflictError, match="changed later"):
        ws.undo(P1, 1)
    assert ws.current(P2)["state"]["unmatched_a"] == [keep]


def test_restore_any_version_then_undo_the_restore(toy_root):
    ws = Workspace(toy_root)
    a, b = _two_segments(ws, "0000")
    ws.apply(P1, 0, {"kind": "no_match", "side": "a", "seg": a})
    ws.apply(P1, 1, {"kind": "merge", "side": "a", "ids": [a, b]})
    merged = ws.current(P1)
    ws.restore(P1, 2, 0)
    now = ws.current(P1)
    assert now["state"]["matches"] == ws.snapshot("toy000", "0000__0001", 0)["state"]["matches"]
    np.testing.assert_array_equal(ws.seg("toy000", "0000", now["frames"]["a"]),
                                  Dataset.open(toy_root).load_seg("toy000", "0000"))
    ws.undo(P1, now["version"])
    assert ws.current(P1)["state"] == merged["state"]
    hist = [v["kind"] for v in ws.history(P1)]
    assert hist[:4] == ["undo", "restore", "merge", "no_match"] and hist[-1] == "original"


def test_a_crash_before_the_commit_leaves_the_previous_state(toy_root, monkeypatch):
    ws = Workspace(toy_root)
    a, b = _two_segments(ws, "0000")

    def boom(self, head):
        raise KeyboardInterrupt  # killed between writing the snapshots and the head

    monkeypatch.setattr(ClipStore, "write_head", boom)
    with pytest.raises(KeyboardInterrupt):
        ws.apply(P1, 0, {"kind": "merge", "side": "a", "ids": [a, b]})
    monkeypatch.undo()
    ws = Workspace(toy_root)
    assert ws.current(P1)["version"] == 0 and ws.frame_version("toy000", "0000") == 0
    assert [v["version"] for v in ws.history(P1)] == [0]  # the cut-off operation left no version
    out = ws.apply(P1, 0, {"kind": "merge", "side": "a", "ids": [a, b]})
    assert out["pair"]["version"] == 1


def test_stored_segment_table_matches_the_edited_map(toy_root):
    ws = Workspace(toy_root)
    a, b = _two_segments(ws, "0000")
    ws.apply(P1, 0, {"kind": "merge", "side": "a", "ids": [a, b]})
    ws = Workspace(toy_root)
    f = Dataset.open(toy_root).load_frame("toy000", "0000")
    got = ws.table("toy000", "0000", 1)
    want = compute_segment_table(ws.seg("toy000", "0000", 1), f.color, f.alpha, f.labels)
    np.testing.assert_array_equal(got.ids, want.ids)
    np.testing.assert_array_equal(got.area, want.area)
    np.testing.assert_array_equal(got.color, want.color)


def test_several_undos_in_a_row_then_redos(toy_root):
    ws = Workspace(toy_root)
    a, b = _two_segments(ws, "0000")
    c = [int(i) for i in ws.table("toy000", "0000", 0).ids if i not in (a, b)][-1]
    v = ws.apply(P1, 0, {"kind": "merge", "side": "a", "ids": [a, b]})["pair"]["version"]
    v = ws.apply(P1, v, {"kind": "no_match", "side": "a", "seg": min(a, b)})["pair"]["version"]
    v = ws.apply(P1, v, {"kind": "merge", "side": "a", "ids": [min(a, b), c]})["pair"]["version"]
    done = ws.current(P1)["state"]
    for _ in range(3):
        v = ws.undo(P1, v)["pair"]["version"]
    np.testing.assert_array_equal(ws.seg("toy000", "0000", ws.frame_version("toy000", "0000")),
                                  Dataset.open(toy_root).load_seg("toy000", "0000"))
    assert ws.current(P1)["state"]["matches"] == ws.snapshot("toy000", "0000__0001", 0)["state"]["matches"]
    for _ in range(3):
        v = ws.redo(P1, v)["pair"]["version"]
    seg = ws.seg("toy000", "0000", ws.frame_version("toy000", "0000"))
    assert not np.isin([max(a, b), c], seg).any() and ws.current(P1)["state"] == done


def test_the_background_is_not_unlabelled_but_an_interior_unknown_segment_is(toy_root):
    """Label -1 touching the frame border is the background (the paper of a rendered frame, which no
    pair matches or marks): sent with the view and not counted as unlabelled in the queue. A -1
    segment inside the frame is unlabelled, also when every label of the frame is -1 (a fresh import)."""
    ds = Dataset.open(toy_root)

    def border(t) -> np.ndarray:
        x, y, w, h = t.bbox.T
        return (x == 0) | (y == 0) | (x + w == 160) | (y + h == 160)

    ta, tb = ds.load_segments("toy000", "0000"), ds.load_segments("toy000", "0001")
    paper_a, paper_b = (t.ids[(t.label == -1) & border(t)].tolist() for t in (ta, tb))
    assert len(paper_a) == len(paper_b) == 1  # the toy's background: label -1, in no match and no mark
    snap = Workspace(toy_root).current(P1)["state"]
    assert all(m[0] not in paper_a and m[1] not in paper_b for m in snap["matches"])
    assert not set(paper_a) & set(snap["unmatched_a"]) and not set(paper_b) & set(snap["unmatched_b"])
    # frame 0000 as a fresh import has it: every label -1 (its pairs keep their matches)
    atomic_write_json(ds.path("toy000", layout.SEGMENTS, "0000"),
                      dataclasses.replace(ta, label=np.full(len(ta), -1, np.int64)).to_json("0000"))

    ws = Workspace(toy_root)
    rows = {q["id"]: q for q in ws.queue()}
    assert rows[P1]["unlabelled"] == 0 and rows[P2]["unlabelled"] == 0  # was 2 each: A's and B's paper
    view = ws.view(P1)  # the page is told which they are
    assert view["frames"]["a"]["background"] == ta.ids[border(ta)].tolist() == paper_a  # interior ones: not
    assert view["frames"]["b"]["background"] == paper_b == ws.view(P2)["frames"]["a"]["background"]
    # an interior -1 segment left with no match is unlabelled; the background still is not
    inner = next(int(i) for i, b in zip(ta.ids, border(ta)) if not b)
    ws.apply(P1, 0, {"kind": "unassign", "side": "a", "seg": inner})
    row = next(q for q in ws.queue() if q["id"] == P1)
    assert row["unlabelled_a"] == 1
    assert [q["id"] for q in ws.queue() if q["unlabelled"]] == [P1]
    # a person may still match the background: then it is a match like any other
    out = ws.apply(P1, 1, {"kind": "assign", "side": "a", "seg": paper_a[0], "targets": paper_b})
    assert [paper_a[0], paper_b[0], "manual", 1.0] in out["pair"]["matches"]
