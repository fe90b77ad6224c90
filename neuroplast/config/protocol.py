"""Protocols in biological time, and the conditions that vary them.

A protocol is a list of **phases** (any names, any number; each a biological duration)
and **events** placed on them:

* ``[[protocol.stress]]``: a stress level over a phase or part of it (chronic or acute);
* ``[[protocol.doses]]``: drug sessions (drug, route, dose, infusion time), optionally
  repeated (``every``, ``count``) or escalated (``step``, ``cap``: session k gives
  ``min(dose + k step, cap)``), or titrated (``[protocol.doses.titration]``: each
  session's dose set from the previous session's dissociation read-out, see
  :class:`~neuroplast.model.pharmacology.Titration`); the keys are those of a direct
  dose (:class:`~neuroplast.model.pharmacology.Dose`), timed from the phase's start;
* ``[[protocol.therapy]]``: therapy sessions -- patterned extra drive to a named assembly
  (:mod:`neuroplast.model.therapy`) -- at a time in a phase or relative to each dose
  (``after_dose``: "0 h" pairs therapy with the dosing session, "1 day" puts it in the
  post-dose window; model docs §10b "When to do therapy");
* ``[[protocol.replay]]``: replay of an assembly (e.g. a "maladaptive" one during stress),
  the same input without slowing the clock;
* ``[[protocol.probes]]``: times at which the E->E connectivity is stored (snapshots) for
  the connectivity and recall read-outs.

Every event has ``conditions``: the names of the conditions it belongs to (all when
omitted).  A condition is a name under ``[conditions]`` with an optional description and
parameter overrides (``set = {"pharmacology.mechanism" = "direct"}``); conditions differ
only in which events they get and in those overrides (model docs §6).
:func:`compile_protocol` turns the protocol and one condition into the flat sections
the mechanisms read: ``stress.episodes``, ``pharmacology.doses``, ``therapy.sessions``,
``recording.snapshots`` and ``timescale.bio_duration``.

Times inside a phase are counted from the phase's start (``start = "2 days"``).
Validation, before anything runs: unknown phases, assemblies or conditions, events
outside their phase or the protocol, overlapping stress episodes, overlapping infusions
that one line cannot deliver (pharmacology/section.py), therapy sessions relative to a dose when
the protocol has no dose, and sessions that overlap each other.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from neuroplast.model.dissociation import DissociationConfig
from neuroplast.model.pharmacology import DRUGS, Dose, Titration
from neuroplast.model.pharmacology.doses import MAX_SESSIONS
from neuroplast.schema import Qty, Section, param
from neuroplast.units import SECONDS_PER_DAY, format_quantity

__all__ = [
    "Phase",
    "StressEvent",
    "DoseEvent",
    "TitrationConfig",
    "TherapyEvent",
    "ReplayEvent",
    "ProbeEvent",
    "ProtocolConfig",
    "ConditionConfig",
    "Event",
    "AcuteConfig",
    "blocks_nmda",
    "format_days",
]


def _days(q) -> str:
    return format_quantity(q, "day")


def format_days(seconds: float) -> str:
    """Biological seconds as text in days ("2.5 days")."""
    return f"{seconds / SECONDS_PER_DAY:g} days"


#: Longest phase: about 270 years.  Far longer, a day no longer adds to the protocol's
#: time in double precision (5.6e16 days: the next phase became 0 days long).
MAX_PHASE = "100000 days"


class Phase(Section):
    """A named stretch of biological time."""

    name: str = param("baseline", "phase name (used by events and figures)")
    duration: Qty("day", positive=True, at_most=MAX_PHASE) = param(
        "7 days", "biological length of the phase (at most 1e5 days)"
    )


class Event(Section):
    """Common fields: where the event sits and which conditions get it."""

    phase: str = param("baseline", "phase the event belongs to")
    conditions: list[str] | None = param(None, "conditions that get this event (all when omitted)")


class StressEvent(Event):
    """A stress episode inside a phase (``start``/``duration`` default to the whole phase)."""

    start: Qty("day", nonnegative=True) = param("0 days", "start, from the phase start")
    duration: Qty("day", positive=True) | None = param(
        None, "length (default: to the end of the phase)"
    )
    severity: float = param(1.0, "stress level (0 none, 1 full chronic)", runtime=True, ge=0, le=1)
    kind: Literal["chronic", "acute"] = param("chronic", "label: chronic or acute")


class DoseEvent(Dose, Event):
    """A drug session of the protocol, placed on a phase and given to some conditions.

    Its dose keys are those of :class:`~neuroplast.model.pharmacology.Dose` (drug, route,
    start, dose, duration, count, every, step, cap, titration), with ``start`` counted
    from the start of the phase.
    """


#: Old name of :class:`~neuroplast.model.pharmacology.Titration`, kept for one release.
TitrationConfig = Titration


class TherapyEvent(Event):
    """Therapy sessions: patterned drive to an assembly, with STDP (model docs §6)."""

    start: Qty("h", nonnegative=True) | None = param(
        None, "time of the (first) session from the phase start (or use after_dose)"
    )
    after_dose: Qty("h") | None = param(
        None,
        "time of a session after the start of every dose of the protocol ('0 h': during "
        "the dosing session; '1 day': in the post-dose window)",
        "model docs §10b (Dore 2019 vs Wilkinson 2021)",
    )
    duration: Qty("h", positive=True) = param("1 h", "session length", "model docs §6")
    count: int = param(1, "sessions (after start, or after each dose)", ge=1, le=MAX_SESSIONS)
    every: Qty("h", positive=True) | None = param(None, "time between sessions (count > 1)")
    assembly: str = param("adaptive", "target assembly")
    pattern: Literal["pulses", "sham"] = param(
        "pulses",
        "'pulses': the assembly is driven in pulses; 'sham': the same pulses, each to a "
        "fresh random set of pyramidal cells of the same size (same input, no pattern)",
    )
    competitor: str | None = param(
        None, "an assembly driven in antiphase during the session (competition)"
    )

    @model_validator(mode="after")
    def _when(self) -> TherapyEvent:
        if (self.start is None) == (self.after_dose is None):
            raise ValueError("expected exactly one of 'start' and 'after_dose'")
        if self.count > 1 and self.every is None:
            raise ValueError(f"count = {self.count}: expected 'every' (time between sessions)")
        if self.competitor is not None and self.competitor == self.assembly:
            raise ValueError(f"competitor = {self.competitor!r}: expected another assembly")
        return self


class ReplayEvent(Event):
    """Replay of an assembly (patterned drive, no slowing of the clock), e.g. during stress."""

    start: Qty("day", nonnegative=True) = param("0 days", "start, from the phase start")
    duration: Qty("day", positive=True) | None = param(
        None, "length (default: to the end of the phase)"
    )
    assembly: str = param("maladaptive", "replayed assembly")


class ProbeEvent(Event):
    """A connectivity snapshot (and recall probe) at a time in a phase (default: its end)."""

    at: Qty("day", nonnegative=True) | None = param(
        None, "time from the phase start (default: the end of the phase)"
    )


class ConditionConfig(Section):
    """One condition: a name, a description and parameter overrides."""

    description: str = param("", "what this condition is")
    set: dict[str, str | float | int | bool] = param(
        {}, "parameter overrides, dotted path -> value (as --set)"
    )


class AcuteConfig(Section):
    """Acute read-outs around every drug session of a run (``[protocol.acute]``).

    Each session of an NMDA-blocking drug gets a window of biological time from
    ``before`` the dose to ``after`` it, cut into sub-windows of ``window``; each
    sub-window gets :func:`neuroplast.analysis.acute.acute_readouts` of the population rates (over
    the network time it spans), the mean NMDA occupancy per cell type and concentration
    from the schedules, and the mean
    :func:`~neuroplast.model.dissociation.dissociation_index`.  Keep the window inside the
    slow session clock (``timescale.session_before`` / ``session_after``): outside it half
    an hour is ~0.2 s of network time, too short for a spectrum (``min_network_time``).
    """

    enabled: bool = param(True, "compute the acute read-outs of every drug session")
    before: Qty("h", nonnegative=True) = param(
        "0.5 h",
        "biological time before each dose analysed as the pre-dose reference (at most "
        "timescale.session_before, 0.5 h by default, to run on the session clock)",
    )
    after: Qty("h", positive=True) = param(
        "6 h",
        "biological time after each dose start that is analysed (timescale.session_after "
        "is 6 h by default); covers the clinical ratings up to 230 min",
        "Zarate 2006 [M]; Luckenbaugh et al 2014",
    )
    window: Qty("min", positive=True) = param(
        "30 min", "sub-window of biological time with one set of read-outs"
    )
    segment: Qty("s", positive=True) = param(
        "0.5 s",
        "Welch segment of network time (frequency resolution 1/segment = 2 Hz)",
        "Welch 1967",
    )
    min_network_time: Qty("s", positive=True) = param(
        "1 s",
        "sub-windows spanning less network time are skipped (a spectrum needs several segments)",
        "[D] numerical",
    )
    conductance_sampling: Qty("ms", positive=True) | None = param(
        "2 ms",
        "network-time step at which the pyramidal cells' summed AMPA + NMDA and GABA_A "
        "conductances are recorded for the E/I conductance ratio (omit: no ratio)",
        "Gerhard et al 2020 JCI (sEPSC up, sIPSC down in mPFC L5 at 1 µM) [D] proxy",
    )
    dissociation: DissociationConfig = Field(default_factory=DissociationConfig)


class ProtocolConfig(Section):
    """Phases and the events on them (module doc)."""

    phases: list[Phase] = param([], "phases in order (none: no protocol)")
    stress: list[StressEvent] = param([], "stress episodes")
    doses: list[DoseEvent] = param([], "drug sessions")
    therapy: list[TherapyEvent] = param([], "therapy sessions")
    replay: list[ReplayEvent] = param([], "assembly replay")
    probes: list[ProbeEvent] = param([], "connectivity snapshots / recall probes")
    probe_phase_ends: bool = param(
        True, "also probe at the end of every phase (and at the start of the protocol)"
    )
    acute: AcuteConfig = Field(
        default_factory=AcuteConfig,
        description="acute read-outs (rates, gamma, E/I conductance ratio, NMDA occupancy, "
        "dissociation index) in windows of biological time around every session of an "
        "NMDA-blocking drug (acute.py)",
    )

    @field_validator("phases")
    @classmethod
    def _unique_phases(cls, phases: list[Phase]) -> list[Phase]:
        names = [p.name for p in phases]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"phase names {twice}: expected each name once")
        return phases

    # ------------------------------------------------------------------ geometry
    @property
    def enabled(self) -> bool:
        """Whether there is a protocol (any phase)."""
        return bool(self.phases)

    def phase_bounds(self) -> dict[str, tuple[float, float]]:
        """Start and end (biological s) of every phase."""
        bounds, cursor = {}, 0.0
        for phase in self.phases:
            end = cursor + float(phase.duration)
            bounds[phase.name] = (cursor, end)
            cursor = end
        return bounds

    @property
    def total(self) -> float:
        """Biological length (s)."""
        return sum(float(p.duration) for p in self.phases)

    @model_validator(mode="after")
    def _check_events(self) -> ProtocolConfig:
        if not self.phases:
            events = self.stress or self.doses or self.therapy or self.replay or self.probes
            if events:
                raise ValueError("events without phases: expected protocol.phases")
            return self
        bounds = self.phase_bounds()
        for kind in ("stress", "doses", "therapy", "replay", "probes"):
            for k, event in enumerate(getattr(self, kind)):
                if event.phase not in bounds:
                    raise ValueError(
                        f"{kind}[{k}].phase = {event.phase!r}: expected one of the "
                        f"protocol.phases {list(bounds)}"
                    )
        for k, event in enumerate(self.stress):
            lo, hi = bounds[event.phase]
            start = lo + float(event.start)
            stop = hi if event.duration is None else start + float(event.duration)
            if start >= hi or stop > hi + 1e-6:
                raise ValueError(
                    f"stress[{k}]: start '{_days(event.start)}' and duration run past the end of "
                    f"phase {event.phase!r} ({format_days(hi - lo)} long)"
                )
        for k, event in enumerate(self.doses):
            lo, hi = bounds[event.phase]
            last = lo + float(event.start) + (event.count - 1) * float(event.every or 0)
            if last >= hi:
                raise ValueError(
                    f"doses[{k}]: session {event.count} at {format_days(last - lo)} into "
                    f"phase {event.phase!r} falls outside it ({format_days(hi - lo)} long)"
                )
            end = last + float(event.duration or 0)
            if end > self.total + 1e-6:  # the run stops there: the rest would be cut off
                raise ValueError(
                    f"doses[{k}].duration = '{format_quantity(event.duration, 'min')}': session "
                    f"{event.count} ends at {format_days(end)}, after the end of the protocol "
                    f"({format_days(self.total)}); expected it to end within the protocol"
                )
        acute = [event for event in self.doses if blocks_nmda(event.drug)]
        for k, event in enumerate(self.therapy):
            if event.after_dose is not None and not acute:
                raise ValueError(
                    f"therapy[{k}].after_dose: protocol.doses has no dose to time it from "
                    "(a dose of an NMDA-blocking drug); use start"
                )
        self._check_therapy_inside(acute, bounds)
        for k, event in enumerate(self.replay):
            lo, hi = bounds[event.phase]
            if lo + float(event.start) >= hi:
                raise ValueError(f"replay[{k}].start: outside phase {event.phase!r}")
        for k, event in enumerate(self.probes):
            lo, hi = bounds[event.phase]
            if event.at is not None and float(event.at) > hi - lo + 1e-6:
                raise ValueError(
                    f"probes[{k}].at = '{_days(event.at)}': phase {event.phase!r} is only "
                    f"{format_days(hi - lo)} long"
                )
        return self

    def _check_therapy_inside(self, acute: list[DoseEvent], bounds: dict) -> None:
        """Every therapy session of every event lies inside the protocol.

        Sessions after a dose follow the doses of every condition (sessions.py), so this
        holds for every condition; checked here, the error names the event.
        """
        doses = [
            bounds[dose.phase][0] + float(dose.start) + j * float(dose.every or 0)
            for dose in acute
            for j in range(dose.count)
        ]
        for k, event in enumerate(self.therapy):
            if event.after_dose is not None:
                firsts = [t + float(event.after_dose) for t in doses]
                when = (
                    f"after_dose = '{format_quantity(event.after_dose, 'h')}' after each of "
                    f"the {len(doses)} session(s) of protocol.doses"
                )
            else:
                firsts = [bounds[event.phase][0] + float(event.start)]
                when = f"start = '{format_quantity(event.start, 'h')}'"
            first = min(firsts)
            last = max(firsts) + (event.count - 1) * float(event.every or 0) + float(event.duration)
            if first < 0 or last > self.total + 1e-6:
                raise ValueError(
                    f"therapy[{k}]: {when}, duration = '{format_quantity(event.duration, 'h')}'"
                    f", count = {event.count}: sessions from {format_days(first)} to "
                    f"{format_days(last)}, expected inside the protocol (0 to "
                    f"{format_days(self.total)})"
                )


def blocks_nmda(drug: str) -> bool:
    """Whether ``drug`` (a drug table name, as a validated dose holds it) blocks NMDA.

    The sessions of such a drug are acute sessions.
    """
    return DRUGS[drug].blocks_nmda
