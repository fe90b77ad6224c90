"""The tidy measures table: read it, view it as columns, split it into series per run."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from neuroplast.analysis.measures import MeasureRow

#: Columns of the tidy measures table (see :class:`neuroplast.analysis.measures.MeasureRow`).
TABLE_COLUMNS = tuple(f.name for f in fields(MeasureRow))

#: Fewest seeds for a bootstrap interval; below this the interval is NaN.
MIN_SEEDS_FOR_CI = 3

#: Samples this close (biological days) beyond a run's first or last sample still count
#: as inside it: bio_time_days is a sum of float steps, so a run meant to end on day 28
#: may end on day 27.999999999.  1e-6 d is 0.09 s of biological time.
EDGE_TOLERANCE_DAYS = 1e-6

#: A day (one value) or a window of days (start, end).
DayOrWindow = float | tuple[float, float]


def columns(table, names: Sequence[str] = TABLE_COLUMNS) -> dict[str, np.ndarray]:
    """Columns ``names`` of a table as numpy arrays.

    Parameters
    ----------
    table : list of rows, mapping of columns, or DataFrame-like
        Rows may be dataclasses (e.g. :class:`~neuroplast.analysis.measures.MeasureRow`) or dicts.
        Anything that is not a list of rows must support ``table[name]``.
    names : sequence of str
        Columns to extract.

    Returns
    -------
    dict of str to numpy.ndarray
        One array per name, all of the same length.

    Raises
    ------
    ValueError
        If a column is missing.
    """
    if isinstance(table, Mapping) or hasattr(table, "columns"):
        missing = [n for n in names if n not in table]
        if missing:
            raise ValueError(f"table has no column(s) {missing}; expected {list(names)}")
        return {n: np.asarray(table[n]) for n in names}
    rows = list(table)
    out = {}
    for name in names:
        try:
            values = [r[name] if isinstance(r, Mapping) else getattr(r, name) for r in rows]
        except (KeyError, AttributeError) as err:
            raise ValueError(f"a row has no field {name!r}; expected {list(names)}") from err
        out[name] = np.asarray(values)
    return out


def read_measures(paths: Path | Iterable[Path]) -> list[MeasureRow]:
    """Read one or several ``measures.csv`` files (:mod:`neuroplast.simulation.storage`) as rows."""
    if isinstance(paths, str | Path):
        paths = [paths]
    rows = []
    for path in paths:
        with Path(path).open(newline="") as handle:
            for r in csv.DictReader(handle):
                rows.append(
                    MeasureRow(
                        condition=r["condition"],
                        seed=int(r["seed"]),
                        bio_time_days=float(r["bio_time_days"]),
                        sim_time_s=float(r["sim_time_s"]),
                        measure=r["measure"],
                        value=float(r["value"]),
                    )
                )
    return rows


def ordered_unique(values: np.ndarray) -> list:
    """Distinct values in order of first appearance."""
    _, first = np.unique(values, return_index=True)
    as_list = values.tolist()
    return [as_list[i] for i in np.sort(first)]


@dataclass(frozen=True, eq=False)
class _Series:
    """One run's samples of one measure, sorted by biological day, duplicates averaged."""

    condition: str
    seed: int
    days: np.ndarray
    sim_time_s: np.ndarray
    values: np.ndarray

    def at(self, day: float) -> tuple[float, float]:
        """(value, sim_time_s) linearly interpolated at ``day``; NaN outside the run."""
        lo, hi = self.days[0] - EDGE_TOLERANCE_DAYS, self.days[-1] + EDGE_TOLERANCE_DAYS
        if not lo <= day <= hi:
            return math.nan, math.nan
        day = min(max(day, self.days[0]), self.days[-1])
        return (
            float(np.interp(day, self.days, self.values)),
            float(np.interp(day, self.days, self.sim_time_s)),
        )

    def window_mean(self, start: float, end: float) -> float:
        """Time-weighted mean over [start, end] of the linear interpolant; NaN if not covered."""
        if end < start:
            raise ValueError(f"window end {end} is before its start {start}")
        if start < self.days[0] - EDGE_TOLERANCE_DAYS or end > self.days[-1] + EDGE_TOLERANCE_DAYS:
            return math.nan
        if end == start:
            return self.at(start)[0]
        inside = self.days[(self.days > start) & (self.days < end)]
        grid = np.concatenate([[start], inside, [end]])
        y = np.interp(grid, self.days, self.values)
        # trapezoid rule on the interpolant's own knots is exact for a piecewise-linear series
        return float(np.sum(np.diff(grid) * 0.5 * (y[1:] + y[:-1])) / (end - start))

    def value(self, at: DayOrWindow) -> float:
        """Value at a day, or mean over a window (start, end)."""
        if isinstance(at, tuple | list):
            return self.window_mean(float(at[0]), float(at[1]))
        return self.at(float(at))[0]


def run_series(cols: dict[str, np.ndarray], measure: str) -> list[_Series]:
    """Every run's series of ``measure``, runs in order of first appearance in the table."""
    mask = cols["measure"] == measure
    if not mask.any():
        available = sorted(set(cols["measure"].tolist()))
        raise ValueError(f"measure {measure!r} is not in the table; available: {available}")
    cond, seed = cols["condition"][mask], cols["seed"][mask].astype(np.int64)
    days = cols["bio_time_days"][mask].astype(float)
    sim = cols["sim_time_s"][mask].astype(float)
    vals = cols["value"][mask].astype(float)
    runs = []
    for c in ordered_unique(cond):
        in_cond = cond == c
        for s in sorted(set(seed[in_cond].tolist())):
            sel = in_cond & (seed == s)
            # average samples that share a day (e.g. a rate window ending on a slow sample)
            d, inverse = np.unique(days[sel], return_inverse=True)
            counts = np.bincount(inverse)
            v = np.bincount(inverse, weights=vals[sel]) / counts
            t = np.bincount(inverse, weights=sim[sel]) / counts
            runs.append(_Series(str(c), int(s), d, t, v))
    return runs
