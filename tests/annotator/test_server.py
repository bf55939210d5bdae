"""The HTTP API through Flask's test client: safety, request errors, review, export, effort log."""

from __future__ import annotations

import csv
import io
import os

import numpy as np
import pytest

pytest.importorskip("flask")

from annotator.server import create_app
from dataprep.cli import build_parser, main
from dataprep.format import Dataset
from dataprep.format.validate import validate_dataset

P1 = "toy000/0000__0001"


@pytest.fixture
def client(toy_root):
    return create_app(toy_root).test_client()


def test_binds_to_loopback_by_default():
    args = build_parser().parse_args(["annotate", "data/x"])
    assert args.host == "127.0.0.1" and args.port == 8765


def test_serves_the_app_and_the_pair(client):
    assert b"linecorr annotate" in client.get("/").data
    assert client.get("/static/app.js").status_code == 200
    view = client.get(f"/api/pair/{P1}").get_json()
    assert view["version"] == 0 and view["frames"]["a"]["width"] == 160
    png = client.get("/api/frame/toy000/0000/seg/0.png")
    assert png.status_code == 200 and png.data[:4] == b"\x89PNG"
    assert client.get("/api/frame/toy000/0000/seg/3.png").status_code == 404  # no such version yet


@pytest.mark.parametrize("url", [
    "/api/frame/toy000/0000/..%2F..%2Fmanifest.json",
    "/api/frame/toy000/..%2F..%2Fmanifest/line",
    "/api/frame/..%2F..%2F..%2Fetc/0000/line",
    "/api/frame/toy000/0000/label",
    "/static/..%2F..%2Fpyproject.toml",
    "/api/pair/toy000/..__..",
    "/api/pair/toy000/0000__0002",
])
def test_serves_nothing_outside_the_dataset(client, url):
    r = client.get(url)
    assert r.status_code in (400, 404)
    assert b"[project]" not in r.data and b"linecorr" not in r.data[:20]


def test_symlink_out_of_the_dataset_is_refused(toy_root, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG secret")
    line = toy_root / "clips" / "toy000" / "line" / "0001.png"
    line.unlink()
    os.symlink(secret, line)
    r = create_app(toy_root).test_client().get("/api/frame/toy000/0001/line")
    assert r.status_code == 400 and "escapes the dataset" in r.get_json()["error"]


def test_foreign_host_header_is_refused(client):
    r = client.get("/api/info", headers={"Host": "evil.example:8765"})
    assert r.status_code == 403 and "not this server" in r.get_json()["error"]


@pytest.mark.parametrize("kwargs, status, words", [
    ({"data": "{not json", "content_type": "application/json"}, 400, "malformed JSON"),
    ({"data": "base=0", "content_type": "application/x-www-form-urlencoded"}, 400, "must be JSON"),
    ({"json": [1, 2]}, 400, "JSON object"),
    ({"json": {"base": 0}}, 400, "'kind'"),
    ({"json": {"base": 0, "op": {"kind": "explode"}}}, 400, "unknown op kind"),
    ({"json": {"base": "0", "op": {"kind": "no_match", "side": "a", "seg": 1}}}, 400, "'base'"),
    ({"json": {"base": 0, "op": {"kind": "no_match", "side": "c", "seg": 1}}}, 400, "'side'"),
    ({"json": {"base": 0, "op": {"kind": "no_match", "side": "a", "seg": 99999}}}, 400, "does not exist"),
    ({"json": {"base": 0, "op": {"kind": "merge", "side": "a", "ids": "1,2"}}}, 400, "'ids'"),
    ({"json": {"base": 0, "op": {"kind": "split", "side": "a", "points": [[1, 2, 3]]}}}, 400, "'points'"),
    ({"json": {"base": 7, "op": {"kind": "no_match", "side": "a", "seg": 1}}}, 409, "reload"),
    ({"json": {"base": 0, "op": {"kind": "brush", "side": "a", "points": [[0, 0]] * 200000}}}, 413, "large"),
])
def test_malformed_requests_get_4xx_with_a_message(client, kwargs, status, words):
    r = client.post(f"/api/pair/{P1}/op", **kwargs)
    assert r.status_code == status
    assert words.lower() in r.get_json()["error"].lower()
    assert client.get(f"/api/pair/{P1}").get_json()["version"] == 0  # nothing was written


def test_unknown_pair_is_404_and_nothing_to_undo_is_400(client):
    assert client.get("/api/pair/toy000/0000__0009").status_code == 404
    r = client.post(f"/api/pair/{P1}/undo", json={"base": 0})
    assert r.status_code == 400 and "nothing to undo" in r.get_json()["error"]


def _labelled(root, frame):
    t = Dataset.open(root).load_segments("toy000", frame)
    order = np.argsort(-t.area)
    return [int(t.ids[i]) for i in order if t.label[i] > 0]


def test_review_then_export_eval_writes_a_valid_dataset(toy_root, tmp_path, capsys):
    c = create_app(toy_root).test_client()
    a = _labelled(toy_root, "0000")
    r = c.post(f"/api/pair/{P1}/op", json={"base": 0, "op": {"kind": "merge", "side": "a", "ids": a[:2]}})
    assert r.status_code == 200
    r = c.post(f"/api/pair/{P1}/op", json={"base": 1, "op": {"kind": "status", "status": "accepted",
                                                             "comment": "merged the split body"}})
    assert r.get_json()["pair"]["status"] == "accepted"
    assert [q["id"] for q in c.get("/api/pairs?status=accepted").get_json()["pairs"]] == [P1]
    assert c.get("/api/pairs?status=bogus").status_code == 400
    out = tmp_path / "eval"
    assert main(["export", "eval", str(toy_root), "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert validate_dataset(out) == []
    ds = Dataset.open(out)
    assert ds.splits == {"eval": ["toy000"]} and ds.pair_ids() == [P1]
    pair = ds.load_pair(P1)
    assert pair.status == "accepted" and pair.comment == "merged the split body"
    assert pair.matches and {m.source for m in pair.matches} == {"manual"}
    n_orig = len(Dataset.open(toy_root).load_segments("toy000", "0000"))
    assert len(ds.load_segments("toy000", "0000")) == n_orig - 1  # the merge is in the exported frame
    assert "effort" in pair.meta and pair.meta["effort"]["ops"] == 2


def test_export_eval_without_accepted_pairs_is_a_one_line_error(toy_root, tmp_path, capsys):
    assert main(["export", "eval", str(toy_root), "--out", str(tmp_path / "e")]) == 2
    assert "no pair has status accepted" in capsys.readouterr().err


def test_effort_is_logged_and_exported(toy_root, tmp_path):
    c = create_app(toy_root).test_client()
    a = _labelled(toy_root, "0000")[0]
    assert c.post(f"/api/pair/{P1}/effort", json={"seconds": 12.5, "clicks": 3, "keys": 2}).status_code == 200
    c.post(f"/api/pair/{P1}/op", json={"base": 0, "op": {"kind": "no_match", "side": "a", "seg": a},
                                       "effort": {"seconds": 1.5, "clicks": 1, "keys": 0}})
    assert c.post(f"/api/pair/{P1}/effort", json={"seconds": -4}).status_code == 400
    rows = list(csv.DictReader(io.StringIO(c.get("/api/effort.csv").data.decode())))
    row = next(r for r in rows if r["pair"] == P1)
    assert (float(row["seconds"]), row["clicks"], row["keys"], row["interactions"], row["ops"]) == (14.0, "4", "2", "6", "1")
    out = tmp_path / "effort.csv"
    assert main(["export", "effort", str(toy_root), "--out", str(out)]) == 0
    assert out.read_text().startswith("pair,status,seconds,clicks,keys,interactions")
