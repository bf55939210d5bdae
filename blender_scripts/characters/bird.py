"""Bird family: round body, head with two-part beak, crest feathers, two-segment wings with
primary feathers, tail fan, thin legs with three toes each. 32-44 parts."""

from __future__ import annotations

import math

import numpy as np

from blender_scripts.characters.parts import Kit, face_dir, on_ellipsoid


def build(kit: Kit) -> None:
    rng = kit.rng
    u = lambda a, b: float(rng.uniform(a, b))
    br, ll = u(0.28, 0.4), u(0.2, 0.35)  # body radius, leg length
    cz = ll + br * 0.85
    kit.joint("root", None, (0, 0, cz), "root")
    kit.joint("spine", "root", (0, 0, cz), "spine")
    body_r = (br * 0.9, br * u(1.0, 1.25), br)
    kit.ellipsoid("body", "spine", (0, 0, cz), body_r, "feather")
    kit.ellipsoid("belly", "spine", (0, -br * 0.35, cz - br * 0.15), (br * 0.7, br * 0.7, br * 0.78), "fur_light")
    hr = br * u(0.55, 0.75)
    hc = (0, -br * 0.35, cz + br * 0.75 + hr * 0.5)
    kit.joint("neck", "spine", (0, -br * 0.3, cz + br * 0.6), "neck")
    kit.joint("head", "neck", (0, hc[1], hc[2] - hr * 0.6), "head")
    r = (hr, hr, hr * 0.95)
    kit.ellipsoid("head", "head", hc, r, "feather")
    blen = hr * u(0.6, 1.3)
    base = (0, hc[1] - r[1] * 0.8, hc[2] - r[2] * 0.1)
    kit.cone("beak_upper", "head", base, (0, base[1] - blen, base[2] - blen * 0.15), hr * 0.3, "beak")
    kit.cone("beak_lower", "head", (0, base[1] + 0.01, base[2] - hr * 0.12),
             (0, base[1] - blen * 0.7, base[2] - hr * 0.2), hr * 0.2, "beak")
    for side, s in ((1, "l"), (-1, "r")):
        d = face_dir(side * 0.6, 0.2)
        p = np.asarray(on_ellipsoid(hc, r, d)) - np.asarray(d) * hr * 0.04
        kit.ellipsoid(f"eye_{s}", "head", tuple(p), (hr * 0.22, hr * 0.07, hr * 0.24), "eye_white", (-0.2, 0, side * 0.6))
        pp = on_ellipsoid(hc, np.asarray(r) + hr * 0.03, face_dir(side * 0.55, 0.18))
        kit.ellipsoid(f"pupil_{s}", "head", pp, (hr * 0.11, hr * 0.05, hr * 0.13), "pupil", (-0.2, 0, side * 0.6))
    for i in range(int(rng.integers(3, 6))):
        a = on_ellipsoid(hc, r, face_dir(0.0, 1.2 - 0.25 * i))
        tip = (0, a[1] + hr * (0.4 + 0.2 * i), a[2] + hr * u(0.5, 0.9))
        kit.cone(f"crest{i}", "head", a, tip, hr * 0.14, "accent")
    for side, s in ((1, "l"), (-1, "r")):
        sh = (side * body_r[0] * 0.85, -br * 0.1, cz + br * 0.35)
        kit.joint(f"shoulder_{s}", "spine", sh, "wing", side, 0)
        span = br * u(0.8, 1.2)
        ang = math.radians(u(45, 65))  # wings half open, hanging: the flap is visible from the front
        el = (sh[0] + side * span * math.sin(ang), sh[1], sh[2] - span * math.cos(ang))
        kit.joint(f"elbow_{s}", f"shoulder_{s}", el, "wing", side, 1)
        mid = tuple((np.asarray(sh) + np.asarray(el)) / 2)
        kit.ellipsoid(f"wing_inner_{s}", f"shoulder_{s}", mid, (span * 0.55, br * 0.45, br * 0.09), "feather",
                      (0, side * (math.pi / 2 - ang), 0))
        tip = (el[0] + side * span * 0.6 * math.sin(ang), el[1] + br * 0.1, el[2] - span * 0.6 * math.cos(ang))
        for k in range(3):  # primaries fan out from the wrist
            off = (k - 1) * br * 0.25
            end = (tip[0], tip[1] + off, tip[2] + abs(off) * 0.3)
            kit.limb(f"primary{k}_{s}", f"elbow_{s}", (el[0], el[1] + off * 0.4, el[2]), end, br * 0.12, br * 0.05,
                     "accent" if k == 1 else "feather", segments=10)
    kit.joint("tail0", "spine", (0, body_r[1] * 0.8, cz - br * 0.1), "tail", 0, 0)
    n = int(rng.integers(3, 6))
    for k in range(n):
        a = (k - (n - 1) / 2) * 0.35
        root = (0, body_r[1] * 0.8, cz - br * 0.1)
        kit.limb(f"tail_feather{k}", "tail0", root, (math.sin(a) * br * 0.8, root[1] + br * 0.9, root[2] + br * 0.3),
                 br * 0.12, br * 0.08, "accent" if k % 2 else "feather", segments=10)
    for side, s in ((1, "l"), (-1, "r")):
        hip = (side * br * 0.35, 0, cz - br * 0.7)
        kit.joint(f"hip_{s}", "root", hip, "leg", side, 0)
        ank = (hip[0], 0, 0.03)
        kit.joint(f"knee_{s}", f"hip_{s}", (hip[0], 0, ll * 0.5), "leg", side, 1)
        kit.limb(f"thigh_{s}", f"hip_{s}", hip, (hip[0], 0, ll * 0.5), br * 0.14, br * 0.07, "feather", segments=10)
        kit.limb(f"leg_{s}", f"knee_{s}", (hip[0], 0, ll * 0.5), ank, 0.02, 0.02, "beak", segments=8)
        for k in range(3):
            a = (k - 1) * 0.6
            kit.limb(f"toe{k}_{s}", f"knee_{s}", ank, (ank[0] + math.sin(a) * br * 0.3, -math.cos(a) * br * 0.35, 0.02),
                     0.018, 0.012, "beak", segments=8)
