"""What a therapy session's input does to the cells it drives: evoked rates per session.

Therapy drives an assembly with pulses of extra external input (:mod:`neuroplast.model.therapy`).
How much that input changes the wiring depends on how strongly the cells answer it, so a
therapy-intensity sweep is read against the evoked rate, not the input's nominal size.
For each therapy session (kind ``therapy``), from the excitatory spikes of the run:

==================================== =====================================================
``therapy_evoked_rate_hz``           driven cells' mean rate inside the pulses
``therapy_gap_rate_hz``              driven cells' mean rate between the pulses (same session)
``therapy_others_rate_hz``           the other pyramidal cells' mean rate inside the pulses
``therapy_evoked_ratio``             evoked rate over the driven cells' gap rate
==================================== =====================================================

"Driven cells" are the session's target (the first ``fraction`` of its assembly); in a
``sham`` session each pulse goes to fresh random cells, so the assembly's rate inside the
pulses is the sham's control for the consistent pattern.  The rates are spike counts
over cells x time in the exact pulse windows of the input (:func:`pulse_windows`): no
binning.  Rows sit at the session's end (``therapy_day``, ``therapy_t``) with
``therapy_session`` its index among the therapy sessions.  Pure numpy; a run
(``neuroplast.studies.run.add_therapy_readouts``) hands :func:`therapy_readouts` its
pyramidal spikes when it ends.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from neuroplast.model.therapy import TherapyConfig, pulse_windows, session_cells
from neuroplast.units import SECONDS_PER_DAY

__all__ = ["THERAPY_LOCATORS", "therapy_readouts"]

#: Arrays of the therapy read-outs that locate a session rather than measure it.
THERAPY_LOCATORS = ("therapy_t", "therapy_day")


def _count_in(spike_t: np.ndarray, windows: np.ndarray) -> int:
    """Spikes (times sorted) inside the half-open windows [a, b)."""
    if not len(windows):
        return 0
    return int(
        (
            np.searchsorted(spike_t, windows[:, 1], side="left")
            - np.searchsorted(spike_t, windows[:, 0], side="left")
        ).sum()
    )


def therapy_readouts(
    cfg: TherapyConfig,
    assemblies: Mapping[str, np.ndarray],
    time_map,
    spike_i: np.ndarray,
    spike_t: np.ndarray,
    n_exc: int,
    duration: float = np.inf,
) -> dict[str, np.ndarray]:
    """The read-outs of the module doc, one entry per therapy session (empty: no session).

    Parameters
    ----------
    cfg : TherapyConfig
        Its ``sessions`` as the run used them.
    assemblies : mapping of name -> pyramidal-cell indices
    time_map : neuroplast.model.timescale.TimeMap
        The run's map between biological and network time.
    spike_i, spike_t : numpy.ndarray
        Spikes (network s); indices below ``n_exc`` are pyramidal cells, others ignored.
    n_exc : int
    duration : float
        Network time (s) the run reached: a session that ends after it (a run stopped
        early, e.g. as invalid) is left out rather than read as silent.
    """
    sessions = [s for s in cfg.sessions if s.kind == "therapy"]
    if not sessions:
        return {}
    exc = np.asarray(spike_i) < n_exc
    cell_i, cell_t = np.asarray(spike_i)[exc], np.asarray(spike_t, dtype=float)[exc]
    order = np.argsort(cell_t, kind="stable")
    cell_i, cell_t = cell_i[order], cell_t[order]
    keys = ("evoked_rate_hz", "gap_rate_hz", "others_rate_hz", "evoked_ratio")
    out: dict[str, list[float]] = {f"therapy_{k}": [] for k in ("t", "day", "session", *keys)}
    for index, session in enumerate(sessions):
        t0, t1, pulses = pulse_windows(session, cfg, time_map.sim_at)
        if t1 > duration + 1e-9:
            continue
        windows = np.asarray(pulses, dtype=float).reshape(-1, 2)
        in_pulses = float((windows[:, 1] - windows[:, 0]).sum())
        driven = np.zeros(n_exc, dtype=bool)
        driven[session_cells(session, assemblies)] = True
        n_driven = int(driven.sum())
        n_others = n_exc - n_driven
        first, last = np.searchsorted(cell_t, (t0, t1), side="left")  # the session's spikes
        in_driven = driven[cell_i[first:last]]
        t_driven = cell_t[first:last][in_driven]
        t_others = cell_t[first:last][~in_driven]
        evoked_count = _count_in(t_driven, windows)
        evoked = evoked_count / (n_driven * in_pulses) if in_pulses > 0 else np.nan
        between = (t1 - t0) - in_pulses
        gap = (len(t_driven) - evoked_count) / (n_driven * between) if between > 0 else np.nan
        others = (
            _count_in(t_others, windows) / (n_others * in_pulses)
            if n_others and in_pulses > 0
            else np.nan
        )
        out["therapy_t"].append(t1)
        out["therapy_day"].append(float(time_map.bio_at(t1)) / SECONDS_PER_DAY)
        out["therapy_session"].append(float(index))
        out["therapy_evoked_rate_hz"].append(evoked)
        out["therapy_gap_rate_hz"].append(gap)
        out["therapy_others_rate_hz"].append(others)
        out["therapy_evoked_ratio"].append(evoked / gap if gap > 0 else np.nan)
    return {name: np.asarray(values, dtype=float) for name, values in out.items()}
