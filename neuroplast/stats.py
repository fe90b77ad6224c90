"""Statistics across seeds of an experiment: resampling, bootstrap intervals, effect sizes.

An experiment runs named conditions (``control``, ``ketamine``, ...) x seeds; each run
writes the tidy table of :class:`neuroplast.measures.MeasureRow` (``condition, seed,
bio_time_days, sim_time_s, measure, value``).  Runs of different conditions sample
biological time on different grids (the slow clock runs slower around sessions), so
every statistic here first puts each run's series on a common grid of biological days by
linear interpolation (:func:`resample`), or averages it over a window of days.

The unit of replication is the run (one seed): a statistic across seeds treats each
run's value as one independent observation.  Conditions are compared as independent
groups; with ``paired_conditions`` (default) the conditions of one seed share network,
noise and clock (:func:`neuroplast.experiment.run_seeds`), which makes those intervals
conservative, so :func:`compare` also gives the paired difference: the mean over seeds of
the within-seed difference, with a bootstrap interval over seeds.

Intervals are percentile bootstrap intervals of the mean (Efron & Tibshirani 1993,
*An Introduction to the Bootstrap*, Chapman & Hall, ch. 13); effect sizes are Hedges' g
(Hedges 1981, J Educ Stat 6:107).  No p-values are computed: a report states what was
compared, the difference with its interval, and the effect size with its interval.

Everything is deterministic given ``rng`` (an int seed, default 0): the random stream of
each cell (condition, measure, day) is derived from that seed and the cell's names, so
adding a condition or a measure does not change the intervals of the others.

numpy only (pandas is not a dependency of neuroplast); tables may be given as a list of
rows (dataclasses or dicts), a mapping of columns, or anything with ``table[column]``
such as a pandas DataFrame.
"""

from __future__ import annotations

import csv
import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path

import numpy as np

from neuroplast.measures import PAIRED_SUFFIX, MeasureRow

__all__ = [
    "Comparison",
    "Resampled",
    "SummaryRow",
    "as_dicts",
    "bootstrap_ci",
    "columns",
    "compare",
    "hedges_g",
    "paired_difference_rows",
    "read_measures",
    "recovery_index",
    "recovery_rows",
    "resample",
    "recovery_days",
    "sample_days",
    "summarize",
    "window_means",
]

#: Columns of the tidy measures table (see :class:`neuroplast.measures.MeasureRow`).
TABLE_COLUMNS = tuple(f.name for f in fields(MeasureRow))

#: Fewest seeds for a bootstrap interval; below this the interval is NaN.
MIN_SEEDS_FOR_CI = 3

#: Samples this close (biological days) beyond a run's first or last sample still count
#: as inside it: bio_time_days is a sum of float steps, so a run meant to end on day 28
#: may end on day 27.999999999.  1e-6 d is 0.09 s of biological time.
EDGE_TOLERANCE_DAYS = 1e-6

#: A day (one value) or a window of days (start, end).
DayOrWindow = float | tuple[float, float]


# ---------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------


def columns(table, names: Sequence[str] = TABLE_COLUMNS) -> dict[str, np.ndarray]:
    """Columns ``names`` of a table as numpy arrays.

    Parameters
    ----------
    table : list of rows, mapping of columns, or DataFrame-like
        Rows may be dataclasses (e.g. :class:`~neuroplast.measures.MeasureRow`) or dicts.
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
    """Read one or several ``measures.csv`` files (see :mod:`neuroplast.storage`) into rows."""
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


def _ordered_unique(values: np.ndarray) -> list:
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


def _series(cols: dict[str, np.ndarray], measure: str) -> list[_Series]:
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
    for c in _ordered_unique(cond):
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


# ---------------------------------------------------------------------------------------
# resampling
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Resampled:
    """One measure of every run on a common grid of biological days.

    Attributes
    ----------
    measure : str
    days : numpy.ndarray
        The grid, shape ``(n_days,)``.
    condition, seed : numpy.ndarray
        Condition name and seed of each run, shape ``(n_runs,)``.
    values : numpy.ndarray
        Shape ``(n_runs, n_days)``; NaN where a run does not cover the day.
    """

    measure: str
    days: np.ndarray
    condition: np.ndarray
    seed: np.ndarray
    values: np.ndarray

    @property
    def conditions(self) -> list[str]:
        """Condition names in order of first appearance."""
        return _ordered_unique(self.condition) if len(self.condition) else []

    def of(self, condition: str) -> np.ndarray:
        """Values of the runs of ``condition``, shape ``(n_seeds, n_days)``."""
        return self.values[self.condition == condition]

    def by_seed(self, condition: str) -> dict[int, np.ndarray]:
        """Values of the runs of ``condition`` keyed by seed (for pairing conditions)."""
        rows = self.condition == condition
        return dict(zip(self.seed[rows].tolist(), self.values[rows], strict=True))


def resample(table, measure: str, days) -> Resampled:
    """Interpolate ``measure`` of every (condition, seed) run onto common biological days.

    Linear interpolation between a run's samples (``numpy.interp``); no extrapolation:
    a day before a run's first or after its last sample (beyond
    ``EDGE_TOLERANCE_DAYS`` of round-off) gives NaN.  Samples of one run at the same day
    are averaged first.  A NaN sample makes the interpolant NaN on its neighbouring
    intervals (it is not skipped, so a gap is never bridged silently).

    Parameters
    ----------
    table : rows or columns
        The tidy measures table (see :func:`columns`).
    measure : str
        Name in the ``measure`` column.
    days : array_like
        Biological days of the common grid.

    Returns
    -------
    Resampled
        ``values[run, day]`` with ``condition[run]`` and ``seed[run]``.
    """
    grid = np.atleast_1d(np.asarray(days, dtype=float))
    runs = _series(columns(table), measure)
    values = np.array([[r.at(d)[0] for d in grid] for r in runs]).reshape(len(runs), len(grid))
    return Resampled(
        measure=measure,
        days=grid,
        condition=np.array([r.condition for r in runs]),
        seed=np.array([r.seed for r in runs], dtype=np.int64),
        values=values,
    )


def window_means(table, measure: str, start: float, end: float) -> Resampled:
    """Time-weighted mean of ``measure`` over days [start, end] for every run.

    The mean is the integral of the linear interpolant over the window divided by its
    length, so unevenly spaced samples (a slow clock around sessions puts many samples in
    a short stretch of biological time) do not weigh more.  A run that does not cover the
    whole window gives NaN.

    Returns
    -------
    Resampled
        One column; ``days`` holds the window's midpoint.
    """
    runs = _series(columns(table), measure)
    values = np.array([[r.window_mean(start, end)] for r in runs]).reshape(len(runs), 1)
    return Resampled(
        measure=measure,
        days=np.array([0.5 * (start + end)]),
        condition=np.array([r.condition for r in runs]),
        seed=np.array([r.seed for r in runs], dtype=np.int64),
        values=values,
    )


def _values_at(table, measure: str, at: DayOrWindow) -> Resampled:
    if isinstance(at, tuple | list):
        return window_means(table, measure, float(at[0]), float(at[1]))
    return resample(table, measure, [float(at)])


# ---------------------------------------------------------------------------------------
# bootstrap
# ---------------------------------------------------------------------------------------


def _generator(rng, *keys) -> np.random.Generator:
    """A Generator: ``rng`` itself, or one seeded by (rng, keys) so each cell has its stream."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    entropy = [int(rng)] + [zlib.crc32(repr(k).encode()) for k in keys]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def _check_level(n_boot: int, ci: float) -> None:
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1 (e.g. 0.95), got {ci}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot}")


def _finite(values) -> np.ndarray:
    values = np.asarray(values, dtype=float).ravel()
    return values[np.isfinite(values)]


def _resample_indices(gen: np.random.Generator, n: int, n_boot: int) -> np.ndarray:
    """Indices of ``n_boot`` resamples of size ``n`` drawn with replacement."""
    return gen.integers(0, n, size=(n_boot, n))


def _percentile_interval(replicates: np.ndarray, ci: float) -> tuple[float, float]:
    replicates = replicates[np.isfinite(replicates)]
    if replicates.size == 0:
        return math.nan, math.nan
    lo, hi = np.percentile(replicates, [50 * (1 - ci), 50 * (1 + ci)])
    return float(lo), float(hi)


def bootstrap_ci(values, n_boot: int = 10000, ci: float = 0.95, rng=0) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean across seeds.

    Draw ``n_boot`` resamples of the ``n`` values with replacement, take each one's mean,
    and return the ``(1 - ci)/2`` and ``(1 + ci)/2`` percentiles of those means (Efron &
    Tibshirani 1993, *An Introduction to the Bootstrap*, sec. 13.3).  The percentile
    interval is chosen because it needs no distributional assumption about the seed-to-
    seed spread and stays inside the range of attainable means (counts stay non-negative).

    Its known weakness is small ``n``: the bootstrap distribution of the mean has standard
    deviation ``s * sqrt((n - 1)/n) / sqrt(n)`` and normal-like tails, so the interval is
    too narrow (Hesterberg 2015, Am Stat 69:371, "narrowness bias").  For normal data and
    ``n = 8`` seeds a nominal 95 % interval covers the true mean about 89 % of the time;
    with ``n = 20`` about 93 %.  Read the intervals as approximate.

    With fewer than ``MIN_SEEDS_FOR_CI`` (3) finite values the interval is (NaN, NaN):
    resamples of 1 or 2 values take at most 3 distinct means, so the percentiles say
    nothing about the spread.  NaN values (runs not covering a day) are dropped first.

    Parameters
    ----------
    values : array_like
        One value per seed.
    n_boot : int
        Number of bootstrap resamples.
    ci : float
        Confidence level, e.g. 0.95.
    rng : int, numpy.random.Generator or None
        Seed (default 0, so results are reproducible) or a generator.

    Returns
    -------
    (float, float)
        Lower and upper bound of the interval.
    """
    _check_level(n_boot, ci)
    x = _finite(values)
    if x.size < MIN_SEEDS_FOR_CI:
        return math.nan, math.nan
    gen = _generator(rng)
    means = x[_resample_indices(gen, x.size, n_boot)].mean(axis=1)
    return _percentile_interval(means, ci)


def hedges_g(a, b) -> float:
    """Hedges' g of ``b`` relative to ``a`` (standardized difference of means).

    ``g = J * (mean_b - mean_a) / s_p`` with the pooled standard deviation
    ``s_p = sqrt(((n_a - 1) s_a^2 + (n_b - 1) s_b^2) / (n_a + n_b - 2))`` (``s`` with
    ``ddof = 1``) and the small-sample bias correction ``J = 1 - 3 / (4 (n_a + n_b) - 9)``
    (Hedges 1981, J Educ Stat 6:107: the approximation ``J(m) = 1 - 3/(4m - 1)`` with
    ``m = n_a + n_b - 2`` degrees of freedom; Hedges & Olkin 1985, *Statistical Methods for
    Meta-Analysis*, ch. 5).  NaN values are dropped; returns NaN with fewer than 2
    values in a group or a pooled standard deviation of 0.
    """
    a, b = _finite(a), _finite(b)
    return float(_hedges_g(a[None, :], b[None, :])[0]) if a.size and b.size else math.nan


def _hedges_g(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Hedges' g of 2-D arrays (one resample per row)."""
    n_a, n_b = a.shape[1], b.shape[1]
    if n_a < 2 or n_b < 2:
        return np.full(a.shape[0], math.nan)
    pooled_var = ((n_a - 1) * a.var(axis=1, ddof=1) + (n_b - 1) * b.var(axis=1, ddof=1)) / (
        n_a + n_b - 2
    )
    correction = 1 - 3 / (4 * (n_a + n_b) - 9)
    diff = b.mean(axis=1) - a.mean(axis=1)
    g = np.full(a.shape[0], math.nan)
    ok = pooled_var > 0  # a resample of identical values has no spread: g undefined
    g[ok] = correction * diff[ok] / np.sqrt(pooled_var[ok])
    return g


# ---------------------------------------------------------------------------------------
# summaries and comparisons
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    """Mean across seeds of one measure, one condition, one biological day."""

    condition: str
    measure: str
    bio_time_days: float
    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float


def _mean_sd(x: np.ndarray) -> tuple[float, float]:
    mean = float(x.mean()) if x.size else math.nan
    sd = float(x.std(ddof=1)) if x.size > 1 else math.nan
    return mean, sd


def sample_days(table, measures: Sequence[str], *, extra: Iterable[float] = ()) -> np.ndarray:
    """Sorted biological days at which any run sampled any of ``measures`` (and ``extra``).

    The grid for summaries that are drawn: the conditions of an experiment share one clock,
    so their samples fall on the same days, and a series summarized there keeps its peaks.
    A uniform grid coarser than a 40-min infusion would alias them (a concentration peak
    drawn at a fraction of its height, different for every dose).
    """
    cols = columns(table, ("measure", "bio_time_days"))
    wanted = np.isin(cols["measure"], list(measures))
    days = cols["bio_time_days"][wanted].astype(float)
    return np.unique(np.concatenate([days[np.isfinite(days)], np.asarray(list(extra), float)]))


def recovery_days(table, start: float, stop: float) -> np.ndarray:
    """The days at which the recovery index is computed (from ``start`` to ``stop``).

    The runs' own E->E sample days from the end of the stress to the last day every run
    covers, both ends included.  The conditions of an experiment share one clock, so
    these are every run's samples; a coarser grid would smear a fast change (an
    ablation, a dose's surge) over its spacing when the index is interpolated.
    """
    days = sample_days(table, ["ee_synapses"], extra=[start, stop])
    return days[(days >= start) & (days <= stop)]


def paired_difference_rows(table, measure: str, reference: str, days) -> list[MeasureRow]:
    """Each run's ``measure`` minus the same seed's ``reference`` run, on common days.

    For runs made with ``paired_conditions`` (the conditions of one seed share network,
    noise and clock): the series of every (condition, seed) and of (reference, seed) are
    interpolated onto ``days`` (:func:`resample`) and subtracted.  The rows are named
    ``<measure>_vs_<reference>`` with ``sim_time_s`` NaN; :func:`summarize` of them gives
    the mean paired difference across seeds with its bootstrap band.  Seeds without a
    reference run are left out; the reference itself (all zeros) is not listed.
    """
    res = resample(table, measure, days)
    if reference not in res.conditions:
        raise ValueError(
            f"condition {reference!r} has no runs with {measure!r}; present: {res.conditions}"
        )
    base = res.by_seed(reference)
    name = f"{measure}{PAIRED_SUFFIX}{reference}"
    rows = []
    for condition in res.conditions:
        if condition == reference:
            continue
        for seed, values in res.by_seed(condition).items():
            if seed not in base:
                continue
            rows += [
                MeasureRow(str(condition), int(seed), float(d), math.nan, name, float(v))
                for d, v in zip(res.days, values - base[seed], strict=True)
            ]
    return rows


def summarize(
    table,
    measures: Sequence[str],
    days,
    *,
    conditions: Sequence[str] | None = None,
    n_boot: int = 10000,
    ci: float = 0.95,
    rng=0,
) -> list[SummaryRow]:
    """Mean, SD and bootstrap CI across seeds per condition x measure x day.

    Each run is first interpolated onto ``days`` (:func:`resample`); ``n`` counts the runs
    that cover the day.  ``sd`` uses ``ddof = 1`` (NaN for n < 2); the interval is
    :func:`bootstrap_ci` (NaN for n < 3).

    Parameters
    ----------
    table : rows or columns
        The tidy measures table.
    measures : sequence of str
    days : array_like
        Biological days.
    conditions : sequence of str, optional
        Conditions and their order; default all, in order of first appearance.
    n_boot, ci, rng
        As in :func:`bootstrap_ci`; each cell's stream derives from ``rng`` and the cell.

    Returns
    -------
    list of SummaryRow
        Columns ``condition, measure, bio_time_days, n, mean, sd, ci_low, ci_high``.
    """
    _check_level(n_boot, ci)
    cols = columns(table)
    rows = []
    for measure in measures:
        res = resample(cols, measure, days)
        for condition in conditions if conditions is not None else res.conditions:
            block = res.of(condition)
            for k, day in enumerate(res.days):
                x = _finite(block[:, k])
                mean, sd = _mean_sd(x)
                gen = _generator(rng, condition, measure, float(day))
                low, high = bootstrap_ci(x, n_boot=n_boot, ci=ci, rng=gen)
                rows.append(
                    SummaryRow(condition, measure, float(day), int(x.size), mean, sd, low, high)
                )
    return rows


@dataclass(frozen=True)
class Comparison:
    """Condition ``b`` against condition ``a`` for one measure at one day or window.

    ``difference = mean_b - mean_a``; intervals at level ``ci`` from ``n_boot`` bootstrap
    resamples.  For a single day ``bio_day_start == bio_day_end``.  With ``paired``, the
    runs of ``a`` and ``b`` with the same seed are pairs: ``paired_difference`` is the mean
    of their ``n_pairs`` differences ``b - a``, with its interval; otherwise those are NaN.
    """

    measure: str
    when: str
    bio_day_start: float
    bio_day_end: float
    a: str
    b: str
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    difference: float
    difference_ci_low: float
    difference_ci_high: float
    hedges_g: float
    hedges_g_ci_low: float
    hedges_g_ci_high: float
    ci: float
    n_boot: int
    paired: bool = False
    n_pairs: int = 0
    paired_difference: float = math.nan
    paired_ci_low: float = math.nan
    paired_ci_high: float = math.nan


def _describe(at: DayOrWindow) -> tuple[str, float, float]:
    if isinstance(at, tuple | list):
        start, end = float(at[0]), float(at[1])
        return f"days {start:g}–{end:g}", start, end
    return f"day {float(at):g}", float(at), float(at)


def compare(
    table,
    measure: str,
    a: str,
    b: str,
    at: DayOrWindow,
    *,
    label: str | None = None,
    paired: bool = False,
    n_boot: int = 10000,
    ci: float = 0.95,
    rng=0,
) -> Comparison:
    """Difference of means ``b - a`` and Hedges' g, each with a bootstrap interval.

    Each run contributes one value: the measure interpolated at day ``at``, or its
    time-weighted mean over the window ``at = (start, end)`` (:func:`window_means`).
    Runs not covering ``at`` are left out (``n_a``, ``n_b`` count the rest).

    Difference: ``D = mean_b - mean_a``.  Hedges' g: ``g = J D / s_p`` with pooled SD
    ``s_p`` and ``J = 1 - 3 / (4 (n_a + n_b) - 9)`` (Hedges 1981; see :func:`hedges_g`).
    Both intervals are percentile bootstrap intervals (Efron & Tibshirani 1993, sec. 13.3
    and ch. 8 for two-sample problems): each replicate resamples the seeds of ``a`` and
    the seeds of ``b`` independently, with replacement and at their own sizes, and
    recomputes D and g; replicates whose pooled SD is 0 (all resampled values equal) have
    no g and are dropped from its percentiles.  Intervals are NaN when either group has
    fewer than 3 seeds.

    Unpaired: the groups are resampled independently, which is conservative when the
    conditions of a seed share network and noise (``paired_conditions``, the default).

    Paired (``paired=True``, for runs made with ``paired_conditions``): the runs of ``a``
    and ``b`` with the same seed form a pair, and ``d_s = b_s - a_s``.  The paired
    difference is the mean of the ``d_s`` and its interval the percentile bootstrap of
    that mean over seeds (:func:`bootstrap_ci` of the ``d_s``): the spread that the two
    conditions of a seed share (its network, its noise) cancels in ``d_s``.  Seeds with a
    finite value in only one condition are left out of the pairs.  The means, the
    unpaired difference and Hedges' g are computed as without pairing.

    No p-value is computed; the interval and effect size are the result.

    Parameters
    ----------
    table : rows or columns
        The tidy measures table.
    measure : str
    a, b : str
        Reference condition and compared condition.
    at : float or (float, float)
        Biological day, or window of days.
    label : str, optional
        Name of the time point for tables and plots (e.g. ``"end of treatment"``);
        default ``"day 28"`` or ``"days 21–28"``.
    paired : bool
        Also compute the paired difference (above).
    n_boot, ci, rng
        As in :func:`bootstrap_ci`.

    Returns
    -------
    Comparison
    """
    _check_level(n_boot, ci)
    when, start, end = _describe(at)
    res = _values_at(table, measure, at)
    for name in (a, b):
        if name not in res.conditions:
            raise ValueError(
                f"condition {name!r} has no runs with {measure!r}; present: {res.conditions}"
            )
    x_a, x_b = _finite(res.of(a)[:, 0]), _finite(res.of(b)[:, 0])
    mean_a, _ = _mean_sd(x_a)
    mean_b, _ = _mean_sd(x_b)
    d_ci = g_ci = (math.nan, math.nan)
    if min(x_a.size, x_b.size) >= MIN_SEEDS_FOR_CI:
        gen = _generator(rng, measure, a, b, start, end)
        boot_a = x_a[_resample_indices(gen, x_a.size, n_boot)]
        boot_b = x_b[_resample_indices(gen, x_b.size, n_boot)]
        d_ci = _percentile_interval(boot_b.mean(axis=1) - boot_a.mean(axis=1), ci)
        g_ci = _percentile_interval(_hedges_g(boot_a, boot_b), ci)
    pairs = {}
    if paired:
        pairs = _paired_difference(res, a, b, n_boot, ci, (rng, measure, a, b, start, end))
    return Comparison(
        measure=measure,
        when=label if label is not None else when,
        bio_day_start=start,
        bio_day_end=end,
        a=a,
        b=b,
        n_a=int(x_a.size),
        n_b=int(x_b.size),
        mean_a=mean_a,
        mean_b=mean_b,
        difference=mean_b - mean_a,
        difference_ci_low=d_ci[0],
        difference_ci_high=d_ci[1],
        hedges_g=hedges_g(x_a, x_b),
        hedges_g_ci_low=g_ci[0],
        hedges_g_ci_high=g_ci[1],
        ci=ci,
        n_boot=n_boot,
        paired=paired,
        **pairs,
    )


def _paired_difference(res: Resampled, a: str, b: str, n_boot: int, ci: float, keys) -> dict:
    """``n_pairs``, ``paired_difference`` and its interval (see :func:`compare`)."""
    values_a, values_b = res.by_seed(a), res.by_seed(b)
    diffs = _finite([values_b[s][0] - values_a[s][0] for s in values_a if s in values_b])
    mean = float(diffs.mean()) if diffs.size else math.nan
    rng, *names = keys
    low, high = bootstrap_ci(diffs, n_boot=n_boot, ci=ci, rng=_generator(rng, "paired", *names))
    return {
        "n_pairs": int(diffs.size),
        "paired_difference": mean,
        "paired_ci_low": low,
        "paired_ci_high": high,
    }


# ---------------------------------------------------------------------------------------
# recovery
# ---------------------------------------------------------------------------------------


def recovery_index(x_post, x_stress, x_baseline, rtol: float = 1e-9):
    """Recovery index ``R = (X_post - X_stress) / (X_baseline - X_stress)`` (SCIENCE.md sec. 8).

    ``R = 1``: back at baseline; ``R = 0``: no recovery from the stressed value; ``R < 0``:
    further loss; ``R > 1``: overshoot.  Arguments broadcast like numpy arrays.

    The index divides by the stress effect ``X_baseline - X_stress``.  When stress did not
    change X, the ratio is 0/0 or x/0 and has no meaning (and a tiny effect turns noise in
    X_post into huge indices), so R is NaN wherever
    ``|X_baseline - X_stress| <= rtol * max(|X_baseline|, |X_stress|)``, or where an input
    is NaN.  The default ``rtol`` only catches round-off; pass e.g. ``rtol=0.02`` to leave
    out runs in which stress changed X by less than 2 %.

    Returns
    -------
    float or numpy.ndarray
        A float for scalar inputs.
    """
    post, stress, base = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (x_post, x_stress, x_baseline))
    )
    effect = base - stress
    scale = np.maximum(np.abs(base), np.abs(stress))
    ok = np.isfinite(effect) & (np.abs(effect) > rtol * scale)
    index = np.full(effect.shape, math.nan)
    np.divide(post - stress, effect, out=index, where=ok)
    return float(index) if index.ndim == 0 else index


def recovery_rows(
    table,
    measure: str,
    baseline: DayOrWindow,
    stress: DayOrWindow,
    post_days,
    rtol: float = 1e-9,
) -> list[MeasureRow]:
    """Per-run recovery index of ``measure`` at ``post_days``, as tidy measure rows.

    For each run: ``X_baseline`` and ``X_stress`` are its value at a day (or mean over a
    window, see :func:`window_means`), ``X_post`` its interpolated value at each post day,
    and the index is :func:`recovery_index`.  The rows are named
    ``recovery_index_<measure>`` and can go to :func:`summarize` and :func:`compare` like
    any measure.  ``sim_time_s`` is the run's network time interpolated at the day.
    """
    name = f"recovery_index_{measure}"
    rows = []
    for run in _series(columns(table), measure):
        x_base, x_stress = run.value(baseline), run.value(stress)
        for day in np.atleast_1d(np.asarray(post_days, dtype=float)):
            x_post, sim_time = run.at(float(day))
            value = recovery_index(x_post, x_stress, x_base, rtol=rtol)
            rows.append(MeasureRow(run.condition, run.seed, float(day), sim_time, name, value))
    return rows


def as_dicts(rows: Iterable) -> list[dict]:
    """Rows (dataclasses) as plain dicts, e.g. for JSON or a DataFrame constructor."""
    return [
        {f.name: getattr(r, f.name) for f in fields(r)} if is_dataclass(r) else dict(r)
        for r in rows
    ]
