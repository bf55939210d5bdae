"""linecorr render with real Blender (bpy): tiny renders, a few seconds each.

Each test renders in subprocesses (as the CLI does); the test process itself never imports bpy
beyond the availability check.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.blender
pytest.importorskip("bpy")

from blender_scripts.config import RenderConfig
from blender_scripts.job import run_render
from dataprep.format import Dataset

TINY = {"characters": 1, "frames": 3, "res": 64, "samples": 2, "families": ("chibi",), "gaps": (1, 2), "step": None}


def _cfg(**kw) -> RenderConfig:
    base = {k: v for k, v in TINY.items() if k != "step"}
    base.update(kw)
    return RenderConfig(**base)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return run_render(_cfg(), tmp_path_factory.mktemp("r") / "a", progress=False)


def test_same_seed_gives_byte_identical_label_maps(tiny, tmp_path):
    again = run_render(_cfg(), tmp_path / "b", progress=False)
    for sub in ("seg", "label", "segments", "line"):
        for p in sorted((tiny / "clips").glob(f"*/{sub}/*")):
            q = again / p.relative_to(tiny)
            assert p.read_bytes() == q.read_bytes(), p
    for p in sorted((tiny / "pairs").rglob("*.json")):
        assert p.read_bytes() == (again / p.relative_to(tiny)).read_bytes()


def test_render_layers_follow_the_format(tiny):
    from dataprep.format.validate import validate_dataset

    assert not validate_dataset(tiny)
    ds = Dataset.open(tiny)
    clip = ds.clip(ds.clip_ids[0])
    parts = {p["id"]: p for p in clip.meta["parts"]}
    assert 10 <= len(parts) <= 60 and clip.meta["family"] == "chibi"
    eyes = [p["color_label"] for p in parts.values() if p["name"] in ("eye_l", "eye_r")]
    assert len(eyes) == 2 and eyes[0] == eyes[1]  # non-unique color label
    for fid in clip.frames:
        f = ds.load_frame(clip.id, fid)
        assert (f.labels[f.seg == 0] == 0).all() and (f.line[f.seg == 0] == 0).all()
        assert f.labels.min() == -1 and f.labels[0, 0] == -1  # background
        seen = set(np.unique(f.labels[f.labels > 0]).tolist())
        assert seen <= set(parts) and len(seen) >= 5
        # each segment holds exactly one label (lines enclose every part)
        for s in np.unique(f.seg[f.seg > 0])[:200]:
            assert np.unique(f.labels[f.seg == s]).size == 1
        assert (f.color[f.seg == 0] == 0).all()  # lines inked on the color image
    pair = next(ds.pairs())
    ta, tb = ds.load_segments(pair.clip, pair.frame_a), ds.load_segments(pair.clip, pair.frame_b)
    assert pair.matches and all(ta.label_of()[m.a] == tb.label_of()[m.b] for m in pair.matches)


def test_all_families_build_with_10_to_60_parts(tmp_path):
    code = """
import json, numpy as np
from blender_scripts.characters import FAMILIES, build_character
from blender_scripts.characters.parts import Kit
from blender_scripts.materials import make_palette
from blender_scripts.scene import reset_scene
out = {}
for fam in FAMILIES:
    for seed in (0, 1):
        sc = reset_scene()
        kit = Kit(fam, np.random.default_rng(seed), make_palette(np.random.default_rng(seed)), (0, -0.6, 0.8), sc.collection)
        build_character(fam, kit)
        ids = [o.pass_index for o in kit.part_objects]
        assert ids == list(range(1, len(ids) + 1))
        out[f"{fam}{seed}"] = [len(ids), len(kit.joints)]
print("RESULT" + json.dumps(out))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, check=False)
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT")]
    assert line, r.stdout[-2000:] + r.stderr[-2000:]
    counts = json.loads(line[0][6:])
    assert len(counts) == 16
    for name, (parts, joints) in counts.items():
        assert 10 <= parts <= 60 and joints >= 10, (name, parts, joints)


def test_user_model_each_mesh_is_a_part(tmp_path):
    make = f"""
import bpy, bmesh
bpy.ops.wm.read_factory_settings(use_empty=True)
sc = bpy.context.scene
rig = bpy.data.objects.new("rig", None); sc.collection.objects.link(rig)
for name, loc, col in (("body", (0, 0, 0), (0.8, 0.2, 0.1)), ("head", (0, 0, 1.3), (0.1, 0.3, 0.8)),
                       ("hand", (1.0, 0, 0.2), (0.8, 0.2, 0.1))):
    me = bpy.data.meshes.new(name); bm = bmesh.new(); bmesh.ops.create_uvsphere(bm, u_segments=16, v_segments=8, radius=0.6)
    bm.to_mesh(me); bm.free()
    m = bpy.data.materials.new(name); m.use_nodes = True
    m.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (*col, 1)
    me.materials.append(m)
    ob = bpy.data.objects.new(name, me); sc.collection.objects.link(ob); ob.location = loc; ob.parent = rig
for f, x in ((1, 0.0), (10, 0.8)):
    rig.location.x = x; rig.keyframe_insert("location", frame=f)
bpy.ops.export_scene.gltf(filepath={str(tmp_path / 'toy.glb')!r}, export_format="GLB")
"""
    subprocess.run([sys.executable, "-c", make], capture_output=True, timeout=120, env={"HOME": str(tmp_path)},
                   check=True)
    out = run_render(_cfg(model=str(tmp_path / "toy.glb"), families=()), tmp_path / "m", progress=False)
    ds = Dataset.open(out)
    clip = ds.clip(ds.clip_ids[0])
    parts = {p["name"]: p for p in clip.meta["parts"]}
    assert set(parts) == {"body", "head", "hand"}
    assert parts["body"]["color_label"] == parts["hand"]["color_label"] != parts["head"]["color_label"]
    f = ds.load_frame(clip.id, clip.frames[0])
    assert set(np.unique(f.labels[f.labels > 0]).tolist()) == {p["id"] for p in parts.values()}


def test_shadow_segments_split_parts(tiny, tmp_path):
    out = run_render(_cfg(shadow_segments=True), tmp_path / "s", progress=False)
    plain, shaded = Dataset.open(tiny), Dataset.open(out)
    clip = plain.clip_ids[0]
    n_plain = len(plain.load_segments(clip, "0000"))
    tab = shaded.load_segments(clip, "0000")
    assert len(tab) > n_plain
    labels = tab.label[tab.label > 0]
    assert np.unique(labels).size < labels.size  # some part is now several (lit / shadow) segments
