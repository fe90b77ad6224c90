"""A parameter sweep's reduced numbers summarised for figures and analysis; its xarray view.

From :func:`neuroplast.studies.sweep_data.load_sweep_data`: parameter-response curves
(:func:`response_curves`; mean across seeds with the 95 % percentile-bootstrap interval
of that mean, :func:`neuroplast.analysis.stats.bootstrap_ci`, none with fewer than 3 seeds), heat
maps over pairs of ``grid`` axes (:func:`heatmap_grid`) and, for ``one_at_a_time``
sweeps, the change from the base point of every varied value with seeds paired
(:func:`sensitivity`).  :mod:`neuroplast.plots.sweep` draws them.

:func:`as_xarray` gives the same reduced numbers as an :class:`xarray.DataArray` (one
measure) or :class:`xarray.Dataset` (all): for a ``grid`` sweep a full Cartesian array
over the axes and ``seed``; for the other kinds a ``point`` dimension with the swept
values as coordinates along it.  xarray is optional (``pip install 'neuroplast[xarray]'``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroplast.analysis.stats import bootstrap_ci
from neuroplast.studies.sweep import (
    SAMPLED_KINDS,
)
from neuroplast.studies.sweep_data import (
    SweepData,
    SweepPlotError,
    is_cartesian,
    load_sweep_data,
    positions,
    select_axes,
    select_measures,
)

__all__ = [
    "Curve",
    "Effect",
    "HeatMap",
    "as_xarray",
    "finite_values",
    "heatmap_grid",
    "measure_mask",
    "response_curves",
    "sensitivity",
]

#: Bootstrap resamples per interval (enough for the percentiles drawn in a figure).
N_BOOT = 2000
CI_LEVEL = 0.95
XARRAY_EXTRA = "xarray"


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Curve:
    """Mean across seeds (with its bootstrap interval) at each value of one axis."""

    label: str
    x: np.ndarray
    x_text: tuple[str, ...]
    mean: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n: np.ndarray
    values: tuple[np.ndarray, ...] = ()


@dataclass(frozen=True)
class HeatMap:
    """Mean across seeds over two axes: ``mean[j, i]`` at ``y[j]``, ``x[i]``."""

    x: list
    y: list
    x_text: list[str]
    y_text: list[str]
    mean: np.ndarray
    n: np.ndarray


@dataclass(frozen=True)
class Effect:
    """Change of a measure from the base point when one axis takes one value."""

    axis: str
    value: str
    delta: float
    ci_low: float
    ci_high: float
    n: int


def finite_values(values: np.ndarray) -> np.ndarray:
    """The finite entries of ``values`` (NaN marks a failed or missing run)."""
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]


def _mean_ci(values: np.ndarray, n_boot: int, ci: float) -> tuple[float, float, float, int]:
    x = finite_values(values)
    if x.size == 0:
        return math.nan, math.nan, math.nan, 0
    lo, hi = bootstrap_ci(x, n_boot=n_boot, ci=ci)
    return float(x.mean()), lo, hi, int(x.size)


def measure_mask(data: SweepData, measure: str, condition: str | None = None) -> np.ndarray:
    """Mask of the reduced rows of ``measure`` (and of ``condition`` when given)."""
    rows = data.measure == measure
    if condition is not None:
        rows &= data.condition == condition
    return rows


def _curve_groups(data: SweepData, path: str, rows: np.ndarray) -> dict[tuple, np.ndarray]:
    """Rows of each line: per condition, and per combination of the other axes (grid)."""
    if data.kind == "one_at_a_time":
        rows = rows & np.isin(data.varied, ["", path])
    others = [a.path for a in data.axes if a.path != path] if data.kind == "grid" else []
    groups: dict[tuple, np.ndarray] = {}
    for k in np.flatnonzero(rows):
        key = (data.condition[k], *((p, data.texts[p][k]) for p in others))
        groups.setdefault(key, []).append(k)
    return {key: np.asarray(idx) for key, idx in groups.items()}


def _curve_label(key: tuple, several_conditions: bool) -> str:
    parts = [key[0]] if several_conditions else []
    parts += [f"{path} = {text}" for path, text in key[1:]]
    return ", ".join(parts)


def response_curves(
    data: SweepData, measure: str, path: str, *, n_boot: int = N_BOOT, ci: float = CI_LEVEL
) -> list[Curve]:
    """Mean across seeds of ``measure`` at each value of the axis ``path``, per line.

    Lines are the conditions and, in a grid sweep, the combinations of the other axes;
    in a one_at_a_time sweep only the base point and the points varying ``path`` count.
    In a sampled sweep (random, latin_hypercube) each point is its own entry, even when
    two points share a value of ``path``.  Intervals are percentile bootstrap intervals
    of the mean (NaN below 3 seeds).

    Returns
    -------
    list of Curve
        x ascending (numeric axes) or in spec order (categorical axes, ``x`` = position).
    """
    info = data.axis(path)
    order = data.order(path)
    several = len(data.conditions) > 1
    curves = []
    for key, idx in _curve_groups(data, path, measure_mask(data, measure)).items():
        cells = _cells(data, path, idx, order)
        stats = [_mean_ci(data.value[rows], n_boot, ci) for rows in cells]
        x = [data.coords[path][rows[0]] for rows in cells]
        curves.append(
            Curve(
                label=_curve_label(key, several),
                x=np.asarray(x if info.numeric else [order.index(v) for v in x], dtype=float),
                x_text=tuple(data.texts[path][rows[0]] for rows in cells),
                mean=np.asarray([s[0] for s in stats]),
                ci_low=np.asarray([s[1] for s in stats]),
                ci_high=np.asarray([s[2] for s in stats]),
                n=np.asarray([s[3] for s in stats], dtype=int),
                values=tuple(finite_values(data.value[rows]) for rows in cells),
            )
        )
    return curves


def _cells(data: SweepData, path: str, idx: np.ndarray, order: list) -> list[np.ndarray]:
    """Rows ``idx`` split into the entries of a curve, in the order of the axis' values.

    One entry per value of ``path``; in a sampled sweep one per point.
    """
    coords = data.coords[path][idx]
    entries = []
    for value in order:
        at = idx[coords == value]
        if data.kind in SAMPLED_KINDS:
            entries += [at[data.point[at] == p] for p in dict.fromkeys(data.point[at].tolist())]
        elif at.size:
            entries.append(at)
    return entries


def heatmap_grid(
    data: SweepData, measure: str, x_path: str, y_path: str, condition: str | None = None
) -> HeatMap:
    """Mean of ``measure`` over seeds (and over any other axes) on the grid of two axes.

    Parameters
    ----------
    data : SweepData
    measure : str
    x_path, y_path : str
        Swept paths on the horizontal and vertical axes.
    condition : str, optional
        Only this condition (default: the first).

    Returns
    -------
    HeatMap
        NaN where no finished run has a finite value.
    """
    condition = condition if condition is not None else data.conditions[0]
    rows = measure_mask(data, measure, condition)
    xs = data.order(x_path)
    ys = data.order(y_path)
    mean = np.full((len(ys), len(xs)), math.nan)
    count = np.zeros((len(ys), len(xs)), dtype=int)
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            values = finite_values(
                data.value[rows & (data.coords[x_path] == x) & (data.coords[y_path] == y)]
            )
            count[j, i] = values.size
            if values.size:
                mean[j, i] = values.mean()
    return HeatMap(
        x=xs,
        y=ys,
        x_text=[_value_text(data, x_path, x) for x in xs],
        y_text=[_value_text(data, y_path, y) for y in ys],
        mean=mean,
        n=count,
    )


def _value_text(data: SweepData, path: str, value) -> str:
    info = data.axis(path)
    return f"{value:g}" if info.numeric else str(value)


def _by_seed(data: SweepData, rows: np.ndarray) -> dict[int, float]:
    return {int(s): float(v) for s, v in zip(data.seed[rows], data.value[rows], strict=True)}


def sensitivity(
    data: SweepData,
    measure: str,
    *,
    condition: str | None = None,
    paths: Sequence[str] | None = None,
    n_boot: int = N_BOOT,
    ci: float = CI_LEVEL,
) -> list[Effect]:
    """Change of ``measure`` from the base point of a one_at_a_time sweep, per varied value.

    The change is the mean over seeds of (value at the point - value at the base point)
    of the same seed, with the percentile bootstrap interval of that mean.  Values equal
    to the base value are left out (their change is 0 by construction).

    Returns
    -------
    list of Effect
        Grouped by axis, axes in decreasing order of their largest absolute change,
        values of an axis in ascending order.

    Raises
    ------
    SweepPlotError
        If the sweep is not one_at_a_time.
    """
    if data.kind != "one_at_a_time":
        raise SweepPlotError(f"sensitivity: kind = {data.kind!r}; expected a 'one_at_a_time' sweep")
    condition = condition if condition is not None else data.conditions[0]
    rows = measure_mask(data, measure, condition)
    base_rows = rows & (data.varied == "")
    base = _by_seed(data, base_rows)
    groups = []
    for info in select_axes(data, paths):
        varied = rows & (data.varied == info.path)
        base_text = set(data.texts[info.path][base_rows].tolist())
        effects = []
        for value in data.order(info.path, data.coords[info.path][varied]):
            at = varied & (data.coords[info.path] == value)
            text = data.texts[info.path][at][0]
            if text in base_text:
                continue
            point = _by_seed(data, at)
            diffs = np.asarray([point[s] - base[s] for s in point if s in base], dtype=float)
            delta, lo, hi, n = _mean_ci(diffs, n_boot, ci)
            effects.append(Effect(info.path, text, delta, lo, hi, n))
        if effects:
            groups.append(effects)
    groups.sort(key=_largest_change, reverse=True)
    return [effect for group in groups for effect in group]


def _largest_change(effects: list[Effect]) -> float:
    sizes = [abs(e.delta) for e in effects if math.isfinite(e.delta)]
    return max(sizes, default=-1.0)


# --------------------------------------------------------------------------- xarray


def _import_xarray():
    try:
        import xarray
    except ImportError as err:
        raise ImportError(
            "neuroplast.studies.sweep_summary.as_xarray needs xarray, an optional dependency; "
            f"install it with: pip install 'neuroplast[{XARRAY_EXTRA}]' (or pip install xarray)"
        ) from err
    return xarray


def _coord(data: SweepData, path: str, dim: str, values) -> tuple:
    """An axis coordinate along ``dim``, with its unit in the attributes."""
    info = data.axis(path)
    attrs = {"units": info.unit} if info.unit else {}
    values = np.asarray(values, dtype=float if info.numeric else str)
    return (dim, values, attrs)


def _measure_array(xr, data: SweepData, measure: str, grid: bool):
    rows = np.flatnonzero(data.measure == measure)
    dims: list[str] = []
    shape: list[int] = []
    index: list[np.ndarray] = []
    coords: dict[str, Any] = {}
    if grid:
        for info in data.axes:
            order = data.order(info.path)
            dims.append(info.path)
            shape.append(len(order))
            index.append(positions(data.coords[info.path][rows], order))
            coords[info.path] = _coord(data, info.path, info.path, order)
    else:
        dims.append("point")
        shape.append(len(data.points["point"]))
        index.append(positions(data.point[rows], data.points["point"].tolist()))
        coords["point"] = data.points["point"]
        for info in data.axes:
            values = data.points["coords"][info.path]
            coords[info.path] = _coord(data, info.path, "point", values)
        if data.kind == "one_at_a_time":
            coords["varied"] = ("point", data.points["varied"].astype(str))
    conditions = data.conditions
    if len(conditions) > 1:
        dims.append("condition")
        shape.append(len(conditions))
        index.append(positions(data.condition[rows], conditions))
        coords["condition"] = conditions
    else:
        coords["condition"] = conditions[0]
    dims.append("seed")
    shape.append(len(data.all_seeds))
    index.append(positions(data.seed[rows], list(data.all_seeds)))
    coords["seed"] = list(data.all_seeds)
    values = np.full(shape, math.nan)
    values[tuple(index)] = data.value[rows]
    attrs = {"measure": measure, "time": f"last time point of each run ({data.last_time(measure)})"}
    return xr.DataArray(values, dims=dims, coords=coords, name=measure, attrs=attrs)


def as_xarray(source, measure: str | None = None):
    """The sweep's last-time values as an xarray object, with swept values as coordinates.

    Parameters
    ----------
    source : str, Path, SweepData or pyarrow.Table
        A sweep directory, its table (file or pyarrow), or data from
        :func:`load_sweep_data`.
    measure : str, optional
        One measure (a DataArray); default: every measure (a Dataset).

    Returns
    -------
    xarray.DataArray or xarray.Dataset
        ``grid`` sweeps: dimensions ``(*axis paths, seed)``, each axis indexed by its
        values (numbers in the unit of ``attrs['units']``, or text).  Other kinds:
        ``(point, seed)`` with each swept path a coordinate along ``point`` (and
        ``varied`` for one_at_a_time).  With several conditions a ``condition``
        dimension comes before ``seed``.  Failed or missing runs are NaN.

    Raises
    ------
    ImportError
        If xarray is not installed (names the extra that brings it).
    SweepPlotError,
        For an unknown measure.
    """
    xr = _import_xarray()
    data = source if isinstance(source, SweepData) else load_sweep_data(source)
    names = select_measures(data, [measure] if measure else None)
    grid = data.kind == "grid" and is_cartesian(data.points)
    arrays = {name: _measure_array(xr, data, name, grid) for name in names}
    if measure:
        return arrays[measure]
    attrs = {"sweep": data.name, "kind": data.kind, "failed_runs": data.n_failed}
    return xr.Dataset(arrays, attrs=attrs)
