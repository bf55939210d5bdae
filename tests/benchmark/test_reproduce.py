"""`linecorr score --check`: committed results are re-run from the command they record."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from dataprep.cli import main


def _score(toy_dataset, out, *extra) -> None:
    assert main(["score", "--method", "nearest-aligned", "--dataset", str(toy_dataset), "--out-dir", str(out),
                 *extra]) == 0


def test_a_result_records_its_command_and_reproduces(toy_dataset, tmp_path, capsys):
    _score(toy_dataset, tmp_path)
    result = tmp_path / "result_nearest-aligned.json"
    cmd = json.loads(result.read_text())["provenance"]["command"]
    assert cmd[:2] == ["--method", "nearest-aligned"] and "--dataset" in cmd and "--split" in cmd
    capsys.readouterr()
    assert main(["score", "--check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"same   {result}" in out and "1 of 1 results reproduce" in out


def test_drift_is_reported_and_update_recommits(toy_dataset, tmp_path, capsys):
    _score(toy_dataset, tmp_path)
    result = tmp_path / "result_nearest-aligned.json"
    r = json.loads(result.read_text())
    true_acc = r["metrics"]["pbc/acc"]
    r["metrics"]["pbc/acc"] = true_acc - 0.05  # what a change in the method would do
    result.write_text(json.dumps(r))
    pred = tmp_path / "predictions_nearest-aligned.json.gz"
    stale = tmp_path / "predictions_nearest-aligned.json"  # an older uncompressed file: replaced, removed
    stale.write_bytes(gzip.decompress(pred.read_bytes()).replace(b'"nearest-aligned"', b'"stale"', 1))
    pred.write_bytes(gzip.compress(stale.read_bytes()))
    capsys.readouterr()
    assert main(["score", "--check", str(result)]) == 1
    out = capsys.readouterr().out
    assert "DRIFT" in out and "pbc/acc:" in out and "0 of 1 results reproduce" in out
    assert main(["score", "--check", str(result), "--update"]) == 0
    assert json.loads(result.read_text())["metrics"]["pbc/acc"] == true_acc
    assert b'"stale"' not in gzip.decompress(pred.read_bytes())  # predictions re-committed with the result
    assert not stale.exists()
    assert main(["score", "--check", str(result)]) == 0


def test_a_result_that_cannot_be_rerun_fails_the_check(toy_dataset, tmp_path, capsys):
    _score(toy_dataset, tmp_path)
    result = tmp_path / "result_nearest-aligned.json"
    r = json.loads(result.read_text())
    del r["provenance"]["command"]
    r["method"]["name"] = "someone-elses-model"
    result.write_text(json.dumps(r))
    capsys.readouterr()
    assert main(["score", "--check", str(result)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_the_command_of_a_result_written_before_commands_were_recorded():
    from benchmark.reproduce import legacy_command

    region = {"method": {"name": "tb-nearest-aligned [regions]"},
              "benchmark": {"dataset": "linecorr-render-linecorr-synth-v2", "split": "test", "track": "raw-line",
                            "line_style": "rough", "gaps": [1]}}
    assert legacy_command(region) == ["--method", "tb-nearest-aligned", "--benchmark", "v2", "--line-style", "rough",
                                      "--gaps", "1", "--split", "test"]
    seg = {"method": {"name": "hungarian-features"},
           "benchmark": {"dataset": "linecorr-render-linecorr-synth-v1", "split": "test", "track": "color"}}
    assert legacy_command(seg) == ["--method", "hungarian-features", "--benchmark", "v1", "--split", "test",
                                   "--track", "color"]
    assert legacy_command({"method": {"name": "ant-tiny"}, "benchmark": {}}) == []  # a model: its checkpoint is unknown


def test_predictions_go_beside_an_out_result_not_into_the_cwd(toy_dataset, tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    out = tmp_path / "scores" / "r.json"
    assert main(["score", "--method", "nearest-aligned", "--dataset", str(toy_dataset), "--out", str(out)]) == 0
    assert out.is_file() and (out.parent / "predictions_nearest-aligned.json.gz").is_file()
    assert not list(cwd.iterdir())


def test_a_named_model_result_keeps_its_name_when_re_run(toy_dataset, tmp_path, capsys):
    import torch

    from benchmark.models.ant.model import AnT
    from benchmark.train.checkpoint import save_checkpoint
    from benchmark.train.config import tiny

    torch.manual_seed(0)
    cfg = tiny()
    ckpt = save_checkpoint(tmp_path / "m.safetensors", AnT(cfg.model), cfg, step=0)
    assert main(["score", "--model", "ant", "--checkpoint", str(ckpt), "--name", "ant-tiny-second",
                 "--dataset", str(toy_dataset), "--out-dir", str(tmp_path)]) == 0
    result = tmp_path / "result_ant-tiny-second.json"
    r = json.loads(result.read_text())
    assert r["method"]["name"] == "ant-tiny-second" and "--name" in r["provenance"]["command"]
    capsys.readouterr()
    assert main(["score", "--check", str(result)]) == 0
    assert f"same   {result}" in capsys.readouterr().out
    # a baseline keeps its own name
    assert main(["score", "--method", "nearest-aligned", "--name", "x", "--dataset", str(toy_dataset)]) != 0


def test_a_mirrored_model_result_records_tta_and_reproduces(toy_dataset, tmp_path, capsys):
    import torch

    from benchmark.models.ant.model import AnT
    from benchmark.train.checkpoint import save_checkpoint
    from benchmark.train.config import tiny

    torch.manual_seed(0)
    cfg = tiny()
    ckpt = save_checkpoint(tmp_path / "m.safetensors", AnT(cfg.model), cfg, step=0)
    for tta, name in (("none", "plain"), ("hflip", "flip")):
        assert main(["score", "--model", "ant", "--checkpoint", str(ckpt), "--name", name, "--tta", tta,
                     "--dataset", str(toy_dataset), "--out-dir", str(tmp_path)]) == 0
    plain, flip = (json.loads((tmp_path / f"result_{n}.json").read_text()) for n in ("plain", "flip"))
    assert flip["method"]["params"]["tta"] == "hflip" and plain["method"]["params"]["tta"] == "none"
    assert "--tta" in flip["provenance"]["command"] and "--tta" not in plain["provenance"]["command"]
    with gzip.open(tmp_path / "predictions_flip.json.gz") as f, gzip.open(tmp_path / "predictions_plain.json.gz") as g:
        assert json.load(f)["pairs"] != json.load(g)["pairs"]  # the mirrored view changes the scores
    capsys.readouterr()
    assert main(["score", "--check", str(tmp_path / "result_flip.json")]) == 0
    assert "same" in capsys.readouterr().out
    # only a model with test-time augmentation takes --tta
    assert main(["score", "--method", "nearest-aligned", "--tta", "hflip", "--dataset", str(toy_dataset)]) != 0
    assert "--tta goes with --model" in capsys.readouterr().err
    vit = Path(__file__).resolve().parents[2] / "results/v2/runs/patch-vit-tiny/best.safetensors"
    assert main(["score", "--model", "patch-vit", "--checkpoint", str(vit), "--tta", "hflip", "--name", "vit-flip",
                 "--protocol", "regions", "--set", "max_pairs=2", "--dataset", str(toy_dataset),
                 "--out-dir", str(tmp_path)]) == 0
    region = json.loads((tmp_path / "result_vit-flip_regions.json").read_text())
    assert region["method"]["params"]["cfg"]["tta"] == "hflip" and "--tta" in region["provenance"]["command"]
