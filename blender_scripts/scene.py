"""Scene and render settings (the measured recipe in docs/ARCHITECTURE.md, "bpy"), and the raw-output nodes.

Cycles on CPU needs no OpenGL. Every shader is an emission, so ``max_bounces = 0`` and 16 samples
only anti-alias the edges; the IndexOB pass is never filtered, so the part ids come out
pixel-exact in the same render as the anti-aliased color. Factory defaults are wrong for this
(Filmic/AgX view transform, denoising, dither noise), so everything is set explicitly.
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np
from mathutils import Vector

#: File Output slot prefixes (the node appends the 4-digit frame number and ".exr").
IDS_PREFIX = "ids_"
TONE_PREFIX = "tone_"


def reset_scene() -> bpy.types.Scene:
    """An empty scene (no default cube, light or camera)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return bpy.context.scene


def setup_render(scene: bpy.types.Scene, res: int, samples: int, filter_width: float, threads: int,
                 seed: int = 0) -> None:
    """Cycles CPU, ``samples`` spp, Blackman-Harris filter, no denoise/bounces/dither, Standard view."""
    r = scene.render
    r.engine = "CYCLES"
    c = scene.cycles
    c.device = "CPU"
    c.samples = samples
    c.use_adaptive_sampling = False  # fixed work per pixel: same cost and noise every frame
    c.use_denoising = False
    c.max_bounces = 0  # emission only: nothing to bounce
    c.filter_type = "BLACKMAN_HARRIS"
    c.filter_width = filter_width
    c.seed = seed
    c.use_animated_seed = False
    r.use_persistent_data = True  # keep the BVH between frames of the sequence
    r.resolution_x = r.resolution_y = res
    r.resolution_percentage = 100
    r.dither_intensity = 0.0  # dither adds noise to the 8-bit color: breaks determinism of colors
    r.film_transparent = False
    if threads > 0:
        r.threads_mode = "FIXED"
        r.threads = threads
    scene.view_settings.view_transform = "Standard"  # sRGB in = sRGB out (AgX would shift palettes)
    scene.view_settings.look = "None"
    scene.view_settings.exposure = 0.0
    scene.view_settings.gamma = 1.0
    scene.display_settings.display_device = "sRGB"
    scene.sequencer_colorspace_settings.name = "sRGB"
    r.image_settings.file_format = "PNG"
    r.image_settings.color_mode = "RGB"
    r.image_settings.color_depth = "8"
    r.image_settings.compression = 15  # fast: these PNGs are temporary
    world = bpy.data.worlds.new("paper")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (1.0, 1.0, 1.0, 1.0)
    world.node_tree.nodes["Background"].inputs["Strength"].default_value = 1.0
    scene.world = world


def setup_id_outputs(scene: bpy.types.Scene, raw_dir: Path, tone: bool = False, id_pass: str = "IndexOB") -> None:
    """Compositor: Render Layers -> Composite (color), ``id_pass`` (and AOV "tone") -> 32-bit EXR files.

    ``id_pass`` is "IndexOB" (object pass_index) or "IndexMA" (material pass_index).
    """
    vl = scene.view_layers[0]
    vl.use_pass_object_index = id_pass == "IndexOB"
    vl.use_pass_material_index = id_pass == "IndexMA"
    if tone:
        aov = vl.aovs.add()
        aov.name = "tone"
        aov.type = "VALUE"
    scene.use_nodes = True
    nt = scene.node_tree
    nt.nodes.clear()
    rl = nt.nodes.new("CompositorNodeRLayers")
    comp = nt.nodes.new("CompositorNodeComposite")
    nt.links.new(rl.outputs["Image"], comp.inputs["Image"])
    fo = nt.nodes.new("CompositorNodeOutputFile")
    fo.base_path = str(raw_dir)
    fo.format.file_format = "OPEN_EXR"
    fo.format.color_depth = "32"  # float32: ids exact far beyond the 2048 a half float holds
    fo.format.exr_codec = "ZIP"
    fo.file_slots[0].path = IDS_PREFIX
    nt.links.new(rl.outputs[id_pass], fo.inputs[0])
    if tone:
        fo.file_slots.new(TONE_PREFIX)
        nt.links.new(rl.outputs["tone"], fo.inputs[1])


def read_exr_channel(path: Path) -> np.ndarray:
    """First channel of an EXR written by the File Output node as ``(H, W) float32``, top row first."""
    img = bpy.data.images.load(str(path))
    try:
        w, h = img.size
        buf = np.empty(w * h * img.channels, np.float32)
        img.pixels.foreach_get(buf)
    finally:
        bpy.data.images.remove(img)
    # Blender stores images bottom-up: flip so row 0 is the top, like every other image here.
    return buf.reshape(h, w, -1)[::-1, :, 0].copy()


def world_bounds(objects, scene: bpy.types.Scene | None = None) -> tuple[np.ndarray, np.ndarray]:
    """World-space ``(min xyz, max xyz)`` of the objects' bounding boxes at the current frame."""
    if scene is not None:
        bpy.context.view_layer.update()
    pts = [ob.matrix_world @ Vector(c) for ob in objects if ob.type == "MESH" for c in ob.bound_box]
    if not pts:
        return np.zeros(3), np.ones(3)
    a = np.array([tuple(p) for p in pts])
    return a.min(0), a.max(0)


def add_camera(scene: bpy.types.Scene, lens: float = 50.0) -> bpy.types.Object:
    """A perspective camera (36 mm sensor) made the scene camera; the animator places it."""
    cam = bpy.data.cameras.new("camera")
    cam.lens = lens
    cam.sensor_fit = "HORIZONTAL"
    cam.sensor_width = 36.0
    cam.clip_start = 0.01
    cam.clip_end = 1000.0
    ob = bpy.data.objects.new("camera", cam)
    scene.collection.objects.link(ob)
    scene.camera = ob
    ob.rotation_mode = "XYZ"
    return ob


def set_border(scene: bpy.types.Scene, objects, margin_px: float = 6.0) -> float:
    """Restrict rendering to the objects' projected bounding box (+ ``margin_px``); returns its area share.

    Pixels outside the border are left black by Cycles and are pure background in a full render
    (nothing but the white world is there), so :mod:`blender_scripts.to_format` paints every pixel
    far from all parts white. Rendering cost is ~proportional to the rendered area, and a character
    covers a fraction of the frame. Falls back to the full frame when a box corner is behind the
    camera (close zoom), where the projection of the corners does not bound the mesh.
    """
    from bpy_extras.object_utils import world_to_camera_view

    cam = scene.camera
    pts = np.array([tuple(world_to_camera_view(scene, cam, ob.matrix_world @ Vector(c)))
                    for ob in objects if ob.type == "MESH" for c in ob.bound_box])
    r = scene.render
    if pts.size == 0 or (pts[:, 2] <= cam.data.clip_start).any():
        r.use_border = False
        return 1.0
    m = margin_px / r.resolution_x
    lo = np.clip(pts[:, :2].min(0) - m, 0, 1)
    hi = np.clip(pts[:, :2].max(0) + m, 0, 1)
    if (hi - lo).min() <= 2 * m:  # nothing of the character in view: any tiny region will do
        lo, hi = np.zeros(2), np.full(2, 4.0 / r.resolution_x)
    r.use_border = True
    r.use_crop_to_border = False
    r.border_min_x, r.border_min_y = float(lo[0]), float(lo[1])
    r.border_max_x, r.border_max_y = float(hi[0]), float(hi[1])
    return float(np.prod(hi - lo))
