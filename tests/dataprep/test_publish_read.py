"""Reading a `linecorr publish` output back as a Dataset (dataprep.publish.reader, open_dataset).

Everything offline: the Hub is played by `datasets.load_dataset` on the local published folder
(which reads the card's configs exactly as the Hub serves them), monkeypatched in.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from dataprep.cli import main
from dataprep.errors import FormatError, LinecorrError
from dataprep.format import ClipInfo, Dataset, DatasetWriter, Match, Pair, images, make_producer, open_dataset
from dataprep.publish import PublishConfig, publish_dataset
from dataprep.publish.reader import PublishedDataset

FRAME_FIELDS = ("line", "line_raw", "color", "alpha", "seg", "labels", "parts")


@pytest.fixture(scope="module")
def source(toy_dataset, tmp_path_factory):
    """The toy dataset plus a parts layer (format 1.1) and a frame that no pair holds."""
    src = tmp_path_factory.mktemp("src") / "toy"
    shutil.copytree(toy_dataset, src)
    for seg in src.glob("clips/*/seg/*.png"):
        parts = images.read_ids(seg) % 7 - 1  # any map with -1 background will do
        out = seg.parent.parent / "parts" / seg.name
        out.parent.mkdir(exist_ok=True)
        out.write_bytes(images.encode_label_map(parts))
    (src / "pairs" / "toy001" / "0002__0003.json").unlink()  # toy001/0003 is now in no pair
    return src


@pytest.fixture(scope="module")
def published(source, tmp_path_factory):
    out = tmp_path_factory.mktemp("pub") / "hf"
    publish_dataset(source, out, PublishConfig(validate=False, preview=False), progress=False)
    return out


@pytest.fixture(scope="module")
def parquet_only(published, tmp_path_factory):
    """The published folder as the Hub serves it (`hf download`): no arrow/ copy."""
    out = tmp_path_factory.mktemp("pq") / "hf"
    shutil.copytree(published, out, ignore=shutil.ignore_patterns("arrow"))
    return out


def assert_same_dataset(got: Dataset, want: Dataset) -> None:
    assert got.manifest == want.manifest and got.splits == want.splits and got.clip_ids == want.clip_ids
    assert got.pair_ids() == want.pair_ids()
    assert got.content_hash() == want.content_hash()
    assert got.ground_truth_hash() == want.ground_truth_hash()
    assert all(got.ground_truth_hash(s) == want.ground_truth_hash(s) for s in want.splits)
    assert got.ground_truth_digests("test") == want.ground_truth_digests("test")
    for c in want.clip_ids:
        assert got.clip(c) == want.clip(c)
        for f in want.clip(c).frames:
            a, b = got.load_frame(c, f), want.load_frame(c, f)
            for k in FRAME_FIELDS:
                x, y = getattr(a, k), getattr(b, k)
                assert (x is None and y is None) or (x.dtype == y.dtype and np.array_equal(x, y)), (c, f, k)
            for k in ("ids", "area", "bbox", "centroid", "color", "label", "color_label", "purity"):
                x, y = getattr(a.segments, k), getattr(b.segments, k)
                assert (x is None and y is None) or np.array_equal(x, y), (c, f, k)
    for pid in want.pair_ids():
        assert got.load_pair(pid) == want.load_pair(pid)


@pytest.mark.parametrize("layout", ["arrow", "parquet", "stream"])
def test_published_folder_reads_back_as_the_source(source, published, parquet_only, layout):
    root = parquet_only if layout == "parquet" else published
    ds = open_dataset(root, streaming=layout == "stream")
    assert isinstance(ds, PublishedDataset) and ds.sequential == (layout == "stream")
    assert_same_dataset(ds, Dataset.open(source))
    assert ds.load_frame("toy001", "0003").parts is not None  # the frame in no pair: from the index
    view = ds.only_clips(["toy002"], {1})
    assert isinstance(view, PublishedDataset) and view.splits["test"] == ["toy002"]
    assert view.pair_ids() == ["toy002/0000__0001", "toy002/0001__0002", "toy002/0002__0003"]
    assert view.content_hash() == ds.content_hash()


def test_opening_reads_no_frame_and_a_frame_reads_one_row(published, parquet_only, monkeypatch):
    decodes = []
    real = images.read_image_raw
    monkeypatch.setattr(images, "read_image_raw", lambda *a, **k: decodes.append(a[0]) or real(*a, **k))
    for root, streaming in ((parquet_only, False), (published, False), (published, True)):
        ds = open_dataset(root, streaming=streaming)
        reads = {k: v for k, v in ds.reads().items() if k != "index"}  # the index: manifest, splits...
        assert decodes == [] and set(reads.values()) == {0}, (root, reads)
        ds.content_hash(), ds.ground_truth_hash("test")  # from the recorded digests: no row is read
        assert {k: v for k, v in ds.reads().items() if k != "index"} == reads
        f = ds.load_frame("toy002", "0001")
        assert f.seg.shape == (128, 128) and len(decodes) == 5  # line, color, seg, label, parts
        after = ds.reads()
        assert after["train"] == after["val"] == 0
        # parquet: one column chunk per file of the frame; streamed: one batch; arrow: one value each
        assert after["test"] == {False: 6, True: 1}[streaming], (root, after)
        decodes.clear()


def test_streamed_reads_go_forward_and_restart_only_when_going_back(published):
    ds = open_dataset(published, streaming=True)
    rows = ds.pair_rows["test"].inner  # the split's stream, opened on first use
    for f in ("0000", "0001", "0002", "0003"):
        ds.load_frame("toy002", f)
    assert rows.restarts == 0
    rows._batch = 1  # one row per batch: going back to row 0 from row 2 must restart
    rows._restart()
    ds.load_frame("toy002", "0003")
    ds.load_frame("toy002", "0000")
    assert rows.restarts == 1


def test_modified_published_bytes_are_refused(published, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    bad = tmp_path / "hf"
    shutil.copytree(published, bad, ignore=shutil.ignore_patterns("arrow"))
    index = next((bad / "linecorr").glob("files-*.parquet"))
    t = pq.read_table(index)
    sha = t.column("sha256").to_pylist()
    k = t.column("path").to_pylist().index("clips/toy002/seg/0001.png")
    sha[k] = "0" * 64
    pq.write_table(t.set_column(t.schema.get_field_index("sha256"), "sha256", pa.array(sha)), index)
    ds = open_dataset(bad)
    ds.load_frame("toy002", "0000")
    with pytest.raises(FormatError, match=r"clips/toy002/seg/0001.png: the published bytes \(.*test-00000-of-00001"
                                          r".*row 0 column seg_b\) differ from the source file's SHA-256"):
        ds.load_frame("toy002", "0001")


def test_reencoded_segment_maps_keep_their_source_bytes(tmp_path):
    """Rows carry a canonical re-encoding of an RGB segment map; the index keeps the source's bytes."""
    seg = np.zeros((6, 9), np.int64)
    seg[:, :4], seg[:, 5:] = 3, 70000
    w = DatasetWriter(tmp_path / "big", name="big", producer=make_producer("test"))
    for f in ("0000", "0001"):
        w.write_frame("c", f, line=np.where(seg == 0, 0, 255).astype(np.uint8), seg=seg)
    w.finish_clip(ClipInfo("c", ["0000", "0001"], 9, 6))
    w.write_pair(Pair("c", "0000", "0001", [Match(3, 3), Match(70000, 70000)]))
    w.commit()
    publish_dataset(tmp_path / "big", tmp_path / "out", progress=False)
    ds = open_dataset(tmp_path / "out")
    assert_same_dataset(ds, Dataset.open(tmp_path / "big"))
    assert ds.splits == {} and ds.pair_ids() == ["c/0000__0001"]


def test_hub_id_through_load_dataset(source, published, tmp_path, monkeypatch):
    import datasets
    import huggingface_hub.constants as c

    for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(k)
    monkeypatch.setattr(c, "HF_HUB_OFFLINE", False)
    monkeypatch.chdir(tmp_path)  # no local folder named like the id
    real, calls = datasets.load_dataset, []

    def fake(path, *args, **kw):  # the Hub repo org/toy holds exactly the published folder
        calls.append((path, args, kw.get("streaming")))
        assert path == "org/toy"
        return real(str(published), *args, cache_dir=str(tmp_path / "cache"), **kw)

    monkeypatch.setattr(datasets, "load_dataset", fake)
    want = Dataset.open(source)
    for spec, streaming in (("org/toy", False), ("hf://datasets/org/toy", True), ("hf://org/toy", False)):
        calls.clear()
        ds = open_dataset(spec, streaming=streaming)
        assert calls == [("org/toy", ("linecorr_files",), streaming)]  # the index only, so far
        assert str(ds.root) == "hf:/datasets/org/toy" and ds.sequential == streaming
        assert ds.ground_truth_hash() == want.ground_truth_hash() and ds.content_hash() == want.content_hash()
        f, g = ds.load_frame("toy002", "0002"), want.load_frame("toy002", "0002")
        assert np.array_equal(f.seg, g.seg) and np.array_equal(f.parts, g.parts)
        assert calls[1:] == [("org/toy", (), streaming)]  # then the test split: train and val never


@pytest.mark.parametrize("error, message", [
    (ConnectionError("Failed to resolve 'huggingface.co'"), ("cannot load it with datasets.load_dataset "
                                                            r"\(ConnectionError: Failed to resolve")),
    ("not-found", "no such dataset on the Hugging Face Hub"),
    (ValueError("BuilderConfig 'linecorr_files' not found. Available: ['default']"),
     "it has no 'linecorr_files' config, so it was not written by `linecorr publish`"),
])
def test_unreachable_or_foreign_hub_id_is_one_line(error, message, tmp_path, monkeypatch, capsys):
    import datasets
    from datasets.exceptions import DatasetNotFoundError

    monkeypatch.chdir(tmp_path)
    err = DatasetNotFoundError("Dataset 'org/nope' doesn't exist on the Hub") if error == "not-found" else error

    def fake(*a, **k):
        raise err

    monkeypatch.setattr(datasets, "load_dataset", fake)
    with pytest.raises(LinecorrError, match="^org/nope: no such local folder, and as a Hub id: " + message) as e:
        open_dataset("org/nope")
    assert "\n" not in str(e.value) and "offline mode is on" in str(e.value)  # the tests run offline
    with pytest.raises(LinecorrError, match=r"^hf://org/nope: (?!no such local)"):
        open_dataset("hf://org/nope")
    assert main(["score", "--method", "nearest-aligned", "--dataset", "org/nope", "--split", "test",
                 "--out-dir", str(tmp_path / "r")]) == 2
    err_out = capsys.readouterr().err
    assert err_out.count("\n") == 1 and "org/nope: no such local folder" in err_out


def test_bad_inputs_are_one_line_errors(toy_dataset, published, tmp_path, capsys):
    neither = tmp_path / "neither"
    neither.mkdir()
    (neither / "notes.txt").write_text("x")
    with pytest.raises(FormatError, match=f"^{neither}: is neither a linecorr dataset"):
        open_dataset(neither)
    with pytest.raises(FormatError, match="is a file"):
        open_dataset(neither / "notes.txt")
    with pytest.raises(FormatError, match="no such dataset folder"):
        open_dataset(tmp_path / "nope" / "deeper" / "x")
    with pytest.raises(FormatError, match="is not a Hub dataset id"):
        open_dataset("hf://just-a-name")
    old = tmp_path / "old"  # published before the file index existed
    shutil.copytree(published, old, ignore=shutil.ignore_patterns("linecorr", "arrow"))
    marker = json.loads((old / "publish.json").read_text())
    del marker["index"], marker["layout"]
    (old / "publish.json").write_text(json.dumps(marker))
    with pytest.raises(FormatError, match="published without the file index .* publish the source again"):
        open_dataset(old)
    with pytest.raises(FormatError, match="is a published dataset .* train and score read it"):
        Dataset.open(published)
    assert main(["score", "--method", "nearest-aligned", "--dataset", str(neither), "--split", "test",
                 "--out-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{neither}: is neither a linecorr dataset" in err
    # a linecorr folder ignores streaming (it is read file by file anyway)
    assert type(open_dataset(toy_dataset, streaming=True)) is Dataset
