"""Reading the arguments of an operation from its JSON, with a one-line 400 message for each mistake."""

from __future__ import annotations

from typing import Any

import numpy as np

from annotator import ops


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def arg(op: dict, key: str, typ: type):
    v = op.get(key)
    if typ is int and not is_int(v):
        raise ops.OpError(f"'{key}' must be an integer, got {v!r}"[:200])
    if typ is str and not isinstance(v, str):
        raise ops.OpError(f"'{key}' must be a string, got {v!r}"[:200])
    return v


def num(op: dict, key: str, default: float) -> float:
    v = op.get(key, default)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not np.isfinite(v):
        raise ops.OpError(f"'{key}' must be a number, got {v!r}"[:200])
    return float(v)


def side_of(op: dict) -> str:
    side = op.get("side")
    if side not in ops.SIDES:
        raise ops.OpError(f"'side' must be 'a' or 'b', got {side!r}"[:200])
    return side


def int_list(op: dict, key: str) -> list[int]:
    v = op.get(key)
    if not isinstance(v, list) or not all(is_int(x) for x in v) or len(v) > 100000:
        raise ops.OpError(f"'{key}' must be a list of integer segment ids")
    return v


def points(op: dict) -> list:
    pts = op.get("points")
    if not isinstance(pts, list) or not all(isinstance(p, list) and len(p) == 2 and all(
            isinstance(c, (int, float)) and not isinstance(c, bool) for c in p) for p in pts):
        raise ops.OpError("'points' must be a list of [x, y] numbers")
    return pts
