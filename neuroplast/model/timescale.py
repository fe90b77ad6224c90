"""Two clocks: biological time (hours to weeks) advanced at a time rate over network time.

Spikes, synaptic currents and STDP traces live on milliseconds of *network time* t
and are never rescaled.  Ketamine kinetics, BDNF, stress and structural plasticity
live on hours to weeks of *biological time* T.  The time rate

    r(t) = dT/dt      (biological seconds per simulated second)

is a piecewise-constant schedule: high between sessions (default 8640: one biological
day passes in 10 s of network time, model docs §7) and low around drug sessions
(default 360: one biological hour in 10 s), so that the hours after a dose get
enough network time for activity to equilibrate and for STDP to act.  Every slow
equation is written in biological time and multiplied by r(t)::

    dX/dt = r(t) * f(X) / tau_bio

and every structural-update probability uses the biological time that passed,
``r(t) * update_interval``.  Configs speak biological time ("21 days", "40 min");
outputs report it.  Inputs defined on biological time (drug concentration, stress
level) are held constant over each schedule step (``resolution`` of network time):
the quasi-static epochs of model docs §7.

The mapping is checked by tests/test_timescale.py: the same biological protocol at
two different rates gives the same slow trajectories within seed-to-seed spread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import brian2
import numpy as np

from neuroplast.schema import Qty, Section, param

__all__ = ["ClockWindow", "TimescaleConfig", "TimeMap", "build_time_map"]


S7 = "model docs §7 [D]"


class ClockWindow(Section):
    """A biological-time window run at its own time rate."""

    start: Qty("day", nonnegative=True) = param("0 days", "biological start")
    duration: Qty("h", positive=True) = param("1 h", "biological length")
    rate: float = param(360.0, "biological s per network s in the window", gt=0)


class TimescaleConfig(Section):
    """How biological time is mapped onto simulated network time."""

    enabled: bool = param(
        False,
        "run the slow (biological-time) processes; off = a plain network run of "
        "simulation.duration",
    )
    bio_duration: Qty("day", positive=True) = param(
        "7 days", "biological length of the run (when enabled); sets the network time"
    )
    rate: float = param(
        8640.0,
        "biological seconds per simulated second between sessions (1 day = 10 s)",
        S7,
        gt=0,
    )
    session_rate: float = param(
        360.0,
        "biological seconds per simulated second around drug sessions (1 h = 10 s)",
        S7,
        gt=0,
    )
    session_before: Qty("h", nonnegative=True) = param(
        "0.5 h", "biological time before each dose that already runs at session_rate"
    )
    session_after: Qty("h", nonnegative=True) = param(
        "6 h", "biological time after each dose start that runs at session_rate", S7
    )
    windows: list[ClockWindow] = param(
        [],
        "further windows with their own rate; the protocol puts every condition's sessions "
        "here, so that all conditions of an experiment share one clock",
    )
    resolution: Qty("ms", positive=True) = param(
        "10 ms", "network-time step of the schedules (time rate, concentration, stress)"
    )


@dataclass(frozen=True)
class TimeMap:
    """Piecewise-constant time rate: segment k covers biological [bio_edges[k], bio_edges[k+1]).

    Attributes
    ----------
    bio_edges : ndarray
        Segment boundaries in biological seconds (starts at 0).
    rates : ndarray
        Time rate of each segment (biological s per simulated s).
    """

    bio_edges: np.ndarray
    rates: np.ndarray

    @property
    def sim_edges(self) -> np.ndarray:
        """Segment boundaries in simulated (network) seconds."""
        return np.concatenate([[0.0], np.cumsum(np.diff(self.bio_edges) / self.rates)])

    @property
    def sim_duration(self) -> float:
        """Network time (s) needed for the whole biological span."""
        return float(self.sim_edges[-1])

    @property
    def bio_duration(self) -> float:
        """Biological span (s)."""
        return float(self.bio_edges[-1])

    def bio_at(self, sim_t: np.ndarray | float) -> np.ndarray:
        """Biological time (s) reached at network time ``sim_t`` (s)."""
        return np.interp(sim_t, self.sim_edges, self.bio_edges)

    def sim_at(self, bio_t: np.ndarray | float) -> np.ndarray:
        """Network time (s) at which biological time ``bio_t`` (s) is reached."""
        return np.interp(bio_t, self.bio_edges, self.sim_edges)

    def rate_at_sim(self, sim_t: np.ndarray | float) -> np.ndarray:
        """Time rate in force at network time ``sim_t``."""
        index = np.searchsorted(self.sim_edges, sim_t, side="right") - 1
        return self.rates[np.clip(index, 0, len(self.rates) - 1)]

    def grid(self, resolution: float) -> tuple[np.ndarray, np.ndarray]:
        """Network-time grid of step ``resolution`` and the biological time at each step's middle.

        Returns
        -------
        (sim_starts, bio_mid) : tuple of ndarray
        """
        n = int(np.ceil(self.sim_duration / resolution - 1e-9))
        starts = np.arange(n) * resolution
        return starts, self.bio_at(starts + 0.5 * resolution)

    def timed_array(
        self,
        name: str,
        values_at_bio: Callable[[np.ndarray], np.ndarray],
        resolution: float,
        unit=None,
    ) -> brian2.TimedArray:
        """A brian2 ``TimedArray`` over network time sampling a function of biological time."""
        _, bio_mid = self.grid(resolution)
        values = np.asarray(values_at_bio(bio_mid), dtype=float)
        if unit is not None:
            values = values * unit
        return brian2.TimedArray(values, dt=resolution * brian2.second, name=name)

    def rate_timed_array(self, resolution: float) -> brian2.TimedArray:
        """The time rate r(t) as a ``TimedArray`` named ``time_rate``."""
        starts, _ = self.grid(resolution)
        # the rate of the segment containing each step's middle
        values = self.rate_at_sim(starts + 0.5 * resolution)
        return brian2.TimedArray(values, dt=resolution * brian2.second, name="time_rate")


def build_time_map(
    cfg: TimescaleConfig,
    session_times: Sequence[float] = (),
    windows: Sequence[tuple[float, float, float]] = (),
) -> TimeMap:
    """Build the time map: ``cfg.rate`` everywhere except around sessions.

    Parameters
    ----------
    cfg : TimescaleConfig
    session_times : sequence of float
        Biological times (s) of drug sessions; each gets ``session_rate`` from
        ``session_before`` before to ``session_after`` after it.
    windows : sequence of (start, stop, rate)
        Further biological-time windows (s) with their own rate, e.g. therapy sessions.
        Where windows overlap, the slowest rate wins (the finest resolution asked for).
    """
    total = float(cfg.bio_duration)
    spans = [
        (
            max(0.0, t - float(cfg.session_before)),
            min(total, t + float(cfg.session_after)),
            float(cfg.session_rate),
        )
        for t in session_times
        if 0.0 <= t < total
    ]
    windows = list(windows) + [
        (float(w.start), float(w.start) + float(w.duration), w.rate) for w in cfg.windows
    ]
    spans += [
        (max(0.0, float(a)), min(total, float(b)), float(r))
        for a, b, r in windows
        if float(b) > 0.0 and float(a) < total and float(b) > float(a)
    ]
    cuts = sorted({0.0, total, *(a for a, _, _ in spans), *(b for _, b, _ in spans)})
    edges, rates = [0.0], []
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        if hi <= lo:
            continue
        mid = 0.5 * (lo + hi)
        rate = min([cfg.rate] + [r for a, b, r in spans if a <= mid < b])
        if rates and rates[-1] == rate:
            edges[-1] = hi
        else:
            edges.append(hi)
            rates.append(rate)
    return TimeMap(bio_edges=np.asarray(edges), rates=np.asarray(rates, dtype=float))
