"""LEADERBOARD.md and a self-contained HTML leaderboard from result JSONs.

Results are grouped by benchmark (dataset name + split + line style + track + ground-truth hash):
numbers are only comparable when scored on the very same data and task. A benchmark with several
line styles (v2) gets one table per style and track. Within a group, rows are sorted by the
track's own primary metric (:data:`TRACK_PRIMARY`); every column knows whether higher is better
(from the metric registry) and the best value is bold. The HTML page has a sortable table, a
per-clip chart of the track's primary metric, and patch-level PR curves for results whose patch
scores are graded (a baseline whose patch scores take two values has no curve to draw).
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from pathlib import Path

from benchmark.metrics import column_metric
from benchmark.score import PRIMARY, RESULT_FORMAT
from dataprep.errors import LinecorrError
from dataprep.format.atomic import atomic_write_text

#: Columns shown, in order (others stay in the JSON). Missing values show as "–".
COLUMNS = [
    "ant/accuracy@recursive10", "ant/miou@recursive10", "ant/accuracy@nonrecursive10", "ant/miou@nonrecursive10",
    "pbc/acc", "pbc/acc_thres", "pbc/pix_acc", "pbc/pix_acc_wobg", "pbc/bmiou",
    "patch/cross/ap", "patch/cross/best_f1", "patch/cross/top1", "region/ari", "region/miou_p2g",
    "region/cluster_ratio", "region/precision", "region/recall",
]


def load_results(paths: list[str | os.PathLike]) -> list[dict]:
    """Read result JSONs (one-line error naming a bad file)."""
    out = []
    for p in paths:
        p = Path(p)
        try:
            r = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LinecorrError("result file is missing", p) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise LinecorrError(f"malformed JSON ({e})", p) from None
        if not isinstance(r, dict) or r.get("format") != RESULT_FORMAT or "metrics" not in r:
            raise LinecorrError(f"not a linecorr result (format must be {RESULT_FORMAT!r}, with 'metrics')", p)
        for k in r["metrics"]:  # an unknown metric is an error, never ranked by a guessed direction
            try:
                column_metric(k)
            except LinecorrError as e:
                raise LinecorrError(str(e), p) from None
        r["_path"] = str(p)
        out.append(r)
    if not out:
        raise LinecorrError("no result files given")
    return out


#: The metric each track's table is sorted by and charts per clip: colorization tracks use AnT's
#: propagation accuracy; the raw-line track (regions from the line art alone) the paper's region recall.
TRACK_PRIMARY = {"line": PRIMARY, "color": PRIMARY, "raw-line": "region/recall"}


def _data_hash(b: dict) -> str:
    """The data a result was scored on: a standard benchmark's reference hash (whether its render was
    the whole benchmark, its test split alone, or a near-reference render from another machine:
    ``benchmark.standard``), else the ground-truth (or content) hash of the data."""
    from benchmark.standard import BENCHMARKS

    ref = b.get("reference") or {}
    h = b.get("ground_truth_hash") or b.get("content_hash") or ""
    for bench in BENCHMARKS.values():
        if bench.name == ref.get("benchmark") or h in (bench.hash, *bench.split_hashes.values()):
            return bench.hash or h
    return h


def near_reference(r: dict) -> tuple[int, int] | None:
    """``(frames differing, frames)`` when ``r`` was scored on a render that differs from its
    benchmark's reference (a few pixels each: ``benchmark.standard.MAX_DIFFERING_FRAMES``), else None."""
    ref = r.get("benchmark", {}).get("reference") or {}
    return (ref["frames_differing"], ref["frames"]) if ref.get("frames_differing") else None


def display_name(r: dict) -> str:
    """The method's name, marked † when it was scored on a near-reference render (see the table's note)."""
    return r["method"].get("name", "?") + (" †" if near_reference(r) else "")


def _near_reference_notes(rows: list[dict]) -> list[str]:
    """The note under a table with † rows (Markdown lines, a blank one last), or nothing."""
    marked = [(display_name(r), near_reference(r)) for r in rows if near_reference(r)]
    if not marked:
        return []
    counts = sorted({f"{d} of {n}" for _, (d, n) in marked})
    note = (f"† scored on a render whose ground truth differs from the benchmark's reference in {', '.join(counts)} "
            "frames, a few pixels each (Blender is not bit-exact across machines; docs/BENCHMARK.md): comparable "
            "with the other rows, not bit-identical.")
    return [note, ""]


def _group_key(r: dict) -> tuple[str, str, str, str, str]:
    """One table per (dataset, split, line style, track, data hash): only like is compared with like."""
    b = r.get("benchmark", {})
    h = _data_hash(b)
    style = b.get("line_style", "") + (f", gaps {','.join(map(str, b['gaps']))}" if b.get("gaps") else "")
    return (b.get("dataset", "?"), b.get("split", "?"), style, b.get("track", "line"), h[:12])


def primary_of(track: str) -> str:
    return TRACK_PRIMARY.get(track, PRIMARY)


def _title(name: str, split: str, style: str, track: str) -> str:
    what = f"line style `{style}`, " if style else ""  # e.g. "rough, gaps 1"
    return f"{name} — split `{split}`, {what}track `{track}`"


def _direction(name: str) -> bool | None:
    """True if higher is better; None for target-valued metrics (cluster ratio).

    Raises:
        LinecorrError: ``name`` is no registered metric (:func:`column_metric`).
    """
    return column_metric(name).higher_is_better


def _best(rows: list[dict], col: str) -> float | None:
    vals = [r["metrics"].get(col) for r in rows if r["metrics"].get(col) is not None]
    if not vals or not column_metric(col).ranked:
        return None
    d = _direction(col)
    if d is None:
        return min(vals, key=lambda v: abs(v - 1.0))
    return max(vals) if d else min(vals)


def _fmt(v, col: str = "") -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if col.endswith("cluster_ratio") else f"{100 * v:.2f}"


def _groups(results: list[dict]) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        groups.setdefault(_group_key(r), []).append(r)
    for key, rows in groups.items():
        metric = primary_of(key[3])
        rows.sort(key=lambda r, k=metric: -(r["metrics"].get(k) or -1))
    return dict(sorted(groups.items(), key=_group_order))


def _group_order(item) -> tuple:
    """Newest benchmark first; its line styles in the order of ``dataprep.linestyle.STYLES``; then the track."""
    from dataprep.linestyle import STYLES

    name, split, style, track, _ = item[0]
    base = style.split(",")[0]
    rank = STYLES.index(base) if base in STYLES else -1
    return (tuple(-ord(ch) for ch in name), split, rank, style, track)


def write_markdown(results: list[dict], path: Path) -> Path:
    """LEADERBOARD.md: one table per benchmark, percentages, best value bold."""
    lines = ["# linecorr leaderboard", "",
             (f"Tracks `line` / `color` are sorted by `{PRIMARY}` (AnT's protocol: labels propagated recursively "
              f"over 10 frames), track `raw-line` by `{TRACK_PRIMARY['raw-line']}` (the region protocol of the manga "
              "paper). Values in %, except the cluster ratio (best at 1). Generated by `linecorr leaderboard`."), ""]
    for (name, split, style, track, h), rows in _groups(results).items():
        cols = [c for c in COLUMNS if any(r["metrics"].get(c) is not None for r in rows)]
        lines += [f"## {_title(name, split, style, track)} (data hash `{h}`)", "",
                  "| method | " + " | ".join(f"`{c}`" for c in cols) + " |",
                  "|---|" + "---|" * len(cols)]
        for r in rows:
            cells = []
            for c in cols:
                v = r["metrics"].get(c)
                s = _fmt(v, c)
                cells.append(f"**{s}**" if v is not None and v == _best(rows, c) else s)
            lines.append(f"| {display_name(r)} | " + " | ".join(cells) + " |")
        lines.append("")
        lines += _near_reference_notes(rows)
        for r in rows:
            prov = r.get("provenance", {})
            lines.append(f"- **{r['method'].get('name')}**: {r['method'].get('description', '')} "
                         f"(linecorr {prov.get('linecorr_version', '?')}, git `{(prov.get('git_sha') or '?')[:10]}`, "
                         f"{prov.get('hardware', {}).get('gpu') or prov.get('hardware', {}).get('cpu', '?')}, "
                         f"{prov.get('created', '')})")
        lines.append("")
    atomic_write_text(path, "\n".join(lines))
    return path


def _png_b64(fig) -> str:
    """Base64 PNG of a matplotlib figure (closed afterwards), for embedding in HTML."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _plot_per_clip(rows: list[dict], metric: str = PRIMARY) -> str:
    """Base64 PNG of ``metric`` per clip, one bar group per method (empty when no clip has it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    clips = sorted({c for r in rows for c, m in r.get("per_clip", {}).items() if m.get(metric) is not None})
    if not clips:
        return ""
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(clips) * max(1, len(rows))), 3.2), dpi=100)
    width = 0.8 / len(rows)
    x = np.arange(len(clips))
    for i, r in enumerate(rows):
        vals = [r.get("per_clip", {}).get(c, {}).get(metric) for c in clips]
        ax.bar(x + i * width, [np.nan if v is None else 100 * v for v in vals], width,
               label=r["method"].get("name"))
    ax.set_xticks(x + 0.4 - width / 2, clips, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(f"{metric} (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    return _png_b64(fig)


def _plot_pr(rows: list[dict]) -> str:
    """Base64 PNG of patch-level PR curves for results that carry ``curves.patch_pr``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # A curve needs graded scores: with two score levels (0/1 patches) it is one point, not a curve.
    have = [r for r in rows if len(set((r.get("curves", {}).get("patch_pr") or {}).get("precision", []))) > 2]
    if not have:
        return ""
    fig, ax = plt.subplots(figsize=(4.5, 4), dpi=100)
    for r in have:
        pr = r["curves"]["patch_pr"]
        ax.plot(pr["recall"], pr["precision"], label=r["method"].get("name"))
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("patch level, cross-image")
    ax.legend(fontsize=8)
    return _png_b64(fig)


_JS = """<script>
document.querySelectorAll('table.lb').forEach(t => t.querySelectorAll('th').forEach((th, i) => {
  th.style.cursor = 'pointer';
  th.addEventListener('click', () => {
    const rows = Array.from(t.tBodies[0].rows), asc = th.dataset.asc !== '1';
    rows.sort((a, b) => { const x = a.cells[i].dataset.v, y = b.cells[i].dataset.v;
      const fx = parseFloat(x), fy = parseFloat(y);
      const c = (isNaN(fx) || isNaN(fy)) ? String(x).localeCompare(String(y)) : fx - fy;
      return asc ? c : -c; });
    th.dataset.asc = asc ? '1' : '0'; rows.forEach(r => t.tBodies[0].appendChild(r)); });
}));
</script>"""


def write_html(results: list[dict], path: Path) -> Path:
    """index.html: sortable tables (click a header), per-clip plots, PR curves."""
    parts = [("<!doctype html><html><head><meta charset='utf-8'><title>linecorr leaderboard</title><style>"
              "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;font-size:13px}"
              "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right}td:first-child,th:first-child"
              "{text-align:left}th{background:#f3f3f3}.best{font-weight:bold;background:#e8f5e9}</style></head><body>"),
             "<h1>linecorr leaderboard</h1>",
             (f"<p>Click a column header to sort. Values in %. Primary metric: <code>{html.escape(PRIMARY)}</code> "
              f"(track raw-line: <code>{html.escape(TRACK_PRIMARY['raw-line'])}</code>).</p>")]
    for (name, split, style, track, h), rows in _groups(results).items():
        cols = [c for c in COLUMNS if any(r["metrics"].get(c) is not None for r in rows)]
        parts.append(f"<h2>{html.escape(_title(name, split, style, track)).replace('`', '')} "
                     f"<small>(data {html.escape(h)})</small></h2>")
        head = "".join(f"<th title='{'higher' if _direction(c) else 'closer to 1' if _direction(c) is None else 'lower'}"
                       f" is better'>{html.escape(c)}</th>" for c in cols)
        parts.append(f"<table class='lb'><thead><tr><th>method</th>{head}</tr></thead><tbody>")
        for r in rows:
            cells = []
            for c in cols:
                v = r["metrics"].get(c)
                cls = " class='best'" if v is not None and v == _best(rows, c) else ""
                cells.append(f"<td{cls} data-v='{'' if v is None else v}'>{_fmt(v, c)}</td>")
            nm = html.escape(display_name(r))
            parts.append(f"<tr><td data-v='{nm}' title='{html.escape(r['method'].get('description', ''))}'>{nm}</td>"
                         + "".join(cells) + "</tr>")
        parts.append("</tbody></table>")
        parts += [f"<p><small>{html.escape(n[2:]).replace('`', '')}</small></p>" for n in _near_reference_notes(rows) if n]
        metric = primary_of(track)
        for title, png in ((f"Per-clip {metric}", _plot_per_clip(rows, metric)), ("PR curves", _plot_pr(rows))):
            if png:
                parts.append(f"<h3>{title}</h3><img alt='{title}' src='data:image/png;base64,{png}'>")
    parts.append(_JS + "</body></html>")
    atomic_write_text(path, "\n".join(parts))
    return path


def build_leaderboard(paths: list[str | os.PathLike], out: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``out/LEADERBOARD.md`` and ``out/index.html``; returns both paths."""
    results = load_results(paths)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return write_markdown(results, out / "LEADERBOARD.md"), write_html(results, out / "index.html")
