"""Parameter files: reading TOML text, building typed parameters from its tables (one message per
problem, each naming its key), and the tables and the text written back.

The builder follows the dataclasses it is given (`schema.Parameters` and its sections); it
checks types only. What the values must satisfy is `checks.py`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tomllib
import typing
from pathlib import Path

import tomli_w

from .keys import field_hints, join_key
from .problems import ParameterError, allowed_text, show_value, shown_number
from .values import NO_LIMIT, FrozenMap, as_float

# -- reading ------------------------------------------------------------------------------------

def read_text_file(path: str | Path, error: type[ParameterError] = ParameterError,
                   what: str = "TOML") -> str:
    """The text of a UTF-8 file; `error` naming the file if it cannot be read, is empty, is
    binary, is not UTF-8, or starts with a byte-order mark (refused rather than stripped: TOML
    and the draws' CSV header do not allow one, and a file is read the same way everywhere)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error([f"cannot read the file: {exc.strerror}"], str(path)) from None
    fix = f"save it as plain UTF-8 {what} text"
    if not raw.strip():
        raise error([f"the file is empty (expected {what} text)"], str(path))
    if raw.startswith(b"\xef\xbb\xbf"):
        raise error([f"the file starts with a UTF-8 byte-order mark (BOM); {fix}, without the "
                     "BOM (in Excel: 'CSV' rather than 'CSV UTF-8'; in an editor: 'UTF-8', "
                     "not 'UTF-8 with BOM')"], str(path))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error([f"the file is UTF-16 text; {fix}"], str(path))
    if b"\x00" in raw:
        raise error([f"the file is binary, not {what} text; {fix}"], str(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error([f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position "
                     f"{exc.start}); {fix}"], str(path)) from None


def read_toml(path: str | Path, error: type[ParameterError] = ParameterError) -> tuple[dict, str]:
    """(data, text) of a TOML file; `error` naming the file if it cannot be read or parsed, or
    holds nothing."""
    text = read_text_file(path, error)
    try:
        data = tomllib.loads(text)
    except ValueError as exc:    # TOMLDecodeError, or an integer of thousands of digits
        raise error([f"not valid TOML: {exc}"], str(path)) from None
    if not data:
        raise error(["the file holds no TOML keys (only comments or blank lines)"], str(path))
    return data, text


# -- building typed values from TOML data -------------------------------------------------------

_SCALARS = {float: (int, float), int: (int,), str: (str,), dt.date: (dt.date,)}
_TYPE_NAMES = {float: "a number", int: "a whole number", str: "a string", dt.date: "a date (YYYY-MM-DD)"}


def build(tp, value, key: str, problems: list[str], meta=None):
    """Convert TOML data to `tp`, appending one message per problem to `problems`; `meta`:
    the field's metadata (its range, named in a message about a number). None if `value`
    cannot be built (the problems say why)."""
    label = key or "(top level)"
    if dataclasses.is_dataclass(tp):
        return _build_table(tp, value, key, label, problems)
    if typing.get_origin(tp) is tuple:
        return _build_list(tp, value, label, problems, meta)
    if tp is FrozenMap:
        if not isinstance(value, dict):
            problems.append(f"{label}: expected a table, got {show_value(value)}")
            return None
        return freeze(value, label, problems)
    if tp in _SCALARS:
        return _build_scalar(tp, value, label, problems, meta)
    raise TypeError(f"unsupported parameter type {tp!r} at {label}")  # pragma: no cover


def _build_table(tp, value, key: str, label: str, problems: list[str]):
    """A dataclass from a table: unknown keys first, then each field (missing or built)."""
    if not isinstance(value, dict):
        problems.append(f"{label}: expected a table, got {show_value(value)}")
        return None
    hints = field_hints(tp)
    fields = {f.name: f for f in dataclasses.fields(tp)}
    for k in value:
        if k not in fields:
            allowed = ", ".join(fields)
            problems.append(f"{join_key(key, k)}: unknown key (allowed here: {allowed})")
    kwargs = {}
    for name, f in fields.items():
        sub = join_key(key, name)
        if name not in value:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                problems.append(f"{sub}: missing (required: {f.metadata.get('doc', '')})")
            continue
        kwargs[name] = build(hints[name], value[name], sub, problems, f.metadata)
    if any(v is None for v in kwargs.values()):
        return None
    try:
        return tp(**kwargs)
    except TypeError as exc:  # pragma: no cover - guarded by checks above
        problems.append(f"{label}: {exc}")
        return None


def _build_list(tp, value, label: str, problems: list[str], meta):
    """A tuple from a list, each item built (a table item's range is its own fields')."""
    (item_tp, _) = typing.get_args(tp)
    if not isinstance(value, (list, tuple)):
        problems.append(f"{label}: expected a list, got {show_value(value)}")
        return None
    items = [build(item_tp, v, f"{label}[{i}]", problems,
                   None if dataclasses.is_dataclass(item_tp) else meta)
             for i, v in enumerate(value)]
    return None if any(i is None for i in items) else tuple(items)


def _build_scalar(tp, value, label: str, problems: list[str], meta):
    """A number, whole number, string or date; a float field takes whole numbers too."""
    rng = (f" (allowed: {allowed_text(meta['low'], meta['high'], meta.get('no_limit', False))})"
           if meta and "low" in meta else "")
    if isinstance(value, bool) or not isinstance(value, _SCALARS[tp]) or (
            tp is dt.date and isinstance(value, dt.datetime)):
        problems.append(f"{label}: expected {_TYPE_NAMES[tp]}, got {show_value(value)}{rng}")
        return None
    if tp is float:   # NaN, infinity and the range are checked with the field (validate)
        if isinstance(value, int) and math.isinf(as_float(value)):
            # too large for a float: out of range, not infinity ("no limit" is inf or 1e300)
            problems.append(f"{label}: {shown_number(value)} is out of range{rng}")
            return None
        value = as_float(value)
    return value


def freeze(value: dict, label: str, problems: list[str]) -> FrozenMap:
    """A table as a FrozenMap of numbers, lists of numbers (tuples) or further FrozenMaps; an
    entry of another type is a problem (and 0.0 or () in its place)."""
    out = {}
    for k, v in value.items():
        if isinstance(v, dict):
            out[k] = freeze(v, f"{label}.{k}", problems)
        elif isinstance(v, list):
            if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
                problems.append(f"{label}.{k}: expected a list of numbers")
                out[k] = ()
            else:
                out[k] = tuple(as_float(x) for x in v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = as_float(v)
        else:
            problems.append(f"{label}.{k}: expected a number, got {show_value(v)}")
            out[k] = 0.0
    return FrozenMap(out)


# -- writing ------------------------------------------------------------------------------------

def unbuild(obj) -> dict:
    """A dataclass of the parameters as TOML data (tables, lists, numbers, strings, dates)."""
    out = {}
    for f in dataclasses.fields(obj):
        out[f.name] = unbuild_value(getattr(obj, f.name))
    return out


def unbuild_value(v):
    """One value as TOML data; infinity as +-1e300 (`NO_LIMIT`)."""
    if dataclasses.is_dataclass(v):
        return unbuild(v)
    if isinstance(v, dict):
        return {str(k): unbuild_value(x) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return [unbuild_value(x) for x in v]
    if isinstance(v, float) and math.isinf(v):
        return NO_LIMIT if v > 0 else -NO_LIMIT  # TOML has inf, but tomli-w writes it; keep readable
    return v


def toml_text(data: dict) -> str:
    """TOML data as the text of a file."""
    return tomli_w.dumps(data)


def save_toml(path: str | Path, data: dict, overwrite: bool = False) -> Path:
    """Write TOML data to `path` whole or not at all (a temporary file, then renamed);
    FileExistsError if the file exists and `overwrite` is not given."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(toml_text(data), encoding="utf-8")
    tmp.replace(path)
    return path
