"""Stage configs: dataclass defaults < YAML file < ``key=value`` overrides.

Every stage has a ``@dataclass`` of defaults with a comment per field. The resolved config is
saved with the stage's output (manifest ``producer.config``), so a run can be reproduced.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from pathlib import Path
from typing import Any, TypeVar

from dataprep.errors import LinecorrError

T = TypeVar("T")


def _coerce(value: Any, typ: Any, key: str) -> Any:
    """Convert a YAML-parsed value to the field's type (int -> float, list -> tuple...)."""
    origin = typing.get_origin(typ)
    args = typing.get_args(typ)
    if typ is Any or typ is None:
        return value
    if origin is typing.Union or (origin is not None and str(origin) == "<class 'types.UnionType'>"):
        if type(None) in args and (value is None or (isinstance(value, str) and value.lower() == "none")):
            return None  # YAML spells null "null" or "~"; users type "none" too
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, key)
            except LinecorrError:
                continue
        raise LinecorrError(f"config key {key!r}: {value!r} does not fit {typ}")
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            value = [value]
        inner = args[0] if args else Any
        seq = [_coerce(v, inner, key) for v in value]
        return tuple(seq) if origin is tuple else seq
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if typ is float and isinstance(value, str):
        # YAML 1.1 (PyYAML) reads "1e-9" and "1E5" as strings (it wants "1.0e-9"); Python's spelling is meant
        try:
            return float(value)
        except ValueError:
            pass
    if typ is bool and not isinstance(value, bool):
        raise LinecorrError(f"config key {key!r}: expected true/false, got {value!r}")
    if isinstance(typ, type) and not isinstance(value, typ):
        raise LinecorrError(f"config key {key!r}: expected {typ.__name__}, got {value!r}")
    return value


def _set(obj: Any, dotted: str, value: Any, extra: str | None = None) -> Any:
    """Return a copy of dataclass ``obj`` with ``dotted`` (``a.b.c``) set to ``value``.

    ``extra`` names a dict field of ``obj`` that takes the keys ``obj`` has no field for (checked
    later by whoever knows them), so those keys are given flat like every other.
    """
    head, _, rest = dotted.partition(".")
    fields = {f.name: f for f in dataclasses.fields(obj)}
    if head not in fields and extra is not None:
        return dataclasses.replace(obj, **{extra: _set_in_dict(getattr(obj, extra), dotted, value)})
    if head not in fields:
        raise LinecorrError(f"unknown config key {dotted!r} (known: {', '.join(fields)})")
    hints = typing.get_type_hints(type(obj))
    cur = getattr(obj, head)
    if rest and isinstance(cur, dict):  # free-form mapping (e.g. a method's parameters)
        return dataclasses.replace(obj, **{head: _set_in_dict(cur, rest, value)})
    if rest:
        if not dataclasses.is_dataclass(cur):
            raise LinecorrError(f"config key {head!r} has no sub-keys")
        return dataclasses.replace(obj, **{head: _set(cur, rest, value)})
    if dataclasses.is_dataclass(cur) and isinstance(value, dict):
        for k, v in value.items():
            cur = _set(cur, k, v)
        return dataclasses.replace(obj, **{head: cur})
    return dataclasses.replace(obj, **{head: _coerce(value, hints[head], dotted)})


def _set_in_dict(d: dict, dotted: str, value: Any) -> dict:
    """A copy of ``d`` with ``a.b`` set (nested dicts created as needed)."""
    head, _, rest = dotted.partition(".")
    out = dict(d)
    out[head] = _set_in_dict(out.get(head) or {}, rest, value) if rest else value
    return out


def read_yaml(path: str | os.PathLike) -> dict:
    """Parse a YAML config file into a mapping (one-line errors naming the file)."""
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise LinecorrError("config file is missing", p) from None
    except yaml.YAMLError as e:
        raise LinecorrError(f"malformed YAML ({str(e).splitlines()[0]})", p) from None
    if not isinstance(data, dict):
        raise LinecorrError("config file must hold a mapping of keys to values", p)
    return data


def load_config(cls: type[T], path: str | os.PathLike | None = None, overrides: list[str] | None = None,
                base: T | None = None, extra: str | None = None) -> T:
    """Build a config: defaults (or ``base``) < YAML file ``path`` < ``key=value`` overrides.

    One scheme for every stage: a key is a field of the stage's config (``gaps=[1,7]``,
    ``name=foo``), a dotted key reaches into a nested config or mapping (``model.layers=3``,
    ``segment_params.min_area=32``). Values are parsed as YAML.

    Args:
        cls: the config dataclass.
        path: optional YAML file.
        overrides: ``key=value`` strings (``--set``).
        base: start from this instead of ``cls()``.
        extra: a dict field that takes the keys ``cls`` has no field for (``linecorr segment``:
            the chosen method's parameters, given flat as ``ball_radius=3``); the caller checks them.

    Raises:
        LinecorrError: unknown key (naming the known ones), wrong type, unreadable or malformed YAML.
    """
    import yaml

    cfg = base if base is not None else cls()
    if path is not None:
        data = read_yaml(path)
        for k, v in data.items():
            cfg = _set(cfg, str(k), v, extra)
    for item in overrides or []:
        key, eq, raw = item.partition("=")
        if not eq or not key:
            raise LinecorrError(f"override {item!r} is not key=value")
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        cfg = _set(cfg, key.strip(), value, extra)
    return cfg


def load_preset_config(cls: type[T], presets: dict[str, typing.Callable[[], T]], name_or_path: str | None,
                       overrides: list[str] | None = None, default: str = "tiny") -> T:
    """A named preset or a YAML file, then ``key=value`` overrides (the training stages' ``--config``).

    A YAML file starts from the preset its ``preset`` key names (``paper`` when absent).

    Args:
        cls: the config dataclass.
        presets: preset name -> function returning that preset.
        name_or_path: a preset name, a ``.yaml`` file, or None for ``default``.
        overrides: ``key=value`` strings (dotted keys reach nested configs).
        default: preset used when ``name_or_path`` is None.

    Raises:
        LinecorrError: unknown preset name, missing or malformed file, unknown key.
    """
    name_or_path = name_or_path or default
    if name_or_path in presets:
        return load_config(cls, None, overrides, base=presets[name_or_path]())
    path = Path(name_or_path)
    if path.suffix.lower() not in (".yaml", ".yml") and not path.exists():
        raise LinecorrError(f"unknown config {name_or_path!r} (presets: {', '.join(presets)}, or a .yaml file)")
    preset = str(read_yaml(path).get("preset", "paper"))
    if preset not in presets:
        raise LinecorrError(f"unknown preset {preset!r} (known: {', '.join(presets)})", path)
    return load_config(cls, path, overrides, base=presets[preset]())


def replace_from_dict(base: T, data: dict) -> T:
    """``base`` with the values of ``data`` (:func:`config_dict` output, e.g. a checkpoint's config).

    Nested dataclasses are replaced field by field; a list becomes a tuple where ``base`` holds a
    tuple (JSON has no tuples); keys ``base`` does not have are ignored, so a checkpoint written by
    an older version still loads.
    """
    changes = {}
    for f in dataclasses.fields(base):
        if f.name not in data:
            continue
        old, new = getattr(base, f.name), data[f.name]
        if dataclasses.is_dataclass(old) and isinstance(new, dict):
            new = replace_from_dict(old, new)
        elif isinstance(old, tuple) and isinstance(new, list):
            new = tuple(new)
        changes[f.name] = new
    return dataclasses.replace(base, **changes)


def check_values(cfg: T, prefix: str, choices: dict[str, tuple] | None = None,
                 non_negative: tuple[str, ...] = ()) -> T:
    """``cfg`` when every field named in ``choices`` holds one of its values and every field in
    ``non_negative`` is >= 0, so that a bad ``--set PREFIX.KEY=VALUE`` fails before any work.

    Raises:
        LinecorrError: the first field that is not, named ``PREFIX.KEY``.
    """
    for key, allowed in (choices or {}).items():
        if getattr(cfg, key) not in allowed:
            raise LinecorrError(f"{prefix}.{key} must be one of {', '.join(map(str, allowed))}, "
                                f"got {getattr(cfg, key)!r}")
    for key in non_negative:
        if getattr(cfg, key) < 0:
            raise LinecorrError(f"{prefix}.{key} must be >= 0, got {getattr(cfg, key)}")
    return cfg


def config_dict(cfg: Any) -> dict:
    """The config as plain JSON-able data (tuples become lists)."""
    return _plain(dataclasses.asdict(cfg))


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, Path):
        return str(v)
    return v
