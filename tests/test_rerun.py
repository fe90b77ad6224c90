"""Compile once, run many (rerun.py): which runs may share a built program.

That a re-run gives the numbers of a fresh build is checked in
test_standalone_snapshots.py, which shares its C++ project folder with it.
"""

from __future__ import annotations

from test_comparison import _config  # noqa: I001  (tests/ is on sys.path)

from neuroplast.config import conditions
from neuroplast.config.experiment import config_from_dict
from neuroplast.simulation import rerun


def _resolved(dose: str) -> dict:
    cfg = conditions.resolve_condition(config_from_dict(_config()), "ketamine_therapy")
    data = cfg.resolved()
    data["protocol"]["doses"][0]["dose"] = dose
    data["pharmacology"]["doses"][0]["dose"] = dose
    return data


def test_runtime_values_leave_the_build_key_unchanged():
    base, other = _resolved("0.25 mg/kg"), _resolved("0.5 mg/kg")
    seeds = {"connectivity": 1, "initial": 2, "brian": 3}
    assert rerun.build_key(base, seeds) == rerun.build_key(other, seeds)
    assert rerun.build_key(base, seeds) != rerun.build_key(base, {**seeds, "brian": 4})
    milder = _resolved("0.25 mg/kg")
    milder["stress"]["bdnf_suppression"] = 0.2
    assert rerun.build_key(base, seeds) == rerun.build_key(milder, seeds)
    changed = _resolved("0.25 mg/kg")
    changed["network"]["n_exc"] = 201
    assert rerun.build_key(base, seeds) != rerun.build_key(changed, seeds)
