"""Trapping block kinetics of NMDA channel blockers (brian2 equations).

Optional trapping kinetics [D] (model docs §2.1; brian2 string :data:`TRAPPING_EQUATIONS`).
Block B = B_trap + B_esc; the drug binds and unbinds only while channels are open
(open fraction o(t), defined by the network from the neuron's NMDA gating and Mg2+ unblock,
:mod:`neuroplast.model.receptors`); a fraction phi of the block
is trapped by channel closure, the rest escapes from closed channels at rate k_untrap
(two-site picture of partial trapping, Kotermanski, Wood & Johnson 2009)::

    dB_trap/dt = o (phi k_on C (1 - B) - k_off B_trap)
    dB_esc/dt  = o ((1 - phi) k_on C (1 - B) - k_off B_esc) - (1 - o) k_untrap B_esc

For full trapping (phi = 1, ketamine) or o = 1 the equilibrium is
B_inf = C / (C + k_off / k_on), the Hill n = 1 occupancy; k_off is therefore derived per cell
type as k_off,k = k_on IC50_k, so the kinetic and the equilibrium model agree.  In general
B_inf = c' / (1 + c') with c' = (C k_on / k_off) (phi + (1 - phi) g),
g = o k_off / (o k_off + (1 - o) k_untrap)  (:func:`trapping_equilibrium`).

In the network (``pharmacology.trapping = true``; receptors.py ``NMDA_SCALE_TRAPPING``) every
neuron integrates these equations in biological time (rates times ``time_rate(t)``; the open
fraction o comes from its channels, which open and close in network time), with
per-neuron constants of its cell type (:func:`trapping_namespace`: k_off differs between
pyramidal cells and interneurons) and C from the ``drug_concentration`` TimedArray of network
time (schedules.py).  Its NMDA conductance is scaled by 1 - B instead of 1 - f_k(C); B starts
at the equilibrium of the concentration at t = 0 (:func:`trapping_initial_state`).  The run
records the mean B per population as ``occupancy_exc`` / ``occupancy_inh`` (measures.py).
Trapping follows one blocker: a schedule with doses of two drugs is rejected.  The BDNF
"direct" route (bdnf.py) and the STDP gate (plasticity.py) still read the equilibrium
occupancy schedule f_exc(C).

Caveat
------
* Trapping is a slow process in biological time: the block relaxes at rate
  o (k_on C + k_off), and with the open fraction o ~ 0.017 of the default network that is
  tau ~ 65 s (exc) and ~ 160 s (inh) at C ~ 1 µM -- minutes, like the PK.  The kinetics
  are therefore advanced in biological time (``time_rate(t)`` times the rates, model docs
  §7), with o sampled from the network's own channel gating in network time; in
  compressed time each network second stands for r(t) biological seconds with the same
  gating statistics.  Integrated in network time instead, the block could not follow a
  40-min infusion compressed into 6.7 s of network time [C] (quick network, session rate
  360: B_exc 0.013 and B_inh 0.014 at 1 h against peaks f_exc 0.14, f_inh 0.36), and far
  from equilibrium both cell types block at the same rate o k_on C, so the interneuron
  preference (a smaller k_off) and the disinhibition it causes would vanish as an artefact
  of the time compression.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from brian2 import Quantity
from brian2.units import hertz, second, umolar

from neuroplast.model.pharmacology.drugs import Drug, blocker
from neuroplast.model.pharmacology.pd import cell_type_key, micromolar

#: Trapping block of NMDA channels (module doc), per neuron, advanced in biological time (``time_rate``).
#: The network defines ``nmda_open`` (open fraction o in [0, 1], receptors.py) and
#: ``drug_conc`` (brain concentration, a concentration unit such as mmolar), and uses
#: ``nmda_scale = 1 - nmda_block``.  Constants: :func:`trapping_namespace` (the network
#: declares them as per-neuron parameters).  (Equation lines are kept whole, longer than
#: the line limit, because brian2 reads one equation per line.)
TRAPPING_EQUATIONS = """
nmda_block = nmda_block_trapped + nmda_block_escapable : 1
block_binding = nmda_open * block_k_on * drug_conc * (1 - nmda_block) : Hz
block_release = nmda_open * block_k_off + (1 - nmda_open) * block_k_untrap : Hz
dnmda_block_trapped/dt = time_rate(t) * (block_trapped_fraction * block_binding - nmda_open * block_k_off * nmda_block_trapped) : 1
dnmda_block_escapable/dt = time_rate(t) * ((1 - block_trapped_fraction) * block_binding - block_release * nmda_block_escapable) : 1
"""  # noqa: E501


def trapping_rates(drug: str | Drug, cell_type: str) -> dict[str, Any]:
    """Rate constants of the trapping kinetics on one cell type.

    k_off is derived as ``k_on * IC50_k`` so the equilibrium equals the Hill n = 1 occupancy
    (ketamine on interneurons: 0.15 /µM/s * 1.5 µM = 0.22 /s, the measured k_off of
    Gilling et al 2009).

    Parameters
    ----------
    drug : str or Drug
        Table name or a resolved :class:`Drug`.
    cell_type : str
        'exc' or 'inh'.

    Returns
    -------
    dict
        ``k_on`` (1/(concentration time)), ``k_off`` and ``k_untrap`` (1/time) as brian2
        quantities, and ``trapped_fraction`` (float).
    """
    drug = blocker(drug)
    ic50 = drug.ic50_exc if cell_type_key(cell_type) == "exc" else drug.ic50_inh
    return {
        "k_on": drug.k_on,
        "k_off": drug.k_on * ic50,
        "k_untrap": drug.k_untrap,
        "trapped_fraction": drug.trapped_fraction,
    }


def trapping_namespace(drug: str | Drug, cell_type: str) -> dict[str, Any]:
    """Constants referenced by :data:`TRAPPING_EQUATIONS` for one cell type's group.

    Parameters
    ----------
    drug : str or Drug
        Table name or a resolved :class:`Drug`.
    cell_type : str
        'exc' or 'inh'.

    Returns
    -------
    dict
        ``block_k_on``, ``block_k_off``, ``block_k_untrap``, ``block_trapped_fraction``.
    """
    rates = trapping_rates(drug, cell_type)
    return {
        "block_k_on": rates["k_on"],
        "block_k_off": rates["k_off"],
        "block_k_untrap": rates["k_untrap"],
        "block_trapped_fraction": rates["trapped_fraction"],
    }


def trapping_equilibrium(
    concentration: Any,
    k_on: Any,
    k_off: Any,
    open_fraction: float = 1.0,
    trapped_fraction: float = 1.0,
    k_untrap: Any = 0.0,
) -> np.ndarray:
    """Steady state of the trapping kinetics at a constant open fraction o > 0.

    Parameters
    ----------
    concentration : array_like or brian2.Quantity
        Brain concentration (plain numbers: µM).
    k_on : float or brian2.Quantity
        Blocking rate constant (plain: /µM/s).
    k_off : float or brian2.Quantity
        Unblocking rate from open channels (plain: /s).
    open_fraction : float
        o in (0, 1].
    trapped_fraction : float
        phi in [0, 1].
    k_untrap : float or brian2.Quantity
        Escape rate from closed channels (plain: /s).

    Returns
    -------
    numpy.ndarray
        ``c' / (1 + c')``, ``c' = (C k_on / k_off)(phi + (1 - phi) g)``,
        ``g = o k_off / (o k_off + (1 - o) k_untrap)``; equals ``C / (C + k_off/k_on)``
        when phi = 1 or o = 1.
    """
    if not 0 < open_fraction <= 1:
        raise ValueError(f"open_fraction = {open_fraction!r}: expected a value in (0, 1]")
    c = micromolar(concentration, "concentration")
    on = float(k_on / (1 / umolar / second)) if isinstance(k_on, Quantity) else float(k_on)
    off = float(k_off / hertz) if isinstance(k_off, Quantity) else float(k_off)
    untrap = float(k_untrap / hertz) if isinstance(k_untrap, Quantity) else float(k_untrap)
    escape = open_fraction * off / (open_fraction * off + (1 - open_fraction) * untrap)
    effective = c * on / off * (trapped_fraction + (1 - trapped_fraction) * escape)
    return effective / (1 + effective)


def trapping_initial_state(
    concentration: Any, drug: str | Drug, cell_type: str
) -> dict[str, float]:
    """Start values of the trapping block on one cell type (equilibrium at ``concentration``).

    The open fraction before a run is unknown, so the block starts at the o = 1 steady state,
    ``B0 = C / (C + k_off/k_on)`` (the Hill n = 1 occupancy of :func:`occupancy`), split
    phi : (1 - phi) into trapped and escapable block as at o = 1.  For a fully trapping drug
    (phi = 1, ketamine) B0 is also the steady state at any o > 0.  Runs usually start before
    the first dose (C = 0, B0 = 0).

    Parameters
    ----------
    concentration : float or brian2.Quantity
        Brain concentration at the start (plain: µM).
    drug : str or Drug
        Table name or a resolved :class:`Drug`.
    cell_type : str
        'exc' or 'inh'.

    Returns
    -------
    dict
        ``nmda_block_trapped`` and ``nmda_block_escapable`` (floats).
    """
    rates = trapping_rates(drug, cell_type)
    block = float(trapping_equilibrium(concentration, rates["k_on"], rates["k_off"]))
    phi = rates["trapped_fraction"]
    return {"nmda_block_trapped": phi * block, "nmda_block_escapable": (1 - phi) * block}
