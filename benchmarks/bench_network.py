"""Benchmark: neuroplast's E/I network against the plain brian2 COBA benchmark network.

What is compared
----------------
Three networks of the same size N (80 % excitatory, 20 % inhibitory), one process,
same time step (0.1 ms), same brian2 backend, timed interleaved (A, B, C, A, B, C, ...)
and reduced to the best of ``--repeats``:

``ours_p0.02``
    neuroplast's network (:func:`neuroplast.simulation.network.build_network`) with
    ``network.p_connect = 0.02``; its per-synapse conductances scale with
    ``1/p_connect`` so the mean recurrent input stays that of the reference network.
``ours_p0.2``
    neuroplast's network at its default connection probability (0.2).
``coba_p0.02``
    the conductance-based integrate-and-fire network of Vogels & Abbott (2005,
    J Neurosci 25:10786) in the form used as "benchmark 1" by Brette et al. (2007,
    J Comput Neurosci 23:349): p = 2 %, exponential conductances, no external
    input (self-sustained), forward Euler, written here with plain brian2 objects.

Both kinds of network keep a ``SpikeMonitor`` (recording spikes is part of what is
compared) so that every spike can be counted.  Comparison (a) is ``ours_p0.02`` vs
``coba_p0.02`` (same N, same p: the overhead of our richer neuron and synapse model);
comparison (b) is ``ours_p0.2`` vs ``coba_p0.02``, reported both as a wall-time ratio
and as a ratio of the cost per synaptic event (one event = one spike delivered through
one synapse, i.e. the sum over spikes of the spiking neuron's out-degree).

Why
---
The issue tracker's target is a wall-time ratio ours/COBA <= 1.5 at N = 4000 in both
``cython`` and ``cpp_standalone``.  COBA is the standard reference point for brian2
speed, so the ratio separates "our model is expensive" from "brian2 is slow here".

What is timed
-------------
Only the simulation loop.  Runtime backends (``cython``, ``numpy``): each network is
built, run for ``--warmup`` (this compiles the Cython code and removes the initial
transient), then every repeat times one further ``Network.run(duration)``; the time is
brian2's own measurement of the run loop (``device._last_run_time``, wall clock), which
excludes the per-run code preparation.  ``cpp_standalone``: each network's C++ project is
generated and compiled once (in its own ``brian_backend`` block and project directory),
with a ``--warmup`` run followed by the ``--duration`` run; the compiled binary is then
re-run ``--repeats`` times, interleaved, and the time is the one the binary writes for
its last run (``results/last_run_info.txt``, processor time of the run loop; the binary
is single-threaded).  The wall time of the whole binary (loading arrays, synapse
creation, writing results) is reported alongside.

Caveats
-------
* Our network is driven by ``external.n_inputs`` independent Poisson inputs per neuron
  (brian2 ``PoissonInput``: one binomial draw per neuron and time step); COBA has no
  external input at all.  External events are not counted as synaptic events.
* ``--profile`` in ``cpp_standalone`` builds binaries that call ``std::clock()`` twice
  per code object and time step; on this kind of machine that roughly doubles the time
  of COBA, so timings of a ``--profile`` run are not comparable with a normal run (the
  per-code-object split is still informative).  In runtime mode the profiled run is an
  extra run after the timed ones.

Usage::

    python benchmarks/bench_network.py [--n 4000] [--duration 2] [--repeats 3]
        [--backends cython cpp_standalone] [--out benchmarks/results/network.json]
        [--profile]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import brian2
import numpy as np
from brian2 import Network, NeuronGroup, SpikeMonitor, Synapses, ms, mV, nS, pF
from common import (
    DT,
    SILENT_RATE_HZ,
    BuiltNetwork,
    RunStats,
    build_standalone_project,
    compute_out_degree,
    current_rss_mib,
    log,
    log_run,
    machine_info,
    peak_rss_mib,
    population_sizes,
    read_standalone_profile,
    rerun_binary,
    source_revision,
    spike_stats,
    write_json,
)

from neuroplast.config.experiment import load_config
from neuroplast.simulation.backend import BACKENDS, brian_backend, is_standalone, owned
from neuroplast.simulation.network import build_network
from neuroplast.simulation.simulate import derive_seeds

#: COBA parameters: Vogels & Abbott (2005) / Brette et al. (2007), benchmark 1.
#: The synaptic increments are the values of the Brian 1 benchmark script (6 nS and
#: 67 nS, i.e. 0.6 and 6.7 in units of the 10 nS leak conductance); the PyNN version of
#: the benchmark uses 4 nS and 51 nS instead.
COBA_PARAMETERS = {
    "C_m": 200 * pF,  # tau_m = C_m / g_leak = 20 ms
    "g_leak": 10 * nS,
    "E_leak": -60 * mV,
    "V_th": -50 * mV,
    "V_reset": -60 * mV,
    "tau_exc": 5 * ms,
    "tau_inh": 10 * ms,
    "E_exc": 0 * mV,
    "E_inh": -80 * mV,
    "delta_g_exc": 6 * nS,
    "delta_g_inh": 67 * nS,
}
COBA_REFRACTORY = 5 * ms

#: Initial conductances, mean and s.d. in nS: the Brian 1 benchmark script (R. Brette,
#: "Brette_2007/COBA.py") draws them from N(4, 1.5) and N(20, 12) in units of the leak
#: conductance (10 nS).  The draws are deliberately not clipped at 0: the ~5 % negative
#: inhibitory conductances (which decay within ~10 ms) kick the network into its
#: self-sustained state.  Clipped, activity died out within 0.25 s for 6 of 12 seeds in
#: a test at N = 4000; unclipped, it survived for all 12.
COBA_INITIAL_G_EXC = (40.0, 15.0)
COBA_INITIAL_G_INH = (200.0, 120.0)


COBA_EQUATIONS = """
dv/dt = (g_leak * (E_leak - v) + g_exc * (E_exc - v) + g_inh * (E_inh - v)) / C_m : volt (unless refractory)
dg_exc/dt = -g_exc / tau_exc : siemens
dg_inh/dt = -g_inh / tau_inh : siemens
"""  # noqa: E501


# --------------------------------------------------------------------------- data


# --------------------------------------------------------------------------- helpers


# --------------------------------------------------------------------------- networks


def build_ours(label: str, n_neurons: int, p_connect: float | None, root_seed: int) -> BuiltNetwork:
    """Build neuroplast's network (must be called inside :func:`brian_backend`).

    Parameters
    ----------
    label : str
        Name of the network in the results.
    n_neurons : int
        Total number of neurons (split 80/20).
    p_connect : float or None
        Connection probability; ``None`` keeps neuroplast's default.
    root_seed : int
        Root seed; connectivity, initial and brian2 seeds are derived from it the way
        :mod:`neuroplast.simulation.simulate` does.

    Returns
    -------
    BuiltNetwork
    """
    n_exc, n_inh = population_sizes(n_neurons)
    overrides = [
        f"network.n_exc={n_exc}",
        f"network.n_inh={n_inh}",
        "recording.n_traced=0",
        "recording.spikes=true",
    ]
    if p_connect is not None:
        overrides.append(f"network.p_connect={p_connect}")
    cfg = load_config(None, overrides)
    seeds = derive_seeds(root_seed, label)
    model = build_network(cfg, seeds.connectivity, seeds.initial)
    brian2.seed(seeds.brian)
    return BuiltNetwork(
        label=label,
        network=model.network,
        spike_monitor=model.monitors["spikes"],
        n_exc=n_exc,
        n_inh=n_inh,
        p_connect=cfg.network.p_connect,
    )


def build_coba(label: str, n_neurons: int, p_connect: float, root_seed: int) -> BuiltNetwork:
    """Build the Vogels & Abbott / Brette et al. COBA network with plain brian2 objects.

    Must be called inside :func:`brian_backend`.  Connectivity is drawn by brian2
    (``connect(p=...)``, autapses allowed as in the original benchmark) after seeding
    brian2's generator, so a standalone binary draws the same graph on every run.

    Parameters
    ----------
    label : str
        Name of the network in the results.
    n_neurons : int
        Total number of neurons (split 80/20).
    p_connect : float
        Connection probability of both projections.
    root_seed : int
        Seed of the initial state (numpy) and of brian2's generator (connectivity).

    Returns
    -------
    BuiltNetwork
    """
    n_exc, n_inh = population_sizes(n_neurons)
    seeds = derive_seeds(root_seed, label)
    brian2.seed(seeds.brian)
    par = COBA_PARAMETERS
    neurons = NeuronGroup(
        n_neurons,
        COBA_EQUATIONS,
        threshold="v > V_th",
        reset="v = V_reset",
        refractory=COBA_REFRACTORY,
        method="euler",
        namespace=par,
        name="coba_neurons",
    )
    rng = np.random.default_rng(seeds.initial)
    v_reset, v_th = float(par["V_reset"]), float(par["V_th"])
    neurons.v = (v_reset + rng.uniform(0, 1, n_neurons) * (v_th - v_reset)) * brian2.volt
    neurons.g_exc = rng.normal(*COBA_INITIAL_G_EXC, n_neurons) * nS
    neurons.g_inh = rng.normal(*COBA_INITIAL_G_INH, n_neurons) * nS

    exc_synapses = Synapses(
        neurons[:n_exc],
        neurons,
        on_pre="g_exc_post += delta_g_exc",
        namespace=par,
        name="coba_exc_synapses",
    )
    exc_synapses.connect(p=p_connect)
    inh_synapses = Synapses(
        neurons[n_exc:],
        neurons,
        on_pre="g_inh_post += delta_g_inh",
        namespace=par,
        name="coba_inh_synapses",
    )
    inh_synapses.connect(p=p_connect)
    spikes = SpikeMonitor(neurons, name="coba_spikes")
    network = Network(neurons, exc_synapses, inh_synapses, spikes, name="coba_network")
    return BuiltNetwork(
        label=label,
        network=network,
        spike_monitor=spikes,
        n_exc=n_exc,
        n_inh=n_inh,
        p_connect=p_connect,
    )


def network_plan(p_matched: float) -> list[tuple[str, Callable, float | None]]:
    """The compared networks, in the order in which they are run in every repeat.

    Parameters
    ----------
    p_matched : float
        Connection probability of the COBA network and of the matched variant of ours.

    Returns
    -------
    list of (label, builder, p_connect)
        ``p_connect = None`` keeps neuroplast's default connection probability.
    """
    default_p = load_config(None).network.p_connect
    return [
        (f"ours_p{p_matched:g}", build_ours, p_matched),
        (f"coba_p{p_matched:g}", build_coba, p_matched),
        (f"ours_p{default_p:g}", build_ours, None),
    ]


# --------------------------------------------------------------------------- runtime


def run_runtime_backend(backend: str, args: argparse.Namespace) -> dict:
    """Benchmark the three networks on a runtime backend (``cython`` or ``numpy``).

    All networks are built inside one :func:`brian_backend` block, warmed up (compiling
    their code), then run ``args.repeats`` times interleaved.

    Parameters
    ----------
    backend : str
    args : argparse.Namespace
        Command-line arguments.

    Returns
    -------
    dict
        Per-network metadata, runs and (optionally) profiles.
    """
    duration = args.duration * brian2.second
    warmup = args.warmup * brian2.second
    results: dict[str, dict] = {}
    with brian_backend(backend, DT):
        networks: list[BuiltNetwork] = []
        for label, builder, p_connect in network_plan(args.p_matched):
            rss_before = current_rss_mib()
            start = time.perf_counter()
            built = builder(label, args.n, p_connect, args.seed)
            built.out_degree = compute_out_degree(built)
            build_seconds = time.perf_counter() - start
            start = time.perf_counter()
            built.network.run(warmup)  # compiles the code, removes the initial transient
            warmup_seconds = time.perf_counter() - start
            networks.append(built)
            results[label] = network_metadata(built) | {
                "build_seconds": build_seconds,
                "warmup_seconds_incl_compilation": warmup_seconds,
                "rss_increase_mib": current_rss_mib() - rss_before,
                "runs": [],
            }
            log(
                f"  [{backend}] built {label}: {built.n_synapses} synapses, "
                f"build {build_seconds:.1f} s, warm-up incl. compilation {warmup_seconds:.1f} s"
            )

        for repeat in range(args.repeats):
            for built in networks:
                n_before = int(built.spike_monitor.num_spikes)
                start = time.perf_counter()
                built.network.run(duration)
                process_seconds = time.perf_counter() - start
                loop_seconds = float(brian2.device._last_run_time)
                new_spikes = owned(built.spike_monitor.i[:])[n_before:]
                stats = RunStats(loop_seconds, process_seconds, *spike_stats(built, new_spikes))
                results[built.label]["runs"].append(stats.__dict__)
                log_run(backend, built.label, repeat, stats, args.duration)

        if args.profile:
            for built in networks:
                built.network.run(duration, profile=True)
                results[built.label]["profile_s_per_sim_s"] = {
                    name: float(seconds) / args.duration
                    for name, seconds in built.network.profiling_info
                }
    return results


# --------------------------------------------------------------------------- standalone


def run_standalone_backend(args: argparse.Namespace, work_dir: Path) -> dict:
    """Benchmark the three networks with ``cpp_standalone``.

    Each project is built and compiled once in its own directory under ``work_dir``;
    the binaries are then re-run ``args.repeats`` times, interleaved.

    Parameters
    ----------
    args : argparse.Namespace
        Command-line arguments.
    work_dir : Path
        Folder for the C++ projects.

    Returns
    -------
    dict
        Per-network metadata, runs and (optionally) profiles.
    """
    results: dict[str, dict] = {}
    networks: list[BuiltNetwork] = []
    for label, builder, p_connect in network_plan(args.p_matched):
        project_dir = work_dir / f"standalone_{label}"
        built, first_run, meta = build_standalone_project(
            lambda builder=builder, label=label, p=p_connect: builder(label, args.n, p, args.seed),
            project_dir,
            args,
            profile=args.profile,
        )
        networks.append(built)
        results[label] = (
            network_metadata(built)
            | meta
            | {
                "project_dir": str(project_dir) if args.work_dir is not None else None,
                "first_run_untimed": first_run.__dict__,
                "runs": [],
            }
        )
        log(
            f"  [cpp_standalone] built {label}: {built.n_synapses} synapses, "
            f"generation + compilation + first run {meta['build_seconds_incl_compilation']:.1f} s"
        )

    for repeat in range(args.repeats):
        for built in networks:
            stats = rerun_binary(built, args)
            results[built.label]["runs"].append(stats.__dict__)
            log_run("cpp_standalone", built.label, repeat, stats, args.duration)
    for built in networks:
        first = results[built.label]["first_run_untimed"]
        runs = results[built.label]["runs"]
        counts = {(run["n_spikes_exc"], run["n_spikes_inh"]) for run in runs}
        # Seeded binaries must reproduce their first run exactly.
        results[built.label]["deterministic_reruns"] = counts == {
            (first["n_spikes_exc"], first["n_spikes_inh"])
        }
        if args.profile:
            results[built.label]["profile_s_per_sim_s"] = read_standalone_profile(built, args)
    return results


# --------------------------------------------------------------------------- reporting


def network_metadata(built: BuiltNetwork) -> dict:
    """Sizes and connectivity of one network, for the JSON output."""
    n_exc_synapses = int(built.out_degree[: built.n_exc].sum())
    return {
        "n_exc": built.n_exc,
        "n_inh": built.n_inh,
        "p_connect": built.p_connect,
        "n_synapses": built.n_synapses,
        "n_synapses_from_exc": n_exc_synapses,
        "n_synapses_from_inh": built.n_synapses - n_exc_synapses,
        "mean_out_degree": float(built.out_degree.mean()),
    }


def summarise(entry: dict, duration: float) -> dict:
    """Reduce the runs of one network to the best time and mean activity.

    Parameters
    ----------
    entry : dict
        Metadata and ``runs`` of one network.
    duration : float
        Simulated seconds per timed run.

    Returns
    -------
    dict
        ``wall_per_sim_s`` (best loop time per simulated second), all loop times,
        mean rates, synaptic events per simulated and per wall second, cost per event.
    """
    runs = entry["runs"]
    loop = np.array([run["loop_seconds"] for run in runs]) / duration
    process = np.array([run["process_seconds"] for run in runs]) / duration
    events = np.mean([run["synaptic_events"] for run in runs]) / duration
    rate_exc = np.mean([run["n_spikes_exc"] for run in runs]) / (entry["n_exc"] * duration)
    rate_inh = np.mean([run["n_spikes_inh"] for run in runs]) / (entry["n_inh"] * duration)
    best = float(loop.min())
    summary = {
        "wall_per_sim_s": best,
        "wall_per_sim_s_all": loop.tolist(),
        "process_wall_per_sim_s_best": float(process.min()),
        "rate_exc_hz": float(rate_exc),
        "rate_inh_hz": float(rate_inh),
        "events_per_sim_s": float(events),
        "events_per_wall_s": float(events / best) if best > 0 else float("nan"),
        "ns_per_event": float(best / events * 1e9) if events > 0 else float("nan"),
    }
    rss = [run["peak_rss_mib"] for run in runs if run.get("peak_rss_mib") is not None]
    if rss:
        summary["binary_peak_rss_mib"] = float(max(rss))
    return summary


def ratios(summaries: dict[str, dict], p_matched: float) -> dict:
    """The comparisons (a) and (b) of the module docstring.

    Parameters
    ----------
    summaries : dict
        Output of :func:`summarise` per network label.
    p_matched : float
        Connection probability of the matched comparison.

    Returns
    -------
    dict
    """
    labels = [label for label, _, _ in network_plan(p_matched)]
    matched, coba, default = (summaries[label] for label in labels)

    def per_event_ratio(ours: dict) -> float:
        return ours["ns_per_event"] / coba["ns_per_event"]

    return {
        "a_matched_wall_ratio": matched["wall_per_sim_s"] / coba["wall_per_sim_s"],
        "a_matched_cost_per_event_ratio": per_event_ratio(matched),
        "b_default_wall_ratio": default["wall_per_sim_s"] / coba["wall_per_sim_s"],
        "b_default_cost_per_event_ratio": per_event_ratio(default),
        "labels": {"matched": labels[0], "coba": labels[1], "default": labels[2]},
    }


def format_table(report: dict, target: float) -> str:
    """The results as a plain-text table with the ratios below each backend.

    Parameters
    ----------
    report : dict
        The full JSON report.
    target : float
        Target wall-time ratio of the issue tracker.

    Returns
    -------
    str
    """
    header = (
        f"{'backend':<15}{'network':<12}{'p':>6}{'synapses':>10}{'E Hz':>7}{'I Hz':>7}"
        f"{'events/sim-s':>14}{'wall s/sim-s':>13}{'(all repeats)':>22}"
        f"{'Mev/wall-s':>11}{'ns/event':>9}"
    )
    lines = [header, "-" * len(header)]
    for backend, per_backend in report["backends"].items():
        for label, entry in per_backend["networks"].items():
            s = entry["summary"]
            repeats = " ".join(f"{value:.3f}" for value in s["wall_per_sim_s_all"])
            lines.append(
                f"{backend:<15}{label:<12}{entry['p_connect']:>6g}{entry['n_synapses']:>10d}"
                f"{s['rate_exc_hz']:>7.2f}{s['rate_inh_hz']:>7.2f}"
                f"{s['events_per_sim_s']:>14.4g}{s['wall_per_sim_s']:>13.3f}{repeats:>22}"
                f"{s['events_per_wall_s'] / 1e6:>11.2f}{s['ns_per_event']:>9.2f}"
            )
        r = per_backend["ratios"]
        names = r["labels"]

        def verdict(value: float) -> str:
            return "meets" if value <= target else "EXCEEDS"

        lines.append(
            f"{'':15}(a) {names['matched']}/{names['coba']}: wall ratio "
            f"{r['a_matched_wall_ratio']:.2f} ({verdict(r['a_matched_wall_ratio'])} target "
            f"<= {target:g}); cost per event ratio {r['a_matched_cost_per_event_ratio']:.2f}"
        )
        lines.append(
            f"{'':15}(b) {names['default']}/{names['coba']}: wall ratio "
            f"{r['b_default_wall_ratio']:.2f}; cost per event ratio "
            f"{r['b_default_cost_per_event_ratio']:.2f}"
        )
        lines.append("")
    memory = report["memory"]
    lines.append(f"peak RSS of this process: {memory['peak_rss_mib_self']:.0f} MiB")
    for backend, per_backend in report["backends"].items():
        for label, entry in per_backend["networks"].items():
            if "binary_peak_rss_mib" in entry["summary"]:
                lines.append(
                    f"peak RSS of the {backend} binary of {label}: "
                    f"{entry['summary']['binary_peak_rss_mib']:.0f} MiB"
                )
            elif "rss_increase_mib" in entry:
                lines.append(
                    f"RSS increase when building + warming up {label} ({backend}): "
                    f"{entry['rss_increase_mib']:.0f} MiB"
                )
    return "\n".join(lines)


def format_profiles(report: dict, top: int = 8) -> str:
    """The slowest code objects of every profiled network, as text.

    Parameters
    ----------
    report : dict
        The full JSON report.
    top : int
        Number of code objects shown per network.

    Returns
    -------
    str
    """
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
            for name, seconds in sorted(profile.items(), key=lambda kv: -kv[1])[:top]:
                lines.append(f"    {name:<40}{seconds:8.3f} s/sim-s {100 * seconds / total:5.1f} %")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line interface (see the module docstring)."""
    parser = argparse.ArgumentParser(
        description="Time neuroplast's network against the brian2 COBA benchmark network."
    )
    parser.add_argument("--n", type=int, default=4000, help="neurons per network (80%% E)")
    parser.add_argument(
        "--duration", type=float, default=2.0, help="simulated seconds per timed run"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per network")
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.05,
        help="untimed simulated seconds before timing (compilation, transient)",
    )
    parser.add_argument(
        "--backends", nargs="+", default=["cython", "cpp_standalone"], choices=BACKENDS
    )
    parser.add_argument(
        "--p-matched",
        type=float,
        default=0.02,
        help="connection probability of COBA and of the matched comparison",
    )
    parser.add_argument("--seed", type=int, default=20261128, help="root random seed")
    parser.add_argument(
        "--target", type=float, default=1.5, help="target wall-time ratio ours/COBA (issue tracker)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also collect per-code-object times (runtime: one extra "
        "profiled run per network; standalone: profiled binaries, "
        "which makes the timed runs slower)",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/network.json"))
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="keep the C++ projects here instead of a temporary folder",
    )
    args = parser.parse_args(argv)
    if args.n < 10 or args.duration <= 0 or args.repeats < 1 or args.warmup < 0:
        parser.error("need --n >= 10, --duration > 0, --repeats >= 1, --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print the table and write the JSON report.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    dict
        The report written to ``--out``.
    """
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
        "backends": {},
        "warnings": [],
    }
    for backend in args.backends:
        log(f"backend {backend}")
        if is_standalone(backend):
            if args.work_dir is not None:
                args.work_dir.mkdir(parents=True, exist_ok=True)
                networks = run_standalone_backend(args, args.work_dir.resolve())
            else:
                with tempfile.TemporaryDirectory(prefix="neuroplast-bench-") as work_dir:
                    networks = run_standalone_backend(args, Path(work_dir))
        else:
            networks = run_runtime_backend(backend, args)
        for label, entry in networks.items():
            entry["summary"] = summarise(entry, args.duration)
            summary = entry["summary"]
            mean_rate = (
                summary["rate_exc_hz"] * entry["n_exc"] + summary["rate_inh_hz"] * entry["n_inh"]
            ) / (entry["n_exc"] + entry["n_inh"])
            if mean_rate < SILENT_RATE_HZ:
                report["warnings"].append(
                    f"{backend} {label}: mean rate {mean_rate:.2g} Hz, the network is (nearly) "
                    "silent, so its timing and cost per event are not representative"
                )
        report["backends"][backend] = {
            "networks": networks,
            "ratios": ratios({k: v["summary"] for k, v in networks.items()}, args.p_matched),
        }
    report["memory"] = {"peak_rss_mib_self": peak_rss_mib()}
    report["total_seconds"] = time.perf_counter() - started

    print()
    print(
        f"N = {args.n}, dt = {float(DT / ms):g} ms, {args.duration:g} s simulated per run, "
        f"best of {args.repeats} interleaved repeats; wall s/sim-s = simulation loop only"
    )
    print(format_table(report, args.target))
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
