"""Run one network simulation from a config: seeds -> brian2 network -> recorded arrays.

:func:`simulate` builds and runs the network for one (condition, seed) on the
configured backend and returns a :class:`Recording` of plain numpy arrays, with
brian2's global state restored afterwards.  :func:`neuroplast.studies.run.run_experiment` adds
the analyses and the run directory: measures, HDF5 data, figures.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import shutil
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import brian2
import numpy as np

from neuroplast.config.experiment import ExperimentConfig
from neuroplast.model.pharmacology import DrugCurves, pharmacology_timecourse
from neuroplast.simulation import rerun
from neuroplast.simulation.backend import brian_backend, is_standalone, owned
from neuroplast.simulation.network import TRACED_VARIABLES, build_network
from neuroplast.simulation.pool import SNAPSHOT_DEAD, snapshot_steps, snapshot_variables
from neuroplast.simulation.recording import Recording
from neuroplast.simulation.schedules import build_schedules
from neuroplast.simulation.validity import add_guard, check_steps, judge
from neuroplast.units import SECONDS_PER_DAY

__all__ = [
    "RunSeeds",
    "derive_seeds",
    "drug_curves",
    "resolve_seed",
    "run_seeds",
    "simulate",
]

_LOG = logging.getLogger(__name__)

#: Names of the independent random streams of one run.
SEED_STREAMS = ("connectivity", "initial", "brian")


@dataclass(frozen=True)
class RunSeeds:
    """Seeds of one run, derived from the root seed with ``numpy.random.SeedSequence``."""

    root: int
    condition: str
    repeat: int
    connectivity: int
    initial: int
    brian: int

    def as_dict(self) -> dict[str, int | str]:
        """Plain dict for provenance records."""
        return dict(self.__dict__)


def resolve_seed(cfg: ExperimentConfig) -> ExperimentConfig:
    """Return ``cfg`` with a root seed, drawing a fresh one (and recording it) if absent."""
    if cfg.seed is not None:
        return cfg
    fresh = int(np.random.SeedSequence().entropy % (2**63))
    return cfg.model_copy(update={"seed": fresh})


def derive_seeds(root_seed: int, condition: str = "baseline", repeat: int = 0) -> RunSeeds:
    """Derive independent per-run seeds from a root seed, condition name and repeat index.

    The same (root, condition, repeat) gives the same seeds on any machine; runs of
    different conditions or repeats get statistically independent streams.
    """
    key = (zlib.crc32(condition.encode()), repeat)
    children = np.random.SeedSequence(root_seed, spawn_key=key).spawn(len(SEED_STREAMS))
    # brian2's seed() accepts values below 2**32.
    values = {
        name: int(child.generate_state(1)[0])
        for name, child in zip(SEED_STREAMS, children, strict=True)
    }
    return RunSeeds(root=root_seed, condition=condition, repeat=repeat, **values)


def run_seeds(cfg: ExperimentConfig) -> RunSeeds:
    """The seeds of the run ``cfg`` describes (root seed drawn beforehand).

    With ``paired_conditions`` (default) every condition uses the streams of condition
    'baseline', so the conditions of one root seed share network and noise.
    """
    key = "baseline" if cfg.paired_conditions else cfg.condition
    return derive_seeds(cfg.seed, key)


def _bin_rate(rate: np.ndarray, dt: float, bin_width: float) -> tuple[np.ndarray, np.ndarray]:
    per_bin = max(1, int(round(bin_width / dt)))
    n_bins = len(rate) // per_bin
    binned = rate[: n_bins * per_bin].reshape(n_bins, per_bin).mean(axis=1)
    centres = (np.arange(n_bins) + 0.5) * per_bin * dt
    return centres, binned


def _rates_from_spikes(spike_i, spike_t, n_exc, n_inh, duration, bin_width):
    """Population rates (Hz) in bins of ``bin_width`` from recorded spikes."""
    n_bins = max(1, int(round(duration / bin_width)))
    edges = np.arange(n_bins + 1) * bin_width
    exc = spike_i < n_exc
    rate_exc = np.histogram(spike_t[exc], edges)[0] / (n_exc * bin_width)
    rate_inh = np.histogram(spike_t[~exc], edges)[0] / (n_inh * bin_width)
    return 0.5 * (edges[1:] + edges[:-1]), rate_exc, rate_inh


def standalone_base(cfg: ExperimentConfig) -> Path:
    """The folder that holds the C++ standalone project slots (:func:`standalone_project`)."""
    if cfg.simulation.standalone_dir:
        return Path(cfg.simulation.standalone_dir)
    user = os.environ.get("USER", str(os.getuid()) if hasattr(os, "getuid") else "user")
    return Path(tempfile.gettempdir()) / f"neuroplast-standalone-{user}"


@contextmanager
def standalone_project(cfg: ExperimentConfig) -> Iterator[Path]:
    """A C++ project folder for one standalone run, locked for the run and then reused.

    The folders are slots ``slot-0``, ``slot-1``, ... under :func:`standalone_base`; a run
    takes the first slot no other process holds (a lock file per slot), so concurrent
    runs never share a folder.  The next run in a slot rebuilds incrementally: brian2
    rewrites only the source files whose text changed and ``make`` recompiles only
    those.  Measured (400 E / 100 I plastic network, 2 cores): cold build 30 s; the
    same model with another seed 10 s (synapse creation, objects.cpp, main.cpp); another
    condition of the same seed 4.4 s.  A slot whose last build was killed is emptied
    first (:func:`_building`).
    """
    from brian2.utils.filelock import FileLock, Timeout  # noqa: PLC0415

    base = standalone_base(cfg)
    base.mkdir(parents=True, exist_ok=True)
    for k in itertools.count():
        lock = FileLock(str(base / f"slot-{k}.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue
        try:
            slot = base / f"slot-{k}"
            _discard_unfinished(slot)
            yield slot
        finally:
            lock.release()
        return


def _unfinished_marker(project: Path) -> Path:
    """The file that marks ``project`` as being built or re-run (:func:`_building`)."""
    return project.with_name(f"{project.name}.unfinished")


@contextmanager
def _building(project: Path) -> Iterator[None]:
    """Mark a project slot as unfinished while brian2 writes and compiles it.

    A build killed mid-way (kill -9, out of memory) leaves files that ``make`` takes for
    up to date: the assembler creates an object file empty and fills it at its end, the
    linker the program, the shell ``make.deps``; the next build in the slot then linked
    the empty object and failed, in that slot, for good.  The mark stays when the block
    does not end (killed) or raises (a failed build), and the next run in the slot
    starts from an empty folder (:func:`_discard_unfinished`).  A re-run (rerun.py) is
    marked too: brian2 writes its new schedule values into the project as it starts.
    Running the program needs no mark: it writes only its results, all of them anew.
    """
    marker = _unfinished_marker(project)
    marker.touch()
    yield
    marker.unlink()


def _discard_unfinished(project: Path) -> None:
    """Empty a project slot whose last build or re-run did not finish (:func:`_building`)."""
    marker = _unfinished_marker(project)
    if marker.exists():
        _LOG.info("C++ project %s: its last build did not finish; building it afresh", project)
        shutil.rmtree(project, ignore_errors=True)
        marker.unlink()


def _progress_reporter(show: bool):
    if not show:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(
        total=100,
        unit="%",
        desc="simulating",
        leave=False,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}",
    )

    def report(elapsed, completed, start, duration):
        bar.n = int(round(100 * completed))
        bar.refresh()

    return report, bar.close


def simulate(
    cfg: ExperimentConfig,
    seeds: RunSeeds,
    *,
    progress: bool = False,
    reuse_build: bool = False,
) -> Recording:
    """Build and run the network of ``cfg`` with ``seeds``; return what was recorded.

    Parameters
    ----------
    cfg : ExperimentConfig
        Fully validated configuration.
    seeds : RunSeeds
        Seeds of this run (see :func:`derive_seeds`).
    progress : bool
        Show a progress bar (runtime backends; standalone prints brian2's text report).
    reuse_build : bool
        cpp_standalone only: keep the built program in this process after the run and
        re-run it, without building, for a later run that differs only in run-time
        values (dose amounts, stress severities: :mod:`neuroplast.simulation.rerun`).  The sweep
        runner asks for this; by default brian2 is reset after every run.

    Returns
    -------
    Recording
    """
    sim = cfg.simulation
    standalone = is_standalone(sim.backend)
    key = rerun.build_key(cfg.resolved(), seeds.as_dict()) if standalone and reuse_build else None
    if key is not None and (program := rerun.held(key)) is not None:
        recording = _rerun(cfg, program)
        if recording is not None:
            return recording
    rerun.release()  # first, so that its project slot is free for this build
    wall: dict[str, float] = {}
    with ExitStack() as stack:
        project = stack.enter_context(standalone_project(cfg)) if standalone else None
        stack.enter_context(brian_backend(sim.backend, sim.dt, standalone_dir=project))
        start = time.perf_counter()
        schedules = build_schedules(cfg, drug_curves(cfg)) if cfg.timescale.enabled else None
        duration = sim.duration
        if schedules is not None:
            # whole schedule steps, so that the TimedArrays cover the run
            duration = schedules.duration * brian2.second
        if cfg.validity.enabled:
            check_steps(cfg, duration)  # before the build: a run of no time steps is invalid
        model = build_network(cfg, seeds.connectivity, seeds.initial, schedules)
        if cfg.validity.enabled:
            model.guard = add_guard(cfg, model)
        brian2.seed(seeds.brian)
        wall["setup_s"] = time.perf_counter() - start
        start = time.perf_counter()
        if standalone:  # brian2's own text report, printed by the C++ program
            report, close = ("text" if progress else None), (lambda: None)
        else:
            report, close = _progress_reporter(progress)
        try:
            snapshots = _run_with_snapshots(cfg, model, duration, report, standalone)
        finally:
            close()
        readers = {}
        if standalone:
            with _building(project):
                brian2.device.build(directory=str(project), compile=True, run=False)
            brian2.device.run(directory=str(project), results_directory="results")
            timers = brian2.device.timers
            wall["compile_s"] = float(timers["compile"]["make"] or 0.0)
            wall["binary_s"] = float(timers["run_binary"] or 0.0)
            readers = snapshots
            snapshots = {name: read() for name, read in readers.items()}
        wall["run_s"] = time.perf_counter() - start
        recording = _collect(cfg, model, _simulated(model, duration, standalone))
        recording.snapshots = snapshots
        _judge(cfg, model, recording, float(duration))
        if key is not None and model.schedules is not None:
            # keep the program, its brian2 objects and its locked slot for a re-run
            program = rerun.BuiltProgram(key, stack.pop_all(), project, model, readers)
            rerun.hold(program)
    recording.wall_time = wall
    return recording


def _rerun(cfg: ExperimentConfig, program: rerun.BuiltProgram) -> Recording | None:
    """Run a held program again with ``cfg``'s schedules; None if it must be rebuilt."""
    start = time.perf_counter()
    schedules = build_schedules(cfg, drug_curves(cfg))
    args = program.run_args(schedules)
    if args is None:
        return None
    setup = time.perf_counter() - start
    start = time.perf_counter()
    with _building(program.project):
        wall = {"setup_s": setup, **program.rerun(schedules, args)}
    snapshots = {name: read() for name, read in program.snapshot_readers.items()}
    wall["run_s"] = time.perf_counter() - start
    duration = schedules.duration
    recording = _collect(cfg, program.model, _simulated(program.model, duration, True))
    recording.snapshots = snapshots
    _judge(cfg, program.model, recording, float(duration))
    wall["reused_build"] = float(program.runs - 1)
    recording.wall_time = wall
    return recording


def _simulated(model, duration, standalone: bool) -> float:
    """Network time simulated (s): less than ``duration`` if the validity guard stopped it.

    A C++ standalone program reports the fraction of its run it completed (brian2's
    ``last_run_info.txt``); in runtime mode the network's clock says it.
    """
    if standalone:
        fraction = getattr(brian2.device, "_last_run_completed_fraction", 1.0)
        return float(duration) * float(fraction)
    return float(model.network.t)


def _judge(cfg: ExperimentConfig, model, recording: Recording, requested_s: float) -> None:
    """Attach the validity verdict (validity.py) to ``recording``, if the guard is on."""
    if cfg.validity.enabled:
        verdict = judge(cfg, model, model.guard, recording, requested_s)
        recording.validity = verdict.as_dict()


def _stopped(model) -> bool:
    """Whether the validity guard stopped the network (runtime backends, between runs)."""
    guard = model.guard
    return guard is not None and guard.stop and guard.first_violation()[0] > 0


def _pool_state(pool) -> dict[str, np.ndarray]:
    """Live synapses of the E->E pool: pre i, post j, weight w, birth_day."""
    alive = owned(pool.alive[:]) > 0
    return {
        "i": owned(pool.i[:], dtype=np.int32)[alive],
        "j": owned(pool.j[:], dtype=np.int32)[alive],
        "w": owned(pool.w[:], dtype=np.float32)[alive],
        "birth_day": owned(pool.birth_day[:], dtype=np.float32)[alive],
    }


def _standalone_snapshot(pool, k: int):
    """A reader, for after the build, of snapshot slot ``k`` (filled by the program)."""
    w_name, birth_name = snapshot_variables(k)

    def read() -> dict[str, np.ndarray]:
        birth = owned(getattr(pool, birth_name)[:])
        alive = birth > 0.5 * SNAPSHOT_DEAD
        return {
            "i": owned(pool.i[:], dtype=np.int32)[alive],
            "j": owned(pool.j[:], dtype=np.int32)[alive],
            "w": owned(getattr(pool, w_name)[:], dtype=np.float32)[alive],
            "birth_day": birth[alive].astype(np.float32),
        }

    return read


def _run_with_snapshots(cfg: ExperimentConfig, model, duration, report, standalone: bool) -> dict:
    """Run the network for ``duration``; return the E->E pool at each requested snapshot.

    Snapshots are taken after the time steps of
    :func:`neuroplast.simulation.pool.snapshot_steps`.  Runtime backends run in chunks
    that end there and read the pool between them.  A C++ standalone program copies the
    pool into per-snapshot variables at those steps inside one ``run`` (the network's
    ``snapshots`` operation); the returned values are then readers to call after the
    build.
    """
    kwargs = {"namespace": {}}
    if report is not None:
        kwargs.update(report=report, report_period=1 * brian2.second)
    snapshots: dict = {}
    if model.ee_pool is not None and model.schedules is not None:
        names = [f"day_{float(d) / SECONDS_PER_DAY:g}" for d in sorted(cfg.recording.snapshots)]
        steps, total = snapshot_steps(cfg, model.schedules)
        pool, done = model.ee_pool, 0
        for k, (name, step) in enumerate(zip(names, steps, strict=True)):
            if standalone:
                final = step >= total  # the pool after the run (snapshot_steps)
                snapshots[name] = (
                    functools.partial(_pool_state, pool) if final else _standalone_snapshot(pool, k)
                )
                continue
            if step > done:
                model.network.run((step - done) * cfg.simulation.dt, **kwargs)
                done = step
            if _stopped(model):
                return snapshots  # the validity guard stopped the run: nothing more to run
            snapshots[name] = _pool_state(pool)
    rest = float(duration) - float(model.network.t)
    stopped = not standalone and _stopped(model)  # standalone: nothing has run yet
    if rest > 0.5 * float(cfg.simulation.dt) and not stopped:
        model.network.run(rest * brian2.second, **kwargs)
    return snapshots


def drug_curves(cfg: ExperimentConfig) -> DrugCurves:
    """Concentration and occupancy curves of the config's dose schedule (none without one)."""
    pharmacology = cfg.pharmacology
    schedule = pharmacology.schedule()
    if not schedule:
        return DrugCurves()

    def timecourse(bio_seconds):
        # one PK/PD evaluation gives concentration and both occupancies
        course = pharmacology_timecourse(np.asarray(bio_seconds, dtype=float), pharmacology)
        return {
            "concentration_uM": sum(course.brain_concentration.values()),
            "occupancy_exc": course.occupancy["exc"],
            "occupancy_inh": course.occupancy["inh"],
        }

    return DrugCurves(session_times=[float(dose.start) for dose in schedule], timecourse=timecourse)


def _collect(cfg: ExperimentConfig, model, duration: float) -> Recording:
    dt = float(cfg.simulation.dt)
    mon = model.monitors
    if "spikes" in mon:
        spike_i = owned(mon["spikes"].i[:], dtype=np.int32)
        spike_t = owned(mon["spikes"].t[:], dtype=float)
    else:
        spike_i, spike_t = np.zeros(0, dtype=np.int32), np.zeros(0)
    bin_width = float(cfg.recording.rate_bin)
    if "spikes" in mon:
        rate_t, rate_exc, rate_inh = _rates_from_spikes(
            spike_i, spike_t, model.n_exc, model.n_inh, duration, bin_width
        )
    else:
        rate_t, rate_exc = _bin_rate(owned(mon["rate_exc"].rate[:]), dt, bin_width)
        _, rate_inh = _bin_rate(owned(mon["rate_inh"].rate[:]), dt, bin_width)
    recording = Recording(
        n_exc=model.n_exc,
        n_inh=model.n_inh,
        duration=duration,
        dt=dt,
        spike_i=spike_i,
        spike_t=spike_t,
        rate_t=rate_t,
        rate_exc=rate_exc,
        rate_inh=rate_inh,
        n_synapses=dict(model.n_synapses),
        assemblies={k: np.asarray(v) for k, v in model.assemblies.items()},
    )
    if "traces" in mon:
        traces = mon["traces"]
        recording.trace_t = owned(traces.t[:], dtype=float)
        recording.traced = model.traced
        recording.traces = {
            name: owned(getattr(traces, name)[:], dtype=float) for name in TRACED_VARIABLES
        }
    if model.schedules is not None:
        _collect_slow(recording, model)
    if "exc_spikes" in mon:
        recording.exc_spikes = (
            owned(mon["exc_spikes"].i[:], dtype=np.int32),
            owned(mon["exc_spikes"].t[:], dtype=float),
        )
    return recording


def _collect_slow(recording: Recording, model) -> None:
    schedules = model.schedules
    time_map = schedules.time_map
    grid = np.arange(len(schedules.sampled["time_rate"])) * schedules.resolution
    recording.schedules = {"t": grid, "bio_days": time_map.bio_at(grid) / SECONDS_PER_DAY}
    recording.schedules.update({k: np.asarray(v) for k, v in schedules.sampled.items()})
    slow = model.monitors["slow"]
    t = owned(slow.t[:], dtype=float)
    recording.slow = {"t": t, "bio_days": time_map.bio_at(t) / SECONDS_PER_DAY}
    for name in slow.record_variables:
        recording.slow[name] = owned(getattr(slow, name)[:], dtype=float)
    if "surge" in model.monitors:
        # the network's BDNF-surge compartment (one value per sample)
        surge = model.monitors["surge"]
        for name in surge.record_variables:
            recording.slow[name] = owned(getattr(surge, name)[0], dtype=float)
    if "block" in model.monitors:
        # trapping: the simulated NMDA block, mean per population, replaces the schedule's
        # equilibrium occupancy under the same names (measures.slow_rows)
        block = owned(model.monitors["block"].nmda_block[:], dtype=float)
        recording.slow["occupancy_exc"] = block[: model.n_exc].mean(axis=0)
        recording.slow["occupancy_inh"] = block[model.n_exc :].mean(axis=0)
    if model.ee_pool is not None:
        pool = model.ee_pool
        recording.ee_pool = {
            "i": owned(pool.i[:], dtype=np.int32),
            "j": owned(pool.j[:], dtype=np.int32),
            "w": owned(pool.w[:], dtype=np.float32),
            "alive": owned(pool.alive[:], dtype=np.int8),
            "birth_day": owned(pool.birth_day[:], dtype=np.float32),
        }
        if "n_alive" in model.neurons.variables:
            # per-cell live counts kept by the rewiring pass (must equal the pool's)
            recording.ee_pool["n_alive"] = owned(model.neurons.n_alive[: model.n_exc])
    recording.time_map = time_map
    if "conductances" in model.monitors:
        mon = model.monitors["conductances"]
        recording.conductances = (
            owned(mon.t[:], dtype=float),
            owned(mon.g_exc_sum[0], dtype=float) / model.n_exc,
            owned(mon.g_inh_sum[0], dtype=float) / model.n_exc,
        )
