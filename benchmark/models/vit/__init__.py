"""The patch-ViT region-correspondence model (Li et al., "Region-Wise Correspondence Prediction
between Manga Line Art Images").

``vit`` (ViT-B/16 encoder + user-checkpoint loader), ``multiplex`` (self-/cross-attention layers),
``model`` (PatchViT, cosine matrix C and the paper's S), ``losses`` (G-based sampled contrastive
loss, eq. 4), ``inputs`` (letterboxing, GT regions and G), ``postprocess`` (edges, patch merging,
watershed, small-region merging, majority vote), ``region_match`` (eq. 5, greedy matching both
ways), ``matcher`` (the benchmark method), ``figure`` (Figure-7 style pictures). See docs/PATCH_VIT.md.

Nothing is imported here, so importing a submodule stays cheap.
"""
