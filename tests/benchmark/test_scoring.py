"""Submissions, scoring, baselines and the leaderboard, on a tiny toy dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmark.baselines import get_baseline
from benchmark.leaderboard import build_leaderboard
from benchmark.predict import predict_split
from benchmark.predictions import Predictions, load_predictions, required_pairs
from benchmark.score import PRIMARY, save_result, score
from dataprep.errors import LinecorrError
from dataprep.format import Dataset


@pytest.fixture(scope="module")
def ds(toy_dataset):
    return Dataset.open(toy_dataset)


def _oracle(ds: Dataset, split: str, wrong: bool = False) -> Predictions:
    """Predictions from the ground-truth labels (or all mapped to the first segment if wrong)."""
    pairs = {}
    for pid in required_pairs(ds, split):
        clip, _, rest = pid.partition("/")
        fa, _, fb = rest.partition("__")
        ta, tb = ds.load_segments(clip, fa), ds.load_segments(clip, fb)
        edges = []
        for b, lb in zip(tb.ids, tb.label):
            cand = [a for a, la in zip(ta.ids, ta.label) if la == lb and lb >= 0]
            if wrong:
                cand = [int(ta.ids[0])]
            edges += [[int(a), int(b), 1.0] for a in cand[:1]]
        pairs[pid] = np.asarray(edges, np.float64).reshape(-1, 3)
    return Predictions({"name": "oracle"}, split, pairs)


def test_oracle_scores_perfectly_on_labelled_segments(ds):
    r = score(_oracle(ds, "test"), ds, "test")
    m = r["metrics"]
    # Segments whose label also occurs in the previous frame are predicted exactly; the
    # background (label -1) is predicted -1 ("unmatched" = background), so it is right too.
    assert m["pbc/acc"] > 0.97 and m[PRIMARY] > 0.9
    assert m["pbc/bmiou"] == 1.0
    assert r["benchmark"]["split"] == "test" and r["benchmark"]["content_hash"] == ds.content_hash()
    assert set(r["per_clip"]) == set(ds.splits["test"])
    assert r["provenance"]["config"]["horizon"] == 10


def test_wrong_predictions_score_low(ds):
    assert score(_oracle(ds, "test", wrong=True), ds, "test")["metrics"]["pbc/acc"] < 0.3


def test_baselines_beat_chance_and_round_trip_through_files(ds, tmp_path):
    for name in ("nearest-aligned", "hungarian-features"):
        pred = predict_split(get_baseline(name), ds, "test")
        path = pred.save(tmp_path / f"{name}.json")
        r = score(load_predictions(path), ds, "test")
        assert r["metrics"]["pbc/acc"] > 0.7, name
        save_result(r, tmp_path / f"result_{name}.json")
    md, page = build_leaderboard(sorted(tmp_path.glob("result_*.json")), tmp_path / "lb")
    text = md.read_text()
    assert "nearest-aligned" in text and "hungarian-features" in text and "**" in text
    assert "<table class='lb'>" in page.read_text() and "data:image/png;base64" in page.read_text()


def _write(tmp_path, obj) -> str:
    p = tmp_path / "p.json"
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return str(p)


@pytest.mark.parametrize("obj, msg", [
    ("{not json", "malformed JSON"),
    ({"format": "other"}, "'format' must be 'linecorr-predictions'"),
    ({"format": "linecorr-predictions", "version": "1.0", "split": "test", "pairs": {}}, "'method' must be"),
    ({"format": "linecorr-predictions", "version": "1.0", "method": {"name": "m"}, "split": "test",
      "pairs": {"toy002/0000__0001": [[1, 2]]}}, "must be \\[a, b, score\\]"),
    ({"format": "linecorr-predictions", "version": "1.0", "method": {"name": "m"}, "split": "test",
      "pairs": {"toy002/0000__0001": [[1, 2, -1]]}}, "score must be finite and >= 0"),
    ({"format": "linecorr-predictions", "version": "1.0", "method": {"name": "m"}, "split": "test",
      "pairs": {"../x/0__1": []}}, "not a valid id"),
])
def test_malformed_submission_is_rejected_with_a_message(tmp_path, obj, msg):
    with pytest.raises(LinecorrError, match=msg):
        load_predictions(_write(tmp_path, obj))


def test_submission_that_does_not_fit_the_dataset(ds, tmp_path):
    good = _oracle(ds, "test")
    missing = Predictions({"name": "m"}, "test", dict(list(good.pairs.items())[1:]))
    with pytest.raises(LinecorrError, match="miss 1 of"):
        score(missing, ds, "test")
    pid = next(iter(good.pairs))
    bad = Predictions({"name": "m"}, "test", {**good.pairs, pid: np.array([[9999.0, 1.0, 1.0]])})
    with pytest.raises(LinecorrError, match=r"segments \[9999\] that frame A"):
        score(bad, ds, "test")
    with pytest.raises(LinecorrError, match="predictions are for split 'test'"):
        score(good, ds, "val")
    with pytest.raises(LinecorrError, match="no split 'nope'"):
        required_pairs(ds, "nope")


def test_score_cli_one_command_for_all_baselines(ds, tmp_path, capsys):
    from dataprep.cli import main

    assert main(["score", "--method", "all-baselines", "--dataset", str(ds.root), "--split", "test",
                 "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "result_hungarian-features.json" in out
    assert main(["leaderboard", *map(str, tmp_path.glob("result_*.json")), "--out", str(tmp_path / "lb")]) == 0
    assert (tmp_path / "lb" / "LEADERBOARD.md").is_file()
    (tmp_path / "broken.json").write_text("{}")
    assert main(["score", str(tmp_path / "broken.json"), "--dataset", str(ds.root)]) == 2
    assert "'format' must be" in capsys.readouterr().err


def test_pbc_metrics_are_on_consecutive_pairs_and_other_gaps_named(tmp_path):
    """BasicPBC's protocol is consecutive frames: ``pbc/*`` never mixes in pairs further apart."""
    from dataprep.synthetic import ToyConfig, write_toy_dataset

    ds = Dataset.open(write_toy_dataset(tmp_path / "toy", clips=3, cfg=ToyConfig(size=96, frames=4), gaps=(1, 2)))
    gaps = set()
    for pid in ds.pair_ids("test"):
        clip, _, rest = pid.partition("/")
        fa, _, fb = rest.partition("__")
        frames = ds.clip(clip).frames
        gaps.add(frames.index(fb) - frames.index(fa))
    assert 1 in gaps and len(gaps) > 1, gaps  # the toy set has pairs further apart to tell apart
    good, bad = _oracle(ds, "test"), _oracle(ds, "test", wrong=True)
    # Right on consecutive pairs, wrong on every other pair.
    mixed = {pid: (good.pairs[pid] if pid in ds.pair_ids("test") and _gap(ds, pid) == 1 else bad.pairs[pid])
             for pid in good.pairs}
    m = score(Predictions({"name": "mixed"}, "test", mixed), ds, "test")["metrics"]
    assert m["pbc/acc"] > 0.97
    for g in gaps - {1}:
        assert m[f"pbc/acc@gap{g}"] < 0.3 and f"ant/miou@gap{g}" in m
    assert not any(k.endswith("@pair") for k in m)


def _gap(ds, pid: str) -> int:
    clip, _, rest = pid.partition("/")
    fa, _, fb = rest.partition("__")
    frames = ds.clip(clip).frames
    return frames.index(fb) - frames.index(fa)


def test_predictions_keep_s_down_to_the_floor():
    from benchmark.predictions import REL_SCORE_FLOOR, scores_to_edges

    s = np.array([[1.0, 0.5, 2 * REL_SCORE_FLOOR, REL_SCORE_FLOOR / 2, 0.0],
                  [0.0, 0.0, 0.0, 0.0, 0.0],
                  [1e-6, 3e-7, 0.0, 0.0, 1e-6]])
    e = scores_to_edges(s, np.arange(1, 6), np.array([7, 8, 9]))
    assert e[:, :2].astype(int).tolist() == [[1, 7], [2, 7], [3, 7], [1, 9], [2, 9], [5, 9]]
    # Small scores survive the file's rounding (significant digits, not decimals).
    pred = Predictions({"name": "m"}, "test", {"c/0__1": e})
    assert min(x[2] for x in pred.to_json()["pairs"]["c/0__1"]) == pytest.approx(3e-7)


def test_leaderboard_refuses_an_unknown_metric(ds, tmp_path):
    r = score(_oracle(ds, "test"), ds, "test")
    r["metrics"]["pbc/accuracy"] = 0.5
    save_result(r, tmp_path / "result_x.json")
    with pytest.raises(LinecorrError, match="result_x.json: unknown metric column .pbc/accuracy."):
        build_leaderboard([tmp_path / "result_x.json"], tmp_path / "lb")


def test_predictions_round_trip_gzip_and_a_corrupt_gzip_is_one_line(ds, tmp_path):
    pred = _oracle(ds, "test")
    path = pred.save(tmp_path / "p.json.gz")
    back = load_predictions(path)
    assert set(back.pairs) == set(pred.pairs) and all(np.array_equal(back.pairs[k], v) for k, v in pred.pairs.items())
    assert pred.save(tmp_path / "q.json.gz").read_bytes() == path.read_bytes()  # same predictions, same bytes
    (tmp_path / "bad.json.gz").write_bytes(b"not gzip")
    with pytest.raises(LinecorrError, match="bad.json.gz: not a readable gzip file"):
        load_predictions(tmp_path / "bad.json.gz")
