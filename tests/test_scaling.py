"""Synaptic scaling (plasticity.py, ``[plasticity.scaling]``).

A tiny network (numpy) in which nothing but scaling changes the E->E weights: no
rewiring (no growth, turnover or maturation), no STDP; every live weight starts at 1.
The set point is fixed (20 Hz) so that some cells fire above it and some below.

* Scaling is multiplicative and per cell: all weights onto a cell end equal.
* Each cell's factor is exp(sum over passes of dT/tau clip(1 - Ca/eps, -1, 1)), computed
  here from the recorded calcium sensor (sampled at the passes' interval, so equal to
  within one pass's largest step, dT/tau).
* Under stress, with up-scaling under stress off (the default), no weight grows.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY_VALIDITY  # tests/ is on sys.path

from neuroplast.config.experiment import config_from_dict
from neuroplast.simulation.simulate import derive_seeds, simulate

TAU_DAYS = 2.0
DAYS = 0.6
WINDOW_DAYS = 0.2  # 0.2 s of network time at 1 day = 1 s
PASS_DAYS = 0.05  # a rewiring pass every 50 ms of network time


def _tiny(target_rate: str, days: float, plasticity: dict) -> dict:
    """The tiny network's config: a fixed set point, 1 day = 1 s, ``plasticity`` as given."""
    return {
        "seed": 4,
        "simulation": {"backend": "numpy"},
        "network": {"n_exc": 80, "n_inh": 20},
        "validity": TINY_VALIDITY,
        "recording": {"n_traced": 0, "slow_interval": "50 ms"},
        "output": {"figures": False},
        "set_point": {
            "mode": "fixed",
            "target_rate": target_rate,
            "window": "0.2 s",
            "settle": "0.1 s",
        },
        "bdnf": {"release_threshold_from": "fixed"},  # a window shorter than it needs
        "timescale": {"enabled": True, "rate": 86400.0, "bio_duration": f"{days} days"},
        "plasticity": plasticity,
    }


def _run(target_rate: str, stress: bool = False, upscaling_under_stress: bool = False):
    plasticity = {
        "structural": {
            "enabled": True,
            "update_interval": "50 ms",
            "growth_rate": "0 1/day",
            "bdnf_growth_rate": "0 1/day",
            "surge_growth_rate": "0 1/day",
            "turnover": "0 1/day",
            "tau_mature": "1e9 days",
        },
        "stdp": {"w_max": 100.0},
        "scaling": {
            "enabled": True,
            "tau": f"{TAU_DAYS} days",
            "upscaling_under_stress": upscaling_under_stress,
        },
    }
    data = _tiny(target_rate, DAYS, plasticity)
    if stress:
        data["stress"] = {"episodes": [{"onset": "0 days", "duration": "1 day", "severity": 1.0}]}
    cfg = config_from_dict(data)
    rec = simulate(cfg, derive_seeds(cfg.seed))
    assert rec.slow["formed"].sum() == 0 and rec.slow["eliminated"].sum() == 0
    return rec


def _weights(target_rate: str, **kwargs) -> np.ndarray:
    rec = _run(target_rate, **kwargs)
    return np.asarray(rec.ee_pool["w"])[np.asarray(rec.ee_pool["alive"]) > 0]


@pytest.mark.parametrize("target_rate", ["20 Hz", "0.01 Hz"])
def test_every_weight_onto_a_cell_scales_by_exp_of_its_integrated_rate_error(target_rate):
    rec = _run(target_rate)
    alive = np.asarray(rec.ee_pool["alive"]) > 0
    post, w = np.asarray(rec.ee_pool["j"])[alive], np.asarray(rec.ee_pool["w"])[alive]
    days, calcium = rec.slow["bio_days"], rec.slow["calcium"]
    error = np.clip(1 - calcium / float(target_rate.split()[0]), -1, 1)
    step = PASS_DAYS / TAU_DAYS
    after = days > WINDOW_DAYS + 1e-9
    expected = step * error[:, after].sum(axis=1)
    cells = np.unique(post)
    got = np.array([np.log(w[post == c]).mean() for c in cells])
    spread = max(np.ptp(w[post == c]) for c in cells)
    assert spread == 0.0  # one factor per cell: the ratios between its weights are kept
    assert np.abs(got - expected[cells]).max() <= 1.05 * step
    assert (got > 0).any() and (got < 0).any()  # both directions happened


def test_stress_holds_up_scaling_back_unless_allowed():
    assert _weights("20 Hz", stress=True).max() <= 1.0
    assert _weights("20 Hz", stress=True, upscaling_under_stress=True).max() > 1.0


def test_scaling_without_structural_plasticity_changes_nothing():
    # scaling runs in the rewiring pass, so with STDP alone its (default) switch is inert
    runs = []
    for enabled in (True, False):
        plasticity = {"stdp": {"enabled": True}, "scaling": {"enabled": enabled}}
        data = _tiny("20 Hz", 0.4, plasticity)
        cfg = config_from_dict(data)
        runs.append(simulate(cfg, derive_seeds(cfg.seed)))
    scaled, plain = runs
    assert np.ptp(plain.ee_pool["w"]) > 0  # STDP changed the weights
    np.testing.assert_array_equal(scaled.ee_pool["w"], plain.ee_pool["w"])
