"""``linecorr viz --regions``: a region method's segmentation and matching of a pair (patch-ViT paper, Figure 7).

Registered as the entry point ``viz.regions``: it adds its options to dataprep's ``viz`` command and
the drawer ``viz`` calls when ``--regions`` is given, so dataprep needs no import of the benchmark.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is not imported at registration: `linecorr --help` stays instant
    import numpy as np


def register(viz: argparse.ArgumentParser, name: str) -> None:
    """Add ``--regions METHOD`` and ``--device`` to the ``viz`` parser."""
    viz.add_argument("--regions", metavar="METHOD",
                     help="instead, run a region method on the raw line art and draw its segmentation and matching "
                          "(the patch-ViT paper's Figure 7): a patch-ViT checkpoint or run folder, or a region "
                          "baseline (tb-nearest-aligned, tb-hungarian-features)")
    viz.add_argument("--device", default="cpu", help="device for --regions with a checkpoint (default cpu)")
    viz.set_defaults(_draw_regions=draw)


def draw(ds, pair_id: str, method: str, device: str) -> np.ndarray:
    """``(H, W, 3) uint8`` figure of ``method`` on pair ``pair_id`` of dataset ``ds``."""
    from benchmark.models.vit.figure import draw_region_figure

    return draw_region_figure(ds, pair_id, method, device)
