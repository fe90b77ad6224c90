"""Dissociation proxy [D]: a Hill function of the NMDA occupancy over a dose's time course.

A pharmacodynamic read-out of a dose schedule, not of the network: the equilibrium NMDA
occupancies of the two cell types (:mod:`neuroplast.model.pharmacology`) give an index
in [0, 1) (:func:`dissociation_index`) whose half-maximal occupancy sits in the
clinically dissociative concentration range.  It is a proxy for the time course and dose
dependence of dissociation, not a clinical scale (its limits are listed under
:func:`dissociation_index`).  :func:`dissociation_timecourse` evaluates it over a
schedule, :func:`session_dissociation` over one session; titration
(:mod:`neuroplast.config.protocol`) and the acute read-outs (:mod:`neuroplast.analysis.acute`) use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from brian2 import Quantity, have_same_dimensions
from brian2.units import second

from neuroplast.model.pharmacology import (
    DrugCurves,
    PharmacologyConfig,
    acute_doses,
    pharmacology_timecourse,
)
from neuroplast.schema import Qty, Section, param
from neuroplast.units import finite_array

__all__ = [
    "DissociationConfig",
    "DissociationTimecourse",
    "dissociation_index",
    "dissociation_timecourse",
    "session_dissociation",
]


_CLINICAL = (
    "Krystal et al 1994 (100-250 ng/mL, in Zanos et al 2018 Pharmacol Rev Table 1); model docs §2.2"
)


class DissociationConfig(Section):
    """Dissociation proxy: a Hill function of the NMDA occupancy (a model read-out [D])."""

    half_max_occupancy: float = param(
        0.30,
        "weighted NMDA occupancy at which the index is half-maximal; 0.30 is the "
        "interneuron occupancy at 0.64 µM (153 ng/mL, IC50_inh 1.5 µM), mid-range of the "
        "plasma levels at which 0.5 mg/kg over 40 min dissociates",
        "[D] placed in the dissociative range of " + _CLINICAL,
        gt=0,
        lt=1,
    )
    hill: float = param(
        4.0,
        "steepness of the index in the occupancy; sets how fast dissociation resolves "
        "as the drug is cleared (4: back to 10 % of the peak ~80 min after a 40-min "
        "infusion of 0.5 mg/kg, on the default PK)",
        "[D] to the clinical time course: CADSS peaks at the end of the infusion and is "
        "near baseline by ~2 h (Zarate 2006; Murrough 2013 [M]; Luckenbaugh 2014)",
        gt=0,
    )
    interneuron_weight: float = param(
        1.0,
        "weight w of the interneuron occupancy; the index reads w f_inh + (1 - w) f_exc "
        "(1: dissociation follows interneuron NMDAR block, the disinhibition account)",
        "[D] Homayoun & Moghaddam 2007; Hong 2010 (gamma up with the dissociative state)",
        ge=0,
        le=1,
    )
    resolved_fraction: float = param(
        0.10,
        "fraction of its peak below which the index counts as resolved",
        "[D] a CADSS change within rating noise after the peak of a 0.5 mg/kg infusion",
        gt=0,
        lt=1,
    )
    sample_step: Qty("min", positive=True) = param(
        "1 min",
        "step of the biological-time grid when dissociation_timecourse builds its own",
        "[D] numerical (the PK is exact on any grid; 1 min resolves a 40-min infusion)",
    )
    follow_up: Qty("h", positive=True) = param(
        "6 h",
        "how long after the start of the last dose the built grid extends",
        "[D] covers the clinical ratings at 40, 80, 120 and 230 min (Zarate 2006 [M]; "
        "Luckenbaugh 2014)",
    )


def _occupancy(values: Any, name: str) -> np.ndarray:
    array = finite_array(values, name)
    if np.any((array < 0) | (array > 1)):
        raise ValueError(f"{name}: expected occupancies (fractions) in [0, 1]")
    return array


def dissociation_index(
    occupancy_exc: Any,
    occupancy_inh: Any,
    config: DissociationConfig | None = None,
) -> np.ndarray:
    """Dissociation proxy in [0, 1) from the NMDA occupancies of the two cell types [D].

    The index is a Hill function of the weighted occupancy::

        f_w = w f_inh + (1 - w) f_exc
        D   = f_w^h / (f_w^h + theta^h)

    with w = ``interneuron_weight`` (1), theta = ``half_max_occupancy`` (0.30) and
    h = ``hill`` (4).  With the default occupancy model (IC50_inh = 1.5 µM, Hill n = 1;
    model docs §2.1) theta = 0.30 corresponds to C = 0.64 µM = 153 ng/mL, the middle of
    the 100-250 ng/mL plasma range of dissociation after 0.5 mg/kg over 40 min (Krystal
    1994 in Zanos 2018 Table 1 [V]).  The Hill coefficient h sets how quickly the index
    resolves as the drug is cleared; it was chosen so that on the default PK the index
    of 0.5 mg/kg over 40 min peaks at the end of the infusion (40 min; CADSS is rated
    there as the peak dissociation, Luckenbaugh et al 2014 J Affect Disord 159:56 [V
    abstract]) and is back to 10 % of its peak about 2 h after the start, when
    dissociative symptoms have resolved in the trials (Zarate 2006 Arch Gen Psychiatry
    63:856; Murrough 2013 Am J Psychiatry 170:1134 [M: resolution times not re-checked]).
    Between 100 and 200 ng/mL it rises roughly linearly with the concentration, as
    psychedelic ratings did at steady state (Bowdle et al 1998 Anesthesiology 88:82 [V
    abstract]: linear between 50 and 200 ng/mL), with a threshold below.

    Parameters
    ----------
    occupancy_exc, occupancy_inh : array_like
        Fractions of NMDA receptors blocked on pyramidal cells and interneurons (in [0, 1],
        broadcastable), e.g. from
        :func:`neuroplast.model.pharmacology.pharmacology_timecourse`.
    config : DissociationConfig, optional
        Parameters (defaults: ``DissociationConfig()``).

    Returns
    -------
    numpy.ndarray
        In [0, 1), the broadcast shape of the occupancies; 0 without drug.

    Notes
    -----
    **A proxy, not a clinical scale.**  It is not a CADSS score and has no units of one;
    it orders doses and times by how strongly the model's NMDA block sits in the range
    where patients dissociate.  Its limits: (1) it is calibrated to one regimen (0.5
    mg/kg IV over 40 min) and to plasma levels, so other routes, esketamine and
    memantine inherit its calibration untested (memantine does not dissociate at
    clinical doses, and the index would be near 0 there only because its occupancy is
    low); (2) it reads the equilibrium occupancy, with brain = plasma and no effect-site
    delay, so any hysteresis between plasma level and symptoms is absent (and the
    ``trapping`` kinetics are not used); (3) its theta is set in interneuron-occupancy
    units, so ``interneuron_preference = false`` (IC50_inh = IC50_exc = 5 µM) moves the
    half-maximal concentration to 2.1 µM; (4) acute tolerance, sensitisation over
    repeated sessions, norketamine and individual variability (CADSS spreads widely
    between patients) are not modelled; (5) it does not read the network, so it does
    not depend on whether the simulated network actually disinhibits.
    """
    cfg = config if config is not None else DissociationConfig()
    f_exc = _occupancy(occupancy_exc, "occupancy_exc")
    f_inh = _occupancy(occupancy_inh, "occupancy_inh")
    weighted = cfg.interneuron_weight * f_inh + (1.0 - cfg.interneuron_weight) * f_exc
    ratio = (weighted / cfg.half_max_occupancy) ** cfg.hill
    return ratio / (1.0 + ratio)


@dataclass(frozen=True)
class DissociationTimecourse:
    """The dissociation index over biological time, with the occupancies it came from.

    Attributes
    ----------
    times : numpy.ndarray
        Biological times, s (increasing).
    occupancy_exc, occupancy_inh : numpy.ndarray
        Equilibrium NMDA occupancy per cell type.
    index : numpy.ndarray
        :func:`dissociation_index` at ``times``.
    resolved_fraction : float
        Threshold of :meth:`resolution_time` (fraction of the peak).
    """

    times: np.ndarray
    occupancy_exc: np.ndarray
    occupancy_inh: np.ndarray
    index: np.ndarray
    resolved_fraction: float = 0.10

    @property
    def peak(self) -> float:
        """Largest index on the grid."""
        return float(self.index.max())

    @property
    def peak_time(self) -> float:
        """Biological time (s) of the first sample at the largest index."""
        return float(self.times[int(np.argmax(self.index))])

    def resolution_time(self, fraction: float | None = None) -> float:
        """First time (s) after the peak at which the index is below ``fraction`` * peak.

        Parameters
        ----------
        fraction : float, optional
            In (0, 1); default ``resolved_fraction``.

        Returns
        -------
        float
            Seconds of biological time (grid resolution); NaN if the index never falls
            that low on the grid, or if it is 0 throughout (no drug).
        """
        share = self.resolved_fraction if fraction is None else float(fraction)
        if not 0 < share < 1:
            raise ValueError(f"fraction = {fraction!r}: expected a fraction in (0, 1)")
        if self.peak <= 0:
            return float("nan")
        start = int(np.argmax(self.index))
        below = np.nonzero(self.index[start:] < share * self.peak)[0]
        return float(self.times[start + below[0]]) if below.size else float("nan")


def _pharmacology_of(source: Any) -> PharmacologyConfig | None:
    """The PharmacologyConfig of a config (itself, or ``.pharmacology`` of an experiment)."""
    if isinstance(source, PharmacologyConfig):
        return source
    inner = getattr(source, "pharmacology", None)
    return inner if isinstance(inner, PharmacologyConfig) else None


def _session_starts(source: DrugCurves | PharmacologyConfig) -> list[float]:
    if isinstance(source, DrugCurves):
        return [float(t) for t in source.session_times]
    return [float(dose.start / second) for dose in acute_doses(source)]


def _default_grid(source: DrugCurves | PharmacologyConfig, cfg: DissociationConfig) -> np.ndarray:
    """From the first dose to ``follow_up`` after the start of the last, every ``sample_step``."""
    starts = _session_starts(source)
    if not starts:
        raise ValueError(
            "bio_times = None needs a dose schedule to build the grid around; the config "
            "has no doses (give bio_times explicitly)"
        )
    step = float(cfg.sample_step / second)
    stop = max(starts) + float(cfg.follow_up / second)
    return np.arange(min(starts), stop + 0.5 * step, step)


def _bio_seconds(times: Any) -> np.ndarray:
    if isinstance(times, Quantity):
        if not have_same_dimensions(times, second):
            raise ValueError(f"bio_times = {times!r}: expected times (brian2 quantity in s)")
        times = times / second
    values = finite_array(times, "bio_times")
    if values.ndim != 1 or np.any(np.diff(values) <= 0):
        raise ValueError("bio_times: expected a 1-D array of strictly increasing times (s)")
    return values


def dissociation_timecourse(
    bio_times: Any,
    curves_or_cfg: Any,
    config: DissociationConfig | None = None,
) -> DissociationTimecourse:
    """Evaluate :func:`dissociation_index` over the PK/PD curves of a dose schedule.

    Parameters
    ----------
    bio_times : array_like or brian2.Quantity or None
        Biological times (plain numbers: s), 1-D and increasing; ``None`` builds a grid
        from the first dose to ``follow_up`` after the start of the last one, every
        ``sample_step``.
    curves_or_cfg : DrugCurves or PharmacologyConfig or ExperimentConfig
        Where the occupancies come from: :class:`neuroplast.model.pharmacology.DrugCurves`
        (``neuroplast.simulation.simulate.drug_curves(cfg)``), or a config whose schedule is
        evaluated with :func:`neuroplast.model.pharmacology.pharmacology_timecourse`
        (equilibrium occupancy; a config with no doses gives an index of 0).
    config : DissociationConfig, optional
        Index parameters (defaults: ``DissociationConfig()``).

    Returns
    -------
    DissociationTimecourse
        ``peak``, ``peak_time`` and ``resolution_time()`` summarise it.
    """
    cfg = config if config is not None else DissociationConfig()
    source: DrugCurves | PharmacologyConfig | None
    source = curves_or_cfg if isinstance(curves_or_cfg, DrugCurves) else None
    if source is None:
        source = _pharmacology_of(curves_or_cfg)
    if source is None:
        raise TypeError(
            f"curves_or_cfg: expected DrugCurves, PharmacologyConfig or an ExperimentConfig, "
            f"got {type(curves_or_cfg).__name__}"
        )
    times = _default_grid(source, cfg) if bio_times is None else _bio_seconds(bio_times)
    if isinstance(source, DrugCurves):
        curves = source.evaluate(times)
        f_exc, f_inh = curves["occupancy_exc"], curves["occupancy_inh"]
    else:
        course = pharmacology_timecourse(times, source)
        f_exc, f_inh = course.occupancy["exc"], course.occupancy["inh"]
    f_exc = np.broadcast_to(np.asarray(f_exc, dtype=float), times.shape)
    f_inh = np.broadcast_to(np.asarray(f_inh, dtype=float), times.shape)
    return DissociationTimecourse(
        times=times,
        occupancy_exc=f_exc,
        occupancy_inh=f_inh,
        index=dissociation_index(f_exc, f_inh, cfg),
        resolved_fraction=cfg.resolved_fraction,
    )


def session_dissociation(
    cfg: Any, starts: list[float], k: int, dissociation: DissociationConfig | None = None
) -> DissociationTimecourse:
    """The dissociation index of session ``k`` (0-based), from its start to the next one.

    Evaluated on the PK/PD of the whole schedule of ``cfg`` (so that a drug left over
    from an earlier session counts), every ``sample_step`` from ``starts[k]`` to the next
    start or ``follow_up`` after it, whichever is first.

    Parameters
    ----------
    cfg : PharmacologyConfig or ExperimentConfig
        The dose schedule.
    starts : list of float
        Biological start times (s) of the sessions, increasing.
    k : int
        Session index.
    dissociation : DissociationConfig, optional
        Index parameters.

    Returns
    -------
    DissociationTimecourse
    """
    dis = dissociation if dissociation is not None else DissociationConfig()
    start = starts[k]
    stop = start + float(dis.follow_up / second)
    if k + 1 < len(starts):
        stop = min(stop, starts[k + 1])
    step = float(dis.sample_step / second)
    return dissociation_timecourse(np.arange(start, stop, step), cfg, dis)
