"""Patch-ViT forward speed on a 512 x 512 pair, per stage: the paper model (ViT-B/16, M = 4) and the CPU presets.

Stages: encoder (ViT on both images, one batch), multiplex transformer, similarity (cosine matrix C,
the paper's S and the normalised S), post-processing of both images (edges, merging, watershed,
small regions, majority vote) and region matching (eq. 5 + greedy both ways). Inputs are line
drawings with ~50 cells (random-weight models give arbitrary similarities; the post-processing is
timed on them as is). Prints the median of ``--runs`` runs per stage and in total.

    .venv/bin/python benchmarks/bench_vit.py [--runs 5] [--threads 2] [--size 512] [--device cpu|cuda] [--only small-conv]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np
import torch

from benchmark.models import count_parameters
from benchmark.models.vit.inputs import letterbox_for
from benchmark.models.vit.matcher import PatchVitMatcher
from benchmark.models.vit.model import PatchViT, cosine_matrix, similarity_matrix
from benchmark.models.vit.postprocess import regions_from_patches
from benchmark.models.vit.region_match import match_patch_regions, normalized_similarity
from benchmark.train.loop import amp_dtype as autocast_dtype
from benchmark.train.vit_config import PRESETS

sys.path.insert(0, str(Path(__file__).resolve().parent))  # timing.py beside this script, however it is loaded
from timing import Clock


def grid_line(size: int, cells: int, seed: int) -> np.ndarray:
    """``(size, size) uint8`` line drawing of about ``cells`` jittered rectangular cells, 1-px lines."""
    rng = np.random.default_rng(seed)
    k = int(np.sqrt(cells))
    line = np.full((size, size), 255, np.uint8)
    for pos in (np.arange(1, k) + rng.uniform(-0.3, 0.3, k - 1)) * size / k:
        line[int(pos), :] = 0
    for pos in (np.arange(1, k) + rng.uniform(-0.3, 0.3, k - 1)) * size / k:
        line[:, int(pos)] = 0
    return line


@torch.inference_mode()
def bench(name: str, model: PatchViT, line_a: np.ndarray, line_b: np.ndarray, runs: int, device: torch.device,
          amp: bool) -> dict[str, float]:
    """Median milliseconds per stage (and ``model``, ``total``) on the pair; prints one line.

    ``amp``: autocast the encoder and multiplex on CUDA as training does (bf16 where supported, else
    fp16; ignored on CPU).
    """
    amp_dtype = autocast_dtype(device, amp)
    matcher = PatchVitMatcher(model, device=device)
    model, cfg, post, mcfg = matcher.model, matcher.model.cfg, matcher.post, matcher.match_cfg
    box = letterbox_for(line_a.shape, cfg.image_size, cfg.patch_size)
    la, lb = box.line(line_a), box.line(line_b)
    ga, gb = (torch.from_numpy(x)[None, None].to(device) for x in (la, lb))
    stages: dict[str, list[float]] = {k: [] for k in ("encoder", "multiplex", "similarity", "postprocess", "matching")}
    n = 0
    for i in range(runs + 2):  # two warm-up runs
        clock = Clock(device)
        with torch.autocast(device.type, dtype=amp_dtype or torch.bfloat16, enabled=amp_dtype is not None):
            x = model.encoder(model.prepare(torch.cat([ga, gb])))
            t_enc = clock.lap()
            xa, xb = model.multiplex(x[:1], x[1:])
            t_mx = clock.lap()
        cos = cosine_matrix(torch.nn.functional.normalize(xa.float(), dim=-1),
                            torch.nn.functional.normalize(xb.float(), dim=-1))
        similarity_matrix(cos, cfg.temperature)[0].cpu().numpy()  # the paper's S (scored at patch level)
        c = cos[0].cpu().numpy()
        norm = normalized_similarity(c, cfg.temperature)
        t_sim = clock.lap()
        n = c.shape[0] // 2
        ra = regions_from_patches(la, norm[:n, :n], cfg.patch_size, post)
        rb = regions_from_patches(lb, norm[n:, n:], cfg.patch_size, post)
        t_pp = clock.lap()
        match_patch_regions(norm, ra.patch_region, rb.patch_region, mcfg)
        t_m = clock.lap()
        if i >= 2:
            for k, t in zip(stages, (t_enc, t_mx, t_sim, t_pp, t_m)):
                stages[k].append(t)
    med = {k: statistics.median(v) for k, v in stages.items()}
    med["model"] = med["encoder"] + med["multiplex"] + med["similarity"]
    med["total"] = med["model"] + med["postprocess"] + med["matching"]
    print(f"{name:6s} {count_parameters(model) / 1e6:6.1f} M params, {cfg.image_size}^2, N = {n} patches/image: "
          + "  ".join(f"{k} {v:8.1f} ms" for k, v in med.items()))
    return med


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--amp", action="store_true", help="bf16 (else fp16) autocast for the encoder and multiplex (GPU)")
    ap.add_argument("--only", choices=sorted(PRESETS), help="time one preset only (default: paper, small, small-conv, tiny)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    line_a, line_b = grid_line(args.size, 50, 0), grid_line(args.size, 50, 1)
    print(f"torch {torch.__version__}, {args.threads} threads, device {device}"
          + (f" ({torch.cuda.get_device_name(0)})" if device.type == "cuda" else ""))
    for name in [args.only] if args.only else ["paper", "small", "small-conv", "tiny"]:
        cfg = PRESETS[name]().model
        cfg.image_size = args.size
        bench(name, PatchViT(cfg).eval(), line_a, line_b, args.runs, device, args.amp)


if __name__ == "__main__":
    main()
