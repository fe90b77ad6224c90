"""Pharmacodynamics: NMDA-receptor occupancy per cell type.

Pharmacodynamics: NMDA occupancy per cell type (model docs §2.1)
----------------------------------------------------------------
Fraction of NMDA conductance blocked on cell type k in {exc, inh}, and what remains::

    f_k(C) = C^n / (C^n + IC50_k^n),      nmda_available_k = 1 - f_k(C_brain)

The network multiplies g_NMDA of cell type k by nmda_available_k (``nmda_scale`` in
:mod:`neuroplast.model.receptors`).  With ``interneuron_preference = false`` IC50_inh is set
to IC50_exc.  Several drugs at the same pore site combine competitively
(f = X / (1 + X), X = sum_d (C_d / IC50_d)^n_d; exact for n = 1) [D].
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from brian2 import Quantity, have_same_dimensions
from brian2.units import umolar

from neuroplast.model.pharmacology.drugs import CELL_TYPES, Drug, blocker, resolve_drug
from neuroplast.model.pharmacology.pk import as_seconds, brain_concentration
from neuroplast.model.pharmacology.section import PharmacologyConfig

_CELL_ALIASES = {"exc": "exc", "e": "exc", "inh": "inh", "i": "inh"}


def micromolar(value: Any, what: str) -> np.ndarray:
    """A concentration as a float array in µM (a Quantity of concentration, or plain µM)."""
    if isinstance(value, Quantity):
        if not have_same_dimensions(value, umolar):
            raise ValueError(f"{what} = {value!r}: expected a concentration")
        return np.asarray(value / umolar, dtype=float)
    return np.asarray(value, dtype=float)


def _blocking_ratio(concentration: Any, ic50: Any, hill: float) -> np.ndarray:
    """``(C / IC50)^n`` after checking the arguments (C >= 0, IC50 > 0, n > 0)."""
    c = micromolar(concentration, "concentration")
    half = float(micromolar(ic50, "ic50"))
    if not half > 0:
        raise ValueError(f"ic50 = {ic50!r}: expected > 0")
    if not hill > 0:
        raise ValueError(f"hill = {hill!r}: expected > 0")
    if np.any(c < 0):
        raise ValueError("concentration: expected values >= 0")
    with np.errstate(over="ignore"):  # full block: inf, which the occupancy reads as 1
        return (c / half) ** hill


def _saturating(ratio: Any) -> np.ndarray:
    """``X / (1 + X)``, which is 1 (not inf / inf) where ``X`` overflowed to inf.

    Shaped like ``ratio`` (a numpy scalar for a 0-d one, as ``X / (1 + X)`` gives).
    """
    ratio = np.asarray(ratio, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(ratio), 1.0, ratio / (1.0 + ratio))[()]


def occupancy(concentration: Any, ic50: Any, hill: float = 1.0) -> np.ndarray:
    """Fraction of NMDA receptors blocked, C^n / (C^n + IC50^n).

    Parameters
    ----------
    concentration : array_like or brian2.Quantity
        Brain concentration (plain numbers in the unit of ``ic50``, or quantities), >= 0.
    ic50 : float or brian2.Quantity
        Half-blocking concentration, > 0.
    hill : float
        Hill coefficient n > 0.

    Returns
    -------
    numpy.ndarray
        In [0, 1), shaped like ``concentration``; exactly 0.5 at C = IC50, 0 at C = 0.
    """
    return _saturating(_blocking_ratio(concentration, ic50, hill))


def cell_type_key(cell_type: str) -> str:
    """The cell type's key, "exc" or "inh" (also accepts "e" and "i"), or a ValueError."""
    key = _CELL_ALIASES.get(str(cell_type).lower())
    if key is None:
        raise ValueError(f"cell_type = {cell_type!r}: expected 'exc' or 'inh'")
    return key


def potency(drug: str | Drug, cell_type: str) -> tuple[float, float]:
    """``(IC50 in µM, Hill n)`` of ``drug`` on NMDARs of ``cell_type`` ('exc' or 'inh').

    Parameters
    ----------
    drug : str or Drug
        Table name or a resolved :class:`Drug` (with overrides and the preference switch).
    cell_type : str
        'exc' (pyramidal) or 'inh' (interneuron); 'E' / 'I' are accepted.

    Returns
    -------
    tuple of float
    """
    drug = blocker(drug)
    ic50 = drug.ic50_exc if cell_type_key(cell_type) == "exc" else drug.ic50_inh
    return float(ic50 / umolar), drug.hill


def nmda_available(concentration: Any, cell_type: str, drug: str | Drug = "ketamine") -> np.ndarray:
    """Fraction of NMDA conductance left unblocked, 1 - f_k(C).

    Parameters
    ----------
    concentration : array_like or brian2.Quantity
        Brain concentration (plain numbers: µM).
    cell_type : str
        'exc' or 'inh'.
    drug : str or Drug
        Table name or a resolved :class:`Drug`.

    Returns
    -------
    numpy.ndarray
        In (0, 1], the factor on g_NMDA of that cell type (``nmda_scale``).
    """
    ic50, hill = potency(drug, cell_type)
    return 1.0 - occupancy(concentration, ic50, hill)


def combined_occupancy(concentrations: Mapping[str | Drug, Any], cell_type: str) -> np.ndarray:
    """Block by several drugs competing for the pore site, X / (1 + X) [D].

    Parameters
    ----------
    concentrations : Mapping
        Drug (name or :class:`Drug`) -> brain concentration (µM), arrays of one shape.
    cell_type : str
        'exc' or 'inh'.

    Returns
    -------
    numpy.ndarray
        ``X / (1 + X)`` with ``X = sum_d (C_d / IC50_d)^n_d``; for one drug this is
        :func:`occupancy`.
    """
    total: Any = 0.0
    for drug, conc in concentrations.items():
        if resolve_drug(drug).blocks_nmda:  # an SSRI-like drug adds no block
            total = total + _blocking_ratio(conc, *potency(drug, cell_type))
    return np.asarray(_saturating(total), dtype=float)


@dataclass(frozen=True)
class PharmacologyTimecourse:
    """Brain concentrations and NMDA block on a biological time grid.

    Attributes
    ----------
    times : numpy.ndarray
        Biological times, s.
    brain_concentration : dict of str to numpy.ndarray
        Per NMDA-blocking drug in the schedule, µM (what the block and the trapping
        kinetics read).
    occupancy, nmda_available : dict of str to numpy.ndarray
        Per cell type ('exc', 'inh'): blocked and available NMDA fraction.
    other_concentration : dict of str to numpy.ndarray
        Per drug in the schedule that blocks no NMDA receptors (the SSRI-like
        comparator), µM; kept apart so that concentrations of different drugs are
        never summed into the blocker's.
    """

    times: np.ndarray
    brain_concentration: dict[str, np.ndarray]
    occupancy: dict[str, np.ndarray]
    nmda_available: dict[str, np.ndarray]
    other_concentration: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)


def pharmacology_timecourse(times: Any, cfg: PharmacologyConfig) -> PharmacologyTimecourse:
    """Concentrations and per-cell-type NMDA block for a whole config (equilibrium block).

    Parameters
    ----------
    times : brian2.Quantity or array_like
        Biological times (plain numbers: s).
    cfg : PharmacologyConfig
        Doses, body weight, overrides and the interneuron-preference switch.

    Returns
    -------
    PharmacologyTimecourse
    """
    seconds = as_seconds(times)
    schedule = cfg.schedule()
    drugs = {name: cfg.drug(name) for name in sorted({dose.drug for dose in schedule})}
    every = {
        name: brain_concentration(seconds, schedule, drug, cfg.body_weight)
        for name, drug in drugs.items()
    }
    conc = {name: c for name, c in every.items() if drugs[name].blocks_nmda}
    blocked = {
        cell: combined_occupancy({drugs[name]: c for name, c in conc.items()}, cell)
        if conc
        else np.zeros(seconds.shape)
        for cell in CELL_TYPES
    }
    return PharmacologyTimecourse(
        times=seconds,
        brain_concentration=conc,
        occupancy=blocked,
        nmda_available={cell: 1.0 - f for cell, f in blocked.items()},
        other_concentration={name: c for name, c in every.items() if name not in conc},
    )


@dataclass
class DrugCurves:
    """Drug concentration and NMDA occupancy as functions of biological time (s)."""

    session_times: list[float] = field(default_factory=list)
    #: callable: bio seconds -> {"concentration_uM", "occupancy_exc", "occupancy_inh"}
    timecourse: object = None

    def evaluate(self, bio_seconds: np.ndarray) -> dict[str, np.ndarray]:
        """Concentration (uM) and occupancies at ``bio_seconds``; zeros without a drug."""
        if self.timecourse is None:
            zeros = np.zeros_like(np.asarray(bio_seconds, dtype=float))
            return {"concentration_uM": zeros, "occupancy_exc": zeros, "occupancy_inh": zeros}
        shape = np.shape(bio_seconds)
        # a schedule of drugs without NMDA block sums no concentration: a scalar 0
        return {
            k: np.broadcast_to(np.asarray(v, dtype=float), shape).copy()
            for k, v in self.timecourse(bio_seconds).items()
        }
