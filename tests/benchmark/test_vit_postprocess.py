"""Post-processing of the patch-ViT on tiny images with known regions (edges, merging, watershed,
small regions, enclosed pieces, majority vote)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.metrics.region import image_region_metrics
from benchmark.models.vit.postprocess import (
    PostprocessConfig,
    border_edges,
    edge_map,
    merge_patches,
    merge_small_regions,
    patch_majority,
    patch_seeds,
    regions_from_patches,
    split_enclosed,
)

P = 16


def _block_sim(patch_ids: np.ndarray, same: float = 0.9, other: float = 0.05) -> np.ndarray:
    return np.where(patch_ids[:, None] == patch_ids[None, :], same, other)


def _three_regions(x_split: int = 27, y_split: int = 37):
    """64x64: left of a vertical stroke at ``x_split`` is region 1; right of it, a horizontal stroke
    at ``y_split`` separates region 2 (top) from 3 (bottom). Strokes are off the 16-px patch grid."""
    gt = np.zeros((64, 64), np.int32)
    gt[:, :x_split] = 1
    gt[:y_split, x_split:] = 2
    gt[y_split:, x_split:] = 3
    line = np.full((64, 64), 255, np.uint8)
    line[:, x_split] = 0
    line[y_split, x_split:] = 0
    gt[line == 0] = 0
    return line, gt


def test_edge_map_is_high_on_strokes_and_zero_on_paper():
    line, _ = _three_regions()
    e = edge_map(line, sigma=1.0)
    assert e.dtype == np.float32 and e.shape == line.shape
    assert e.min() >= 0 and e.max() <= 1
    assert e[10, 25:30].max() > 0.5  # next to the vertical stroke
    assert e[5:20, 5:15].max() == 0.0  # flat paper


def test_border_edges_sees_a_stroke_on_a_patch_border_only():
    e = np.zeros((64, 64), np.float32)
    e[:, 31:33] = 1.0  # a stroke along the border between patch columns 1 and 2
    b = border_edges(e, P, width=2)
    assert b[(0, 1)][0, 1] == pytest.approx(0.5)  # 2 of the 4 strip columns are on the stroke
    assert b[(0, 1)][0, 0] == 0.0 and b[(1, 0)][0, 1] < 0.2  # other borders: (almost) no stroke
    assert np.isnan(b[(0, 1)][0, 3])  # the last column has no right neighbour
    assert b[(1, 1)][0, 1] > 0.2 and b[(1, -1)][0, 2] == b[(1, 1)][0, 1]  # both diagonals across the corner


def test_merging_follows_similarity_and_a_strong_border_vetoes_it():
    g = 4
    ids = np.array([[1, 1, 2, 2]] * 4).ravel()
    e = np.zeros((64, 64), np.float32)
    cfg = PostprocessConfig(merge_threshold=0.5, edge_threshold=0.3)
    cl = merge_patches(_block_sim(ids), e, P, cfg)
    assert len(np.unique(cl)) == 2 and (cl.reshape(g, g)[:, :2] == cl[0]).all()
    # all patches alike, but a stroke runs along the middle border: it keeps the halves apart
    e[:, 31:33] = 1.0
    cl = merge_patches(np.full((16, 16), 0.9), e, P, cfg)
    assert len(np.unique(cl)) == 2 and cl[0] != cl[3]


def test_average_linkage_stops_a_chain():
    # a 1 x 4 chain: neighbours are similar (0.8) but the ends are not (0.0)
    sim = np.array([[1, .8, .3, 0], [.8, 1, .8, .3], [.3, .8, 1, .8], [0, .3, .8, 1]])
    big = np.eye(16)  # embed in a 4x4 grid: the chain is the first row, other patches dissimilar
    big[:4, :4] = sim
    e = np.zeros((64, 64), np.float32)
    single = merge_patches(big, e, P, PostprocessConfig(merge_threshold=0.6, linkage="single"))
    average = merge_patches(big, e, P, PostprocessConfig(merge_threshold=0.6, linkage="average"))
    assert len(set(single[:4])) == 1
    assert len(set(average[:4])) == 2


def test_seeds_avoid_ink_and_take_the_dominant_area_of_each_patch():
    line, gt = _three_regions()
    ink = line < 128
    clusters = np.arange(16)
    m = patch_seeds(ink, clusters, P, margin=1.5)
    assert not m[ink].any()
    # patch (0, 1) spans x 16..31: mostly region 1 (x < 27), so its seed lies left of the stroke
    seeded = np.nonzero(m == 2)
    assert seeded[1].max() < 27 and gt[seeded].min() == 1


def test_watershed_regions_recover_known_regions_with_strokes_off_the_grid():
    line, gt = _three_regions()
    # a perfect patch similarity: each patch carries the GT region covering most of it
    from benchmark.metrics.patch import patch_region_ids

    ids = patch_region_ids(gt, P, 0.0)
    cfg = PostprocessConfig(merge_threshold=0.5, edge_threshold=0.35, min_region=0.25)
    out = regions_from_patches(line, _block_sim(ids), P, cfg)
    m = image_region_metrics(out.regions, gt)
    assert m["region/ari"] > 0.97  # boundaries snap to the strokes, not the 16-px grid
    assert m["region/cluster_ratio"] == 1.0
    assert (out.regions[line == 0] == 0).all()
    assert out.patch_region.shape == (16,) and set(out.patch_region) == {1, 2, 3}


def test_small_regions_merge_into_the_neighbour_with_the_longest_weak_contact():
    lab = np.ones((20, 20), np.int32)
    lab[:, 10:] = 2
    lab[8:11, 8:10] = 3  # small, touching 1 (long contact) and ... only 1
    lab[0:2, 18:20] = 4  # small, touching only 2
    edges = np.zeros((20, 20), np.float32)
    out = merge_small_regions(lab, edges, min_area=10)
    assert set(np.unique(out)) == {1, 2}
    assert out[9, 8] == 1 and out[0, 19] == 2
    # a strong edge along 3's contact with 1 and a weak one with 2: it goes to 2
    lab[8:11, 10] = 3
    edges[8:11, 7] = 1.0
    edges[7, 8:10] = edges[11, 8:10] = 1.0
    out = merge_small_regions(lab, edges, min_area=10)
    assert out[9, 8] == 2


def test_patch_majority_ignores_ink():
    reg = np.zeros((16, 32), np.int32)
    reg[:, :16] = 1
    reg[:, 16:] = 2
    reg[:, 12:16] = 2  # 4 of 16 columns of patch 0 are region 2 ...
    ink = np.zeros((16, 32), bool)
    ink[:, 0:9] = True  # ... and 9 of the 12 region-1 columns are ink
    sq = np.zeros((32, 32), np.int32)
    sq[:16] = reg
    ik = np.zeros((32, 32), bool)
    ik[:16] = ink
    sq[16:] = 1
    got = patch_majority(sq, ik, P)
    assert got[0] == 2  # 4 paper columns of 2 beat 3 paper columns of 1
    assert got[1] == 2 and got[2] == 1


def _eye(size: int = 64, ring: tuple[int, int, int, int] = (20, 20, 29, 29)):
    """A blank ``size`` square with one closed ink ring (an "eye" smaller than a 16-px patch)."""
    line = np.full((size, size), 255, np.uint8)
    y0, x0, y1, x1 = ring
    line[y0:y1 + 1, [x0, x1]] = 0
    line[[y0, y1], x0:x1 + 1] = 0
    return line


def test_split_enclosed_gives_a_closed_piece_its_own_region_above_the_size():
    line = _eye()
    ink = line == 0
    regions = np.ones(line.shape, np.int32)  # one region over everything, as the merging would leave it
    out = split_enclosed(regions, ink, min_area=40)  # the inside is 8 x 8 = 64 px
    inside, outside = out[24, 24], out[5, 5]
    assert inside != outside and outside == 1
    assert (out[21:29, 21:29] == inside).all() and (out[~ink & (out != inside)] == 1).all()
    assert (split_enclosed(regions, ink, min_area=65) == 1).all()  # too small: left in its region
    # two regions: each keeps its largest piece, the eye (in region 2's part) becomes a third
    regions[:, 32:] = 2
    regions[:, :32][_eye()[:, :32] == 0] = 1
    out = split_enclosed(regions, ink, min_area=40)
    assert out[5, 5] == 1 and out[5, 60] == 2 and out[24, 24] not in (1, 2)


def test_enclosed_pieces_survive_the_pipeline_and_can_be_matched():
    from benchmark.models.vit.region_match import RegionMatchConfig, match_patch_regions

    line = _eye()
    sim = np.full((16, 16), 0.9)  # every patch alike: the merging makes one region
    plain = regions_from_patches(line, sim, P, PostprocessConfig(merge_threshold=0.5, edge_threshold=1.0))
    assert np.unique(plain.regions[line > 0]).size == 1  # the paper's pipeline loses the eye
    cfg = PostprocessConfig(merge_threshold=0.5, edge_threshold=1.0, enclosed_min=0.2)
    out = regions_from_patches(line, sim, P, cfg)
    assert np.unique(out.regions[line > 0]).size == 2
    eye = out.regions[24, 24]
    assert eye not in out.patch_region  # it wins no patch by majority vote ...
    full = np.full((32, 32), 0.5)  # a pair of the same image, every patch pair alike
    m, s_ab, _ = match_patch_regions(full, out.patch_region, out.patch_region,
                                     RegionMatchConfig(threshold=0.1, weighting="pixels"), out.regions, out.regions, P)
    assert s_ab[eye - 1].max() > 0.1 and (m[:, 0] == eye).any()  # ... but the pixel weighting matches it
    m, s_ab, _ = match_patch_regions(full, out.patch_region, out.patch_region, RegionMatchConfig(threshold=0.1))
    assert not (m[:, 0] == eye).any()  # with the vote it has no patch, so no similarity
