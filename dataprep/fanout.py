"""Running independent jobs at once: in a local process pool, or as tasks on a Ray cluster.

``segment`` (frames), ``label`` and the importers (clips) fan out locally through
:func:`process_map`; ``render`` and ``label`` with ``--backend ray`` through :func:`ray_map`
(connecting as :func:`dataprep.distributed.connect_ray` does). No home-made scheduler: a
:class:`ProcessPoolExecutor` on one machine, Ray (the optional extra ``[ray]``) beyond it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from typing import Any, TypeVar

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


class TaskFailed:
    """What a Ray task that raised comes back as (Ray wraps a worker's error in its own types).

    Attributes:
        reason: one line, ``"ErrorType: first line of the message"``.
        cause: the exception the task itself raised when Ray kept it (e.g. a ``LinecorrError``
            about the input), else None.
    """

    def __init__(self, error: BaseException) -> None:
        text = str(error)
        self.reason = f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"
        self.cause = getattr(error, "cause", None)

    def __repr__(self) -> str:
        return f"TaskFailed({self.reason!r})"


def ray_map(fn: Callable[..., R], calls: Sequence[tuple], num_cpus: int = 1) -> Iterator[tuple[int, R | TaskFailed]]:
    """Run ``fn(*calls[i])`` as Ray tasks and yield ``(i, result)`` as each one lands.

    A task that raised yields a :class:`TaskFailed` instead of its result, so the caller decides
    whether one failure stops the run (``label``) or is reported with the others (``render``).

    Args:
        fn: a module-level function (Ray ships it to the workers).
        calls: the positional arguments of each call.
        num_cpus: CPUs Ray reserves per task.

    Raises:
        LinecorrError: Ray is not installed, or ``RAY_ADDRESS`` cannot be reached.
    """
    from dataprep.distributed import connect_ray

    ray = connect_ray()
    task = ray.remote(num_cpus=num_cpus)(fn)
    pending: dict[Any, int] = {task.remote(*args): i for i, args in enumerate(calls)}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        i = pending.pop(done[0])
        try:
            result = ray.get(done[0])
        except Exception as e:  # noqa: BLE001  (a worker's error or a dead worker, in Ray's own types)
            result = TaskFailed(e)
        yield i, result
