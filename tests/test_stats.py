"""Statistics across seeds, the experiment figures and the report (neuroplast.analysis.stats)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_same_records

from neuroplast.analysis.measures import MeasureRow
from neuroplast.analysis.stats import (
    STRESS_EFFECT_FLOOR,
    bootstrap_ci,
    compare,
    hedges_g,
    paired_difference_rows,
    percentile_coverage,
    read_measures,
    recovery_index,
    recovery_rows,
    resample,
    sample_days,
    summarize,
    window_means,
)
from neuroplast.plots.experiment import (
    condition_colours,
    measure_label,
    plot_comparisons,
    plot_measure_grid,
    plot_recovery_curves,
)
from neuroplast.simulation.storage import write_measures
from neuroplast.studies.report import format_number, write_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def rows_of(condition, seed, days, values, measure="ee_synapses"):
    return [
        MeasureRow(condition, seed, float(d), 100.0 * float(d), measure, float(v))
        for d, v in zip(days, values, strict=True)
    ]


def experiment(shift: float, n_seeds: int = 8, rng_seed: int = 1) -> list[MeasureRow]:
    """Two conditions on different time grids; ``treated`` is ``control`` + ``shift``."""
    gen = np.random.default_rng(rng_seed)
    rows = []
    control_days = np.linspace(0, 28, 57)
    # a slower clock around a session: dense samples between days 21 and 22
    treated_days = np.unique(np.concatenate([np.linspace(0, 28, 29), np.linspace(21, 22, 40)]))
    for seed in range(n_seeds):
        for condition, days, offset in (
            ("control", control_days, 0.0),
            ("treated", treated_days, shift),
        ):
            level = 1000 + offset + gen.normal(0, 20)  # run-to-run spread
            rows += rows_of(condition, seed + 100 * (condition == "treated"), days, level - days)
    return rows


# --- bootstrap ---------------------------------------------------------------------------


def test_bootstrap_ci_covers_true_mean_at_about_nominal_rate():
    # Percentile bootstrap of the mean with n = 8 normal values: its spread is too narrow by
    # sqrt(7/8) and uses normal rather than t tails, so the expected coverage of a nominal
    # 95 % interval is P(|t_7| < 1.96 sqrt(7/8)) ~ 0.89, not 0.95 (Hesterberg 2015).  With
    # 1000 simulated experiments the binomial SE of the observed rate is ~0.01, so 0.85 sits
    # ~4 SE below the expected rate; above 0.99 the intervals would be far too wide.
    gen = np.random.default_rng(2024)
    true_mean, n_experiments = 5.0, 1000
    hits = 0
    for k in range(n_experiments):
        sample = gen.normal(true_mean, 2.0, size=8)
        low, high = bootstrap_ci(sample, n_boot=1000, rng=k)
        hits += low <= true_mean <= high
    assert 0.85 <= hits / n_experiments <= 0.99


def _t_coverage(n: int, z: float = 1.959964) -> float:
    """P(|t_(n-1)| < z sqrt((n-1)/n)): Student's t density integrated numerically."""
    df, c = n - 1, z * math.sqrt((n - 1) / n)
    t = np.linspace(-c, c, 200_001)
    norm = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
    density = norm * (1 + t**2 / df) ** (-(df + 1) / 2)
    return float(np.sum((density[1:] + density[:-1]) / 2 * np.diff(t)))


@pytest.mark.parametrize("n", [3, 8])
def test_percentile_coverage_matches_the_narrowness_bias_of_the_bootstrap(n):
    # The bootstrap distribution of the mean is about normal with sd s sqrt((n-1)/n)/sqrt(n),
    # so the coverage of a nominal 95 % percentile interval is about P(|t_(n-1)| < 1.96
    # sqrt((n-1)/n)) (Hesterberg 2015): 0.749 at n = 3, 0.889 at n = 8.  The Monte Carlo of
    # 4000 samples has a binomial SE of <= 0.007, so 0.025 allows 3 SE plus ~0.005 for the
    # normal approximation of a mean of few resampled values.
    assert _t_coverage(3) == pytest.approx(0.749, abs=0.001)  # closed form for t_2
    assert percentile_coverage(n) == pytest.approx(_t_coverage(n), abs=0.025)


def test_bootstrap_ci_is_nan_with_fewer_than_three_seeds():
    assert all(math.isnan(x) for x in bootstrap_ci([1.0, 2.0]))
    assert all(math.isnan(x) for x in bootstrap_ci([1.0, 2.0, math.nan]))


def test_bootstrap_ci_is_deterministic_given_seed():
    values = [1.0, 3.0, 2.0, 5.0, 4.0]
    assert bootstrap_ci(values, rng=7) == bootstrap_ci(values, rng=7)
    low, high = bootstrap_ci(values, rng=7)
    assert min(values) <= low < np.mean(values) < high <= max(values)


def test_bootstrap_ci_rejects_a_level_outside_zero_one():
    with pytest.raises(ValueError, match="ci must be between 0 and 1"):
        bootstrap_ci([1.0, 2.0, 3.0], ci=95)


# --- effect sizes and comparisons -------------------------------------------------------


def test_hedges_g_matches_hand_computation():
    a, b = [1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0, 7.0]
    # means 2.5 and 5; variances (ddof 1) 5/3 and 5/2; pooled variance (3*5/3 + 4*5/2)/7
    pooled_sd = math.sqrt((3 * 5 / 3 + 4 * 5 / 2) / 7)
    correction = 1 - 3 / (4 * (4 + 5) - 9)  # J = 1 - 3/27
    assert hedges_g(a, b) == pytest.approx(correction * 2.5 / pooled_sd, rel=1e-12)
    assert hedges_g(a, b) == pytest.approx(1.51807, abs=1e-5)
    assert hedges_g(b, a) == pytest.approx(-hedges_g(a, b))


def test_compare_reports_hedges_g_of_the_per_seed_values():
    rows = []
    for seed, v in enumerate([1.0, 2.0, 3.0, 4.0]):
        rows += rows_of("a", seed, [0, 10], [v, v])
    for seed, v in enumerate([3.0, 4.0, 5.0, 6.0, 7.0]):
        rows += rows_of("b", 50 + seed, [0, 5, 10], [v, v, v])
    result = compare(rows, "ee_synapses", "a", "b", 7.0)
    assert (result.n_a, result.n_b) == (4, 5)
    assert result.difference == pytest.approx(2.5)
    assert result.hedges_g == pytest.approx(hedges_g([1, 2, 3, 4], [3, 4, 5, 6, 7]))
    assert result.hedges_g_ci_low < result.hedges_g < result.hedges_g_ci_high


def test_difference_ci_excludes_zero_for_a_large_shift():
    result = compare(experiment(shift=100.0), "ee_synapses", "control", "treated", 28.0)
    assert result.difference == pytest.approx(100.0, abs=30)
    assert result.difference_ci_low > 0
    assert result.hedges_g_ci_low > 0


def test_difference_ci_includes_zero_for_no_shift():
    result = compare(experiment(shift=0.0), "ee_synapses", "control", "treated", 28.0)
    assert result.difference_ci_low < 0 < result.difference_ci_high
    assert result.hedges_g_ci_low < 0 < result.hedges_g_ci_high


def test_compare_over_a_window_uses_time_weighted_means():
    result = compare(experiment(shift=50.0), "ee_synapses", "control", "treated", (20.0, 24.0))
    # every run is level - day: the window mean is level - 22, whatever the sampling density
    assert result.when == "days 20–24"
    assert result.difference == pytest.approx(50.0, abs=30)


def test_compare_is_deterministic_and_names_missing_conditions():
    table = experiment(shift=10.0)
    first = compare(table, "ee_synapses", "control", "treated", 14.0, rng=3)
    again = compare(table, "ee_synapses", "control", "treated", 14.0, rng=3)
    assert math.isnan(first.paired_difference)  # unpaired seeds: the paired fields are NaN
    assert_same_records(first, again)
    with pytest.raises(ValueError, match="'ketamine' has no runs"):
        compare(table, "ee_synapses", "control", "ketamine", 14.0)


def paired_experiment(shift: float, n_seeds: int = 6, rng_seed: int = 2) -> list[MeasureRow]:
    """Paired runs: both conditions of a seed share its level (spread 200), b adds ``shift``."""
    gen = np.random.default_rng(rng_seed)
    rows = []
    for seed in range(n_seeds):
        level = 1000 + gen.normal(0, 200)  # what the seed's network and noise set
        for condition, offset in (("control", 0.0), ("treated", shift)):
            value = level + offset + gen.normal(0, 1)  # what differs within a seed
            rows += rows_of(condition, seed, [0, 28], [value, value])
    return rows


def test_paired_difference_resolves_a_shift_that_the_seed_spread_hides():
    result = compare(paired_experiment(5.0), "ee_synapses", "control", "treated", 14.0, paired=True)
    # unpaired, the shift of 5 is lost in a between-seed spread of 200
    assert result.difference_ci_low < 0 < result.difference_ci_high
    # paired, the shared level cancels: within-seed noise of SD 1 is left (SD of d: 1.4)
    assert result.paired and result.n_pairs == 6
    assert result.paired_ci_low < 5.0 < result.paired_ci_high
    assert result.paired_ci_low > 0
    assert result.paired_ci_high - result.paired_ci_low < 5.0
    first = [r for r in paired_experiment(5.0) if r.bio_time_days == 0]
    values = {(r.condition, r.seed): r.value for r in first}
    diffs = [values[("treated", s)] - values[("control", s)] for s in range(6)]
    assert result.paired_difference == pytest.approx(np.mean(diffs), rel=1e-12)


def test_paired_difference_uses_the_seeds_both_conditions_have():
    rows = [r for r in paired_experiment(5.0) if not (r.condition == "treated" and r.seed == 0)]
    rows += rows_of("treated", 99, [0, 28], [0.0, 0.0])  # a seed control does not have
    result = compare(rows, "ee_synapses", "control", "treated", 14.0, paired=True)
    assert (result.n_a, result.n_b, result.n_pairs) == (6, 6, 5)
    assert result.paired_ci_low > 0


def test_unpaired_comparison_has_no_paired_difference():
    result = compare(paired_experiment(5.0), "ee_synapses", "control", "treated", 14.0)
    assert not result.paired and result.n_pairs == 0
    assert math.isnan(result.paired_difference) and math.isnan(result.paired_ci_low)


def test_paired_difference_rows_subtract_the_same_seeds_reference_series():
    rows = []
    for seed, level in ((1, 10.0), (2, 50.0)):
        rows += rows_of("control", seed, [0, 10], [level, level + 10])  # slope 1 per day
        rows += rows_of("treated", seed, [0, 5, 10], [level, level + 8, level + 12])
    rows += rows_of("treated", 3, [0, 10], [0.0, 0.0])  # no control run for seed 3
    diff = paired_difference_rows(rows, "ee_synapses", "control", [0.0, 5.0, 10.0])
    assert {r.measure for r in diff} == {"ee_synapses_vs_control"}
    assert {(r.condition, r.seed) for r in diff} == {("treated", 1), ("treated", 2)}
    for r in diff:  # treated - control: 0, 8 - 5, 12 - 10 for both seeds
        assert r.value == pytest.approx({0.0: 0.0, 5.0: 3.0, 10.0: 2.0}[r.bio_time_days])
    assert "minus control, same seed" in measure_label("ee_synapses_vs_control")
    with pytest.raises(ValueError, match="'sham' has no runs"):
        paired_difference_rows(rows, "ee_synapses", "sham", [0.0])


def test_summaries_on_the_sample_days_keep_a_short_peak():
    # a 1-hour peak between the points of a 201-point grid over 50 days
    days = np.concatenate([np.linspace(0, 50, 51), [20.02, 20.04, 20.06]])
    rows = []
    for seed in range(3):
        values = np.where(np.isin(days, [20.04]), 1.0, 0.0)
        rows += rows_of("ketamine", seed, np.sort(days), values[np.argsort(days)])
    grid = sample_days(rows, ["ee_synapses"], extra=np.linspace(0, 50, 201))
    assert 20.04 in grid and 0.0 in grid and 50.0 in grid
    peak = max(r.mean for r in summarize(rows, ["ee_synapses"], grid, n_boot=50))
    uniform = max(
        r.mean for r in summarize(rows, ["ee_synapses"], np.linspace(0, 50, 201), n_boot=50)
    )
    assert peak == pytest.approx(1.0) and uniform < 0.5


# --- resampling ---------------------------------------------------------------------------


def test_resample_interpolates_linearly_and_gives_nan_outside_a_run():
    rows = rows_of("control", 1, [0.0, 1.0, 2.0], [0.0, 10.0, 20.0]) + rows_of(
        "ketamine", 2, [1.0, 1.25, 3.0], [5.0, 7.5, 25.0]
    )
    res = resample(rows, "ee_synapses", [0.5, 1.5, 2.5])
    np.testing.assert_allclose(res.of("control")[0], [5.0, 15.0, np.nan])
    # ketamine: from 7.5 at day 1.25, slope (25 - 7.5) / (3 - 1.25) = 10 per day
    np.testing.assert_allclose(res.of("ketamine")[0], [np.nan, 10.0, 20.0])
    assert res.conditions == ["control", "ketamine"]
    assert list(res.seed) == [1, 2]


def test_resample_counts_round_off_at_the_last_sample_as_inside():
    rows = rows_of("control", 1, [0.0, 27.999999999999], [1.0, 3.0])
    np.testing.assert_allclose(resample(rows, "ee_synapses", [28.0]).values, [[3.0]])


def test_resample_names_available_measures_when_one_is_missing():
    with pytest.raises(ValueError, match="available: \\['ee_synapses'\\]"):
        resample(rows_of("control", 1, [0, 1], [1, 2]), "bdnf_mean", [0.5])


def test_window_mean_does_not_weigh_densely_sampled_stretches_more():
    # a step from 0 to 10 at day 1, sampled densely after it
    days = np.concatenate([[0.0, 0.999], np.linspace(1.0, 2.0, 50)])
    values = np.where(days < 1.0, 0.0, 10.0)
    res = window_means(rows_of("control", 1, days, values), "ee_synapses", 0.0, 2.0)
    assert res.values[0, 0] == pytest.approx(5.0, abs=0.01)


def test_read_measures_round_trips_a_measures_csv(tmp_path):
    rows = experiment(shift=0.0, n_seeds=2)
    write_measures(tmp_path / "measures.csv", rows)
    assert read_measures(tmp_path / "measures.csv") == rows


# --- summaries and recovery -----------------------------------------------------------------


def test_summarize_gives_n_mean_sd_and_ci_per_condition_and_day():
    rows = []
    for seed, level in enumerate([10.0, 12.0, 14.0, 16.0]):
        rows += rows_of("control", seed, [0.0, 2.0], [level, level])
    rows += rows_of("ketamine", 9, [0.0, 1.0], [1.0, 1.0])
    summary = summarize(rows, ["ee_synapses"], [1.0, 2.0], n_boot=500)
    by_key = {(r.condition, r.bio_time_days): r for r in summary}
    control = by_key[("control", 1.0)]
    assert (control.n, control.mean) == (4, 13.0)
    assert control.sd == pytest.approx(np.std([10, 12, 14, 16], ddof=1))
    assert 10.0 <= control.ci_low < 13.0 < control.ci_high <= 16.0
    ketamine = by_key[("ketamine", 2.0)]  # its run ends on day 1
    assert ketamine.n == 0 and math.isnan(ketamine.mean) and math.isnan(ketamine.ci_low)
    assert by_key[("ketamine", 1.0)].n == 1
    assert math.isnan(by_key[("ketamine", 1.0)].sd)  # one run: no spread
    assert_same_records(summary, summarize(rows, ["ee_synapses"], [1.0, 2.0], n_boot=500))


def test_recovery_index_is_one_for_full_and_zero_for_no_recovery():
    assert recovery_index(100.0, 75.0, 100.0) == 1.0
    assert recovery_index(75.0, 75.0, 100.0) == 0.0
    assert recovery_index(87.5, 75.0, 100.0) == 0.5
    np.testing.assert_allclose(recovery_index([75.0, 100.0], 75.0, 100.0), [0.0, 1.0])


def test_recovery_index_is_nan_when_stress_changed_nothing():
    assert math.isnan(recovery_index(90.0, 100.0, 100.0))
    assert math.isnan(recovery_index(99.0, 100.0, 100.5, rtol=0.02))
    assert math.isnan(recovery_index(math.nan, 75.0, 100.0))


def test_recovery_rows_compute_the_index_per_run():
    days = [0.0, 21.0, 28.0, 35.0]
    rows = rows_of("control", 1, days, [100.0, 80.0, 90.0, 100.0])
    rows += rows_of("control", 2, days, [200.0, 100.0, 150.0, 150.0])
    out = recovery_rows(rows, "ee_synapses", baseline=0.0, stress=21.0, post_days=[28.0, 35.0])
    assert {r.measure for r in out} == {"recovery_index_ee_synapses"}
    assert [r.value for r in out] == [0.5, 1.0, 0.5, 0.5]
    assert out[0].sim_time_s == pytest.approx(2800.0)


# --- report and figures ---------------------------------------------------------------------


PHASES = [("baseline", 0, 7), ("stress", 7, 21), ("follow-up", 21, 28)]
EVENTS = [("dose", 21.0, "treated"), ("therapy", 22.0, None)]


@pytest.fixture(scope="module")
def results():
    table = experiment(shift=100.0, n_seeds=5)
    summary = summarize(table, ["ee_synapses"], np.arange(0, 29, 1.0), n_boot=200)
    comparisons = [
        compare(table, "ee_synapses", "control", "treated", 22.0, label="end of treatment"),
        compare(table, "ee_synapses", "control", "treated", (26.0, 28.0), label="end of follow-up"),
    ]
    return table, summary, comparisons


def assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 5000


def test_plots_write_non_empty_pngs(tmp_path, results):
    table, summary, comparisons = results
    summary += summarize(table, ["ee_synapses"], [0.0], n_boot=100)  # second panel source
    assert_png(plot_recovery_curves(summary, "ee_synapses", PHASES, EVENTS, tmp_path / "r.png"))
    assert_png(plot_comparisons(comparisons, tmp_path / "forest.png"))
    grid = plot_measure_grid(
        summary, ["ee_synapses", "ee_synapses"], tmp_path / "grid.png", phases=PHASES
    )
    assert_png(grid)


def test_format_number_keeps_three_significant_figures_without_exponents():
    assert [format_number(x) for x in (1083.4, 99.84, 0.04993, -7.0)] == [
        "1083",
        "99.8",
        "0.0499",
        "-7.00",
    ]
    assert format_number(math.nan) == "n/a"


def test_condition_colours_are_fixed_for_known_names():
    assert (
        condition_colours(["ketamine", "x"])["ketamine"]
        == condition_colours(["control", "y", "ketamine"])["ketamine"]
    )
    assert len(set(condition_colours(["a", "b", "c", "control"]).values())) == 4


def test_report_states_the_comparisons_and_links_figures(tmp_path, results):
    _, summary, comparisons = results
    figure = plot_comparisons(comparisons, tmp_path / "figures" / "forest.png")
    path = write_report(
        tmp_path / "report",
        [("baseline", 0, 7), ("stress", 7, 21), ("dose", 21.0, "treated")],
        {"control": "stress only", "treated": "stress, then one dose"},
        summary,
        comparisons,
        [("Differences between conditions", figure)],
    )
    text = path.read_text()
    end = comparisons[0]
    low, high = format_number(end.difference_ci_low), format_number(end.difference_ci_high)
    assert f"{format_number(end.difference)} [{low}, {high}]" in text
    assert f"{format_number(end.hedges_g)} [" in text
    assert "end of follow-up (days 26–28)" in text and "| 5, 5 |" in text
    assert "](../figures/forest.png)" in text
    assert "p-value" in text and "p =" not in text
    assert "paired difference" not in text  # unpaired comparisons: no paired column
    assert (tmp_path / "report" / "comparisons.csv").read_text().count("\n") == 3
    assert not list((tmp_path / "report").glob(".*tmp*"))


def test_report_gives_the_paired_difference_when_the_runs_are_paired(tmp_path):
    table = paired_experiment(5.0)
    comparisons = [compare(table, "ee_synapses", "control", "treated", 14.0, paired=True)]
    path = write_report(tmp_path, "protocol", ["control", "treated"], [], comparisons, [])
    text = path.read_text()
    end = comparisons[0]
    low, high = format_number(end.paired_ci_low), format_number(end.paired_ci_high)
    assert f"| {format_number(end.paired_difference)} [{low}, {high}] (6) |" in text
    assert "paired difference b − a [CI] (pairs)" in text and "Paired difference:" in text


def test_the_recovery_index_is_computed_at_the_runs_own_samples_after_the_stress():
    from neuroplast.analysis.stats import recovery_days  # noqa: PLC0415

    samples = [0.0, 10.0, 24.0, 24.1, 24.2, 26.55, 26.65, 30.0, 38.9]
    rows = [MeasureRow(c, 1, d, np.nan, "ee_synapses", 1.0) for c in ("a", "b") for d in samples]
    rows.append(MeasureRow("a", 1, 24.15, np.nan, "bdnf_mean", 1.0))  # another measure's day
    days = recovery_days(rows, 24.0, 38.95)
    # both ends, every E->E sample between them (an ablation at 26.6 lies between two)
    np.testing.assert_array_equal(days, [24.0, 24.1, 24.2, 26.55, 26.65, 30.0, 38.9, 38.95])


def test_an_empty_hedges_g_panel_says_why():
    """With one run per condition g is undefined: the panel says so instead of staying blank."""
    table = experiment(shift=100.0, n_seeds=1)
    comparison = compare(table, "ee_synapses", "control", "treated", 22.0, label="end")
    assert not math.isfinite(comparison.hedges_g)
    figure = plot_comparisons([comparison])
    texts = [t.get_text() for t in figure.axes[1].texts]
    assert texts == ["Hedges' g needs at least 2 runs\nof each condition (n = 1 here)"]
    assert len(figure.axes[0].texts) == 0


def test_a_stress_effect_within_the_baseline_drift_leaves_the_recovery_index_undefined():
    # the experiments' floor: a 2 % rise under stress (a small network's noisy set points)
    # divided into a rise after it would read as an index of -25
    assert math.isnan(recovery_index(8500.0, 8160.0, 8000.0, rtol=STRESS_EFFECT_FLOOR))
    assert recovery_index(7000.0, 6000.0, 8000.0, rtol=STRESS_EFFECT_FLOOR) == 0.5
