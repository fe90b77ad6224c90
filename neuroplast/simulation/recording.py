"""What one run recorded, as plain numpy arrays (the hand-off between simulation and analysis)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Recording"]


@dataclass
class Recording:
    """Everything recorded in one run, as numpy arrays in SI units (s, Hz, V, S)."""

    n_exc: int
    n_inh: int
    duration: float
    dt: float
    spike_i: np.ndarray
    spike_t: np.ndarray
    rate_t: np.ndarray
    rate_exc: np.ndarray
    rate_inh: np.ndarray
    trace_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    traced: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    traces: dict[str, np.ndarray] = field(default_factory=dict)
    n_synapses: dict[str, int] = field(default_factory=dict)
    wall_time: dict[str, float] = field(default_factory=dict)
    #: slow mechanisms: ``t`` (network s), ``bio_days``, then per-pyramidal-cell arrays
    #: (cells x samples) such as ``bdnf``, ``n_alive``, ``formed``, ``eliminated``; with
    #: ``pharmacology.trapping`` also ``occupancy_exc`` / ``occupancy_inh`` (samples), the
    #: simulated NMDA block averaged over each population
    slow: dict[str, np.ndarray] = field(default_factory=dict)
    #: schedules on their grid: ``t``, ``bio_days``, ``time_rate``, ``stress_level``,
    #: ``concentration_uM``, ``occupancy_exc``, ``occupancy_inh``
    schedules: dict[str, np.ndarray] = field(default_factory=dict)
    #: final E->E candidate pool: ``i``, ``j``, ``w``, ``alive``, ``birth_day``
    ee_pool: dict[str, np.ndarray] = field(default_factory=dict)
    #: live E->E synapses at requested biological days: {"day_7": {i, j, w, birth_day}}
    snapshots: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    #: named assemblies: pyramidal-cell indices (therapy.py)
    assemblies: dict[str, np.ndarray] = field(default_factory=dict)
    #: in memory only, for the analyses that follow the run (not stored in data.h5): the
    #: run's time map (biological <-> network time, model/timescale.py) ...
    time_map: Any = None
    #: ... and, when ``[protocol.acute]`` samples them, the pyramidal cells' mean
    #: excitatory and inhibitory conductances: (t in network s, g_exc in S, g_inh in S)
    conductances: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    #: ... and, in a run with therapy sessions that records no spikes, the pyramidal
    #: cells' spikes (i, t in network s) for the therapy read-outs (analysis/evoked.py)
    exc_spikes: tuple[np.ndarray, np.ndarray] | None = None
    #: the validity verdict (simulation/validity.py: ``status`` "valid" or "invalid",
    #: ``reason``, ``check``, ...); empty when ``validity.enabled`` is false
    validity: dict[str, Any] = field(default_factory=dict)
