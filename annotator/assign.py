"""``linecorr assign``: who annotates and who reviews which pairs, and where each person stands.

A team lead hands out pairs from the command line; the page's queue does the same (both go through
:meth:`annotator.workspace.Workspace.assign_pairs`, atomic under the store lock, into
``annotations/assignments.json``). The summary per person counts the pairs assigned and how far
they got (from the pairs' statuses) and the person's effort (:func:`annotator.effort.effort_by_user`,
the numbers ``linecorr export effort --by-annotator`` writes).
"""

from __future__ import annotations

from collections import Counter

from annotator.effort import effort_by_user
from annotator.workspace import Workspace
from dataprep.errors import LinecorrError
from dataprep.format import layout
from dataprep.format.schema import PAIR_STATUSES, parse_pair_id

#: Columns of :func:`people` (``to_review``: pairs the person reviews that are marked done, i.e. waiting).
PEOPLE_COLS = ("person", "annotates", "done", "accepted", "rejected", "reviews", "to_review", "seconds",
               "interactions")
NO_NAME = "(no name)"  # effort reported by a page without a name


def select_pairs(ws: Workspace, clips: list[str] | None = None, pairs: list[str] | None = None,
                 split: str | None = None) -> list[str]:
    """The pair ids a selection names, in dataset order (no selection: every pair).

    Args:
        clips: every pair of these clips. ``pairs``: these pair ids. ``split``: every pair of the
            split's clips. Given together, a pair must match each.

    Raises:
        LinecorrError: the dataset has no pairs; a clip or pair it does not have (naming where it
            was looked for); a split without pairs. An unknown split is a FormatError naming splits.json.
    """
    pairs_dir = ws.root / layout.PAIRS
    if not ws.pair_ids:
        raise LinecorrError("the dataset has no pairs (`linecorr label` makes them)", pairs_dir)
    out = ws.ds.pair_ids(split) if split is not None else list(ws.pair_ids)
    if split is not None and not out:
        raise LinecorrError(f"split {split!r} has no pairs", ws.root / layout.SPLITS)
    if clips:
        have = {parse_pair_id(p)[0] for p in ws.pair_ids}
        for c in clips:
            if c not in have:
                raise LinecorrError(f"no clip {c!r} with pairs in this dataset", pairs_dir / c)
        want = set(clips)
        out = [p for p in out if parse_pair_id(p)[0] in want]
    if pairs:
        known = set(ws.pair_ids)
        for p in pairs:
            clip, fa, fb = parse_pair_id(p)
            if p not in known:
                raise LinecorrError(f"no pair {p!r} in this dataset", pairs_dir / clip / f"{fa}__{fb}.json")
        want = set(pairs)
        out = [p for p in out if p in want]
    if (clips or pairs) and split is not None and not out:
        raise LinecorrError(f"none of the pairs named is in split {split!r}", ws.root / layout.SPLITS)
    return out


def people(ws: Workspace, pids: list[str]) -> list[dict]:
    """One row per person (:data:`PEOPLE_COLS`) over ``pids``: the pairs assigned to them as annotator
    and how many of those are done, accepted or rejected; the pairs they review and how many wait
    for them (done); their effort on these pairs (seconds, interactions). A person with effort but
    no assignment has a row too; effort reported without a name is :data:`NO_NAME`, last."""
    assigned = ws.assignments()
    status = ws.statuses(pids)
    rows: dict[str, dict] = {}

    def row(name: str) -> dict:
        return rows.setdefault(name, {c: 0 for c in PEOPLE_COLS} | {"person": name})

    for pid in pids:
        a = assigned.get(pid, {})
        if a.get("annotator"):
            r = row(a["annotator"])
            r["annotates"] += 1
            if status[pid] in ("done", "accepted", "rejected"):
                r[status[pid]] += 1
        if a.get("reviewer"):
            r = row(a["reviewer"])
            r["reviews"] += 1
            r["to_review"] += status[pid] == "done"
    for e in effort_by_user(ws.root, pids):
        r = row(e["annotator"] or NO_NAME)
        r["seconds"], r["interactions"] = e["seconds"], e["interactions"]
    return sorted(rows.values(), key=lambda r: (r["person"] == NO_NAME, r["person"]))


def summary(ws: Workspace, pids: list[str]) -> str:
    """What ``linecorr assign --list`` prints: the table of :func:`people`, then the pairs' statuses
    and how many have nobody assigned."""
    rows = people(ws, pids)
    head = {"to_review": "to review"}
    table = [[head.get(c, c) for c in PEOPLE_COLS]]
    table += [[f"{r[c]:.1f}" if c == "seconds" else str(r[c]) for c in PEOPLE_COLS] for r in rows]
    widths = [max(len(t[i]) for t in table) for i in range(len(PEOPLE_COLS))]
    lines = ["  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(t, widths, strict=True)))
             for t in table] if rows else ["nobody is assigned a pair and nobody has reported effort"]
    assigned = ws.assignments()
    counts = Counter(ws.statuses(pids).values())
    lines.append(f"{len(pids)} pair(s): " + ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in PAIR_STATUSES)
                 + f"; {sum(not assigned.get(p, {}).get('annotator') for p in pids)} without an annotator, "
                 f"{sum(not assigned.get(p, {}).get('reviewer') for p in pids)} without a reviewer")
    return "\n".join(lines)


__all__ = ["NO_NAME", "PEOPLE_COLS", "people", "select_pairs", "summary"]
