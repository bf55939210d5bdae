"""``linecorr export eval``: the reviewed pairs as a new dataset, and ``linecorr export effort``: the effort log.

The evaluation dataset holds, for every accepted pair, both frames with their corrected label
maps (renumbered 1..N in raster order, as every writer of the toolkit does), segment tables
recomputed from them, and the pair with every match marked ``manual`` (a person checked each one),
its status, the reviewer's comment and the effort log in ``meta``. All its clips form the split
``eval``. Line, color and pixel-label images are the parent's.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from annotator.effort import BY_USER_COLS, effort_by_user, effort_csv, effort_rows, load_effort
from annotator.workspace import Workspace
from dataprep.errors import LinecorrError
from dataprep.format import ClipInfo, DatasetWriter, Match, Pair, make_producer
from dataprep.format.atomic import atomic_write_text
from dataprep.format.schema import parse_pair_id
from dataprep.segment.labelops import relabel_raster


def _renumber(seg: np.ndarray) -> tuple[np.ndarray, dict[int, int]]:
    """Renumber a label map 1..N in raster order; returns it and ``{old id: new id}``."""
    new = relabel_raster(seg)
    old_ids, first = np.unique(seg.ravel(), return_index=True)
    mapping = dict(zip(old_ids.tolist(), new.ravel()[first].tolist()))
    mapping.pop(0, None)
    return new, mapping


def export_eval(dataset: str | os.PathLike, out: str | os.PathLike, statuses: Iterable[str] = ("accepted",),
                overwrite: bool = False, progress: Callable | None = None) -> Path:
    """Write the pairs whose status is in ``statuses`` as a new dataset with split ``eval``.

    Args:
        dataset: the annotated dataset (with ``annotations/``).
        out: the new dataset folder (staged in ``<out>.partial``).
        statuses: which pairs to take; by default the accepted ones.
        progress: optional wrapper of an iterable (a tqdm bar).

    Returns:
        The path of the written dataset.

    Raises:
        LinecorrError: no pair has one of ``statuses``; ``out`` exists without ``overwrite``.
    """
    ws = Workspace(dataset)
    statuses = tuple(statuses)
    chosen = [q["id"] for q in ws.queue() if q["status"] in statuses]
    if not chosen:
        raise LinecorrError(f"no pair has status {' or '.join(statuses)}; review pairs with `linecorr annotate` "
                            "first", ws.root)
    by_clip: OrderedDict[str, list[str]] = OrderedDict()
    for pid in chosen:
        by_clip.setdefault(parse_pair_id(pid)[0], []).append(pid)
    w = DatasetWriter(out, name=f"{ws.ds.manifest.name}-eval", parent=ws.ds, overwrite=overwrite,
                      producer=make_producer("annotate", {"statuses": list(statuses), "pairs": len(chosen)}),
                      description=f"Hand-corrected evaluation pairs of {ws.ds.manifest.name}.",
                      license=ws.ds.manifest.license)
    clips = list(by_clip)
    for clip in progress(clips) if progress else clips:
        if w.clip_done(clip):
            continue
        _export_clip(ws, w, clip, by_clip[clip])
    w.set_splits({"eval": clips})
    return Path(w.commit())


def _export_clip(ws: Workspace, w: DatasetWriter, clip: str, pids: list[str]) -> None:
    info = ws.clip(clip)
    w.begin_clip(clip)
    used = {f for pid in pids for f in parse_pair_id(pid)[1:]}
    frames = [f for f in info.frames if f in used]
    head = ws.store(clip).head()
    maps: dict[str, dict[int, int]] = {}
    for fid in frames:
        v = int(head["frames"].get(fid, 0))
        seg, mapping = _renumber(ws.seg(clip, fid, v))
        maps[fid] = mapping
        table = ws.table(clip, fid, v)
        f = ws.ds.load_frame(clip, fid, info)
        seg_labels = None if f.labels is not None else {mapping[i]: int(lab) for i, lab in
                                                        zip(table.ids.tolist(), table.label.tolist()) if i in mapping}
        clabels = {mapping[i]: int(c) for i, c in zip(table.ids.tolist(), table.color_label.tolist())
                   if i in mapping and c >= 0}
        w.write_frame(clip, fid, line=f.line_raw, seg=seg, color=f.color, alpha=f.alpha, labels=f.labels,
                      segment_labels=seg_labels, color_labels=clabels or None)
    for pid in pids:
        snap = ws.current(pid)
        st = snap["state"]
        _, fa, fb = parse_pair_id(pid)
        ma, mb = maps[fa], maps[fb]
        matches = [Match(ma[a], mb[b], "manual", 1.0) for a, b, _, _ in st["matches"] if a in ma and b in mb]
        meta = dict(ws.ds.load_pair(pid).meta)
        meta["effort"] = load_effort(ws.root, pid)
        meta["annotation"] = {"version": snap["version"], "source": str(ws.root)}
        w.write_pair(Pair(clip, fa, fb, sorted(matches, key=lambda m: (m.a, m.b)),
                          sorted(ma[i] for i in st["unmatched_a"] if i in ma),
                          sorted(mb[i] for i in st["unmatched_b"] if i in mb),
                          status=st["status"], comment=st["comment"], meta=meta))
    w.finish_clip(ClipInfo(clip, frames, info.width, info.height, has_color=info.has_color,
                           has_labels=info.has_labels, source={"kind": "annotate", "clip": clip,
                                                               **{k: v for k, v in info.source.items() if k != "kind"}},
                           meta=info.meta))


def export_effort(dataset: str | os.PathLike, out: str | os.PathLike, by_annotator: bool = False) -> Path:
    """Write the effort log of every pair as CSV (AnT's columns: clicks, keys, interactions, seconds);
    ``by_annotator``: one row per person instead, summed over the pairs (:func:`effort_by_user`)."""
    ws = Workspace(dataset)
    out = Path(out)
    if by_annotator:
        atomic_write_text(out, effort_csv(effort_by_user(ws.root, ws.pair_ids), BY_USER_COLS))
        return out
    atomic_write_text(out, effort_csv(effort_rows(ws.root, ws.pair_ids, ws.statuses())))
    return out
