"""The packages are layered: each imports only the ones below it, and no two modules import each other.

``dataprep`` (format, I/O, errors, config, segmentation, labelling) is the core; ``blender_scripts``,
``annotator`` and ``benchmark`` build on it in that order; ``linecorr`` (the demo) sits on top. Every
``import`` statement counts, those inside functions too (a lazy import is still a dependency), read
with :mod:`ast` so nothing is imported to check. The CLI reaches upward only through the entry points
of ``linecorr.commands`` (package metadata), which is how a lower package may run a higher one's
subcommand without importing it. See docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Packages from the lowest (the core) up: a package may import those before it, never those after.
LAYERS = ("dataprep", "blender_scripts", "annotator", "benchmark", "linecorr")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every import in the file, at any depth; relative imports resolved."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            # `from pkg import mod` imports the module pkg.mod when there is one
            out += [(node.lineno, f"{mod}.{a.name}" if _is_module(f"{mod}.{a.name}") else mod) for a in node.names]
    return out


def _is_module(name: str) -> bool:
    p = ROOT.joinpath(*name.split("."))
    return p.with_suffix(".py").is_file() or (p / "__init__.py").is_file()


def _sources() -> dict[str, Path]:
    return {_module_name(p): p for pkg in LAYERS for p in sorted((ROOT / pkg).rglob("*.py"))}


def test_every_package_exists():
    assert all((ROOT / pkg / "__init__.py").is_file() for pkg in LAYERS)


@pytest.mark.parametrize("pkg", LAYERS)
def test_a_package_imports_no_package_above_it(pkg):
    rank = {p: i for i, p in enumerate(LAYERS)}
    bad = []
    for name, path in _sources().items():
        if name.split(".")[0] != pkg:
            continue
        for line, mod in _imports(path):
            top = mod.split(".")[0]
            if top in rank and rank[top] > rank[pkg]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {mod}")
    assert not bad, f"{pkg} may import only {', '.join(LAYERS[:rank[pkg]]) or 'no package of ours'}:\n" + "\n".join(bad)


def test_no_two_modules_import_each_other():
    """An import cycle of two modules (e.g. label/dataset.py <-> label/ray_backend.py) means the
    code they share belongs in a third module both import."""
    sources = _sources()
    deps = {name: {mod for _, mod in _imports(path) if mod in sources and mod != name}
            for name, path in sources.items()}
    pairs = sorted({tuple(sorted((a, b))) for a, ds in deps.items() for b in ds
                    if a in deps.get(b, ()) and not (a.startswith(b + ".") or b.startswith(a + "."))})
    assert not pairs, "modules that import each other:\n" + "\n".join(f"{a} <-> {b}" for a, b in pairs)


def test_the_core_cli_discovers_commands_instead_of_naming_packages():
    """dataprep.cli runs every stage's subcommand, so it must find them through the entry points."""
    from dataprep.cli import command_entry_points

    values = {ep.name: ep.value for ep in command_entry_points()}
    assert {"render", "annotate", "score", "demo", "export.eval", "viz.regions"} <= set(values), \
        "entry points missing: re-run `pip install -e .` after changing [project.entry-points] in pyproject.toml"
    assert values["demo"].startswith("linecorr.") and values["render"].startswith("blender_scripts.")
