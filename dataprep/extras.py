"""Which pip extra a missing third-party module belongs to, so the CLI can say what to install.

``pip install linecorr`` installs only the core (segment, validate, viz, import/export); the
heavier stages are extras (``pyproject.toml``). A stage run without its extra fails on its first
heavy import; :func:`missing_extra_message` turns that ``ModuleNotFoundError`` into one line naming
the ``pip install`` that fixes it. Modules of our own, or unknown ones, are left alone: a missing
module there is a bug, and its traceback must stay visible.
"""

from __future__ import annotations

#: Top-level module of an optional dependency -> the extra that installs it, when one extra owns it.
MODULE_EXTRA = {
    "datasets": "publish",
    "huggingface_hub": "publish",
    "pyarrow": "publish",
    "safetensors": "benchmark",
    "matplotlib": "benchmark",
    "flask": "annotator",
    "ray": "ray",
    "bpy": "blender",
}

#: Modules shared by several extras (label and benchmark): the command decides which.
SHARED_MODULES = {"torch", "kornia"}

#: linecorr command -> the extra that makes it work (commands of the core are absent).
COMMAND_EXTRA = {
    "label": "label",
    "publish": "publish",
    "score": "benchmark",
    "train": "benchmark",
    "colorize": "benchmark",
    "leaderboard": "benchmark",
    "annotate": "annotator",
    "render": "blender",
    "demo": "all",
}


def missing_extra_message(command: str, exc: ModuleNotFoundError) -> str | None:
    """One line saying which extra to install for ``exc``, or None when ``exc`` is not an extra's module.

    Args:
        command: the ``linecorr`` subcommand that was running (e.g. ``label``).
        exc: the import error it raised.
    """
    top = (exc.name or "").partition(".")[0]
    if top in SHARED_MODULES:
        extra = COMMAND_EXTRA.get(command, "all")
    else:
        extra = MODULE_EXTRA.get(top)
    if extra is None:
        return None
    return f"needs {top}, which is not installed: pip install 'linecorr[{extra}]'"
