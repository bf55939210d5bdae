"""Running a matcher over a dataset split to produce a predictions file."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from functools import lru_cache

from benchmark.inputs import DEFAULT_TRACK, check_track, visible_frame
from benchmark.predictions import Predictions, required_pairs, scores_to_edges
from dataprep.format import Dataset
from dataprep.format.schema import parse_pair_id


def _params(cfg) -> dict:
    """A matcher's settings as JSON-able data (a nested config, e.g. ``LabelConfig.coarse``, as a dict)."""
    if dataclasses.is_dataclass(cfg):
        from dataprep.config import config_dict

        return config_dict(cfg)
    return getattr(cfg, "__dict__", {})


def predict_split(matcher, ds: Dataset, split: str, method: dict | None = None,
                  progress: Callable[[Iterable], Iterable] | None = None, track: str = DEFAULT_TRACK) -> Predictions:
    """Run ``matcher.match(frame_a, frame_b) -> (N_b, N_a) scores`` on every required pair.

    The matcher sees each frame as ``track`` allows (:func:`benchmark.inputs.visible_frame`: never
    labels; on the ``line`` track no color either). Frames are loaded once each (cached), so
    consecutive pairs share their loads. Each pair's S is kept as :func:`scores_to_edges` says.
    """
    check_track(track)
    load = lru_cache(maxsize=8)(lambda clip, frame: visible_frame(ds.load_frame(clip, frame), track))
    pids = required_pairs(ds, split)
    loop = progress(pids) if progress else pids
    pairs = {}
    for pid in loop:
        clip, fa, fb = parse_pair_id(pid)
        a, b = load(clip, fa), load(clip, fb)
        pairs[pid] = scores_to_edges(matcher.match(a, b), a.segments.ids, b.segments.ids)
    meta = method or {"name": getattr(matcher, "name", type(matcher).__name__),
                      "description": (type(matcher).__doc__ or "").strip().splitlines()[0],
                      "params": _params(getattr(matcher, "cfg", None))}
    return Predictions(meta, split, pairs, {"name": ds.manifest.name, "content_hash": ds.content_hash(),
                                            "ground_truth_hash": ds.ground_truth_hash()},
                       track=track)
