"""STDP and inhibitory STDP code strings against their closed-form pair rules.

Song, Miller & Abbott 2000: a pre spike followed by a post spike Dt later changes w by
``A_plus exp(-Dt/tau_plus)``; the reverse order by ``-A_minus exp(-Dt/tau_minus)``.
Vogels et al 2011: a pre spike changes w by ``eta (x_post - alpha)``, a post spike by
``eta x_pre`` (symmetric window).  Pfister & Gerstner 2006: the minimal triplet rule
with a threshold that slides with the square of the cell's rate over its set point is
homeostatic for steady firing and potentiates the inputs that are active together with
the cell, where pair STDP depresses them.
"""

from __future__ import annotations

import brian2
import numpy as np
import pytest

from neuroplast.config.experiment import PlasticityConfig
from neuroplast.model import plasticity as plast
from neuroplast.simulation.backend import brian_backend

MS = brian2.ms
#: the pair rule's parameters (the default rule is the triplet rule)
PAIR = PlasticityConfig(stdp={"rule": "pair"})


def run_pair(pre_time, post_time, on_pre, on_post, traces, on_spike, model, w0=1.0):
    """Two cells spiking once each at the given times; return the final weight."""
    namespace = plast.plasticity_namespace(PAIR, 0 / brian2.second)
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
    cfg = PAIR.stdp
    dw = stdp(10 * MS, (10 + lag_ms) * MS) - 1.0
    assert dw == pytest.approx(cfg.A_plus * np.exp(-lag_ms / 20.0), rel=0.01)


@pytest.mark.parametrize("lag_ms", [2.0, 10.0, 40.0])
def test_post_before_pre_depresses_by_the_song_window(lag_ms):
    cfg = PAIR.stdp
    dw = stdp((10 + lag_ms) * MS, 10 * MS) - 1.0
    assert dw == pytest.approx(-cfg.A_minus * np.exp(-lag_ms / 20.0), rel=0.01)


def test_depression_slightly_outweighs_potentiation_for_uncorrelated_pairs():
    # Song et al 2000: A_minus tau_minus > A_plus tau_plus keeps weights from running away
    cfg = PAIR.stdp
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


def weight_drift(
    rule: str,
    *,
    post_rate: float,
    pre_rates: tuple[float, ...],
    set_point: float,
    pulse: float = 0.0,
    pulsed_pre: tuple[bool, ...] = (),
    seconds: float = 20.0,
):
    """Mean weight change per second of E->E STDP synapses between Poisson cells.

    25 postsynaptic cells fire at ``post_rate`` times ``1 + pulse`` during the first
    200 ms of every second (therapy-like pulses) and once otherwise; 40 presynaptic
    cells per entry of ``pre_rates`` fire at that rate, pulsed like the postsynaptic ones
    where ``pulsed_pre`` says so.  Returns one drift per presynaptic group (numpy, 0.5 ms
    steps, weights started at 5 so that no bound is reached).
    """
    cfg = PlasticityConfig(stdp={"enabled": True, "rule": rule, "w_max": 100.0})
    namespace = plast.plasticity_namespace(cfg, 0 / brian2.second)
    namespace["stdp_gate"] = brian2.TimedArray([1.0], dt=1 * brian2.second)
    traces, on_spike = plast.stdp_neuron_code(cfg.stdp)
    on_pre, on_post = plast.stdp_pool_code(cfg.stdp)
    pulsed_pre = pulsed_pre or (False,) * len(pre_rates)
    n_group, n_post = 40, 25
    n_pre = n_group * len(pre_rates)
    with brian_backend("numpy", 0.5 * MS):
        brian2.seed(5)
        cells = brian2.NeuronGroup(
            n_pre + n_post,
            traces
            + "rate : Hz (constant)\npulsed : 1 (constant)\nset_point : Hz (constant)\n"
            + "pulse_on = int((t % second) < 200 * ms) : 1",
            threshold="rand() < rate * (1 + pulsed * pulse_gain * pulse_on) * dt",
            reset=on_spike,
            namespace={**namespace, "pulse_gain": pulse},
        )
        cells.rate = np.r_[np.repeat(pre_rates, n_group), np.full(n_post, post_rate)] * brian2.Hz
        cells.pulsed = np.r_[np.repeat(np.asarray(pulsed_pre, float), n_group), np.ones(n_post)]
        cells.set_point = set_point * brian2.Hz
        if rule == "triplet":
            cells.rate_theta = set_point * brian2.Hz  # the detector starts at the set point
        syn = brian2.Synapses(
            cells[:n_pre],
            cells[n_pre:],
            model=plast.POOL_MODEL,
            on_pre=on_pre.strip(),
            on_post=on_post,
            namespace=namespace,
        )
        syn.connect()
        syn.w, syn.alive = 5.0, 1
        brian2.Network(cells, syn).run(seconds * brian2.second)
        change = (np.asarray(syn.w[:]) - 5.0) / seconds
        group = np.asarray(syn.i[:]) // n_group
    return [float(change[group == k].mean()) for k in range(len(pre_rates))]


@pytest.mark.slow
def test_triplet_rule_is_homeostatic_around_the_set_point():
    """With the threshold rho_bar^2 / eps (Pfister & Gerstner's BCM mapping), steady
    Poisson firing potentiates inputs below the set point eps and depresses them above
    it, and at the set point the drift is small against both (measured: +1.6e-3/s at 5 Hz,
    +6e-5/s at 10 Hz, -0.049/s at 20 Hz, set point 10 Hz)."""
    below, at, above = (
        weight_drift("triplet", post_rate=rate, pre_rates=(10.0,), set_point=10.0)[0]
        for rate in (5.0, 10.0, 20.0)
    )
    assert below > 0 > above
    assert abs(at) < 0.2 * min(below, -above), (below, at, above)


@pytest.mark.slow
def test_triplet_rule_potentiates_inputs_active_with_the_cell_where_pair_stdp_does_not():
    """Therapy-like pulses (x2 for 200 ms every second) to the postsynaptic cells and to
    one presynaptic group: under the triplet rule the co-active group gains more weight
    than a steady group of the same mean rate; under pair STDP with A_minus > A_plus it
    is the other way round (Kempter et al 1999: net depression for rate co-activation)."""
    kwargs = {"post_rate": 5.0, "pre_rates": (5.0, 6.0), "set_point": 6.0, "pulse": 1.0}
    kwargs["pulsed_pre"] = (True, False)  # mean rate of the pulsed group: 5 x 1.2 = 6 Hz
    co_active, steady = weight_drift("triplet", **kwargs, seconds=60.0)
    # measured 2.9e-4/s against 1.1e-4/s; pair STDP: -4.6e-4 against -3.7e-4
    assert co_active - steady > 1e-4 and co_active > 1.5 * steady, (co_active, steady)
    co_active_pair, steady_pair = weight_drift("pair", **kwargs, seconds=60.0)
    assert co_active_pair < steady_pair, (co_active_pair, steady_pair)
