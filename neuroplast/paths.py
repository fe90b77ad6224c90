"""Dotted config paths: one engine for ``--set``, ``conditions.<c>.set`` and sweep axes.

A path names a field of a config schema by the keys that lead to it:
``network.n_exc``, ``assemblies.adaptive.size`` (a named table: any name, then its
table), ``protocol.doses.0.dose`` (a list of tables: an index into the list as the data
holds it, then the table's field).  :func:`field_at` checks a path against the schema
and the data, :func:`set_at` writes a value at a checked path, and :func:`value_at`
reads one.  Every error names the path up to the bad part, the part, and what was
expected, with a suggestion for a near miss.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from neuroplast.schema import ConfigError

__all__ = [
    "field_at",
    "is_index",
    "listed_tables",
    "named_tables",
    "set_at",
    "submodel",
    "suggest",
    "value_at",
]


def suggest(name: str, options: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``options``, or ``""``."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def submodel(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The table type of field ``name`` of ``model``, or None for a value.

    An optional table (``pharmacology.escalation``) counts as a table: a path into it
    creates it.
    """
    annotation = model.model_fields[name].annotation
    if get_origin(annotation) in (Union, UnionType):
        tables = [a for a in get_args(annotation) if a is not NoneType]
        annotation = tables[0] if len(tables) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _inner_tables(model: type[BaseModel], name: str, container: type) -> type[BaseModel] | None:
    """The table type of a field holding ``dict[str, Section]`` or ``list[Section]``."""
    annotation = model.model_fields[name].annotation
    args = getattr(annotation, "__args__", ())
    if getattr(annotation, "__origin__", None) is container and args:
        value = args[-1]
        if isinstance(value, type) and issubclass(value, BaseModel):
            return value
    return None


def named_tables(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The table type of named tables (``dict[str, Section]``, e.g. assemblies), else None."""
    return _inner_tables(model, name, dict)


def listed_tables(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The table type of a list of tables (``list[Section]``, e.g. phases), else None."""
    return _inner_tables(model, name, list)


def free_keys(model: type[BaseModel], name: str) -> bool:
    """Whether field ``name`` is a table of free keys with plain values (``dict[str, Any]``).

    Such a table (``plasticity.structural.options``) is checked by its owner, not by the
    schema: a path may end in any key of it.
    """
    annotation = model.model_fields[name].annotation
    args = get_args(annotation)
    return get_origin(annotation) is dict and len(args) == 2 and args[1] is Any


def is_index(part: str) -> bool:
    """Whether a path part is a list index (decimal digits)."""
    return part.isascii() and part.isdigit()


def _list_element(items: Any, part: str, dotted: str) -> Any:
    """The element ``part`` of a list of tables in the data (``dotted`` ends in it)."""
    listed = dotted.rpartition(".")[0]
    n = len(items) if isinstance(items, list) else 0
    valid = f"indices 0 to {n - 1}" if n else "no index is valid"
    if not is_index(part):
        raise ConfigError(
            f"{dotted}: {listed} is a list of tables; expected an index ({valid}), got {part!r}"
        )
    if int(part) >= n:
        raise ConfigError(
            f"{dotted}: index {part} is out of range: {listed} has {n} element(s) in the "
            f"config ({valid})"
        )
    return items[int(part)]


def field_at(root: type[BaseModel], parts: Sequence[str], data: Any) -> FieldInfo | None:
    """Check the path ``parts`` against the schema ``root`` and the config ``data``.

    Returns the pydantic field the path ends in (None when it ends in a table's name or a
    list index).  A part after a list of tables is an index into that list as ``data``
    holds it (``protocol.doses.0.dose``: ``dose`` of the first ``[[protocol.doses]]``).

    Raises
    ------
    ConfigError
        Naming the path up to the bad part, the part and what was expected.
    """
    model: type[BaseModel] | None = root
    named = listed = None
    free = False
    node, info = data, None
    for depth, part in enumerate(parts):
        dotted = ".".join(parts[: depth + 1])
        if free:  # a key of a table of free keys: the last part
            if depth != len(parts) - 1:
                raise ConfigError(f"{dotted}: {'.'.join(parts[:depth])!r} holds plain values")
            return None
        if listed is not None:  # an index into a list of tables (protocol.doses.<k>)
            node = _list_element(node, part, dotted)
            model, listed, info = listed, None, None
            continue
        if named is not None:  # a free name (assemblies.<name>), then its table
            node = node.get(part) if isinstance(node, dict) else None
            model, named, info = named, None, None
            continue
        if model is None:
            raise ConfigError(f"{dotted}: {'.'.join(parts[:depth])!r} is a value, not a table")
        if part not in model.model_fields:
            where = ".".join(parts[:depth]) or "the top level"
            names = list(model.model_fields)
            raise ConfigError(
                f"{dotted}: unknown key {part!r} in {where}{suggest(part, names)} "
                f"(valid keys: {', '.join(names)})"
            )
        info = model.model_fields[part]
        free = free_keys(model, part)
        named, listed = named_tables(model, part), listed_tables(model, part)
        model = submodel(model, part)
        node = node.get(part) if isinstance(node, dict) else None
    return info


def set_at(data: dict[str, Any], parts: Sequence[str], value: Any) -> None:
    """Set ``value`` at a path checked by :func:`field_at` (tables are made as needed)."""
    node: dict | list = data
    for depth, part in enumerate(parts[:-1]):
        if isinstance(node, dict):
            node.setdefault(part, {})
        child = node[int(part) if isinstance(node, list) else part]
        if not isinstance(child, dict | list):
            raise ConfigError(f"{'.'.join(parts)}: {'.'.join(parts[: depth + 1])!r} is not a table")
        node = child
    node[int(parts[-1]) if isinstance(node, list) else parts[-1]] = value


def value_at(data: Any, parts: Sequence[str]) -> Any:
    """The value at a path of plain config data, or None where the data holds none."""
    node = data
    for part in parts:
        if isinstance(node, list) and is_index(part) and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node
