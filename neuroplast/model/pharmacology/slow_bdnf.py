"""The slow-onset BDNF effect of the SSRI-like comparator.

Slow-onset BDNF effect: the SSRI-like comparator (drug ``ssri``) [D]
--------------------------------------------------------------------
Chronic, not acute, antidepressant treatment raises BDNF mRNA in hippocampus and cortex:
after 14-21 days of daily dosing, not after a single dose (Nibuya, Morinobu & Duman 1995
J Neurosci 15:7539; model docs §3.1).  The ``ssri`` drug (sertraline PK, oral, once daily)
blocks no NMDA receptors (its NMDA keys are "none": occupancy 0, no acute network effect,
no slowed clock around its doses) and carries a :class:`SlowBDNFEffect`::

    E(T) = C^n / (C^n + EC50^n)                  target (SERT) engagement, from the PK
    tau_on dF/dT = E(T) - F                      slow adaptation (weeks)
    BDNF production x (1 + gain F)               bdnf.py, schedule ``bdnf_drug_factor``

EC50 is calibrated so that 50 mg/day engages ~80 % of SERT at steady state (Meyer et al
2004), where the PK settles within a week; tau_on = 10 days then puts the factor at < 10 %
of its plateau after one day and at 75-90 % after 2-3 weeks (:func:`slow_bdnf_course`).
The factor is read by the per-cell BDNF production only, not by the activity-triggered
surge (bdnf.py): the drug changes how much BDNF cells make, not the firing that releases
the surge.  The comparator is a time-course device, not a model of serotonergic
signalling: serotonin, 5-HT receptors, SERT internalisation and the delayed network
effects of SSRIs are out of scope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from brian2.units import second, umolar

from neuroplast.model.pharmacology.pd import occupancy
from neuroplast.model.pharmacology.pk import as_seconds, brain_concentration
from neuroplast.model.pharmacology.section import PharmacologyConfig

#: Biological-time step (s) on which the slow BDNF adaptation is integrated (10 min: the
#: PK of a daily oral dose changes over hours, the adaptation over days).
SLOW_BDNF_STEP = 600.0


@dataclass(frozen=True)
class SlowBDNFCourse:
    """The slow BDNF effect of a dose schedule over biological time (:class:`SlowBDNFEffect`).

    Attributes
    ----------
    times : numpy.ndarray
        Biological times, s.
    engagement : dict of str to numpy.ndarray
        Per drug with a slow effect: target engagement E(T) in [0, 1).
    adaptation : dict of str to numpy.ndarray
        Per drug: the slow adaptation F(T) that follows E with the onset time constant.
    factor : numpy.ndarray
        ``1 + sum_d gain_d F_d(T)``: the factor on BDNF production (1 without such drugs).
    """

    times: np.ndarray
    engagement: dict[str, np.ndarray]
    adaptation: dict[str, np.ndarray]
    factor: np.ndarray


def _follow(drive: np.ndarray, step: float, tau: float) -> np.ndarray:
    """Solve ``tau dF/dT = E(T) - F``, F(0) = 0, for E linear between grid points (exact)."""
    decay = math.exp(-step / tau)
    lag = tau / step * (1.0 - decay)
    out = np.zeros_like(drive)
    for k in range(1, drive.size):
        out[k] = decay * out[k - 1] + drive[k] - decay * drive[k - 1]
        out[k] -= (drive[k] - drive[k - 1]) * lag
    return out


def slow_bdnf_course(times: Any, cfg: PharmacologyConfig) -> SlowBDNFCourse:
    """Target engagement, slow adaptation and BDNF production factor of a dose schedule.

    Each drug with a :class:`SlowBDNFEffect` engages its target with a Hill occupancy of
    its brain concentration, ``E = C^n / (C^n + EC50^n)``; the adaptation F follows E
    with the time constant ``onset`` (``onset dF/dT = E - F``, from F = 0 at T = 0,
    integrated exactly on a :data:`SLOW_BDNF_STEP` grid with E linear between grid
    points) and BDNF production is multiplied by ``1 + sum_d gain_d F_d`` (bdnf.py).

    Parameters
    ----------
    times : brian2.Quantity or array_like
        Biological times (plain numbers: s), >= 0.
    cfg : PharmacologyConfig
        Doses, body weight and drug overrides.

    Returns
    -------
    SlowBDNFCourse
        At ``times``; ``factor`` is 1 everywhere when no dosed drug has a slow effect.
    """
    seconds = as_seconds(times)
    if np.any(seconds < 0):
        raise ValueError("times: expected biological times >= 0 (s)")
    names = cfg.slow_drugs()
    factor = np.ones(seconds.shape)
    engagement, adaptation = {}, {}
    if not names:
        return SlowBDNFCourse(seconds, engagement, adaptation, factor)
    end = float(seconds.max()) if seconds.size else 0.0
    grid = np.arange(0.0, end + 2 * SLOW_BDNF_STEP, SLOW_BDNF_STEP)
    schedule = cfg.schedule()
    for name in names:
        drug = cfg.drug(name)
        effect = drug.slow_bdnf
        conc = brain_concentration(grid, schedule, drug, cfg.body_weight)
        drive = occupancy(conc, float(effect.target_ec50 / umolar), effect.target_hill)
        follow = _follow(drive, SLOW_BDNF_STEP, float(effect.onset / second))
        engagement[name] = np.interp(seconds, grid, drive)
        adaptation[name] = np.interp(seconds, grid, follow)
        factor = factor + effect.gain * adaptation[name]
    return SlowBDNFCourse(seconds, engagement, adaptation, factor)
