"""Acute network read-outs around drug sessions: rates, gamma power, E/I ratio, dissociation.

The acute side of a ketamine session is what happens while the drug is on board: within
minutes, before any structural change.  This module turns one window of a run into a few
scalars that can be set against the human and rodent literature, and turns the PK/PD
curves of a dose schedule into a time course of the dissociation proxy.  Pure numpy; no
network is simulated here.  :func:`session_readouts` is the pipeline's entry point: the
run (run.py) hands it the recorded population rates, the schedules and the time
map, and gets back, per drug session and per sub-window of biological time around the
dose, the read-outs below and the dissociation index (``[protocol.acute]``,
:class:`AcuteConfig`); measures.py turns them into rows of measures.csv.

The rate spectrum and its bands are :mod:`neuroplast.analysis.spectrum`.

Rate and gamma power.  N independent Poisson cells firing at rate r give a flat (shot
noise) rate spectrum of level 2 r / N (one-sided), so the gamma power of a population
rate grows with the mean rate even without any rhythm.  With ``n_cells`` given,
:func:`acute_readouts` also reports ``gamma_over_poisson``, the gamma power over that
floor, 2 r (80 - 30 Hz) / N: 1 for independent Poisson firing, above 1 for gamma-band
co-fluctuations [D].

Direction in the default network [C] (800 E / 200 I, 5 s, the first second left out,
one seed; interneuron NMDA availability ``synapses.to_inh.nmda_scale`` lowered from 1):
availability 1.0 / 0.8 / 0.65 / 0.5 gave E rates 3.4 / 9.3 / 20.6 / 42.0 Hz, gamma power
0.84 / 2.53 / 7.37 / 17.7 Hz^2 and gamma over the Poisson floor 2.0 / 2.2 / 2.9 / 3.4,
but relative gamma (gamma / 1-100 Hz power) 0.41 / 0.36 / 0.30 / 0.24, because low-band
power rose faster (0.44 / 1.33 / 6.76 / 21.7 Hz^2).  The ketamine peak of the default PK
(f_E 0.14, f_I 0.35) gave E 9.4 Hz, gamma 3.21 Hz^2, relative gamma 0.41.  So more
interneuron block raises gamma power, as reported after subanaesthetic ketamine, but
the model's low band rises too, unlike the delta/theta decrease of Hong 2010 and de la
Salle 2016 (tests/test_acute_pipeline.py checks the gamma direction).

The dissociation proxy is :mod:`neuroplast.model.dissociation` (a PD model); the
settings of the read-outs are :class:`neuroplast.config.protocol.AcuteConfig`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from brian2 import Quantity, have_same_dimensions
from brian2.units import hertz, kgram, second

from neuroplast.analysis.spectrum import GAMMA_BAND, band_power, peak_frequency, rate_spectrum
from neuroplast.config.protocol import AcuteConfig
from neuroplast.model.dissociation import (
    dissociation_timecourse,
    session_dissociation,
)
from neuroplast.model.pharmacology import acute_doses, dose_mg
from neuroplast.units import SECONDS_PER_DAY, finite_array

__all__ = [
    "SESSION_READOUTS",
    "WINDOW_READOUTS",
    "acute_readouts",
    "session_readouts",
]


# --------------------------------------------------------------------------- read-outs


def _conductance_ratio(g_exc: Any, g_inh: Any) -> float:
    """Time- (and cell-) averaged excitatory over inhibitory conductance."""
    if isinstance(g_exc, Quantity) and not have_same_dimensions(g_exc, g_inh):
        raise ValueError("g_exc, g_inh: expected conductances in the same unit")
    exc = finite_array(g_exc, "g_exc")
    inh = finite_array(g_inh, "g_inh")
    if np.any(exc < 0) or np.any(inh < 0):
        raise ValueError("g_exc, g_inh: expected conductances >= 0")
    mean_inh = float(inh.mean())
    return float(exc.mean()) / mean_inh if mean_inh > 0 else float("nan")


def acute_readouts(
    rate_exc: Any,
    rate_inh: Any,
    dt: Any,
    g_exc: Any = None,
    g_inh: Any = None,
    *,
    segment: Any = 0.5,
    spectrum_of: Literal["exc", "inh"] = "exc",
    n_cells: int | None = None,
) -> dict[str, float]:
    """Scalar read-outs of one window of a run (mean rates, gamma, E/I conductance ratio).

    Parameters
    ----------
    rate_exc, rate_inh : array_like or brian2.Quantity
        Population rates (Hz) of the pyramidal cells and the interneurons over one window,
        sampled every ``dt`` (e.g. ``Recording`` rates at ``recording.rate_bin``).
    dt : float or brian2.Quantity
        Sampling step of the rates (plain: seconds).
    g_exc, g_inh : array_like or brian2.Quantity, optional
        Excitatory (AMPA + NMDA) and inhibitory (GABA_A) conductance traces over the same
        window, any shape (time x cells); both or neither.  Units cancel in the ratio,
        but must be the same for both.
    segment : float or brian2.Quantity
        Welch segment length (plain: seconds), see :func:`rate_spectrum`.
    spectrum_of : {'exc', 'inh'}
        Whose rate is analysed; pyramidal activity dominates the field potential, so
        'exc' is the EEG/LFP proxy [D].
    n_cells : int, optional
        Size of the analysed population; adds ``gamma_over_poisson`` (module doc).

    Returns
    -------
    dict
        ``rate_exc_hz``, ``rate_inh_hz`` (means), ``gamma_power_hz2`` and
        ``low_power_hz2`` (band powers of :data:`GAMMA_BAND`, :data:`LOW_BAND`),
        ``relative_gamma`` (gamma / power in :data:`TOTAL_BAND`; NaN for a flat signal),
        ``gamma_peak_hz`` (peak frequency in the gamma band), with ``n_cells``
        ``gamma_over_poisson`` (gamma power over the Poisson floor 2 r (80 - 30 Hz) / N;
        NaN at r = 0) and, with conductances, ``ei_conductance_ratio`` (mean g_exc /
        mean g_inh; NaN if g_inh is 0 throughout).

    Notes
    -----
    Ketamine's expected signature at subanaesthetic levels: E rate up, I rate down
    (Homayoun & Moghaddam 2007), gamma and relative gamma up, low-band power down
    (Hong 2010; Shaw 2015; de la Salle 2016), a higher E/I conductance ratio
    (Gerhard 2020 JCI: sIPSC down, sEPSC up).  The readouts only measure; they do not
    assume the direction.
    """
    if spectrum_of not in ("exc", "inh"):
        raise ValueError(f"spectrum_of = {spectrum_of!r}: expected 'exc' or 'inh'")
    if (g_exc is None) != (g_inh is None):
        missing = "g_inh" if g_inh is None else "g_exc"
        raise ValueError(f"{missing} is missing: expected both conductance traces or neither")
    exc = finite_array(rate_exc, "rate_exc", hertz)
    inh = finite_array(rate_inh, "rate_inh", hertz)
    freqs, psd = rate_spectrum(exc if spectrum_of == "exc" else inh, dt, segment)
    total = band_power(freqs, psd, "total")
    gamma = band_power(freqs, psd, "gamma")
    readouts = {
        "rate_exc_hz": float(exc.mean()),
        "rate_inh_hz": float(inh.mean()),
        "gamma_power_hz2": gamma,
        "low_power_hz2": band_power(freqs, psd, "low"),
        "relative_gamma": gamma / total if total > 0 else float("nan"),
        "gamma_peak_hz": peak_frequency(freqs, psd, "gamma"),
    }
    if n_cells is not None:
        if not int(n_cells) > 0:
            raise ValueError(f"n_cells = {n_cells!r}: expected a population size > 0")
        analysed = readouts["rate_exc_hz" if spectrum_of == "exc" else "rate_inh_hz"]
        floor = 2.0 * analysed * (GAMMA_BAND[1] - GAMMA_BAND[0]) / int(n_cells)
        readouts["gamma_over_poisson"] = gamma / floor if floor > 0 else float("nan")
    if g_exc is not None:
        readouts["ei_conductance_ratio"] = _conductance_ratio(g_exc, g_inh)
    return readouts


# --------------------------------------------------------------------------- pipeline


#: Read-outs of one sub-window (measure names ``acute_<name>`` in measures.csv).
WINDOW_READOUTS = (
    "rate_exc_hz",
    "rate_inh_hz",
    "gamma_power_hz2",
    "low_power_hz2",
    "relative_gamma",
    "gamma_peak_hz",
    "gamma_over_poisson",
    "ei_conductance_ratio",
    "occupancy_exc",
    "occupancy_inh",
    "concentration_uM",
    "dissociation_index",
)

#: Read-outs of one session (measure names ``session_<name>``): the dose given, the peak
#: and resolution of the dissociation index, and the pre-dose (mean of the sub-windows
#: before the dose) and peak (largest sub-window after it) gamma power and E rate.
SESSION_READOUTS = (
    "dose_mg",
    "dose_mg_per_kg",
    "peak_dissociation",
    "peak_dissociation_hours",
    "dissociation_resolved_hours",
    "pre_gamma_power_hz2",
    "peak_gamma_power_hz2",
    "gamma_fold_change",
    "pre_rate_exc_hz",
    "peak_rate_exc_hz",
)


_WINDOW_KEYS = (
    "acute_session",
    "acute_dose_day",
    "acute_hours_after_dose",
    "acute_bio_days",
    "acute_t",
    *(f"acute_{name}" for name in WINDOW_READOUTS),
)
_SESSION_KEYS = (
    "session_index",
    "session_day",
    "session_t",
    *(f"session_{name}" for name in SESSION_READOUTS),
)


def _dose_amounts(dose, body_weight) -> tuple[float, float]:
    """(mg, mg per kg of body weight) of one dose."""
    mg = dose_mg(dose.dose, body_weight)
    return mg, mg / float(body_weight / kgram)


def _window_mean(t: np.ndarray, values: np.ndarray, start: float, stop: float) -> float:
    inside = (t >= start) & (t < stop)
    return float(np.mean(values[inside])) if inside.any() else float("nan")


def _edges(cfg: AcuteConfig, dose_time: float) -> np.ndarray:
    """Sub-window edges (biological s) from ``before`` the dose to ``after`` it."""
    step = float(cfg.window / second)
    start = dose_time - float(cfg.before / second)
    n = max(1, int(round((float(cfg.before / second) + float(cfg.after / second)) / step)))
    return start + step * np.arange(n + 1)


def _occupancy_series(schedules: Mapping, slow: Mapping) -> tuple[np.ndarray, dict]:
    """(network times, {cell type: occupancy}) the network saw.

    The simulated trapping block (``slow``) when the run integrated it, else the
    equilibrium occupancy of the schedules.
    """
    if "occupancy_exc" in slow:
        t = np.asarray(slow["t"], dtype=float)
        return t, {cell: np.asarray(slow[f"occupancy_{cell}"]) for cell in ("exc", "inh")}
    t = np.asarray(schedules["t"], dtype=float)
    return t, {cell: np.asarray(schedules[f"occupancy_{cell}"]) for cell in ("exc", "inh")}


def _window_row(
    cfg: AcuteConfig,
    span: tuple[float, float],
    rates: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_exc: int,
    conductances: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> dict[str, float] | None:
    """Rate read-outs of one sub-window of network time ``span``; None if too short."""
    t0, t1 = span
    if t1 - t0 < float(cfg.min_network_time / second):
        return None
    rate_t, rate_exc, rate_inh = rates
    inside = (rate_t >= t0) & (rate_t < t1)
    if inside.sum() < 4:
        return None
    step = float(rate_t[1] - rate_t[0])
    g = None
    if conductances is not None:
        g_t, g_exc, g_inh = conductances
        sel = (g_t >= t0) & (g_t < t1)
        g = (g_exc[sel], g_inh[sel]) if sel.any() else None
    return acute_readouts(
        rate_exc[inside],
        rate_inh[inside],
        step,
        *(g if g is not None else (None, None)),
        segment=float(cfg.segment / second),
        n_cells=n_exc,
    )


def session_readouts(
    cfg: Any,
    rates: tuple[np.ndarray, np.ndarray, np.ndarray],
    time_map: Any,
    schedules: Mapping[str, np.ndarray],
    slow: Mapping[str, np.ndarray] | None = None,
    conductances: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Acute read-outs of every drug session of a run, per sub-window and per session.

    Parameters
    ----------
    cfg : ExperimentConfig
        The run's config: its doses, ``protocol.acute`` (:class:`AcuteConfig`) and
        ``network.n_exc``.
    rates : (t, rate_exc, rate_inh)
        Population rates (Hz) at network times t (s), evenly spaced (``Recording``).
    time_map : neuroplast.model.timescale.TimeMap
        The run's clock (biological <-> network time).
    schedules : mapping
        ``Recording.schedules`` (``t``, ``occupancy_exc``, ``occupancy_inh``,
        ``concentration_uM`` on the network-time grid).
    slow : mapping, optional
        ``Recording.slow``; its ``occupancy_exc`` / ``occupancy_inh`` (trapping) replace
        the schedules' equilibrium occupancy.
    conductances : (t, g_exc, g_inh), optional
        Pyramidal-cell mean excitatory (AMPA + NMDA) and inhibitory (GABA_A) conductance
        at network times t; gives ``ei_conductance_ratio`` (NaN without them).

    Returns
    -------
    dict of str to numpy.ndarray
        Per sub-window (one entry each): ``acute_session`` (1, 2, ...), ``acute_dose_day``
        (biological day of the dose start), ``acute_hours_after_dose`` (sub-window middle, hours
        after the dose start), ``acute_bio_days``, ``acute_t`` (network s of the middle)
        and ``acute_<name>`` for each of :data:`WINDOW_READOUTS`.  Per session:
        ``session_index``, ``session_day``, ``session_t`` and ``session_<name>`` for each
        of :data:`SESSION_READOUTS` (the peak and resolution of the dissociation index
        from the start of the dose to the next session or ``follow_up``).  Empty when
        the read-outs are off or the run has no session of an NMDA-blocking drug.
    """
    acute = cfg.protocol.acute
    doses = acute_doses(cfg.pharmacology)
    if not acute.enabled or not doses:
        return {}
    slow = slow or {}
    occ_t, occupancy = _occupancy_series(schedules, slow)
    sched_t = np.asarray(schedules["t"], dtype=float)
    concentration = np.asarray(schedules["concentration_uM"], dtype=float)
    windows: dict[str, list] = {key: [] for key in _WINDOW_KEYS}
    sessions: dict[str, list] = {key: [] for key in _SESSION_KEYS}
    starts = [float(dose.start / second) for dose in doses]
    for k, (dose, start) in enumerate(zip(doses, starts, strict=True)):
        edges = _edges(acute, start)
        course = dissociation_timecourse(
            np.arange(edges[0], edges[-1] + 1.0, float(acute.dissociation.sample_step / second)),
            cfg,
            acute.dissociation,
        )
        mine = []
        for b0, b1 in zip(edges[:-1], edges[1:], strict=True):
            t0, t1 = (float(x) for x in time_map.sim_at(np.array([b0, b1])))
            row = _window_row(acute, (t0, t1), rates, cfg.network.n_exc, conductances)
            if row is None:
                continue
            mine.append((0.5 * (b0 + b1) - start, row))
            row["occupancy_exc"] = _window_mean(occ_t, occupancy["exc"], t0, t1)
            row["occupancy_inh"] = _window_mean(occ_t, occupancy["inh"], t0, t1)
            row["concentration_uM"] = _window_mean(sched_t, concentration, t0, t1)
            row["dissociation_index"] = _window_mean(course.times, course.index, b0, b1)
            mid = 0.5 * (b0 + b1)
            windows["acute_session"].append(k + 1)
            windows["acute_dose_day"].append(start / SECONDS_PER_DAY)
            windows["acute_hours_after_dose"].append((mid - start) / 3600.0)
            windows["acute_bio_days"].append(mid / SECONDS_PER_DAY)
            windows["acute_t"].append(float(time_map.sim_at(mid)))
            for name in WINDOW_READOUTS:
                windows[f"acute_{name}"].append(row.get(name, float("nan")))
        _session_row(sessions, cfg, k, dose, starts, time_map)
        _session_changes(sessions, mine)
    return {key: np.asarray(values, dtype=float) for key, values in {**windows, **sessions}.items()}


def _session_changes(sessions: dict, windows: list[tuple[float, dict]]) -> None:
    """Pre-dose and peak gamma power and E rate of one session's sub-windows."""
    for name, short in (("gamma_power_hz2", "gamma_power_hz2"), ("rate_exc_hz", "rate_exc_hz")):
        pre = [row[name] for offset, row in windows if offset < 0]
        post = [row[name] for offset, row in windows if offset >= 0]
        before = float(np.mean(pre)) if pre else float("nan")
        peak = float(np.max(post)) if post else float("nan")
        sessions[f"session_pre_{short}"].append(before)
        sessions[f"session_peak_{short}"].append(peak)
        if name == "gamma_power_hz2":
            fold = peak / before if before > 0 else float("nan")
            sessions["session_gamma_fold_change"].append(fold)


def _session_row(sessions: dict, cfg: Any, k: int, dose, starts: list[float], time_map) -> None:
    start = starts[k]
    course = session_dissociation(cfg, starts, k, cfg.protocol.acute.dissociation)
    mg, per_kg = _dose_amounts(dose, cfg.pharmacology.body_weight)
    sessions["session_index"].append(k + 1)
    sessions["session_day"].append(start / SECONDS_PER_DAY)
    sessions["session_t"].append(float(time_map.sim_at(start)))
    sessions["session_dose_mg"].append(mg)
    sessions["session_dose_mg_per_kg"].append(per_kg)
    sessions["session_peak_dissociation"].append(course.peak)
    sessions["session_peak_dissociation_hours"].append((course.peak_time - start) / 3600.0)
    resolved = course.resolution_time()
    sessions["session_dissociation_resolved_hours"].append((resolved - start) / 3600.0)
