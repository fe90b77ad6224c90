"""Typed experiment configuration: TOML in, validated pydantic models out.

A config is a TOML file whose tables mirror the classes below (``[network]``,
``[neurons.exc]``, ``[receptors.nmda]`` ...).  Every parameter has a default, a unit,
a one-line description and, for biological values, its source; ``neuroplast params``
prints them all.  Physical values are written as text with units (``"100 ms"``) and
parsed by :mod:`neuroplast.units` (never ``eval``), then checked for the dimension
the field expects.

Any field can be overridden by its dotted path, ``--set receptors.nmda.tau_decay="80 ms"``.
Errors name the dotted path, the offending value and what was expected, and suggest
the nearest key when a name is misspelt.
"""

from __future__ import annotations

import codecs
import json
import math
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from brian2.units import second
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from neuroplast import paths
from neuroplast.config.protocol import ConditionConfig, ProtocolConfig
from neuroplast.config.sessions import dose_times
from neuroplast.config.validity import ValidityConfig
from neuroplast.model.bdnf import BDNFConfig
from neuroplast.model.neurons import NeuronsConfig
from neuroplast.model.pharmacology import PharmacologyConfig, acute_doses
from neuroplast.model.plasticity import PlasticityConfig
from neuroplast.model.receptors import ReceptorsConfig
from neuroplast.model.setpoint import SetPointConfig
from neuroplast.model.stress import StressConfig
from neuroplast.model.synapses import ExternalConfig, SynapsesConfig
from neuroplast.model.therapy import AssemblyConfig, TherapyConfig, slow_windows
from neuroplast.model.timescale import TimescaleConfig, build_time_map
from neuroplast.schema import BRUNEL_WANG, ConfigError, Qty, Section, param
from neuroplast.units import SECONDS_PER_DAY, format_quantity

__all__ = [
    "ConfigError",
    "ExperimentConfig",
    "load_config",
    "config_from_dict",
    "apply_overrides",
    "Qty",
]


BW = BRUNEL_WANG


# --------------------------------------------------------------------------- sections


class SimulationConfig(Section):
    """How the network is simulated."""

    backend: Literal["cython", "numpy", "cpp_standalone"] = param(
        "cython",
        "brian2 code generation: runtime 'cython' (fast after a one-off compile), runtime "
        "'numpy' (no compiler, slower) or 'cpp_standalone' (one C++ program; fastest for "
        "long runs)",
    )
    dt: Qty("ms", at_least="0.001 ms", at_most="1 ms") = param(
        "0.1 ms", "integration time step (1 us to 1 ms)", BW
    )
    duration: Qty("s", positive=True) = param("10 s", "simulated network time")
    method: Literal["euler", "rk2", "rk4"] = param(
        "euler", "numerical integration method for the neuron equations"
    )
    standalone_dir: str | None = param(
        None,
        "folder of the reusable cpp_standalone project slots slot-0, slot-1, ... (a run locks "
        "one and rebuilds only what changed; default: $TMPDIR/neuroplast-standalone-$USER)",
    )


class NetworkConfig(Section):
    """Population sizes and random connectivity."""

    n_exc: int = param(800, "number of excitatory (pyramidal) neurons", BW, gt=0, le=10**7)
    n_inh: int = param(200, "number of inhibitory (fast-spiking) interneurons", BW, gt=0, le=10**7)
    p_connect: float = param(
        0.2,
        "connection probability of every recurrent projection (EE, EI, IE, II); no autapses",
        "model docs §1.2 sparse variant [D]",
        gt=0,
        le=1,
    )
    scale_conductances: bool = param(
        True,
        "scale per-synapse recurrent conductances by n_ref/(p_connect*n_pre), so the mean "
        "recurrent input equals that of the all-to-all reference network of n_ref cells",
        "model docs §1.2 [D]",
    )
    n_ref_exc: int = param(800, "size of the excitatory reference network for scaling", BW, gt=0)
    n_ref_inh: int = param(200, "size of the inhibitory reference network for scaling", BW, gt=0)


class RecordingConfig(Section):
    """What is recorded during a run and how measures are binned."""

    spikes: bool = param(True, "record every spike (needed for rasters, CV and rates)")
    rate_bin: Qty("ms", positive=True) = param(
        "1 ms", "bin of the stored population rate (a multiple of dt)"
    )
    n_traced: int = param(2, "neurons per population whose V and conductances are traced", ge=0)
    trace_dt: Qty("ms", positive=True) = param("0.5 ms", "sampling interval of traced variables")
    measure_window: Qty("s", positive=True) = param(
        "1 s", "window over which the time series in measures.csv are computed"
    )
    transient: Qty("s", nonnegative=True) = param(
        "0.5 s", "initial time excluded from summary measures (rates, CV)"
    )
    snapshots: list[Qty("day", nonnegative=True)] = param(
        [],
        "biological times at which every live E->E synapse (pre, post, weight, birth day) "
        "is stored in data.h5, at the rewiring step nearest each (all backends; the final "
        "pool is always stored)",
    )
    slow_interval: Qty("s", positive=True) = param(
        "1 s",
        "network-time interval at which BDNF, synapse counts and weights of every pyramidal "
        "cell are recorded (when the slow mechanisms run)",
    )


class OutputConfig(Section):
    """What is written to the run directory."""

    figures: bool = param(True, "draw the raster and rate figures (PNG)")
    raster_window: Qty("s", positive=True) = param(
        "2 s", "length of the time window shown in the raster plot (last part of the run)"
    )
    graph_metrics: bool = param(
        True,
        "experiments: networkx graph metrics of every snapshot (reciprocity, clustering, "
        "modularity; ~2 s per snapshot at 800 E cells)",
    )
    small_world: bool = param(
        False,
        "experiments: also the small-world index sigma (costly: a degree-preserving random "
        "reference per snapshot, ~5 s at 800 E cells)",
        "Humphries & Gurney 2008",
    )


class RecallConfig(Section):
    """The recall probe (run after each run on its snapshots)."""

    enabled: bool = param(True, "probe recall at every snapshot of an experiment run")
    cue_fraction: float = param(0.5, "fraction of the assembly cued", gt=0, lt=1)
    settle: Qty("s", positive=True) = param("1 s", "spontaneous activity before the cue")
    pulses: int = param(5, "cue pulses (therapy pulse shape and intensity)", ge=1)
    quiet: Qty("s", nonnegative=True) = param(
        "2 s", "spontaneous activity after the cues, for the co-activity read-out (0: none)"
    )
    intensity: float = param(
        1.0,
        "extra input to each cued cell during a pulse, as a fraction of the background "
        "external rate (therapy.intensity is the teaching signal's)",
        "[D] (module doc: a therapy pulse is too weak to read recall against noise)",
        gt=0,
    )
    trials: int = param(
        1,
        "independent probes per snapshot and assembly (noise seeds); read-outs are their "
        "means, and with 2 or more the index's standard error is reported",
        ge=1,
    )


# --------------------------------------------------------------------------- top level


class ExperimentConfig(Section):
    """A complete neuroplast experiment configuration."""

    name: str = param("default", "name of the experiment; used in output folder names")
    description: str = param("", "free text describing the experiment")
    seed: int | None = param(
        None, "root random seed (drawn and recorded when absent)", ge=0, lt=2**63
    )
    condition: str = param("baseline", "name of the condition this run represents")
    simulation: SimulationConfig = Field(default_factory=SimulationConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    neurons: NeuronsConfig = Field(default_factory=NeuronsConfig)
    receptors: ReceptorsConfig = Field(default_factory=ReceptorsConfig)
    synapses: SynapsesConfig = Field(default_factory=SynapsesConfig)
    external: ExternalConfig = Field(default_factory=ExternalConfig)
    timescale: TimescaleConfig = Field(default_factory=TimescaleConfig)
    set_point: SetPointConfig = Field(default_factory=SetPointConfig)
    pharmacology: PharmacologyConfig = Field(default_factory=PharmacologyConfig)
    stress: StressConfig = Field(default_factory=StressConfig)
    bdnf: BDNFConfig = Field(default_factory=BDNFConfig)
    plasticity: PlasticityConfig = Field(default_factory=PlasticityConfig)
    recording: RecordingConfig = Field(default_factory=RecordingConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    validity: ValidityConfig = Field(default_factory=ValidityConfig)
    assemblies: dict[str, AssemblyConfig] = param(
        {}, "named sets of pyramidal cells ([assemblies.NAME]; therapy.py)"
    )
    therapy: TherapyConfig = Field(default_factory=TherapyConfig)
    recall: RecallConfig = Field(default_factory=RecallConfig)
    protocol: ProtocolConfig = Field(default_factory=ProtocolConfig)
    conditions: dict[str, ConditionConfig] = param(
        {}, "named variations of the protocol ([conditions.NAME]; protocol.py)"
    )
    repeats: int = param(
        1, "seeds (repeats) per condition; repeat k runs with root seed seed + k", ge=1
    )
    paired_conditions: bool = param(
        True,
        "conditions of a repeat share the network and noise seeds (common random numbers: "
        "runs differ only after their schedules do, and comparisons are paired by seed)",
    )
    comparisons: list[tuple[str, str]] = param(
        [],
        "pairs [a, b] of conditions the report compares (difference b - a, with CIs); "
        "empty: control against every other condition, and ketamine and therapy each "
        "against ketamine_therapy",
    )
    from_protocol: bool = param(
        False,
        "set by the protocol compiler (protocol.py): stress, doses, therapy sessions and "
        "snapshots of this run were filled from [protocol] for its condition",
    )

    @field_validator("comparisons", mode="before")
    @classmethod
    def _pairs_as_tuples(cls, value: Any) -> Any:
        """A TOML array ``["a", "b"]`` (a list) is the pair (the schema is strict)."""
        if not isinstance(value, list):
            return value
        for k, pair in enumerate(value):
            if not (isinstance(pair, list | tuple) and [type(n) for n in pair] == [str, str]):
                raise ValueError(
                    f"element {k} is {pair!r}: expected pairs [a, b] of condition names"
                )
        return [tuple(pair) for pair in value]

    @model_validator(mode="after")
    def _check_assemblies_and_protocol(self) -> ExperimentConfig:
        names = list(self.assemblies)
        for k, (name, spec) in enumerate(self.assemblies.items()):
            if spec.overlap_with is not None and spec.overlap_with not in names[:k]:
                raise ValueError(
                    f"assemblies.{name}.overlap_with = {spec.overlap_with!r}: expected an "
                    f"assembly listed before it ({names[:k] or 'none'})"
                )
        need = sum(
            spec.size - (round(spec.overlap * spec.size) if spec.overlap_with else 0)
            for spec in self.assemblies.values()
        )
        if need > self.network.n_exc:
            sizes = ", ".join(f"assemblies.{n}.size = {a.size}" for n, a in self.assemblies.items())
            raise ValueError(
                f"{sizes}: {need} distinct pyramidal cells needed, expected at most the "
                f"network's network.n_exc = {self.network.n_exc}"
            )
        used = [
            (f"{where}[{k}].{key}", getattr(event, key))
            for where, events in (
                ("therapy.sessions", self.therapy.sessions),
                ("protocol.therapy", self.protocol.therapy),
                ("protocol.replay", self.protocol.replay),
            )
            for k, event in enumerate(events)
            for key in ("assembly", "competitor")
            if getattr(event, key, None) is not None
        ]
        for where, name in used:
            if name not in self.assemblies:
                raise ValueError(
                    f"{where} = {name!r}: expected the name of an assembly, one of "
                    f"{names or '(none defined: add [assemblies.' + name + '])'}"
                )
        if self.therapy.sessions and not self.timescale.enabled:
            raise ValueError(
                "therapy.sessions need the biological clock: set timescale.enabled = true"
            )
        for k, pair in enumerate(self.comparisons):
            for name in pair:
                if name not in self.conditions:
                    raise ValueError(
                        f"comparisons[{k}] = {list(pair)}: names {name!r}, expected one of "
                        f"the conditions {sorted(self.conditions) or '(none defined)'}"
                    )
            if pair[0] == pair[1]:
                raise ValueError(
                    f"comparisons[{k}] = {list(pair)}: expected two different conditions"
                )
        if self.protocol.enabled:
            direct = [
                key
                for key, given in (
                    ("stress.episodes", self.stress.episodes),
                    ("pharmacology.doses", self.pharmacology.doses),
                    ("therapy.sessions", self.therapy.sessions),
                )
                if given
            ]
            if direct and not self.from_protocol:
                raise ValueError(
                    f"{', '.join(direct)} given together with [protocol]: expected the events "
                    "in the protocol ([[protocol.stress]], [[protocol.doses]], "
                    "[[protocol.therapy]]) so that conditions can vary them"
                )
            known = set(self.conditions)
            for kind in ("stress", "doses", "therapy", "replay", "probes"):
                for k, event in enumerate(getattr(self.protocol, kind)):
                    for name in event.conditions or []:
                        if name not in known:
                            raise ValueError(
                                f"protocol.{kind}[{k}].conditions names {name!r}: expected "
                                f"one of the conditions {sorted(known) or '(none defined)'}"
                            )
        return self

    @model_validator(mode="after")
    def _check_consistency(self) -> ExperimentConfig:
        dt = self.simulation.dt
        self._check_delay_and_refractory()
        _check_time_constants(self)
        _check_sizes(self)
        _check_run_length(self)
        if self.repeats > MAX_REPEATS:
            raise ValueError(
                f"repeats = {self.repeats}: expected at most {MAX_REPEATS} ({work_estimate(self)}"
                "; split a larger study into several experiments)"
            )
        for name in ("rate_bin", "trace_dt"):
            value = getattr(self.recording, name)
            if value < dt:
                raise ValueError(
                    f"recording.{name} = '{format_quantity(value, 'ms')}': expected at least "
                    f"simulation.dt ({format_quantity(dt, 'ms')})"
                )
        plastic = [
            name
            for name in ("structural", "stdp", "istdp")
            if getattr(self.plasticity, name).enabled
        ]
        if self.recording.snapshots:
            if not self.plasticity.structural.enabled and not self.plasticity.stdp.enabled:
                raise ValueError(
                    "recording.snapshots: there is no E->E pool to store without "
                    "plasticity.structural or plasticity.stdp enabled"
                )
            late = [d for d in self.recording.snapshots if d > self.timescale.bio_duration]
            if late:
                raise ValueError(
                    f"recording.snapshots: '{format_quantity(late[0], 'day')}' is after the "
                    f"end of the run (timescale.bio_duration = "
                    f"'{format_quantity(self.timescale.bio_duration, 'day')}')"
                )
        if self.pharmacology.schedule() and not self.timescale.enabled:
            raise ValueError(
                "pharmacology doses need timescale.enabled = true (drug kinetics run on "
                "biological time)"
            )
        if self.set_point.settle >= self.set_point.window:
            raise ValueError(
                f"set_point.settle = '{format_quantity(self.set_point.settle, 's')}': expected "
                f"less than set_point.window ('{format_quantity(self.set_point.window, 's')}')"
            )
        sampled_from = self.set_point.settle + 3 * self.bdnf.surge_smoothing
        fluctuations = self.bdnf.release_threshold_from == "fluctuations"
        if fluctuations and sampled_from >= self.set_point.window:
            raise ValueError(
                f"bdnf.release_threshold_from = 'fluctuations' samples the population firing "
                f"from set_point.settle + 3 x bdnf.surge_smoothing "
                f"('{format_quantity(sampled_from, 's')}') to the end of the set-point window: "
                f"expected set_point.window > '{format_quantity(sampled_from, 's')}', got "
                f"'{format_quantity(self.set_point.window, 's')}'"
            )
        if plastic and not (self.timescale.enabled or self.protocol.enabled):
            raise ValueError(
                f"plasticity.{plastic[0]}.enabled = true needs timescale.enabled = true "
                "(plasticity runs on biological time)"
            )
        if self.plasticity.structural.enabled:
            interval = self.plasticity.structural.update_interval
            fastest, rate_key = max(
                (self.timescale.rate, "timescale.rate"),
                (self.timescale.session_rate, "timescale.session_rate"),
            )
            tau_calcium = self.plasticity.structural.tau_calcium
            tau_network = float(tau_calcium) / fastest
            if float(interval) > tau_network / 10 * (1 + 1e-9):
                raise ValueError(
                    f"plasticity.structural.update_interval = "
                    f"'{format_quantity(interval, 'ms')}': expected at most tau_calcium/10 "
                    f"in network time at the fastest time rate ({tau_network / 10 * 1000:g} "
                    f"ms: plasticity.structural.tau_calcium = "
                    f"'{format_quantity(tau_calcium, 'day')}' at {rate_key} = {fastest:g}); "
                    "rewiring slower than that makes MSP overshoot (model docs §5.2)"
                )
            steps = float(interval / dt)
            if abs(steps - round(steps)) > 1e-6:
                raise ValueError(
                    f"plasticity.structural.update_interval = "
                    f"'{format_quantity(interval, 'ms')}': expected a multiple of simulation.dt"
                )
        for pop in ("exc", "inh"):
            p = getattr(self.neurons, pop)
            if not p.V_reset < p.V_th:
                raise ValueError(
                    f"neurons.{pop}.V_reset = '{format_quantity(p.V_reset, 'mV')}': expected "
                    f"below neurons.{pop}.V_th ('{format_quantity(p.V_th, 'mV')}')"
                )
        return self

    def _check_delay_and_refractory(self) -> None:
        """Dt <= synapses.delay <= t_ref of both populations, naming the key at fault.

        The NMDA jump of a spike is read from the presynaptic neuron when the spike
        arrives (receptors.py); that needs the arrival after the spike's reset step and
        before the neuron can fire again.
        """
        dt, delay = self.simulation.dt, self.synapses.delay
        for pop in ("exc", "inh"):
            t_ref = getattr(self.neurons, pop).t_ref
            if t_ref < dt:
                raise ValueError(
                    f"neurons.{pop}.t_ref = '{format_quantity(t_ref, 'ms')}': expected a "
                    f"refractory period of at least simulation.dt ({format_quantity(dt, 'ms')})"
                )
        if delay < dt:
            raise ValueError(
                f"synapses.delay = '{format_quantity(delay, 'ms')}': expected at least "
                f"simulation.dt ({format_quantity(dt, 'ms')})"
            )
        default_delay = type(self.synapses)().delay
        for pop in ("exc", "inh"):
            t_ref = getattr(self.neurons, pop).t_ref
            if t_ref >= delay:
                continue
            if delay == default_delay:  # the refractory period was changed: name it
                raise ValueError(
                    f"neurons.{pop}.t_ref = '{format_quantity(t_ref, 'ms')}': expected at "
                    f"least synapses.delay ({format_quantity(delay, 'ms')}), so that a spike's "
                    "NMDA jump arrives before the neuron can fire again"
                )
            raise ValueError(
                f"synapses.delay = '{format_quantity(delay, 'ms')}': expected at most the "
                f"refractory period neurons.{pop}.t_ref ({format_quantity(t_ref, 'ms')}), so "
                "that a spike's NMDA jump arrives before the neuron can fire again"
            )

    def network_seconds(self) -> float:
        """Network (simulated) seconds of one run: an estimate of its work.

        From the clock: the biological duration (the protocol's, before it is compiled)
        at ``timescale.rate``, with ``session_rate`` around each drug session and the
        therapy rate in the therapy sessions already compiled.
        """
        if not (self.timescale.enabled or self.protocol.enabled):
            return float(self.simulation.duration)
        return self.time_map().sim_duration

    def time_map(self):
        """The run's clock (:class:`~neuroplast.model.timescale.TimeMap`).

        As the schedules build it: from the protocol before it is compiled, from the
        run's own doses and sessions after.
        """
        if self.protocol.enabled and not self.from_protocol:
            total = self.protocol.total
            sessions = dose_times(self.protocol, acute_only=True)
        else:
            total = float(self.timescale.bio_duration)
            sessions = [float(dose.start) for dose in acute_doses(self.pharmacology)]
        clock = self.timescale.model_copy(update={"bio_duration": total * second})
        return build_time_map(clock, sessions, slow_windows(self.therapy))

    def check_set_point_window(self) -> None:
        """Refuse a run whose stress, drug or input session starts inside the set-point window.

        In that window each cell's set point is measured and nothing rewires
        (:mod:`neuroplast.model.setpoint`); an event inside it would be measured into
        the set points and act on a frozen structure.  For a run compiled from an
        experiment's protocol (``neuroplast validate`` and ``run`` check every
        condition); a run config's own ``[pharmacology.doses]`` and stress episodes are
        not checked.
        """
        if not (self.timescale.enabled and self.from_protocol):
            return
        starts = [
            (float(e.onset), "protocol.stress", "stress")
            for e in self.stress.episodes
            if e.severity > 0
        ]
        starts += [
            (float(d.start), "protocol.doses", f"{d.drug} dose")
            for d in self.pharmacology.schedule()
        ]
        starts += [
            (float(s.start), f"protocol.{s.kind}", f"{s.kind} session")
            for s in self.therapy.sessions
        ]
        if not starts:
            return
        first, key, what = min(starts)
        window_end = float(self.time_map().bio_at(float(self.set_point.window)))
        if first < window_end:
            day = window_end / SECONDS_PER_DAY
            raise ConfigError(
                f"{key}: the {what} on biological day {first / SECONDS_PER_DAY:.3g} starts "
                f"inside the set-point window (set_point.window = "
                f"'{format_quantity(self.set_point.window, 's')}' of network time, until day "
                f"{day:.3g}), where set points are measured and nothing rewires; expected "
                f"protocol.phases to put the first event after day {day:.3g}, or a shorter "
                "set_point.window"
            )

    def resolved(self) -> dict[str, Any]:
        """Plain JSON-ready dict with every value (units written as text)."""
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        """The resolved configuration as indented JSON."""
        return json.dumps(self.resolved(), indent=2)


# --------------------------------------------------------------------------- bounds

#: Most seeds per condition; beyond it a study is several experiments (issue #20: a
#: million repeats built four million run configs and filled 3.8 GB before running one).
MAX_REPEATS = 1000
#: Most recurrent synapses (live and candidate) a run may create.  brian2 keeps about
#: 80 bytes per synapse here (two indices, weights, delays and plastic state as float64),
#: so 1e8 synapses need about 8 GB [D].
MAX_SYNAPSES = 100_000_000


#: Most time steps of simulation.dt in a run: brian2 cannot step clocks further apart
#: (simulation/validity.py refuses such a run too, as having no simulated time).
MAX_TIME_STEPS = 2**40
#: Most steps of timescale.resolution in a run's schedules.  Each holds about 180 bytes
#: of arrays (time rate, drug, stress, ... : 176 bytes a step measured at 264 584 steps),
#: so 1e7 steps need about 1.8 GB; the longest shipped config needs 1e5.
MAX_SCHEDULE_STEPS = 10**7


def work_estimate(cfg: ExperimentConfig) -> str:
    """The work of an experiment in words: runs, network time and neurons."""
    conditions = max(1, len(cfg.conditions))
    runs = conditions * cfg.repeats
    seconds = cfg.network_seconds()
    return (
        f"{conditions} condition(s) x {cfg.repeats} seed(s) = {runs} run(s) of about "
        f"{seconds:.3g} network s each, {runs * seconds / 3600:.3g} network hours of "
        f"{cfg.network.n_exc + cfg.network.n_inh} neurons in all"
    )


def _check_time_constants(cfg: ExperimentConfig) -> None:
    """Every time constant the network integrates is at least one time step.

    With a shorter one the explicit integration oscillates or diverges (forward Euler
    needs dt <= tau to decay monotonically); issue #20 found NaN membrane potentials at
    ``receptors.nmda.tau_decay = "0.001 ms"`` and 479 Hz at ``C_m = "1e-30 nF"``.
    """
    dt = cfg.simulation.dt
    taus = {
        "receptors.ampa.tau": cfg.receptors.ampa.tau,
        "receptors.nmda.tau_rise": cfg.receptors.nmda.tau_rise,
        "receptors.nmda.tau_decay": cfg.receptors.nmda.tau_decay,
        "receptors.gaba.tau": cfg.receptors.gaba.tau,
    }
    if cfg.plasticity.stdp.enabled:
        stdp = cfg.plasticity.stdp
        taus.update(
            {
                "plasticity.stdp.tau_plus": stdp.tau_plus,
                "plasticity.stdp.tau_minus": stdp.tau_minus,
                "plasticity.stdp.triplet.tau_plus": stdp.triplet.tau_plus,
                "plasticity.stdp.triplet.tau_minus": stdp.triplet.tau_minus,
                "plasticity.stdp.triplet.tau_y": stdp.triplet.tau_y,
            }
        )
    if cfg.plasticity.istdp.enabled:
        taus["plasticity.istdp.tau"] = cfg.plasticity.istdp.tau
    for key, tau in taus.items():
        if tau < dt:
            raise ValueError(
                f"{key} = '{format_quantity(tau, 'ms')}': expected a time constant of at "
                f"least simulation.dt ({format_quantity(dt, 'ms')})"
            )
    rise = 1 / cfg.receptors.nmda.alpha
    if rise < dt:
        raise ValueError(
            f"receptors.nmda.alpha = '{format_quantity(cfg.receptors.nmda.alpha, 'kHz')}': "
            f"expected at most 1/simulation.dt ({format_quantity(1 / dt, 'kHz')})"
        )
    for pop in ("exc", "inh"):
        p = getattr(cfg.neurons, pop)
        tau_m = p.C_m / p.g_L
        if tau_m < dt:
            raise ValueError(
                f"neurons.{pop}.C_m = '{format_quantity(p.C_m, 'nF')}': the membrane time "
                f"constant C_m / g_L ({format_quantity(tau_m, 'ms')}) is shorter than "
                f"simulation.dt ({format_quantity(dt, 'ms')}); expected at least dt"
            )


def _check_sizes(cfg: ExperimentConfig) -> None:
    """The network's synapses fit in memory (:data:`MAX_SYNAPSES`)."""
    net = cfg.network
    n = net.n_exc + net.n_inh
    synapses = net.p_connect * n * n
    pool = cfg.plasticity.structural.enabled or cfg.plasticity.stdp.enabled
    structural = cfg.plasticity.structural
    if structural.enabled:  # the E->E pool holds candidates too
        synapses += (structural.candidate_factor - 1) * (net.p_connect * net.n_exc * net.n_exc)
    if synapses > MAX_SYNAPSES:
        what = "recurrent synapses and E->E candidates" if pool else "recurrent synapses"
        given = f"network.n_exc = {net.n_exc}, network.n_inh = {net.n_inh}"
        if structural.enabled:
            given += f", plasticity.structural.candidate_factor = {structural.candidate_factor:g}"
        raise ValueError(
            f"{given}: about {synapses:.2g} {what}, expected at most {MAX_SYNAPSES:.0e} (~80 "
            f"bytes each: {synapses * 80 / 1e9:.3g} GB); use fewer neurons or a lower "
            "network.p_connect"
        )


def _slowest_rate(cfg: ExperimentConfig) -> tuple[float, str]:
    """The slowest time rate a run's clock can use, and its key."""
    rates = [(cfg.timescale.rate, "timescale.rate")]
    if cfg.pharmacology.doses or cfg.protocol.doses:
        rates.append((cfg.timescale.session_rate, "timescale.session_rate"))
    rates += [(w.rate, f"timescale.windows[{k}].rate") for k, w in enumerate(cfg.timescale.windows)]
    if cfg.therapy.sessions or cfg.protocol.therapy:
        rates.append((cfg.therapy.session_rate, "therapy.session_rate"))
    return min(rates)


def _clock_text(cfg: ExperimentConfig, seconds: float) -> str:
    """The network time of a run on the biological clock, naming the keys that set it."""
    if cfg.protocol.enabled and not cfg.from_protocol:
        days = cfg.protocol.total / SECONDS_PER_DAY
        span = f"the protocol's {days:.3g} days (protocol.phases)"
    else:
        span = f"timescale.bio_duration = '{format_quantity(cfg.timescale.bio_duration, 'day')}'"
    rate, key = _slowest_rate(cfg)
    return f"{seconds:.3g} s of network time ({span} at time rates down to {key} = {rate:g})"


def _check_run_length(cfg: ExperimentConfig) -> None:
    """A run is 1 to :data:`MAX_TIME_STEPS` time steps; its schedules fit in memory.

    ``neuroplast run`` refused a shorter or longer run only once it had started
    (simulation/validity.py ``check_steps``), after ``neuroplast validate`` had passed it,
    and a clock slow enough to need terabytes of schedules ended in a MemoryError.
    """
    dt = cfg.simulation.dt
    if cfg.timescale.enabled or cfg.protocol.enabled:
        resolution = float(cfg.timescale.resolution)
        with np.errstate(over="ignore", divide="ignore"):  # an endless run is inf here
            seconds = cfg.network_seconds()
        steps = seconds / resolution
        if not steps <= MAX_SCHEDULE_STEPS:
            raise ValueError(
                f"timescale.resolution = '{format_quantity(cfg.timescale.resolution, 'ms')}': "
                f"{_clock_text(cfg, seconds)} is {steps:.3g} schedule steps, expected at most "
                f"{MAX_SCHEDULE_STEPS:.0e} (~180 bytes each: {steps * 180 / 1e9:.3g} GB); "
                "shorten the run or raise its time rates"
            )
        seconds = math.ceil(steps - 1e-9) * resolution  # whole schedule steps are run
        given = (
            f"timescale.resolution = '{format_quantity(cfg.timescale.resolution, 'ms')}': "
            f"{_clock_text(cfg, seconds)} in whole schedule steps"
        )
    else:
        seconds = float(cfg.simulation.duration)
        given = f"simulation.duration = '{format_quantity(cfg.simulation.duration, 's')}'"
    steps = seconds / float(dt)
    if steps < 1:
        raise ValueError(
            f"{given}: expected at least one time step, simulation.dt = "
            f"'{format_quantity(dt, 'ms')}' (a shorter run simulates nothing)"
        )
    if steps >= MAX_TIME_STEPS:
        raise ValueError(
            f"{given}: {steps:.3g} time steps of simulation.dt = '{format_quantity(dt, 'ms')}', "
            f"expected fewer than 2**40 ({MAX_TIME_STEPS:.3g}), the most brian2 can step"
        )


# --------------------------------------------------------------------------- loading


def _format_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _plain_message(item: dict) -> str:
    """Pydantic's message for a wrong type, said as what was expected (no coercion)."""
    given = item.get("input")
    kind = type(given).__name__
    if item["type"] == "finite_number":
        return "expected a finite number (inf and nan are not values a model can use)"
    if item["type"] == "int_type":
        if isinstance(given, bool):
            return "expected an integer; a boolean is not a count"
        return f"expected an integer (a whole number written without a point), got {kind}"
    if item["type"] == "float_type":
        if isinstance(given, bool):
            return "expected a number; a boolean is not one"
        if isinstance(given, int):
            return "expected a number within the range of a double (about 1.8e308)"
        return f"expected a number, got {kind}"
    if item["type"] in ("model_type", "dict_type"):  # pydantic names the class
        return f"expected a table (TOML {{key = value, ...}}), got {kind}"
    if item["type"] == "list_type":
        return f"expected a list (TOML [a, b, ...]), got {kind}"
    return item["msg"].removeprefix("Value error, ")


def _explain(err: ValidationError) -> str:
    lines = []
    for item in err.errors():
        loc = [str(p) for p in item["loc"]]
        dotted = ".".join(loc) or "(top level)"
        if item["type"] == "extra_forbidden":
            model: type[BaseModel] | None = ExperimentConfig
            skip = False
            for part in loc[:-1]:
                if skip:  # an index of a list or a name of a named table
                    skip = False
                    continue
                if not (model and part in model.model_fields):
                    model = None
                    continue
                inner = paths.named_tables(model, part) or paths.listed_tables(model, part)
                if inner is not None:
                    model, skip = inner, True
                else:
                    model = paths.submodel(model, part)
            options = list(model.model_fields) if model else []
            lines.append(f"{dotted}: unknown key {loc[-1]!r}{paths.suggest(loc[-1], options)}")
            continue
        message = _plain_message(item)
        if not loc:  # a check across several fields; the message names them
            lines.append(message)
            continue
        if isinstance(item.get("input"), dict):  # a check across a table's fields
            lines.append(f"{dotted}: {message}")
            continue
        lines.append(f"{dotted} = {_format_value(item.get('input'))}: {message}")
    return "\n".join(lines)


def config_from_dict(data: dict[str, Any]) -> ExperimentConfig:
    """Validate a nested dict (as read from TOML) into an :class:`ExperimentConfig`."""
    try:
        return ExperimentConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_explain(err)) from None


def _parse_override_value(text: str) -> Any:
    """Read the right-hand side of ``--set key=value`` as a TOML value, else as text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``key.path=value`` overrides to a nested dict (returns a new dict).

    Paths are those of :mod:`neuroplast.paths`: tables, named tables and indices into
    lists of tables (``protocol.doses.0.dose="0.3 mg/kg"``), checked against the schema
    and against ``data`` (an index must exist in it).
    """
    result = json.loads(json.dumps(data))  # deep copy of plain TOML data
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. network.n_exc=400")
        path = key.split(".")
        paths.field_at(ExperimentConfig, path, result)
        paths.set_at(result, path, _parse_override_value(raw))
    return result


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML config, or a run's ``config.json`` (by its suffix).

    Every way it can fail is a :class:`ConfigError` naming the file.

    TOML files are UTF-8 (https://toml.io/en/v1.0.0#spec); a UTF-8 byte-order mark, which
    some Windows editors write, is accepted.
    """
    path = Path(path)
    text = _utf8_text(path, _read_bytes(path))
    if path.suffix.lower() == ".json":  # a run's resolved config.json: re-runs that run
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}: not valid JSON ({err})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a JSON object (a run's config.json)")
        return data
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory; expected a TOML config file") from None
    except OSError as err:
        raise ConfigError(
            f"{path}: cannot read the config file ({err.strerror}); expected a readable TOML file"
        ) from None


def _utf8_text(path: Path, data: bytes) -> str:
    """``data`` decoded as UTF-8, or a ConfigError saying what the file is instead."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ConfigError(
            f"{path}: UTF-16 text; expected UTF-8, as TOML requires (save the file as UTF-8)"
        )
    if b"\x00" in data:  # UTF-16 without a byte-order mark, or a binary file
        raise ConfigError(
            f"{path}: contains NUL bytes (UTF-16 text or a binary file); expected UTF-8 "
            "text, as TOML requires"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: not UTF-8 text (line {line}, byte {err.start}: 0x{data[err.start]:02x}); "
            "expected UTF-8, as TOML requires (save the file as UTF-8)"
        ) from None


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> ExperimentConfig:
    """Load a TOML config (or the defaults when ``path`` is None) and apply overrides.

    Parameters
    ----------
    path : str or Path, optional
        TOML file; ``None`` starts from the built-in defaults.
    overrides : sequence of str
        ``"dotted.key=value"`` strings applied after the file is read.

    Returns
    -------
    ExperimentConfig

    Raises
    ------
    ConfigError
        With one line per problem, naming the dotted key, the value and what was expected.
    """
    data = read_toml(path) if path is not None else {}
    if overrides:
        data = apply_overrides(data, overrides)
    try:
        return config_from_dict(data)
    except ConfigError as err:
        where = f"{path}: " if path is not None else ""
        text = str(err)
        # one problem, one line (key, value, what was expected); several: one line each
        separator = ": " if "\n" not in text else "\n"
        raise ConfigError(f"{where}invalid configuration{separator}{text}") from None
