"""An experiment end to end: protocol -> every condition x seed -> tables, figures, report.

Checked here (comparison.py, protocol.py, recall.py):
* the experiment directory holds a run per (condition, seed), the merged tidy table,
  the summary, the comparisons, figures and report.md;
* paired conditions share network, noise and clock: their slow series are identical
  until the first event that differs between them (the infusion);
* an interrupted experiment resumes: a second invocation runs nothing and keeps every
  finished run; ``analyse`` redraws the figures and report from the saved data alone,
  and ``neuroplast plot --remeasure`` first recomputes each run's measures from data.h5;
* new recall settings probe the finished runs again without re-running them;
* the recall probe and the connectivity read-outs reach the table;
* a run repeated from the config.json saved with it gets the same schedules.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from neuroplast.analysis.stats import read_measures
from neuroplast.cli import main
from neuroplast.config.conditions import resolve_condition
from neuroplast.config.experiment import ConfigError, config_from_dict
from neuroplast.simulation import storage
from neuroplast.simulation.schedules import build_schedules
from neuroplast.simulation.simulate import drug_curves
from neuroplast.studies.analyse import analyse
from neuroplast.studies.comparison import _check_finished_run, run_comparison, run_directory

DOSE_DAY = 0.5 + 2 / 24  # treatment phase starts at 0.5 d, dose 2 h into it


def _config() -> dict:
    return {
        "name": "e2e",
        "description": "two conditions on a small network",
        "seed": 11,
        "network": {"n_exc": 200, "n_inh": 50},
        # numpy: this network's code (STDP, rewiring, assemblies, probes) is its own.
        # From a cold cache in CI, with the other worker compiling too, this file took
        # about 195 s on cython and 170 s on numpy (numpy evaluates the schedules'
        # TimedArrays in Python at every step: cython took 56 s from a warm cache)
        "simulation": {"backend": "numpy"},
        "recording": {"n_traced": 0, "spikes": False, "slow_interval": "100 ms"},
        # the set-point window ends (day 0.5) before the dose at 0.58 days: nothing may act
        # inside it (ExperimentConfig.check_set_point_window); 0.4 s of rates, noisy set
        # points, enough for a pipeline check
        "set_point": {"window": "0.5 s", "settle": "0.1 s"},
        "bdnf": {"release_threshold_from": "fixed"},  # short window (bdnf.py)
        # a clock 10x faster than the default (1 day = 1 s, 1 h = 1 s around the dose), as
        # in configs/kap_quick.toml: this file checks the pipeline, not the numbers
        "timescale": {"session_after": "1 h", "rate": 86400.0, "session_rate": 3600.0},
        "therapy": {"session_rate": 120},
        "recall": {"pulses": 2, "settle": "0.3 s", "quiet": "0.5 s"},
        "plasticity": {
            "structural": {"enabled": True, "update_interval": "100 ms"},
            "stdp": {"enabled": True},
        },
        "assemblies": {"adaptive": {"size": 30}},
        "protocol": {
            "phases": [
                {"name": "baseline", "duration": "0.5 days"},
                {"name": "treatment", "duration": "0.5 days"},
            ],
            "doses": [{"phase": "treatment", "start": "2 h", "conditions": ["ketamine_therapy"]}],
            "therapy": [
                {
                    "phase": "treatment",
                    "after_dose": "0.5 h",
                    "duration": "0.1 h",
                    "conditions": ["ketamine_therapy"],
                }
            ],
        },
        "conditions": {"control": {}, "ketamine_therapy": {"description": "dose + therapy"}},
    }


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "experiment"
    cfg = config_from_dict(_config())
    first = run_comparison(cfg, out, log=lambda line: None)
    return cfg, out, first


@pytest.mark.slow
def test_experiment_directory_has_runs_tables_figures_and_report(experiment):
    cfg, out, first = experiment
    assert len(first.ran) == 2 and not first.skipped
    for condition in ("control", "ketamine_therapy"):
        run = run_directory(out, condition, 11)
        for name in (storage.CONFIG_FILE, storage.DATA_FILE, storage.MEASURES_FILE):
            assert (run / name).exists()
    for name in ("measures.csv", "summary.csv", "comparisons.csv", "report.md"):
        assert (out / name).stat().st_size > 0
    assert (out / "figures" / "ee_synapses.png").stat().st_size > 5000
    report = (out / "report.md").read_text()
    assert "ketamine_therapy" in report and "dose + therapy" in report
    measures = {r.measure for r in read_measures(out / "measures.csv")}
    assert {"ee_synapses", "synaptogenic", "assembly_adaptive_p_in"} <= measures
    # every comparison window lies inside the runs' samples (none compares zero runs)
    with (out / "comparisons.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    counts = [(row["when"], int(row["n_a"])) for row in rows]
    assert counts and all(n == 1 for _, n in counts), counts
    # paired_conditions (the default): the one seed of each condition makes one pair
    assert all(row["paired"] == "True" and int(row["n_pairs"]) == 1 for row in rows)
    assert "paired difference b − a [CI] (pairs)" in report
    assert {"recall_adaptive_index", "coactivity_corr_exc"} <= measures


@pytest.mark.slow
def test_paired_conditions_are_identical_until_the_first_differing_event(experiment):
    _, out, _ = experiment
    control = storage.read_hdf5(run_directory(out, "control", 11) / storage.DATA_FILE).slow
    treated = storage.read_hdf5(run_directory(out, "ketamine_therapy", 11) / storage.DATA_FILE)
    treated = treated.slow
    np.testing.assert_array_equal(control["bio_days"], treated["bio_days"])  # one clock
    before = control["bio_days"] < DOSE_DAY - 1e-6
    after = control["bio_days"] > DOSE_DAY + 0.1
    for name in ("n_alive", "bdnf", "z_spine"):
        np.testing.assert_array_equal(control[name][:, before], treated[name][:, before])
        assert not np.array_equal(control[name][:, after], treated[name][:, after])


@pytest.mark.slow
def test_a_second_invocation_resumes_and_plot_redraws_from_saved_data(experiment):
    cfg, out, _ = experiment
    again = run_comparison(cfg, out, log=lambda line: None)
    assert again.ran == [] and len(again.skipped) == 2
    (out / "report.md").unlink()
    figure = out / "figures" / "ee_synapses.png"
    figure.unlink()
    assert analyse(out) == out / "report.md"
    assert figure.exists() and (out / "report.md").exists()


@pytest.mark.slow
def test_resuming_with_another_config_stops_before_anything_changes(experiment):
    _, out, _ = experiment
    data = _config()
    data["pharmacology"] = {"mechanism": "direct"}  # the default is "both"
    saved = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    with pytest.raises(ConfigError, match=r"pharmacology\.mechanism = 'both'.*'direct'"):
        run_comparison(config_from_dict(data), out, log=lambda line: None)
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == saved
    # a condition or repeat added to the experiment keeps the finished runs
    data = _config()
    data["conditions"]["ketamine"] = {"description": "a new arm"}
    data["repeats"] = 2
    data["comparisons"] = [["ketamine", "ketamine_therapy"]]
    cfg = config_from_dict(data)
    run_cfg = resolve_condition(cfg, "control").model_copy(update={"seed": 11})
    _check_finished_run(run_directory(out, "control", 11), run_cfg, out)  # no error


@pytest.mark.slow
def test_plot_remeasure_rebuilds_lost_per_run_measures_from_data(experiment, capsys):
    _, out, _ = experiment
    target = run_directory(out, "control", 11) / storage.MEASURES_FILE
    original = target.read_text()
    lines = original.splitlines(keepends=True)
    target.write_text("".join(lines[: len(lines) // 2]))  # a stale, shorter table
    (out / "report.md").unlink()

    assert main(["plot", str(out), "--remeasure"]) == 0

    assert "remeasured 2 runs" in capsys.readouterr().out
    assert target.read_text() == original
    assert (out / "report.md").exists()  # and the tables, figures and report redrawn


@pytest.mark.slow
def test_a_run_repeated_from_its_saved_config_gets_the_same_schedules(experiment):
    """The saved config.json rebuilds the run's schedules exactly, so a repeat of the run
    is the same run (same network, seeds and inputs, checked elsewhere)."""
    _, out, _ = experiment
    run_dir = run_directory(out, "ketamine_therapy", 11)
    saved = config_from_dict(json.loads((run_dir / storage.CONFIG_FILE).read_text()))
    again = build_schedules(saved, drug_curves(saved)).sampled
    first = storage.read_hdf5(run_dir / storage.DATA_FILE).schedules
    for name, values in again.items():
        np.testing.assert_array_equal(values, first[name], err_msg=name)


@pytest.mark.slow
def test_new_recall_settings_probe_the_finished_runs_again(experiment):
    """Recall settings are read only by the probes: a change keeps the runs, re-probes
    their snapshots and records the settings beside the new recall.csv."""
    _, out, _ = experiment
    control = run_directory(out, "control", 11)
    before = (control / storage.DATA_FILE).read_bytes()
    assert json.loads((control / "recall.json").read_text())["intensity"] == 1.0
    data = _config()
    # a weaker cue: other input spikes, the same probe code.  No co-activity window and a
    # shorter settling time also make the 6 probes shorter (2.1 s of network time each
    # instead of 2.8 s): this test checks that they run again, not what they read
    data["recall"].update({"intensity": 0.8, "settle": "0.1 s", "quiet": "0 s"})
    lines: list[str] = []
    again = run_comparison(config_from_dict(data), out, log=lines.append)
    assert again.ran == [] and len(again.skipped) == 2
    assert sum("recall settings changed" in line for line in lines) == 2, lines
    assert json.loads((control / "recall.json").read_text())["intensity"] == 0.8
    assert (control / storage.DATA_FILE).read_bytes() == before
    # the same settings again: nothing to probe
    lines.clear()
    run_comparison(config_from_dict(data), out, log=lines.append)
    assert not any("recall" in line for line in lines), lines
