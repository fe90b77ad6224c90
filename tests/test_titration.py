"""Titrated dose escalation: each session's dose from the previous session's dissociation.

Fast: the protocol compiler and the exact PK/PD only; no network.  Claims (issue #6):
titration stops at the ceiling, moves toward the target (doses rise while the peak
dissociation is below it and stop rising once it is reached), the doses given are
recorded in the compiled run config, and bad settings are rejected naming the key.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from brian2.units import kgram, mgram

from neuroplast.config.conditions import resolve_condition
from neuroplast.config.experiment import ConfigError, config_from_dict
from neuroplast.config.protocol import TitrationConfig
from neuroplast.model.dissociation import session_dissociation

SESSIONS = 6


def _amount(dose) -> float:
    """A dose in mg/kg (per body weight) or mg (absolute)."""
    absolute = getattr(dose, "dim", None) is not None and not dose.is_dimensionless
    return float(dose / mgram) if absolute else float(dose / (mgram / kgram))


def _config(titration: dict, dose: str = "0.2 mg/kg", **event) -> dict:
    return {
        "name": "titration",
        "seed": 1,
        "protocol": {
            "phases": [{"name": "treatment", "duration": "21 days"}],
            "doses": [
                {
                    "phase": "treatment",
                    "start": "1 day",
                    "dose": dose,
                    "count": SESSIONS,
                    "every": "84 h",
                    "titration": titration,
                    "conditions": ["titrated"],
                    **event,
                }
            ],
        },
        "conditions": {"control": {}, "titrated": {}},
    }


def _titrated(titration: dict, dose: str = "0.2 mg/kg", **event):
    """(doses in mg/kg, peak dissociation per session) of the compiled titrated condition."""
    run = resolve_condition(config_from_dict(_config(titration, dose, **event)), "titrated")
    doses = run.pharmacology.schedule()
    starts = [float(d.start) for d in doses]
    peaks = [session_dissociation(run, starts, k).peak for k in range(len(doses))]
    return np.array([_amount(d.dose) for d in doses]), np.array(peaks), run


def test_titration_stops_at_the_ceiling():
    # a target the proxy cannot reach below the ceiling: escalate until the ceiling, then hold
    doses, peaks, _ = _titrated({"step": "0.2 mg/kg", "ceiling": "0.5 mg/kg", "target": 0.99})
    np.testing.assert_allclose(doses, [0.2, 0.4, 0.5, 0.5, 0.5, 0.5])
    assert np.all(peaks < 0.99)


def test_titration_moves_toward_the_target_and_holds_once_reached():
    target = 0.5
    doses, peaks, _ = _titrated({"step": "0.1 mg/kg", "ceiling": "1 mg/kg", "target": target})
    for k in range(SESSIONS - 1):
        if peaks[k] < target:
            assert doses[k + 1] == pytest.approx(doses[k] + 0.1)  # below: escalate
        else:
            assert doses[k + 1] == doses[k]  # reached: hold
    assert peaks[0] < target <= peaks[-1]
    assert np.all(np.diff(doses) >= 0) and doses[-1] < 1.0  # stopped before the ceiling
    assert np.all(np.diff(peaks) >= -1e-9)  # the read-out rises with the dose


def test_a_start_dose_already_at_the_target_is_held():
    doses, peaks, _ = _titrated({"target": 0.3}, dose="0.6 mg/kg")
    assert peaks[0] >= 0.3
    np.testing.assert_allclose(doses, 0.6)


def test_absolute_doses_titrate_in_mg():
    doses, _, run = _titrated({"step": "10 mg", "ceiling": "40 mg", "target": 0.99}, dose="20 mg")
    np.testing.assert_allclose(doses, [20, 30, 40, 40, 40, 40])  # absolute, unscaled


def test_the_doses_given_are_recorded_in_the_compiled_run_config():
    doses, _, run = _titrated({"step": "0.1 mg/kg", "ceiling": "1 mg/kg", "target": 0.5})
    recorded = json.loads(run.to_json())["pharmacology"]["doses"]
    assert [d["dose"] for d in recorded] == [f"{x:g} mg/kg" for x in doses]
    assert run.from_protocol
    control = resolve_condition(config_from_dict(_config({})), "control")
    assert control.pharmacology.doses == []


def test_titration_follows_the_pk_of_the_condition():
    # interneuron_preference = false raises IC50_inh to 5 µM: less dissociation per dose,
    # so the same rule escalates further
    titration = {"step": "0.1 mg/kg", "ceiling": "1 mg/kg", "target": 0.5}
    cfg = _config(titration)
    cfg["conditions"]["titrated"] = {"set": {"pharmacology.interneuron_preference": False}}
    weaker = resolve_condition(config_from_dict(cfg), "titrated").pharmacology.schedule()
    default, _, _ = _titrated(titration)
    assert _amount(weaker[-1].dose) > default[-1]


def test_next_dose_rule():
    rule = TitrationConfig(step="0.1 mg/kg", ceiling="0.45 mg/kg", target=0.5)
    assert _amount(rule.next_dose(rule.step * 2, 0.2)) == pytest.approx(0.3)
    assert _amount(rule.next_dose(rule.step * 4, 0.2)) == pytest.approx(0.45)  # ceiling
    assert _amount(rule.next_dose(rule.step * 3, 0.5)) == pytest.approx(0.3)  # reached


@pytest.mark.parametrize(
    ("titration", "dose", "message"),
    [
        (
            {"step": "0 mg/kg"},
            "0.2 mg/kg",
            r"titration\.step = '0 mg/kg'.*expected a dose increase > 0",
        ),
        ({"step": "-0.1 mg/kg"}, "0.2 mg/kg", r"titration\.step = '-0.1 mg/kg'"),
        (
            {"ceiling": "0.1 mg/kg"},
            "0.2 mg/kg",
            r"titration\.ceiling = '0\.1 mg/kg': expected at least the first dose "
            r"\(dose = '0\.2 mg/kg'\)",
        ),
        ({"target": 0}, "0.2 mg/kg", r"titration\.target = 0: expected .* between 0 and 1"),
        ({"target": 1.0}, "0.2 mg/kg", r"titration\.target = 1\.0: expected .* between 0 and 1"),
        ({"target": 1.5}, "0.2 mg/kg", r"titration\.target = 1\.5: expected"),
        ({"target": -0.2}, "0.2 mg/kg", r"titration\.target = -0\.2: expected"),
        ({"step": "10 mg"}, "0.2 mg/kg", r"all per body weight \(mg/kg\) or all absolute"),
    ],
)
def test_bad_titration_settings_are_rejected_naming_the_key(titration, dose, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(_config(titration, dose))


def test_titration_and_a_fixed_escalation_step_are_exclusive():
    with pytest.raises(ConfigError, match="titration with step/cap: expected one escalation"):
        config_from_dict(_config({}, step="0.1 mg/kg"))
