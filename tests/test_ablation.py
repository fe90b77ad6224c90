"""Ablation of young synapses, and the spine elements' set point (model docs §4, §5).

Split from test_rewiring.py (its runs and these take about equally long, so the two
workers share them); checked here:
* ablation removes every synapse born after the given day, and only those: the older
  synapses fare as in the same run without ablation;
* after stress the spine elements return to their set point (each cell's initial live
  in-degree) at the density rate, and without the set point they stay where stress left
  them.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY_VALIDITY, load

from neuroplast.simulation.simulate import derive_seeds, simulate

ABLATION_RUN = (
    "simulation.backend=cython",
    "recording.n_traced=0",
    "timescale.enabled=true",
    'timescale.bio_duration="1 day"',
    'set_point.window="1 s"',
    'bdnf.release_threshold_from="fixed"',  # short window (bdnf.py)
    'set_point.settle="0.2 s"',
    "plasticity.structural.enabled=true",
    'plasticity.structural.turnover="0.5 /day"',
    'recording.snapshots=["0.7 days", "0.9 days"]',
)


@pytest.mark.slow
def test_ablation_removes_every_synapse_born_after_the_given_day():
    cfg = load(
        "quick",
        *ABLATION_RUN,
        'plasticity.structural.ablate_at="0.8 days"',
        'plasticity.structural.ablate_born_after="0.3 days"',
    )
    rec = simulate(cfg, derive_seeds(cfg.seed))
    pool, days = rec.ee_pool, rec.slow["bio_days"]
    alive = pool["alive"] == 1
    # synapses born in (0.3, 0.8) days were removed; newer ones may form after 0.8 days
    born = pool["birth_day"]
    assert not np.any(alive & (born >= 0.3) & (born < 0.79))
    assert np.any(alive & (born >= 0) & (born < 0.3))  # older new synapses kept
    # the snapshots bracket the ablation: synapses born after day 0.3 exist before it ...
    before_ablation, after_ablation = rec.snapshots["day_0.7"], rec.snapshots["day_0.9"]
    assert np.any((before_ablation["birth_day"] >= 0.3) & (before_ablation["birth_day"] < 0.7))
    # ... and not after it, except the ones formed since
    assert not np.any((after_ablation["birth_day"] >= 0.3) & (after_ablation["birth_day"] < 0.79))
    # the elements went with them: no burst of regrowth right after the ablation
    formed = rec.slow["formed"].sum(axis=0)
    after = np.interp(0.9, days, formed) - np.interp(0.8, days, formed)
    before = np.interp(0.8, days, formed) - np.interp(0.7, days, formed)
    assert after < 2 * before + 50
    # ... and only they went: the synapses born before day 0.3 survive to day 0.9 as in
    # the same run without ablation.  0.1 day of turnover at 0.5/day prunes ~5 % of
    # them, so even a 10 % change in their pruning odds moves the count by ~0.5 %; the
    # elements once taken off during the pass pruned 8 % more of them (the cell read the
    # missing elements as an excess of synapses).
    plain = simulate(load("quick", *ABLATION_RUN), derive_seeds(cfg.seed))
    old_kept = np.count_nonzero(after_ablation["birth_day"] < 0.3)
    old_kept_plain = np.count_nonzero(plain.snapshots["day_0.9"]["birth_day"] < 0.3)
    assert old_kept == pytest.approx(old_kept_plain, rel=0.02)


def _density_run(density_rate: str):
    """Spine elements under stress and after it, every other growth term off.

    On numpy: the growth terms switched off make code of its own, which cython compiled
    for this test alone (147 s in CI, almost all of it compiling: the two runs take 15 s
    on a warm cache), while the two runs take about 60 s of CPU on numpy.  The element
    equation and its tolerances do not depend on the backend (the same code generator;
    test_backends_agree_on_synapse_turnover compares the backends' rewiring).
    """
    cfg = load(
        "quick",
        "network.n_exc=80",
        "network.n_inh=20",
        "recording.n_traced=0",
        "recording.spikes=false",
        "timescale.enabled=true",
        'timescale.bio_duration="2.8 days"',
        "timescale.rate=43200",  # 1 day = 2 s: z's equation does not depend on the clock
        'plasticity.structural.update_interval="100 ms"',  # <= tau_Ca / 10 at that rate
        'set_point.window="3 s"',
        'bdnf.release_threshold_from="fixed"',
        "plasticity.structural.enabled=true",
        'plasticity.structural.growth_rate="0 /day"',
        'plasticity.structural.bdnf_growth_rate="0 /day"',
        'plasticity.structural.surge_growth_rate="0 /day"',
        f"plasticity.structural.density_rate={density_rate}",
        # after the set-point window (3 s = 1.5 days at this rate), when rewiring starts
        'stress.episodes=[{onset = "1.6 days", duration = "0.5 days"}]',
        'stress.prune_rate="0.8 /day"',
        f'validity.max_rate_exc="{TINY_VALIDITY["max_rate_exc"]}"',
        f'validity.max_rate_inh="{TINY_VALIDITY["max_rate_inh"]}"',
    )
    run = simulate(cfg, derive_seeds(cfg.seed))
    return run.slow["bio_days"], run.slow["z_spine"].sum(axis=0), run.slow["n_alive"][:, 0].sum()


@pytest.mark.slow
@pytest.mark.long  # two runs of 2.8 biological days on numpy: about 85 s in the suite
def test_spine_elements_return_to_their_set_point_after_stress_only():
    """dz/dT = rho_z (1 - S) (z_ref - z) - lambda_s S z with the other terms off: stress
    removes the same elements with and without the set point, and after it the deficit
    decays as exp(-rho_z T), or stays without it."""
    days, z_on, _ = _density_run('"2 /day"')
    _, z_off, initial_count = _density_run('"0 /day"')
    reference = z_on[0]
    assert reference == initial_count  # each cell's set point: its initial live in-degree
    end_of_stress = np.searchsorted(days, 2.1)
    # during stress the set point does not act: the same loss with and without it
    np.testing.assert_allclose(z_on[:end_of_stress], z_off[:end_of_stress], rtol=1e-6)
    assert z_off[end_of_stress] < 0.75 * reference  # half a day at 0.8 /day: -33 %
    after = days > 2.15
    deficit = reference - z_on[after]
    expected = deficit[0] * np.exp(-2.0 * (days[after] - days[after][0]))
    np.testing.assert_allclose(deficit, expected, rtol=2e-3)
    np.testing.assert_allclose(z_off[after], z_off[after][0], rtol=1e-9)
