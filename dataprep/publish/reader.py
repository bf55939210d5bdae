"""A dataset written by ``linecorr publish``, read back as a linecorr :class:`Dataset` (read-only).

``linecorr train`` / ``score --dataset`` take a published folder or a Hub id as they take a dataset
folder (:func:`dataprep.format.open_dataset` picks this backend). :class:`PublishedDataset` is a
:class:`Dataset` whose storage methods read the source's files out of the published data instead
of a folder, so every check and every array is the same:

- the file index (``linecorr/files-*.parquet``, :mod:`dataprep.publish.files`) says, per source
  file, its SHA-256 and where its bytes are: a column of a pair row (``seg_b`` of row 3 of split
  ``test``) or inline (manifest, splits, clip.json, frames in no pair);
- a file is read by reading that one value, and its bytes are checked against the digest, so the
  ``content_hash`` / ``ground_truth_hash`` (computed from the digests, in the source's order) are
  the source's and hold for whatever is actually read.

Where the pair rows come from, and what is held in memory (besides the index: path, digest, size
and location of every file, ~150 bytes each, and the decoded frames the caller caches):

==============================  =================================================================
published folder with arrow/    the ``save_to_disk`` copy, memory-mapped: any row at O(1), nothing
                                read until asked
published folder, parquet only  parquet row groups, one column chunk at a time, the last
                                :data:`PARQUET_CACHE` chunks kept (a chunk is ``row_group_size``
                                images of one column: sequential reads are cheap, random ones read
                                a whole chunk per frame)
Hub id                          ``datasets.load_dataset(ID, split=S)``: each split downloaded into
                                the ``datasets`` cache the first time one of its files is read
                                (scoring ``test`` never fetches ``train``), then memory-mapped
Hub id / folder, streaming      ``datasets.load_dataset(ID, streaming=True)``: rows read forward in
                                batches of :data:`STREAM_BATCH`, the last two batches kept; a read
                                behind them restarts the stream (``restarts`` counts it). The index
                                is read whole, with its inline files (JSON metadata, frames in no
                                pair). ``Dataset.sequential`` is True: training walks the clips in
                                storage order instead of jumping between them.
==============================  =================================================================
"""

from __future__ import annotations

import atexit
import bisect
import hashlib
import json
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from dataprep.errors import FormatError, LinecorrError
from dataprep.format import layout
from dataprep.format.dataset import Dataset, read_json
from dataprep.format.schema import Manifest
from dataprep.publish.files import FILES_CONFIG, FILES_DIR, FILES_SPLIT, INDEX_COLUMNS, LAYOUT

#: Parquet column chunks (one row group, one column) kept decoded per split.
PARQUET_CACHE = 16
#: Rows per batch read from a stream.
STREAM_BATCH = 16
#: The marker file of a published folder (``dataprep.publish.export.MARKER``).
MARKER = "publish.json"
#: The folder of the ``save_to_disk`` copy (``hf_dataset.ARROW_DIR``) and of the parquet shards.
ARROW_DIR, DATA_DIR = "arrow", "data"


# --------------------------------------------------------------------------------------------
# Row sources: one value (row, column) at a time


class Rows:
    """The rows of one published split (or of the file index). Subclasses read them from somewhere."""

    name: str = ""  # for messages: where the rows come from
    reads: int = 0  # stored data read so far: values of a mapped table, parquet column chunks, stream batches

    def __len__(self) -> int:
        raise NotImplementedError

    def value(self, row: int, column: str) -> Any:
        """The value of ``column`` in row ``row`` as Python (an Image column: ``{"bytes", "path"}``)."""
        raise NotImplementedError

    def where(self, row: int, column: str) -> str:
        return f"{self.name} row {row} column {column}"

    def _check(self, row: int) -> None:
        if not 0 <= row < len(self):
            raise FormatError(f"the file index points at row {row}, the split has {len(self)} rows", self.name)


class ArrowRows(Rows):
    """Rows of an Arrow table, typically memory-mapped (``load_from_disk``, the ``datasets`` cache)."""

    def __init__(self, table, name: str) -> None:
        self.table, self.name = table, name

    def __len__(self) -> int:
        return self.table.num_rows

    def value(self, row: int, column: str) -> Any:
        self._check(row)
        self.reads += 1
        return self.table.column(column)[row].as_py()


class ParquetRows(Rows):
    """Rows of parquet shards, read one column chunk of one row group at a time (LRU cache)."""

    def __init__(self, paths: list[Path], name: str, cache: int = PARQUET_CACHE) -> None:
        import pyarrow.parquet as pq

        self.name, self._size = name, cache
        self._files = []
        self._starts: list[int] = []  # first row of each row group, over all shards
        self._groups: list[tuple[int, int]] = []  # (shard, row group)
        n = 0
        for k, p in enumerate(paths):
            try:
                pf = pq.ParquetFile(p)
            except Exception as e:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError...: one line
                raise FormatError(f"cannot read parquet ({type(e).__name__}: {e})", p) from None
            self._files.append((p, pf))
            for g in range(pf.metadata.num_row_groups):
                self._starts.append(n)
                self._groups.append((k, g))
                n += pf.metadata.row_group(g).num_rows
        self._n = n
        self._cache: OrderedDict[tuple[int, str], Any] = OrderedDict()

    def __len__(self) -> int:
        return self._n

    def _locate(self, row: int) -> tuple[int, int]:
        g = bisect.bisect_right(self._starts, row) - 1
        return g, row - self._starts[g]

    def value(self, row: int, column: str) -> Any:
        self._check(row)
        g, off = self._locate(row)
        key = (g, column)
        arr = self._cache.get(key)
        if arr is None:
            k, rg = self._groups[g]
            path, pf = self._files[k]
            try:
                arr = pf.read_row_group(rg, columns=[column]).column(0)
            except Exception as e:  # noqa: BLE001 - truncated/corrupt shard, missing column: one line
                raise FormatError(f"cannot read row group {rg} column {column!r} ({type(e).__name__}: {e})",
                                  path) from None
            self.reads += 1
            self._cache[key] = arr
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return arr[off].as_py()

    def where(self, row: int, column: str) -> str:
        g, off = self._locate(row)
        k, rg = self._groups[g]
        return f"{self._files[k][0]} row group {rg} row {off} column {column}"


class LazyRows(Rows):
    """Rows made on first use by ``load()`` (a split of a Hub dataset is loaded or downloaded only
    when a file of it is read: scoring the test split never fetches the train split)."""

    def __init__(self, load: Callable[[], Rows], name: str) -> None:
        self._load, self.name, self._rows = load, name, None

    @property
    def inner(self) -> Rows:
        if self._rows is None:
            self._rows = self._load()
        return self._rows

    @property
    def reads(self) -> int:  # type: ignore[override]
        return 0 if self._rows is None else self._rows.reads

    def __len__(self) -> int:
        return len(self.inner)

    def value(self, row: int, column: str) -> Any:
        return self.inner.value(row, column)

    def where(self, row: int, column: str) -> str:
        return self.inner.where(row, column)


_OPEN_STREAMS: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_streams() -> None:
    """Close half-read streams before the interpreter tears ``datasets``' modules down (which makes
    an abandoned parquet generator print an ignored exception at exit)."""
    for s in list(_OPEN_STREAMS):
        s.close()


class StreamRows(Rows):
    """Rows of a streamed split (a ``datasets.IterableDataset``), read forward in Arrow batches.

    The current and the previous batch are kept; a read behind them restarts the stream
    (counted in ``restarts``).
    """

    def __init__(self, stream, n_rows: int | None, name: str, batch: int = STREAM_BATCH) -> None:
        self._stream, self._n, self.name, self._batch = stream, n_rows, name, batch
        self._it = None
        self._pos = 0  # first row of the next batch the iterator yields
        self._kept: list[tuple[int, Any]] = []  # [(first row, pa.Table)], at most two
        self.restarts = 0
        _OPEN_STREAMS.add(self)

    def __len__(self) -> int:
        return self._n if self._n is not None else 1 << 62

    def close(self) -> None:
        if self._it is not None:
            close = getattr(self._it, "close", None)
            if close is not None:
                close()
            self._it = None

    def _restart(self) -> None:
        self.close()
        self._it = iter(self._stream.with_format("arrow").iter(batch_size=self._batch))
        self._pos, self._kept = 0, []

    def value(self, row: int, column: str) -> Any:
        self._check(row)
        for start, t in self._kept:
            if start <= row < start + t.num_rows:
                return t.column(column)[row - start].as_py()
        if self._it is None or row < self._pos:
            if self._it is not None:
                self.restarts += 1
            self._restart()
        while True:
            try:
                t = next(self._it)
            except StopIteration:
                self.close()
                raise FormatError(f"the stream ended at row {self._pos}, before row {row}", self.name) from None
            self.reads += 1
            start, self._pos = self._pos, self._pos + t.num_rows
            self._kept = [*self._kept[-1:], (start, t)]
            if row < self._pos:
                return t.column(column)[row - start].as_py()


# --------------------------------------------------------------------------------------------
# The dataset


def _parts(rel: str) -> tuple[str, ...]:
    return PurePosixPath(rel).parts


class PublishedDataset(Dataset):
    """A published dataset (folder or Hub id) with the :class:`Dataset` interface, read-only.

    Built by :func:`open_published_folder` / :func:`open_hub`. Paths it reports (``root``,
    ``path()``, messages) are the source dataset's paths under ``root``, the published folder or
    ``hf:/datasets/ORG/NAME``; no such file exists, the bytes come from the rows.

    Attributes:
        pair_rows: ``{published split: Rows}``.
        location: how the rows are read (for logs).
    """

    def __init__(self, root: Path, index, data: Rows, pair_rows: dict[str, Rows], location: str,
                 sequential: bool = False) -> None:
        """
        Args:
            index: pyarrow table with :data:`~dataprep.publish.files.INDEX_COLUMNS`, one row per file.
            data: the index's rows again, for the ``data`` column (read on demand).
        """
        self._index, self._data, self.pair_rows, self.location = index, data, pair_rows, location
        self.sequential = sequential
        paths = index.column("path").to_pylist()
        self._pos = {p: i for i, p in enumerate(paths)}  # path -> index row
        if len(self._pos) != len(paths):
            raise FormatError("the file index lists a path twice", root / FILES_DIR)
        self._tree: dict[str, tuple[set[str], list[str]]] | None = None
        self.root = root
        mpath = root / layout.MANIFEST
        super().__init__(root, Manifest.from_json(self._read_json(mpath), mpath))

    # ---- storage ---------------------------------------------------------------------------------
    def _rel(self, path: Path) -> str:
        try:
            return Path(path).relative_to(self.root).as_posix()
        except ValueError:
            raise FormatError("path is outside the published dataset", path) from None

    def file_bytes(self, path: Path) -> bytes:
        """The bytes of the source file at ``path`` (under ``root``), checked against its digest."""
        i = self._pos.get(self._rel(path))
        if i is None:
            raise FormatError("file is missing (not in the published file index)", path)
        split = self._index.column("split")[i].as_py()
        if split is None:
            rows, row, col = self._data, i, "data"
        else:
            rows = self.pair_rows.get(split)
            if rows is None:
                raise FormatError(f"the file index puts it in split {split!r}, which is not published", path)
            row, col = self._index.column("row")[i].as_py(), self._index.column("column")[i].as_py()
        v = rows.value(row, col)
        if v is None:
            raise FormatError("is listed by the published file index with its digest only (not published)", path)
        data = v["bytes"] if isinstance(v, dict) else v.encode("utf-8") if isinstance(v, str) else v
        if data is None or hashlib.sha256(data).hexdigest() != self._index.column("sha256")[i].as_py():
            raise FormatError(f"the published bytes ({rows.where(row, col)}) differ from the source file's "
                              "SHA-256 that publish recorded: the published copy was modified or is corrupt", path)
        return data

    def _read_json(self, path: Path) -> Any:
        data = self.file_bytes(path)
        try:
            return json.loads(data.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise FormatError(f"cannot read JSON ({e})", path) from None
        except json.JSONDecodeError as e:
            raise FormatError(f"malformed JSON (line {e.lineno}, column {e.colno}: {e.msg})", path) from None

    def _read_image(self, path: Path, reader: Callable[..., Any]) -> Any:
        return reader(path, self.file_bytes(path))

    def _is_file(self, path: Path) -> bool:
        return self._rel(path) in self._pos

    def _listing(self, path: Path) -> tuple[set[str], list[str]]:
        if self._tree is None:  # {folder: (subfolders, file names)}, built on the first listing
            tree: dict[str, tuple[set[str], list[str]]] = {}
            for p in self._pos:
                parts = p.split("/")
                for k in range(len(parts) - 1):
                    tree.setdefault("/".join(parts[:k]), (set(), []))[0].add(parts[k])
                tree.setdefault("/".join(parts[:-1]), (set(), []))[1].append(parts[-1])
            self._tree = tree
        rel = self._rel(path)
        return self._tree.get("" if rel == "." else rel, (set(), []))

    def _subdirs(self, path: Path) -> list[str]:
        return sorted(d for d in self._listing(path)[0] if not d.startswith("."))

    def _file_names(self, path: Path, suffix: str) -> list[str]:
        return sorted(f for f in self._listing(path)[1] if f.endswith(suffix) and not f.startswith("."))

    def file_digests(self, keep: Callable[[tuple[str, ...]], bool] | None = None) -> Iterator[tuple[str, str]]:
        """The source's digests from the index, in the source's hash order (no byte is read)."""
        paths = self._index.column("path").to_pylist()
        sha = self._index.column("sha256")
        for i in sorted(range(len(paths)), key=lambda i: _parts(paths[i])):
            name = paths[i].rpartition("/")[2]
            if name == layout.MANIFEST or name.startswith(".") or (keep is not None and not keep(_parts(paths[i]))):
                continue
            yield paths[i], sha[i].as_py()

    def reads(self) -> dict[str, int]:
        """``{split: stored chunks/batches read so far}`` plus ``"index"`` (for tests and logs)."""
        return {**{k: r.reads for k, r in self.pair_rows.items()}, "index": self._data.reads}


# --------------------------------------------------------------------------------------------
# Opening


def is_published_folder(root: Path) -> bool:
    """Whether ``root`` looks like a ``linecorr publish`` output (marker, file index or parquet rows)."""
    return (root / MARKER).is_file() or any((root / FILES_DIR).glob("files-*.parquet")) \
        or any((root / DATA_DIR).glob("*.parquet"))


def _old_layout(root: Path) -> LinecorrError:
    return FormatError(f"was published without the file index ({FILES_DIR}/files-*.parquet, publish layout "
                       f"{LAYOUT}) that reading it back needs; publish the source again with this linecorr", root)


def open_published_folder(root: str | Path, streaming: bool = False) -> PublishedDataset:
    """Open a folder written by ``linecorr publish``.

    Args:
        streaming: read it the way a streamed Hub dataset is read (``datasets`` streaming over the
            local files); otherwise the ``arrow/`` copy is memory-mapped, or without it the
            parquet shards are read by row group.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(root)
    marker = read_json(root / MARKER) if (root / MARKER).is_file() else {}
    index_files = [root / p for p in marker.get("index", [])] if isinstance(marker, dict) else []
    index_files = index_files or sorted((root / FILES_DIR).glob("files-*.parquet"))
    if not index_files:
        raise _old_layout(root)
    if streaming:
        return _open_with_datasets(str(root), root, True, str(root))
    tables = []
    for p in index_files:
        try:
            tables.append(pq.read_table(p, columns=list(INDEX_COLUMNS)))
        except Exception as e:  # noqa: BLE001 - missing file, bad footer, missing column: one line
            raise FormatError(f"cannot read the published file index ({type(e).__name__}: {e})", p) from None
    index = pa.concat_tables(tables)
    data = ParquetRows(index_files, f"{root / FILES_DIR}")
    splits = sorted({s for s in index.column("split").to_pylist() if s is not None})
    arrow = root / ARROW_DIR / "dataset_dict.json"
    if arrow.is_file():
        from datasets import load_from_disk

        try:
            dd = load_from_disk(str(root / ARROW_DIR))
        except Exception as e:  # noqa: BLE001 - a damaged copy: say so in one line
            raise FormatError(f"cannot load the save_to_disk copy ({type(e).__name__}: {e}); delete it to "
                              "read the parquet shards instead", root / ARROW_DIR) from None
        missing = [s for s in splits if s not in dd]
        if missing:
            raise FormatError(f"the save_to_disk copy has no split {missing[0]!r}", root / ARROW_DIR)
        rows: dict[str, Rows] = {s: ArrowRows(dd[s].data.table, f"{root / ARROW_DIR / s}") for s in splits}
        how = "memory-mapped arrow/"
    else:
        rows = {}
        for s in splits:
            shards = sorted((root / DATA_DIR).glob(f"{s}-*.parquet"))
            if not shards:
                raise FormatError(f"split {s!r} has no parquet shard ({DATA_DIR}/{s}-*.parquet)", root)
            rows[s] = ParquetRows(shards, f"{root / DATA_DIR}/{s}")
        how = "parquet row groups"
    return PublishedDataset(root, index, data, rows, f"published folder {root} ({how})")


def _short(e: BaseException) -> str:
    msg = " ".join(str(e).split())
    return f"{type(e).__name__}: {msg[:200]}" if msg else type(e).__name__


def _load_error(spec: str, e: Exception, bare_id: bool) -> LinecorrError:
    """One line for a failed ``load_dataset`` (``bare_id``: ``spec`` could also have been a local path)."""
    from dataprep.publish.hub import offline_mode

    if type(e).__name__ == "DatasetNotFoundError" or "doesn't exist on the Hub" in str(e):
        why = "no such dataset on the Hugging Face Hub, or it is private (set HF_TOKEN)"
    elif FILES_CONFIG in str(e):
        why = (f"it has no {FILES_CONFIG!r} config, so it was not written by `linecorr publish` "
               f"(layout {LAYOUT}); only such datasets can be trained or scored on")
    else:
        why = f"cannot load it with datasets.load_dataset ({_short(e)})"
    if offline_mode():
        why += "; offline mode is on (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE): only a cached copy can be used"
    return LinecorrError(f"{spec}: {'no such local folder, and as a Hub id: ' if bare_id else ''}{why}")


def _open_with_datasets(source: str, root: Path, streaming: bool, spec: str, bare_id: bool = False) -> PublishedDataset:
    """Open a published dataset through ``datasets.load_dataset(source)`` (a Hub id or a local folder)."""
    import datasets
    import pyarrow as pa

    def load(*args, **kw):
        try:
            return datasets.load_dataset(source, *args, streaming=streaming, **kw)
        except LinecorrError:
            raise
        except Exception as e:  # noqa: BLE001 - network, auth, missing repo or config...: one line
            raise _load_error(spec, e, bare_id) from None

    files = load(FILES_CONFIG, split=FILES_SPLIT)
    if streaming:
        # The index with its inline files is read whole: the rows are found through it.
        batches = list(files.with_format("arrow").iter(batch_size=4096))
        if not batches:
            raise FormatError("the published file index is empty", root)
        table = pa.concat_tables(batches)
    else:
        table = files.data.table  # memory-mapped in the datasets cache
    data = ArrowRows(table, f"{spec} [{FILES_CONFIG}]")
    index = table.select(list(INDEX_COLUMNS))

    def split_rows(s: str) -> Rows:
        d = load(split=s)
        if not streaming:
            return ArrowRows(d.data.table, f"{spec} [{s}]")
        known = getattr(getattr(d, "info", None), "splits", None) or {}
        n = known[s].num_examples if s in known and known[s].num_examples else None
        return StreamRows(d, n, f"{spec} [{s}]")

    splits = sorted({s for s in index.column("split").to_pylist() if s is not None})
    rows: dict[str, Rows] = {s: LazyRows(lambda s=s: split_rows(s), f"{spec} [{s}]") for s in splits}
    how = "streamed" if streaming else "downloaded, memory-mapped"
    return PublishedDataset(root, index, data, rows, f"{spec} ({how})", sequential=streaming)


def open_hub(repo_id: str, streaming: bool = False, spec: str | None = None, bare_id: bool = False) -> PublishedDataset:
    """Open a Hub dataset published by ``linecorr publish`` (``load_dataset(repo_id, streaming=...)``).

    Args:
        spec: what the user wrote (named in messages); default ``repo_id``.
        bare_id: ``spec`` had no ``hf://`` prefix, so it may have been meant as a local path.

    Raises:
        LinecorrError: one line when the Hub cannot be reached (offline, no network), the repo does
            not exist, or it was not written by ``linecorr publish``.
    """
    return _open_with_datasets(repo_id, Path(f"hf://datasets/{repo_id}"), streaming, spec or repo_id, bare_id)
