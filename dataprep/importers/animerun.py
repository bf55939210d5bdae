"""AnimeRun <-> linecorr.

AnimeRun layout (the split folder level is optional)::

    <root>/{train,test}/contour/<scene>/NNNN.png                 line art
    <root>/{train,test}/Frame_Anime/<scene>/original/NNNN.png    colored frame (optional)
    <root>/{train,test}/Segment/<scene>/NNNN.npy                 (H, W) int segment map, ids 0..N-1
    <root>/{train,test}/SegMatching/<scene>/forward/NNNN.json    {"<id in t>": [ids in t+1] or [-1]}

Other folders (Flow, LineArea, UnMatched) are ignored. AnimeRun's segments cover every pixel and
id 0 is a segment (its loader iterates ``range(len(Counter(seg)))``), while our id 0 means line
pixels: ids are shifted by ``id_offset`` = 1 (0 with ``zero_is_line``, for BasicPBC-style maps
whose 0 marks lines). The offset, the .npy dtype and the file names go to ``clip.json``
``source``, so export restores the original arrays and JSON exactly. A forward file gives the
pair (t, t+1): each listed id is a match (source "render"), ``[-1]`` marks the segment unmatched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataprep.errors import FormatError
from dataprep.format import images
from dataprep.format.dataset import Dataset, read_json
from dataprep.format.schema import ClipInfo, Match, Pair
from dataprep.format.writer import DatasetWriter
from dataprep.importers import common
from dataprep.importers.common import ClipJob

SEGMENT, CONTOUR, FRAME, MATCHING = "Segment", "contour", "Frame_Anime", "SegMatching"
#: Pair meta key listing segments whose forward entry was an empty list (kept for export).
EMPTY_KEY = "animerun_empty"


@dataclass
class AnimeRunImportConfig:
    """Settings of ``linecorr import animerun``."""

    split: str = "test"  # split of the scenes when SRC has no train/ or test/ folder
    zero_is_line: bool = False  # id 0 in the .npy marks line pixels (BasicPBC's maps), not a segment
    pair_status: str = "todo"  # review status given to the imported pairs
    name: str = ""  # dataset name in the manifest ("" = animerun-<folder name>)


# ---------------------------------------------------------------------------------------------
# discovery


def split_roots(root: Path) -> list[tuple[Path, str | None]]:
    """``(folder holding Segment/, split folder name or None)`` for ``root`` with or without splits."""
    if not root.is_dir():
        raise FormatError("is not a directory (expected an AnimeRun folder)", root)
    if (root / SEGMENT).is_dir():
        return [(root, None)]
    found = [(d, d.name) for d in sorted(root.iterdir()) if d.is_dir() and (d / SEGMENT).is_dir()]
    if not found:
        raise FormatError(f"has no {SEGMENT}/ folder (expected [train|test]/{SEGMENT}/<scene>/*.npy)", root)
    return found


def plan_import(root: str | os.PathLike, cfg: AnimeRunImportConfig) -> list[ClipJob]:
    """List every scene and check that each frame has its files (nothing is read yet)."""
    root = Path(root).resolve()
    scenes: list[tuple[Path, str | None, str]] = []
    for sroot, split_dir in split_roots(root):
        for d in sorted(p for p in (sroot / SEGMENT).iterdir() if p.is_dir() and not p.name.startswith(".")):
            scenes.append((sroot, split_dir, d.name))
    clips = common.unique_ids([s for _, _, s in scenes], fallbacks=[f"{s}-{sd}" for _, sd, s in scenes])
    return [_plan_scene(sroot, split_dir, scene, clip, cfg) for (sroot, split_dir, scene), clip in zip(scenes, clips)]


def _plan_scene(sroot: Path, split_dir: str | None, scene: str, clip: str, cfg: AnimeRunImportConfig) -> ClipJob:
    stems = common.list_stems(sroot / SEGMENT / scene, ".npy")
    if not stems:
        raise FormatError("has no .npy segment maps", sroot / SEGMENT / scene)
    what = f"segment map in {SEGMENT}/{scene}"
    common.require_files(sroot / CONTOUR / scene, stems, ".png", what)
    color = (sroot / FRAME / scene / "original").is_dir()
    if color:
        common.require_files(sroot / FRAME / scene / "original", stems, ".png", what)
    fwd = sroot / MATCHING / scene / "forward"
    forward = fwd.is_dir()
    if forward:
        # every frame but the last needs one; a last frame's file is allowed (kept verbatim)
        last = [stems[-1]] if (fwd / f"{stems[-1]}.json").is_file() else []
        common.require_files(fwd, stems[:-1] + last, ".json", what)
    split = common.sanitise_id(split_dir) if split_dir else common.sanitise_id(cfg.split)
    return ClipJob(clip, split, str(sroot), stems, {"scene": scene, "split_dir": split_dir, "color": color,
                                                    "forward": forward})


# ---------------------------------------------------------------------------------------------
# import


def import_animerun(root: str | os.PathLike, out: str | os.PathLike, cfg: AnimeRunImportConfig | None = None, *,
                    overwrite: bool = False, workers: int = 1) -> Path:
    """Import an AnimeRun folder as a linecorr dataset at ``out``; return ``out``."""
    cfg = cfg or AnimeRunImportConfig()
    common.check_config(cfg)
    return common.import_dataset(root, out, cfg, plan_import(root, cfg), convert_scene, kind="animerun",
                                 title="AnimeRun", overwrite=overwrite, workers=workers)


def convert_scene(w: DatasetWriter, job: ClipJob, cfg: AnimeRunImportConfig) -> None:
    """Write one scene as a clip: frames, pairs from the forward matching, then clip.json."""
    w.begin_clip(job.clip)
    sroot, scene, offset = Path(job.path), job.extra["scene"], 0 if cfg.zero_is_line else 1
    fids, renamed = common.frame_ids(job.frames)
    ids: dict[str, set[int]] = {}
    dtypes: dict[str, str] = {}
    size = None
    ref = sroot / SEGMENT / scene / f"{job.frames[0]}.npy"
    for fid, stem in zip(fids, job.frames):
        orig, line, color, alpha = _read_frame(sroot, scene, stem, job.extra["color"], size, ref, offset)
        size = orig.shape
        # with zero_is_line, 0 marks line pixels: never a segment a matching may name
        ids[fid], dtypes[fid] = set(np.unique(orig).tolist()) - ({0} if offset == 0 else set()), orig.dtype.str
        w.write_frame(job.clip, fid, line=line, seg=orig.astype(np.int64) + offset, color=color, alpha=alpha)
    source = {"kind": "animerun", "split_dir": job.extra["split_dir"], "scene": scene,
              "id_offset": offset, "npy_dtype": dtypes[fids[0]], "forward": job.extra["forward"]}
    if len(set(dtypes.values())) > 1:
        source["npy_dtypes"] = dtypes
    if renamed:
        source["frame_files"] = renamed
    fwd = sroot / MATCHING / scene / "forward"
    for k, (fa, stem) in enumerate(zip(fids, job.frames)) if job.extra["forward"] else ():
        path = fwd / f"{stem}.json"
        if k + 1 < len(fids):
            w.write_pair(read_forward(path, job.clip, fa, fids[k + 1], ids[fa], ids[fids[k + 1]], offset,
                                      cfg.pair_status))
        elif path.is_file():  # a last frame's forward file has no pair to hold it: keep it verbatim
            source["forward_last"] = read_json(path)
    w.finish_clip(ClipInfo(job.clip, fids, size[1], size[0], has_color=job.extra["color"], source=source))


def _read_frame(sroot: Path, scene: str, stem: str, color: bool, size, ref: Path, offset: int):
    """Read one frame.

    Returns:
        ``(seg, line, color, alpha)``: ``(H, W)`` integer segment map as stored, the line image
        ``(H, W[, C]) uint8`` as stored, ``(H, W, 3) uint8`` RGB or None, ``(H, W) uint8`` or None.
    """
    p = sroot / SEGMENT / scene / f"{stem}.npy"
    orig = load_npy(p)
    common.check_size(orig, size, p, ref)
    if int(orig.min()) < 0 or int(orig.max()) + offset > images.MAX_ID_RGB:
        raise FormatError(f"segment ids must be in 0..{images.MAX_ID_RGB - offset}, got "
                          f"{int(orig.min())}..{int(orig.max())}", p)
    size, ref = orig.shape, p
    line = common.read_raw(sroot / CONTOUR / scene / f"{stem}.png", size, ref)
    rgb = alpha = None
    if color:
        cp = sroot / FRAME / scene / "original" / f"{stem}.png"
        rgb, alpha = images.read_color(cp)
        common.check_size(rgb, size, cp, ref)
    return orig, line, rgb, alpha


def load_npy(path: Path) -> np.ndarray:
    """Load a ``(H, W)`` integer array from ``path`` (no pickles) with one-line errors."""
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FormatError("file is missing", path) from None
    except (ValueError, OSError, EOFError) as e:
        raise FormatError(f"cannot read .npy ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})",
                          path) from None
    if not isinstance(arr, np.ndarray) or arr.ndim != 2 or not np.issubdtype(arr.dtype, np.integer) or arr.size == 0:
        raise FormatError(f"segment map must be a 2-D integer array, got shape {getattr(arr, 'shape', '?')} "
                          f"{getattr(arr, 'dtype', type(arr).__name__)}", path)
    return arr


def read_forward(path: Path, clip: str, fa: str, fb: str, ids_a: set[int], ids_b: set[int], offset: int,
                 status: str = "todo") -> Pair:
    """The pair (fa, fb) of a forward matching file, in our ids (AnimeRun id + ``offset``)."""
    obj = common.read_int_dict(path, "segment matching")
    matches, unmatched, empty = [], [], []
    for a, targets in obj.items():
        if a not in ids_a:
            raise FormatError(f"lists segment {a}, which Segment/.../{fa} does not have", path)
        if -1 in targets and len(targets) > 1:
            raise FormatError(f"segment {a} mixes -1 (unmatched) with matches: {targets}", path)
        if targets == [-1]:
            unmatched.append(a + offset)
        elif not targets:
            empty.append(a + offset)
        for b in targets if targets != [-1] else ():
            if b not in ids_b:
                raise FormatError(f"matches segment {a} to {b}, which the next frame {fb} does not have", path)
            if targets.count(b) > 1:
                raise FormatError(f"lists segment {b} twice as a match of {a}", path)
            matches.append(Match(a + offset, b + offset, "render", 1.0))
    meta: dict = {"gap": 1}
    if empty:
        meta[EMPTY_KEY] = empty
    return Pair(clip, fa, fb, matches, unmatched, [], status=status, meta=meta)


# ---------------------------------------------------------------------------------------------
# export


def export_animerun(dataset: str | os.PathLike, out: str | os.PathLike, *, overwrite: bool = False,
                    progress=None) -> Path:
    """Write a linecorr dataset in AnimeRun layout at ``out``; return ``out``.

    Clips imported from AnimeRun get back their split folder, scene name, ids, dtype and file
    names. Other clips go to ``<split>/`` (when the dataset has splits) with ids as stored (0 =
    line pixels, as BasicPBC's AnimeRun loader reads them), int32, and a forward file per
    consecutive pair in the dataset (segments without a match listed as ``[-1]``).
    """
    ds = Dataset.open(dataset)
    clips = ds.clip_ids
    pair_ids = set(ds.pair_ids())
    with common.staged_output(out, overwrite, ds.root) as stage:
        for clip in progress(clips) if progress else clips:
            export_clip(ds, ds.clip(clip), stage, pair_ids)
    return Path(out)


def export_clip(ds: Dataset, info: ClipInfo, stage: Path, pair_ids: set[str]) -> None:
    """Write one clip as an AnimeRun scene under ``stage`` (``pair_ids``: the dataset's pairs)."""
    src = info.source if info.source.get("kind") == "animerun" else {}
    split = src.get("split_dir") if src else ds.split_of(info.id)
    base = stage / split if split else stage
    scene, offset = src.get("scene", info.id), int(src.get("id_offset", 0))
    names = src.get("frame_files", {})
    dtypes = src.get("npy_dtypes", {})
    for k, fid in enumerate(info.frames):
        fr = ds.load_frame(info.id, fid, info)
        stem = names.get(fid, fid)
        common.write_png(base / CONTOUR / scene / f"{stem}.png", fr.line_raw)
        if fr.color is not None:
            rgba = fr.color if fr.alpha is None else np.dstack([fr.color, fr.alpha])
            common.write_png(base / FRAME / scene / "original" / f"{stem}.png", rgba)
        dtype = np.dtype(dtypes.get(fid, src.get("npy_dtype", "<i4")))
        path = base / SEGMENT / scene / f"{stem}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, (fr.seg.astype(np.int64) - offset).astype(dtype))
        nxt = info.frames[k + 1] if k + 1 < len(info.frames) else None
        pid = f"{info.id}/{fid}__{nxt}"
        if nxt is not None and pid in pair_ids and src.get("forward", True):
            obj = forward_json(ds.load_pair(pid), fr.segments.ids.tolist(), offset, keep_absent=bool(src))
            common.write_text(base / MATCHING / scene / "forward" / f"{stem}.json", common.dump_json(obj))
    if "forward_last" in src:
        last = names.get(info.frames[-1], info.frames[-1])
        common.write_text(base / MATCHING / scene / "forward" / f"{last}.json", common.dump_json(src["forward_last"]))


def forward_json(pair: Pair, ids_a: list[int], offset: int, keep_absent: bool) -> dict[str, list[int]]:
    """AnimeRun's forward matching of a pair: ``{"<id in A>": [ids in B] or [-1]}`` (ids - offset).

    Segments of A with neither a match nor an unmatched mark are left out when ``keep_absent``
    (an imported file that did not list them), else written as ``[-1]``.
    """
    targets: dict[int, list[int]] = {}
    for m in pair.matches:
        targets.setdefault(m.a, []).append(m.b - offset)
    unmatched, empty = set(pair.unmatched_a), set(pair.meta.get(EMPTY_KEY, []))
    out: dict[str, list[int]] = {}
    for a in ids_a:
        if a in targets:
            out[str(a - offset)] = targets[a]
        elif a in empty:
            out[str(a - offset)] = []
        elif a in unmatched or not keep_absent:
            out[str(a - offset)] = [-1]
    return out
