"""Several datasets read as one: training on more than one render or collection at once.

Renders of the same generator from different master seeds (``v1`` and further v1-style
characters, say) reuse clip ids (``c0000-adventurer-s0`` is in each), so the union prefixes every
clip id with the index of its dataset, ``"<k>:<clip>"``, and pair ids with it, ``"<k>:<clip>/<a>__<b>"``.
A split holds every member's clips of that name, interleaved so that the first clips of a
split (what a training loop validates on when it reads only a few pairs) come from every member.

Only the reading interface that training uses is here (splits, clips, frames, segment tables,
pairs); a union is not a dataset folder, so it has no manifest, hashes or files, and nothing
scores on it: scoring is per dataset.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

from dataprep.errors import FormatError
from dataprep.format.dataset import Dataset, Frame
from dataprep.format.schema import ClipInfo, Pair
from dataprep.format.segtable import SegmentTable

_SEP = ":"  # between a member's index and its own clip id


class DatasetUnion:
    """Datasets ``members`` read as one, clip ids prefixed with their member's index.

    Args:
        members: opened datasets (``open_dataset``), two or more, none of them streamed (a stream
            is read in storage order, which a union of several cannot keep).
        names: what each member was opened from, for messages.
    """

    sequential = False  # read file by file / row by row, in any order

    def __init__(self, members: Sequence[Dataset], names: Sequence[str]) -> None:
        if len(members) != len(names) or len(members) < 2:
            raise ValueError("DatasetUnion needs two or more members and a name for each")
        for ds, name in zip(members, names):
            if getattr(ds, "sequential", False):
                raise FormatError("cannot be streamed as part of several datasets (drop --streaming)", name)
        self.members, self.names = list(members), list(names)

    def _split_id(self, clip: str) -> tuple[Dataset, str]:
        k, sep, own = clip.partition(_SEP)
        if not sep or not k.isdigit() or int(k) >= len(self.members):
            raise FormatError(f"{clip!r} is not a clip id of this union of {len(self.members)} datasets "
                              f"(expected <k>{_SEP}<clip>)")
        return self.members[int(k)], own

    @staticmethod
    def _join(k: int, clip: str) -> str:
        return f"{k}{_SEP}{clip}"

    @property
    def pair_gaps(self) -> None:
        """Every pair is kept (as an unrestricted :class:`Dataset`)."""
        return None

    @property
    def clip_ids(self) -> list[str]:
        """Every member's clip ids, prefixed, member by member."""
        return [self._join(k, c) for k, ds in enumerate(self.members) for c in ds.clip_ids]

    @property
    def splits(self) -> dict[str, list[str]]:
        """``{split: [clip ids]}``: each member's clips of that split, interleaved member by member."""
        names = list(dict.fromkeys(s for ds in self.members for s in ds.splits))
        out = {}
        for s in names:
            lists = [[self._join(k, c) for c in ds.splits.get(s, [])] for k, ds in enumerate(self.members)]
            out[s] = [c for group in itertools.zip_longest(*lists) for c in group if c is not None]
        return out

    def clip(self, clip: str) -> ClipInfo:
        """The member's :class:`ClipInfo` with the prefixed id."""
        ds, own = self._split_id(clip)
        return dataclasses.replace(ds.clip(own), id=clip)

    def load_frame(self, clip: str, frame: str, info: ClipInfo | None = None) -> Frame:
        """The member's frame (its ``clip`` field prefixed)."""
        ds, own = self._split_id(clip)
        f = ds.load_frame(own, frame, dataclasses.replace(info, id=own) if info is not None else None)
        return dataclasses.replace(f, clip=clip)

    def load_segments(self, clip: str, frame: str) -> SegmentTable:
        """The member's segment table."""
        ds, own = self._split_id(clip)
        return ds.load_segments(own, frame)

    def pair_ids(self, split: str | None = None) -> list[str]:
        """Pair ids of every member (of a split: of the members that have it), prefixed."""
        if split is not None and not any(split in ds.splits for ds in self.members):
            raise FormatError(f"none of the datasets has a split {split!r}", ", ".join(self.names))
        return [self._join(k, p) for k, ds in enumerate(self.members)
                if split is None or split in ds.splits for p in ds.pair_ids(split)]

    def load_pair(self, pid: str) -> Pair:
        """The member's pair, its clip id prefixed."""
        ds, own = self._split_id(pid)
        pair = ds.load_pair(own)
        return dataclasses.replace(pair, clip=pid.partition(_SEP)[0] + _SEP + pair.clip)

    def split_of(self, clip: str) -> str | None:
        """The split a (prefixed) clip is in, or None."""
        ds, own = self._split_id(clip)
        return ds.split_of(own)
