"""`neuroplast calibrate`: the pharmacokinetic targets (C5) pass on the defaults."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neuroplast.analysis.connectivity import persisting_fraction
from neuroplast.config.experiment import ExperimentConfig
from neuroplast.studies.calibrate import (
    Target,
    _c6_configs,
    _c7_config,
    format_table,
    ketamine_magnitude,
    pk_targets,
)


def test_pk_calibration_targets_pass_on_the_defaults():
    targets = pk_targets(ExperimentConfig())
    assert {t.id for t in targets} == {"C5"}
    assert all(t.passed for t in targets), format_table(targets)


def test_table_marks_failures_and_unjudged_rows():
    rows = [
        Target("C3", "loss", 40.0, 15, 35, "%", "Liston 2006"),
        Target("C4", "recovery", 0.2, 0.5, 1.0, "", "Bloss 2010", judged=False),
    ]
    table = format_table(rows)
    assert "FAIL" in table and "(n/a)" in table
    assert rows[0].passed is False and rows[1].passed is None


def test_ketamine_magnitude_is_the_fraction_of_the_stress_deficit_restored():
    # stress removes 200 of 1000 synapses by day 28; the dose on day 29 adds 100 by day 30
    days = np.linspace(0.0, 30.0, 301)
    control = np.interp(days, [0, 7, 28, 30], [1000, 1000, 800, 810])
    drug = control + np.interp(days, [0, 29, 30], [0, 0, 100])
    eliminated = 5.0 * days
    c6 = ketamine_magnitude(
        {"days": days, "count": control, "eliminated": eliminated},
        {"days": days, "count": drug, "eliminated": 1.05 * eliminated},
        baseline_end=7.0,
        stress_end=28.0,
        dose_day=29.0,
    )
    assert c6.r24 == pytest.approx(0.5)
    assert c6.loss == pytest.approx(20.0)
    assert c6.elimination_change == pytest.approx(5.0)
    assert c6.deficit_ratio == pytest.approx(200 / 805)
    assert np.isnan(c6.existing_elimination_change)  # no snapshots given
    # C6b counts the synapses live at the dose: 4 % of control's lost that day, 5 % of
    # the dosed run's (whatever it formed and lost again since)
    c6 = ketamine_magnitude(
        {"days": days, "count": control, "eliminated": eliminated, "persisting": 0.96},
        {"days": days, "count": drug, "eliminated": 9 * eliminated, "persisting": 0.95},
        baseline_end=7.0,
        stress_end=28.0,
        dose_day=29.0,
    )
    assert c6.existing_elimination_change == pytest.approx(25.0)
    assert c6.elimination_change == pytest.approx(800.0)


def test_a_synapse_persists_if_it_is_live_at_both_times_and_not_formed_anew():
    before = {
        "i": np.array([0, 1, 2, 3]),
        "j": np.array([1, 2, 3, 0]),
        "w": np.ones(4),
        "birth_day": np.array([-1.0, -1.0, 2.0, 5.0]),
    }
    # (0,1) kept; (1,2) lost and re-formed on day 9.5; (2,3) dead; (3,0) kept; (4,0) new
    after = {
        "i": np.array([0, 1, 2, 3, 4]),
        "j": np.array([1, 2, 3, 0, 0]),
        "w": np.ones(5),
        "alive": np.array([1, 1, 0, 1, 1]),
        "birth_day": np.array([-1.0, 9.5, 2.0, 5.0, 9.6]),
    }
    assert persisting_fraction(before, after, 9.0) == pytest.approx(0.5)
    assert persisting_fraction(before, after, 10.0) == pytest.approx(0.75)


def test_c6_runs_control_and_dose_on_one_clock_and_differ_only_by_the_dose():
    runs, (baseline_end, stress_end, dose_day) = _c6_configs(ExperimentConfig(), quick=False)
    control, dose = runs["control"].resolved(), runs["dose"].resolved()
    assert (baseline_end, stress_end, dose_day) == (7.0, 28.0, 29.0)
    assert control["pharmacology"]["doses"] == [] and len(dose["pharmacology"]["doses"]) == 1
    assert float(runs["dose"].pharmacology.doses[0].start) == 29 * 86400
    for data in (control, dose):
        data["pharmacology"]["doses"] = []
        data["condition"] = ""
    assert control == dose  # the same clock (timescale.windows), stress and network
    # the synapses at the dose are kept for C6b
    assert 29.0 in [float(d) / 86400 for d in runs["dose"].recording.snapshots]


def test_c7_stimulates_a_tenth_of_the_cells_with_homeostatic_rewiring_alone():
    cfg, after = _c7_config(ExperimentConfig(), quick=False)
    assert after == 30.0
    assert cfg.assemblies["stimulated"].size == 80
    (session,) = cfg.therapy.sessions
    assert (session.kind, float(session.start) / 86400, float(session.duration) / 86400) == (
        "replay",
        5.0,
        20.0,
    )
    assert cfg.therapy.intensity == 0.1
    p = cfg.plasticity
    assert not p.stdp.enabled and not p.scaling.enabled
    assert p.structural.options["axonal_elements"] and p.structural.options["bias"] == 0.0


def test_calibrate_out_saves_the_targets_with_their_provenance_and_a_page(tmp_path):
    from neuroplast.cli import main

    out = tmp_path / "calibration"
    assert main(["calibrate", "--only", "C5", "--out", str(out)]) == 0
    record = json.loads((out / "calibration.json").read_text())
    assert record["command"] == f"neuroplast calibrate --only C5 --out {out}"
    assert record["config"]["pharmacology"]["mechanism"] == "both"
    expected = {t.what: t.value for t in pk_targets(ExperimentConfig())}
    assert {t["what"]: t["value"] for t in record["targets"]} == expected
    page = (out / "calibration.md").read_text()
    rows = [line for line in page.splitlines() if line.startswith("| C5 ")]
    assert len(rows) == 3 and all("| pass |" in row for row in rows)


def test_calibrate_out_that_cannot_be_written_fails_before_the_run(tmp_path, capsys):
    from neuroplast.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["calibrate", "--only", "C5", "--out", str(blocker / "x")]) == 2
    assert "C5" not in capsys.readouterr().out  # nothing was computed, then lost
