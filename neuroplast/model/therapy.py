"""Assemblies and therapy-paired learning: patterned input to named sets of pyramidal cells.

**Assemblies** are named sets of pyramidal cells (``[assemblies.adaptive]``,
``[assemblies.maladaptive]``), of a given size, drawn by the run's seed, optionally
sharing a fraction of their cells with an earlier assembly (``overlap_with``,
``overlap``).  The default network is randomly connected, so any set of cells is as good
as any other; what makes an assembly is the input it receives together.

**Therapy as input** (model docs §6 [D]): a
therapy session drives the target ("adaptive") assembly with pulses of extra external
Poisson input -- ``pulse`` long every ``period`` (200 ms at 1 Hz), each cell of the
assembly receiving extra excitatory input at ``intensity`` times the background
external rate (10-20 % of the background conductance in model docs §6; 0.15 by default),
through the same AMPA synapse as the background drive.  Pulses are timed in network
time, because that is where spikes and STDP live; the clock is slowed during a session
(``session_rate``: 1 biological hour = 60 s of network time by default, so an hour of
therapy presents 60 pulses) and the slow processes follow the biological time as
everywhere else (timescale.py).  Whether the input changes the assembly's wiring is
up to the plasticity rules: STDP (plasticity.py) acts on the correlations it creates,
and the ``hebbian`` rewiring rule (rules.py) lets co-activity choose which synapses form
and which new ones survive.  With the older rule (``weakest_first``) partners are
uniform, so only weights can carry the input.  Gallinaro & Rotter 2018 turn joint
stimulation into within-group connectivity by homeostatic rewiring alone, but their
route needs axonal as well as dendritic elements, vacancies paired across the network
and stimulation lasting many calcium time constants; the default model has none of
these (axonal elements are an option of the ``hebbian`` rule), so their result does
not apply to it; C7 checks that route with the option on.

* ``sham``: the same pulses, each to a fresh random set of pyramidal cells of the
  assembly's size: the same amount and timing of input without a consistent pattern.
* ``competitor``: another assembly driven in antiphase (half a period later) during the
  session, so the two compete for the same synapses.
* **replay** (``[[protocol.replay]]``): the same pulses to an assembly over a stretch of
  days at the running clock (e.g. a "maladaptive" assembly replayed during stress).

The input spikes are drawn once, before the run, with numpy from the run's seed, and
enter brian2 as a ``SpikeGeneratorGroup``: the same events on every backend, and no
cost outside sessions.  The assembly's size is ``[assemblies.<name>].size`` (default
80, 10 % of the 800 pyramidal cells).

{parameters}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from neuroplast.model import draws
from neuroplast.schema import Qty, Section, param, with_parameter_table

__all__ = [
    "AssemblyConfig",
    "InputSession",
    "TherapyConfig",
    "InputSpikes",
    "choose_assemblies",
    "input_spikes",
    "pulse_windows",
    "session_cells",
    "slow_windows",
    "THERAPY_ON_PRE",
]

S6 = "model docs §6 [D]"

#: One input spike onto a pyramidal cell: an external AMPA event.
THERAPY_ON_PRE = "g_ampa_post += g_ampa_ext_post"


class AssemblyConfig(Section):
    """A named set of pyramidal cells (drawn by the seed)."""

    size: int = param(80, "number of pyramidal cells", "model docs §6: 10 % of E [D]", ge=2)
    overlap_with: str | None = param(None, "an earlier assembly this one shares cells with")
    overlap: float = param(
        0.0, "fraction of this assembly's cells taken from overlap_with", ge=0, le=1
    )


class InputSession(Section):
    """One stretch of patterned input (absolute biological time; the protocol fills these)."""

    start: Qty("day", nonnegative=True) = param("0 days", "biological start")
    duration: Qty("h", positive=True) = param("1 h", "biological length")
    assembly: str = param("adaptive", "target assembly")
    pattern: Literal["pulses", "sham"] = param("pulses", "pulses, or sham (module doc)")
    competitor: str | None = param(None, "assembly driven in antiphase")
    fraction: float = param(
        1.0, "fraction of the assembly's cells driven (its first cells; recall cues)", gt=0, le=1
    )
    kind: Literal["therapy", "replay"] = param(
        "therapy", "therapy (slows the clock to session_rate) or replay (running clock)"
    )


class TherapyConfig(Section):
    """Patterned input: pulse shape, intensity, clock during sessions, and the sessions."""

    pulse: Qty("ms", positive=True) = param("200 ms", "length of one input pulse", S6)
    period: Qty("ms", positive=True) = param("1 s", "time between pulse starts", S6)
    intensity: float = param(
        0.15,
        "extra input rate to each target cell during a pulse, as a fraction of the "
        "background external rate (external.n_inputs x external.rate)",
        S6,
        ge=0,
    )
    session_rate: float = param(
        60.0,
        "biological s per network s during therapy sessions (60: 1 h = 60 pulses)",
        "[D] (model docs §7: enough network time for STDP in a session)",
        gt=0,
    )
    sessions: list[InputSession] = param(
        [], "input sessions (filled from [[protocol.therapy]] and [[protocol.replay]])"
    )


def choose_assemblies(
    assemblies: Mapping[str, AssemblyConfig], n_exc: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Draw every assembly's cells (sorted pyramidal indices), in the order they are listed.

    A cell belongs to at most one assembly unless ``overlap`` asks for sharing: an
    assembly with ``overlap_with = "A"`` takes ``round(overlap * size)`` cells of A and
    the rest from cells in no assembly yet.
    """
    chosen: dict[str, np.ndarray] = {}
    used = np.zeros(n_exc, dtype=bool)
    for name, spec in assemblies.items():
        shared = np.zeros(0, dtype=int)
        if spec.overlap_with is not None and spec.overlap > 0:
            source = chosen[spec.overlap_with]
            k = int(round(spec.overlap * spec.size))
            shared = draws.sample(rng, source, min(k, len(source)))
        free = np.flatnonzero(~used)
        need = spec.size - len(shared)
        if need > len(free):
            raise ValueError(
                f"assemblies.{name}.size = {spec.size}: only {len(free)} pyramidal cells are "
                "in no assembly yet"
            )
        cells = np.sort(np.concatenate([shared, draws.sample(rng, free, need)]))
        used[cells] = True
        chosen[name] = cells.astype(np.int32)
    return chosen


def slow_windows(cfg: TherapyConfig) -> list[tuple[float, float, float]]:
    """Biological windows (start s, stop s, rate) in which therapy slows the clock."""
    return [
        (float(s.start), float(s.start) + float(s.duration), cfg.session_rate)
        for s in cfg.sessions
        if s.kind == "therapy"
    ]


@dataclass
class InputSpikes:
    """Input spikes on channels; channel c drives pyramidal cell ``c % n_exc``."""

    channels: np.ndarray
    times: np.ndarray  # network s, on the simulation grid
    n_channels: int

    @property
    def n_spikes(self) -> int:
        """Number of input spikes."""
        return int(len(self.times))


def _pulse_train(t0: float, t1: float, pulse: float, period: float, offset: float = 0.0):
    starts = np.arange(t0 + offset, t1, period)
    return [(a, min(a + pulse, t1)) for a in starts if min(a + pulse, t1) > a]


def pulse_windows(
    session: InputSession, cfg: TherapyConfig, sim_at
) -> tuple[float, float, list[tuple[float, float]]]:
    """Network-time start and end of ``session`` and the windows of its target's pulses.

    The target's pulses start with the session and repeat every ``period`` (a competitor's
    are half a period later); the last one is cut at the session's end.  The same
    windows that :func:`input_spikes` fills with input spikes.
    """
    t0 = float(sim_at(float(session.start)))
    t1 = float(sim_at(float(session.start) + float(session.duration)))
    return t0, t1, _pulse_train(t0, t1, float(cfg.pulse), float(cfg.period))


def session_cells(session: InputSession, assemblies: Mapping[str, np.ndarray]) -> np.ndarray:
    """The cells a session's pulses drive: the first ``fraction`` of its assembly."""
    target = assemblies[session.assembly]
    return target[: max(1, int(round(session.fraction * len(target))))]


def input_spikes(
    cfg: TherapyConfig,
    assemblies: Mapping[str, np.ndarray],
    sim_at,
    background_rate: float,
    n_exc: int,
    dt: float,
    rng: np.random.Generator,
) -> InputSpikes:
    """Draw the input spikes of every session (module doc).

    Parameters
    ----------
    cfg : TherapyConfig
    assemblies : mapping of name -> cell indices
    sim_at : callable
        Biological s -> network s (the run's time map).
    background_rate : float
        Total background external rate onto one cell (Hz); a pulse adds ``intensity``
        times this to each target cell.
    n_exc : int
    dt : float
        Simulation step (s): spike times are put on its grid, and a cell's spikes that fall
        in the same step go to different channels (brian2 allows one spike per step and
        channel).
    rng : numpy Generator
    """
    rate = cfg.intensity * background_rate
    pulse, period = float(cfg.pulse), float(cfg.period)
    cells_all, times_all = [], []
    for session in cfg.sessions:
        t0, t1, pulses = pulse_windows(session, cfg, sim_at)
        groups = [(session_cells(session, assemblies), pulses)]
        if session.competitor is not None:
            competing = _pulse_train(t0, t1, pulse, period, 0.5 * period)
            groups.append((assemblies[session.competitor], competing))
        for cells, windows in groups:
            for a, b in windows:
                targets = cells
                if session.pattern == "sham":
                    targets = draws.sample(rng, n_exc, len(cells))
                counts = draws.poisson(rng, rate * (b - a), len(targets))
                cells_all.append(np.repeat(targets, counts))
                times_all.append(a + (b - a) * draws.uniform(rng, int(counts.sum())))
    cells = np.concatenate([np.zeros(0, np.int64), *cells_all])
    if not cells.size:  # no session, or intensity 0: the sessions' clock without input
        return InputSpikes(np.zeros(0, np.int32), np.zeros(0), n_exc)
    steps = np.floor(np.concatenate(times_all) / dt + 1e-9).astype(np.int64)
    order = np.lexsort((cells, steps))
    cells, steps = cells[order], steps[order]
    # copy index of each spike among the spikes of the same cell in the same step
    same = np.r_[False, (cells[1:] == cells[:-1]) & (steps[1:] == steps[:-1])]
    group_start = np.maximum.accumulate(np.where(~same, np.arange(len(same)), 0))
    copy = np.arange(len(same)) - group_start
    channels = copy * n_exc + cells
    return InputSpikes(channels.astype(np.int32), steps * dt, int(channels.max()) + 1)


__doc__ = with_parameter_table(__doc__, TherapyConfig)
