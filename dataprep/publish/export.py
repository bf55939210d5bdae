"""``publish_dataset``: a linecorr dataset -> a folder in the Hugging Face Hub layout (+ push).

Output (``OUT``)::

    OUT/README.md                              dataset card (YAML header + generated summary)
    OUT/preview.png                            one pair drawn by dataprep.viz, shown in the card
    OUT/data/<split>-00000-of-0000N.parquet    the rows, the layout the Hub serves
    OUT/linecorr/files-00000-of-0000N.parquet  the file index: every source file's digest and where
                                               its bytes are (dataprep.publish.files), so that
                                               `linecorr train/score --dataset OUT` read it back
    OUT/arrow/                                 DatasetDict.save_to_disk copy (load_from_disk)
    OUT/publish.json                           what was published, from what, by which linecorr

Everything is written into ``OUT.partial`` and renamed to ``OUT`` at the end, so ``OUT`` is
either the previous complete output or the new complete one, never half of either.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dataprep.errors import LinecorrError
from dataprep.format.atomic import atomic_write_json, atomic_write_text
from dataprep.format.dataset import Dataset

#: The file that marks a folder as written by ``linecorr publish`` (safe to replace).
MARKER = "publish.json"


@dataclass
class PublishConfig:
    """Settings of ``linecorr publish``."""

    repo_id: str | None = None  # Hub dataset repo ORG/NAME: shown in the card, required by push
    push: bool = False  # upload OUT (minus arrow/) to the Hub after writing it
    private: bool = False  # create the Hub repo private (when it does not exist yet)
    overwrite: bool = False  # replace an existing OUT written by linecorr publish
    max_shard_size: str | int = "500MB"  # parquet shard and save_to_disk shard size limit ("500MB", "1GB", bytes)
    writer_batch_size: int = 50  # rows held in memory before they are flushed to Arrow (memory bound)
    row_group_size: int = 100  # rows per parquet row group (the Hub viewer's preference for images)
    unsplit: str = "unsplit"  # split of the pairs of clips that splits.json puts in no split
    validate: bool = True  # structural check of the source (JSON, ids, references) before building
    verify: bool = True  # read back one row per split and compare its label maps with the source
    preview: bool = True  # draw one pair into OUT/preview.png and show it in the card
    timeout: float = 10.0  # seconds to wait for the Hub's answer when checking a push can work


@dataclass
class PublishResult:
    """What :func:`publish_dataset` wrote."""

    out: Path  # the output folder
    splits: dict[str, int] = field(default_factory=dict)  # rows per split
    files: dict[str, list[Path]] = field(default_factory=dict)  # parquet shards per split
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # clips/frames/pairs/segments per split
    url: str | None = None  # Hub URL when pushed


def _check_paths(src: Path, out: Path, overwrite: bool) -> None:
    rs, ro = src.resolve(), out.resolve()
    if ro == rs or rs in ro.parents or ro in rs.parents:
        raise LinecorrError("output must be outside the dataset (and not contain it)", out)
    if out.exists():
        if not overwrite:
            raise LinecorrError("output already exists; pass --overwrite to replace it", out)
        if not (out / MARKER).is_file():  # never delete a folder we did not write
            raise LinecorrError(f"output exists and was not written by linecorr publish (no {MARKER}); "
                                "refusing to replace it", out)


def _shard_bytes(size: str | int) -> int:
    from datasets.utils.py_utils import convert_file_size_to_int

    try:
        n = convert_file_size_to_int(size)
    except (ValueError, TypeError):
        raise LinecorrError(f"max_shard_size {size!r} is not a size like 500MB or 1GB") from None
    if n <= 0:
        raise LinecorrError(f"max_shard_size must be positive, got {size!r}")
    return n


def _validate(src: Path) -> None:
    from dataprep.format.validate import validate_dataset

    probs = validate_dataset(src, check_images=False)
    if probs:
        raise LinecorrError(f"dataset is not valid ({len(probs)} problem(s); first: {probs[0]}); "
                            f"run `linecorr validate {src}`", src)


def _bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="publish", unit="pair", file=sys.stderr, disable=None)


def _preview(ds: Dataset, splits: dict[str, list[str]], stage: Path) -> str:
    import math

    from dataprep.publish.card import first_preview_pair
    from dataprep.viz import VizConfig, draw_pair, save_png

    pid = first_preview_pair(splits)
    h = ds.clip(pid.partition("/")[0]).height
    scale = min(4, max(1, math.ceil(320 / h)))  # small frames are upscaled so the card shows something
    save_png(draw_pair(ds, pid, VizConfig(scale=scale)), stage / "preview.png")
    return "preview.png"


def publish_dataset(src: str | os.PathLike, out: str | os.PathLike, cfg: PublishConfig | None = None,
                    progress: bool = True) -> PublishResult:
    """Publish dataset ``src`` into ``out`` (see the module docstring); push when ``cfg.push``.

    Raises:
        LinecorrError: bad source, existing output, bad settings, or a push that cannot work
            (checked before anything is built).
    """
    from dataprep.publish.hf_dataset import split_pairs
    from dataprep.publish.hub import check_push_ready, push_folder

    cfg = cfg or PublishConfig()
    src, out = Path(src), Path(out)
    token = check_push_ready(cfg.repo_id, cfg.timeout) if cfg.push else None
    ds = Dataset.open(src)
    _check_paths(src, out, cfg.overwrite)
    shard_bytes = _shard_bytes(cfg.max_shard_size)
    if cfg.validate:
        _validate(src)
    splits = split_pairs(ds, cfg.unsplit)
    if not splits:
        raise LinecorrError("dataset has no pairs; nothing to publish", src)

    stage = out.with_name(out.name + ".partial")
    if stage.exists():
        shutil.rmtree(stage)  # a crashed earlier publish: nothing in it is worth keeping
    stage.mkdir(parents=True)
    try:
        result = _build(ds, splits, stage, cfg, shard_bytes, progress)
        _commit(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    result.out = out
    result.files = {k: [out / p.relative_to(stage) for p in ps] for k, ps in result.files.items()}
    if cfg.push:
        result.url = push_folder(out, cfg.repo_id, token, cfg.private)
    return result


def _build(ds: Dataset, splits: dict[str, list[str]], stage: Path, cfg: PublishConfig, shard_bytes: int,
           progress: bool) -> PublishResult:
    """Write everything into the staging folder ``stage``."""
    from dataprep.format.writer import make_producer
    from dataprep.publish.card import compute_stats, render_card
    from dataprep.publish.files import FILES_DIR, LAYOUT, row_locations, write_index
    from dataprep.publish.hf_dataset import (
        ARROW_DIR,
        DATA_DIR,
        build_dataset_dict,
        quiet_datasets,
        verify_parquet,
        write_parquet,
    )

    # One pass over the source's bytes gives both the content hash and the file index's digests.
    digests = list(ds.file_digests())
    content_hash = Dataset.combine_digests(digests)
    stats = compute_stats(ds, splits)
    cache = stage / ".cache"  # datasets' Arrow cache: inside the staging folder, deleted below
    bar = _bar(sum(map(len, splits.values()))) if progress else None
    try:
        with quiet_datasets():
            dd = build_dataset_dict(ds, splits, cache, content_hash, cfg.writer_batch_size, bar)
            if bar is not None:
                bar.set_postfix_str("writing parquet + arrow")
            files = write_parquet(dd, stage / DATA_DIR, shard_bytes, cfg.row_group_size)
            dd.save_to_disk(str(stage / ARROW_DIR), max_shard_size=shard_bytes)
    finally:
        if bar is not None:
            bar.close()
    index = write_index(ds, digests, row_locations(ds, splits), stage / FILES_DIR, shard_bytes)
    if cfg.verify:
        verify_parquet(ds, files)
    preview = _preview(ds, splits, stage) if cfg.preview else None
    producer = make_producer("publish", _plain(cfg))
    parquet_bytes = sum(p.stat().st_size for ps in files.values() for p in ps)
    card = render_card(ds, dd, stats, parquet_bytes, content_hash, cfg.repo_id, preview,
                       {"version": producer.version, "git_sha": producer.git_sha}, cfg.unsplit)
    atomic_write_text(stage / "README.md", card)
    counts = {k: {"clips": s.clips, "frames": s.frames, "pairs": s.pairs, "segments": s.segments}
              for k, s in stats.items()}
    atomic_write_json(stage / MARKER, {
        "source": {"path": str(ds.root.resolve()), "name": ds.manifest.name, "content_hash": content_hash,
                   "schema_version": ds.manifest.schema_version},
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "producer": vars(producer), "repo_id": cfg.repo_id, "counts": counts,
        "files": {k: [p.relative_to(stage).as_posix() for p in ps] for k, ps in files.items()},
        "layout": LAYOUT, "index": [p.relative_to(stage).as_posix() for p in index],
    })
    splits_rows = {k: len(d) for k, d in dd.items()}
    del dd  # release the memory maps of the cache before deleting it
    shutil.rmtree(cache, ignore_errors=True)
    return PublishResult(stage, splits_rows, files, counts)


def _plain(cfg: PublishConfig) -> dict:
    from dataprep.config import config_dict

    return config_dict(cfg)


def _commit(stage: Path, out: Path) -> None:
    """Move the staging folder to ``out``, replacing an old output in one rename."""
    from dataprep.format.atomic import replace_dir

    replace_dir(stage, out)
