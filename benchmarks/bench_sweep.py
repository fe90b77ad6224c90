"""Sweep throughput: runs per hour at 1 and 2 workers, and what reusing a C++ build saves.

A sweep of ``--points`` values of the external drive over a plastic network (STDP and
structural plasticity on, ``--n`` neurons, ``--duration`` of network time each), in
cpp_standalone, three ways:

``cold``   every run builds its C++ project from scratch in a fresh folder (plain brian2:
           ``set_device('cpp_standalone', directory=new)`` per run), 1 worker;
``slots1`` the sweep's own runner: a worker locks a project slot and later runs rebuild
           only the files that changed (neuroplast.experiment.standalone_project),
           1 worker, starting from an empty slot folder (one cold build);
``slots2`` the same with 2 workers (2 slots, two cold builds).

Printed side by side: wall time, runs per hour, the mean compile and binary time per
run (from brian2's timers, saved with each run), the compile-once saving
(``slots1 / cold``, and a rebuilt run's cost relative to a cold build + run), and the
scaling efficiency from 1 to 2 workers.  The modes run one after the other, in the
order given by ``--modes``; on a shared machine, compare ratios from one invocation.

    python benchmarks/bench_sweep.py                          # N = 4000, 20 points of 10 s
    python benchmarks/bench_sweep.py --n 1000 --points 6 --duration "2 s"   # a quick look
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from common import machine_info, run_wall_times

from neuroplast import storage
from neuroplast.sweep import run_sweep, sweep_from_dict

ROOT = Path(__file__).resolve().parents[1]
MODES = ("cold", "slots1", "slots2")


def base_config(n: int, duration: str, p_connect: float, project_dir: Path) -> dict:
    """The swept experiment: a plastic network, one biological day of slow processes."""
    return {
        "name": "bench_sweep",
        "seed": 3,
        "simulation": {
            "backend": "cpp_standalone",
            "duration": duration,
            "standalone_dir": str(project_dir),
        },
        "network": {"n_exc": int(0.8 * n), "n_inh": n - int(0.8 * n), "p_connect": p_connect},
        "recording": {"n_traced": 0, "spikes": False},
        "plasticity": {"stdp": {"enabled": True}, "structural": {"enabled": True}},
        "timescale": {"enabled": True, "bio_duration": "1 day"},
        "output": {"figures": False},
    }


def sweep_spec(args, project_dir: Path):
    """The benchmark sweep: ``--points`` external rates over :func:`base_config`."""
    rates = np.linspace(2.5, 3.5, args.points)
    base = base_config(args.n, args.duration, args.p_connect, project_dir)
    # one biological day runs for --duration of network time
    seconds = float(args.duration.split()[0])
    base["timescale"]["rate"] = 86400.0 / seconds
    # MSP rewiring at most every tau_calcium / 10 of network time (SCIENCE.md §5.2)
    base["plasticity"]["structural"]["update_interval"] = f"{min(1.0, seconds / 10):g} s"
    data = {
        "name": "bench_sweep",
        "base": str(ROOT / "configs" / "default.toml"),
        "set": base,
        "seed": 5,
        "repeats": 1,
        "kind": "grid",
        "axes": [{"path": "external.rate", "values": [f"{r:.4f} Hz" for r in rates]}],
    }
    return sweep_from_dict(data, name="bench_sweep")


def cold_runner(cfg, run_dir: Path) -> None:
    """Plain brian2: a fresh project folder per run, removed afterwards."""
    from neuroplast.experiment import run_experiment

    folder = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    simulation = cfg.simulation.model_copy(update={"standalone_dir": str(folder)})
    try:
        run_experiment(cfg.model_copy(update={"simulation": simulation}), run_dir)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def one_mode(mode: str, args, work: Path) -> dict:
    out = work / mode
    projects = work / f"{mode}-projects"
    spec = sweep_spec(args, projects)
    workers = 2 if mode == "slots2" else 1
    start = time.perf_counter()
    result = run_sweep(
        spec,
        out,
        workers=workers,
        progress=False,
        runner=cold_runner if mode == "cold" else None,
    )
    wall = time.perf_counter() - start
    times = run_wall_times(out, "runs/*")
    compile_s = [t.get("compile_s", float("nan")) for t in times]
    binary_s = [t.get("binary_s", float("nan")) for t in times]
    return {
        "mode": mode,
        "workers": workers,
        "runs": len(times),
        "failed": len(result.failed),
        "wall_s": wall,
        "runs_per_hour": 3600.0 * len(times) / wall,
        "cold_compile_s": max(compile_s) if compile_s else float("nan"),
        "compile_s_each": compile_s,
        "binary_s_each": binary_s,
        "mean_compile_s": float(np.mean(compile_s)) if compile_s else float("nan"),
        "mean_binary_s": float(np.mean(binary_s)) if binary_s else float("nan"),
    }


def summarise(rows: dict[str, dict]) -> dict:
    ratios = {}
    if "cold" in rows and "slots1" in rows:
        cold, slots = rows["cold"], rows["slots1"]
        ratios["slots1_over_cold_wall"] = slots["wall_s"] / cold["wall_s"]
        # a rebuilt run (all but the slowest build: the slot's cold one) against a cold
        # build + run; the run directories are not in time order
        order = np.argsort(slots["compile_s_each"])[:-1]
        rebuilt = [
            c + b
            for c, b in zip(
                np.asarray(slots["compile_s_each"])[order],
                np.asarray(slots["binary_s_each"])[order],
                strict=True,
            )
        ]
        cold_each = [
            c + b for c, b in zip(cold["compile_s_each"], cold["binary_s_each"], strict=True)
        ]
        if rebuilt and cold_each:
            ratios["rebuilt_run_over_cold_run"] = float(np.median(rebuilt) / np.median(cold_each))
            ratios["rebuild_over_cold_build_plus_run"] = float(
                np.median(np.asarray(slots["compile_s_each"])[order]) / np.median(cold_each)
            )
    if "slots1" in rows and "slots2" in rows:
        speedup = rows["slots2"]["runs_per_hour"] / rows["slots1"]["runs_per_hour"]
        ratios["throughput_2_over_1"] = speedup
        ratios["scaling_efficiency"] = speedup / 2.0
    return ratios


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=4000, help="neurons (80 %% E)")
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--duration", default="10 s", help="network time per run")
    parser.add_argument("--p-connect", type=float, default=0.02)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the sweeps here")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/sweep.json")
    args = parser.parse_args(argv)

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = {}
    for mode in args.modes:
        print(f"{mode}: {args.points} runs ...", flush=True)
        rows[mode] = one_mode(mode, args, work)
        r = rows[mode]
        print(
            f"  {r['wall_s']:.0f} s, {r['runs_per_hour']:.0f} runs/h, "
            f"compile {r['mean_compile_s']:.1f} s"
            f" (slowest {r['cold_compile_s']:.1f} s), binary {r['mean_binary_s']:.1f} s per run",
            flush=True,
        )
    ratios = summarise(rows)
    print()
    print(
        f"{'mode':8} {'workers':>7} {'wall s':>8} {'runs/h':>8} {'compile s':>10} {'binary s':>9}"
    )
    for r in rows.values():
        print(
            f"{r['mode']:8} {r['workers']:7d} {r['wall_s']:8.0f} {r['runs_per_hour']:8.0f}"
            f" {r['mean_compile_s']:10.1f} {r['mean_binary_s']:9.1f}"
        )
    for name, value in ratios.items():
        print(f"{name}: {value:.3f}")
    report = {
        "machine": machine_info(),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "modes": rows,
        "ratios": ratios,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    storage.write_json(args.out, report)
    print(f"-> {args.out}")
    if args.work_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
