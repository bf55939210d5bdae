"""Timing helpers shared by the speed scripts (bench_ant.py, bench_vit.py, gpu_check.py).

GPU work is asynchronous: a kernel launch returns before the kernel runs, so every clock reading
here first waits for the device (``torch.cuda.synchronize``); on CPU that wait is a no-op.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch


def sync(device: torch.device | str = "cpu") -> None:
    """Wait until every kernel queued on ``device`` has finished (CUDA only; CPU work is synchronous)."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def times_ms(fn: Callable[[], object], runs: int, device: torch.device | str = "cpu", warmup: int = 10) -> list[float]:
    """Wall times in milliseconds of ``runs`` calls of ``fn``, each bracketed by device syncs.

    ``warmup`` untimed calls first: thread pools, oneDNN/cuDNN primitive selection, the allocator.
    """
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        sync(device)
        t = time.perf_counter()
        fn()
        sync(device)
        out.append(1000 * (time.perf_counter() - t))
    return out


def median_ms(fn: Callable[[], object], runs: int, device: torch.device | str = "cpu", warmup: int = 10) -> float:
    """Median of :func:`times_ms` (robust to the odd slow run on a shared machine)."""
    return statistics.median(times_ms(fn, runs, device, warmup))


class Clock:
    """Lap timer that waits for the device before reading the time."""

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self.t = self._now()

    def _now(self) -> float:
        sync(self.device)
        return time.perf_counter()

    def lap(self) -> float:
        """Milliseconds since the last lap (or since the clock was made)."""
        now = self._now()
        out, self.t = 1000 * (now - self.t), now
        return out
