"""Suggestions in the loop (issue #19, point 7) and who did what (point 9), server side: the accept
operation, the provider registry and its entry points, the suggest route, the queue's confidence and
unlabelled sorting and filters, annotator names in history and effort, assignments."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("flask")

from annotator import ops
from annotator.server import create_app
from annotator.suggest import available_suggesters, load_suggester, pair_stats
from annotator.workspace import Workspace
from dataprep.errors import LinecorrError
from dataprep.format import Dataset

P1, P2 = "toy000/0000__0001", "toy000/0001__0002"


class NearestCentroid:
    """A stand-in matcher: each B segment -> the A segment with the nearest centroid; confidence 0.9
    for even B ids, 0.3 for odd ones. Records whether it was shown labels."""

    name = "fake"

    def __init__(self) -> None:
        self.calls = 0
        self.saw_labels = False

    def suggest(self, fa, fb) -> np.ndarray:
        self.calls += 1
        self.saw_labels |= fa.labels is not None or bool((fa.segments.label >= 0).any())
        ca, cb = fa.segments.centroid, fb.segments.centroid
        d = ((cb[:, None, :] - ca[None, :, :]) ** 2).sum(-1)
        best = d.argmin(1)
        return np.array([[fa.segments.ids[j], b, 0.9 if b % 2 == 0 else 0.3]
                         for b, j in zip(fb.segments.ids.tolist(), best.tolist(), strict=True)], float)


def test_accept_replaces_a_segments_edges_and_keeps_manual_ones_when_asked():
    st = ops.PairState(((1, 1, "render", 1.0), (2, 2, "manual", 1.0), (3, 3, "pseudo", 0.4)), (5,), ())
    new = ops.accept(st, "b", [(7, 1, 0.8), (9, 2, 0.9), (5, 4, 0.6)], "auto", replace_manual=False)
    assert (7, 1, "auto", 0.8) in new.matches and (1, 1, "render", 1.0) not in new.matches
    assert (2, 2, "manual", 1.0) in new.matches and (9, 2, "auto", 0.9) not in new.matches  # a person's edit wins
    assert new.unmatched_a == ()  # accepted A 5 is matched now
    forced = ops.accept(st, "b", [(9, 2, 0.9)], "manual")  # one segment, accepted by a person: checked
    assert [m for m in forced.matches if m[1] == 2] == [(9, 2, "manual", 1.0)]


def test_pair_stats_counts_low_confidence_and_unlabelled():
    state = {"matches": [[1, 1, "pseudo", 0.2], [2, 2, "manual", 1.0], [3, 3, "pseudo", 0.9]],
             "unmatched_a": [4], "unmatched_b": []}
    s = pair_stats(state, [1, 2, 3, 4, 5], [1, 2, 3, 6], low=0.5)
    assert s == {"min_conf": 0.2, "low": 1, "unlabelled": 2, "unlabelled_a": 1, "unlabelled_b": 1}


def test_the_benchmarks_matchers_are_found_through_entry_points():
    names = available_suggesters()
    assert {"nearest-aligned", "hungarian-features", "lightglue-vote", "ant"} <= set(names)
    with pytest.raises(LinecorrError, match="unknown suggestion provider 'nope'"):
        load_suggester("nope")
    with pytest.raises(LinecorrError, match="ant:PATH"):
        load_suggester("ant")


@pytest.mark.parametrize("name", ["nearest-aligned", "hungarian-features"])
def test_a_baseline_suggests_on_the_pair_as_edited(toy_root, name):
    # these baselines need no torch: the whole path, entry point to edges on the page
    client = create_app(toy_root, suggester=load_suggester(name)).test_client()
    body = client.get(f"/api/pair/{P1}/suggest").get_json()
    assert body["name"] == name and body["versions"] == {"a": 0, "b": 0}
    edges = body["edges"]
    assert edges and all(0 < c <= 1 for _, _, c in edges)
    assert [c for _, _, c in edges] == sorted((c for _, _, c in edges), reverse=True)


SHIFT = (14, 9)  # (dx, dy) of the translated frame


def _translated_pair(out) -> tuple:
    """A one-pair dataset whose frame B is frame A moved by :data:`SHIFT` (every layer, exactly), its
    segment ids shuffled (so that a matcher mixing up A's ids and B's is caught). Returns the
    dataset's path and ``{B segment id: the A segment it is}``."""
    from dataprep.format import ClipInfo, DatasetWriter, make_producer
    from dataprep.pairs import label_pair
    from dataprep.synthetic import ToyConfig, make_toy_clip

    size, (dx, dy) = 192, SHIFT
    fr = make_toy_clip(ToyConfig(size=size, frames=1, seed=3))[0][0]
    # np.roll wraps: the strips it wraps round are background, so B is A translated with nothing cut off
    assert (fr.labels[:, -dx:] == -1).all() and (fr.labels[-dy:, :] == -1).all()
    layers = {"line": fr.line, "seg": fr.seg, "color": fr.color, "labels": fr.labels}
    moved = {k: np.roll(v, (dy, dx), axis=(0, 1)) for k, v in layers.items()}
    shuffle = np.concatenate([[0], np.random.default_rng(0).permutation(int(fr.seg.max())) + 1])  # 0: line
    moved["seg"] = shuffle[moved["seg"]].astype(np.int32)
    w = DatasetWriter(out, name="shifted", producer=make_producer("test", {"shift": list(SHIFT)}))
    w.begin_clip("shift")
    tables = {fid: w.write_frame("shift", fid, **layer) for fid, layer in (("0000", layers), ("0001", moved))}
    w.write_pair(label_pair("shift", "0000", "0001", tables["0000"], tables["0001"], source="auto"))
    w.finish_clip(ClipInfo("shift", ["0000", "0001"], size, size, has_color=True, has_labels=True,
                           source={"kind": "test"}))
    w.set_splits({"test": ["shift"]})
    root = Path(w.commit())
    ds = Dataset.open(root)
    seg_a, seg_b = ds.load_seg("shift", "0000"), ds.load_seg("shift", "0001")
    a_moved = np.roll(seg_a, (dy, dx), axis=(0, 1))  # A's ids where B's segments are
    truth = {int(b): int(a_moved[seg_b == b][0]) for b in ds.load_segments("shift", "0001").ids}
    assert all((a_moved[seg_b == b] == a).all() for b, a in truth.items())  # one A segment under each B segment
    assert sum(a == b for b, a in truth.items()) < len(truth) / 4  # the ids tell nothing
    return root, truth


def test_lightglue_vote_suggests_the_true_segments_of_a_translated_frame(tmp_path):
    """``--suggest lightglue-vote`` through its entry point and the suggest route (the frames as a
    matcher sees them, no labels): on a frame and its exact translation, the best suggestion of
    nearly every B segment is the segment it was moved from."""
    pytest.importorskip("torch")
    pytest.importorskip("kornia")
    root, truth = _translated_pair(tmp_path / "shifted")
    client = create_app(root, suggester=load_suggester("lightglue-vote")).test_client()
    r = client.get("/api/pair/shift/0000__0001/suggest")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["name"] == "lightglue-vote" and body["versions"] == {"a": 0, "b": 0}
    best: dict[int, tuple[int, float]] = {}
    for a, b, c in body["edges"]:  # highest confidence first: the first edge of a B segment is its best
        best.setdefault(b, (a, c))
    t = Dataset.open(root).load_segments("shift", "0001")
    visible = {int(b) for b, area in zip(t.ids, t.area, strict=True) if area >= 16}  # not a speck of a pixel or two
    assert len(visible) >= 15 and visible <= set(best)  # every segment one can see gets a suggestion
    right = [b for b, (a, _) in best.items() if truth[b] == a]
    assert len(right) >= 0.9 * len(best), sorted(set(best) - set(right))
    # and it is sure of them: the right ones are suggested with a high confidence
    assert np.median([best[b][1] for b in right]) >= 0.7


def test_suggest_route_accept_and_queue(toy_root):
    fake = NearestCentroid()
    client = create_app(toy_root, suggester=fake).test_client()
    assert client.get("/api/info").get_json()["suggester"] == "fake"
    s1 = client.get(f"/api/pair/{P1}/suggest").get_json()
    client.get(f"/api/pair/{P1}/suggest")
    assert fake.calls == 1 and not fake.saw_labels  # cached per frame versions; never shown the answer
    edges = s1["edges"]
    assert edges[0][2] == 0.9 and edges[-1][2] == 0.3
    # accept all above 0.5, then one low one: the queue then sorts this pair first by confidence
    high = [e for e in edges if e[2] >= 0.5]
    r = client.post(f"/api/pair/{P1}/op", json={"base": 0, "op": {
        "kind": "accept", "side": "b", "edges": high, "source": "auto", "by": "fake", "replace_manual": False}})
    assert r.status_code == 200, r.get_json()
    low = next(e for e in edges if e[2] < 0.5)
    r = client.post(f"/api/pair/{P1}/op", json={"base": 1, "op": {
        "kind": "accept", "side": "b", "edges": [low], "source": "auto", "by": "fake"}})
    m = [x for x in r.get_json()["pair"]["matches"] if x[1] == low[1]]
    assert m == [[low[0], low[1], "auto", 0.3]]
    assert Workspace(toy_root).store("toy000").read_op(2)["args"]["by"] == "fake"  # which matcher: in the op
    q = client.get("/api/pairs?sort=confidence").get_json()["pairs"]
    assert q[0]["id"] == P1 and q[0]["min_conf"] == 0.3 and q[0]["low"] == 1
    assert [p["id"] for p in client.get("/api/pairs?flag=low").get_json()["pairs"]] == [P1]
    assert client.get("/api/pairs?flag=low&low=0.2").get_json()["pairs"] == []
    # a no-match mark on a segment leaves it labelled; clearing one leaves it unlabelled
    r = client.post(f"/api/pair/{P2}/op", json={"base": 0, "op": {"kind": "unassign", "side": "a", "seg": 2}})
    q = client.get("/api/pairs?sort=unlabelled").get_json()["pairs"]
    assert q[0]["id"] == P2 and q[0]["unlabelled"] >= 1
    # the suggestions follow the frame: after a merge they are computed again for the new version
    client.post(f"/api/pair/{P1}/op", json={"base": 2, "op": {"kind": "merge", "side": "a", "ids": [2, 3]}})
    assert client.get(f"/api/pair/{P1}/suggest").get_json()["versions"]["a"] == 1 and fake.calls == 2
    from annotator.integrity import check_annotations

    assert check_annotations(toy_root) == []  # `linecorr validate` takes what accept wrote


@pytest.mark.parametrize("op, msg", [
    ({"edges": [[1, 2]]}, "'edges'"),
    ({"edges": [[1, 2, 1.5]]}, "'edges'"),
    ({"edges": [[999, 2, 0.5]]}, "does not exist"),
    ({"source": "suggest:x"}, "'source'"),
    ({"by": "a b"}, "'by'"),
    ({"replace_manual": "yes"}, "'replace_manual'"),
])
def test_accept_is_checked_before_anything_is_written(toy_root, op, msg):
    client = create_app(toy_root).test_client()
    body = {"kind": "accept", "side": "a", "edges": [[2, 2, 0.5]], "source": "auto", "by": "x", **op}
    r = client.post(f"/api/pair/{P1}/op", json={"base": 0, "op": body})
    assert r.status_code == 400 and msg in r.get_json()["error"]
    assert Workspace(toy_root).current(P1)["version"] == 0


def test_suggest_without_a_suggester_is_a_404_saying_how(toy_root):
    r = create_app(toy_root).test_client().get(f"/api/pair/{P1}/suggest")
    assert r.status_code == 404 and "--suggest" in r.get_json()["error"]


def test_queue_rejects_bad_sort_flag_and_threshold(toy_root):
    client = create_app(toy_root).test_client()
    for q in ("sort=x", "flag=x", "low=2", "low=abc"):
        assert client.get(f"/api/pairs?{q}").status_code == 400


def test_annotator_name_in_history_review_and_effort(toy_root):
    client = create_app(toy_root, annotator="ann").test_client()
    # the page's own name wins over the server's default
    r = client.post(f"/api/pair/{P1}/op", json={"base": 0, "user": "Zoë K", "effort": {"seconds": 5, "clicks": 2},
                                                "op": {"kind": "no_match", "side": "a", "seg": 2}})
    assert r.status_code == 200
    client.post(f"/api/pair/{P1}/op", json={"base": 1, "op": {"kind": "status", "status": "accepted"},
                                            "effort": {"seconds": 1, "keys": 1}})
    hist = client.get(f"/api/pair/{P1}/history").get_json()["versions"]
    assert [(h["kind"], h["user"]) for h in hist[:2]] == [("status", "ann"), ("no_match", "Zoë K")]
    rows = list(csv.DictReader(io.StringIO(client.get("/api/effort_by_user.csv").data.decode())))
    by = {r["annotator"]: r for r in rows}
    assert by["Zoë K"]["seconds"] == "5.0" and by["Zoë K"]["clicks"] == "2" and by["ann"]["keys"] == "1"
    assert by["ann"]["ops"] == "1" and by["Zoë K"]["pairs"] == "1"
    bad = client.post(f"/api/pair/{P1}/op", json={"base": 2, "user": "a/b",
                                                  "op": {"kind": "no_match", "side": "a", "seg": 3}})
    assert bad.status_code == 400 and "'user'" in bad.get_json()["error"]


def test_pairs_are_assigned_to_annotators_and_reviewers(toy_root):
    client = create_app(toy_root).test_client()
    r = client.post("/api/assign", json={"pairs": [P1, P2], "annotator": "ann"})
    assert r.status_code == 200
    client.post("/api/assign", json={"pairs": [P2], "reviewer": "rev"})
    mine = client.get("/api/pairs?mine=rev").get_json()["pairs"]
    assert [(p["id"], p["annotator"], p["reviewer"]) for p in mine] == [(P2, "ann", "rev")]
    assert len(client.get("/api/pairs?mine=ann").get_json()["pairs"]) == 2
    client.post("/api/assign", json={"pairs": [P1], "annotator": None})
    assert [p["id"] for p in client.get("/api/pairs?mine=ann").get_json()["pairs"]] == [P2]
    assert client.post("/api/assign", json={"pairs": ["toy000/0000__0002"], "annotator": "x"}).status_code == 404
    from annotator.integrity import check_annotations

    assert check_annotations(toy_root) == []  # assignments.json is not mistaken for a leftover
    prog = client.get("/api/progress").get_json()["clips"]
    assert prog == [{"clip": "toy000", "pairs": 2, "done": 0, "accepted": 0, "in_progress": 0}]


def test_annotate_cli_suggest_and_annotator_then_effort_per_person(toy_root, tmp_path):
    import json
    import subprocess
    import sys
    import urllib.request

    from dataprep.cli import main

    proc = subprocess.Popen([sys.executable, "-m", "annotator", str(toy_root), "--port", "0", "--quiet",
                             "--suggest", "nearest-aligned", "--annotator", "ann"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert "suggestions from nearest-aligned" in first, first + proc.stderr.read()
        url = proc.stdout.readline().split()[1].rstrip("/")
        with urllib.request.urlopen(f"{url}/api/info", timeout=10) as r:
            info = json.loads(r.read())
        assert info["suggester"] == "nearest-aligned" and info["annotator"] == "ann"
        req = urllib.request.Request(f"{url}/api/pair/{P1}/op", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"base": 0, "effort": {"seconds": 2, "clicks": 1},
                                                      "op": {"kind": "no_match", "side": "a", "seg": 2}}).encode())
        with urllib.request.urlopen(req, timeout=30) as r:
            assert json.loads(r.read())["pair"]["version"] == 1
    finally:
        proc.kill()
        proc.wait(10)
    out = tmp_path / "people.csv"
    assert main(["export", "effort", str(toy_root), "--out", str(out), "--by-annotator"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["annotator"], r["pairs"], r["ops"], r["clicks"]) for r in rows] == [("ann", "1", "1", "1")]


def test_annotate_cli_unknown_suggester_is_one_line(toy_root):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "annotator", str(toy_root), "--port", "0", "--suggest", "nope"],
                       check=False, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "unknown suggestion provider 'nope'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_colorize_chain_carries_a_correction_to_the_next_pair(toy_root):
    client = create_app(toy_root).test_client()
    ws = Workspace(toy_root)
    t0 = ws.table("toy000", "0000", 0)
    body = client.get("/api/clip/toy000/colors").get_json()
    assert body["ref"] == "0000" and set(body["frames"]) == {"0000", "0001", "0002"}
    ref = body["frames"]["0000"]
    assert ref[str(int(t0.ids[0]))] == t0.color[0, :3].tolist()  # the reference: its own mean colors
    # a segment x of frame 0001 that frame 0002 inherits from, recolored by a correction on the first pair
    st2 = ws.current(P2)["state"]
    x = next(m[0] for m in st2["matches"])
    target = next(int(i) for i in t0.ids.tolist() if ref[str(int(i))] != body["frames"]["0001"].get(str(x)))
    r = client.post(f"/api/pair/{P1}/op", json={"base": 0, "op": {"kind": "assign", "side": "b", "seg": x,
                                                                  "targets": [target]}})
    assert r.status_code == 200
    after = client.get("/api/clip/toy000/colors").get_json()["frames"]
    assert after["0001"][str(x)] == ref[str(target)]  # the manual match wins
    ys = [m[1] for m in st2["matches"] if m[0] == x]
    # through the chain: frame 0002's segments whose best match is x take the new color
    assert any(after["0002"][str(b)] == ref[str(target)] for b in ys)
    assert client.get("/api/clip/toy999/colors").status_code == 404
    assert client.get("/api/clip/toy000/colors?ref=0001").get_json()["ref"] == "0001"
    assert set(client.get("/api/clip/toy000/colors?until=0001").get_json()["frames"]) == {"0000", "0001"}


def test_a_correction_is_offered_to_the_neighbouring_pair_through_the_chain(toy_root):
    client = create_app(toy_root).test_client()
    assert client.get(f"/api/pair/{P2}").get_json()["chain"] == {"a": [], "b": [], "prev": "0000__0001",
                                                                 "next": None}
    x = Workspace(toy_root).current(P2)["state"]["matches"][0][0]  # a segment of the shared frame 0001
    client.post(f"/api/pair/{P1}/op", json={"base": 0, "op": {"kind": "assign", "side": "b", "seg": x,
                                                              "targets": [2]}})
    assert client.get(f"/api/pair/{P2}").get_json()["chain"]["a"] == [x]  # corrected before: offered here
    y = Workspace(toy_root).current(P2)["state"]["matches"][-1][0]
    client.post(f"/api/pair/{P2}/op", json={"base": 0, "op": {"kind": "no_match", "side": "a", "seg": y}})
    assert client.get(f"/api/pair/{P1}").get_json()["chain"]["b"] == [y]  # and back, from the pair after


def test_colorize_with_the_matcher_and_a_persons_fix_on_top(toy_root):
    fake = NearestCentroid()
    client = create_app(toy_root, suggester=fake).test_client()
    body = client.get("/api/clip/toy000/colors?matcher=1").get_json()
    assert body["matcher"] == "fake"
    ref, f1 = body["frames"]["0000"], body["frames"]["0001"]
    sugg = {b: a for a, b, _ in client.get(f"/api/pair/{P1}/suggest").get_json()["edges"]}
    assert all(f1[str(b)] == ref[str(a)] for b, a in sugg.items())  # colored through the matcher
    b, a = next(iter(sugg.items()))
    other = next(int(k) for k, c in ref.items() if c != ref[str(a)])
    client.post(f"/api/pair/{P1}/op", json={"base": 0, "op": {"kind": "assign", "side": "b", "seg": b,
                                                              "targets": [other]}})
    f1 = client.get("/api/clip/toy000/colors?matcher=1").get_json()["frames"]["0001"]
    assert f1[str(b)] == ref[str(other)]  # the manual match wins over the matcher
    no = create_app(toy_root).test_client().get("/api/clip/toy000/colors?matcher=1")
    assert no.status_code == 404 and "--suggest" in no.get_json()["error"]


def test_an_ant_checkpoint_suggests(toy_root):
    """``--suggest ant:PATH`` with the small AnT checkpoint the repository keeps (results/standard)."""
    pytest.importorskip("torch")
    from pathlib import Path

    ckpt = Path(__file__).resolve().parents[2] / "results/standard/runs/ant-tiny/best.safetensors"
    if not ckpt.is_file():
        pytest.skip("no AnT checkpoint in results/standard/runs/ant-tiny")
    body = create_app(toy_root, suggester=load_suggester(f"ant:{ckpt}")).test_client().get(
        f"/api/pair/{P1}/suggest").get_json()
    assert body["name"] == "ant" and body["edges"] and all(0 < c <= 1 for _, _, c in body["edges"])


@pytest.fixture
def gap_root(tmp_path):
    """A 1-clip, 4-frame toy dataset paired 1 and 2 frames apart (as the standard benchmark pairs
    1, 3 and 7 apart): 0000__0001, 0000__0002, 0001__0002, 0001__0003, 0002__0003."""
    from dataprep.synthetic import ToyConfig, write_toy_dataset

    return write_toy_dataset(tmp_path / "gaps", clips=1, cfg=ToyConfig(size=128, frames=4), gaps=(1, 2))


def test_the_chain_goes_frame_by_frame_when_pairs_skip_frames(gap_root):
    """Several pairs start at one frame: the colorize chain and the corrections offered to the
    neighbouring pair take the one to the next frame (they took the last in name order, 0000__0002,
    and skipped frame 0001)."""
    client = create_app(gap_root).test_client()
    body = client.get("/api/clip/toy000/colors").get_json()
    assert body["ref"] == "0000" and list(body["frames"]) == ["0000", "0001", "0002", "0003"]
    view = client.get("/api/pair/toy000/0001__0002").get_json()
    assert view["clip_frames"] == ["0000", "0001", "0002", "0003"]
    assert (view["chain"]["prev"], view["chain"]["next"]) == ("0000__0001", "0002__0003")
    assert client.get("/api/pair/toy000/0000__0001").get_json()["chain"]["next"] == "0001__0002"
    # frame 0002's colors come through 0001__0002: a fix there recolors it
    ws = Workspace(gap_root)
    st = ws.current("toy000/0001__0002")["state"]
    b = st["matches"][0][1]
    f1 = body["frames"]["0001"]
    other = next(int(a) for a, c in f1.items() if c != body["frames"]["0002"].get(str(b)))
    r = client.post("/api/pair/toy000/0001__0002/op", json={"base": 0, "op": {"kind": "assign", "side": "b", "seg": b,
                                                                             "targets": [other]}})
    assert r.status_code == 200
    assert client.get("/api/clip/toy000/colors").get_json()["frames"]["0002"][str(b)] == f1[str(other)]
