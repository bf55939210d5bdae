"""Bad input never crashes deep inside a library: one line naming the file, nothing half-written.

Each case corrupts a valid dataset in one way and checks both the validator (reports the problem,
naming the file) and the reader (raises FormatError naming the file).
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from dataprep.errors import FormatError, LinecorrError
from dataprep.format import ClipInfo, Dataset, DatasetWriter, make_producer
from dataprep.format.validate import validate_dataset


@pytest.fixture
def ds(toy_dataset, tmp_path):
    out = tmp_path / "ds"
    shutil.copytree(toy_dataset, out)
    return out


def _problems(root):
    return [str(p) for p in validate_dataset(root)]


def _one_line(msg: str) -> bool:
    return "\n" not in msg and "Traceback" not in msg


def test_truncated_png(ds):
    p = ds / "clips/toy000/seg/0001.png"
    p.write_bytes(p.read_bytes()[:200])
    probs = _problems(ds)
    assert any(s.startswith("clips/toy000/seg/0001.png: cannot decode image") for s in probs), probs
    with pytest.raises(FormatError, match="seg/0001.png: cannot decode image") as e:
        Dataset.open(ds).load_frame("toy000", "0001")
    assert _one_line(str(e.value))


def test_corrupt_png_bytes(ds):
    p = ds / "clips/toy000/line/0000.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(300))
    assert any(s.startswith("clips/toy000/line/0000.png: cannot decode image") for s in _problems(ds))


def test_image_sizes_disagree(ds):
    from PIL import Image

    p = ds / "clips/toy001/color/0002.png"
    Image.new("RGB", (100, 90)).save(p)
    probs = _problems(ds)
    assert "clips/toy001/color/0002.png: image is 100x90, clip.json says 128x128" in probs
    with pytest.raises(FormatError, match="image is 100x90"):
        Dataset.open(ds).load_frame("toy001", "0002")


def test_label_map_that_is_not_integer(tmp_path):
    line = np.full((4, 4), 255, np.uint8)
    with pytest.raises(FormatError, match="must be an integer array, got float32"):
        DatasetWriter(tmp_path / "o", name="t", producer=make_producer("t")).write_frame(
            "c", "0", line=line, seg=np.ones((4, 4), np.float32))
    assert not (tmp_path / "o").exists()


def test_float_png_label_map_is_reported(ds):
    from PIL import Image

    Image.fromarray(np.ones((128, 128), np.float32), mode="F").save(ds / "clips/toy000/seg/0000.tiff")
    os.replace(ds / "clips/toy000/seg/0000.tiff", ds / "clips/toy000/seg/0000.png")
    probs = _problems(ds)
    assert any(s.startswith("clips/toy000/seg/0000.png: ") for s in probs), probs


def test_more_segments_than_the_encoding_holds(tmp_path):
    seg = np.array([[1, 2**24]], np.int64)
    with pytest.raises(FormatError, match="more than the encoding holds"):
        DatasetWriter(tmp_path / "o", name="t", producer=make_producer("t")).write_frame(
            "c", "0", line=np.zeros((1, 2), np.uint8), seg=seg)


def test_malformed_json(ds):
    (ds / "pairs/toy000/0000__0001.json").write_text('{"clip": "toy000", "matches": [')
    (ds / "clips/toy002/clip.json").write_text("not json")
    probs = _problems(ds)
    assert any(s.startswith("pairs/toy000/0000__0001.json: malformed JSON (line 1") for s in probs), probs
    assert any(s.startswith("clips/toy002/clip.json: malformed JSON") for s in probs), probs
    with pytest.raises(FormatError, match="0000__0001.json: malformed JSON"):
        Dataset.open(ds).load_pair("toy000/0000__0001")


def test_missing_files(ds):
    os.remove(ds / "clips/toy000/segments/0002.json")
    os.remove(ds / "clips/toy001/line/0000.png")
    os.remove(ds / "manifest.json")
    probs = _problems(ds)
    assert "clips/toy000/segments/0002.json: file is missing" in probs
    assert "clips/toy001/line/0000.png: file is missing" in probs
    assert "manifest.json: file is missing" in probs
    with pytest.raises(FormatError, match="no manifest.json"):
        Dataset.open(ds)


def test_every_problem_is_reported_not_just_the_first(ds):
    os.remove(ds / "clips/toy000/segments/0002.json")
    (ds / "pairs/toy001/0000__0001.json").write_text("[")
    (ds / "splits.json").write_text('{"train": ["toy000", "ghost"], "test": ["toy000"]}')
    probs = _problems(ds)
    assert len(probs) >= 3
    assert any("ghost" in p or "both split" in p for p in probs)


def test_pair_referring_to_missing_segments_and_bad_fields(ds):
    import json

    p = ds / "pairs/toy000/0000__0001.json"
    obj = json.loads(p.read_text())
    obj["matches"].append([9999, 1, "render", 1.0])
    obj["matches"].append([1, 1, "guess", 2.0])
    obj["status"] = "whatever"
    p.write_text(json.dumps(obj))
    probs = [s for s in _problems(ds) if s.startswith("pairs/toy000/0000__0001.json")]
    assert any("status 'whatever'" in s for s in probs)
    assert any("source 'guess'" in s for s in probs)
    assert any("confidence 2.0" in s for s in probs)


def test_stale_segment_table(ds):
    import json

    p = ds / "clips/toy000/segments/0000.json"
    obj = json.loads(p.read_text())
    obj["columns"]["area"][0] += 5
    p.write_text(json.dumps(obj))
    assert any(s.startswith("clips/toy000/segments/0000.json: area disagrees") for s in _problems(ds))


def test_path_escaping_the_root(ds, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(ds / "clips/toy000/line/0000.png", outside / "0000.png")
    os.remove(ds / "clips/toy000/line/0000.png")
    os.symlink(outside / "0000.png", ds / "clips/toy000/line/0000.png")
    probs = _problems(ds)
    assert "clips/toy000/line/0000.png: path escapes the dataset root" in probs
    with pytest.raises(FormatError, match="escapes the dataset root"):
        Dataset.open(ds).load_frame("toy000", "0000")
    with pytest.raises(FormatError, match="not a valid id"):
        Dataset.open(ds).load_pair("../../etc/0__1")


def test_invalid_ids_are_rejected_by_the_writer(tmp_path):
    w = DatasetWriter(tmp_path / "o", name="t", producer=make_producer("t"))
    with pytest.raises(FormatError, match="not a valid id"):
        w.write_frame("../evil", "0", line=np.zeros((2, 2), np.uint8), seg=np.ones((2, 2), np.int32))
    with pytest.raises(FormatError, match="not a valid id"):
        w.finish_clip(ClipInfo("ok", ["a__b"], 2, 2))


def test_size_mismatch_in_writer_writes_nothing(tmp_path):
    w = DatasetWriter(tmp_path / "o", name="t", producer=make_producer("t"))
    with pytest.raises(FormatError, match="color image of c/0 is 5x4, its segment map is 4x4"):
        w.write_frame("c", "0", line=np.zeros((4, 4), np.uint8), seg=np.ones((4, 4), np.int32),
                      color=np.zeros((4, 5, 3), np.uint8))
    assert not (tmp_path / "o.partial" / "clips" / "c" / "seg").exists()


def test_unknown_schema_major_version(ds):
    import json

    m = json.loads((ds / "manifest.json").read_text())
    m["schema_version"] = "2.0"
    (ds / "manifest.json").write_text(json.dumps(m))
    assert any("schema_version 2.0 is not readable" in s for s in _problems(ds))
    with pytest.raises(LinecorrError, match="schema_version 2.0"):
        Dataset.open(ds)


@pytest.fixture
def sparse_ds(tmp_path):
    """A clip whose frames have no segment (all ink), one segment, and two; with colors, labels and pairs."""
    from dataprep.pairs import label_pair

    w = DatasetWriter(tmp_path / "sparse", name="sparse", producer=make_producer("t"))
    w.begin_clip("c")
    two = np.ones((8, 8), np.int32)
    two[:, 4] = 0
    two[:, 5:] = 2
    frames = {"0000": np.zeros((8, 8), np.int32), "0001": np.ones((8, 8), np.int32), "0002": two}
    tables = {}
    for f, seg in frames.items():
        labels = np.where(seg == 0, -1, seg + 10)
        color = np.where((seg == 0)[..., None], 0, 200).astype(np.uint8).repeat(3, axis=2)
        tables[f] = w.write_frame("c", f, line=np.where(seg == 0, 0, 255).astype(np.uint8), seg=seg,
                                  color=color, alpha=np.full((8, 8), 255, np.uint8), labels=labels)
    for fa, fb in (("0000", "0001"), ("0001", "0002")):
        w.write_pair(label_pair("c", fa, fb, tables[fa], tables[fb]))
    w.finish_clip(ClipInfo("c", list(frames), 8, 8, has_color=True, has_labels=True))
    w.set_splits({"test": ["c"]})
    return w.commit()


def test_validate_survives_empty_and_one_segment_frames(sparse_ds, capsys):
    # a regression: a zero-segment frame crashed the validator (cannot reshape array of size 0)
    from dataprep.cli import main

    assert validate_dataset(sparse_ds) == []
    assert validate_dataset(sparse_ds, check_images=False) == []
    assert main(["validate", str(sparse_ds)]) == 0
    assert capsys.readouterr().out.strip().endswith("valid")


def test_validate_reports_problems_of_empty_frames(sparse_ds):
    import json

    seg_json = sparse_ds / "clips/c/segments/0000.json"
    obj = json.loads(seg_json.read_text())
    one = json.loads((sparse_ds / "clips/c/segments/0001.json").read_text())
    obj.update({k: v for k, v in one.items() if k != "frame"})  # the all-ink frame claims a segment
    seg_json.write_text(json.dumps(obj))
    pair = sparse_ds / "pairs/c/0000__0001.json"
    p = json.loads(pair.read_text())
    p["matches"] = [{"a": 1, "b": 1, "source": "manual", "confidence": 1.0}]
    pair.write_text(json.dumps(p))
    probs = _problems(sparse_ds)
    assert any(s.startswith("clips/c/segments/0000.json: segment ids disagree") for s in probs), probs
    assert any(s.startswith("pairs/c/0000__0001.json") for s in probs), probs
    assert all(_one_line(s) for s in probs)
