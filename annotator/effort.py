"""The effort log: how long and how many interactions each pair took, as in AnT's user study.

AnT (Table 4) reports, per sequence, mouse clicks, key presses, interactions (their sum) and work
time. The browser counts clicks and key presses on the pair page and the active time (seconds
with the page visible, gaps longer than ``IDLE_S`` without input not counted) and reports them
every few seconds and with every operation; the server counts the operations it applied.

Stored per pair in ``annotations/clips/<clip>/effort/<fa>__<fb>.json`` (atomic writes, outside
the versioned history: effort is not undone by undo), exported as CSV by ``linecorr export effort``
and copied into each exported pair's ``meta["effort"]``. A report may carry an id; the record keeps
the last :data:`KEEP_REPORT_IDS` of them, so a report sent again after its answer was lost is not
counted twice.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from pathlib import Path
from typing import Any

from annotator.history import ANNOTATIONS, now
from dataprep.errors import LinecorrError
from dataprep.format.atomic import atomic_write_json
from dataprep.format.dataset import read_json
from dataprep.format.schema import parse_pair_id

IDLE_S = 60.0  # the browser stops the clock after this long without a click or key
MAX_REPORT_S = 3600.0  # one report never adds more than this (a stuck or forged client)
FIELDS = ("seconds", "clicks", "keys", "ops", "undos")
KEEP_REPORT_IDS = 64  # ids of the last reports, to answer a report sent twice without counting it twice
REPORT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")

_lock = threading.Lock()


def effort_file(root: Path, pid: str) -> Path:
    clip, fa, fb = parse_pair_id(pid)
    return Path(root) / ANNOTATIONS / "clips" / clip / "effort" / f"{fa}__{fb}.json"


def _read(root: Path, pid: str) -> dict:
    p = effort_file(root, pid)
    rec: dict = {k: 0 for k in FIELDS}
    rec.update({"first": None, "last": None, "reports": [], "by_user": {}})
    if p.is_file():
        rec.update(read_json(p))
    return rec


def load_effort(root: Path, pid: str) -> dict:
    """The effort record of a pair (zeros when none); ``by_user``: the same counts per annotator."""
    rec = _read(root, pid)
    del rec["reports"]
    return rec


def parse_report(rep: Any) -> dict:
    """A report as the page sends it (``{seconds, clicks, keys, id?}``, or None) as add_effort's
    keyword arguments, every field checked, so that a request is refused before anything is written.

    Raises:
        LinecorrError: not an object, a negative or absurd count, a malformed id.
    """
    if rep is None:
        rep = {}
    if not isinstance(rep, dict):
        raise LinecorrError("'effort' must be an object {seconds, clicks, keys}")
    out = {"seconds": rep.get("seconds", 0.0), "clicks": rep.get("clicks", 0), "keys": rep.get("keys", 0)}
    for name, hi in (("seconds", MAX_REPORT_S), ("clicks", 1e6), ("keys", 1e6)):
        v = out[name]
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= hi:
            raise LinecorrError(f"effort '{name}' must be a number in 0..{hi:g}, got {v!r}"[:200])
    rid = rep.get("id")
    if rid is not None and (not isinstance(rid, str) or not REPORT_ID.fullmatch(rid)):
        raise LinecorrError("effort 'id' must be an id of 8-64 letters, digits, '_' or '-'")
    out["report_id"] = rid
    return out


def add_effort(root: Path, pid: str, seconds: float = 0.0, clicks: int = 0, keys: int = 0, ops: int = 0,
               undos: int = 0, report_id: str | None = None, user: str | None = None) -> dict:
    """Add a report to a pair's record and return the new record.

    Args:
        report_id: the page's id of the report; a report whose id the record holds is not added again.
        user: the annotator (already checked): the report is also added to ``by_user[user]`` (effort
            per person); a report without one to ``by_user[""]``.

    Raises:
        LinecorrError: a negative or absurd count.
    """
    parse_report({"seconds": seconds, "clicks": clicks, "keys": keys, "id": report_id})
    with _lock:
        rec = _read(root, pid)
        if report_id is not None and report_id in rec["reports"]:
            del rec["reports"]
            return rec
        if report_id is not None:
            rec["reports"] = (rec["reports"] + [report_id])[-KEEP_REPORT_IDS:]
        rec["seconds"] = round(float(rec["seconds"]) + float(seconds), 3)
        rec["clicks"] = int(rec["clicks"]) + int(clicks)
        rec["keys"] = int(rec["keys"]) + int(keys)
        rec["ops"] = int(rec["ops"]) + int(ops)
        rec["undos"] = int(rec["undos"]) + int(undos)
        mine = rec.setdefault("by_user", {}).setdefault(user or "", {k: 0 for k in FIELDS})
        for k, v in zip(FIELDS, (seconds, clicks, keys, ops, undos), strict=True):
            mine[k] = round(float(mine.get(k, 0)) + float(v), 3) if k == "seconds" else int(mine.get(k, 0)) + int(v)
        rec["first"] = rec["first"] or now()
        rec["last"] = now()
        atomic_write_json(effort_file(root, pid), rec, indent=None)
    del rec["reports"]
    return rec


def effort_rows(root: Path, pids: list[str], statuses: dict[str, str] | None = None) -> list[dict]:
    """One row per pair: AnT's columns (clicks, key presses, interactions, time) plus ops and undos."""
    rows = []
    for pid in pids:
        rec = load_effort(root, pid)
        rows.append({"pair": pid, "status": (statuses or {}).get(pid, ""), "seconds": rec["seconds"],
                     "clicks": rec["clicks"], "keys": rec["keys"], "interactions": rec["clicks"] + rec["keys"],
                     "ops": rec["ops"], "undos": rec["undos"], "first": rec["first"] or "", "last": rec["last"] or ""})
    return rows


def effort_by_user(root: Path, pids: list[str]) -> list[dict]:
    """Effort per person: one row per annotator (``""``: reports made without a name), summed over
    ``pids``, with the number of pairs each worked on."""
    tot: dict[str, dict] = {}
    for pid in pids:
        for user, rec in load_effort(root, pid).get("by_user", {}).items():
            row = tot.setdefault(user, {"annotator": user, "pairs": 0, **{k: 0 for k in FIELDS}})
            row["pairs"] += 1
            for k in FIELDS:
                row[k] += rec.get(k, 0)
    rows = sorted(tot.values(), key=lambda r: r["annotator"])
    for r in rows:
        r["seconds"] = round(float(r["seconds"]), 3)
        r["interactions"] = r["clicks"] + r["keys"]
    return rows


def effort_csv(rows: list[dict], cols: list[str] | None = None) -> str:
    """The rows as CSV text (header first); ``cols`` defaults to the per-pair columns."""
    buf = io.StringIO()
    cols = cols or ["pair", "status", "seconds", "clicks", "keys", "interactions", "ops", "undos", "first", "last"]
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


#: Columns of the per-person effort CSV (:func:`effort_by_user`).
BY_USER_COLS = ["annotator", "pairs", "seconds", "clicks", "keys", "interactions", "ops", "undos"]
