"""Latency of the annotator on frames of real size: server operations and clicks in Chromium.

Usage:
    python benchmarks/bench_annotator.py [--size 1024] [--data /tmp/annot_bench] [--dataset DATASET]
                                         [--repeats 7] [--json out.json] [--screenshot docs/img/annotator.png]

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
    for fid, fr in zip(fids, toy):
        # cell id: which side of each cut a pixel lies on (same for every frame: cuts are fixed in the image)
        yy, xx = np.mgrid[0:size, 0:size]
        cell = np.zeros((size, size), np.int64)
        for k, (x0, y0, x1, y1) in enumerate(lines):
            side = (x1 - x0) * (yy - y0) - (y1 - y0) * (xx - x0) > 0
            cell = cell * 2 % 1000003 + side
        ink = (fr.line < 128) | boundary_lines(cell)
        seg = connected_segments(ink)
        # pixel label = (part, cell), numbered compactly; -1 on the background and the lines
        lab = np.where((fr.labels > 0) & ~ink, fr.labels.astype(np.int64) * 1000003 + cell, -1)
        u, inv = np.unique(lab, return_inverse=True)
        labels = inv.reshape(lab.shape).astype(np.int32) - (1 if u[0] == -1 else 0)
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


def _serve(root: Path):
    from werkzeug.serving import make_server

    from annotator.server import create_app

    srv = make_server("127.0.0.1", 0, create_app(root), threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_port}"


def bench_browser(root: Path, clicks: int) -> dict:
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
    srv, url = _serve(root)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1600, "height": 900})
            t0 = time.perf_counter()
            page.goto(f"{url}/#pair={pid}")
            page.wait_for_selector(f"body[data-loaded='{pid}']", timeout=60000)
            load_ms = (time.perf_counter() - t0) * 1000

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
    return {"open_pair_ms": round(load_ms, 1),
            "select_click_handler": _stats([q["handler_ms"] for q in sel]),
            "select_click_to_frame": _stats([q["frame_ms"] for q in sel]),
            "assign_click_handler": _stats([q["handler_ms"] for q in asg]),
            "assign_click_to_frame": _stats([q["frame_ms"] for q in asg]),
            "merge_keypress_to_repaint_ms": round(merge_ms, 1)}


def screenshot(root: Path, out: Path) -> None:
    """A screenshot of the pair view of the first pair, with a segment selected and another hovered."""
    from playwright.sync_api import sync_playwright

    ws = Workspace(root)
    pid = ws.pair_ids[0]
    clip = pid.split("/")[0]
    snap = ws.current(pid)
    t = ws.table(clip, snap["frame_ids"]["a"], snap["frames"]["a"])
    seg = ws.seg(clip, snap["frame_ids"]["a"], snap["frames"]["a"])
    fg = [int(i) for i in t.ids[np.argsort(-t.area)] if t.label[t.index_of(i)] >= 0][1:4]
    srv, url = _serve(root)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1500, "height": 820})
            page.goto(f"{url}/#pair={pid}")
            page.wait_for_selector(f"body[data-loaded='{pid}']", timeout=60000)
            pts = []
            for sid in fg[:2]:
                d = cv2.distanceTransform((seg == sid).astype(np.uint8), cv2.DIST_L2, 3)
                y, x = np.unravel_index(np.argmax(d), d.shape)
                pts.append(page.evaluate("([x, y]) => window.__annot.screenPoint('a', x, y)", [int(x), int(y)]))
            page.mouse.click(pts[0]["x"], pts[0]["y"])
            page.mouse.move(pts[1]["x"], pts[1]["y"])
            page.wait_for_timeout(300)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            b.close()
    finally:
        srv.shutdown()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024, help="frame size of the synthetic dataset (default 1024)")
    ap.add_argument("--data", default="/tmp/annot_bench", help="where the synthetic dataset is written")
    ap.add_argument("--dataset", help="benchmark this dataset instead (a copy is edited)")
    ap.add_argument("--repeats", type=int, default=7, help="repetitions of each server operation")
    ap.add_argument("--clicks", type=int, default=20, help="select+assign click pairs in the browser")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--screenshot", help="save a screenshot of the pair view (of --dataset) to this PNG")
    args = ap.parse_args()
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
        screenshot(root, Path(args.screenshot))
        print(f"wrote {args.screenshot}")
    res["server"] = bench_server(root, args.repeats)
    if os.path.exists(CHROMIUM):
        res["browser"] = bench_browser(root, args.clicks)
    else:
        print(f"(no {CHROMIUM}: browser figures skipped)", file=sys.stderr)
    print(json.dumps(res, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
