"""Mechanisms inside the network: NMDA block by cell type, exact off-switch, BDNF, stress.

Network-level claims checked here (model docs §2.3 [C], §3, §4, §5):
* preferential interneuron NMDA block (ketamine at 0.8 uM: f_E 0.14, f_I 0.35) raises
  pyramidal firing (disinhibition), pyramidal-only block lowers it;
* with the slow clock on but every mechanism neutral, the network is the foundation
  network spike for spike;
* one synaptogenic gain per mechanism (ketamine's effect on BDNF, the surge and
  synapse formation: test_ketamine_dose.py; stress and rewiring: test_rewiring.py;
  ablation: test_ablation.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load

from neuroplast.analysis.measures import population_rate
from neuroplast.config.experiment import config_from_dict
from neuroplast.simulation.simulate import derive_seeds, simulate

MECHANISMS = ("direct", "disinhibition", "both")


def _rates(cfg):
    rec = simulate(cfg, derive_seeds(cfg.seed))
    ne, n = rec.n_exc, rec.n_exc + rec.n_inh
    return (
        population_rate(rec.spike_i, rec.spike_t, 0, ne, 0.5, rec.duration),
        population_rate(rec.spike_i, rec.spike_t, ne, n, 0.5, rec.duration),
    )


def _blocked(f_exc: float, f_inh: float):
    return load(
        "default",
        'simulation.duration="3 s"',
        "recording.n_traced=0",
        f"synapses.to_exc.nmda_scale={1 - f_exc}",
        f"synapses.to_inh.nmda_scale={1 - f_inh}",
    )


@pytest.fixture(scope="module")
def control_rates():
    return _rates(_blocked(0.0, 0.0))


@pytest.mark.slow
def test_preferential_interneuron_block_raises_pyramidal_rate(control_rates):
    # occupancies of ketamine at 0.8 uM with IC50_E 5 uM, IC50_I 1.5 uM (model docs §2.1)
    exc, _ = _rates(_blocked(0.14, 0.35))
    assert exc > 1.5 * control_rates[0]


@pytest.mark.slow
def test_pyramidal_only_block_lowers_pyramidal_rate(control_rates):
    exc, _ = _rates(_blocked(0.14, 0.0))
    assert exc < 0.85 * control_rates[0]


def test_slow_clock_with_neutral_mechanisms_reproduces_the_foundation_exactly():
    plain = load("quick", 'simulation.duration="0.3 s"', "recording.n_traced=0")
    slow = load(
        "quick",
        "recording.n_traced=0",
        "timescale.enabled=true",
        "timescale.rate=1",
        'timescale.bio_duration="0.3 s"',
        'timescale.resolution="10 ms"',
    )
    a = simulate(plain, derive_seeds(plain.seed))
    b = simulate(slow, derive_seeds(slow.seed))
    assert a.duration == pytest.approx(b.duration)
    assert len(a.spike_t) > 50
    np.testing.assert_array_equal(a.spike_i, b.spike_i)
    np.testing.assert_array_equal(a.spike_t, b.spike_t)


def test_without_a_drug_both_routes_are_the_activity_route_exactly():
    # The default mechanism adds the direct term k_dir f_E(C) to BDNF production; with
    # no drug f_E = 0, so a drug-free run under "both" must be the "disinhibition" run
    # number for number (bdnf.py).  One biological hour at the default clock is 0.42 s of
    # network time; the set-point window closes at 0.1 s, so BDNF production follows the
    # activity term for most of the run.
    runs = {}
    for mechanism in ("both", "disinhibition"):
        cfg = load(
            "quick",
            "recording.n_traced=0",
            "timescale.enabled=true",
            'timescale.bio_duration="1 h"',
            'set_point.window="0.1 s"',
            'bdnf.release_threshold_from="fixed"',  # short window (bdnf.py)
            'set_point.settle="0.05 s"',
            'recording.slow_interval="20 ms"',
            f'pharmacology.mechanism="{mechanism}"',
        )
        runs[mechanism] = simulate(cfg, derive_seeds(cfg.seed))
    both, activity = runs["both"], runs["disinhibition"]
    assert len(both.spike_t) > 50
    np.testing.assert_array_equal(both.spike_i, activity.spike_i)
    np.testing.assert_array_equal(both.spike_t, activity.spike_t)
    bdnf = both.slow["bdnf"]
    assert np.ptp(bdnf) > 0  # production is live, not held at 1 by the set-point window
    np.testing.assert_array_equal(bdnf, activity.slow["bdnf"])


def test_the_synaptogenic_gain_is_one_per_mechanism_and_one_value_sets_all():
    import brian2  # noqa: PLC0415

    from neuroplast.config.experiment import ConfigError  # noqa: PLC0415
    from neuroplast.model.plasticity import plasticity_namespace  # noqa: PLC0415

    cfg = config_from_dict({})
    gains = cfg.plasticity.structural.surge_growth_rate
    for mechanism in MECHANISMS:
        namespace = plasticity_namespace(cfg.plasticity, 0 / brian2.second, mechanism)
        assert namespace["nu_surge"] == gains.of(mechanism)
    assert gains.direct != gains.both  # each fitted to C6 on its own
    one = config_from_dict({"plasticity": {"structural": {"surge_growth_rate": "2 /day"}}})
    assert {float(one.plasticity.structural.surge_growth_rate.of(m)) for m in MECHANISMS} == {
        2 / 86400
    }
    with pytest.raises(ConfigError) as err:
        config_from_dict({"plasticity": {"structural": {"surge_growth_rate": "1 Hz/s"}}})
    assert "\n" not in str(err.value)
    assert "plasticity.structural.surge_growth_rate = '1 Hz/s'" in str(err.value)
