"""The effort log: how long and how many interactions each pair took, as in AnT's user study.

AnT (Table 4) reports, per sequence, mouse clicks, key presses, interactions (their sum) and work
time. The browser counts clicks and key presses on the pair page and the active time (seconds
with the page visible, gaps longer than ``IDLE_S`` without input not counted) and reports them
every few seconds and with every operation; the server counts the operations it applied.

Stored per pair in ``annotations/clips/<clip>/effort/<fa>__<fb>.json`` (atomic writes, outside
the versioned history: effort is not undone by undo), exported as CSV by ``linecorr export effort``
and copied into each exported pair's ``meta["effort"]``.
"""

from __future__ import annotations

import csv
import io
import threading
from pathlib import Path

from annotator.history import ANNOTATIONS, now
from dataprep.errors import LinecorrError
from dataprep.format.atomic import atomic_write_json
from dataprep.format.dataset import read_json
from dataprep.format.schema import parse_pair_id

IDLE_S = 60.0  # the browser stops the clock after this long without a click or key
MAX_REPORT_S = 3600.0  # one report never adds more than this (a stuck or forged client)
FIELDS = ("seconds", "clicks", "keys", "ops", "undos")

_lock = threading.Lock()


def effort_file(root: Path, pid: str) -> Path:
    clip, fa, fb = parse_pair_id(pid)
    return Path(root) / ANNOTATIONS / "clips" / clip / "effort" / f"{fa}__{fb}.json"


def load_effort(root: Path, pid: str) -> dict:
    """The effort record of a pair (zeros when none)."""
    p = effort_file(root, pid)
    rec = {k: 0 for k in FIELDS}
    rec.update({"first": None, "last": None})
    if p.is_file():
        rec.update(read_json(p))
    return rec


def add_effort(root: Path, pid: str, seconds: float = 0.0, clicks: int = 0, keys: int = 0, ops: int = 0,
               undos: int = 0) -> dict:
    """Add a report to a pair's record and return the new record.

    Raises:
        LinecorrError: a negative or absurd count.
    """
    for name, v, hi in (("seconds", seconds, MAX_REPORT_S), ("clicks", clicks, 1e6), ("keys", keys, 1e6)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= hi:
            raise LinecorrError(f"effort '{name}' must be a number in 0..{hi:g}, got {v!r}"[:200])
    with _lock:
        rec = load_effort(root, pid)
        rec["seconds"] = round(float(rec["seconds"]) + float(seconds), 3)
        rec["clicks"] = int(rec["clicks"]) + int(clicks)
        rec["keys"] = int(rec["keys"]) + int(keys)
        rec["ops"] = int(rec["ops"]) + int(ops)
        rec["undos"] = int(rec["undos"]) + int(undos)
        rec["first"] = rec["first"] or now()
        rec["last"] = now()
        atomic_write_json(effort_file(root, pid), rec, indent=None)
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


def effort_csv(rows: list[dict]) -> str:
    """The rows as CSV text (header first)."""
    buf = io.StringIO()
    cols = ["pair", "status", "seconds", "clicks", "keys", "interactions", "ops", "undos", "first", "last"]
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
