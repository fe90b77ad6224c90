"""Benchmark: what the slow mechanisms and plasticity cost, against plain brian2 and NEST.

What is compared
----------------
Networks of the same size N (80 % excitatory, 20 % inhibitory), dt = 0.1 ms, one process
per backend, each with a ``SpikeMonitor``, timed interleaved (A, B, C, ..., A, B, C, ...)
and reduced to the best of ``--repeats``:

``plain``
    neuroplast's network (:func:`neuroplast.simulation.network.build_network`) with every slow
    mechanism off, as in ``bench_network.py`` (default ``network.p_connect`` = 0.2).
``slow``
    the same with ``timescale.enabled = true``: biological-time schedules (TimedArrays),
    set points, BDNF / TrkB and the per-cell slow monitor, but no plasticity.
``full``
    ``slow`` plus structural plasticity (E->E candidate pool ``candidate_factor`` = 3 times
    the live synapses, rewiring pass every ``update_interval`` = 100 ms of network time),
    pair-based STDP on the pool and inhibitory STDP on I->E (``plasticity.*.enabled``).
``coba_p0.02``
    the plain brian2 COBA network of Vogels & Abbott (2005) / Brette et al. (2007), built
    by ``bench_network.build_coba`` (p = 2 %).  It is self-sustained at the benchmark's
    N = 4000 but not at N = 1000 (measured: with p = 2 % this seed was silent after the
    warm-up; with p = 8 % 3 of 4 seeds fell silent within 0.5 s; with p = 4 % this seed
    within 2.6 s), so below N = 4000 it gets a keep-alive drive, a ``PoissonInput`` of
    10 Hz per neuron of 6 nS kicks (label ``+drive``); it then stays in its self-sustained
    state (E ~ 35 Hz at N = 1000 with 10, 25 or 50 Hz of drive alike).

``full_1s``
    ``full`` with a 1000 ms rewiring interval (NEST's older example default,
    model docs §5.2; still <= tau_Ca/10), to compare with NEST at equal interval.

Optional kinds (``--networks``): ``structural`` (rewiring only, no STDP or iSTDP) and
``stdp`` (STDP and iSTDP on a pool of live synapses only, no rewiring).
``--set-full KEY=VALUE`` adds config overrides to every ``full*`` network, e.g. to time
``plasticity.structural.candidate_factor=2``.

The slow networks run at ``timescale.rate`` = 8640 (1 biological day = 10 s of network
time, model docs §7) with ``timescale.bio_duration`` chosen so the schedules cover every
simulated second, so the timed duration is pure network time.  ``set_point.window`` is
0.5 s (``settle`` 0.1 s) and ``--warmup`` 0.6 s, so the set points are measured during
the untimed warm-up and rewiring is switched on throughout the timed runs.

Why
---
The issue tracker's targets: full plastic <= 4x plain in ``cpp_standalone`` (stretch
<= 2x) and <= 6x in ``cython``; peak memory <= 300 MB at N = 4000.  The design
asks for a comparison against plain brian2 and against NEST's structural plasticity at
the same size, in one run; ``--profile`` shows which code objects to optimise.

What is timed
-------------
As in ``bench_network.py`` (whose helpers are imported): only the simulation loop.
Runtime (``cython``, ``numpy``): each network is built and run for ``--warmup`` (compiles
the code, measures the set points), then each repeat times a further ``Network.run``
with brian2's own loop time.  ``cpp_standalone``: each network's project is generated
and compiled once with a warm-up run followed by the ``--duration`` run; the binary is
re-run ``--repeats`` times, and the time is that of its last run
(``results/last_run_info.txt``).

Memory
------
Runtime: resident memory (RSS) added by building each network (before its first run),
also after the warm-up, and the peak during build + warm-up (``/proc/self/clear_refs``
resets the high-water mark before each build where the kernel allows it).  Standalone:
peak RSS of each binary (polled ``VmHWM``).  Bytes per candidate synapse three ways:
(RSS_full - RSS_plain) / n_candidates and (RSS_full - RSS_slow) / n_candidates, in both
modes; and from brian2's arrays: the sum of the item sizes of the pool's per-synapse
arrays (weights, flags, index arrays) per candidate, plus an estimate of brian2's spike
queues (``CSpikeQueue`` keeps one ``int32`` per synapse per pathway in its per-source
lists, and the rewiring pathway's buffer holds every candidate at once).

NEST (``--nest``)
-----------------
``nest_structural.py`` (run in a subprocess, one at a time, after the brian2 backends):
an ``iaf_psc_alpha`` network of the same N and p with E->E structural plasticity
(Gaussian growth curves on the E cells' ``Axon_ex`` / ``Den_ex`` elements) at update
intervals 100 ms and 1000 ms, the same network without structural plasticity, and with
``stdp_synapse`` E->E synapses; one thread; ``nest.Simulate`` wall time per simulated
second.  NEST's neurons are simpler than ours (current-based, no NMDA), so the ratio
ours/NEST measures model cost plus simulator cost.

Usage::

    python benchmarks/bench_plastic.py [--n 1000] [--duration 2] [--repeats 3]
        [--backends cython cpp_standalone] [--networks plain slow full full_1s coba]
        [--set-full KEY=VALUE ...] [--profile] [--nest/--no-nest]
        [--out benchmarks/results/plastic.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import brian2
import numpy as np
from bench_network import COBA_PARAMETERS, build_coba
from brian2 import Synapses, ms
from brian2.core.variables import DynamicArrayVariable
from common import (
    DT,
    SILENT_RATE_HZ,
    BuiltNetwork,
    RunStats,
    build_standalone_project,
    current_rss_mib,
    log,
    log_run,
    machine_info,
    peak_rss_mib,
    population_sizes,
    read_standalone_profile,
    read_status_kib,
    rerun_binary,
    source_revision,
    spike_stats,
    write_json,
)

from neuroplast.config.experiment import load_config
from neuroplast.simulation.backend import BACKENDS, brian_backend, is_standalone, owned
from neuroplast.simulation.network import build_network
from neuroplast.simulation.schedules import build_schedules
from neuroplast.simulation.simulate import derive_seeds, drug_curves

#: Biological seconds per network second (model docs §7: 1 day = 10 s of network time).
TIME_RATE = 8640.0

#: Set-point measurement: short, so that it ends inside the warm-up.
SET_POINT_WINDOW_S = 0.5
SET_POINT_SETTLE_S = 0.1

#: COBA reference: p = 2 % (Brette et al. 2007, benchmark 1, N = 4000).
COBA_P = 0.02
#: Below this N the COBA network is not self-sustained (module docstring), so it gets a
#: keep-alive drive.
COBA_SELF_SUSTAINED_N = 4000
#: Keep-alive drive (Hz of independent Poisson inputs per neuron, each a ``delta_g_exc``
#: kick on g_exc): 10 Hz per neuron is 1/240 of our external input rate (800 x 3 Hz) and
#: only keeps the network from falling silent; with 10, 25 or 50 Hz it settled in the same
#: state (E ~ 35 Hz at N = 1000, measured).
COBA_DRIVE_HZ = 10.0

#: Name shared by our networks when deriving seeds, so that plain and slow draw the same graph.
SEED_CONDITION = "bench_plastic"

#: Config overrides of the slow clock and of the plastic mechanisms.
SLOW_OVERRIDES = [
    "timescale.enabled=true",
    f"timescale.rate={TIME_RATE}",
    f'set_point.window="{SET_POINT_WINDOW_S} s"',
    f'set_point.settle="{SET_POINT_SETTLE_S} s"',
    # the firing-route threshold from the tissue's fluctuations samples them over a
    # set-point window longer than this benchmark's; it is a constant after the window, so
    # where it comes from does not change the cost of a step
    'bdnf.release_threshold_from="fixed"',
]
STRUCTURAL_OVERRIDES = [
    "plasticity.structural.enabled=true",
    "plasticity.structural.candidate_factor=3",
    'plasticity.structural.update_interval="100 ms"',
]
STDP_OVERRIDES = ["plasticity.stdp.enabled=true", "plasticity.istdp.enabled=true"]

#: Every network kind: config overrides on top of the plain network (None: COBA).
KINDS: dict[str, list[str] | None] = {
    "plain": [],
    "slow": SLOW_OVERRIDES,
    "full": SLOW_OVERRIDES + STRUCTURAL_OVERRIDES + STDP_OVERRIDES,
    "full_1s": SLOW_OVERRIDES
    + STRUCTURAL_OVERRIDES
    + STDP_OVERRIDES
    + ['plasticity.structural.update_interval="1000 ms"'],
    # "full" under the first model's values (partners uniform, pair STDP, no scaling, no
    # spine-density set point), against which issue #16's default model is timed (at most
    # +15 % time in standalone at N = 1000): "full" / "full_first"
    "full_first": SLOW_OVERRIDES
    + STRUCTURAL_OVERRIDES
    + STDP_OVERRIDES
    + [
        'plasticity.structural.rule="weakest_first"',
        'plasticity.stdp.rule="pair"',
        "plasticity.scaling.enabled=false",
        'bdnf.release_reference="set_point"',
        'bdnf.release_threshold_from="fixed"',
        'plasticity.structural.density_rate="0 /day"',
    ],
    "structural": SLOW_OVERRIDES + STRUCTURAL_OVERRIDES,
    "stdp": SLOW_OVERRIDES + STDP_OVERRIDES,
    "coba": None,
}
DEFAULT_KINDS = ["plain", "slow", "full", "full_1s", "coba"]

#: Issue-tracker targets.
TARGET_FULL_OVER_PLAIN = {"cpp_standalone": 4.0, "cython": 6.0}
STRETCH_FULL_OVER_PLAIN = {"cpp_standalone": 2.0}
TARGET_PEAK_MB = 300.0  # MB = 1e6 bytes
TARGET_PEAK_N = 4000

#: NEST variants: (label, update interval in ms (0 = no structural plasticity), STDP).
NEST_VARIANTS = [
    ("nest_plain", 0.0, False),
    ("nest_sp100", 100.0, False),
    ("nest_sp1000", 1000.0, False),
    ("nest_sp100_stdp", 100.0, True),
]
NEST_SCRIPT = Path(__file__).resolve().parent / "nest_structural.py"

#: One int32 per synapse and pathway in brian2's spike queues (brian2/synapses/cspikequeue.cpp).
QUEUE_BYTES_PER_SYNAPSE_AND_PATHWAY = 4

#: Which code objects of the full network belong to which mechanism (profile split).
PROFILE_GROUPS = [
    ("E->E pool: transmission + STDP LTD (pre pathway)", ("ee_pool_pre",)),
    ("E->E pool: STDP LTP sweep (post pathway)", ("ee_pool_post",)),
    (
        "E->E pool: rewiring pass",
        (
            "ee_pool_rewire",
            "neurons_structural",
            "neurons_before_rewiring",
            "population_from_cells",
            "population_to_cells",
        ),
    ),
    ("iSTDP I->E", ("ie_synapses",)),
    (
        "other synapses (E->I, I->I, plain E/I)",
        ("ei_synapses", "ii_synapses", "exc_synapses", "inh_synapses", "coba_exc", "coba_inh"),
    ),
    ("neurons: state update", ("neurons_stateupdater", "coba_neurons_stateupdater")),
    (
        "neurons: threshold, reset, events",
        ("neurons_spike", "neurons_set_point", "coba_neurons_spike"),
    ),
    ("external Poisson input", ("poissoninput",)),
    ("monitors", ("spikes", "slow", "coba_spikes")),
]


# --------------------------------------------------------------------------- helpers


def coba_drive_hz(args: argparse.Namespace) -> float:
    """Keep-alive drive of the COBA network (``--coba-drive-hz``; default by N)."""
    if args.coba_drive_hz is not None:
        return args.coba_drive_hz
    return COBA_DRIVE_HZ if args.n < COBA_SELF_SUSTAINED_N else 0.0


def label_of(kind: str, args: argparse.Namespace) -> str:
    """Label of a network kind in tables and JSON."""
    if kind != "coba":
        return kind
    return f"coba_p{args.coba_p:g}" + ("+drive" if coba_drive_hz(args) > 0 else "")


def build_driven_coba(label: str, args: argparse.Namespace) -> BuiltNetwork:
    """``bench_network.build_coba`` plus, below N = 4000, the keep-alive Poisson drive."""
    built = build_coba(label, args.n, args.coba_p, args.seed)
    drive_hz = coba_drive_hz(args)
    if drive_hz > 0:
        neurons = next(o for o in built.network.objects if isinstance(o, brian2.NeuronGroup))
        n_inputs = 10
        built.network.add(
            brian2.PoissonInput(
                neurons,
                "g_exc",
                N=n_inputs,
                rate=drive_hz / n_inputs * brian2.Hz,
                weight=COBA_PARAMETERS["delta_g_exc"],
            )
        )
    return built


def mib_to_mb(value: float) -> float:
    """MiB (2**20 bytes) to MB (1e6 bytes)."""
    return value * 2**20 / 1e6


def reset_peak_rss() -> bool:
    """Reset this process's peak-RSS mark (``VmHWM``) to its current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def our_config(kind: str, n_neurons: int, network_seconds: float, extra: list[str]):
    """The validated config of one of our network kinds.

    Parameters
    ----------
    kind : str
        A key of :data:`KINDS` other than ``"coba"``.
    n_neurons : int
        Total number of neurons (80 % E).
    network_seconds : float
        Network time the schedules must cover (slow kinds).
    extra : list of str
        Further overrides (``--set-full``), applied to ``full*`` kinds.

    Returns
    -------
    neuroplast.config.experiment.ExperimentConfig
    """
    n_exc, n_inh = population_sizes(n_neurons)
    overrides = [
        f"network.n_exc={n_exc}",
        f"network.n_inh={n_inh}",
        "recording.n_traced=0",
        "recording.spikes=true",
    ]
    overrides += KINDS[kind]
    if KINDS[kind]:
        # the schedules get one spare 10 ms step; TimedArrays hold their last value after it
        bio_seconds = TIME_RATE * (network_seconds + 0.02)
        overrides.append(f'timescale.bio_duration="{bio_seconds:.6f} s"')
    if kind.startswith("full"):
        overrides += extra
    return load_config(None, overrides)


def build_kind(kind: str, args: argparse.Namespace, network_seconds: float):
    """Build one network (inside :func:`brian_backend`).

    Returns
    -------
    (BuiltNetwork, brian2.Synapses or None)
        The network and its E->E candidate pool (None without one).
    """
    label = label_of(kind, args)
    if kind == "coba":
        return build_driven_coba(label, args), None
    cfg = our_config(kind, args.n, network_seconds, args.set_full)
    seeds = derive_seeds(args.seed, SEED_CONDITION)
    schedules = build_schedules(cfg, drug_curves(cfg)) if cfg.timescale.enabled else None
    model = build_network(cfg, seeds.connectivity, seeds.initial, schedules)
    brian2.seed(seeds.brian)
    built = BuiltNetwork(
        label=label,
        network=model.network,
        spike_monitor=model.monitors["spikes"],
        n_exc=model.n_exc,
        n_inh=model.n_inh,
        p_connect=cfg.network.p_connect,
    )
    return built, model.ee_pool


def live_out_degree(built: BuiltNetwork) -> np.ndarray:
    """Live outgoing recurrent synapses of every neuron (pool candidates count if alive).

    Parameters
    ----------
    built : BuiltNetwork
        A network whose ``Synapses`` all have (a subgroup of) one neuron group as source.

    Returns
    -------
    numpy.ndarray of int
    """
    degree = np.zeros(built.n_neurons, dtype=np.int64)
    for synapses in built.network.objects:
        if not isinstance(synapses, Synapses):
            continue
        start, stop = synapses.source.start, synapses.source.stop
        sources = owned(synapses.i[:], dtype=np.int64)
        weights = owned(synapses.alive[:]) if "alive" in synapses.variables else None
        counts = np.bincount(sources, weights=weights, minlength=stop - start)
        degree[start:stop] += np.rint(counts).astype(np.int64)
    return degree


def pool_summary(pool: Synapses | None) -> dict:
    """Sizes of the E->E candidate pool and bytes of its per-synapse arrays.

    Works in runtime mode and, after ``device.build``, in standalone mode.

    Returns
    -------
    dict
        ``n_candidates``, ``n_live``, per-array bytes, their sum per candidate, and the
        spike-queue estimate (see module docstring).  Empty without a pool.
    """
    if pool is None:
        return {}
    n_candidates = len(pool)
    arrays: dict[str, int] = {}
    seen: set[int] = set()
    for name, variable in pool.variables.items():
        if not isinstance(variable, DynamicArrayVariable) or id(variable) in seen:
            continue
        if variable.owner is None or variable.owner.name != pool.name:
            continue
        values = np.asarray(variable.get_value())
        if values.ndim != 1 or values.shape[0] != n_candidates:
            continue  # per-neuron counts (N_incoming, N_outgoing)
        seen.add(id(variable))
        # the declared dtype is what the generated code stores (standalone read-backs
        # may come back widened)
        arrays[name] = np.dtype(variable.dtype).itemsize * n_candidates
    array_bytes = sum(arrays.values())
    pathways = [pathway.name for pathway in pool._pathways]
    # every candidate sits once in each pathway's per-source list, and the rewiring
    # pathway's delivery buffer receives every candidate at once (all cells fire the
    # 'structural' event in the same step)
    buffers = sum(1 for pathway in pool._pathways if pathway.event == "structural")
    queue_bytes = QUEUE_BYTES_PER_SYNAPSE_AND_PATHWAY * n_candidates * (len(pathways) + buffers)
    return {
        "n_candidates": n_candidates,
        "n_live": int(owned(pool.alive[:]).sum()),
        "pathways": pathways,
        "array_bytes": arrays,
        "array_bytes_per_candidate": array_bytes / n_candidates,
        "queue_bytes_per_candidate_estimate": queue_bytes / n_candidates,
        "bytes_per_candidate_arrays_and_queues": (array_bytes + queue_bytes) / n_candidates,
    }


def init_array_bytes(project_dir: Path, pool: Synapses | None) -> float | None:
    """Bytes per candidate of the pool's initial-value arrays that a standalone binary keeps.

    ``connect(i=..., j=...)`` and array assignments (``pool.alive = ...``) become static
    arrays loaded from ``static_arrays/`` at start-up and kept for the whole run; the
    source and target indices are held twice (the static array and its working copy).

    Returns
    -------
    float or None
        None without a pool.
    """
    if pool is None:
        return None
    total = 0
    for path in (project_dir / "static_arrays").glob(f"*{pool.name}*"):
        copies = 2 if path.name.endswith(("_sources", "_targets")) else 1
        total += copies * path.stat().st_size
    return total / len(pool)


def network_metadata(built: BuiltNetwork, pool: Synapses | None) -> dict:
    """Sizes and connectivity of one network for the JSON output."""
    n_ee_live = int(built.out_degree[: built.n_exc].sum())
    meta = {
        "n_exc": built.n_exc,
        "n_inh": built.n_inh,
        "p_connect": built.p_connect,
        "n_live_synapses": built.n_synapses,
        "n_live_from_exc": n_ee_live,
    }
    meta["pool"] = pool_summary(pool)
    return meta


def count_ee_live(built: BuiltNetwork, pool: Synapses | None) -> int:
    """Live E->E synapses (pool: alive candidates; else E->E synapses of the plain layout)."""
    if pool is not None:
        return int(owned(pool.alive[:]).sum())
    total = 0
    for synapses in built.network.objects:
        if isinstance(synapses, Synapses):
            sources = owned(synapses.i[:]) + synapses.source.start
            targets = owned(synapses.j[:]) + synapses.target.start
            total += int(np.count_nonzero((sources < built.n_exc) & (targets < built.n_exc)))
    return total


# --------------------------------------------------------------------------- runtime


def prime_code_generation() -> None:
    """Compile and run a trivial network, so that loading the code generator's compiler
    (Cython: ~170-200 MiB) is not counted in the memory of the first network that compiles.

    The probe's code contains this process's id, so it is never in brian2's cache and
    really is compiled (a few seconds).
    """
    probe = brian2.NeuronGroup(
        1, f"dv/dt = -v / ({os.getpid()} * ms) : 1", method="exact", name="probe"
    )
    brian2.Network(probe).run(DT)


def run_runtime_backend(backend: str, kinds: list[str], args: argparse.Namespace) -> dict:
    """Build, warm up and time every network on a runtime backend, interleaved.

    Returns
    -------
    dict
        Per-network metadata, memory, runs and (with ``--profile``) profiles.
    """
    run_seconds = args.duration * brian2.second
    warmup_seconds = args.warmup * brian2.second
    covered = args.warmup + args.duration * (args.repeats + (1 if args.profile else 0))
    results: dict[str, dict] = {}
    with brian_backend(backend, DT):
        prime_code_generation()
        networks: list[tuple[BuiltNetwork, Synapses | None]] = []
        for kind in kinds:
            rss_before = current_rss_mib()
            peak_reset = reset_peak_rss()
            start = time.perf_counter()
            built, pool = build_kind(kind, args, covered)
            build_seconds = time.perf_counter() - start
            rss_built = current_rss_mib()
            built.out_degree = live_out_degree(built)
            start = time.perf_counter()
            built.network.run(warmup_seconds)  # compiles; measures the set points
            warm_seconds = time.perf_counter() - start
            peak = read_status_kib("self", "VmHWM") / 1024
            networks.append((built, pool))
            results[built.label] = network_metadata(built, pool) | {
                "kind": kind,
                "n_ee_live": count_ee_live(built, pool),
                "build_seconds": build_seconds,
                "warmup_seconds_incl_compilation": warm_seconds,
                "rss_before_build_mib": rss_before,
                "rss_build_increase_mib": rss_built - rss_before,
                "rss_increase_incl_warmup_mib": current_rss_mib() - rss_before,
                "peak_rss_increase_mib": peak - rss_before if peak_reset else None,
                "runs": [],
            }
            log(
                f"  [{backend}] built {built.label}: {built.n_synapses} live synapses, "
                f"build {build_seconds:.1f} s (+{rss_built - rss_before:.0f} MiB), "
                f"warm-up incl. compilation {warm_seconds:.1f} s"
            )

        for repeat in range(args.repeats):
            for built, _ in networks:
                n_before = int(built.spike_monitor.num_spikes)
                start = time.perf_counter()
                built.network.run(run_seconds)
                process_seconds = time.perf_counter() - start
                loop_seconds = float(brian2.device._last_run_time)
                new_spikes = owned(built.spike_monitor.i[:])[n_before:]
                stats = RunStats(loop_seconds, process_seconds, *spike_stats(built, new_spikes))
                results[built.label]["runs"].append(stats.__dict__)
                log_run(backend, built.label, repeat, stats, args.duration, width=17)

        if args.profile:
            for built, _ in networks:
                built.network.run(run_seconds, profile=True)
                results[built.label]["profile_s_per_sim_s"] = {
                    name: float(seconds) / args.duration
                    for name, seconds in built.network.profiling_info
                }
        for built, pool in networks:
            results[built.label]["n_ee_live_end"] = count_ee_live(built, pool)
    return results


# --------------------------------------------------------------------------- standalone


def build_standalone(kind: str, args: argparse.Namespace, project_dir: Path):
    """Generate, compile and run once (untimed) one network's C++ standalone project.

    Returns
    -------
    (BuiltNetwork, RunStats, dict)
        The network (with its result-file names), the first run's statistics and metadata.
    """
    pools = {}

    def build() -> BuiltNetwork:
        built, pools["pool"] = build_kind(kind, args, args.warmup + args.duration)
        return built

    def metadata(built: BuiltNetwork) -> dict:
        pool = pools["pool"]
        return network_metadata(built, pool) | {
            "pool_init_array_bytes_per_candidate": init_array_bytes(project_dir, pool),
            "kind": kind,
            "n_ee_live_end": count_ee_live(built, pool),
        }

    return build_standalone_project(
        build,
        project_dir,
        args,
        out_degree=live_out_degree,
        metadata=metadata,
        profile=args.profile,
    )


def run_standalone_backend(kinds: list[str], args: argparse.Namespace, work_dir: Path) -> dict:
    """Build every network's binary, then re-run the binaries interleaved.

    Returns
    -------
    dict
        Per-network metadata and runs (each with the binary's peak RSS).
    """
    results: dict[str, dict] = {}
    networks: list[BuiltNetwork] = []
    for kind in kinds:
        project_dir = work_dir / f"standalone_{label_of(kind, args)}"
        built, first_run, meta = build_standalone(kind, args, project_dir)
        networks.append(built)
        results[built.label] = meta | {
            "project_dir": str(project_dir) if args.work_dir is not None else None,
            "first_run_untimed": first_run.__dict__,
            "runs": [],
        }
        log(
            f"  [cpp_standalone] built {built.label}: {built.n_synapses} live synapses, "
            f"generation + compilation + first run {meta['build_seconds_incl_compilation']:.1f} s"
        )
    for repeat in range(args.repeats):
        for built in networks:
            stats = rerun_binary(built, args)
            results[built.label]["runs"].append(stats.__dict__)
            log_run("cpp_standalone", built.label, repeat, stats, args.duration, width=17)
    if args.profile:
        for built in networks:
            results[built.label]["profile_s_per_sim_s"] = read_standalone_profile(built, args)
    return results


# --------------------------------------------------------------------------- NEST


def run_nest(args: argparse.Namespace, work_dir: Path) -> dict:
    """Run every NEST variant in its own subprocess, one after the other.

    Returns
    -------
    dict
        ``variants`` (label -> worker result with a ``summary``), or ``skipped`` with the
        reason when NEST is not available or a worker fails.
    """
    variants: dict[str, dict] = {}
    for label, interval, stdp in NEST_VARIANTS:
        out = work_dir / f"{label}.json"
        command = [
            sys.executable,
            str(NEST_SCRIPT),
            f"--n={args.n}",
            f"--duration={args.duration}",
            f"--warmup={args.warmup}",
            f"--repeats={args.repeats}",
            f"--interval={interval}",
            f"--seed={args.seed % 2**31}",
            f"--out={out}",
        ] + (["--stdp"] if stdp else [])
        log(f"  [nest] {label}")
        try:
            completed = subprocess.run(
                command, capture_output=True, text=True, timeout=args.nest_timeout
            )
        except subprocess.TimeoutExpired:
            return {"skipped": f"{label}: no result within {args.nest_timeout} s"}
        if completed.returncode != 0 or not out.exists():
            tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
            return {"skipped": f"{label}: NEST worker failed: " + " | ".join(tail)}
        result = json.loads(out.read_text())
        loop = np.array([run["loop_seconds"] for run in result["runs"]]) / args.duration
        spikes_exc = np.mean([run["n_spikes_exc"] for run in result["runs"]])
        spikes_inh = np.mean([run["n_spikes_inh"] for run in result["runs"]])
        result["summary"] = {
            "wall_per_sim_s": float(loop.min()),
            "wall_per_sim_s_all": loop.tolist(),
            "rate_exc_hz": float(spikes_exc / (result["n_exc"] * args.duration)),
            "rate_inh_hz": float(spikes_inh / (result["n_inh"] * args.duration)),
            "n_ee_start": result["runs"][0]["n_ee_before"],
            "n_ee_end": result["runs"][-1]["n_ee_after"],
        }
        variants[label] = result
        log(f"  [nest] {label}: {loop.min():.3f} s/sim-s")
    return {"variants": variants}


# --------------------------------------------------------------------------- reporting


def summarise(entry: dict, duration: float) -> dict:
    """Best loop time per simulated second, all repeats, rates, events and peak memory."""
    runs = entry["runs"]
    loop = np.array([run["loop_seconds"] for run in runs]) / duration
    events = np.mean([run["synaptic_events"] for run in runs]) / duration
    best = float(loop.min())
    summary = {
        "wall_per_sim_s": best,
        "wall_per_sim_s_all": loop.tolist(),
        "rate_exc_hz": float(
            np.mean([run["n_spikes_exc"] for run in runs]) / (entry["n_exc"] * duration)
        ),
        "rate_inh_hz": float(
            np.mean([run["n_spikes_inh"] for run in runs]) / (entry["n_inh"] * duration)
        ),
        "live_events_per_sim_s": float(events),
        "ns_per_live_event": float(best / events * 1e9) if events > 0 else float("nan"),
    }
    rss = [run["peak_rss_mib"] for run in runs if run.get("peak_rss_mib") is not None]
    if rss:
        summary["binary_peak_rss_mib"] = float(max(rss))
    return summary


def backend_ratios(backend: str, networks: dict[str, dict]) -> dict:
    """Wall-time ratios, memory differences and the pass/fail verdicts of one backend."""

    def wall(label: str) -> float:
        entry = networks.get(label)
        return entry["summary"]["wall_per_sim_s"] if entry else float("nan")

    coba = next((label for label, e in networks.items() if e["kind"] == "coba"), "coba")
    ratios = {
        "full_over_plain": wall("full") / wall("plain"),
        "full_over_coba": wall("full") / wall(coba),
        "slow_over_plain": wall("slow") / wall("plain"),
        "plain_over_coba": wall("plain") / wall(coba),
        "full_over_slow": wall("full") / wall("slow"),
    }
    for label in networks:
        if label.startswith("full_") or label in ("structural", "stdp"):
            ratios[f"{label}_over_plain"] = wall(label) / wall("plain")
    if "full_first" in networks:
        ratios["full_over_full_first"] = wall("full") / wall("full_first")
    target = TARGET_FULL_OVER_PLAIN.get(backend)
    verdicts = {}
    value = ratios["full_over_plain"]
    if target is not None and np.isfinite(value):
        verdicts["full_over_plain"] = {
            "target": target,
            "pass": bool(value <= target),
            "stretch": STRETCH_FULL_OVER_PLAIN.get(backend),
            "stretch_pass": (
                bool(value <= STRETCH_FULL_OVER_PLAIN[backend])
                if backend in STRETCH_FULL_OVER_PLAIN
                else None
            ),
        }
    return {"ratios": ratios, "verdicts": verdicts, "memory": memory_per_candidate(networks)}


def memory_per_candidate(networks: dict[str, dict]) -> dict:
    """Bytes per candidate synapse of every pool network, from RSS differences and arrays."""
    key = "binary_peak_rss_mib"
    in_standalone = any(key in entry.get("summary", {}) for entry in networks.values())

    def memory(label: str) -> float:
        entry = networks.get(label)
        if entry is None:
            return float("nan")
        if in_standalone:
            return entry["summary"].get(key, float("nan"))
        return entry["rss_build_increase_mib"]

    out = {"basis": "binary peak RSS" if in_standalone else "RSS increase of building"}
    for label, entry in networks.items():
        pool = entry.get("pool") or {}
        n_candidates = pool.get("n_candidates")
        if not n_candidates or label == "stdp":
            continue
        out[label] = {
            "n_candidates": n_candidates,
            "bytes_per_candidate_vs_plain": (memory(label) - memory("plain"))
            * 2**20
            / n_candidates,
            "bytes_per_candidate_vs_slow": (memory(label) - memory("slow")) * 2**20 / n_candidates,
            "bytes_per_candidate_arrays": pool["array_bytes_per_candidate"],
            "bytes_per_candidate_arrays_and_queues_estimate": pool[
                "bytes_per_candidate_arrays_and_queues"
            ],
            "bytes_per_candidate_standalone_init_arrays": entry.get(
                "pool_init_array_bytes_per_candidate"
            ),
        }
    return out


def nest_ratios(report: dict) -> dict:
    """Ours / NEST wall-time ratios at equal N and update interval."""
    nest = report.get("nest", {}).get("variants")
    if not nest:
        return {}

    def nest_wall(label: str) -> float:
        return nest[label]["summary"]["wall_per_sim_s"] if label in nest else float("nan")

    out = {
        "nest_sp100_over_nest_plain": nest_wall("nest_sp100") / nest_wall("nest_plain"),
        "nest_sp1000_over_nest_plain": nest_wall("nest_sp1000") / nest_wall("nest_plain"),
        "nest_sp100_stdp_over_nest_plain": nest_wall("nest_sp100_stdp") / nest_wall("nest_plain"),
    }
    for backend, per_backend in report["backends"].items():
        networks = per_backend["networks"]

        def ours(label: str, networks=networks) -> float:
            entry = networks.get(label)
            return entry["summary"]["wall_per_sim_s"] if entry else float("nan")

        out[backend] = {
            "full_over_nest_sp100": ours("full") / nest_wall("nest_sp100"),
            "full_over_nest_sp100_stdp": ours("full") / nest_wall("nest_sp100_stdp"),
            "full_1s_over_nest_sp1000": ours("full_1s") / nest_wall("nest_sp1000"),
            "structural_over_nest_sp100": ours("structural") / nest_wall("nest_sp100"),
            "plain_over_nest_plain": ours("plain") / nest_wall("nest_plain"),
        }
    return out


def fmt(value: float | None, spec: str = ".2f") -> str:
    """Format a number, or '-' for None / NaN."""
    if value is None or not np.isfinite(value):
        return "-"
    return format(value, spec)


def format_table(report: dict) -> str:
    """Per-backend table, ratios against the targets, and memory per candidate."""
    header = (
        f"{'backend':<15}{'network':<18}{'E->E live':>10}{'candidates':>11}{'E Hz':>7}"
        f"{'I Hz':>7}{'wall s/sim-s':>13}{'(all repeats)':>22}{'ns/live ev':>11}"
        f"{'mem MiB':>9}"
    )
    lines = [header, "-" * len(header)]
    for backend, per_backend in report["backends"].items():
        for label, entry in per_backend["networks"].items():
            s = entry["summary"]
            pool = entry.get("pool") or {}
            repeats = " ".join(f"{value:.3f}" for value in s["wall_per_sim_s_all"])
            memory = s.get("binary_peak_rss_mib", entry.get("rss_build_increase_mib"))
            lines.append(
                f"{backend:<15}{label:<18}{entry.get('n_ee_live_end', 0):>10d}"
                f"{pool.get('n_candidates', 0):>11d}{s['rate_exc_hz']:>7.2f}"
                f"{s['rate_inh_hz']:>7.2f}{s['wall_per_sim_s']:>13.3f}{repeats:>22}"
                f"{fmt(s['ns_per_live_event']):>11}{fmt(memory, '.0f'):>9}"
            )
        r = per_backend["ratios"]
        lines.append(
            f"{'':15}full/plain {fmt(r['full_over_plain'])}   full/COBA "
            f"{fmt(r['full_over_coba'])}   slow/plain {fmt(r['slow_over_plain'])}   "
            f"full/slow {fmt(r['full_over_slow'])}   plain/COBA {fmt(r['plain_over_coba'])}"
        )
        extra = [
            f"{key.removesuffix('_over_plain')}/plain {fmt(value)}"
            for key, value in r.items()
            if key.endswith("_over_plain") and key not in ("full_over_plain", "slow_over_plain")
        ]
        if extra:
            lines.append(f"{'':15}" + "   ".join(extra))
        verdict = per_backend["verdicts"].get("full_over_plain")
        if verdict:
            text = (
                f"{'':15}target full/plain <= {verdict['target']:g}: "
                f"{'PASS' if verdict['pass'] else 'FAIL'}"
            )
            if verdict["stretch"] is not None:
                text += (
                    f"; stretch <= {verdict['stretch']:g}: "
                    f"{'PASS' if verdict['stretch_pass'] else 'FAIL'}"
                )
            lines.append(text)
        memory = per_backend["memory"]
        for label, m in memory.items():
            if not isinstance(m, dict):
                continue
            lines.append(
                f"{'':15}bytes per candidate ({label}, {memory['basis']}): "
                f"vs plain {fmt(m['bytes_per_candidate_vs_plain'], '.1f')}, "
                f"vs slow {fmt(m['bytes_per_candidate_vs_slow'], '.1f')}; brian2 arrays "
                f"{m['bytes_per_candidate_arrays']:.1f}, arrays + spike queues (est.) "
                f"{m['bytes_per_candidate_arrays_and_queues_estimate']:.1f}"
                + (
                    f", + initial-value arrays kept by the binary "
                    f"{m['bytes_per_candidate_standalone_init_arrays']:.1f}"
                    if m.get("bytes_per_candidate_standalone_init_arrays") is not None
                    else ""
                )
            )
        lines.append("")
    return "\n".join(lines)


def format_memory(report: dict, n_neurons: int) -> str:
    """Peak memory lines and the 300 MB target verdicts."""
    lines = []
    applies = n_neurons == TARGET_PEAK_N
    note = "" if applies else f" (target applies at N = {TARGET_PEAK_N})"
    for backend, per_backend in report["backends"].items():
        for label, entry in per_backend["networks"].items():
            peak = entry["summary"].get("binary_peak_rss_mib")
            if peak is not None:
                verdict = "PASS" if mib_to_mb(peak) <= TARGET_PEAK_MB else "FAIL"
                lines.append(
                    f"peak RSS of the cpp_standalone binary of {label}: {peak:.0f} MiB = "
                    f"{mib_to_mb(peak):.0f} MB -> <= {TARGET_PEAK_MB:g} MB: {verdict}{note}"
                )
            elif entry.get("peak_rss_increase_mib") is not None:
                lines.append(
                    f"{backend} {label}: RSS +{entry['rss_build_increase_mib']:.0f} MiB by "
                    f"building, +{entry['rss_increase_incl_warmup_mib']:.0f} MiB incl. warm-up,"
                    f" peak +{entry['peak_rss_increase_mib']:.0f} MiB during build + warm-up"
                )
    memory = report["memory"]
    peak = memory["peak_rss_mib_self"]
    lines.append(
        f"peak RSS of this benchmark process (all runtime networks at once + brian2 + "
        f"Cython): {peak:.0f} MiB = {mib_to_mb(peak):.0f} MB"
    )
    return "\n".join(lines)


def format_nest(report: dict) -> str:
    """NEST variants and ours/NEST ratios."""
    nest = report.get("nest")
    if not nest:
        return "NEST: not run (--no-nest)"
    if "skipped" in nest:
        return f"NEST: skipped: {nest['skipped']}"
    lines = [
        f"{'NEST 3 variant':<17}{'interval':>9}{'E->E start':>11}{'E->E end':>9}{'E Hz':>7}"
        f"{'I Hz':>7}{'wall s/sim-s':>13}{'(all repeats)':>22}{'peak MiB':>9}"
    ]
    for label, result in nest["variants"].items():
        s = result["summary"]
        interval = result["update_interval_ms"]
        repeats = " ".join(f"{value:.3f}" for value in s["wall_per_sim_s_all"])
        lines.append(
            f"{label:<17}{(f'{interval:g} ms' if interval else '-'):>9}{s['n_ee_start']:>11d}"
            f"{s['n_ee_end']:>9d}{s['rate_exc_hz']:>7.2f}{s['rate_inh_hz']:>7.2f}"
            f"{s['wall_per_sim_s']:>13.3f}{repeats:>22}{result['peak_rss_mib']:>9.0f}"
        )
    r = report.get("nest_ratios", {})
    lines.append(
        f"NEST SP overhead: sp100/plain {fmt(r.get('nest_sp100_over_nest_plain'))}, "
        f"sp1000/plain {fmt(r.get('nest_sp1000_over_nest_plain'))}, sp100+STDP/plain "
        f"{fmt(r.get('nest_sp100_stdp_over_nest_plain'))}"
    )
    for backend in report["backends"]:
        b = r.get(backend, {})
        lines.append(
            f"ours/NEST ({backend}): full/nest_sp100 {fmt(b.get('full_over_nest_sp100'))}, "
            f"full/nest_sp100_stdp {fmt(b.get('full_over_nest_sp100_stdp'))}, "
            f"full_1s/nest_sp1000 {fmt(b.get('full_1s_over_nest_sp1000'))}, "
            f"plain/nest_plain {fmt(b.get('plain_over_nest_plain'))}"
        )
    return "\n".join(lines)


def profile_groups(profile: dict[str, float]) -> list[tuple[str, float]]:
    """Seconds per simulated second of each mechanism (see :data:`PROFILE_GROUPS`)."""
    totals: dict[str, float] = {}
    for name, seconds in profile.items():
        group = next(
            (title for title, prefixes in PROFILE_GROUPS if name.startswith(prefixes)), "other"
        )
        totals[group] = totals.get(group, 0.0) + seconds
    return sorted(totals.items(), key=lambda kv: -kv[1])


def format_profiles(report: dict, top: int = 10) -> str:
    """Profile of every network: mechanism split and the slowest code objects."""
    lines = []
    for backend, per_backend in report["backends"].items():
        for label, entry in per_backend["networks"].items():
            profile = entry.get("profile_s_per_sim_s")
            if not profile:
                continue
            total = sum(profile.values())
            lines.append(
                f"profile {backend} {label}: {total:.3f} s per simulated second in code objects"
            )
            for title, seconds in profile_groups(profile):
                share = 100 * seconds / total
                lines.append(f"    {title:<52}{seconds:8.3f} s/sim-s {share:5.1f} %")
            if label.startswith("full"):
                lines.append("    slowest code objects:")
                for name, seconds in sorted(profile.items(), key=lambda kv: -kv[1])[:top]:
                    lines.append(
                        f"      {name:<50}{seconds:8.3f} s/sim-s {100 * seconds / total:5.1f} %"
                    )
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line interface (see the module docstring)."""
    parser = argparse.ArgumentParser(
        description="Time neuroplast's plastic network against its plain network, brian2 "
        "COBA and NEST structural plasticity."
    )
    parser.add_argument("--n", type=int, default=1000, help="neurons per network (80%% E)")
    parser.add_argument(
        "--duration", type=float, default=2.0, help="simulated (network) seconds per timed run"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per network")
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.6,
        help="untimed network seconds first (compilation; must exceed the 0.5 s set-point "
        "window so that rewiring is on while timed)",
    )
    parser.add_argument(
        "--backends", nargs="+", default=["cython", "cpp_standalone"], choices=BACKENDS
    )
    parser.add_argument(
        "--networks", nargs="+", default=DEFAULT_KINDS, choices=list(KINDS), help="kinds to run"
    )
    parser.add_argument(
        "--set-full",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra config override for the full* networks (repeatable)",
    )
    parser.add_argument("--coba-p", type=float, default=COBA_P, help="COBA connection probability")
    parser.add_argument(
        "--coba-drive-hz",
        type=float,
        default=None,
        help=f"COBA keep-alive Poisson drive per neuron (default {COBA_DRIVE_HZ:g} Hz below "
        f"N = {COBA_SELF_SUSTAINED_N}, else 0)",
    )
    parser.add_argument("--seed", type=int, default=20261128, help="root random seed")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="runtime backends: one extra profiled run per network (brian2 profile=True); "
        "cpp_standalone: profiled binaries, whose timings carry the clock calls' overhead",
    )
    parser.add_argument(
        "--nest",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time NEST 3 structural plasticity (nest_structural.py, in subprocesses)",
    )
    parser.add_argument(
        "--nest-timeout", type=float, default=600.0, help="seconds per NEST subprocess"
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/plastic.json"))
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="keep the C++ projects and NEST results here instead of a temporary folder",
    )
    args = parser.parse_args(argv)
    if args.n < 10 or args.duration <= 0 or args.repeats < 1:
        parser.error("need --n >= 10, --duration > 0, --repeats >= 1")
    if args.warmup <= SET_POINT_WINDOW_S:
        parser.error(f"--warmup must exceed the set-point window ({SET_POINT_WINDOW_S} s)")
    args.networks = list(dict.fromkeys(args.networks))
    return args


def run_all(args: argparse.Namespace, work_dir: Path, report: dict) -> None:
    """Run every backend and NEST, filling ``report``."""
    for backend in args.backends:
        log(f"backend {backend}")
        if is_standalone(backend):
            networks = run_standalone_backend(args.networks, args, work_dir)
        else:
            networks = run_runtime_backend(backend, args.networks, args)
        for label, entry in networks.items():
            entry["summary"] = summarise(entry, args.duration)
            s = entry["summary"]
            mean_rate = (s["rate_exc_hz"] * entry["n_exc"] + s["rate_inh_hz"] * entry["n_inh"]) / (
                entry["n_exc"] + entry["n_inh"]
            )
            if mean_rate < SILENT_RATE_HZ:
                report["warnings"].append(
                    f"{backend} {label}: mean rate {mean_rate:.2g} Hz, (nearly) silent"
                )
        report["backends"][backend] = {"networks": networks} | backend_ratios(backend, networks)
    if args.nest:
        log("NEST")
        report["nest"] = run_nest(args, work_dir)
        report["nest_ratios"] = nest_ratios(report)


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print the tables and write the JSON report."""
    args = parse_args(argv)
    started = time.perf_counter()
    report: dict = {
        "machine": machine_info(),
        "source": source_revision(),
        "arguments": {
            key: str(value) if isinstance(value, Path) else value
            for key, value in vars(args).items()
        },
        "dt_ms": float(DT / ms),
        "time_rate": TIME_RATE,
        "backends": {},
        "warnings": [],
    }
    if args.work_dir is not None:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        run_all(args, args.work_dir.resolve(), report)
    else:
        with tempfile.TemporaryDirectory(prefix="neuroplast-bench-plastic-") as work_dir:
            run_all(args, Path(work_dir), report)
    report["memory"] = {"peak_rss_mib_self": peak_rss_mib()}
    report["total_seconds"] = time.perf_counter() - started

    print()
    print(
        f"N = {args.n}, dt = {float(DT / ms):g} ms, {args.duration:g} s of network time per "
        f"timed run after a {args.warmup:g} s warm-up, best of {args.repeats} interleaved "
        f"repeats; wall s/sim-s = simulation loop only; mem = RSS increase of building "
        f"(runtime) or binary peak RSS (cpp_standalone)"
    )
    if args.set_full:
        print(f"full* networks with {' '.join(args.set_full)}")
    print(format_table(report))
    print(format_memory(report, args.n))
    print()
    print(format_nest(report))
    for warning in report["warnings"]:
        print(f"WARNING: {warning}")
    if args.profile:
        print()
        print(format_profiles(report))
    print(f"total benchmark time: {report['total_seconds']:.0f} s")
    write_json(args.out, report)
    print(f"results written to {args.out}")
    return report


if __name__ == "__main__":
    main()
