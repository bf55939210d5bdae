"""Several datasets read as one (``open_datasets``): prefixed ids, joined splits, refusals."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from dataprep.errors import FormatError
from dataprep.format import Dataset, open_dataset, open_datasets
from dataprep.format.union import DatasetUnion


@pytest.fixture()
def two(toy_dataset, tmp_path):
    """The toy dataset and a copy of it: the same clip ids, as two renders of one generator from one seed."""
    other = tmp_path / "other"
    shutil.copytree(toy_dataset, other)
    return str(toy_dataset), str(other)


def test_one_spec_is_the_dataset_itself(toy_dataset):
    assert isinstance(open_datasets(str(toy_dataset)), Dataset)
    assert isinstance(open_datasets([toy_dataset]), Dataset)
    with pytest.raises(FormatError, match="no dataset given"):
        open_datasets([])


def test_a_union_prefixes_ids_and_joins_splits(two):
    a, b = (open_dataset(s) for s in two)
    u = open_datasets(list(two))
    assert isinstance(u, DatasetUnion) and not u.sequential
    assert u.clip_ids == [f"0:{c}" for c in a.clip_ids] + [f"1:{c}" for c in b.clip_ids]
    assert len(set(u.clip_ids)) == len(a.clip_ids) + len(b.clip_ids)  # the same ids twice, told apart
    for split, clips in a.splits.items():
        # interleaved: the first clips of a split (what validation reads first) come from both
        assert u.splits[split][:2] == [f"0:{clips[0]}", f"1:{b.splits[split][0]}"]
        assert sorted(u.splits[split]) == sorted([f"0:{c}" for c in clips] + [f"1:{c}" for c in b.splits[split]])
    clip = u.splits["train"][1]
    info = u.clip(clip)
    assert info.id == clip and info.frames == b.clip(clip[2:]).frames
    f = u.load_frame(clip, info.frames[0])
    g = b.load_frame(clip[2:], info.frames[0])
    assert f.clip == clip and np.array_equal(f.seg, g.seg) and np.array_equal(f.line, g.line)
    assert np.array_equal(u.load_segments(clip, info.frames[0]).label, g.segments.label)
    pids = u.pair_ids("train")
    assert len(pids) == len(a.pair_ids("train")) + len(b.pair_ids("train"))
    pair = u.load_pair(pids[-1])
    assert pair.id == pids[-1] and pair.clip.startswith("1:") and u.split_of(pair.clip) == "train"


def test_a_union_refuses_what_it_cannot_read(two):
    u = open_datasets(list(two))
    with pytest.raises(FormatError, match="not a clip id of this union"):
        u.clip("c0000")
    with pytest.raises(FormatError, match="not a clip id of this union"):
        u.clip("7:c0000")
    with pytest.raises(FormatError, match="none of the datasets has a split 'nope'"):
        u.pair_ids("nope")
    with pytest.raises(FormatError, match="--streaming"):
        open_datasets(list(two), streaming=True)
    with pytest.raises(FormatError, match="no such dataset folder"):
        open_datasets([two[0], two[1] + "-missing"])
