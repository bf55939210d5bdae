"""The region/patch protocol of the manga region-correspondence paper (Li et al., Tables 1-2).

A *region predictor* sees the raw line art of both frames of a pair and returns region maps, region
matches and (optionally) a ``(2N, 2N)`` patch similarity (:class:`RegionPrediction`). For every GT
pair of a split this module compares them with the ground truth:

- **patch level** (when the predictor gives a similarity): AP, best F1 (+ precision, recall) and
  top-1/5 of the intra-A, intra-B and cross blocks against G (``benchmark.metrics.patch``), G built
  from the GT regions at the predictor's patch grid with the 55 % rule;
- **region level**: ARI, mIoU P->G / G->P and the cluster ratio of each image, and region precision
  / recall of the matches with purity > 0.8 (``benchmark.metrics.region``).

GT regions (``RegionScoreConfig.regions``): ``segments`` (default) = the frames' segment maps with the
pair's matches (the paper's PBC protocol: region ids, corresponding when they share a label; it also
works for data whose only correspondence is the pair files), or ``labels`` = the per-pixel
correspondence labels (a part split by an occluder is one region).

Metrics are means over pairs (``nan`` skipped); ``region/ari`` etc. average the two images of a pair
(the paper reports them per image: ``region/intra_a/ari``, ``region/intra_b/ari`` are kept too).
``@micro`` variants of region precision/recall pool the counts of all pairs. The cross-image patch
PR curve (``curves.patch_pr``, plotted by the leaderboard) pools all pairs through a histogram of the
scores (log-spaced bins), so it is exact up to the bin width.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from benchmark.metrics.patch import patch_metrics
from benchmark.metrics.region import image_region_metrics, region_match_scores
from benchmark.metrics.registry import column_metric
from benchmark.models.registry import RegionPredictor
from benchmark.models.vit.postprocess import PostprocessConfig
from benchmark.models.vit.region_match import RegionMatchConfig
from benchmark.score import RESULT_FORMAT, RESULT_VERSION, ScoreConfig, mean_rows, provenance
from dataprep.errors import LinecorrError
from dataprep.format import Dataset

PROTOCOL = "regions"
#: The leaderboard's "track" of region results: the predictor sees the line art only, no segmentation
#: (unlike the segment protocol's ``line`` track), so its results get their own table.
TRACK = "raw-line"


@dataclass
class RegionPrediction:
    """What a region predictor returns for one pair (maps at the frames' own size)."""

    map_a: np.ndarray  # (H, W) int32 predicted region ids of A, 0 = line / unassigned
    map_b: np.ndarray  # (H, W) int32 same for B
    matches: np.ndarray  # (K, 2) int64 predicted region pairs (id in map_a, id in map_b)
    similarity: np.ndarray | None = None  # (2N, 2N) patch similarity (A first), None = no patch level
    image_size: int = 512  # side of the letterboxed input the patches tile
    patch_size: int = 16  # patch side in input pixels
    extras: dict = field(default_factory=dict)  # predictor-specific arrays (figures)


@dataclass
class RegionScoreConfig(ScoreConfig):
    """Settings of the region/patch protocol (the segment protocol's fields are inherited)."""

    regions: str = "auto"  # GT regions: "segments" (segment maps + pair matches, paper), "labels", "parts" (painted
    # parts' pieces, drawn line styles) or "auto" (parts where the frames have part maps, else segments)
    min_share: float = 0.55  # a patch has a GT region when one covers more than this share of it (paper: 55 %)
    max_pairs: int = 0  # score only N GT pairs of the split, spread evenly over it (0 = all)
    pr_bins: int = 1200  # histogram bins (log10 of the score, -12..0) of the pooled PR curve
    post: PostprocessConfig = field(default_factory=PostprocessConfig)  # patch-ViT post-processing
    match: RegionMatchConfig = field(default_factory=RegionMatchConfig)  # patch-ViT region matching
    # patch-ViT input side at scoring time (px, a multiple of the patch size; 0 = the checkpoint's):
    # a larger side gives a drawing more patches (position embeddings are interpolated)
    image_size: int = 0


class _PRHistogram:
    """Positives / negatives per score bin, pooled over pairs, for one PR curve."""

    def __init__(self, bins: int) -> None:
        self.edges = np.linspace(-12, 0, bins + 1)
        self.pos = np.zeros(bins, np.int64)
        self.neg = np.zeros(bins, np.int64)

    def add(self, scores: np.ndarray, labels: np.ndarray) -> None:
        logs = np.log10(np.clip(scores, 1e-12, 1.0))
        k = np.clip(np.searchsorted(self.edges, logs, side="right") - 1, 0, self.pos.size - 1)
        self.pos += np.bincount(k[labels], minlength=self.pos.size)
        self.neg += np.bincount(k[~labels], minlength=self.neg.size)

    def curve(self, points: int = 200) -> dict | None:
        tp = np.cumsum(self.pos[::-1])
        fp = np.cumsum(self.neg[::-1])
        if tp[-1] == 0:
            return None
        keep = (tp + fp) > 0
        prec, rec = tp[keep] / (tp[keep] + fp[keep]), tp[keep] / tp[-1]
        thr = 10 ** self.edges[::-1][1:][keep]
        idx = np.unique(np.linspace(0, prec.size - 1, min(points, prec.size)).round().astype(int))
        return {"block": "cross", "precision": prec[idx].round(5).tolist(), "recall": rec[idx].round(5).tolist(),
                "threshold": thr[idx].tolist()}


def _present(matches: np.ndarray, map_a: np.ndarray, map_b: np.ndarray) -> np.ndarray:
    """Matches whose regions both occur in the maps (a region may own only line pixels)."""
    m = np.asarray(matches, np.int64).reshape(-1, 2)
    ok = np.isin(m[:, 0], np.unique(map_a)) & np.isin(m[:, 1], np.unique(map_b)) & (m > 0).all(1)
    return m[ok]


def score_pair(pred: RegionPrediction, fa, fb, pair, cfg: RegionScoreConfig,
               hist: _PRHistogram | None = None,
               gt_maps: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """Patch and region metrics of one pair.

    ``gt_maps``: the frames' GT region maps when the caller has them already (``region_map``).

    Returns:
        ``(metrics, counts)``: metric name -> value, and the region-match counts (for micro averages).
    """
    from benchmark.models.vit.inputs import gt_matches, letterbox_for, patch_targets, region_map

    gt_a, gt_b = gt_maps if gt_maps is not None else (region_map(fa, cfg.regions), region_map(fb, cfg.regions))
    # A part region may lie entirely under the drawing's ink: it is not scored (as line pixels are not).
    gtm = _present(gt_matches(pair, fa, fb, cfg.regions), gt_a, gt_b)
    if pred.map_a.shape != gt_a.shape or pred.map_b.shape != gt_b.shape:
        raise LinecorrError(f"pair {pair.id}: predicted maps {pred.map_a.shape}/{pred.map_b.shape} do not match the "
                            f"frames {gt_a.shape}/{gt_b.shape}")
    out: dict[str, float] = {}
    for side, pm, gm in (("a", pred.map_a, gt_a), ("b", pred.map_b, gt_b)):
        for k, v in image_region_metrics(pm, gm).items():
            out[k.replace("region/", f"region/intra_{side}/")] = v
    for k in ("ari", "miou_p2g", "miou_g2p", "cluster_ratio"):
        out[f"region/{k}"] = (out[f"region/intra_a/{k}"] + out[f"region/intra_b/{k}"]) / 2
    sc = region_match_scores(pred.map_a, pred.map_b, _present(pred.matches, pred.map_a, pred.map_b), gt_a, gt_b, gtm)
    out["region/precision"], out["region/recall"] = sc["precision"], sc["recall"]
    out["region/matches"] = sc["n_pred_pairs"]
    if pred.similarity is not None:
        box_a = letterbox_for(gt_a.shape, pred.image_size, pred.patch_size)
        box_b = letterbox_for(gt_b.shape, pred.image_size, pred.patch_size)
        ids_a, ids_b, gt = patch_targets(box_a.labels(gt_a), box_b.labels(gt_b), gtm, pred.patch_size, cfg.min_share)
        valid = np.concatenate([ids_a, ids_b]) != 0
        if pred.similarity.shape != gt.shape:
            raise LinecorrError(f"pair {pair.id}: similarity is {pred.similarity.shape}, the patch grid needs {gt.shape}")
        out.update(patch_metrics(pred.similarity, gt, valid))
        if hist is not None:
            n = ids_a.size
            for rows, cols in ((slice(0, n), slice(n, None)), (slice(n, None), slice(0, n))):
                m = valid[rows][:, None] & valid[cols][None, :]
                hist.add(pred.similarity[rows, cols][m], gt[rows, cols][m])
    return out, sc


def raw_line_frame(frame):
    """The frame as a region predictor may see it: line art only (no segments, colors or labels)."""
    from dataprep.format.segtable import compute_segment_table

    blank = np.zeros(frame.seg.shape, np.int32)
    return dataclasses.replace(frame, seg=blank, segments=compute_segment_table(blank), color=None, alpha=None,
                               labels=None, parts=None)


def score_regions(predictor: RegionPredictor, ds: Dataset, split: str, cfg: RegionScoreConfig | None = None,
                  method: dict | None = None, progress: Callable[[Iterable], Iterable] | None = None) -> dict:
    """Run ``predictor`` on every GT pair of ``split`` and score it (module docstring).

    Returns:
        A result record (same format as ``benchmark.score.score``; ``benchmark.protocol`` =
        ``"regions"``), with ``curves.patch_pr`` when the predictor gives patch similarities.
    """
    cfg = cfg or RegionScoreConfig()
    from benchmark.models.vit.inputs import REGION_SOURCES

    if cfg.regions not in REGION_SOURCES:
        raise LinecorrError(f"regions must be one of {', '.join(REGION_SOURCES)}, got {cfg.regions!r}")
    if split not in ds.splits:
        raise LinecorrError(f"dataset has no split {split!r} (has: {', '.join(ds.splits) or 'none'})", ds.root)
    pids = ds.pair_ids(split)
    if 0 < cfg.max_pairs < len(pids):
        pids = pids[::len(pids) // cfg.max_pairs][:cfg.max_pairs]
    if not pids:
        raise LinecorrError(f"split {split!r} has no pairs to score", ds.root)
    # Pairs with a frame that has no GT region at all (parts regions leave the background out, so a
    # character that left the frame has none) are skipped and counted in ``skipped_pairs``.
    from benchmark.models.vit.inputs import region_map, resolve_regions

    load = lru_cache(maxsize=8)(ds.load_frame)
    # Consecutive pairs share frames: each frame's GT regions are computed once, like its load.
    gt_map = lru_cache(maxsize=8)(lambda clip, frame: region_map(load(clip, frame), cfg.regions))
    hist = _PRHistogram(cfg.pr_bins)
    rows: list[dict[str, float]] = []
    by_clip: dict[str, list[dict[str, float]]] = {}
    totals = dict.fromkeys(("n_pure_pairs", "n_correct", "n_gt_pairs", "n_recovered"), 0.0)
    used, skipped = set(), 0
    for pid in progress(pids) if progress else pids:
        pair = ds.load_pair(pid)
        fa, fb = load(pair.clip, pair.frame_a), load(pair.clip, pair.frame_b)
        used.add(resolve_regions(fa, cfg.regions))
        maps = gt_map(pair.clip, pair.frame_a), gt_map(pair.clip, pair.frame_b)
        if not (maps[0].any() and maps[1].any()):
            skipped += 1  # a frame with no region to score (the character is out of the frame)
            continue
        pred = predictor.predict(raw_line_frame(fa), raw_line_frame(fb))  # "no segmentation given"
        row, sc = score_pair(pred, fa, fb, pair, cfg, hist, maps)
        rows.append(row)
        by_clip.setdefault(pair.clip, []).append(row)
        for k in totals:
            totals[k] += sc[k]
    metrics = mean_rows(rows)
    metrics["region/precision@micro"] = totals["n_correct"] / totals["n_pure_pairs"] if totals["n_pure_pairs"] else float("nan")
    metrics["region/recall@micro"] = totals["n_recovered"] / totals["n_gt_pairs"] if totals["n_gt_pairs"] else float("nan")
    for k in metrics:  # one naming scheme with the registry (benchmark.metrics.registry)
        column_metric(k)
    name = getattr(predictor, "name", type(predictor).__name__)
    meta = method or {"name": f"{name} [regions]",
                      "description": (type(predictor).__doc__ or "").strip().splitlines()[0],
                      "params": _params(predictor)}
    result = {
        "format": RESULT_FORMAT, "version": RESULT_VERSION,
        "method": meta,
        "benchmark": {"dataset": ds.manifest.name, "content_hash": ds.content_hash(),
                      "ground_truth_hash": ds.ground_truth_hash(), "split": split, "track": TRACK,
                      "protocol": PROTOCOL, "regions": "+".join(sorted(used)), "clips": len(by_clip), "pairs": len(rows),
                      "skipped_pairs": skipped,
                      "region_match_totals": totals},
        "metrics": metrics,
        "per_clip": {c: mean_rows(r) for c, r in by_clip.items()},
        "provenance": provenance(cfg),
    }
    curve = hist.curve()
    if curve is not None:
        result["curves"] = {"patch_pr": curve}
    return result


def run_region_protocol(predictor, ds: Dataset, split: str, cfg: RegionScoreConfig, out,
                        extra: dict | None = None, command: list[str] | None = None) -> dict:
    """Score ``predictor`` (:func:`score_regions`), save the result JSON to ``out``, print a summary.

    ``extra`` (e.g. the line style and pair gaps of a v2 track) is recorded in the result's benchmark.
    """
    import sys

    from tqdm import tqdm

    from benchmark.score import save_result

    name = getattr(predictor, "name", "?")
    result = score_regions(predictor, ds, split, cfg,
                           progress=lambda it: tqdm(it, desc=f"regions {name}", file=sys.stderr, disable=None,
                                                    leave=False))
    result["benchmark"].update(extra or {})
    if command:  # how to re-make this result (benchmark.reproduce)
        result["provenance"]["command"] = command
    save_result(result, out)
    m = result["metrics"]
    pct = lambda k: f"{100 * m.get(k, float('nan')):.2f}"
    print(f"{result['method']['name']}: patch cross AP {pct('patch/cross/ap')}  top1 {pct('patch/cross/top1')}  "
          f"ARI {pct('region/ari')}  mIoU P->G {pct('region/miou_p2g')}  CR {m.get('region/cluster_ratio', float('nan')):.3f}  "
          f"region P/R {pct('region/precision')}/{pct('region/recall')}  ({result['benchmark']['pairs']} pairs)")
    print(f"wrote {out}")
    return result


def _params(predictor) -> dict:
    out = {}
    for attr in ("cfg", "post", "match_cfg"):
        v = getattr(predictor, attr, None)
        if dataclasses.is_dataclass(v):
            out[attr] = dataclasses.asdict(v)
    return out
