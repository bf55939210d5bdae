"""``--backend ray`` on a real Ray instance: render (fake renderer) and label, in-process and by address.

tests/blender_scripts/test_render_format.py and tests/dataprep/test_label_cli.py cover our side of
the Ray backends with a stand-in module; here Ray itself is real: a local instance of 2 CPUs
started once for the module (5-10 s), its workers separate processes that import the packages,
run the tasks and ship the results back through Ray's object store. The render's Blender part is
the bpy-free fake renderer (``renderer=fake``), which the Ray task runs exactly like Blender.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from blender_scripts.config import RenderConfig
from blender_scripts.job import run_render
from blender_scripts.plan import plan_sequences
from dataprep.cli import main
from dataprep.errors import LinecorrError
from dataprep.format import Dataset
from dataprep.format.validate import validate_dataset

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_cluster():
    """A real local Ray instance (2 CPUs, small object store), shut down after the module."""
    ray = pytest.importorskip("ray", reason="needs Ray, the [ray] extra (make installs it)")
    if ray.is_initialized():  # another test left one running: ours must be the one under test
        ray.shutdown()
    # address="local": a new instance even when `ray start` left one on this machine (which
    # ray.init() would join, refusing num_cpus).
    ctx = ray.init(address="local", num_cpus=2, object_store_memory=128 * 2**20, include_dashboard=False,
                   log_to_driver=False)
    yield ctx
    ray.shutdown()


@pytest.fixture
def ray_results(ray_cluster, monkeypatch) -> list:
    """Every value the backend fetched with ``ray.get`` (proof the tasks went through Ray)."""
    import ray

    got: list = []
    real_get = ray.get

    def spy(refs, *args, **kwargs):
        assert isinstance(refs, ray.ObjectRef)  # a real task's reference, never a value computed here
        value = real_get(refs, *args, **kwargs)
        got.append(value)
        return value

    monkeypatch.setattr(ray, "get", spy)
    return got


def _fake_cfg(**kw) -> RenderConfig:
    """Three tiny clips drawn by the bpy-free fake renderer (as in test_render_format.py)."""
    return RenderConfig(**{"characters": 3, "frames": 4, "res": 64, "renderer": "fake", "gaps": (1, 2),
                           "workers": 2, **kw})


def _tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file of a dataset but its manifest (which records the command line and backend)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


@pytest.fixture(scope="module")
def local_render(tmp_path_factory) -> Path:
    return run_render(_fake_cfg(), tmp_path_factory.mktemp("render") / "local", progress=False)


def test_render_on_ray_matches_local(ray_results, local_render, tmp_path):
    out = run_render(_fake_cfg(backend="ray"), tmp_path / "ray", progress=False)
    assert len(ray_results) == 3 and all("files" in r for r in ray_results)  # one task per clip, all rendered
    assert _tree_bytes(out) == _tree_bytes(local_render)
    assert validate_dataset(out) == []
    assert not (tmp_path / "ray.raw").exists() and not (tmp_path / "ray.partial").exists()


def test_render_cut_short_resumes_on_ray(ray_results, local_render, tmp_path, monkeypatch):
    """A local run loses a clip to a crash; the same command on Ray renders only that clip."""
    cfg = _fake_cfg()
    specs = plan_sequences(cfg)
    # Set after ray.init: the Ray workers (and the renderers they start) never see it.
    monkeypatch.setenv("LINECORR_FAKE_CRASH", specs[1].clip)
    with pytest.raises(LinecorrError, match=f"1 of 3 sequences failed.*{specs[1].clip}"):
        run_render(cfg, tmp_path / "d", progress=False)
    monkeypatch.delenv("LINECORR_FAKE_CRASH")
    kept = tmp_path / "d.partial" / "clips" / specs[0].clip / "clip.json"
    before = kept.stat().st_mtime_ns
    out = run_render(_fake_cfg(backend="ray"), tmp_path / "d", progress=False)  # backend: a run-only setting
    assert len(ray_results) == 1  # only the lost clip went to Ray
    assert (out / "clips" / specs[0].clip / "clip.json").stat().st_mtime_ns == before
    assert _tree_bytes(out) == _tree_bytes(local_render)


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    from dataprep.synthetic import ToyConfig, write_toy_dataset

    return write_toy_dataset(tmp_path_factory.mktemp("ray-label") / "toy", clips=2, cfg=ToyConfig(size=128, frames=3))


@pytest.fixture(scope="module")
def local_labels(toy) -> Path:
    out = toy.parent / "local"
    assert main(["label", str(toy), "--out", str(out), "--set", "threads=1"]) == 0
    return out


def _same_labels(a: Path, b: Path) -> None:
    da, db = Dataset.open(a), Dataset.open(b)
    assert da.pair_ids() == db.pair_ids() and len(da.pair_ids()) == 4  # 2 clips x (0-1, 1-2)
    for pid in da.pair_ids():
        ma = da.load_pair(pid).matches
        assert ma and ma == db.load_pair(pid).matches
    for clip in da.clip_ids:
        for f in da.clip(clip).frames:
            assert da.path(clip, "seg", f).read_bytes() == db.path(clip, "seg", f).read_bytes()


def test_label_on_ray_matches_local(ray_results, toy, local_labels, tmp_path):
    out = tmp_path / "ray"
    assert main(["label", str(toy), "--out", str(out), "--backend", "ray", "--set", "threads=1"]) == 0
    assert len(ray_results) == 2  # one task per clip
    _same_labels(local_labels, out)
    assert validate_dataset(out) == []


def test_label_cli_joins_a_running_cluster_by_address(ray_cluster, toy, local_labels, tmp_path):
    """What a multi-node run does: a second driver (the CLI) finds the cluster through RAY_ADDRESS."""
    address = ray_cluster.address_info["gcs_address"]
    env = dict(os.environ, RAY_ADDRESS=address, PYTHONPATH=str(ROOT))
    out = tmp_path / "joined"
    r = subprocess.run([sys.executable, "-m", "dataprep", "label", str(toy), "--out", str(out), "--backend", "ray",
                        "--set", "threads=1"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
                       check=False)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Connecting to existing Ray cluster" in r.stderr and "Started a local Ray instance" not in r.stderr
    _same_labels(local_labels, out)



def test_unreachable_address_fails_at_once_in_one_line(toy, tmp_path):
    """Ray alone would retry a wrong RAY_ADDRESS for minutes; the backend says so in one line."""
    import socket
    import time

    pytest.importorskip("ray", reason="needs Ray, the [ray] extra (make installs it)")
    with socket.socket() as s:  # a port nothing listens on: bound, then closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, RAY_ADDRESS=f"127.0.0.1:{port}", PYTHONPATH=str(ROOT))
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "dataprep", "label", str(toy), "--out", str(tmp_path / "x"),
                        "--backend", "ray", "--extractor", "none"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=120, check=False)
    assert r.returncode == 2, r.stderr[-3000:]
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("linecorr label: error: cannot reach the Ray cluster at RAY_ADDRESS=127.0.0.1:"), r.stderr
    assert "ray start --head" in last and time.monotonic() - t0 < 60
