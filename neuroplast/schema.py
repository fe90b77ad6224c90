"""Building blocks of the config schema: typed quantity fields and documented parameters.

Every mechanism declares its parameters as a :class:`Section` whose fields are made
with :func:`param` (default, one-line description, literature source) and, for
physical values, typed with :func:`Qty` (unit and dimension check).  The sections are
gathered into :class:`neuroplast.config.experiment.ExperimentConfig`.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

import numpy as np
from brian2.units.fundamentalunits import DIMENSIONLESS, Quantity, get_dimensions, get_unit
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from neuroplast.units import (
    QuantityParseError,
    dimension_of,
    exact_quantity_text,
    format_quantity,
    parse_quantity,
)

__all__ = [
    "BRUNEL_WANG",
    "POTENTIAL_RANGE",
    "ConfigError",
    "Qty",
    "Section",
    "UnitMeta",
    "fill_table_defaults",
    "param",
    "parameter_table",
    "with_parameter_table",
]

#: Source of the network's membrane, receptor and synapse defaults.
BRUNEL_WANG = "Brunel & Wang 2001 (brian2 example Brunel_Wang_2001.py); model docs §1.2"

#: Range of a membrane or reversal potential (``Qty("mV", **POTENTIAL_RANGE)``): the ionic
#: reversal potentials span about -100 mV (K+) to +130 mV (Ca2+) (Hille, Ion Channels of
#: Excitable Membranes, 3rd ed., Table 1.1 [M]); beyond +-150 mV no neuron lives [D].
POTENTIAL_RANGE = {"at_least": "-150 mV", "at_most": "150 mV"}


class ConfigError(ValueError):
    """A configuration could not be read or validated; the message says where and why."""


class UnitMeta:
    """Marker kept in a field's metadata so tools can find the field's unit and range.

    ``low`` and ``high`` are brian2 quantities (or None); ``positive`` and
    ``nonnegative`` as in :func:`Qty`.  :meth:`contains` is the range check the field
    makes, so that a test can check an accepted value against the range it declares.
    """

    def __init__(
        self,
        unit: str,
        *,
        low: Quantity | None = None,
        high: Quantity | None = None,
        positive: bool = False,
        nonnegative: bool = False,
    ):
        self.unit = unit
        self.low, self.high = low, high
        self.positive, self.nonnegative = positive, nonnegative

    def contains(self, quantity: Any) -> bool:
        """Whether ``quantity`` (a brian2 quantity, or its value in SI units) is in the range."""
        value = float(np.asarray(quantity, dtype=float))
        if (self.positive and not value > 0) or (self.nonnegative and not value >= 0):
            return False
        low = -math.inf if self.low is None else float(self.low)
        high = math.inf if self.high is None else float(self.high)
        return low <= value <= high

    def __repr__(self) -> str:
        return (
            f"UnitMeta({self.unit!r}, low={self.low!r}, high={self.high!r}, "
            f"positive={self.positive}, nonnegative={self.nonnegative})"
        )


def _dimension_name(dim: Any) -> str:
    if dim is DIMENSIONLESS:
        return "a plain number"
    return f"a value in {get_unit(dim)}"


def _range_text(at_least: str | None, at_most: str | None) -> str:
    if at_least is not None and at_most is not None:
        return f"a value between {at_least} and {at_most}"
    return f"at least {at_least}" if at_most is None else f"at most {at_most}"


def Qty(  # noqa: N802
    unit: str,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    at_least: str | None = None,
    at_most: str | None = None,
) -> Any:
    """Type of a config field holding a physical quantity in ``unit``.

    The field accepts text such as ``"100 ms"`` (or a brian2 quantity) and stores a
    brian2 ``Quantity``; it serialises back to text in ``unit``.  The value must be
    finite once converted to SI units (``"1e400 nS"`` and ``"1.7976931348623157e+308
    min"`` are refused, issue #20) and in ``unit`` (``"1e308 Hz"`` is infinite in
    ``1/day``: saved, it would not read back), and within ``[at_least, at_most]`` (config
    text in ``unit``, e.g. ``at_most="200 mV"``) where the field documents a range.
    """
    expected = dimension_of(unit)
    low = None if at_least is None else parse_quantity(at_least)
    high = None if at_most is None else parse_quantity(at_most)
    meta = UnitMeta(unit, low=low, high=high, positive=positive, nonnegative=nonnegative)
    scale = 1.0 if unit in ("", "1") else float(np.asarray(parse_quantity(f"1 {unit}")))

    def validate(value: Any) -> Quantity:
        if isinstance(value, Quantity):
            quantity = value
        else:
            try:
                quantity = parse_quantity(value)
            except QuantityParseError as err:
                raise ValueError(f"{err}; expected a value in {unit}, e.g. '1 {unit}'") from None
        found = get_dimensions(quantity)
        # brian2 shares one object per dimension: `is` first spares its == (np.allclose),
        # a third of the time a config takes to load
        if found is not expected and found != expected:
            raise ValueError(
                f"wrong dimension: {value!r} is not a value in {unit} "
                f"(expected {_dimension_name(expected)}, got {_dimension_name(found)})"
            )
        si = float(np.asarray(quantity, dtype=float))
        if not math.isfinite(si):
            raise ValueError(
                f"expected a finite value in {unit} (got {value!r}, which is {si} in SI units)"
            )
        if not math.isfinite(si / scale):  # saved in its unit, it would read 'inf'
            raise ValueError(
                f"expected a finite value in {unit} (got {value!r}, which is {si / scale} {unit})"
            )
        if positive and not float(quantity) > 0:
            raise ValueError(f"must be > 0 (got {value!r})")
        if nonnegative and not float(quantity) >= 0:
            raise ValueError(f"must be >= 0 (got {value!r})")
        if not meta.contains(quantity):
            raise ValueError(f"expected {_range_text(at_least, at_most)} (got {value!r})")
        return quantity

    return Annotated[
        Quantity,
        BeforeValidator(validate),
        PlainSerializer(lambda q: exact_quantity_text(q, unit), return_type=str),
        WithJsonSchema({"type": "string", "unit": unit}),
        meta,
    ]


def param(
    default: Any,
    description: str,
    source: str | None = None,
    *,
    runtime: bool = False,
    **kwargs: Any,
) -> Any:
    """A config field with its default, one-line description and literature source.

    ``runtime=True`` declares that the value reaches the network only through the values
    of its schedule arrays, so that a compiled C++ standalone program can be re-run with
    another value without a new build (:func:`neuroplast.config.parameters.runtime_paths`).
    """
    extra = {"source": source} if source else {}
    if runtime:
        extra["runtime"] = True
    return Field(default, description=description, json_schema_extra=extra or None, **kwargs)


class Section(BaseModel):
    """Base of every config table: unknown keys are errors, defaults are validated."""

    model_config = ConfigDict(
        extra="forbid",
        validate_default=True,
        validate_assignment=True,
        arbitrary_types_allowed=True,
        # a boolean is not a count and 1.5 is not a neuron: no coercion between types
        strict=True,
        # inf and nan are never a physical value (issue #20: `inf` reached the network)
        allow_inf_nan=False,
    )


def fill_table_defaults(data: Any, key: str, defaults: dict[str, str]) -> Any:
    """Let a partial ``key`` table keep its own defaults for the keys it omits.

    For a section whose sub-tables share one class but not its defaults (``[neurons.inh]``,
    ``[synapses.to_inh]``): without this, such a table with one key would take the class
    defaults (the pyramidal values) for the rest (regression test: tests/regressions).
    Use in a ``model_validator(mode="before")``.
    """
    if isinstance(data, dict) and isinstance(data.get(key), dict):
        data = {**data, key: {**defaults, **data[key]}}
    return data


def _field_unit(info: Any) -> str:
    """The unit of a quantity field, also of an optional one (``Qty("h") | None``)."""
    metadata = list(info.metadata)
    for arg in typing.get_args(info.annotation):  # an Optional's members
        metadata += list(getattr(arg, "__metadata__", ()))
    return next((m.unit for m in metadata if isinstance(m, UnitMeta)), "")


def _table_rows(section: Section, prefix: str) -> Iterator[tuple[str, str, str]]:
    for name, info in type(section).model_fields.items():
        value = getattr(section, name)
        if isinstance(value, Section):
            yield from _table_rows(value, f"{prefix}{name}.")
            continue
        if isinstance(value, list | dict):  # tables of events, overrides: no one default
            continue
        unit = _field_unit(info)
        if isinstance(value, Quantity) and unit:
            shown = format_quantity(value, unit)
        else:
            shown = str(section.model_dump(mode="json", include={name})[name])
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        yield f"{prefix}{name}", shown, str(extra.get("source", ""))


def parameter_table(section: type[Section], symbols: Mapping[str, str] | None = None) -> str:
    """The defaults and sources of a config section as a reStructuredText table.

    Made from the section's :func:`param` fields (nested sections as dotted keys;
    lists and dicts are left out), so that a module's docstring shows the defaults
    without repeating them.  ``symbols`` maps a key to its symbol in the equations.
    """
    symbols = symbols or {}
    rows = [
        (f"{key} ({symbols[key]})" if key in symbols else key, shown, source)
        for key, shown, source in _table_rows(section(), "")
    ]
    head = ("key", "default", "source")
    widths = [max(len(row[k]) for row in [head, *rows]) for k in range(2)]
    rule = f"{'=' * widths[0]} {'=' * widths[1]} {'=' * max(6, *(len(r[2]) for r in rows))}"
    lines = [rule, f"{head[0]:<{widths[0]}} {head[1]:<{widths[1]}} {head[2]}", rule]
    lines += [f"{a:<{widths[0]}} {b:<{widths[1]}} {c}".rstrip() for a, b, c in rows]
    return "\n".join([*lines, rule])


def with_parameter_table(
    doc: str | None, section: type[Section], symbols: Mapping[str, str] | None = None
) -> str | None:
    """``doc`` with its ``{parameters}`` line replaced by :func:`parameter_table`.

    For a module's docstring: ``__doc__ = with_parameter_table(__doc__, MyConfig)`` after
    the section is defined (``None``, as under ``python -OO``, stays ``None``).
    """
    if doc is None:
        return None
    if "{parameters}" not in doc:
        raise ValueError(f"{section.__name__}: the docstring has no {{parameters}} line")
    return doc.replace("{parameters}", parameter_table(section, symbols))
