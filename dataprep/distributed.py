"""Connecting the ``--backend ray`` stages (render, label) to a Ray cluster.

``RAY_ADDRESS`` names a running cluster (``HOST:PORT`` of its head, as printed by ``ray start
--head``); unset, a local instance is started. Ray itself retries an unreachable address for
minutes, printing a warning every few seconds, so the address is tried first with a plain TCP
connection and a wrong one fails at once, in one line.
"""

from __future__ import annotations

import os
import socket

from dataprep.errors import LinecorrError

#: Seconds to wait for the head's port before saying it cannot be reached.
CONNECT_TIMEOUT_S = 5.0


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of ``HOST:PORT`` or ``ray://HOST:PORT``; None for ``auto``/``local``."""
    rest = address.split("://", 1)[-1]
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise :class:`LinecorrError` when nothing listens at the head address ``address``."""
    hp = _host_port(address)
    if hp is None:
        return
    try:
        socket.create_connection(hp, timeout=timeout).close()
    except OSError as e:
        raise LinecorrError(f"cannot reach the Ray cluster at RAY_ADDRESS={address} ({e.strerror or e}): start "
                            "one with `ray start --head` and export the address it prints, or unset "
                            "RAY_ADDRESS for a local instance") from None


def connect_ray():
    """The ``ray`` module, connected to ``RAY_ADDRESS`` or to a new local instance (once per process).

    Raises:
        LinecorrError: Ray is not installed, or ``RAY_ADDRESS`` cannot be reached.
    """
    try:
        import ray
    except ImportError:
        raise LinecorrError("--backend ray needs Ray, an optional extra: pip install 'linecorr[ray]'") from None
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS") or None
        if address:
            check_reachable(address)
        # Workers' stdout stays in Ray's logs: their errors come back with the task's result.
        ray.init(address=address, ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
    return ray
