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
    assert str(tmp_path) not in r.get_json()["error"]  # nor says where the files are


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


# ---- never lose an edit, never apply one twice, never half-apply a request ------------------------

def _effort_file(root):
    return root / "annotations" / "clips" / "toy000" / "effort" / "0000__0001.json"


@pytest.mark.parametrize("extra, words", [
    ({"effort": "x"}, "'effort' must be an object"),
    ({"effort": {"seconds": -1}}, "effort 'seconds'"),
    ({"effort": {"clicks": "3"}}, "effort 'clicks'"),
    ({"client_op": 12}, "'client_op'"),
    ({"client_op": "not an id!"}, "'client_op'"),
])
def test_a_valid_edit_with_an_invalid_field_writes_nothing(toy_root, extra, words):
    """The edit used to be committed and then answered 400 (the effort was checked after it)."""
    c = create_app(toy_root).test_client()
    a = _labelled(toy_root, "0000")[0]
    r = c.post(f"/api/pair/{P1}/op", json={"base": 0, "op": {"kind": "no_match", "side": "a", "seg": a}, **extra})
    assert r.status_code == 400 and words in r.get_json()["error"]
    assert c.get(f"/api/pair/{P1}").get_json()["version"] == 0
    assert not (toy_root / "annotations" / "clips" / "toy000" / "head.json").exists()
    assert not _effort_file(toy_root).exists()


def test_a_write_sent_again_is_answered_again_not_applied_twice(toy_root):
    """The page sends a write again when it got no answer; the server (even a restarted one) knows
    its id and answers with the pair as it is now, patched from the version the page holds."""
    a, b = _labelled(toy_root, "0000")[:2]
    merge = {"base": 0, "op": {"kind": "merge", "side": "a", "ids": [a, b]}, "client_op": "op-merge-0001",
             "effort": {"seconds": 2, "clicks": 3, "keys": 1}}
    first = create_app(toy_root).test_client().post(f"/api/pair/{P1}/op", json=merge).get_json()
    assert first["pair"]["version"] == 1 and "a" in first["patches"]
    c = create_app(toy_root).test_client()  # a restarted server
    again = c.post(f"/api/pair/{P1}/op", json=merge)
    assert again.status_code == 200
    body = again.get_json()
    assert body["replayed"] and body["pair"]["version"] == 1
    assert body["patches"]["a"]["bbox"] == first["patches"]["a"]["bbox"]  # the page at version 0 can apply it
    from annotator.effort import load_effort
    rec = load_effort(toy_root, P1)
    assert (rec["ops"], rec["clicks"]) == (1, 3)  # counted once
    nxt = c.post(f"/api/pair/{P1}/op", json={"base": 1, "op": {"kind": "status", "status": "done"},
                                             "client_op": "op-status-0002"})
    assert nxt.get_json()["pair"]["version"] == 2
    # the same id for another pair is a mistake, not a replay
    r = c.post("/api/pair/toy000/0001__0002/op", json={**merge, "base": 1})
    assert r.status_code == 400 and "already used" in r.get_json()["error"]
    # an effort report sent twice counts once
    rep = {"seconds": 5, "clicks": 1, "keys": 0, "id": "report-00000001"}
    c.post(f"/api/pair/{P1}/effort", json=rep)
    assert c.post(f"/api/pair/{P1}/effort", json=rep).get_json()["seconds"] == 7.0


@pytest.mark.parametrize("data", [
    "[" * 100000 + "]" * 100000,  # used to exhaust the recursion limit: 500
    '{"base": 0, "op": {"kind": "no_match", "side": "a", "seg": 1, "x": ' + "[" * 40 + "]" * 40 + "}}",
])
def test_deeply_nested_json_is_a_400(client, data):
    r = client.post(f"/api/pair/{P1}/op", data=data, content_type="application/json")
    assert r.status_code == 400 and "nested too deeply" in r.get_json()["error"]
    assert client.get(f"/api/pair/{P1}").get_json()["version"] == 0


@pytest.fixture
def live_server(toy_root):
    import threading

    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, create_app(toy_root), threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_port
    srv.shutdown()
    t.join(5)


def _post_chunked(port: int, body: bytes) -> tuple[int, dict]:
    import http.client
    import json

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))
    conn.request("POST", f"/api/pair/{P1}/op", body=chunks, headers={"Content-Type": "application/json"},
                 encode_chunked=True)
    r = conn.getresponse()
    out = r.status, json.loads(r.read())
    conn.close()
    return out


def test_a_chunked_body_over_the_limit_is_a_413(live_server, toy_root):
    """Without a Content-Length the body used to be cut at 1 MiB and answered 'malformed JSON'."""
    import json

    a = _labelled(toy_root, "0000")[0]
    big = json.dumps({"base": 0, "op": {"kind": "brush", "side": "a", "points": [[0, 0]] * 200000}}).encode()
    status, body = _post_chunked(live_server, big)
    assert status == 413 and "too large" in body["error"]
    small = json.dumps({"base": 0, "op": {"kind": "no_match", "side": "a", "seg": a}}).encode()
    status, body = _post_chunked(live_server, small)
    assert status == 200 and body["pair"]["version"] == 1


# ---- security ----------------------------------------------------------------------------------

def test_a_request_from_another_origin_is_refused(client, toy_root):
    a = _labelled(toy_root, "0000")[0]
    edit = {"base": 0, "op": {"kind": "no_match", "side": "a", "seg": a}}
    for origin in ("http://evil.example", "http://localhost:9999", "null"):
        r = client.post(f"/api/pair/{P1}/op", json=edit, headers={"Origin": origin})
        assert r.status_code == 403 and "another origin" in r.get_json()["error"]
    assert client.get("/api/info", headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.get(f"/api/pair/{P1}").get_json()["version"] == 0
    r = client.post(f"/api/pair/{P1}/op", json=edit, headers={"Origin": "http://localhost"})  # this server
    assert r.status_code == 200


def test_a_server_with_a_token_wants_it_on_every_request(toy_root):
    c = create_app(toy_root, token="s3cret-token").test_client()
    assert c.get("/api/info").status_code == 403
    r = c.get("/")
    assert r.status_code == 403 and "token" in r.get_json()["error"]
    assert c.get("/api/info?token=wrong").status_code == 403
    assert c.get("/api/info", headers={"Authorization": "token s3cret-token"}).status_code == 200
    r = c.get("/?token=s3cret-token")  # the printed URL: the token moves into a cookie
    assert r.status_code == 302 and r.headers["Location"] == "/"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert c.get("/api/info").status_code == 200 and c.get("/").status_code == 200
    a = _labelled(toy_root, "0000")[0]
    edit = {"base": 0, "op": {"kind": "no_match", "side": "a", "seg": a}}
    assert c.post(f"/api/pair/{P1}/op", json=edit, headers={"Origin": "http://evil.example"}).status_code == 403
    assert c.post(f"/api/pair/{P1}/op", json=edit).status_code == 200


def test_errors_name_no_absolute_path(toy_root, tmp_path):
    c = create_app(toy_root).test_client()
    assert "root" not in c.get("/api/info").get_json()
    a = _labelled(toy_root, "0000")[0]
    c.post(f"/api/pair/{P1}/op", json={"base": 0, "op": {"kind": "no_match", "side": "a", "seg": a}})
    (toy_root / "annotations" / "clips" / "toy000" / "pairs" / "0000__0001" / "000001.json").write_text("{bad")
    c = create_app(toy_root).test_client()
    for url in (f"/api/pair/{P1}", f"/api/pair/{P1}/history"):
        r = c.get(url)
        msg = r.get_json()["error"]
        assert r.status_code == 400 and "malformed JSON" in msg
        assert str(tmp_path) not in msg and "/tmp" not in msg and msg.startswith("DATASET/annotations/")
    app = create_app(toy_root)
    ws = app.extensions["linecorr_workspace"]

    def boom(*_a, **_k):
        raise OSError(f"[Errno 5] Input/output error: '{toy_root}/clips/x.png' (via /usr/lib/secret/thing.py)")

    ws.queue = boom
    r = app.test_client().get("/api/pairs")
    assert r.status_code == 500 and "Traceback" not in r.get_data(as_text=True)
    assert "/" not in r.get_json()["error"]
