"""Rewiring rules (model/rules.py) and the worked example of docs/mechanisms.md.

Checked here:
* the example rule of docs/mechanisms.md, run from a module of the user's own, with
  ``bias = 0`` gives the built-in rule's numbers exactly (same spikes, same synapses);
* the network records what the mechanisms declare (model/records.py), and the
  declarations label the measures;
* with its default it runs on two Dask worker processes (``--workers 2``), which import
  it by name, writes its declared record into measures.csv (and, as a headline record,
  into the experiment's summary) and names itself (rule, module, version) in each run's
  provenance;
* a rule that cannot be found, an object that is not a rule and an option the rule does
  not have are one-line config errors naming the key.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import TINY_VALIDITY  # tests/ is on sys.path

from neuroplast.analysis.measures import measure_label
from neuroplast.config.experiment import ConfigError, config_from_dict
from neuroplast.simulation import storage
from neuroplast.simulation.network import mechanism_records
from neuroplast.simulation.simulate import derive_seeds, simulate
from neuroplast.studies.comparison import run_comparison, run_directory

DOC = Path(__file__).resolve().parents[1] / "docs" / "mechanisms.md"
RULE = "my_rules:PREFER_ACTIVE"


@pytest.fixture()
def user_module(tmp_path, monkeypatch):
    """The documented ``my_rules.py`` as a module of the user's, importable by workers."""
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "my_rules.py").write_text(code)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", str(folder))  # for the worker processes
    yield folder
    sys.modules.pop("my_rules", None)


def _plastic(rule: str | None = None, **options) -> dict:
    """A tiny plastic network (numpy), 0.6 days on a clock of 1 day = 1 s."""
    structural = {"enabled": True, "update_interval": "50 ms"}
    if rule is not None:
        structural.update(rule=rule, options=options)
    return {
        "seed": 4,
        "simulation": {"backend": "numpy"},
        "network": {"n_exc": 80, "n_inh": 20},
        "validity": TINY_VALIDITY,
        "recording": {"n_traced": 0, "slow_interval": "50 ms"},
        "output": {"figures": False},
        "set_point": {"window": "0.2 s", "settle": "0.1 s"},
        "bdnf": {"release_threshold_from": "fixed"},  # short window (bdnf.py)
        "timescale": {"enabled": True, "rate": 86400.0, "bio_duration": "0.6 days"},
        "plasticity": {"structural": structural},
    }


def test_the_documented_rule_without_its_bias_is_the_built_in_rule(user_module):
    runs = {}
    for name, data in (("built_in", _plastic("weakest_first")), ("mine", _plastic(RULE, bias=0.0))):
        cfg = config_from_dict(data)
        runs[name] = simulate(cfg, derive_seeds(cfg.seed))
    built_in, mine = runs["built_in"], runs["mine"]
    assert built_in.slow["formed"].sum() > 10  # rewiring happened
    np.testing.assert_array_equal(mine.spike_i, built_in.spike_i)
    np.testing.assert_array_equal(mine.spike_t, built_in.spike_t)
    for name in ("n_alive", "formed", "eliminated", "w_mean"):
        np.testing.assert_array_equal(mine.slow[name], built_in.slow[name], err_msg=name)
    for name in ("i", "j", "w", "alive"):
        np.testing.assert_array_equal(mine.ee_pool[name], built_in.ee_pool[name], err_msg=name)
    # the network records what the mechanisms declare, and the declarations label them
    declared = mechanism_records(cfg)
    assert [r.measure for r in declared][:2] == ["ee_synapses", "ee_formed_total"]
    assert "ee_form_weight_mean" in {r.measure for r in declared}
    assert {r.variable for r in declared} <= set(mine.slow)
    assert measure_label("ee_form_weight_mean").startswith("summed form weight")
    assert measure_label("bdnf_mean") == "BDNF, mean over E cells (1 = baseline)"


@pytest.mark.slow
def test_a_user_rule_runs_on_dask_workers_and_names_itself(user_module, tmp_path):
    data = _plastic(RULE)
    data.update(
        name="mine",
        recall={"enabled": False},
        protocol={"phases": [{"name": "baseline", "duration": "0.6 days"}]},
        conditions={"a": {}, "b": {"set": {"plasticity.structural.options.bias": 2.0}}},
    )
    del data["timescale"]["bio_duration"]
    out = tmp_path / "out"
    result = run_comparison(config_from_dict(data), out, workers=2, log=lambda line: None)
    assert len(result.ran) == 2
    for condition in ("a", "b"):
        run_dir = run_directory(out, condition, 4)
        with h5py.File(run_dir / storage.DATA_FILE, "r") as h5:
            mechanisms = json.loads(h5.attrs["mechanisms"])
        assert mechanisms["rewiring_rule"] == {
            "key": RULE,
            "name": "prefer_active",
            "module": "my_rules",
            "version": "0.1",
        }
        saved = json.loads((run_dir / storage.CONFIG_FILE).read_text())
        assert saved["plasticity"]["structural"]["rule"] == RULE
        measures = (run_dir / storage.MEASURES_FILE).read_text()
        assert "ee_form_weight_mean" in measures
    # declared a headline measure: summarised across seeds in the experiment's report
    assert "ee_form_weight_mean" in (out / "summary.csv").read_text()


@pytest.mark.parametrize(
    ("structural", "expected"),
    [
        (
            {"rule": "weakest_frist"},
            r"rule = 'weakest_frist': expected .*did you mean 'weakest_first'",
        ),
        ({"rule": "no_such_module:RULE"}, r"cannot import 'no_such_module'"),
        ({"rule": "math:pi"}, r"math.pi is float, not a RewiringRule"),
        (
            {"rule": RULE, "options": {"bais": 1.0}},
            r"plasticity.structural.options: unknown key .bais.; did you mean .bias.\?",
        ),
    ],
)
def test_a_bad_rule_or_option_is_a_config_error(user_module, structural, expected):
    data = _plastic()
    data["plasticity"]["structural"].update(structural)
    with pytest.raises(ConfigError, match=expected) as err:
        config_from_dict(data)
    assert "\n" not in str(err.value).split("invalid configuration")[-1].strip()


def test_a_condition_that_changes_the_rule_starts_from_that_rules_options():
    from neuroplast.config.conditions import resolve_condition  # noqa: PLC0415

    data = _plastic("hebbian", bias=0.25)
    data["conditions"] = {
        "first": {"set": {"plasticity.structural.rule": "weakest_first"}},
        "biased": {"set": {"plasticity.structural.options.bias": 0.1}},
    }
    cfg = config_from_dict(data)
    assert resolve_condition(cfg, "first").plasticity.structural.options == {}
    options = resolve_condition(cfg, "biased").plasticity.structural.options
    assert options["bias"] == 0.1 and options["signal"] == "population"
