"""``open_dataset``: one opener for whatever a ``--dataset`` argument names.

=================================  ==========================================================
``PATH`` with ``manifest.json``    a linecorr dataset folder: :meth:`Dataset.open`
``PATH`` written by publish        ``publish.json`` / ``linecorr/files-*.parquet``: read back
                                   through ``dataprep.publish.reader.PublishedDataset``
``hf://ORG/NAME``,                 a dataset on the Hugging Face Hub written by ``linecorr
``hf://datasets/ORG/NAME``,        publish`` (``datasets.load_dataset``); a bare ``ORG/NAME``
``ORG/NAME``                       counts only when no such local path exists
=================================  ==========================================================

Both kinds of published source give a :class:`Dataset` with the same interface, checks and
hashes as the source folder (docs/PUBLISH.md, "Training and scoring on a published dataset").
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from dataprep.errors import FormatError
from dataprep.format import layout
from dataprep.format.dataset import Dataset

#: Prefix of an explicit Hub dataset id (``hf://ORG/NAME`` or ``hf://datasets/ORG/NAME``).
HUB_PREFIX = "hf://"
_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


def hub_id(spec: str) -> str | None:
    """The ``ORG/NAME`` that ``spec`` names on the Hub, or None when it is a local path.

    ``hf://`` always means the Hub; a bare ``ORG/NAME`` only when no such local path exists.
    """
    if spec.startswith(HUB_PREFIX):
        rid = spec[len(HUB_PREFIX):].removeprefix("datasets/").strip("/")
        if not _REPO_RE.match(rid) or ".." in rid:
            raise FormatError(f"{spec!r} is not a Hub dataset id (hf://ORG/NAME)")
        return rid
    if _REPO_RE.match(spec) and ".." not in spec and not Path(spec).exists():
        return spec
    return None


def open_dataset(spec: str | os.PathLike, streaming: bool = False) -> Dataset:
    """Open a linecorr dataset folder, a folder written by ``linecorr publish``, or a Hub id.

    Args:
        spec: see the module docstring.
        streaming: for a published source, read the pair rows as a ``datasets`` stream (nothing
            downloaded ahead; frames read in storage order, ``Dataset.sequential``). A linecorr
            folder is always read file by file, so it ignores this.

    Raises:
        FormatError / LinecorrError: one line naming ``spec``: a folder that is neither format,
            a file, a missing path, or a Hub id that cannot be loaded.
    """
    s = os.fspath(spec)
    rid = hub_id(s)
    if rid is not None:
        from dataprep.publish.reader import open_hub

        return open_hub(rid, streaming, spec=s, bare_id=not s.startswith(HUB_PREFIX))
    root = Path(s)
    if root.is_dir():
        if (root / layout.MANIFEST).is_file():
            return Dataset.open(root)
        from dataprep.publish.reader import is_published_folder, open_published_folder

        if is_published_folder(root):
            return open_published_folder(root, streaming)
        raise FormatError("is neither a linecorr dataset (no manifest.json) nor a folder written by "
                          "`linecorr publish` (no publish.json, linecorr/files-*.parquet)", root)
    if root.exists():
        raise FormatError("is a file; expected a dataset folder, a folder written by `linecorr publish` "
                          "or a Hub id ORG/NAME", root)
    raise FormatError("no such dataset folder", root)


def dataset_specs(specs: str | os.PathLike | Sequence[str | os.PathLike], streaming: bool = False) -> str | list[str]:
    """One spec as a string, several as a list of strings (what :func:`open_datasets` reads as one),
    checked before anything is opened.

    Raises:
        FormatError: no spec; ``streaming`` with several specs.
    """
    if isinstance(specs, (str, os.PathLike)):
        return os.fspath(specs)
    out = [os.fspath(s) for s in specs]
    if not out:
        raise FormatError("no dataset given")
    if streaming and len(out) > 1:
        raise FormatError("--streaming reads one published dataset in storage order; give one dataset",
                          ", ".join(out))
    return out[0] if len(out) == 1 else out


def open_datasets(specs: str | os.PathLike | Sequence[str | os.PathLike], streaming: bool = False):
    """``open_dataset`` for one spec; for several, their :class:`~dataprep.format.union.DatasetUnion`
    (training on several renders or collections at once; clip ids prefixed ``"<k>:"``).

    Raises:
        FormatError: as ``open_dataset``, naming the spec; as :func:`dataset_specs`.
    """
    specs = dataset_specs(specs, streaming)
    if isinstance(specs, str):
        return open_dataset(specs, streaming)
    from dataprep.format.union import DatasetUnion

    return DatasetUnion([open_dataset(s) for s in specs], specs)
