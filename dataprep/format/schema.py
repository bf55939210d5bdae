"""The records of the format (docs/FORMAT.md) and their JSON (de)serialisation.

Each ``*_problems`` function returns every problem it finds in a parsed JSON object as a list of
one-line messages (empty = valid), so the validator can report them all; each ``from_json``
raises :class:`FormatError` with the first one.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from dataprep.errors import FormatError

#: Version of docs/FORMAT.md this code writes. Readers accept the same major version.
SCHEMA_VERSION = "1.1"
FORMAT_NAME = "linecorr"

#: Where a match came from.
MATCH_SOURCES = ("render", "auto", "manual")
#: Review status of a pair: annotator queue states plus the reviewer's verdict.
PAIR_STATUSES = ("todo", "in_progress", "done", "accepted", "rejected")
#: Standard split names (others are allowed).
STANDARD_SPLITS = ("train", "val", "test", "eval")

# Clip and frame ids become file names: restricting them rules out path escapes ("..", "/").
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def id_problem(value: Any, what: str) -> str | None:
    """Return a message if ``value`` is not a valid clip/frame id, else None."""
    if not isinstance(value, str) or not _ID_RE.match(value) or "__" in value:
        return (
            f"{what} {value!r} is not a valid id (letters, digits, '.', '_', '-'; "
            "starts with a letter or digit; no '__'; at most 128 chars)"
        )
    return None


def check_id(value: Any, what: str, path=None) -> str:
    """Raise FormatError unless ``value`` is a valid id; return it."""
    msg = id_problem(value, what)
    if msg:
        raise FormatError(msg, path)
    return value


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def _require_keys(obj: Any, keys: tuple[str, ...], what: str) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{what} must be a JSON object, got {type(obj).__name__}"]
    return [f"{what} is missing key {k!r}" for k in keys if k not in obj]


# --------------------------------------------------------------------------------------------
# Manifest


@dataclass
class Producer:
    """What wrote a dataset."""

    stage: str  # the linecorr stage ("import", "render", "segment", "label", "annotate", ...)
    version: str = ""  # linecorr package version
    git_sha: str | None = None  # commit of the code, when run from a git checkout
    command: str = ""  # the command line, for humans
    config: dict = field(default_factory=dict)  # the resolved config of the stage


@dataclass
class Manifest:
    """``manifest.json``: what the dataset is and where it came from."""

    name: str  # human-readable name
    producer: Producer  # what wrote it
    created: str = ""  # ISO 8601 UTC time of writing
    parent: dict | None = None  # {"path", "name", "content_hash"} of the dataset it was derived from
    description: str = ""  # free text
    license: str = ""  # SPDX id or free text, carried to the dataset card
    counts: dict = field(default_factory=dict)  # {"clips", "frames", "pairs", "segments"}
    schema_version: str = SCHEMA_VERSION  # docs/FORMAT.md version
    format: str = FORMAT_NAME  # always "linecorr"

    def to_json(self) -> dict:
        d = asdict(self)
        return {"format": d.pop("format"), "schema_version": d.pop("schema_version"), **d}

    @staticmethod
    def problems(obj: Any) -> list[str]:
        probs = _require_keys(obj, ("format", "schema_version", "name", "producer"), "manifest")
        if probs and not isinstance(obj, dict):
            return probs
        if obj.get("format") not in (None, FORMAT_NAME):
            probs.append(f"manifest format is {obj.get('format')!r}, expected {FORMAT_NAME!r}")
        ver = obj.get("schema_version")
        if ver is not None:
            if not isinstance(ver, str) or not re.match(r"^\d+\.\d+$", ver):
                probs.append(f"schema_version {ver!r} is not 'MAJOR.MINOR'")
            elif ver.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
                probs.append(f"schema_version {ver} is not readable by this linecorr (reads {SCHEMA_VERSION})")
        prod = obj.get("producer")
        if prod is not None and (not isinstance(prod, dict) or "stage" not in prod):
            probs.append("manifest producer must be an object with a 'stage'")
        par = obj.get("parent")
        if par is not None and not isinstance(par, dict):
            probs.append("manifest parent must be an object or null")
        return probs

    @classmethod
    def from_json(cls, obj: Any, path=None) -> Manifest:
        probs = cls.problems(obj)
        if probs:
            raise FormatError(probs[0], path)
        p = obj["producer"]
        producer = Producer(**{k: p[k] for k in ("stage", "version", "git_sha", "command", "config") if k in p})
        keys = ("name", "created", "parent", "description", "license", "counts", "schema_version", "format")
        return cls(producer=producer, **{k: obj[k] for k in keys if k in obj})


# --------------------------------------------------------------------------------------------
# Clip


@dataclass
class ClipInfo:
    """``clips/<id>/clip.json``: an ordered sequence of frames of one shot."""

    id: str  # clip id (also its folder name)
    frames: list[str]  # frame ids in temporal order (also the file stems)
    width: int  # frame width in pixels; every image of the clip has it
    height: int  # frame height in pixels
    has_color: bool = False  # whether color/<frame>.png exists for every frame
    has_labels: bool = False  # whether label/<frame>.png (pixel label map) exists for every frame
    source: dict = field(default_factory=dict)  # provenance, e.g. {"kind": "pbc", "path": ...}
    meta: dict = field(default_factory=dict)  # anything else (character, seed, camera...)

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def problems(obj: Any) -> list[str]:
        probs = _require_keys(obj, ("id", "frames", "width", "height"), "clip.json")
        if probs:
            return probs
        if (m := id_problem(obj["id"], "clip id")) is not None:
            probs.append(m)
        frames = obj["frames"]
        if not isinstance(frames, list) or not frames:
            probs.append("frames must be a non-empty list of frame ids")
        else:
            for f in frames:
                if (m := id_problem(f, "frame id")) is not None:
                    probs.append(m)
            if len(set(map(str, frames))) != len(frames):
                probs.append("frames has duplicate ids")
        for k in ("width", "height"):
            if not _is_int(obj[k]) or obj[k] <= 0:
                probs.append(f"{k} must be a positive integer, got {obj[k]!r}")
        for k in ("has_color", "has_labels"):
            if k in obj and not isinstance(obj[k], bool):
                probs.append(f"{k} must be true or false")
        return probs

    @classmethod
    def from_json(cls, obj: Any, path=None) -> ClipInfo:
        probs = cls.problems(obj)
        if probs:
            raise FormatError(probs[0], path)
        keys = ("id", "frames", "width", "height", "has_color", "has_labels", "source", "meta")
        return cls(**{k: obj[k] for k in keys if k in obj})


# --------------------------------------------------------------------------------------------
# Pair


@dataclass
class Match:
    """One edge of a pair's many-to-many correspondence: segment ``a`` of frame A <-> ``b`` of B."""

    a: int  # segment id in frame A
    b: int  # segment id in frame B
    source: str = "render"  # where it came from: "render", "auto" or "manual"
    confidence: float = 1.0  # in [0, 1]; 1 for render/manual, the vote share for auto


@dataclass
class Pair:
    """``pairs/<clip>/<frame_a>__<frame_b>.json``: correspondence between two frames of a clip."""

    clip: str  # clip id
    frame_a: str  # frame id of the source frame
    frame_b: str  # frame id of the target frame
    matches: list[Match] = field(default_factory=list)  # many-to-many edges
    unmatched_a: list[int] = field(default_factory=list)  # segments of A known to have no match in B
    unmatched_b: list[int] = field(default_factory=list)  # segments of B known to have no match in A
    status: str = "todo"  # one of PAIR_STATUSES
    comment: str = ""  # reviewer's comment
    meta: dict = field(default_factory=dict)  # e.g. {"gap": 7}, effort log, labeller stats
    # Part-region matches (format 1.1, optional): [region of A, region of B] of the same part, region
    # ids as dataprep.format.regions.part_regions numbers the frames' parts/ maps; None = not recorded.
    region_matches: list[tuple[int, int]] | None = None

    @property
    def id(self) -> str:
        """``<clip>/<frame_a>__<frame_b>``, unique in a dataset."""
        return pair_id(self.clip, self.frame_a, self.frame_b)

    def to_json(self) -> dict:
        d = asdict(self)
        d = {"id": self.id, **d}
        d["matches"] = [[m.a, m.b, m.source, round(float(m.confidence), 6)] for m in self.matches]
        if self.region_matches is None:  # optional: older pair files stay byte-identical
            del d["region_matches"]
        else:
            d["region_matches"] = [[int(a), int(b)] for a, b in self.region_matches]
        return d

    @staticmethod
    def problems(obj: Any) -> list[str]:
        probs = _require_keys(obj, ("clip", "frame_a", "frame_b", "matches"), "pair")
        if probs:
            return probs
        for k in ("clip", "frame_a", "frame_b"):
            if (m := id_problem(obj[k], k)) is not None:
                probs.append(m)
        if obj.get("status", "todo") not in PAIR_STATUSES:
            probs.append(f"status {obj.get('status')!r} is not one of {', '.join(PAIR_STATUSES)}")
        ms = obj["matches"]
        if not isinstance(ms, list):
            return probs + ["matches must be a list of [a, b, source, confidence]"]
        seen: set[tuple[int, int]] = set()
        for i, m in enumerate(ms):
            if not (isinstance(m, list) and len(m) == 4):
                probs.append(f"matches[{i}] must be [a, b, source, confidence], got {m!r}")
                continue
            a, b, src, conf = m
            if not (_is_int(a) and _is_int(b) and a > 0 and b > 0):
                probs.append(f"matches[{i}] segment ids must be positive integers, got {a!r}, {b!r}")
            if src not in MATCH_SOURCES:
                probs.append(f"matches[{i}] source {src!r} is not one of {', '.join(MATCH_SOURCES)}")
            if not _is_num(conf) or not 0.0 <= conf <= 1.0:
                probs.append(f"matches[{i}] confidence {conf!r} is not a number in [0, 1]")
            if (a, b) in seen:
                probs.append(f"matches[{i}] duplicates the edge {a} -> {b}")
            seen.add((a, b) if _is_int(a) and _is_int(b) else (-i, -i))
        for k in ("unmatched_a", "unmatched_b"):
            v = obj.get(k, [])
            if not isinstance(v, list) or not all(_is_int(x) and x > 0 for x in v):
                probs.append(f"{k} must be a list of positive segment ids")
        rm = obj.get("region_matches")
        if rm is not None and not (isinstance(rm, list) and all(
                isinstance(e, list) and len(e) == 2 and all(_is_int(x) and x > 0 for x in e) for e in rm)):
            probs.append("region_matches must be a list of [region of A, region of B] positive ids")
        if not probs:
            ma = {m[0] for m in ms}
            mb = {m[1] for m in ms}
            if both := sorted(ma & set(obj.get("unmatched_a", []))):
                probs.append(f"segments {both} of frame A are both matched and marked unmatched")
            if both := sorted(mb & set(obj.get("unmatched_b", []))):
                probs.append(f"segments {both} of frame B are both matched and marked unmatched")
        if "id" in obj and not probs and obj["id"] != pair_id(obj["clip"], obj["frame_a"], obj["frame_b"]):
            probs.append(f"id {obj['id']!r} disagrees with clip/frame_a/frame_b")
        return probs

    @classmethod
    def from_json(cls, obj: Any, path=None) -> Pair:
        probs = cls.problems(obj)
        if probs:
            raise FormatError(probs[0], path)
        matches = [Match(a, b, src, float(conf)) for a, b, src, conf in obj["matches"]]
        keys = ("unmatched_a", "unmatched_b", "status", "comment", "meta")
        rm = obj.get("region_matches")
        return cls(obj["clip"], obj["frame_a"], obj["frame_b"], matches, **{k: obj[k] for k in keys if k in obj},
                   region_matches=None if rm is None else [(int(a), int(b)) for a, b in rm])


def pair_id(clip: str, frame_a: str, frame_b: str) -> str:
    """The dataset-unique id of a pair: ``<clip>/<frame_a>__<frame_b>``."""
    return f"{clip}/{frame_a}__{frame_b}"


def parse_pair_id(pid: str) -> tuple[str, str, str]:
    """Split ``<clip>/<frame_a>__<frame_b>`` into its parts (validated)."""
    clip, sep, rest = pid.partition("/")
    fa, sep2, fb = rest.partition("__")
    if not sep or not sep2:
        raise FormatError(f"pair id {pid!r} is not '<clip>/<frame_a>__<frame_b>'")
    return check_id(clip, "clip id"), check_id(fa, "frame id"), check_id(fb, "frame id")


# --------------------------------------------------------------------------------------------
# Splits


def splits_problems(obj: Any) -> list[str]:
    """Problems in a parsed ``splits.json`` ({split name: [clip ids]})."""
    if not isinstance(obj, dict):
        return [f"splits.json must be an object {{split: [clip ids]}}, got {type(obj).__name__}"]
    probs: list[str] = []
    owner: dict[str, str] = {}
    for name, clips in obj.items():
        if id_problem(name, "split name"):
            probs.append(f"split name {name!r} is not a valid id")
        if not isinstance(clips, list):
            probs.append(f"split {name!r} must be a list of clip ids")
            continue
        for c in clips:
            if id_problem(c, "clip id"):
                probs.append(f"split {name!r} lists an invalid clip id {c!r}")
            elif c in owner:
                probs.append(f"clip {c!r} is in both split {owner[c]!r} and {name!r}")
            else:
                owner[c] = name
    return probs
