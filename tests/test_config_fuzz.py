"""Fuzz of the config schema: every parameter path, the protocol and the conditions.

Issue #20 item 7.  For every parameter a config can set (enumerated from the schema by
:func:`neuroplast.config.parameters.parameters` and the built-in rules' option tables,
never typed here), hypothesis draws values of every kind -- booleans, text, lists,
tables, numbers with the wrong unit, inf, nan, ``"1e400 ms"``, ``"-1e308 Hz"``, zero,
negative, huge and valid ones -- and sets it as ``--set`` does.  Whole protocols (phases,
doses, therapy, replay, probes) and condition tables are drawn as well.  Every case
ends one of two ways:

* refused with a :class:`ConfigError` of one line that names the key (one line per
  problem, each naming its key, when a list or table holds several), by ``neuroplast
  validate`` and by the checks ``neuroplast run`` makes before it simulates alike; no
  other exception, no traceback, not even a numpy overflow warning;
* accepted by both, and then every number of the config and of each run it compiles
  to is finite and inside its field's declared range, and so is every schedule the run
  would read (drug concentration, occupancy, stress, time rate).

:func:`validate` is what ``neuroplast validate`` calls and :func:`run_refusal` what
``neuroplast run`` does up to the network's build.  Cases: 8 per parameter path plus 300
drawn protocols, over 3000 (:func:`test_the_fuzz_draws_over_3000_cases_over_every_path`),
the same on every run (derandomized), in about 30 s.  The lock-conflict and truncated
``data.h5`` drills are in test_output_locks.py and test_io_faults.py.  Nothing here
simulates or builds a network.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
import typing
from pathlib import Path

import annotated_types
import numpy as np
import pytest
from brian2 import Quantity, second
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from neuroplast import paths
from neuroplast.config.conditions import outside_range_lines, resolve_conditions
from neuroplast.config.experiment import ConfigError, ExperimentConfig, load_config
from neuroplast.config.parameters import ELEMENT, NAMED, parameters
from neuroplast.model.rules import BUILT_IN
from neuroplast.schema import UnitMeta
from neuroplast.simulation.schedules import build_schedules
from neuroplast.simulation.simulate import drug_curves, resolve_seed, run_seeds
from neuroplast.simulation.validity import InvalidRun, check_steps
from neuroplast.studies.analyse import is_comparison

# an overflow on the way (numpy's RuntimeWarning) fails the case: a value that overflows
# is refused, or computed without one
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

# --------------------------------------------------------------------------- base configs

#: The direct tables (no protocol), each list holding one element so that every
#: ``<k>`` path has an index to set.  A short run on a fast clock with coarse schedules
#: keeps a case to milliseconds (the drug's PK is computed at every schedule step).
DIRECT = """
[timescale]
enabled = true
bio_duration = "1 day"
session_rate = 3600.0
resolution = "100 ms"
[[timescale.windows]]
start = "0.5 days"
duration = "1 h"
rate = 3600.0
[[pharmacology.doses]]
start = "6 h"
dose = "0.5 mg/kg"
every = "12 h"
[[stress.episodes]]
onset = "0.25 days"
duration = "0.25 days"
[assemblies.adaptive]
size = 40
[assemblies.maladaptive]
size = 40
[[therapy.sessions]]
start = "0.75 days"
[plasticity.structural]
enabled = true
"""

#: A protocol with every kind of event and two conditions.
PROTOCOL = """
comparisons = [["control", "treated"]]
[assemblies.adaptive]
size = 40
[assemblies.maladaptive]
size = 40
[timescale]
session_rate = 3600.0
resolution = "100 ms"
[therapy]
session_rate = 3600.0
[plasticity.structural]
enabled = true
[protocol]
phases = [
  { name = "baseline", duration = "1 day" },
  { name = "stress", duration = "1 day" },
  { name = "treatment", duration = "1 day" },
]
[[protocol.stress]]
phase = "stress"
[[protocol.doses]]
phase = "treatment"
start = "6 h"
every = "12 h"
conditions = ["treated"]
[[protocol.therapy]]
phase = "treatment"
after_dose = "8 h"
[[protocol.replay]]
phase = "stress"
duration = "0.5 days"
[[protocol.probes]]
phase = "treatment"
at = "0.5 days"
[conditions.control]
description = "stress only"
[conditions.treated]
description = "ketamine, then therapy"
set = { "therapy.intensity" = 0.2 }
"""

#: What drawn protocols need around them: assemblies and a pool to probe.
EVENTS = """
[timescale]
session_rate = 3600.0
resolution = "100 ms"
[therapy]
session_rate = 3600.0
[assemblies.adaptive]
size = 40
[assemblies.maladaptive]
size = 40
[plasticity.structural]
enabled = true
"""

BASES = {"defaults": "", "direct": DIRECT, "protocol": PROTOCOL, "events": EVENTS}


@pytest.fixture(scope="module")
def base_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fuzz")
    files = {}
    for name, text in BASES.items():
        files[name] = folder / f"{name}.toml"
        files[name].write_text(text)
    return files


# --------------------------------------------------------------------------- the paths

#: A name for each ``<name>`` placeholder: a table the base configs hold or a drug /
#: route of the drug table (the SSRI-like comparator is the drug with a bdnf_effect).
NAMES = {
    "assemblies": "adaptive",
    "conditions": "treated",
    "pharmacology.drugs": "ketamine",
    "pharmacology.drugs.<name>.routes": "intranasal",
}


def concrete(path: str) -> str:
    """``path`` with its placeholders replaced by an index and names the bases hold."""
    parts = path.split(".")
    for k, part in enumerate(path.split(".")):
        if part == ELEMENT:
            parts[k] = "0"
        elif part == NAMED:
            parts[k] = NAMES[".".join(path.split(".")[:k])]
    if parts[:2] == ["pharmacology", "drugs"] and "bdnf_effect" in parts:
        parts[2] = "ssri"
    return ".".join(parts)


def base_of(path: str) -> list[str]:
    """The bases a path can be set in (a list element must exist in the base)."""
    if path.startswith(("protocol.", "conditions", "comparisons")):
        return ["protocol"]
    listed = ("timescale.windows.", "pharmacology.doses.", "stress.episodes.", "therapy.sessions.")
    if path.startswith(listed):
        return ["direct"]
    return ["defaults", "direct", "protocol"]


def _rule_options() -> list[tuple[str, str]]:
    """(path, rule) of every option of every built-in rewiring rule."""
    return [
        (f"plasticity.structural.options.{name}", rule_name)
        for rule_name, rule in sorted(BUILT_IN.items())
        for name in rule.options.model_fields
    ]


#: Every row of ``neuroplast params``, by path (an option two rules share: the first).
ROWS = {row.path: row for row in reversed(parameters())}
#: The rule whose option a path is (set with it: another rule has other options).
RULE_OF = dict(_rule_options())
PATHS = sorted(ROWS)
BASE_DATA = {name: tomllib.loads(text) for name, text in BASES.items()}


# --------------------------------------------------------------------------- values

NUMBER_TEXTS = [
    "inf", "-inf", "nan", "-nan", "1e400", "-1e400", "1e308", "-1e308",
    "1.7976931348623157e+308", "5e-324", "1e-300", "0", "-0.0", "-1", "1", "0.5", "2",
    "1e30", "100000000000000000000000000000",
]  # fmt: skip
UNITS = [
    "ms", "s", "h", "day", "min", "mV", "Hz", "kHz", "nS", "nF", "mM", "uM", "kg", "mg",
    "mg/kg", "1/day", "1/mV", "/uM/s", "/s", "/h", "L/kg", "L/kg/min", "g/mol", "",
    "parsec", "ms/", "m**2",
]  # fmt: skip
TEXTS = [
    '"abc"', '""', '" "', '"ketamine"', '"baseline"', '"treated"', '"adaptive"', '"iv"',
    '"hebbian"', '"none"', "null", "None", '"0.5 mg/kg"', "ms", '"hebbian:x"', '"os:sep"',
]  # fmt: skip
CONTAINERS = [
    "[]", "[1, 2]", '["a", "b"]', '["control", "treated"]', '[["control", "treated"]]',
    "[{}]", "[[1]]", "{}", "{a = 1}", '{name = "x"}', '{size = 10}', '{"network.n_exc" = 100}',
]  # fmt: skip


def _number(value: float) -> str:
    """A float as TOML writes it (``repr`` gives ``inf``, ``nan``, ``1e+300``)."""
    return repr(float(value))


def _default_number(default: str) -> float | None:
    try:
        return float(default.split()[0].strip('"'))
    except (ValueError, IndexError):
        return None


def values(row) -> st.SearchStrategy[str]:
    """TOML texts for the field of ``row``: anything, and values near its default."""
    numbers = st.one_of(
        st.sampled_from(NUMBER_TEXTS),
        st.integers(-(10**20), 10**20).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(_number),
    )
    quantities = st.builds(
        lambda number, unit: f'"{number} {unit}"'.replace(' "', '"'),
        numbers,
        st.one_of(st.just(row.unit), st.sampled_from(UNITS)),  # its own unit half the time
    )
    kinds = [
        numbers,
        quantities,
        st.sampled_from(TEXTS + CONTAINERS + ["true", "false"]),
        st.text(max_size=12).map(json.dumps),
    ]
    number = _default_number(row.default)
    if number is not None:  # near the default: mostly valid, some out of range
        factors = [0.0, -1.0, 1e-300, 1e-9, 0.5, 1.0, 2.0, 10.0, 1e6, 1e300]
        scaled = st.sampled_from(factors).map(lambda f: number * f)
        kinds.append(scaled.map(lambda x: f'"{x!r} {row.unit}"' if row.unit else repr(x)))
        if row.default.lstrip("-").isdigit():
            kinds.append(st.integers(-5, 5).map(lambda d: str(int(number) + d)))
    kinds += [st.sampled_from(_choices(row.path))]
    return st.one_of(kinds)


def _choices(path: str) -> list[str]:
    """The literal choices of a field (``Literal[...]``) as TOML text; else one wrong text."""
    info = _field(path)
    found = []
    for arg in [info.annotation, *typing.get_args(info.annotation)] if info else []:
        if typing.get_origin(arg) is typing.Literal:
            found += [json.dumps(choice) for choice in typing.get_args(arg)]
    return found or ['"x"']


def _field(path: str):
    """The pydantic field of ``path``, or None (a drug constant a config cannot set)."""
    data = BASE_DATA[base_of(path)[0]]
    try:
        return paths.field_at(ExperimentConfig, concrete(path).split("."), data)
    except ConfigError:
        return None


# --------------------------------------------------------------------------- checks


def _declared_range(info) -> list:
    """The bounds a field declares: ``annotated_types`` constraints or a Qty's range."""
    metadata = list(info.metadata)
    for arg in typing.get_args(info.annotation):
        metadata += list(getattr(arg, "__metadata__", ()))
    return [m for m in metadata if isinstance(m, annotated_types.BaseMetadata | UnitMeta)]


def _in_range(value: float, bound) -> bool:
    if isinstance(bound, UnitMeta):
        return bound.contains(value)
    for name, holds in (
        ("gt", lambda b: value > b),
        ("ge", lambda b: value >= b),
        ("lt", lambda b: value < b),
        ("le", lambda b: value <= b),
    ):
        limit = getattr(bound, name, None)
        if limit is not None and not holds(limit):
            return False
    return True


def check_numbers(model: BaseModel, where: str = "") -> None:
    """Every number of ``model`` is finite and inside its field's declared range."""
    for name, info in type(model).model_fields.items():
        _check_value(getattr(model, name), info, f"{where}{name}")


def _check_value(value, info, key: str) -> None:
    if isinstance(value, BaseModel):
        check_numbers(value, f"{key}.")
    elif isinstance(value, dict):
        for name, item in value.items():
            _check_value(item, None, f"{key}.{name}")
    elif isinstance(value, list | tuple):
        for k, item in enumerate(value):
            _check_value(item, info, f"{key}.{k}")
    elif isinstance(value, Quantity | float | int) and not isinstance(value, bool):
        number = np.asarray(value, dtype=float)
        assert np.all(np.isfinite(number)), f"{key} = {value!r}: accepted, not finite"
        for bound in _declared_range(info) if info is not None else []:
            assert _in_range(float(number), bound), f"{key} = {value!r}: outside {bound}"


def check_refusal(err: ConfigError, keys: list[str], text: str = "") -> None:
    """A refusal is one line naming the key, or one such line per element of a list/table.

    A key is named by its dotted path (``protocol.doses.0.dose``, or ``doses[0].dose``
    under the ``protocol:`` of a check across the protocol), or by the path of a table
    holding it when the table as a whole is at fault (``pharmacology: doses[0].titration:
    expected titration only in [[protocol.doses]]``).
    """
    message = str(err)
    assert "Traceback" not in message, message
    lines = message.splitlines()
    if len(lines) > 1:  # ("FILE: invalid configuration", then) one line per problem
        assert text.startswith(("[", "{")), f"{keys} = {text}: several lines: {message}"
        lines = lines[1:] if lines[0].endswith("invalid configuration") else lines
    for line in lines:
        assert any(names(line, key) for key in keys), f"{keys} = {text}: not named in: {line}"


def names(line: str, key: str) -> bool:
    """Whether ``line`` names ``key`` or a table (of two or more parts) that holds it."""
    line = re.sub(r"\[(\d+)\]", r".\1", line)  # doses[0] -> doses.0
    parts = key.split(".")
    # every run of two or more parts of a prefix: protocol.doses.0, doses.0, doses.0.dose
    held = [".".join(parts[k:n]) for n in range(2, len(parts) + 1) for k in range(n - 1)]
    whole = ".".join(parts[-2:]) if len(parts) > 1 else key
    return any(re.search(rf"(^|[^\w.]){re.escape(name)}\b", line) for name in [whole, *held])


def validate(cfg: ExperimentConfig) -> dict[str, ExperimentConfig] | str:
    """What ``neuroplast validate`` does after loading (cli._cmd_validate): runs, or the error."""
    try:
        runs = resolve_conditions(cfg)
        outside_range_lines(runs)
    except ConfigError as err:
        return str(err)
    return runs


#: Most schedule steps :func:`run_refusal` builds: a longer run's arrays take seconds to
#: compute (the drug's PK at every step), so only their length is checked.
MAX_STEPS_BUILT = 50_000


def run_refusal(cfg: ExperimentConfig, validated: dict | str) -> str | None:
    """What ``neuroplast run`` says after loading, before it simulates: None if it would.

    The steps of cli._cmd_run up to the network's build: an experiment's conditions
    compiled (studies/comparison.py run_comparison: the call validate makes, whose result
    ``validated`` is reused here), a single run's validity-range lines
    (cli._warn_outside_range); then per run config (studies/run.py run_experiment,
    simulation/simulate.py simulate) the seed, the schedules and the count of time steps.
    The network itself is not built (brian2 objects: seconds per config, and gigabytes
    for the largest networks a config accepts).
    """
    if is_comparison(cfg) and isinstance(validated, str):
        return validated
    try:
        if is_comparison(cfg):
            runs = list(validated.values())
        else:
            outside_range_lines({cfg.condition: cfg})
            runs = [cfg]
        for run in runs:
            run = resolve_seed(run)
            run_seeds(run)
            duration = run.simulation.duration
            if run.timescale.enabled:
                seconds = run.network_seconds()
                resolution = run.timescale.resolution
                duration = math.ceil(seconds / float(resolution) - 1e-9) * resolution
                if seconds / float(resolution) <= MAX_STEPS_BUILT:
                    schedules = build_schedules(run, drug_curves(run))
                    for name, values in schedules.sampled.items():
                        assert np.all(np.isfinite(values)), f"schedule {name}: not finite"
                    duration = schedules.duration * second
            if run.validity.enabled:
                check_steps(run, duration)
    except (ConfigError, InvalidRun) as err:
        return str(err)
    return None


def check_case(path: Path, overrides: list[str], keys: list[str]) -> str:
    """Load ``overrides`` on a base as validate and run do; 'accepted' or 'refused'.

    Both commands load the config with the same call (cli._load): a config refused there
    is refused by both, in the same words.  A refusal must name one of ``keys``.
    """
    text = overrides[-1].partition("=")[2]
    try:
        cfg = load_config(path, overrides)
    except ConfigError as err:
        check_refusal(err, keys, text)
        return "refused"
    check_numbers(cfg)
    validated = validate(cfg)
    refused = run_refusal(cfg, validated)
    assert (refused is None) == (not isinstance(validated, str)), (
        f"validate: {validated if isinstance(validated, str) else 'accepted'}; "
        f"run: {refused or 'accepted'}"
    )
    if refused is not None:
        check_refusal(ConfigError(refused), keys, text)
        return "refused"
    for run in validated.values():
        check_numbers(run)
    return "accepted"


FUZZ = settings(
    deadline=None,
    derandomize=True,  # the same cases on every machine: CI is reproducible
    database=None,  # no .hypothesis/ written into the repository
    suppress_health_check=[HealthCheck.too_slow],
)


#: Cases per parameter path, and drawn protocols.
PER_PATH, PROTOCOL_CASES = 8, 300


def test_the_fuzz_draws_over_3000_cases_over_every_path():
    assert len(PATHS) * PER_PATH + PROTOCOL_CASES >= 3000
    # every path is one a config can set (in the base it is fuzzed in), or a constant of
    # the drug table, which the fuzz checks is refused by name
    for path in PATHS:
        data = BASE_DATA[base_of(path)[0]]
        try:
            paths.field_at(ExperimentConfig, concrete(path).split("."), data)
        except ConfigError:
            assert "not set by a config" in ROWS[path].description, path


@pytest.mark.parametrize("path", PATHS)
@settings(FUZZ, max_examples=PER_PATH)
@given(data=st.data())
def test_every_parameter_refuses_in_one_line_or_accepts_finite_values(base_files, path, data):
    base = data.draw(st.sampled_from(base_of(path)), label="base")
    text = data.draw(values(ROWS[path]), label="value")
    key = concrete(path)
    rule = [f"plasticity.structural.rule={json.dumps(RULE_OF[path])}"] if path in RULE_OF else []
    check_case(base_files[base], [*rule, f"{key}={text}"], [key])


# --------------------------------------------------------------------------- protocols


def toml(value) -> str:
    """``value`` as a TOML inline value (tables inline, keys quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml(v)}" for k, v in value.items()) + "}"


PHASES = ["baseline", "stress", "treatment"]
CONDITIONS = ["control", "treated", "other"]


def _mostly(usual: list, odd: list, weight: int = 4) -> st.SearchStrategy:
    """One of ``usual`` ``weight`` times in ``weight + 1``, else one of ``odd``: most drawn
    protocols get past their first fields, and every field is sometimes wrong."""
    return st.sampled_from(usual * weight + odd)


def _time(unit: str, usual: list[str], weight: int = 4) -> st.SearchStrategy[str]:
    """Times in ``unit``: mostly usual ones, some zero, negative, tiny, huge or wrong."""
    odd = ["0 " + unit, "-1 " + unit, "1e-300 " + unit, "1e300 " + unit, "1e400 " + unit]
    return _mostly(usual, [*odd, "nan " + unit, "1 mV", "1", "soon"], weight)


def _maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """A key's value or its absence (None: the key is left out)."""
    return st.one_of(st.none(), strategy)


def _table(**fields) -> st.SearchStrategy[dict]:
    """A table of the drawn fields, leaving out those drawn as None."""
    return st.fixed_dictionaries(fields).map(
        lambda table: {k: v for k, v in table.items() if v is not None}
    )


_phase = _mostly(PHASES, ["nowhere"])
_conditions = _maybe(st.lists(_mostly(CONDITIONS, ["unknown"]), max_size=2))
_hours = _time("h", ["0 h", "2 h", "6 h", "12 h", "30 h"])
_days = _time("days", ["0 days", "0.25 days", "0.5 days", "1 day", "2 days"])
_counts = _mostly([1, 2, 3], [0, -1, 1000, 1001, 10**12, 2.0, True])
_amounts = _mostly(["0.5 mg/kg", "0.1 mg/kg", "0.3 mg/kg", "56 mg"], ["5 mg/kg", "1 mg"])

_lengths = _time("days", ["0.25 days", "0.5 days", "1 day", "2 days"], weight=12)

PHASE = _table(name=_mostly(PHASES, ["x", ""]), duration=_lengths)
#: The three phases in order, with drawn lengths (mostly); or any list of drawn phases.
THREE_PHASES = st.tuples(*[_lengths] * 3).map(
    lambda lengths: [{"name": n, "duration": t} for n, t in zip(PHASES, lengths, strict=True)]
)
PHASE_LISTS = st.one_of(THREE_PHASES, st.lists(PHASE, min_size=1, max_size=3))
STRESS = _table(
    phase=_phase,
    start=_maybe(_days),
    duration=_maybe(_days),
    severity=_maybe(st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.1, math.nan, "high"])),
    kind=_maybe(st.sampled_from(["chronic", "acute", "mild"])),
    conditions=_conditions,
)
DOSE = _table(
    phase=_phase,
    start=_maybe(_hours),
    drug=_maybe(st.sampled_from(["ketamine", "esketamine", "memantine", "ssri", "cocaine"])),
    route=_maybe(st.sampled_from(["iv", "oral", "intranasal", "im", "rectal"])),
    dose=_maybe(st.one_of(_amounts, st.sampled_from(["-1 mg/kg", "1e400 mg/kg", "1 mV"]))),
    duration=_maybe(_time("min", ["40 min", "20 min", "0 min"])),
    count=_maybe(_counts),
    every=_maybe(_hours),
    step=_maybe(st.sampled_from(["0.1 mg/kg", "0 mg/kg", "10 mg"])),
    cap=_maybe(_amounts),
    titration=_maybe(
        _table(
            step=_maybe(st.sampled_from(["0.1 mg/kg", "-0.1 mg/kg", "5 mg"])),
            ceiling=_maybe(_amounts),
            target=_maybe(st.sampled_from([0.5, 0.9, 0.0, 1.0, 2])),
        )
    ),
    conditions=_conditions,
)
THERAPY = _table(
    phase=_phase,
    start=_maybe(_hours),
    after_dose=_maybe(st.one_of(_hours, st.just("-8 h"))),
    duration=_maybe(_hours),
    count=_maybe(_counts),
    every=_maybe(_hours),
    assembly=_maybe(st.sampled_from(["adaptive", "maladaptive", "nope"])),
    pattern=_maybe(st.sampled_from(["pulses", "sham", "noise"])),
    competitor=_maybe(st.sampled_from(["adaptive", "maladaptive", "nope"])),
    conditions=_conditions,
)
REPLAY = _table(
    phase=_phase,
    start=_maybe(_days),
    duration=_maybe(_days),
    assembly=_maybe(st.sampled_from(["maladaptive", "nope"])),
    conditions=_conditions,
)
PROBE = _table(phase=_phase, at=_maybe(_days), conditions=_conditions)
PROTOCOLS = _table(
    phases=PHASE_LISTS,
    stress=_maybe(st.lists(STRESS, max_size=2)),
    doses=_maybe(st.lists(DOSE, max_size=2)),
    therapy=_maybe(st.lists(THERAPY, max_size=2)),
    replay=_maybe(st.lists(REPLAY, max_size=1)),
    probes=_maybe(st.lists(PROBE, max_size=2)),
)

#: Keys a condition's ``set`` draws from: every parameter path that needs no list
#: element, and a few of the protocol's first events (absent ones are refused).
SET_KEYS = sorted({concrete(path) for path in PATHS if ELEMENT not in path})
SET_KEYS += ["protocol.doses.0.dose", "protocol.therapy.0.duration", "network.n_exe"]
SET_VALUES = st.sampled_from(
    [100, -5, 0, 0.5, 1e300, math.inf, True, "1 ms", "2 days", "0.5 mg/kg", "x", "inf"]
)
CONDITION = _table(
    description=_maybe(st.sampled_from(["", "a condition", 3])),
    set=_maybe(st.dictionaries(st.sampled_from(SET_KEYS), SET_VALUES, max_size=2)),
)


@settings(FUZZ, max_examples=PROTOCOL_CASES)
@given(
    protocol=PROTOCOLS,
    conditions=st.dictionaries(st.sampled_from(CONDITIONS), CONDITION, max_size=3),
)
def test_drawn_protocols_and_conditions_refuse_in_one_line_or_compile(
    base_files, protocol, conditions
):
    overrides = [f"protocol={toml(protocol)}", f"conditions={toml(conditions)}"]
    keys = ["protocol", "conditions"] + [
        key for c in conditions.values() for key in c.get("set", {})
    ]
    check_case(base_files["events"], overrides, keys)
