"""PaintBucket-Character (BasicPBC) <-> linecorr.

PBC layout, one folder per character (clip)::

    <char>/line/NNNN.png         RGBA, black (and red/green/blue shading) lines on transparent
    <char>/gt/NNNN.png           RGBA colored frame, transparent background
    <char>/seg/NNNN.png          RGB, segment id = R*256^2 + G*256 + B, 0 = line pixels, 1 = background
    <char>/seg/NNNN.json         test set only: segment -> [R, G, B, A] (instead of json_color/)
    <char>/label/NNNN.png        RGB(A), part id (same in every frame), alpha 0 = -1, 0 = black line;
                                 the -1 pixels are (255, 255, 255, 0) or, in some files, (0, 0, 0, 0)
    <char>/json_color/NNNN.json  {"<segment>": [R, G, B, A]}
    <char>/json_index/NNNN.json  {"<segment>": [pixel count, part id]}

Character folders may sit under ``train/`` and ``test/`` (then those are the splits) and any
grouping folders (``PaintBucket_Char/``); other folders (line_anno, shadow, ref) are ignored.

Mapping: ``line`` is stored as-is, ``gt`` is the color image (+ alpha), ``seg`` the segment map,
``label`` the pixel label map; a segment's correspondence label is its json_index part id (else
the majority of the label map); the table's color column holds json_color exactly. Pairs come
from the labels (``dataprep.pairs.label_pair``); segments labelled 0 (black line) or -1 are never
matched. Export writes the same layout back (``clip.json`` ``source`` remembers the folders,
relative path and file names, and how each ``label/`` file stored its transparent pixels:
``label_background`` [R, G, B] for the clip, ``label_frames`` for frames that differ), so
PBC -> linecorr -> PBC gives the same pixels and JSON values.

Byte-exact: ``source`` also keeps the SHA-256 of every file read (``file_sha256``, keyed by the path
in the character folder). Export copies a source file's bytes back, instead of encoding the data
anew (PNG at another compression level, JSON with other spacing), when the file is still where
the import read it (the import's ``source`` root in the manifest, of this dataset or of a parent
it was derived from), still has that SHA-256, and holds exactly what export would write: the same
decoded pixels, channels and dtype for a PNG, the same values for a JSON. A frame whose labels
or segments were edited since, or a source that moved or changed, is encoded as before:
pixel-exact (and JSON value-exact), not byte-exact.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataprep.errors import FormatError, LinecorrError, warn
from dataprep.format import images
from dataprep.format.dataset import Dataset, Frame
from dataprep.format.schema import STANDARD_SPLITS, ClipInfo, Pair
from dataprep.format.segtable import SegmentTable
from dataprep.format.writer import DatasetWriter
from dataprep.importers import common
from dataprep.importers.common import ClipJob
from dataprep.pairs import frame_pairs, label_pair

#: Folders of a character we read, in the order they are checked.
FOLDERS = ("line", "gt", "seg", "label", "json_color", "json_index")
#: Label id of black line pixels in PBC's label maps: never a correspondence.
LINE_LABEL = 0


@dataclass
class PbcImportConfig:
    """Settings of ``linecorr import pbc``."""

    gaps: tuple[int, ...] = (1,)  # frame gaps of the pairs to derive (1 = consecutive frames)
    split: str = "test"  # split of characters not under a train/ or test/ folder
    pair_status: str = "todo"  # review status given to the derived pairs
    name: str = ""  # dataset name in the manifest ("" = pbc-<folder name>)
    max_depth: int = 4  # how many folder levels below SRC to look for character folders


# ---------------------------------------------------------------------------------------------
# discovery


def find_characters(root: Path, max_depth: int = 4) -> list[Path]:
    """Character folders (folders with a ``line/`` sub-folder) under ``root``, sorted."""
    if not root.is_dir():
        raise FormatError("is not a directory (expected a PaintBucket-Character folder)", root)
    if (root / "line").is_dir():
        return [root]
    found: list[Path] = []
    level = [root]
    for _ in range(max_depth):
        nxt = []
        for d in level:
            for c in sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith(".")):
                (found if (c / "line").is_dir() else nxt).append(c)
        level = nxt
    if not found:
        raise FormatError("has no character folders (expected <char>/line/*.png and <char>/seg/*.png)", root)
    return found


def plan_import(root: str | os.PathLike, cfg: PbcImportConfig) -> list[ClipJob]:
    """List every character of ``root`` and check that each frame has all its files.

    Raises:
        FormatError: naming the missing folder or file (nothing is read or written yet).
    """
    root = Path(root).resolve()
    chars = find_characters(root, cfg.max_depth)
    base = root.parent if chars == [root] else root
    rels = [c.relative_to(base).as_posix() for c in chars]
    clips = common.unique_ids([c.name for c in chars], fallbacks=[r.replace("/", "-") for r in rels])
    jobs = []
    for char, rel, clip in zip(chars, rels, clips):
        first = rel.split("/")[0]
        split = first if ("/" in rel and first in STANDARD_SPLITS) else cfg.split
        jobs.append(_plan_character(char, rel, clip, split))
    return jobs


def _plan_character(char: Path, rel: str, clip: str, split: str) -> ClipJob:
    stems = common.list_stems(char / "line", ".png")
    if not stems:
        raise FormatError("has no .png line images", char / "line")
    if not (char / "seg").is_dir():
        raise FormatError("folder is missing (PBC needs a segment map per frame)", char / "seg")
    folders = [f for f in FOLDERS if (char / f).is_dir()]
    seg_json = any(p.suffix == ".json" for p in (char / "seg").iterdir())
    for f in (f for f in folders if f != "line"):
        ext = ".json" if f.startswith("json") else ".png"
        common.require_files(char / f, stems, ext, "line image in line/")
    if seg_json:
        common.require_files(char / "seg", stems, ".json", "line image in line/")
    if (seg_json or "json_color" in folders) and "gt" not in folders:
        raise FormatError("folder is missing (segment colors need the colored frames)", char / "gt")
    return ClipJob(clip, common.sanitise_id(split), str(char), stems,
                   {"rel": rel, "folders": folders, "seg_json": seg_json})


# ---------------------------------------------------------------------------------------------
# import


def import_pbc(root: str | os.PathLike, out: str | os.PathLike, cfg: PbcImportConfig | None = None, *,
               overwrite: bool = False, workers: int = 1) -> Path:
    """Import a PaintBucket-Character folder as a linecorr dataset at ``out``; return ``out``."""
    cfg = cfg or PbcImportConfig()
    common.check_config(cfg)
    return common.import_dataset(root, out, cfg, plan_import(root, cfg), convert_character, kind="pbc",
                                 title="PaintBucket-Character", overwrite=overwrite, workers=workers)


def convert_character(w: DatasetWriter, job: ClipJob, cfg: PbcImportConfig) -> None:
    """Write one character as a clip: frames, pairs from labels, then clip.json."""
    w.begin_clip(job.clip)
    fids, renamed = common.frame_ids(job.frames)
    char, folders = Path(job.path), job.extra["folders"]
    tables: dict[str, SegmentTable] = {}
    size: tuple[int, int] | None = None
    channels = 4
    label_styles: dict[str, dict] = {}
    digests: dict[str, str] = {}
    for fid, stem in zip(fids, job.frames):
        fr = read_frame(char, stem, folders, job.extra["seg_json"], size, char / "line" / f"{job.frames[0]}.png")
        size = fr["line"].shape[:2]
        channels = min(channels, fr.pop("channels"))
        label_styles[fid] = fr.pop("label_png")
        digests.update(fr.pop("sha256"))
        tables[fid] = w.write_frame(job.clip, fid, **fr)
    labelled = "json_index" in folders or "label" in folders
    for fa, fb, gap in frame_pairs(fids, tuple(cfg.gaps)) if labelled else ():
        pair = label_pair(job.clip, fa, fb, tables[fa], tables[fb], status=cfg.pair_status, gap=gap)
        w.write_pair(_drop_line_label(pair, tables[fa], tables[fb]))
    # no absolute path here (the manifest's producer config has the source root): clips stay
    # location-independent, so the content hash does not depend on where the source lay
    source = {"kind": "pbc", "rel": job.extra["rel"], "name": Path(job.path).name,
              "folders": folders, "seg_json": job.extra["seg_json"], "json_color_channels": channels,
              # the table's color column holds json_color as given, not the computed mean
              "exact_colors": "json_color" in folders or bool(job.extra["seg_json"]),
              **_label_source(label_styles),
              # what each file held, so that export can give back the very bytes (see export_clip)
              "file_sha256": digests}
    if renamed:
        source["frame_files"] = renamed
    w.finish_clip(ClipInfo(job.clip, fids, size[1], size[0], has_color="gt" in folders,
                           has_labels="label" in folders, source=source))


def read_frame(char: Path, stem: str, folders: list[str], seg_json: bool, size: tuple[int, int] | None,
               ref: Path) -> dict:
    """Read and cross-check one PBC frame.

    Returns:
        ``write_frame`` keyword arguments: ``line`` (H, W[, C]) uint8 as stored, ``seg`` (H, W)
        int32, ``color`` (H, W, 3) uint8 / ``alpha`` (H, W) uint8 or None, ``labels`` (H, W)
        int32 or None, ``segment_labels`` {segment: part id}, ``colors`` {segment: RGBA}; plus
        ``channels`` (3 or 4, the length of the json colors), ``label_png`` (how the label
        image was stored, see :func:`label_png_style`, or None) and ``sha256`` ({path in the
        character folder: SHA-256 of the file} for every file read).
    """
    line_path = char / "line" / f"{stem}.png"
    line = common.read_raw(line_path, size, ref)
    size, ref = line.shape[:2], line_path
    seg_path = char / "seg" / f"{stem}.png"
    raw = common.read_raw(seg_path, size, ref)
    if raw.ndim != 3 or raw.shape[2] != 3:
        shape = "x".join(map(str, raw.shape[2:])) or "1"
        raise FormatError(f"segment map must be a 3-channel RGB PNG (id = R*256^2+G*256+B), got {shape} "
                          "channel(s)", seg_path)
    seg = images.decode_ids(raw, seg_path)
    out: dict = {"line": line, "seg": seg, "color": None, "alpha": None, "labels": None,
                 "segment_labels": None, "colors": None, "channels": 4, "label_png": None}
    read = [line_path, seg_path]  # the files of this frame, hashed at the end
    if "gt" in folders:
        p = char / "gt" / f"{stem}.png"
        out["color"], out["alpha"] = images.read_color(p)
        common.check_size(out["color"], size, p, ref)
        read.append(p)
    if "label" in folders:
        p = char / "label" / f"{stem}.png"
        raw = images.read_image_raw(p)
        out["labels"] = images.decode_ids(raw, p)
        common.check_size(out["labels"], size, p, ref)
        out["label_png"] = label_png_style(raw, p)
        read.append(p)
    ids, area = _segments(seg)
    if "json_index" in folders:
        out["segment_labels"] = _read_json_index(char / "json_index" / f"{stem}.json", ids, area, seg_path)
        read.append(char / "json_index" / f"{stem}.json")
    color_json = char / "json_color" / f"{stem}.json" if "json_color" in folders else char / "seg" / f"{stem}.json"
    if seg_json or "json_color" in folders:
        out["colors"], out["channels"] = _read_json_color(color_json, ids, seg_path)
        read.append(color_json)
    out["sha256"] = {f.relative_to(char).as_posix(): common.file_sha256(f) for f in read}
    return out


def label_png_style(raw: np.ndarray, path: Path) -> dict:
    """How a PBC ``label/`` image stores what its ids do not say, so export can write it back as it was.

    BasicPBC writes transparent (-1) pixels as (255, 255, 255, 0), but some of its files hold
    (0, 0, 0, 0); both decode to -1. A file whose transparent pixels carry several colors cannot
    come back exactly: the most common one is kept, with a warning naming the file.

    Args:
        raw: the label image as stored, ``(H, W, 3|4) uint8``.
        path: its file, for the warning.

    Returns:
        ``{"channels": 3 | 4, "background": [R, G, B] or None}`` (None: no transparent pixel).
    """
    style: dict = {"channels": int(raw.shape[2]) if raw.ndim == 3 else 1, "background": None}
    if raw.ndim == 3 and raw.shape[2] == 4:
        under = raw[raw[..., 3] == 0][:, :3]
        if len(under):
            rgb, counts = np.unique(under, axis=0, return_counts=True)
            style["background"] = rgb[int(np.argmax(counts))].tolist()
            if len(rgb) > 1:
                warn(f"transparent pixels hold {len(rgb)} different RGB values; export writes them all as "
                     f"{tuple(style['background'])} + alpha 0", path)
    return style


def _label_source(styles: dict[str, dict]) -> dict:
    """clip.json ``source`` entries that let export rewrite each ``label/`` file as it was.

    ``label_background``: the clip's RGB under alpha 0 (the most common over its frames);
    ``label_frames``: ``{frame: {"background": [R, G, B]} | {"channels": 4}}`` for the frames that
    differ from it, or that are RGBA without transparent pixels (export writes RGBA only where
    there are -1 pixels, as BasicPBC's np_2_labelpng does).
    """
    bgs = [tuple(st["background"]) for st in styles.values() if st and st["background"] is not None]
    if not bgs:
        return {}
    default = max(set(bgs), key=lambda c: (bgs.count(c), c))  # ties: the larger, i.e. PBC's white first
    frames = {}
    for fid, st in styles.items():
        if not st:
            continue
        if st["background"] is not None and tuple(st["background"]) != default:
            frames[fid] = {"background": st["background"]}
        elif st["background"] is None and st["channels"] == 4:
            frames[fid] = {"channels": 4}
    out: dict = {"label_background": list(default)}
    if frames:
        out["label_frames"] = frames
    return out


def _segments(seg: np.ndarray) -> tuple[list[int], dict[int, int]]:
    """Segment ids (> 0) of a map and their pixel counts."""
    ids, counts = np.unique(seg[seg > 0], return_counts=True)
    return ids.tolist(), dict(zip(ids.tolist(), counts.tolist()))


def _check_keys(path: Path, keys, ids: list[int], seg_path: Path, what: str) -> None:
    extra = sorted(set(keys) - set(ids))
    missing = sorted(set(ids) - set(keys))
    if extra:
        raise FormatError(f"{what} lists segments {extra[:5]} that {seg_path.name} does not have", path)
    if missing:
        raise FormatError(f"{what} has no entry for segments {missing[:5]} of {seg_path.name}", path)


def _read_json_index(path: Path, ids: list[int], area: dict[int, int], seg_path: Path) -> dict[int, int]:
    """``{segment: part id}`` from json_index, checked against the segment map."""
    obj = common.read_int_dict(path, "json_index")
    _check_keys(path, obj, ids, seg_path, "json_index")
    labels = {}
    for k, v in obj.items():
        if len(v) != 2:
            raise FormatError(f"json_index value of {k} must be [pixel count, label], got {v}", path)
        if v[0] != area[k]:
            raise FormatError(f"json_index says segment {k} has {v[0]} pixels, {seg_path.name} has {area[k]}",
                              path)
        labels[k] = v[1]
    return labels


def _read_json_color(path: Path, ids: list[int], seg_path: Path) -> tuple[dict[int, tuple], int]:
    """``({segment: (R, G, B, A)}, channels)`` from json_color (3-value colors get A = 255)."""
    obj = common.read_int_dict(path, "segment colors")
    _check_keys(path, obj, ids, seg_path, "segment colors")
    lengths = {len(v) for v in obj.values()}
    if not lengths <= {3, 4} or len(lengths) > 1 or any(not 0 <= x <= 255 for v in obj.values() for x in v):
        raise FormatError("segment colors must all be [R, G, B, A] (or all [R, G, B]) in 0..255", path)
    channels = lengths.pop() if lengths else 4
    return {k: tuple(v) + (255,) * (4 - len(v)) for k, v in obj.items()}, channels


def _drop_line_label(pair: Pair, ta: SegmentTable, tb: SegmentTable) -> Pair:
    """Remove segments whose part id is PBC's black-line label (0) from a label-derived pair."""
    la = {i for i, lab in ta.label_of().items() if lab == LINE_LABEL}
    lb = {i for i, lab in tb.label_of().items() if lab == LINE_LABEL}
    if la or lb:
        pair.matches = [m for m in pair.matches if m.a not in la and m.b not in lb]
        pair.unmatched_a = [i for i in pair.unmatched_a if i not in la]
        pair.unmatched_b = [i for i in pair.unmatched_b if i not in lb]
    return pair


# ---------------------------------------------------------------------------------------------
# export


def export_pbc(dataset: str | os.PathLike, out: str | os.PathLike, *, overwrite: bool = False,
               progress=None) -> Path:
    """Write a linecorr dataset in PaintBucket-Character layout at ``out``; return ``out``.

    Clips imported from PBC go back to their original relative path, folders and file names;
    other clips go to ``<split>/<clip>/`` (or ``<clip>/`` without splits) with every folder the
    data allows (gt and json_color need colors, label needs a pixel label map).
    """
    ds = Dataset.open(dataset)
    clips = ds.clip_ids
    root = import_source(ds)
    with common.staged_output(out, overwrite, ds.root) as stage:
        for clip in progress(clips) if progress else clips:
            export_clip(ds, ds.clip(clip), stage, root)
    return Path(out)


def import_source(ds: Dataset, max_hops: int = 16) -> Path | None:
    """The folder the import behind ``ds`` read (its producer config ``source``), or None.

    Follows ``parent`` links (a dataset derived from the import, e.g. relabelled) up to
    ``max_hops`` datasets; a parent that is gone or unreadable ends the search.
    """
    seen: set[str] = set()
    for _ in range(max_hops):
        prod = ds.manifest.producer
        if prod.stage == "import" and isinstance(prod.config.get("source"), str):
            return Path(prod.config["source"])
        parent = (ds.manifest.parent or {}).get("path")
        if not parent or parent in seen or not Path(parent).is_dir():
            return None
        seen.add(parent)
        try:
            ds = Dataset.open(parent)
        except LinecorrError:
            return None
    return None


class SourceFiles:
    """The files of the character folder a clip was imported from, as hashed at import.

    Export asks :meth:`original` for a file before encoding it: the source bytes come back
    when they still are what was imported and hold what would be written.
    """

    def __init__(self, folder: Path | None, sha256: dict[str, str]) -> None:
        self.folder = folder  # the character folder the import read (None: not known)
        self.sha256 = sha256  # path in that folder -> SHA-256 (hex) of the file at import

    def original(self, rel: str, same: Callable[[bytes], bool]) -> bytes | None:
        """The bytes of ``folder/rel`` if its SHA-256 is the imported one and ``same(bytes)``, else None."""
        digest = self.sha256.get(rel)
        if self.folder is None or digest is None:
            return None
        try:
            data = (self.folder / rel).read_bytes()
        except OSError:  # moved, deleted, unreadable: encode instead
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            return None
        return data if same(data) else None

    def write_png(self, char: Path, rel: str, arr: np.ndarray) -> None:
        """Write ``arr`` (uint8 ``(H, W[, C])``) to ``char/rel``: the source file when it decodes to ``arr``."""
        def same(data: bytes) -> bool:
            try:
                got = images.read_image_raw(self.folder / rel, data)
            except (LinecorrError, OSError, ValueError):
                return False
            return got.dtype == arr.dtype and got.shape == arr.shape and np.array_equal(got, arr)

        data = self.original(rel, same)
        common.write_bytes(char / rel, data if data is not None else images.encode_png(arr))

    def write_json(self, char: Path, rel: str, text: str) -> None:
        """Write JSON ``text`` to ``char/rel``: the source file when it holds the same values."""
        def same(data: bytes) -> bool:
            try:
                return json.loads(data) == json.loads(text)
            except ValueError:  # not JSON (UnicodeDecodeError is one too)
                return False

        data = self.original(rel, same)
        common.write_bytes(char / rel, data if data is not None else text.encode("utf-8"))


def export_clip(ds: Dataset, info: ClipInfo, stage: Path, source_root: Path | None = None) -> None:
    """Write one clip as a PBC character folder under ``stage``.

    Args:
        ds: the dataset.
        info: the clip.
        stage: the export's staging folder.
        source_root: the folder the import read (:func:`import_source`): files still as imported
            are copied from there byte for byte where they hold what would be written.
    """
    src = info.source if info.source.get("kind") == "pbc" else {}
    if src:
        char, folders, seg_json = stage / src["rel"], list(src["folders"]), bool(src.get("seg_json"))
    else:
        split = ds.split_of(info.id)
        char = stage / split / info.id if split else stage / info.id
        folders = ["line", "seg", "json_index"] + ["gt", "json_color"] * info.has_color + ["label"] * info.has_labels
        seg_json = False
    channels = int(src.get("json_color_channels", 4))
    names = src.get("frame_files", {})
    background = tuple(src.get("label_background", images.PBC_TRANSPARENT_RGB))
    label_frames = src.get("label_frames", {})
    # The character folder the import read: the root itself when it was one (see find_characters).
    folder = None
    if src and source_root is not None:
        folder = source_root if (source_root / "line").is_dir() else source_root / src["rel"]
    files = SourceFiles(folder, dict(src.get("file_sha256", {})))
    for fid in info.frames:
        style = {"background": background, "channels": None, **label_frames.get(fid, {})}
        _write_frame(ds.load_frame(info.id, fid, info), char, names.get(fid, fid), folders, seg_json, channels,
                     tuple(style["background"]), style["channels"] == 4, files)


def _write_frame(fr: Frame, char: Path, stem: str, folders: list[str], seg_json: bool, channels: int,
                 label_background: tuple[int, int, int] = images.PBC_TRANSPARENT_RGB,
                 label_rgba: bool = False, files: SourceFiles | None = None) -> None:
    files = files or SourceFiles(None, {})
    t = fr.segments
    files.write_png(char, f"line/{stem}.png", fr.line_raw)
    files.write_png(char, f"seg/{stem}.png", images.encode_rgb_ids(fr.seg))
    if "gt" in folders and fr.color is not None:
        files.write_png(char, f"gt/{stem}.png", fr.color if fr.alpha is None else np.dstack([fr.color, fr.alpha]))
    if "label" in folders and fr.labels is not None:
        # As BasicPBC's np_2_labelpng: RGBA (alpha 0 = -1) when there are -1 pixels, else RGB; the
        # RGB under alpha 0 and an RGBA file without -1 pixels as the imported file had them.
        rgba = label_rgba or bool((fr.labels < 0).any())
        files.write_png(char, f"label/{stem}.png", images.encode_rgb_ids(fr.labels, rgba, label_background))
    if "json_index" in folders:
        index = {str(i): [a, lab] for i, a, lab in zip(t.ids.tolist(), t.area.tolist(), t.label.tolist())}
        files.write_json(char, f"json_index/{stem}.json", common.dump_json(index))
    rels = [f"seg/{stem}.json"] * seg_json + [f"json_color/{stem}.json"] * ("json_color" in folders)
    if rels and t.color is not None:
        colors = common.dump_json({str(i): c[:channels] for i, c in zip(t.ids.tolist(), t.color.tolist())})
        for rel in rels:
            files.write_json(char, rel, colors)
