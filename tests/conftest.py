"""Shared fixtures: tiny generated datasets, and the gpu marker's skip."""

from __future__ import annotations

import pytest

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
    except Exception:  # torch missing or broken: no GPU either way
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
