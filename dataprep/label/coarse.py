"""Coarse matcher for regions the votes left without a reliable match.

Keypoints crowd on faces and outlines; a sleeve, a button or a limb that swung far gets few or
no reliable votes. Such a region of A picks the region ``b`` of B with the lowest cost, a
weighted sum of terms in about [0, 1]:

    pos      |c_b - T(c_a)| / diag            centroid after the global alignment T
    local    |c_b - P(a)| / diag              P(a): where the nearest matched regions, each moving
                                              rigidly (its principal axis' rotation), carry a
    overlap  1 - share of a's pixels that land in b when moved that way
    color    DeltaE(a, b) / 100               mean colours (CIELAB)
    area     |log A_b - log A_a - 2 log s|    area after the global scale s
    shape    mean |hu_a - hu_b| / 10          log Hu moments (rotation and scale invariant)
    vote     1 - b's share of a's votes       votes too few or split to decide alone still count
                                              (0 when a has no votes at all)
    adjacent 1 - share of a's matched neighbours whose partner is b or touches b (0.5 if none)

The two distance terms are multiplied by ``unique_discount`` when ``a`` and ``b`` are each
other's only unmatched region of their colour (within ``unique_color`` Delta-E): a part painted
in a colour of its own is found wherever it moved, which is what a limb that swung far needs
(LightGlue finds almost no matches on it, and its neighbours' displacement points elsewhere).
The pair then keeps it when the cost is at most ``max_cost`` (else the region stays unmatched:
one-to-none). Candidates further than ``max_color`` in colour are never taken. Choices
are independent (many-to-one allowed). Matching runs in passes: each pass accepts what is cheap
enough, and the next recomputes displacement, overlap and adjacency with those matches, so
matches spread from matched structure into a limb. The same runs from B to A for B's regions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from dataprep.label.align import Alignment
from dataprep.label.regions import Regions


@dataclass
class CoarseConfig:
    """The coarse matcher's switch, cost weights and thresholds: ``LabelConfig.coarse`` (``--set coarse.KEY=VALUE``)."""

    enabled: bool = True  # match regions left without votes by aligned position, colour, area and shape
    w_pos: float = 1.0  # weight of the distance to where the global alignment puts the region (/ image diagonal)
    w_local: float = 2.0  # weight of the distance to where its nearest matched regions say it went (/ diagonal)
    w_overlap: float = 0.5  # weight of 1 - share of its pixels landing in the candidate when moved that way
    w_color: float = 1.0  # weight of Delta-E / 100
    w_area: float = 0.3  # weight of |log area ratio| after the global scale
    w_shape: float = 0.2  # weight of the mean difference of log Hu moments / 10
    w_vote: float = 0.3  # weight of 1 - the candidate's share of the region's (too few) votes
    w_adjacent: float = 0.3  # weight of 1 - share of its matched neighbours whose partner touches the candidate
    unique_color: float = 10.0  # Delta-E; two unmatched regions that are each other's only one of their colour ...
    unique_discount: float = 0.2  # ... have their distance terms scaled by this (a limb that swung far is still found)
    max_cost: float = 0.9  # candidates costlier than this stay unmatched (one-to-none)
    ratio: float = 0.7  # ... or costlier than this times the second-best candidate (1 = no ratio test)
    max_color: float = 25.0  # Delta-E; candidates of a clearly different colour are never coarse matches
    confidence: float = 0.5  # confidence of a coarse match is this * exp(-cost)
    k_nearest: int = 4  # matched neighbouring regions whose rigid motion predicts where a region went


@dataclass
class Side:
    """One frame as the choosing side (A) or the candidate side (B) of the coarse matcher."""

    regions: Regions
    seg: np.ndarray  # (H, W) int32 region map
    order: np.ndarray  # (H*W,) pixel indices sorted by region id (stable)
    starts: np.ndarray  # (N,) start of each row's pixels in `order`
    edges: np.ndarray  # (E, 2) neighbouring rows (i < j)
    contact: np.ndarray  # (E, 2) where each neighbouring pair meets [x, y]
    joint: dict  # (i, j) -> contact point, both orders


def make_side(regions: Regions, seg: np.ndarray, edges: np.ndarray, contact: np.ndarray | None = None,
              order: np.ndarray | None = None) -> Side:
    """Bundle a frame for :func:`coarse_match` (``order``: cached ``argsort`` of ``seg.ravel()``)."""
    flat = seg.ravel()
    order = np.argsort(flat, kind="stable") if order is None else order
    starts = np.searchsorted(flat[order], regions.ids)
    contact = np.zeros((len(edges), 2)) if contact is None else contact
    joint = {}
    for (i, j), c in zip(edges.tolist(), contact):
        joint[(i, j)] = joint[(j, i)] = c
    return Side(regions, seg, order, starts, edges, contact, joint)


def adjacency_matrix(n: int, edges: np.ndarray) -> sparse.csr_matrix:
    """``(n, n)`` symmetric 0/1 sparse adjacency of rows."""
    if len(edges) == 0:
        return sparse.csr_matrix((n, n))
    i = np.concatenate([edges[:, 0], edges[:, 1]])
    j = np.concatenate([edges[:, 1], edges[:, 0]])
    return sparse.csr_matrix((np.ones(i.size), (i, j)), shape=(n, n))


def _anchor_rotation(a: Side, b: Side, rows_a: np.ndarray, partner: np.ndarray, global_angle: float,
                     min_arm: float = 3.0, min_elongation: float = 1.5) -> np.ndarray:
    """Rotation (radians) of each matched region ``rows_a[i] -> partner[rows_a[i]]``.

    Where the region touches a matched neighbour whose partner touches its partner, the joint
    between them is a pivot seen in both frames: the rotation turns ``joint -> centroid`` in A
    into the same vector in B (averaged over such joints). Otherwise the principal axis gives it,
    up to half a turn: of the two, the one closer to the global rotation; roundish regions take
    the global rotation.
    """
    ra, rb = a.regions, b.regions
    d = rb.angle[partner[rows_a]] - ra.angle[rows_a]
    d = (d + np.pi / 2) % np.pi - np.pi / 2  # in [-pi/2, pi/2)
    alt = d + np.where(d < global_angle, np.pi, -np.pi)
    pick = np.where(np.abs(alt - global_angle) < np.abs(d - global_angle), alt, d)
    axis = (ra.elongation[rows_a] >= min_elongation) & (rb.elongation[partner[rows_a]] >= min_elongation)
    out = np.where(axis, pick, global_angle)
    nbrs: dict[int, list[int]] = {}
    for i, j in a.edges.tolist():
        nbrs.setdefault(i, []).append(j)
        nbrs.setdefault(j, []).append(i)
    for k, m in enumerate(rows_a.tolist()):
        p = int(partner[m])
        sx = sy = 0.0
        for n in nbrs.get(m, ()):
            q = int(partner[n])
            if q < 0 or (p, q) not in b.joint:
                continue
            va = ra.centroid[m] - a.joint[(m, n)]
            vb = rb.centroid[p] - b.joint[(p, q)]
            if np.hypot(*va) < min_arm or np.hypot(*vb) < min_arm:
                continue
            t = np.arctan2(vb[1], vb[0]) - np.arctan2(va[1], va[0])
            sx, sy = sx + np.cos(t), sy + np.sin(t)
        if sx or sy:
            out[k] = np.arctan2(sy, sx)
    return out


def predict_motion(a: Side, b: Side, partner: np.ndarray, align: Alignment, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each region of A went, judged from its nearest matched regions moving rigidly.

    A matched region ``m -> p`` carries its neighbourhood along: a region ``r`` near it is
    predicted at ``c_p + s R_m (c_r - c_m)``, with ``R_m`` the rotation of ``m``'s principal axis
    and ``s`` the global scale. So a forearm follows its upper arm even when the arm swung far.
    Predictions of the ``k`` nearest matched regions are averaged with weights
    ``1 / (1 + distance / 32 px)``, four times more for regions that touch ``r``.

    Args:
        a, b: the two sides.
        partner: ``(N_a,)`` matched row of B per row of A, -1 if none.
        align: global alignment (used where no region is matched).
        k: matched regions averaged.

    Returns:
        ``(centre, angle)``: ``(N_a, 2)`` predicted centroids in B and ``(N_a,)`` rotations.
    """
    ca = a.regions.centroid
    lin = align.linear
    g_angle = float(np.arctan2(lin[1, 0], lin[0, 0]))
    m = np.flatnonzero(partner >= 0)
    if m.size == 0:
        return align.apply(ca), np.full(len(ca), g_angle)
    rot_m = _anchor_rotation(a, b, m, partner, g_angle)
    d = np.linalg.norm(ca[:, None] - ca[m][None], axis=2)  # (N_a, M)
    kk = min(k, m.size)
    near = np.argpartition(d, kk - 1, axis=1)[:, :kk]
    n = len(ca)
    e = a.edges.astype(np.int64)
    codes = np.concatenate([e[:, 0] * n + e[:, 1], e[:, 1] * n + e[:, 0]]) if len(e) else np.zeros(0, np.int64)
    is_nb = np.isin(np.arange(n)[:, None] * n + m[near], codes)
    w = 1.0 / (1.0 + np.take_along_axis(d, near, 1) / 32.0) * np.where(is_nb, 4.0, 1.0)
    th = rot_m[near]  # (N_a, kk)
    rel = ca[:, None, :] - ca[m[near]]  # (N_a, kk, 2)
    cos, sin = np.cos(th), np.sin(th)
    rx = cos * rel[..., 0] - sin * rel[..., 1]
    ry = sin * rel[..., 0] + cos * rel[..., 1]
    pred = b.regions.centroid[partner[m[near]]] + align.scale * np.stack([rx, ry], -1)
    ws = w / w.sum(1, keepdims=True)
    centre = (ws[..., None] * pred).sum(1)
    angle = np.arctan2((ws * np.sin(th)).sum(1), (ws * np.cos(th)).sum(1))
    return centre, angle


def overlap_shares(a: Side, b: Side, rows: np.ndarray, centre: np.ndarray, angle: np.ndarray, scale: float,
                   max_samples: int = 256) -> np.ndarray:
    """Share of each chosen region's pixels that land in each region of B once moved.

    A pixel ``p`` of region ``r`` lands at ``centre_r + scale R(angle_r) (p - c_r)``. At most
    ``max_samples`` pixels per region, evenly spaced in raster order.

    Returns:
        ``(len(rows), N_b)`` shares in [0, 1].
    """
    nb = len(b.regions)
    out = np.zeros((len(rows), nb))
    if len(rows) == 0:
        return out
    h, w = b.seg.shape
    wa = a.seg.shape[1]
    idx, owner = [], []
    for i, r in enumerate(rows):
        n = int(a.regions.area[r])
        take = np.linspace(0, n - 1, min(n, max_samples)).astype(np.int64)
        idx.append(a.order[a.starts[r] + take])
        owner.append(np.full(take.size, i))
    idx, owner = np.concatenate(idx), np.concatenate(owner)
    ys, xs = np.divmod(idx, wa)
    rel = np.stack([xs, ys], 1) - a.regions.centroid[rows][owner]
    th = angle[rows][owner]
    cos, sin = np.cos(th), np.sin(th)
    q = centre[rows][owner] + scale * np.stack([cos * rel[:, 0] - sin * rel[:, 1], sin * rel[:, 0] + cos * rel[:, 1]], 1)
    qx, qy = np.rint(q[:, 0]).astype(np.int64), np.rint(q[:, 1]).astype(np.int64)
    inside = (qx >= 0) & (qx < w) & (qy >= 0) & (qy < h)
    rb = np.full(idx.size, -1)
    rb[inside] = b.regions.row_of[b.seg[qy[inside], qx[inside]]]
    ok = rb >= 0
    counts = np.bincount(owner[ok] * nb + rb[ok], minlength=len(rows) * nb).reshape(len(rows), nb)
    n_samp = np.bincount(owner, minlength=len(rows))
    return counts / np.maximum(n_samp, 1)[:, None]


def unique_colour_pairs(lab_a: np.ndarray, lab_b: np.ndarray, free_a: np.ndarray, free_b: np.ndarray,
                        tolerance: float) -> np.ndarray:
    """``(N_a, N_b) bool``: a and b are each other's only free region within ``tolerance`` Delta-E.

    Args:
        lab_a, lab_b: ``(N, 3)`` mean CIELAB colours.
        free_a, free_b: ``(N,) bool`` regions still unmatched (only they compete).
        tolerance: Delta-E under which two colours are the same paint.
    """
    de = np.linalg.norm(lab_a[:, None].astype(np.float64) - lab_b[None], axis=2)
    alike = (de <= tolerance) & free_a[:, None] & free_b[None, :]
    same_a = np.linalg.norm(lab_a[:, None].astype(np.float64) - lab_a[None], axis=2) <= tolerance
    same_b = np.linalg.norm(lab_b[:, None].astype(np.float64) - lab_b[None], axis=2) <= tolerance
    # a's alike free regions in B: exactly one; b's alike free regions in A: exactly one
    return alike & (alike.sum(1, keepdims=True) == 1) & (alike.sum(0, keepdims=True) == 1) \
        & ((same_a & free_a[None, :]).sum(1)[:, None] == 1) & ((same_b & free_b[None, :]).sum(1)[None, :] == 1)


def cost_matrix(a: Side, b: Side, rows: np.ndarray, align: Alignment, partner: np.ndarray,
                partner_back: np.ndarray, vote_share: np.ndarray, w: CoarseConfig, min_area: int = 4) -> np.ndarray:
    """``(len(rows), N_b)`` cost of matching the chosen regions of A to every region of B (``inf`` = never).

    Args:
        a, b: the sides.
        rows: rows of A that choose.
        align: global alignment A -> B.
        partner: ``(N_a,)`` current match of each row of A (-1 none): drives displacement and adjacency.
        partner_back: ``(N_b,)`` current match of each row of B (used as extra anchors).
        vote_share: ``(N_a, N_b)`` share of each row's votes (rows without votes are all 0).
        w: weights.
        min_area: px; smaller regions of B are never candidates.
    """
    ra, rb = a.regions, b.regions
    diag = float(np.hypot(*a.seg.shape))
    anchors = partner.copy()
    back = np.flatnonzero(partner_back >= 0)
    anchors[partner_back[back]] = np.where(anchors[partner_back[back]] < 0, back, anchors[partner_back[back]])
    centre, angle = predict_motion(a, b, anchors, align, w.k_nearest)
    ca = ra.centroid[rows]
    pos = np.linalg.norm(rb.centroid[None] - align.apply(ca)[:, None], axis=2) / diag
    local = np.linalg.norm(rb.centroid[None] - centre[rows][:, None], axis=2) / diag
    over = 1.0 - overlap_shares(a, b, rows, centre, angle, align.scale)
    de = np.linalg.norm(ra.lab[rows][:, None].astype(np.float64) - rb.lab[None], axis=2)
    area = np.abs(np.log(np.maximum(rb.area, 1))[None] - np.log(np.maximum(ra.area[rows], 1))[:, None]
                  - 2 * np.log(max(align.scale, 1e-6)))
    shape = np.abs(ra.hu[rows][:, None, :4] - rb.hu[None, :, :4]).mean(axis=2) / 10
    share = vote_share[rows]
    vote = np.where(share.sum(1, keepdims=True) > 0, 1.0 - share, 0.0)  # no votes: no evidence either way
    adj_a = adjacency_matrix(len(ra), a.edges)
    matched = anchors >= 0
    onehot = sparse.csr_matrix((np.ones(matched.sum()), (np.flatnonzero(matched), anchors[matched])),
                               shape=(len(ra), len(rb)))
    near_b = adjacency_matrix(len(rb), b.edges) + sparse.identity(len(rb), format="csr")
    hits = (adj_a[rows] @ onehot @ near_b).toarray()  # matched neighbours whose partner is b or touches b
    n_nb = np.asarray(adj_a[rows] @ matched.astype(float)).ravel()
    adjacent = np.where(n_nb[:, None] > 0, 1.0 - np.minimum(hits, n_nb[:, None]) / np.maximum(n_nb, 1)[:, None], 0.5)
    uniq = unique_colour_pairs(ra.lab, rb.lab, partner < 0, partner_back < 0, w.unique_color)[rows]
    dist = np.where(uniq, w.unique_discount, 1.0) * (w.w_pos * pos + w.w_local * local)
    cost = (dist + w.w_overlap * over + w.w_color * de / 100 + w.w_area * area
            + w.w_shape * shape + w.w_vote * vote + w.w_adjacent * adjacent)
    cost[de > w.max_color] = np.inf
    cost[:, rb.area < min_area] = np.inf
    return cost


def inverse(align: Alignment) -> Alignment:
    """The alignment B -> A."""
    lin_inv = np.linalg.inv(align.linear)
    return Alignment(np.hstack([lin_inv, -(lin_inv @ align.matrix[:, 2])[:, None]]), align.inliers, align.source)


def coarse_match(a: Side, b: Side, align: Alignment, fwd: np.ndarray, bwd: np.ndarray, vote_counts: np.ndarray,
                 w: CoarseConfig, min_area: int = 4, passes: int = 3
                 ) -> tuple[list[tuple[int, int, float]], list[tuple[int, int, float]]]:
    """Match the regions that have no match yet, in both directions.

    Args:
        a, b: the two frames (:func:`make_side`).
        align: global alignment A -> B.
        fwd: ``(N_a,)`` row of B each region of A is matched to (-1 = none).
        bwd: ``(N_b,)`` row of A each region of B is matched to (-1 = none).
        vote_counts: ``(N_a, N_b)`` colour-consistent votes.
        w: the matcher's weights and thresholds.
        min_area: px; smaller regions are neither matched nor candidates.
        passes: rounds; each uses the matches of the previous ones.

    Returns:
        ``(forward, backward)``: new ``(row_a, row_b, cost)`` choices of A's regions and new
        ``(row_b, row_a, cost)`` choices of B's regions.
    """
    fwd, bwd = fwd.copy(), bwd.copy()
    inv = inverse(align)
    tot_a = vote_counts.sum(1, keepdims=True)
    tot_b = vote_counts.sum(0, keepdims=True)
    share_ab = vote_counts / np.maximum(tot_a, 1)
    share_ba = (vote_counts / np.maximum(tot_b, 1)).T
    big_a = a.regions.area >= min_area
    big_b = b.regions.area >= min_area
    new_f: list[tuple[int, int, float]] = []
    new_b: list[tuple[int, int, float]] = []
    for _ in range(passes):
        changed = False
        for src, dst, part, back, share, tf, big, out in ((a, b, fwd, bwd, share_ab, align, big_a, new_f),
                                                          (b, a, bwd, fwd, share_ba, inv, big_b, new_b)):
            rows = np.flatnonzero((part < 0) & big)
            if rows.size == 0:
                continue
            cost = cost_matrix(src, dst, rows, tf, part, back, share, w, min_area)
            best = np.argmin(cost, axis=1)
            c = cost[np.arange(rows.size), best]
            second = np.partition(cost, 1, axis=1)[:, 1] if cost.shape[1] > 1 else np.full(rows.size, np.inf)
            for r, t, cc, c2 in zip(rows.tolist(), best.tolist(), c.tolist(), second.tolist()):
                if cc <= w.max_cost and cc <= w.ratio * c2:
                    part[r] = t
                    out.append((r, t, cc))
                    changed = True
        if not changed:
            break
    return new_f, new_b
