"""Do committed results still come out of the code? Re-run each one and report any drift.

Every result written by ``linecorr score`` records, in ``provenance.command``, the ``linecorr
score`` arguments that make exactly that result (one method, one protocol; the dataset as
``--benchmark`` or ``--dataset``; the checkpoint path of a model; ``--config`` / ``--set``). A
check re-runs that command into a temporary folder (the method from its code or checkpoint, the
predictions, the scoring) and compares every metric with the committed one. ``--update`` then
replaces what drifted, result and predictions together, so a re-commit is one command.

Results written before commands were recorded are re-run when the command can be told from the
result itself (a training-free baseline, by name); otherwise the check says so and fails.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dataprep.errors import LinecorrError

#: Two values closer than this are the same figure (results are stored as JSON floats).
TOLERANCE = 1e-9


@dataclass
class Check:
    """The outcome of re-running one committed result."""

    path: Path  # the committed result file
    command: list[str]  # the ``linecorr score`` arguments re-run ([] when none could be told)
    drift: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)  # metric -> (old, new)
    error: str = ""  # why it could not be re-run ("" when it was)
    new_files: dict[str, Path] = field(default_factory=dict)  # file name -> re-made file (temporary)

    @property
    def ok(self) -> bool:
        return not self.error and not self.drift


def score_command(method: list[str], args, protocol: str | None = None) -> list[str]:
    """The ``linecorr score`` arguments that re-make one result of this run.

    Args:
        method: what produced it: ``["--method", NAME]``, ``["--model", M, "--checkpoint", PATH]`` or
            ``[PREDICTIONS]``.
        args: the parsed ``linecorr score`` arguments of the run (dataset, split, view, config).
        protocol: ``segments`` or ``regions`` for a model scored on one protocol.
    """
    cmd = list(method)
    if protocol:
        cmd += ["--protocol", protocol]
    cmd += ["--benchmark", args.benchmark] if args.benchmark else ["--dataset", str(args.dataset)]
    for flag, value in (("--line-style", getattr(args, "line_style", None)), ("--gaps", getattr(args, "gaps", None)),
                        ("--split", args.split), ("--track", getattr(args, "track", None)),
                        ("--config", getattr(args, "config", None)),
                        ("--tta", None if getattr(args, "tta", "none") == "none" else args.tta)):
        if value:
            cmd += [flag, str(value)]
    for kv in getattr(args, "overrides", None) or []:
        cmd += ["--set", kv]
    return cmd


def legacy_command(result: dict) -> list[str]:
    """The command of a result written before commands were recorded, or [] when it cannot be told."""
    from benchmark.baselines import BASELINES, REGION_BASELINES
    from benchmark.standard import BENCHMARKS

    b = result.get("benchmark", {})
    name = result.get("method", {}).get("name", "")
    base = name.removesuffix(" [regions]")
    if not ((name == base and base in BASELINES) or (name != base and base in REGION_BASELINES)):
        return []
    bench = next((k for k, v in BENCHMARKS.items() if v.name == b.get("dataset", "").removeprefix("linecorr-render-")),
                 None)
    if bench is None:
        return []
    cmd = ["--method", base, "--benchmark", bench]
    if b.get("line_style"):
        cmd += ["--line-style", b["line_style"]]
    if b.get("gaps"):
        cmd += ["--gaps", ",".join(map(str, b["gaps"]))]
    cmd += ["--split", b.get("split", "test")]
    if b.get("track", "line") == "color":  # "raw-line" follows from a region baseline, "line" is the default
        cmd += ["--track", "color"]
    return cmd


def check_result(path: str | os.PathLike, workdir: Path) -> Check:
    """Re-run the committed result ``path`` in ``workdir`` and compare its metrics."""
    path = Path(path)
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        return Check(path, [], error=f"unreadable result ({e})")
    cmd = old.get("provenance", {}).get("command") or legacy_command(old)
    if not cmd:
        return Check(path, [], error="records no command and is not a baseline: re-score it once with this version")
    out = workdir / path.parent.name
    out.mkdir(parents=True, exist_ok=True)
    run = [sys.executable, "-m", "benchmark", "score", *cmd, "--out-dir", str(out)]
    proc = subprocess.run(run, capture_output=True, text=True, check=False)  # a failure is reported, not raised
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        return Check(path, cmd, error=f"re-run failed: {last}")
    new_path = out / path.name
    written = sorted(out.glob("result_*.json"))
    if not new_path.is_file() and len(written) == 1:  # committed under another name (--out)
        new_path = written[0]
    if not new_path.is_file():
        return Check(path, cmd, error=f"re-run wrote no {path.name}")
    new = json.loads(new_path.read_text(encoding="utf-8"))
    files = {path.name: new_path}
    for pred in out.glob("predictions_" + new_path.name.removeprefix("result_").removesuffix(".json") + ".json*"):
        files[pred.name] = pred
    return Check(path, cmd, drift=compare_metrics(old.get("metrics", {}), new.get("metrics", {})), new_files=files)


def compare_metrics(old: dict, new: dict) -> dict[str, tuple[float | None, float | None]]:
    """Metrics that differ by more than :data:`TOLERANCE` (or exist on one side only)."""

    def num(x):
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)

    out = {}
    for k in sorted(set(old) | set(new)):
        a, b = num(old.get(k)), num(new.get(k))
        if (a is None) != (b is None) or (a is not None and abs(a - b) > TOLERANCE):
            out[k] = (a, b)
    return out


def check_results(paths: list[str | os.PathLike], update: bool = False, progress=None) -> list[Check]:
    """Re-run every result in ``paths``; with ``update`` replace drifted results and their predictions."""
    files = []
    for p in map(Path, paths):
        files += sorted(p.glob("**/result_*.json")) if p.is_dir() else [p]
    if not files:
        raise LinecorrError("no result files to check")
    checks = []
    with tempfile.TemporaryDirectory(prefix="linecorr-check-") as tmp:
        for i, f in enumerate(progress(files) if progress else files):
            c = check_result(f, Path(tmp) / str(i))
            if update and c.drift:
                for name, src in c.new_files.items():
                    _replace(src, f.parent / name)
                    if name.endswith(".json.gz"):  # written uncompressed before: the old file goes
                        (f.parent / name.removesuffix(".gz")).unlink(missing_ok=True)
            checks.append(c)
    return checks


def _replace(src: Path, dst: Path) -> None:
    """Copy ``src`` over ``dst`` atomically (a reader never sees half a file)."""
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def report(checks: list[Check], update: bool = False) -> str:
    """Lines for the terminal: one per result, then each drifted metric, then a summary."""
    lines = []
    for c in checks:
        if c.error:
            lines.append(f"FAIL   {c.path}: {c.error}")
        elif c.drift:
            lines.append(f"{'UPDATED' if update else 'DRIFT'}  {c.path}: {len(c.drift)} metrics differ")
            for k, (a, b) in list(c.drift.items())[:8]:
                lines.append(f"         {k}: {_fmt(a)} -> {_fmt(b)}")
        else:
            lines.append(f"same   {c.path}")
    bad = sum(not c.ok for c in checks)
    lines.append(f"{len(checks) - bad} of {len(checks)} results reproduce" + (f"; {bad} do not" if bad else ""))
    return "\n".join(lines)


def _fmt(x: float | None) -> str:
    return "missing" if x is None else f"{x:.6f}"
