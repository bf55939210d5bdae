"""The patch-ViT as a benchmark method: regions + region matches of a pair, or segment scores.

- :meth:`PatchVitMatcher.predict` is the paper's full pipeline on raw line art: patch similarity S,
  intra-image post-processing into regions (``postprocess``), eq.-5 region similarity and greedy
  matching both ways (``region_match``). ``benchmark.region_score`` scores it at patch and region
  level.
- :meth:`PatchVitMatcher.match` puts the model on the standard *segment* protocol (next to AnT and
  the baselines): with the GT segments given, the score of segment u of B for segment v of A is the
  eq.-5 mean of the normalised patch similarity, each patch weighted by the share of the segment's
  pixels inside it (so a segment smaller than a patch still gets a score).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch

from benchmark.models import MatcherInfo, check_tta, count_parameters, tta_views
from benchmark.models.vit.inputs import Letterbox, letterbox_for, segment_patch_weights
from benchmark.models.vit.model import PatchViT, cosine_matrix, similarity_matrix
from benchmark.models.vit.postprocess import ImageRegions, PostprocessConfig, check_post_config, regions_from_patches
from benchmark.models.vit.region_match import (
    RegionMatchConfig,
    check_match_config,
    match_patch_regions,
    normalized_similarity,
)
from benchmark.region_score import RegionPrediction
from dataprep.errors import LinecorrError


@dataclass
class VitMatcherInfo(MatcherInfo):
    """:class:`~benchmark.models.MatcherInfo` plus the patch-ViT's size."""

    dim: int = 0  # token width
    depth: int = 0  # encoder layers
    multiplex_layers: int = 0  # M
    image_size: int = 0  # model input side (px)
    tta: str = "none"  # test-time augmentation: "none" or "hflip" (cosines averaged with the mirrored pair's)


@dataclass
class PairSimilarity:
    """Model outputs for one pair (model resolution)."""

    cos: np.ndarray  # (2N, 2N) float32 cosine matrix C
    valid: np.ndarray  # (2N,) bool patches inside the frames (not letterbox padding)
    line_a: np.ndarray  # (S, S) float32 model-resolution line image of A, 1 = paper
    line_b: np.ndarray  # (S, S) float32 same for B
    box_a: Letterbox  # how A sits in the input
    box_b: Letterbox  # how B sits in the input


def _mirror(x: np.ndarray, on: bool) -> np.ndarray:
    """``x`` mirrored along its last axis (left-right for an image or a patch grid) when ``on``."""
    return x[..., ::-1] if on else x


class PatchVitMatcher:
    """Region-wise correspondence from raw line art with a trained patch-ViT."""

    name = "patch-vit"

    def __init__(self, model: PatchViT, info: VitMatcherInfo | None = None, device: str | torch.device = "cpu",
                 post: PostprocessConfig | None = None, match_cfg: RegionMatchConfig | None = None) -> None:
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        mc = model.cfg
        self.cfg = info or VitMatcherInfo(parameters=count_parameters(model), dim=mc.dim,
                                          depth=mc.depth, multiplex_layers=mc.multiplex_layers,
                                          image_size=mc.image_size)
        self.post = post or PostprocessConfig()
        self.match_cfg = match_cfg or RegionMatchConfig()
        self.name = f"patch-vit-{self.cfg.preset}" if self.cfg.preset else "patch-vit"
        self._cache: OrderedDict[tuple, PairSimilarity] = OrderedDict()

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, device: str | torch.device = "cpu") -> PatchVitMatcher:
        """Load a checkpoint written by ``linecorr train patch-vit`` (any of last/best/step files)."""
        from benchmark.train.vit import load_vit_model

        model, cfg, meta = load_vit_model(path, device)
        info = VitMatcherInfo(os.fspath(path), cfg.preset, int(meta.get("step", 0)),
                              count_parameters(model), cfg.model.dim, cfg.model.depth,
                              cfg.model.multiplex_layers, cfg.model.image_size)
        return cls(model, info, device)

    # ---- model -----------------------------------------------------------------------------------
    def use_score_config(self, cfg) -> None:
        """Take the post-processing and region-matching settings of a region score config
        (``benchmark.region_score.RegionScoreConfig``: ``post``, ``match``, ``image_size``), so ``--set``
        reaches them.

        Raises:
            LinecorrError: ``image_size`` is not a positive multiple of the patch size, or a ``post`` /
                ``match`` value is unusable (``check_post_config``, ``check_match_config``).
        """
        self.post, self.match_cfg = check_post_config(cfg.post), check_match_config(cfg.match)
        size = int(getattr(cfg, "image_size", 0) or 0)
        if size:
            p = self.model.cfg.patch_size
            if size < p or size % p:
                raise LinecorrError(f"image_size={size}: the patch-ViT input side must be a positive multiple of "
                                    f"its patch size ({p})")
            self._cache.clear()  # similarities at the old size no longer apply
            self.model.cfg.image_size = self.cfg.image_size = size

    def use_tta(self, mode: str) -> None:
        """Set the test-time augmentation (one of ``benchmark.models.TTA_MODES``); recorded in ``cfg.tta``.

        Raises:
            LinecorrError: an unknown mode.
        """
        if check_tta(mode) != self.cfg.tta:
            self._cache.clear()  # similarities of the other mode no longer apply
        self.cfg.tta = mode

    @torch.inference_mode()
    def similarity(self, line_a: np.ndarray, line_b: np.ndarray) -> PairSimilarity:
        """Cosine matrix of a pair of ``(H, W) uint8`` line images (0 = ink).

        With ``cfg.tta == "hflip"`` the mean of the pair's cosines and those of the pair mirrored
        left to right (whole letterboxed inputs mirrored, padding masks with them, and the mirrored
        features put back in the original patch order): the training pairs were mirrored at random
        (``data.hflip``), so both views are in the model's distribution.
        """
        mc = self.model.cfg
        box_a = letterbox_for(line_a.shape, mc.image_size, mc.patch_size)
        box_b = letterbox_for(line_b.shape, mc.image_size, mc.patch_size)
        la, lb = box_a.line(line_a), box_b.line(line_b)
        va, vb = box_a.patch_valid(), box_b.patch_valid()
        g = box_a.grid
        total = None
        views = tta_views(self.cfg.tta)
        for mirror in views:
            masks = {}
            if not (va.all() and vb.all()):
                masks = {"mask_a": self._tensor(_mirror(va.reshape(g, g), mirror).reshape(1, -1)),
                         "mask_b": self._tensor(_mirror(vb.reshape(g, g), mirror).reshape(1, -1))}
            fa, fb = self.model(self._tensor(_mirror(la, mirror)[None, None]),
                                self._tensor(_mirror(lb, mirror)[None, None]), **masks)
            if mirror:  # back to the original patch order
                fa, fb = (f.reshape(1, g, g, -1).flip(2).reshape(1, g * g, -1) for f in (fa, fb))
            cos = cosine_matrix(fa, fb)[0].float()
            total = cos if total is None else total + cos
        cos = (total / len(views)).cpu().numpy()
        return PairSimilarity(cos, np.concatenate([va, vb]), la, lb, box_a, box_b)

    def _tensor(self, x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(self.device)

    def _pair(self, fa, fb) -> PairSimilarity:
        key = (getattr(fa, "clip", None), getattr(fa, "frame", None), getattr(fb, "clip", None),
               getattr(fb, "frame", None), fa.line.shape, fb.line.shape)
        if key[1] is not None and key in self._cache:  # predict() and match() on the same pair share one pass
            self._cache.move_to_end(key)
            return self._cache[key]
        out = self.similarity(fa.line, fb.line)
        if key[1] is not None:
            self._cache[key] = out
            if len(self._cache) > 4:
                self._cache.popitem(last=False)
        return out

    def paper_similarity(self, ps: PairSimilarity) -> np.ndarray:
        """The paper's S ``(2N, 2N) float32``: row softmax of ``C / tau`` (padding columns 0)."""
        cos = torch.from_numpy(ps.cos)[None]
        s = similarity_matrix(cos, self.model.cfg.temperature, torch.from_numpy(ps.valid)[None])
        return s[0].numpy()

    # ---- the paper's pipeline ----------------------------------------------------------------------
    def predict(self, fa, fb) -> RegionPrediction:
        """Regions of both frames and their matches (frames: ``line (H, W) uint8`` is all that is read).

        Returns:
            :class:`~benchmark.region_score.RegionPrediction` with maps at the frames' own size.
        """
        return self.predict_from(self._pair(fa, fb))

    def region_pair(self, ps: PairSimilarity) -> tuple[ImageRegions, ImageRegions]:
        """Both images' regions (the post-processing, ``self.post``) from a pair's model outputs."""
        p, n = self.model.cfg.patch_size, ps.cos.shape[0] // 2
        norm = normalized_similarity(ps.cos, self.model.cfg.temperature)
        return (regions_from_patches(ps.line_a, norm[:n, :n], p, self.post, ps.valid[:n]),
                regions_from_patches(ps.line_b, norm[n:, n:], p, self.post, ps.valid[n:]))

    def predict_from(self, ps: PairSimilarity, regions: tuple[ImageRegions, ImageRegions] | None = None,
                     patch_level: bool = True) -> RegionPrediction:
        """:meth:`predict` from a pair's model outputs (:meth:`similarity`) with this matcher's current
        ``post`` / ``match_cfg``: one forward pass serves many post-processing settings (tuning).

        Args:
            regions: :meth:`region_pair` of ``ps`` when the caller has it (only ``match_cfg`` changed).
            patch_level: False leaves the patch similarity out (``similarity=None``: no patch metrics).
        """
        ra, rb = regions or self.region_pair(ps)
        norm = normalized_similarity(ps.cos, self.model.cfg.temperature)
        matches, s_ab, _ = match_patch_regions(norm, ra.patch_region, rb.patch_region, self.match_cfg,
                                               ra.regions, rb.regions, self.model.cfg.patch_size, ps.valid)
        return RegionPrediction(
            map_a=ps.box_a.to_frame(ra.regions), map_b=ps.box_b.to_frame(rb.regions), matches=matches,
            similarity=self.paper_similarity(ps) if patch_level else None,
            image_size=self.model.cfg.image_size, patch_size=self.model.cfg.patch_size,
            extras={"clusters_a": ra.clusters, "clusters_b": rb.clusters, "patch_region_a": ra.patch_region,
                    "patch_region_b": rb.patch_region, "region_similarity": s_ab})

    # ---- the segment protocol -------------------------------------------------------------------------
    def match(self, fa, fb) -> np.ndarray:
        """Scores ``(N_b, N_a) float64`` for the GT segments of ``fb`` (rows) and ``fa`` (columns).

        Args:
            fa, fb: frames with ``line``, ``seg`` and ``segments`` (``Dataset.load_frame``).
        """
        na, nb = len(fa.segments), len(fb.segments)
        if na == 0 or nb == 0:
            return np.zeros((nb, na))
        ps = self._pair(fa, fb)
        n = ps.cos.shape[0] // 2
        norm = normalized_similarity(ps.cos, self.model.cfg.temperature)
        wa = segment_patch_weights(fa.seg, fa.segments.ids, ps.box_a)
        wb = segment_patch_weights(fb.seg, fb.segments.ids, ps.box_b)
        return wb @ norm[n:, :n] @ wa.T

