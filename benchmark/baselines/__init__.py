"""Training-free baselines: the floor every learned model must beat.

Every matcher has ``name`` and ``match(frame_a, frame_b) -> (N_b, N_a) float scores`` (rows =
target segments of B, columns = source segments of A, in segment-table order), the interface of
:mod:`benchmark.metrics.propagation`.
"""

from __future__ import annotations

BASELINES: dict[str, str] = {
    "nearest-aligned": "benchmark.baselines.nearest:NearestSegment",
    "hungarian-features": "benchmark.baselines.hungarian:HungarianMatcher",
    "lightglue-vote": "benchmark.baselines.lightglue_vote:LightGlueVote",
}

#: Region baselines of the region/patch protocol (``benchmark.region_baselines``): name -> the
#: segment matcher of :data:`BASELINES` run both ways on trapped-ball regions of the raw line art.
#: Kept here, beside the segment baselines, so ``--help`` lists them without importing them.
REGION_BASELINES: dict[str, str] = {
    "tb-nearest-aligned": "nearest-aligned",
    "tb-hungarian-features": "hungarian-features",
}


def get_baseline(name: str):
    """Instantiate a baseline matcher by name."""
    import importlib

    from dataprep.errors import LinecorrError

    if name not in BASELINES:
        raise LinecorrError(f"unknown method {name!r} (known: {', '.join(BASELINES)})")
    mod, _, cls = BASELINES[name].partition(":")
    return getattr(importlib.import_module(mod), cls)()
