"""Sweep axis paths into lists of tables (``protocol.doses.0.dose``): validation against
the base config, values set into every run's config, and clear errors.  Nothing runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from neuroplast.config.experiment import ConfigError
from neuroplast.studies.sweep import expand_points, load_sweep, resolve_runs

#: A small protocol with one stress episode, one dose and one therapy event, two arms.
BASE = """
seed = 3
repeats = 1

[assemblies.adaptive]
size = 20

[protocol]
phases = [
  { name = "baseline", duration = "2 days" },
  { name = "stress", duration = "2 days" },
  { name = "treatment", duration = "2 days" },
]

[[protocol.stress]]
phase = "stress"
severity = 1.0

[[protocol.doses]]
phase = "treatment"
start = "6 h"
dose = "0.5 mg/kg"
conditions = ["ketamine"]

[[protocol.therapy]]
phase = "treatment"
after_dose = "12 h"
count = 1
every = "6 h"
conditions = ["ketamine"]

[conditions.control]
[conditions.ketamine]
"""


def write_spec(folder: Path, axes: str, head: str = "", fixed: str = "") -> Path:
    """A sweep spec on :data:`BASE`; ``axes``, ``head`` and ``fixed`` ([set]) are TOML text."""
    (folder / "base.toml").write_text(BASE)
    path = folder / "spec.toml"
    path.write_text(f'base = "base.toml"\n{head}\n{axes}\n{fixed}')
    return path


def axis(path: str, values: str) -> str:
    return f'[[axes]]\npath = "{path}"\n{values}\n'


def spec_error(tmp_path: Path, axes: str, head: str = "") -> str:
    with pytest.raises(ConfigError) as info:
        resolve_runs(load_sweep(write_spec(tmp_path, axes, head)))
    return str(info.value)


# --------------------------------------------------------------------------- valid paths


def test_list_paths_set_the_indexed_element_in_every_run(tmp_path):
    axes = (
        axis("protocol.doses.0.dose", 'values = ["0.25 mg/kg", "0.75 mg/kg"]')
        + axis("protocol.stress.0.severity", "values = [0.5]")
        + axis("protocol.therapy.0.count", "values = [1, 3]")
    )
    runs = resolve_runs(load_sweep(write_spec(tmp_path, axes)))
    assert len(runs) == 2 * 1 * 2 * 2  # points x conditions
    for run in runs:
        protocol = run.config["protocol"]
        values = run.point.values
        assert protocol["doses"][0]["dose"] == values["protocol.doses.0.dose"]
        assert protocol["stress"][0]["severity"] == 0.5
        assert protocol["therapy"][0]["count"] == values["protocol.therapy.0.count"]
        assert protocol["doses"][0]["start"] == "6 h"  # the rest of the element is kept
    doses = {r.point.values["protocol.doses.0.dose"] for r in runs}
    assert doses == {"0.25 mg/kg", "0.75 mg/kg"}


def test_list_paths_reach_the_compiled_condition(tmp_path):
    axes = axis("protocol.doses.0.dose", 'values = ["0.25 mg/kg"]') + axis(
        "protocol.therapy.0.count", "values = [3]"
    )
    runs = resolve_runs(load_sweep(write_spec(tmp_path, axes)))
    ketamine = next(r for r in runs if r.condition == "ketamine")
    assert [d["dose"] for d in ketamine.config["pharmacology"]["doses"]] == ["0.25 mg/kg"]
    assert len(ketamine.config["therapy"]["sessions"]) == 3


def test_ranges_on_list_fields_are_sampled_with_their_unit_and_type(tmp_path):
    axes = (
        axis("protocol.doses.0.dose", 'range = { low = 0.1, high = 1, unit = "mg/kg" }')
        + axis("protocol.doses.0.duration", 'range = { low = 20, high = 60, unit = "min" }')
        + axis("protocol.therapy.0.count", "range = { low = 1, high = 3 }")
    )
    spec = load_sweep(write_spec(tmp_path, axes, 'kind = "latin_hypercube"\nsamples = 4'))
    points = expand_points(spec)
    assert all(p.values["protocol.doses.0.dose"].endswith(" mg/kg") for p in points)
    # an optional quantity (duration: Qty | None) keeps its unit
    assert all(p.values["protocol.doses.0.duration"].endswith(" min") for p in points)
    assert all(isinstance(p.values["protocol.therapy.0.count"], int) for p in points)
    runs = resolve_runs(spec)
    assert len(runs) == 4 * 2
    assert {r.config["protocol"]["doses"][0]["dose"] for r in runs} == {
        p.values["protocol.doses.0.dose"] for p in points
    }


def test_an_index_is_checked_against_the_list_after_set(tmp_path):
    two_episodes = (
        '[[set.protocol.stress]]\nphase = "stress"\n[[set.protocol.stress]]\nphase = "treatment"'
    )
    axes = axis("protocol.stress.1.severity", "values = [0.25]")
    runs = resolve_runs(load_sweep(write_spec(tmp_path, axes, fixed=two_episodes)))
    assert {r.config["protocol"]["stress"][1]["severity"] for r in runs} == {0.25}


# --------------------------------------------------------------------------- errors


def test_an_index_out_of_range_names_the_path_the_index_and_the_length(tmp_path):
    text = spec_error(tmp_path, axis("protocol.doses.2.dose", 'values = ["0.25 mg/kg"]'))
    assert "axes[0].path = 'protocol.doses.2.dose'" in text
    assert "index 2 is out of range: protocol.doses has 1 element(s)" in text
    assert "indices 0 to 0" in text


def test_an_index_into_an_empty_list_is_out_of_range(tmp_path):
    text = spec_error(tmp_path, axis("protocol.replay.0.assembly", 'values = ["adaptive"]'))
    assert "protocol.replay.0: index 0 is out of range: protocol.replay has 0 element(s)" in text


@pytest.mark.parametrize("part", ["first", "-1", "+0"])
def test_a_list_needs_an_integer_index(tmp_path, part):
    text = spec_error(tmp_path, axis(f"protocol.doses.{part}.dose", 'values = ["0.25 mg/kg"]'))
    assert f"axes[0].path = 'protocol.doses.{part}.dose'" in text
    assert "protocol.doses is a list of tables; expected an index (indices 0 to 0)" in text


def test_a_list_path_without_index_asks_for_one(tmp_path):
    text = spec_error(tmp_path, axis("protocol.doses.dose", 'values = ["0.25 mg/kg"]'))
    assert "protocol.doses is a list of tables; expected an index" in text
    assert "got 'dose'" in text


def test_an_unknown_field_in_an_element_is_named_with_a_suggestion(tmp_path):
    text = spec_error(tmp_path, axis("protocol.doses.0.dosage", 'values = ["0.25 mg/kg"]'))
    assert "protocol.doses.0.dosage: unknown key 'dosage' in protocol.doses.0" in text
    assert "did you mean 'dose'" in text


def test_an_index_into_a_table_is_an_unknown_key(tmp_path):
    text = spec_error(tmp_path, axis("network.0.n_exc", "values = [100]"))
    assert "network.0: unknown key '0' in network" in text


@pytest.mark.parametrize(
    ("path", "range_", "expected"),
    [
        (
            "protocol.doses.0.dose",
            '{ low = 1, high = 5, unit = "Hz" }',
            "wrong dimension for protocol.doses.0.dose; expected a unit of the same dimension "
            "as 'mg/kg' or 'mg'",
        ),
        (
            "protocol.doses.0.dose",
            "{ low = 0.1, high = 1 }",
            "protocol.doses.0.dose is a value in mg/kg; expected unit = 'mg/kg' or 'mg'",
        ),
        (
            "protocol.therapy.0.duration",
            '{ low = 1, high = 5, unit = "Hz" }',
            "wrong dimension for protocol.therapy.0.duration",
        ),
        (
            "protocol.stress.0.start",
            "{ low = 0, high = 1 }",
            "protocol.stress.0.start is a value in day; expected unit = 'day'",
        ),
        (
            "protocol.stress.0.severity",
            '{ low = 0, high = 1, unit = "mg" }',
            "protocol.stress.0.severity is a plain number; expected no unit",
        ),
    ],
    ids=[
        "dose-in-Hz",
        "dose-without-unit",
        "duration-in-Hz",
        "start-without-unit",
        "severity-with-unit",
    ],
)
def test_a_range_unit_on_a_list_field_is_checked(tmp_path, path, range_, expected):
    head = 'kind = "random"\nsamples = 2'
    text = spec_error(tmp_path, axis(path, f"range = {range_}"), head)
    assert "axes[0].range" in text and expected in text


def test_a_value_of_the_wrong_dimension_names_the_point_and_the_field(tmp_path):
    text = spec_error(tmp_path, axis("protocol.doses.0.dose", 'values = ["5 Hz"]'))
    assert "point 0 (protocol.doses.0.dose=5 Hz)" in text
    assert "protocol.doses.0.dose" in text.split("point 0", 1)[1]


def test_conditions_key_runs_only_the_named_conditions(tmp_path):
    spec = load_sweep(
        write_spec(
            tmp_path,
            axis("protocol.stress.0.severity", "values = [0.5, 1.0]"),
            head='conditions = ["ketamine"]',
        )
    )
    runs = resolve_runs(spec)
    assert {run.condition for run in runs} == {"ketamine"}
    assert len(runs) == 2


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ('conditions = ["ketamin"]', "did you mean 'ketamine'"),
        ("conditions = []", "expected a non-empty list"),
        ('conditions = "ketamine"', "expected a non-empty list"),
    ],
)
def test_bad_conditions_key_is_rejected(tmp_path, head, message):
    path = write_spec(tmp_path, axis("protocol.stress.0.severity", "values = [0.5]"), head=head)
    with pytest.raises(ConfigError, match=message):
        load_sweep(path)
