"""Project exceptions: errors a user can cause, printed by the CLI as one line."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator


class LinecorrError(Exception):
    """An error caused by user input (a file, an argument, a config).

    The message is one line that names the file (when there is one) and what is wrong.
    The CLI prints it without a traceback and exits with status 2.
    """

    def __init__(self, message: str, path: str | os.PathLike | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        msg = " ".join(str(message).split())  # one line, always
        super().__init__(f"{self.path}: {msg}" if self.path else msg)


class FormatError(LinecorrError):
    """A dataset file violates docs/FORMAT.md (bad JSON, wrong dtype, size mismatch...)."""


class LinecorrWarning(UserWarning):
    """A problem with user input that does not stop the run (a frame with no segment...).

    Formatted like :class:`LinecorrError` (one line, ``path: message``); the CLI prints it as
    ``linecorr COMMAND: warning: path: message``. Python callers can filter it or turn it into
    an error with the ``warnings`` module.
    """

    def __init__(self, message: str, path: str | os.PathLike | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        msg = " ".join(str(message).split())
        super().__init__(f"{self.path}: {msg}" if self.path else msg)


def warn(message: str, path: str | os.PathLike | None = None) -> None:
    """Issue a :class:`LinecorrWarning` naming ``path``."""
    warnings.warn(LinecorrWarning(message, path), stacklevel=2)


@contextlib.contextmanager
def one_line_warnings(prefix: str) -> Iterator[None]:
    """Show every :class:`LinecorrWarning` as one line ``PREFIX: warning: path: message`` on stderr
    (no source location, every occurrence); other warnings as usual."""
    default_show = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, LinecorrWarning):
            print(f"{prefix}: warning: {message}", file=sys.stderr)
        else:
            default_show(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.showwarning = show
        warnings.simplefilter("always", LinecorrWarning)  # every frame's warning, not just the first
        yield

