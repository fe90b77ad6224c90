"""AMPA, NMDA (with Mg2+ block) and GABA_A receptors as brian2 equations.

Equations (per postsynaptic neuron; Brunel & Wang 2001, Wang 2002)::

    I_AMPA = g_ampa (V - E_AMPA)               dg_ampa/dt = -g_ampa / tau_AMPA
    I_GABA = g_gaba (V - E_GABA)               dg_gaba/dt = -g_gaba / tau_GABA
    I_NMDA = g_nmda_syn * nmda_scale * s_nmda_in * B(V) * (V - E_NMDA)
    B(V)   = 1 / (1 + [Mg2+]/mg_k * exp(-mg_slope * V))       (Jahr & Stevens 1990)

NMDA gating follows Wang (2002): each presynaptic neuron j carries a saturating
gating variable ``ds_j/dt = -s_j/tau_decay + alpha x_j (1 - s_j)`` with
``dx_j/dt = -x_j/tau_rise`` and ``x_j += 1`` per spike, and the postsynaptic
conductance is ``g_nmda_syn * sum_j s_j``.  Simulated literally, that sum is taken
over every synapse at every time step.  Here it is event-driven instead [D]:

1. Write ``s_j(t) = s_j(t0) exp(-(t - t0)/tau_decay) + u_j(t)`` after a spike at t0.
   Then ``du/dt = -u/tau_decay + alpha x (1 - s)``, so the spike adds the charge
   ``integral of u dt = tau_decay * J`` with ``J = integral of alpha x (1 - s) dt``.
2. ``J`` depends only on ``s_j(t0)``.  Solving for ``1 - s`` to first order in
   ``tau_rise/tau_decay`` (the 2 ms rise is short against the 100 ms decay) gives::

       J = k_free * (1 - s_j(t0)) + k_const                  (nmda_jump_coefficients)
       k_free  = 1 - exp(-alpha tau_rise) - I_2/tau_decay    (0.622 for B&W values)
       k_const = I_1/tau_decay                                (0.016)

   with ``E(t) = exp(-alpha tau_rise (1 - exp(-t/tau_rise)))``,
   ``I_2 = integral alpha x E t dt`` and ``I_1 = integral alpha x E (integral_0^t 1/E) dt``
   (computed numerically once).  The zeroth-order term alone,
   ``(1 - s) (1 - exp(-alpha tau_rise))``, is 10 % short of the Wang charge at s = 0.8;
   the first-order form is within 0.6 % for every s <= 0.95 (tests/test_receptors.py).
3. The presynaptic neuron computes ``J`` once per spike (``nmda_release``) and adds it
   to its own ``s_nmda_out``; each synapse delivers ``J`` to a linear bi-exponential
   filter on the postsynaptic side (``dx_in/dt = -x_in/tau_rise``,
   ``ds_in/dt = (x_in - s_in)/tau_decay``, ``x_in += J tau_decay/tau_rise``), which keeps
   the 2 ms rise and integrates to ``J tau_decay``, the Wang charge.

So the saturating NMDA synapse costs O(spikes x fan-out), like AMPA, not
O(synapses x time steps).  NEST's ``iaf_bw_2001`` model also computes the NMDA jump
presynaptically at spike time (nest-simulator PR #2979).  ``nmda_scale`` is the
fraction of NMDA conductance available on the postsynaptic cell type; the ketamine
model lowers it.

Drug block of the NMDA conductance
----------------------------------
Equilibrium (default, ``NMDA_SCALE_DRUG``): ``nmda_scale = nmda_base (1 - f_k(t))`` with the
occupancy f_k of cell type k from a TimedArray (``occupancy_exc`` / ``occupancy_inh``,
pharmacology/pd.py, schedules.py).

Trapping (``pharmacology.trapping = true``, ``NMDA_SCALE_TRAPPING``) [D]: every neuron
integrates its own block B = B_trap + B_esc with the kinetics of
:data:`neuroplast.model.pharmacology.TRAPPING_EQUATIONS` in biological time (rates times ``time_rate(t)``), and
``nmda_scale = nmda_base (1 - B)``.  The drug binds and unbinds only while the neuron's NMDA
channels are open; their open fraction is taken as::

    o = clip(s_nmda_in / nmda_inputs, 0, 1) * B_Mg(V)

* ``s_nmda_in / nmda_inputs`` is the mean gating variable per excitatory synapse of the
  cell (``nmda_inputs`` = its number of E synapses at the start, at least 1).  In Wang (2002)
  the gating s_j of a synapse is the fraction of its NMDA channels that are open, in [0, 1],
  and ``s_nmda_in`` approximates sum_j s_j (see above), so the ratio is the open fraction of
  the cell's synaptic NMDA channels.  Model docs §2.1 takes o proportional to s_NMDA.
* ``B_Mg(V)`` (Jahr & Stevens 1990) removes the channels occupied by Mg2+: Mg2+ and the
  channel blockers share the pore site, and Mg2+ lowers the potency of ketamine and
  memantine at GluN2A/B receptors (Kotermanski & Johnson 2009 J Neurosci 29:2774 [M]), so
  a Mg2+-blocked channel is not counted as open to the drug.  Our choice [D].
* With synaptic weights (STDP) or rewired synapses the normalisation stays at the starting
  count; the clip keeps o <= 1.

With the default network o is about 0.015-0.02 (E ~ 7 Hz: mean s per synapse ~ 0.18,
B_Mg ~ 0.085 near -55 mV).  For full trapping (ketamine) the steady state does not depend on
o, only the speed does: the block relaxes at rate o (k_on C + k_off), i.e. with
tau = 1 / (0.017 * (0.15 /µM/s * C + 0.75 /s)) ~ 65 s on pyramidal cells and ~ 160 s on
interneurons at C ~ 1 µM of biological time (pharmacology/trapping.py, caveat), which is why the
block is advanced at the time rate like every slow process.  Cells whose NMDA channels never open
(no glutamate, or V so low that Mg2+ blocks every channel) are never blocked: the block is
use-dependent.  The initial block is the equilibrium at the concentration at t = 0
(:func:`neuroplast.model.pharmacology.trapping_initial_state`, usually 0).

Parameters (``[receptors]``; the symbols of the equations above in brackets)

{parameters}
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from neuroplast.model.pharmacology import TRAPPING_EQUATIONS
from neuroplast.schema import (
    BRUNEL_WANG,
    POTENTIAL_RANGE,
    Qty,
    Section,
    param,
    with_parameter_table,
)

__all__ = [
    "AMPAConfig",
    "GABAConfig",
    "MG_BLOCK",
    "NMDAConfig",
    "ReceptorsConfig",
    "RECEPTOR_EQUATIONS",
    "RESET_NMDA",
    "ON_PRE_EXC",
    "ON_PRE_INH",
    "NMDA_SCALE_FIXED",
    "NMDA_SCALE_DRUG",
    "NMDA_SCALE_TRAPPING",
    "mg_block",
    "nmda_jump_coefficients",
    "nmda_release_fraction",
    "receptor_namespace",
]


class AMPAConfig(Section):
    """AMPA receptor (fast excitation)."""

    tau: Qty("ms", positive=True) = param("2 ms", "AMPA decay time constant", BRUNEL_WANG)
    E_rev: Qty("mV", **POTENTIAL_RANGE) = param(
        "0 mV", "excitatory reversal potential", BRUNEL_WANG
    )


class NMDAConfig(Section):
    """NMDA receptor with saturating presynaptic gating and voltage-dependent Mg2+ block."""

    tau_rise: Qty("ms", positive=True) = param("2 ms", "NMDA rise time constant", BRUNEL_WANG)
    tau_decay: Qty("ms", positive=True) = param("100 ms", "NMDA decay time constant", BRUNEL_WANG)
    alpha: Qty("kHz", positive=True) = param(
        "0.5 kHz", "saturation rate of the NMDA gating (0.5 /ms)", BRUNEL_WANG
    )
    E_rev: Qty("mV", **POTENTIAL_RANGE) = param("0 mV", "NMDA reversal potential", BRUNEL_WANG)
    mg: Qty("mM", nonnegative=True) = param("1 mM", "extracellular Mg2+ concentration", BRUNEL_WANG)
    mg_k: Qty("mM", positive=True) = param(
        "3.57 mM",
        "Mg2+ block: dissociation constant at 0 mV",
        "Jahr & Stevens 1990; " + BRUNEL_WANG,
    )
    mg_slope: Qty("1/mV", nonnegative=True) = param(
        "0.062 /mV", "Mg2+ block: voltage sensitivity", "Jahr & Stevens 1990; " + BRUNEL_WANG
    )


class GABAConfig(Section):
    """GABA_A receptor (fast inhibition)."""

    tau: Qty("ms", positive=True) = param("10 ms", "GABA_A decay time constant", BRUNEL_WANG)
    E_rev: Qty("mV", **POTENTIAL_RANGE) = param(
        "-70 mV", "inhibitory reversal potential", BRUNEL_WANG
    )


class ReceptorsConfig(Section):
    """Receptor kinetics shared by all synapses."""

    ampa: AMPAConfig = Field(default_factory=AMPAConfig)
    nmda: NMDAConfig = Field(default_factory=NMDAConfig)
    gaba: GABAConfig = Field(default_factory=GABAConfig)


#: Jahr & Stevens (1990) voltage-dependent Mg2+ unblock, as a brian2 expression.
MG_BLOCK = "1 / (1 + mg / mg_k * exp(-mg_slope * V))"

#: Synaptic currents and gating variables of one neuron (brian2 equation strings).
RECEPTOR_EQUATIONS = f"""
I_ampa = g_ampa * (V - E_ampa) : amp
I_nmda = g_nmda_syn * nmda_scale * s_nmda_in * mg_unblock * (V - E_nmda) : amp
I_gaba = g_gaba * (V - E_gaba) : amp
mg_unblock = {MG_BLOCK} : 1
dg_ampa/dt = -g_ampa / tau_ampa : siemens
dg_gaba/dt = -g_gaba / tau_gaba : siemens
ds_nmda_in/dt = (x_nmda_in - s_nmda_in) / tau_nmda_decay : 1
dx_nmda_in/dt = -x_nmda_in / tau_nmda_rise : 1
ds_nmda_out/dt = -s_nmda_out / tau_nmda_decay : 1
nmda_release : 1
g_ampa_syn : siemens (constant)
g_nmda_syn : siemens (constant)
g_gaba_syn : siemens (constant)
g_ampa_ext : siemens (constant)
"""

#: NMDA availability fixed per neuron (no drug).
NMDA_SCALE_FIXED = "nmda_scale : 1\n"

#: NMDA availability lowered by the drug's occupancy on each cell type (pharmacology/pd.py).
NMDA_SCALE_DRUG = """
nmda_scale = nmda_base * (1 - is_exc * occupancy_exc(t) - (1 - is_exc) * occupancy_inh(t)) : 1
nmda_base : 1 (constant)
is_exc : 1 (constant)
"""

#: NMDA availability lowered by each neuron's own trapping block (``pharmacology.trapping``):
#: the kinetics of :data:`neuroplast.model.pharmacology.TRAPPING_EQUATIONS` with per-neuron
#: rate constants (set per cell type by the network) and the open fraction of the neuron's
#: NMDA channels, ``nmda_open`` (module doc, "Trapping block").  ``drug_concentration`` is
#: the TimedArray of the brain concentration over network time (schedules.py).
NMDA_SCALE_TRAPPING = (
    """
nmda_scale = nmda_base * (1 - nmda_block) : 1
nmda_open = clip(s_nmda_in / nmda_inputs, 0, 1) * mg_unblock : 1
drug_conc = drug_concentration(t) : mmolar
nmda_base : 1 (constant)
is_exc : 1 (constant)
nmda_inputs : 1 (constant)
block_k_on : metre**3 / mole / second (constant)
block_k_off : hertz (constant)
block_k_untrap : hertz (constant)
block_trapped_fraction : 1 (constant)
"""
    + TRAPPING_EQUATIONS
)

#: Reset-time update of the presynaptic NMDA gating (saturating jump, see module doc).
RESET_NMDA = """
nmda_release = nmda_k_free * (1 - s_nmda_out) + nmda_k_const
s_nmda_out = clip(s_nmda_out + nmda_release, 0, 1)
"""

#: Spike arriving from an excitatory neuron: AMPA and NMDA on the same synapse.
ON_PRE_EXC = """
g_ampa_post += g_ampa_syn_post
x_nmda_in_post += nmda_release_pre * nmda_charge
"""

#: Spike arriving from an inhibitory neuron.
ON_PRE_INH = "g_gaba_post += g_gaba_syn_post"


def nmda_jump_coefficients(alpha: float, tau_rise: float, tau_decay: float) -> tuple[float, float]:
    """Coefficients of the NMDA jump ``J = k_free * (1 - s) + k_const`` (module doc, step 2).

    Parameters
    ----------
    alpha : float
        Saturation rate in 1/s.
    tau_rise, tau_decay : float
        NMDA rise and decay time constants in s.

    Returns
    -------
    (k_free, k_const) : tuple of float
    """
    t = np.linspace(0.0, 30.0 * tau_rise, 30001)
    x = np.exp(-t / tau_rise)
    gate = np.exp(-alpha * tau_rise * (1.0 - x))
    inv = 1.0 / gate
    inner = np.concatenate([[0.0], np.cumsum(0.5 * (inv[1:] + inv[:-1]) * np.diff(t))])
    i1 = np.trapezoid(alpha * x * gate * inner, t)
    i2 = np.trapezoid(alpha * x * gate * t, t)
    k_free = nmda_release_fraction(alpha, tau_rise) - i2 / tau_decay
    return float(k_free), float(i1 / tau_decay)


def nmda_release_fraction(alpha: float, tau_rise: float) -> float:
    """Fraction of the free NMDA gating ``1 - s`` opened by one spike, neglecting decay.

    Parameters
    ----------
    alpha : float
        Saturation rate in 1/s.
    tau_rise : float
        Rise time constant in s.

    Returns
    -------
    float
        ``1 - exp(-alpha * tau_rise)`` (0.632 for the Brunel & Wang values).
    """
    return 1.0 - math.exp(-alpha * tau_rise)


def mg_block(
    v_mV: np.ndarray | float, mg_mM: float = 1.0, mg_k_mM: float = 3.57, slope_per_mV: float = 0.062
) -> np.ndarray | float:
    """Jahr & Stevens (1990) Mg2+ unblock, in plain numbers (mV, mM).

    Parameters
    ----------
    v_mV : array_like
        Membrane potential in mV.
    mg_mM, mg_k_mM, slope_per_mV : float
        Mg2+ concentration, dissociation constant at 0 mV, voltage sensitivity.

    Returns
    -------
    array_like
        Fraction of NMDA conductance not blocked by Mg2+.
    """
    return 1.0 / (1.0 + mg_mM / mg_k_mM * np.exp(-slope_per_mV * np.asarray(v_mV)))


def receptor_namespace(cfg: ReceptorsConfig) -> dict:
    """Constants referenced by the receptor equations, from the config."""
    nmda = cfg.nmda
    k_free, k_const = nmda_jump_coefficients(
        float(nmda.alpha), float(nmda.tau_rise), float(nmda.tau_decay)
    )
    return {
        "tau_ampa": cfg.ampa.tau,
        "E_ampa": cfg.ampa.E_rev,
        "tau_gaba": cfg.gaba.tau,
        "E_gaba": cfg.gaba.E_rev,
        "tau_nmda_rise": nmda.tau_rise,
        "tau_nmda_decay": nmda.tau_decay,
        "E_nmda": nmda.E_rev,
        "mg": nmda.mg,
        "mg_k": nmda.mg_k,
        "mg_slope": nmda.mg_slope,
        "nmda_k_free": k_free,
        "nmda_k_const": k_const,
        # The postsynaptic filter ds/dt = (x - s)/tau_d, dx/dt = -x/tau_r integrates a
        # unit jump of x to tau_r; the Wang synapse's gating integrates to tau_d.
        "nmda_charge": float(nmda.tau_decay / nmda.tau_rise),
    }


__doc__ = with_parameter_table(
    __doc__,
    ReceptorsConfig,
    {
        "ampa.tau": "tau_AMPA",
        "ampa.E_rev": "E_AMPA",
        "nmda.E_rev": "E_NMDA",
        "nmda.mg": "[Mg2+]",
        "gaba.tau": "tau_GABA",
        "gaba.E_rev": "E_GABA",
    },
)
