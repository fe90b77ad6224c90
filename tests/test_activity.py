"""The default network's operating point, and agreement between brian2 backends.

Targets (issue #2, model docs §1.2): asynchronous irregular activity, E rates 1-10 Hz,
I rates higher than E, CV of inter-spike intervals near 1 (a Poisson process has 1;
Brunel 2000 calls a state irregular when CV is close to 1).
"""

from __future__ import annotations

import gc

import numpy as np
import pytest
from conftest import digest, load

from neuroplast.analysis.measures import cv_isi, population_rate, synchrony_chi
from neuroplast.simulation.simulate import _rates_from_spikes, derive_seeds, simulate

TRANSIENT = 0.5  # s


def summary(rec, t_start=TRANSIENT, t_stop=None):
    t_stop = rec.duration if t_stop is None else t_stop
    ne, n = rec.n_exc, rec.n_exc + rec.n_inh
    return {
        "exc": population_rate(rec.spike_i, rec.spike_t, 0, ne, t_start, t_stop),
        "inh": population_rate(rec.spike_i, rec.spike_t, ne, n, t_start, t_stop),
        "cv_exc": cv_isi(rec.spike_i, rec.spike_t, 0, ne, t_start),
        "cv_inh": cv_isi(rec.spike_i, rec.spike_t, ne, n, t_start),
    }


@pytest.mark.slow
def test_default_network_is_asynchronous_irregular(default_cython_run):
    _, rec = default_cython_run
    s = summary(rec)
    assert 1.0 <= s["exc"] <= 10.0
    assert s["inh"] > s["exc"]
    assert 0.7 <= s["cv_exc"] <= 1.5
    # Interneurons are irregular but burstier than Poisson: measured CV_I 1.63 +- 0.10
    # over seeds 1-5 (experiments/baseline_activity.py, 10 s); they follow the slow
    # NMDA-driven fluctuations of the pyramidal population.
    assert 0.7 <= s["cv_inh"] <= 2.0
    # asynchronous: chi well below 1 (1 = fully synchronous); 800 independent Poisson
    # neurons give about 1/sqrt(800) = 0.035
    assert synchrony_chi(rec.spike_i, rec.spike_t, 0, rec.n_exc, TRANSIENT, rec.duration) < 0.3


@pytest.mark.slow
def test_default_network_rates_are_stationary(default_cython_run):
    _, rec = default_cython_run
    halves = [summary(rec, TRANSIENT, 3.0), summary(rec, 3.0, rec.duration)]
    assert halves[1]["exc"] == pytest.approx(halves[0]["exc"], rel=0.25)
    assert halves[1]["inh"] == pytest.approx(halves[0]["inh"], rel=0.25)


#: brian2's backends.  From the same seeds they draw the same random numbers and evaluate
#: the same equations in double precision: measured, the quick and default networks give
#: identical spike trains on all three (brian2 2.9.0 on Python 3.11 and 2.11.0 on 3.13).
BACKENDS = ("numpy", "cython", "cpp_standalone")

#: The quick network's spikes in runs_on_every_backend (2 s, root seed 1): number and
#: digest of indices and times, measured the same on all three backends with brian2 2.9.0
#: / numpy 2.3.5 / Python 3.11 and brian2 2.11.0 / numpy 2.5.5 / Python 3.13.  A
#: deliberate change of the model changes it: re-measure, and CI checks the other Python.
QUICK_SPIKES = (9768, "a0e3225ddabcda30")

#: Network time simulated per network in the backend comparison.
DURATIONS = {"quick": "2 s", "default": "3 s"}


@pytest.fixture(scope="module")
def runs_on_every_backend():
    """The quick and default networks on every backend, read after all of them are gone.

    Nothing is read from a recording until every run is over and its brian2 objects are
    collected: brian2 2.10+ returned monitor values as views of memory freed with the
    monitor, and a recording that kept such views read garbage (a silent network on
    Python 3.13) only after its network was gone.
    """
    runs = {}
    for name, duration in DURATIONS.items():
        for backend in BACKENDS:
            cfg = load(
                name,
                f"simulation.backend={backend}",
                f'simulation.duration="{duration}"',
                "recording.n_traced=0",
            )
            runs[name, backend] = simulate(cfg, derive_seeds(cfg.seed))
    gc.collect()
    junk = [np.ones(4096) for _ in range(256)]  # reuse whatever memory was freed
    del junk
    return runs


CASES = [(name, backend) for name in DURATIONS for backend in BACKENDS]


@pytest.mark.slow
@pytest.mark.standalone
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_gives_the_stored_spike_train(runs_on_every_backend, backend):
    rec = runs_on_every_backend["quick", backend]
    assert (len(rec.spike_i), digest(rec.spike_i, rec.spike_t)) == QUICK_SPIKES


@pytest.mark.slow
@pytest.mark.standalone
@pytest.mark.parametrize(("network", "backend"), CASES)
def test_recorded_spikes_outlive_the_network(runs_on_every_backend, network, backend):
    rec = runs_on_every_backend[network, backend]
    assert np.all(np.diff(rec.spike_t) >= 0)  # a spike monitor records in time order
    assert rec.spike_t.min() >= 0 and rec.spike_t.max() < rec.duration
    assert rec.spike_i.min() >= 0 and rec.spike_i.max() < rec.n_exc + rec.n_inh
    # the population rates were binned from the spikes while the network was alive
    _, exc, inh = _rates_from_spikes(
        rec.spike_i, rec.spike_t, rec.n_exc, rec.n_inh, rec.duration, rec.rate_t[1] - rec.rate_t[0]
    )
    np.testing.assert_array_equal(exc, rec.rate_exc)
    np.testing.assert_array_equal(inh, rec.rate_inh)


#: The asynchronous irregular state of each network: (E rate Hz, CV_E, CV_I) bounds.
#: Measured over root seeds 1-10 (cython, after a 0.5-s transient, `summary` and
#: `synchrony_chi` of each run of `load(name, f"seed={k}")` at the durations below):
#: default, 3 s: E 3.3-5.5 Hz, I 9.7-12.0 Hz, CV_E 1.10-1.27, CV_I 1.38-1.66, chi 0.05-0.07;
#: quick, 2 s: E 6.4-14.0 Hz, I 18.0-24.2 Hz, CV_E 1.50-1.77, CV_I 1.91-2.31, chi 0.08-0.11.
#: The small quick network is burstier (fewer inputs per cell, larger shared fluctuations).
#: Bounds: the default network's targets (test_default_network_is_asynchronous_irregular);
#: for quick, about three seed-to-seed sds beyond the measured means.  A silent or
#: runaway network (the brian2 2.10+ failure: I 0 Hz, CV_E 7.4) is far outside either.
AI_BOUNDS = {
    "default": {"exc": (1.0, 10.0), "cv_exc": (0.7, 1.5), "cv_inh": (0.7, 2.0)},
    "quick": {"exc": (1.0, 20.0), "cv_exc": (0.7, 2.0), "cv_inh": (0.7, 2.5)},
}


@pytest.mark.slow
@pytest.mark.standalone
@pytest.mark.parametrize(("network", "backend"), CASES)
def test_every_backend_is_asynchronous_irregular(runs_on_every_backend, network, backend):
    rec = runs_on_every_backend[network, backend]
    s = summary(rec)
    for key, (low, high) in AI_BOUNDS[network].items():
        assert low <= s[key] <= high, (key, s)
    assert s["inh"] > s["exc"], s
    assert synchrony_chi(rec.spike_i, rec.spike_t, 0, rec.n_exc, TRANSIENT, rec.duration) < 0.3


@pytest.mark.slow
@pytest.mark.standalone
@pytest.mark.parametrize("network", list(DURATIONS))
@pytest.mark.parametrize("backend", ["numpy", "cpp_standalone"])
def test_backends_agree_on_rates(runs_on_every_backend, network, backend):
    """Rates agree with cython's within 25 %.

    Measured, the backends give identical spikes (BACKENDS).  The tolerance allows for a
    brian2 in which they do not: rounding differences (libm, summation order) decorrelate
    the trajectories, and rates then differ like two seeds, whose 1.5-s means in the
    quick network spread by ~10 % (E) and ~6 % (I); 25 % is 2.5 times that.
    """
    a = summary(runs_on_every_backend[network, backend])
    b = summary(runs_on_every_backend[network, "cython"])
    assert a["exc"] == pytest.approx(b["exc"], rel=0.25)
    assert a["inh"] == pytest.approx(b["inh"], rel=0.25)
