"""Numbers computed from a recording: firing rates, ISI irregularity, time series.

Measures follow the standard definitions for asynchronous irregular (AI) states
(Brunel 2000 J Comput Neurosci 8:183): the mean firing rate of a population; the
coefficient of variation (CV) of each neuron's inter-spike intervals, averaged over
neurons with enough spikes (CV = 1 for a Poisson process); and the synchrony measure
chi (Golomb 2007), near 0 for asynchronous and 1 for synchronous firing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# the mechanisms' modules declare their records, and with them the records' labels
from neuroplast.analysis.evoked import THERAPY_LOCATORS
from neuroplast.model import bdnf, plasticity  # noqa: F401
from neuroplast.model.records import record_label
from neuroplast.units import SECONDS_PER_DAY

__all__ = [
    "MeasureRow",
    "population_rate",
    "binned_rate",
    "recorded_rate",
    "cv_isi",
    "synchrony_chi",
    "measure_rows",
    "slow_rows",
    "acute_rows",
    "set_point_rows",
]


#: Fewest inter-spike intervals for a neuron's CV to count.
MIN_INTERVALS = 4


@dataclass(frozen=True)
class MeasureRow:
    """One row of the tidy measures table."""

    condition: str
    seed: int
    bio_time_days: float
    sim_time_s: float
    measure: str
    value: float


def _population_mask(spike_i: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return (spike_i >= lo) & (spike_i < hi)


def population_rate(spike_i, spike_t, lo: int, hi: int, t_start: float, t_stop: float) -> float:
    """Mean firing rate (Hz) of neurons ``lo <= i < hi`` between ``t_start`` and ``t_stop``."""
    if t_stop <= t_start or hi <= lo:
        return float("nan")
    sel = _population_mask(spike_i, lo, hi) & (spike_t >= t_start) & (spike_t < t_stop)
    return float(sel.sum()) / ((hi - lo) * (t_stop - t_start))


def recorded_rate(
    recording, lo: int, hi: int, binned, t_start: float, t_stop: float, spikes: bool
) -> float:
    """Mean rate (Hz) of neurons ``lo <= i < hi`` between ``t_start`` and ``t_stop``.

    Counted from the recorded spikes, or, when the run kept none (``spikes`` false), the
    mean of their binned population rate ``binned``.
    """
    if spikes:
        return population_rate(recording.spike_i, recording.spike_t, lo, hi, t_start, t_stop)
    return binned_rate(recording.rate_t, binned, t_start, t_stop)


def binned_rate(rate_t, rate, t_start: float, t_stop: float) -> float:
    """Mean of a binned population rate (Hz) over the bins centred in [t_start, t_stop)."""
    centres, values = np.asarray(rate_t), np.asarray(rate)
    sel = (centres >= t_start) & (centres < t_stop)
    return float(values[sel].mean()) if sel.any() else float("nan")


def cv_isi(spike_i, spike_t, lo: int, hi: int, t_start: float = 0.0) -> float:
    """Mean over neurons ``lo <= i < hi`` of the CV of inter-spike intervals.

    Neurons with fewer than ``MIN_INTERVALS`` intervals after ``t_start`` are skipped;
    returns NaN when none qualifies.
    """
    sel = _population_mask(spike_i, lo, hi) & (spike_t >= t_start)
    idx, times = spike_i[sel], spike_t[sel]
    order = np.lexsort((times, idx))
    idx, times = idx[order], times[order]
    cvs = []
    for neuron_times in np.split(times, np.flatnonzero(np.diff(idx)) + 1):
        if len(neuron_times) > MIN_INTERVALS:
            isi = np.diff(neuron_times)
            cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs)) if cvs else float("nan")


def synchrony_chi(
    spike_i, spike_t, lo: int, hi: int, t_start: float, t_stop: float, bin_width: float = 0.005
) -> float:
    """Synchrony measure chi of neurons ``lo <= i < hi`` (Golomb 2007, Scholarpedia 2:1347).

    ``chi^2`` is the variance of the population-averaged spike count over the mean
    variance of single-neuron counts (``bin_width`` bins).  ``chi`` is 1 for fully
    synchronous firing and about ``1/sqrt(N)`` for N independent neurons.
    """
    n = hi - lo
    edges = np.arange(t_start, t_stop + bin_width / 2, bin_width)
    if n <= 0 or len(edges) < 3:
        return float("nan")
    sel = _population_mask(spike_i, lo, hi) & (spike_t >= t_start) & (spike_t < edges[-1])
    counts = np.zeros((n, len(edges) - 1))
    np.add.at(counts, (spike_i[sel] - lo, np.digitize(spike_t[sel], edges) - 1), 1)
    single = counts.var(axis=1).mean()
    if single == 0:
        return float("nan")
    return float(np.sqrt(counts.mean(axis=0).var() / single))


#: Schedules sampled at the slow samples: drug, block, stress, clock, slow drug effect.
SCHEDULE_MEASURES = (
    "concentration_uM",
    "occupancy_exc",
    "occupancy_inh",
    "stress_level",
    "time_rate",
    "bdnf_drug_factor",
    "target_engagement",
)


def slow_rows(recording, condition: str, seed: int, records: Sequence = ()) -> list[MeasureRow]:
    """Time series of the slow mechanisms: synapse counts, formation, BDNF, drug, stress.

    ``records`` (:class:`neuroplast.model.records.Record`) are the per-cell outputs the
    run's mechanisms declare (:func:`neuroplast.simulation.network.mechanism_records`): one row
    per record and slow sample, the population reduction of the recorded variable.
    """
    slow, rows = recording.slow, []
    for k, (t, day) in enumerate(zip(slow["t"], slow["bio_days"], strict=True)):
        for record in records:
            if record.variable in slow:
                recorded = slow[record.variable]
                if record.reduction == "value":  # a one-element compartment
                    value = recorded[k]
                elif record.reduction == "sum":
                    value = recorded[:, k].sum()
                else:
                    value = recorded[:, k].mean()
                rows.append(
                    MeasureRow(condition, seed, float(day), float(t), record.measure, float(value))
                )
        sched = recording.schedules
        if sched:
            j = min(np.searchsorted(sched["t"], t, side="right") - 1, len(sched["t"]) - 1)
            for name in SCHEDULE_MEASURES:
                if name not in sched and name not in slow:
                    continue  # runs written before the slow drug factor existed
                # trapping records the simulated block; otherwise the schedule is the block
                value = slow[name][k] if name in slow else sched[name][max(j, 0)]
                rows.append(MeasureRow(condition, seed, float(day), float(t), name, float(value)))
    return rows


#: Arrays of the acute read-outs that locate a sub-window or session rather than measure it.
ACUTE_LOCATORS = ("acute_t", "acute_bio_days", "acute_dose_day", "session_t", "session_day")
#: ... and of every read-out acute_rows turns into rows (the therapy sessions' too).
LOCATORS = (*ACUTE_LOCATORS, *THERAPY_LOCATORS)


def acute_rows(recording, condition: str, seed: int) -> list[MeasureRow]:
    """Rows of the acute read-outs around each drug session (acute.session_readouts).

    Per sub-window of biological time around a dose, at its middle: ``acute_session``,
    ``acute_hours_after_dose`` and ``acute_<read-out>`` (rates, gamma, E/I conductance
    ratio, NMDA occupancy per cell type, concentration, dissociation index).  Per session,
    at the dose start: ``session_index``, ``session_dose_mg``, ``session_dose_mg_per_kg``,
    ``session_peak_dissociation`` and the hours to its peak and resolution.  Per therapy
    session, at its end: the evoked rates of :mod:`neuroplast.analysis.evoked`.
    """
    slow, rows = recording.slow, []
    for prefix, day_key, t_key in (
        ("acute_", "acute_bio_days", "acute_t"),
        ("session_", "session_day", "session_t"),
        ("therapy_", "therapy_day", "therapy_t"),
    ):
        if day_key not in slow:
            continue
        names = [k for k in slow if k.startswith(prefix) and k not in LOCATORS]
        for k, (day, t) in enumerate(zip(slow[day_key], slow[t_key], strict=True)):
            for name in names:
                value = float(slow[name][k])
                rows.append(MeasureRow(condition, seed, float(day), float(t), name, value))
    return rows


def measure_rows(
    recording,
    condition: str,
    seed: int,
    window: float,
    transient: float,
    time_rate: float = 1.0,
    records: Sequence = (),
) -> list[MeasureRow]:
    """Tidy rows: rates per window over time, then whole-run summaries after the transient.

    Parameters
    ----------
    recording : neuroplast.simulation.simulate.Recording
    condition : str
    seed : int
        The run's root seed.
    window : float
        Window (s of network time) of the rate time series.
    transient : float
        Initial network time (s) left out of the summaries.
    time_rate : float
        Biological seconds per simulated second (1 when no slow process runs).
    records : sequence of Record
        Per-cell outputs declared by the rewiring rule (:func:`slow_rows`).
    """
    ne, ni = recording.n_exc, recording.n_inh
    # a run shorter than twice the transient keeps its second half for the summaries
    transient = min(transient, 0.5 * recording.duration)
    pops = {"exc": (0, ne), "inh": (ne, ne + ni)}
    i, t = recording.spike_i, recording.spike_t
    rows: list[MeasureRow] = []

    def bio_days_at(sim_time: float) -> float:
        sched = recording.schedules
        if sched:  # the slow clock maps network time to biological time
            return float(np.interp(sim_time, sched["t"], sched["bio_days"]))
        return sim_time * time_rate / SECONDS_PER_DAY

    def row(sim_time: float, name: str, value: float) -> None:
        bio_days = bio_days_at(sim_time)
        rows.append(MeasureRow(condition, seed, bio_days, sim_time, name, float(value)))

    # Without recorded spikes (recording.spikes = false) the rates come from the binned
    # population rates; the spike-train statistics (CV, synchrony) are then not measured.
    binned = {"exc": recording.rate_exc, "inh": recording.rate_inh}
    spikes = len(i) > 0 or not any(np.any(np.asarray(r) > 0) for r in binned.values())

    def rate(pop: str, start: float, stop: float) -> float:
        return recorded_rate(recording, *pops[pop], binned[pop], start, stop, spikes)

    edges = np.arange(0.0, recording.duration + 1e-12, window)
    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        for pop in pops:
            row(stop, f"rate_{pop}_hz", rate(pop, start, stop))
    if recording.slow:
        rows.extend(slow_rows(recording, condition, seed, records))
        rows.extend(acute_rows(recording, condition, seed))
    end = recording.duration
    for pop, (lo, hi) in pops.items():
        row(end, f"mean_rate_{pop}_hz", rate(pop, transient, end))
        if spikes:
            row(end, f"cv_isi_{pop}", cv_isi(i, t, lo, hi, transient))
            row(end, f"synchrony_{pop}", synchrony_chi(i, t, lo, hi, transient, end))
    return rows


#: How much network time after the set-point window :func:`set_point_rows` compares it
#: with, in lengths of the window.
SET_POINT_FOLLOW = 5
#: Schedules that are 0 until the protocol acts on the network.
QUIET_SCHEDULES = ("stress_level", "occupancy_exc", "occupancy_inh", "therapy", "replay")


def set_point_rows(
    recording, condition: str, seed: int, settle: float, window: float
) -> list[MeasureRow]:
    """How representative the set-point window was of the rates that followed it.

    Each pyramidal cell's set point is its own rate over ``[settle, window)`` of network
    time (:mod:`neuroplast.model.setpoint`).  If the population rate drifts or fluctuates
    slowly, that window catches a state the network then leaves, and every cell starts
    the run above (or below) its set point, which the slow mechanisms read as a
    perturbation.  Two rows at the window's end: ``set_point_window_rate_exc_hz``, the
    excitatory population rate in the window, and ``set_point_bias_pct``,
    ``100 (r_window / r_after - 1)`` with ``r_after`` the rate over the next
    ``SET_POINT_FOLLOW`` window lengths, cut where the protocol first acts (stress, a
    drug, a therapy or replay session: the first nonzero sample of those schedules), so
    that a planned change is not read as a bias.  No rows when less than one window
    length is left before that or before the run's end.  Poisson counting alone gives a
    population-level bias near 0; the set point's per-cell precision is stated with
    ``set_point.window``.
    """
    length = window - settle
    after_end = min(window + SET_POINT_FOLLOW * length, recording.duration)
    sched = recording.schedules
    for name in QUIET_SCHEDULES:
        acting = np.flatnonzero(np.asarray(sched.get(name, ())) > 0)
        if acting.size:
            after_end = min(after_end, float(sched["t"][acting[0]]))
    if length <= 0 or after_end - window < length:
        return []
    exc = (recording, 0, recording.n_exc, recording.rate_exc)
    spikes = len(recording.spike_i) > 0
    in_window = recorded_rate(*exc, settle, window, spikes)
    after = recorded_rate(*exc, window, after_end, spikes)
    bias = 100 * (in_window / after - 1) if after > 0 else float("nan")
    days = float(np.interp(window, sched["t"], sched["bio_days"]))
    return [
        MeasureRow(condition, seed, days, window, "set_point_window_rate_exc_hz", in_window),
        MeasureRow(condition, seed, days, window, "set_point_bias_pct", bias),
    ]


# --------------------------------------------------------------------------- labels

#: Suffix of a paired difference series: ``<measure>_vs_<reference condition>``
#: (stats.paired_difference_rows).
PAIRED_SUFFIX = "_vs_"

#: Axis labels with units of the measures in the tidy table that no mechanism record
#: declares (a record carries its own label: neuroplast.model.records).
MEASURE_LABELS = {
    "concentration_uM": "brain ketamine concentration (µM)",
    "occupancy_exc": "NMDA block on E cells (fraction)",
    "occupancy_inh": "NMDA block on I cells (fraction)",
    "stress_level": "stress level (0–1)",
    "time_rate": "biological s per network s",
    "rate_exc_hz": "E population rate (Hz)",
    "ee_formation_pct_per_day": "E→E formation (% of synapses per day)",
    "ee_elimination_pct_per_day": "E→E elimination (% of synapses per day)",
    "recall_adaptive_index": "recall: completion − spill-over (Hz)",
    "assembly_adaptive_p_in": "connection probability within the assembly",
    "coactivity_corr_exc": "E-E co-activity (mean pairwise correlation, 20 ms)",
    "rate_inh_hz": "I population rate (Hz)",
    "set_point_window_rate_exc_hz": "E rate in the set-point window (Hz)",
    "set_point_bias_pct": "set-point window rate vs the rate after it (%)",
    "therapy_evoked_rate_hz": "driven cells' rate inside the therapy pulses (Hz)",
    "therapy_gap_rate_hz": "driven cells' rate between the therapy pulses (Hz)",
    "therapy_others_rate_hz": "other E cells' rate inside the therapy pulses (Hz)",
    "therapy_evoked_ratio": "evoked rate / rate between pulses",
    "therapy_session": "therapy session (index)",
    "acute_gamma_power_hz2": "gamma power 30–80 Hz of the E rate (Hz²)",
    "acute_relative_gamma": "relative gamma (30–80 / 1–100 Hz power)",
    "acute_low_power_hz2": "low-band power 1–8 Hz (Hz²)",
    "acute_rate_exc_hz": "E rate (Hz)",
    "acute_rate_inh_hz": "I rate (Hz)",
    "acute_ei_conductance_ratio": "E/I conductance ratio on E cells",
    "acute_occupancy_inh": "NMDA block on I cells (fraction)",
    "acute_occupancy_exc": "NMDA block on E cells (fraction)",
    "acute_dissociation_index": "dissociation index (proxy, 0–1)",
    "acute_gamma_over_poisson": "gamma power / Poisson floor",
    "session_dose_mg_per_kg": "dose given (mg/kg)",
    "session_dose_mg": "dose given (mg)",
    "session_peak_dissociation": "peak dissociation index (proxy, 0–1)",
    "session_gamma_fold_change": "peak / pre-dose gamma power",
    "session_peak_rate_exc_hz": "peak E rate after the dose (Hz)",
    "bdnf_drug_factor": "BDNF production factor of the slow drug",
    "target_engagement": "SERT engagement of the slow drug (fraction)",
}


def measure_label(measure: str) -> str:
    """Axis label with unit for a measure name."""
    if measure in MEASURE_LABELS:
        return MEASURE_LABELS[measure]
    declared = record_label(measure)
    if declared is not None:
        return declared
    if PAIRED_SUFFIX in measure:  # a paired difference series (stats.paired_difference_rows)
        base, reference = measure.rsplit(PAIRED_SUFFIX, 1)
        return f"{measure_label(base).split(chr(10))[0]}\nminus {reference}, same seed"
    if measure.startswith("recovery_index_"):
        base = measure.removeprefix("recovery_index_")
        return f"recovery index of {base}\n(1 = baseline, 0 = stressed)"
    if measure.endswith("_hz"):
        return f"{measure.removesuffix('_hz')} (Hz)"
    if measure.startswith("ee_frac_born_after_day_"):
        day = measure.removeprefix("ee_frac_born_after_day_")
        return f"fraction of E→E synapses\nborn after day {day}"
    return f"{measure} (model units)"
