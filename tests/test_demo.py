"""``linecorr demo`` runs every stage that exists and writes an HTML report."""

from __future__ import annotations

from dataprep.cli import main


def test_demo_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--set", "source=toy", "--set", "clips=3", "--set", "frames=4", "--set", "size=128", "--set", "train_minutes=0.1"]) == 0
    html = (out / "report.html").read_text()
    assert "FAILED" not in html
    for step in ("generate", "validate", "trapped-ball", "PaintBucket", "publish", "baselines", "committed AnT",
                 "short training run"):
        assert step.lower() in html.lower(), step
    # the committed checkpoint is scored next to the baselines and the short run is labelled as one
    board = (out / "leaderboard" / "LEADERBOARD.md").read_text()
    assert "ant-committed" in board and "ant-tiny-short-run" in board
    assert "data:image/png;base64" in html
    assert (out / "leaderboard" / "LEADERBOARD.md").is_file()
    assert f"wrote {out / 'report.html'}" in capsys.readouterr().out
    # a second demo into the same folder replaces the first (the short run's folder included)
    assert main(["demo", "--out", str(out), "--set", "source=toy", "--set", "clips=3", "--set", "frames=4", "--set", "size=128", "--set", "train_minutes=0.1"]) == 0
    assert "FAILED" not in (out / "report.html").read_text()
