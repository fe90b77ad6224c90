"""Summaries across seeds, comparisons between conditions, and the recovery index."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass

import numpy as np

from neuroplast.analysis.measures import PAIRED_SUFFIX, MeasureRow
from neuroplast.analysis.stats.bootstrap import (
    Resampled,
    bootstrap_ci,
    cell_generator,
    check_level,
    finite,
    hedges_g,
    hedges_g_replicates,
    percentile_interval,
    resample,
    resample_indices,
    values_at,
)
from neuroplast.analysis.stats.tables import MIN_SEEDS_FOR_CI, DayOrWindow, columns, run_series


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
    check_level(n_boot, ci)
    cols = columns(table)
    rows = []
    for measure in measures:
        res = resample(cols, measure, days)
        for condition in conditions if conditions is not None else res.conditions:
            block = res.of(condition)
            for k, day in enumerate(res.days):
                x = finite(block[:, k])
                mean, sd = _mean_sd(x)
                gen = cell_generator(rng, condition, measure, float(day))
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
    check_level(n_boot, ci)
    when, start, end = _describe(at)
    res = values_at(table, measure, at)
    for name in (a, b):
        if name not in res.conditions:
            raise ValueError(
                f"condition {name!r} has no runs with {measure!r}; present: {res.conditions}"
            )
    x_a, x_b = finite(res.of(a)[:, 0]), finite(res.of(b)[:, 0])
    mean_a, _ = _mean_sd(x_a)
    mean_b, _ = _mean_sd(x_b)
    d_ci = g_ci = (math.nan, math.nan)
    if min(x_a.size, x_b.size) >= MIN_SEEDS_FOR_CI:
        gen = cell_generator(rng, measure, a, b, start, end)
        boot_a = x_a[resample_indices(gen, x_a.size, n_boot)]
        boot_b = x_b[resample_indices(gen, x_b.size, n_boot)]
        d_ci = percentile_interval(boot_b.mean(axis=1) - boot_a.mean(axis=1), ci)
        g_ci = percentile_interval(hedges_g_replicates(boot_a, boot_b), ci)
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
    diffs = finite([values_b[s][0] - values_a[s][0] for s in values_a if s in values_b])
    mean = float(diffs.mean()) if diffs.size else math.nan
    rng, *names = keys
    low, high = bootstrap_ci(diffs, n_boot=n_boot, ci=ci, rng=cell_generator(rng, "paired", *names))
    return {
        "n_pairs": int(diffs.size),
        "paired_difference": mean,
        "paired_ci_low": low,
        "paired_ci_high": high,
    }


#: The experiments' ``rtol`` for the recovery index of the E->E count: a run whose stress
#: changed its count by at most this fraction has no index (NaN, not counted in n).  The
#: baseline net drift a healthy network may show (C2: within +-5 % over a week) cannot
#: be told from such an effect, and the index divides by it (a small network's noisy set
#: points have made stress *raise* the count by 2-4 %, giving indices of -25).
STRESS_EFFECT_FLOOR = 0.05


def recovery_index(x_post, x_stress, x_baseline, rtol: float = 1e-9):
    """Recovery index ``R = (X_post - X_stress) / (X_baseline - X_stress)`` (model docs §8).

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
    for run in run_series(columns(table), measure):
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
