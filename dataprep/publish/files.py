"""The file index of a published dataset: ``OUT/linecorr/files-NNNNN-of-MMMMM.parquet``.

The pair rows (``data/``) are what the Hub shows and what ``load_dataset`` users read. To read a
published dataset back as a linecorr dataset (``linecorr train`` / ``score --dataset OUT``,
``dataprep.publish.reader``), the publish also writes one row per file of the source folder:

==========  ======================================================================================
``path``    string, the file's path relative to the source dataset (``clips/c/seg/0003.png``)
``sha256``  string, SHA-256 (hex) of the source file's bytes
``size``    int64, the source file's size in bytes
``split``   string or null: the published split whose pair rows carry the file verbatim ...
``row``     int64 or null: ... the row (0-based, within the split, in shard order) ...
``column``  string or null: ... and the column (``line_a``, ``segments_json_b``, ``pair_json``...)
``data``    binary or null: the file's bytes when no pair row carries them verbatim (manifest,
            splits, clip.json, frames that are in no pair, segment maps that the rows re-encode)
==========  ======================================================================================

Every file the dataset hashes cover is listed (``Dataset.file_digests``; plus ``manifest.json``,
which they leave out), so the published copy's ``content_hash`` / ``ground_truth_hash`` are the
source's, computed from these digests, and a reader checks the bytes of every file it reads
against them. Files outside the format (e.g. the annotator's ``annotations/`` history) are listed
with their digest only (``data`` null, no location): hashed, not readable.

Rows are in hash order (path parts sorted), written with pyarrow in row groups of at most
:data:`ROW_GROUP_BYTES` of inline data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from dataprep.format import layout
from dataprep.format.dataset import Dataset
from dataprep.format.schema import ClipInfo, parse_pair_id

#: Folder of the file index in the published output.
FILES_DIR = "linecorr"
#: Its Hugging Face config (``load_dataset(ID, FILES_CONFIG, split=FILES_SPLIT)``) and split.
FILES_CONFIG = "linecorr_files"
FILES_SPLIT = "files"
#: Layout version of a published folder (``publish.json`` ``layout``): 2 = pair rows with every
#: file of their frames + this file index. Folders without it cannot be read back as datasets.
LAYOUT = 2
#: Inline bytes per parquet row group of the index (bounds the reader's memory per cached group).
ROW_GROUP_BYTES = 32 << 20
#: Columns of the index that a reader keeps in memory (``data`` is read on demand).
INDEX_COLUMNS = ("path", "sha256", "size", "split", "row", "column")
_FRAME_KINDS = {layout.LINE, layout.COLOR, layout.SEG, layout.LABEL, layout.PARTS, layout.SEGMENTS}


def schema():
    """The pyarrow schema of the index (see the module docstring)."""
    import pyarrow as pa

    return pa.schema([("path", pa.string()), ("sha256", pa.string()), ("size", pa.int64()),
                      ("split", pa.string()), ("row", pa.int64()), ("column", pa.string()),
                      ("data", pa.binary())])


def readable(rel: str) -> bool:
    """Whether ``rel`` is a file the linecorr reader may need (the format's files, docs/FORMAT.md)."""
    parts = PurePosixPath(rel).parts
    if parts in ((layout.MANIFEST,), (layout.SPLITS,)):
        return True
    if len(parts) == 3 and parts[0] == layout.CLIPS and parts[2] == layout.CLIP_JSON:
        return True
    if len(parts) == 4 and parts[0] == layout.CLIPS and parts[2] in _FRAME_KINDS:
        return True
    return len(parts) == 3 and parts[0] == layout.PAIRS and parts[2].endswith(".json")


def row_locations(ds: Dataset, splits: dict[str, list[str]]) -> dict[str, tuple[str, int, str]]:
    """``{relative path: (split, row, column)}`` of every file a pair row carries verbatim.

    A frame in several pairs is located in the first row that has it. Segment maps are included
    whatever their encoding; :func:`write_index` drops the ones the rows re-encode.

    Args:
        splits: ``{hf split: [pair ids in row order]}`` (``hf_dataset.split_pairs``).
    """
    from dataprep.publish.hf_dataset import FRAME_COLUMNS, PAIR_COLUMN

    root = Path("")
    out: dict[str, tuple[str, int, str]] = {}
    info: ClipInfo | None = None
    for split, pids in splits.items():
        for row, pid in enumerate(pids):
            clip, fa, fb = parse_pair_id(pid)
            if info is None or info.id != clip:
                info = ds.clip(clip)
            out.setdefault(layout.pair_file(root, clip, fa, fb).as_posix(), (split, row, PAIR_COLUMN))
            for side, fr in (("a", fa), ("b", fb)):
                for kind, col in FRAME_COLUMNS.items():
                    if kind == layout.COLOR and not info.has_color or kind == layout.LABEL and not info.has_labels:
                        continue
                    rel = layout.frame_file(root, clip, kind, fr)
                    if kind == layout.PARTS and not (ds.root / rel).is_file():
                        continue
                    out.setdefault(rel.as_posix(), (split, row, f"{col}_{side}"))
    return out


def _records(ds: Dataset, digests: list[tuple[str, str]],
             where: dict[str, tuple[str, int, str]]) -> Iterator[dict]:
    """One index row per file: ``digests`` (hash order) plus the manifest, which they leave out."""
    from dataprep.publish.hf_dataset import _read_bytes, is_16bit_gray_png

    mpath = ds.root / layout.MANIFEST
    manifest = _read_bytes(mpath)
    items = [(layout.MANIFEST, hashlib.sha256(manifest).hexdigest()), *digests]
    items.sort(key=lambda it: PurePosixPath(it[0]).parts)
    for rel, digest in items:
        path = layout.inside(ds.root, ds.root / rel)
        loc = where.get(rel)
        if loc is not None and loc[2].startswith("seg_"):
            with open(path, "rb") as f:  # re-encoded in the rows: keep the source bytes here
                if not is_16bit_gray_png(f.read(32)):
                    loc = None
        data = None
        if loc is None and readable(rel):
            data = manifest if rel == layout.MANIFEST else _read_bytes(path)
            if hashlib.sha256(data).hexdigest() != digest:  # changed since it was hashed: refuse a stale index
                from dataprep.errors import FormatError

                raise FormatError("file changed while publishing", path)
        yield {"path": rel, "sha256": digest, "size": path.stat().st_size,
               "split": None if loc is None else loc[0], "row": None if loc is None else loc[1],
               "column": None if loc is None else loc[2], "data": data}


def write_index(ds: Dataset, digests: list[tuple[str, str]], where: dict[str, tuple[str, int, str]],
                out_dir: Path, max_shard_bytes: int) -> list[Path]:
    """Write the file index into ``out_dir/files-NNNNN-of-MMMMM.parquet`` shards.

    Args:
        digests: ``ds.file_digests()`` as a list (hash order).
        where: :func:`row_locations`.
        max_shard_bytes: start a new shard after this many bytes of inline data.

    Returns:
        The shard paths, in order.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir.mkdir(parents=True, exist_ok=True)
    sch = schema()
    tmp: list[Path] = []
    writer = None
    batch: list[dict] = []
    batch_bytes = shard_bytes = 0

    def flush() -> None:
        nonlocal batch, batch_bytes
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=sch))
        batch, batch_bytes = [], 0

    for rec in _records(ds, digests, where):
        if writer is None:
            tmp.append(out_dir / f".files-{len(tmp):05d}.parquet")
            writer = pq.ParquetWriter(str(tmp[-1]), sch, write_statistics=["path", "split", "row"])
        batch.append(rec)
        n = len(rec["data"] or b"")
        batch_bytes += n
        shard_bytes += n
        if batch_bytes >= ROW_GROUP_BYTES:
            flush()
        if shard_bytes >= max_shard_bytes:
            flush()
            writer.close()
            writer, shard_bytes = None, 0
    if writer is not None:
        flush()
        writer.close()
    final = [out_dir / f"files-{i:05d}-of-{len(tmp):05d}.parquet" for i in range(len(tmp))]
    for a, b in zip(tmp, final):
        a.rename(b)
    return final
