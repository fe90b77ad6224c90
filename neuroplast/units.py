"""Quantities written as text in configs, parsed without ``eval``.

A config writes a physical value as a number followed by a unit expression,
``"100 ms"``, ``"-70 mV"``, ``"0.5 mg/kg"``, ``"0.02 L/kg/min"``, ``"21 days"``.
The unit expression is a product of unit names, each optionally raised to an
integer power (``^`` or ``**``), joined by ``*`` or ``/``.  Names are looked up in
a whitelist: brian2's own units plus a few clock and dose units that brian2 does
not define (``min``, ``h``, ``day``, ``mg``, ``kg``, ``L``).  Nothing is evaluated
as Python.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

import brian2
import numpy as np
from brian2.units import allunits, stdunits
from brian2.units.fundamentalunits import (
    DIMENSIONLESS,
    Dimension,
    Quantity,
    get_dimensions,
    have_same_dimensions,
)

__all__ = [
    "QuantityParseError",
    "parse_quantity",
    "format_quantity",
    "exact_quantity_text",
    "dimension_of",
    "UNIT_ALIASES",
    "SECONDS_PER_DAY",
    "finite_array",
]

#: Seconds in a biological day: the one place this number is written.
SECONDS_PER_DAY = 86400.0

#: Units that brian2 does not define but configs use for biological time and doses.
UNIT_ALIASES: dict[str, Quantity] = {
    "min": 60 * brian2.second,
    "minute": 60 * brian2.second,
    "minutes": 60 * brian2.second,
    "h": 3600 * brian2.second,
    "hour": 3600 * brian2.second,
    "hours": 3600 * brian2.second,
    "day": SECONDS_PER_DAY * brian2.second,
    "days": SECONDS_PER_DAY * brian2.second,
    "week": 7 * SECONDS_PER_DAY * brian2.second,
    "weeks": 7 * SECONDS_PER_DAY * brian2.second,
    "s": 1 * brian2.second,
    "mg": allunits.mgram,
    "ug": allunits.ugram,
    "g": allunits.gram,
    "kg": allunits.kgram,
    "L": allunits.liter,
    "mL": allunits.mliter,
    "ml": allunits.mliter,
}

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY_RE = re.compile(rf"^\s*(?P<number>{_NUMBER})\s*(?P<unit>.*?)\s*$")
_TOKEN_RE = re.compile(
    r"\s*(?:(?P<op>\*\*|\^|\*|/)|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<int>[-+]?\d+))"
)


class QuantityParseError(ValueError):
    """A text could not be read as a number with a unit."""


@cache
def _unit_table() -> dict[str, Quantity]:
    table: dict[str, Quantity] = {}
    for module in (allunits, stdunits):
        for name in dir(module):
            value = getattr(module, name)
            if isinstance(value, Quantity) and not name.startswith("_"):
                table[name] = value
    table.update(UNIT_ALIASES)
    return table


def _lookup(name: str, text: str) -> Quantity:
    try:
        return _unit_table()[name]
    except KeyError:
        raise QuantityParseError(f"unknown unit {name!r} in {text!r}") from None


def _parse_unit(expr: str, text: str) -> Quantity:
    """Evaluate ``expr`` (e.g. ``"L/kg/min"``) by hand: names, powers, ``*`` and ``/``."""
    result: Quantity | float = 1.0
    expr = expr.strip()
    if expr.startswith("1/"):
        expr = expr[1:]
    if expr.startswith("/"):  # "0.062 /mV" means 0.062 per mV
        expr = expr[1:]
        op = "/"
    else:
        op = "*"
    pos = 0
    expect_term = True
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        match = _TOKEN_RE.match(expr, pos)
        if match is None:
            raise QuantityParseError(f"cannot read the unit {expr!r} in {text!r}")
        pos = match.end()
        if match["name"]:
            if not expect_term:
                op = "*"  # "mV ms" means mV*ms
            unit = _lookup(match["name"], text)
            power_match = re.match(r"\s*(\*\*|\^)\s*([-+]?\d+)", expr[pos:])
            if power_match:
                unit = unit ** int(power_match.group(2))
                pos += power_match.end()
            result = result * unit if op == "*" else result / unit
            expect_term = False
        elif match["op"] in ("*", "/"):
            if expect_term:
                raise QuantityParseError(f"misplaced {match['op']!r} in the unit of {text!r}")
            op = match["op"]
            expect_term = True
        else:
            raise QuantityParseError(f"cannot read the unit {expr!r} in {text!r}")
    if expect_term and expr.strip():
        raise QuantityParseError(f"the unit of {text!r} ends with an operator")
    return result


@lru_cache(maxsize=512)
def _unit(expr: str) -> Quantity | float:
    """The value of a unit expression; cached, as a config repeats a few dozen units."""
    return _parse_unit(expr, expr)


def _unit_in(expr: str, text: str) -> Quantity | float:
    """:func:`_unit` of ``expr``, or the error of :func:`_parse_unit` naming all of ``text``."""
    try:
        return _unit(expr)
    except QuantityParseError:
        return _parse_unit(expr, text)  # raises, with the whole text in the message


def parse_quantity(text: str | float | int) -> Quantity:
    """Parse ``"100 ms"`` into a brian2 quantity without evaluating code.

    Parameters
    ----------
    text : str or float or int
        A number followed by an optional unit expression.  Bare numbers are
        dimensionless.

    Returns
    -------
    brian2.Quantity

    Raises
    ------
    QuantityParseError
        If the text is not a number followed by known unit names.
    """
    if isinstance(text, bool):
        raise QuantityParseError(f"expected a number with a unit, got the boolean {text!r}")
    if isinstance(text, int | float):
        return Quantity(float(text))
    if not isinstance(text, str):
        raise QuantityParseError(f"expected text like '100 ms', got {type(text).__name__}")
    match = _QUANTITY_RE.match(text)
    if match is None:
        raise QuantityParseError(f"{text!r} does not start with a number (expected e.g. '100 ms')")
    value = float(match["number"])
    unit_text = match["unit"]
    if not unit_text:
        return Quantity(value)
    with np.errstate(over="ignore"):  # a value that overflows is inf, refused by its field
        return Quantity(value * _unit_in(unit_text, text))


def dimension_of(unit_text: str) -> Dimension:
    """Physical dimension of a unit expression such as ``"nS"`` or ``"1"``."""
    if unit_text in ("", "1"):
        return DIMENSIONLESS
    return get_dimensions(_unit(unit_text))


def format_quantity(value: Quantity, unit_text: str) -> str:
    """Write ``value`` as text in the unit ``unit_text`` (6 significant digits, for display).

    Saved configs use :func:`exact_quantity_text`, whose text reads back bit for bit.
    """
    if unit_text in ("", "1"):
        return f"{float(value):g}"
    number = float(value / _unit(unit_text))
    return f"{number:g} {unit_text}"


def exact_quantity_text(value: Quantity, unit_text: str) -> str:
    """Write ``value`` in the unit ``unit_text`` so that :func:`parse_quantity` gives it back.

    The shortest decimal (6, 12, 15 or 17 significant digits) that reads back to the
    same double, so a saved config reruns the same run: 6 digits are not enough for a
    session that starts at 14.5 h written in days (0.604167 day is 52 200.0288 s, which
    moves the session's first schedule step).  When no decimal of the number in this
    unit converts back exactly, a neighbouring double (a few units in the last place) is
    tried; failing that, the value is written in the SI unit of its dimension (exact),
    or as a 17-digit number in ``unit_text`` if even that unit cannot be written.
    """
    dimensionless = unit_text in ("", "1")
    unit = 1.0 if dimensionless else _unit(unit_text)
    suffix = "" if dimensionless else f" {unit_text}"
    target = float(np.asarray(value, dtype=float))
    number = float(value / unit)
    if not np.isfinite(number):
        return f"{number:g}{suffix}"

    def reads_back(text: str) -> bool:  # as parse_quantity computes it
        with np.errstate(over="ignore"):  # a neighbour past the largest double
            return float(np.asarray(float(text) * unit, dtype=float)) == target

    candidates = [number]
    for direction in (np.inf, -np.inf):
        near = number
        for _ in range(4):
            with np.errstate(over="ignore"):  # past the largest double: inf, never read back
                near = float(np.nextafter(near, direction))
            candidates.append(near)
    for candidate in candidates:
        for digits in (6, 12, 15, 17):
            text = f"{candidate:.{digits}g}"
            if reads_back(text):
                return text + suffix
    # not a product of a double and this unit: the SI unit of its dimension is exact
    dimensions = get_dimensions(value)
    if dimensions is DIMENSIONLESS:
        return repr(target)  # e.g. a dose in mg/kg: a plain ratio
    si = brian2.get_unit(dimensions)
    for name in (str(si), repr(si)):
        text = f"{target!r} {name}"
        try:
            if float(np.asarray(parse_quantity(text), dtype=float)) == target:
                return text
        except QuantityParseError:
            continue
    return f"{number:.17g}{suffix}"


def finite_array(values: Any, name: str, unit: Any = None) -> np.ndarray:
    """A non-empty float array of finite values (brian2 quantities converted to ``unit``).

    Raises ValueError naming ``name`` for the wrong dimension, no values, NaN or inf.
    """
    if isinstance(values, Quantity) and unit is not None:
        if not have_same_dimensions(values, unit):
            raise ValueError(f"{name}: expected values in {unit!r}, got {values!r}")
        values = values / unit
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        raise ValueError(f"{name}: expected a non-empty array")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: expected finite values (found NaN or inf)")
    return array
