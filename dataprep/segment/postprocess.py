"""Post-processing shared by the segmenters: shading-line folding, small-segment merging, line pixels.

Small-segment merging rule:

* A segment is *small* when its area is below `min_area` px (or when the caller flags it as thin,
  e.g. a 1-2 px colour fringe along an anti-aliased edge).
* A small segment that touches other segments directly (4-adjacent pixels, no line between) is
  merged into one of those direct neighbours: with colours, the one with the lowest cost
  Delta-E(colour_i, colour_j) * (1 - share_ij / 2), where share_ij is the fraction of i's direct
  boundary that j holds; without colours, the one with the longest direct contact.
* A segment with no direct neighbour (enclosed by line pixels) is merged only when its area is below
  `enclosed_min_area`, into the neighbour it shares the longest contact with across the line
  (contacts counted after growing every segment through the line pixels).
* Ties go to the larger neighbour, then the lower id. Merging runs in rounds; a small segment may
  merge into another small one only when that one is larger (or equal and with a higher id), so
  chains resolve from the smallest up and no cycle can form. Colours and areas are updated after
  each round (area-weighted mean colour).
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dataprep.segment.ink import InkMasks
from dataprep.segment.labelops import contact_counts, fill_from_neighbours, pad, relabel_raster

_MAX_ROUNDS = 64


def fold_shading_lines(labels: np.ndarray, shading: np.ndarray) -> np.ndarray:
    """Give every coloured shading line to the smallest segment adjacent to it (PBC's rule).

    The shading lines bounded regions during the fill (a shadow is its own segment); afterwards each
    8-connected piece of coloured line joins the smallest segment among its 4-neighbours, ties to
    the lower id. A piece that touches no segment stays 0.

    Args:
        labels: (H, W) int32 label map, 0 on all line pixels.
        shading: (H, W) bool, coloured shading-line pixels.

    Returns:
        (H, W) int32 label map (not renumbered).
    """
    n_comp, comp = cv2.connectedComponents(shading.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    if n_comp <= 1:
        return labels
    padded = pad(labels)
    flat, width = padded.ravel(), padded.shape[1]
    ys, xs = np.nonzero(shading)
    idx = (ys + 1) * width + xs + 1
    comp_of = comp[ys, xs].astype(np.int64)
    base = int(labels.max()) + 1
    keys = np.concatenate([comp_of * base + flat[idx + off] for off in (-1, 1, -width, width)])
    keys = np.unique(keys[keys % base > 0] if base > 1 else keys[:0])
    if keys.size == 0:
        return labels
    c, seg = keys // base, keys % base
    area = np.bincount(labels.ravel(), minlength=base)
    order = np.lexsort((seg, area[seg], c))
    c, seg = c[order], seg[order]
    first = np.unique(c, return_index=True)[1]
    target = np.zeros(n_comp, np.int32)
    target[c[first]] = seg[first]
    out = labels.copy()
    out[ys, xs] = np.where(target[comp_of] > 0, target[comp_of], labels[ys, xs])
    return out


def merge_small_segments(
    labels: np.ndarray,
    min_area: int,
    enclosed_min_area: int | None = None,
    colors: np.ndarray | None = None,
    thin: np.ndarray | None = None,
) -> np.ndarray:
    """Merge small segments into neighbours by the rule in this module's docstring.

    Args:
        labels: (H, W) int32, 0 = line pixels, segments 1..N contiguous.
        min_area: px; smaller segments that touch a segment directly are merged.
        enclosed_min_area: px; smaller segments enclosed by line are merged; None = `min_area`.
        colors: (N + 1, 3) float mean colour per label (row 0 unused), e.g. CIELAB, or None.
        thin: (N + 1,) bool, segments to treat as small whatever their area, or None.

    Returns:
        (H, W) int32 label map (not renumbered; merged labels disappear).
    """
    n = int(labels.max())
    if n <= 1 or min_area <= 0 and thin is None:
        return labels
    enclosed_min_area = min_area if enclosed_min_area is None else enclosed_min_area
    tables = _SegmentTables(labels, n, colors, thin)
    root = np.arange(n + 1)
    for _ in range(_MAX_ROUNDS):
        parent = tables.choose_targets(min_area, enclosed_min_area)
        if parent is None:
            break
        while True:  # pointer jumping: chains go to strictly larger keys, so they end
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
        tables.merge(parent)
        root = parent[root]
    return root.astype(np.int32)[labels]


class _SegmentTables:
    """Per-segment areas, colours, thinness and contact lists, updated as segments merge."""

    def __init__(self, labels: np.ndarray, n: int, colors: np.ndarray | None, thin: np.ndarray | None):
        self.n = n
        self.area = np.bincount(labels.ravel(), minlength=n + 1).astype(np.float64)
        self.colors = None if colors is None else np.asarray(colors, np.float64).copy()
        self.thin = np.zeros(n + 1, bool) if thin is None else np.asarray(thin, bool).copy()
        self.direct = contact_counts(labels)
        lines = labels == 0
        self.total = contact_counts(fill_from_neighbours(labels, lines)) if lines.any() else self.direct
        self.alive = self.area > 0
        self.alive[0] = False

    def choose_targets(self, min_area: int, enclosed_min_area: int) -> np.ndarray | None:
        """One round: the parent array of this round's merges, or None when nothing merges."""
        n, area = self.n, self.area
        da, db, dn = self.direct
        direct_len = np.bincount(np.concatenate([da, db]), np.concatenate([dn, dn]), minlength=n + 1)
        has_direct = direct_len > 0
        small = self.alive & (has_direct & ((area < min_area) | self.thin) | ~has_direct & (area < enclosed_min_area))
        if not small.any():
            return None
        src, dst, cost = self._candidate_pairs(small, has_direct, direct_len)
        # A small segment may only go to a non-small one or to a larger small one: no cycles.
        ids = np.arange(n + 1)
        ok = ~small[dst] | (area[dst] > area[src]) | (area[dst] == area[src]) & (dst > src)
        src, dst, cost = src[ok], dst[ok], cost[ok]
        if src.size == 0:
            return None
        order = np.lexsort((dst, -area[dst], cost, src))
        src, dst = src[order], dst[order]
        first = np.unique(src, return_index=True)[1]
        parent = ids.copy()
        parent[src[first]] = dst[first]
        return parent

    def _candidate_pairs(self, small, has_direct, direct_len):
        """(src, dst, cost) for every small src and each neighbour it may merge into."""
        da, db, dn = self.direct
        ta, tb, tn = self.total
        src = np.concatenate([da, db, ta, tb])
        dst = np.concatenate([db, da, tb, ta])
        cnt = np.concatenate([dn, dn, tn, tn]).astype(np.float64)
        is_direct = np.repeat([True, False], [2 * da.size, 2 * ta.size])
        # Direct contacts for segments that have them, contacts across lines for enclosed ones.
        keep = small[src] & (is_direct == has_direct[src])
        src, dst, cnt, is_direct = src[keep], dst[keep], cnt[keep], is_direct[keep]
        if self.colors is not None:
            delta = np.linalg.norm(self.colors[src] - self.colors[dst], axis=1)
            share = cnt / np.maximum(direct_len[src], 1)
            cost = np.where(is_direct, delta * (1.0 - 0.5 * share), -cnt)
        else:
            cost = -cnt
        return src, dst, cost

    def merge(self, parent: np.ndarray) -> None:
        """Apply a resolved parent array (every entry a root) to all tables."""
        n = self.n
        if self.colors is not None:
            sums = self.colors * self.area[:, None]
            merged = np.stack([np.bincount(parent, sums[:, k], minlength=n + 1) for k in range(3)], 1)
        self.area = np.bincount(parent, self.area, minlength=n + 1)
        if self.colors is not None:
            self.colors = merged / np.maximum(self.area, 1)[:, None]
        thick = np.bincount(parent, (~self.thin & self.alive).astype(np.float64), minlength=n + 1)
        self.thin = thick == 0
        self.alive = self.alive & (parent == np.arange(n + 1))
        self.direct = _remap_pairs(self.direct, parent, n)
        self.total = _remap_pairs(self.total, parent, n)


def _remap_pairs(pairs, parent, n):
    """Rename both ends of a contact list by `parent`, drop self-contacts, sum duplicates."""
    a, b, cnt = pairs
    a, b = parent[a], parent[b]
    keep = a != b
    a, b, cnt = a[keep], b[keep], cnt[keep]
    keys = np.minimum(a, b) * (n + 1) + np.maximum(a, b)
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq // (n + 1), uniq % (n + 1), np.bincount(inv, cnt).astype(np.int64)


def merge_touching_alike(labels: np.ndarray, colors: np.ndarray, distance: float) -> np.ndarray:
    """Merge segments that touch directly (no line between) and have nearly the same colour.

    Colour segments are connected components of one colour; once the fringe fragments between
    them are gone, two components of the same colour may touch and are then one component.

    Args:
        labels: (H, W) int32, 0 = line pixels.
        colors: (max label + 1, 3) float colour per label, e.g. CIELAB.
        distance: merge when the colours are at most this far apart.

    Returns:
        (H, W) int32 label map (not renumbered).
    """
    a, b, _ = contact_counts(labels)
    alike = np.linalg.norm(colors[a] - colors[b], axis=1) <= distance
    if not alike.any():
        return labels
    n = int(labels.max()) + 1
    graph = coo_matrix((np.ones(int(alike.sum())), (a[alike], b[alike])), shape=(n, n))
    _, root = connected_components(graph, directed=False)
    # Name each merged group by its smallest member so label 0 (lines, no edges) stays 0.
    first = np.full(root.max() + 1, n, np.int64)
    np.minimum.at(first, root, np.arange(n))
    return first[root].astype(np.int32)[labels]


def finish_line_segments(
    labels: np.ndarray, masks: InkMasks, min_area: int, keep_lines: bool, fold_shading: bool
) -> np.ndarray:
    """Shared tail of the line-art segmenters: fold shading lines, merge small, place line pixels.

    Args:
        labels: (H, W) int32, 0 on ink, segments 1..N.
        masks: the ink masks the labels were made from.
        min_area: px; see `merge_small_segments` (enclosed segments use the same threshold).
        keep_lines: keep line pixels as 0, else give each to its nearest segment.
        fold_shading: give coloured shading lines to the smallest adjacent segment.

    Returns:
        (H, W) int32 label map, segments 1..N in raster order of their first pixel.
    """
    if fold_shading and masks.shading.any():
        labels = fold_shading_lines(labels, masks.shading)
    if min_area > 0:
        labels = merge_small_segments(labels, min_area)
    if not keep_lines:
        labels = fill_from_neighbours(labels, labels == 0)
    return relabel_raster(labels)
