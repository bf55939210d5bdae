"""The dataset card (``README.md``): the YAML header the Hub reads, and a generated summary.

Statistics are computed from the JSON files only (segment tables and pairs), never from images,
and only over what is published: the frames that occur in a split's pairs.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from dataprep.format.dataset import Dataset
from dataprep.format.schema import MATCH_SOURCES, SCHEMA_VERSION, parse_pair_id
from dataprep.publish.files import FILES_CONFIG, FILES_DIR, FILES_SPLIT
from dataprep.viz import match_groups

# License ids the Hub knows (a subset: the ones datasets of drawings plausibly use).
_HUB_LICENSES = {
    "apache-2.0", "mit", "cc0-1.0", "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0", "cc-by-nc-sa-4.0",
    "cc-by-nc-nd-4.0", "cc-by-nd-4.0", "cc-by-3.0", "cc-by-sa-3.0", "cc-by-nc-3.0", "cc-by-nc-sa-3.0",
    "cc-by-2.0", "bsd-2-clause", "bsd-3-clause", "gpl-3.0", "lgpl-3.0", "odc-by", "odbl", "pddl", "openrail",
}
#: Upper bounds (pixels) of the segment area histogram buckets.
AREA_BUCKETS = (16, 64, 256, 1024, 4096, 16384, 65536)

CITATION = r"""@inproceedings{casey2021animation,
  title     = {The Animation Transformer: Visual Correspondence via Segment Matching},
  author    = {Casey, Evan and P{\'e}rez, V{\'\i}ctor and Li, Zhuoru and Teitelman, Harry and
               Boyajian, Nick and Pulver, Tim and Manh, Mike and Grisaitis, William},
  booktitle = {Proceedings of the IEEE/CVF International Conference on Computer Vision (ICCV)},
  year      = {2021}
}

@misc{li2025regionwise,
  title  = {Region-Wise Correspondence Prediction between Manga Line Art Images},
  author = {Li, Yingxuan and Mao, Jiafeng and Qiu, Qianru and Matsui, Yusuke},
  year   = {2025}
}"""


@dataclass
class SplitStats:
    """What one published split holds."""

    clips: int = 0  # clips with at least one pair
    frames: int = 0  # distinct frames in the pairs
    pairs: int = 0  # rows
    segments: int = 0  # segments over those frames
    seg_per_frame: list[int] = field(default_factory=list)  # segment count of each frame
    areas: list[np.ndarray] = field(default_factory=list)  # (N,) int64 segment areas, per frame
    sources: Counter = field(default_factory=Counter)  # match edges by source
    edges: int = 0  # match edges
    group_kinds: Counter = field(default_factory=Counter)  # groups by kind: "1:1", "1:n", "n:1", "n:m"
    edges_many: int = 0  # edges in groups that are not 1:1
    unmatched: int = 0  # segments listed as unmatched (A and B)
    statuses: Counter = field(default_factory=Counter)  # pairs by review status

    def add(self, other: SplitStats) -> None:
        """Accumulate ``other`` into this (for the all-splits total)."""
        for k in ("clips", "frames", "pairs", "segments", "edges", "edges_many", "unmatched"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.seg_per_frame += other.seg_per_frame
        self.areas += other.areas
        for k in ("sources", "group_kinds", "statuses"):
            getattr(self, k).update(getattr(other, k))


def _group_kind(na: int, nb: int) -> str:
    return "1:1" if na == nb == 1 else "1:n" if na == 1 else "n:1" if nb == 1 else "n:m"


def compute_stats(ds: Dataset, splits: dict[str, list[str]]) -> dict[str, SplitStats]:
    """Statistics per split (``{split: [pair ids]}``) plus ``"all"``; reads JSON files only."""
    out: dict[str, SplitStats] = {}
    for name, pids in splits.items():
        s = SplitStats()
        frames: set[tuple[str, str]] = set()
        for pid in pids:
            pair = ds.load_pair(pid)
            frames.update({(pair.clip, pair.frame_a), (pair.clip, pair.frame_b)})
            s.pairs += 1
            s.statuses[pair.status] += 1
            s.edges += len(pair.matches)
            s.sources.update(m.source for m in pair.matches)
            s.unmatched += len(pair.unmatched_a) + len(pair.unmatched_b)
            groups = match_groups([(m.a, m.b) for m in pair.matches])
            kinds = [_group_kind(na, nb) for na, nb in groups.sizes]
            s.group_kinds.update(kinds)
            many = {k for k, kind in enumerate(kinds) if kind != "1:1"}
            s.edges_many += sum(1 for m in pair.matches if groups.a[m.a] in many)
        for clip, fr in sorted(frames):
            t = ds.load_segments(clip, fr)
            s.seg_per_frame.append(len(t))
            s.areas.append(t.area)
        s.frames, s.clips = len(frames), len({c for c, _ in frames})
        s.segments = int(sum(s.seg_per_frame))
        out[name] = s
    total = SplitStats()
    for s in out.values():
        total.add(s)
    out["all"] = total
    return out


# --------------------------------------------------------------------------------------------
# YAML header


def hub_license(license: str) -> dict:
    """The card's license fields: a Hub license id, ``unknown``, or ``other`` plus its name."""
    lic = license.strip().lower()
    if lic in _HUB_LICENSES:
        return {"license": lic}
    if not lic:
        return {"license": "unknown"}
    return {"license": "other", "license_name": re.sub(r"[^a-z0-9.]+", "-", lic).strip("-") or "custom"}


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` bucket for ``n`` rows."""
    for bound, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < bound:
            return name
    return "10M<n<100M"


def card_header(ds: Dataset, dd, parquet_bytes: int) -> dict:
    """The YAML header: configs (one per split glob), license, tasks, tags, name, dataset_info."""
    n = sum(len(d) for d in dd.values())
    info = {
        "features": next(iter(dd.values())).features._to_yaml_list(),
        "splits": [{"name": k, "num_bytes": int(d.data.nbytes), "num_examples": len(d)} for k, d in dd.items()],
        "download_size": int(parquet_bytes),
        "dataset_size": int(sum(d.data.nbytes for d in dd.values())),
    }
    return {
        "pretty_name": ds.manifest.name,
        **hub_license(ds.manifest.license),
        "task_categories": ["image-segmentation", "image-to-image"],
        "tags": ["line-art", "animation", "anime", "correspondence", "segment-matching", "colorization", "linecorr"],
        "size_categories": [size_category(n)],
        "configs": [{"config_name": "default", "default": True,
                     "data_files": [{"split": k, "path": f"data/{k}-*.parquet"} for k in dd]},
                    # The file index linecorr reads the data back through (dataprep/publish/files.py).
                    {"config_name": FILES_CONFIG,
                     "data_files": [{"split": FILES_SPLIT, "path": f"{FILES_DIR}/files-*.parquet"}]}],
        "dataset_info": info,
    }


# --------------------------------------------------------------------------------------------
# Markdown body


def counts_table(stats: dict[str, SplitStats]) -> str:
    rows = ["| split | clips | frames | pairs | segments |", "|---|---:|---:|---:|---:|"]
    for k, s in stats.items():
        name = f"**{k}**" if k == "all" else f"`{k}`"
        rows.append(f"| {name} | {s.clips:,} | {s.frames:,} | {s.pairs:,} | {s.segments:,} |")
    return "\n".join(rows)


def segment_section(s: SplitStats) -> str:
    """Segments per frame and the area distribution (all splits)."""
    spf = np.asarray(s.seg_per_frame) if s.seg_per_frame else np.zeros(1)
    areas = np.concatenate(s.areas) if s.areas else np.zeros(0, np.int64)
    lines = [(f"Segments per frame: mean {spf.mean():.1f}, median {np.median(spf):g}, "
              f"min {spf.min():g}, max {spf.max():g}."), ""]
    if areas.size:
        q = np.percentile(areas, [5, 25, 50, 75, 95])
        lines += ["Segment area (pixels): " + ", ".join(f"p{p} {v:,.0f}" for p, v in zip((5, 25, 50, 75, 95), q))
                  + f", max {areas.max():,}.", "", "| area (px) | segments | share |", "|---|---:|---:|"]
        lo = 0
        for hi in (*AREA_BUCKETS, None):
            sel = (areas >= lo) & (areas < hi) if hi is not None else areas >= lo
            label = f"{lo:,}–{hi - 1:,}" if hi is not None else f"≥ {lo:,}"
            lines.append(f"| {label} | {int(sel.sum()):,} | {sel.mean():.1%} |")
            lo = hi or lo
    return "\n".join(lines)


def match_section(s: SplitStats) -> str:
    """Match sources, group shapes (many-to-many share), unmatched and review statuses."""
    groups = sum(s.group_kinds.values())
    src = ", ".join(f"`{k}` {s.sources.get(k, 0):,}" for k in MATCH_SOURCES) or "none"
    kinds = ", ".join(f"{k} {s.group_kinds.get(k, 0):,}" for k in ("1:1", "1:n", "n:1", "n:m"))
    many = groups - s.group_kinds.get("1:1", 0)
    stat = ", ".join(f"`{k}` {v:,}" for k, v in sorted(s.statuses.items()))
    return "\n".join([
        f"- {s.edges:,} match edges by source: {src}.",
        f"- {groups:,} match groups (connected components of a pair's match graph): {kinds}.",
        (f"- Many-to-many: {many / max(groups, 1):.1%} of groups are not 1:1; they hold "
         f"{s.edges_many / max(s.edges, 1):.1%} of the edges."),
        f"- {s.unmatched:,} segments are marked unmatched (no counterpart in the other frame).",
        f"- Review status of the pairs: {stat or 'none'}.",
    ])


def loading_section(splits: list[str], repo_id: str | None) -> str:
    files = ", ".join(f'"{k}": "data/{k}-*.parquet"' for k in splits)
    rid = repo_id or "ORG/NAME"
    return f"""```python
from datasets import load_dataset, load_from_disk

# from the Hub
ds = load_dataset("{rid}")
# from a local copy of this folder
ds = load_dataset("parquet", data_files={{{files}}})
# the save_to_disk copy (arrow/, not uploaded to the Hub)
ds = load_from_disk("arrow")

import numpy as np
row = ds["{splits[0]}"][0]
seg = np.asarray(row["seg_a"])  # 16-bit gray: the ids themselves, 0 = line pixels
if seg.ndim == 3:  # RGB-encoded (some id > 65535): id = R*65536 + G*256 + B
    seg = seg.astype(np.int64)
    seg = (seg[..., 0] << 16) | (seg[..., 1] << 8) | seg[..., 2]
m = row["matches"]  # segment m["a"][i] of frame A <-> segment m["b"][i] of frame B
```

With linecorr installed, `dataprep.publish.decode_segment_image(row["seg_a"])` does the same, and
`decode_label_image(row["label_a"])` decodes the pixel label and part maps (alpha 0 = -1).

linecorr trains and scores on this dataset as it is, from the Hub or a local copy, without
converting it back (docs/PUBLISH.md in the linecorr repository):

```bash
linecorr train ant --config tiny --dataset {rid} --out runs/ant
linecorr score --method nearest-aligned --dataset {rid} --split {splits[-1]} --out-dir results
```

It reads the frames through the pair rows and the file index (config `{FILES_CONFIG}`: every
source file's SHA-256 and where its bytes are), so its content and ground-truth hashes are those of
the source dataset."""


def render_card(ds: Dataset, dd, stats: dict[str, SplitStats], parquet_bytes: int, content_hash: str,
                repo_id: str | None = None, preview: str | None = None, publisher: dict | None = None,
                unsplit: str = "unsplit") -> str:
    """The whole ``README.md``: YAML header + summary, statistics, schema, loading, citation."""
    import yaml

    header = yaml.safe_dump(card_header(ds, dd, parquet_bytes), sort_keys=False, allow_unicode=True, width=120)
    m = ds.manifest
    pub = publisher or {}
    parts = [
        f"---\n{header}---\n",
        f"# {m.name}\n",
        (m.description or "Line-art frames with segment maps and segment-wise correspondences.") + "\n",
        ("Each row is a **pair** of frames of one clip: both line images, both color images (when the clip "
         "has them), both segment label maps (lossless PNG), the pixel label and part maps when the source "
         "has them, both segment tables and the many-to-many "
         "segment matches between them, as in the Animation Transformer (AnT) and manga region-correspondence "
         "papers. Exported with `linecorr publish` from the linecorr format "
         f"(docs/FORMAT.md, schema version {m.schema_version}; this linecorr writes {SCHEMA_VERSION}).\n"),
    ]
    if preview:
        parts.append(f"![a pair: matched segments share a color, unmatched segments are gray]({preview})\n")
        parts.append(f"*Preview: `{preview}`, one pair; segments in the same match group share a color, "
                     "segments without a match are gray, lines black.*\n")
    parts += [
        "## Contents\n", counts_table(stats) + "\n",
        (f"Pairs of clips that `splits.json` puts in no split are in the split `{unsplit}`; splits without "
         "pairs are not published. Frames are counted when they occur in at least one pair.\n"),
        "### Segments\n", segment_section(stats["all"]) + "\n",
        "### Matches\n", match_section(stats["all"]) + "\n",
        "## Row schema\n", _SCHEMA_TABLE,
        "## Loading\n", loading_section(list(dd), repo_id) + "\n",
        "## Provenance\n",
        (f"- Source dataset: `{m.name}`, written by stage `{m.producer.stage}` (linecorr "
         f"{m.producer.version or '?'}, git {m.producer.git_sha or 'unknown'}), created {m.created or 'unknown'}."),
        f"- Content hash (SHA-256 over the source files): `{content_hash}`.",
        f"- Published by linecorr {pub.get('version', '?')} (git {pub.get('git_sha') or 'unknown'}).",
        f"- License: {m.license or 'not stated'}.\n",
        "## Citation\n",
        "If you use this data, please cite the works whose task definition it follows:\n",
        f"```bibtex\n{CITATION}\n```\n",
    ]
    return "\n".join(parts)


_SCHEMA_TABLE = f"""| column | type | meaning |
|---|---|---|
| `id` | string | pair id `<clip>/<frame_a>__<frame_b>` |
| `clip`, `frame_a`, `frame_b` | string | clip and frame ids |
| `gap` | int32 | frame index distance within the clip |
| `width`, `height` | int32 | frame size in pixels |
| `line_a`, `line_b` | Image | line art as stored (0 = ink, 255 = paper; may carry alpha) |
| `color_a`, `color_b` | Image or null | color frames (null when the clip has none) |
| `seg_a`, `seg_b` | Image | segment label map, 0 = line pixels: 16-bit gray PNG, or 8-bit RGB PNG with id = R·65536 + G·256 + B when an id exceeds 65535 |
| `segments_a`, `segments_b` | struct of lists | segment table: `id`, `area`, `bbox` [x, y, w, h], `centroid` [x, y], `color` RGBA (null without color), `label` (correspondence id, -1 unknown), `color_label` |
| `matches` | struct of lists | many-to-many edges: `a`, `b` (segment ids), `source` (render / auto / manual), `confidence` |
| `unmatched_a`, `unmatched_b` | list of int32 | segments known to have no counterpart |
| `status`, `comment` | string | review status (todo, in_progress, done, accepted, rejected) and reviewer comment |
| `meta` | string | the pair's metadata as JSON |
| `provenance` | struct | source dataset name, schema version, producer stage/version/git sha, content hash, clip source (JSON) |
| `label_a`, `label_b` | Image or null | pixel label map (clips with labels): RGBA PNG, id = R·65536 + G·256 + B, alpha 0 = −1 |
| `parts_a`, `parts_b` | Image or null | exact part-id map under a drawn line style (format 1.1), encoded as `label`; null without one |
| `segments_json_a`, `segments_json_b` | string | the segment table file verbatim (all columns, full precision) |
| `pair_json` | string | the pair file verbatim (with the optional part-region matches) |

The config `{FILES_CONFIG}` (`{FILES_DIR}/files-*.parquet`) lists every file of the source dataset:
`path`, `sha256`, `size`, and where its bytes are (`split`, `row`, `column` of a pair row, or `data`
for the files no row carries: manifest, splits, clip.json, frames in no pair).
"""


def first_preview_pair(splits: dict[str, list[str]]) -> str:
    """The pair shown in the preview: the first test pair, else the first pair of the first split."""
    for name in ("test", *splits):
        if splits.get(name):
            parse_pair_id(splits[name][0])
            return splits[name][0]
    raise ValueError("no pairs")
