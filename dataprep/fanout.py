"""Running independent jobs at once in a local process pool.

``segment`` (frames), ``label`` and the importers (clips) fan out through :func:`process_map`;
no home-made scheduler, a :class:`ProcessPoolExecutor` on one machine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def process_map(fn: Callable[[T], R], items: Sequence[T], workers: int,
                on_done: Callable[[], None] | None = None) -> list[R]:
    """``[fn(item) for item in items]``, in ``workers`` processes when that helps.

    With one worker or one item everything runs in this process (no pickling, and a test can
    monkeypatch ``fn``). The first error cancels the items not started yet and is raised again
    here (a :class:`LinecorrError` pickles with its message).

    Args:
        fn: a module-level function (it is pickled to the workers).
        items: its arguments, one call each.
        workers: processes at most.
        on_done: called once per finished item, in completion order (a progress bar's update).

    Returns:
        The results in the order of ``items``.
    """
    if workers <= 1 or len(items) <= 1:
        out = []
        for item in items:
            out.append(fn(item))
            if on_done:
                on_done()
        return out
    ex = ProcessPoolExecutor(max_workers=workers)
    try:
        futures = [ex.submit(fn, item) for item in items]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for f in done:
                f.result()  # raises the worker's error, and `finally` cancels the rest
                if on_done:
                    on_done()
        return [f.result() for f in futures]
    finally:
        ex.shutdown(wait=True, cancel_futures=True)
