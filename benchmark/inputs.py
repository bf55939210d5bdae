"""What a method may see: the benchmark's tracks.

A matcher is handed two :class:`~dataprep.format.Frame` objects, which carry everything the
dataset stores, ground truth included. The harness strips what the track does not allow before
the matcher sees it, so a baseline cannot leak the answer by accident:

``line`` (default; AnT and PaintBucket-Character)
    Colorization of line art: both frames are line images with their segmentation. No color
    image, no segment colors, no labels. The reference frame's colors enter only through its
    ground-truth labels, which the scorer propagates along the predicted matches.
``color``
    Region correspondence between colored frames (the manga patch-ViT paper, pseudo-labelling):
    the color images and segment colors of both frames are visible; labels are not.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dataprep.errors import LinecorrError
from dataprep.format import Frame

#: track name -> one-line description (recorded in predictions and results).
TRACKS: dict[str, str] = {
    "line": "line art + segmentation of both frames; no color, no labels (colorization, AnT/PBC)",
    "color": "colored frames + segmentation of both frames; no labels (region correspondence, manga)",
}
DEFAULT_TRACK = "line"


def check_track(track: str) -> str:
    """Return ``track`` if known, else raise a one-line error listing the tracks."""
    if track not in TRACKS:
        raise LinecorrError(f"unknown track {track!r} (known: {', '.join(TRACKS)})")
    return track


def visible_frame(frame: Frame, track: str = DEFAULT_TRACK) -> Frame:
    """The frame as a method on ``track`` may see it.

    Labels are always removed (``labels=None``; ``segments.label`` and ``segments.color_label``
    set to -1). On the ``line`` track the color image, its alpha and the segment colors are removed
    too. Geometry (``line``, ``line_raw``, ``seg``, areas, bboxes, centroids) is kept.
    """
    check_track(track)
    t = frame.segments
    unknown = np.full(len(t), -1, np.int64)
    table = dataclasses.replace(t, label=unknown, color_label=unknown.copy(),
                                color=t.color if track == "color" else None)
    if track == "color":
        return dataclasses.replace(frame, segments=table, labels=None)
    return dataclasses.replace(frame, segments=table, labels=None, color=None, alpha=None)
