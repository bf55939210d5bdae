"""Atomic file writes: a reader never sees a half-written file.

Every file the toolkit writes goes through here: the bytes go to a temporary file in the same
directory, are flushed to disk, and the temporary file is renamed over the target (``os.replace``
is atomic on POSIX when both paths are on one file system, which a sibling temp file guarantees).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any


def _umask() -> int:
    """The process's umask, read without changing it where the OS allows (Linux: /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    # Elsewhere the only way is to set it and put it back: a tiny window in which another
    # thread creating a file would get mode 0o666 unmasked, acceptable for a fallback.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, creating parent directories.

    The file gets the permissions of a plain ``open(path, "w")``: 0666 minus the user's umask.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file 0600 whatever the umask; give it the mode open() would have
        # given (0666 minus the umask), so outputs are as shareable as any other file the user makes.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        # Leave no temp file behind, whatever went wrong (including Ctrl-C).
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any, indent: int | None = 1) -> None:
    """Serialise ``obj`` as JSON and write it atomically.

    Serialisation happens before anything touches the disk, so an unserialisable object
    leaves the old file intact.
    """
    text = json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False)
    atomic_write_text(path, text + "\n")


def replace_dir(stage: str | os.PathLike, out: str | os.PathLike) -> None:
    """Move the finished folder ``stage`` to ``out``, replacing an old ``out`` in one rename.

    The old folder is first renamed aside, so ``out`` is at every moment either the complete old
    or the complete new version; the old one is deleted only after the swap.
    """
    stage, out = Path(stage), Path(out)
    if out.exists():
        old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(out, old)
        os.replace(stage, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage, out)
