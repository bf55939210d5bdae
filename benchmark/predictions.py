"""The predictions file: how a method (ours or external) submits segment matches to be scored.

Documented in docs/BENCHMARK.md. A submission is one JSON file::

    {"format": "linecorr-predictions", "version": "1.0",
     "method": {"name": "my-method", "description": "...", "url": "", "params": {}},
     "dataset": {"name": "linecorr-synth-v1", "ground_truth_hash": "sha256 (optional)", "content_hash": "(optional)"},
     "split": "test",
     "track": "line",
     "pairs": {"<clip>/<frame_a>__<frame_b>": [[a, b, score], ...], ...}}

The file may be gzip-compressed (``.json.gz``; what ``linecorr score`` writes). Each edge says
target segment ``b`` of frame B takes its label from source segment ``a`` of
frame A with ``score`` >= 0 (a probability, a similarity or 1). A target segment may list several
sources (scores are summed per label, AnT eq. 3); a target with no edge is unmatched. Files our
matchers write keep every entry of S down to :data:`REL_SCORE_FLOOR` of its row's best score
(docs/BENCHMARK.md measures what that leaves out: nothing any metric sees). ``track``
(optional, default ``line``) says what the method looked at (:mod:`benchmark.inputs`).
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format import Dataset
from dataprep.format.atomic import atomic_write_bytes, atomic_write_json
from dataprep.format.schema import pair_id, parse_pair_id

FORMAT = "linecorr-predictions"
VERSION = "1.0"


@dataclass
class Predictions:
    """A parsed submission."""

    method: dict  # {"name", "description", "url", "params"}
    split: str  # split the predictions are for
    pairs: dict[str, np.ndarray]  # pair id -> (K, 3) float64 edges [a, b, score]
    dataset: dict = field(default_factory=dict)  # {"name", "content_hash"} the method ran on
    sha256: str = ""  # hash of the file, recorded in results
    track: str = "line"  # what the method saw: "line" (no color) or "color" (benchmark.inputs.TRACKS)

    def scores(self, pid: str, ids_a: np.ndarray, ids_b: np.ndarray) -> np.ndarray:
        """Dense ``(N_b, N_a)`` score matrix of a pair, rows/columns in segment-table order."""
        e = self.pairs[pid]
        out = np.zeros((ids_b.size, ids_a.size))
        if e.size:
            ra = np.searchsorted(ids_a, e[:, 0].astype(np.int64))
            rb = np.searchsorted(ids_b, e[:, 1].astype(np.int64))
            np.add.at(out, (rb, ra), e[:, 2])
        return out

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "method": self.method, "dataset": self.dataset,
                "split": self.split, "track": self.track,
                "pairs": {k: [[int(a), int(b), _num(s)] for a, b, s in v.tolist()] for k, v in self.pairs.items()}}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the file atomically; gzip-compressed when ``path`` ends in ``.gz`` (S makes files large)."""
        path = Path(path)
        if path.suffix == ".gz":
            text = json.dumps(self.to_json(), separators=(",", ":"), allow_nan=False)
            # mtime=0: the same predictions give the same bytes (files are committed and hashed).
            atomic_write_bytes(path, gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0))
        else:
            atomic_write_json(path, self.to_json(), indent=None)
        return path


def _num(x: float) -> float | int:
    # Six significant digits, not six decimals: a small but kept score must not round to 0.
    return int(x) if float(x).is_integer() else float(f"{float(x):.6g}")


#: A predictions file keeps entry ``S[b, a]`` when it is > 0 and at least this share of row ``b``'s
#: best score. S whole is 15 MB of JSON for AnT on v1's test split (2,171 edges per pair) and
#: several times that on v2; this floor keeps a third of the edges and, measured on every method on
#: v1's test split, changes no metric, where 1e-3 moved one by 3e-4 and the top 3 sources per target
#: by 1.2e-2 (benchmarks/bench_prediction_truncation.py, docs/BENCHMARK.md).
REL_SCORE_FLOOR = 1e-4


def scores_to_edges(scores: np.ndarray, ids_a: np.ndarray, ids_b: np.ndarray,
                    rel_floor: float = REL_SCORE_FLOOR) -> np.ndarray:
    """Sparse edges of a dense score matrix S: every positive entry >= ``rel_floor`` x its row's maximum.

    Args:
        scores: ``(N_b, N_a) float`` S, row = target segment of B, column = source segment of A.
        ids_a: ``(N_a,) int`` segment ids of A (column order). ``ids_b``: ``(N_b,) int`` of B.
        rel_floor: share of a row's best score below which an entry is left out (0 keeps all > 0).

    Returns:
        ``(K, 3) float64`` rows ``[a, b, score]``, row-major (target, then source) order.
    """
    if scores.size == 0:
        return np.zeros((0, 3))
    s = np.asarray(scores, np.float64)
    floor = s.max(axis=1, keepdims=True) * rel_floor
    rows, cols = np.nonzero((s > 0) & (s >= floor))
    return np.stack([ids_a[cols], ids_b[rows], s[rows, cols]], 1).astype(np.float64)


def load_predictions(path: str | os.PathLike) -> Predictions:
    """Read and structurally validate a predictions file (one-line errors naming the problem)."""
    path = Path(path)
    if not path.is_file():
        raise LinecorrError("predictions file is missing", path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise LinecorrError(f"not a readable gzip file ({e})", path) from None
    try:
        obj = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise LinecorrError(f"malformed JSON ({e})", path) from None
    if not isinstance(obj, dict):
        raise LinecorrError("predictions must be a JSON object", path)
    if obj.get("format") != FORMAT:
        raise LinecorrError(f"'format' must be {FORMAT!r}, got {obj.get('format')!r}", path)
    if str(obj.get("version", "")).split(".")[0] != VERSION.split(".")[0]:
        raise LinecorrError(f"'version' {obj.get('version')!r} is not readable (expected {VERSION})", path)
    method = obj.get("method")
    if not isinstance(method, dict) or not isinstance(method.get("name"), str) or not method["name"].strip():
        raise LinecorrError("'method' must be an object with a non-empty 'name'", path)
    if not isinstance(obj.get("split"), str):
        raise LinecorrError("'split' must be a split name, e.g. \"test\"", path)
    pairs = obj.get("pairs")
    if not isinstance(pairs, dict):
        raise LinecorrError("'pairs' must be an object {pair id: [[a, b, score], ...]}", path)
    from benchmark.inputs import TRACKS

    track = obj.get("track", "line")
    if track not in TRACKS:
        raise LinecorrError(f"'track' must be one of {', '.join(map(repr, TRACKS))}, got {track!r}", path)
    parsed = {pid: _parse_edges(pid, edges, path) for pid, edges in pairs.items()}
    return Predictions(method, obj["split"], parsed, obj.get("dataset") or {}, hashlib.sha256(raw).hexdigest(),
                       track)


def _parse_edges(pid: str, edges, path: Path) -> np.ndarray:
    try:
        parse_pair_id(pid)
    except LinecorrError as e:
        raise LinecorrError(f"pairs: {e}", path) from None
    if not isinstance(edges, list):
        raise LinecorrError(f"pairs[{pid!r}] must be a list of [a, b, score]", path)
    for i, e in enumerate(edges):
        if not (isinstance(e, list) and len(e) == 3 and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                           for x in e)):
            raise LinecorrError(f"pairs[{pid!r}][{i}] must be [a, b, score] numbers, got {e!r}", path)
        a, b, s = e
        if a != int(a) or b != int(b) or a <= 0 or b <= 0:
            raise LinecorrError(f"pairs[{pid!r}][{i}]: segment ids must be positive integers, got {a}, {b}", path)
        if not math.isfinite(s) or s < 0:
            raise LinecorrError(f"pairs[{pid!r}][{i}]: score must be finite and >= 0, got {s}", path)
    return np.asarray(edges, np.float64).reshape(-1, 3)


def required_pairs(ds: Dataset, split: str) -> list[str]:
    """Pairs a submission for ``split`` must cover: every GT pair file of the split's clips, plus
    every consecutive pair (frame t -> t+1) of those clips (the propagation protocol needs them)."""
    if split not in ds.splits:
        raise LinecorrError(f"dataset has no split {split!r} (has: {', '.join(ds.splits) or 'none'})", ds.root)
    out = set(ds.pair_ids(split))
    for clip in ds.splits[split]:
        frames = ds.clip(clip).frames
        out.update(pair_id(clip, a, b) for a, b in itertools.pairwise(frames))
    return sorted(out)


def check_against(pred: Predictions, ds: Dataset, split: str, tables) -> None:
    """Check a submission against the dataset: right split, every required pair, known segments.

    Args:
        tables: callable ``(clip, frame) -> SegmentTable`` (cached by the caller).
    """
    if pred.split != split:
        raise LinecorrError(f"predictions are for split {pred.split!r}, scoring split {split!r}")
    want = required_pairs(ds, split)
    missing = [p for p in want if p not in pred.pairs]
    if missing:
        raise LinecorrError(f"predictions miss {len(missing)} of {len(want)} required pairs, e.g. {missing[:3]}")
    extra = sorted(set(pred.pairs) - set(want))
    if extra:
        raise LinecorrError(f"predictions have {len(extra)} pairs that are not in split {split!r}, e.g. {extra[:3]}")
    # The ground-truth hash is the one that matters (colors may differ in the last bit between
    # machines that render the same benchmark); the full content hash is checked only without it.
    for key, fn in (("ground_truth_hash", ds.ground_truth_hash), ("content_hash", ds.content_hash)):
        h = pred.dataset.get(key)
        if h:
            if h != fn():
                raise LinecorrError(f"predictions were made on a different version of the dataset ({key} differs)")
            break
    for pid in want:
        clip, fa, fb = parse_pair_id(pid)
        e = pred.pairs[pid]
        for col, frame, side in ((0, fa, "A"), (1, fb, "B")):
            ids = tables(clip, frame).ids
            bad = np.setdiff1d(e[:, col].astype(np.int64), ids)
            if bad.size:
                raise LinecorrError(f"pairs[{pid!r}] refers to segments {bad[:5].tolist()} that frame {side} "
                                    f"({clip}/{frame}) does not have")
