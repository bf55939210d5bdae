"""Shared fixtures: tiny generated datasets, the gpu/browser markers' skips, and a loader for
repository files that are not in a package (benchmark scripts, test helpers)."""

from __future__ import annotations

import os
from pathlib import Path

# Nothing is downloaded at run time: Hugging Face libraries stay offline in every test (set before
# any test module imports datasets / huggingface_hub, which read these at import).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import pytest

ROOT = Path(__file__).parents[1]


def load_repo_module(relpath: str):
    """Import a ``.py`` file of the repository by its path relative to the root (e.g. ``benchmarks/x.py``)."""
    import importlib.util

    path = ROOT / relpath
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def repo_module():
    """:func:`load_repo_module`, for tests (conftest itself is not importable by name)."""
    return load_repo_module


@pytest.fixture(autouse=True)
def _hf_offline(monkeypatch):
    """Keep the Hugging Face libraries offline even where a test changes the environment."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    import os

    if not os.path.exists(CHROMIUM):
        skip_browser = pytest.mark.skip(reason=f"needs the system Chromium at {CHROMIUM} (apt-get install chromium)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip_browser)
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except Exception:  # noqa: BLE001 -- torch missing or broken in any way: no GPU either way
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def toy_dataset(tmp_path_factory):
    """A 3-clip toy dataset (64x64 would be too coarse for the parts: 128x128, 4 frames)."""
    from dataprep.synthetic import ToyConfig, write_toy_dataset

    out = tmp_path_factory.mktemp("toy") / "toy"
    return write_toy_dataset(out, clips=3, cfg=ToyConfig(size=128, frames=4))
