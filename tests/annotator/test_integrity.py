"""``linecorr validate`` checks the annotator's state (``annotations/``); the server cleans what a kill left."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from annotator.history import ClipStore
from annotator.integrity import check_annotations
from annotator.workspace import Workspace
from dataprep.cli import main

P1 = "toy000/0000__0001"


def _edit(root) -> Workspace:
    """A merge in frame 0001 (versions of both pairs), an assignment, an undo, a redo."""
    ws = Workspace(root)
    t = ws.table("toy000", "0001", 0)
    fg = [int(i) for i in t.ids[np.argsort(-t.area)] if t.label[t.index_of(i)] > 0]
    ws.apply(P1, 0, {"kind": "merge", "side": "b", "ids": fg[:2]}, "op-00000001")
    a = int(ws.table("toy000", "0000", 0).ids[-1])
    ws.apply(P1, 1, {"kind": "assign", "side": "a", "seg": a, "targets": [fg[2]]}, "op-00000002")
    ws.undo(P1, 2)
    ws.redo(P1, 3)
    return ws


def _problems(root, quick: bool = False) -> list[str]:
    return [str(p) for p in check_annotations(root, check_images=not quick)]


def test_validate_passes_on_the_annotators_work(toy_root, capsys):
    assert _problems(toy_root) == []  # never edited
    _edit(toy_root)
    assert _problems(toy_root) == []
    assert main(["validate", str(toy_root)]) == 0
    assert capsys.readouterr().out.strip().endswith(": valid")


def test_validate_reports_a_history_inconsistent_with_the_head(toy_root, capsys):
    import json

    _edit(toy_root)
    store = ClipStore(toy_root / "annotations", "toy000")
    head = store.head()
    head["pairs"]["0000__0001"] = 3  # the history ends at 4
    (store.dir / "head.json").write_text(json.dumps(head))
    store.op_file(2).unlink()
    probs = _problems(toy_root)
    assert "annotations/clips/toy000/ops/00000002.json: missing" in probs
    assert any(p.startswith("annotations/clips/toy000/head.json: pair:0000__0001 is at version 3 but its "
                            "history ends at version 4") for p in probs), probs
    assert main(["validate", str(toy_root)]) == 1
    out = capsys.readouterr().out
    assert f"{toy_root}/annotations/clips/toy000/ops/00000002.json: missing" in out


def test_validate_reports_a_version_that_does_not_load(toy_root):
    _edit(toy_root)
    store = ClipStore(toy_root / "annotations", "toy000")
    store.frame_png("0001", 1).write_bytes(b"\x89PNG not really")
    store.pair_file("0001__0002", 1).write_text('{"pair": ')
    probs = _problems(toy_root)
    assert any(p.startswith("annotations/clips/toy000/frames/0001/000001.png: does not decode") for p in probs), probs
    assert any(p.startswith("annotations/clips/toy000/pairs/0001__0002/000001.json: does not load "
                            "(malformed JSON") for p in probs), probs
    assert not any("000001.png" in p for p in _problems(toy_root, quick=True))  # --quick decodes no map


def test_stray_files_are_reported_and_removed_when_the_server_starts(toy_root):
    pytest.importorskip("flask")
    from annotator.server import create_app

    _edit(toy_root)
    store = ClipStore(toy_root / "annotations", "toy000")
    head = store.head()
    tmp = store.dir / "pairs" / "0000__0001" / ".000005.json.k3x9q2.tmp"  # a write cut off by a kill
    tmp.write_text('{"half')
    above = store.pair_file("0000__0001", head["pairs"]["0000__0001"] + 1)  # an op that never committed
    above.write_text("{}")
    op_above = store.op_file(head["seq"] + 1)
    op_above.write_text("{}")
    fresh = store.dir / "effort" / ".0000__0001.json.abcdef.tmp"  # an effort write of a live server, now
    fresh.parent.mkdir(parents=True, exist_ok=True)
    fresh.write_text("{")
    old = store.dir / "effort" / ".0001__0002.json.ghijkl.tmp"
    old.write_text("{")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    probs = _problems(toy_root)
    for p in (tmp, fresh, old):
        assert f"{p.relative_to(toy_root)}: temporary file of an interrupted write (linecorr annotate removes " \
               "it when it starts)" in probs
    for p in (above, op_above):
        assert f"{p.relative_to(toy_root)}: uncommitted version left by an interrupted operation (linecorr " \
               "annotate removes it when it starts)" in probs
    create_app(toy_root)  # the server starts
    assert not tmp.exists() and not above.exists() and not op_above.exists() and not old.exists()
    assert fresh.exists()  # may be in the middle of its write: left alone
    fresh.unlink()
    assert _problems(toy_root) == []
    assert Workspace(toy_root).current(P1)["version"] == head["pairs"]["0000__0001"]  # the work is intact
