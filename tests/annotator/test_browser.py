"""The annotator driven in real headless Chromium (the system's, through Playwright).

One session on a small toy dataset: open a pair, assign a match, merge, split, undo, reload (undo
and redo still there), and find every result in the files on disk; a second tab on the same pair
has its edit applied on top of the first tab's instead of overwriting it or losing it. Then the
ways an edit used to be lost: an answer dropped after the server committed the write, the server
killed with writes pending, the tab closed with writes unsent, and M then ] before the merge's
answer came.
"""

from __future__ import annotations

import subprocess
import sys
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
P2 = "toy000/0001__0002"


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

    # 4. undo (Ctrl+Z) takes the split back, on disk; the old error is gone once a write succeeds
    page.keyboard.press("Control+z")
    _saved(page, 4)
    page.wait_for_selector("#banner", state="hidden", timeout=5000)
    assert page.inner_text("#save-state") == "all changes saved"
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


def test_second_tab_on_the_same_pair_rebases_its_edit_on_the_first_tabs(server, browser, toy_root):
    """A real conflict: tab 2 edits a version tab 1 has replaced. Its edit is neither dropped nor
    written over tab 1's: the page loads the pair as it is now and applies the edit again on top."""
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
    _saved(tab2, 2)
    assert tab2.evaluate("document.body.dataset.rebased") == "1"
    st = Workspace(toy_root).current(P1)
    assert st["version"] == 2 and st["state"]["unmatched_a"] == sorted([s1, s2])  # both tabs' edits
    assert sorted(tab2.evaluate("window.__annot.st.view.unmatched_a")) == sorted([s1, s2])
    assert tab2.inner_text("#save-state") == "all changes saved"


def _fg(root, frame: str, n: int) -> list[int]:
    """The ``n`` largest labelled segments of a frame of the toy dataset."""
    t = Dataset.open(root).load_segments("toy000", frame)
    return [int(i) for i in t.ids[np.argsort(-t.area)] if t.label[t.index_of(i)] > 0][:n]


def _assign_all(page, root, pairs: list[tuple[int, int]]) -> None:
    """Assign each (A segment, B segment): click in A, then in B."""
    ds = Dataset.open(root)
    seg_a, seg_b = ds.load_seg("toy000", "0000"), ds.load_seg("toy000", "0001")
    for a, b in pairs:
        _click(page, "a", _inside(seg_a, a))
        _click(page, "b", _inside(seg_b, b))


def _assert_assigned(root, pairs: list[tuple[int, int]], version: int) -> None:
    st = Workspace(root).current(P1)
    assert st["version"] == version  # each write applied once: no more versions than edits
    for a, b in pairs:
        assert [m for m in st["state"]["matches"] if m[0] == a] == [[a, b, "manual", 1.0]]


def _outbox(page) -> int:
    return page.evaluate("window.__annot.outbox.all().then((a) => a.length)")


def _until(page, cond, timeout_s: float = 10.0) -> None:
    """Let Playwright dispatch events (route handlers run then) until ``cond()`` holds."""
    for _ in range(int(timeout_s / 0.02)):
        if cond():
            return
        page.wait_for_timeout(20)
    raise AssertionError("condition not met in time")


def test_an_answer_lost_after_the_commit_loses_no_edit(server, browser, toy_root):
    """The server commits a write but its answer is lost (the connection drops): the page used to
    send it again with the same base, get 409 and drop every queued edit. Now it sends the same write
    (same id) again, the server answers it again without applying it twice, and the rest follow."""
    pairs = list(zip(_fg(toy_root, "0000", 5), _fg(toy_root, "0001", 5)[::-1], strict=True))
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    errors = _open(page, server)
    lost = []

    def drop_first_answer(route):
        if not lost:
            lost.append(route.fetch().status)  # the server gets the write and commits it
            route.abort("connectionreset")  # ...and its answer never reaches the page
        else:
            route.continue_()

    page.route("**/api/pair/**/op", drop_first_answer)
    page.keyboard.press("m")  # nothing selected: an error, out of date once a later edit is saved
    page.wait_for_selector("#banner.error", timeout=5000)
    _assign_all(page, toy_root, pairs)
    _saved(page, 5)
    assert lost == [200]
    _assert_assigned(toy_root, pairs, 5)
    assert load_effort(toy_root, P1)["ops"] == 5  # the write sent twice is counted once
    assert page.inner_text("#save-state") == "all changes saved" and page.is_hidden("#banner")
    assert page.is_hidden("#notice") and _outbox(page) == 0 and errors == []


def _start(root, port: int = 0) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "annotator", str(root), "--port", str(port), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(5):
        line = proc.stdout.readline()
        if line.startswith("open http://"):
            return proc, line.split()[1].rstrip("/")
    proc.kill()
    raise AssertionError(proc.stderr.read())


def _stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(10)
    proc.stdout.close()
    proc.stderr.close()


def test_server_killed_with_writes_pending_loses_no_edit(browser, toy_root):
    """SIGKILL right after the server committed a write, before its answer left; more edits are made
    while it is down (kept in the outbox, the unsaved-changes warning armed); a restarted server on
    the same port gets them all, each applied once."""
    pairs = list(zip(_fg(toy_root, "0000", 5), _fg(toy_root, "0001", 5), strict=True))
    proc, url = _start(toy_root)
    port = int(url.rsplit(":", 1)[1])
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    procs = [proc]
    try:
        _open(page, url)

        def kill_after_commit(route):
            if procs[0].poll() is None and not getattr(page, "_killed", False):
                route.fetch()  # committed on disk
                _stop(procs[0])
                page._killed = True
                route.abort("connectionreset")
            else:
                route.continue_()

        page.route("**/api/pair/**/op", kill_after_commit)
        _assign_all(page, toy_root, pairs)
        page.wait_for_function("window.__annot.queue.offline && window.__annot.queue.pending === 5", timeout=15000)
        assert "server unreachable" in page.inner_text("#save-state")
        assert page.evaluate("window.__annot.unsaved()") == 5 and _outbox(page) == 5
        assert Workspace(toy_root).current(P1)["version"] == 1  # the first write reached the disk
        procs[0], _ = _start(toy_root, port)
        _saved(page, 5)
    finally:
        if procs[0].poll() is None:
            _stop(procs[0])
        page.close()
    _assert_assigned(toy_root, pairs, 5)


def test_closing_the_tab_with_writes_unsent_loses_no_edit(server, browser, toy_root):
    """Edits that never reached the server stay in the browser (IndexedDB); the next page of the
    same browser sends them."""
    segs = _fg(toy_root, "0000", 3)
    seg_a = Dataset.open(toy_root).load_seg("toy000", "0000")
    ctx = browser.new_context(viewport={"width": 1200, "height": 700})
    try:
        page = ctx.new_page()
        _open(page, server)
        page.route("**/api/pair/**/op", lambda route: route.abort("connectionrefused"))  # the server is unreachable
        for sid in segs:
            _click(page, "a", _inside(seg_a, sid))
            page.keyboard.press("n")
        page.wait_for_function("window.__annot.outbox.all().then((a) => a.length === 3)", timeout=10000)
        page.close()
        assert Workspace(toy_root).current(P1)["version"] == 0
        page2 = ctx.new_page()
        _open(page2, server)
        _saved(page2, 3)
        assert "3 edit(s) an earlier page of this browser left unsaved were sent" in page2.inner_text("#banner")
        assert sorted(page2.evaluate("window.__annot.st.view.unmatched_a")) == sorted(segs)
        assert _outbox(page2) == 0
    finally:
        ctx.close()
    assert Workspace(toy_root).current(P1)["state"]["unmatched_a"] == sorted(segs)


def test_merge_then_next_pair_applies_the_answer_to_its_own_pair(server, browser, toy_root):
    """M then ] before the merge's answer came: the answer used to be applied to the pair just opened
    (toolbar and panes showing different pairs, the next edit a 409). Now the next pair opens once
    the merge is answered, at the version the merge gave it, and takes edits without a conflict."""
    p2 = "toy000/0001__0002"
    ds = Dataset.open(toy_root)
    seg_b = ds.load_seg("toy000", "0001")
    m1, m2 = _fg(toy_root, "0001", 2)
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    errors = _open(page, server)
    held = []
    page.route("**/api/pair/**/op", lambda route: held.append(route))  # the merge's answer is late
    _click(page, "b", _inside(seg_b, m1))
    _click(page, "b", _inside(seg_b, m2), "Shift")
    page.keyboard.press("m")
    page.keyboard.press("]")
    _until(page, lambda: bool(held))
    assert page.inner_text("#pair-id") == P1  # the next pair waits for the merge's answer
    held[0].continue_()
    page.unroute("**/api/pair/**/op")
    page.wait_for_selector(f"body[data-loaded='{p2}']", timeout=15000)
    _saved(page, 1)  # the merge in frame 0001 made version 1 of the pair that shows it too
    view = page.evaluate("window.__annot.st.view")
    assert view["id"] == p2 and page.inner_text("#pair-id") == p2
    assert page.inner_text("#pane-a .label span") == "toy000/0001"
    keep, gone = sorted((m1, m2))
    assert gone not in view["frames"]["a"]["segments"]["ids"]  # frame 0001 as merged
    _click(page, "a", _inside(seg_b, keep))
    page.keyboard.press("n")
    _saved(page, 2)
    assert page.evaluate("document.body.dataset.rebased") is None  # no conflict on the next edit
    ws = Workspace(toy_root)
    assert ws.current(P1)["version"] == 1 and ws.current(p2)["state"]["unmatched_a"] == [keep]
    assert errors == []


def test_an_edit_that_no_longer_applies_after_a_conflict_is_listed_not_dropped(server, browser, toy_root):
    """Tab 1 merges two segments; tab 2, still on the old version, marks the merged-away one. Sent
    again on top of the merge, tab 2's edit names a segment that is gone: the page lists it for the
    user to make again (and applies the edit after it) instead of dropping anything silently."""
    seg_a = Dataset.open(toy_root).load_seg("toy000", "0000")
    m1, m2, other_seg = _fg(toy_root, "0000", 3)
    gone = max(m1, m2)  # the merge keeps the smaller id
    tab1, tab2 = browser.new_page(), browser.new_page()
    _open(tab1, server)
    _open(tab2, server)
    _click(tab1, "a", _inside(seg_a, m1))
    _click(tab1, "a", _inside(seg_a, m2), "Shift")
    tab1.keyboard.press("m")
    _saved(tab1, 1)
    _click(tab2, "a", _inside(seg_a, gone))
    tab2.keyboard.press("n")
    _click(tab2, "a", _inside(seg_a, other_seg))
    tab2.keyboard.press("n")
    _saved(tab2, 2)
    tab2.wait_for_selector("#notice", state="visible", timeout=5000)
    listed = tab2.inner_text("#notice-list")
    assert f"mark A {gone} as having no match not applied" in listed and "does not exist" in listed
    st = Workspace(toy_root).current(P1)["state"]
    assert st["unmatched_a"] == [other_seg]  # the edit after it was applied on top of the merge
    assert tab2.evaluate("window.__annot.st.view.unmatched_a") == [other_seg]


@pytest.fixture
def suggest_server(toy_root):
    """A server whose suggester is the stand-in matcher of test_suggest (nearest centroid; confidence
    0.9 for even B ids, 0.3 for odd ones)."""
    from test_suggest import NearestCentroid
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, create_app(toy_root, suggester=NearestCentroid()), threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    t.join(5)


def _to_check(root, t: float, backwards: bool = False) -> tuple[str, int]:
    """The first segment J (Shift+J: ``backwards``) selects from no selection: A's ids then B's (B's
    last first, backwards), unlabelled or with only automatic matches below t, never the background."""
    ws = Workspace(root)
    snap = ws.current(P1)
    st = snap["state"]
    view = ws.view(P1, snap)
    order = (("a", 0), ("b", 1))
    for side, k in order[::-1] if backwards else order:
        ids = ws.table("toy000", snap["frame_ids"][side], int(snap["frames"][side])).ids.tolist()
        for sid in ids[::-1] if backwards else ids:
            edges = [m for m in st["matches"] if m[k] == sid]
            if sid in st[f"unmatched_{side}"] or sid in view["frames"][side]["background"]:
                continue
            if not edges or all(m[2] != "manual" and m[3] < t for m in edges):
                return side, sid
    raise AssertionError("nothing to check")


def test_suggestions_accept_one_key_accept_all_jump_and_annotator_name(suggest_server, browser, toy_root):
    ds = Dataset.open(toy_root)
    seg_a, seg_b = ds.load_seg("toy000", "0000"), ds.load_seg("toy000", "0001")
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    errors = _open(page, suggest_server)
    page.wait_for_selector("body[data-suggestions^='toy000']", timeout=15000)
    # the annotator gives a name in the page (kept in this browser; recorded with every write)
    page.fill("#user", "Ann Tester")
    page.keyboard.press("Enter")
    page.wait_for_function("document.body.dataset.user === 'Ann Tester'")

    # 1. select a B segment, Y: its best suggestion becomes its match (a person accepted it: manual)
    b = _fg(toy_root, "0001", 1)[0]
    _click(page, "b", _inside(seg_b, b))
    page.wait_for_function("s => document.body.dataset.selected === s", arg=f"b{b}")
    assert "suggests A" in page.inner_text("#sugg")
    page.keyboard.press("y")
    _saved(page, 1)
    sugg = {e[1]: e for e in page.evaluate("window.__annot.sugg.edges")}
    st = Workspace(toy_root).current(P1)["state"]
    assert [m for m in st["matches"] if m[1] == b] == [[sugg[b][0], b, "manual", 1.0]]

    # 2. a manual match, then Shift+Y with threshold 0.5: every suggestion >= 0.5 taken (auto, with its
    # confidence), the manual ones kept
    page.keyboard.press("Escape")
    even_b = next(i for i in _fg(toy_root, "0001", 30) if i % 2 == 0 and i != b)
    a = _fg(toy_root, "0000", 1)[0]
    _click(page, "b", _inside(seg_b, even_b))
    _click(page, "a", _inside(seg_a, a))
    _saved(page, 2)
    page.fill("#threshold", "0.5")
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Y")
    _saved(page, 3)
    st = Workspace(toy_root).current(P1)["state"]
    got = {(m[0], m[1], m[3]) for m in st["matches"] if m[2] == "auto"}
    want = {(e[0], e[1], e[2]) for e in sugg.values() if e[2] >= 0.5 and e[1] not in (b, even_b)}
    assert want <= got and [m[2] for m in st["matches"] if m[1] == even_b] == ["manual"]

    # 3. J selects the next segment to check (unlabelled or only low-confidence matches)
    page.keyboard.press("Escape")
    _click(page, "a", _inside(seg_a, a))
    page.keyboard.press("x")  # A `a` unlabelled now
    _saved(page, 4)
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    side, sid = _to_check(toy_root, 0.5)
    page.wait_for_function("s => document.body.dataset.selected === s", arg=f"{side}{sid}")
    # ... and Shift+J walks back from the end (B's last ids first) to a segment whose matches are all
    # automatic and below the threshold: here one Shift+Y took at 0.9, under a threshold of 0.95
    page.fill("#threshold", "0.95")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+J")
    side, sid = _to_check(toy_root, 0.95, backwards=True)
    page.wait_for_function("s => document.body.dataset.selected === s", arg=f"{side}{sid}")
    st = Workspace(toy_root).current(P1)["state"]
    edges = [m for m in st["matches"] if m[0 if side == "a" else 1] == sid]
    assert edges and all(m[2] == "auto" and m[3] < 0.95 for m in edges)  # a low-confidence one, not unlabelled

    # 4. the colorize view chains through the matcher; Y's manual match colors b like its A segment
    page.keyboard.press("p")
    page.wait_for_selector("body[data-colors^='toy000:']", timeout=15000)
    assert page.evaluate("window.__annot.clipColors.matcher") == "fake"
    x, y = _inside(seg_b, b)
    px = page.evaluate("([x, y]) => [...window.__annot.panes.b.ovlCtx.getImageData(x, y, 1, 1).data]", [x, y])
    assert px[:3] == page.evaluate(f"window.__annot.clipColors.frames['0000']['{sugg[b][0]}']")

    # 5. the name is in the history of every operation and in the effort log per person
    users = {v["user"] for v in Workspace(toy_root).history(P1) if v["version"] > 0}
    assert users == {"Ann Tester"}
    assert "Ann Tester" in load_effort(toy_root, P1)["by_user"]
    assert not errors


def test_the_background_is_plain_not_counted_and_j_skips_it_but_it_can_be_matched(server, browser, toy_root):
    """The toy's paper (label -1, touching the border, in no match and no "no match" mark, as a
    rendered pair leaves it) is not hatched, not in the status bar's unlabelled count and not what J
    selects; an unlabelled segment inside the frame still is all three. A click still matches it."""
    ds = Dataset.open(toy_root)
    seg_a, seg_b = ds.load_seg("toy000", "0000"), ds.load_seg("toy000", "0001")
    paper_a, paper_b = int(seg_a[0, 0]), int(seg_b[0, 0])
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    errors = _open(page, server)
    lut = "([s, id]) => window.__annot.st.luts[s][id]"
    hatch = 1  # the LUT value view.js paints as stripes (HATCH)
    assert page.evaluate(lut, ["a", paper_a]) == page.evaluate(lut, ["b", paper_b]) == 0  # plain, not hatched
    # pixel (0, 0) is where the hatching draws a stripe: nothing is painted over the paper there
    assert page.evaluate("[...window.__annot.panes.a.ovlCtx.getImageData(0, 0, 1, 1).data]")[3] == 0
    assert page.evaluate("document.body.dataset.unlabelled") == "0"
    assert "unlabelled A 0 / B 0" in page.inner_text("#counts")
    assert page.evaluate("window.__annot.st.view.frames.a.background") == [paper_a]  # what the server sent
    assert page.evaluate("window.__annot.st.view.frames.b.background") == [paper_b]

    # an interior segment left with no match: hatched, counted, and what J selects (not A's paper, id 1)
    inner = _fg(toy_root, "0000", 1)[0]
    _click(page, "a", _inside(seg_a, inner))
    page.keyboard.press("x")
    _saved(page, 1)
    assert page.evaluate(lut, ["a", inner]) == hatch and paper_a < inner
    assert page.evaluate("window.__annot.st.unlabelledCount('a')") == 1
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.wait_for_function("s => document.body.dataset.selected === s", arg=f"a{inner}")
    assert _to_check(toy_root, 0.7) == ("a", inner)
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+J")  # backwards from B's last id to its first: B's paper is never selected
    page.wait_for_function("document.body.dataset.selected !== ''")
    side, sid = _to_check(toy_root, 0.7, backwards=True)
    assert page.evaluate("document.body.dataset.selected") == f"{side}{sid}" != f"b{paper_b}"

    # chosen explicitly, the background is matched like any segment (and coloured as its group)
    page.keyboard.press("Escape")
    _click(page, "a", _inside(seg_a, paper_a))
    _click(page, "b", _inside(seg_b, paper_b))
    _saved(page, 2)
    st = Workspace(toy_root).current(P1)["state"]
    assert [m for m in st["matches"] if m[0] == paper_a] == [[paper_a, paper_b, "manual", 1.0]]
    assert page.evaluate(lut, ["a", paper_a]) not in (0, hatch)
    assert not errors


def test_colorize_view_a_fix_is_a_match_and_recolors_at_once(server, browser, toy_root):
    ds = Dataset.open(toy_root)
    seg_a, seg_b = ds.load_seg("toy000", "0000"), ds.load_seg("toy000", "0001")
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    errors = _open(page, server)
    page.keyboard.press("p")
    page.wait_for_selector("body[data-colors^='toy000:']", timeout=15000)
    colors = page.evaluate("window.__annot.clipColors.frames['0000']")

    def shown(side, sid):  # the overlay's RGB at the segment's innermost pixel
        x, y = _inside(seg_a if side == "a" else seg_b, sid)
        return page.evaluate("([s, x, y]) => [...window.__annot.panes[s].ovlCtx.getImageData(x, y, 1, 1).data]",
                             [side, x, y])[:3]

    a0 = _fg(toy_root, "0000", 1)[0]
    assert shown("a", a0) == colors[str(a0)]  # A: the reference frame's own colors
    # fix a B segment's color: select it, click an A segment of another color
    b = _fg(toy_root, "0001", 1)[0]
    target = next(a for a in _fg(toy_root, "0000", 30) if colors[str(a)] != shown("b", b))
    _click(page, "b", _inside(seg_b, b))
    _click(page, "a", _inside(seg_a, target))
    assert shown("b", b) == colors[str(target)]  # recolored at once, before the answer
    _saved(page, 1)
    st = Workspace(toy_root).current(P1)["state"]
    assert [m for m in st["matches"] if m[1] == b] == [[target, b, "manual", 1.0]]  # saved as a match
    # the next pair: its frame A is colored through the first pair; Shift+P makes it the reference
    page.keyboard.press("]")
    page.wait_for_selector(f"body[data-loaded='{P2}']", timeout=15000)
    page.wait_for_function(f"window.__annot.clipColors && window.__annot.clipColors.pid === '{P2}'", timeout=15000)
    assert page.evaluate(f"window.__annot.clipColors.frames['0001']['{b}']") == colors[str(target)]
    # the correction is offered here through the chain: J visits that segment of the shared frame
    assert page.evaluate(f"window.__annot.st.view.chain.a.includes({b})")
    visited = []
    for _ in range(60):
        page.keyboard.press("j")
        visited.append(page.evaluate("document.body.dataset.selected"))
        if visited[-1] == f"a{b}":
            break
    assert visited[-1] == f"a{b}", visited
    page.keyboard.press("Shift+P")
    page.wait_for_function("window.__annot.clipColors.ref === '0001'", timeout=15000)
    assert not errors


def test_the_panes_do_not_move_when_the_save_state_or_the_strip_change(server, browser):
    """A click is aimed from the stage's position: text that changes while clicks are on their way
    (the save state going offline, the frame strip filling in, a message) must not move the stages."""
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    _open(page, server)
    page.wait_for_selector("#strip img")
    top = "document.querySelector('#pane-a .stage').getBoundingClientRect().top"
    before = page.evaluate(top)
    page.evaluate("document.querySelector('#save-state').textContent = "
                  "'server unreachable: 55 edit(s) kept in this browser, retrying'")
    page.evaluate("document.querySelector('#strip').replaceChildren()")
    page.evaluate("window.__annot.message('a long message that would wrap: ' + 'x'.repeat(300), true)")
    assert page.evaluate(top) == before


def test_queue_sorts_by_lowest_confidence_and_filters_with_progress(server, browser, toy_root):
    Workspace(toy_root).apply(P2, 0, {"kind": "accept", "side": "b", "edges": [[2, 2, 0.2]], "source": "auto"})
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    errors = _open(page, server)
    page.keyboard.press("q")
    first = "document.querySelector('#queue-list li a') && document.querySelector('#queue-list li a').textContent"
    page.wait_for_function(f"({first}) === '{P1}'")  # dataset order
    page.select_option("#f-sort", "confidence")
    page.wait_for_function(f"({first}) === '{P2}'")  # the pair with a 0.2 match first
    page.select_option("#f-flag", "low")
    page.wait_for_function("document.querySelectorAll('#queue-list li').length === 1")
    assert "min 0.20" in page.inner_text("#queue-list")
    assert page.inner_text("#progress .n") == "0/2"  # P2 is in progress, none done
    assert not errors


def test_a_verdict_that_is_the_reviewers_is_refused_with_a_message_and_the_page_goes_on(server, browser, toy_root):
    """Bob is assigned to review: Alice's Shift+A is refused (403 naming bob), the page says why and
    keeps saving her edits (a bare 403, a missing token, stops its queue); under bob's name it accepts."""
    Workspace(toy_root).assign_pairs([P1], annotator="alice", reviewer="bob")
    seg_a = Dataset.open(toy_root).load_seg("toy000", "0000")
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    errors = _open(page, server)
    page.fill("#user", "alice")
    page.keyboard.press("Enter")
    page.wait_for_function("document.body.dataset.user === 'alice'")
    page.keyboard.press("Shift+A")
    page.wait_for_function("document.querySelector('#banner').textContent.includes('reviewed by')", timeout=15000)
    banner = page.inner_text("#banner")
    assert "set status accepted not applied" in banner and "only they may set it accepted" in banner
    assert page.evaluate("window.__annot.queue.stalled") is None
    _click(page, "a", _inside(seg_a, _fg(toy_root, "0000", 1)[0]))
    page.keyboard.press("n")
    _saved(page, 1)
    assert page.inner_text("#save-state") == "all changes saved"
    page.fill("#user", "bob")
    page.keyboard.press("Enter")
    page.wait_for_function("document.body.dataset.user === 'bob'")
    page.keyboard.press("Shift+A")
    _saved(page, 2)
    assert Workspace(toy_root).current(P1)["state"]["status"] == "accepted"
    assert [v["user"] for v in Workspace(toy_root).history(P1)[:2]] == ["bob", "alice"]
    assert not errors


def test_the_strip_shows_each_frame_once_in_clip_order_when_pairs_skip_frames(browser, tmp_path):
    """Pairs 1 and 2 frames apart (the standard benchmark pairs 1, 3 and 7 apart): the strip used to
    repeat frames in pair order (0000 0001 0000 0002 0001 ...); it shows the clip's frames once, the
    neighbours' pairs between them, and outlines the two frames of a gap pair that is shown."""
    from werkzeug.serving import make_server

    from dataprep.synthetic import ToyConfig, write_toy_dataset

    root = write_toy_dataset(tmp_path / "gaps", clips=1, cfg=ToyConfig(size=128, frames=4), gaps=(1, 2))
    srv = make_server("127.0.0.1", 0, create_app(root), threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{srv.server_port}/#pair=toy000/0000__0002")
        page.wait_for_selector("body[data-loaded='toy000/0000__0002']", timeout=15000)
        page.wait_for_selector("#strip img")
        items = page.evaluate("[...document.querySelectorAll('#strip > *')].map((e) => e.tagName === 'IMG' ? "
                              "e.alt + (e.classList.contains('shown') ? '*' : '') : e.getAttribute('href')"
                              ".split('/')[1] + (e.classList.contains('current') ? '*' : ''))")
        assert items == ["0000*", "0000__0001", "0001", "0001__0002", "0002*", "0002__0003", "0003"]
        page.click("#strip a[href$='0001__0002']")
        page.wait_for_selector("body[data-loaded='toy000/0001__0002']", timeout=15000)
        page.wait_for_selector("#strip a.current[href$='0001__0002']", timeout=15000)
    finally:
        srv.shutdown()
        t.join(5)
