"""Network assembly: connectivity, conductance scaling, determinism and seeds."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load

from neuroplast.config.experiment import load_config
from neuroplast.model.synapses import random_projection
from neuroplast.simulation.network import _scaled
from neuroplast.simulation.simulate import derive_seeds, simulate


def test_projection_has_no_autapses_and_the_right_density():
    rng = np.random.default_rng(0)
    n, p = 400, 0.2
    i, j = random_projection(rng, n, n, p, same_population=True)
    assert not np.any(i == j)
    assert len(set(zip(i.tolist(), j.tolist(), strict=True))) == len(i)  # no duplicate synapses
    expected = p * n * (n - 1)
    assert abs(len(i) - expected) < 4 * np.sqrt(expected * (1 - p))  # 4 binomial SDs


def test_projection_between_populations_reaches_every_target_index():
    rng = np.random.default_rng(1)
    i, j = random_projection(rng, 50, 30, 0.5, same_population=False)
    assert i.max() < 50 and j.max() < 30 and j.min() >= 0
    assert set(j.tolist()) == set(range(30))


@pytest.mark.parametrize("n_exc", [400, 800, 3200])
def test_scaling_keeps_the_mean_recurrent_conductance_per_neuron(n_exc):
    # mean input = in-degree x per-synapse conductance = n_ref x reference conductance
    cfg = load_config(None, [f"network.n_exc={n_exc}", f"network.n_inh={n_exc // 4}"])
    scaled = _scaled(cfg, cfg.synapses.to_exc)
    in_degree_e = cfg.network.p_connect * n_exc
    total = float(scaled["g_ampa_syn"]) * in_degree_e
    assert total == pytest.approx(800 * float(cfg.synapses.to_exc.g_ampa), rel=1e-12)


def test_seeds_are_derived_reproducibly_and_differ_between_conditions():
    a = derive_seeds(42, "control")
    assert a == derive_seeds(42, "control")
    assert a.connectivity != derive_seeds(42, "ketamine").connectivity
    assert a.connectivity != derive_seeds(43, "control").connectivity
    assert a.brian != derive_seeds(42, "control", repeat=1).brian


def _short_quick_run(seed: int):
    cfg = load("quick", 'simulation.duration="0.4 s"', f"seed={seed}")
    return simulate(cfg, derive_seeds(cfg.seed))


def test_same_seed_gives_identical_spike_trains():
    first, second = _short_quick_run(7), _short_quick_run(7)
    assert len(first.spike_t) > 100
    np.testing.assert_array_equal(first.spike_i, second.spike_i)
    np.testing.assert_array_equal(first.spike_t, second.spike_t)


def test_different_seeds_give_different_spike_trains():
    first, second = _short_quick_run(7), _short_quick_run(8)
    same_length = len(first.spike_t) == len(second.spike_t)
    assert not (same_length and np.array_equal(first.spike_i, second.spike_i))


def test_a_run_leaves_numpy_global_random_state_untouched():
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    _short_quick_run(7)
    assert np.random.random() == expected


def test_removing_nmda_everywhere_lowers_both_rates():
    # NMDA is a recurrent excitatory conductance (and the slow one): taking it away
    # from every cell must lower the activity of both populations.
    with_nmda = _short_quick_run(3)
    cfg = load(
        "quick",
        'simulation.duration="0.4 s"',
        "seed=3",
        "synapses.to_exc.nmda_scale=0",
        "synapses.to_inh.nmda_scale=0",
    )
    without = simulate(cfg, derive_seeds(cfg.seed))
    ne = with_nmda.n_exc
    assert np.sum(without.spike_i < ne) < 0.7 * np.sum(with_nmda.spike_i < ne)
    assert np.sum(without.spike_i >= ne) < 0.7 * np.sum(with_nmda.spike_i >= ne)


def test_the_optimisation_level_replaces_brian2s_and_is_put_back(monkeypatch):
    import brian2  # noqa: PLC0415

    from neuroplast.simulation.backend import OPT_LEVEL_VARIABLE, brian_backend  # noqa: PLC0415

    default_flags = list(brian2.prefs["codegen.cpp.extra_compile_args_gcc"])
    default_cache = brian2.prefs["codegen.runtime.cython.cache_dir"]
    monkeypatch.setenv(OPT_LEVEL_VARIABLE, "0")
    with brian_backend("numpy", 0.1 * brian2.ms):
        flags = list(brian2.prefs["codegen.cpp.extra_compile_args_gcc"])
        cache = brian2.prefs["codegen.runtime.cython.cache_dir"]
    assert flags == ["-O0" if f.startswith("-O") else f for f in default_flags] != default_flags
    assert cache.endswith("-O0")  # not the cache a default build fills
    assert brian2.prefs["codegen.cpp.extra_compile_args_gcc"] == default_flags
    assert brian2.prefs["codegen.runtime.cython.cache_dir"] == default_cache
    monkeypatch.setenv(OPT_LEVEL_VARIABLE, "fast")
    with pytest.raises(ValueError, match=r"NEUROPLAST_OPT_LEVEL = 'fast': expected 0, 1, 2 or 3"):
        with brian_backend("numpy", 0.1 * brian2.ms):
            pass
