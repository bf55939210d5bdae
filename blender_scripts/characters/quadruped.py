"""Quadruped family: dog/cat/horse-like; body, neck, head with snout, ears with inner ears, four
three-part legs, a tail chain, collar with tag, coat spots. 30-42 parts."""

from __future__ import annotations

import numpy as np

from blender_scripts.characters.parts import Kit, face_dir, on_ellipsoid


def build(kit: Kit) -> None:
    rng = kit.rng
    u = lambda a, b: float(rng.uniform(a, b))
    bl, br, ll = u(0.7, 1.1), u(0.17, 0.26), u(0.3, 0.55)  # body length, body radius, leg length
    cz = ll + br * 0.5
    kit.joint("root", None, (0, 0, cz), "root")
    kit.joint("spine", "root", (0, 0, cz), "spine")
    neck_base = (0, -bl * 0.42, cz + br * 0.3)
    kit.joint("neck", "spine", neck_base, "neck")
    hr = br * u(0.75, 1.0)
    hc = (0, neck_base[1] - hr * 0.6, neck_base[2] + hr * u(1.2, 1.8))
    kit.joint("head", "neck", (0, hc[1], hc[2] - hr * 0.5), "head")
    kit.ellipsoid("body", "spine", (0, 0, cz), (br, bl / 2, br * 0.95), "fur")
    kit.ellipsoid("belly", "spine", (0, -bl * 0.05, cz - br * 0.35), (br * 0.75, bl * 0.36, br * 0.65), "fur_light")
    kit.limb("neck", "neck", neck_base, (0, hc[1] + hr * 0.2, hc[2] - hr * 0.4), br * 0.5, hr * 0.55, "fur")
    r = (hr * 0.9, hr, hr * 0.85)
    kit.ellipsoid("head", "head", hc, r, "fur")
    sn = (0, hc[1] - r[1] * 0.9, hc[2] - r[2] * 0.3)
    kit.ellipsoid("snout", "head", sn, (r[0] * 0.5, r[1] * u(0.45, 0.7), r[2] * 0.45), "fur_light")
    kit.ellipsoid("nose", "head", (0, sn[1] - r[1] * 0.5, sn[2] + r[2] * 0.2), (r[0] * 0.15, r[1] * 0.1, r[2] * 0.12), "pupil")
    kit.ellipsoid("mouth", "head", (0, sn[1] - r[1] * 0.35, sn[2] - r[2] * 0.3), (r[0] * 0.22, r[1] * 0.1, r[2] * 0.05), "mouth")
    long_ears = rng.random() < 0.5
    for side, s in ((1, "l"), (-1, "r")):
        d = face_dir(side * 0.45, 0.25)
        p = np.asarray(on_ellipsoid(hc, r, d)) - np.asarray(d) * r[0] * 0.05
        kit.ellipsoid(f"eye_{s}", "head", tuple(p), (r[0] * 0.18, r[1] * 0.06, r[2] * 0.2), "eye_white", (-0.25, 0, side * 0.45))
        pp = on_ellipsoid(hc, np.asarray(r) + r[0] * 0.03, face_dir(side * 0.43, 0.22))
        kit.ellipsoid(f"pupil_{s}", "head", pp, (r[0] * 0.09, r[1] * 0.05, r[2] * 0.12), "pupil", (-0.25, 0, side * 0.45))
        base = on_ellipsoid(hc, r, (side * 0.55, 0.15, 0.8))
        if long_ears:  # floppy ears hanging down the sides
            tip = (base[0] + side * r[0] * 0.5, base[1], base[2] - r[2] * 1.3)
            kit.limb(f"ear_{s}", "head", base, tip, r[0] * 0.28, r[0] * 0.2, "hair")
        else:  # pointed ears with an inner ear
            tip = (base[0] + side * r[0] * 0.3, base[1], base[2] + r[2] * 0.9)
            kit.cone(f"ear_{s}", "head", base, tip, r[0] * 0.35, "fur")
            kit.cone(f"inner_ear_{s}", "head", (base[0], base[1] - r[0] * 0.12, base[2] + 0.01),
                     (tip[0], tip[1] - r[0] * 0.12, tip[2] - r[2] * 0.15), r[0] * 0.18, "blush")
    for pair, y in ((0, -bl * 0.3), (1, bl * 0.3)):
        for side, s in ((1, "l"), (-1, "r")):
            tag = f"{'front' if pair == 0 else 'hind'}_{s}"
            top, knee, foot = (side * br * 0.6, y, cz - br * 0.2), (side * br * 0.6, y, ll * 0.5), (side * br * 0.6, y, br * 0.18)
            kit.joint(f"hip_{tag}", "root", top, "leg", side, 0, pair)
            kit.joint(f"knee_{tag}", f"hip_{tag}", knee, "leg", side, 1, pair)
            kit.limb(f"thigh_{tag}", f"hip_{tag}", top, knee, br * 0.42, br * 0.26, "fur")
            kit.limb(f"shin_{tag}", f"knee_{tag}", knee, foot, br * 0.24, br * 0.2, "fur")
            kit.ellipsoid(f"paw_{tag}", f"knee_{tag}", (foot[0], foot[1] - br * 0.12, br * 0.12),
                          (br * 0.28, br * 0.36, br * 0.14), "fur_light")
    n = int(rng.integers(3, 6))
    prev, seg_len = "spine", u(0.1, 0.2)
    p = np.array([0.0, bl * 0.47, cz + br * 0.3])
    for i in range(n):
        kit.joint(f"tail{i}", prev, tuple(p), "tail", 0, i)
        q = p + np.array([0.0, seg_len * 0.8, seg_len * 0.6])
        kit.limb(f"tail{i}", f"tail{i}", tuple(p), tuple(q), br * 0.16 * (1 - 0.12 * i), br * 0.16 * (1 - 0.12 * (i + 1)),
                 "fur" if i < n - 1 else "fur_light", segments=12)
        prev, p = f"tail{i}", q
    kit.torus("collar", "neck", (0, neck_base[1] - br * 0.05, neck_base[2] + br * 0.25), br * 0.5, br * 0.08, "accent",
              rot=(0.6, 0, 0))
    kit.ellipsoid("collar_tag", "neck", (0, neck_base[1] - br * 0.5, neck_base[2] - br * 0.05), (br * 0.1, br * 0.03, br * 0.12), "metal")
    for i in range(int(rng.integers(0, 4))):
        d = (rng.choice([-1, 1]) * u(0.6, 1), u(-0.6, 0.6), u(0.3, 1))
        p = on_ellipsoid((0, 0, cz), (br, bl / 2, br * 0.95), d)
        kit.ellipsoid(f"spot{i}", "spine", p, (br * 0.3, br * 0.35, br * 0.3), "hair")
