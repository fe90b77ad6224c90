"""A parameter sweep's table read for analysis: one number per point, condition, seed, measure.

A sweep's table (``OUT/sweep.parquet``, :mod:`neuroplast.studies.sweep`) has one row per run x
measure x time.  :func:`load_sweep_data` reduces it to one number per (point, condition,
seed, measure): the measure's value at the run's **last time point** (a summary measure
such as ``mean_rate_exc_hz`` has a single time point; for a time series such as
``rate_exc_hz`` or ``ee_synapses`` the last sample is taken).  Only finished runs count:
failed runs (invalid, error, lost: :mod:`neuroplast.studies.outcomes`) and missing runs
are left out, and counted.

Axis values written with units (``"2.5 Hz"``) are shown as numbers in that unit when all
values of the axis use the same unit, else in SI units.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neuroplast.analysis.measures import measure_label
from neuroplast.studies.sweep import (
    DONE,
    ERROR,
    INVALID,
    LOST,
    MEASURE_COLUMNS,
    MISSING,
    PLAN_FILE,
    TABLE_FILE,
    collect_table,
)
from neuroplast.units import _QUANTITY_RE, parse_quantity

__all__ = [
    "AxisInfo",
    "is_cartesian",
    "positions",
    "SweepData",
    "SweepPlotError",
    "is_sweep_dir",
    "load_sweep_data",
    "select_axes",
    "select_measures",
]

#: Table columns that are not swept paths.
_FIXED_COLUMNS = ("run_id", "point", "repeat", "status", "varied", *MEASURE_COLUMNS, "error")


class SweepPlotError(ValueError):
    """A sweep cannot be summarised or drawn as asked (unknown measure or axis, no run)."""


@dataclass(frozen=True)
class AxisInfo:
    """One swept path as drawn: numeric (in ``unit``) or categorical."""

    path: str
    unit: str = ""
    numeric: bool = True

    def label(self) -> str:
        """Axis label with the unit, e.g. ``external.rate (Hz)``."""
        return f"{self.path} ({self.unit})" if self.unit else self.path


@dataclass(frozen=True)
class SweepData:
    """The last-time value of each measure per finished (point, condition, seed).

    Row arrays (all the same length): ``point``, ``condition``, ``seed``, ``varied``
    (``""`` unless one_at_a_time), ``measure``, ``value``, ``time_s`` and ``day`` (of the
    last sample), ``n_times`` (samples in the run's series).  ``coords[path]`` holds each
    row's value of a swept path as drawn (float for a numeric axis, text otherwise) and
    ``texts[path]`` as written in the spec.  ``points`` describes every point of the
    table, failed ones included: ``points["point"]``, ``points["varied"]`` and per path
    ``points["coords"][path]`` / ``points["texts"][path]``; ``all_seeds`` and
    ``all_conditions`` likewise.
    """

    name: str
    kind: str
    axes: tuple[AxisInfo, ...]
    point: np.ndarray
    condition: np.ndarray
    seed: np.ndarray
    varied: np.ndarray
    measure: np.ndarray
    value: np.ndarray
    time_s: np.ndarray
    day: np.ndarray
    n_times: np.ndarray
    coords: dict[str, np.ndarray]
    texts: dict[str, np.ndarray]
    points: dict[str, Any]
    measure_names: tuple[str, ...]
    all_seeds: tuple[int, ...]
    all_conditions: tuple[str, ...]
    n_done: int
    n_failed: int
    n_missing: int
    n_invalid: int = 0
    n_error: int = 0
    n_lost: int = 0

    @property
    def measures(self) -> list[str]:
        """Measure names: single-valued summaries first, then time series (table order)."""
        return sorted(self.measure_names, key=self.is_series)

    @property
    def conditions(self) -> list[str]:
        """Condition names in table order (failed runs' conditions included)."""
        return list(self.all_conditions)

    def axis(self, path: str) -> AxisInfo:
        """The :class:`AxisInfo` of a swept path."""
        for info in self.axes:
            if info.path == path:
                return info
        raise SweepPlotError(_unknown("axis", path, [a.path for a in self.axes]))

    def is_series(self, measure: str) -> bool:
        """Whether ``measure`` has more than one time point in some run."""
        return bool(np.any(self.n_times[self.measure == measure] > 1))

    def measure_label(self, measure: str) -> str:
        """Axis label with unit; a time series names the time point that is shown."""
        label = measure_label(measure)
        if not self.is_series(measure):
            return label
        return f"{label}\nlast time point ({self.last_time(measure)})"

    def last_time(self, measure: str) -> str:
        """When the drawn value of ``measure`` was taken: ``t = 2 s``, ``day 28``, ..."""
        rows = self.measure == measure
        days, times = self.day[rows], self.time_s[rows]
        if days.size and np.allclose(days, days[0], rtol=1e-6, atol=1e-9) and days[0] >= 0.5:
            return f"day {days[0]:.3g}"
        if times.size and np.allclose(times, times[0], rtol=1e-6, atol=1e-9):
            return f"t = {times[0]:g} s"
        return "of each run"

    def subtitle(self) -> str:
        """Finished, failed (excluded, by outcome) and missing run counts, for a figure."""
        text = (
            f"{self.kind} sweep '{self.name}': {self.n_done} finished run(s); "
            f"{self.n_failed} failed run(s) excluded"
        )
        kinds = ((self.n_invalid, "invalid"), (self.n_error, "error"), (self.n_lost, "lost"))
        which = ", ".join(f"{n} {word}" for n, word in kinds if n)
        text += f" ({which})" if which else ""
        return text + (f"; {self.n_missing} not run" if self.n_missing else "")

    def order(self, path: str, values: np.ndarray | None = None) -> list:
        """Distinct values of an axis in drawing order (ascending, or spec order).

        ``values`` defaults to the axis' values at every point of the sweep.
        """
        if values is None:
            values = self.points["coords"][path]
        distinct = list(dict.fromkeys(values.tolist()))
        if self.axis(path).numeric:
            return sorted(v for v in distinct if math.isfinite(v))
        return distinct


def is_sweep_dir(path: str | Path) -> bool:
    """Whether ``path`` is a sweep directory (it holds the plan ``sweep.json``)."""
    return (Path(path) / PLAN_FILE).is_file()


def _unknown(what: str, name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}{hint} (available: {', '.join(options) or 'none'})"


def _column(table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_pylist(), dtype=object)


def _read_source(source) -> tuple[Any, dict[str, Any]]:
    """The pyarrow table and the plan's header (name, kind, axes) of a sweep."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(source, pa.Table):
        return source, {}
    path = Path(source)
    if path.is_dir():
        if not is_sweep_dir(path):
            raise FileNotFoundError(f"{path / PLAN_FILE}: not found; is {path} a sweep directory?")
        plan = json.loads((path / PLAN_FILE).read_text())
        table_path = path / TABLE_FILE
        table = pq.read_table(table_path) if table_path.exists() else collect_table(path)
        return table, plan
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found; expected a sweep directory or its table")
    return pq.read_table(path), {}


def _axis_paths(table, plan: dict[str, Any]) -> list[str]:
    if plan.get("axes"):
        return list(plan["axes"])
    names = table.column_names
    return [
        n for n in names if n not in _FIXED_COLUMNS and not (n.endswith("_si") and n[:-3] in names)
    ]


def _si_unit(text: str) -> str:
    from brian2.units.fundamentalunits import get_unit

    unit = str(get_unit(parse_quantity(text).dim))
    return "" if unit in ("1", "Unit(1)") else unit


def _axis_coords(path: str, texts: list[Any], si: list[Any] | None) -> tuple[AxisInfo, list]:
    """How one axis is drawn, and each row's value as drawn."""
    present = [t for t in texts if t is not None]
    if present and all(isinstance(t, int | float) and not isinstance(t, bool) for t in present):
        values = [math.nan if t is None else float(t) for t in texts]
        return AxisInfo(path), values
    if si is not None and present and all(isinstance(t, str) for t in present):
        parts = [_QUANTITY_RE.match(t) for t in present]
        units = {m.group("unit") for m in parts if m}
        if all(parts) and len(units) == 1:
            values = [
                math.nan if t is None else float(_QUANTITY_RE.match(t)["number"]) for t in texts
            ]
            return AxisInfo(path, units.pop()), values
        values = [math.nan if v is None else float(v) for v in si]
        return AxisInfo(path, _si_unit(present[0])), values
    return AxisInfo(path, numeric=False), [_text(t) for t in texts]


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


#: The status of every invalid, error and lost run in tables written before they were told
#: apart (neuroplast.studies.outcomes); counted as errors.
_OLD_FAILED = "failed"


def _run_counts(table) -> dict[str, int]:
    """Runs per status, and ``"failed"``: the invalid, error and lost runs together."""
    runs = list(zip(_column(table, "run_id"), _column(table, "status"), strict=True))
    statuses = [ERROR if v == _OLD_FAILED else v for v in dict(runs).values()]
    counts = {s: statuses.count(s) for s in (DONE, INVALID, ERROR, LOST, MISSING)}
    counts["failed"] = counts[INVALID] + counts[ERROR] + counts[LOST]
    return counts


def _last_values(table) -> dict[str, np.ndarray]:
    """One row per (point, condition, seed, measure): the value at the last time point."""
    import pyarrow.compute as pc

    done = table.filter(pc.equal(table.column("status"), DONE))
    done = done.filter(pc.is_valid(done.column("measure")))
    keys = ["point", "condition", "seed", "measure"]
    done = done.sort_by([(k, "ascending") for k in keys] + [("sim_time_s", "ascending")])
    cols = {k: _column(done, k) for k in keys}
    n = len(cols["point"])
    if n == 0:
        return {}
    changes = np.zeros(n, dtype=bool)
    for k in keys:
        changes[1:] |= cols[k][1:] != cols[k][:-1]
    starts = np.flatnonzero(np.r_[True, changes[1:]])
    ends = np.r_[starts[1:], n] - 1
    out = {k: cols[k][ends] for k in keys}
    out["n_times"] = np.diff(np.r_[starts, n])
    for name, key in (("value", "value"), ("time_s", "sim_time_s"), ("day", "bio_time_days")):
        values = done.column(key).to_numpy(zero_copy_only=False)
        out[name] = np.asarray(values, dtype=float)[ends]
    return out


def _infer_kind(table, points: dict[str, Any]) -> str:
    """The kind of a sweep known only by its table (see :func:`load_sweep_data`)."""
    if "varied" in table.column_names:
        return "one_at_a_time"
    return "grid" if is_cartesian(points) else "points"


def load_sweep_data(source) -> SweepData:
    """Read a sweep and reduce it to the last-time value per finished run and measure.

    Parameters
    ----------
    source : str, Path or pyarrow.Table
        A sweep directory (its ``sweep.parquet``, rebuilt from the runs if absent), a
        sweep table file, or the table itself.  Without the directory's plan the kind
        is inferred: ``one_at_a_time`` when the table has a ``varied`` column, ``grid``
        when the points form a full Cartesian product, else ``points``.

    Returns
    -------
    SweepData

    Raises
    ------
    SweepPlotError
        If no run has finished.
    FileNotFoundError
        If ``source`` is neither a sweep directory nor a table file.
    """
    table, plan = _read_source(source)
    paths = _axis_paths(table, plan)
    points = _point_table(table, paths)
    kind = plan.get("kind") or _infer_kind(table, points)
    counts = _run_counts(table)
    last = _last_values(table)
    if not last:
        raise SweepPlotError(
            f"sweep '{plan.get('name', 'sweep')}': no finished run to draw "
            f"({counts['failed']} failed, {counts[MISSING]} not run)"
        )
    at = positions(last["point"].astype(int), points["point"].tolist())
    return SweepData(
        name=plan.get("name", "sweep"),
        kind=kind,
        axes=points.pop("axes"),
        point=last["point"].astype(int),
        condition=last["condition"].astype(str).astype(object),
        seed=last["seed"].astype(int),
        varied=points["varied"][at],
        measure=last["measure"],
        value=last["value"],
        time_s=last["time_s"],
        day=last["day"],
        n_times=last["n_times"],
        coords={p: points["coords"][p][at] for p in paths},
        texts={p: points["texts"][p][at] for p in paths},
        points=points,
        measure_names=tuple(m for m in dict.fromkeys(_column(table, "measure")) if m),
        all_seeds=tuple(sorted({int(s) for s in _column(table, "seed")})),
        all_conditions=tuple(dict.fromkeys(_column(table, "condition").astype(str).tolist())),
        n_done=counts[DONE],
        n_failed=counts["failed"],
        n_missing=counts[MISSING],
        n_invalid=counts[INVALID],
        n_error=counts[ERROR],
        n_lost=counts[LOST],
    )


def _point_table(table, paths: Sequence[str]) -> dict[str, Any]:
    """Every point of the table (failed ones too): swept values as drawn and as written."""
    point = _column(table, "point").astype(int)
    first = np.sort(np.unique(point, return_index=True)[1])  # each point's first row
    names = table.column_names
    varied = _column(table, "varied")[first] if "varied" in names else [""] * len(first)
    out: dict[str, Any] = {
        "point": point[first],
        "varied": np.asarray([v or "" for v in varied], dtype=object),
        "coords": {},
        "texts": {},
    }
    axes = []
    for path in paths:
        raw = _column(table, path)[first].tolist()
        si = _column(table, f"{path}_si")[first].tolist() if f"{path}_si" in names else None
        info, values = _axis_coords(path, raw, si)
        axes.append(info)
        out["coords"][path] = np.asarray(values, dtype=float if info.numeric else object)
        out["texts"][path] = np.asarray([_text(v) for v in raw], dtype=object)
    out["axes"] = tuple(axes)
    return out


def select_measures(data: SweepData, names: Sequence[str] | None) -> list[str]:
    """The measures to draw: ``names`` checked against the table, or all of them.

    Raises
    ------
    SweepPlotError
        Naming an unknown measure, a close match and the available measures.
    """
    available = data.measures
    if not names:
        return available
    for name in names:
        if name not in available:
            raise SweepPlotError(_unknown("measure", name, available))
    return list(dict.fromkeys(names))


def select_axes(data: SweepData, paths: Sequence[str] | None) -> list[AxisInfo]:
    """The axes to draw: ``paths`` checked against the sweep, or every swept axis.

    Raises
    ------
    SweepPlotError
        Naming an unknown axis, a close match and the swept axes.
    """
    if not paths:
        return list(data.axes)
    return [data.axis(p) for p in dict.fromkeys(paths)]


def positions(values: np.ndarray, order: list) -> np.ndarray:
    """Each value's position in ``order``."""
    position = {v: k for k, v in enumerate(order)}
    return np.asarray([position[v] for v in values.tolist()], dtype=int)


def is_cartesian(points: dict[str, Any]) -> bool:
    """Whether every point has its own combination of axis values, and all are present."""
    texts = points["texts"]
    combos = list(zip(*(t.tolist() for t in texts.values()), strict=True))
    sizes = [len(set(t.tolist())) for t in texts.values()]
    return len(set(combos)) == len(combos) == math.prod(sizes)
