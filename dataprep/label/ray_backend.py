"""``linecorr label --backend ray``: clips fan out over a Ray cluster (optional extra ``[ray]``).

The driver reads each clip's frame files and ships their bytes with the task, so workers need no
shared disk; a worker decodes them, runs the same streaming core as the local path
(:func:`dataprep.label.clip.label_clip`) and sends back PNG-encoded region maps and the pairs.
The driver writes them through the same :class:`DatasetWriter` and functions as the local path:
a clip is complete when its ``clip.json`` is written, so an interrupted run resumes clip by clip
like the local backend. The fan-out itself is :func:`dataprep.fanout.ray_map`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from dataprep.config import replace_from_dict
from dataprep.errors import LinecorrError
from dataprep.format import Dataset, DatasetWriter, images
from dataprep.importers.common import ClipJob
from dataprep.label.config import LabelConfig


def _clip_files(job: ClipJob, cfg: LabelConfig, frames: list[str]) -> dict[str, dict[str, bytes]]:
    """``{frame: {"color"|"line"|"seg"|"image": file bytes}}`` of the frames a clip's pairs use."""
    out: dict[str, dict[str, bytes]] = {}
    if job.extra["kind"] == "dataset":
        src = Dataset.open(job.path)
        kinds = ("color", "line", "seg") if cfg.segmentation == "given" else ("color", "line")
        for f in frames:
            out[f] = {k: src.path(job.clip, k, f).read_bytes() for k in kinds}
    else:
        files = dict(zip(job.frames, job.extra["files"]))
        for f in frames:
            out[f] = {"image": Path(files[f]).read_bytes(), "name": files[f].encode()}
    return out


def _ray_clip(job_clip: str, files: dict, pairs: list, cfg_dict: dict, frames: list | None = None) -> list:
    """Runs on a Ray worker: label one clip from its frames' bytes; returns events with encoded maps."""
    import numpy as np

    from dataprep.label.clip import label_clip, set_threads
    from dataprep.label.lightglue import resolve_device

    cfg = replace_from_dict(LabelConfig(), cfg_dict)  # the nested configs come back as dataclasses
    set_threads(cfg, 1)
    device = resolve_device(cfg.device) if cfg.extractor in ("aliked", "disk") else "cpu"
    with tempfile.TemporaryDirectory(prefix="linecorr-label-") as tmp:
        def decode(data: bytes, name: str):
            p = Path(tmp) / name
            p.write_bytes(data)
            return images.read_image_raw(p)

        def load(f: str):
            d = files[f]
            if "image" in d:
                return decode(d["image"], f"{f}.img"), None, None, d["name"].decode()
            color = decode(d["color"], f"{f}.color.png")
            line = decode(d["line"], f"{f}.line.png")
            seg = images.decode_ids(decode(d["seg"], f"{f}.seg.png")) if "seg" in d else None
            return (color if color.ndim == 3 else np.repeat(color[..., None], 3, 2)), line, seg, f"{job_clip}/{f}"

        events = []
        for ev in label_clip(load, [tuple(p) for p in pairs], cfg, device, frames):
            if ev[0] == "frame":
                events.append(("frame", ev[1], images.encode_segment_map(ev[2])))
            else:
                _, fa, fb, gap, res = ev
                res.stats = {k: v for k, v in res.stats.items() if not isinstance(v, np.ndarray)}
                events.append(("pair", fa, fb, gap, res))
        return events


def run_ray(w: DatasetWriter, jobs: list[ClipJob], cfg: LabelConfig) -> None:
    """Label every clip not done yet on Ray (``RAY_ADDRESS`` or a local cluster) and write it."""
    from tqdm import tqdm

    from dataprep.config import config_dict
    from dataprep.fanout import TaskFailed, ray_map
    from dataprep.label.clip import finish_clip, needed_frames, sample_pairs, to_pair, write_frame

    todo, calls = [], []
    for job in jobs:
        if w.clip_done(job.clip):
            continue
        pairs = sample_pairs(job.frames, tuple(cfg.gaps), cfg.stride)
        in_pairs = {f for a, b, _ in pairs for f in (a, b)}
        todo.append((job, [f for f in job.frames if f in in_pairs]))
        calls.append((job.clip, _clip_files(job, cfg, needed_frames(job.frames, pairs, cfg)), pairs, config_dict(cfg),
                      job.frames))
    bar = tqdm(total=len(todo), desc="label (ray)", unit="clip", file=sys.stderr, disable=None)
    try:
        for i, events in ray_map(_ray_clip, calls):
            job, used = todo[i]
            if isinstance(events, TaskFailed):
                if isinstance(events.cause, LinecorrError):  # a problem with the input: say it as it is
                    raise LinecorrError(str(events.cause)) from None
                raise LinecorrError(f"ray task for clip {job.clip} failed ({events.reason})")
            src = Dataset.open(job.path) if job.extra["kind"] == "dataset" else None
            w.begin_clip(job.clip)
            size: list = []
            for ev in events:
                if ev[0] == "frame":
                    with tempfile.TemporaryDirectory() as tmp:
                        p = Path(tmp) / "seg.png"
                        p.write_bytes(ev[2])
                        seg = images.read_ids(p)
                    write_frame(w, job, ev[1], seg, cfg, src, size)
                else:
                    _, fa, fb, gap, res = ev
                    w.write_pair(to_pair(job.clip, fa, fb, gap, res, cfg))
            finish_clip(w, job, used, src, size)
            bar.update()
    finally:
        bar.close()
