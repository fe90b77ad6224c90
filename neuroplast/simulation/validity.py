"""The validity guard of a run: was what was simulated a physiological network at all.

A run is **invalid** (``[validity]``, :mod:`neuroplast.config.validity`) when a state
variable is NaN or infinite, when less network time was simulated than asked for,
when a population's mean rate over a window of ``validity.window`` is above its bound,
or when the pyramidal cells are silent for a whole window while the external drive is
on.  It is checked twice:

* **during the run**, in brian2 code strings, so that it works the same on numpy,
  cython and cpp_standalone (where a ``network_operation`` would never run): every
  neuron counts its spikes (``validity_spikes``); every ``window`` of network time two
  summed-variable synapses add the counts and the non-finite state values of each
  population into one guard cell, whose ``run_regularly`` block compares the window's
  rates with the bounds, keeps the first violation (what, when, the rates) and, with
  ``validity.stop``, stops the network (:data:`validity_stop`: brian2's own stop flag,
  ``Network._globally_stopped``, in Python, Cython and C++).  Cost: one addition per
  spike and a sum over the cells once per window;
* **after the run**, in numpy, on what was recorded: simulated time, every state
  variable of the network's groups at the end, the traced variables, and the binned
  population rates over windows (also over a run or a last stretch shorter than one
  window, which the running check never sees).

:func:`judge` returns a :class:`Verdict`; the run directory records it in ``status.json``
and data.h5, and :class:`~neuroplast.simulation.storage.InvalidRun` carries it to the
CLI, sweeps and experiments, which count the run as failed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import brian2
import numpy as np
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

from neuroplast.config.experiment import MAX_TIME_STEPS, ExperimentConfig
from neuroplast.simulation.recording import Recording
from neuroplast.simulation.storage import InvalidRun
from neuroplast.units import format_quantity

__all__ = [
    "SPIKE_COUNT",
    "SPIKE_COUNT_ON_SPIKE",
    "Guard",
    "Verdict",
    "add_guard",
    "check_steps",
    "judge",
    "validity_stop",
]

#: Every neuron's running spike count, read by the guard (neuron equations and reset).
SPIKE_COUNT = "\nvalidity_spikes : 1\n"
SPIKE_COUNT_ON_SPIKE = "validity_spikes += 1"

#: What the guard's checks are called, by the code it keeps for the first violation.
CHECKS = {1: "nonfinite", 2: "rate_exc", 3: "rate_inh", 4: "silence"}

GUARD_EQUATIONS = """
exc_total : 1
inh_total : 1
nonfinite_exc : 1
nonfinite_inh : 1
exc_last : 1
inh_last : 1
window_rate_exc : Hz
window_rate_inh : Hz
judged : 1
found : 1
fresh : 1
invalid_code : 1
invalid_at : second
invalid_rate_exc : Hz
invalid_rate_inh : Hz
invalid_nonfinite : 1
stopped : 1
"""

#: Once per window, at the end of the time step (after the summed variables).  Codes by
#: priority: 1 non-finite state, 2 pyramidal rate, 3 interneuron rate, 4 silence; only
#: the first violation is kept.  At t = 0 there is no window behind yet.
GUARD_CODE = """
window_rate_exc = (exc_total - exc_last) / (guard_n_exc * guard_window)
window_rate_inh = (inh_total - inh_last) / (guard_n_inh * guard_window)
judged = 1.0 * int(t > 0.5 * guard_window)
found = 1.0 * int(nonfinite_exc + nonfinite_inh > 0.5)
found = found + 2.0 * int(found == 0) * judged * int(window_rate_exc > guard_max_exc)
found = found + 3.0 * int(found == 0) * judged * int(window_rate_inh > guard_max_inh)
found = found + 4.0 * int(found == 0) * judged * guard_silence * int(exc_total - exc_last < 0.5)
fresh = 1.0 * int(invalid_code == 0) * int(found > 0)
invalid_code = invalid_code + fresh * found
invalid_at = invalid_at + fresh * t
invalid_rate_exc = invalid_rate_exc + fresh * window_rate_exc
invalid_rate_inh = invalid_rate_inh + fresh * window_rate_inh
invalid_nonfinite = invalid_nonfinite + fresh * (nonfinite_exc + nonfinite_inh)
exc_last = exc_total
inh_last = inh_total
stopped = validity_stop(fresh * guard_stop)
"""


@brian2.implementation(
    "cpp",
    """
    double validity_stop(double flag)
    {
        if (flag > 0)
            Network::_globally_stopped = true;
        return flag;
    }
    """,
    headers=['"network.h"'],
)
@brian2.implementation(
    "cython",
    """
    cdef double validity_stop(double flag):
        if flag > 0:
            from brian2.core.network import Network
            Network._globally_stopped = True
        return flag
    """,
)
@brian2.check_units(flag=1, result=1)
def validity_stop(flag):
    """Stop the running network when ``flag`` > 0 (brian2's stop flag); return ``flag``."""
    if np.any(np.asarray(flag) > 0):
        brian2.Network._globally_stopped = True
    return flag


validity_stop.stateless = False  # a side effect: never to be hoisted or skipped


@dataclass(frozen=True)
class Verdict:
    """Whether a run is valid and, if not, why (one line) and what the check found."""

    valid: bool
    reason: str = ""
    #: which check failed: nonfinite, duration, rate_exc, rate_inh or silence ("" if valid)
    check: str = ""
    #: network time (s) at the end of the window in which the check failed
    at_s: float | None = None
    #: highest window rates of the run (Hz), for the record
    max_rate_exc_hz: float = float("nan")
    max_rate_inh_hz: float = float("nan")
    #: network time simulated (s) and asked for
    simulated_s: float = float("nan")
    requested_s: float = float("nan")
    bounds: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``"valid"`` or ``"invalid"``."""
        return "valid" if self.valid else "invalid"

    def as_dict(self) -> dict:
        """Plain data for status.json and data.h5, with ``status`` first."""
        data = {"status": self.status, **asdict(self)}
        data.pop("valid")
        return {
            k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in data.items()
        }


@dataclass
class Guard:
    """The guard cell of a built network (:func:`add_guard`)."""

    cell: brian2.NeuronGroup
    objects: list
    #: whether the guard stops the network at the first violation (validity.stop)
    stop: bool = True

    def first_violation(self) -> tuple[int, float, float, float, float]:
        """(code, network time s, E rate Hz, I rate Hz, non-finite count); code 0: none."""
        c = self.cell
        return (
            int(round(float(np.asarray(c.invalid_code[:])[0]))),
            float(np.asarray(c.invalid_at[:])[0]),
            float(np.asarray(c.invalid_rate_exc[:])[0]),
            float(np.asarray(c.invalid_rate_inh[:])[0]),
            float(np.asarray(c.invalid_nonfinite[:])[0]),
        )


def external_drive_on(cfg: ExperimentConfig) -> bool:
    """Whether the network gets its Poisson drive (then silence is not expected)."""
    return cfg.external.n_inputs > 0 and float(cfg.external.rate) > 0


def _state_names(group) -> list[str]:
    """The float state variables of ``group`` (not constants, not spike bookkeeping)."""
    names = []
    for name, var in group.variables.items():
        if name.startswith("_") or name in ("t", "dt", "lastspike", "validity_spikes"):
            continue
        if getattr(var, "owner", None) is None or var.owner.name != group.name:
            continue
        if (
            type(var).__name__ != "ArrayVariable"
            or var.read_only
            or np.dtype(var.dtype).kind != "f"
        ):
            continue
        names.append(name)
    return names


def _nonfinite_sum(group) -> str:
    """Code counting the cell's non-finite state values (NaN and inf fail ``abs(x) < inf``)."""
    terms = []
    for name in _state_names(group):
        dim = group.variables[name].dim
        unit = "1" if dim is DIMENSIONLESS else repr(get_unit(dim))
        terms.append(f"(1 - int(abs({name}_pre / ({unit})) < inf))")
    return " + ".join(terms) or "0"


#: Most time steps in one guard window: brian2 cannot step two clocks whose time steps
#: differ more (a time step this small simulates nothing; :func:`judge` says so).  A
#: config refuses a run of more (or of less than one step) before it starts.
MAX_STEPS_PER_WINDOW = MAX_TIME_STEPS


def check_steps(cfg: ExperimentConfig, duration) -> None:
    """Raise InvalidRun if ``duration`` is not a countable number of time steps.

    Less than one step simulates nothing; more than :data:`MAX_STEPS_PER_WINDOW` cannot
    be stepped by brian2's clocks (a time step of 1e-30 ms: the run would simulate
    nothing, or end in brian2's ``StopIteration``).  Called before anything is built; a
    validated config cannot reach it (its run length is checked: config/experiment.py),
    so this guards a config built around the checks.
    """
    steps = float(duration / cfg.simulation.dt)
    if 1 <= steps < MAX_STEPS_PER_WINDOW:
        return
    raise InvalidRun(
        f"no simulated time: {float(duration):g} s of network time at simulation.dt = "
        f"{format_quantity(cfg.simulation.dt, 'ms')} is {steps:.3g} time steps (expected "
        f"1 to {MAX_STEPS_PER_WINDOW:.3g})"
    )


def add_guard(cfg: ExperimentConfig, model) -> Guard | None:
    """Add the running check (module doc) to ``model.network``; before the run.

    ``model`` is a :class:`~neuroplast.simulation.network.NetworkModel` whose neurons
    count their spikes (:data:`SPIKE_COUNT`).  None (no running check; the check after
    the run remains) when the window is not a countable number of time steps.
    """
    validity = cfg.validity
    window = validity.window
    steps = float(window / cfg.simulation.dt)
    if not 1 <= steps < MAX_STEPS_PER_WINDOW:
        return None
    namespace = {
        "guard_n_exc": float(model.n_exc),
        "guard_n_inh": float(model.n_inh),
        "guard_window": window,
        "guard_max_exc": validity.max_rate_exc,
        "guard_max_inh": validity.max_rate_inh,
        "guard_silence": float(validity.silence and external_drive_on(cfg)),
        "guard_stop": float(validity.stop),
        "validity_stop": validity_stop,
    }
    neurons = model.neurons
    cell = brian2.NeuronGroup(
        1, GUARD_EQUATIONS, namespace=namespace, dt=window, name="validity_guard"
    )
    cell.run_regularly(GUARD_CODE, dt=window, when="end", name="validity_check")
    nonfinite = _nonfinite_sum(neurons)
    objects = [cell]
    for pop, cells, n in (
        ("exc", neurons[: model.n_exc], model.n_exc),
        ("inh", neurons[model.n_exc :], model.n_inh),
    ):
        sums = brian2.Synapses(
            cells,
            cell,
            model=f"{pop}_total_post = validity_spikes_pre : 1 (summed)\n"
            f"nonfinite_{pop}_post = {nonfinite} : 1 (summed)",
            dt=window,
            name=f"validity_sums_{pop}",
        )
        sums.connect(i=np.arange(n), j=np.zeros(n, dtype=int))
        objects.append(sums)
    model.network.add(*objects)
    return Guard(cell=cell, objects=objects, stop=validity.stop)


# --------------------------------------------------------------------------- after the run


def _window_rates(t: np.ndarray, rate: np.ndarray, duration: float, window: float):
    """(end times, mean rates) over windows of ``window`` of the binned rate ``rate``.

    Whole windows from the start, then the last ``window`` of the run; one window of the
    run's length if it is shorter.
    """
    if duration <= 0 or rate.size == 0:
        return np.zeros(0), np.zeros(0)
    if duration <= window:
        return np.array([duration]), np.array([float(np.mean(rate))])
    ends = list(np.arange(1, int(duration // window) + 1) * window)
    if duration - ends[-1] > 1e-9:
        ends.append(duration)
    means = []
    for end in ends:
        inside = (t > end - window) & (t <= end)
        means.append(float(np.mean(rate[inside])) if inside.any() else np.nan)
    return np.asarray(ends), np.asarray(means)


def _hz(value: float) -> str:
    return f"{value:.3g} Hz"


def _first_nonfinite(model, guard: Guard | None, recording: Recording) -> str | None:
    """Where a NaN or inf is at the end of the run: 'neurons.V (12 of 100 values)'."""
    skip = set(guard.objects) if guard is not None else set()
    for obj in model.network.objects:
        if obj in skip or not isinstance(obj, brian2.NeuronGroup | brian2.Synapses):
            continue
        for name in _state_names(obj):
            values = np.asarray(obj.variables[name].get_value(), dtype=float)
            bad = int(np.count_nonzero(~np.isfinite(values)))
            if bad:
                return f"{obj.name}.{name} ({bad} of {values.size} values) at the end of the run"
    for name, values in recording.traces.items():
        bad = int(np.count_nonzero(~np.isfinite(values)))
        if bad:
            return f"traced {name} ({bad} of {values.size} samples)"
    return None


def judge(
    cfg: ExperimentConfig,
    model,
    guard: Guard | None,
    recording: Recording,
    requested_s: float,
) -> Verdict:
    """The verdict on a finished (or stopped) run (module doc)."""
    validity = cfg.validity
    window = float(validity.window)
    w_text = format_quantity(validity.window, "s")
    bounds = {
        "window": w_text,
        "max_rate_exc": format_quantity(validity.max_rate_exc, "Hz"),
        "max_rate_inh": format_quantity(validity.max_rate_inh, "Hz"),
        "silence": str(validity.silence).lower(),
    }
    simulated = float(recording.duration)
    ends, rate_e = _window_rates(recording.rate_t, recording.rate_exc, simulated, window)
    _, rate_i = _window_rates(recording.rate_t, recording.rate_inh, simulated, window)
    common = {
        "max_rate_exc_hz": float(np.nanmax(rate_e)) if rate_e.size else float("nan"),
        "max_rate_inh_hz": float(np.nanmax(rate_i)) if rate_i.size else float("nan"),
        "simulated_s": simulated,
        "requested_s": requested_s,
        "bounds": bounds,
    }

    def invalid(check: str, reason: str, at: float | None) -> Verdict:
        return Verdict(False, reason, check, at, **common)

    code, at, r_e, r_i, n_bad = guard.first_violation() if guard is not None else (0,) * 5
    span = f"over {_window_text(at - window, at)} of network time"
    if code == 1:
        return invalid(
            "nonfinite",
            f"{n_bad:.0f} NaN or infinite state value(s) of the neurons at {at:g} s "
            "of network time",
            at,
        )
    if code == 2:
        return invalid(
            "rate_exc",
            f"E rate {_hz(r_e)} above validity.max_rate_exc = {bounds['max_rate_exc']} {span}",
            at,
        )
    if code == 3:
        return invalid(
            "rate_inh",
            f"I rate {_hz(r_i)} above validity.max_rate_inh = {bounds['max_rate_inh']} {span}",
            at,
        )
    if code == 4:
        return invalid(
            "silence",
            f"no pyramidal spike {span} while the external drive is on (validity.silence)",
            at,
        )
    nonfinite = _first_nonfinite(model, guard, recording)
    if nonfinite is not None:
        return invalid("nonfinite", f"NaN or infinite values in {nonfinite}", simulated)
    dt = float(cfg.simulation.dt)
    if not simulated > 0 or simulated < requested_s - 0.5 * dt:
        return invalid(
            "duration",
            f"no simulated time: {simulated:g} s of network time simulated of the "
            f"{requested_s:g} s asked for (simulation.dt = "
            f"{format_quantity(cfg.simulation.dt, 'ms')})",
            simulated,
        )
    for end, e, i in zip(ends, rate_e, rate_i, strict=True):
        span = f"over {_window_text(max(0.0, end - window), end)} of network time"
        if e > float(validity.max_rate_exc):
            return invalid(
                "rate_exc",
                f"E rate {_hz(e)} above validity.max_rate_exc = {bounds['max_rate_exc']} {span}",
                float(end),
            )
        if i > float(validity.max_rate_inh):
            return invalid(
                "rate_inh",
                f"I rate {_hz(i)} above validity.max_rate_inh = {bounds['max_rate_inh']} {span}",
                float(end),
            )
        full = end - window > -1e-9
        if validity.silence and external_drive_on(cfg) and full and e == 0:
            return invalid(
                "silence",
                f"no pyramidal spike {span} while the external drive is on (validity.silence)",
                float(end),
            )
    return Verdict(True, **common)


def _window_text(start: float, end: float) -> str:
    return f"{max(start, 0.0):g}-{end:g} s"
