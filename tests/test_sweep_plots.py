"""Sweep figures and the xarray view (neuroplast.plots.sweep) on synthetic sweeps.

Each sweep here is a real sweep directory without simulation: a plan (sweep.json) and one
run directory per (point, seed) holding a measures.csv with known values (or error.txt
for a failed run), turned into sweep.parquet by neuroplast.studies.sweep's own collect_table and
write_table.  The numbers the figures draw can then be checked by hand.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import h5py
import numpy as np
import pytest

from neuroplast.analysis.measures import MeasureRow
from neuroplast.cli import main
from neuroplast.simulation.storage import (
    DATA_FILE,
    MEASURES_FILE,
    REQUIRED_ATTRS,
    REQUIRED_GROUPS,
    write_measures,
)
from neuroplast.studies.sweep import ERROR_FILE, collect_table, write_table
from neuroplast.studies.sweep_data import (
    SweepPlotError,
    load_sweep_data,
    select_measures,
)
from neuroplast.studies.sweep_summary import (
    as_xarray,
    heatmap_grid,
    response_curves,
    sensitivity,
)

RATE, P = "external.rate", "network.p_connect"
#: Known value of the measure 'score' at a point (before the per-seed noise).
Score = Callable[[dict], float]


def centred_noise(n: int, sd: float = 1.0) -> np.ndarray:
    """``n`` normal draws shifted to mean exactly 0 (so a point's mean is known)."""
    z = np.random.default_rng(n).normal(0.0, sd, n)
    return z - z.mean()


def make_sweep(
    out: Path,
    kind: str,
    points: Sequence[dict],
    n_seeds: int,
    score: Score,
    *,
    varied: Sequence[str] | None = None,
    failed: Sequence[tuple[int, int]] = (),
    noise: np.ndarray | None = None,
) -> Path:
    """Write a sweep directory: plan, runs (measures.csv + data.h5, or error.txt), table.

    Each run has the summary measure ``score`` (``score(point) + noise[repeat]``, one time
    point) and the series ``trace`` (three time points, the last equal to ``score``).
    """
    noise = np.zeros(n_seeds) if noise is None else noise
    runs = []
    for k, values in enumerate(points):
        for repeat in range(n_seeds):
            run_id = f"p{k}r{repeat}"
            seed = 100 + repeat
            run_dir = out / "runs" / run_id
            run_dir.mkdir(parents=True)
            if (k, repeat) in failed:
                (run_dir / ERROR_FILE).write_text("RuntimeError: synthetic failure\n")
            else:
                value = score(values) + noise[repeat]
                rows = [
                    MeasureRow("baseline", seed, 0.0, t, "trace", v)
                    for t, v in ((1.0, -50.0), (2.0, 99.0), (3.0, value))
                ]
                rows.append(MeasureRow("baseline", seed, 0.0, 3.0, "score", value))
                write_measures(run_dir / MEASURES_FILE, rows)
                with h5py.File(run_dir / DATA_FILE, "w") as h5:  # what every data.h5 has
                    for group in REQUIRED_GROUPS:
                        h5.create_group(group)
                    h5.attrs.update(dict.fromkeys(REQUIRED_ATTRS, 0))
            runs.append(
                {
                    "run_id": run_id,
                    "point": k,
                    "varied": varied[k] if varied else "",
                    "condition": "baseline",
                    "repeat": repeat,
                    "seed": seed,
                    "values": values,
                }
            )
    plan = {
        "name": "synthetic",
        "kind": kind,
        "seed": 100,
        "repeats": n_seeds,
        "samples": None,
        "axes": list(points[0]),
        "runs": runs,
    }
    (out / "sweep.json").write_text(json.dumps(plan))
    write_table(collect_table(out), out)
    return out


def rate_hz(values: dict) -> float:
    return float(values[RATE].split()[0])


def grid_points(rates: Sequence[str], ps: Sequence[float]) -> list[dict]:
    return [{RATE: r, P: p} for r in rates for p in ps]


def linear(values: dict) -> float:
    return 10.0 * rate_hz(values) + 100.0 * values[P]


# --------------------------------------------------------------------------- curves


def test_band_contains_the_known_mean_and_narrows_with_more_seeds(tmp_path):
    widths = []
    for n in (4, 40):
        out = make_sweep(
            tmp_path / f"n{n}",
            "grid",
            grid_points(["2 Hz", "4 Hz"], [0.1]),
            n,
            linear,
            noise=centred_noise(n, sd=2.0),
        )
        (curve,) = response_curves(load_sweep_data(out), "score", RATE)
        np.testing.assert_allclose(curve.x, [2.0, 4.0])
        known = [linear({RATE: "2 Hz", P: 0.1}), linear({RATE: "4 Hz", P: 0.1})]
        np.testing.assert_allclose(curve.mean, known)
        assert np.all(curve.ci_low < known) and np.all(known < curve.ci_high)
        assert list(curve.n) == [n, n]
        widths.append(curve.ci_high - curve.ci_low)
    assert np.all(widths[1] < 0.6 * widths[0])


def test_grid_curves_are_one_line_per_value_of_the_other_axis(tmp_path):
    out = make_sweep(tmp_path, "grid", grid_points(["2 Hz", "3 Hz", "4 Hz"], [0.1, 0.2]), 2, linear)
    data = load_sweep_data(out)
    assert data.axis(RATE).unit == "Hz" and data.axis(RATE).label() == "external.rate (Hz)"
    curves = response_curves(data, "score", RATE)
    assert [c.label for c in curves] == [f"{P} = 0.1", f"{P} = 0.2"]
    np.testing.assert_allclose(curves[1].mean, [40.0, 50.0, 60.0])
    assert np.all(np.isnan(curves[1].ci_low))  # 2 seeds: too few for an interval


def test_sampled_points_are_separate_entries_even_with_an_equal_value(tmp_path):
    points = [{RATE: "2.5 Hz", P: 0.12}, {RATE: "3.5 Hz", P: 0.2}, {RATE: "2.5 Hz", P: 0.28}]
    out = make_sweep(tmp_path, "random", points, 3, linear)
    (curve,) = response_curves(load_sweep_data(out), "score", RATE)
    np.testing.assert_allclose(curve.x, [2.5, 2.5, 3.5])
    np.testing.assert_allclose(curve.mean, [37.0, 53.0, 55.0])
    assert list(curve.n) == [3, 3, 3]


def test_a_time_series_is_taken_at_its_last_time_point(tmp_path):
    out = make_sweep(tmp_path, "grid", grid_points(["2 Hz", "4 Hz"], [0.1]), 2, linear)
    data = load_sweep_data(out)
    assert data.measures == ["score", "trace"]  # summaries first
    (curve,) = response_curves(data, "trace", RATE)
    np.testing.assert_allclose(curve.mean, [30.0, 50.0])
    assert "last time point (t = 3 s)" in data.measure_label("trace")
    assert "last time point" not in data.measure_label("score")


# --------------------------------------------------------------------------- heat map


def test_heat_map_holds_the_mean_over_seeds_of_each_cell(tmp_path):
    rates, ps = ["2 Hz", "3 Hz", "4 Hz"], [0.1, 0.2]
    noise = np.array([0.5, -2.0, 4.0])
    out = make_sweep(tmp_path, "grid", grid_points(rates, ps), 3, linear, noise=noise)
    grid = heatmap_grid(load_sweep_data(out), "score", RATE, P)
    expected = np.array(
        [[np.mean([linear({RATE: r, P: p}) + e for e in noise]) for r in rates] for p in ps]
    )
    np.testing.assert_allclose(grid.mean, expected)
    assert grid.x == [2.0, 3.0, 4.0] and grid.y == [0.1, 0.2]
    assert grid.x_text == ["2", "3", "4"]
    assert np.all(grid.n == 3)


# --------------------------------------------------------------------------- sensitivity


def oat_points() -> tuple[list[dict], list[str]]:
    base = {RATE: "3 Hz", P: 0.2}
    points = [
        base,
        {**base, RATE: "2 Hz"},
        {**base, RATE: "4 Hz"},
        {**base, P: 0.1},
        {**base, P: 0.2},
    ]
    return points, ["", RATE, RATE, P, P]


def test_sensitivity_is_the_paired_change_sorted_by_magnitude(tmp_path):
    points, varied = oat_points()

    def score(values: dict) -> float:  # p_connect matters 5 times more than the rate
        return rate_hz(values) + 50.0 * values[P]

    out = make_sweep(
        tmp_path,
        "one_at_a_time",
        points,
        4,
        score,
        varied=varied,
        noise=np.array([3.0, -7.0, 1.0, 12.0]),
    )
    effects = sensitivity(load_sweep_data(out), "score")
    # p_connect first (|change| 5), then the rate (1); the value equal to the base is left out
    assert [(e.axis, e.value) for e in effects] == [(P, "0.1"), (RATE, "2 Hz"), (RATE, "4 Hz")]
    np.testing.assert_allclose([e.delta for e in effects], [-5.0, -1.0, 1.0])
    # seeds are paired: the per-seed noise cancels, so the interval is the change itself
    np.testing.assert_allclose([e.ci_low for e in effects], [-5.0, -1.0, 1.0])
    assert all(e.n == 4 for e in effects)


def test_sensitivity_needs_a_one_at_a_time_sweep(tmp_path):
    out = make_sweep(tmp_path, "grid", grid_points(["2 Hz"], [0.1, 0.2]), 1, linear)
    with pytest.raises(SweepPlotError, match="expected a 'one_at_a_time' sweep"):
        sensitivity(load_sweep_data(out), "score")


# --------------------------------------------------------------------------- failures


def test_failed_runs_are_excluded_and_counted(tmp_path):
    noise = np.array([0.0, 1.0, 2.0])
    out = make_sweep(
        tmp_path,
        "grid",
        grid_points(["2 Hz", "4 Hz"], [0.1]),
        3,
        linear,
        failed=[(0, 2)],
        noise=noise,
    )
    data = load_sweep_data(out)
    assert (data.n_done, data.n_failed) == (5, 1)
    assert "1 failed run(s) excluded" in data.subtitle()
    (curve,) = response_curves(data, "score", RATE)
    assert list(curve.n) == [2, 3]
    np.testing.assert_allclose(curve.mean[0], linear({RATE: "2 Hz", P: 0.1}) + 0.5)
    array = as_xarray(out, "score")
    assert np.isnan(array.sel({RATE: 2.0, "seed": 102}).item())


def test_unknown_measure_names_the_close_match_and_the_available_ones(tmp_path):
    out = make_sweep(tmp_path, "grid", grid_points(["2 Hz"], [0.1]), 1, linear)
    with pytest.raises(SweepPlotError) as err:
        select_measures(load_sweep_data(out), ["scor"])
    message = str(err.value)
    assert "unknown measure 'scor'" in message
    assert "did you mean 'score'?" in message and "available: score, trace" in message


# --------------------------------------------------------------------------- xarray


def test_xarray_view_of_a_grid_is_cartesian_over_the_axes_and_seed(tmp_path):
    rates, ps = ["2 Hz", "3 Hz", "4 Hz"], [0.1, 0.2]
    noise = np.array([0.5, -0.5])
    out = make_sweep(tmp_path, "grid", grid_points(rates, ps), 2, linear, noise=noise)
    array = as_xarray(out, measure="score")
    assert array.dims == (RATE, P, "seed")
    np.testing.assert_allclose(array[RATE].values, [2.0, 3.0, 4.0])
    assert array[RATE].attrs["units"] == "Hz"
    assert list(array["seed"].values) == [100, 101]
    assert array.sel({RATE: 3.0, P: 0.2, "seed": 101}).item() == pytest.approx(
        linear({RATE: "3 Hz", P: 0.2}) - 0.5
    )
    dataset = as_xarray(out)
    assert set(dataset.data_vars) == {"score", "trace"}
    assert dataset.attrs["kind"] == "grid"
    # a table without its plan: the grid is recognised from the values alone
    import pyarrow.parquet as pq

    from_table = as_xarray(pq.read_table(out / "sweep.parquet"), "score")
    np.testing.assert_allclose(from_table.values, array.values)


def test_xarray_view_of_sampled_points_has_a_point_dimension(tmp_path):
    points = [{RATE: "2.31 Hz", P: 0.17}, {RATE: "3.9 Hz", P: 0.11}, {RATE: "2.8 Hz", P: 0.23}]
    out = make_sweep(tmp_path, "latin_hypercube", points, 2, linear)
    array = as_xarray(out, "score")
    assert array.dims == ("point", "seed")
    assert RATE in array.coords and RATE not in array.indexes
    np.testing.assert_allclose(array[RATE].values, [2.31, 3.9, 2.8])
    np.testing.assert_allclose(array[P].values, [0.17, 0.11, 0.23])
    np.testing.assert_allclose(array.isel(seed=0).values, [linear(p) for p in points])


def test_xarray_view_of_one_at_a_time_marks_the_varied_axis(tmp_path):
    points, varied = oat_points()
    out = make_sweep(tmp_path, "one_at_a_time", points, 1, linear, varied=varied)
    array = as_xarray(out, "score")
    assert array.dims == ("point", "seed")
    assert list(array["varied"].values) == varied


def test_missing_xarray_names_the_extra_to_install(tmp_path, monkeypatch):
    out = make_sweep(tmp_path, "grid", grid_points(["2 Hz"], [0.1]), 1, linear)
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(ImportError, match=r"neuroplast\[xarray\]"):
        as_xarray(out, "score")


# --------------------------------------------------------------------------- the command


def test_plot_command_draws_a_grid_sweep_into_figures(tmp_path, capsys):
    out = make_sweep(
        tmp_path / "grid",
        "grid",
        grid_points(["2 Hz", "4 Hz"], [0.1, 0.2]),
        3,
        linear,
        failed=[(1, 0)],
        noise=np.array([0.0, 1.0, -1.0]),
    )
    assert main(["plot", str(out), "--measure", "score"]) == 0
    figures = out / "figures"
    names = sorted(p.name for p in figures.iterdir())
    assert names == [
        "heatmap_external.rate__network.p_connect.png",
        "response_external.rate.png",
        "response_network.p_connect.png",
    ]  # PNGs only: no temporary file left behind
    assert all((figures / n).read_bytes()[:4] == b"\x89PNG" for n in names)
    assert "wrote" in capsys.readouterr().out


def test_plot_command_draws_the_sensitivity_chart_of_one_at_a_time(tmp_path):
    points, varied = oat_points()
    out = make_sweep(tmp_path, "one_at_a_time", points, 3, linear, varied=varied)
    assert main(["plot", str(out), "--measure", "trace", "--axis", RATE]) == 0
    names = sorted(p.name for p in (out / "figures").iterdir())
    assert names == ["response_external.rate.png", "sensitivity.png"]


def test_plot_command_rejects_an_unknown_measure_with_status_2(tmp_path, capsys):
    out = make_sweep(tmp_path, "grid", grid_points(["2 Hz", "4 Hz"], [0.1]), 1, linear)
    assert main(["plot", str(out), "--measure", "scroe"]) == 2
    err = capsys.readouterr().err
    assert "unknown measure 'scroe'" in err and "did you mean 'score'?" in err
    assert "Traceback" not in err
    assert not (out / "figures").exists()
