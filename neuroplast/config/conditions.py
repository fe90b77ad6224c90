"""An experiment's protocol compiled for one condition: that run's complete config.

:func:`resolve_condition` turns an :class:`~neuroplast.config.experiment.ExperimentConfig` with a
``[protocol]`` (phases, events in phase time) and ``[conditions]`` into the config of one
condition's run: the condition's ``set`` overrides applied, and stress episodes, drug
sessions, therapy sessions, snapshot days and the run length filled in biological time.
:func:`shared_clock` gives every condition the same clock windows, so that paired
conditions are sampled at the same biological times.  The protocol's schema and its
queries (session times, therapy sessions, probe days) are in :mod:`neuroplast.config.protocol`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from neuroplast.config.experiment import (
    ConfigError,
    ExperimentConfig,
    apply_overrides,
    config_from_dict,
)
from neuroplast.config.sessions import (
    applies_to,
    check_sessions,
    days_text,
    dose_sessions,
    dose_times,
    hours_text,
    probe_days,
    therapy_sessions,
)

__all__ = [
    "condition_names",
    "outside_range_lines",
    "resolve_condition",
    "resolve_conditions",
    "shared_clock",
]


def shared_clock(cfg: ExperimentConfig) -> list[dict]:
    """Clock windows of every condition's sessions (``timescale.windows``).

    Every drug session of the protocol runs at ``timescale.session_rate`` and every
    therapy session at ``therapy.session_rate`` in *all* conditions, with or without the
    drug or the input (a condition's ``set`` that moves a session moves its window for
    all): the conditions then share one clock, so their slow variables are
    sampled at the same biological times and the comparison between them is not blurred
    by clock changes (a paired design, with ``paired_conditions``).
    """
    ts = cfg.timescale
    before, after = float(ts.session_before), float(ts.session_after)
    windows = []
    protocols = _condition_protocols(cfg)
    # in protocol order, repeats dropped below (the same windows as one protocol gives)
    for t in (t for p in protocols for t in dose_times(p, acute_only=True)):
        start = max(0.0, t - before)
        windows.append(
            {
                "start": days_text(start),
                "duration": hours_text(t + after - start),
                "rate": ts.session_rate,
            }
        )
    for name, protocol in zip(condition_names(cfg), protocols, strict=True):
        for s in therapy_sessions(protocol, name):
            if s["kind"] == "therapy":
                windows.append(
                    {
                        "start": s["start"],
                        "duration": s["duration"],
                        "rate": cfg.therapy.session_rate,
                    }
                )
    unique = {(w["start"], w["duration"], w["rate"]): w for w in windows}
    return list(unique.values())


def condition_names(cfg: ExperimentConfig) -> list[str]:
    """The conditions an experiment runs: those of ``[conditions]``, else the config's own."""
    return list(cfg.conditions) or [cfg.condition]


def _sets_protocol(cfg: ExperimentConfig, condition: str) -> bool:
    """Whether the condition's ``set`` changes anything under ``protocol``."""
    spec = cfg.conditions.get(condition)
    return spec is not None and any(key.split(".")[0] == "protocol" for key in spec.set)


def _condition_data(cfg: ExperimentConfig, condition: str) -> dict:
    """The resolved config data of ``cfg`` with the condition's ``set`` overrides applied."""
    data = cfg.resolved()
    spec = cfg.conditions.get(condition)
    if spec is not None and spec.set:
        structural = data["plasticity"]["structural"]
        if spec.set.get("plasticity.structural.rule", structural["rule"]) != structural["rule"]:
            # the resolved options are the other rule's: the condition's rule starts from its
            # own defaults (and the condition's options.* keys)
            structural["options"] = {}
        overrides = [f"{key}={json.dumps(value)}" for key, value in spec.set.items()]
        try:
            data = apply_overrides(data, overrides)
        except ConfigError as err:
            raise ConfigError(_in_condition(condition, str(err), ".set")) from None
    return data


def _condition_protocols(cfg: ExperimentConfig) -> list:
    """Every condition's protocol (its ``set`` applied where it changes the protocol)."""
    protocols = []
    for name in condition_names(cfg):
        if not _sets_protocol(cfg, name):
            protocols.append(cfg.protocol)
            continue
        try:
            protocols.append(config_from_dict(_condition_data(cfg, name)).protocol)
        except ConfigError as err:  # its `set` broke the protocol: name where it is
            raise ConfigError(_in_condition(name, str(err), ".set")) from None
    return protocols


def _in_condition(name: str, message: str, where: str = "") -> str:
    """Each line of ``message`` prefixed with the condition it belongs to, unless it names one."""
    return "\n".join(
        line if line.startswith("conditions.") else f"conditions.{name}{where}: {line}"
        for line in message.splitlines()
    )


def resolve_condition(cfg: ExperimentConfig, condition: str) -> ExperimentConfig:
    """The flat config of one condition: overrides applied, the protocol compiled.

    Parameters
    ----------
    cfg : ExperimentConfig
        The experiment config (protocol, conditions).
    condition : str
        One of :func:`condition_names`.

    Returns
    -------
    ExperimentConfig
        With ``condition`` set, the condition's ``set`` overrides applied and, when there
        is a protocol, ``stress.episodes``, ``pharmacology.doses``, ``therapy.sessions``,
        ``recording.snapshots`` and ``timescale.bio_duration`` filled from it.
    """
    names = condition_names(cfg)
    if condition not in names:
        raise ConfigError(f"condition {condition!r}: expected one of {names}")
    data = _condition_data(cfg, condition)
    data["condition"] = condition
    # the condition's own protocol: its `set` may change protocol events (a dose amount)
    protocol = config_from_dict(data).protocol if _sets_protocol(cfg, condition) else cfg.protocol
    if protocol.enabled:
        total = protocol.total
        sessions = therapy_sessions(protocol, condition)
        try:
            check_sessions(sessions, total, condition)
        except ValueError as err:
            raise ConfigError(str(err)) from None
        data["stress"]["episodes"] = [
            {
                "onset": days_text(bounds_lo + float(e.start)),
                "duration": days_text(
                    (bounds_hi - bounds_lo - float(e.start))
                    if e.duration is None
                    else float(e.duration)
                ),
                "severity": e.severity,
                "kind": e.kind,
            }
            for e in protocol.stress
            if applies_to(e, condition)
            for bounds_lo, bounds_hi in [protocol.phase_bounds()[e.phase]]
        ]
        data["pharmacology"]["doses"] = dose_sessions(protocol, condition, data["pharmacology"])
        data["therapy"]["sessions"] = sessions
        data["timescale"]["enabled"] = True
        data["timescale"]["windows"] = shared_clock(cfg)
        data["timescale"]["bio_duration"] = days_text(total)
        pool = data["plasticity"]["structural"]["enabled"] or data["plasticity"]["stdp"]["enabled"]
        data["recording"]["snapshots"] = (
            [f"{d!r} day" for d in probe_days(protocol, condition)] if pool else []
        )
        data["from_protocol"] = True
    run = config_from_dict(data)
    run.check_set_point_window()
    return run


def resolve_conditions(cfg: ExperimentConfig) -> dict[str, ExperimentConfig]:
    """Every condition's run config, compiled as ``neuroplast run`` compiles it.

    The checks of a run before it starts: each condition's ``set`` overrides, its
    compiled protocol (events, sessions, titration) and the drug's validity range on
    its doses.  A run config does not depend on the seed (repeat k only changes
    ``seed``), so each condition is compiled once.  ``neuroplast validate`` runs this,
    so that it refuses every config ``neuroplast run`` refuses.

    Raises
    ------
    ConfigError
        One line naming the condition (when the config has several), the key, the
        value and what was expected.
    """
    runs = {}
    for name in condition_names(cfg):
        try:
            runs[name] = resolve_condition(cfg, name)
        except ConfigError as err:
            if not cfg.conditions:
                raise
            raise ConfigError(_in_condition(name, str(err))) from None
    return runs


def outside_range_lines(runs: Mapping[str, ExperimentConfig]) -> list[str]:
    """One line per drug of a run config whose peak leaves its validity range.

    Such a config has ``pharmacology.allow_outside_range = true`` (it is refused
    otherwise); the command line, the run's provenance and the experiment report say so
    with these lines.  ``runs``: condition name -> run config (:func:`resolve_conditions`).
    """
    several = len(runs) > 1
    return [
        f"{f'condition {name}: ' if several else ''}outside the model's validity range "
        f"(pharmacology.allow_outside_range = true): {line}"
        for name, run in runs.items()
        for line in run.pharmacology.outside_range()
    ]
