"""Config parsing: quantities without eval, dimensions, overrides, errors that name the key."""

from __future__ import annotations

import math

import brian2
import pytest
from conftest import CONFIGS
from hypothesis import given
from hypothesis import strategies as st

from neuroplast.config.experiment import (
    ConfigError,
    ExperimentConfig,
    apply_overrides,
    load_config,
)
from neuroplast.config.parameters import iter_parameters
from neuroplast.units import (
    QuantityParseError,
    exact_quantity_text,
    format_quantity,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100 ms", 100 * brian2.ms),
        ("-70 mV", -70 * brian2.mV),
        ("0.327 nS", 0.327 * brian2.nS),
        ("1 mM", 1 * brian2.mM),
        ("0.062 /mV", 0.062 / brian2.mV),
        ("0.02 L/kg/min", 0.02 * brian2.liter / brian2.kgram / (60 * brian2.second)),
        ("21 days", 21 * 86400 * brian2.second),
        ("2.5 h", 9000 * brian2.second),
        ("3e-3", 3e-3),
        ("5 mV*ms", 5 * brian2.mV * brian2.ms),
        ("2 ms^-1", 2 / brian2.ms),
    ],
)
def test_parse_quantity_reads_numbers_with_units(text, expected):
    value = parse_quantity(text)
    assert brian2.have_same_dimensions(value, expected)
    assert math.isclose(float(value), float(expected), rel_tol=1e-12)


@pytest.mark.parametrize(
    "text", ["__import__('os')", "1 ms; rm", "ms", "1 parsec", "1 ms/", "1 */ms", "exp(1)"]
)
def test_parse_quantity_rejects_anything_else(text):
    with pytest.raises(QuantityParseError):
        parse_quantity(text)


@given(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.sampled_from(["ms", "mV", "nS", "Hz", "mM", "nF", "s"]),
)
def test_format_then_parse_round_trips(number, unit):
    value = parse_quantity(f"{number!r} {unit}")
    again = parse_quantity(format_quantity(value, unit))
    assert math.isclose(float(again), float(value), rel_tol=1e-5, abs_tol=1e-300)


@given(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.sampled_from(["ms", "s", "h", "day", "mg/kg", "nS", "uM", "/day", "1"]),
)
def test_saved_quantities_read_back_bit_for_bit(number, unit):
    value = parse_quantity(f"{number!r} s") if unit == "s" else parse_quantity(number)
    if unit not in ("s", "1"):
        value = parse_quantity(f"{number!r} {unit}") / 7.0  # not a round number in the unit
    text = exact_quantity_text(value, unit)
    assert float(parse_quantity(text)) == float(value), text


def test_a_session_time_in_days_survives_a_saved_config():
    # 14.5 h = 52 200 s; 6 significant digits in days give 52 200.0288 s, which moves a
    # session by a schedule step when a run is repeated from its saved config.json
    value = parse_quantity("14.5 h")
    assert float(parse_quantity(format_quantity(value, "day"))) != 52200.0
    assert float(parse_quantity(exact_quantity_text(value, "day"))) == 52200.0


def test_defaults_validate_and_every_parameter_is_documented():
    cfg = ExperimentConfig()
    assert cfg.receptors.nmda.tau_decay == 100 * brian2.ms
    rows = list(iter_parameters(cfg))
    assert len(rows) > 40
    for row in rows:
        assert row.description, f"{row.path} has no description"


def test_quantity_fields_report_their_unit():
    units = {row.path: row.unit for row in iter_parameters()}
    assert units["receptors.nmda.tau_decay"] == "ms"
    assert units["neurons.exc.C_m"] == "nF"
    assert units["receptors.nmda.mg"] == "mM"


def test_override_by_dotted_path_changes_only_that_field():
    cfg = load_config(None, ["network.n_exc=400", 'receptors.nmda.tau_decay="80 ms"'])
    assert cfg.network.n_exc == 400
    assert cfg.receptors.nmda.tau_decay == 80 * brian2.ms
    assert cfg.receptors.nmda.tau_rise == 2 * brian2.ms


def test_override_accepts_unquoted_text_as_the_shell_leaves_it():
    cfg = load_config(None, ["receptors.nmda.tau_decay=80 ms"])
    assert cfg.receptors.nmda.tau_decay == 80 * brian2.ms


def test_override_on_missing_path_suggests_the_closest_key():
    with pytest.raises(ConfigError, match=r"did you mean 'tau_decay'\?"):
        apply_overrides({}, ["receptors.nmda.tau_decy=3"])


def test_wrong_dimension_names_key_value_and_expected_unit():
    with pytest.raises(ConfigError) as err:
        load_config(None, ['receptors.nmda.tau_decay="100 mV"'])
    message = str(err.value)
    assert "receptors.nmda.tau_decay" in message
    assert "100 mV" in message
    assert "ms" in message


def test_resolved_config_round_trips_through_json():
    cfg = load_config(None, ["network.n_exc=123"])
    again = ExperimentConfig.model_validate(cfg.resolved())
    assert again == cfg


def test_delay_shorter_than_a_time_step_is_rejected():
    with pytest.raises(ConfigError, match="synapses.delay"):
        load_config(None, ['synapses.delay="0 ms"'])


SHIPPED = sorted(CONFIGS.glob("*.toml"))
SWEEPS = sorted((CONFIGS / "sweeps").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED + SWEEPS, ids=lambda p: p.stem)
def test_every_shipped_config_and_sweep_spec_is_valid(path):
    from neuroplast.studies.sweep import load_sweep  # noqa: PLC0415

    assert SHIPPED and SWEEPS
    (load_sweep if path.parent.name == "sweeps" else load_config)(path)
