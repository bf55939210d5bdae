"""The standard synthetic benchmark: a fixed Blender render every lab can reproduce bit for bit.

``linecorr render`` with :data:`STANDARD` (same seed, same characters, same motion) gives
byte-identical label maps, so the benchmark is defined by this config rather than shipped as
files; :func:`ensure_standard` renders it once (resumable) and checks its ground-truth hash against
:data:`STANDARD_HASH`. Splits are by character (30 train, 5 val, 5 test; the test split holds a
robot, a lizard, a humanoid, a chibi and a quadruped): val and test characters never appear in train.
"""

from __future__ import annotations

import os
from pathlib import Path

from dataprep.errors import LinecorrError

#: Version of the benchmark definition; results name it (bump when STANDARD changes).
STANDARD_NAME = "linecorr-synth-v1"

#: Ground-truth hash of the rendered benchmark (``Dataset.ground_truth_hash()``: line images,
#: segment and label maps, pairs, splits), recorded from a reference render; a render whose hash
#: differs is refused. ``None`` disables the check.
STANDARD_HASH: str | None = "9376ef772694b3199279d0e7d40382d4f799c17b63884a4e1391ecc21115d691"


def standard_config():
    """The render config of the standard benchmark (512², 40 characters x 1 clip x 24 frames)."""
    from blender_scripts.config import RenderConfig

    return RenderConfig(characters=40, sequences_per_character=1, frames=24, res=512, seed=20261121,
                        gaps=(1, 3, 7), frame_step=(1, 2), actions_per_clip=3, samples=16,
                        val_fraction=0.1, test_fraction=0.15, extra={"benchmark": STANDARD_NAME})


def default_location() -> Path:
    """Where the standard benchmark is rendered: ``$LINECORR_DATA`` or ``~/.cache/linecorr``."""
    base = os.environ.get("LINECORR_DATA") or Path.home() / ".cache" / "linecorr"
    return Path(base) / STANDARD_NAME


def ensure_standard(path: str | os.PathLike | None = None, workers: int = 2) -> Path:
    """Render the standard benchmark into ``path`` unless it is already there; return the path.

    Rendering takes about 15 minutes on 2 CPU cores and resumes if interrupted.
    """
    import dataclasses

    from blender_scripts.job import run_render
    from dataprep.format import Dataset

    out = Path(path) if path else default_location()
    cfg = dataclasses.replace(standard_config(), workers=workers)
    run_render(cfg, out)
    if STANDARD_HASH is not None:
        got = Dataset.open(out).ground_truth_hash()
        if got != STANDARD_HASH:
            raise LinecorrError(f"rendered benchmark differs from the reference (content hash {got[:12]}, expected "
                                f"{STANDARD_HASH[:12]}): check the bpy version (4.5.15 required)", out)
    return out
