"""Statistics across seeds of an experiment: resampling, bootstrap intervals, effect sizes.

An experiment runs named conditions (``control``, ``ketamine``, ...) x seeds; each run
writes the tidy table of :class:`neuroplast.analysis.measures.MeasureRow` (``condition, seed,
bio_time_days, sim_time_s, measure, value``).  Runs of different conditions sample
biological time on different grids (the slow clock runs slower around sessions), so
every statistic here first puts each run's series on a common grid of biological days by
linear interpolation (:func:`resample`), or averages it over a window of days.

The unit of replication is the run (one seed): a statistic across seeds treats each
run's value as one independent observation.  Conditions are compared as independent
groups; with ``paired_conditions`` (default) the conditions of one seed share network,
noise and clock (:func:`neuroplast.simulation.simulate.run_seeds`), which makes those intervals
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

The package, one module per job: ``tables`` (the tidy table: reading it, columns, series
per run), ``bootstrap`` (series on a common grid of days, bootstrap intervals, Hedges'
g), ``summaries`` (summaries across seeds, comparisons, the recovery index).
"""

from neuroplast.analysis.stats.bootstrap import (
    Resampled,
    bootstrap_ci,
    hedges_g,
    percentile_coverage,
    resample,
    window_means,
)
from neuroplast.analysis.stats.summaries import (
    STRESS_EFFECT_FLOOR,
    Comparison,
    SummaryRow,
    as_dicts,
    compare,
    paired_difference_rows,
    recovery_days,
    recovery_index,
    recovery_rows,
    sample_days,
    summarize,
)
from neuroplast.analysis.stats.tables import (
    EDGE_TOLERANCE_DAYS,
    MIN_SEEDS_FOR_CI,
    TABLE_COLUMNS,
    DayOrWindow,
    columns,
    read_measures,
)

__all__ = [
    "EDGE_TOLERANCE_DAYS",
    "MIN_SEEDS_FOR_CI",
    "TABLE_COLUMNS",
    "DayOrWindow",
    "Comparison",
    "Resampled",
    "SummaryRow",
    "as_dicts",
    "bootstrap_ci",
    "columns",
    "compare",
    "hedges_g",
    "paired_difference_rows",
    "percentile_coverage",
    "read_measures",
    "recovery_days",
    "STRESS_EFFECT_FLOOR",
    "recovery_index",
    "recovery_rows",
    "resample",
    "sample_days",
    "summarize",
    "window_means",
]
