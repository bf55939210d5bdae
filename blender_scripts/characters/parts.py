"""Primitive parts and the joint hierarchy, built with bpy's data API (no operators, no context).

:class:`Kit` is what every family builder draws with: ``kit.joint(...)`` adds an empty to the
hierarchy, ``kit.ellipsoid / limb / lathe / box / cone`` add a mesh part parented to a joint.
All positions are given in world rest coordinates (see :mod:`.rig`); the kit turns them into
local offsets. Every part gets a unique ``pass_index`` (its id in the IndexOB pass) and the
shared toon material of its color slot. Identical meshes (left/right eyes) share one datablock.
"""

from __future__ import annotations

import math

# isort: off
import bpy  # first: importing bpy is what makes its bundled bmesh/mathutils importable
import bmesh
# isort: on
import numpy as np
from mathutils import Vector

from blender_scripts.characters.rig import JointInfo, PartInfo
from blender_scripts.materials import SLOTS, toon_material

Vec3 = tuple[float, float, float]


def _v(p) -> Vector:
    return Vector((float(p[0]), float(p[1]), float(p[2])))


def lathe_mesh(name: str, profile: list[tuple[float, float]], segments: int = 24, cap: bool = True) -> bpy.types.Mesh:
    """A surface of revolution about +Z from a ``[(radius, z)]`` profile (bottom to top).

    Profile points with radius 0 become poles; an open end (radius > 0) is closed by an n-gon
    when ``cap`` (so no part is ever see-through, which would leak other ids into it).
    """
    verts: list[Vec3] = []
    rings: list[list[int] | int] = []
    ang = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    for r, z in profile:
        if r <= 1e-6:
            rings.append(len(verts))
            verts.append((0.0, 0.0, float(z)))
        else:
            start = len(verts)
            verts.extend((float(r * math.cos(a)), float(r * math.sin(a)), float(z)) for a in ang)
            rings.append(list(range(start, start + segments)))
    faces: list[tuple[int, ...]] = []
    for lo, hi in zip(rings[:-1], rings[1:]):
        if isinstance(lo, int) and isinstance(hi, list):
            faces.extend((lo, hi[(i + 1) % segments], hi[i]) for i in range(segments))
        elif isinstance(lo, list) and isinstance(hi, int):
            faces.extend((lo[i], lo[(i + 1) % segments], hi) for i in range(segments))
        elif isinstance(lo, list) and isinstance(hi, list):
            faces.extend((lo[i], lo[(i + 1) % segments], hi[(i + 1) % segments], hi[i]) for i in range(segments))
    if cap and isinstance(rings[0], list):
        faces.append(tuple(reversed(rings[0])))
    if cap and isinstance(rings[-1], list):
        faces.append(tuple(rings[-1]))
    me = bpy.data.meshes.new(name)
    me.from_pydata(verts, [], faces)
    me.polygons.foreach_set("use_smooth", [True] * len(me.polygons))
    me.validate()
    return me


def capsule_profile(length: float, r1: float, r2: float, n: int = 5) -> list[tuple[float, float]]:
    """Profile of a tapered capsule: hemisphere radius ``r1`` at z=0, ``r2`` at z=``length``."""
    lo = [(r1 * math.cos(t), r1 * math.sin(t)) for t in np.linspace(-math.pi / 2, 0, n + 1)]
    hi = [(r2 * math.cos(t), length + r2 * math.sin(t)) for t in np.linspace(0, math.pi / 2, n + 1)]
    return [(0.0, -r1)] + lo[1:] + hi[1:-1] + [(0.0, length + r2)]


class Kit:
    """Builds one character: joints (empties) and parts (meshes) in ``collection``."""

    def __init__(self, family: str, rng: np.random.Generator, palette: dict[str, tuple[int, int, int]],
                 light: Vec3, collection: bpy.types.Collection, tone_aov: bool = False) -> None:
        self.family = family
        self.rng = rng
        self.palette = palette
        self.light = tuple(light)
        self.collection = collection
        self.tone_aov = tone_aov
        self.joints: dict[str, JointInfo] = {}
        self.joint_objects: dict[str, bpy.types.Object] = {}
        self.parts: list[PartInfo] = []
        self.part_objects: list[bpy.types.Object] = []
        self._materials: dict[str, bpy.types.Material] = {}
        self._meshes: dict[tuple, bpy.types.Mesh] = {}
        # Own rng for material tones, so adding a part never changes another part's shape.
        self._tone_rng = np.random.default_rng(int(rng.integers(2**31)))

    # ---- hierarchy ---------------------------------------------------------------------------
    def joint(self, name: str, parent: str | None, at, kind: str = "", side: int = 0, seg: int = 0,
              pair: int = 0) -> str:
        """Add a joint (an empty) at world rest position ``at``; returns its name."""
        ob = bpy.data.objects.new(f"J_{name}", None)
        ob.empty_display_size = 0.05
        self.collection.objects.link(ob)
        rest = _v(at)
        if parent is not None:
            ob.parent = self.joint_objects[parent]
            ob.location = rest - _v(self.joints[parent].rest)
        else:
            ob.location = rest
        ob.rotation_mode = "XYZ"
        self.joints[name] = JointInfo(name, parent, tuple(float(x) for x in rest), kind, side, seg, pair)
        self.joint_objects[name] = ob
        return name

    # ---- parts -------------------------------------------------------------------------------
    def _material(self, slot: str) -> bpy.types.Material:
        if slot not in SLOTS:
            raise KeyError(f"unknown color slot {slot!r}")
        if slot not in self._materials:
            self._materials[slot] = toon_material(f"toon_{slot}", self.palette[slot], self.light,
                                                  self._tone_rng, self.tone_aov)
        return self._materials[slot]

    def _add(self, name: str, mesh: bpy.types.Mesh, joint: str, at, rot, scale, slot: str) -> bpy.types.Object:
        pid = len(self.parts) + 1
        ob = bpy.data.objects.new(name, mesh)
        self.collection.objects.link(ob)
        ob.parent = self.joint_objects[joint]
        ob.location = _v(at) - _v(self.joints[joint].rest)
        ob.rotation_mode = "XYZ"
        ob.rotation_euler = tuple(float(r) for r in rot)
        ob.scale = tuple(float(s) for s in scale)
        ob.pass_index = pid  # IndexOB: the part id, pixel-exact in the render
        if not mesh.materials:
            mesh.materials.append(None)
        # Link the material to the object, not the (shared) mesh: eyes share a mesh, not always a slot.
        ob.material_slots[0].link = "OBJECT"
        ob.material_slots[0].material = self._material(slot)
        self.parts.append(PartInfo(pid, name, slot, joint))
        self.part_objects.append(ob)
        return ob

    def _cached(self, key: tuple, make) -> bpy.types.Mesh:
        if key not in self._meshes:
            self._meshes[key] = make()
        return self._meshes[key]

    def _sphere_mesh(self, detail: int) -> bpy.types.Mesh:
        def make():
            me = bpy.data.meshes.new(f"sphere{detail}")
            bm = bmesh.new()
            bmesh.ops.create_uvsphere(bm, u_segments=8 * detail, v_segments=4 * detail, radius=1.0)
            bm.to_mesh(me)
            bm.free()
            me.polygons.foreach_set("use_smooth", [True] * len(me.polygons))
            return me
        return self._cached(("sphere", detail), make)

    def ellipsoid(self, name: str, joint: str, at, radii, slot: str, rot=(0, 0, 0), detail: int = 0) -> bpy.types.Object:
        """An ellipsoid with semi-axes ``radii`` (x, y, z) centred at ``at``."""
        detail = detail or (3 if max(radii) > 0.08 else 2)
        return self._add(name, self._sphere_mesh(detail), joint, at, rot, radii, slot)

    def lathe(self, name: str, joint: str, at, profile: list[tuple[float, float]], slot: str, rot=(0, 0, 0),
              scale=(1, 1, 1), segments: int = 24) -> bpy.types.Object:
        """A surface of revolution (see :func:`lathe_mesh`) whose z=0 sits at ``at``."""
        key = ("lathe", segments, tuple((round(r, 4), round(z, 4)) for r, z in profile))
        me = self._cached(key, lambda: lathe_mesh(f"lathe_{name}", profile, segments))
        return self._add(name, me, joint, at, rot, scale, slot)

    def limb(self, name: str, joint: str, a, b, r1: float, r2: float, slot: str, segments: int = 16) -> bpy.types.Object:
        """A tapered capsule from ``a`` (radius ``r1``) to ``b`` (radius ``r2``)."""
        d = _v(b) - _v(a)
        rot = Vector((0, 0, 1)).rotation_difference(d.normalized()).to_euler("XYZ") if d.length > 1e-9 else (0, 0, 0)
        return self.lathe(name, joint, a, capsule_profile(d.length, r1, r2), slot, rot=tuple(rot), segments=segments)

    def cone(self, name: str, joint: str, a, b, r: float, slot: str, r_tip: float = 0.0) -> bpy.types.Object:
        """A (truncated) cone with base radius ``r`` at ``a`` and its tip at ``b``."""
        d = _v(b) - _v(a)
        rot = Vector((0, 0, 1)).rotation_difference(d.normalized()).to_euler("XYZ")
        prof = [(0.0, 0.0), (r, 0.0), (r_tip, d.length)] if r_tip > 0 else [(0.0, 0.0), (r, 0.0), (0.0, d.length)]
        if r_tip > 0:
            prof.append((0.0, d.length))
        return self.lathe(name, joint, a, prof, slot, rot=tuple(rot), segments=16)

    def box(self, name: str, joint: str, at, size, slot: str, rot=(0, 0, 0), bevel: float = 0.0) -> bpy.types.Object:
        """A box of full extents ``size`` centred at ``at``; flat shaded (faceted robot look)."""
        def make():
            me = bpy.data.meshes.new("box")
            bm = bmesh.new()
            bmesh.ops.create_cube(bm, size=1.0)
            if bevel > 0:
                bmesh.ops.bevel(bm, geom=list(bm.edges) + list(bm.verts), offset=bevel, segments=2,
                                affect="EDGES", profile=0.5)
            bm.to_mesh(me)
            bm.free()
            return me
        return self._add(name, self._cached(("box", round(bevel, 4)), make), joint, at, rot, size, slot)

    def torus(self, name: str, joint: str, at, major: float, minor: float, slot: str, rot=(0, 0, 0),
              scale=(1, 1, 1)) -> bpy.types.Object:
        """A ring (belt, collar, halo) in the local XY plane: a lathe of a circle."""
        t = np.linspace(-np.pi / 2, 3 * np.pi / 2, 13)
        prof = [(major + minor * math.cos(a), minor * math.sin(a)) for a in t]
        key = ("torus", round(major, 4), round(minor, 4))
        me = self._cached(key, lambda: lathe_mesh(f"torus_{name}", prof[:-1] + [prof[0]], 24, cap=False))
        return self._add(name, me, joint, at, rot, scale, slot)


def on_ellipsoid(center, radii, direction) -> Vec3:
    """The point of an ellipsoid's surface along ``direction`` from its centre (eyes on a head)."""
    d = np.asarray(direction, np.float64)
    d = d / np.linalg.norm(d)
    r = np.asarray(radii, np.float64)
    t = 1.0 / np.sqrt(np.sum((d / r) ** 2))
    return tuple((np.asarray(center, np.float64) + t * d).tolist())


def face_dir(yaw: float, pitch: float) -> Vec3:
    """A direction on a head: ``yaw`` radians towards +X (character's left), ``pitch`` up; 0,0 = -Y."""
    return (math.sin(yaw) * math.cos(pitch), -math.cos(yaw) * math.cos(pitch), math.sin(pitch))
