"""Project exceptions: errors a user can cause, printed by the CLI as one line."""

from __future__ import annotations

import os


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
