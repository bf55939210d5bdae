"""The annotator driven in real headless Chromium (the system's, through Playwright).

One session on a small toy dataset: open a pair, assign a match, merge, split, undo, reload (undo
and redo still there), and find every result in the files on disk; then a second tab on the same
pair gets a conflict instead of overwriting.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

pytest.importorskip("flask")
playwright = pytest.importorskip("playwright.sync_api")

from annotator.effort import load_effort
from annotator.server import create_app
from annotator.workspace import Workspace
from dataprep.format import Dataset

pytestmark = pytest.mark.browser
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
P1 = "toy000/0000__0001"


@pytest.fixture
def server(toy_root):
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, create_app(toy_root), threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    t.join(5)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def _inside(seg: np.ndarray, sid: int) -> tuple[int, int]:
    """The pixel of segment ``sid`` farthest from its border (x, y)."""
    d = cv2.distanceTransform((seg == sid).astype(np.uint8), cv2.DIST_L2, 3)
    y, x = np.unravel_index(np.argmax(d), d.shape)
    return int(x), int(y)


def _click(page, side, xy, modifier=None):
    pt = page.evaluate("([s, x, y]) => window.__annot.screenPoint(s, x, y)", [side, *xy])
    if modifier:
        page.keyboard.down(modifier)
    page.mouse.click(pt["x"], pt["y"])
    if modifier:
        page.keyboard.up(modifier)


def _saved(page, version: int):
    page.wait_for_function("v => document.body.dataset.version === String(v) && window.__annot.queue.pending === 0"
                           " && !document.body.classList.contains('busy')", arg=version, timeout=15000)


def _open(page, url):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/#pair={P1}")
    page.wait_for_selector(f"body[data-loaded='{P1}']", timeout=15000)
    return errors


def test_assign_merge_split_undo_reload_all_saved(server, browser, toy_root):
    ds = Dataset.open(toy_root)
    seg_a, seg_b = ds.load_seg("toy000", "0000"), ds.load_seg("toy000", "0001")
    ta, tb = ds.load_segments("toy000", "0000"), ds.load_segments("toy000", "0001")
    fg_a = [int(i) for i in ta.ids[np.argsort(-ta.area)] if ta.label[ta.index_of(i)] > 0]
    fg_b = [int(i) for i in tb.ids[np.argsort(-tb.area)] if tb.label[tb.index_of(i)] > 0]
    src = fg_a[0]
    dst = next(b for b in fg_b if tb.label[tb.index_of(b)] != ta.label[ta.index_of(src)])  # a wrong match on purpose
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    errors = _open(page, server)

    # 1. assign: click a segment in A, then one in B (replaces its matches)
    _click(page, "a", _inside(seg_a, src))
    _click(page, "b", _inside(seg_b, dst))
    _saved(page, 1)
    st = Workspace(toy_root).current(P1)["state"]
    assert [m for m in st["matches"] if m[0] == src] == [[src, dst, "manual", 1.0]]

    # 2. merge: select two segments of A (click, Shift+click), press M
    m1, m2 = fg_a[1], fg_a[2]
    page.keyboard.press("Escape")
    _click(page, "a", _inside(seg_a, m1))
    _click(page, "a", _inside(seg_a, m2), "Shift")
    page.keyboard.press("m")
    _saved(page, 2)
    ws = Workspace(toy_root)
    merged = ws.seg("toy000", "0000", ws.frame_version("toy000", "0000"))
    keep, gone = sorted((m1, m2))
    assert not (merged == gone).any() and (merged[seg_a == gone] == keep).all()

    # 3. split: select a segment of B, K, draw a stroke across it
    big = fg_b[0]
    page.keyboard.press("Escape")
    _click(page, "b", _inside(seg_b, big))
    page.keyboard.press("k")
    x, _, w, _ = tb.bbox[tb.index_of(big)].tolist()
    cx, cy = _inside(seg_b, big)
    p0 = page.evaluate("([x, y]) => window.__annot.screenPoint('b', x, y)", [x - 3, cy])
    p1 = page.evaluate("([x, y]) => window.__annot.screenPoint('b', x, y)", [x + w + 3, cy])
    page.mouse.move(p0["x"], p0["y"])
    page.mouse.down()
    page.mouse.move(p1["x"], p1["y"], steps=12)
    page.mouse.up()
    _saved(page, 3)
    ws = Workspace(toy_root)
    split_b = ws.seg("toy000", "0001", ws.frame_version("toy000", "0001"))
    assert len(np.unique(split_b)) == len(np.unique(seg_b)) + 1

    # a stroke that cuts nothing is refused with a message; nothing is written, the page is not stuck
    q = page.evaluate("([x, y]) => window.__annot.screenPoint('b', x, y)", [cx, cy])
    page.mouse.move(q["x"], q["y"])
    page.mouse.down()
    page.mouse.move(q["x"] + 2, q["y"], steps=2)
    page.mouse.up()
    page.wait_for_selector("#banner.error", timeout=10000)
    assert "does not cut" in page.inner_text("#banner")
    _saved(page, 3)

    # 4. undo (Ctrl+Z) takes the split back, on disk
    page.keyboard.press("Control+z")
    _saved(page, 4)
    ws = Workspace(toy_root)
    np.testing.assert_array_equal(ws.seg("toy000", "0001", ws.frame_version("toy000", "0001")), seg_b)

    # clicks are handled locally: hit-test + repaint well under a frame
    perf = page.evaluate("window.__annot.perf")
    assert len(perf) >= 5 and max(p["handler_ms"] for p in perf) < 100

    # 5. reload: the page shows the saved state; redo still works across the reload
    page.reload()
    page.wait_for_selector(f"body[data-loaded='{P1}']", timeout=15000)
    view = page.evaluate("window.__annot.st.view")
    assert view["version"] == 4 and view["can_redo"] and view["redo_kind"] == "split"
    assert [m for m in view["matches"] if m[0] == src] == [[src, dst, "manual", 1.0]]
    assert page.evaluate("([x, y]) => window.__annot.panes.a.map.ids[y * 160 + x]",
                         list(_inside(seg_a, gone))) == keep  # the merge, decoded from the saved map
    page.keyboard.press("Control+Shift+z")
    _saved(page, 5)
    ws = Workspace(toy_root)
    np.testing.assert_array_equal(ws.seg("toy000", "0001", ws.frame_version("toy000", "0001")), split_b)

    # 6. review: a comment, Shift+A accepts; the queue (Q) shows the verdict; effort was logged
    page.fill("#comment", "checked")
    page.keyboard.press("Escape")  # leaves the comment field
    page.keyboard.press("Shift+A")
    _saved(page, 6)
    st = Workspace(toy_root).current(P1)["state"]
    assert (st["status"], st["comment"]) == ("accepted", "checked")
    page.keyboard.press("q")
    page.wait_for_selector("#queue-list li.current .badge.accepted", timeout=5000)
    effort = load_effort(toy_root, P1)
    assert effort["clicks"] >= 6 and effort["keys"] >= 5 and effort["ops"] >= 5 and effort["undos"] == 1
    assert errors == []


def test_second_tab_on_the_same_pair_gets_a_conflict(server, browser, toy_root):
    ds = Dataset.open(toy_root)
    seg_a = ds.load_seg("toy000", "0000")
    ta = ds.load_segments("toy000", "0000")
    s1, s2 = (int(i) for i in ta.ids[np.argsort(-ta.area)][1:3])
    tab1, tab2 = browser.new_page(), browser.new_page()
    _open(tab1, server)
    _open(tab2, server)
    _click(tab1, "a", _inside(seg_a, s1))
    tab1.keyboard.press("n")  # no match
    _saved(tab1, 1)
    _click(tab2, "a", _inside(seg_a, s2))
    tab2.keyboard.press("n")
    tab2.wait_for_selector("body[data-conflict='1']", timeout=10000)
    assert "Reload" in tab2.inner_text("#banner")
    st = Workspace(toy_root).current(P1)
    assert st["version"] == 1 and st["state"]["unmatched_a"] == [s1]  # tab 2 overwrote nothing
