"""The standard benchmarks' definitions: configs, location, frozen plans and the ground-truth hash check."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmark import standard
from blender_scripts.job import plan_hash
from blender_scripts.plan import clip_styles, plan_sequences
from dataprep.errors import LinecorrError
from dataprep.format import Dataset

#: The v2 plan (every clip's character, family, seeds, actions, camera, light, split), frozen: a new
#: family, a changed planner or a changed seed must not move the benchmark without anyone noticing.
V2_PLAN_HASH = "97da81766a01eab38076ffc58e0fcd803d625aacf4a715fb9e5d90949fe15438"


def test_standard_config_is_the_documented_one():
    cfg = standard.standard_config()
    assert (cfg.characters, cfg.frames, cfg.res, cfg.seed) == (40, 24, 512, 20261121)
    assert standard.STANDARD_HASH and len(standard.STANDARD_HASH) == 64
    assert cfg.part_maps is False and cfg.line_style == "exact"  # v1 keeps its format-1.0 files and hash


def test_v2_config_is_the_documented_one():
    cfg = standard.v2_config()
    assert (cfg.characters, cfg.frames, cfg.res, cfg.test_characters, cfg.val_characters) == (60, 20, 768, 20, 6)
    assert cfg.families == standard.V2_FAMILIES and cfg.shadow_segments and cfg.part_maps
    specs = plan_sequences(cfg)
    test = [s for s in specs if s.split == "test"]
    assert len(test) >= 20 and {s.family for s in test} == set(standard.V2_FAMILIES)
    assert [st for _, st in clip_styles(cfg, specs[0])] == list(standard.BENCHMARKS["v2"].tracks)


def test_v2_plan_is_frozen():
    # Render threads depend on the machine's cores and change no pixel: they are left out.
    got = plan_hash([dataclasses.replace(s, threads=0) for s in plan_sequences(standard.v2_config())])
    assert got == V2_PLAN_HASH, f"the v2 plan changed (plan hash {got}): v2 must not move; define a v3 instead"


def test_v2_generator_source_is_pinned():
    if standard.GENERATOR_DIGEST_V2 is None:
        pytest.fail("GENERATOR_DIGEST_V2 is not recorded")
    got = standard.generator_digest()
    assert got == standard.GENERATOR_DIGEST_V2, (
        f"the code that draws v2 changed (digest {got}); re-render v2 (benchmarks/render_v2.sh), check that its "
        "ground-truth hash is unchanged and record the new digest, or record new hashes as a new benchmark version")


def test_location_follows_linecorr_data(monkeypatch, tmp_path):
    monkeypatch.setenv("LINECORR_DATA", str(tmp_path))
    assert standard.default_location() == tmp_path / standard.STANDARD_NAME
    assert standard.default_location(standard.V2_NAME) == tmp_path / "linecorr-synth-v2"


def test_unknown_benchmark_is_one_line():
    with pytest.raises(LinecorrError, match="unknown benchmark 'v9'"):
        standard.get_benchmark("v9")


@pytest.fixture
def toy_copy(toy_dataset, tmp_path):
    """A copy of the toy dataset: ensure_benchmark writes its .reference.json into the render."""
    import shutil

    return Path(shutil.copytree(toy_dataset, tmp_path / "toy"))


def test_a_render_with_other_ground_truth_is_refused(monkeypatch, toy_copy):
    from blender_scripts import job

    toy_dataset = toy_copy

    monkeypatch.setattr(job, "run_render", lambda cfg, out: None)  # "already rendered": the toy data
    with pytest.raises(LinecorrError, match="differs from the reference.*ships no per-file digests.*--dataset"):
        standard.ensure_standard(toy_dataset)
    v1 = dataclasses.replace(standard.BENCHMARKS["v1"], hash=Dataset.open(toy_dataset).ground_truth_hash())
    monkeypatch.setitem(standard.BENCHMARKS, "v1", v1)
    assert standard.ensure_standard(toy_dataset) == toy_dataset
    rec = standard.reference_record(toy_dataset)  # what a score on this render records (benchmark.cli)
    assert rec["reference_hash"] == v1.hash and rec["frames_differing"] == [] and rec["frames"] > 0


def test_a_split_render_is_checked_against_its_split_hash(monkeypatch, toy_copy):
    from blender_scripts import job

    toy_dataset = toy_copy

    seen = {}
    monkeypatch.setattr(job, "run_render", lambda cfg, out: seen.setdefault("split", cfg.only_split))
    ds = Dataset.open(toy_dataset)
    v2 = dataclasses.replace(standard.BENCHMARKS["v2"], split_hashes={"test": ds.ground_truth_hash("test")})
    monkeypatch.setitem(standard.BENCHMARKS, "v2", v2)
    assert standard.ensure_benchmark("v2", toy_dataset, split="test") == toy_dataset and seen["split"] == "test"
    assert ds.ground_truth_hash("test") != ds.ground_truth_hash("train") != ds.ground_truth_hash()


def test_v1_conversion_is_unchanged(tmp_path):
    """The v1 benchmark keeps its hash: its conversion (exact lines, no part maps) is byte-for-byte what
    made it. Checked on a small v1-config render with the bpy-free renderer, whose ground-truth hash
    was recorded with the code that rendered v1 (commit 9f6cac4); recorded again when the fake renderer
    started drawing the toy character, from that input converted by the conversion code this test
    had passed with (commit 6b416f3)."""
    from blender_scripts.job import run_render

    cfg = dataclasses.replace(standard.standard_config(), characters=3, frames=4, renderer="fake", workers=1)
    out = run_render(cfg, tmp_path / "v1", progress=False)
    assert Dataset.open(out).ground_truth_hash() == "8994114e2a736f8ec0d75abc384b85e04ac71a6dce12396e7ff9fd8292d71eec"


def test_a_render_a_few_pixels_off_is_used_with_a_warning(monkeypatch, toy_dataset, tmp_path):
    import shutil

    from dataprep.errors import LinecorrWarning
    from dataprep.format import images

    copy = tmp_path / "copy"
    shutil.copytree(toy_dataset, copy)
    ref = Dataset.open(copy).ground_truth_digests()
    monkeypatch.setattr(standard, "reference_digests", lambda name: ref)
    monkeypatch.setattr(standard, "MAX_DIFFERING_FRAMES", 0.1)
    ds = Dataset.open(copy)
    clip = ds.clip_ids[0]
    seg_path = ds.path(clip, "seg", ds.clip(clip).frames[0])
    seg = images.read_ids(seg_path)
    seg[0, 0] = seg[0, 1] if seg[0, 0] != seg[0, 1] else seg.max() + 1  # one pixel, as a z-fighting flip
    seg_path.write_bytes(images.encode_segment_map(seg))
    ds = Dataset.open(copy)
    with pytest.warns(LinecorrWarning, match="differs from the reference in 1 of"):
        frames = standard.check_near_reference("toy", ds, None, ds.ground_truth_hash(), "0" * 64)
    assert frames == [f"{clip}/{ds.clip(clip).frames[0]}"]
    monkeypatch.setattr(standard, "MAX_DIFFERING_FRAMES", 0.0)
    with pytest.raises(LinecorrError, match="1 differ"):
        standard.check_near_reference("toy", ds, None, ds.ground_truth_hash(), "0" * 64)
    # the pair files of a differing frame may differ (their matches follow the maps); others may not
    frame = ds.clip(clip).frames[0]
    own = next(p for p in (copy / "pairs" / clip).glob("*.json") if frame in p.stem.split("__"))
    other = next(p for p in (copy / "pairs").rglob("*.json") if frame not in p.stem.split("__") or p.parent.name != clip)
    monkeypatch.setattr(standard, "MAX_DIFFERING_FRAMES", 0.1)
    own.write_text(own.read_text() + " ")
    with pytest.warns(LinecorrWarning, match="differs from the reference in 1 of"):
        standard.check_near_reference("toy", Dataset.open(copy), None, "x" * 64, "0" * 64)
    other.write_text(other.read_text() + " ")
    with pytest.raises(LinecorrError, match="3 differ"):
        standard.check_near_reference("toy", Dataset.open(copy), None, "x" * 64, "0" * 64)
    other.unlink()  # a pair missing is never "a few pixels"
    monkeypatch.setattr(standard, "MAX_DIFFERING_FRAMES", 0.5)
    with pytest.raises(LinecorrError, match="1 files missing"):
        standard.check_near_reference("toy", Dataset.open(copy), None, "x" * 64, "0" * 64)


def test_v2_reference_digests_are_shipped():
    ref = standard.reference_digests(standard.V2_NAME)
    assert ref and sum(k.startswith("pairs/") for k in ref) == 11760
    assert sum(k.endswith(".png") and "/parts/" in k for k in ref) == 240 * 20


def test_leaderboard_puts_renders_of_one_benchmark_in_one_table(tmp_path):
    """A result from the reference render, from a test-split-only render and from a near-reference
    render of another machine share one table (the last one marked †); other data gets its own."""
    import json
    from pathlib import Path

    from benchmark.leaderboard import build_leaderboard

    base = json.loads((Path(__file__).parents[2] / "results/v2/exact/result_nearest-aligned.json").read_text())
    variants = {
        "reference": {},
        "test-only": {"ground_truth_hash": standard.V2_TEST_HASH},
        "other-machine": {"ground_truth_hash": "f" * 64, "reference": {
            "benchmark": standard.V2_NAME, "hash": standard.V2_HASH, "frames_differing": 202, "frames": 4800}},
        "other-data": {"ground_truth_hash": "e" * 64},
    }
    paths = []
    for name, change in variants.items():
        r = json.loads(json.dumps(base))
        r["method"]["name"] = name
        r["benchmark"].update(change)
        paths.append(tmp_path / f"result_{name}.json")
        paths[-1].write_text(json.dumps(r))
    md, page = build_leaderboard(paths, tmp_path / "lb")
    tables = md.read_text().split("\n## ")[1:]
    assert len(tables) == 2
    main = next(t for t in tables if "| reference |" in t)
    assert "| test-only |" in main and "| other-machine † |" in main and "other-data" not in main
    assert "202 of 4800 frames" in main and standard.V2_HASH[:12] in main.splitlines()[0]
    assert "other-machine †" in page.read_text()


def test_a_score_on_a_standard_benchmark_records_its_reference(monkeypatch, toy_dataset, tmp_path):
    import json
    import shutil

    from blender_scripts import job
    from dataprep.cli import main

    monkeypatch.setenv("LINECORR_DATA", str(tmp_path))
    shutil.copytree(toy_dataset, tmp_path / standard.STANDARD_NAME)
    monkeypatch.setattr(job, "run_render", lambda cfg, out: None)  # "already rendered": the toy data
    v1 = dataclasses.replace(standard.BENCHMARKS["v1"], hash=Dataset.open(toy_dataset).ground_truth_hash())
    monkeypatch.setitem(standard.BENCHMARKS, "v1", v1)
    assert main(["score", "--method", "nearest-aligned", "--benchmark", "v1", "--out-dir", str(tmp_path / "r")]) == 0
    ref = json.loads((tmp_path / "r" / "result_nearest-aligned.json").read_text())["benchmark"]["reference"]
    assert ref["benchmark"] == standard.STANDARD_NAME and ref["hash"] == v1.hash and ref["frames_differing"] == 0
