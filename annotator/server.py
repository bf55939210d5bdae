"""The annotator's HTTP server (Flask): the static front end and a small JSON API.

Routes (``<clip>/<pair>`` is a pair id, ``<pair>`` = ``<frame_a>__<frame_b>``)::

    GET  /                                       the app (annotator/static/index.html)
    GET  /api/info                               dataset name, statuses, the pair count
    GET  /api/pairs?status=S&clip=C              the queue
    GET  /api/pair/<clip>/<pair>                 the pair view (matches, segment tables, versions)
    POST /api/pair/<clip>/<pair>/op              {"base": v, "op": {"kind": ..., ...}}
    POST /api/pair/<clip>/<pair>/undo|redo       {"base": v}
    POST /api/pair/<clip>/<pair>/restore         {"base": v, "version": k}
    GET  /api/pair/<clip>/<pair>/history         every stored version
    POST /api/pair/<clip>/<pair>/effort          {"seconds": s, "clicks": n, "keys": n}
    GET  /api/frame/<clip>/<frame>/seg/<v>.png   label map version v as RGB ids (immutable)
    GET  /api/frame/<clip>/<frame>/line|color    the frame's images
    GET  /api/effort.csv                         the effort log

Safety: binds to 127.0.0.1 unless told otherwise; serves only the dataset's own line/color images
and label maps, addressed by validated ids and checked to resolve inside the dataset; every
request error is a 4xx with ``{"error": message}``; POST bodies must be JSON (which browsers
cannot send cross-site without a CORS preflight this server never grants) and at most 1 MB; the
Host header must name this server (no DNS rebinding).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from flask import Flask, Response, jsonify, request, send_file
from werkzeug.exceptions import HTTPException

from annotator.effort import add_effort, effort_csv, effort_rows
from annotator.workspace import ConflictError, NotFoundError, Workspace
from dataprep.errors import FormatError, LinecorrError
from dataprep.format.schema import PAIR_STATUSES, check_id

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 1 << 20  # bytes: the largest request is a long stroke (~10k points)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class RequestError(LinecorrError):
    """A malformed request (HTTP 400)."""


def create_app(dataset: str | Path, split: str | None = None, allowed_hosts: tuple[str, ...] | None = LOCAL_HOSTS,
               workspace: Workspace | None = None) -> Flask:
    """The Flask app serving ``dataset``.

    Args:
        dataset: the dataset folder (its ``annotations/`` holds the work).
        split: only the pairs of this split in the queue.
        allowed_hosts: host names the Host header may carry (None = any, for a server bound to a
            public address on purpose).
    """
    ws = workspace or Workspace(dataset, split)
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.config["JSON_SORT_KEYS"] = False
    app.extensions["linecorr_workspace"] = ws

    @app.before_request
    def _check_host():
        if allowed_hosts is not None:
            host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
            if host not in allowed_hosts:
                return _error(403, f"host {request.host!r} is not this server (open http://127.0.0.1:PORT/)")
        return None

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        if e.code == 413:
            return _error(413, f"request body is too large (at most {MAX_BODY // 1024} KiB)")
        return _error(e.code or 500, e.description or e.name)

    @app.errorhandler(ConflictError)
    def _conflict(e):
        return _error(409, str(e))

    @app.errorhandler(NotFoundError)
    def _missing(e):
        return _error(404, str(e))

    @app.errorhandler(LinecorrError)
    def _bad(e):  # OpError, RequestError, FormatError (bad ids)
        return _error(400, str(e))

    @app.get("/")
    def index():
        resp = send_file(STATIC / "index.html")
        resp.headers["Cache-Control"] = "no-cache"
        return resp

    @app.get("/api/info")
    def info():
        return jsonify({"name": ws.ds.manifest.name, "root": str(ws.root), "split": ws.split,
                        "pairs": len(ws.pair_ids), "statuses": list(PAIR_STATUSES)})

    @app.get("/api/pairs")
    def pairs():
        status = request.args.get("status") or None
        if status is not None and status not in PAIR_STATUSES:
            raise RequestError(f"status {status!r} is not one of {', '.join(PAIR_STATUSES)}")
        clip = request.args.get("clip") or None
        if clip is not None:
            check_id(clip, "clip id")
        return jsonify({"pairs": ws.queue(status, clip)})

    @app.get("/api/pair/<clip>/<name>")
    def pair(clip: str, name: str):
        return jsonify(ws.view(_pid(clip, name)))

    @app.get("/api/pair/<clip>/<name>/history")
    def history(clip: str, name: str):
        return jsonify({"versions": ws.history(_pid(clip, name))})

    def _edit(clip: str, name: str, run, **counts):
        """Apply one edit (``run(pid, body)``), count it in the pair's effort log, answer the new state."""
        pid = _pid(clip, name)
        body = _body()
        out = run(pid, body)
        _effort(ws, pid, body.get("effort"), **counts)
        return jsonify(out)

    @app.post("/api/pair/<clip>/<name>/op")
    def op(clip: str, name: str):
        return _edit(clip, name, lambda pid, body: ws.apply(pid, body.get("base"), body.get("op")), ops=1)

    @app.post("/api/pair/<clip>/<name>/undo")
    def undo(clip: str, name: str):
        return _edit(clip, name, lambda pid, body: ws.undo(pid, body.get("base")), undos=1)

    @app.post("/api/pair/<clip>/<name>/redo")
    def redo(clip: str, name: str):
        return _edit(clip, name, lambda pid, body: ws.redo(pid, body.get("base")), ops=1)

    @app.post("/api/pair/<clip>/<name>/restore")
    def restore(clip: str, name: str):
        pid = _pid(clip, name)
        body = _body()
        return jsonify(ws.restore(pid, body.get("base"), body.get("version")))

    @app.post("/api/pair/<clip>/<name>/effort")
    def effort(clip: str, name: str):
        pid = _pid(clip, name)
        ws.check_pair(pid)
        return jsonify(_effort(ws, pid, _body()))

    @app.get("/api/frame/<clip>/<frame>/seg/<int:version>.png")
    def seg_png(clip: str, frame: str, version: int):
        check_id(clip, "clip id"), check_id(frame, "frame id")
        resp = Response(ws.seg_png(clip, frame, version), mimetype="image/png")
        resp.headers["Cache-Control"] = "public, max-age=31536000, immutable"  # a version never changes
        return resp

    @app.get("/api/frame/<clip>/<frame>/<kind>")
    def image(clip: str, frame: str, kind: str):
        check_id(clip, "clip id"), check_id(frame, "frame id")
        resp = send_file(ws.image_path(clip, frame, kind), mimetype="image/png")
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return resp

    @app.get("/api/effort.csv")
    def effort_export():
        statuses = {q["id"]: q["status"] for q in ws.queue()}
        return Response(effort_csv(effort_rows(ws.root, ws.pair_ids, statuses)), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=effort.csv"})

    return app


def _error(code: int, message: str):
    resp = jsonify({"error": " ".join(str(message).split())})
    resp.status_code = code
    return resp


def _pid(clip: str, name: str) -> str:
    fa, sep, fb = name.partition("__")
    if not sep:
        raise RequestError(f"pair {name!r} is not '<frame_a>__<frame_b>'")
    check_id(clip, "clip id"), check_id(fa, "frame id"), check_id(fb, "frame id")
    return f"{clip}/{name}"


def _body() -> dict:
    if not request.is_json:
        raise RequestError("request body must be JSON (Content-Type: application/json)")
    try:
        data = json.loads(request.get_data(cache=False) or b"null")
    except (ValueError, UnicodeDecodeError) as e:
        raise RequestError(f"request body is malformed JSON ({e})") from None
    if not isinstance(data, dict):
        raise RequestError("request body must be a JSON object")
    return data


def _effort(ws: Workspace, pid: str, rep, ops: int = 0, undos: int = 0) -> dict:
    if rep is None:
        rep = {}
    if not isinstance(rep, dict):
        raise RequestError("'effort' must be an object {seconds, clicks, keys}")
    return add_effort(ws.root, pid, rep.get("seconds", 0.0), rep.get("clicks", 0), rep.get("keys", 0), ops, undos)


def serve(dataset: str | Path, host: str = "127.0.0.1", port: int = 8765, split: str | None = None,
          quiet: bool = False) -> None:
    """Run the server until interrupted (threaded; every operation is written before it answers)."""
    from werkzeug.serving import make_server

    local = host in ("127.0.0.1", "localhost", "::1")
    app = create_app(dataset, split, LOCAL_HOSTS if local else None)
    srv = make_server(host, port, app, threaded=True)
    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    shown = f"[{host}]" if ":" in host else host
    print(f"annotating {app.extensions['linecorr_workspace'].root} "
          f"({len(app.extensions['linecorr_workspace'].pair_ids)} pairs)", flush=True)
    print(f"open http://{shown}:{srv.server_port}/", flush=True)
    if not local:
        print("warning: listening on a non-loopback address; anyone who can reach it can edit the annotations",
              file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    finally:
        srv.server_close()


__all__ = ["FormatError", "create_app", "serve"]
