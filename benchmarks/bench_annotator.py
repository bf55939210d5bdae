"""Latency of the annotator on frames of real size: server operations and clicks in Chromium.

Usage:
    python benchmarks/bench_annotator.py [--size 1024] [--data /tmp/annot_bench] [--dataset DATASET]
                                         [--repeats 7] [--json out.json] [--screenshot docs/img/annotator.png]
                                         [--screenshot-only] [--pair CLIP/A__B] [--annotator NAME]

The README's picture of the pair view (a rendered pair of the synthetic benchmark, the dataset
copied to --data first, so its own folder gets no annotations/)::

    python benchmarks/bench_annotator.py --dataset ~/.cache/linecorr/linecorr-synth-v1 \
        --pair c0005-adventurer-s0/0000__0001 --annotator alice --screenshot docs/img/annotator.png --screenshot-only

Without ``--dataset`` a dense synthetic dataset is written to ``--data``: the toy character of
dataprep/synthetic.py at ``--size``² with 40 straight lines drawn across every frame, which cuts it
into a few hundred closed segments per frame (matches from the pixel labels). Printed:

* server: median / max time of each operation (assign, merge, split, bucket fill, brush, erase,
  undo) on one frame, through :class:`annotator.workspace.Workspace` (everything written to disk
  before it returns), each applied then undone ``--repeats`` times;
* browser (headless system Chromium, needs /usr/bin/chromium): time to open the pair (view JSON +
  both label maps decoded), and for clicks that select or assign a segment, the handler time
  (hit-test, local update, repaint of the overlays, measured with performance.now() in the page) and
  the time from the input event to the next animation frame; plus the round trip of a merge from
  the key press to the repainted patch.

Everything runs with one thread for numpy/OpenCV (the machine is shared).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import itertools
import json
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

cv2.setNumThreads(1)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.workspace import Workspace
from dataprep.format import ClipInfo, DatasetWriter, make_producer
from dataprep.pairs import label_pair
from dataprep.segment.closed_lines import connected_segments
from dataprep.segment.labelops import boundary_lines
from dataprep.synthetic import ToyConfig, make_toy_clip

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def dense_dataset(out: Path, size: int, cuts: int = 40, frames: int = 2, seed: int = 0) -> Path:
    """A toy clip whose frames are cut by ``cuts`` fixed straight lines into hundreds of segments."""
    rng = np.random.default_rng(seed)
    toy, _ = make_toy_clip(ToyConfig(size=size, frames=frames, seed=seed))
    lines = rng.integers(0, size, size=(cuts, 4))
    w = DatasetWriter(out, name="annot-bench", producer=make_producer("bench", {"size": size, "cuts": cuts}),
                      overwrite=True)
    clip, fids, tables = "dense", [f"{k:04d}" for k in range(frames)], {}
    w.begin_clip(clip)
    # cell id: which side of each cut a pixel lies on (same for every frame: cuts are fixed in the image)
    yy, xx = np.mgrid[0:size, 0:size]
    cell = np.zeros((size, size), np.int64)
    for x0, y0, x1, y1 in lines:
        side = (x1 - x0) * (yy - y0) - (y1 - y0) * (xx - x0) > 0
        cell = cell * 2 % 1000003 + side
    inks, labs = [], []
    for fr in toy:
        ink = (fr.line < 128) | boundary_lines(cell)
        inks.append(ink)
        # pixel label = (part, cell); -1 on the background and the lines
        labs.append(np.where((fr.labels > 0) & ~ink, fr.labels.astype(np.int64) * 1000003 + cell, -1))
    # numbered compactly over the whole clip, so one label means the same region in every frame
    u, inv = np.unique(np.stack(labs), return_inverse=True)
    all_labels = inv.reshape(len(labs), size, size).astype(np.int32) - (1 if u[0] == -1 else 0)
    for fid, fr, ink, labels in zip(fids, toy, inks, all_labels, strict=True):
        seg = connected_segments(ink)
        color = fr.color.copy()
        color[ink] = 0
        line = np.where(ink, 0, 255).astype(np.uint8)
        tables[fid] = w.write_frame(clip, fid, line=line, seg=seg, color=color, labels=labels)
    for fa, fb in itertools.pairwise(fids):
        w.write_pair(label_pair(clip, fa, fb, tables[fa], tables[fb], source="auto", gap=1))
    w.finish_clip(ClipInfo(clip, fids, size, size, has_color=True, has_labels=True, source={"kind": "bench"}))
    w.set_splits({"test": [clip]})
    return Path(w.commit())


def _stats(xs: list[float]) -> dict:
    return {"median_ms": round(statistics.median(xs), 1), "max_ms": round(max(xs), 1), "n": len(xs)}


def bench_server(root: Path, repeats: int) -> dict:
    """Each operation applied and undone ``repeats`` times on the first pair."""
    ws = Workspace(root)
    pid = ws.pair_ids[0]
    clip = pid.split("/")[0]
    fa = ws.current(pid)["frame_ids"]["a"]
    t = ws.table(clip, fa, 0)
    seg = ws.seg(clip, fa, 0)
    order = np.argsort(-t.area)
    big = [int(t.ids[i]) for i in order if t.label[i] >= 0][:12]  # the largest parts of the character
    fb_ids = ws.table(clip, ws.current(pid)["frame_ids"]["b"], 0).ids
    # a split stroke across the middle of the largest labelled segment, a bucket click inside it
    sid = big[0]
    x, y, w, h = t.bbox[t.index_of(sid)].tolist()
    d = cv2.distanceTransform((seg == sid).astype(np.uint8), cv2.DIST_L2, 3)
    cy, cx = np.unravel_index(np.argmax(d), d.shape)
    ops = {
        "assign": {"kind": "assign", "side": "a", "seg": big[1], "targets": [int(fb_ids[3])]},
        "merge": {"kind": "merge", "side": "a", "ids": big[1:3]},
        "split": {"kind": "split", "side": "a", "seg": sid, "points": [[x - 2, int(cy)], [x + w + 2, int(cy)]], "width": 1},
        "bucket": {"kind": "bucket", "side": "a", "x": int(cx), "y": int(cy), "radius": 2},
        "brush": {"kind": "brush", "side": "a", "points": [[int(cx), y - 2], [int(cx), y + h + 2]], "width": 2},
        "erase": {"kind": "erase", "side": "a", "points": [[x - 3, int(cy)], [x + w + 3, int(cy)]], "width": 6},
    }
    # The bucket changes something only where the label map disagrees with the line art: merge the
    # segment with its neighbour across a line first (a leak), then the bucket separates them again.
    ring = cv2.dilate((seg == sid).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    near = seg[ring & (seg != sid) & (seg > 0)]
    leak = {"kind": "merge", "side": "a", "ids": [sid, int(np.bincount(near).argmax())]}
    out, undo_t = {}, []
    for name, op in ops.items():
        times = []
        for _ in range(repeats):
            if name == "bucket":
                ws.apply(pid, ws.current(pid)["version"], leak)
            v = ws.current(pid)["version"]
            t0 = time.perf_counter()
            r = ws.apply(pid, v, op)
            times.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            r = ws.undo(pid, r["pair"]["version"])
            undo_t.append((time.perf_counter() - t0) * 1000)
            if name == "bucket":
                ws.undo(pid, r["pair"]["version"])
        out[name] = _stats(times)
    out["undo"] = _stats(undo_t)
    return out


def _serve(root: Path, suggest: str | None = None, annotator: str | None = None):
    from werkzeug.serving import make_server

    from annotator.server import create_app
    from annotator.suggest import load_suggester

    app = create_app(root, suggester=load_suggester(suggest) if suggest else None, annotator=annotator)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_port}"


def bench_browser(root: Path, clicks: int, suggest: str | None = None) -> dict:
    import logging

    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    ws = Workspace(root)
    pid = ws.pair_ids[0]
    clip = pid.split("/")[0]
    snap = ws.current(pid)
    maps = {s: ws.seg(clip, snap["frame_ids"][s], snap["frames"][s]) for s in "ab"}
    tables = {s: ws.table(clip, snap["frame_ids"][s], snap["frames"][s]) for s in "ab"}
    rng = np.random.default_rng(1)
    srv, url = _serve(root, suggest)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1600, "height": 900})
            t0 = time.perf_counter()
            page.goto(f"{url}/#pair={pid}")
            page.wait_for_selector(f"body[data-loaded='{pid}']", timeout=60000)
            load_ms = (time.perf_counter() - t0) * 1000
            sugg_ms = None
            if suggest:  # the suggester runs once per pair (then cached): from the pair shown to suggestions there
                page.wait_for_function("document.body.dataset.suggestions && document.body.dataset.suggestions !== 'loading'",
                                       timeout=300000)
                sugg_ms = (time.perf_counter() - t0) * 1000 - load_ms

            def point(side):
                t = tables[side]
                sid = int(rng.choice(t.ids[t.area > 50]))
                ys, xs = np.nonzero(maps[side] == sid)
                k = rng.integers(len(xs))
                return page.evaluate("([s, x, y]) => window.__annot.screenPoint(s, x, y)", [side, int(xs[k]), int(ys[k])])

            for i in range(clicks):  # alternate: select in A, assign in B (a local match edit + repaint)
                pa, pb = point("a"), point("b")
                page.mouse.click(pa["x"], pa["y"])
                page.mouse.click(pb["x"], pb["y"])
            page.wait_for_function("window.__annot.queue.pending === 0", timeout=60000)
            if suggest:  # select a B segment (its suggestion is shown), Y accepts it; J jumps
                for _ in range(clicks):
                    page.keyboard.press("Escape")
                    pb = point("b")
                    page.mouse.click(pb["x"], pb["y"])
                    page.keyboard.press("y")
                    page.keyboard.press("j")
                page.wait_for_function("window.__annot.queue.pending === 0", timeout=60000)
            perf = page.evaluate("window.__annot.perf")
            # a merge: key press -> server -> patch decoded -> overlay repainted
            page.keyboard.press("Escape")
            pa, pa2 = point("a"), point("a")
            page.mouse.click(pa["x"], pa["y"])
            page.keyboard.down("Shift")
            page.mouse.click(pa2["x"], pa2["y"])
            page.keyboard.up("Shift")
            n_ops = page.evaluate("window.__annot.opTimes.length")
            t0 = time.perf_counter()
            page.keyboard.press("m")
            page.wait_for_function(f"window.__annot.opTimes.length > {n_ops}", timeout=60000)
            merge_ms = (time.perf_counter() - t0) * 1000
            b.close()
    finally:
        srv.shutdown()
    sel = [q for q in perf if q["kind"] == "select"]
    asg = [q for q in perf if q["kind"] == "assign"]
    extra = {}
    if suggest:
        extra["suggestions_ready_ms"] = round(sugg_ms, 1)
        for kind in ("accept_suggestion", "jump"):
            ks = [q for q in perf if q["kind"] == kind]
            if ks:
                extra[f"{kind}_key_handler"] = _stats([q["handler_ms"] for q in ks])
                extra[f"{kind}_key_to_frame"] = _stats([q["frame_ms"] for q in ks])
    return {**extra, "open_pair_ms": round(load_ms, 1),
            "select_click_handler": _stats([q["handler_ms"] for q in sel]),
            "select_click_to_frame": _stats([q["frame_ms"] for q in sel]),
            "assign_click_handler": _stats([q["handler_ms"] for q in asg]),
            "assign_click_to_frame": _stats([q["frame_ms"] for q in asg]),
            "merge_keypress_to_repaint_ms": round(merge_ms, 1)}


def _gt(ws: Workspace, pid: str) -> dict:
    """Ground truth of a pair of the dense set, where it is defined: labelled B segments -> their A
    segments (empty: "no match"), and the labelled A segments that have no match."""
    clip = pid.split("/")[0]
    snap = ws.current(pid)
    ta, tb = (ws.table(clip, snap["frame_ids"][s], 0) for s in "ab")
    la, lb = ta.label_of(), tb.label_of()
    by_label: dict[int, set[int]] = {}
    for a, lab in la.items():
        if lab >= 0:
            by_label.setdefault(lab, set()).add(a)
    b_to = {b: by_label.get(lab, set()) for b, lab in lb.items() if lab >= 0}
    labels_b = {lab for lab in lb.values() if lab >= 0}
    a_none = {a for a, lab in la.items() if lab >= 0 and lab not in labels_b}
    return {"b": b_to, "a_none": a_none}


def _wrong(st: dict, gt: dict) -> tuple[list[int], list[int]]:
    """Labelled B segments whose matches differ from the ground truth; A segments to mark "no match"."""
    by_b: dict[int, set[int]] = {}
    for a, b, _, _ in st["matches"]:
        by_b.setdefault(b, set()).add(a)
    ub, ua = set(st["unmatched_b"]), set(st["unmatched_a"])
    wrong_b = [b for b, want in gt["b"].items() if by_b.get(b, set()) != want or (not want and b not in ub)]
    matched_a = {m[0] for m in st["matches"]}
    wrong_a = [a for a in sorted(gt["a_none"]) if a in matched_a or a not in ua]
    return sorted(wrong_b), wrong_a


def automatic_labels(root: Path, method: str) -> None:
    """Replace every pair's matches in the dataset by ``method``'s (source ``auto``, its
    confidence): the automatic labels the study starts from. The ground truth stays in the labels."""
    import dataclasses

    from annotator.suggest import check_edges, load_suggester
    from dataprep.format import Dataset
    from dataprep.format.atomic import atomic_write_json
    from dataprep.format.schema import Match

    ds = Dataset.open(root)
    ws = Workspace(root)
    s = load_suggester(method)
    for pid in ds.pair_ids():
        pair = ds.load_pair(pid)
        fa, fb = ws.matcher_frame(pair.clip, pair.frame_a, 0), ws.matcher_frame(pair.clip, pair.frame_b, 0)
        edges = check_edges(s.suggest(fa, fb), set(fa.segments.ids.tolist()), set(fb.segments.ids.tolist()))
        pair = dataclasses.replace(pair, matches=[Match(a, b, "auto", c) for a, b, c in edges],
                                   unmatched_a=[], unmatched_b=[])
        atomic_write_json(root / "pairs" / pair.clip / f"{pair.frame_a}__{pair.frame_b}.json", pair.to_json())


def scripted_session(root: Path, pid: str, suggest: str | None, accept_all: float | None) -> dict:
    """Correct one pair until it equals its ground truth, as a scripted annotator of AnT's user study.

    Without suggestions, each wrong labelled B segment costs a click to select it, then a click on
    each of its A segments (the first replaces its matches, Shift+click adds the others), or the
    N key when it has none; each A segment that should be "no match" a click and N. With
    suggestions: first Shift+Y (every suggestion at or above ``accept_all``, when given), then for a
    wrong B segment whose best suggestion is its whole answer: a click and Y; otherwise as without.
    Every operation goes through the server's Workspace (checked, written to disk). Returns the
    interactions (clicks + keys, AnT's Table 4), the operations and the seconds the script took.
    """
    from annotator.suggest import SuggestionCache, load_suggester

    ws = Workspace(root)
    gt = _gt(ws, pid)
    clicks = keys = n_ops = 0
    t0 = time.perf_counter()
    v = ws.current(pid)["version"]

    def op(o: dict) -> None:
        nonlocal v, n_ops
        v = ws.apply(pid, v, o)["pair"]["version"]
        n_ops += 1

    best: dict[int, tuple[int, float]] = {}
    by = None
    if suggest:
        cache = SuggestionCache(load_suggester(suggest))
        by = cache.suggester.name  # what the page records: the provider's name, not its argument
        edges = ws.suggestions(pid, cache)["edges"]
        for a, b, c in edges:  # highest first: the first edge of a B segment is its best
            best.setdefault(b, (a, c))
        if accept_all is not None:
            keys += 1
            take = [e for e in edges if e[2] >= accept_all]
            if take:
                op({"kind": "accept", "side": "b", "edges": take, "source": "auto", "by": by,
                    "replace_manual": False})
    wrong_b, _ = _wrong(ws.current(pid)["state"], gt)
    for b in wrong_b:
        want = sorted(gt["b"][b])
        clicks += 1  # select b
        if b in best and want == [best[b][0]]:
            keys += 1
            op({"kind": "accept", "side": "b", "edges": [[best[b][0], b, best[b][1]]], "source": "manual",
                "by": by})
        elif not want:
            keys += 1
            op({"kind": "no_match", "side": "b", "seg": b})
        else:
            for i, a in enumerate(want):
                clicks += 1
                op({"kind": "assign", "side": "b", "seg": b, "targets": [a], "replace": i == 0})
    for a in _wrong(ws.current(pid)["state"], gt)[1]:
        clicks += 1
        keys += 1
        op({"kind": "no_match", "side": "a", "seg": a})
    left = _wrong(ws.current(pid)["state"], gt)
    assert not left[0] and not left[1], f"{pid}: still wrong after the session: {left}"
    return {"interactions": clicks + keys, "clicks": clicks, "keys": keys, "ops": n_ops,
            "seconds": round(time.perf_counter() - t0, 2), "wrong_at_start": None}


def bench_effort(data: Path, size: int, frames: int, start: str, suggest: str, accept_all: float) -> dict:
    """AnT's user study, scripted: the same pairs corrected from ``start``'s automatic labels without
    suggestions, with ``suggest``'s (Y per segment), and with Shift+Y at ``accept_all`` first."""
    base = dense_dataset(data / "base", size, frames=frames)
    automatic_labels(base, start)
    out: dict = {"start": f"auto:{start}", "suggester": suggest, "accept_all": accept_all, "pairs": {}}
    conditions = {"without": (None, None), "suggest": (suggest, None), "suggest+accept_all": (suggest, accept_all)}
    for cond, (sg, t) in conditions.items():
        root = data / cond
        if root.exists():
            shutil.rmtree(root)
        shutil.copytree(base, root)
        ws = Workspace(root)
        for pid in ws.pair_ids:
            wrong = _wrong(ws.current(pid)["state"], _gt(ws, pid))
            res = scripted_session(root, pid, sg, t)
            res["wrong_at_start"] = {"b": len(wrong[0]), "a": len(wrong[1]), "labelled_b": len(_gt(ws, pid)["b"])}
            out["pairs"].setdefault(pid, {})[cond] = res
    tot = {c: {k: sum(p[c][k] for p in out["pairs"].values()) for k in ("interactions", "clicks", "keys", "ops")}
           for c in conditions}
    for c in conditions:
        tot[c]["seconds"] = round(sum(p[c]["seconds"] for p in out["pairs"].values()), 2)
    out["total"] = tot
    return out


def _drawn_box(ws: Workspace, clip: str, snap: dict, margin: int = 16) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` around the labelled segments (the character, not the background) of both
    frames of a pair, with a margin; None when there are none."""
    boxes = []
    for side, fid in snap["frame_ids"].items():
        t = ws.table(clip, fid, int(snap["frames"][side]))
        keep = t.label >= 0
        if keep.any():
            x, y, w, h = t.bbox[keep].T  # bbox columns: x, y, w, h
            boxes.append((x.min(), y.min(), (x + w).max(), (y + h).max()))
    if not boxes:
        return None
    b = np.array(boxes)
    info = ws.clip(clip)
    return (max(0, int(b[:, 0].min()) - margin), max(0, int(b[:, 1].min()) - margin),
            min(info.width, int(b[:, 2].max()) + margin), min(info.height, int(b[:, 3].max()) + margin))


def screenshot(root: Path, out: Path, suggest: str | None = None, pid: str | None = None,
               annotator: str | None = None) -> None:
    """A screenshot of the pair view of pair ``pid`` (default the first), with a segment selected and
    another hovered (with ``suggest``: a B segment selected, its suggestion shown, the footer naming
    it); ``annotator``: the name in the page. Saved as a 256-colour PNG (docs stay small)."""
    from PIL import Image
    from playwright.sync_api import sync_playwright

    ws = Workspace(root)
    pid = pid or ws.pair_ids[0]
    ws.check_pair(pid)
    clip = pid.split("/")[0]
    snap = ws.current(pid)
    t = ws.table(clip, snap["frame_ids"]["a"], snap["frames"]["a"])
    seg = ws.seg(clip, snap["frame_ids"]["a"], snap["frames"]["a"])
    fg = [int(i) for i in t.ids[np.argsort(-t.area)] if t.label[t.index_of(i)] >= 0][1:4]
    side = "b" if suggest else "a"
    if suggest:  # a B segment whose best suggestion is not its match yet: the magenta highlight shows
        t = ws.table(clip, snap["frame_ids"]["b"], snap["frames"]["b"])
        seg = ws.seg(clip, snap["frame_ids"]["b"], snap["frames"]["b"])
        fg = [int(i) for i in t.ids[np.argsort(-t.area)] if t.label[t.index_of(i)] >= 0][1:40]
    srv, url = _serve(root, suggest, annotator)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1400, "height": 760})
            page.goto(f"{url}/#pair={pid}")
            page.wait_for_selector(f"body[data-loaded='{pid}']", timeout=60000)
            # the frame strip fills in after the pair shows: its thumbnails in view loaded
            page.wait_for_selector("#strip img", timeout=60000)
            page.wait_for_function("[...document.querySelectorAll('#strip img')].filter((i) => "
                                   "i.getBoundingClientRect().left < innerWidth).every((i) => i.complete && "
                                   "i.naturalWidth > 0)", timeout=60000)
            if suggest:
                page.wait_for_function("document.body.dataset.suggestions && document.body.dataset.suggestions "
                                       "!== 'loading'", timeout=300000)
                have = page.evaluate("[...window.__annot.sugg.by.b.entries()].filter(([b, l]) => "
                                     "!window.__annot.st.matchesOf('b', b).has(l[0][0])).map(([b]) => b)")
                fg = [i for i in fg if i in set(have)][:2] or fg
            else:  # zoom on what is drawn (a rendered character is small in its frame), in both frames
                box = _drawn_box(ws, clip, snap)
                if box is not None:
                    x0, y0, x1, y1 = box
                    w, h = page.evaluate("(() => { const r = window.__annot.panes.a.stage.getBoundingClientRect(); "
                                         "return [r.width, r.height]; })()")
                    page.evaluate("([x, y, s]) => window.__annot.view.centre(x, y, s)",
                                  [(x0 + x1) / 2, (y0 + y1) / 2, 0.95 * min(w / (x1 - x0), h / (y1 - y0))])
            pts = []
            for sid in fg[:2]:
                d = cv2.distanceTransform((seg == sid).astype(np.uint8), cv2.DIST_L2, 3)
                y, x = np.unravel_index(np.argmax(d), d.shape)
                pts.append(page.evaluate("([s, x, y]) => window.__annot.screenPoint(s, x, y)", [side, int(x), int(y)]))
            page.mouse.click(pts[0]["x"], pts[0]["y"])
            if not suggest:
                page.mouse.move(pts[1]["x"], pts[1]["y"])
            else:  # zoom in on the selection, so its highlight and the suggestion read at this size
                c = t.centroid[t.index_of(fg[0])].tolist()
                page.evaluate("([x, y]) => window.__annot.view.centre(x, y, 1.6)", c)
            page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            b.close()
    finally:
        srv.shutdown()
    Image.open(out).convert("RGB").quantize(256).save(out, optimize=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024, help="frame size of the synthetic dataset (default 1024)")
    ap.add_argument("--data", default="/tmp/annot_bench", help="where the synthetic dataset is written")
    ap.add_argument("--dataset", help="benchmark this dataset instead (a copy is edited)")
    ap.add_argument("--repeats", type=int, default=7, help="repetitions of each server operation")
    ap.add_argument("--clicks", type=int, default=20, help="select+assign click pairs in the browser")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--screenshot", help="save a screenshot of the pair view (of --dataset) to this PNG")
    ap.add_argument("--screenshot-only", action="store_true", help="stop after the screenshot (no figures)")
    ap.add_argument("--pair", help="the pair the screenshot shows (default: the dataset's first)")
    ap.add_argument("--annotator", help="the annotator's name the screenshot's page shows")
    ap.add_argument("--suggest", help="serve suggestions of this provider in the browser figures "
                                      "(adds select+Y+J key timings), e.g. nearest-aligned")
    ap.add_argument("--effort", action="store_true",
                    help="run the scripted effort study instead (with and without suggestions, same pairs)")
    ap.add_argument("--frames", type=int, default=4, help="frames of the effort study's clip (pairs = frames - 1)")
    ap.add_argument("--start", default="hungarian-features", help="automatic labels the effort study starts from")
    ap.add_argument("--accept-all", type=float, default=0.9, help="the effort study's Shift+Y threshold")
    args = ap.parse_args()
    if args.effort:
        suggest = args.suggest or "nearest-aligned"
        res = bench_effort(Path(args.data), args.size, args.frames, args.start, suggest, args.accept_all)
        print(json.dumps(res, indent=1))
        if args.json:
            Path(args.json).write_text(json.dumps(res, indent=1) + "\n")
        return 0
    data = Path(args.data)
    if args.dataset:
        if data.exists():
            shutil.rmtree(data)
        shutil.copytree(args.dataset, data, ignore=shutil.ignore_patterns("annotations"))
        root = data
    else:
        root = dense_dataset(data, args.size)
    ws = Workspace(root)
    pid = ws.pair_ids[0]
    info = ws.clip(pid.split("/")[0])
    n = [len(ws.table(info.id, f, 0)) for f in ws.current(pid)["frame_ids"].values()]
    res = {"dataset": str(root), "frame": f"{info.width}x{info.height}", "segments": n}
    if args.screenshot:
        screenshot(root, Path(args.screenshot), args.suggest, args.pair, args.annotator)
        print(f"wrote {args.screenshot}")
        if args.screenshot_only:
            return 0
    res["server"] = bench_server(root, args.repeats)
    if os.path.exists(CHROMIUM):
        res["browser"] = bench_browser(root, args.clicks, args.suggest)
    else:
        print(f"(no {CHROMIUM}: browser figures skipped)", file=sys.stderr)
    print(json.dumps(res, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
