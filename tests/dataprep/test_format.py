"""The format: round trips, the reader's arrays, the writer's staging/resume, segment tables."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from dataprep.errors import LinecorrError
from dataprep.format import ClipInfo, Dataset, DatasetWriter, Match, Pair, compute_segment_table, images, make_producer


def _tiny_frame():
    """A 6x8 frame: a vertical ink line at x=3 splits the paper into segments 1 (left) and 2."""
    seg = np.zeros((6, 8), np.int32)
    seg[:, :3] = 1
    seg[:, 4:] = 2
    line = np.full((6, 8), 255, np.uint8)
    line[:, 3] = 0
    return line, seg


def _write_one(out, **kw):
    line, seg = _tiny_frame()
    with DatasetWriter(out, name="t", producer=make_producer("test"), **kw) as w:
        w.write_frame("c", "0", line=line, seg=seg, segment_labels={1: 10, 2: 20})
        w.write_frame("c", "1", line=line, seg=seg, segment_labels={1: 20, 2: 10})
        w.finish_clip(ClipInfo("c", ["0", "1"], 8, 6))
        w.write_pair(Pair("c", "0", "1", [Match(1, 2, "render", 1.0), Match(2, 1, "manual", 0.5)]))
        w.set_splits({"test": ["c"]})
    return out


def test_round_trip_arrays_and_records(tmp_path):
    ds = Dataset.open(_write_one(tmp_path / "ds"))
    f = ds.load_frame("c", "0")
    line, seg = _tiny_frame()
    assert f.seg.dtype == np.int32 and f.seg.shape == (6, 8)
    np.testing.assert_array_equal(f.seg, seg)
    np.testing.assert_array_equal(f.line, line)
    assert f.color is None and f.labels is None
    t = f.segments
    assert t.ids.tolist() == [1, 2] and t.area.tolist() == [18, 24]
    assert t.bbox.tolist() == [[0, 0, 3, 6], [4, 0, 4, 6]]
    np.testing.assert_allclose(t.centroid, [[1.0, 2.5], [5.5, 2.5]])
    assert t.label.tolist() == [10, 20]
    p = ds.load_pair("c/0__1")
    assert [(m.a, m.b, m.source, m.confidence) for m in p.matches] == [(1, 2, "render", 1.0), (2, 1, "manual", 0.5)]
    assert ds.pair_ids("test") == ["c/0__1"] and ds.splits == {"test": ["c"]}
    assert ds.manifest.counts == {"clips": 1, "frames": 2, "pairs": 1, "segments": 4}
    assert ds.manifest.producer.stage == "test"


def test_label_maps_beyond_16_bit_round_trip(tmp_path):
    seg = np.arange(1, 1 + 300 * 300, dtype=np.int64).reshape(300, 300)  # 90000 ids > 65535
    data = images.encode_segment_map(seg)
    p = tmp_path / "s.png"
    p.write_bytes(data)
    back = images.read_ids(p)
    assert back.dtype == np.int32
    np.testing.assert_array_equal(back, seg)
    assert images.read_image_raw(p).ndim == 3  # stored RGB-encoded, not 16-bit


def test_16_bit_storage_is_used_when_ids_fit(tmp_path):
    seg = np.array([[0, 1], [65535, 300]], np.int32)
    p = tmp_path / "s.png"
    p.write_bytes(images.encode_segment_map(seg))
    raw = images.read_image_raw(p)
    assert raw.dtype == np.uint16 and raw.ndim == 2
    np.testing.assert_array_equal(images.read_ids(p), seg)


def test_pixel_label_map_keeps_minus_one(tmp_path):
    lab = np.array([[-1, 0], [5, 70000]], np.int32)
    p = tmp_path / "l.png"
    p.write_bytes(images.encode_label_map(lab))
    np.testing.assert_array_equal(images.read_ids(p), lab)
    assert images.read_image_raw(p)[0, 0].tolist() == [255, 255, 255, 0]  # PBC's transparent pixel


def test_segment_table_majority_label_and_mean_color():
    seg = np.array([[1, 1, 1], [2, 2, 0]])
    labels = np.array([[7, 7, 8], [9, 9, 0]])
    color = np.zeros((2, 3, 3), np.uint8)
    color[0, :, 0] = [10, 20, 30]  # segment 1 red mean = 20
    t = compute_segment_table(seg, color=color, pixel_labels=labels)
    assert t.label.tolist() == [7, 9]
    assert t.color[:, 0].tolist() == [20, 0] and t.color[:, 3].tolist() == [255, 255]


def test_toy_dataset_is_valid_and_pairs_follow_labels(toy_dataset):
    from dataprep.format.validate import validate_dataset

    assert validate_dataset(toy_dataset) == []
    ds = Dataset.open(toy_dataset)
    pair = next(ds.pairs())
    ta = ds.load_segments(pair.clip, pair.frame_a)
    tb = ds.load_segments(pair.clip, pair.frame_b)
    la, lb = ta.label_of(), tb.label_of()
    assert pair.matches and all(la[m.a] == lb[m.b] >= 0 for m in pair.matches)


def test_existing_output_is_not_replaced_without_overwrite(tmp_path):
    out = _write_one(tmp_path / "ds")
    with pytest.raises(LinecorrError, match="already exists"):
        DatasetWriter(out, name="t", producer=make_producer("test"))
    _write_one(out, overwrite=True)
    assert Dataset.open(out).manifest.counts["frames"] == 2


def test_refuses_to_replace_a_folder_that_is_not_a_dataset(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "precious.txt").write_text("x")
    with pytest.raises(LinecorrError, match="not a linecorr dataset"):
        DatasetWriter(tmp_path / "home", name="t", producer=make_producer("test"), overwrite=True)
    assert (tmp_path / "home" / "precious.txt").exists()


def test_failure_leaves_no_output_and_resume_keeps_finished_clips(tmp_path):
    out = tmp_path / "ds"
    line, seg = _tiny_frame()
    with pytest.raises(RuntimeError), DatasetWriter(out, name="t", producer=make_producer("test")) as w:
        w.write_frame("a", "0", line=line, seg=seg)
        w.finish_clip(ClipInfo("a", ["0"], 8, 6))
        w.write_frame("b", "0", line=line, seg=seg)
        raise RuntimeError("killed mid-clip")
    assert not out.exists()  # nothing half-written at the destination
    w = DatasetWriter(out, name="t", producer=make_producer("test"))
    assert w.resumed and w.clip_done("a") and not w.clip_done("b")
    w.begin_clip("b")
    w.write_frame("b", "0", line=line, seg=seg)
    w.finish_clip(ClipInfo("b", ["0"], 8, 6))
    w.commit()
    assert Dataset.open(out).clip_ids == ["a", "b"]
    assert not (tmp_path / "ds.partial").exists()


def test_commit_drops_incomplete_clips(tmp_path):
    out = tmp_path / "ds"
    line, seg = _tiny_frame()
    w = DatasetWriter(out, name="t", producer=make_producer("test"))
    w.write_frame("x", "0", line=line, seg=seg)  # never finished
    w.commit()
    assert Dataset.open(out).clip_ids == []


def test_manifest_records_parent(tmp_path):
    src = Dataset.open(_write_one(tmp_path / "a"))
    w = DatasetWriter(tmp_path / "b", name="b", producer=make_producer("label", {"k": 1}), parent=src)
    for f in ("0", "1"):
        w.link_frame(src, "c", f)
    w.finish_clip(src.clip("c"))
    w.commit()
    m = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert m["parent"]["content_hash"] == src.content_hash()
    assert m["producer"]["config"] == {"k": 1}
    np.testing.assert_array_equal(Dataset.open(tmp_path / "b").load_seg("c", "0"), src.load_seg("c", "0"))


def test_config_overrides(tmp_path):
    from dataclasses import dataclass

    from dataprep.config import load_config

    @dataclass
    class C:
        radius: int = 2  # test field
        gaps: tuple[int, ...] = (1,)  # test field
        name: str = "x"  # test field

    (tmp_path / "c.yaml").write_text("radius: 5\nname: y\n")
    c = load_config(C, tmp_path / "c.yaml", ["gaps=[1, 7]", "name=z"])
    assert (c.radius, c.gaps, c.name) == (5, (1, 7), "z")
    with pytest.raises(LinecorrError, match="unknown config key 'nope'"):
        load_config(C, None, ["nope=1"])
    with pytest.raises(LinecorrError, match="expected int"):
        load_config(C, None, ["radius=abc"])
    (tmp_path / "bad.yaml").write_text("radius: [1,\n")
    with pytest.raises(LinecorrError, match="malformed YAML"):
        load_config(C, tmp_path / "bad.yaml")


def test_float_overrides_take_exponent_notation():
    from dataprep.config import load_config

    # PyYAML reads "1e-9" as a string (YAML 1.1 wants "1.0e-9"); a float field takes it as Python would
    for text, want in (("1e-9", 1e-9), ("1E5", 1e5), ("2.5e-3", 2.5e-3), ("3", 3.0)):
        assert load_config(Outer, None, [f"lr={text}"]).lr == want
    with pytest.raises(LinecorrError, match="expected float"):
        load_config(Outer, None, ["lr=fast"])


# module level: the config loader resolves the fields' type names in the module
@dataclasses.dataclass
class Inner:
    sizes: tuple[int, ...] = (8, 16)  # test field
    depth: int = 2  # test field


@dataclasses.dataclass
class Outer:
    preset: str = "paper"  # test field
    lr: float = 1e-4  # test field
    model: Inner = dataclasses.field(default_factory=Inner)  # test field


def test_preset_configs_and_rebuilding_from_a_saved_dict(tmp_path):
    from dataprep.config import config_dict, load_preset_config, replace_from_dict

    presets = {"paper": Outer, "tiny": lambda: Outer(preset="tiny", lr=1e-3, model=Inner((4,), 1))}
    assert load_preset_config(Outer, presets, None).lr == 1e-3  # default: tiny
    assert load_preset_config(Outer, presets, "paper", ["model.depth=5"]).model.depth == 5
    (tmp_path / "c.yaml").write_text("preset: tiny\nlr: 0.5\n")
    c = load_preset_config(Outer, presets, str(tmp_path / "c.yaml"))
    assert (c.preset, c.lr, c.model.sizes) == ("tiny", 0.5, (4,))
    with pytest.raises(LinecorrError, match="unknown config 'huge'"):
        load_preset_config(Outer, presets, "huge")
    (tmp_path / "d.yaml").write_text("preset: huge\n")
    with pytest.raises(LinecorrError, match="unknown preset 'huge'"):
        load_preset_config(Outer, presets, str(tmp_path / "d.yaml"))
    saved = config_dict(Outer(lr=0.25, model=Inner((1, 2, 3), 7)))  # JSON-like: tuples are lists
    saved["gone"] = 1  # a key an older version wrote
    back = replace_from_dict(presets["tiny"](), saved)
    assert back == Outer(lr=0.25, model=Inner((1, 2, 3), 7))


def test_ground_truth_hash_ignores_colors_but_not_labels(toy_dataset, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(toy_dataset, copy)
    ds = Dataset.open(copy)
    gt, full = ds.ground_truth_hash(), ds.content_hash()
    clip = ds.clip_ids[0]
    frame = ds.clip(clip).frames[0]
    color = ds.path(clip, "color", frame)
    img = images.read_color(color)[0].copy()
    img[0, 0] ^= 1  # a last-bit difference, as another CPU's renderer might give
    color.write_bytes(images.encode_png(img))
    assert ds.content_hash() == full  # hashed once per Dataset object: a written dataset does not change
    ds = Dataset.open(copy)
    assert ds.content_hash() != full and ds.ground_truth_hash() == gt
    seg = ds.path(clip, "seg", frame)
    seg.write_bytes(ds.path(clip, "seg", ds.clip(clip).frames[1]).read_bytes())
    assert Dataset.open(copy).ground_truth_hash() != gt
