"""Run a render job: one subprocess per sequence, a pool of workers, resume, optional Ray.

Each sequence renders in its own Python process (``python -m blender_scripts.render_sequence``)
into ``<out>.raw/<clip>/``; the parent then converts the raw renders into the clip
(:mod:`blender_scripts.to_format`) through a :class:`~dataprep.format.writer.DatasetWriter`.
A crash (even SIGABRT) loses only that sequence; finished clips stay in ``<out>.partial`` and a
re-run of the same command skips them, renders a sequence that was cut off again from its first
frame, and only converts again a sequence whose raw renders are complete (``keep_raw``). With ``--backend ray`` the sequences fan out over a Ray cluster instead: the
workers render into their own temp folders and send the raw files back, so no shared disk is needed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from blender_scripts.config import RenderConfig, check_config
from blender_scripts.plan import SequenceSpec, plan_sequences
from dataprep.config import config_dict
from dataprep.errors import LinecorrError

#: Written into the staging folder: a resumed run must have planned exactly the same clips.
PLAN_FILE = ".render_plan.json"
_REPO = str(Path(__file__).resolve().parent.parent)


def renderer_module(cfg: RenderConfig) -> str:
    return "blender_scripts.fake_render" if cfg.renderer == "fake" else "blender_scripts.render_sequence"


def run_sequence(spec: SequenceSpec, raw: Path, cfg: RenderConfig) -> str | None:
    """Render one sequence in a subprocess; returns None on success, else a one-line reason."""
    raw.mkdir(parents=True, exist_ok=True)
    spec_path = raw / "spec.json"
    if (raw / "DONE").is_file() and spec_path.is_file() and spec_path.read_text() == spec.to_json():
        return None  # rendered before (kept raw renders): only the conversion is left to do
    # A sequence cut off mid-way is rendered again from its first frame: Blender evaluated from a
    # later frame in a fresh process is not bit-identical (one IndexOB pixel of a v2 frame flipped),
    # and a benchmark must come out the same however often its render was interrupted.
    for stale in [*raw.glob("ids_*.npy"), *raw.glob("color_*.png"), *raw.glob("tone_*.npy")]:
        stale.unlink()
    spec_path.write_text(spec.to_json())
    home = raw / "home"  # bpy writes caches/config under HOME: keep them inside the job
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), XDG_CONFIG_HOME=str(home / ".config"),
               PYTHONPATH=os.pathsep.join([_REPO, *filter(None, [os.environ.get("PYTHONPATH")])]))
    cmd = [cfg.python or sys.executable, "-m", renderer_module(cfg), "--spec", str(spec_path), "--raw", str(raw)]
    with open(raw / "render.log", "wb") as log:
        try:
            rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, timeout=cfg.timeout_s,
                                check=False).returncode
        except subprocess.TimeoutExpired:
            return f"timed out after {cfg.timeout_s} s"
        except OSError as e:
            return f"cannot start {cmd[0]} ({e})"
    if rc == 0 and (raw / "DONE").is_file():
        return None
    return _failure_reason(rc, raw / "render.log")


def _failure_reason(rc: int, log: Path) -> str:
    """One line: the signal or exit code, and the last error line of the log."""
    how = f"killed by {signal.Signals(-rc).name}" if rc < 0 else f"exit code {rc}"
    last = ""
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
        errs = [ln for ln in lines if "Error" in ln or "error" in ln] or lines
        last = errs[-1][:200] if errs else ""
    except OSError:
        pass
    return f"{how}; {last} (log: {log})" if last else f"{how} (log: {log})"


def _check_bpy(cfg: RenderConfig) -> None:
    """Fail early, in one line, when the render subprocess could not import bpy."""
    import importlib.util

    if cfg.renderer == "blender" and not cfg.python and cfg.backend == "local" and importlib.util.find_spec("bpy") is None:
        raise LinecorrError("linecorr render needs Blender's Python module: pip install 'linecorr[blender]' "
                            "(bpy==4.5.15, Python 3.11), or --set python=/path/to/python-with-bpy")


def plan_hash(specs: list[SequenceSpec]) -> str:
    return hashlib.sha256("\n".join(s.to_json() for s in specs).encode()).hexdigest()


def _open_writer(out: Path, cfg: RenderConfig, specs: list[SequenceSpec], overwrite: bool):
    """A DatasetWriter that resumes only a staging folder made by the same plan."""
    from dataprep.format.writer import DatasetWriter, make_producer

    stage = out.with_name(out.name + ".partial")
    h = plan_hash(specs)
    same = (stage / PLAN_FILE).is_file() and json.loads((stage / PLAN_FILE).read_text()).get("plan") == h
    desc = ("Synthetic toon-shaded character sequences rendered with Blender (Cycles): line art, color, "
            "segments, per-part correspondence labels and exact matches.")
    w = DatasetWriter(out, name=f"linecorr-render-{out.name}", producer=make_producer("render", config_dict(cfg)),
                      overwrite=overwrite, resume=same, description=desc, license="CC0-1.0")
    (w.stage / PLAN_FILE).write_text(json.dumps({"plan": h}))
    return w


#: Settings that change how a render runs, never what it draws: a finished render is reused across them.
RUN_ONLY_FIELDS = ("workers", "threads", "backend", "timeout_s", "python", "keep_raw")


def _drawn(config: dict) -> dict:
    return {k: v for k, v in config.items() if k not in RUN_ONLY_FIELDS}


def already_done(out: Path, cfg: RenderConfig) -> bool:
    """Whether ``out`` is a finished render of exactly this config (a re-run has nothing to do)."""
    m = out / "manifest.json"
    if not m.is_file():
        return False
    try:
        prod = json.loads(m.read_text()).get("producer", {})
    except (OSError, ValueError):
        return False
    return prod.get("stage") == "render" and _drawn(prod.get("config") or {}) == _drawn(config_dict(cfg))


def run_render(cfg: RenderConfig, out: str | os.PathLike, overwrite: bool = False, progress: bool = True) -> Path:
    """Render ``cfg`` into the dataset ``out``; returns its path.

    Raises:
        LinecorrError: bad config, output in the way, or sequences that failed (the finished ones
            are kept for the next run, which resumes).
    """
    check_config(cfg)
    _check_bpy(cfg)
    out = Path(out)
    if already_done(out, cfg) and not overwrite:
        print(f"{out} is already complete for this config; nothing to do", file=sys.stderr)
        return out
    specs = plan_sequences(cfg)
    if cfg.only_split:
        specs = [s for s in specs if s.split == cfg.only_split]
    writer = _open_writer(out, cfg, specs, overwrite)
    raw_root = out.with_name(out.name + ".raw")
    from blender_scripts.plan import clip_styles

    todo = [s for s in specs if not all(writer.clip_done(c) for c, _ in clip_styles(cfg, s))]
    failures: list[tuple[str, str]] = []
    lock = threading.Lock()
    from tqdm import tqdm

    with tqdm(total=len(specs), initial=len(specs) - len(todo), unit="clip", desc="render", file=sys.stderr,
              disable=not progress) as bar:
        def finish(spec: SequenceSpec, err: str | None) -> None:
            if err is None:
                try:
                    from blender_scripts.to_format import write_clip

                    write_clip(writer, spec, raw_root / spec.clip, cfg)
                    if not cfg.keep_raw:
                        shutil.rmtree(raw_root / spec.clip, ignore_errors=True)
                except LinecorrError as e:
                    err = str(e)
            with lock:
                if err is not None:
                    failures.append((spec.clip, err))
                bar.update(1)

        if cfg.backend == "ray":
            _run_ray(todo, raw_root, cfg, finish)
        else:
            # Each worker thread renders its sequence (a subprocess) and then converts it: drawing the
            # line styles costs as much as rendering, so conversions must not queue behind one thread.
            with ThreadPoolExecutor(max_workers=cfg.workers) as pool:
                futs = [pool.submit(lambda s: finish(s, run_sequence(s, raw_root / s.clip, cfg)), s) for s in todo]
                for f in as_completed(futs):
                    f.result()
    if failures:
        clip, why = min(failures)
        raise LinecorrError(f"{len(failures)} of {len(specs)} sequences failed (first: {clip}: {why}); "
                            f"the finished clips are kept in {writer.stage}: re-run the same command to resume")
    splits: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for s in specs:
        splits[s.split].extend(c for c, _ in clip_styles(cfg, s))
    writer.set_splits(splits)
    (writer.stage / PLAN_FILE).unlink(missing_ok=True)
    path = writer.commit()
    if raw_root.is_dir() and not any(raw_root.iterdir()):
        raw_root.rmdir()
    return path


# ---- Ray backend --------------------------------------------------------------------------------
def _ray_task(spec_json: str, cfg_json: str) -> dict:
    """Runs on a Ray worker: render into a local temp folder, return the raw files' bytes."""
    spec = SequenceSpec.from_json(spec_json)
    cfg = RenderConfig(**json.loads(cfg_json))
    with tempfile.TemporaryDirectory(prefix="linecorr-ray-") as tmp:
        raw = Path(tmp) / spec.clip
        err = run_sequence(spec, raw, cfg)
        if err is not None:
            return {"error": err}
        keep = [p for p in raw.iterdir() if p.is_file() and p.suffix in (".png", ".npy", ".json") or p.name == "DONE"]
        return {"files": {p.name: p.read_bytes() for p in keep}}


def _run_ray(todo: list[SequenceSpec], raw_root: Path, cfg: RenderConfig, finish) -> None:
    """Fan ``todo`` out over Ray (``RAY_ADDRESS`` or a local cluster); ``finish`` each as it lands."""
    from dataprep.fanout import TaskFailed, ray_map

    cfg_json = json.dumps(config_dict(cfg))
    calls = [(s.to_json(), cfg_json) for s in todo]
    for i, res in ray_map(_ray_task, calls, num_cpus=max(1, todo[0].threads) if todo else 1):
        spec = todo[i]
        if isinstance(res, TaskFailed):  # a worker that died, or an error outside run_sequence
            finish(spec, f"ray task failed ({res.reason})")
        elif "error" in res:
            finish(spec, res["error"])
        else:
            raw = raw_root / spec.clip
            raw.mkdir(parents=True, exist_ok=True)
            for name, data in res["files"].items():
                (raw / name).write_bytes(data)
            finish(spec, None)
