"""The annotator's operations, as pure functions on a pair's matches or on a frame's label map.

Two kinds of operation:

* match operations (:func:`assign`, :func:`unassign`, :func:`no_match`, :func:`accept`,
  :func:`set_status`) take a
  :class:`PairState` and return a new one;
* segment operations (:func:`merge`, :func:`split`, :func:`bucket`, :func:`brush`, :func:`erase`) take
  a frame's ``(H, W) int32`` label map (0 = line pixels) and return a :class:`FrameEdit`: the new map
  and the bounding box of the pixels that changed.

Nothing here touches the disk. The inverse of every operation is the state it was applied to: the
history (annotator/history.py) keeps each version, so undo restores the version before.

A segment operation changes ids that the matches of every pair showing that frame refer to.
:func:`lineage` says, from the old and new maps, where each old segment went (kept, merged into
another, split into pieces), and :func:`remap_side` rewrites one side of a pair accordingly, so the
matches of all pairs that share the frame stay consistent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format.schema import PAIR_STATUSES
from dataprep.segment.labelops import fill_from_neighbours
from dataprep.segment.trapped_ball import trapped_ball_fill

SIDES = ("a", "b")
MAX_STROKE_POINTS = 10000  # a stroke is a polyline the user drew: more points than this is not one
MAX_STROKE_WIDTH = 64  # px


class OpError(LinecorrError):
    """An operation that cannot be applied (unknown segment, stroke that cuts nothing...): HTTP 400."""


@dataclass(frozen=True)
class PairState:
    """The correctable content of a pair.

    Attributes:
        matches: ``[(a, b, source, confidence)]`` edges, sorted, no duplicates.
        unmatched_a / unmatched_b: sorted segment ids marked as having no match in the other frame.
        status: one of ``PAIR_STATUSES``; comment: the reviewer's comment.
    """

    matches: tuple[tuple[int, int, str, float], ...] = ()
    unmatched_a: tuple[int, ...] = ()
    unmatched_b: tuple[int, ...] = ()
    status: str = "todo"
    comment: str = ""

    def to_json(self) -> dict:
        return {"matches": [list(m) for m in self.matches], "unmatched_a": list(self.unmatched_a),
                "unmatched_b": list(self.unmatched_b), "status": self.status, "comment": self.comment}

    @classmethod
    def from_json(cls, obj: dict) -> PairState:
        return normalise(cls(tuple((int(a), int(b), str(s), float(c)) for a, b, s, c in obj["matches"]),
                             tuple(obj.get("unmatched_a", ())), tuple(obj.get("unmatched_b", ())),
                             obj.get("status", "todo"), obj.get("comment", "")))


def normalise(st: PairState) -> PairState:
    """Sort and de-duplicate edges (first occurrence wins); a matched segment is never 'unmatched'."""
    seen: dict[tuple[int, int], tuple[int, int, str, float]] = {}
    for m in st.matches:
        seen.setdefault((m[0], m[1]), m)
    matches = tuple(seen[k] for k in sorted(seen))
    ma, mb = {m[0] for m in matches}, {m[1] for m in matches}
    ua = tuple(sorted(set(st.unmatched_a) - ma))
    ub = tuple(sorted(set(st.unmatched_b) - mb))
    return replace(st, matches=matches, unmatched_a=ua, unmatched_b=ub)


# ------------------------------------------------------------------------------------------------
# Match operations


def _edge(side: str, seg: int, other: int) -> tuple[int, int]:
    return (seg, other) if side == "a" else (other, seg)


def _touches(m: tuple, side: str, seg: int) -> bool:
    return m[0 if side == "a" else 1] == seg


def assign(st: PairState, side: str, seg: int, targets: list[int], replace_existing: bool = True) -> PairState:
    """Match segment ``seg`` of frame ``side`` to ``targets`` of the other frame (source ``manual``).

    With ``replace_existing`` the segment's other edges are removed first (the common correction:
    "this one goes there"); without, the edges are added to the ones it has.
    """
    keep = [m for m in st.matches if not (replace_existing and _touches(m, side, seg))]
    new = [(*_edge(side, seg, t), "manual", 1.0) for t in targets]
    # A manual edge replaces an automatic one between the same segments.
    pairs = {(a, b) for a, b, _, _ in new}
    keep = [m for m in keep if (m[0], m[1]) not in pairs]
    ua, ub = set(st.unmatched_a), set(st.unmatched_b)
    (ua if side == "a" else ub).discard(seg)
    (ub if side == "a" else ua).difference_update(targets)
    return normalise(replace(st, matches=tuple(keep + new), unmatched_a=tuple(ua), unmatched_b=tuple(ub)))


def unassign(st: PairState, side: str, seg: int, targets: list[int] | None = None) -> PairState:
    """Remove the edges between ``seg`` and ``targets`` (all its edges when None) and its no-match mark."""
    drop = None if targets is None else set(targets)
    other = 1 if side == "a" else 0
    keep = tuple(m for m in st.matches if not (_touches(m, side, seg) and (drop is None or m[other] in drop)))
    ua, ub = set(st.unmatched_a), set(st.unmatched_b)
    if targets is None:
        (ua if side == "a" else ub).discard(seg)
    return normalise(replace(st, matches=keep, unmatched_a=tuple(ua), unmatched_b=tuple(ub)))


def no_match(st: PairState, side: str, seg: int) -> PairState:
    """Mark ``seg`` as having no match in the other frame (removes its edges)."""
    st = unassign(st, side, seg)
    if side == "a":
        return normalise(replace(st, unmatched_a=st.unmatched_a + (seg,)))
    return normalise(replace(st, unmatched_b=st.unmatched_b + (seg,)))


def accept(st: PairState, side: str, edges: list[tuple[int, int, float]], source: str,
           replace_manual: bool = True) -> PairState:
    """Take matcher suggestions ``edges`` (``(a, b, confidence)``) as matches with source ``source``.

    Each segment of frame ``side`` named by an edge has its other edges replaced by the accepted ones
    (the suggestion says where it goes). ``source`` is ``manual`` when a person accepted the edge
    for that segment (confidence 1: checked), ``auto`` for "accept all above a threshold" (the
    matcher's confidence kept, so low ones are still flagged). Without ``replace_manual`` a segment
    with a ``manual`` edge is left alone: accepting in bulk never overrides what a person decided.
    """
    k = 0 if side == "a" else 1
    manual = {m[k] for m in st.matches if m[2] == "manual"}
    take = [e for e in edges if replace_manual or e[k] not in manual]
    segs = {e[k] for e in take}
    if not segs:
        return st
    pairs = {(int(a), int(b)) for a, b, _ in take}
    keep = [m for m in st.matches if m[k] not in segs and (m[0], m[1]) not in pairs]
    new = [(int(a), int(b), source, 1.0 if source == "manual" else round(float(c), 4)) for a, b, c in take]
    ua, ub = set(st.unmatched_a), set(st.unmatched_b)
    ua.difference_update(a for a, _, _ in take)
    ub.difference_update(b for _, b, _ in take)
    return normalise(replace(st, matches=tuple(keep + new), unmatched_a=tuple(ua), unmatched_b=tuple(ub)))


def set_status(st: PairState, status: str, comment: str | None = None) -> PairState:
    """Set the review status (and the reviewer's comment when given)."""
    if status not in PAIR_STATUSES:
        raise OpError(f"status {status!r} is not one of {', '.join(PAIR_STATUSES)}")
    return replace(st, status=status, comment=st.comment if comment is None else comment)


# ------------------------------------------------------------------------------------------------
# Segment operations


@dataclass
class FrameEdit:
    """Result of a segment operation.

    Attributes:
        seg: ``(H, W) int32`` the new label map (a new array; the input is never modified).
        bbox: ``(x, y, w, h)`` of every pixel that changed.
        created: ids that did not exist before.
    """

    seg: np.ndarray
    bbox: tuple[int, int, int, int]
    created: list[int] = field(default_factory=list)


def changed_bbox(old: np.ndarray, new: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(x, y, w, h)`` of the pixels where two maps differ, or None when they are equal."""
    diff = old != new
    rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def _finish(old: np.ndarray, new: np.ndarray, what: str) -> FrameEdit:
    box = changed_bbox(old, new)
    if box is None:
        raise OpError(f"{what} changed nothing")
    x, y, w, h = box
    before = set(np.unique(old[y:y + h, x:x + w]).tolist())
    created = sorted(set(np.unique(new[y:y + h, x:x + w]).tolist()) - before - {0})
    # an id that existed outside the box is not new either
    created = [c for c in created if not (old == c).any()] if created else []
    return FrameEdit(new, box, created)


def _check_ids(seg: np.ndarray, ids: list[int], what: str) -> None:
    present = np.isin(np.asarray(ids), seg)
    if not present.all():
        missing = [i for i, p in zip(ids, present) if not p]
        raise OpError(f"{what}: segment {missing[0]} does not exist in this frame")


def stroke_mask(shape: tuple[int, int], points: list, width: float) -> np.ndarray:
    """Rasterise a polyline stroke.

    Args:
        shape: ``(H, W)`` of the frame.
        points: ``[[x, y], ...]`` image coordinates (x right, y down), at least one point.
        width: stroke thickness in px (>= 1).

    Returns:
        ``(H, W) bool``; a 1-px stroke is 8-connected, so no 4-connected region leaks across it.
    """
    try:
        pts = np.asarray(points, np.float64)
    except (TypeError, ValueError):
        pts = np.zeros((0, 0))
    if pts.ndim != 2 or pts.shape[1] != 2 or not 1 <= len(pts) <= MAX_STROKE_POINTS or not np.isfinite(pts).all():
        raise OpError(f"stroke must be a list of 1..{MAX_STROKE_POINTS} [x, y] points")
    if not 1 <= width <= MAX_STROKE_WIDTH:
        raise OpError(f"stroke width must be in 1..{MAX_STROKE_WIDTH} px, got {width}")
    mask = np.zeros(shape, np.uint8)
    ipts = np.round(pts).astype(np.int32).reshape(-1, 1, 2)
    t = max(1, round(width))
    cv2.polylines(mask, [ipts], False, 1, thickness=t, lineType=cv2.LINE_8)
    if len(pts) == 1:
        cv2.circle(mask, tuple(int(v) for v in ipts[0, 0]), max(0, t // 2), 1, -1)
    return mask.astype(bool)


def merge(seg: np.ndarray, ids: list[int]) -> FrameEdit:
    """Merge segments ``ids`` into the smallest of them."""
    ids = sorted({int(i) for i in ids})
    if len(ids) < 2:
        raise OpError("merge needs at least two segments")
    if ids[0] <= 0:
        raise OpError("merge: segment ids must be positive")
    _check_ids(seg, ids, "merge")
    new = seg.copy()
    new[np.isin(seg, ids[1:])] = ids[0]
    return _finish(seg, new, "merge")


def _components(mask: np.ndarray) -> tuple[int, np.ndarray]:
    n, lab = cv2.connectedComponents(mask.view(np.uint8) if mask.dtype == bool else mask, connectivity=4,
                                     ltype=cv2.CV_32S)
    return n - 1, lab


def _pieces_to_new_ids(new: np.ndarray, seg_id: int, region: np.ndarray, next_id: int,
                       keep_largest: bool) -> tuple[int, int]:
    """Give every 4-connected piece of ``region`` a new id, except the largest (keeps ``seg_id``).

    Returns:
        ``(pieces, next_id)``.
    """
    n, lab = _components(region)
    if n == 0:
        return 0, next_id
    sizes = np.bincount(lab.ravel(), minlength=n + 1)[1:]
    keep = int(np.argmax(sizes)) + 1 if keep_largest else 0
    lut = np.zeros(n + 1, np.int32)
    for k in range(1, n + 1):
        if k == keep:
            lut[k] = seg_id
        else:
            lut[k] = next_id
            next_id += 1
    sel = lab > 0
    new[sel] = lut[lab[sel]]
    return n, next_id


def _crop_of(mask: np.ndarray, pad: int = 1) -> tuple[slice, slice]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    h, w = mask.shape
    return (slice(max(0, rows[0] - pad), min(h, rows[-1] + 1 + pad)),
            slice(max(0, cols[0] - pad), min(w, cols[-1] + 1 + pad)))


def split(seg: np.ndarray, seg_id: int | None, points: list, width: float = 1.0) -> FrameEdit:
    """Split a segment along a drawn stroke.

    The stroke is rasterised; the 4-connected pieces of the segment minus the stroke become
    segments (the largest keeps the id, the others get new ids), and the stroke's own pixels go to
    the nearest piece, so the split adds no line pixels.

    Args:
        seg_id: the segment to split; None = the segment the stroke covers most.
    """
    stroke = stroke_mask(seg.shape, points, width)
    if seg_id is None:
        under = seg[stroke]
        under = under[under > 0]
        if under.size == 0:
            raise OpError("split: the stroke crosses no segment")
        seg_id = int(np.bincount(under).argmax())
    _check_ids(seg, [seg_id], "split")
    own = seg == seg_id
    ys, xs = _crop_of(own)
    own_c, stroke_c = own[ys, xs], stroke[ys, xs]
    before, _ = _components(own_c)
    new = seg.copy()
    crop = new[ys, xs]
    crop[own_c & stroke_c] = 0
    pieces, _ = _pieces_to_new_ids(crop, seg_id, own_c & ~stroke_c, int(seg.max()) + 1, keep_largest=True)
    if pieces <= before:
        raise OpError(f"split: the stroke does not cut segment {seg_id} in two (draw across it, end to end)")
    # The stroke's pixels go to the nearest piece; only the pieces are offered as sources, so a
    # neighbouring segment that touches the stroke never grows into it.
    cut = own_c & stroke_c
    filled = fill_from_neighbours(np.where(own_c, crop, 0), cut)
    crop[cut] = filled[cut]
    crop[cut & (crop == 0)] = seg_id  # a sliver the stroke covered entirely keeps the old id
    return _finish(seg, new, "split")


def bucket(seg: np.ndarray, ink: np.ndarray, x: int, y: int, radius: float = 2.0) -> FrameEdit:
    """Paint-bucket refill with gap closing at pixel ``(x, y)``.

    The region is the trapped-ball fill region (dataprep.segment, balls up to ``radius`` px, so
    gaps in the lines up to ~2 * radius px are closed) of the ink ``ink | (seg == 0)`` that
    contains the click. It becomes the clicked segment; what the clicked segment had outside the
    region becomes new segments (one per 4-connected piece); segments swallowed whole vanish
    (their matches go to the clicked segment, see :func:`lineage`).

    Args:
        ink: ``(H, W) bool`` line pixels of the line image.
        x, y: the click, image pixel coordinates.
        radius: largest ball radius, px (0 = no gap closing: plain 4-connected region).
    """
    h, w = seg.shape
    if not (0 <= x < w and 0 <= y < h):
        raise OpError(f"bucket: point ({x}, {y}) is outside the {w}x{h} frame")
    if not 0 <= radius <= 16:
        raise OpError(f"bucket: radius must be in 0..16 px, got {radius}")
    s = int(seg[y, x])
    walls = ink | (seg == 0)
    if s == 0 or walls[y, x]:
        raise OpError("bucket: click inside a region, not on a line")
    fill = trapped_ball_fill(walls, radius, 1.0)
    r = int(fill[y, x])
    if r == 0:
        raise OpError("bucket: no region at that point")
    region = fill == r
    new = seg.copy()
    new[region] = s
    rest = (seg == s) & ~region
    if rest.any():
        ys, xs = _crop_of(rest)
        _pieces_to_new_ids(new[ys, xs], s, rest[ys, xs], int(seg.max()) + 1, keep_largest=False)
    return _finish(seg, new, "bucket fill")


def brush(seg: np.ndarray, points: list, width: float = 2.0) -> FrameEdit:
    """Draw a boundary: the stroke's pixels become line pixels (0).

    A segment the stroke cuts apart is split: its largest piece keeps the id, the others get new ids.
    """
    stroke = stroke_mask(seg.shape, points, width) & (seg > 0)
    if not stroke.any():
        raise OpError("brush: the stroke covers no segment pixel")
    touched = np.unique(seg[stroke]).tolist()
    new = seg.copy()
    new[stroke] = 0
    next_id = int(seg.max()) + 1
    for t in touched:
        own = new == t
        if not own.any():
            continue
        ys, xs = _crop_of(own)
        before, _ = _components(seg[ys, xs] == t)
        n, _ = _components(own[ys, xs])
        if n > before:
            _, next_id = _pieces_to_new_ids(new[ys, xs], t, own[ys, xs], next_id, keep_largest=True)
    return _finish(seg, new, "brush")


def erase(seg: np.ndarray, points: list, width: float = 4.0) -> FrameEdit:
    """Erase boundary: the line pixels under the stroke join the nearest segment.

    Segments are not merged by this (use merge): each erased pixel takes the id of the segment
    nearest to it through the erased pixels.
    """
    stroke = stroke_mask(seg.shape, points, width) & (seg == 0)
    if not stroke.any():
        raise OpError("erase: no boundary pixel under the stroke")
    ys, xs = _crop_of(stroke, pad=2)
    new = seg.copy()
    new[ys, xs] = fill_from_neighbours(seg[ys, xs], stroke[ys, xs])
    return _finish(seg, new, "erase")


# ------------------------------------------------------------------------------------------------
# Keeping matches consistent with a frame's new label map


@dataclass
class Lineage:
    """Where the segments of an edited frame went.

    Attributes:
        heirs: ``{old id: new id}`` for segments that vanished: the new segment that received most
            of their pixels (absent when they became line pixels).
        parents: ``{new id: old id}`` for created segments: the old segment most of their pixels
            came from; they inherit its matches.
    """

    heirs: dict[int, int] = field(default_factory=dict)
    parents: dict[int, int] = field(default_factory=dict)


def lineage(old: np.ndarray, new: np.ndarray, bbox: tuple[int, int, int, int]) -> Lineage:
    """Compare the changed box of the old and new maps (every changed pixel is inside ``bbox``)."""
    x, y, w, h = bbox
    o = old[y:y + h, x:x + w].ravel().astype(np.int64)
    n = new[y:y + h, x:x + w].ravel().astype(np.int64)
    diff = o != n
    pairs, counts = np.unique(np.stack([o[diff], n[diff]], 1), axis=0, return_counts=True)
    old_ids = set(np.unique(o).tolist()) - {0}
    new_ids = set(np.unique(n).tolist()) - {0}
    gone = {i for i in old_ids - new_ids if not (new == i).any()}
    born = {i for i in new_ids - old_ids if not (old == i).any()}
    heirs: dict[int, tuple[int, int]] = {}
    parents: dict[int, tuple[int, int]] = {}
    for (po, pn), c in zip(pairs.tolist(), counts.tolist()):
        if po in gone and pn > 0 and c > heirs.get(po, (0, 0))[1]:
            heirs[po] = (pn, c)
        if pn in born and po > 0 and c > parents.get(pn, (0, 0))[1]:
            parents[pn] = (po, c)
    return Lineage({k: v[0] for k, v in heirs.items()}, {k: v[0] for k, v in parents.items()})


def remap_side(st: PairState, side: str, lin: Lineage, present: set[int]) -> PairState:
    """Rewrite the ids of frame ``side`` in a pair after that frame was edited.

    Vanished segments pass their edges (and no-match marks) to their heir; created segments get
    copies of their parent's; ids not in ``present`` (the frame's segments now) are dropped.
    """
    i = 0 if side == "a" else 1
    children: dict[int, list[int]] = {}
    for child, parent in lin.parents.items():
        children.setdefault(parent, []).append(child)

    def targets(sid: int) -> list[int]:
        return [lin.heirs.get(sid, sid)] + children.get(sid, [])

    matches = []
    for m in st.matches:
        for t in targets(m[i]):
            mm = list(m)
            mm[i] = t
            if t in present:
                matches.append(tuple(mm))
    un = st.unmatched_a if side == "a" else st.unmatched_b
    new_un = tuple(t for s in un for t in targets(s) if t in present)
    return normalise(replace(st, matches=tuple(matches), **{f"unmatched_{side}": new_un}))
