"""Building blocks of the config schema: typed quantity fields and documented parameters.

Every mechanism declares its parameters as a :class:`Section` whose fields are made
with :func:`param` (default, one-line description, literature source) and, for
physical values, typed with :func:`Qty` (unit and dimension check).  The sections are
gathered into :class:`neuroplast.config.ExperimentConfig`.
"""

from __future__ import annotations

from typing import Annotated, Any

from brian2.units.fundamentalunits import DIMENSIONLESS, Quantity, get_dimensions, get_unit
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from neuroplast.units import (
    QuantityParseError,
    dimension_of,
    exact_quantity_text,
    parse_quantity,
)

__all__ = [
    "BRUNEL_WANG",
    "ConfigError",
    "Qty",
    "Section",
    "UnitMeta",
    "fill_table_defaults",
    "param",
]

#: Source of the network's membrane, receptor and synapse defaults.
BRUNEL_WANG = "Brunel & Wang 2001 (brian2 example Brunel_Wang_2001.py); SCIENCE.md §1.2"


class ConfigError(ValueError):
    """A configuration could not be read or validated; the message says where and why."""


class UnitMeta:
    """Marker kept in a field's metadata so tools can find the field's unit."""

    def __init__(self, unit: str):
        self.unit = unit


def _dimension_name(dim: Any) -> str:
    if dim is DIMENSIONLESS:
        return "a plain number"
    return f"a value in {get_unit(dim)}"


def Qty(unit: str, *, positive: bool = False, nonnegative: bool = False) -> Any:  # noqa: N802
    """Type of a config field holding a physical quantity in ``unit``.

    The field accepts text such as ``"100 ms"`` (or a brian2 quantity) and stores a
    brian2 ``Quantity``; it serialises back to text in ``unit``.
    """
    expected = dimension_of(unit)

    def validate(value: Any) -> Quantity:
        if isinstance(value, Quantity):
            quantity = value
        else:
            try:
                quantity = parse_quantity(value)
            except QuantityParseError as err:
                raise ValueError(f"{err}; expected a value in {unit}, e.g. '1 {unit}'") from None
        found = get_dimensions(quantity)
        if found != expected:
            raise ValueError(
                f"wrong dimension: {value!r} is not a value in {unit} "
                f"(expected {_dimension_name(expected)}, got {_dimension_name(found)})"
            )
        if positive and not float(quantity) > 0:
            raise ValueError(f"must be > 0 (got {value!r})")
        if nonnegative and not float(quantity) >= 0:
            raise ValueError(f"must be >= 0 (got {value!r})")
        return quantity

    return Annotated[
        Quantity,
        BeforeValidator(validate),
        PlainSerializer(lambda q: exact_quantity_text(q, unit), return_type=str),
        WithJsonSchema({"type": "string", "unit": unit}),
        UnitMeta(unit),
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
    another value without a new build (:func:`neuroplast.parameters.runtime_paths`).
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
