"""Every parameter a config can set, read from the schema itself (``neuroplast params``).

One walk over :class:`~neuroplast.config.experiment.ExperimentConfig` gives every dotted path with
its default, unit, description and source: plain tables, lists of tables (an element's
keys under ``<k>``: ``protocol.doses.<k>.dose``, set as ``protocol.doses.0.dose``),
tables of named tables (``<name>``) and optional tables (``pharmacology.escalation``),
followed by the constants of the drug table (``pharmacology.drugs.<drug>.<key>``, which
``[pharmacology.drugs.<drug>]`` overrides).

A field declared with ``param(..., runtime=True)`` reaches a compiled C++ standalone
program only through the values of its schedule arrays (schedules.py), so a program
built for one value can be re-run with another (rerun.py); :func:`runtime_paths` lists
those fields, from the same walk.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from brian2 import Quantity
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from neuroplast import paths
from neuroplast.config.experiment import ExperimentConfig
from neuroplast.model.pharmacology.drugs import table_entries
from neuroplast.model.rules import BUILT_IN
from neuroplast.schema import ConfigError, UnitMeta
from neuroplast.units import format_quantity

__all__ = ["Parameter", "iter_parameters", "parameters", "runtime_paths"]

#: Placeholders in the paths of list elements and named tables.
ELEMENT = "<k>"
NAMED = "<name>"


@dataclass(frozen=True)
class Parameter:
    """One settable value: dotted path, default as config text, unit, text, source."""

    path: str
    default: str
    unit: str
    description: str
    source: str
    runtime: bool = False

    def matches(self, words: str) -> bool:
        """Whether every word of ``words`` occurs in the path, description or source."""
        text = f"{self.path} {self.description} {self.source}".lower()
        return all(word in text for word in words.lower().split())


def _tables_in(model: type[BaseModel], name: str) -> tuple[str, type[BaseModel]] | None:
    """The kind and class of the tables field ``name`` holds; None for a value.

    ``("", C)`` for a table (or an optional one), ``(ELEMENT, C)`` for a list of tables,
    ``(NAMED, C)`` for a table of named tables (the classes :mod:`neuroplast.paths` walks).
    """
    for kind, tables in (
        ("", paths.submodel),
        (ELEMENT, paths.listed_tables),
        (NAMED, paths.named_tables),
    ):
        inner = tables(model, name)
        if inner is not None:
            return kind, inner
    return None


def _shown(value: Any, unit: str) -> str:
    if value is PydanticUndefined:
        return "(required)"
    if isinstance(value, Quantity) and unit:
        return format_quantity(value, unit)
    if isinstance(value, str) and unit:  # a table's default, as written ("40 min")
        return value
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(mode="json"))
    try:
        return json.dumps(value)
    except TypeError:
        return str(value)


def _unit_of(info: Any) -> str:
    """The unit of a quantity field, also of an optional one (``Qty("h") | None``)."""
    metadata = list(info.metadata)
    for arg in typing.get_args(info.annotation):  # an Optional's members
        metadata += list(getattr(arg, "__metadata__", ()))
    return next((m.unit for m in metadata if isinstance(m, UnitMeta)), "")


def _walk(model: type[BaseModel], instance: BaseModel | None, prefix: str) -> Iterator[Parameter]:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        if instance is not None:
            value = getattr(instance, name)
        else:
            value = info.default_factory() if info.default_factory else info.default
        tables = _tables_in(model, name)
        if tables is not None and tables[0] == "" and isinstance(value, BaseModel):
            yield from _walk(tables[1], value, path + ".")
            continue
        unit = _unit_of(info)
        if instance is not None and tables is None and not unit:  # as the config writes it
            value = instance.model_dump(mode="json", include={name})[name]
        default = _shown(value, unit)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        yield Parameter(
            path,
            default,
            unit,
            info.description or "",
            str(extra.get("source", "")),
            bool(extra.get("runtime", False)),
        )
        if tables is not None:  # the keys of a table that is absent or one of many
            kind, inner = tables
            yield from _walk(inner, None, f"{path}.{kind}." if kind else f"{path}.")


def iter_parameters(model: BaseModel | None = None) -> Iterator[Parameter]:
    """Every field of ``model`` (default: a default :class:`ExperimentConfig`), in order."""
    model = model if model is not None else ExperimentConfig()
    yield from _walk(type(model), model, "")


def _settable(path: str) -> bool:
    try:
        paths.field_at(ExperimentConfig, path.split("."), {})
    except ConfigError:
        return False
    return True


def _drug_parameters() -> Iterator[Parameter]:
    for key, value, unit, source in table_entries():
        path = f"pharmacology.drugs.{key}"
        shown_unit = "" if unit == "1" else unit
        default = "none" if value is None else _shown(value, shown_unit)
        where = "drug table (drugs.toml)"
        if not _settable(path):
            where += "; a constant of the drug, not set by a config"
        yield Parameter(path, default, shown_unit, where, source)


def _rule_parameters() -> Iterator[Parameter]:
    """The options of the built-in rewiring rules (``[plasticity.structural.options]``)."""
    for name, rule in sorted(BUILT_IN.items()):
        for row in _walk(rule.options, rule.options(), "plasticity.structural.options."):
            note = f"(rule {name!r}) {row.description}"
            yield Parameter(row.path, row.default, row.unit, note, row.source, row.runtime)


def parameters(words: str = "") -> list[Parameter]:
    """Config fields, built-in rules' options and drug constants matching ``words``."""
    rows = [*iter_parameters(), *_rule_parameters(), *_drug_parameters()]
    return [row for row in rows if row.matches(words)] if words else rows


def runtime_paths() -> tuple[str, ...]:
    """Glob patterns of the fields declared ``runtime=True`` (``protocol.doses.*.dose``)."""
    found = []
    for row in iter_parameters():
        if row.runtime:
            found.append(row.path.replace(ELEMENT, "*").replace(NAMED, "*"))
    return tuple(found)
