"""A small self-contained HTML report of a demo run: what ran, counts, pictures."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

from dataprep.format.atomic import atomic_write_text


@dataclass
class StepResult:
    """What one demo step did."""

    name: str  # step title
    seconds: float  # wall time
    summary: str  # one line of what happened
    details: dict = field(default_factory=dict)  # counts and figures, shown as a table
    images: list[Path] = field(default_factory=list)  # PNGs to embed
    outputs: list[Path] = field(default_factory=list)  # where the step wrote
    ok: bool = True  # False if the step failed (the report says why)


def write_report(path: Path, title: str, steps: list[StepResult]) -> Path:
    """Write a single-file HTML report (images embedded as data URIs) atomically."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             ("<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
              "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}"
              ".fail{color:#b00}img{max-width:100%;border:1px solid #ddd;margin:.3em 0}"
              "code{background:#f4f4f4;padding:0 .2em}</style></head><body>"),
             f"<h1>{html.escape(title)}</h1>",
             "<table><tr><th>step</th><th>result</th><th>time</th></tr>"]
    for s in steps:
        cls = "" if s.ok else " class='fail'"
        parts.append(f"<tr{cls}><td><a href='#{_anchor(s.name)}'>{html.escape(s.name)}</a></td>"
                     f"<td>{html.escape(s.summary)}</td><td>{s.seconds:.1f} s</td></tr>")
    parts.append("</table>")
    for s in steps:
        parts.append(f"<h2 id='{_anchor(s.name)}'>{html.escape(s.name)}</h2><p>{html.escape(s.summary)}</p>")
        if s.details:
            parts.append("<table>" + "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                                            for k, v in s.details.items()) + "</table>")
        for o in s.outputs:
            parts.append(f"<p>wrote <code>{html.escape(str(o))}</code></p>")
        for img in s.images:
            if img.is_file():
                b64 = base64.b64encode(img.read_bytes()).decode()
                parts.append(f"<figure><img src='data:image/png;base64,{b64}'>"
                             f"<figcaption>{html.escape(img.name)}</figcaption></figure>")
    parts.append("</body></html>")
    atomic_write_text(path, "\n".join(parts))
    return path


def _anchor(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower())
