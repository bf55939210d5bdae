"""benchmarks/bench_open_lines.py on toy data: intact lines give the exact partition, wide gaps leak."""

from __future__ import annotations

import json


def test_gaps_and_radii(toy_dataset, tmp_path, capsys, repo_module):
    out = tmp_path / "open.json"
    bench = repo_module("benchmarks/bench_open_lines.py")
    assert bench.main(["--dataset", str(toy_dataset), "--split", "test", "--frames", "2", "--max-gaps", "0,12",
                       "--radii", "3", "--every", "20", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [(r["max_gap"], r["radius"]) for r in rows] == [(0, 3), (12, 3)]
    intact, gapped = rows
    assert intact["region/ari"] > 0.99  # closed toy lines: trapped-ball is the GT partition
    assert gapped["region/ari"] < intact["region/ari"]  # 12-px gaps are wider than a radius-3 ball closes
    assert f"wrote {out}" in capsys.readouterr().out
