"""A protocol's events for one condition, in biological seconds.

The protocol (:mod:`neuroplast.config.protocol`) writes events relative to its phases and names
the conditions each applies to; here they become what a run needs: the dose sessions
(escalation and titration resolved), the therapy sessions, the probe days and the times
of the doses, checked so that no two sessions of one kind overlap.
:mod:`neuroplast.config.conditions` turns them into a run's config.
"""

from __future__ import annotations

from neuroplast.config.protocol import DoseEvent, Event, ProtocolConfig, blocks_nmda, format_days
from neuroplast.model.dissociation import session_dissociation
from neuroplast.model.pharmacology import (
    PharmacologyConfig,
    format_amount,
)
from neuroplast.units import SECONDS_PER_DAY

__all__ = [
    "applies_to",
    "check_sessions",
    "days_text",
    "dose_sessions",
    "dose_times",
    "hours_text",
    "probe_days",
    "therapy_sessions",
    "titrated_doses",
]


def days_text(seconds: float) -> str:
    """Biological seconds as config text in days (exact: "2.5 day")."""
    return f"{seconds / SECONDS_PER_DAY!r} day"


def hours_text(seconds: float) -> str:
    """Biological seconds as config text in hours (exact: "36.0 h")."""
    return f"{seconds / 3600.0!r} h"


def applies_to(event: Event, condition: str) -> bool:
    """Whether a protocol event applies to ``condition`` (no ``conditions``: to all)."""
    return event.conditions is None or condition in event.conditions


def _expanded_doses(protocol: ProtocolConfig, condition: str | None):
    """(biological time in s, event, session index) of every drug session, in time order.

    ``condition = None`` gives the sessions of every condition.
    """
    bounds = protocol.phase_bounds()
    sessions = []
    for event in protocol.doses:
        if condition is not None and not applies_to(event, condition):
            continue
        lo, _ = bounds[event.phase]
        for k in range(event.count):
            sessions.append((lo + float(event.start) + k * float(event.every or 0), event, k))
    return sorted(sessions, key=lambda session: session[0])


def dose_times(
    protocol: ProtocolConfig, condition: str | None = None, *, acute_only: bool = False
) -> list[float]:
    """Biological times (s) of the drug sessions; ``condition = None``: of every condition.

    Therapy ``after_dose`` is timed from the sessions of every condition, so that a
    therapy-only arm gets its sessions when the dosed arms do.  ``acute_only`` keeps the
    sessions of NMDA-blocking drugs only (the daily doses of the SSRI-like comparator
    have no acute session: no slowed clock, no therapy timed from them).
    """
    return [
        time
        for time, event, _ in _expanded_doses(protocol, condition)
        if not acute_only or blocks_nmda(event.drug)
    ]


def _dose_entry(time: float, event: DoseEvent, amount) -> dict:
    entry = {
        "drug": event.drug,
        "route": event.route,
        "start": hours_text(time),
        "dose": format_amount(amount),
    }
    if event.duration is not None:
        entry["duration"] = f"{float(event.duration) / 60.0!r} min"
    return entry


def dose_sessions(
    protocol: ProtocolConfig, condition: str | None = None, pharmacology: dict | None = None
) -> list[dict]:
    """Every drug session as a ``pharmacology.doses`` entry (absolute time), in time order.

    Parameters
    ----------
    protocol : ProtocolConfig
    condition : str, optional
        Sessions of this condition (``None``: of every condition).
    pharmacology : dict, optional
        The ``pharmacology`` section (body weight, drug overrides, interneuron preference)
        whose PK/PD the titrated sessions are decided on (:func:`titrated_doses`);
        default: the defaults.

    Returns
    -------
    list of dict
    """
    expanded = _expanded_doses(protocol, condition)
    sessions = []
    for time, event, k in expanded:
        amount = event.dose if event.titration is not None else event.amount(k)
        sessions.append(_dose_entry(time, event, amount))
    if any(event.titration is not None for _, event, _ in expanded):
        sessions = titrated_doses(protocol, expanded, sessions, pharmacology or {})
    return sessions


def titrated_doses(
    protocol: ProtocolConfig, expanded: list, sessions: list[dict], pharmacology: dict
) -> list[dict]:
    """Set the dose of every titrated session from the previous one's peak dissociation.

    Sessions are decided in time order, each on the PK of every dose before it (so a
    drug left from an earlier session counts); the rule is
    :meth:`~neuroplast.model.pharmacology.Titration.next_dose`.  Only the PK/PD enter, so
    this runs when the protocol is compiled.

    Parameters
    ----------
    protocol : ProtocolConfig
        For ``acute.dissociation``, the index parameters.
    expanded : list
        ``(time, event, k)`` of every session, in time order (:func:`_expanded_doses`).
    sessions : list of dict
        The same sessions as ``pharmacology.doses`` entries; titrated doses are replaced.
    pharmacology : dict
        The ``pharmacology`` section the PK/PD come from.

    Returns
    -------
    list of dict
        ``sessions`` with the titrated doses.
    """
    base = {key: value for key, value in pharmacology.items() if key != "doses"}
    last: dict[int, tuple] = {}  # event id -> (its previous session index, dose)
    for j, (time, event, k) in enumerate(expanded):
        if event.titration is None:
            continue
        amount = event.dose
        if k > 0:
            before, dose = last[id(event)]
            given = PharmacologyConfig.model_validate({**base, "doses": sessions[:j]})
            starts = [float(t) for t, _, _ in expanded[: j + 1]]
            peak = session_dissociation(given, starts, before, protocol.acute.dissociation).peak
            amount = event.titration.next_dose(dose, peak)
        sessions[j] = _dose_entry(time, event, amount)
        last[id(event)] = (j, amount)
    return sessions


def therapy_sessions(protocol: ProtocolConfig, condition: str) -> list[dict]:
    """Therapy and replay sessions of ``condition`` as ``therapy.sessions`` entries."""
    bounds = protocol.phase_bounds()
    every_dose = dose_times(protocol, acute_only=True)
    sessions = []
    for event in protocol.therapy:
        if not applies_to(event, condition):
            continue
        lo, _ = bounds[event.phase]
        firsts = (
            [t + float(event.after_dose) for t in every_dose]
            if event.after_dose is not None
            else [lo + float(event.start)]
        )
        starts = [t + k * float(event.every or 0) for t in firsts for k in range(event.count)]
        for start in starts:
            sessions.append(
                {
                    "start": days_text(start),
                    "duration": hours_text(float(event.duration)),
                    "assembly": event.assembly,
                    "pattern": event.pattern,
                    "competitor": event.competitor,
                    "kind": "therapy",
                }
            )
    for event in protocol.replay:
        if not applies_to(event, condition):
            continue
        lo, hi = bounds[event.phase]
        start = lo + float(event.start)
        stop = hi if event.duration is None else min(hi, start + float(event.duration))
        sessions.append(
            {
                "start": days_text(start),
                "duration": hours_text(stop - start),
                "assembly": event.assembly,
                "pattern": "pulses",
                "competitor": None,
                "kind": "replay",
            }
        )
    return sorted(sessions, key=lambda s: float(s["start"].split()[0]))


def check_sessions(sessions: list[dict], total: float, condition: str) -> None:
    """Raise a ValueError if a therapy session lies outside the protocol or two overlap."""
    spans = sorted(
        (
            float(s["start"].split()[0]) * SECONDS_PER_DAY,
            float(s["start"].split()[0]) * SECONDS_PER_DAY + float(s["duration"].split()[0]) * 3600,
        )
        for s in sessions
        if s["kind"] == "therapy"
    )
    for start, stop in spans:
        if start < 0 or stop > total + 1e-6:
            raise ValueError(
                f"condition {condition!r}: a therapy session from {format_days(start)} to "
                f"{format_days(stop)} "
                f"lies outside the protocol (0 to {format_days(total)}); check after_dose/start"
            )
    for (a0, a1), (b0, _) in zip(spans, spans[1:], strict=False):
        if b0 < a1 - 1e-6:
            raise ValueError(
                f"condition {condition!r}: therapy sessions at {format_days(a0)} and "
                f"{format_days(b0)} "
                "overlap; expected one session at a time"
            )


def probe_days(protocol: ProtocolConfig, condition: str) -> list[float]:
    """Biological days of the connectivity snapshots of ``condition``."""
    bounds = protocol.phase_bounds()
    days = set()
    if protocol.probe_phase_ends:
        days.add(0.0)
        days.update(hi / SECONDS_PER_DAY for _, hi in bounds.values())
    for event in protocol.probes:
        if applies_to(event, condition):
            lo, hi = bounds[event.phase]
            at = hi if event.at is None else lo + float(event.at)
            days.add(at / SECONDS_PER_DAY)
    return sorted(days)
