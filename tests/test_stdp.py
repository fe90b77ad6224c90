"""STDP and inhibitory STDP code strings against their closed-form pair rules.

Song, Miller & Abbott 2000: a pre spike followed by a post spike Dt later changes w by
``A_plus exp(-Dt/tau_plus)``; the reverse order by ``-A_minus exp(-Dt/tau_minus)``.
Vogels et al 2011: a pre spike changes w by ``eta (x_post - alpha)``, a post spike by
``eta x_pre`` (symmetric window).
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
