"""A linecorr dataset as a Hugging Face ``datasets.DatasetDict``: one row per pair.

Rows are produced by a generator (``Dataset.from_generator`` with explicit :func:`hf_features`),
so only ``writer_batch_size`` rows of images are in memory at a time. Images are embedded as the
PNG bytes of the source files (no decode/re-encode), except segment maps that are not already
16-bit gray, which are re-encoded to the canonical encoding (see :func:`seg_png_bytes`). The
segment-table and pair JSON files are embedded verbatim too (``segments_json_a/b``,
``pair_json``), so a row holds every file of its pair byte for byte: ``linecorr train`` / ``score``
read a published dataset through them (``dataprep.publish.reader``) with the source's hashes.

Row schema (``features``), per pair ``<clip>/<frame_a>__<frame_b>``:

===================  ===========================================================================
``id``               string, the pair id
``clip``             string; ``frame_a``, ``frame_b``: strings
``gap``              int32, index distance of the two frames in the clip
``width``/``height`` int32, frame size in pixels
``line_a/b``         Image, the line art PNG as stored (0 = ink, 255 = paper; may be LA/RGBA)
``color_a/b``        Image or None (clips without color images)
``seg_a/b``          Image, segment map: 16-bit gray PNG (id = value) when every id <= 65535,
                     else 8-bit RGB PNG with id = R*65536 + G*256 + B; 0 = line pixels.
                     :func:`decode_segment_image` turns either into ``(H, W) int32``.
``label_a/b``        Image or None, pixel label map (clips with ``has_labels``): RGBA PNG, id =
                     R*65536 + G*256 + B, alpha 0 = -1 (:func:`decode_label_image`)
``parts_a/b``        Image or None, exact part-id map under a drawn line style (format 1.1), as
                     ``label``; None when the frame has no ``parts/`` file
``segments_a/b``     struct of lists, the segment table: ``id`` int32, ``area`` int64, ``bbox``
                     ``[x, y, w, h]`` int32, ``centroid`` ``[x, y]`` float32, ``color`` RGBA
                     uint8 (None without color), ``label`` int64 (correspondence id, -1 unknown),
                     ``color_label`` int64
``matches``          struct of lists ``a`` int32, ``b`` int32, ``source`` string (render / auto /
                     manual), ``confidence`` float32: the many-to-many edges
``unmatched_a/b``    list of int32, segments known to have no match
``status``           string (todo, in_progress, done, accepted, rejected); ``comment`` string
``meta``             string, the pair's ``meta`` object as JSON
``provenance``       struct: ``dataset``, ``schema_version``, ``producer_stage``,
                     ``producer_version``, ``producer_git_sha``, ``content_hash`` (SHA-256 of the
                     source dataset, see ``Dataset.content_hash``), ``clip_source`` (JSON)
``segments_json_a/b`` string, the frame's ``segments/<frame>.json`` verbatim (every column,
                     full precision; ``segments_a/b`` is its convenient, float32-centroid view)
``pair_json``        string, the pair's ``pairs/<clip>/<a>__<b>.json`` verbatim (incl. the
                     optional ``region_matches``)
===================  ===========================================================================
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage

from dataprep.errors import FormatError, LinecorrError
from dataprep.format import images, layout
from dataprep.format.dataset import Dataset
from dataprep.format.schema import ClipInfo, Pair, parse_pair_id
from dataprep.format.segtable import SegmentTable

#: Where the parquet shards go, relative to the output (the Hub's layout).
DATA_DIR = "data"
#: Where the ``DatasetDict.save_to_disk`` copy goes, relative to the output.
ARROW_DIR = "arrow"
# Parquet min/max statistics only for the small scalar columns: on image columns they would
# store two whole PNGs per row group and column (it made the toy shards 70 % bigger).
_STATS_COLUMNS = ("id", "clip", "frame_a", "frame_b", "gap", "width", "height", "status")
# The Hub and ``datasets`` accept split names matching this (no '-': it separates shard names).
_HF_SPLIT_RE = re.compile(r"^\w+(\.\w+)*$")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

#: Row column carrying each per-frame file kind (``layout`` kind -> column prefix; + ``_a``/``_b``).
FRAME_COLUMNS = {layout.LINE: "line", layout.COLOR: "color", layout.SEG: "seg", layout.LABEL: "label",
                 layout.PARTS: "parts", layout.SEGMENTS: "segments_json"}
#: Row column carrying the pair file.
PAIR_COLUMN = "pair_json"


def hf_features():
    """The ``datasets.Features`` of a row (see the module docstring)."""
    from datasets import Features, Image, List, Value

    table = {
        "id": List(Value("int32")), "area": List(Value("int64")), "bbox": List(List(Value("int32"), length=4)),
        "centroid": List(List(Value("float32"), length=2)), "color": List(List(Value("uint8"), length=4)),
        "label": List(Value("int64")), "color_label": List(Value("int64")),
    }
    f: dict[str, Any] = {"id": Value("string"), "clip": Value("string"), "frame_a": Value("string"),
                         "frame_b": Value("string"), "gap": Value("int32"), "width": Value("int32"),
                         "height": Value("int32")}
    for side in ("a", "b"):
        for kind in ("line", "color", "seg", "label", "parts"):
            f[f"{kind}_{side}"] = Image()
    f["segments_a"] = dict(table)
    f["segments_b"] = dict(table)
    f["matches"] = {"a": List(Value("int32")), "b": List(Value("int32")), "source": List(Value("string")),
                    "confidence": List(Value("float32"))}
    f["unmatched_a"] = List(Value("int32"))
    f["unmatched_b"] = List(Value("int32"))
    for k in ("status", "comment", "meta"):
        f[k] = Value("string")
    f["provenance"] = {k: Value("string") for k in ("dataset", "schema_version", "producer_stage",
                                                     "producer_version", "producer_git_sha", "content_hash",
                                                     "clip_source")}
    # The source's JSON files verbatim, last: the exact copies the linecorr reader uses.
    f["segments_json_a"] = Value("string")
    f["segments_json_b"] = Value("string")
    f[PAIR_COLUMN] = Value("string")
    return Features(f)


def decode_segment_image(img: PILImage.Image | np.ndarray) -> np.ndarray:
    """Decode a ``seg_a``/``seg_b`` value back to the ``(H, W) int32`` segment map (0 = line).

    Args:
        img: the decoded Image column value (PIL image, mode ``I;16`` or ``RGB``) or its array.
    """
    arr = np.asarray(img)
    return images.decode_ids(arr.astype(np.uint16) if arr.ndim == 2 else arr)


def decode_label_image(img: PILImage.Image | np.ndarray) -> np.ndarray:
    """Decode a ``label_a/b`` or ``parts_a/b`` value to the ``(H, W) int32`` map (-1 = none).

    Args:
        img: the decoded Image column value (PIL image, mode ``RGBA``) or its array.
    """
    return images.decode_ids(np.asarray(img))


# --------------------------------------------------------------------------------------------
# Splits


def hf_split_name(name: str) -> str:
    """Map a linecorr split name to one the Hub accepts ('-' becomes '_')."""
    out = name.replace("-", "_")
    if not _HF_SPLIT_RE.match(out):
        raise LinecorrError(f"split name {name!r} cannot be a Hugging Face split name (letters, digits, '_', '.')")
    return out


def split_pairs(ds: Dataset, unsplit: str = "unsplit") -> dict[str, list[str]]:
    """Pair ids per published split, in splits.json order, then ``unsplit``.

    Pairs of clips that are in no split (or every pair, without splits.json) go to ``unsplit``.
    Splits without pairs are left out (a parquet shard of zero rows helps nobody).
    """
    clip_split: dict[str, str] = {}
    names: dict[str, str] = {}  # hf name -> linecorr name, to catch 'a-b' vs 'a_b' collisions
    for name, clips in [*ds.splits.items(), (unsplit, [])]:
        hf = hf_split_name(name)
        if hf in names:
            where = ds.root / layout.SPLITS
            raise LinecorrError(f"splits {names[hf]!r} and {name!r} both become Hugging Face split {hf!r}", where)
        names[hf] = name
        clip_split.update({c: hf for c in clips})
    out: dict[str, list[str]] = {hf: [] for hf in names}
    for pid in ds.pair_ids():
        out[clip_split.get(pid.partition("/")[0], hf_split_name(unsplit))].append(pid)
    return {k: v for k, v in out.items() if v}


# --------------------------------------------------------------------------------------------
# Rows


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FormatError("file is missing", path) from None
    except OSError as e:
        raise FormatError(f"cannot read ({e.strerror})", path) from None


def is_16bit_gray_png(data: bytes) -> bool:
    """Whether ``data`` starts like a 16-bit grayscale PNG (signature, then IHDR bit depth 16, color type 0).

    The segment maps that :func:`seg_png_bytes` passes through untouched; the others are
    re-encoded, and the published file index keeps their source bytes (``dataprep.publish.files``).
    """
    return len(data) >= 26 and data[:8] == _PNG_MAGIC and data[12:16] == b"IHDR" and data[24] == 16 and data[25] == 0


def seg_png_bytes(path: Path) -> bytes:
    """PNG bytes of a segment map in the canonical encoding, checked to decode.

    The map is always fully decoded (a truncated label map must fail here, not in a user's
    training run). A 16-bit gray PNG is then passed through untouched (the common case, exact by
    construction); anything else (8-bit gray, RGB-encoded) is re-encoded: 16-bit when every id
    fits in 65535, else RGB ``R*65536 + G*256 + B``.
    """
    data = _read_bytes(path)
    raw = images.read_image_raw(path)  # FormatError naming the file on any decoding problem
    ids = images.decode_ids(raw, path)
    if ids.min() < 0:
        raise FormatError("segment map has negative ids (alpha 0?)", path)
    if raw.dtype == np.uint16 and is_16bit_gray_png(data):
        return data
    return images.encode_segment_map(ids, path)


def checked_image_bytes(path: Path) -> bytes:
    """The bytes of a line/color image after a cheap integrity check (chunk CRCs, no decode)."""
    data = _read_bytes(path)
    try:
        with PILImage.open(io.BytesIO(data)) as im:
            im.verify()
    except Exception as e:  # noqa: BLE001 - PIL raises many types for bad files
        raise FormatError(f"cannot decode image ({type(e).__name__}: {e})", path) from None
    return data


def json_file_text(path: Path) -> tuple[str, Any]:
    """A JSON file's text (verbatim, for the row) and its parsed value (one-line errors naming it)."""
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
        return text, json.loads(text)
    except UnicodeDecodeError as e:
        raise FormatError(f"cannot read JSON ({e})", path) from None
    except json.JSONDecodeError as e:
        raise FormatError(f"malformed JSON (line {e.lineno}, column {e.colno}: {e.msg})", path) from None


def _table_row(t: SegmentTable) -> dict:
    return {"id": t.ids.tolist(), "area": t.area.tolist(), "bbox": t.bbox.tolist(),
            "centroid": t.centroid.astype(np.float32).tolist(),
            "color": None if t.color is None else t.color.tolist(),
            "label": t.label.tolist(), "color_label": t.color_label.tolist()}


def _image(data: bytes | None) -> dict | None:
    return None if data is None else {"bytes": data, "path": None}


def provenance(ds: Dataset, content_hash: str) -> dict[str, str]:
    """The per-row provenance fields shared by every row (``clip_source`` is set per clip)."""
    p = ds.manifest.producer
    return {"dataset": ds.manifest.name, "schema_version": ds.manifest.schema_version,
            "producer_stage": p.stage, "producer_version": p.version or "", "producer_git_sha": p.git_sha or "",
            "content_hash": content_hash, "clip_source": "{}"}


def pair_row(ds: Dataset, pair: Pair, info: ClipInfo, prov: dict[str, str]) -> dict:
    """One row (see the module docstring) for ``pair``; reads its frames' files."""
    row: dict[str, Any] = {"id": pair.id, "clip": pair.clip, "frame_a": pair.frame_a, "frame_b": pair.frame_b,
                           "gap": _gap(info, pair), "width": info.width, "height": info.height}
    for side, fr in (("a", pair.frame_a), ("b", pair.frame_b)):
        row[f"line_{side}"] = _image(checked_image_bytes(ds.path(pair.clip, layout.LINE, fr)))
        color = checked_image_bytes(ds.path(pair.clip, layout.COLOR, fr)) if info.has_color else None
        row[f"color_{side}"] = _image(color)
        row[f"seg_{side}"] = _image(seg_png_bytes(ds.path(pair.clip, layout.SEG, fr)))
        label = checked_image_bytes(ds.path(pair.clip, layout.LABEL, fr)) if info.has_labels else None
        row[f"label_{side}"] = _image(label)
        parts = layout.frame_file(ds.root, pair.clip, layout.PARTS, fr)
        row[f"parts_{side}"] = _image(checked_image_bytes(ds.path(pair.clip, layout.PARTS, fr))
                                      if parts.is_file() else None)
        seg_path = ds.path(pair.clip, layout.SEGMENTS, fr)
        text, obj = json_file_text(seg_path)
        row[f"segments_{side}"] = _table_row(SegmentTable.from_json(obj, seg_path))
        row[f"segments_json_{side}"] = text
    ms = pair.matches
    row["matches"] = {"a": [m.a for m in ms], "b": [m.b for m in ms], "source": [m.source for m in ms],
                      "confidence": [float(m.confidence) for m in ms]}
    row.update(unmatched_a=list(pair.unmatched_a), unmatched_b=list(pair.unmatched_b), status=pair.status,
               comment=pair.comment, meta=json.dumps(pair.meta, sort_keys=True),
               provenance={**prov, "clip_source": json.dumps(info.source, sort_keys=True)})
    row[PAIR_COLUMN] = json_file_text(layout.pair_file(ds.root, pair.clip, pair.frame_a, pair.frame_b))[0]
    return row


def _gap(info: ClipInfo, pair: Pair) -> int:
    try:
        return info.frames.index(pair.frame_b) - info.frames.index(pair.frame_a)
    except ValueError:
        raise FormatError(f"pair {pair.id} names a frame that clip {pair.clip!r} does not have") from None


def iter_rows(root: str, pids: list[str], prov: dict[str, str], progress=None) -> Iterator[dict]:
    """Yield the row of every pair in ``pids`` (the ``Dataset.from_generator`` generator).

    Args:
        root: dataset folder (a path, not an open Dataset, so ``datasets`` can hash the arguments).
        pids: pair ids, sorted (pairs of one clip are consecutive, so one cached ClipInfo suffices).
        prov: :func:`provenance` fields.
        progress: optional object with ``update(n)`` (a tqdm bar), called once per row.
    """
    ds = Dataset.open(root)
    info: ClipInfo | None = None
    for pid in pids:
        pair = ds.load_pair(pid)
        if info is None or info.id != pair.clip:
            info = ds.clip(pair.clip)
        yield pair_row(ds, pair, info, prov)
        if progress is not None:
            progress.update(1)


# --------------------------------------------------------------------------------------------
# Building and writing


@contextlib.contextmanager
def quiet_datasets():
    """Silence ``datasets``' own progress bars (we show one bar for the whole publish)."""
    import datasets

    was_disabled = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if not was_disabled:
            datasets.enable_progress_bars()


def build_dataset_dict(ds: Dataset, splits: dict[str, list[str]], cache_dir: Path, content_hash: str,
                       writer_batch_size: int = 50, progress=None):
    """Build the ``DatasetDict`` (one ``Dataset`` per split) from a generator.

    Args:
        ds: the source dataset.
        splits: ``{hf split name: [pair ids]}`` from :func:`split_pairs`.
        cache_dir: where ``datasets`` writes its Arrow cache (a folder we delete afterwards, so
            no global cache is touched).
        content_hash: the source's content hash (provenance, and the cache fingerprint).
        writer_batch_size: rows held in memory before they are flushed to Arrow.
        progress: optional bar with ``update(n)``.
    """
    from datasets import Dataset as HFDataset
    from datasets import DatasetDict

    features = hf_features()
    prov = provenance(ds, content_hash)
    from datasets.exceptions import DatasetGenerationError

    out = {}
    for name, pids in splits.items():
        try:
            out[name] = HFDataset.from_generator(
                iter_rows, features=features, cache_dir=str(cache_dir), writer_batch_size=writer_batch_size,
                gen_kwargs={"root": str(ds.root), "pids": pids, "prov": prov, "progress": progress},
                # An explicit fingerprint: datasets need not hash the arguments (the bar is not hashable).
                fingerprint=f"linecorr-{content_hash[:16]}-{name}", split=name)
        except DatasetGenerationError as e:
            # datasets wraps whatever the generator raised; a bad file must stay a one-line error.
            cause = e.__cause__
            while cause is not None and not isinstance(cause, LinecorrError):
                cause = cause.__cause__ or cause.__context__
            if cause is not None:
                raise cause from None
            raise
    return DatasetDict(out)


def write_parquet(dd, data_dir: Path, max_shard_bytes: int, row_group_size: int = 100) -> dict[str, list[Path]]:
    """Write each split as ``data_dir/<split>-NNNNN-of-MMMMM.parquet`` shards (the Hub layout).

    Args:
        dd: the ``DatasetDict``.
        max_shard_bytes: shard size limit, measured on the Arrow data (PNG bytes dominate and do
            not shrink in parquet, so the files come out about this size).
        row_group_size: rows per parquet row group (100 is what the Hub viewer likes for images).

    Returns:
        ``{split: [shard paths]}``.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[Path]] = {}
    for name, d in dd.items():
        n = max(1, min(len(d), math.ceil(d.data.nbytes / max_shard_bytes)))
        files[name] = []
        for i in range(n):
            path = data_dir / f"{name}-{i:05d}-of-{n:05d}.parquet"
            d.shard(num_shards=n, index=i, contiguous=True).to_parquet(
                str(path), batch_size=row_group_size, write_statistics=list(_STATS_COLUMNS))
            files[name].append(path)
    return files


def verify_parquet(ds: Dataset, files: dict[str, list[Path]]) -> int:
    """Read back the first row of every split's first shard and compare its label maps.

    Catches an encoding bug before anyone downloads the data. Returns the number of maps checked.

    Raises:
        RuntimeError: a decoded map differs from the source (a bug in this module, not bad input).
    """
    import pyarrow.parquet as pq

    checked = 0
    for paths in files.values():
        t = pq.ParquetFile(paths[0]).read_row_group(0, columns=["id", "seg_a", "seg_b"]).slice(0, 1).to_pylist()[0]
        clip, fa, fb = parse_pair_id(t["id"])
        for col, fr in (("seg_a", fa), ("seg_b", fb)):
            got = decode_segment_image(PILImage.open(io.BytesIO(t[col]["bytes"])))
            if not np.array_equal(got, ds.load_seg(clip, fr)):
                raise RuntimeError(f"{paths[0]}: {col} of {t['id']} does not decode to the source segment map")
            checked += 1
    return checked
