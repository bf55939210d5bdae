"""Input checks of arrays a caller passes (label maps, id vectors, match edges): a mistake becomes a one-line
LinecorrError. Shared by the metrics (benchmark/metrics) and the region overlap (dataprep/overlap.py)."""

from __future__ import annotations

import numpy as np

from dataprep.errors import LinecorrError


def int_vector(x, name: str, *, allow_empty: bool = False) -> np.ndarray:
    """``x`` as a 1-D int64 array; raises on other ranks, non-integers or (by default) emptiness."""
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise LinecorrError(f"{name} must be 1-D, got shape {arr.shape}")
    # Float arrays holding whole numbers (e.g. from JSON) are accepted; anything else is not.
    whole_floats = np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))
    if arr.size and not np.issubdtype(arr.dtype, np.integer) and not whole_floats:
        raise LinecorrError(f"{name} must hold integer ids, got dtype {arr.dtype}")
    if arr.size == 0 and not allow_empty:
        raise LinecorrError(f"{name} is empty")
    return arr.astype(np.int64)


def same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise LinecorrError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}")


def areas_vector(areas, n: int, name: str = "areas") -> np.ndarray:
    """Per-segment pixel counts ``(n,) int64``, all >= 0."""
    arr = int_vector(areas, name)
    if arr.shape != (n,):
        raise LinecorrError(f"{name} has shape {arr.shape}, expected ({n},) (one per segment)")
    if np.any(arr < 0):
        raise LinecorrError(f"{name} has negative pixel counts")
    return arr


def label_map(x, name: str) -> np.ndarray:
    """A ``(H, W)`` integer label map as int64; raises on other ranks, floats or emptiness."""
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise LinecorrError(f"{name} must be a (H, W) label map, got shape {arr.shape}")
    if arr.size == 0:
        raise LinecorrError(f"{name} is empty")
    if not np.issubdtype(arr.dtype, np.integer):
        raise LinecorrError(f"{name} must be an integer label map, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def edge_list(x, name: str) -> np.ndarray:
    """Match edges as ``(K, 2) int64`` (K may be 0); accepts any ``[[a, b], ...]``."""
    arr = np.asarray(x, dtype=np.int64) if len(x) else np.zeros((0, 2), np.int64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise LinecorrError(f"{name} must be a (K, 2) list of (id in A, id in B), got {arr.shape}")
    return arr
