"""Two clocks: the same biological protocol at two time rates gives the same slow trajectory.

Protocol: the quick network, 2 biological days with strong stress from day 0.6; run
once at 1 day = 10 s of network time and once at 1 day = 5 s.  Schedules (stress,
drug) must agree exactly in biological time; the synapse loss and mean BDNF are
stochastic and must agree within the seed-to-seed spread measured here.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load

from neuroplast.simulation.simulate import derive_seeds, simulate


def stressed_run(rate: float, seed: int):
    cfg = load(
        "quick",
        "simulation.backend=cython",
        f"seed={seed}",
        "recording.n_traced=0",
        "recording.spikes=false",
        "timescale.enabled=true",
        f"timescale.rate={rate}",
        'timescale.bio_duration="2 days"',
        'set_point.window="2 s"',
        'bdnf.release_threshold_from="fixed"',  # short window (bdnf.py)
        "plasticity.structural.enabled=true",
        'plasticity.structural.update_interval="0.5 s"',
        'stress.episodes=[{onset = "0.6 days", duration = "3 days"}]',
        'stress.prune_rate="0.1 /day"',
    )
    return simulate(cfg, derive_seeds(cfg.seed))


def loss_at(rec, day: float) -> float:
    counts = rec.slow["n_alive"].sum(axis=0)
    return 1.0 - np.interp(day, rec.slow["bio_days"], counts) / counts[0]


@pytest.mark.slow
@pytest.mark.long  # three runs of 2 biological days: about 70 s in the suite
def test_synapse_loss_is_the_same_at_two_time_rates():
    slow_a, slow_b = stressed_run(8640, 1), stressed_run(8640, 2)
    fast = stressed_run(17280, 1)
    # the schedules are a function of biological time only
    np.testing.assert_allclose(
        np.interp(
            fast.schedules["bio_days"],
            slow_a.schedules["bio_days"],
            slow_a.schedules["stress_level"],
        )[5:-5],
        fast.schedules["stress_level"][5:-5],
    )
    losses = [loss_at(r, 2.0) for r in (slow_a, slow_b, fast)]
    assert losses[0] > 0.03  # the stress did remove synapses
    spread = abs(losses[0] - losses[1])
    # halving the network time per day changes the loss by no more than the difference
    # between two seeds, plus 20 % of the loss (sensor noise grows as time compresses)
    assert abs(losses[2] - losses[0]) <= spread + 0.2 * losses[0]
