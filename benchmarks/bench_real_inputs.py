"""Real line art in the wild: what a user of the ``linecorr`` CLI sees, case by case (issue #17, points 1-9).

Generates small inputs of each kind in a temporary folder (numpy/OpenCV/PIL and the synthetic
generators of THIS checkout: ``dataprep.synthetic``, ``tests/dataprep/foreign_layouts.py``), then runs
the CLI of the checkout given by ``--repo`` in subprocesses, as a user would
(``PYTHONPATH=REPO python -m dataprep COMMAND ...`` from REPO, with this interpreter, umask 022), and
prints one row per case: exit code, the result (segments per frame, a metric, byte-exactness, file
modes) and the first warning/error line the user got. With ``--before OLD_REPO`` the same cases
run on a second checkout too (e.g. a worktree of the commit before the fixes) and the table shows
both side by side.

Cases (issue #17):
  1  line images of every kind -> ``segment`` segments per frame (vs. the true count)
  2  pencil scan on grey paper (paper 130-180, noise, vignetting) -> ``segment`` with defaults
  3  blank / one-region / all-ink frame -> warning? exit code with ``--strict``
  4  ``validate`` on a dataset with a zero-segment frame (made by ``segment``) -> exit, traceback?
  5  PBC ``import pbc`` + ``export pbc`` round trip, label/ backgrounds (0,0,0,0) and (255,255,255,0)
  6  ``colorize`` without ``--reference-line`` (refused where fills can only be estimated?), with
     ``--estimate-fills``, and with it (control), the reference's own line image as target -> share of
     its character pixels reproduced (AnT checkpoint results/standard/runs/ant-tiny/best.safetensors)
  7  ``--set``: the examples in ``segment --help`` / ``label --help``, ``--set radius=3``, an unknown key
  8  file mode of PNGs written by ``viz`` and ``colorize`` under umask 022
  9  ``label --eval --gt DATASET`` on a folder of images

An option that did not exist in a checkout shows argparse's error: that is what the user got.

Everything runs with OMP/MKL threads = 1 (the machine is shared); both checkouts take about a minute
each on one core.

example:
  python benchmarks/bench_real_inputs.py                                   # this checkout only
  git worktree add /tmp/lc_before 9f6cac4
  python benchmarks/bench_real_inputs.py --repo /tmp/lc_before --cases 1,4            # the old CLI only
  python benchmarks/bench_real_inputs.py --before /tmp/lc_before \\
      --json results/real_inputs.json --md results/real_inputs.md
  git worktree remove --force /tmp/lc_before
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import filecmp
import json
import re
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parents[1]  # the checkout holding this script (input generators)
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE / "tests" / "dataprep"))  # foreign_layouts: PBC characters

CHECKPOINT = HERE / "results" / "standard" / "runs" / "ant-tiny" / "best.safetensors"
SHORT = 150  # characters kept of a message


# ---------------------------------------------------------------------------------------------
# Running the CLI of a checkout


class Cli:
    """``linecorr`` of one checkout, run in a subprocess from the checkout with ``PYTHONPATH=repo``."""

    def __init__(self, repo: Path, tmp: Path):
        self.repo = repo.resolve()
        self.tmp = tmp
        self.env = {**os.environ, "PYTHONPATH": str(self.repo), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                    "PYTHONWARNINGS": "ignore::DeprecationWarning"}
        self.env.pop("LINECORR_TIMING", None)
        self.prefix = [sys.executable, "-m", "dataprep"]
        if self._call(["--help"])[0] != 0:  # no `python -m dataprep` in this checkout: call main() directly
            self.prefix = [sys.executable, "-c", "import sys; from dataprep.cli import main; sys.exit(main(sys.argv[1:]))"]
        self.entry = "python -m dataprep" if self.prefix[1] == "-m" else "python -c 'from dataprep.cli import main'"

    def _call(self, args: list[str], timeout: float = 300) -> tuple[int, str, str]:
        p = subprocess.run(self.prefix + args, cwd=self.repo, env=self.env, capture_output=True, text=True,
                           check=False, timeout=timeout, preexec_fn=lambda: os.umask(0o022))
        return p.returncode, p.stdout, p.stderr

    def __call__(self, *args) -> dict:
        args = [str(a) for a in args]
        t0 = time.perf_counter()
        rc, out, err = self._call(args)
        return {"rc": rc, "out": out, "err": err, "s": time.perf_counter() - t0,
                "command": "linecorr " + " ".join(self.show(a) for a in args)}

    def show(self, text: str) -> str:
        """A path or message with the temporary folder written ``<tmp>``."""
        return str(text).replace(str(self.tmp), "<tmp>")

    def commit(self) -> str:
        try:
            return subprocess.run(["git", "-C", str(self.repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                                  text=True, check=True).stdout.strip()
        except (subprocess.CalledProcessError, OSError):
            return "?"

    def dirty(self) -> bool:
        p = subprocess.run(["git", "-C", str(self.repo), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=False)
        return bool(p.stdout.strip())


def message(cli: Cli, r: dict, want: str = "") -> str:
    """What the user reads: a traceback's last line, else the first warning/error line (or ``want``)."""
    err = r["err"]
    lines = [s for s in err.splitlines() if s.strip()]
    if "Traceback (most recent call last)" in err:
        text = "Traceback: " + (lines[-1] if lines else "")
    else:
        keys = ("error", "warning", "Error", want) if want else ("error", "warning", "Error")
        hits = [s for s in lines if any(k in s for k in keys)]
        n_warn = sum("warning" in s for s in lines)
        text = hits[0] if hits else ""
        if n_warn > 1:
            text += f" (+{n_warn - 1} more warning{'s' * (n_warn > 2)})"
    text = cli.show(text.strip())
    return text if len(text) <= SHORT else text[:SHORT - 1] + "…"


def row(case: str, what: str, cli: Cli, r: dict | None, result: str, msg: str | None = None) -> dict:
    return {"case": case, "input": what, "command": r["command"] if r else "", "rc": r["rc"] if r else None,
            "result": result, "message": message(cli, r) if msg is None and r else (msg or ""),
            "seconds": round(r["s"], 1) if r else 0.0}


def segment_counts(out: Path) -> dict[str, list[int]]:
    """clip -> segments per frame of a dataset written by ``linecorr segment``."""
    counts = {}
    for clip in sorted((out / "clips").glob("*")):
        counts[clip.name] = [json.loads(p.read_text())["count"] for p in sorted((clip / "segments").glob("*.json"))]
    return counts


# ---------------------------------------------------------------------------------------------
# Inputs


def save(path: Path, img: Image.Image | np.ndarray, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    (img if isinstance(img, Image.Image) else Image.fromarray(img)).save(path, **kw)
    return path


MIN_AREA = 8  # px: segments smaller than this are merged by the trapped-ball default (min_area), not counted


def true_count(gt: np.ndarray) -> int:
    """Segments of a ground-truth map with at least MIN_AREA pixels."""
    return int((np.bincount(gt.ravel())[1:] >= MIN_AREA).sum())


def line_kinds(root: Path, size: int = 96, frames: int = 2) -> dict[str, tuple[str, list[int]]]:
    """One folder per kind of line image: kind -> (description, true segments per frame)."""
    from dataprep.synthetic.line_art import make_line_art

    kinds: dict[str, tuple[str, list[int]]] = {}

    def add(name, desc, k, img, gt, ext="png", **kw):
        save(root / name / f"{k:04d}.{ext}", img, **kw)
        kinds.setdefault(name, (desc, []))[1].append(true_count(gt))

    for k in range(frames):
        clean = make_line_art((size, size), 8, seed=k)
        g, gt = clean.image, clean.gt
        add("gray", "8-bit gray, black on white (control)", k, g, gt)
        add("opaque_rgba", "RGBA, alpha 255 everywhere, white paper", k, np.dstack([g, g, g, np.full_like(g, 255)]), gt)
        add("gray_alpha", "LA (gray + alpha 255)", k, Image.fromarray(np.dstack([g, np.full_like(g, 255)]), "LA"), gt)
        add("gray16", "16-bit gray (I;16)", k, Image.fromarray(g.astype(np.uint16) * 257), gt)
        add("jpeg", "JPEG q90, RGB", k, Image.fromarray(g).convert("RGB"), gt, ext="jpg", quality=90)
        aa = make_line_art((size, size), 8, antialias=True, seed=k)
        add("antialiased", "anti-aliased gray lines", k, aa.image, aa.gt)
        blue = np.where(g[..., None] < 128, np.array([30, 40, 140], np.uint8), np.uint8(255)).astype(np.uint8)
        add("colored_ink", "RGB, dark-blue ink (30,40,140) on white", k, blue, gt)
        sh = make_line_art((size, size), 8, n_shading=2, mode="rgb", seed=k)
        add("shading_lines", "RGB, black lines + red/green/blue shading lines", k, sh.image, sh.gt)
    return kinds


def pencil_scan(root: Path, size: int = 128, frames: int = 2) -> list[int]:
    """Pencil on grey paper: paper 130-180 with vignetting and noise, graphite ~60-90, slight blur."""
    import cv2

    from dataprep.synthetic.line_art import make_line_art

    truth = []
    for k in range(frames):
        art = make_line_art((size, size), 8, thickness=2, antialias=True, seed=10 + k)
        rng = np.random.default_rng(k)
        yy, xx = np.mgrid[:size, :size] / size - 0.5
        paper = 180 - 50 * (xx ** 2 + yy ** 2) / 0.5  # 180 in the middle, 130 in the corners
        graphite = rng.uniform(60, 90)
        ink = 1 - art.image.astype(float) / 255  # 1 = full stroke
        img = paper * (1 - ink) + graphite * ink + rng.normal(0, 5, ink.shape)
        img = cv2.GaussianBlur(np.clip(img, 0, 255).astype(np.uint8), (0, 0), 0.7)
        save(root / "scan" / f"{k:04d}.png", img)
        save(root / "clean" / f"{k:04d}.png", art.image)
        truth.append(true_count(art.gt))
    return truth


def rendered_toy(seed: int, size: int = 192):
    """A frame as a renderer draws it: the colorize tests' own generator
    (``tests/benchmark/test_ant_colorize.py::rendered_toy``, one copy), at 192 px.

    Returns ``(line RGB, color RGB, character fill pixels)``.
    """
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "tests" / "benchmark" / "test_ant_colorize.py"
    spec = importlib.util.spec_from_file_location("test_ant_colorize", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    line, color, fills, _chord = mod.rendered_toy(seed, size)
    return line, color, fills


def same_content(a: Path, b: Path) -> bool:
    """PNGs: same mode and pixels; JSON: same values; else same bytes (tests/dataprep/foreign_layouts.py)."""
    if not b.is_file():
        return False
    if a.suffix == ".png":
        ia, ib = Image.open(a), Image.open(b)
        return ia.mode == ib.mode and np.array_equal(np.asarray(ia), np.asarray(ib))
    if a.suffix == ".json":
        return json.loads(a.read_text()) == json.loads(b.read_text())
    return a.read_bytes() == b.read_bytes()


def mode_of(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}" if path.exists() else "missing"


# ---------------------------------------------------------------------------------------------
# Cases


def segment_row(cli: Cli, case: str, desc: str, src: Path, out: Path, truth) -> dict:
    """``linecorr segment SRC --out OUT`` as one row: segments found per frame against the truth."""
    r = cli("segment", src, "--out", out)
    got = segment_counts(out).get(src.name) if r["rc"] == 0 else None
    res = f"{'/'.join(map(str, got))} (true {'/'.join(map(str, truth))} of ≥8 px)" if got else "no output"
    return row(case, desc, cli, r, res)


def case1(cli: Cli, tmp: Path) -> list[dict]:
    kinds = line_kinds(tmp / "kinds")
    # one run per kind: one unreadable kind must not hide the others
    return [segment_row(cli, "1", desc, tmp / "kinds" / name, tmp / f"seg_{name}", truth)
            for name, (desc, truth) in kinds.items()]


def case2(cli: Cli, tmp: Path) -> list[dict]:
    truth = pencil_scan(tmp / "pencil")
    return [segment_row(cli, "2", desc, tmp / "pencil" / clip, tmp / f"seg_pencil_{clip}", truth)
            for clip, desc in (("clean", "the same drawings, black on white (control)"),
                               ("scan", "pencil scan, grey paper 130-180, noise σ5, vignetting"))]


def case3(cli: Cli, tmp: Path) -> list[dict]:
    import cv2

    n = 96
    stroke = np.full((n, n), 255, np.uint8)
    cv2.line(stroke, (10, 20), (80, 70), 0, 2)  # an open stroke: encloses nothing
    frames = {"blank": ("blank white frame", np.full((n, n), 255, np.uint8)),
              "one_region": ("one region (an open stroke)", stroke),
              "all_ink": ("all ink (black frame)", np.zeros((n, n), np.uint8))}
    rows = []
    for name, (desc, img) in frames.items():
        save(tmp / "sparse" / name / "0000.png", img)
        r = cli("segment", tmp / "sparse" / name, "--out", tmp / f"seg_{name}")
        got = segment_counts(tmp / f"seg_{name}").get(name) if r["rc"] == 0 else None
        rows.append(row("3", desc, cli, r, f"segments: {got[0]}" if got else "no output"))
        r = cli("segment", tmp / "sparse" / name, "--out", tmp / f"strict_{name}", "--strict")
        written = (tmp / f"strict_{name}").exists()
        rows.append(row("3", desc + ", --strict", cli, r, "output written" if written else "nothing written"))
    return rows


def case4(cli: Cli, tmp: Path) -> list[dict]:
    from dataprep.synthetic.line_art import make_line_art

    src = tmp / "zero" / "c"
    save(src / "0000.png", make_line_art((64, 64), 6, seed=3).image)
    save(src / "0001.png", np.zeros((64, 64), np.uint8))  # all ink: no segment
    ds = tmp / "seg_zero"
    made = cli("segment", tmp / "zero", "--out", ds)
    if made["rc"] != 0:
        return [row("4", "dataset with a zero-segment frame", cli, made, "n/a (segment failed)")]
    counts = segment_counts(ds).get("c")
    r = cli("validate", ds)
    out = [s for s in (r["out"] + r["err"]).splitlines() if s.strip()]
    tb = "Traceback" in r["err"]
    res = ("traceback" if tb else (cli.show(out[-1])[:60] if out else "")) + f"; frames had {counts} segments"
    return [row("4", "validate, dataset with a zero-segment frame (from segment)", cli, r, res)]


def case5(cli: Cli, tmp: Path) -> list[dict]:
    from foreign_layouts import write_pbc_character

    rows = []
    for bg, name in (((0, 0, 0), "Black"), ((255, 255, 255), "White")):
        src = tmp / f"pbc_{name}"
        char = write_pbc_character(src / name)
        for p in sorted((char / "label").glob("*.png")):  # the transparent pixels' RGB, as stored
            arr = np.array(Image.open(p))
            arr[arr[..., 3] == 0] = (*bg, 0)
            Image.fromarray(arr).save(p)
        ds, back = tmp / f"pbcds_{name}", tmp / f"pbcback_{name}"
        r = cli("import", "pbc", src, "--out", ds)
        what = f"PBC label/ transparent = {(*bg, 0)}"
        if r["rc"] != 0:
            rows.append(row("5", what, cli, r, "import failed"))
            continue
        r2 = cli("export", "pbc", ds, "--out", back)
        if r2["rc"] != 0:
            rows.append(row("5", what, cli, r2, "export failed"))
            continue
        got = back / name
        files = sorted(p.relative_to(char) for p in char.rglob("*") if p.is_file())
        labels = [f for f in files if f.parts[0] == "label"]
        exact = [f for f in files if (got / f).is_file() and filecmp.cmp(char / f, got / f, shallow=False)]
        same = [f for f in files if same_content(char / f, got / f)]
        px = np.array(Image.open(got / labels[0]))[0, 0].tolist() if (got / labels[0]).is_file() else None
        res = (f"label/ byte-exact {sum(f in exact for f in labels)}/{len(labels)}, same mode+pixels "
               f"{sum(f in same for f in labels)}/{len(labels)} (transparent pixel back as {tuple(px) if px else None}); "
               f"all files: byte-exact {len(exact)}/{len(files)}, same content {len(same)}/{len(files)}")
        r2["command"] = r["command"] + " && " + r2["command"]
        r2["s"] += r["s"]
        r2["err"] = r["err"] + r2["err"]
        rows.append(row("5", what, cli, r2, res))
    return rows


def case6(cli: Cli, tmp: Path, checkpoint: Path) -> list[dict]:
    """The reference's own line image colorized from it: (a) the default, (b) ``--estimate-fills``,
    (c) ``--reference-line`` (control). At 192 px a few tiny regions (eyes) show their fill only
    darkened by lines: the default refuses them (nothing may be written then), (b) estimates them."""
    from dataprep.format.images import encode_png

    line, color, fills = rendered_toy(0)
    d = tmp / "colorize"
    d.mkdir()
    (d / "ref_color.png").write_bytes(encode_png(color))
    (d / "ref_line.png").write_bytes(encode_png(line))
    rows = []
    runs = (("out_default", [], "no --reference-line"),
            ("out_estimate", ["--estimate-fills"], "no --reference-line, --estimate-fills"),
            ("out_line", ["--reference-line", d / "ref_line.png"], "WITH --reference-line (control)"))
    for folder, extra, what in runs:
        out = d / folder
        r = cli("colorize", "--reference", d / "ref_color.png", *extra, "--checkpoint", checkpoint,
                d / "ref_line.png", "--out", out, "--device", "cpu")
        got = out / "ref_line.png"
        written = sorted(out.glob("*.png")) if out.is_dir() else []
        msg = None
        if r["rc"] == 0 and got.is_file():
            rgb = np.array(Image.open(got).convert("RGB")).astype(int)
            right = np.all(np.abs(rgb - color) <= 2, axis=-1)
            res = f"{100 * right[fills].mean():.2f} % of character pixels reproduced"
        elif r["rc"] != 0:  # refused: the whole error is the result, and whether anything was half-written
            errs = [s for s in r["err"].splitlines() if "error" in s]
            text = cli.show(errs[0].split("error: ", 1)[-1].strip()) if errs else "(no error line)"
            res = f"refused: {text}; {'nothing written' if not written else f'{len(written)} PNG written'}"
            msg = ""
        else:
            res = "no output"
        rows.append(row("6", f"reference frame recolored, {what}", cli, r, res, msg))
    return rows


def set_examples(help_text: str) -> list[str]:
    """The ``--set KEY=VALUE`` examples a command's help shows."""
    flat = re.sub(r"\s+", " ", help_text)
    return list(dict.fromkeys(re.findall(r"--set ([a-z_][\w.]*=[^\s,;)\]]+)", flat)))  # not the KEY=VALUE metavar


def case7(cli: Cli, tmp: Path) -> list[dict]:
    from dataprep.synthetic.line_art import make_line_art

    src = tmp / "set_in" / "c"
    save(src / "0000.png", make_line_art((64, 64), 6, seed=5).image)
    from dataprep.synthetic import ToyConfig, write_toy_dataset

    toy = write_toy_dataset(tmp / "set_toy", clips=1, cfg=ToyConfig(size=64, frames=2))  # colors, segments
    rows = []
    runs = {"segment": lambda kv, out: cli("segment", src.parent, "--out", out, "--set", kv),
            "label": lambda kv, out: cli("label", toy, "--out", out, "--extractor", "none", "--set", kv)}
    for cmd, go in runs.items():
        h = cli(cmd, "--help")
        examples = set_examples(h["out"])
        tried = examples + [kv for kv in ("radius=3",) if kv not in examples]
        for i, kv in enumerate(tried):
            r = go(kv, tmp / f"set_{cmd}_{i}")
            shown = "shown in its --help" if kv in examples else "not in its --help"
            rows.append(row("7", f"{cmd} --set {kv}", cli, r, f"{'works' if r['rc'] == 0 else 'fails'} ({shown})"))
        r = go("nosuchkey=1", tmp / f"set_{cmd}_bad")
        msg = message(cli, r)
        lists = bool(re.search(r"known|valid", msg)) and msg.count(",") >= 2
        rows.append(row("7", f"{cmd} --set nosuchkey=1 (unknown key)", cli, r,
                        "error lists valid keys" if lists else "error does not list valid keys", msg))
    return rows


def case8(cli: Cli, tmp: Path, colorized: Path | None) -> list[dict]:
    from dataprep.synthetic import ToyConfig, write_toy_dataset

    ds = write_toy_dataset(tmp / "toy_viz", clips=1, cfg=ToyConfig(size=64, frames=2))
    png = tmp / "viz.png"
    r = cli("viz", ds, "toy000/0000__0001", "--out", png)
    rows = [row("8", "viz PNG, umask 022", cli, r, f"mode {mode_of(png)}")]
    col = colorized if colorized and colorized.exists() else None
    rows.append({"case": "8", "input": "colorize PNG, umask 022 (case 6's output)", "command": "(case 6)",
                 "rc": None, "result": f"mode {mode_of(col)}" if col else "n/a (case 6 did not run or wrote nothing)", "message": "",
                 "seconds": 0.0})
    return rows


def case9(cli: Cli, tmp: Path) -> list[dict]:
    from dataprep.synthetic import ToyConfig, write_toy_dataset

    gt = write_toy_dataset(tmp / "toy_gt", clips=2, cfg=ToyConfig(size=96, frames=3))
    same, renamed = tmp / "frames_same", tmp / "frames_renamed"
    for clip in ("toy000", "toy001"):
        for p in sorted((gt / "clips" / clip / "color").glob("*.png")):
            save(same / clip / p.name, Image.open(p))
            save(renamed / clip / f"frame_{p.name}", Image.open(p))
    rows = []
    for folder, desc, extra in ((same, "frames named as in GT", ["--gt", gt]),
                                (renamed, "frames named frame_NNNN.png", ["--gt", gt]),
                                (same, "no --gt", [])):
        out = tmp / f"lab_{folder.name}_{len(extra)}"
        r = cli("label", folder, "--out", out, "--extractor", "none", "--eval", *extra)
        lines = [s for s in r["out"].splitlines() if s.startswith("all ")]
        if r["rc"] == 0 and lines:
            head = [s for s in r["out"].splitlines() if s.startswith("pairs ")]
            vals = dict(zip(head[0].split()[1:], lines[0].split()[1:])) if head else {}
            res = f"pairs {vals.get('pairs')}, seg.acc {vals.get('seg.acc')}, pix.acc {vals.get('pix.acc')}"
        else:
            res = "labelled, then failed" if out.exists() else "failed before labelling"
        rows.append(row("9", f"label --eval on a folder of images, {desc}", cli, r, res))
    return rows


def run_all(repo: Path, checkpoint: Path, only: set[str] | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="lc_real_") as t:
        tmp = Path(t)
        cli = Cli(repo, tmp)
        rows: list[dict] = []
        t0 = time.perf_counter()
        steps = [("1", lambda: case1(cli, tmp)), ("2", lambda: case2(cli, tmp)), ("3", lambda: case3(cli, tmp)),
                 ("4", lambda: case4(cli, tmp)), ("5", lambda: case5(cli, tmp)),
                 ("6", lambda: case6(cli, tmp, checkpoint)),
                 ("7", lambda: case7(cli, tmp)),
                 ("8", lambda: case8(cli, tmp, tmp / "colorize" / "out_line" / "ref_line.png")),
                 ("9", lambda: case9(cli, tmp))]
        for key, step in steps:
            if only and key not in only:
                continue
            got = step()
            for r in got:
                print(f"  [{cli.commit()}] {r['case']} {r['input']}: exit {r['rc']}, {r['result']}"
                      f"{'; ' + r['message'] if r['message'] else ''}", file=sys.stderr, flush=True)
            rows.extend(got)
        return {"repo": str(cli.repo), "commit": cli.commit(), "dirty": cli.dirty(), "entry": cli.entry,
                "python": sys.executable, "seconds": round(time.perf_counter() - t0, 1), "rows": rows}


# ---------------------------------------------------------------------------------------------
# Output


NOTES = (
    (f"* segments per frame are the `count` of each frame's segments/NNNN.json; *true* counts the ground-truth "
     f"segments of at least {MIN_AREA} px (trapped-ball's default min_area merges smaller ones)."),
    ("* case 5: *same mode+pixels* decodes both PNGs (and compares JSON by value), as the round-trip tests do; "
     "*byte-exact* compares the files' bytes."),
    ("* case 6: a pixel is reproduced when every channel is within 2 of the reference; character pixels = the "
     "parts' fills with their anti-aliased rims (gray >= 128) and the red shading line."),
    ("* case 7: the `--set` examples are read from each checkout's own `--help`; label runs pass `--extractor none` "
     "to take seconds, and that flag wins over `--set extractor=...`, so that row only shows the key is accepted."),
    "* case 9: label runs pass `--extractor none` (coarse matcher only) to take seconds.",
)


def cell(r: dict | None) -> str:
    if r is None:
        return "—"
    text = f"exit {r['rc']}: {r['result']}" if r["rc"] is not None else r["result"]
    if r["message"]:
        text += f" — `{r['message']}`"
    return text.replace("|", "\\|")


def markdown(after: dict, before: dict | None, argv: str) -> str:
    lines = ["# Real line art in the wild: before/after (issue #17)", "",
             (f"Generated by `{argv}` (benchmarks/bench_real_inputs.py); inputs are generated in a temporary "
              "folder, every figure is what the `linecorr` CLI printed or wrote (run as "
              f"`PYTHONPATH=REPO {after['entry']} ...` from REPO, umask 022, one thread)."), ""]
    if before:
        lines += [(f"* before: `{before['commit']}` ({before['repo']}: `git worktree add {before['repo']} "
                   f"{before['commit']}`), {before['seconds']} s"),
                  (f"* after: `{after['commit']}`{' + uncommitted changes' if after['dirty'] else ''} "
                   f"({after['repo']}), {after['seconds']} s"), "",
                  "| # | input | before | after |", "|---|---|---|---|"]
        old = {(r["case"], r["input"]): r for r in before["rows"]}
        new = {(r["case"], r["input"]): r for r in after["rows"]}
        keys = list(new) + [k for k in old if k not in new]  # a row of one side only: "—" on the other
        for case, what in sorted(keys, key=lambda k: int(k[0])):  # stable: each side's order within a case
            lines.append(f"| {case} | {what} | {cell(old.get((case, what)))} | {cell(new.get((case, what)))} |")
    else:
        lines += [f"* `{after['commit']}` ({after['repo']}), {after['seconds']} s", "",
                  "| # | input | result |", "|---|---|---|"]
        lines += [f"| {r['case']} | {r['input']} | {cell(r)} |" for r in after["rows"]]
    lines += ["", "Reading the table:", "", *NOTES]
    lines += ["", "## Commands (after; `<tmp>` = the temporary folder)", ""]
    lines += [f"* {r['case']} {r['input']}: `{r['command']}`" for r in after["rows"] if r["command"]]
    if before:
        lines += ["", "The same commands ran on the before checkout, with its own `--help` examples in case 7:", ""]
        lines += [f"* {r['case']} {r['input']}: `{r['command']}`" for r in before["rows"]
                  if r["case"] == "7" and r["command"]]
    return "\n".join(lines) + "\n"


def print_table(res: dict) -> None:
    print(f"\n{res['commit']} ({res['repo']}), {res['seconds']} s")
    print(f"{'#':<2} {'input':<58} {'exit':>4}  {'result':<58} message")
    for r in res["rows"]:
        rc = "" if r["rc"] is None else str(r["rc"])
        print(f"{r['case']:<2} {r['input'][:58]:<58} {rc:>4}  {r['result'][:58]:<58} {r['message']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__[__doc__.index("example:"):],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, default=HERE, help="checkout whose CLI runs (default: this one)")
    ap.add_argument("--before", type=Path, help="a second checkout (the commit before the fixes) run the same way")
    ap.add_argument("--checkpoint", type=Path, default=CHECKPOINT, help=f"AnT checkpoint for case 6 "
                                                                        f"(default {CHECKPOINT.relative_to(HERE)})")
    ap.add_argument("--cases", help="comma-separated case numbers to run (default all)")
    ap.add_argument("--json", type=Path, help="write the rows (and the before rows) as JSON here")
    ap.add_argument("--md", type=Path, help="write the (before/after) table and the commands as markdown here")
    args = ap.parse_args(argv)
    os.umask(0o022)
    only = set(args.cases.split(",")) if args.cases else None
    before = run_all(args.before, args.checkpoint.resolve(), only) if args.before else None
    after = run_all(args.repo, args.checkpoint.resolve(), only)
    if before:
        print_table(before)
    print_table(after)
    shown = " ".join(["python benchmarks/bench_real_inputs.py", *(argv if argv is not None else sys.argv[1:])])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**after, "command": shown, "before": before}, indent=1) + "\n")
        print(f"wrote {args.json}")
    if args.md:
        args.md.parent.mkdir(parents=True, exist_ok=True)
        args.md.write_text(markdown(after, before, shown))
        print(f"wrote {args.md}")
    if not (args.json or args.md):
        print("(no --json/--md given: printed only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
