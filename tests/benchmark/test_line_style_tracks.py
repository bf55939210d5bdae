"""Line-style tracks: scoring one style's clips, consecutive pairs only, part regions, one table per track."""

from __future__ import annotations

import json

import numpy as np
import pytest

from blender_scripts.config import RenderConfig
from blender_scripts.job import run_render
from dataprep.cli import main
from dataprep.format import Dataset


@pytest.fixture(scope="module")
def styles(tmp_path_factory):
    """Three fake characters x 4 frames, every clip in exact and rough (test = the first character)."""
    cfg = RenderConfig(characters=3, frames=4, res=128, renderer="fake", gaps=(1, 2), line_style="exact,rough",
                       test_characters=1, val_characters=1, workers=1)
    return run_render(cfg, tmp_path_factory.mktemp("styles") / "ds", progress=False)


def test_view_keeps_one_style_and_the_asked_gaps(styles):
    ds = Dataset.open(styles)
    view = ds.only_clips(ds.line_style_clips("rough"), {1})
    assert view.splits["test"] == [c for c in ds.splits["test"] if c.endswith("-rough")]
    pids = view.pair_ids("test")
    assert pids and all(p.split("/")[0].endswith("-rough") for p in pids)
    assert len(pids) == 3 and len(ds.only_clips(ds.line_style_clips("rough")).pair_ids("test")) == 5
    assert view.content_hash() == ds.content_hash()  # the files are shared


def test_score_one_track_records_style_and_gaps(styles, tmp_path):
    out = tmp_path / "res"
    rc = main(["score", "--method", "nearest-aligned", "--dataset", str(styles), "--line-style", "rough",
               "--gaps", "1", "--out-dir", str(out)])
    assert rc == 0
    r = json.loads((out / "result_nearest-aligned.json").read_text())
    assert r["benchmark"]["line_style"] == "rough" and r["benchmark"]["gaps"] == [1]
    assert r["benchmark"]["pairs"] == 3 and r["benchmark"]["clips"] == 1


def test_region_protocol_scores_part_regions(styles, tmp_path):
    out = tmp_path / "reg"
    for style in ("exact", "rough"):
        assert main(["score", "--method", "tb-nearest-aligned", "--dataset", str(styles), "--line-style", style,
                     "--gaps", "1", "--out-dir", str(out / style)]) == 0
    got = {s: json.loads((out / s / "result_tb-nearest-aligned_regions.json").read_text()) for s in ("exact", "rough")}
    assert all(r["benchmark"]["regions"] == "parts" for r in got.values())
    # Same characters, same part regions: only the drawing differs, and the open one is harder to fill.
    assert got["exact"]["metrics"]["region/ari"] > got["rough"]["metrics"]["region/ari"]
    main(["leaderboard", *map(str, out.rglob("result_*.json")), "--out", str(tmp_path / "lb")])
    md = (tmp_path / "lb" / "LEADERBOARD.md").read_text()
    assert "line style `exact, gaps 1`" in md and "line style `rough, gaps 1`" in md
    page = (tmp_path / "lb" / "index.html").read_text()
    assert "Per-clip region/recall" in page and "Per-clip ant/accuracy" not in page


def test_part_regions_ignore_ink_and_background(styles):
    from benchmark.models.vit.inputs import region_map

    ds = Dataset.open(styles)
    clip = ds.line_style_clips("rough")[0]
    f = ds.load_frame(clip, "0000")
    reg = region_map(f, "auto")
    assert (reg[f.line < 128] == 0).all() and (reg[f.parts < 0] == 0).all()
    assert np.unique(reg[reg > 0]).size >= 3
