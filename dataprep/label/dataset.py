"""``linecorr label``: a dataset or a folder of coloured frames in, a labelled dataset out.

Pairs are sampled per clip (a pair starts every ``stride`` frames, its frames ``gap`` apart, for
each gap). The frames of those pairs are segmented once (colour segmenter, or the input's own
segments with ``segmentation=given``) and written with their colour image, line image and pixel
labels when the input has them; every pair gets the labeller's matches (source ``auto``,
confidence = vote share) and review status ``todo``, ready for the annotator and for publishing.
A pair more than one frame apart also composes the one-frame steps between its frames
(:mod:`dataprep.label.chain`); those frames are read and segmented, not written.

One clip's labelling is :mod:`dataprep.label.clip`. Resume and fan-out follow the importers: the output is staged in ``<out>.partial`` and a clip is
done once its ``clip.json`` is written, so a re-run skips finished clips; ``--workers N`` labels
clips in a process pool, ``--backend ray`` on a Ray cluster (workers get the frames' bytes and
send back region maps and matches, so they need no shared disk).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dataprep.errors import LinecorrError
from dataprep.format import Dataset, DatasetWriter, make_producer
from dataprep.importers.common import ClipJob, frame_ids, run_import, unique_ids
from dataprep.label.clip import convert_clip, sample_pairs
from dataprep.label.config import LabelConfig, check_label_config

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def _folder_jobs(root: Path, cfg: LabelConfig) -> list[ClipJob]:
    def imgs(d: Path) -> list[Path]:
        return sorted((p for p in d.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS
                       and not p.name.startswith(".")),
                      key=lambda p: (not p.stem.isdigit(), int(p.stem) if p.stem.isdigit() else 0, p.stem))
    groups = [(root, imgs(root))] if imgs(root) else []
    groups += [(d, imgs(d)) for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))]
    groups = [(d, fs) for d, fs in groups if fs]
    if not groups:
        raise LinecorrError(f"has no images ({', '.join(IMAGE_EXTS)}) in it or in its sub-folders", root)
    jobs = []
    for clip, (d, files) in zip(unique_ids([d.name for d, _ in groups]), groups):
        fids, _ = frame_ids([p.stem for p in files])
        jobs.append(ClipJob(clip, cfg.split, str(d), fids, {"kind": "folder", "files": [str(p) for p in files]}))
    return jobs


def _dataset_jobs(src: Dataset, cfg: LabelConfig) -> list[ClipJob]:
    jobs = []
    for info in src.clips():
        if not info.has_color:
            raise LinecorrError("clip has no color images; linecorr label needs colored frames",
                                src.root / "clips" / info.id / "clip.json")
        jobs.append(ClipJob(info.id, src.split_of(info.id) or cfg.split, str(src.root), info.frames,
                            {"kind": "dataset"}))
    if not jobs:
        raise LinecorrError("dataset has no clips", src.root)
    return jobs


def label_to_dataset(src: str | os.PathLike, out: str | os.PathLike, cfg: LabelConfig | None = None, *,
                     overwrite: bool = False, workers: int = 1, backend: str = "local",
                     only_split: str | None = None) -> Path:
    """Pseudo-label every sampled pair of ``src`` (a dataset or a folder of coloured frames) into ``out``.

    Args:
        src: a linecorr dataset with colour images, or a folder of images (sub-folders = clips).
        out: the new dataset.
        cfg: settings (defaults when None).
        overwrite: replace an existing ``out``.
        workers: clips labelled at once (process pool).
        backend: ``local`` or ``ray``.
        only_split: dataset input: label only the clips of this split.

    Returns:
        The path of the committed dataset.
    """
    from dataprep.config import config_dict

    cfg = cfg or LabelConfig()
    check_label_config(cfg)
    if backend not in ("local", "ray"):
        raise LinecorrError(f"--backend {backend!r} is not 'local' or 'ray'")
    root = Path(src)
    if not root.is_dir():
        raise LinecorrError("is not a directory (expected a dataset or a folder of colored images)", root)
    workers = max(1, int(workers))
    parent = Dataset.open(root) if (root / "manifest.json").is_file() else None
    if parent is None and cfg.segmentation == "given":
        raise LinecorrError("segmentation=given needs a dataset input (a folder of images has no segments)", root)
    jobs = _dataset_jobs(parent, cfg) if parent else _folder_jobs(root, cfg)
    if only_split is not None:
        if parent is None or only_split not in parent.splits:
            raise LinecorrError(f"has no split {only_split!r} (splits: {', '.join(parent.splits) if parent else 'none'})",
                                root)
        jobs = [j for j in jobs if j.split == only_split]
    short = [j.clip for j in jobs if not sample_pairs(j.frames, tuple(cfg.gaps), cfg.stride)]
    if len(short) == len(jobs):
        raise LinecorrError(f"no clip has two frames {min(cfg.gaps)} apart: nothing to label", root)
    if short:
        print(f"skipping {len(short)} clips shorter than every gap (first: {short[0]})", file=sys.stderr)
        jobs = [j for j in jobs if j.clip not in short]
    for j in jobs:
        j.extra["workers"] = workers if backend == "local" else 1
    name = f"{parent.manifest.name}-auto" if parent else f"{root.name}-auto"
    w = DatasetWriter(out, name=name, producer=make_producer("label", config_dict(cfg)), parent=parent,
                      overwrite=overwrite, license=parent.manifest.license if parent else "",
                      description="Region correspondences pseudo-labelled by linecorr label (LightGlue voting "
                                  "+ coarse matcher); pairs await review.")
    n_pairs = sum(len(sample_pairs(j.frames, tuple(cfg.gaps), cfg.stride)) for j in jobs)
    print(f"labelling {n_pairs} pairs of {len(jobs)} clips (gaps {list(cfg.gaps)}, stride {cfg.stride}, "
          f"{cfg.extractor}{' + sift' if cfg.sift_votes and cfg.extractor != 'sift' else ''})", file=sys.stderr)
    if backend == "ray":
        from dataprep.label.ray_backend import run_ray

        run_ray(w, jobs, cfg)
        return run_import(w, jobs, convert_clip, cfg, workers=1, desc="label")  # all done: splits + commit
    return run_import(w, jobs, convert_clip, cfg, workers=workers, desc="label")

