"""The ``linecorr`` command: instant help with examples, clear errors, stage stubs."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from dataprep.cli import COMMANDS, main


def test_help_lists_every_stage(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for name in ("render", "segment", "label", "annotate", "import", "export", "validate", "viz", "publish",
                 "train", "score", "leaderboard", "demo"):
        assert name in COMMANDS and name in out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_subcommand_has_help_with_an_example(name, capsys):
    with pytest.raises(SystemExit) as e:
        main([name, "--help"])
    assert e.value.code == 0
    assert "example" in capsys.readouterr().out


def test_help_is_instant_and_imports_nothing_heavy():
    code = "import sys; from dataprep.cli import build_parser; build_parser(); " \
           "print(sorted(m for m in ('torch','numpy','cv2','datasets','PIL') if m in sys.modules))"
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert time.time() - t0 < 20  # generous: this guards against importing torch, not a speed target


def test_user_error_is_one_line_without_traceback(tmp_path, capsys):
    rc = main(["validate", str(tmp_path / "nope")])
    err = capsys.readouterr()
    assert rc == 1
    assert "nope: is not a directory" in err.out
    assert "Traceback" not in err.err


def test_validate_ok(toy_dataset, capsys):
    assert main(["validate", str(toy_dataset)]) == 0
    assert "valid" in capsys.readouterr().out


def test_demo_config_error_is_reported(capsys, tmp_path):
    rc = main(["demo", "--out", str(tmp_path / "d"), "--set", "nope=1"])
    assert rc == 2
    assert "unknown config key 'nope'" in capsys.readouterr().err
