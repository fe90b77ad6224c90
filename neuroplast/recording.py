"""What one run recorded, as plain numpy arrays (the hand-off between simulation and analysis)."""

from __future__ import annotations

from dataclasses import dataclass, field

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
