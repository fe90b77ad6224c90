"""Every quantity is finite and physical, every dose inside the drug's validity range, and
``validate`` refuses what ``run`` refuses (issue #20, items 2 and 3).

Each case is a defect of the reliability probes (../shared/notes/reliability-probes.md):
accepted before, refused now in one line naming the key, the value and what was expected.
Nothing here simulates: ``run`` stops before its first run either way, and the simulation
entry points are replaced by a sentinel in the tests where it would not.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CONFIGS

import neuroplast.studies.comparison as comparison
import neuroplast.studies.run as study_run
from neuroplast.cli import main
from neuroplast.config.conditions import outside_range_lines, resolve_conditions
from neuroplast.config.experiment import MAX_REPEATS, ConfigError, load_config
from neuroplast.model.pharmacology import DRUGS, Dose, PharmacologyConfig, brain_concentration
from neuroplast.model.pharmacology.pk import peak_brain_concentration
from neuroplast.studies.report import write_report

QUICK = str(CONFIGS / "quick.toml")
KAP = str(CONFIGS / "kap_quick.toml")
SINGLE = str(CONFIGS / "ketamine_single_dose.toml")


class Simulated(Exception):
    """Raised instead of simulating: ``run`` got past every check."""


@pytest.fixture
def no_simulation(monkeypatch):
    def refuse(*args, **kwargs):
        raise Simulated

    monkeypatch.setattr(study_run, "run_experiment", refuse)
    monkeypatch.setattr(comparison, "_run_and_analyse", refuse)


def cli(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def error_line(err: str) -> str:
    """The error, which must be exactly one line."""
    lines = [line for line in err.splitlines() if line.startswith("neuroplast: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------- finite values

#: (override, key named) -- inf, 1e400 or a finite text that overflows in SI units,
#: each accepted before (probes: "inf is accepted for 14 parameters")
NON_FINITE = [
    ("synapses.gaba_scale=inf", "synapses.gaba_scale"),
    ("synapses.to_exc.nmda_scale=inf", "synapses.to_exc.nmda_scale"),
    ("synapses.to_inh.nmda_scale=inf", "synapses.to_inh.nmda_scale"),
    ('synapses.to_exc.g_ampa="1e400 nS"', "synapses.to_exc.g_ampa"),
    ("timescale.rate=inf", "timescale.rate"),
    ("timescale.session_rate=1e400", "timescale.session_rate"),
    ("plasticity.istdp.eta=inf", "plasticity.istdp.eta"),
    ("plasticity.stdp.A_minus=inf", "plasticity.stdp.A_minus"),
    ("plasticity.stdp.w_max=1e400", "plasticity.stdp.w_max"),
    ("plasticity.structural.rewire_tolerance=inf", "plasticity.structural.rewire_tolerance"),
    ("plasticity.structural.w_ref=inf", "plasticity.structural.w_ref"),
    ("plasticity.structural.gamma_bdnf=nan", "plasticity.structural.gamma_bdnf"),
    ("protocol.acute.dissociation.hill=inf", "protocol.acute.dissociation.hill"),
    ('protocol.acute.window="1.7976931348623157e+308 min"', "protocol.acute.window"),
    ('external.rate="1e400 Hz"', "external.rate"),
]


@pytest.mark.parametrize(("override", "key"), NON_FINITE)
def test_non_finite_values_are_refused_naming_the_key(capsys, override, key):
    status, _, err = cli(capsys, "validate", QUICK, "--set", override)
    assert status == 2
    line = error_line(err)
    assert f"{key} = " in line
    assert "finite" in line


# --------------------------------------------------------------------------- strict types

STRICT = [
    ("network.n_exc=true", "network.n_exc = True", "a boolean is not a count"),
    ("network.n_exc=1.0", "network.n_exc = 1.0", "expected an integer"),
    ("recording.n_traced=false", "recording.n_traced = False", "a boolean is not a count"),
    ("synapses.gaba_scale=true", "synapses.gaba_scale = True", "a boolean is not one"),
    (
        "network.n_exc=100000000000000000000000000000",
        "network.n_exc = 100000000000000000000000000000",
        "less than or equal to 10000000",
    ),
]


@pytest.mark.parametrize(("override", "shown", "expected"), STRICT)
def test_a_boolean_is_not_a_count(capsys, override, shown, expected):
    status, _, err = cli(capsys, "validate", QUICK, "--set", override)
    assert status == 2
    line = error_line(err)
    assert shown in line
    assert expected in line


# --------------------------------------------------------------------------- documented ranges

#: (override, key named, expected) -- physically absurd values accepted without a word
ABSURD = [
    ('neurons.exc.V_th="1e300 mV"', "neurons.exc.V_th", "between -150 mV and 150 mV"),
    ('receptors.gaba.E_rev="500 mV"', "receptors.gaba.E_rev", "between -150 mV and 150 mV"),
    ('neurons.exc.C_m="1e-30 nF"', "neurons.exc.C_m", "shorter than simulation.dt"),
    ('receptors.nmda.tau_decay="0.001 ms"', "receptors.nmda.tau_decay", "at least simulation.dt"),
    ("synapses.to_exc.nmda_scale=5", "synapses.to_exc.nmda_scale", "less than or equal to 1"),
    ('pharmacology.body_weight="70 mg"', "pharmacology.body_weight", "between 1 kg and 500 kg"),
    ('simulation.dt="1e-30 ms"', "simulation.dt", "between 0.001 ms and 1 ms"),
    ("network.n_exc=1000000000", "network.n_exc", "10000000"),
    ("network.n_exc=2000000", "network.n_exc = 2000000", "expected at most 1e+08"),
]


@pytest.mark.parametrize(("override", "key", "expected"), ABSURD)
def test_values_outside_their_documented_range_are_refused(capsys, override, key, expected):
    status, _, err = cli(capsys, "validate", QUICK, "--set", override)
    assert status == 2
    line = error_line(err)
    assert key in line
    assert expected in line


@pytest.mark.parametrize("t_ref", ['"0 ms"', '"-0.0 ms"', '"1e-297 ms"', '"0.3 ms"'])
def test_a_short_refractory_period_is_blamed_on_t_ref_not_on_the_delay(capsys, t_ref):
    status, _, err = cli(capsys, "validate", QUICK, "--set", f"neurons.inh.t_ref={t_ref}")
    assert status == 2
    line = error_line(err)
    assert "neurons.inh.t_ref = " in line
    assert "synapses.delay = " not in line


def test_a_long_delay_is_still_blamed_on_the_delay(capsys):
    status, _, err = cli(capsys, "validate", QUICK, "--set", 'synapses.delay="5 ms"')
    assert status == 2
    assert "synapses.delay = '5 ms': expected at most the refractory period" in error_line(err)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_million_repeats_are_refused_with_an_estimate_of_the_work(capsys, command, tmp_path):
    argv = [command, KAP, "--set", "repeats=1000000"]
    argv += ["--out", str(tmp_path / "out")] if command == "run" else []
    status, _, err = cli(capsys, *argv)
    assert status == 2
    line = error_line(err)
    assert f"repeats = 1000000: expected at most {MAX_REPEATS}" in line
    assert "4000000 run(s)" in line
    assert "network hours" in line
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- validate == run

#: condition `set` overrides that `validate` passed and `run` refused (probes: 7 configs)
BROKEN_CONDITIONS = [
    ('{"protocol.doses.0.drug" = "cocaine"}', "unknown drug 'cocaine'"),
    ('{"protocol.doses.0.duration" = "0 min"}', "needs a duration > 0"),
    ('{"protocol.doses.0.count" = 2, "protocol.doses.0.every" = "20 min"}', "overlap"),
    ('{"protocol.doses.0.dose" = "1e400 mg/kg"}', "expected a finite dose"),
    ('{"network.n_exc" = -5}', "network.n_exc = -5"),
    ('{"network.n_exe" = 5}', "unknown key 'n_exe'"),
    ('{"protocol.doses.0.dose" = "5 mg/kg"}', "expected at most 2 uM"),
]


@pytest.mark.parametrize(("condition_set", "expected"), BROKEN_CONDITIONS)
def test_validate_refuses_every_condition_that_run_refuses(
    capsys, tmp_path, no_simulation, condition_set, expected
):
    override = f"conditions.ketamine.set={condition_set}"
    status, _, err = cli(capsys, "validate", KAP, "--set", override)
    assert status == 2
    validated = error_line(err)
    assert validated.startswith("neuroplast: error: conditions.ketamine")
    assert expected in validated
    status, _, err = cli(capsys, "run", KAP, "--set", override, "--out", str(tmp_path / "o"))
    assert status == 2
    assert error_line(err) == validated


def test_an_infusion_running_past_the_end_of_the_protocol_is_refused(capsys):
    # a 3 h infusion starting 1 h before the last phase (and the protocol) ends
    override = (
        'protocol.doses=[{phase = "follow_up", start = "47 h", dose = "0.5 mg/kg", '
        'duration = "3 h", conditions = ["ketamine", "ketamine_therapy"]}]'
    )
    status, _, err = cli(capsys, "validate", KAP, "--set", override)
    assert status == 2
    line = error_line(err)
    assert "protocol: doses[0].duration = '180 min'" in line
    assert "after the end of the protocol" in line


def test_every_shipped_config_compiles_for_every_condition():
    for path in sorted(CONFIGS.glob("*.toml")):
        runs = resolve_conditions(load_config(path))
        assert runs, path
        assert outside_range_lines(runs) == [], path


# --------------------------------------------------------------------------- the drug's range

IV_DOSE = "pharmacology.doses=[{{drug = {drug!r}, route = 'iv', start = '6 h', dose = {dose!r}}}]"


@pytest.mark.parametrize(
    ("dose", "peak"), [("5 mg/kg", "8.76 uM"), ("1000 mg/kg", "1.75e+03 uM"), ("56000 mg", "")]
)
def test_an_anaesthetic_dose_is_refused_with_its_computed_peak(
    capsys, tmp_path, no_simulation, dose, peak
):
    override = IV_DOSE.format(drug="ketamine", dose=dose)
    for argv in (["validate"], ["run", "--out", str(tmp_path / "out")]):
        status, _, err = cli(capsys, argv[0], SINGLE, "--set", override, *argv[1:])
        assert status == 2
        line = error_line(err)
        assert f"pharmacology: doses[0] = 'ketamine {dose}" in line
        assert f"peak brain concentration {peak}" in line
        assert "expected at most 2 uM" in line
        assert "pharmacology.allow_outside_range = true" in line


def test_the_ceiling_dose_of_one_mg_per_kg_stays_inside_the_range(capsys):
    override = IV_DOSE.format(drug="ketamine", dose="1 mg/kg")
    status, _, _ = cli(capsys, "validate", SINGLE, "--set", override)
    assert status == 0


def test_ketamine_range_sits_between_its_antidepressant_and_anaesthetic_levels():
    limit = float(DRUGS["ketamine"].max_brain_concentration / DRUGS["ketamine"].ic50_inh)
    assert limit == pytest.approx(2.0 / 1.5)
    zarate, _ = peak_brain_concentration([Dose(dose="0.5 mg/kg")])
    anaesthesia, _ = peak_brain_concentration([Dose(dose="2 mg/kg")])  # Zanos 2018: 1-2 mg/kg
    assert zarate < 2.0 < anaesthesia
    assert "Idvall" in DRUGS["ketamine"].sources["max_brain_concentration"]
    for drug in DRUGS.values():
        assert drug.max_brain_concentration is not None
        assert drug.sources["max_brain_concentration"].strip()


def test_the_peak_is_that_of_the_exact_solution_at_the_end_of_the_infusion():
    peak, when = peak_brain_concentration([Dose(dose="0.5 mg/kg", start="6 h")])
    assert when == pytest.approx(6 * 3600 + 40 * 60)
    assert peak == pytest.approx(0.876, abs=0.001)  # C5: 0.87 uM (pk.py module doc)


def test_an_extravascular_peak_is_found_between_samples():
    dose = Dose(route="intranasal", dose="100 mg")
    coarse, when = peak_brain_concentration([dose])
    dense = brain_concentration(np.linspace(0, 7200, 72001), [dose])
    assert coarse == pytest.approx(dense.max(), rel=1e-4)
    assert 0.2 * 3600 < when < 0.6 * 3600


def test_opting_in_runs_it_and_every_output_says_so(capsys, tmp_path, no_simulation):
    override = IV_DOSE.format(drug="ketamine", dose="5 mg/kg")
    opt_in = "pharmacology.allow_outside_range=true"
    status, out, err = cli(capsys, "validate", SINGLE, "--set", override, "--set", opt_in)
    assert status == 0
    assert '"allow_outside_range": true' in out
    assert "neuroplast: warning: outside the model's validity range" in err
    assert "8.76 uM" in err
    # run: the command line says so before anything runs (then the sentinel stops it)
    status, _, err = cli(
        capsys, "run", SINGLE, "--set", override, "--set", opt_in, "--out", str(tmp_path / "o")
    )
    assert "Simulated" in err
    assert "neuroplast: warning: outside the model's validity range" in err
    # the run's provenance (data.h5 attribute outside_validity_range) and the report
    cfg = load_config(SINGLE, [override, opt_in])
    assert cfg.pharmacology.outside_range() == [
        line.split("(pharmacology.allow_outside_range = true): ")[1]
        for line in outside_range_lines({cfg.condition: cfg})
    ]
    report = write_report(tmp_path, "", {}, [], [], [], warnings=outside_range_lines({"a": cfg}))
    assert "> **Warning:** outside the model's validity range" in report.read_text()


def test_the_run_provenance_records_the_range():
    import inspect

    assert '"outside_validity_range": cfg.pharmacology.outside_range()' in inspect.getsource(
        study_run.run_experiment
    )


def test_a_schedule_inside_the_range_is_not_flagged():
    pharmacology = PharmacologyConfig.model_validate({"doses": [{"dose": "0.5 mg/kg"}]})
    assert pharmacology.outside_range() == []
    (peak,) = pharmacology.peak_concentrations()
    assert peak.limit_uM == 2.0
    assert not peak.outside


def test_the_range_is_checked_when_a_protocol_is_compiled():
    cfg = load_config(KAP, ['conditions.ketamine.set={"protocol.doses.0.dose" = "5 mg/kg"}'])
    with pytest.raises(ConfigError, match=r"conditions\.ketamine: pharmacology: doses\[0\]"):
        resolve_conditions(cfg)
