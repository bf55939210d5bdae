"""AnimeRun import/export: exact round trip (arrays, dtypes, JSON), id offset, pairs, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from foreign_layouts import assert_same_tree, write_animerun_root, write_animerun_scene
from PIL import Image

from dataprep.cli import main
from dataprep.format import Dataset
from dataprep.format.validate import validate_dataset
from dataprep.importers.animerun import AnimeRunImportConfig, export_animerun, import_animerun


def assert_same_npy(a: Path, b: Path) -> None:
    """Every .npy under ``a`` has the same dtype and values under ``b``."""
    for pa in sorted(a.rglob("*.npy")):
        xa, xb = np.load(pa), np.load(b / pa.relative_to(a))
        assert xa.dtype == xb.dtype and np.array_equal(xa, xb), pa


@pytest.fixture(scope="module")
def ar(tmp_path_factory):
    """(source root, imported dataset, exported root), made once for the module."""
    tmp = tmp_path_factory.mktemp("ar")
    root = write_animerun_root(tmp / "AnimeRun")
    ds = import_animerun(root, tmp / "ds")
    return root, ds, export_animerun(ds, tmp / "back")


def test_round_trip_reproduces_arrays_and_json(ar):
    root, _, back = ar
    assert_same_tree(root, back)  # same files, PNG pixels, JSON values, .npy bytes
    assert_same_npy(root, back)


def test_import_is_valid_with_offset_and_splits(ar):
    root, ds_path, _ = ar
    assert validate_dataset(ds_path) == []
    ds = Dataset.open(ds_path)
    assert ds.splits == {"train": ["s1", "s2"], "test": ["s3"]}
    info = ds.clip("s1")
    assert info.source["id_offset"] == 1 and info.source["split_dir"] == "train" and info.has_color
    assert [ds.clip(c).source["npy_dtype"] for c in ("s1", "s2", "s3")] == ["<i4", "<i8", "<u2"]
    orig = np.load(root / "train/Segment/s1/0001.npy")
    fr = ds.load_frame("s1", "0001")
    assert np.array_equal(fr.seg, orig + 1) and fr.seg.min() == 1  # AnimeRun 0 is a segment, not a line
    assert fr.segments.ids.tolist() == list(range(1, orig.max() + 2))


def test_pairs_from_forward_matching(ar):
    root, ds_path, _ = ar
    ds = Dataset.open(ds_path)
    assert ds.pair_ids("train") == ["s1/0000__0001", "s1/0001__0002", "s2/0000__0001"]
    for k in (0, 1):
        fwd = json.loads((root / f"train/SegMatching/s1/forward/000{k}.json").read_text())
        pair = ds.load_pair(f"s1/000{k}__000{k + 1}")
        assert all(m.source == "render" for m in pair.matches) and pair.meta["gap"] == 1
        want = {(int(a) + 1, b + 1) for a, bs in fwd.items() for b in bs if b >= 0}
        assert {(m.a, m.b) for m in pair.matches} == want
        assert pair.unmatched_a == [int(a) + 1 for a, bs in fwd.items() if bs == [-1]]
    # the body is cut in two in frame 1: one segment matched to two
    p01 = ds.load_pair("s1/0000__0001")
    assert max(sum(m.a == a for m in p01.matches) for a in {m.a for m in p01.matches}) == 2
    assert ds.load_pair("s1/0001__0002").unmatched_a  # the eye and the strap are gone in frame 2


def test_without_split_folder(tmp_path, capsys):
    root = write_animerun_root(tmp_path / "flat", splits=False)
    out = tmp_path / "ds"
    assert main(["import", "animerun", str(root), "--out", str(out), "--split", "train"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    ds = Dataset.open(out)
    assert ds.splits == {"train": ["s1"]} and ds.clip("s1").source["split_dir"] is None
    assert main(["export", "animerun", str(out), "--out", str(tmp_path / "back")]) == 0
    assert_same_tree(root, tmp_path / "back")


def test_zero_is_line(tmp_path):
    root = tmp_path / "ar"
    write_animerun_scene(root, "s1", frames=2)
    contour = np.array(Image.open(root / "contour/s1/0000.png"))[..., 0] == 0
    seg = np.load(root / "Segment/s1/0000.npy") + 1
    seg[contour] = 0  # BasicPBC-style: 0 marks line pixels
    np.save(root / "Segment/s1/0000.npy", seg)
    np.save(root / "Segment/s1/0001.npy", np.load(root / "Segment/s1/0001.npy") + 1)
    fwd = json.loads((root / "SegMatching/s1/forward/0000.json").read_text())
    fwd = {str(int(a) + 1): [b + 1 if b >= 0 else b for b in bs] for a, bs in fwd.items()}
    (root / "SegMatching/s1/forward/0000.json").write_text(json.dumps(fwd))
    ds = Dataset.open(import_animerun(root, tmp_path / "ds", AnimeRunImportConfig(zero_is_line=True)))
    fr = ds.load_frame("s1", "0000")
    assert ds.clip("s1").source["id_offset"] == 0 and np.array_equal(fr.seg, seg) and (fr.seg == 0).any()
    assert_same_tree(root, export_animerun(ds.root, tmp_path / "back"))


def test_empty_absent_and_last_frame_entries_round_trip(tmp_path):
    root = tmp_path / "ar"
    write_animerun_scene(root, "s1", frames=3)
    p0 = root / "SegMatching/s1/forward/0000.json"
    fwd = json.loads(p0.read_text())
    fwd["1"] = []  # an empty list
    del fwd["2"]  # a segment the file does not mention
    p0.write_text(json.dumps(fwd))
    (root / "SegMatching/s1/forward/0002.json").write_text(json.dumps({"0": [-1]}))  # last frame: no pair
    ds = Dataset.open(import_animerun(root, tmp_path / "ds"))
    pair = ds.load_pair("s1/0000__0001")
    assert pair.meta["animerun_empty"] == [2] and not any(m.a == 3 for m in pair.matches)
    assert_same_tree(root, export_animerun(ds.root, tmp_path / "back"))


def test_export_of_other_datasets(toy_dataset, tmp_path):
    out = export_animerun(toy_dataset, tmp_path / "ar")
    toy = Dataset.open(toy_dataset)
    seg = np.load(out / "train/Segment/toy000/0001.npy")
    assert seg.dtype == np.int32 and np.array_equal(seg, toy.load_seg("toy000", "0001"))
    again = Dataset.open(import_animerun(out, tmp_path / "again", AnimeRunImportConfig(zero_is_line=True)))
    for pid in toy.pair_ids():
        a, b = toy.load_pair(pid), again.load_pair(pid)
        assert {(m.a, m.b) for m in a.matches} == {(m.a, m.b) for m in b.matches}


def test_failed_import_resumes(tmp_path, capsys):
    root = tmp_path / "ar"
    write_animerun_scene(root, "a", frames=2)
    write_animerun_scene(root, "b", frames=2)
    bad = root / "SegMatching/b/forward/0000.json"
    good = bad.read_text()
    bad.write_text("{")
    out = tmp_path / "ds"
    assert main(["import", "animerun", str(root), "--out", str(out), "--workers", "2"]) == 2  # error from a worker
    assert "b/forward/0000.json: malformed JSON" in capsys.readouterr().err and not out.exists()
    stamp = (tmp_path / "ds.partial/clips/a/clip.json").stat().st_mtime_ns
    bad.write_text(good)
    assert main(["import", "animerun", str(root), "--out", str(out)]) == 0
    assert (out / "clips/a/clip.json").stat().st_mtime_ns == stamp
    assert validate_dataset(out) == []


# ---------------------------------------------------------------------------------------------
# bad input


def _npy(rel: str, arr_fn):
    def edit(root: Path) -> None:
        np.save(root / rel, arr_fn(np.load(root / rel)))
    return edit


def _fwd(fn):
    def edit(root: Path) -> None:
        p = root / "SegMatching/s1/forward/0000.json"
        obj = json.loads(p.read_text())
        fn(obj)
        p.write_text(json.dumps(obj))
    return edit


BAD = {
    "no Segment folder": (lambda r: shutil.rmtree(r / "Segment"), "has no Segment/ folder"),
    "no contour folder": (lambda r: shutil.rmtree(r / "contour/s1"), "contour/s1: folder is missing"),
    "missing contour": (lambda r: (r / "contour/s1/0001.png").unlink(), "contour/s1/0001.png: file is missing"),
    "missing color": (lambda r: (r / "Frame_Anime/s1/original/0000.png").unlink(),
                      "Frame_Anime/s1/original/0000.png: file is missing"),
    "missing forward": (lambda r: (r / "SegMatching/s1/forward/0000.json").unlink(),
                        "forward/0000.json: file is missing"),
    "float npy": (_npy("Segment/s1/0001.npy", lambda a: a.astype(np.float32)),
                  "Segment/s1/0001.npy: segment map must be a 2-D integer array"),
    "3-D npy": (_npy("Segment/s1/0001.npy", lambda a: a[..., None]),
                "Segment/s1/0001.npy: segment map must be a 2-D integer array"),
    "negative ids": (_npy("Segment/s1/0001.npy", lambda a: a - 1), "Segment/s1/0001.npy: segment ids must be in"),
    "corrupt npy": (lambda r: (r / "Segment/s1/0001.npy").write_bytes(b"\x93NUMPY garbage"),
                    "Segment/s1/0001.npy: cannot read .npy"),
    "contour size": (lambda r: Image.new("RGB", (30, 30)).save(r / "contour/s1/0001.png"),
                     "contour/s1/0001.png: is 30x30 pixels"),
    "frame size": (_npy("Segment/s1/0001.npy", lambda a: a[:30]), "Segment/s1/0001.npy: is 40x30 pixels"),
    "malformed json": (lambda r: (r / "SegMatching/s1/forward/0000.json").write_text("{1: 2"),
                       "forward/0000.json: malformed JSON"),
    "unknown segment": (_fwd(lambda o: o.__setitem__("99", [-1])), "forward/0000.json: lists segment 99"),
    "unknown target": (_fwd(lambda o: o.__setitem__("0", [99])),
                       "forward/0000.json: matches segment 0 to 99, which the next frame 0001 does not have"),
    "not a list": (_fwd(lambda o: o.__setitem__("0", 3)), "forward/0000.json: segment matching value of '0'"),
    "bad key": (_fwd(lambda o: o.__setitem__("x", [1])), "forward/0000.json: segment matching key 'x'"),
    "mixed -1": (_fwd(lambda o: o.__setitem__("0", [-1, 0])), "forward/0000.json: segment 0 mixes -1"),
    "twice": (_fwd(lambda o: o.__setitem__("0", [0, 0])), "forward/0000.json: lists segment 0 twice"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_writes_nothing(case, tmp_path, capsys):
    root = tmp_path / "ar"
    write_animerun_scene(root, "s1", frames=2)
    corrupt, msg = BAD[case]
    corrupt(root)
    out = tmp_path / "ds"
    assert main(["import", "animerun", str(root), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert msg in err, err
    assert not out.exists()
