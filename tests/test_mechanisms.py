"""Mechanisms inside the network: NMDA block by cell type, exact off-switch, BDNF, stress.

Network-level claims checked here (SCIENCE.md §2.3 [C], §3-§5):
* preferential interneuron NMDA block (ketamine at 0.8 uM: f_E 0.14, f_I 0.35) raises
  pyramidal firing (disinhibition), pyramidal-only block lowers it;
* with the slow clock on but every mechanism neutral, the network is the foundation
  network spike for spike;
* ketamine raises BDNF and synapse formation; chronic stress lowers the E->E count.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load

from neuroplast.config import config_from_dict
from neuroplast.experiment import derive_seeds, simulate
from neuroplast.measures import population_rate


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
    # occupancies of ketamine at 0.8 uM with IC50_E 5 uM, IC50_I 1.5 uM (SCIENCE §2.1)
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


def _protocol(*, dose: bool = False):
    """Default network with rewiring, 1.2 biological days, optional dose at 0.4 day."""
    data = {
        "seed": 5,
        "simulation": {"backend": "cython"},
        "recording": {"n_traced": 0, "spikes": False},
        "timescale": {"enabled": True, "bio_duration": "1.2 days", "session_after": "4 h"},
        "set_point": {"window": "3 s"},
        "plasticity": {"structural": {"enabled": True}},
    }
    if dose:
        data["pharmacology"] = {
            "doses": [{"time": "0.4 days", "dose": "0.5 mg/kg", "duration": "40 min"}]
        }
    else:
        # the same clock as the dosed run (its session, 0.5 h before to 4 h after the dose)
        data["timescale"]["windows"] = [
            {"start": f"{0.4 - 0.5 / 24!r} days", "duration": "4.5 h", "rate": 360}
        ]
    return data


def _run(data):
    cfg = config_from_dict(data)
    return simulate(cfg, derive_seeds(cfg.seed))


def _window(rec, name, start_day, stop_day):
    days = rec.slow["bio_days"]
    sel = (days >= start_day) & (days < stop_day)
    return rec.slow[name][..., sel]


@pytest.fixture(scope="module")
def dose_runs():
    return _run(_protocol()), _run(_protocol(dose=True))


@pytest.mark.slow
def test_ketamine_raises_bdnf_and_the_trkb_signal(dose_runs):
    control, ketamine = dose_runs
    # BDNF over the 4 h after the dose (disinhibition: activity-driven production) ...
    bdnf = _window(ketamine, "bdnf", 0.4, 0.57).mean() / _window(control, "bdnf", 0.4, 0.57).mean()
    assert bdnf > 1.2
    # ... and the slower TrkB-mTOR signal (tau 6 h) in the half day after it
    trkb = (
        _window(ketamine, "trkb_signal", 0.5, 0.9).mean()
        / _window(control, "trkb_signal", 0.5, 0.9).mean()
    )
    assert trkb > 1.1


@pytest.mark.slow
def test_ketamine_releases_a_bdnf_surge_and_raises_formation(dose_runs):
    # Disinhibition configuration (the default mechanism): the glutamate burst lifts the
    # pyramidal population above the release threshold (bdnf.py); without a drug the
    # smoothed population firing stays below it, so the surge is exactly zero.
    control, ketamine = dose_runs
    assert control.slow["bdnf_surge"].max() == 0.0
    assert ketamine.slow["pool_ratio"].max() > 1.5
    assert ketamine.slow["synaptogenic"].max() > 0.01
    # Paired runs (same seeds, same clock): identical until the dose at 0.4 d, so the
    # difference in total formations is what the dose added.  The surge adds spine
    # elements, which are filled by new synapses: more formations, more elements.
    formed = [rec.slow["formed"][:, -1].sum() for rec in (control, ketamine)]
    spines = [rec.slow["z_spine"][:, -1].sum() for rec in (control, ketamine)]
    assert formed[1] > formed[0]
    assert spines[1] > spines[0]


def _stress_run(stressed: bool):
    overrides = [
        "simulation.backend=cython",
        "recording.n_traced=0",
        "recording.spikes=false",
        "timescale.enabled=true",
        'timescale.bio_duration="1.2 days"',
        'set_point.window="3 s"',
        "plasticity.structural.enabled=true",
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


@pytest.mark.slow
def test_ablation_removes_every_synapse_born_after_the_given_day():
    cfg = load(
        "quick",
        "simulation.backend=cython",
        "recording.n_traced=0",
        "timescale.enabled=true",
        'timescale.bio_duration="1 day"',
        'set_point.window="1 s"',
        'set_point.settle="0.2 s"',
        "plasticity.structural.enabled=true",
        'plasticity.structural.turnover="0.5 /day"',
        'plasticity.structural.ablate_at="0.8 days"',
        'plasticity.structural.ablate_born_after="0.3 days"',
        'recording.snapshots=["0.7 days", "0.9 days"]',
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
