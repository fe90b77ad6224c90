"""The harness every benchmark script shares: one machine record, one JSON writer, the
memory readers, and the C++ standalone build / time / re-run loop.

Every record a benchmark writes carries :func:`machine_info` (one set of keys for all
scripts, so records compare) and :func:`source_revision`; JSON goes through
:func:`write_json` (atomic, strict JSON: NaN and inf are written as null).
"""

from __future__ import annotations

import argparse
import datetime as dt_module
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import brian2
import h5py
import numpy as np
from brian2 import Network, SpikeMonitor, Synapses, ms

from neuroplast.simulation import storage
from neuroplast.simulation.backend import brian_backend, owned

#: Integration time step of every network (neuroplast's default, also used for COBA).
DT = 0.1 * ms


#: Fraction of excitatory neurons.
EXC_FRACTION = 0.8


#: Interval between two reads of a standalone binary's peak memory.
RSS_POLL_SECONDS = 0.005


#: Below this mean rate (Hz) a network counts as silent and the benchmark warns.
SILENT_RATE_HZ = 0.5


@dataclass
class BuiltNetwork:
    """A brian2 network under test and what is needed to evaluate its runs.

    Attributes
    ----------
    label : str
        Short name used in the table and in the JSON output.
    network : brian2.Network
        The network (``None`` once a standalone build has been left).
    spike_monitor : brian2.SpikeMonitor
        Monitor of all neurons of the network.
    n_exc, n_inh : int
        Population sizes; excitatory neurons come first.
    p_connect : float
        Connection probability of every projection.
    out_degree : numpy.ndarray
        Number of outgoing recurrent synapses of every neuron.
    project_dir : Path, optional
        C++ project directory (``cpp_standalone`` only).
    spike_i_file, spike_t_file : Path, optional
        Result files of the spike monitor's indices and times (``cpp_standalone`` only).
    spike_dtypes : tuple of numpy dtypes, optional
        Data types of those two files.
    """

    label: str
    network: Network | None
    spike_monitor: SpikeMonitor | None
    n_exc: int
    n_inh: int
    p_connect: float
    out_degree: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    project_dir: Path | None = None
    spike_i_file: Path | None = None
    spike_t_file: Path | None = None
    spike_dtypes: tuple = ()

    @property
    def n_neurons(self) -> int:
        """Total number of neurons."""
        return self.n_exc + self.n_inh

    @property
    def n_synapses(self) -> int:
        """Total number of recurrent synapses."""
        return int(self.out_degree.sum())


@dataclass
class RunStats:
    """Measurements of one timed run of one network.

    Attributes
    ----------
    loop_seconds : float
        Time of the simulation loop only (see module docstring).
    process_seconds : float or None
        Wall time of the whole timed call (``Network.run`` in runtime mode, or the whole
        binary in standalone mode).
    n_spikes_exc, n_spikes_inh : int
        Spikes emitted during the timed interval.
    synaptic_events : int
        Spikes weighted by the out-degree of the spiking neuron.
    peak_rss_mib : float, optional
        Peak resident memory of the standalone binary.
    """

    loop_seconds: float
    process_seconds: float | None
    n_spikes_exc: int
    n_spikes_inh: int
    synaptic_events: int
    peak_rss_mib: float | None = None


def population_sizes(n_neurons: int) -> tuple[int, int]:
    """Split ``n_neurons`` into excitatory and inhibitory counts (80 % / 20 %).

    Parameters
    ----------
    n_neurons : int
        Total number of neurons.

    Returns
    -------
    (n_exc, n_inh) : tuple of int
    """
    n_exc = int(round(EXC_FRACTION * n_neurons))
    return n_exc, n_neurons - n_exc


def out_degrees(synapses: Synapses, n_sources: int) -> np.ndarray:
    """Number of synapses leaving each neuron of a ``Synapses`` object's source group.

    Parameters
    ----------
    synapses : brian2.Synapses
        Already connected synapses (read after the run in ``cpp_standalone``).
    n_sources : int
        Size of the source group (indices in ``synapses.i`` are relative to it).

    Returns
    -------
    numpy.ndarray of int
        Out-degree of every source neuron.
    """
    sources = owned(synapses.i[:], dtype=np.int64)
    return np.bincount(sources, minlength=n_sources)


def read_status_kib(pid: int | str, key: str) -> int:
    """A memory field of ``/proc/<pid>/status`` in KiB (0 if unavailable).

    Parameters
    ----------
    pid : int or "self"
        Process id.
    key : str
        Field name, e.g. ``"VmRSS"`` (resident now) or ``"VmHWM"`` (peak resident).

    Returns
    -------
    int
    """
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def current_rss_mib() -> float:
    """Resident memory of this process now, in MiB (Linux ``/proc``; NaN elsewhere)."""
    kib = read_status_kib("self", "VmRSS")
    return kib / 1024 if kib else float("nan")


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (``resource.getrusage``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform.startswith("linux") else peak / 2**20


def machine_info() -> dict:
    """CPU model, core count, versions, load average and date: where a timing was measured.

    Returns
    -------
    dict
        JSON-ready description of where the benchmark ran.
    """
    cpu_model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu_model": cpu_model,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "brian2": brian2.__version__,
        "numpy": np.__version__,
        "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "date": dt_module.datetime.now(dt_module.UTC).isoformat(timespec="seconds"),
    }


def source_revision() -> dict:
    """Git commit of the neuroplast checkout and whether its package files are modified.

    Returns
    -------
    dict
        ``commit`` (or None outside a git checkout) and ``neuroplast_modified`` (the
        list of changed files under ``neuroplast/``).
    """
    repo = Path(__file__).resolve().parents[1]

    def git(*arguments: str) -> str | None:
        try:
            completed = subprocess.run(
                ["git", *arguments], cwd=repo, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return None
        return completed.stdout.strip()

    status = git("status", "--porcelain", "--", "neuroplast")
    return {
        "commit": git("rev-parse", "HEAD"),
        "neuroplast_modified": [line[3:] for line in status.splitlines()] if status else [],
    }


def json_ready(value):
    """``value`` with every non-finite float (NaN, inf) replaced by None, for strict JSON.

    Parameters
    ----------
    value : object
        Nested dicts, lists and scalars.

    Returns
    -------
    object
    """
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented, strict JSON (NaN and inf as null), atomically.

    Parameters
    ----------
    path : Path
        Destination; its folder is created if needed.
    data : dict
        JSON-serialisable content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(json_ready(data), indent=2, allow_nan=False) + "\n"
    storage.atomic_write(path, lambda tmp: tmp.write_text(text))


def compute_out_degree(built: BuiltNetwork) -> np.ndarray:
    """Out-degree of every neuron of ``built``, summed over all its ``Synapses`` objects.

    Parameters
    ----------
    built : BuiltNetwork
        A network whose ``Synapses`` objects all have (a subgroup of) the one neuron
        group as their source.

    Returns
    -------
    numpy.ndarray of int
    """
    degree = np.zeros(built.n_neurons, dtype=np.int64)
    for synapses in built.network.objects:
        if isinstance(synapses, Synapses):
            start = synapses.source.start  # 0 for a whole NeuronGroup
            degree[start : synapses.source.stop] += out_degrees(
                synapses, synapses.source.stop - start
            )
    return degree


def spike_stats(built: BuiltNetwork, spike_indices: np.ndarray) -> tuple[int, int, int]:
    """Count excitatory and inhibitory spikes and the synaptic events they cause.

    Parameters
    ----------
    built : BuiltNetwork
    spike_indices : numpy.ndarray of int
        Neuron index of every spike of the timed interval.

    Returns
    -------
    (n_spikes_exc, n_spikes_inh, synaptic_events) : tuple of int
    """
    spike_indices = np.asarray(spike_indices, dtype=np.int64)
    n_exc_spikes = int(np.count_nonzero(spike_indices < built.n_exc))
    events = int(built.out_degree[spike_indices].sum())
    return n_exc_spikes, len(spike_indices) - n_exc_spikes, events


def build_standalone_project(
    build: Callable[[], BuiltNetwork],
    project_dir: Path,
    args: argparse.Namespace,
    *,
    out_degree: Callable[[BuiltNetwork], np.ndarray] | None = None,
    metadata: Callable[[BuiltNetwork], dict] | None = None,
    profile: bool = False,
) -> tuple[BuiltNetwork, RunStats, dict]:
    """Generate, compile and run once (as warm-up) one network's C++ standalone project.

    The loop every standalone benchmark shares: build the network, run ``args.warmup``
    then ``args.duration`` s, compile and run the program once (untimed), and keep what
    :func:`rerun_binary` needs to run the binary again and read its spikes.

    Parameters
    ----------
    build : callable
        Builds the network (called inside the standalone device).
    project_dir : Path
        Fresh directory for the C++ project.
    args : argparse.Namespace
        Command-line arguments (``warmup``, ``duration``).
    out_degree : callable, optional
        Out-degree of every neuron (default :func:`compute_out_degree`).
    metadata : callable, optional
        Extra build metadata, read after the first run while the objects are valid.
    profile : bool
        brian2's code-object profiling.

    Returns
    -------
    (BuiltNetwork, RunStats, dict)
        The network (with the file names needed to re-read its spikes), the statistics
        of this first (untimed) run, and build metadata.
    """
    with brian_backend("cpp_standalone", DT, standalone_dir=project_dir):
        start = time.perf_counter()
        built = build()
        built.network.run(args.warmup * brian2.second, profile=profile)
        built.network.run(args.duration * brian2.second, profile=profile)
        brian2.device.build(directory=str(project_dir), compile=True, run=True, with_output=False)
        build_seconds = time.perf_counter() - start
        built.out_degree = (out_degree or compute_out_degree)(built)
        device = brian2.get_device()
        results_dir = Path(device.results_dir)
        i_var = built.spike_monitor.variables["i"]
        t_var = built.spike_monitor.variables["t"]
        built.project_dir = project_dir
        built.spike_i_file = results_dir / device.get_array_filename(i_var)
        built.spike_t_file = results_dir / device.get_array_filename(t_var)
        built.spike_dtypes = (np.dtype(i_var.dtype), np.dtype(t_var.dtype))
        first_run = RunStats(
            float(device._last_run_time), None, *standalone_spike_stats(built, args)
        )
        meta = metadata(built) if metadata is not None else {}
        meta["build_seconds_incl_compilation"] = build_seconds
        built.network = None  # the standalone objects are invalid after reinit
        built.spike_monitor = None
    return built, first_run, meta


def log_run(
    backend: str, label: str, repeat: int, stats: RunStats, duration: float, width: int = 12
) -> None:
    """Print one timed run as a progress line."""
    log(
        f"  [{backend}] repeat {repeat + 1} {label:<{width}} "
        f"{stats.loop_seconds / duration:7.3f} s/sim-s  "
        f"({stats.n_spikes_exc + stats.n_spikes_inh} spikes)"
    )


def standalone_spike_stats(built: BuiltNetwork, args: argparse.Namespace) -> tuple[int, int, int]:
    """Spike statistics of the last standalone run, read from its result files.

    Only spikes after the warm-up are counted.

    Parameters
    ----------
    built : BuiltNetwork
        A standalone network with its result file names set.
    args : argparse.Namespace
        Command-line arguments (for the warm-up duration).

    Returns
    -------
    (n_spikes_exc, n_spikes_inh, synaptic_events) : tuple of int
    """
    indices = np.fromfile(built.spike_i_file, dtype=built.spike_dtypes[0])
    times = np.fromfile(built.spike_t_file, dtype=built.spike_dtypes[1])
    after_warmup = times >= args.warmup - 0.5 * float(DT)
    return spike_stats(built, indices[after_warmup])


def rerun_binary(built: BuiltNetwork, args: argparse.Namespace) -> RunStats:
    """Run a compiled standalone binary again and measure it.

    The binary is started like brian2's ``device.run`` does (``./main --results_dir
    ...`` in the project directory with brian2's run environment variables).

    Parameters
    ----------
    built : BuiltNetwork
        A compiled standalone network.
    args : argparse.Namespace
        Command-line arguments.

    Returns
    -------
    RunStats
        Loop time from ``last_run_info.txt``, wall time and peak memory of the process,
        spike statistics from the result files.
    """
    project_dir = built.project_dir
    results_dir = built.spike_i_file.parent
    env = dict(os.environ)
    env.update(brian2.prefs.devices.cpp_standalone.run_environment_variables)
    command = brian2.prefs.devices.cpp_standalone.run_cmd_unix
    command = [command] if isinstance(command, str) else list(command)
    peak_rss_kib = 0
    with open(results_dir / "stdout.txt", "w") as stdout:
        start = time.perf_counter()
        process = subprocess.Popen(
            command + ["--results_dir", str(results_dir) + os.sep],
            cwd=project_dir,
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT,
        )
        # The child's ru_maxrss would include this (forking) process's memory, so the
        # binary's own high-water mark (VmHWM) is polled while it runs.
        while process.poll() is None:
            peak_rss_kib = max(peak_rss_kib, read_status_kib(process.pid, "VmHWM"))
            time.sleep(RSS_POLL_SECONDS)
        process_seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(
            f"{built.label}: standalone binary failed with code {process.returncode}, "
            f"see {results_dir / 'stdout.txt'}"
        )
    loop_seconds = float((results_dir / "last_run_info.txt").read_text().split()[0])
    return RunStats(
        loop_seconds,
        process_seconds,
        *standalone_spike_stats(built, args),
        peak_rss_mib=peak_rss_kib / 1024 if peak_rss_kib else None,
    )


def read_standalone_profile(built: BuiltNetwork, args: argparse.Namespace) -> dict[str, float]:
    """Per-code-object times of the last run of a binary built with profiling on.

    The warm-up and the timed run have separate code objects (``..._codeobject`` and
    ``..._codeobject_1``); their times are added up under the object's name.

    Parameters
    ----------
    built : BuiltNetwork
    args : argparse.Namespace
        Command-line arguments (warm-up and duration).

    Returns
    -------
    dict of str to float
        Seconds per simulated second spent in every code object.
    """
    path = built.spike_i_file.parent / "profiling_info.txt"
    simulated = args.warmup + args.duration
    profile: dict[str, float] = {}
    for line in path.read_text().splitlines():
        name, _, seconds = line.partition("\t")
        if name.strip():
            key = name.strip().rsplit("_codeobject", 1)[0]
            profile[key] = profile.get(key, 0.0) + float(seconds) / simulated
    return profile


def log(message: str) -> None:
    """Print a progress message to stderr (the table goes to stdout)."""
    print(message, file=sys.stderr, flush=True)


def run_wall_times(folder: Path, pattern: str) -> list[dict]:
    """The wall-time record (setup, compile, binary, run) of every run under ``folder``.

    ``pattern`` globs the run folders, e.g. ``"runs/*"`` (a sweep) or ``"runs/*/*"`` (an
    experiment: condition / seed).
    """
    times = []
    for data in sorted(Path(folder).glob(f"{pattern}/{storage.DATA_FILE}")):
        with h5py.File(data, "r") as h5:
            times.append(json.loads(h5.attrs["wall_time"]))
    return times
