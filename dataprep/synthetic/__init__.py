"""Synthetic data with exact ground truth, generated in milliseconds with numpy and OpenCV (no Blender).

Modules:
    character  the one routine that draws flat characters into part-id maps, and the toy character
    clips      toy clips and datasets of the toy character (tests, ``linecorr demo`` without bpy)
    figure     a posable figure with a three-piece arm (the labeller's limb-motion tests)
    line_art   random scenes as line art with thick, anti-aliased, gapped or colored lines, and
               flat-colored frames (the segmenters' tests and benchmarks)

The bpy-free stand-in renderer (``blender_scripts/fake_render.py``) draws the toy character too.
"""

from dataprep.synthetic.clips import ToyConfig, ToyFrame, make_toy_clip, write_toy_dataset

__all__ = ["ToyConfig", "ToyFrame", "make_toy_clip", "write_toy_dataset"]
