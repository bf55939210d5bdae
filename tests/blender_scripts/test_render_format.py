"""linecorr render without bpy: conversion to the format, planning, animation keys, the job runner
(with the bpy-free fake renderer): workers, determinism, crash isolation, resume, Ray fan-out."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from blender_scripts.config import RenderConfig, check_config
from blender_scripts.job import run_render
from blender_scripts.plan import SequenceSpec, assign_splits, plan_sequences
from blender_scripts.to_format import convert_frame, write_clip
from dataprep.errors import LinecorrError
from dataprep.format import Dataset, DatasetWriter, make_producer
from dataprep.segment.labelops import boundary_lines


def _ids():
    """8x8: background 0, part 5 (a 3x3 block), part 7 and part 8 (both color label 2)."""
    ids = np.zeros((8, 8), np.uint16)
    ids[1:4, 1:4] = 5
    ids[5:7, 1:3] = 7
    ids[5:7, 5:7] = 8
    return ids


def test_lines_are_exact_id_changes():
    ids = _ids()
    ink = boundary_lines(ids)
    # a pixel is ink iff its right or lower neighbour has another id
    for y in range(8):
        for x in range(8):
            diff = (x < 7 and ids[y, x] != ids[y, x + 1]) or (y < 7 and ids[y, x] != ids[y + 1, x])
            assert ink[y, x] == diff


def test_convert_frame_layers():
    ids = _ids()
    color = np.full((8, 8, 3), 200, np.uint8)
    fr = convert_frame(ids, color, {5: 0, 7: 2, 8: 2})
    ink = boundary_lines(ids)
    assert np.array_equal(fr.line == 0, ink) and np.all(fr.color[ink] == 0)
    assert np.all(fr.color[~ink][:, 0] >= 200)  # kept, or paper white (255) far from every part
    assert tuple(fr.color[0, 7]) == (255, 255, 255) and tuple(fr.color[2, 2]) == (200, 200, 200)
    assert np.all(fr.seg[ink] == 0) and np.all(fr.seg[~ink] > 0)
    assert np.all(fr.labels[ink] == 0)
    assert np.all(fr.labels[(~ink) & (ids == 0)] == -1)
    # each segment holds one part id; its color label is that part's
    for s in np.unique(fr.seg[fr.seg > 0]):
        parts = np.unique(ids[fr.seg == s])
        assert parts.size == 1
        assert fr.color_labels.get(int(s), -1) == {5: 0, 7: 2, 8: 2}.get(int(parts[0]), -1)
    assert sorted(set(fr.color_labels.values())) == [0, 2]  # 7 and 8 share a color label


def test_convert_frame_shadow_split_keeps_part_label():
    ids = np.zeros((6, 10), np.uint16)
    ids[1:5, 1:9] = 3
    tone = np.zeros((6, 10), np.uint8)
    tone[:, 5:] = 1
    fr = convert_frame(ids, np.zeros((6, 10, 3), np.uint8), {3: 4}, tone=tone)
    segs = [s for s in np.unique(fr.seg) if s > 0 and np.all(ids[fr.seg == s] == 3)]
    assert len(segs) == 2  # lit and shadow: two segments of the same part
    assert {fr.color_labels[int(s)] for s in segs} == {4}


def _fake_cfg(**kw) -> RenderConfig:
    base = {"characters": 3, "frames": 4, "res": 64, "renderer": "fake", "gaps": (1, 2), "workers": 2}
    base.update(kw)
    return RenderConfig(**base)


def test_write_clip_from_fake_raw(tmp_path):
    from blender_scripts import fake_render

    cfg = _fake_cfg(characters=1, gaps=(1, 3))
    spec = plan_sequences(cfg)[0]
    (tmp_path / "spec.json").write_text(spec.to_json())
    fake_render.main(["--spec", str(tmp_path / "spec.json"), "--raw", str(tmp_path / "raw")])
    w = DatasetWriter(tmp_path / "ds", name="t", producer=make_producer("render"))
    (info,) = write_clip(w, spec, tmp_path / "raw", cfg)
    w.commit()
    ds = Dataset.open(tmp_path / "ds")
    assert info.frames == ["0000", "0001", "0002", "0003"] and info.meta["split"] == spec.split
    for pair in ds.pairs():
        ta, tb = ds.load_segments(pair.clip, pair.frame_a), ds.load_segments(pair.clip, pair.frame_b)
        la, lb = ta.label_of(), tb.label_of()
        assert pair.matches and all(la[m.a] == lb[m.b] >= 1 for m in pair.matches)
        assert pair.meta["gap"] in (1, 3)
    f = ds.load_frame(spec.clip, "0000")
    assert f.labels.min() == -1 and (f.labels[f.seg == 0] == 0).all()


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def test_job_is_deterministic_and_valid(tmp_path):
    from dataprep.format.validate import validate_dataset

    a = run_render(_fake_cfg(), tmp_path / "a", progress=False)
    b = run_render(_fake_cfg(workers=1), tmp_path / "b", progress=False)
    assert _tree_bytes(a) == _tree_bytes(b)
    assert not validate_dataset(a)
    splits = json.loads((a / "splits.json").read_text())
    assert sorted(c for clips in splits.values() for c in clips) == sorted(Dataset.open(a).clip_ids)
    assert not (tmp_path / "a.raw").exists() and not (tmp_path / "a.partial").exists()


def test_crash_loses_only_that_sequence_and_rerun_resumes(tmp_path, monkeypatch):
    cfg = _fake_cfg()
    crash = plan_sequences(cfg)[1].clip
    monkeypatch.setenv("LINECORR_FAKE_CRASH", crash)
    with pytest.raises(LinecorrError, match=f"1 of 3 sequences failed.*{crash}.*SIGABRT"):
        run_render(cfg, tmp_path / "d", progress=False)
    stage = tmp_path / "d.partial" / "clips"
    assert sorted(p.name for p in stage.iterdir()) == sorted(s.clip for s in plan_sequences(cfg) if s.clip != crash)
    before = (stage / plan_sequences(cfg)[0].clip / "clip.json").stat().st_mtime_ns
    monkeypatch.delenv("LINECORR_FAKE_CRASH")
    out = run_render(cfg, tmp_path / "d", progress=False)
    assert len(Dataset.open(out).clip_ids) == 3
    assert (out / "clips" / plan_sequences(cfg)[0].clip / "clip.json").stat().st_mtime_ns == before  # skipped


def test_cut_off_clip_is_redone_and_stale_plan_discarded(tmp_path):
    cfg = _fake_cfg()
    clip = plan_sequences(cfg)[0].clip
    run_render(cfg, tmp_path / "ref", progress=False)
    # A clip cut off mid-way: a frame file but no clip.json, plus junk.
    junk = tmp_path / "d.partial" / "clips" / clip / "line" / "9999.png"
    junk.parent.mkdir(parents=True)
    junk.write_bytes(b"half")
    from blender_scripts.job import PLAN_FILE, plan_hash

    (tmp_path / "d.partial" / PLAN_FILE).write_text(json.dumps({"plan": plan_hash(plan_sequences(cfg))}))
    out = run_render(cfg, tmp_path / "d", progress=False)
    assert not (out / "clips" / clip / "line" / "9999.png").exists()
    assert _tree_bytes(out) == _tree_bytes(tmp_path / "ref")
    # A staging folder of another plan is not reused.
    stale = tmp_path / "e.partial" / "clips" / "c0000-old" / "clip.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    out = run_render(cfg, tmp_path / "e", progress=False)
    assert "c0000-old" not in Dataset.open(out).clip_ids


def test_rerun_of_finished_output(tmp_path, capsys):
    cfg = _fake_cfg(characters=1)
    out = run_render(cfg, tmp_path / "d", progress=False)
    assert run_render(cfg, out, progress=False) == out
    assert "nothing to do" in capsys.readouterr().err
    with pytest.raises(LinecorrError, match="already exists"):
        run_render(_fake_cfg(characters=2), out, progress=False)
    assert len(Dataset.open(run_render(_fake_cfg(characters=2), out, overwrite=True, progress=False)).clip_ids) == 2


def test_ray_backend_missing_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(LinecorrError, match=r"needs Ray.*pip install 'linecorr\[ray\]'"):
        run_render(_fake_cfg(backend="ray"), tmp_path / "d", progress=False)


def test_ray_backend_fans_out(tmp_path, monkeypatch):
    """A stand-in for Ray's API (init/remote/wait/get) runs tasks eagerly; results match local."""
    fake = types.ModuleType("ray")
    fake.is_initialized = lambda: False
    fake.init = lambda **kw: None

    class Ref:
        def __init__(self, value):
            self.value = value

    def remote(**opts):
        return lambda fn: types.SimpleNamespace(remote=lambda *a: Ref(fn(*a)))

    fake.remote = remote
    fake.wait = lambda refs, num_returns=1: (refs[:num_returns], refs[num_returns:])
    fake.get = lambda ref: ref.value
    monkeypatch.setitem(sys.modules, "ray", fake)
    a = run_render(_fake_cfg(backend="ray"), tmp_path / "a", progress=False)
    b = run_render(_fake_cfg(), tmp_path / "b", progress=False)
    assert _tree_bytes(a) == _tree_bytes(b)


def test_plan_covers_families_and_holds_out_test_characters():
    from blender_scripts.characters import FAMILIES

    specs = plan_sequences(RenderConfig(characters=8, sequences_per_character=2))
    assert {s.family for s in specs} == set(FAMILIES)
    assert len({s.clip for s in specs}) == 16
    by_char: dict[int, set[str]] = {}
    for s in specs:
        by_char.setdefault(s.character, set()).add(s.split)
        assert SequenceSpec.from_json(s.to_json()) == s
    assert all(len(v) == 1 for v in by_char.values())  # a character's clips share one split
    splits = [next(iter(by_char[c])) for c in range(8)]
    assert "test" in splits and "val" in splits and "train" in splits
    # Adding characters never moves an existing one to another split.
    assert assign_splits(0, 40, 0.1, 0.1)[8:] == assign_splits(0, 60, 0.1, 0.1)[8:40]
    assert plan_sequences(RenderConfig(characters=3, seed=5)) == plan_sequences(RenderConfig(characters=3, seed=5))


def test_actions_return_to_rest_and_chain():
    from blender_scripts.animate import ACTION_FUNCS, Animator
    from blender_scripts.characters.rig import JointInfo

    joints = {j.name: j for j in [
        JointInfo("root", None, (0, 0, 1), "root"), JointInfo("spine", "root", (0, 0, 1), "spine"),
        JointInfo("head", "spine", (0, 0, 1.6), "head"),
        JointInfo("shoulder_l", "spine", (0.2, 0, 1.4), "arm", 1, 0), JointInfo("elbow_l", "shoulder_l", (0.3, 0, 1.1), "arm", 1, 1),
        JointInfo("hip_l", "root", (0.1, 0, 1), "leg", 1, 0), JointInfo("hip_r", "root", (-0.1, 0, 1), "leg", -1, 0),
        JointInfo("knee_l", "hip_l", (0.1, 0, 0.5), "leg", 1, 1)]}
    for name, fn in ACTION_FUNCS.items():
        a = Animator(joints, 2.0, np.random.default_rng(0), 0.0)
        fn(a, 1.0, 25.0)
        assert a.keys, name
        for (j, ch), keys in a.keys.items():
            assert min(keys) >= 1 and max(keys) <= 25, (name, j)
            if j != "root" and ch == "rotation_euler":
                assert keys[25] == (0.0, 0.0, 0.0), (name, j)  # back to rest: actions chain


@pytest.mark.parametrize("kw, msg", [
    ({"res": 8}, "out of range"), ({"model": "x.obj"}, "unsupported model type"),
    ({"model": "missing.glb"}, "model file is missing"), ({"families": ("dragonfly",)}, "unknown character family"),
    ({"backend": "k8s"}, "is not 'local' or 'ray'"), ({"gaps": (0,)}, "must be >= 1"),
])
def test_user_errors_are_one_line(kw, msg):
    with pytest.raises(LinecorrError, match=msg) as e:
        check_config(RenderConfig(**kw))
    assert "\n" not in str(e.value)


def test_cli_render_with_fake_renderer(tmp_path, capsys):
    from dataprep.cli import main

    out = tmp_path / "d"
    rc = main(["render", "--characters", "2", "--frames", "3", "--res", "48", "--out", str(out), "--gaps", "1,2",
               "--quiet", "--set", "renderer=fake"])
    assert rc == 0 and f"wrote {out}" in capsys.readouterr().out
    cfg = json.loads((out / "manifest.json").read_text())["producer"]["config"]
    assert cfg["gaps"] == [1, 2] and cfg["res"] == 48
    assert main(["render", "--out", str(tmp_path / "x"), "--model", str(tmp_path / "m.obj")]) == 2
    assert "unsupported model type" in capsys.readouterr().err


def test_line_styles_render_each_clip_in_each_style_and_validate(tmp_path):
    from dataprep.format.validate import validate_dataset

    cfg = _fake_cfg(characters=3, frames=3, res=96, line_style="exact,clean,rough,extracted", gaps=(1,))
    out = run_render(cfg, tmp_path / "styles", progress=False)
    assert validate_dataset(out) == []
    ds = Dataset.open(out)
    assert len(ds.clip_ids) == 12 and sum(len(v) for v in ds.splits.values()) == 12
    for style in ("exact", "clean", "rough", "extracted"):
        clips = ds.line_style_clips(style)
        assert len(clips) == 3 and all(c.endswith("-" + style) for c in clips)
    base = ds.clip_ids[0].rsplit("-", 1)[0]
    frames = {s: ds.load_frame(f"{base}-{s}", "0000") for s in ("exact", "clean", "rough", "extracted")}
    # One render, four drawings: the exact part map is the same under every style.
    for f in frames.values():
        assert f.parts is not None and np.array_equal(f.parts, frames["exact"].parts)
        assert f.segments.purity is not None and ((f.segments.purity > 0) & (f.segments.purity <= 1)).all()
    assert ds.load_pair(f"{base}-rough/0000__0001").region_matches  # part regions match whatever the drawing
    assert ds.load_pair(f"{base}-exact/0000__0001").matches


def test_v1_style_output_has_no_format_1_1_layers(tmp_path):
    out = run_render(_fake_cfg(characters=1, frames=2, res=64, part_maps=False), tmp_path / "v1", progress=False)
    ds = Dataset.open(out)
    f = ds.load_frame(ds.clip_ids[0], "0000")
    assert f.parts is None and f.segments.purity is None
    assert "region_matches" not in json.loads(next((out / "pairs").rglob("*.json")).read_text())


def test_line_style_mix_draws_one_style_per_clip(tmp_path):
    cfg = _fake_cfg(characters=6, frames=2, res=64, line_style="mix", gaps=(1,))
    cfg.lines.mix = {"clean": 0.5, "rough": 0.5}
    out = run_render(cfg, tmp_path / "mix", progress=False)
    ds = Dataset.open(out)
    styles = [ds.clip(c).meta["line_style"] for c in ds.clip_ids]
    assert len(ds.clip_ids) == 6 and set(styles) <= {"clean", "rough"} and len(set(styles)) == 2


def test_bad_line_style_is_one_line(tmp_path):
    with pytest.raises(LinecorrError, match="--line-style"):
        check_config(_fake_cfg(line_style="sketchy"))
    with pytest.raises(LinecorrError, match="part_maps"):
        check_config(_fake_cfg(line_style="rough", part_maps=False))


def test_explicit_test_characters_cover_every_family():
    cfg = RenderConfig(characters=20, test_characters=8, val_characters=2, renderer="fake")
    specs = plan_sequences(cfg)
    test = [s for s in specs if s.split == "test"]
    assert [s.character for s in test] == list(range(8)) and len({s.family for s in test}) == 8
    assert [s.split for s in specs[8:10]] == ["val", "val"]


def test_kept_raw_renders_are_converted_again_without_rendering(tmp_path, monkeypatch):
    import shutil

    cfg = _fake_cfg(characters=2, frames=2, res=64, keep_raw=True, line_style="exact,rough")
    out = run_render(cfg, tmp_path / "ds", progress=False)
    first = _tree_bytes(out)
    shutil.rmtree(out)
    # A renderer that would crash proves the second run never starts one: only the drawing is redone.
    monkeypatch.setenv("LINECORR_FAKE_CRASH", ",".join(s.clip for s in plan_sequences(cfg)))
    out = run_render(cfg, tmp_path / "ds", progress=False)
    assert _tree_bytes(out) == first


def test_tone_codes_send_ties_up_and_ignore_float_noise():
    from blender_scripts.render_sequence import tone_codes

    n = 16  # samples: the mean of codes 0 / 0.5 / 1 lies on a grid of 1/32
    grid = np.arange(0, 2 * n + 1, dtype=np.float64) / (2 * n)
    rounded = np.clip(np.floor(grid * 2 + 0.5), 0, 2)  # ties (8 of 16 samples each way) rounded up
    for noise in (0.0, 3e-7, -3e-7, 0.4 / (4 * n), -0.4 / (4 * n)):
        got = tone_codes((grid + noise).clip(0, 1).astype(np.float32), n)
        assert got.dtype == np.uint8 and (got == rounded).all(), noise
    # the ties themselves: exactly half the samples on each side goes to the higher tone
    assert tone_codes(np.float32([0.25, 0.75]), n).tolist() == [1, 2]
    # one sample less on the upper side is the lower tone, whatever the noise
    assert tone_codes(np.float32([7 / 32 + 1e-6, 23 / 32 + 1e-6]), n).tolist() == [0, 1]
