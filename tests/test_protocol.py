"""Protocols, conditions, assemblies and therapy input (no network simulation).

Checked here (protocol.py, model/therapy.py, model/timescale.py):
* a protocol compiles to absolute stress episodes, doses (repeated, escalated to a cap),
  therapy sessions (after every dose of the protocol, also in arms without the drug) and
  probe days; the condition's overrides apply;
* bad protocols fail before anything runs, naming the key, the value and what was expected;
* therapy windows slow the clock (the slowest rate wins where windows overlap);
* assemblies have their sizes and overlaps and are reproducible per seed;
* therapy input: the expected number of spikes (Poisson), sham pulses move between cells,
  a competitor is driven in antiphase, and no channel gets two spikes in one step.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT

from neuroplast.cli import main
from neuroplast.config.conditions import condition_names, resolve_condition, resolve_conditions
from neuroplast.config.experiment import ConfigError, config_from_dict, load_config
from neuroplast.model.therapy import (
    AssemblyConfig,
    InputSession,
    TherapyConfig,
    choose_assemblies,
    input_spikes,
)
from neuroplast.model.timescale import TimescaleConfig, build_time_map

DAY = 86400.0


def _experiment(**extra) -> dict:
    data = {
        "seed": 1,
        "plasticity": {"structural": {"enabled": True}},
        "assemblies": {"adaptive": {"size": 80}, "maladaptive": {"size": 80}},
        "protocol": {
            "phases": [
                {"name": "baseline", "duration": "2 days"},
                {"name": "stress", "duration": "10 days"},
                {"name": "treatment", "duration": "7 days"},
                {"name": "follow_up", "duration": "5 days"},
            ],
            "stress": [{"phase": "stress", "severity": 0.8}],
            "doses": [
                {
                    "phase": "treatment",
                    "start": "12 h",
                    "dose": "0.5 mg/kg",
                    "count": 3,
                    "every": "2 days",
                    "step": "0.25 mg/kg",
                    "cap": "0.9 mg/kg",
                    "conditions": ["ketamine", "ketamine_therapy"],
                }
            ],
            "therapy": [
                {
                    "phase": "treatment",
                    "after_dose": "1 day",
                    "duration": "1 h",
                    "conditions": ["therapy", "ketamine_therapy"],
                }
            ],
            "probes": [{"phase": "treatment", "at": "1.5 days"}],
        },
        "conditions": {
            "control": {},
            "ketamine": {"set": {"pharmacology.mechanism": "direct"}},
            "therapy": {},
            "ketamine_therapy": {},
        },
    }
    for key, value in extra.items():
        node = data
        *path, last = key.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return data


def test_protocol_compiles_to_absolute_schedules():
    cfg = config_from_dict(_experiment())
    assert condition_names(cfg) == ["control", "ketamine", "therapy", "ketamine_therapy"]
    ket = resolve_condition(cfg, "ketamine_therapy")
    assert ket.from_protocol and ket.timescale.enabled
    assert float(ket.timescale.bio_duration) == pytest.approx(24 * DAY)
    (episode,) = ket.stress.episodes
    assert float(episode.onset) == pytest.approx(2 * DAY)
    assert float(episode.duration) == pytest.approx(10 * DAY)
    assert episode.severity == 0.8
    doses = ket.pharmacology.doses
    assert [float(d.start) / DAY for d in doses] == pytest.approx([12.5, 14.5, 16.5])
    # escalation 0.5, 0.75, then capped at 0.9 mg/kg (doses are stored in kg/kg)
    assert [float(d.dose) * 1e6 for d in doses] == pytest.approx([0.5, 0.75, 0.9])
    assert [float(s.start) / DAY for s in ket.therapy.sessions] == pytest.approx([13.5, 15.5, 17.5])
    # probes: start, every phase end, and the explicit one
    assert [float(d) / DAY for d in ket.recording.snapshots] == pytest.approx(
        [0, 2, 12, 13.5, 19, 24]
    )


def test_therapy_only_arm_gets_sessions_when_the_dosed_arms_do():
    cfg = config_from_dict(_experiment())
    therapy = resolve_condition(cfg, "therapy")
    assert therapy.pharmacology.doses == []
    assert [float(s.start) / DAY for s in therapy.therapy.sessions] == pytest.approx(
        [13.5, 15.5, 17.5]
    )
    control = resolve_condition(cfg, "control")
    assert control.therapy.sessions == [] and control.pharmacology.doses == []
    assert len(control.stress.episodes) == 1


def test_condition_overrides_apply_to_that_condition_only():
    cfg = config_from_dict(_experiment())
    assert resolve_condition(cfg, "ketamine").pharmacology.mechanism == "direct"
    assert resolve_condition(cfg, "control").pharmacology.mechanism == "both"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("protocol.stress", [{"phase": "strss"}], "stress[0].phase = 'strss'"),
        (
            "protocol.doses",
            [{"phase": "treatment", "start": "2 h", "count": 5, "every": "2 days"}],
            "falls outside it",
        ),
        (
            "protocol.therapy",
            [{"phase": "treatment", "start": "1 h", "assembly": "adaptve"}],
            "protocol.therapy[0].assembly = 'adaptve'",
        ),
        (
            "protocol.probes",
            [{"phase": "baseline", "at": "3 days"}],
            "probes[0].at = '3 day'",
        ),
        (
            "protocol.therapy",
            [{"phase": "treatment", "start": "1 h", "conditions": ["ketamin"]}],
            "names 'ketamin'",
        ),
        (
            "protocol.stress",
            [{"phase": "stress", "start": "8 days", "duration": "5 days"}],
            "run past the end of phase 'stress'",
        ),
        ("comparisons", [["control", "ketamin"]], "comparisons[0] = ['control', 'ketamin']"),
        ("comparisons", [["therapy", "therapy"]], "expected two different conditions"),
    ],
)
def test_bad_protocols_are_rejected_with_the_key(key, value, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        config_from_dict(_experiment(**{key: value}))


def test_declared_comparisons_replace_the_default_pairs():
    from neuroplast.studies.analyse import _comparison_pairs  # noqa: PLC0415

    names = ["control", "ketamine", "therapy", "ketamine_therapy"]
    assert _comparison_pairs(names) == [
        ("control", "ketamine"),
        ("control", "therapy"),
        ("control", "ketamine_therapy"),
        ("ketamine", "ketamine_therapy"),
        ("therapy", "ketamine_therapy"),
    ]
    cfg = config_from_dict(_experiment(comparisons=[["therapy", "ketamine"]]))
    assert _comparison_pairs(names, cfg.comparisons) == [("therapy", "ketamine")]
    # a declared pair whose condition has no runs (yet) is left out, not compared to nothing
    assert _comparison_pairs(names[:2], cfg.comparisons) == []


def test_events_given_outside_the_protocol_are_rejected():
    data = _experiment()
    data["stress"] = {"episodes": [{"onset": "1 day"}]}
    with pytest.raises(ConfigError, match="stress.episodes given together with"):
        config_from_dict(data)


def test_overlapping_therapy_sessions_are_rejected_before_running():
    data = _experiment()
    data["protocol"]["therapy"].append(
        {"phase": "treatment", "after_dose": "24.5 h", "duration": "1 h"}
    )
    cfg = config_from_dict(data)
    with pytest.raises(ConfigError, match="overlap"):
        resolve_condition(cfg, "therapy")


def test_therapy_after_dose_needs_a_dose():
    data = _experiment()
    data["protocol"]["doses"] = []
    with pytest.raises(ConfigError, match="protocol.doses has no dose to time it from"):
        config_from_dict(data)


def test_therapy_windows_slow_the_clock_and_the_slowest_rate_wins():
    ts = TimescaleConfig(enabled=True, bio_duration="2 days", session_after="6 h")
    dose = 1.0 * DAY
    tm = build_time_map(ts, [dose], windows=[(dose + 3600.0, dose + 2 * 3600.0, 60.0)])
    assert tm.rates.tolist() == [8640.0, 360.0, 60.0, 360.0, 8640.0]
    # network time: 23.5 h at 8640, 1.5 h at 360, 1 h at 60, 4 h at 360, 18 h at 8640
    hour = 3600.0
    expected = 23.5 * hour / 8640 + 1.5 * hour / 360 + hour / 60 + 4 * hour / 360 + 18 * hour / 8640
    assert tm.sim_duration == pytest.approx(expected)


def test_assemblies_have_their_sizes_overlap_and_seed():
    specs = {
        "a": AssemblyConfig(size=80),
        "b": AssemblyConfig(size=60, overlap_with="a", overlap=0.25),
        "c": AssemblyConfig(size=50),
    }
    first = choose_assemblies(specs, 800, np.random.default_rng(3))
    again = choose_assemblies(specs, 800, np.random.default_rng(3))
    other = choose_assemblies(specs, 800, np.random.default_rng(4))
    assert {k: len(v) for k, v in first.items()} == {"a": 80, "b": 60, "c": 50}
    assert len(np.intersect1d(first["a"], first["b"])) == 15
    assert len(np.intersect1d(first["c"], np.union1d(first["a"], first["b"]))) == 0
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["a"], other["a"])


def test_assemblies_larger_than_the_network_are_rejected():
    with pytest.raises(ConfigError, match="network.n_exc = 800"):
        config_from_dict(_experiment(**{"assemblies.adaptive": {"size": 790}}))


def _spikes(pattern="pulses", competitor=None, duration="1 h", intensity=0.15):
    cfg = TherapyConfig(
        intensity=intensity,
        sessions=[
            InputSession(
                start="0 days",
                duration=duration,
                assembly="a",
                pattern=pattern,
                competitor=competitor,
            )
        ],
    )
    cells = {"a": np.arange(10, 90), "b": np.arange(100, 180)}
    # identity time map: 1 biological s = 1 network s
    return input_spikes(
        cfg, cells, lambda bio: bio, 2400.0, 800, 1e-4, np.random.default_rng(0)
    ), cells


def test_intensity_zero_gives_sessions_without_input_spikes():
    """intensity = 0 (accepted: a sweep's no-input reference) keeps the sessions and their
    clock but draws no spike; it used to fail on the empty spike list."""
    spikes, _ = _spikes(duration="0.02 h", intensity=0.0)
    assert spikes.n_spikes == 0 and spikes.channels.size == 0


def test_input_spike_count_matches_rate_times_pulse_time():
    spikes, cells = _spikes(duration="0.02 h")  # 72 s: 72 pulses of 200 ms
    expected = 0.15 * 2400.0 * 0.2 * 72 * 80
    # Poisson count: sd = sqrt(expected) ~ 456; 4 sd
    assert abs(spikes.n_spikes - expected) < 4 * np.sqrt(expected)
    targets = np.unique(spikes.channels % 800)
    assert np.array_equal(targets, cells["a"])
    phase = np.mod(spikes.times, 1.0)
    assert phase.max() < 0.2 + 1e-9


def test_no_channel_gets_two_spikes_in_one_step():
    spikes, _ = _spikes(duration="0.01 h", intensity=3.0)  # dense: many same-step spikes
    steps = np.round(spikes.times / 1e-4).astype(np.int64)
    pairs = steps * spikes.n_channels + spikes.channels
    assert len(np.unique(pairs)) == len(pairs)
    assert spikes.n_channels > 800  # duplicates were moved to extra channels


def test_sham_moves_between_cells_and_competitor_is_in_antiphase():
    sham, cells = _spikes(pattern="sham", duration="0.01 h")
    assert len(np.unique(sham.channels % 800)) > 400  # 36 pulses x 80 fresh cells
    comp, _ = _spikes(competitor="b", duration="0.01 h")
    target = comp.channels % 800
    phase_b = np.mod(comp.times[np.isin(target, cells["b"])], 1.0)
    assert phase_b.min() >= 0.5 - 1e-9 and phase_b.max() < 0.7 + 1e-9


def test_all_conditions_share_one_clock():
    from neuroplast.simulation.schedules import build_schedules
    from neuroplast.simulation.simulate import drug_curves

    cfg = config_from_dict(_experiment())
    maps = []
    for name in condition_names(cfg):
        run = resolve_condition(cfg, name)
        maps.append(build_schedules(run, drug_curves(run)).time_map)
    for other in maps[1:]:
        np.testing.assert_allclose(other.bio_edges, maps[0].bio_edges)
        np.testing.assert_array_equal(other.rates, maps[0].rates)
    assert 60.0 in maps[0].rates and 360.0 in maps[0].rates


def test_typos_inside_lists_and_named_tables_get_a_suggestion():
    data = _experiment()
    data["protocol"]["phases"][0]["duraton"] = "1 day"
    with pytest.raises(ConfigError, match="protocol.phases.0.duraton.*did you mean 'duration'"):
        config_from_dict(data)
    data = _experiment(**{"assemblies.adaptive": {"sise": 80}})
    with pytest.raises(ConfigError, match="assemblies.adaptive.sise.*did you mean 'size'"):
        config_from_dict(data)


# --------------------------------------------------------------------------- dotted paths

KAP = "configs/kap_comparison.toml"


def test_set_reaches_a_protocol_dose_by_its_index(capsys):
    """``--set protocol.doses.0.dose`` (the one path engine, neuroplast.paths) sets the dose
    that the protocol compiles into every dosed condition's run config."""
    cfg = load_config(ROOT / KAP, ['protocol.doses.0.dose="0.3 mg/kg"'])
    for condition in ("ketamine", "ketamine_therapy", "sham"):
        (dose,) = resolve_condition(cfg, condition).pharmacology.doses
        assert float(dose.dose) == pytest.approx(0.3e-6)  # mg/kg in SI (kg/kg)
    assert not resolve_condition(cfg, "control").pharmacology.doses
    # the command line takes the same path (validate and run share load_config)
    status = main(["validate", str(ROOT / KAP), "--set", 'protocol.doses.0.dose="0.3 mg/kg"'])
    assert status == 0 and '"0.3 mg/kg"' in capsys.readouterr().out


def test_a_condition_sets_a_protocol_dose_by_its_index():
    data = _experiment(**{"conditions.low": {"set": {"protocol.doses.0.dose": "0.2 mg/kg"}}})
    data["protocol"]["doses"][0].update(count=1, conditions=["ketamine", "low"])
    cfg = config_from_dict(data)
    (dose,) = resolve_condition(cfg, "low").pharmacology.doses
    assert float(dose.dose) == pytest.approx(0.2e-6)
    (dose,) = resolve_condition(cfg, "ketamine").pharmacology.doses
    assert float(dose.dose) == pytest.approx(0.5e-6)


def test_a_bad_index_or_key_after_a_list_names_the_path():
    with pytest.raises(ConfigError, match=r"protocol.doses.3: index 3 is out of range: "):
        load_config(ROOT / KAP, ['protocol.doses.3.dose="0.3 mg/kg"'])
    with pytest.raises(ConfigError, match=r"protocol.doses.0.dos: unknown key 'dos'.*'dose'"):
        load_config(ROOT / KAP, ["protocol.doses.0.dos=1"])
    with pytest.raises(ConfigError, match=r"expected an index \(indices 0 to 0\), got 'first'"):
        load_config(ROOT / KAP, ["protocol.doses.first.dose=1"])


def test_an_event_inside_the_set_point_window_is_refused_naming_it():
    """At 1 day = 1 s of network time, a 6-s set-point window lasts 6 biological days; an
    event before its end would be measured into the set points and act on a structure
    that cannot rewire yet (model/setpoint.py)."""
    path = ROOT / "configs" / "first_experiment.toml"  # baseline 7 days, stress from day 7
    resolve_conditions(load_config(path))
    short = load_config(path, ['protocol.phases.0.duration="1 day"'])
    with pytest.raises(ConfigError, match=r"protocol\.stress: the stress on biological day 1 "):
        resolve_conditions(short)
    # a dose first: named as a dose, and the window's end moves with the clock's sessions
    dose_first = load_config(path, ['protocol.doses.0.phase="baseline"'])
    with pytest.raises(
        ConfigError, match=r"protocol\.doses: the ketamine dose on biological day 0\.25 "
    ):
        resolve_conditions(dose_first)
