"""Structural plasticity inside the network: stress pruning, rewiring bookkeeping, ablation.

Network-level claims checked here (model docs §4, §5; split from test_mechanisms.py so the
two files run in parallel):
* chronic stress lowers the E->E synapse count;
* the rewiring pass keeps every cell's count equal to its live synapses in the pool
  (numpy and cython), and the backends agree on turnover.

Ablation and the spine elements' set point: test_ablation.py (split from here so the two
workers share these simulations).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load

from neuroplast.simulation.simulate import derive_seeds, simulate


def _stress_run(stressed: bool):
    overrides = [
        "simulation.backend=cython",
        "recording.n_traced=0",
        "recording.spikes=false",
        "timescale.enabled=true",
        'timescale.bio_duration="1.2 days"',
        'set_point.window="3 s"',
        'bdnf.release_threshold_from="fixed"',  # short window (bdnf.py)
        "plasticity.structural.enabled=true",
        # 200 E / 50 I: pruning acts per synapse, so the quick network's size adds nothing
        "network.n_exc=200",
        "network.n_inh=50",
    ]
    if stressed:
        overrides += [
            'stress.episodes=[{onset = "0.4 days", duration = "2 days"}]',
            'stress.prune_rate="0.2 /day"',
        ]
    cfg = load("quick", *overrides)
    return simulate(cfg, derive_seeds(cfg.seed))


@pytest.mark.slow
def test_stress_lowers_the_ee_synapse_count():
    control, stressed = _stress_run(False), _stress_run(True)
    final_control = control.slow["n_alive"][:, -1].sum()
    final_stressed = stressed.slow["n_alive"][:, -1].sum()
    assert final_stressed < 0.97 * final_control
    assert stressed.ee_pool["alive"].sum() == stressed.ee_pool["n_alive"].sum()


@pytest.fixture(scope="module")
def rewiring_runs():
    """A small network (200 E / 50 I), fast turnover, 0.25 biological days, numpy and cython."""
    runs = {}
    for backend in ("numpy", "cython"):
        cfg = load(
            "quick",
            f"simulation.backend={backend}",
            "network.n_exc=200",
            "network.n_inh=50",
            "recording.n_traced=0",
            "recording.spikes=false",
            "timescale.enabled=true",
            'timescale.bio_duration="0.25 days"',
            'set_point.window="0.5 s"',
            'bdnf.release_threshold_from="fixed"',  # short window (bdnf.py)
            'set_point.settle="0.1 s"',
            "plasticity.structural.enabled=true",
            'plasticity.structural.turnover="2 /day"',
            'plasticity.structural.update_interval="100 ms"',
        )
        runs[backend] = simulate(cfg, derive_seeds(cfg.seed))
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["numpy", "cython"])
def test_rewiring_keeps_per_neuron_counts_equal_to_the_pool(rewiring_runs, backend):
    rec = rewiring_runs[backend]
    pool = rec.ee_pool
    assert rec.slow["formed"][:, -1].sum() > 50  # rewiring happened
    counts = np.bincount(pool["j"], weights=pool["alive"], minlength=rec.n_exc)
    np.testing.assert_array_equal(pool["n_alive"], counts)
    # every synapse born during the run carries its birth day
    born = pool["birth_day"] >= 0
    assert born.sum() > 0
    assert np.all(pool["birth_day"][born] <= 0.25 + 1e-6)


@pytest.mark.slow
def test_backends_agree_on_synapse_turnover(rewiring_runs):
    # same connectivity and set-up, different random streams: formation and elimination
    # totals (~700 events each) must agree statistically; Poisson spread ~2 %, the
    # network-level spread between seeds is larger, so allow 15 %
    totals = {
        backend: (rec.slow["formed"][:, -1].sum(), rec.slow["eliminated"][:, -1].sum())
        for backend, rec in rewiring_runs.items()
    }
    for k in range(2):
        assert totals["numpy"][k] == pytest.approx(totals["cython"][k], rel=0.15)
