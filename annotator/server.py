"""The annotator's HTTP server (Flask): the static front end and a small JSON API.

Routes (``<clip>/<pair>`` is a pair id, ``<pair>`` = ``<frame_a>__<frame_b>``)::

    GET  /                                       the app (annotator/static/index.html)
    GET  /api/info                               dataset name and id, statuses, the pair count
    GET  /api/pairs?status=S&clip=C&sort=K&flag=F&low=T&mine=NAME
                                                 the queue (sort: confidence | unlabelled; flag: low |
                                                 unlabelled; mine: pairs assigned to NAME)
    GET  /api/progress                           per clip: pairs, done, accepted
    GET  /api/clip/<clip>/colors?ref=FRAME&matcher=1&until=FRAME
                                                 the clip colorized from a reference frame through its pairs
                                                 (matcher=1: through the --suggest matcher's suggestions)
    POST /api/assign                             {"pairs": [id, ...], "annotator": name|null, "reviewer": name|null}
    GET  /api/pair/<clip>/<pair>/suggest         the suggester's matches {name, versions, edges: [[a, b, c]]}
    GET  /api/pair/<clip>/<pair>                 the pair view (matches, segment tables, versions)
    POST /api/pair/<clip>/<pair>/op              {"base": v, "op": {"kind": ..., ...}, "client_op": id, "effort": {...}}
    POST /api/pair/<clip>/<pair>/undo|redo       {"base": v, "client_op": id, "effort": {...}}
    POST /api/pair/<clip>/<pair>/restore         {"base": v, "version": k, "client_op": id, "effort": {...}}
    GET  /api/pair/<clip>/<pair>/history         every stored version
    POST /api/pair/<clip>/<pair>/effort          {"seconds": s, "clicks": n, "keys": n, "id": id}
    GET  /api/frame/<clip>/<frame>/seg/<v>.png   label map version v as RGB ids (immutable)
    GET  /api/frame/<clip>/<frame>/line|color    the frame's images
    GET  /api/effort.csv                         the effort log (effort_by_user.csv: per person)

Every write may carry ``"user"``, the annotator's name (else the ``--annotator`` the server was
started with): it is recorded in the operation (history, review) and in the effort log per person.
On a pair with an assigned reviewer, only that name may accept or reject it (or withdraw an
acceptance): anyone else gets 403 ``{"error": ..., "reviewer": name}`` and nothing is written.

Writes carry ``client_op``, the page's id of the write: one already committed is answered again,
not applied twice (see annotator/workspace.py), so a page may send a write again whenever it did
not get the answer. Every field of a request is checked before anything is written.

Safety: binds to 127.0.0.1 unless told otherwise; serves only the dataset's own line/color images
and label maps, addressed by validated ids and checked to resolve inside the dataset; every
request error is a 4xx with ``{"error": message}`` naming no absolute path; POST bodies must be
JSON (which browsers cannot send cross-site without a CORS preflight this server never grants),
at most 1 MiB (chunked or not) and nested at most :data:`MAX_DEPTH` deep; a request whose
``Origin`` is not this server is refused (403); the Host header must name this server (no DNS
rebinding). Bound beyond loopback, the server also wants its token (``?token=`` in the URL it
prints, then a cookie; or ``Authorization: token ...``), as Jupyter does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import socket
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import Flask, Response, current_app, jsonify, redirect, request, send_file
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from annotator.effort import BY_USER_COLS, add_effort, effort_by_user, effort_csv, effort_rows, parse_report
from annotator.suggest import LOW_CONFIDENCE, Suggester, SuggestionCache
from annotator.workspace import ConflictError, NotFoundError, ReviewerError, Workspace, check_client_op, check_user
from dataprep.errors import FormatError, LinecorrError
from dataprep.format.schema import PAIR_STATUSES, check_id

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 1 << 20  # bytes: the largest request is a long stroke (~10k points)
MAX_DEPTH = 32  # JSON nesting: a request is at most 4 deep (body / op / points / [x, y])
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_ABS_PATH = re.compile(r"(?<![\w.~])/(?:[^\s'\"/:]+/)+([^\s'\":,;)]+)")


class RequestError(LinecorrError):
    """A malformed request (HTTP 400)."""


def create_app(dataset: str | Path, split: str | None = None, allowed_hosts: Iterable[str] | None = LOCAL_HOSTS,
               workspace: Workspace | None = None, token: str | None = None, suggester: Suggester | None = None,
               annotator: str | None = None) -> Flask:
    """The Flask app serving ``dataset``; removes what a killed server left in ``annotations/`` first.

    Args:
        dataset: the dataset folder (its ``annotations/`` holds the work).
        split: only the pairs of this split in the queue.
        allowed_hosts: host names the Host header may carry (None = any: only for tests).
        token: when set, every request must carry it (see the module docstring).
        suggester: the matcher whose suggestions the page shows (``--suggest``; None: none).
        annotator: the name recorded for writes that carry none (``--annotator``; the page may set its own).
    """
    annotator = check_user(annotator)
    cache = SuggestionCache(suggester) if suggester is not None else None
    ws = workspace or Workspace(dataset, split)
    # A kill can leave temp files and versions above the head; nothing else removes them.
    removed = ws.recover()
    if removed:
        logging.getLogger(__name__).warning("removed %d file(s) left by an interrupted write", len(removed))
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    # One byte over the limit, so that a chunked body (no Content-Length) that is too large is
    # seen to be too large instead of being cut at the limit (_body answers 413).
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY + 1
    app.config["JSON_SORT_KEYS"] = False
    app.extensions["linecorr_workspace"] = ws
    app.extensions["linecorr_roots"] = sorted({str(ws.root), str(Path(dataset).absolute())}, key=len, reverse=True)
    hosts = None if allowed_hosts is None else frozenset(h.lower() for h in allowed_hosts)
    cookie = f"linecorr_{hashlib.sha256(token.encode()).hexdigest()[:12]}" if token else ""

    @app.before_request
    def _guard():
        if hosts is not None:
            host = request.host.lower()
            host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if host not in hosts and host.strip("[]") not in hosts:
                hint = "open the URL the server printed" + ("" if token is None else
                                                            ", or start it with --allow-host NAME")
                return _error(403, f"host {request.host!r} is not this server ({hint})")
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower() != f"{request.scheme}://{request.host}".lower():
            # A page of another site (or another port) may make the browser send requests here;
            # browsers always name the page's origin on POST, so such a request is refused.
            return _error(403, f"request from another origin ({origin[:100]!r}) refused")
        if token is not None:
            given = request.args.get("token") or request.cookies.get(cookie) or ""
            auth = request.headers.get("Authorization", "")
            if auth.lower().startswith("token "):
                given = auth[6:].strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                return _error(403, "this server needs its token: open the URL with ?token=... that "
                                   "`linecorr annotate` printed")
            if request.args.get("token") and request.method == "GET" and request.path == "/":
                # The token moves from the URL (history, screenshots) into a cookie only this site gets.
                resp = redirect("/", code=302)
                resp.set_cookie(cookie, token, httponly=True, samesite="Strict", path="/")
                return resp
        return None

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        if e.code == 413:
            return _error(413, f"request body is too large (at most {MAX_BODY // 1024} KiB)")
        return _error(e.code or 500, e.description or e.name)

    @app.errorhandler(Exception)
    def _internal(e: Exception):
        # The traceback goes to the server's log, never to the page.
        current_app.logger.error("error in %s %s", request.method, request.path, exc_info=e)
        return _error(500, f"internal error ({type(e).__name__}); the server's log has the details")

    @app.errorhandler(ConflictError)
    def _conflict(e):
        return _error(409, str(e))

    @app.errorhandler(NotFoundError)
    def _missing(e):
        return _error(404, str(e))

    @app.errorhandler(ReviewerError)
    def _not_the_reviewer(e):
        # 403 with the reviewer named: the page shows it and goes on (a bare 403 stops its queue: no token)
        return _error(403, str(e), reviewer=e.reviewer)

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
        # dataset_id names the page's offline queue (IndexedDB) without revealing the dataset's path
        return jsonify({"name": ws.ds.manifest.name, "split": ws.split, "pairs": len(ws.pair_ids),
                        "dataset_id": hashlib.sha256(str(ws.root).encode()).hexdigest()[:16],
                        "statuses": list(PAIR_STATUSES), "annotator": annotator, "low": LOW_CONFIDENCE,
                        "suggester": suggester.name if suggester is not None else None})

    @app.get("/api/pairs")
    def pairs():
        status = request.args.get("status") or None
        if status is not None and status not in PAIR_STATUSES:
            raise RequestError(f"status {status!r} is not one of {', '.join(PAIR_STATUSES)}")
        clip = request.args.get("clip") or None
        if clip is not None:
            check_id(clip, "clip id")
        low = _float_arg("low", LOW_CONFIDENCE)
        rows = ws.queue(status, clip, low)
        mine = check_user(request.args.get("mine") or None)
        if mine is not None:
            rows = [r for r in rows if mine in (r["annotator"], r["reviewer"])]
        flag = request.args.get("flag") or None
        if flag not in (None, "low", "unlabelled"):
            raise RequestError(f"flag {flag!r} is not 'low' or 'unlabelled'")
        if flag is not None:
            rows = [r for r in rows if r[flag]]
        sort = request.args.get("sort") or None
        if sort == "confidence":  # lowest automatic confidence first; pairs with none last
            rows.sort(key=lambda r: (r["min_conf"] is None, r["min_conf"] or 0.0, -r["low"]))
        elif sort == "unlabelled":
            rows.sort(key=lambda r: -r["unlabelled"])
        elif sort is not None:
            raise RequestError(f"sort {sort!r} is not 'confidence' or 'unlabelled'")
        return jsonify({"pairs": rows})

    @app.get("/api/clip/<clip>/colors")
    def colors(clip: str):
        check_id(clip, "clip id")
        ref = request.args.get("ref") or None
        if ref is not None:
            check_id(ref, "frame id")
        until = request.args.get("until") or None
        if until is not None:
            check_id(until, "frame id")
        use = request.args.get("matcher") == "1"
        if use and cache is None:
            raise NotFoundError("no matcher to colorize with: start the server with --suggest NAME")
        return jsonify(ws.clip_colors(clip, ref, cache if use else None, until))

    @app.get("/api/progress")
    def progress():
        return jsonify({"clips": ws.progress()})

    @app.post("/api/assign")
    def assign():
        body = _body()
        kw = {k: body[k] for k in ("annotator", "reviewer") if k in body}
        return jsonify({"assignments": ws.assign_pairs(body.get("pairs"), **kw)})

    @app.get("/api/pair/<clip>/<name>/suggest")
    def suggest(clip: str, name: str):
        pid = _pid(clip, name)
        if cache is None:
            raise NotFoundError("no suggestions: start the server with --suggest NAME (linecorr annotate --help)")
        return jsonify(ws.suggestions(pid, cache))

    @app.get("/api/pair/<clip>/<name>")
    def pair(clip: str, name: str):
        return jsonify(ws.view(_pid(clip, name)))

    @app.get("/api/pair/<clip>/<name>/history")
    def history(clip: str, name: str):
        return jsonify({"versions": ws.history(_pid(clip, name))})

    def _edit(clip: str, name: str, run: Callable[[str, dict, str | None, str | None], dict], ops: int = 0,
              undos: int = 0):
        """Apply one edit (``run(pid, body, client_op, user)``), count it in the pair's effort log, answer the
        new state. Every field is checked first: a request refused (400) has written nothing."""
        pid = _pid(clip, name)
        body = _body()
        effort = parse_report(body.get("effort"))
        client_op = check_client_op(body.get("client_op"))
        user = check_user(body.get("user")) or annotator
        out = run(pid, body, client_op, user)
        if not out.get("replayed"):  # a write answered again was counted when it was applied
            add_effort(ws.root, pid, ops=ops, undos=undos, user=user, **effort)
        return jsonify(out)

    @app.post("/api/pair/<clip>/<name>/op")
    def op(clip: str, name: str):
        return _edit(clip, name, lambda pid, body, cop, u: ws.apply(pid, body.get("base"), body.get("op"), cop, u),
                     ops=1)

    @app.post("/api/pair/<clip>/<name>/undo")
    def undo(clip: str, name: str):
        return _edit(clip, name, lambda pid, body, cop, u: ws.undo(pid, body.get("base"), cop, u), undos=1)

    @app.post("/api/pair/<clip>/<name>/redo")
    def redo(clip: str, name: str):
        return _edit(clip, name, lambda pid, body, cop, u: ws.redo(pid, body.get("base"), cop, u), ops=1)

    @app.post("/api/pair/<clip>/<name>/restore")
    def restore(clip: str, name: str):
        return _edit(clip, name, lambda pid, body, cop, u: ws.restore(pid, body.get("base"), body.get("version"),
                                                                      cop, u))

    @app.post("/api/pair/<clip>/<name>/effort")
    def effort(clip: str, name: str):
        pid = _pid(clip, name)
        ws.check_pair(pid)
        body = _body()
        user = check_user(body.pop("user", None)) or annotator
        return jsonify(add_effort(ws.root, pid, user=user, **parse_report(body)))

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
        return Response(effort_csv(effort_rows(ws.root, ws.pair_ids, ws.statuses())), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=effort.csv"})

    @app.get("/api/effort_by_user.csv")
    def effort_people():
        return Response(effort_csv(effort_by_user(ws.root, ws.pair_ids), BY_USER_COLS), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=effort_by_user.csv"})

    return app


def scrub_paths(message: str, roots: Iterable[str] = ()) -> str:
    """``message`` on one line with no absolute path: the dataset folder becomes ``DATASET``, any
    other absolute path its last component (an error must not tell a visitor where files live)."""
    text = " ".join(str(message).split())
    for root in roots:
        text = text.replace(root, "DATASET")
    return _ABS_PATH.sub(lambda m: m.group(1), text)


def _error(code: int, message: str, **extra):
    roots = current_app.extensions.get("linecorr_roots", ()) if current_app else ()
    resp = jsonify({"error": scrub_paths(message, roots), **extra})
    resp.status_code = code
    return resp


def _float_arg(key: str, default: float) -> float:
    raw = request.args.get(key)
    if raw is None or raw == "":
        return default
    try:
        v = float(raw)
    except ValueError:
        raise RequestError(f"{key} must be a number, got {raw[:40]!r}") from None
    if not 0.0 <= v <= 1.0:
        raise RequestError(f"{key} must be in 0..1, got {v:g}")
    return v


def _pid(clip: str, name: str) -> str:
    fa, sep, fb = name.partition("__")
    if not sep:
        raise RequestError(f"pair {name!r} is not '<frame_a>__<frame_b>'")
    check_id(clip, "clip id"), check_id(fa, "frame id"), check_id(fb, "frame id")
    return f"{clip}/{name}"


def _too_deep(obj, limit: int) -> bool:
    """Whether ``obj`` nests lists/objects deeper than ``limit`` (iterative: no recursion to exhaust)."""
    stack = [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if isinstance(o, dict | list):
            if d > limit:
                return True
            stack.extend((v, d + 1) for v in (o.values() if isinstance(o, dict) else o))
    return False


def _body() -> dict:
    if not request.is_json:
        raise RequestError("request body must be JSON (Content-Type: application/json)")
    # The stream stops one byte past MAX_BODY, so more than MAX_BODY bytes means too large, whether
    # the body came with a Content-Length (refused before reading) or chunked.
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY:
        raise RequestEntityTooLarge()
    try:
        data = json.loads(raw or b"null")
    except RecursionError:
        raise RequestError(f"request body is nested too deeply (at most {MAX_DEPTH} levels)") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise RequestError(f"request body is malformed JSON ({e})") from None
    if _too_deep(data, MAX_DEPTH):
        raise RequestError(f"request body is nested too deeply (at most {MAX_DEPTH} levels)")
    if not isinstance(data, dict):
        raise RequestError("request body must be a JSON object")
    return data


def host_names(host: str) -> list[str]:
    """Names a browser may put in the Host header for a server bound to ``host``: the address
    itself (unless a wildcard), this machine's name, its fully qualified name and their addresses."""
    names = {host} if host not in ("0.0.0.0", "::", "") else set()
    for name in (socket.gethostname(), socket.getfqdn()):
        names.add(name)
        try:
            names.update(str(ai[4][0]) for ai in socket.getaddrinfo(name, None))
        except OSError:  # a name that does not resolve: the name itself is still allowed
            pass
    return sorted(n.lower() for n in names if n)


def serve(dataset: str | Path, host: str = "127.0.0.1", port: int = 8765, split: str | None = None,
          quiet: bool = False, allow_hosts: Iterable[str] = (), suggest: str | None = None,
          annotator: str | None = None) -> None:
    """Run the server until interrupted (threaded; every operation is written before it answers).

    Bound to loopback, anyone on this machine may use it (as any local file). Bound beyond
    loopback it wants a fresh token (printed in the URL) and still checks the Host header:
    ``allow_hosts`` adds names to :func:`host_names`. ``suggest`` names a suggestion provider
    (:func:`annotator.suggest.load_suggester`), ``annotator`` the default annotator name.
    """
    from annotator.suggest import load_suggester

    suggester = load_suggester(suggest) if suggest else None
    from werkzeug.serving import make_server

    local = host in LOOPBACK
    token = None if local else secrets.token_urlsafe(24)
    hosts = LOCAL_HOSTS if local else (*LOCAL_HOSTS, *host_names(host), *allow_hosts)
    app = create_app(dataset, split, hosts, token=token, suggester=suggester, annotator=annotator)
    srv = make_server(host, port, app, threaded=True)
    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    ws = app.extensions["linecorr_workspace"]
    print(f"annotating {ws.root} ({len(ws.pair_ids)} pairs)" + (f", suggestions from {suggester.name}"
                                                               if suggester else ""), flush=True)
    query = f"?token={token}" if token else ""
    shown = socket.gethostname() if host in ("0.0.0.0", "::") else f"[{host}]" if ":" in host else host
    print(f"open http://{shown}:{srv.server_port}/{query}", flush=True)
    if not local:
        print(f"  or http://127.0.0.1:{srv.server_port}/{query} on this machine", flush=True)
        print("warning: listening beyond loopback; anyone who can reach it and has the token can edit the "
              "annotations (the connection is not encrypted)", file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    finally:
        srv.server_close()


__all__ = ["FormatError", "create_app", "host_names", "scrub_paths", "serve"]
