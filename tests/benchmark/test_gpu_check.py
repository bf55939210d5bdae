"""benchmarks/gpu_check.py: the CPU smoke run fills every section of the results JSON; a failing stage
is recorded and the run goes on; without CUDA the GPU run stops with one line."""

from __future__ import annotations

import json
import math

import pytest


@pytest.fixture(scope="module")
def gpu_check(repo_module):
    return repo_module("benchmarks/gpu_check.py")


@pytest.mark.slow
def test_cpu_smoke_fills_every_section(gpu_check, tmp_path, capsys):
    assert gpu_check.main(["--cpu-smoke", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "gpu_check.json"
    assert f"wrote {path}" in out
    assert all(f"[{i}/9] {name}" in out for i, name in enumerate(gpu_check.STAGES, 1))  # a progress line per stage
    r = json.loads(path.read_text())
    assert r["ok"] and r["failed"] == [] and r["mode"] == "cpu-smoke" and r["wall_s"] > 0
    assert list(r["stages"]) == list(gpu_check.STAGES)
    for name, st in r["stages"].items():
        assert st["ok"], (name, st.get("error"))
        assert st["wall_s"] >= 0 and st["summary"], name

    env = r["env"]
    assert env["torch"] and env["device"] == "cpu" and env["device_name"] and env["python"]
    assert len(env["git"]["sha"]) == 40

    tests = r["stages"]["tests"]
    assert tests["returncode"] == 0 and tests["skipped"] >= 1 and "failed" not in tests  # skipped by the marker

    data = r["stages"]["data"]
    assert data["pairs"]["train"] > 0 and data["pairs"]["test"] > 0

    ant = r["stages"]["ant_forward"]
    assert set(ant["ms"]) == {"crops", "cnn", "transformer", "total"} and all(v > 0 for v in ant["ms"].values())
    vit = r["stages"]["vit_forward"]
    assert {"encoder", "multiplex", "postprocess", "matching", "total"} <= set(vit["ms"])

    for name in ("train_ant", "train_vit"):
        tr = r["stages"][name]
        assert tr["steps"] == 2 and len(tr["losses"]) == 2 and all(math.isfinite(v) for v in tr["losses"])
        assert tr["steps_per_s"] > 0 and tr["command"][:2] == ["linecorr", "train"]
        assert (tmp_path / "runs" / tr["command"][2] / "last.safetensors").is_file()

    score_ant = r["stages"]["score_ant"]["results"]
    assert score_ant["result_ant-tiny.json"]["metrics"]["ant/accuracy@recursive10"] is not None
    score_vit = r["stages"]["score_vit"]["results"]
    assert set(score_vit) == {"result_patch-vit-tiny.json", "result_patch-vit-tiny_regions.json"}
    assert score_vit["result_patch-vit-tiny_regions.json"]["metrics"]["region/ari"] is not None


def test_a_failing_stage_is_recorded_and_the_run_goes_on(gpu_check, tmp_path, monkeypatch, capsys):
    calls = []

    def fine(name):
        def stage(self):
            calls.append(name)
            return {"summary": name}
        return stage

    for name in gpu_check.STAGES:
        monkeypatch.setattr(gpu_check.Check, name, fine(name))

    def broken(self):
        raise ValueError("no such thing")

    monkeypatch.setattr(gpu_check.Check, "train_ant", broken)
    assert gpu_check.main(["--cpu-smoke", "--out", str(tmp_path)]) == 1
    r = json.loads((tmp_path / "gpu_check.json").read_text())
    assert calls == [n for n in gpu_check.STAGES if n != "train_ant"]  # every later stage still ran
    assert r["failed"] == ["train_ant"] and not r["ok"]
    assert r["stages"]["train_ant"]["error"] == "ValueError: no such thing"
    assert "FAILED: train_ant" in capsys.readouterr().out


def test_gpu_run_without_cuda_stops_with_one_line(gpu_check, tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    assert gpu_check.main(["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no CUDA device" in err
    assert not (tmp_path / "gpu_check.json").exists()


def test_help_has_a_working_example(gpu_check, capsys):
    with pytest.raises(SystemExit) as e:
        gpu_check.main(["--help"])
    assert e.value.code == 0
    assert "benchmarks/gpu_check.py --cpu-smoke" in capsys.readouterr().out
