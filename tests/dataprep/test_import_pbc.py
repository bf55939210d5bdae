"""PaintBucket-Character import/export: exact round trip, labels/colors/pairs, bad input, resume."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from foreign_layouts import assert_same_tree, write_pbc_character, write_pbc_root
from PIL import Image

from dataprep.cli import main
from dataprep.format import Dataset, images
from dataprep.format.validate import validate_dataset
from dataprep.format.writer import DatasetWriter, make_producer
from dataprep.importers.pbc import PbcImportConfig, export_pbc, import_pbc


@pytest.fixture(scope="module")
def pbc(tmp_path_factory):
    """(source root, imported dataset, exported root), made once for the module."""
    tmp = tmp_path_factory.mktemp("pbc")
    root = write_pbc_root(tmp / "dataset")
    ds = import_pbc(root, tmp / "ds")
    back = export_pbc(ds, tmp / "back")
    return root, ds, back


def _assert_same_bytes(a: Path, b: Path) -> None:
    """Every file of ``a`` is in ``b`` with the same bytes, and nothing else is."""
    files = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_round_trip_reproduces_every_file(pbc):
    root, ds, back = pbc
    assert_same_tree(root, back)
    # while the source is where the import read it, every file comes back byte for byte (the
    # exporter alone would write other bytes: PNGs at compress level 3, not PIL's default 6)
    _assert_same_bytes(root, back)
    abe = Dataset.open(ds).clip("Abe").source["file_sha256"]
    assert abe["label/0000.png"] == hashlib.sha256((root / "train/PaintBucket_Char/Abe/label/0000.png")
                                                   .read_bytes()).hexdigest()
    assert len(abe) == 3 * 6  # line, gt, seg, label, json_color, json_index per frame


def test_import_is_valid_with_splits_and_sources(pbc):
    _, ds_path, _ = pbc
    assert validate_dataset(ds_path) == []
    ds = Dataset.open(ds_path)
    assert ds.splits == {"train": ["Abe", "Aj"], "test": ["amy", "dog"]}
    abe, amy, dog = ds.clip("Abe"), ds.clip("amy"), ds.clip("dog")
    assert (abe.has_color, abe.has_labels, abe.width, abe.height) == (True, True, 48, 48)
    assert abe.source["rel"] == "train/PaintBucket_Char/Abe" and abe.source["kind"] == "pbc"
    assert amy.source["seg_json"] and not amy.has_labels
    assert dog.source["folders"] == ["line", "gt", "seg"]
    assert ds.manifest.producer.stage == "import" and ds.manifest.counts["clips"] == 4


def test_table_keeps_json_color_and_json_index(pbc):
    root, ds_path, _ = pbc
    ds = Dataset.open(ds_path)
    char = root / "train/PaintBucket_Char/Abe"
    for f in ("0000", "0001", "0002"):
        fr = ds.load_frame("Abe", f)
        colors = json.loads((char / "json_color" / f"{f}.json").read_text())
        index = json.loads((char / "json_index" / f"{f}.json").read_text())
        t = fr.segments
        assert {str(i): c for i, c in zip(t.ids.tolist(), t.color.tolist())} == colors
        assert {str(i): [a, lab] for i, a, lab in zip(t.ids.tolist(), t.area.tolist(), t.label.tolist())} == index
        assert fr.line_raw.shape == (48, 48, 4)  # RGBA kept as stored
        assert t.label[t.ids == 1] == -1  # background
    # the red shading line is kept in frame 1's line image
    assert (ds.load_frame("Abe", "0001").line_raw[..., :3] == (255, 0, 0)).all(-1).any()


def test_pairs_from_labels(pbc):
    _, ds_path, _ = pbc
    ds = Dataset.open(ds_path)
    assert ds.pair_ids() == ["Abe/0000__0001", "Abe/0001__0002", "Aj/0000__0001"]  # amy, dog: no labels
    t0, t1, t2 = (ds.load_segments("Abe", f) for f in ("0000", "0001", "0002"))
    body0 = int(t0.ids[t0.label == 61][0])
    body1 = sorted(t1.ids[t1.label == 61].tolist())
    assert len(body1) == 2  # the shading line splits the body: a one-to-many group
    p01 = ds.load_pair("Abe/0000__0001")
    assert sorted(m.b for m in p01.matches if m.a == body0) == body1
    assert all(m.source == "render" and m.confidence == 1.0 for m in p01.matches)
    assert 1 not in {m.a for m in p01.matches}  # background (-1) never matched
    p12 = ds.load_pair("Abe/0001__0002")
    eye1 = int(t1.ids[t1.label == 7][0])
    assert p12.unmatched_a == [eye1] and 7 not in t2.label.tolist()


def test_gaps_option_and_cli(tmp_path, capsys):
    root = write_pbc_character(tmp_path / "Abe")
    out = tmp_path / "ds"
    assert main(["import", "pbc", str(root), "--out", str(out), "--gaps", "1,2", "--split", "val"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    ds = Dataset.open(out)
    assert ds.splits == {"val": ["Abe"]}
    assert ds.pair_ids() == ["Abe/0000__0001", "Abe/0000__0002", "Abe/0001__0002"]
    assert ds.load_pair("Abe/0000__0002").meta == {"gap": 2}
    assert ds.manifest.producer.config["gaps"] == [1, 2]
    back = tmp_path / "back"
    assert main(["export", "pbc", str(out), "--out", str(back)]) == 0
    assert_same_tree(tmp_path / "Abe", back / "Abe")
    # without --overwrite an existing output is refused; with it, replaced
    assert main(["export", "pbc", str(out), "--out", str(back)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["export", "pbc", str(out), "--out", str(back), "--overwrite"]) == 0
    assert main(["import", "pbc", str(root), "--out", str(out), "--set", "gaps=[0]"]) == 2
    assert "gaps must be positive" in capsys.readouterr().err


def test_json_color_wins_over_mean_color(tmp_path):
    char = write_pbc_character(tmp_path / "Abe", frames=2)
    gt = np.array(Image.open(char / "gt/0000.png"))
    gt[12:16, 16:28, :3] = (1, 2, 3)  # repaint part of the head: its mean color changes
    Image.fromarray(gt).save(char / "gt/0000.png")
    out = import_pbc(char, tmp_path / "ds")
    colors = json.loads((char / "json_color/0000.json").read_text())
    t = Dataset.open(out).load_segments("Abe", "0000")
    assert {str(i): c for i, c in zip(t.ids.tolist(), t.color.tolist())} == colors
    assert_same_tree(char, export_pbc(out, tmp_path / "back") / "Abe")


def test_workers_give_the_same_dataset(pbc, tmp_path):
    root, ds_path, _ = pbc
    out = import_pbc(root, tmp_path / "ds2", workers=2)
    assert Dataset.open(out).content_hash() == Dataset.open(ds_path).content_hash()


def test_export_of_other_datasets(toy_dataset, tmp_path):
    out = export_pbc(toy_dataset, tmp_path / "pbc")
    assert (out / "train/toy000/json_index/0000.json").is_file() and (out / "test/toy002/label/0003.png").is_file()
    again = Dataset.open(import_pbc(out, tmp_path / "again"))
    toy = Dataset.open(toy_dataset)
    assert again.splits == toy.splits
    for pid in toy.pair_ids():
        a, b = toy.load_pair(pid), again.load_pair(pid)
        assert {(m.a, m.b) for m in a.matches} == {(m.a, m.b) for m in b.matches}
    fa, fb = toy.load_frame("toy001", "0002"), again.load_frame("toy001", "0002")
    assert np.array_equal(fa.seg, fb.seg) and np.array_equal(fa.labels, fb.labels)


# ---------------------------------------------------------------------------------------------
# bad input: one line naming the file, exit 2, nothing at --out


def _rgba_seg(c: Path) -> None:
    Image.open(c / "seg/0001.png").convert("RGBA").save(c / "seg/0001.png")


def _edit_json(rel: str, fn):
    def edit(c: Path) -> None:
        obj = json.loads((c / rel).read_text())
        fn(obj)
        (c / rel).write_text(json.dumps(obj))
    return edit


BAD = {
    "no seg folder": (lambda c: shutil.rmtree(c / "seg"), "Abe/seg: folder is missing"),
    "missing file": (lambda c: (c / "gt/0001.png").unlink(), "Abe/gt/0001.png: file is missing"),
    "extra file": (lambda c: shutil.copy(c / "label/0000.png", c / "label/0007.png"),
                   "Abe/label/0007.png: has no matching line image"),
    "size differs": (lambda c: Image.new("RGBA", (40, 40)).save(c / "gt/0001.png"),
                     "Abe/gt/0001.png: is 40x40 pixels"),
    "frame size differs": (lambda c: Image.new("RGBA", (40, 40)).save(c / "line/0001.png"),
                           "Abe/line/0001.png: is 40x40 pixels"),
    "malformed json": (lambda c: (c / "json_index/0001.json").write_text("{bad"),
                       "Abe/json_index/0001.json: malformed JSON"),
    "json not an object": (lambda c: (c / "json_color/0000.json").write_text("[1, 2]"),
                           "Abe/json_color/0000.json: segment colors must be a JSON object"),
    "seg not 3-channel": (_rgba_seg, "Abe/seg/0001.png: segment map must be a 3-channel RGB PNG"),
    "json_index count": (_edit_json("json_index/0001.json", lambda o: o["2"].__setitem__(0, 5)),
                         "Abe/json_index/0001.json: json_index says segment 2 has 5 pixels"),
    "json_index extra segment": (_edit_json("json_index/0000.json", lambda o: o.__setitem__("99", [1, 3])),
                                 "Abe/json_index/0000.json: json_index lists segments [99]"),
    "json_index missing segment": (_edit_json("json_index/0000.json", lambda o: o.pop("3")),
                                   "Abe/json_index/0000.json: json_index has no entry for segments [3]"),
    "json_color bad value": (_edit_json("json_color/0001.json", lambda o: o.__setitem__("2", [1, 2, 300, 4])),
                             "Abe/json_color/0001.json: segment colors must all be"),
    "json_index not ints": (_edit_json("json_index/0001.json", lambda o: o.__setitem__("2", "x")),
                            "Abe/json_index/0001.json: json_index value of '2' must be a list of integers"),
    "truncated png": (lambda c: (c / "label/0001.png").write_bytes((c / "label/0001.png").read_bytes()[:60]),
                      "Abe/label/0001.png: cannot decode image"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_writes_nothing(case, tmp_path, capsys):
    char = write_pbc_character(tmp_path / "src" / "Abe", frames=2)
    corrupt, msg = BAD[case]
    corrupt(char)
    out = tmp_path / "ds"
    assert main(["import", "pbc", str(tmp_path / "src"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert msg in err, err
    assert not out.exists()


def test_no_characters(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["import", "pbc", str(tmp_path / "empty"), "--out", str(tmp_path / "ds")]) == 2
    assert "has no character folders" in capsys.readouterr().err


def test_failed_import_resumes(tmp_path, capsys):
    src = tmp_path / "src"
    write_pbc_character(src / "Abe", frames=2)
    bob = write_pbc_character(src / "Bob", frames=2)
    good = (bob / "json_index/0001.json").read_text()
    (bob / "json_index/0001.json").write_text("{bad")
    out = tmp_path / "ds"
    assert main(["import", "pbc", str(src), "--out", str(out)]) == 2
    assert "Bob/json_index/0001.json: malformed JSON" in capsys.readouterr().err
    assert not out.exists()
    done = tmp_path / "ds.partial/clips/Abe/clip.json"
    assert done.is_file() and not (tmp_path / "ds.partial/clips/Bob/clip.json").exists()
    stamp = done.stat().st_mtime_ns
    (bob / "json_index/0001.json").write_text(good)
    assert main(["import", "pbc", str(src), "--out", str(out)]) == 0
    assert (out / "clips/Abe/clip.json").stat().st_mtime_ns == stamp  # Abe was not redone
    assert not (tmp_path / "ds.partial").exists()
    assert validate_dataset(out) == [] and Dataset.open(out).clip_ids == ["Abe", "Bob"]


def test_clip_ids_are_sanitised_and_unique(tmp_path):
    write_pbc_character(tmp_path / "src/a/my char", frames=2)
    write_pbc_character(tmp_path / "src/b/my char", frames=2)
    ds = Dataset.open(import_pbc(tmp_path / "src", tmp_path / "ds", PbcImportConfig(split="train")))
    assert ds.clip_ids == ["a-my-char", "b-my-char"]
    assert ds.clip("a-my-char").source["name"] == "my char"
    assert_same_tree(tmp_path / "src", export_pbc(ds.root, tmp_path / "back"))


def test_help_has_examples(capsys):
    for argv in (["import", "pbc", "--help"], ["export", "animerun", "--help"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 0
        assert "example:" in capsys.readouterr().out


def _recolor_transparent(path: Path, rgb) -> None:
    arr = np.array(Image.open(path))
    arr[arr[..., 3] == 0] = (*rgb, 0)
    Image.fromarray(arr).save(path)


def test_label_background_conventions_round_trip(tmp_path):
    # a regression: transparent label pixels came back (255, 255, 255, 0) where the file had (0, 0, 0, 0)
    root = tmp_path / "src"
    black = write_pbc_character(root / "Black")
    for f in ("0000", "0001", "0002"):
        _recolor_transparent(black / "label" / f"{f}.png", (0, 0, 0))
    mixed = write_pbc_character(root / "Mixed")
    _recolor_transparent(mixed / "label" / "0001.png", (0, 0, 0))
    white = write_pbc_character(root / "White")
    out = import_pbc(root, tmp_path / "ds")
    ds = Dataset.open(out)
    assert ds.clip("Black").source["label_background"] == [0, 0, 0]
    assert ds.clip("Mixed").source["label_frames"] == {"0001": {"background": [0, 0, 0]}}
    assert ds.clip("White").source["label_background"] == [255, 255, 255]
    for f in ("0000", "0001", "0002"):  # both conventions decode to the same -1 background
        np.testing.assert_array_equal(ds.load_frame("Black", f).labels, ds.load_frame("White", f).labels)
    assert validate_dataset(out) == []
    back = export_pbc(out, tmp_path / "back")
    for name in ("Black", "Mixed", "White"):
        assert_same_tree(root / name, back / name)
        _assert_same_bytes(root / name, back / name)  # label/ was pixel-exact only, never byte-exact
    assert np.array(Image.open(back / "Black/label/0000.png"))[0, 0].tolist() == [0, 0, 0, 0]
    assert white.exists()

    # A label edited in the dataset is written as edited (in its file's background convention),
    # not copied from the source; the frame's other files and the other frames still are.
    ds_label = ds.path("Black", "label", "0001")
    labels = images.read_ids(ds_label)
    edited = labels.copy()
    edited[:8, :8] = 7  # a corner of the background painted as part 7
    ds_label.write_bytes(images.encode_label_map(edited))
    # A source file saved again (same pixels, other bytes) is no longer the file that was imported.
    src_white = root / "White/label/0002.png"
    Image.open(src_white).save(src_white, compress_level=9)
    back2 = export_pbc(out, tmp_path / "back2")
    assert_same_tree(root / "White", back2 / "White")
    got = np.array(Image.open(back2 / "Black/label/0001.png"))
    np.testing.assert_array_equal(images.decode_ids(got), edited)
    assert got[8, 0].tolist() == [0, 0, 0, 0] and got[0, 0].tolist() == [0, 0, 7, 255]
    assert (back2 / "Black/label/0001.png").read_bytes() != (root / "Black/label/0001.png").read_bytes()
    assert (back2 / "White/label/0002.png").read_bytes() == images.encode_png(np.array(Image.open(src_white)))
    for rel in ("Black/label/0000.png", "Black/label/0002.png", "Black/line/0001.png", "Black/gt/0001.png",
                "Black/seg/0001.png", "Black/json_index/0001.json", "White/label/0001.png"):
        assert (back2 / rel).read_bytes() == (root / rel).read_bytes(), rel


def test_byte_exact_export_from_a_derived_dataset_and_without_the_source(tmp_path):
    char = write_pbc_character(tmp_path / "src" / "Abe", frames=2)
    ds = Dataset.open(import_pbc(char, tmp_path / "ds"))
    # a dataset derived from the import (as a later stage writes one) finds the source through its parent
    with DatasetWriter(tmp_path / "derived", name="derived", producer=make_producer("label"), parent=ds) as w:
        for f in ds.clip("Abe").frames:
            w.link_frame(ds, "Abe", f)
        w.finish_clip(ds.clip("Abe"))
        w.set_splits(ds.splits)
    _assert_same_bytes(char, export_pbc(tmp_path / "derived", tmp_path / "back") / "Abe")
    # the source moved away: every file is encoded again, pixel- and value-exact
    char.rename(tmp_path / "moved")
    back = export_pbc(ds.root, tmp_path / "back2") / "Abe"
    assert_same_tree(tmp_path / "moved", back)
    assert (back / "label/0000.png").read_bytes() != (tmp_path / "moved/label/0000.png").read_bytes()


def test_label_rgba_without_transparent_pixels_stays_rgba(tmp_path):
    char = write_pbc_character(tmp_path / "Abe", frames=2)
    p = char / "label" / "0000.png"
    arr = np.array(Image.open(p))
    arr[..., 3] = 255  # no -1 pixel, still stored RGBA
    Image.fromarray(arr).save(p)
    out = import_pbc(char, tmp_path / "ds")
    assert_same_tree(char, export_pbc(out, tmp_path / "back") / "Abe")


def test_label_with_several_transparent_colors_warns_naming_the_file(tmp_path, capsys):
    char = write_pbc_character(tmp_path / "Abe", frames=2)
    p = char / "label" / "0001.png"
    arr = np.array(Image.open(p))
    arr[0, 0] = (0, 0, 0, 0)  # one black among white transparent pixels
    Image.fromarray(arr).save(p)
    assert main(["import", "pbc", str(char), "--out", str(tmp_path / "ds")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (f"linecorr import: warning: {p.resolve()}: transparent pixels hold 2 different RGB values; "
                       "export writes them all as (255, 255, 255) + alpha 0")
