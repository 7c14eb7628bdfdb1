"""Dotted keys such as 'assessment.ep_capacity_changes[0].per_month': their parts, the value a
key names in a parameter dict, and the field (with its range) a key names in the schema.

Field lookups start from a root class passed in (`schema.Parameters`), so this module needs
nothing of the schema itself.
"""

from __future__ import annotations

import dataclasses
import typing

from .problems import ParameterError, allowed_text
from .values import FrozenMap


def join_key(key: str, name: str) -> str:
    """'a.b' joined with 'c' is 'a.b.c'; '' joined with 'c' is 'c'."""
    return f"{key}.{name}" if key else name


def key_parts(dotted: str) -> list:
    """'a.b[0].c' -> ['a', 'b', 0, 'c']; '[]' (any entry, as describe() writes it) is -1."""
    out: list = []
    for part in dotted.split("."):
        name, _, rest = part.partition("[")
        out.append(name)
        while rest:
            idx, _, rest = rest.partition("]")
            out.append(-1 if idx == "" else int(idx) if idx.isdigit() else None)
            rest = rest.lstrip("[")
    return out


def locate(data: dict, dotted: str):
    """(container, key) of a dotted path with optional [i] list indexes, or ParameterError."""
    parts = key_parts(dotted)
    if any(t is None or t == -1 for t in parts):
        raise ParameterError([f"{dotted}: an index in [] is not a list index (allowed: [0], [1], ...)"])
    node = data
    for key in parts[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise ParameterError([f"{dotted}: no such parameter"]) from None
    leaf = parts[-1]
    if isinstance(node, dict) and leaf in node or isinstance(node, list) and isinstance(leaf, int) and leaf < len(node):
        return node, leaf
    raise ParameterError([f"{dotted}: no such parameter"])


def dotted_items(data: dict, prefix: str = "") -> dict:
    """A parameter dict flattened to dotted key -> value, down to the fields: a table whose
    keys are financial years or dates ({"2025-26": ...}) is one value, not more keys."""
    out = {}
    for k, v in data.items():
        if isinstance(v, dict) and v and not any(str(x)[:1].isdigit() for x in v):
            out.update(dotted_items(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def field_hints(cls) -> dict:
    """Field name -> type of a dataclass of the schema (its annotations, resolved)."""
    return typing.get_type_hints(cls)


_FIELDS_AT: dict = {}


def field_at(root, dotted: str):
    """(metadata, type, the key's parts inside the field) of the field of `root` a dotted key
    names or lies inside (a map's entry, a list's item), or None if no field has that name.
    Cached: a draws file asks once per cell."""
    if (root, dotted) not in _FIELDS_AT:
        if len(_FIELDS_AT) > 10_000:
            _FIELDS_AT.clear()
        _FIELDS_AT[(root, dotted)] = _find_field(root, dotted)
    return _FIELDS_AT[(root, dotted)]


def _find_field(root, dotted: str):
    tokens, tp, i = key_parts(dotted), root, 0
    while dataclasses.is_dataclass(tp) and i < len(tokens) and isinstance(tokens[i], str):
        fields = {f.name: f for f in dataclasses.fields(tp)}
        f = fields.get(tokens[i])
        if f is None:
            return None
        ftp, i = field_hints(tp)[f.name], i + 1
        args = typing.get_args(ftp)
        if dataclasses.is_dataclass(ftp):
            tp = ftp
        elif typing.get_origin(ftp) is tuple and dataclasses.is_dataclass(args[0]):
            if i < len(tokens) and isinstance(tokens[i], int):
                tp, i = args[0], i + 1
            elif i == len(tokens):
                return f.metadata, ftp, ()
            else:
                return None
        else:
            return f.metadata, ftp, tuple(tokens[i:])
    return None


def range_at(root, dotted: str) -> tuple[float, float, bool] | None:
    """(low, high, no_limit) of the number at a dotted key of `root`; None if the key names no
    number (`schema.value_range` is this for `Parameters`)."""
    found = field_at(root, dotted)
    if found is None or "low" not in found[0]:
        return None
    meta, tp, rest = found
    scalar = tp in (int, float) and not rest
    item = typing.get_origin(tp) is tuple and len(rest) == 1 and isinstance(rest[0], int)
    entry = tp is FrozenMap and rest and None not in rest
    if not (scalar or item or entry):
        return None
    return meta["low"], meta["high"], meta.get("no_limit", False)


def allowed_at(root, dotted: str) -> str:
    """The range of a field of `root` as the docs state it ('0 to 520'); '' for a field that is
    not a number (`schema.allowed` is this for `Parameters`)."""
    found = field_at(root, dotted)
    if found is None or "low" not in found[0]:
        return ""
    meta = found[0]
    return allowed_text(meta["low"], meta["high"], meta.get("no_limit", False))
