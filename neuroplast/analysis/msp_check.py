"""Calibration target C1: NEST's homeostatic structural-plasticity example, in brian2.

Model docs §10 C1 asks that the MSP rule (Butz & van Ooyen 2013, PLoS Comput Biol
9:e1003259), as NEST implements it (model docs §5.1), reproduces NEST's example
``pynest/examples/structural_plasticity.py`` (model docs §5.2): a network grown from no
connectivity at all, in which each population's mean calcium settles on its set point
(Ca_E -> 0.05, i.e. 5 Hz; Ca_I -> 0.20, 20 Hz) by about 110-130 s of network time with
a 1 s rewiring interval, and overshoots with a 10 s interval.  This module builds that
network in brian2 (:func:`simulate_msp`) and reduces the run to the C1 figures
(:func:`c1_figures`); ``neuroplast calibrate`` reports them (calibrate.py).

The network (NEST example; equations and numbers from NEST, cited, not its code)
-------------------------------------------------------------------------------
* 800 E + 200 I ``iaf_psc_alpha`` neurons with NEST 3.10's defaults (checked with
  ``nest.GetDefaults('iaf_psc_alpha')``): C_m 250 pF, tau_m 10 ms, t_ref 2 ms,
  E_L = V_reset = -70 mV, V_th -55 mV, tau_syn_ex = tau_syn_in = 2 ms, I_e 0.  (The
  example defines ``iaf_psc_exp``-style parameters -- E_L -65, V_th -50, tau_syn 0.5 ms
  -- that it never applies; model docs §5.2.)  Current-based alpha PSCs normalised as
  NEST's: a weight w gives ``I(t) = w (t/tau_syn) e^(1 - t/tau_syn)``, peak w at
  t = tau_syn; here ``dI/dt = (y - I)/tau_syn, dy/dt = -y/tau_syn, y += e w``.  During
  the refractory period V is clamped, the currents run on.  Linear parts are integrated
  exactly (brian2 ``exact``; NEST uses exact integration too), dt = 0.1 ms.
* Background: independent Poisson input of 10 kHz per neuron with 6.2 pA PSCs (NEST's
  ``poisson_generator`` sends an independent train to each target; here a brian2
  ``PoissonInput`` of 1000 sources at 10 Hz, i.e. Poisson(1) events per step).
* E synapses +585 pA, I synapses -585 pA, delay 1 ms (the example's ``psc_e``/``psc_i``).
* Calcium (NEST ``structural_plasticity_node``): ``dCa/dt = -Ca/tau_Ca`` with
  ``Ca += beta_Ca`` at each spike, tau_Ca 10 s, beta_Ca 0.001, so Ca = 0.01 x rate/Hz.
* Synaptic elements, integer mode: E cells grow Axon_ex, Den_ex, Den_in; I cells
  Axon_in, Den_ex, Den_in, each with NEST's Gaussian growth curve (``growth_curve.cpp``)
  ``dz/dt = nu (2 exp(-((Ca - xi)/zeta)^2) - 1)``, ``xi = (eta + eps)/2``,
  ``zeta = (eps - eta)/(2 sqrt(ln 2))`` (zero growth at Ca = eta and eps), eta = 0,
  eps = 0.05 (E) / 0.2 (I); nu = 1e-4 elements/ms for every element except the I cells'
  Den_ex (4e-4).  z is integrated by forward Euler every ``growth_dt`` (NEST: forward
  Euler at the resolution, between events) and clipped at 0 at every spike and every
  rewiring step (where NEST's growth-curve update clips it).
* E synapses pair an E cell's free Axon_ex with a free Den_ex on any cell (E or I);
  I synapses an I cell's free Axon_in with a free Den_in on any cell.  Autapses are
  possible, as in NEST's structural-plasticity builder (allow_autapses defaults to true).

Rewiring, every ``update_interval`` (NEST ``simulation_manager.cpp``/``sp_manager.cpp``)
------------------------------------------------------------------------------------------
Both synapse types are rewired at once (they share no element).  brian2 cannot create
or delete synapses during a run, so every ordered (E, any) and (I, any) pair is a
candidate synapse with an ``alive`` flag (800 000 + 200 000 candidates): the example's
network never holds more than a few synapses per cell, so a candidate subset would
bias which partners are reachable while saving little (transmission costs one loop
iteration per candidate and spike).  Per cell, ``c_axon``, ``c_den_ex``, ``c_den_in``
count connected elements (NEST's ``z_connected``); they are changed only together with
``alive``, so they equal the live candidates at all times (tests check it).  Each step
is a sequence of ``run_regularly`` operations (period = the update interval, slot
``end``, ordered), alternating per-cell code on the neurons with sequential passes over
every candidate (``Synapses.run_regularly``; cython runs them as one loop in index
order, updating the per-cell counters as it goes).  All code strings, no
``network_operation``; but brian2's numpy target cannot run order-dependent synaptic
``run_regularly`` code, so this model needs cython (or C++ standalone, untested).
Between steps nothing but the spike transmission touches the candidates.  In order:

0. ``z`` clipped at 0, ``floor(z)`` frozen for this step.  **Deletion by axons**: a
   cell with ``c_axon > floor(z_axon)`` loses exactly ``c_axon - floor(z_axon)`` of its
   live outgoing synapses, chosen uniformly (selection sampling, Knuth's Algorithm S:
   each live synapse is taken with probability still-to-delete / still-to-see, which
   gives a uniform subset of exactly that size); the partner's dendritic element
   becomes vacant.  NEST: ``delete_synapses_from_pre`` (shuffle, take the first n).
1. **Deletion by dendrites** the same way over incoming synapses (``Den_ex``,
   ``Den_in``); NEST: ``delete_synapses_from_post``.
2. **Creation**, ``pairing_rounds`` rounds of two phases each.  First a sum pass: for
   each cell i as presynaptic, ``W_i = sum_j D_j (1 - alive_ij)`` (free dendritic
   elements it could still reach) and, as postsynaptic, ``S_i = sum_k A_k (1 -
   alive_ki)`` (free axonal elements that could reach it); with all pairs as
   candidates these are the network totals sum D and sum A up to the cell's own live
   partners.  Then a pairing pass: cell i offers ``r_i = A_i`` free axonal elements,
   thinned to ``A_i min(1, W_i/S_i)`` (stochastically rounded) when axons outnumber
   dendrites, and places them over its candidates in index order by weighted selection
   sampling: candidate j is taken with probability ``r_rem D_j / W_rem`` (both
   decremented as the scan proceeds), provided j still has a free element.  For one
   element this picks j with probability exactly ``D_j / W_i`` (the product
   telescopes), whatever the scan order, and an element is never left unplaced unless
   the partner ran out of free elements.
3. **Decay of vacant elements** (NEST ``decay_z_vacant``, "remove 10 % of the vacant
   elements"): ``z -= tau_vacant (floor(z) - z_connected)`` where that is positive,
   tau_vacant 0.1 (NEST's default).

How the pairing differs from NEST's, and why that is fine for C1.  NEST lists every
vacant axonal and dendritic element of the network once, shuffles the longer list,
truncates it to the shorter and pairs them 1:1 (``create_synapses``), so each step
forms exactly ``min(sum A, sum D)`` synapses and, when axons are the short side, each
axonal element meets a uniformly drawn free dendritic element.  Here each free axonal
element likewise meets a dendritic element drawn in proportion to the free elements
(same expected pair counts ``A_i D_j / max(sum A, sum D)``), but the draws of different
axons are not coordinated: when two axons pick the last free element of the same cell,
the second one is refused and waits for the next round or step.  A few rounds per step
(default 3) place nearly all of the short side (NEST places all of it); what remains
is placed one step (1 s) later, while the network takes ~100 s to reach its set
points, and refused elements are those of scarce partners, not of particular cells
(the per-axon choice is exchangeable across the scan order).  Other differences:
multapses (a second synapse on an already connected ordered pair, NEST allows them)
cannot form -- with at most a few synapses per cell out of 1000 possible partners,
well under 1 % of pairings would be multapses; NEST's example uses one global RNG,
this model brian2's.  C1 compares population means of calcium against the set
points, which these differences do not move: the fixed point Ca = eps of the growth
curve does not depend on how elements are paired, only the path to it.

Results (seed 1, one run each; NEST 3.10.0 re-run of the example with
``experiments/nest_msp_example.py``, rng_seed 1; Ca_E / Ca_I / #E / #I synapses)

====== =================================== ===================================
t (s)  brian2, this module                 NEST 3.10
====== =================================== ===================================
*1 s rewiring interval*
100    0.0465 / 0.2035 / 2081 / 1064       0.0454 / 0.1939 / 2013 / 1080
130    0.0509 / 0.2094 / 1622 / 935        0.0518 / 0.2089 / 1702 / 992
200    0.0506 / 0.2018 / 1644 / 913        0.0503 / 0.2002 / 1759 / 998
C1     Ca/eps over 150-200 s: 0.999 / 0.999  1.004 / 1.005
*10 s rewiring interval*
100    0.0527 / 0.2012 / 1176 / 496        0.0421 / 0.1590 / 1434 / 898
130    0.0584 / 0.2633 / 1614 / 522        0.0496 / 0.2375 / 2259 / 1067
200    0.2434 / 0.4585 / 503 / 57          0.0973 / 0.4637 / 2091 / 557
C1     Ca/eps over 150-200 s: 4.62 / 2.98   1.66 / 1.96
====== =================================== ===================================

With 1 s rewiring the two follow the same path: first synapses at 13 s, an early
peak of E synapses at 16 s, Ca_I at its set point by ~100 s, both populations within
10 % of eps from 123 s (NEST 121 s) and within 5 % from 130 s (NEST 130 s); this
model ends with 6-9 % fewer synapses (presumably the missing multapses and the
uncoordinated pairing; one seed each, so partly chance).  With 10 s rewiring
(= tau_Ca) both overshoot and diverge from ~120 s on; a growing oscillation amplifies
every small difference, so its details are not expected to match.  Wall time (cython,
2-core machine, two runs at once): 212 s for 200 s of network time with 1 s rewiring,
228 s with 10 s.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from neuroplast.simulation.backend import brian_backend

__all__ = ["MSPParams", "MSPResult", "simulate_msp", "c1_figures", "C1_WINDOW"]

#: The averaging window of C1 (network seconds), model docs §10.
C1_WINDOW = (150.0, 200.0)


@dataclass(frozen=True)
class MSPParams:
    """Parameters of the NEST example network (units in the field names).

    Defaults are NEST's example ``structural_plasticity.py`` with NEST 3.10's
    ``iaf_psc_alpha`` defaults (model docs §5.1, §5.2); ``update_interval_s`` = 1 s is the
    example's older value (the current example and NEST's kernel default use 10 s).
    """

    n_exc: int = 800
    n_inh: int = 200
    t_sim_s: float = 200.0
    dt_ms: float = 0.1
    update_interval_s: float = 1.0
    record_interval_s: float = 1.0
    # iaf_psc_alpha (NEST 3.10 defaults)
    c_m_pF: float = 250.0
    tau_m_ms: float = 10.0
    t_ref_ms: float = 2.0
    e_l_mV: float = -70.0
    v_th_mV: float = -55.0
    v_reset_mV: float = -70.0
    tau_syn_ms: float = 2.0
    # connectivity and input (NEST example)
    psc_e_pA: float = 585.0
    psc_i_pA: float = -585.0
    psc_ext_pA: float = 6.2
    bg_rate_Hz: float = 10000.0
    delay_ms: float = 1.0
    # calcium (NEST structural_plasticity_node defaults)
    tau_ca_ms: float = 10000.0
    beta_ca: float = 0.001
    # growth curves (NEST example; Gaussian, eta 0)
    eta: float = 0.0
    eps_e: float = 0.05
    eps_i: float = 0.2
    nu_e_axon_per_ms: float = 1e-4
    nu_e_den_ex_per_ms: float = 1e-4
    nu_e_den_in_per_ms: float = 1e-4
    nu_i_axon_per_ms: float = 1e-4
    nu_i_den_ex_per_ms: float = 4e-4
    nu_i_den_in_per_ms: float = 1e-4
    tau_vacant: float = 0.1
    # implementation
    growth_dt_ms: float = 1.0
    pairing_rounds: int = 3
    seed: int = 1


@dataclass
class MSPResult:
    """Time series (one sample per ``record_interval_s``) and the final state."""

    params: MSPParams
    t_s: np.ndarray
    ca_e: np.ndarray
    ca_i: np.ndarray
    n_syn_e: np.ndarray
    n_syn_i: np.ndarray
    wall_s: float
    final: dict = field(default_factory=dict)

    def at(self, t: float) -> dict:
        """The sample recorded at network time ``t`` (s), as a dict."""
        k = int(np.argmin(np.abs(self.t_s - t)))
        return {
            "t": float(self.t_s[k]),
            "ca_e": float(self.ca_e[k]),
            "ca_i": float(self.ca_i[k]),
            "n_syn_e": int(self.n_syn_e[k]),
            "n_syn_i": int(self.n_syn_i[k]),
        }


NEURON_EQS = """
dv/dt = (E_L - v) / tau_m + I_syn / C_m : volt (unless refractory)
dI_syn/dt = (y_syn - I_syn) / tau_syn : amp
dy_syn/dt = -y_syn / tau_syn : amp
dCa/dt = -Ca / tau_ca : 1
z_axon : 1
z_den_ex : 1
z_den_in : 1
nu_axon : Hz (constant)
nu_den_ex : Hz (constant)
nu_den_in : Hz (constant)
ca_xi : 1 (constant)
ca_zeta : 1 (constant)
is_exc : 1 (constant)
c_axon : 1
c_den_ex : 1
c_den_in : 1
zf_axon : 1
zf_den_ex : 1
zf_den_in : 1
del_axon : 1
pool_axon : 1
del_den_ex : 1
pool_den_ex : 1
del_den_in : 1
pool_den_in : 1
va : 1
vde : 1
vdi : 1
vde_cur : 1
vdi_cur : 1
w_tot : 1
w_rem : 1
sa_ex : 1
sa_in : 1
r_place : 1
n_overfull : 1
"""

#: NEST's Gaussian growth curve (growth_curve.cpp), as a code-string expression.
GROWTH = "(2 * exp(-((Ca - ca_xi) / ca_zeta)**2) - 1)"

#: Forward-Euler growth of the elements (run every ``growth_dt``).
GROWTH_CODE = f"""
g_ca = {GROWTH}
z_axon += growth_dt * nu_axon * g_ca
z_den_ex += growth_dt * nu_den_ex * g_ca
z_den_in += growth_dt * nu_den_in * g_ca
"""

CLIP_Z = """
z_axon = clip(z_axon, 0, inf)
z_den_ex = clip(z_den_ex, 0, inf)
z_den_in = clip(z_den_in, 0, inf)
"""

#: At a spike NEST updates (and clips) the elements, then raises calcium.
RESET = "v = V_reset\n" + CLIP_Z + "Ca += beta_ca"

#: Phase 0, per cell: freeze floor(z); how many outgoing synapses to delete.
PHASE_DEL_AXON = (
    CLIP_Z
    + """
zf_axon = floor(z_axon)
zf_den_ex = floor(z_den_ex)
zf_den_in = floor(z_den_in)
del_axon = clip(c_axon - zf_axon, 0, inf)
pool_axon = c_axon
"""
)

#: Phase 0, per candidate (pre-ordered): Algorithm S over the live outgoing synapses.
SYN_DEL_AXON = """
pick = alive * int(rand() * pool_axon_pre < del_axon_pre)
pool_axon_pre -= alive
del_axon_pre -= pick
alive -= pick
c_axon_pre -= pick
c_{den}_post -= pick
"""

#: Phase 1, per cell: how many incoming synapses to delete.
PHASE_DEL_DEN = """
del_den_ex = clip(c_den_ex - zf_den_ex, 0, inf)
pool_den_ex = c_den_ex
del_den_in = clip(c_den_in - zf_den_in, 0, inf)
pool_den_in = c_den_in
"""

#: Phase 1, per candidate (post-ordered): Algorithm S over the live incoming synapses.
SYN_DEL_DEN = """
pick = alive * int(rand() * pool_{den}_post < del_{den}_post)
pool_{den}_post -= alive
del_{den}_post -= pick
alive -= pick
c_{den}_post -= pick
c_axon_pre -= pick
"""

#: Creation round, sum phase, per cell: vacancies now.
PHASE_SUM = """
va = clip(zf_axon - c_axon, 0, inf)
vde = clip(zf_den_ex - c_den_ex, 0, inf)
vdi = clip(zf_den_in - c_den_in, 0, inf)
w_tot = 0
sa_ex = 0
sa_in = 0
"""

#: Sum phase, per candidate: free dendrites reachable from pre, free axons reaching post.
SYN_SUM = """
w_tot_pre += {vd}_post * (1 - alive)
sa_{kind}_post += va_pre * (1 - alive)
"""

#: Pairing phase, per cell: elements to place (thinned if axons outnumber dendrites).
PHASE_PAIR = """
q_thin = clip(w_tot / (is_exc * sa_ex + (1 - is_exc) * sa_in + 1e-12), 0, 1)
r_place = clip(floor(va * q_thin + rand()), 0, va)
w_rem = w_tot
vde_cur = vde
vdi_cur = vdi
"""

#: Pairing phase, per candidate (pre-ordered): weighted selection sampling with caps.
SYN_PAIR = """
wgt = {vd}_post * (1 - alive)
form = int(rand() * w_rem_pre < r_place_pre * wgt) * int({vd}_cur_post > 0)
w_rem_pre -= wgt
r_place_pre -= form
{vd}_cur_post -= form
alive += form
c_axon_pre += form
c_{den}_post += form
"""

#: Last phase, per cell: NEST's decay of vacant elements (after counting, for the
#: tests, updates that left more connected than existing elements: there are none).
PHASE_DECAY = """
n_overfull += int(c_axon > zf_axon) + int(c_den_ex > zf_den_ex) + int(c_den_in > zf_den_in)
z_axon -= tau_vacant * clip(floor(z_axon) - c_axon, 0, inf)
z_den_ex -= tau_vacant * clip(floor(z_den_ex) - c_den_ex, 0, inf)
z_den_in -= tau_vacant * clip(floor(z_den_in) - c_den_in, 0, inf)
"""


def simulate_msp(params: MSPParams | None = None, backend: str = "cython") -> MSPResult:
    """Grow the NEST-example network from zero connectivity and record it.

    Parameters
    ----------
    params : MSPParams, optional
        Network and rule parameters (NEST example by default).
    backend : {"cython"}
        brian2 runtime target.  The rewiring passes are order-dependent (selection
        sampling), which brian2's numpy target cannot run in ``run_regularly`` code.

    Returns
    -------
    MSPResult
        Mean Ca of each population and the number of E and I synapses, sampled every
        ``record_interval_s`` at the start of the time step (before that step's
        rewiring, as the NEST example reads them after each 1 s ``Simulate``), the last
        sample at ``t_sim_s``; ``final`` holds the per-cell counts and live candidates.
    """
    import brian2 as b2

    if backend != "cython":
        raise ValueError(f"msp_check runs on brian2's cython target only, not {backend!r}")
    p = params or MSPParams()
    step = p.dt_ms * b2.ms
    rounds = int(p.pairing_rounds)
    n = p.n_exc + p.n_inh
    with brian_backend(backend, step):
        b2.seed(p.seed)
        b2.start_scope()
        namespace = {
            "E_L": p.e_l_mV * b2.mV,
            "V_th": p.v_th_mV * b2.mV,
            "V_reset": p.v_reset_mV * b2.mV,
            "tau_m": p.tau_m_ms * b2.ms,
            "C_m": p.c_m_pF * b2.pfarad,
            "tau_syn": p.tau_syn_ms * b2.ms,
            "tau_ca": p.tau_ca_ms * b2.ms,
            "beta_ca": p.beta_ca,
            "tau_vacant": p.tau_vacant,
            "growth_dt": p.growth_dt_ms * b2.ms,
            "y_exc": math.e * p.psc_e_pA * b2.pA,
            "y_inh": math.e * p.psc_i_pA * b2.pA,
        }
        neurons = b2.NeuronGroup(
            n,
            NEURON_EQS,
            threshold="v >= V_th",
            reset=RESET,
            refractory=p.t_ref_ms * b2.ms,
            method="exact",
            namespace=namespace,
            name="msp_neurons",
        )
        neurons.v = p.e_l_mV * b2.mV
        exc, inh = neurons[: p.n_exc], neurons[p.n_exc :]
        exc.is_exc = 1
        for group, eps, nus in (
            (exc, p.eps_e, (p.nu_e_axon_per_ms, p.nu_e_den_ex_per_ms, p.nu_e_den_in_per_ms)),
            (inh, p.eps_i, (p.nu_i_axon_per_ms, p.nu_i_den_ex_per_ms, p.nu_i_den_in_per_ms)),
        ):
            group.ca_xi = 0.5 * (p.eta + eps)
            group.ca_zeta = (eps - p.eta) / (2.0 * math.sqrt(math.log(2.0)))
            group.nu_axon = nus[0] / b2.ms
            group.nu_den_ex = nus[1] / b2.ms
            group.nu_den_in = nus[2] / b2.ms
        neurons.run_regularly(GROWTH_CODE, dt=p.growth_dt_ms * b2.ms, when="start")
        background = b2.PoissonInput(
            neurons,
            "y_syn",
            N=1000,
            rate=p.bg_rate_Hz / 1000.0 * b2.Hz,
            weight=f"{math.e * p.psc_ext_pA} * pA",
        )
        pools = {}
        for kind, source, y_name in (("ex", exc, "y_exc"), ("in", inh, "y_inh")):
            syn = b2.Synapses(
                source,
                neurons,
                "alive : 1",
                on_pre=f"y_syn_post += alive * {y_name}",
                delay=p.delay_ms * b2.ms,
                namespace=namespace,
                name=f"msp_pool_{kind}",
            )
            syn.connect()  # every ordered pair, autapses included (NEST allows them)
            pools[kind] = syn

        # The rewiring step: per-cell and per-candidate passes, each run once per
        # update interval, in this order within the time step (slot "end").
        update = p.update_interval_s * b2.second
        order = iter(range(1000))

        def cells(code: str) -> None:
            neurons.run_regularly(code, dt=update, when="end", order=next(order))

        def candidates(template: str) -> None:
            rank = next(order)
            for kind, den, vd in (("ex", "den_ex", "vde"), ("in", "den_in", "vdi")):
                code = template.format(den=den, vd=vd, kind=kind)
                pools[kind].run_regularly(code, dt=update, when="end", order=rank)

        cells(PHASE_DEL_AXON)
        candidates(SYN_DEL_AXON)
        cells(PHASE_DEL_DEN)
        candidates(SYN_DEL_DEN)
        for _ in range(rounds):
            cells(PHASE_SUM)
            candidates(SYN_SUM)
            cells(PHASE_PAIR)
            candidates(SYN_PAIR)
        cells(PHASE_DECAY)

        rec_steps = int(round(p.record_interval_s * 1000.0 / p.dt_ms))
        monitor = b2.StateMonitor(
            neurons,
            ["Ca", "c_axon"],
            record=True,
            dt=rec_steps * step,
            when="start",
            name="msp_monitor",
        )
        net = b2.Network(neurons, background, monitor, *pools.values())
        start = time.perf_counter()
        net.run(p.t_sim_s * b2.second)
        wall = time.perf_counter() - start

        ca = np.vstack([np.asarray(monitor.Ca).T, np.asarray(neurons.Ca)[None, :]])
        conn = np.vstack([np.asarray(monitor.c_axon).T, np.asarray(neurons.c_axon)[None, :]])
        times = np.append(np.asarray(monitor.t / b2.second), p.t_sim_s)
        final = {
            name: np.asarray(getattr(neurons, name)).copy()
            for name in (
                "c_axon",
                "c_den_ex",
                "c_den_in",
                "z_axon",
                "z_den_ex",
                "z_den_in",
                "zf_axon",
                "zf_den_ex",
                "zf_den_in",
                "Ca",
                "n_overfull",
            )
        }
        for kind, syn in pools.items():
            final[f"alive_{kind}"] = np.asarray(syn.alive).copy()
            final[f"i_{kind}"] = np.asarray(syn.i).copy()
            final[f"j_{kind}"] = np.asarray(syn.j).copy()
    ne = p.n_exc
    # Drop the t = 0 sample (no synapses, Ca 0) so samples sit at record_interval, 2x, ...
    keep = times > 0
    return MSPResult(
        params=p,
        t_s=times[keep],
        ca_e=ca[keep, :ne].mean(axis=1),
        ca_i=ca[keep, ne:].mean(axis=1),
        n_syn_e=conn[keep, :ne].sum(axis=1).round().astype(int),
        n_syn_i=conn[keep, ne:].sum(axis=1).round().astype(int),
        wall_s=wall,
        final=final,
    )


def c1_figures(result: MSPResult, window: tuple[float, float] = C1_WINDOW) -> dict:
    """C1's figures: mean Ca_E/eps_E and Ca_I/eps_I over ``window`` (s), and the peaks."""
    p = result.params
    sel = (result.t_s >= window[0]) & (result.t_s <= window[1])
    if not sel.any():
        sel = result.t_s >= result.t_s[-1] - (window[1] - window[0])
    return {
        "ca_e_rel": float(result.ca_e[sel].mean() / p.eps_e),
        "ca_i_rel": float(result.ca_i[sel].mean() / p.eps_i),
        "ca_e_rel_max": float(result.ca_e.max() / p.eps_e),
        "ca_i_rel_max": float(result.ca_i.max() / p.eps_i),
        "window": (float(result.t_s[sel][0]), float(result.t_s[sel][-1])),
    }
