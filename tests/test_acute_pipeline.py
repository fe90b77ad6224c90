"""Acute read-outs in the pipeline, and the gamma-power direction with interneuron block.

Checked here (acute.py session_readouts, experiment.py, measures.py, comparison.py):
* a dosed condition gets acute rows (rates, gamma, E/I conductance ratio, NMDA occupancy,
  dissociation index) in sub-windows of biological time around its dose, and a session
  row with the dose given and the peak dissociation; the control condition gets none;
* the rows reach the experiment's measures.csv, its figures and report.md;
* more interneuron NMDA block -> more gamma power in the default network (plain runs,
  ``synapses.to_inh.nmda_scale`` lowered), the direction reported after subanaesthetic
  ketamine (Pinault 2008; Hong 2010): measured, not assumed.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CONFIGS

from neuroplast.analysis.acute import acute_readouts
from neuroplast.analysis.stats import columns, read_measures
from neuroplast.config.experiment import config_from_dict, load_config
from neuroplast.simulation import storage
from neuroplast.simulation.simulate import derive_seeds, simulate
from neuroplast.studies.comparison import run_comparison, run_directory

DOSE_DAY = 0.5 + 2 / 24  # treatment phase starts at 0.5 d, dose 2 h into it
HOUR_DAYS = 1 / 24


def _config() -> dict:
    """A short protocol on a small network (as tests/test_comparison.py), no plasticity."""
    return {
        "name": "acute",
        "description": "acute read-outs of one infusion",
        "seed": 5,
        "network": {"n_exc": 200, "n_inh": 50},
        "simulation": {"backend": "cython"},
        "recording": {"n_traced": 0, "spikes": False},
        "set_point": {"window": "2 s"},
        "bdnf": {"release_threshold_from": "fixed"},  # short window (bdnf.py)
        "timescale": {"session_after": "2 h"},
        "protocol": {
            "phases": [
                {"name": "baseline", "duration": "0.5 days"},
                {"name": "treatment", "duration": "0.5 days"},
            ],
            "doses": [{"phase": "treatment", "start": "2 h", "conditions": ["ketamine"]}],
            "acute": {"after": "2 h"},
        },
        "conditions": {"control": {}, "ketamine": {"description": "0.5 mg/kg iv"}},
    }


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    out = tmp_path_factory.mktemp("acute") / "experiment"
    cfg = config_from_dict(_config())
    run_comparison(cfg, out, log=lambda line: None)
    return cfg, out


def _run_rows(out, condition):
    return columns(read_measures(run_directory(out, condition, 5) / storage.MEASURES_FILE))


@pytest.mark.slow
def test_dosed_condition_has_acute_rows_around_its_dose_and_control_has_none(experiment):
    _, out = experiment
    dosed = _run_rows(out, "ketamine")
    control = _run_rows(out, "control")
    acute = np.array([m.startswith("acute_") for m in dosed["measure"]])
    assert acute.any()
    assert not any(m.startswith(("acute_", "session_")) for m in control["measure"])
    days = dosed["bio_time_days"][acute]
    assert days.min() >= DOSE_DAY - 0.5 * HOUR_DAYS - 1e-9
    assert days.max() <= DOSE_DAY + 2 * HOUR_DAYS + 1e-9
    for name in (
        "acute_gamma_power_hz2",
        "acute_low_power_hz2",
        "acute_relative_gamma",
        "acute_rate_exc_hz",
        "acute_rate_inh_hz",
        "acute_ei_conductance_ratio",
        "acute_occupancy_exc",
        "acute_occupancy_inh",
        "acute_dissociation_index",
    ):
        values = dosed["value"][dosed["measure"] == name]
        assert len(values) == 5, name  # 30-min sub-windows from -0.5 h to +2 h
        assert np.all(np.isfinite(values)), name


@pytest.mark.slow
def test_acute_rows_follow_the_pk_of_the_infusion(experiment):
    _, out = experiment
    rows = _run_rows(out, "ketamine")

    def series(name):
        sel = rows["measure"] == name
        order = np.argsort(rows["bio_time_days"][sel])
        return rows["value"][sel][order]

    hours = series("acute_hours_after_dose")
    np.testing.assert_allclose(hours, [-0.25, 0.25, 0.75, 1.25, 1.75])
    f_inh, f_exc = series("acute_occupancy_inh"), series("acute_occupancy_exc")
    assert f_inh[0] == 0.0 and f_exc[0] == 0.0  # before the dose
    assert np.argmax(f_inh) == 2  # the window 0.5-1 h holds the end of the 40-min infusion
    assert np.all(f_inh[1:] > f_exc[1:])  # interneurons are blocked more
    dissociation = series("acute_dissociation_index")
    assert dissociation[0] == 0.0 and np.argmax(dissociation) == 2
    dose = rows["value"][rows["measure"] == "session_dose_mg_per_kg"]
    np.testing.assert_allclose(dose, [0.5])
    peak = rows["value"][rows["measure"] == "session_peak_dissociation"]
    assert 0.3 < peak[0] < 1.0


@pytest.mark.slow
def test_acute_rows_reach_the_experiment_table_figures_and_report(experiment):
    _, out = experiment
    measures = {r.measure for r in read_measures(out / "measures.csv")}
    assert {"acute_gamma_power_hz2", "session_peak_dissociation"} <= measures
    assert (out / "figures" / "acute.png").stat().st_size > 5000
    assert (out / "figures" / "sessions.png").stat().st_size > 5000
    report = (out / "report.md").read_text()
    assert "## Acute read-outs" in report and "gamma" in report
    h5 = storage.read_hdf5(run_directory(out, "ketamine", 5) / storage.DATA_FILE)
    assert "acute_gamma_power_hz2" in h5.slow and "session_dose_mg" in h5.slow


# --------------------------------------------------------------------------- direction


def _plain_run(inh_availability: float) -> dict[str, float]:
    cfg = load_config(
        CONFIGS / "default.toml",
        [
            'simulation.duration="4 s"',
            "recording.n_traced=0",
            f"synapses.to_inh.nmda_scale={inh_availability}",
        ],
    )
    rec = simulate(cfg, derive_seeds(cfg.seed))
    keep = rec.rate_t > 1.0  # leave out the start-up transient
    dt = float(rec.rate_t[1] - rec.rate_t[0])
    return acute_readouts(rec.rate_exc[keep], rec.rate_inh[keep], dt, n_cells=rec.n_exc)


@pytest.mark.slow
def test_more_interneuron_nmda_block_gives_more_gamma_power_in_the_default_network():
    # availability 0.65: f_inh = 0.35, the interneuron block at the antidepressant peak
    # (model docs §2.1).  Measured [C] (acute.py doc): gamma 0.84 -> 7.4 Hz^2, and 2.0 ->
    # 2.9 times the Poisson floor; relative gamma falls (low-band power rises faster).
    unblocked, blocked = _plain_run(1.0), _plain_run(0.65)
    assert blocked["gamma_power_hz2"] > 2.0 * unblocked["gamma_power_hz2"]
    assert blocked["gamma_over_poisson"] > unblocked["gamma_over_poisson"]
    assert blocked["rate_exc_hz"] > unblocked["rate_exc_hz"]  # disinhibition
