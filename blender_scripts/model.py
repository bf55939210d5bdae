"""A user's own rigged, animated model (``--model FILE.blend|.glb|.gltf|.fbx``) as a sequence.

Every mesh object (``model_parts = "object"``) or every material (``"material"``) becomes a part
with a unique id: its ``pass_index`` feeds the IndexOB (or IndexMA) pass, so ids are pixel-exact
like the procedural characters. Materials are swapped for the fake-toon emission material with
the original base color, so the look matches the rest of the dataset. The file's own animation
(actions, armature, NLA) is played; its camera is used when it has one, else one is placed.
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np

from blender_scripts.materials import toon_material


def import_file(path: Path, scene: bpy.types.Scene) -> list[bpy.types.Object]:
    """Bring every object of ``path`` into ``scene``; returns the new objects."""
    before = set(bpy.data.objects)
    ext = path.suffix.lower()
    if ext == ".blend":
        with bpy.data.libraries.load(str(path), link=False) as (src, dst):
            dst.objects = list(src.objects)
        for ob in dst.objects:
            if ob is not None and ob.name not in scene.collection.objects:
                scene.collection.objects.link(ob)
    elif ext in (".glb", ".gltf"):
        bpy.ops.import_scene.gltf(filepath=str(path))
    elif ext == ".fbx":
        bpy.ops.import_scene.fbx(filepath=str(path))
    else:  # check_config refuses these first; this guards direct use
        raise ValueError(f"unsupported model type {ext!r}")
    return sorted((ob for ob in bpy.data.objects if ob not in before), key=lambda o: o.name)


def base_color(mat: bpy.types.Material | None) -> tuple[int, int, int]:
    """sRGB uint8 base color of a material (Principled BSDF input, else its viewport color)."""
    rgb = (0.8, 0.8, 0.8)
    if mat is not None:
        rgb = tuple(mat.diffuse_color[:3])
        if mat.use_nodes and mat.node_tree:
            for node in mat.node_tree.nodes:
                if node.type == "BSDF_PRINCIPLED" and not node.inputs["Base Color"].is_linked:
                    rgb = tuple(node.inputs["Base Color"].default_value[:3])
                    break
    lin = np.clip(np.asarray(rgb, np.float64), 0, 1)
    srgb = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)
    return tuple(int(round(v * 255)) for v in srgb)


def frame_range(objects) -> tuple[int, int]:
    """First and last keyed frame over the objects' actions and NLA strips (1, 1 if static)."""
    lo, hi = np.inf, -np.inf
    for ob in objects:
        ad = ob.animation_data
        if ad is None:
            continue
        actions = [ad.action] if ad.action else []
        actions += [s.action for t in ad.nla_tracks for s in t.strips if s.action]
        for act in actions:
            a, b = act.frame_range
            lo, hi = min(lo, a), max(hi, b)
    return (1, 1) if lo == np.inf else (int(np.floor(lo)), int(np.ceil(hi)))


def load_model(scene: bpy.types.Scene, spec, rng: np.random.Generator):
    """Import ``spec.model`` and make its parts; returns ``(parts, objects, first frame, meta)``."""
    path = Path(spec.model)
    objects = import_file(path, scene)
    meshes = [ob for ob in objects if ob.type == "MESH" and not ob.hide_render]
    light = tuple(spec.light)
    colors: dict[tuple[int, int, int], int] = {}
    parts = []
    if spec.model_parts == "material":
        mats = sorted({s.material for ob in meshes for s in ob.material_slots if s.material}, key=lambda m: m.name)
        swap = {}
        for pid, mat in enumerate(mats, start=1):
            rgb = base_color(mat)
            toon = toon_material(f"toon_{mat.name}", rgb, light, rng, spec.shadow_segments)
            toon.pass_index = pid  # IndexMA
            swap[mat] = toon
            parts.append(_part(pid, mat.name, rgb, colors))
        for ob in meshes:
            for s in ob.material_slots:
                if s.material in swap:
                    s.material = swap[s.material]
        id_pass = "IndexMA"
    else:
        for pid, ob in enumerate(meshes, start=1):
            first = ob.material_slots[0].material if ob.material_slots else None
            rgb = base_color(first)
            toon = toon_material(f"toon_{ob.name}", rgb, light, rng, spec.shadow_segments)
            if not ob.material_slots:
                ob.data.materials.append(None)
            for s in ob.material_slots:
                s.link = "OBJECT"  # meshes may be shared between parts
                s.material = toon
            ob.pass_index = pid  # IndexOB
            parts.append(_part(pid, ob.name, rgb, colors))
        id_pass = "IndexOB"
    cams = [ob for ob in objects if ob.type == "CAMERA"]
    if cams:
        scene.camera = cams[0]
    first, last = frame_range(objects)
    meta = {"family": "model", "model": path.name, "model_parts": spec.model_parts, "id_pass": id_pass,
            "file_frames": [first, last], "auto_camera": not cams, "meshes": len(meshes)}
    return parts, meshes, first, meta


def _part(pid: int, name: str, rgb: tuple[int, int, int], colors: dict) -> dict:
    """A part record; parts with the same base color share a color label (like both eyes)."""
    label = colors.setdefault(rgb, len(colors))
    return {"id": pid, "name": name, "slot": f"rgb{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}", "joint": "",
            "rgb": list(rgb), "color_label": label}
