"""Recall probes (recall.py; the probes of a whole experiment run in test_comparison.py).

* a hand-wired assembly (every candidate synapse among its cells alive: p_in 0.22 ->
  0.61) scores far above the same cells unwired, whose index is about 0;
* trial 0 keeps the run's noise seed, later trials get distinct derived ones;
* co-activity: independent Poisson trains give a mean pairwise correlation near 0,
  identical trains give 1 (chi^2 = 1/N + (1 - 1/N) r);
* rates over windows count spikes per cell and second;
* a probe runs the run's network frozen: the same cells, synapses and assemblies, and no
  code that could change a weight or a synapse.
"""

from __future__ import annotations

import numpy as np
import pytest

from neuroplast.analysis.recall import _coactivity_rows, _rate, recall_rows, trial_seed
from neuroplast.config.experiment import config_from_dict


def _cfg():
    return config_from_dict(
        {"timescale": {"enabled": True, "bio_duration": "12 s"}, "recall": {"quiet": "10 s"}}
    )


def _poisson(n, rate, start, stop, rng):
    counts = rng.poisson(rate * (stop - start), size=n)
    i = np.repeat(np.arange(n), counts)
    t = rng.uniform(start, stop, size=counts.sum())
    return i, t


def test_independent_trains_have_no_coactivity():
    rng = np.random.default_rng(0)
    i, t = _poisson(200, 10.0, 0.0, 12.0, rng)
    rows = {r.measure: r.value for r in _coactivity_rows(_cfg(), i, t, 200, "c", 1, 0.0)}
    # 490 bins of 20 ms: the sd of a pairwise correlation estimate is ~1/sqrt(490) = 0.045,
    # of the mean over 200 cells about that over sqrt(200 * 199 / 2) -> |r| < 0.01 is 4 sd
    assert abs(rows["coactivity_corr_exc"]) < 0.01
    assert rows["coactivity_chi_exc"] == pytest.approx(1 / np.sqrt(200), rel=0.25)


def test_identical_trains_are_fully_coactive():
    rng = np.random.default_rng(1)
    _, times = _poisson(1, 10.0, 0.0, 12.0, rng)
    n = 50
    i = np.repeat(np.arange(n), len(times))
    t = np.tile(times, n)
    rows = {r.measure: r.value for r in _coactivity_rows(_cfg(), i, t, n, "c", 1, 0.0)}
    assert rows["coactivity_chi_exc"] == pytest.approx(1.0)
    assert rows["coactivity_corr_exc"] == pytest.approx(1.0)


def test_rate_counts_spikes_per_cell_and_second():
    i = np.array([0, 0, 1, 2, 2, 2])
    t = np.array([0.1, 0.6, 0.2, 1.1, 1.2, 1.3])
    assert _rate(i, t, np.array([0, 1]), [(0.0, 1.0)]) == pytest.approx(1.5)
    assert _rate(i, t, np.array([2]), [(0.0, 0.5), (1.0, 1.5)]) == pytest.approx(3.0)


def test_trial_zero_keeps_the_runs_noise_seed_and_later_trials_differ():
    seeds = [trial_seed(12345, k) for k in range(4)]
    assert seeds[0] == 12345 and len(set(seeds)) == 4
    assert all(0 <= s < 2**32 for s in seeds)
    assert trial_seed(12345, 2) == seeds[2]  # derived, not drawn


@pytest.mark.slow
@pytest.mark.long  # four probes of the 400 E / 100 I network: about 75 s in the suite
def test_a_hand_wired_assembly_beats_the_same_cells_unwired():
    """Same network, cells, cue and noise seeds; only the assembly's wiring differs.

    Measured on this network with 6 trials of 10 pulses: unwired index 0.39 +- 0.45 Hz,
    wired 5.91 +- 0.67 Hz (mean +- sem; trial sd 1.1 and 1.6 Hz).  With 2 trials the
    difference has a standard error of about 1.4 Hz, so > 2.5 Hz leaves 2 standard errors
    below the expected 5.5 Hz; |unwired| < 2.5 Hz is 3 standard errors (0.8 Hz) from 0.
    """
    from neuroplast.simulation.backend import brian_backend, owned  # noqa: PLC0415
    from neuroplast.simulation.network import build_network  # noqa: PLC0415
    from neuroplast.simulation.schedules import build_schedules  # noqa: PLC0415
    from neuroplast.simulation.simulate import drug_curves, run_seeds  # noqa: PLC0415

    cfg = config_from_dict(
        {
            "seed": 11,
            "network": {"n_exc": 400, "n_inh": 100},
            "simulation": {"backend": "cython"},
            "recording": {"n_traced": 0, "spikes": False},
            "timescale": {"enabled": True, "bio_duration": "1 s"},
            "recall": {"pulses": 10, "settle": "0.5 s", "quiet": "0 s", "trials": 2},
            "plasticity": {"structural": {"enabled": True}},
            "assemblies": {"adaptive": {"size": 40}},
        }
    )
    seeds = run_seeds(cfg)
    with brian_backend("cython", cfg.simulation.dt):
        schedules = build_schedules(cfg, drug_curves(cfg))
        model = build_network(cfg, seeds.connectivity, seeds.initial, schedules)
        i, j = owned(model.ee_pool.i[:]), owned(model.ee_pool.j[:])
        alive = owned(model.ee_pool.alive[:]) > 0.5
        members = model.assemblies["adaptive"]
    inside = np.isin(i, members) & np.isin(j, members)
    wired = alive | inside
    assert (wired & inside).sum() / (40 * 39) > 2.5 * (alive & inside).sum() / (40 * 39)
    snapshots = {
        "day_0.0": {"i": i[alive], "j": j[alive], "w": np.ones(alive.sum())},
        "day_1.0": {"i": i[wired], "j": j[wired], "w": np.ones(wired.sum())},
    }
    rows = recall_rows(cfg, snapshots, "c", 11)
    value = {(r.bio_time_days, r.measure): r.value for r in rows}
    unwired = value[(0.0, "recall_adaptive_index")]
    hand_wired = value[(1.0, "recall_adaptive_index")]
    assert abs(unwired) < 2.5
    assert hand_wired - unwired > 2.5
    assert value[(1.0, "recall_adaptive_index_sem")] > 0


def test_a_probe_runs_the_runs_network_frozen():
    """The probe's network (build_network(frozen=True)) has the run's cells, candidate
    pool, static projections, assemblies and cue input, and no code that could change a
    weight or a synapse: no rewiring, STDP of either rule, scaling or iSTDP."""
    import brian2  # noqa: PLC0415

    from neuroplast.analysis.recall import probe_config  # noqa: PLC0415
    from neuroplast.simulation.backend import brian_backend, owned  # noqa: PLC0415
    from neuroplast.simulation.network import build_network  # noqa: PLC0415
    from neuroplast.simulation.schedules import build_schedules  # noqa: PLC0415
    from neuroplast.simulation.simulate import drug_curves, run_seeds  # noqa: PLC0415

    cfg = config_from_dict(
        {
            "seed": 5,
            "simulation": {"backend": "numpy"},
            "network": {"n_exc": 80, "n_inh": 20},
            "timescale": {"enabled": True, "bio_duration": "1 day"},
            "plasticity": {
                "structural": {"enabled": True, "ablate_at": "0.5 days"},
                "stdp": {"enabled": True},
            },
            "assemblies": {"a": {"size": 10}},
            "recall": {"pulses": 2, "settle": "0.2 s", "quiet": "0.2 s"},
        }
    )
    probe = probe_config(cfg, "a")
    seeds = run_seeds(cfg)

    def built(config, frozen):
        with brian_backend("numpy", config.simulation.dt):
            model = build_network(
                config,
                seeds.connectivity,
                seeds.initial,
                build_schedules(config, drug_curves(config)),
                frozen=frozen,
            )
            synapses = {
                o.name: (owned(o.i[:]), owned(o.j[:]))
                for o in model.network.objects
                # between the cells (not the input's, nor the one-cell sums')
                if isinstance(o, brian2.Synapses)
                and getattr(o.source, "source", o.source).name == "neurons"
                and getattr(o.target, "source", o.target).name == "neurons"
            }
            v = owned(model.neurons.V[:], dtype=float)
            # every object and what it contains (pathways, state updaters, summed
            # variables, operations): code objects exist only once a run starts
            names = {x.name for o in model.network.objects for x in (o, *o.contained_objects)}
        return model, synapses, v, names

    run, run_synapses, run_v, _ = built(cfg, False)
    frozen, frozen_synapses, frozen_v, names = built(probe, True)
    np.testing.assert_array_equal(frozen_v, run_v)
    assert frozen_synapses.keys() == run_synapses.keys()  # E->E, E->I, I->E and I->I
    for name, (i, j) in frozen_synapses.items():
        np.testing.assert_array_equal(i, run_synapses[name][0], err_msg=name)
        np.testing.assert_array_equal(j, run_synapses[name][1], err_msg=name)
    np.testing.assert_array_equal(frozen.assemblies["a"], run.assemblies["a"])
    assert "therapy_input" in names  # the cue
    assert frozen.neurons.events.keys() == {"spike"}  # no rewiring or set-point event
    plastic = ("rewire", "post", "summed", "surge", "population", "slow", "run_regularly")
    assert not [n for n in names if any(word in n for word in plastic)], names
