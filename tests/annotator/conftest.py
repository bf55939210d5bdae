"""Fixtures of the annotator tests: a small toy dataset, fresh for each test (the annotator writes into it)."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def _toy_master(tmp_path_factory):
    from dataprep.synthetic import ToyConfig, write_toy_dataset

    return write_toy_dataset(tmp_path_factory.mktemp("annot") / "toy", clips=1, cfg=ToyConfig(size=160, frames=3))


@pytest.fixture
def toy_root(_toy_master, tmp_path):
    """A private copy of a 1-clip, 3-frame, 160x160 toy dataset (pairs 0000__0001 and 0001__0002)."""
    dst = tmp_path / "toy"
    shutil.copytree(_toy_master, dst)
    return dst
