"""The sweep spec: parsing and checking its TOML, and expanding it into points."""

from __future__ import annotations

import itertools
import json
import typing
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neuroplast import paths
from neuroplast.config.experiment import (
    ConfigError,
    ExperimentConfig,
    apply_overrides,
    config_from_dict,
    read_toml,
)
from neuroplast.model.pharmacology import DoseAmount
from neuroplast.schema import UnitMeta
from neuroplast.units import QuantityParseError, dimension_of

KINDS = ("grid", "zip", "one_at_a_time", "random", "latin_hypercube")
#: Kinds that draw points in ranges (``range`` axes and ``samples``).
SAMPLED_KINDS = ("random", "latin_hypercube")
SPEC_KEYS = (
    "name",
    "description",
    "base",
    "seed",
    "repeats",
    "kind",
    "samples",
    "conditions",
    "set",
    "axes",
)
AXIS_KEYS = ("path", "values", "range")
RANGE_KEYS = ("low", "high", "unit")

#: Units of a dose amount (pharmacology.DoseAmount): per body weight, or absolute.
DOSE_UNITS = ("mg/kg", "mg")
#: Significant digits of sampled values (the precision of the config's own text output).
SAMPLE_DIGITS = 6
#: Spawn key of the random stream that draws sampled points from the root seed; distinct
#: from the run seeds of :func:`neuroplast.simulation.simulate.derive_seeds` (a key of length 2).
SAMPLING_STREAM = zlib.crc32(b"neuroplast.studies.sweep.samples")


@dataclass(frozen=True)
class Axis:
    """One swept config path: explicit ``values``, or a range ``[low, high]`` in ``unit``."""

    path: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    unit: str | None = None
    integer: bool = False

    def sample(self, u: float) -> Any:
        """The value at the fraction ``u`` in [0, 1) of the range, as a config would hold it."""
        value = self.low + u * (self.high - self.low)
        if self.integer:
            return int(round(value))
        value = float(f"{value:.{SAMPLE_DIGITS}g}")
        return f"{value:g} {self.unit}" if self.unit else value


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: base config data, seeds, kind and axes."""

    name: str
    base: dict[str, Any]
    seed: int
    repeats: int
    kind: str
    axes: tuple[Axis, ...]
    samples: int | None = None
    description: str = ""
    source: Path | None = None
    conditions: tuple[str, ...] | None = None


def value_text(value: Any) -> str:
    """A value as the spec writes it: text as is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _fail(message: str) -> None:
    raise ConfigError(message)


def _check_keys(table: dict[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            _fail(
                f"{where}{key}: unknown key {key!r}{paths.suggest(key, allowed)} "
                f"(valid keys: {', '.join(allowed)})"
            )


def is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with the tables of ``extra`` merged in recursively (new dict)."""
    result = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = value
    return result


def _axis_field(parts: Sequence[str], base: dict[str, Any]):
    """Check a dotted axis path; return its pydantic field (None for a table's name or index).

    The one path engine of ``--set`` (:func:`neuroplast.paths.field_at`): unknown keys get
    a suggestion, and a part after a list of tables is an index into that list of the base
    config (``protocol.doses.0.dose``: ``dose`` of the first ``[[protocol.doses]]``).
    """
    return paths.field_at(ExperimentConfig, parts, base)


def _field_units(info) -> tuple[str, ...]:
    """The units a field's values are written in; () for a plain number or no field.

    A ``Qty`` field's unit, also when optional (``Qty(...) | None``, as many fields of
    protocol events are), or ``mg/kg`` and ``mg`` for a dose amount.
    """
    if info is None:
        return ()
    metadata = list(info.metadata)
    for member in typing.get_args(info.annotation):  # X | None: the Annotated X's metadata
        metadata.extend(getattr(member, "__metadata__", ()))
    units = [m.unit for m in metadata if isinstance(m, UnitMeta)]
    if units:
        return (units[0],)
    return DOSE_UNITS if DoseAmount.__metadata__[0] in metadata else ()  # its validator


def _parse_range(raw: Any, path: str, where: str, info) -> dict[str, Any]:
    """Check a ``range`` table against the field ``info`` at ``path``; return Axis keywords."""
    if not isinstance(raw, dict):
        _fail(f"{where}.range = {raw!r}: expected a table {{low = ..., high = ..., unit = ...}}")
    _check_keys(raw, RANGE_KEYS, f"{where}.range.")
    for key in ("low", "high"):
        if key not in raw:
            _fail(f"{where}.range: missing {key!r} (expected {{low, high, unit}})")
        if not is_number(raw[key]):
            _fail(
                f"{where}.range.{key} = {raw[key]!r}: expected a number (the unit goes in 'unit')"
            )
    low, high = float(raw["low"]), float(raw["high"])
    if not low < high:
        _fail(f"{where}.range: low = {raw['low']!r}, high = {raw['high']!r}: expected low < high")
    unit = raw.get("unit")
    if unit is not None and not isinstance(unit, str):
        _fail(f"{where}.range.unit = {unit!r}: expected a unit as text, e.g. 'Hz'")
    units = _field_units(info)
    expected = " or ".join(repr(u) for u in units)
    if unit:
        try:
            given = dimension_of(unit)
        except QuantityParseError as err:
            _fail(f"{where}.range.unit = {unit!r}: {err}")
        if not units and info is not None:
            _fail(f"{where}.range.unit = {unit!r}: {path} is a plain number; expected no unit")
        if units and given not in [dimension_of(u) for u in units]:
            _fail(
                f"{where}.range.unit = {unit!r}: wrong dimension for {path}; expected a unit "
                f"of the same dimension as {expected}"
            )
    elif units and units[0] not in ("", "1"):
        _fail(f"{where}.range: {path} is a value in {units[0]}; expected unit = {expected}")
    integer = info is not None and info.annotation is int
    return {"low": low, "high": high, "unit": unit or None, "integer": integer}


def _parse_axis(raw: Any, k: int, kind: str, base: dict[str, Any]) -> Axis:
    where = f"axes[{k}]"
    if not isinstance(raw, dict):
        _fail(f"{where} = {raw!r}: expected a table with 'path' and 'values' (or 'range')")
    _check_keys(raw, AXIS_KEYS, f"{where}.")
    path = raw.get("path")
    if not isinstance(path, str) or not path.strip():
        _fail(f"{where}.path = {path!r}: expected a dotted config path, e.g. 'external.rate'")
    path = path.strip()
    try:
        info = _axis_field(path.split("."), base)
    except ConfigError as err:
        _fail(f"{where}.path = {path!r}: {err}")
    sampled = kind in SAMPLED_KINDS
    if sampled:
        if "values" in raw:
            _fail(f"{where} ({path}): kind = {kind!r} draws values; expected 'range', not 'values'")
        if "range" not in raw:
            _fail(f"{where} ({path}): kind = {kind!r} needs range = {{low, high, unit}}")
        return Axis(path=path, **_parse_range(raw["range"], path, where, info))
    if "range" in raw:
        _fail(
            f"{where} ({path}): 'range' is for kind 'random' or 'latin_hypercube'; "
            f"expected 'values' for kind {kind!r}"
        )
    values = raw.get("values")
    if not isinstance(values, list):
        _fail(f"{where}.values = {values!r}: expected a list of values, e.g. ['2 Hz', '3 Hz']")
    if not values:
        _fail(f"{where}.values = []: expected at least one value for {path}")
    return Axis(path=path, values=tuple(values))


def sweep_from_dict(
    data: dict[str, Any],
    *,
    base_dir: Path = Path("."),
    overrides: Sequence[str] = (),
    name: str = "sweep",
    source: Path | None = None,
) -> SweepSpec:
    """Validate a sweep spec (as read from TOML) into a :class:`SweepSpec`.

    Parameters
    ----------
    data : dict
        The spec's tables (see the module docstring).
    base_dir : Path
        Folder that ``base`` is relative to (the spec file's folder).
    overrides : sequence of str
        ``"dotted.key=value"`` changes to the base config, applied after ``[set]``.
    name : str
        Name used when the spec has none.
    source : Path, optional
        The spec file, for records.

    Returns
    -------
    SweepSpec

    Raises
    ------
    ConfigError
        Naming the key, the value and what was expected; nothing has run.
    """
    _check_keys(data, SPEC_KEYS, "")
    kind = data.get("kind", "grid")
    if kind not in KINDS:
        hint = paths.suggest(str(kind), KINDS)
        _fail(f"kind = {kind!r}: expected one of {', '.join(KINDS)}{hint}")
    base_text = data.get("base")
    if not isinstance(base_text, str) or not base_text:
        _fail(f"base = {base_text!r}: expected the path of an experiment config (TOML)")
    base_path = Path(base_dir) / base_text
    if not base_path.is_file():
        _fail(f"base = {base_text!r}: no such config file ({base_path.resolve()})")
    base = read_toml(base_path)
    fixed = data.get("set", {})
    if not isinstance(fixed, dict):
        _fail(f"set = {fixed!r}: expected a table of config values, e.g. [set] network.n_exc = 400")
    base = _merge(base, fixed)
    if overrides:
        base = apply_overrides(base, overrides)
    try:
        base_cfg = config_from_dict(base)
    except ConfigError as err:
        raise ConfigError(f"base = {base_text!r} (with [set] and --set): {err}") from None

    seed = data.get("seed", base_cfg.seed)
    if seed is None:
        _fail(
            "seed: missing; expected a root seed in the spec or its base config (a sweep "
            "must be reproducible to be resumed)"
        )
    if not is_int(seed) or not 0 <= seed < 2**63:
        _fail(f"seed = {seed!r}: expected an integer in [0, 2**63)")
    repeats = data.get("repeats", base_cfg.repeats)
    if not is_int(repeats) or repeats < 1:
        _fail(f"repeats = {repeats!r}: expected an integer >= 1 (seeds per point)")
    samples = data.get("samples")
    if kind in SAMPLED_KINDS:
        if not is_int(samples) or samples < 1:
            _fail(f"samples = {samples!r}: kind = {kind!r} needs the number of points (>= 1)")
    elif samples is not None:
        _fail(
            f"samples = {samples!r}: only for kind 'random' or 'latin_hypercube' (kind = {kind!r})"
        )

    raw_axes = data.get("axes")
    if not isinstance(raw_axes, list) or not raw_axes:
        _fail(f"axes = {raw_axes!r}: expected at least one [[axes]] table with 'path'")
    axes = tuple(_parse_axis(raw, k, kind, base) for k, raw in enumerate(raw_axes))
    seen: dict[str, int] = {}
    for k, axis in enumerate(axes):
        if axis.path in seen:
            _fail(f"axes[{k}].path = {axis.path!r}: already swept by axes[{seen[axis.path]}]")
        seen[axis.path] = k
    if kind == "zip" and len({len(a.values) for a in axes}) > 1:
        sizes = ", ".join(f"{a.path}: {len(a.values)} values" for a in axes)
        _fail(f"kind = 'zip': expected axes of equal length; got {sizes}")
    conditions = _parse_conditions(data.get("conditions"), base_cfg)
    description = data.get("description", "")
    spec_name = data.get("name", name)
    for key, value in (("name", spec_name), ("description", description)):
        if not isinstance(value, str):
            _fail(f"{key} = {value!r}: expected text")
    return SweepSpec(
        name=spec_name,
        base=base,
        seed=int(seed),
        repeats=int(repeats),
        kind=kind,
        axes=axes,
        samples=samples,
        description=description,
        source=source,
        conditions=conditions,
    )


def _parse_conditions(raw: Any, base_cfg: ExperimentConfig) -> tuple[str, ...] | None:
    """The base's conditions a sweep runs (``conditions = [...]``; default: all of them)."""
    if raw is None:
        return None
    available = list(base_cfg.conditions)
    if not available:
        _fail(f"conditions = {raw!r}: the base config has no [conditions] to choose from")
    if not isinstance(raw, list) or not raw or not all(isinstance(c, str) for c in raw):
        _fail(f"conditions = {raw!r}: expected a non-empty list of names from {available}")
    for name in raw:
        if name not in available:
            _fail(
                f"conditions: unknown condition {name!r}{paths.suggest(name, available)} "
                f"(the base config has {', '.join(available)})"
            )
    return tuple(dict.fromkeys(raw))


def load_sweep(path: str | Path, overrides: Sequence[str] = ()) -> SweepSpec:
    """Read and validate a sweep spec file (``base`` is relative to it).

    Parameters
    ----------
    path : str or Path
        TOML sweep spec.
    overrides : sequence of str
        ``"dotted.key=value"`` changes to the base config (the CLI's ``--set``).

    Returns
    -------
    SweepSpec

    Raises
    ------
    ConfigError
        Naming the spec file, the key, the value and what was expected.
    """
    path = Path(path)
    data = read_toml(path)
    try:
        return sweep_from_dict(
            data, base_dir=path.parent, overrides=overrides, name=path.stem, source=path
        )
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


# --------------------------------------------------------------------------- points


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: the swept paths and their values (as a config holds them)."""

    index: int
    values: dict[str, Any] = field(default_factory=dict)
    varied: str = ""  # one_at_a_time: the axis varied here ("" = the base point)

    def label(self) -> str:
        """``path=value, ...`` (``(base)`` for the base point)."""
        if not self.values:
            return "(base)"
        return ", ".join(f"{path}={value_text(value)}" for path, value in self.values.items())


def latin_hypercube(n_samples: int, n_dims: int, rng: np.random.Generator) -> np.ndarray:
    """Latin hypercube sample in the unit cube (McKay, Beckman & Conover 1979).

    Each axis is cut into ``n_samples`` equal strata; every stratum of every axis holds
    exactly one point, placed uniformly inside it, and the strata are paired across
    axes by independent random permutations.

    Parameters
    ----------
    n_samples : int
        Number of points (and of strata per axis).
    n_dims : int
        Number of axes.
    rng : numpy.random.Generator
        Source of the permutations and of the positions inside strata.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_samples, n_dims)``, values in [0, 1).
    """
    strata = np.column_stack([rng.permutation(n_samples) for _ in range(n_dims)])
    return (strata + rng.random((n_samples, n_dims))) / n_samples


def _sampling_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SAMPLING_STREAM,)))


def expand_points(spec: SweepSpec) -> list[SweepPoint]:
    """The points of a sweep, in a fixed order (see the kinds in the module docstring).

    Parameters
    ----------
    spec : SweepSpec

    Returns
    -------
    list of SweepPoint
    """
    paths = [axis.path for axis in spec.axes]
    if spec.kind == "grid":
        combos = itertools.product(*(axis.values for axis in spec.axes))
        return [SweepPoint(k, dict(zip(paths, c, strict=True))) for k, c in enumerate(combos)]
    if spec.kind == "zip":
        combos = zip(*(axis.values for axis in spec.axes), strict=True)
        return [SweepPoint(k, dict(zip(paths, c, strict=True))) for k, c in enumerate(combos)]
    if spec.kind == "one_at_a_time":
        points = [SweepPoint(0)]
        for axis in spec.axes:
            for value in axis.values:
                points.append(SweepPoint(len(points), {axis.path: value}, varied=axis.path))
        return points
    rng = _sampling_rng(spec.seed)
    n, d = spec.samples, len(spec.axes)
    unit = rng.random((n, d)) if spec.kind == "random" else latin_hypercube(n, d, rng)
    return [
        SweepPoint(k, {axis.path: axis.sample(u) for axis, u in zip(spec.axes, row, strict=True)})
        for k, row in enumerate(unit)
    ]
