"""Regression: refusals that did not name the key set, or named it in several lines.

Found by tests/test_config_fuzz.py, which sets one key at a time and asks that the
refusal names it.  Each case here was refused before too, but in words that named
another key, a class of the schema, or nothing the user had written:

* ``comparisons = [[1]]``: two lines, one of them "comparisons.0.1 = (1,): Field required";
* ``protocol.doses = [1]``: "Input should be a valid dictionary or instance of DoseEvent";
* a therapy ``competitor`` naming no assembly: "therapy.sessions[0] names assembly 'x'";
* a fast ``timescale.session_rate``: "update_interval ... at the fastest time rate";
* a large ``plasticity.structural.candidate_factor``: named only the population sizes;
* a drug-table override that lifts a dose's peak out of the drug's range: named the dose;
* an assembly larger than the network: "assemblies: 900 distinct pyramidal cells needed";
* a therapy session past the end of the protocol: "condition 'control': a therapy
  session ... lies outside the protocol" (which event?);
* ``protocol.doses`` emptied under a therapy timed after a dose, and an event on a phase
  that is not there: named the therapy or the event, not the protocol's list;
* a phase of 5.6e16 days: the next phase became 0 days long in floating point, and its
  stress event was refused as running past it;
* a condition whose ``set`` has two problems: the second line did not name the condition.
"""

from __future__ import annotations

import pytest

from neuroplast.config.conditions import resolve_conditions
from neuroplast.config.experiment import ConfigError, load_config

CLOCK = ["timescale.enabled=true"]
POOL = [*CLOCK, "plasticity.structural.enabled=true"]
ONE_DAY = 'protocol.phases=[{name = "day", duration = "1 day"}]'
KETAMINE = 'protocol.doses=[{phase = "day", start = "2 h", count = 2, every = "4 h"}]'
ASSEMBLY = "assemblies.adaptive={size = 40}"

CASES = [
    (["comparisons=[[1]]"], "comparisons = [[1]]: element 0 is [1]: expected pairs [a, b]"),
    (
        [ONE_DAY, "protocol.doses=[1]"],
        "protocol.doses.0 = 1: expected a table (TOML {key = value, ...}), got int",
    ),
    (
        [*CLOCK, ASSEMBLY, 'therapy.sessions=[{start = "1 day", competitor = "x"}]'],
        "therapy.sessions[0].competitor = 'x': expected the name of an assembly",
    ),
    (
        [*POOL, "timescale.session_rate=1e6"],
        "plasticity.structural.tau_calcium = '1 day' at timescale.session_rate = 1e+06",
    ),
    (
        [*POOL, "plasticity.structural.candidate_factor=1e6"],
        "plasticity.structural.candidate_factor = 1e+06: about",
    ),
    (
        [
            *CLOCK,
            'pharmacology.doses=[{start = "6 h"}]',
            "pharmacology.drugs.ketamine.brain_plasma_ratio=3",
        ],
        "(at 6.67 h) with pharmacology.drugs.ketamine.brain_plasma_ratio = 3.0, expected at most",
    ),
    (["assemblies.adaptive.size=900"], "assemblies.adaptive.size = 900: 900 distinct pyramidal"),
    (
        [ONE_DAY, ASSEMBLY, 'protocol.therapy=[{phase = "day", start = "20 h", duration = "5 h"}]'],
        "protocol: therapy[0]: start = '20 h', duration = '5 h', count = 1: sessions from",
    ),
    (
        [ONE_DAY, KETAMINE, ASSEMBLY, 'protocol.therapy=[{phase = "day", after_dose = "18 h"}]'],
        "after_dose = '18 h' after each of the 2 session(s) of protocol.doses",
    ),
    (
        [ONE_DAY, ASSEMBLY, 'protocol.therapy=[{phase = "day", after_dose = "1 h"}]'],
        "therapy[0].after_dose: protocol.doses has no dose to time it from",
    ),
    (
        [ONE_DAY, 'protocol.stress=[{phase = "night"}]'],
        "stress[0].phase = 'night': expected one of the protocol.phases ['day']",
    ),
    (
        ['protocol.phases=[{name = "a", duration = "5.6e16 days"}, {name = "b"}]'],
        "protocol.phases.0.duration = '5.6e16 days': expected at most 100000 days",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), CASES, ids=[c[1][:40] for c in CASES])
def test_a_refusal_is_one_line_naming_the_key(overrides, expected):
    with pytest.raises(ConfigError) as err:
        load_config(None, overrides)
    message = str(err.value)
    assert "\n" not in message, message
    assert expected in message


def test_every_line_of_a_conditions_refusal_names_the_condition():
    cfg = load_config(
        None,
        [
            ONE_DAY,
            'conditions.control.set={"bdnf.k_act" = -5, "assemblies" = 100}',
            "conditions.other={}",
        ],
    )
    with pytest.raises(ConfigError) as err:
        resolve_conditions(cfg)
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith("conditions.control: ") for line in lines), lines
    assert any("bdnf.k_act = -5" in line for line in lines)
    assert any("assemblies = 100" in line for line in lines)
