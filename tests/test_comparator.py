"""The slow-onset comparator (SSRI-like drug): no NMDA block, BDNF effect over weeks.

Fast: the exact PK, the slow-adaptation integral and the compiled schedules; no network.
Claims (issue #6; Nibuya, Morinobu & Duman 1995): the comparator blocks no NMDA
receptors; its BDNF factor is unchanged on day 1, rises over weeks of daily dosing and
decays after dosing stops; daily doses from a protocol compile without slowing the clock.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from neuroplast.config.conditions import resolve_condition, shared_clock
from neuroplast.config.experiment import ConfigError, config_from_dict
from neuroplast.model.pharmacology import (
    DRUGS,
    PharmacologyConfig,
    load_drug_table,
    pharmacology_timecourse,
    potency,
    slow_bdnf_course,
)

DAY = 86400.0


def _daily(days: int, first_day: float = 0.0, dose: str = "50 mg") -> list[dict]:
    return [
        {"drug": "ssri", "route": "oral", "start": f"{24 * (first_day + k)} h", "dose": dose}
        for k in range(days)
    ]


def _plateau(cfg: PharmacologyConfig) -> float:
    """Factor rise at steady state: gain x the mean engagement over a late dosing day."""
    late = np.arange(26 * DAY, 27 * DAY, 600.0)
    course = slow_bdnf_course(late, cfg)
    return cfg.drug("ssri").slow_bdnf.gain * float(course.engagement["ssri"].mean())


def test_comparator_blocks_no_nmda_receptors():
    cfg = PharmacologyConfig(doses=_daily(7))
    times = np.arange(0.0, 7 * DAY, 1800.0)
    course = pharmacology_timecourse(times, cfg)
    assert not DRUGS["ssri"].blocks_nmda
    for cell in ("exc", "inh"):
        np.testing.assert_array_equal(course.occupancy[cell], 0.0)
    assert course.brain_concentration == {}  # the blockers' concentration stays apart
    assert course.other_concentration["ssri"].max() > 0


def test_comparator_leaves_the_ketamine_block_unchanged():
    ketamine = {"start": "48 h", "dose": "0.5 mg/kg", "duration": "40 min"}
    both = PharmacologyConfig(doses=[ketamine, *_daily(7)])
    alone = PharmacologyConfig(doses=[ketamine])
    times = np.arange(0.0, 4 * DAY, 600.0)
    for cell in ("exc", "inh"):
        np.testing.assert_allclose(
            pharmacology_timecourse(times, both).occupancy[cell],
            pharmacology_timecourse(times, alone).occupancy[cell],
        )


def test_comparator_has_no_nmda_potency():
    with pytest.raises(ValueError, match="'ssri' blocks no NMDA receptors"):
        potency("ssri", "exc")


def test_bdnf_factor_is_unchanged_on_day_one_and_rises_over_weeks():
    cfg = PharmacologyConfig(doses=_daily(28))
    plateau = _plateau(cfg)
    course = slow_bdnf_course(np.array([0.0, 1 * DAY, 7 * DAY, 14 * DAY, 21 * DAY]), cfg)
    rise = course.factor - 1.0
    assert rise[0] == 0.0
    assert rise[1] < 0.10 * plateau  # a single dose: no BDNF change yet (Nibuya 1995)
    assert rise[4] > 0.50 * plateau  # three weeks of daily dosing
    assert np.all(np.diff(rise) > 0)


def test_bdnf_factor_decays_after_dosing_stops():
    cfg = PharmacologyConfig(doses=_daily(21))
    days = np.array([21.0, 28.0, 35.0, 49.0])
    factor = slow_bdnf_course(days * DAY, cfg).factor
    assert np.all(np.diff(factor) < 0)
    assert factor[-1] - 1.0 < 0.25 * (factor[0] - 1.0)


def test_no_dose_gives_a_factor_of_one():
    course = slow_bdnf_course(np.linspace(0.0, 10 * DAY, 11), PharmacologyConfig())
    np.testing.assert_array_equal(course.factor, 1.0)


def test_bdnf_effect_can_be_overridden_per_experiment():
    slower = PharmacologyConfig(
        doses=_daily(14), drugs={"ssri": {"bdnf_effect": {"onset": "20 days"}}}
    )
    default = PharmacologyConfig(doses=_daily(14))
    at = np.array([14 * DAY])
    assert slow_bdnf_course(at, slower).factor[0] < slow_bdnf_course(at, default).factor[0]
    assert slower.drug("ssri").slow_bdnf.sources["onset"] == "config override"


def test_bdnf_effect_override_on_a_drug_without_one_is_rejected():
    with pytest.raises(ValidationError, match=r"drugs\.ketamine\.bdnf_effect: ketamine has no"):
        PharmacologyConfig(drugs={"ketamine": {"bdnf_effect": {"gain": 1.0}}})


def test_half_declared_nmda_block_in_the_drug_table_is_rejected(tmp_path):
    from importlib import resources

    shipped = resources.files("neuroplast").joinpath("drugs.toml").read_text("utf-8")
    broken = tmp_path / "drugs.toml"
    start = shipped.index("[ssri]")
    block = shipped[start:].replace('ic50_exc = { value = "none"', 'ic50_exc = { value = "5 uM"', 1)
    broken.write_text(block)
    with pytest.raises(ConfigError, match=r"\[ssri\].*ic50_inh.*= 'none' but ic50_exc set"):
        load_drug_table(broken)


def _protocol_config() -> dict:
    return {
        "name": "onset",
        "seed": 3,
        "protocol": {
            "phases": [
                {"name": "baseline", "duration": "1 day"},
                {"name": "treatment", "duration": "28 days"},
            ],
            "doses": [
                {
                    "phase": "treatment",
                    "drug": "ssri",
                    "route": "oral",
                    "dose": "50 mg",
                    "duration": "0 min",
                    "count": 28,
                    "every": "1 day",
                    "conditions": ["ssri", "both"],
                },
                {"phase": "treatment", "start": "2 h", "conditions": ["ketamine", "both"]},
            ],
        },
        "conditions": {"control": {}, "ssri": {}, "ketamine": {}, "both": {}},
    }


def test_daily_oral_doses_compile_from_the_protocol():
    cfg = config_from_dict(_protocol_config())
    run = resolve_condition(cfg, "ssri")
    doses = run.pharmacology.schedule()
    assert len(doses) == 28 and {d.drug for d in doses} == {"ssri"}
    assert {d.route for d in doses} == {"oral"}
    np.testing.assert_allclose(np.diff([float(d.start) for d in doses]), DAY)  # every = "1 day"
    # only the ketamine session slows the clock, in every condition (a shared clock)
    windows = shared_clock(cfg)
    assert len(windows) == 1
    assert float(run.timescale.windows[0].start) == pytest.approx(DAY + 2 * 3600 - 1800)


@pytest.mark.parametrize("condition", ["ssri", "both"])
def test_schedules_carry_the_slow_factor_and_no_session_for_daily_doses(condition):
    from neuroplast.simulation.schedules import build_schedules
    from neuroplast.simulation.simulate import drug_curves

    run = resolve_condition(config_from_dict(_protocol_config()), condition)
    schedules = build_schedules(run, drug_curves(run))
    factor = schedules.sampled["bdnf_drug_factor"]
    days = schedules.sampled["bio_day"]
    assert "bdnf_drug_factor" in schedules.arrays
    assert factor[days < 1.0].max() == 1.0  # before the first dose
    assert factor[-1] > factor[np.searchsorted(days, 2.0)] > 1.0
    rates = schedules.time_map.rates
    assert (rates < run.timescale.rate).sum() == 1  # the one ketamine session window
    if condition == "ssri":
        np.testing.assert_array_equal(schedules.sampled["occupancy_inh"], 0.0)
