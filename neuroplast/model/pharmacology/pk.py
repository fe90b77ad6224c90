"""Pharmacokinetics: dose schedule -> plasma and brain concentration.

Everything here runs in **biological time** (seconds of a patient's or an animal's clock,
written in configs as "40 min", "24 h", "7 days"); mapping it onto network time is the
scheduler's job (model docs §7).  Pure numpy and brian2 units; no network is simulated.

Pharmacokinetics: linear two-compartment model with first-order absorption (model docs §2.2)
-----------------------------------------------------------------------------------------------
Per extravascular route r a depot D_r; the central (plasma) compartment A1; the peripheral
compartment A2; and, for bookkeeping, the cumulative eliminated amount A_el::

    dD_r/dt  = F_r R_r(t) - k_a,r D_r                       (zero-order input or bolus F_r dose)
    dA1/dt   = F_iv R_iv(t) + sum_r k_a,r D_r - (k10 + k12) A1 + k21 A2
    dA2/dt   = k12 A1 - k21 A2
    dA_el/dt = k10 A1
    C_plasma = A1 / V1,      C_brain = rho C_plasma

    k10 = CL / V1,   k12 = Q / V1,   k21 = Q / V2,   V2 = V_ss - V1      (all per kg)

F (bioavailability) scales what enters the depot (or, for ``iv``, the central compartment,
F = 1).  Amounts are in mg, volumes V1 = v_central * body weight; C is converted to µM with
the molar mass of the base.  The system is linear with piecewise-constant input, so it is
solved **exactly** on any time grid: with the state x and the rate matrix M, each interval of
length h with constant input rate u advances x(t + h) = e^{Mh} x(t) + Phi(h) u, where
Phi(h) = integral_0^h e^{Ms} ds.  Both come from one matrix exponential of the augmented
matrix [[M h, I], [0, 0]] (Van Loan 1978), computed to round-off by scaling and squaring
of a degree-18 Taylor series (Moler & Van Loan 2003, "Nineteen dubious ways").  Unlike an
eigendecomposition this stays exact when an absorption rate equals a disposition rate (M
is then defective).  Boluses enter at their start time (values are right-continuous);
no time step is involved, so there is no step-size error.

With the ketamine defaults k10 = 0.020, k12 = 0.050, k21 = 0.025 /min:
t1/2alpha = 7.8 min and t1/2beta = 2.07 h; 0.5 mg/kg over 40 min peaks at 0.87 µM at the end
of the infusion (target C5: 0.78 µM +/- 25 %, Zarate 2006 in Zanos 2018 Table 1).

Departure from the first estimate (model docs §2.2) [D]: in this two-compartment model
T_max = 20-40 min needs k_a ~ 1.3-3 /h, not 3-6 /h (6 /h gives T_max = 13 min: the fast
distribution phase pulls the peak earlier than in a one-compartment model).  The tabled k_a
are chosen for T_max.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from brian2 import Quantity, get_dimensions, have_same_dimensions
from brian2.units import hertz, kgram, liter, mgram, second, umolar

from neuroplast.model.pharmacology.doses import Dose, dose_mg
from neuroplast.model.pharmacology.drugs import MASS, Drug, resolve_drug

_TAYLOR_ORDER = 18


def _expm_stack(matrices: np.ndarray) -> np.ndarray:
    """Matrix exponential of each matrix in a ``(k, n, n)`` stack.

    Scaling and squaring: with ``A / 2^s`` of infinity-norm <= 1/2 the degree-18 Taylor
    remainder is below 1e-20, then ``s`` squarings (Moler & Van Loan 2003, method 3).
    """
    norms = np.abs(matrices).sum(axis=2).max(axis=1)
    squarings = np.ceil(np.log2(np.maximum(norms, 1e-300) / 0.5)).clip(min=0).astype(int)
    eye = np.eye(matrices.shape[1])
    result = np.empty_like(matrices)
    for s in np.unique(squarings):
        chosen = squarings == s
        scaled = matrices[chosen] / 2.0**s
        series = eye + scaled / _TAYLOR_ORDER
        for k in range(_TAYLOR_ORDER - 1, 0, -1):  # Horner: I + A(I + A/2(I + ...))
            series = eye + scaled @ series / k
        for _ in range(s):
            series = series @ series
        result[chosen] = series
    return result


@dataclass(frozen=True)
class _Compartments:
    """Layout and rate matrix of the linear PK system for one drug and set of routes."""

    depots: tuple[str, ...]
    matrix: np.ndarray  # dx/dt = matrix @ x + input, 1/s

    @property
    def central(self) -> int:
        return len(self.depots)

    @property
    def size(self) -> int:
        return len(self.depots) + 3


def _compartments(drug: Drug, depots: tuple[str, ...]) -> _Compartments:
    k10, k12, k21 = drug.rate_constants()
    n = len(depots)
    central, peripheral, eliminated = n, n + 1, n + 2
    matrix = np.zeros((n + 3, n + 3))
    for i, route in enumerate(depots):
        k_a = float(drug.routes[route].absorption_rate / hertz)
        matrix[i, i] = -k_a
        matrix[central, i] = k_a
    matrix[central, central] = -(k10 + k12)
    matrix[central, peripheral] = k21
    matrix[peripheral, central] = k12
    matrix[peripheral, peripheral] = -k21
    matrix[eliminated, central] = k10
    return _Compartments(depots, matrix)


def as_seconds(times: Any, what: str = "times") -> np.ndarray:
    """Times as a float array in seconds (a Quantity of time, or plain seconds)."""
    if isinstance(times, Quantity):
        if not have_same_dimensions(times, second):
            raise ValueError(f"{what}: expected a time (brian2 quantity in s), got {times!r}")
        values = np.asarray(times / second, dtype=float)
    else:
        values = np.asarray(times, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what}: expected finite times")
    return values


def _kilograms(body_weight: Any) -> Quantity:
    if isinstance(body_weight, Quantity):
        if get_dimensions(body_weight) != MASS:
            raise ValueError(f"body_weight = {body_weight!r}: expected a mass, e.g. 70*kgram")
        weight = body_weight
    else:
        weight = float(body_weight) * kgram
    if not float(weight) > 0:
        raise ValueError(f"body_weight = {body_weight!r}: expected > 0")
    return weight


@dataclass(frozen=True)
class CompartmentAmounts:
    """Drug amounts (mg) in each compartment at the requested times.

    Attributes
    ----------
    times : numpy.ndarray
        The requested biological times, s.
    depot, central, peripheral : numpy.ndarray
        Amount in the absorption depots (summed over routes), plasma and tissue, mg.
    eliminated : numpy.ndarray
        Cumulative amount cleared, mg.
    delivered : numpy.ndarray
        Cumulative bioavailable amount given so far (F x dose), mg.  Mass balance:
        ``depot + central + peripheral + eliminated == delivered``.
    central_volume : float
        V1 for this body weight, L.
    """

    times: np.ndarray
    depot: np.ndarray
    central: np.ndarray
    peripheral: np.ndarray
    eliminated: np.ndarray
    delivered: np.ndarray
    central_volume: float


def _as_doses(doses: Dose | Sequence[Dose]) -> list[Dose]:
    """Every session of ``doses`` as a single dose (a repeated dose gives its sessions)."""
    if isinstance(doses, Dose):
        doses = [doses]
    return [session for dose in doses for session in dose.sessions()]


def compartment_amounts(
    times: Any,
    doses: Dose | Sequence[Dose],
    drug: str | Drug = "ketamine",
    body_weight: Any = 70 * kgram,
) -> CompartmentAmounts:
    """Exact solution of the two-compartment model with absorption depots (module doc).

    Parameters
    ----------
    times : brian2.Quantity or array_like
        Biological times (a brian2 time quantity, or plain numbers in seconds), any order.
    doses : Dose or sequence of Dose
        The schedule; doses of other drugs than ``drug`` are ignored.
    drug : str or Drug
        Table name, or a :class:`Drug` (e.g. from :meth:`PharmacologyConfig.drug`).
    body_weight : brian2.Quantity or float
        Mass (float: kg).

    Returns
    -------
    CompartmentAmounts
        Arrays of the shape of ``times``, in mg; values are right-continuous at boluses.
    """
    drug = resolve_drug(drug)
    weight = _kilograms(body_weight)
    query = as_seconds(times)
    flat = query.ravel()
    mine = [dose for dose in _as_doses(doses) if dose.drug == drug.name]
    for dose in mine:
        if dose.route not in drug.routes:
            raise ValueError(f"{dose.describe()}: {drug.name} has no {dose.route!r} route")
        if dose.route == "iv" and (dose.duration is None or not float(dose.duration) > 0):
            raise ValueError(f"{dose.describe()}: an iv dose needs an infusion duration > 0")
    depots = tuple(sorted({dose.route for dose in mine if dose.route != "iv"}))
    system = _compartments(drug, depots)
    n = system.size

    starts = np.array([float(dose.start / second) for dose in mine])
    lengths = np.array(
        [float(dose.duration / second) if dose.duration is not None else 0.0 for dose in mine]
    )
    ends = starts + lengths
    grid = np.unique(np.concatenate([flat, starts, ends]))
    steps = np.diff(grid)
    bolus = np.zeros((grid.size, n))
    rate = np.zeros((max(grid.size - 1, 0), n))
    for dose, start, length, end in zip(mine, starts, lengths, ends, strict=True):
        route = drug.routes[dose.route]
        amount = route.bioavailability * dose_mg(dose.dose, weight)
        target = system.central if dose.route == "iv" else depots.index(dose.route)
        first = np.searchsorted(grid, start)
        with np.errstate(over="ignore"):
            per_second = amount / length if length > 0 else math.inf
        # an infusion too short to span a time step of the grid (end == start in floating
        # point, or an infinite rate) is its limit, a bolus: as a rate it was lost
        if end > start and math.isfinite(per_second):
            rate[first : np.searchsorted(grid, end), target] += per_second
        else:
            bolus[first, target] += amount

    states = np.zeros((grid.size, n))
    if grid.size:
        unique_steps, which = np.unique(steps, return_inverse=True)
        augmented = np.zeros((unique_steps.size, 2 * n, 2 * n))
        augmented[:, :n, :n] = system.matrix * unique_steps[:, None, None]
        augmented[:, :n, n:] = np.eye(n)
        exponentials = _expm_stack(augmented)
        propagate = exponentials[:, :n, :n]  # e^{Mh}
        integrate = exponentials[:, :n, n:] * unique_steps[:, None, None]  # int_0^h e^{Ms} ds
        state = np.zeros(n)
        for i in range(grid.size):
            state = state + bolus[i]
            states[i] = state
            if i < steps.size:
                state = propagate[which[i]] @ state + integrate[which[i]] @ rate[i]
    delivered = np.cumsum(bolus.sum(axis=1))
    delivered[1:] += np.cumsum(rate.sum(axis=1) * steps)

    pick = np.searchsorted(grid, flat)
    picked = states[pick]
    shape = query.shape
    return CompartmentAmounts(
        times=query,
        depot=picked[:, : system.central].sum(axis=1).reshape(shape),
        central=picked[:, system.central].reshape(shape),
        peripheral=picked[:, system.central + 1].reshape(shape),
        eliminated=picked[:, system.central + 2].reshape(shape),
        delivered=delivered[pick].reshape(shape),
        central_volume=float(drug.v_central * weight / liter),
    )


def concentration(
    times: Any,
    doses: Dose | Sequence[Dose],
    drug: str | Drug = "ketamine",
    body_weight: Any = 70 * kgram,
) -> np.ndarray:
    """Plasma concentration of ``drug`` in µM at biological ``times``.

    Parameters
    ----------
    times : brian2.Quantity or array_like
        Biological times (brian2 time quantity, or plain numbers in seconds).
    doses : Dose or sequence of Dose
        The dose schedule (e.g. ``PharmacologyConfig.schedule()``).
    drug : str or Drug
        Table name or a resolved :class:`Drug`.
    body_weight : brian2.Quantity or float
        Mass (float: kg).

    Returns
    -------
    numpy.ndarray
        C_plasma = A1 / V1 in µM (plain numbers), shaped like ``times``.
    """
    drug = resolve_drug(drug)
    amounts = compartment_amounts(times, doses, drug, body_weight)
    molar_mass = float(drug.molar_mass / (mgram / umolar / liter))  # mg per (µM * L)
    return amounts.central / amounts.central_volume / molar_mass


def brain_concentration(
    times: Any,
    doses: Dose | Sequence[Dose],
    drug: str | Drug = "ketamine",
    body_weight: Any = 70 * kgram,
) -> np.ndarray:
    """Brain concentration rho * C_plasma in µM (arguments as :func:`concentration`).

    Parameters
    ----------
    times : brian2.Quantity or array_like
        Biological times (brian2 time quantity, or plain numbers in seconds).
    doses : Dose or sequence of Dose
        The dose schedule.
    drug : str or Drug
        Table name or a resolved :class:`Drug`.
    body_weight : brian2.Quantity or float
        Mass (float: kg).

    Returns
    -------
    numpy.ndarray
        µM, shaped like ``times``.
    """
    drug = resolve_drug(drug)
    return drug.brain_plasma_ratio * concentration(times, doses, drug, body_weight)


#: How long after the end of its last session a schedule's peak is looked for: past the
#: T_max of every tabled route (the slowest, the SSRI-like comparator's oral route, ~6 h).
PEAK_HORIZON = 24 * 3600.0


def peak_brain_concentration(
    doses: Dose | Sequence[Dose],
    drug: str | Drug = "ketamine",
    body_weight: Any = 70 * kgram,
) -> tuple[float, float]:
    """Highest brain concentration of ``drug`` over a dose schedule, and when it occurs.

    The exact solution (:func:`brain_concentration`) is sampled from each session's start
    to the next session's (at most :data:`PEAK_HORIZON` after the session ends), 120
    samples per session plus every infusion's end, where an infusion's peak lies; then
    again finely between the neighbours of the largest sample.

    Parameters
    ----------
    doses : Dose or sequence of Dose
        The schedule; doses of other drugs are ignored.
    drug : str or Drug
        Table name or a resolved :class:`Drug`.
    body_weight : brian2.Quantity or float
        Mass (float: kg).

    Returns
    -------
    tuple of float
        ``(peak in µM, biological time of the peak in s)``; ``(0.0, 0.0)`` without a dose.
    """
    drug = resolve_drug(drug)
    mine = sorted(
        (dose for dose in _as_doses(doses) if dose.drug == drug.name),
        key=lambda dose: float(dose.start),
    )
    if not mine:
        return 0.0, 0.0
    starts = [float(dose.start / second) for dose in mine]
    pieces = []
    for k, (dose, start) in enumerate(zip(mine, starts, strict=True)):
        end = start + (float(dose.duration / second) if dose.duration is not None else 0.0)
        stop = end + PEAK_HORIZON
        if k + 1 < len(mine):
            stop = min(stop, max(starts[k + 1], end))
        pieces += [np.linspace(start, stop, 121), [end]]
    grid = np.unique(np.concatenate(pieces))
    values = brain_concentration(grid, mine, drug, body_weight)
    best = int(np.argmax(values))
    fine = np.linspace(grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)], 101)
    fine_values = brain_concentration(fine, mine, drug, body_weight)
    if fine_values.max() > values[best]:
        where = int(np.argmax(fine_values))
        return float(fine_values[where]), float(fine[where])
    return float(values[best]), float(grid[best])


def _disposition_rates(drug: Drug) -> tuple[float, float]:
    """Eigen-rates (alpha, beta) in 1/s of the central/peripheral system, alpha > beta."""
    k10, k12, k21 = drug.rate_constants()
    total = k10 + k12 + k21
    root = math.sqrt(total**2 - 4 * k10 * k21)
    return (total + root) / 2, (total - root) / 2


def terminal_half_life(drug: str | Drug = "ketamine") -> Quantity:
    """Elimination (beta) half-life ln 2 / beta of the two-compartment model.

    Parameters
    ----------
    drug : str or Drug
        Table name or a resolved :class:`Drug`.

    Returns
    -------
    brian2.Quantity
        A time (2.07 h for the ketamine defaults).
    """
    return math.log(2) / _disposition_rates(resolve_drug(drug))[1] * second


def distribution_half_life(drug: str | Drug = "ketamine") -> Quantity:
    """Distribution (alpha) half-life ln 2 / alpha of the two-compartment model.

    Parameters
    ----------
    drug : str or Drug
        Table name or a resolved :class:`Drug`.

    Returns
    -------
    brian2.Quantity
        A time (7.8 min for the ketamine defaults).
    """
    return math.log(2) / _disposition_rates(resolve_drug(drug))[0] * second
