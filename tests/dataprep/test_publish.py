"""dataprep.publish and `linecorr publish`: parquet + save_to_disk round trips, card, atomicity, push checks.

Everything runs offline: the Hub is never contacted (push paths are checked with fakes).
"""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest
import yaml

from dataprep.cli import main
from dataprep.errors import LinecorrError
from dataprep.format import ClipInfo, Dataset, DatasetWriter, Match, Pair, images, make_producer, parse_pair_id
from dataprep.publish import PublishConfig, decode_label_image, decode_segment_image, hf_dataset, publish_dataset


@pytest.fixture(scope="module")
def published(toy_dataset, tmp_path_factory):
    """The toy dataset published once for the read-only tests."""
    out = tmp_path_factory.mktemp("pub") / "hf"
    res = publish_dataset(toy_dataset, out, PublishConfig(repo_id="linecorr/toy"), progress=False)
    return res


def _load_parquet(res, cache):
    from datasets import load_dataset

    files = {k: [str(p) for p in v] for k, v in res.files.items()}
    return load_dataset("parquet", data_files=files, cache_dir=str(cache))


def test_output_layout(published, toy_dataset):
    out = published.out
    assert sorted(p.name for p in (out / "data").iterdir()) == [
        "test-00000-of-00001.parquet", "train-00000-of-00001.parquet", "val-00000-of-00001.parquet"]
    for f in ("README.md", "preview.png", "publish.json", "arrow/dataset_dict.json",
              "linecorr/files-00000-of-00001.parquet"):
        assert (out / f).is_file(), f
    assert not (out / ".cache").exists()
    assert not out.with_name(out.name + ".partial").exists()
    assert published.splits == {"train": 3, "val": 3, "test": 3}
    segments = Dataset.open(toy_dataset).manifest.counts["segments"]  # every toy frame is in a pair
    assert published.counts["all"] == {"clips": 3, "frames": 12, "pairs": 9, "segments": segments}


def test_parquet_round_trip_is_pixel_exact(published, toy_dataset, tmp_path):
    ds = Dataset.open(toy_dataset)
    dd = _load_parquet(published, tmp_path / "cache")
    assert {k: len(v) for k, v in dd.items()} == published.splits
    for split, rows in dd.items():
        assert [r for r in rows["id"]] == ds.pair_ids(split)
        for row in rows:
            pair = ds.load_pair(row["id"])
            for side, fr in (("a", pair.frame_a), ("b", pair.frame_b)):
                np.testing.assert_array_equal(decode_segment_image(row[f"seg_{side}"]), ds.load_seg(pair.clip, fr))
                t = ds.load_segments(pair.clip, fr)
                assert row[f"segments_{side}"]["id"] == t.ids.tolist()
                assert row[f"segments_{side}"]["area"] == t.area.tolist()
                assert row[f"color_{side}"] is not None
            assert list(zip(row["matches"]["a"], row["matches"]["b"])) == [(m.a, m.b) for m in pair.matches]
            assert row["status"] == pair.status and row["gap"] == 1
            assert row["provenance"]["content_hash"] == ds.content_hash()
    row = dd["test"][0]
    clip, fa, _ = parse_pair_id(row["id"])
    np.testing.assert_array_equal(np.asarray(row["line_a"]), images.read_image_raw(ds.path(clip, "line", fa)))


def test_rows_carry_every_file_of_their_frames_and_the_index_the_rest(published, toy_dataset, tmp_path):
    """What `linecorr train/score` read back: label/part maps, the JSON files verbatim, the file index."""
    from datasets import load_dataset

    ds = Dataset.open(toy_dataset)
    row = _load_parquet(published, tmp_path / "cache")["test"][1]
    clip, fa, fb = parse_pair_id(row["id"])
    np.testing.assert_array_equal(decode_label_image(row["label_a"]), images.read_ids(ds.path(clip, "label", fa)))
    assert row["parts_a"] is None and row["parts_b"] is None  # the toy set has no parts layer
    assert row["segments_json_b"].encode() == ds.path(clip, "segments", fb).read_bytes()
    assert row["pair_json"].encode() == (toy_dataset / "pairs" / clip / f"{fa}__{fb}.json").read_bytes()
    files = load_dataset(str(published.out), "linecorr_files", split="files", cache_dir=str(tmp_path / "c2"))
    listed = {r["path"]: r for r in files}
    # hidden files (e.g. a benchmark render's .reference.json) are outside the dataset, as for its hashes
    on_disk = {p.relative_to(toy_dataset).as_posix() for p in toy_dataset.rglob("*")
               if p.is_file() and not p.name.startswith(".")}
    assert set(listed) == on_disk
    assert listed["manifest.json"]["data"] == (toy_dataset / "manifest.json").read_bytes()
    loc = listed[f"clips/{clip}/seg/{fb}.png"]
    assert (loc["split"], loc["row"], loc["column"], loc["data"]) == ("test", 1, "seg_b", None)
    assert Dataset.combine_digests((p, listed[p]["sha256"]) for p in sorted(on_disk - {"manifest.json"},
                                   key=lambda p: p.split("/"))) == ds.content_hash()
    marker = json.loads((published.out / "publish.json").read_text())
    assert marker["layout"] == 2 and marker["index"] == ["linecorr/files-00000-of-00001.parquet"]


def test_save_to_disk_round_trip(published, toy_dataset):
    from datasets import load_from_disk

    ds = Dataset.open(toy_dataset)
    dd = load_from_disk(str(published.out / "arrow"))
    assert {k: len(v) for k, v in dd.items()} == published.splits
    row = dd["val"][2]
    clip, _, fb = parse_pair_id(row["id"])
    np.testing.assert_array_equal(decode_segment_image(row["seg_b"]), ds.load_seg(clip, fb))


def test_card_header_and_body(published):
    text = (published.out / "README.md").read_text()
    assert text.startswith("---\n")
    head = yaml.safe_load(text.split("---\n")[1])
    assert head["pretty_name"] == "linecorr-toy" and head["license"] == "cc0-1.0"
    assert head["task_categories"] and "line-art" in head["tags"]
    assert head["configs"][0]["data_files"] == [
        {"split": s, "path": f"data/{s}-*.parquet"} for s in ("train", "val", "test")]
    assert head["configs"][1] == {"config_name": "linecorr_files",
                                  "data_files": [{"split": "files", "path": "linecorr/files-*.parquet"}]}
    assert [s["num_examples"] for s in head["dataset_info"]["splits"]] == [3, 3, 3]
    for needle in ("![", "preview.png", 'load_dataset("linecorr/toy")', 'load_dataset("parquet"',
                   "The Animation Transformer: Visual Correspondence via Segment Matching",
                   "Region-Wise Correspondence Prediction between Manga Line Art Images",
                   "Segments per frame", "Many-to-many", "schema version 1.1", "| `test` | 1 | 4 | 3 |",
                   "linecorr train ant --config tiny --dataset linecorr/toy", "`pair_json`"):
        assert needle in text, needle


def test_folder_loads_through_its_card(published, tmp_path):
    """load_dataset(OUT) reads the card's `configs`, as the Hub does for the uploaded repo."""
    from datasets import load_dataset

    dd = load_dataset(str(published.out), cache_dir=str(tmp_path / "cache"))
    assert {k: len(v) for k, v in dd.items()} == published.splits


def test_rgb_encoded_ids_round_trip(tmp_path):
    """Ids above 65535 are published RGB-encoded and decode back exactly."""
    seg = np.zeros((6, 9), np.int64)
    seg[:, :4], seg[:, 5:] = 3, 70000
    w = DatasetWriter(tmp_path / "big", name="big", producer=make_producer("test"))
    for f in ("0000", "0001"):
        w.write_frame("c", f, line=np.where(seg == 0, 0, 255).astype(np.uint8), seg=seg)
    w.finish_clip(ClipInfo("c", ["0000", "0001"], 9, 6))
    w.write_pair(Pair("c", "0000", "0001", [Match(3, 3), Match(70000, 70000)]))
    w.commit()  # no splits.json: everything goes to "unsplit"
    res = publish_dataset(tmp_path / "big", tmp_path / "out", progress=False)
    assert res.splits == {"unsplit": 1}
    row = _load_parquet(res, tmp_path / "cache")["unsplit"][0]
    assert np.asarray(row["seg_a"]).shape == (6, 9, 3)
    np.testing.assert_array_equal(decode_segment_image(row["seg_a"]), seg)
    assert row["color_a"] is None and row["segments_a"]["color"] is None


def test_seg_bytes_reencode_rgb_with_small_ids(tmp_path):
    seg = np.array([[0, 1, 2], [300, 300, 0]])
    p = tmp_path / "s.png"
    p.write_bytes(images.encode_png(images.encode_rgb_ids(seg)))
    import io

    from PIL import Image

    im = Image.open(io.BytesIO(hf_dataset.seg_png_bytes(p)))
    assert im.mode == "I;16"
    np.testing.assert_array_equal(decode_segment_image(im), seg)


def test_split_names_and_unsplit(toy_dataset, tmp_path):
    src = tmp_path / "ds"
    shutil.copytree(toy_dataset, src)
    (src / "splits.json").write_text(json.dumps({"train-a": ["toy000"], "test": ["toy002"]}))
    ds = Dataset.open(src)
    sp = hf_dataset.split_pairs(ds)
    assert list(sp) == ["train_a", "test", "unsplit"]
    assert all(p.startswith("toy001/") for p in sp["unsplit"])
    (src / "splits.json").write_text(json.dumps({"a-b": ["toy000"], "a_b": ["toy001"]}))
    with pytest.raises(LinecorrError, match="both become"):
        hf_dataset.split_pairs(Dataset.open(src))


def test_failure_leaves_no_partial_output(toy_dataset, tmp_path, monkeypatch):
    out = tmp_path / "out"
    calls = []

    def boom(*a, **k):
        calls.append(1)
        raise LinecorrError("simulated failure")

    monkeypatch.setattr(hf_dataset, "pair_row", boom)
    with pytest.raises(LinecorrError, match="simulated"):
        publish_dataset(toy_dataset, out, progress=False)
    assert calls and not out.exists() and not (tmp_path / "out.partial").exists()


@pytest.mark.parametrize("kind", ["seg", "line"])
def test_truncated_image_is_a_one_line_error(toy_dataset, tmp_path, kind):
    src = tmp_path / "ds"
    shutil.copytree(toy_dataset, src)
    bad = src / "clips" / "toy001" / kind / "0002.png"
    bad.write_bytes(bad.read_bytes()[: len(bad.read_bytes()) // 2])
    with pytest.raises(LinecorrError, match=f"toy001/{kind}/0002.png: cannot decode image"):
        publish_dataset(src, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


def test_overwrite_rules(toy_dataset, published, tmp_path, monkeypatch):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(LinecorrError, match="refusing"):
        publish_dataset(toy_dataset, other, PublishConfig(overwrite=True), progress=False)
    assert (other / "keep.txt").is_file()
    with pytest.raises(LinecorrError, match="already exists"):
        publish_dataset(toy_dataset, published.out, progress=False)
    with pytest.raises(LinecorrError, match="outside the dataset"):
        publish_dataset(toy_dataset, toy_dataset / "hf", progress=False)
    # A failed overwrite keeps the previous complete output.
    monkeypatch.setattr(hf_dataset, "pair_row", lambda *a, **k: (_ for _ in ()).throw(LinecorrError("boom")))
    before = sorted(p.name for p in published.out.iterdir())
    with pytest.raises(LinecorrError, match="boom"):
        publish_dataset(toy_dataset, published.out, PublishConfig(overwrite=True), progress=False)
    assert sorted(p.name for p in published.out.iterdir()) == before


# ---- push: fail fast, never touch the network --------------------------------------------------


@pytest.fixture
def no_login(monkeypatch, tmp_path):
    import huggingface_hub.constants as c

    for k in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setattr(c, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.setattr(c, "HF_STORED_TOKENS_PATH", str(tmp_path / "no-tokens"), raising=False)


@pytest.fixture
def online(monkeypatch):
    import huggingface_hub.constants as c

    for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setattr(c, "HF_HUB_OFFLINE", False)


def _push(src, out, **kw):
    return publish_dataset(src, out, PublishConfig(push=True, repo_id="org/name", **kw), progress=False)


def test_push_without_token_fails_before_writing(toy_dataset, tmp_path, no_login, capsys):
    with pytest.raises(LinecorrError, match="no Hugging Face token"):
        _push(toy_dataset, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()
    rc = main(["publish", str(toy_dataset), "--out", str(tmp_path / "out"), "--push", "--repo-id", "org/name"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "no Hugging Face token" in err


def test_push_needs_repo_id(toy_dataset, tmp_path):
    with pytest.raises(LinecorrError, match="--repo-id"):
        publish_dataset(toy_dataset, tmp_path / "out", PublishConfig(push=True), progress=False)


def test_push_with_token_but_offline_fails(toy_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_fake_token_for_tests")
    with pytest.raises(LinecorrError, match="offline mode"):
        _push(toy_dataset, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_push_unreachable_or_hanging_hub_fails_fast(toy_dataset, tmp_path, monkeypatch, online):
    from huggingface_hub import HfApi

    monkeypatch.setenv("HF_TOKEN", "hf_fake_token_for_tests")

    def refuse(self, *a, **k):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(HfApi, "whoami", refuse)
    with pytest.raises(LinecorrError, match="cannot reach the Hugging Face Hub"):
        _push(toy_dataset, tmp_path / "out")
    monkeypatch.setattr(HfApi, "whoami", lambda self, *a, **k: time.sleep(2))
    t0 = time.time()
    with pytest.raises(LinecorrError, match="did not answer"):
        _push(toy_dataset, tmp_path / "out", timeout=0.2)
    assert time.time() - t0 < 1.5
    assert not (tmp_path / "out").exists()


def test_push_uploads_the_folder_without_arrow(toy_dataset, tmp_path, monkeypatch, online):
    from huggingface_hub import HfApi

    monkeypatch.setenv("HF_TOKEN", "hf_fake_token_for_tests")
    calls = {}
    monkeypatch.setattr(HfApi, "whoami", lambda self, *a, **k: {"name": "tester"})
    monkeypatch.setattr(HfApi, "create_repo", lambda self, repo_id, **k: calls.setdefault("create", (repo_id, k)))
    monkeypatch.setattr(HfApi, "upload_folder", lambda self, **k: calls.setdefault("upload", k))
    res = _push(toy_dataset, tmp_path / "out")
    assert res.url == "https://huggingface.co/datasets/org/name"
    assert calls["create"] == ("org/name", {"repo_type": "dataset", "private": False, "exist_ok": True})
    up = calls["upload"]
    assert up["folder_path"] == str(tmp_path / "out") and "arrow/**" in up["ignore_patterns"]
    assert up["repo_type"] == "dataset"
