"""The standard benchmark's definition: config, location, and the ground-truth hash check."""

from __future__ import annotations

import pytest

import benchmark.standard as standard
from dataprep.errors import LinecorrError
from dataprep.format import Dataset


def test_standard_config_is_the_documented_one():
    cfg = standard.standard_config()
    assert (cfg.characters, cfg.frames, cfg.res, cfg.seed) == (40, 24, 512, 20261121)
    assert standard.STANDARD_HASH and len(standard.STANDARD_HASH) == 64


def test_location_follows_linecorr_data(monkeypatch, tmp_path):
    monkeypatch.setenv("LINECORR_DATA", str(tmp_path))
    assert standard.default_location() == tmp_path / standard.STANDARD_NAME


def test_a_render_with_other_ground_truth_is_refused(monkeypatch, toy_dataset):
    import blender_scripts.job as job

    monkeypatch.setattr(job, "run_render", lambda cfg, out: None)  # "already rendered": the toy data
    with pytest.raises(LinecorrError, match="differs from the reference"):
        standard.ensure_standard(toy_dataset)
    monkeypatch.setattr(standard, "STANDARD_HASH", Dataset.open(toy_dataset).ground_truth_hash())
    assert standard.ensure_standard(toy_dataset) == toy_dataset
