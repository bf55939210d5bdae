"""Demo step: the PaintBucket-Character round trip (export, re-import, compare)."""

from __future__ import annotations

import numpy as np

from linecorr.demo.report import StepResult


def step_pbc_round_trip(ctx) -> StepResult:
    """Export the dataset to PaintBucket-Character layout and import it back."""
    from dataprep.format import Dataset
    from dataprep.importers import PbcImportConfig, export_pbc, import_pbc

    src = Dataset.open(ctx.paths["data"])
    pbc = ctx.out / "pbc_export"
    back = ctx.out / "pbc_reimport"
    export_pbc(src.root, pbc, overwrite=True)
    gaps = sorted({p.meta.get("gap", 1) for p in src.pairs()})  # derive the same pairs again
    import_pbc(pbc, back, PbcImportConfig(gaps=tuple(gaps)), overwrite=True)
    again = Dataset.open(back)
    frames = pairs = 0
    for info in src.clips():
        for f in info.frames:
            if not np.array_equal(src.load_seg(info.id, f), again.load_seg(info.id, f)):
                raise RuntimeError(f"segment map of {info.id}/{f} changed in the PBC round trip")
            frames += 1
    for pid in src.pair_ids():
        a, b = src.load_pair(pid), again.load_pair(pid)
        if {(m.a, m.b) for m in a.matches} != {(m.a, m.b) for m in b.matches}:
            raise RuntimeError(f"matches of {pid} changed in the PBC round trip")
        pairs += 1
    return StepResult("PaintBucket-Character round trip", 0,
                      f"{frames} label maps and {pairs} pairs identical after export + re-import",
                      {"frames": frames, "pairs": pairs}, outputs=[pbc, back])
