"""STDP and inhibitory STDP code strings against their closed-form pair rules.

Song, Miller & Abbott 2000: a pre spike followed by a post spike Dt later changes w by
``A_plus exp(-Dt/tau_plus)``; the reverse order by ``-A_minus exp(-Dt/tau_minus)``.
Vogels et al 2011: a pre spike changes w by ``eta (x_post - alpha)``, a post spike by
``eta x_pre`` (symmetric window).  Pfister & Gerstner 2006: the minimal triplet rule's
drift for independent Poisson trains, with the depression amplitude sliding so that it
vanishes at the cell's threshold rate.
"""

from __future__ import annotations

import brian2
import numpy as np
import pytest

from neuroplast.config.experiment import PlasticityConfig
from neuroplast.model import plasticity as plast
from neuroplast.simulation.backend import brian_backend

MS = brian2.ms


def run_pair(pre_time, post_time, on_pre, on_post, traces, on_spike, model, w0=1.0):
    """Two cells spiking once each at the given times; return the final weight."""
    namespace = plast.plasticity_namespace(PlasticityConfig(), 0 / brian2.second)
    namespace["stdp_gate"] = brian2.TimedArray([1.0], dt=1 * brian2.second)
    namespace["g_gaba_syn_post"] = 0 * brian2.nS
    with brian_backend("numpy", 0.1 * MS):
        cells = brian2.NeuronGroup(
            2,
            traces + "t_spike : second\ng_gaba : siemens\ng_gaba_syn : siemens",
            threshold="abs(t - t_spike) < 0.05*ms",
            reset=on_spike,
            namespace=namespace,
        )
        cells.t_spike = [pre_time, post_time]
        syn = brian2.Synapses(
            cells, cells, model=model, on_pre=on_pre, on_post=on_post, namespace=namespace
        )
        syn.connect(i=0, j=1)
        syn.w = w0
        if "alive" in model:
            syn.alive = 1
        brian2.Network(cells, syn).run(max(pre_time, post_time) + 5 * MS)
        return float(syn.w[0])


def stdp(pre, post):
    return run_pair(
        pre,
        post,
        plast.POOL_ON_PRE_STDP.strip(),
        plast.POOL_ON_POST,
        plast.STDP_TRACES,
        plast.STDP_ON_SPIKE,
        plast.POOL_MODEL,
    )


def istdp(pre, post):
    return run_pair(
        pre,
        post,
        plast.ISTDP_ON_PRE,
        plast.ISTDP_ON_POST,
        plast.ISTDP_TRACES,
        plast.ISTDP_ON_SPIKE,
        plast.ISTDP_MODEL,
    )


@pytest.mark.parametrize("lag_ms", [2.0, 10.0, 40.0])
def test_pre_before_post_potentiates_by_the_song_window(lag_ms):
    cfg = PlasticityConfig().stdp
    dw = stdp(10 * MS, (10 + lag_ms) * MS) - 1.0
    assert dw == pytest.approx(cfg.A_plus * np.exp(-lag_ms / 20.0), rel=0.01)


@pytest.mark.parametrize("lag_ms", [2.0, 10.0, 40.0])
def test_post_before_pre_depresses_by_the_song_window(lag_ms):
    cfg = PlasticityConfig().stdp
    dw = stdp((10 + lag_ms) * MS, 10 * MS) - 1.0
    assert dw == pytest.approx(-cfg.A_minus * np.exp(-lag_ms / 20.0), rel=0.01)


def test_depression_slightly_outweighs_potentiation_for_uncorrelated_pairs():
    # Song et al 2000: A_minus tau_minus > A_plus tau_plus keeps weights from running away
    cfg = PlasticityConfig().stdp
    assert cfg.A_minus * float(cfg.tau_minus) > cfg.A_plus * float(cfg.tau_plus)


@pytest.mark.parametrize("lag_ms", [3.0, 15.0])
def test_inhibitory_stdp_follows_vogels_rule(lag_ms):
    cfg = PlasticityConfig().istdp
    eta, tau = cfg.eta, float(cfg.tau) * 1000
    alpha = 2 * float(cfg.target_rate) * float(cfg.tau)
    # pre first: depression by alpha at the pre spike, then eta*x_pre at the post spike
    w = istdp(10 * MS, (10 + lag_ms) * MS)
    assert w - 1.0 == pytest.approx(eta * (np.exp(-lag_ms / tau) - alpha), rel=0.01)
    # symmetric window: post first gives the same potentiation term
    w = istdp((10 + lag_ms) * MS, 10 * MS)
    assert w - 1.0 == pytest.approx(eta * (np.exp(-lag_ms / tau) - alpha), rel=0.01)


def triplet_drift(rate_post: float, *, threshold: float = 10.0, rate_pre: float = 10.0):
    """Mean weight change per second of triplet-STDP synapses between independent Poisson
    cells (40 presynaptic x 25 postsynaptic), with the sliding depression amplitude set by
    a threshold rate (the set point here; numpy, 0.5 ms steps, 20 s)."""
    cfg = PlasticityConfig(stdp={"enabled": True, "rule": "triplet", "w_max": 100.0})
    namespace = plast.plasticity_namespace(cfg, 0 / brian2.second)
    namespace["stdp_gate"] = brian2.TimedArray([1.0], dt=1 * brian2.second)
    traces, on_spike = plast.stdp_neuron_code(cfg.stdp, structural=False)
    on_pre, on_post = plast.stdp_pool_code(cfg.stdp)
    n_pre, n_post, duration = 40, 25, 20 * brian2.second
    with brian_backend("numpy", 0.5 * MS):
        brian2.seed(5)
        cells = brian2.NeuronGroup(
            n_pre + n_post,
            traces + "rate : Hz (constant)\nset_point : Hz (constant)",
            threshold="rand() < rate * dt",
            reset=on_spike,
            namespace=namespace,
        )
        cells.rate = np.r_[np.full(n_pre, rate_pre), np.full(n_post, rate_post)] * brian2.Hz
        cells.set_point = threshold * brian2.Hz
        syn = brian2.Synapses(
            cells[:n_pre],
            cells[n_pre:],
            model=plast.POOL_MODEL,
            on_pre=on_pre.strip(),
            on_post=on_post,
            namespace=namespace,
        )
        syn.connect()
        syn.w, syn.alive = 1.0, 1
        brian2.Network(cells, syn).run(duration)
        return (float(np.mean(syn.w[:])) - 1.0) / float(duration / brian2.second), namespace


@pytest.mark.parametrize("rate_post", [5.0, 10.0, 20.0])
def test_triplet_drift_is_zero_at_the_threshold_rate_and_bcm_like_around_it(rate_post):
    """Pfister & Gerstner 2006: for independent Poisson trains the drift of the minimal
    all-to-all triplet rule is rho_pre rho_post (A2+ tau+ + A3+ tau+ tau_y rho_post -
    A2- tau-); with A2- sliding to make it zero at the threshold theta it is
    rho_pre rho_post A3+ tau+ tau_y (rho_post - theta): depression below, none at theta,
    potentiation above."""
    drift, ns = triplet_drift(rate_post)
    theta, rate_pre = 10.0, 10.0
    slope = (
        ns["A3_plus"] * float(ns["tau_plus"] / brian2.second) * float(ns["tau_y"] / brian2.second)
    )
    expected = rate_pre * rate_post * slope * (rate_post - theta)
    # 0.026/s at 20 Hz, -0.0033/s at 5 Hz; the noise of the mean over 1000 synapses in
    # 20 s is about 2e-4/s
    assert drift == pytest.approx(expected, rel=0.15, abs=6e-4), (drift, expected)
