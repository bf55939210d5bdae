"""Palettes (pure numpy) and the fake-toon emission material (bpy, imported lazily).

The toon look is an emission shader whose color is a *constant* color ramp of ``normal · light``:
2-3 flat tones per part (shadow, base, highlight), no lights, no bounces, so Cycles only
anti-aliases. Colors are given in sRGB (what a colorist picks) and converted to the linear values
the shader nodes expect; with the Standard view transform they come back out as the same sRGB.
"""

from __future__ import annotations

import colorsys

import numpy as np

#: Color slots: a part's *color label* is the index of its slot here. Labels are non-unique within
#: a character (both eyes are "eye_white") and mean the same thing in every clip.
SLOTS = (
    "skin", "hair", "eye_white", "pupil", "mouth", "brow", "top", "bottom", "shoes", "accent",
    "metal", "prop", "fur", "fur_light", "beak", "feather", "scale", "belly", "blush", "glow",
)
SLOT_INDEX = {name: i for i, name in enumerate(SLOTS)}

# Fixed-ish colors: eyes are white-ish, pupils dark, mouths red-brown, like most character sheets.
_FIXED = {"eye_white": (0.0, 0.0, 0.97), "pupil": (0.6, 0.6, 0.15), "mouth": (0.98, 0.55, 0.55),
          "brow": (0.08, 0.5, 0.25), "blush": (0.97, 0.45, 0.93)}


def make_palette(rng: np.random.Generator) -> dict[str, tuple[int, int, int]]:
    """A random palette: slot name -> sRGB ``(R, G, B)`` uint8 values.

    Hues are spread so that neighbouring parts (top vs bottom, skin vs hair) rarely collide.
    """
    pal: dict[str, tuple[int, int, int]] = {}
    base_hue = rng.uniform(0, 1)
    for i, name in enumerate(SLOTS):
        if name in _FIXED:
            h, s, v = _FIXED[name]
            h = (h + rng.uniform(-0.03, 0.03)) % 1
        elif name == "skin":
            h, s, v = rng.uniform(0.02, 0.1), rng.uniform(0.2, 0.55), rng.uniform(0.55, 0.97)
        else:
            h = (base_hue + i * 0.618034 + rng.uniform(-0.05, 0.05)) % 1
            s, v = rng.uniform(0.35, 0.85), rng.uniform(0.45, 0.95)
        r, g, b = colorsys.hsv_to_rgb(h, s, v)
        pal[name] = (int(round(r * 255)), int(round(g * 255)), int(round(b * 255)))
    return pal


def srgb_to_linear(c: float) -> float:
    """One sRGB channel in [0, 1] to linear (the inverse of the Standard view transform)."""
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def tones(rgb: tuple[int, int, int], rng: np.random.Generator) -> list[tuple[float, tuple[float, float, float]]]:
    """The ramp stops of one color: ``[(position, linear RGB)]`` for shadow, base and (maybe) highlight.

    Positions are in ``normal · light`` units remapped to [0, 1] (0.5 = grazing light).
    """
    base = np.asarray(rgb, np.float64) / 255.0
    shadow = base * rng.uniform(0.55, 0.75)
    stops = [(0.0, shadow), (rng.uniform(0.42, 0.55), base)]
    if rng.random() < 0.6:  # 2 or 3 tones, as cel shading varies between productions
        stops.append((rng.uniform(0.85, 0.93), base + (1 - base) * rng.uniform(0.25, 0.45)))
    return [(float(p), tuple(srgb_to_linear(float(v)) for v in np.clip(c, 0, 1))) for p, c in stops]


def toon_material(name: str, rgb: tuple[int, int, int], light: tuple[float, float, float],
                  rng: np.random.Generator, tone_aov: bool = False):
    """A fake-toon emission material: Geometry normal · light -> constant ramp -> Emission.

    Args:
        rgb: base color, sRGB uint8.
        light: world-space light direction (unit vector, pointing from the surface to the light).
        tone_aov: also write the tone index / 2 (0 shadow, 0.5 base, 1 highlight) to the AOV
            "tone", so the lit/shadow boundary can become a line (``shadow_segments``).

    Returns:
        ``bpy.types.Material``.
    """
    import bpy

    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nt = mat.node_tree
    nt.nodes.clear()
    geo = nt.nodes.new("ShaderNodeNewGeometry")
    dot = nt.nodes.new("ShaderNodeVectorMath")
    dot.operation = "DOT_PRODUCT"
    dot.inputs[1].default_value = light
    remap = nt.nodes.new("ShaderNodeMapRange")  # [-1, 1] -> [0, 1] so ramp positions read naturally
    remap.inputs["From Min"].default_value = -1.0
    ramp = nt.nodes.new("ShaderNodeValToRGB")
    ramp.color_ramp.interpolation = "CONSTANT"
    stops = tones(rgb, rng)
    _set_stops(ramp.color_ramp, [(p, (*c, 1.0)) for p, c in stops])
    emit = nt.nodes.new("ShaderNodeEmission")
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    nt.links.new(geo.outputs["Normal"], dot.inputs[0])
    nt.links.new(dot.outputs["Value"], remap.inputs["Value"])
    nt.links.new(remap.outputs["Result"], ramp.inputs["Fac"])
    nt.links.new(ramp.outputs["Color"], emit.inputs["Color"])
    nt.links.new(emit.outputs["Emission"], out.inputs["Surface"])
    if tone_aov:
        idx = nt.nodes.new("ShaderNodeValToRGB")
        idx.color_ramp.interpolation = "CONSTANT"
        n = len(stops)
        _set_stops(idx.color_ramp, [(p, (k / 2, k / 2, k / 2, 1.0)) for k, (p, _) in enumerate(stops[:n])])
        aov = nt.nodes.new("ShaderNodeOutputAOV")
        aov.aov_name = "tone"
        nt.links.new(remap.outputs["Result"], idx.inputs["Fac"])
        nt.links.new(idx.outputs["Color"], aov.inputs["Value"])
    return mat


def _set_stops(ramp, stops: list[tuple[float, tuple[float, float, float, float]]]) -> None:
    """Replace a color ramp's stops (a new ramp has two; Blender needs at least one)."""
    els = ramp.elements
    while len(els) > 1:
        els.remove(els[-1])
    els[0].position, els[0].color = stops[0]
    for pos, col in stops[1:]:
        e = els.new(pos)
        e.color = col
