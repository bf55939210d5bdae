"""The ``linecorr`` command: instant help with examples, clear errors, stage stubs."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from dataprep.cli import command_entry_points, main
from dataprep.errors import LinecorrError

#: The subcommands the installed packages register (entry points ``linecorr.commands``).
COMMANDS = [ep.name for ep in command_entry_points() if "." not in ep.name]


def test_help_lists_every_stage(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for name in ("render", "segment", "label", "annotate", "import", "export", "validate", "viz", "publish",
                 "train", "score", "leaderboard", "colorize", "demo"):
        assert name in COMMANDS and name in out
    listed = [ln.split()[0] for ln in out.split("COMMAND\n", 1)[1].splitlines() if ln.startswith("    ") and
              not ln.startswith("     ")]
    assert listed[:4] == ["demo", "render", "segment", "label"] and listed[-1] == "colorize"  # pipeline order


def test_other_packages_extend_commands_they_do_not_own(capsys):
    """``export eval``/``effort`` come from the annotator and ``viz --regions`` from the benchmark."""
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    out = capsys.readouterr().out
    assert "linecorr export eval data/render" in out and "linecorr export effort" in out
    with pytest.raises(SystemExit):
        main(["viz", "--help"])
    assert "--regions METHOD" in capsys.readouterr().out


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


def _parsers():
    """``(prog, parser)`` of every command and sub-command that takes ``--set``."""
    import argparse

    from dataprep.cli import build_parser

    out, todo = [], [build_parser()]
    while todo:
        p = todo.pop()
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                todo.extend(a.choices.values())
        if any("--set" in a.option_strings for a in p._actions):
            out.append((p.prog.split(" ", 1)[1], p))
    return out


def _check_key(prog: str, item: str) -> None:
    """Apply ``--set item`` the way command ``prog`` does (raises LinecorrError when it does not work)."""
    from dataprep.config import load_config

    if prog == "segment":
        from dataprep.segment.dataset import SegmentJobConfig, check_params

        check_params(load_config(SegmentJobConfig, None, [item], extra="params"))
    elif prog == "train":  # the training presets: AnT's and the patch-ViT's
        from benchmark.train.config import tiny
        from benchmark.train.vit_config import PRESETS

        errors = []
        for base in (tiny(), PRESETS["tiny"]()):
            try:
                load_config(type(base), None, [item], base=base)
            except LinecorrError as e:
                errors.append(e)
        if len(errors) == 2:  # a key neither preset has
            raise errors[0]
    else:
        module, cls = {
            "demo": ("linecorr.demo.pipeline", "DemoConfig"), "label": ("dataprep.label.config", "LabelConfig"),
            "publish": ("dataprep.publish.export", "PublishConfig"),
            "import pbc": ("dataprep.importers.pbc", "PbcImportConfig"),
            "import animerun": ("dataprep.importers.animerun", "AnimeRunImportConfig"),
            "colorize": ("benchmark.models.ant.colorize", "ColorizeConfig"),
            "score": ("benchmark.score", "ScoreConfig"), "render": ("blender_scripts.config", "RenderConfig"),
        }[prog]
        import importlib

        load_config(getattr(importlib.import_module(module), cls), None, [item])


def test_every_set_example_in_the_help_works_as_written():
    # `segment --help` and `label --help` once showed `--set radius=3`, a key neither has
    import re

    seen = set()
    for prog, p in _parsers():
        items = re.findall(r"--set\s+('[^']+'|\S+)", p.format_help())
        for item in (i.strip("'").rstrip(";,)") for i in items):
            if not item.startswith("KEY=VALUE") and not item.endswith("..."):  # the usage line, placeholders
                _check_key(prog, item)
                seen.add(prog)
    assert {"segment", "label", "demo", "publish", "import pbc", "import animerun", "colorize"} <= seen


def test_segment_and_label_take_flat_keys_and_unknown_keys_list_the_valid_ones(tmp_path, capsys):
    from dataprep.config import load_config
    from dataprep.label.config import LabelConfig
    from dataprep.segment.dataset import SegmentJobConfig, check_params

    cfg = load_config(SegmentJobConfig, None, ["ball_radius=2", "strict=true", "levels=fixed"], extra="params")
    assert cfg.params == {"ball_radius": 2, "levels": "fixed"} and cfg.strict
    assert load_config(SegmentJobConfig, None, ["params.ball_radius=2"], extra="params").params == {"ball_radius": 2}
    assert load_config(LabelConfig, None, ["min_votes=6", "segment_params.min_area=32"]).segment_params == {
        "min_area": 32}
    assert main(["segment", str(tmp_path), "--out", str(tmp_path / "o"), "--set", "radius=3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown config key 'radius' for method 'trapped_ball'" in err
    assert "strict" in err and "ball_radius" in err and "ink_threshold" in err
    with pytest.raises(Exception, match="unknown config key 'ball_radius' for method 'closed'"):
        check_params(SegmentJobConfig(method="closed", params={"ball_radius": 3}))
    assert main(["label", str(tmp_path), "--out", str(tmp_path / "o"), "--set", "radius=3"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown config key 'radius' (known: gaps, stride" in err


def test_config_keys_in_the_help_are_the_dataclass_fields():
    import dataclasses

    from benchmark.models.ant.colorize import ColorizeConfig
    from benchmark.score import ScoreConfig
    from dataprep.publish.export import PublishConfig
    from dataprep.segment.config import TrappedBallConfig
    from dataprep.segment.dataset import SegmentJobConfig
    from linecorr.demo.pipeline import DemoConfig

    def names(cls, skip=()):
        return [f.name for f in dataclasses.fields(cls) if f.name not in skip]

    keys = {}  # command -> the keys its --set help lists
    for prog, p in _parsers():
        (action,) = [a for a in p._actions if "--set" in a.option_strings]
        if "; keys: " in action.help:  # `train` documents its keys in its presets instead
            keys[prog] = " ".join(action.help.split("; keys: ", 1)[1].split())
    for cmd, cls in (("demo", DemoConfig), ("publish", PublishConfig), ("colorize", ColorizeConfig)):
        assert keys[cmd] == ", ".join(names(cls)), cmd
    assert keys["score"].startswith(", ".join(names(ScoreConfig)) + ";")
    seg = keys["segment"]
    assert seg.startswith(", ".join(names(SegmentJobConfig, ("params",))) + ", and the method's parameters")
    assert seg.endswith("trapped_ball: " + ", ".join(names(TrappedBallConfig)))


def test_a_command_whose_code_does_not_load_is_skipped_with_a_warning(monkeypatch, capsys):
    """Installed metadata naming code that is not in the checkout must not take the other commands down."""
    from importlib.metadata import EntryPoint

    from dataprep import cli

    real = cli.command_entry_points()
    bogus = [EntryPoint("ghost", "annotator.cli:no_such_register", cli.COMMAND_GROUP),
             EntryPoint("validate.ghost", "no_such_module:register", cli.COMMAND_GROUP)]
    monkeypatch.setattr(cli, "command_entry_points", lambda: real + bogus)
    with pytest.raises(SystemExit) as e:
        main(["validate", "--help"])
    assert e.value.code == 0
    err = capsys.readouterr().err
    assert "command 'ghost' skipped: annotator.cli:no_such_register does not load" in err
    assert "command 'validate.ghost' skipped" in err
