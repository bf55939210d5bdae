"""Long-tailed creature (lizard / small dragon): low body, splayed legs with toes, a long
tapering tail chain of 6-10 segments, back spikes, slit pupils, nostrils. 40-60 parts."""

from __future__ import annotations

import numpy as np

from blender_scripts.characters.parts import Kit, face_dir, on_ellipsoid


def build(kit: Kit) -> None:
    rng = kit.rng
    u = lambda a, b: float(rng.uniform(a, b))
    bl, br, ll = u(0.6, 0.9), u(0.14, 0.2), u(0.18, 0.28)
    cz = ll * 0.9 + br * 0.4
    kit.joint("root", None, (0, 0, cz), "root")
    kit.joint("spine", "root", (0, 0, cz), "spine")
    kit.ellipsoid("body", "spine", (0, 0, cz), (br, bl / 2, br * 0.8), "scale")
    kit.ellipsoid("belly", "spine", (0, 0, cz - br * 0.35), (br * 0.75, bl * 0.42, br * 0.5), "belly")
    neck = (0, -bl * 0.45, cz + br * 0.15)
    kit.joint("neck", "spine", neck, "neck")
    hr = br * u(0.8, 1.05)
    hc = (0, neck[1] - hr * 0.9, neck[2] + hr * 0.45)
    kit.joint("head", "neck", (0, hc[1] + hr * 0.4, hc[2]), "head")
    kit.limb("neck", "neck", (0, neck[1] + br * 0.3, neck[2]), (0, hc[1] + hr * 0.3, hc[2]), br * 0.6, hr * 0.6, "scale")
    r = (hr * 0.85, hr * 1.05, hr * 0.7)
    kit.ellipsoid("head", "head", hc, r, "scale")
    sn = (0, hc[1] - r[1] * 0.9, hc[2] - r[2] * 0.15)
    kit.ellipsoid("snout", "head", sn, (r[0] * 0.62, r[1] * 0.75, r[2] * 0.55), "scale")
    kit.ellipsoid("mouth", "head", (0, sn[1] - r[1] * 0.1, sn[2] - r[2] * 0.32), (r[0] * 0.5, r[1] * 0.6, r[2] * 0.05), "mouth")
    if rng.random() < 0.5:
        kit.limb("tongue", "head", (0, sn[1] - r[1] * 0.6, sn[2] - r[2] * 0.3), (0, sn[1] - r[1] * 1.2, sn[2] - r[2] * 0.45),
                 r[0] * 0.07, r[0] * 0.05, "blush", segments=8)
    for side, s in ((1, "l"), (-1, "r")):
        d = face_dir(side * 0.8, 0.45)
        p = np.asarray(on_ellipsoid(hc, r, d)) - np.asarray(d) * hr * 0.05
        kit.ellipsoid(f"eye_{s}", "head", tuple(p), (hr * 0.22, hr * 0.1, hr * 0.22), "eye_white", (-0.45, 0, side * 0.8))
        pp = on_ellipsoid(hc, np.asarray(r) + hr * 0.05, face_dir(side * 0.78, 0.45))
        kit.ellipsoid(f"pupil_{s}", "head", pp, (hr * 0.04, hr * 0.05, hr * 0.17), "pupil", (-0.45, 0, side * 0.8))
        kit.ellipsoid(f"nostril_{s}", "head", (side * r[0] * 0.2, sn[1] - r[1] * 0.6, sn[2] + r[2] * 0.3),
                      (hr * 0.05, hr * 0.04, hr * 0.04), "pupil")
    for pair, y in ((0, -bl * 0.3), (1, bl * 0.3)):
        for side, s in ((1, "l"), (-1, "r")):
            tag = f"{'front' if pair == 0 else 'hind'}_{s}"
            hip = (side * br * 0.8, y, cz - br * 0.1)
            knee = (side * (br + ll * 0.7), y, cz - br * 0.05)  # splayed sideways, like a lizard
            foot = (knee[0] + side * ll * 0.1, y, 0.03)
            kit.joint(f"hip_{tag}", "root", hip, "leg", side, 0, pair)
            kit.joint(f"knee_{tag}", f"hip_{tag}", knee, "leg", side, 1, pair)
            kit.limb(f"thigh_{tag}", f"hip_{tag}", hip, knee, br * 0.35, br * 0.25, "scale", segments=12)
            kit.limb(f"shin_{tag}", f"knee_{tag}", knee, foot, br * 0.23, br * 0.16, "scale", segments=12)
            for k in range(2):
                a = (k - 0.5) * 0.8
                kit.limb(f"toe{k}_{tag}", f"knee_{tag}", foot,
                         (foot[0] + side * np.sin(abs(a)) * br * 0.4, foot[1] - np.cos(a) * br * 0.5 + a * br * 0.3, 0.02),
                         br * 0.08, br * 0.05, "scale", segments=8)
    n = int(rng.integers(6, 11))
    p = np.array([0.0, bl * 0.42, cz])
    prev, seg = "spine", u(0.12, 0.18)
    rad = br * 0.7
    for i in range(n):
        kit.joint(f"tail{i}", prev, tuple(p), "tail", 0, i)
        q = p + np.array([0.0, seg, -cz * 0.6 / n])
        r1, r2 = rad * (1 - i / n), rad * (1 - (i + 1) / n) + 0.01
        kit.limb(f"tail{i}", f"tail{i}", tuple(p), tuple(q), r1, r2, "scale" if i % 3 else "accent", segments=12)
        prev, p = f"tail{i}", q
    ns = int(rng.integers(4, 9))
    for i in range(ns):
        y = -bl * 0.35 + i * bl * 0.8 / ns
        base = (0, y, cz + br * 0.75)
        kit.cone(f"spike{i}", "spine", base, (0, y + br * 0.2, base[2] + br * u(0.35, 0.6)), br * 0.17, "accent")
