"""benchmarks/render_code_paths.py without rendering: its comparisons and its one-line errors."""

from __future__ import annotations

import numpy as np


def test_pixel_differences_count_ids_and_tones(tmp_path, repo_module):
    mod = repo_module("benchmarks/render_code_paths.py")
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
    ids = np.arange(16, dtype=np.uint16).reshape(4, 4)
    tone = np.ones((4, 4), np.uint8)
    for k in range(3):
        np.save(a / f"ids_{k:04d}.npy", ids)
        np.save(a / f"tone_{k:04d}.npy", tone)
        ids_b, tone_b = ids.copy(), tone.copy()
        if k == 1:
            ids_b[0, :2] = 99
        if k == 2:
            tone_b[3, 3] = 2
        np.save(b / f"ids_{k:04d}.npy", ids_b)
        np.save(b / f"tone_{k:04d}.npy", tone_b)
    assert mod.pixel_differences(a, b, 3) == [(1, 2, 0), (2, 0, 1)]
    assert mod.pixel_differences(a, a, 3) == []


def test_unknown_path_or_clip_is_one_line(tmp_path, repo_module, capsys):
    mod = repo_module("benchmarks/render_code_paths.py")
    assert mod.main(["--paths", "default,optix", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown optix" in err[0]
    assert mod.main(["--clip", "c9999-nobody-s0", "--paths", "default", "--out", str(tmp_path)]) == 1
    assert "is not a v2 sequence" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing rendered, nothing written
