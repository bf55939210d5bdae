"""Entry points a CLI or a process pool calls per frame: pick a method, build its config, run it.

Everything here is a module-level function taking plain arrays and a dataclass, so a frame job
pickles cheaply for multiprocessing (`pool.map(functools.partial(segment_image, method=...,
config=cfg), images)`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from dataprep.errors import LinecorrError
from dataprep.segment.closed_lines import segment_closed_lines
from dataprep.segment.color_cluster import segment_colored
from dataprep.segment.config import ClosedLineConfig, ColorSegmentConfig, LineExtractConfig, TrappedBallConfig
from dataprep.segment.line_extract import extract_lines
from dataprep.segment.trapped_ball import segment_trapped_ball

# method name -> (config class, function(image, config) -> label map)
METHODS: dict[str, tuple[type, Callable[..., np.ndarray]]] = {
    "trapped_ball": (TrappedBallConfig, segment_trapped_ball),
    "closed": (ClosedLineConfig, segment_closed_lines),
    "color": (ColorSegmentConfig, segment_colored),
}


def _method(name: str) -> tuple[type, Callable[..., np.ndarray]]:
    if name not in METHODS:
        raise LinecorrError(f"unknown segmentation method {name!r}; choose one of {', '.join(METHODS)}")
    return METHODS[name]


def make_config(
    method: str, overrides: Mapping[str, Any] | None = None, extract: bool = False
) -> TrappedBallConfig | ClosedLineConfig | ColorSegmentConfig:
    """Build a method's config: dataclass defaults < `overrides` (from YAML or `key=value`).

    Args:
        method: "trapped_ball", "closed" or "color".
        overrides: field name -> value; strings are converted to the field's type.
        extract: build a `LineExtractConfig` (colour segmentation + line extraction) instead.

    Returns:
        The config dataclass instance.

    Raises:
        LinecorrError: unknown method or key, or a value of the wrong type.
    """
    from dataprep.config import load_config

    cls = LineExtractConfig if extract else _method(method)[0]
    # One override mechanism for the whole toolkit: values are parsed like `--set key=value`.
    items = [f"{k}={v}" if isinstance(v, str) else (k, v) for k, v in (overrides or {}).items()]
    cfg = load_config(cls, None, [i for i in items if isinstance(i, str)])
    for key, value in (i for i in items if not isinstance(i, str)):
        cfg = load_config(cls, None, [f"{key}={json.dumps(value)}"], base=cfg)
    return cfg


def segment_image(
    image: np.ndarray, method: str = "trapped_ball", config: Any = None, line: np.ndarray | None = None
) -> np.ndarray:
    """Segment one frame.

    Args:
        image: for "trapped_ball" / "closed", the line image ((H, W) uint8 gray, (H, W, 3) RGB or
            (H, W, 4) RGBA); for "color", the (H, W, 3) uint8 RGB coloured frame.
        method: "trapped_ball", "closed" or "color".
        config: the method's config dataclass, a mapping of overrides, or None for defaults.
        line: "color" only: the frame's line image, whose ink then is the line class.

    Returns:
        (H, W) int32 label map: 0 = line pixels (when kept), segments 1..N in raster order.
    """
    cls, fn = _method(method)
    if config is None or isinstance(config, Mapping):
        config = make_config(method, config)
    elif not isinstance(config, cls):
        raise LinecorrError(f"method {method!r} needs a {cls.__name__}, got {type(config).__name__}")
    if method == "color":
        return fn(image, config, line=line)
    if line is not None:
        raise LinecorrError(f"method {method!r} segments the line image itself; pass it as `image`")
    return fn(image, config)


def segment_count_problem(seg: np.ndarray) -> str | None:
    """Why a frame's segmentation is useless for correspondence, or None when it has 2+ segments.

    Args:
        seg: (H, W) int label map, 0 = line pixels, segments 1..N.

    Returns:
        A one-line message for a frame with no segment (every pixel ink) or only one (a blank
        frame, or lines that enclose nothing), with what to try; None otherwise.
    """
    n = int(seg.max()) if seg.size else 0
    if n >= 2:
        return None
    ink = float(np.mean(seg == 0)) if seg.size else 0.0
    hint = "a line image must be dark lines on lighter paper (the ink_threshold and levels settings decide ink)"
    if n == 0:
        return f"no segment: all {seg.size} pixels are ink; {hint}"
    if ink == 0.0:
        return "only one segment: no ink found (a blank frame?)"
    return f"only one segment ({ink:.1%} of the pixels are ink, enclosing nothing); {hint}"


def lines_from_color(image: np.ndarray, config: LineExtractConfig | Mapping | None = None) -> np.ndarray:
    """Extract closed line art from a coloured frame ((H, W) uint8, 0 = ink) for a line segmenter."""
    if config is None or isinstance(config, Mapping):
        config = make_config("color", config, extract=True)
    return extract_lines(image, config)


__all__ = ["METHODS", "lines_from_color", "make_config", "segment_count_problem", "segment_image"]
