"""AnT model: crops, shapes, padding masks, ablations, and the benchmark matcher."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from benchmark.models import count_parameters
from benchmark.models.ant.config import AntModelConfig
from benchmark.models.ant.crops import frame_inputs, normalized_boxes, segment_crops
from benchmark.models.ant.matcher import AntMatcher, pad_frames
from benchmark.models.ant.model import AnT
from dataprep.errors import LinecorrError
from dataprep.format import Dataset, Frame, compute_segment_table

SMALL = AntModelConfig(backbone="tiny", channels=(8, 16, 32), dim=32, heads=4, layers=2, dropout=0.1)


def _model(cfg: AntModelConfig = SMALL, seed: int = 0) -> AnT:
    torch.manual_seed(seed)
    return AnT(cfg).eval()


def test_crop_of_an_axis_aligned_box_is_exact():
    seg = np.zeros((64, 64), np.int32)
    seg[8:24, 8:24] = 1  # bbox [8, 8, 16, 16]
    ink = np.zeros((64, 64), np.float32)
    ink[8:24, 15] = 1.0  # a vertical line inside the box, column 15 -> crop column 7
    crops = segment_crops(torch.from_numpy(ink), torch.from_numpy(seg), torch.tensor([1]),
                          torch.tensor([[8.0, 8.0, 16.0, 16.0]]), size=16, margin=0.0, min_side=1.0, supersample=1)
    assert crops.shape == (1, 2, 16, 16) and crops.dtype == torch.float32
    assert torch.all(crops[0, 1] == 1.0)  # every crop pixel is inside the segment
    assert torch.equal(crops[0, 0], torch.from_numpy(ink[8:24, 8:24]))


def test_crops_with_margin_see_context_and_keep_thin_lines():
    seg = np.ones((128, 128), np.int32)
    seg[:, 64:] = 2
    line = np.full((128, 128), 255, np.uint8)
    line[:, 63] = 0  # one 1-px line between the two segments
    seg[:, 63] = 0
    ids = np.array([1, 2])
    bbox = np.array([[0, 0, 63, 128], [64, 0, 64, 128]])
    crops, boxes = frame_inputs(line, seg, ids, bbox, AntModelConfig(crop_size=16, crop_margin=0.1, supersample=4))
    assert crops.shape == (2, 2, 16, 16) and boxes.shape == (2, 4)
    assert crops[0, 0].max() > 0.05  # the 1-px line survives a 4x shrink (supersampling)
    # The 10 % margin reaches past the image on the left and into segment 2 on the right: no mask there.
    row = crops[0, 1, 8]  # a middle row of segment 1's mask
    assert row[0] == 0.0 and row[-1] == 0.0 and torch.all(row[2:-2] == 1.0)
    assert crops[0, 1, 0].max() == 0.0  # and above the image
    assert torch.all((crops >= 0) & (crops <= 1))
    assert torch.allclose(boxes[1], torch.tensor([0.0, -1.0, 1.0, 0.0]))  # (x, y, h, w) in [-1, 1]


def test_no_segments_gives_empty_crops():
    crops = segment_crops(torch.zeros(8, 8), torch.zeros(8, 8, dtype=torch.int32), torch.zeros(0, dtype=torch.int64),
                          torch.zeros(0, 4), size=32)
    assert crops.shape == (0, 2, 32, 32)
    assert normalized_boxes(torch.zeros(0, 4), 8, 8).shape == (0, 4)


def _random_pair(b: int, m: int, n_valid: list[int], size: int = 32):
    g = torch.Generator().manual_seed(1)
    crops = torch.rand(b, m, 2, size, size, generator=g)
    boxes = torch.rand(b, m, 4, generator=g) * 2 - 1
    valid = torch.stack([torch.arange(m) < k for k in n_valid])
    return crops, boxes, valid


def test_forward_shapes_and_softmax_rows_with_padding_masked():
    model = _model()
    ca, ba, va = _random_pair(2, 6, [6, 3])
    cb, bb, vb = _random_pair(2, 6, [4, 6])
    logits = model(ca, ba, va, cb, bb, vb)
    assert logits.shape == (2, 6, 6) and logits.dtype == torch.float32
    s = logits.softmax(-1)
    assert torch.allclose(s.sum(-1), torch.ones(2, 6))
    assert torch.all(s[1, :, 3:] == 0)  # padded sources of pair 1 never get weight


def test_padding_does_not_change_outputs():
    model = _model()
    ca, ba, va = _random_pair(1, 5, [5])
    cb, bb, vb = _random_pair(1, 5, [4])
    with torch.no_grad():
        ref = model(ca, ba, va, cb, bb, vb)[0, :4, :5]
        pad = 7  # extra slots full of garbage that the masks must hide
        junk = torch.randn(1, pad, 2, 32, 32) * 10
        big = [torch.cat([ca, junk], 1), torch.cat([ba, torch.randn(1, pad, 4)], 1), torch.cat([va, torch.zeros(1, pad, dtype=torch.bool)], 1),
               torch.cat([cb, junk], 1), torch.cat([bb, torch.randn(1, pad, 4)], 1), torch.cat([vb, torch.zeros(1, pad, dtype=torch.bool)], 1)]
        out = model(*big)[0, :4, :5]
        batched = model(*[torch.cat([t, t], 0) for t in big])[1, :4, :5]  # and batching with others
    assert torch.allclose(out, ref, atol=1e-5)
    assert torch.allclose(batched, ref, atol=1e-5)


@pytest.mark.parametrize("change", [{"transformer": False}, {"positional": False}, {"layers": 3}, {"backbone": "paper"}])
def test_ablations_build_and_run(change):
    cfg = AntModelConfig(**{**SMALL.__dict__, **change})
    model = _model(cfg)
    ca, ba, va = _random_pair(1, 4, [4])
    assert model(ca, ba, va, ca, ba, va).shape == (1, 4, 4)
    if "transformer" in change:
        assert len(model.blocks) == 0
    if "positional" in change:
        assert model.pos is None
    assert count_parameters(model) != count_parameters(_model())


def test_paper_model_size():
    model = AnT(AntModelConfig())  # the paper preset's architecture: D = 256, L = 9, 4 heads
    assert len(model.blocks) == 9 and model.cfg.dim == 256 and model.blocks[0].attn.heads == 4
    assert 2e6 < count_parameters(model) < 2e7


@pytest.fixture(scope="module")
def ds(toy_dataset):
    return Dataset.open(toy_dataset)


def test_matcher_returns_row_stochastic_scores(ds):
    fa, fb = ds.load_frame("toy000", "0000"), ds.load_frame("toy000", "0001")
    matcher = AntMatcher(_model())
    s = matcher.match(fa, fb)
    assert s.shape == (len(fb.segments), len(fa.segments)) and s.dtype == np.float64
    assert np.allclose(s.sum(1), 1.0) and np.all(s >= 0)


def _frame(seg: np.ndarray) -> Frame:
    line = np.where(seg == 0, 0, 255).astype(np.uint8)
    return Frame("c", "f", line, line, None, None, seg, compute_segment_table(seg), None)


def test_matcher_handles_zero_and_one_segment():
    matcher = AntMatcher(_model())
    empty = _frame(np.zeros((32, 32), np.int32))
    one = _frame(np.ones((32, 32), np.int32))
    two = np.ones((32, 32), np.int32)
    two[:, 16:] = 2
    two = _frame(two)
    assert matcher.match(empty, two).shape == (2, 0)
    assert matcher.match(two, empty).shape == (0, 2)
    assert np.allclose(matcher.match(one, two), 1.0)  # a single source takes all the weight
    assert matcher.match(two, one).shape == (1, 2)


def _mirrored(f: Frame) -> Frame:
    """``f`` mirrored left to right, its segment table computed afresh from the mirrored map."""
    seg = np.ascontiguousarray(f.seg[:, ::-1])
    line = np.ascontiguousarray(f.line[:, ::-1])
    return Frame(f.clip, f.frame, line, line, None, None, seg, compute_segment_table(seg), None)


def test_hflip_tta_averages_with_the_logits_of_the_mirrored_pair(ds):
    fa, fb = ds.load_frame("toy001", "0000"), ds.load_frame("toy001", "0002")
    matcher = AntMatcher(_model())
    plain = matcher.logits(fa, fb)
    mirrored = matcher.logits(_mirrored(fa), _mirrored(fb))  # boxes from the mirrored maps' own tables
    assert not torch.allclose(plain, mirrored, atol=1e-3)  # the model is not mirror-invariant by itself
    matcher.use_tta("hflip")
    assert matcher.cfg.tta == "hflip"
    assert torch.allclose(matcher.logits(fa, fb), (plain + mirrored) / 2, atol=1e-5)
    s = matcher.match(fa, fb)
    assert np.allclose(s.sum(1), 1.0) and np.allclose(s, ((plain + mirrored) / 2).softmax(-1).numpy(), atol=1e-5)
    with pytest.raises(LinecorrError, match="tta='vflip' is not one of none, hflip"):
        matcher.use_tta("vflip")


def test_a_sequence_cuts_each_frames_crops_once(ds, monkeypatch):
    """Frame t is matched against t - 1 and then t + 1: its crops are cut once, same logits."""
    import benchmark.models.ant.matcher as matcher_module

    frames = [ds.load_frame("toy000", f) for f in ("0000", "0001", "0002", "0003")]
    fresh = AntMatcher(_model())
    expected = []
    for a, b in itertools.pairwise(frames):
        fresh._inputs.clear()  # as if every pair came to a new matcher
        expected.append(fresh.logits(a, b))
    cuts = []
    real = matcher_module._frame_tensors
    monkeypatch.setattr(matcher_module, "_frame_tensors", lambda f, cfg, mirror=False: cuts.append(f) or real(f, cfg, mirror))
    matcher = AntMatcher(_model())
    got = [matcher.logits(a, b) for a, b in itertools.pairwise(frames)]
    assert all(torch.equal(x, y) for x, y in zip(got, expected))
    assert len(cuts) == len(frames) and all(c is f for c, f in zip(cuts, frames))
    # a frame that looks the same but is another object is cut anew (identity, not equality)
    copy = ds.load_frame("toy000", "0003")
    assert torch.equal(matcher.logits(frames[2], copy), expected[-1]) and cuts[-1] is copy


def test_pad_frames_masks():
    ca, cb = torch.rand(3, 2, 32, 32), torch.rand(5, 2, 32, 32)
    out = pad_frames(ca, torch.rand(3, 4), cb, torch.rand(5, 4))
    assert out[0].shape == (1, 5, 2, 32, 32) and out[2].tolist() == [[True] * 3 + [False] * 2]
    assert out[5].all()


def test_inference_copy_gives_the_same_similarity(ds):
    fa, fb = ds.load_frame("toy001", "0000"), ds.load_frame("toy001", "0002")
    model = _model()
    matcher = AntMatcher(model)
    assert matcher.model is not model and not model.training  # the caller's model is left alone
    ca, ba = frame_inputs(fa.line, fa.seg, fa.segments.ids, fa.segments.bbox, model.cfg)
    cb, bb = frame_inputs(fb.line, fb.seg, fb.segments.ids, fb.segments.bbox, model.cfg)
    with torch.no_grad():
        ref = model(*pad_frames(ca, ba, cb, bb))[0, :len(fb.segments), :len(fa.segments)].softmax(-1)
    assert np.allclose(matcher.match(fa, fb), ref.numpy(), atol=1e-5)


def test_training_cnn_batches_are_bucketed():
    model = _model().train()
    sizes = []
    model.cnn.register_forward_hook(lambda m, i, o: sizes.append(i[0].shape[0]))
    ca, ba, va = _random_pair(2, 6, [5, 3])
    out = model.local_features(ca, ba, va)
    assert sizes == [32] and out.shape == (2, 6, 32)  # 8 real crops run in a batch of 32
    assert torch.all(out[~va] == 0)


@pytest.mark.parametrize("k", [2, 3])
def test_supersampled_crops_are_the_mean_of_their_samples(k):
    rng = np.random.default_rng(0)
    ink = torch.from_numpy(rng.random((40, 50), dtype=np.float32))
    seg = torch.from_numpy(rng.integers(0, 4, (40, 50)).astype(np.int32))
    ids, bbox = torch.tensor([1, 3]), torch.tensor([[3.0, 5.0, 20.0, 11.0], [30.0, 0.0, 20.0, 40.0]])
    crops = segment_crops(ink, seg, ids, bbox, size=8, supersample=k)
    # supersample=1 at k times the side samples the same lattice, unpooled
    samples = segment_crops(ink, seg, ids, bbox, size=8 * k, supersample=1)
    assert torch.allclose(crops, torch.nn.functional.avg_pool2d(samples, k), atol=1e-6)


@pytest.mark.parametrize("na, nb", [(5, 5), (3, 6), (6, 2)])
def test_pair_logits_equal_the_padded_forward(na, nb):
    model = _model()
    g = torch.Generator().manual_seed(2)
    ca, cb = torch.rand(na, 2, 32, 32, generator=g), torch.rand(nb, 2, 32, 32, generator=g)
    ba, bb = torch.rand(na, 4, generator=g) * 2 - 1, torch.rand(nb, 4, generator=g) * 2 - 1
    with torch.no_grad():
        ref = model(*pad_frames(ca, ba, cb, bb))[0, :nb, :na]
        out = model.pair_logits(ca, ba, cb, bb)
    assert out.shape == (nb, na)
    assert torch.allclose(out, ref, atol=1e-5)
