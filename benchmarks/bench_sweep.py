"""Sweep throughput: runs per hour at 1 and 2 workers, and what reusing a C++ build saves.

A sweep of ``--points`` ketamine doses (0.05-1 mg/kg, a 40-min IV infusion 6 h into one
biological day) over a plastic network (STDP and structural plasticity on, ``--n``
neurons, ``--duration`` of network time each), in cpp_standalone, four ways:

``cold``      every run builds its C++ project from scratch in a fresh folder (plain
              brian2: ``set_device('cpp_standalone', directory=new)`` per run), 1 worker,
              the first ``--cold-points`` doses only (5: every cold run costs the same);
``rebuild1``  the sweep runner with re-runs off (``neuroplast sweep --rebuild``): a
              worker locks a project slot and each later run rebuilds only the files
              that changed (experiment.standalone_project), 1 worker, also the first
              ``--cold-points`` doses only;
``rerun1``    the sweep runner as it is by default: the worker builds once and re-runs
              the built program with each dose's schedules on its command line
              (neuroplast/simulation/rerun.py), 1 worker;
``rerun2``    the same with 2 workers (each builds once).

Printed side by side: wall time, runs per hour, the mean compile and binary time per
run (from brian2's timers, saved with each run), what a re-run and a rebuilt run cost
against a cold build + run, and the scaling from 1 to 2 workers.  The modes run one
after the other, in the order given by ``--modes``; on a shared machine, compare ratios
from one invocation.

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

from neuroplast.simulation import storage
from neuroplast.studies.sweep import run_sweep, sweep_from_dict
from neuroplast.units import SECONDS_PER_DAY

ROOT = Path(__file__).resolve().parents[1]
MODES = ("cold", "rebuild1", "rerun1", "rerun2")


def base_config(n: int, duration: str, p_connect: float, project_dir: Path) -> dict:
    """The swept experiment: a plastic network over one biological day, one dose."""
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
        "pharmacology": {
            "doses": [{"drug": "ketamine", "route": "iv", "time": "6 h", "duration": "40 min"}]
        },
        "output": {"figures": False},
    }


def sweep_spec(args, project_dir: Path, points: int):
    """The benchmark sweep: the first ``points`` of ``--points`` doses over :func:`base_config`."""
    doses = np.linspace(0.05, 1.0, args.points)[:points]
    base = base_config(args.n, args.duration, args.p_connect, project_dir)
    # one biological day runs for --duration of network time, the dose's hours included
    seconds = float(args.duration.split()[0])
    base["timescale"]["rate"] = SECONDS_PER_DAY / seconds
    base["timescale"]["session_rate"] = SECONDS_PER_DAY / seconds
    # MSP rewiring at most every tau_calcium / 10 of network time (model docs §5.2)
    base["plasticity"]["structural"]["update_interval"] = f"{min(1.0, seconds / 10):g} s"
    data = {
        "name": "bench_sweep",
        "base": str(ROOT / "configs" / "default.toml"),
        "set": base,
        "seed": 5,
        "repeats": 1,
        "kind": "grid",
        "axes": [
            {"path": "pharmacology.doses.0.dose", "values": [f"{d:.4f} mg/kg" for d in doses]}
        ],
    }
    return sweep_from_dict(data, name="bench_sweep")


def cold_runner(cfg, run_dir: Path) -> None:
    """Plain brian2: a fresh project folder per run, removed afterwards."""
    from neuroplast.studies.run import run_experiment

    folder = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    simulation = cfg.simulation.model_copy(update={"standalone_dir": str(folder)})
    try:
        run_experiment(cfg.model_copy(update={"simulation": simulation}), run_dir)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def one_mode(mode: str, args, work: Path) -> dict:
    out = work / mode
    projects = work / f"{mode}-projects"
    # every cold run costs the same, and so does every rebuilt one: a few measure it
    few = mode in ("cold", "rebuild1")
    points = min(args.points, args.cold_points) if few else args.points
    spec = sweep_spec(args, projects, points)
    workers = 2 if mode.endswith("2") else 1
    start = time.perf_counter()
    result = run_sweep(
        spec,
        out,
        workers=workers,
        progress=False,
        runner=cold_runner if mode == "cold" else None,
        reuse=mode.startswith("rerun"),
    )
    wall = time.perf_counter() - start
    times = run_wall_times(out, "runs/*")
    compile_s = [t.get("compile_s", float("nan")) for t in times]
    binary_s = [t.get("binary_s", float("nan")) for t in times]
    # a run's whole cost: network set-up (or new schedules) + code generation, compile,
    # binary and reading the results back
    each_s = [t.get("setup_s", 0.0) + t.get("run_s", 0.0) for t in times]
    reused = [bool(t.get("reused_build")) for t in times]
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
        "run_s_each": each_s,
        "reused_each": reused,
        "mean_compile_s": float(np.mean(compile_s)) if compile_s else float("nan"),
        "mean_binary_s": float(np.mean(binary_s)) if binary_s else float("nan"),
    }


def summarise(rows: dict[str, dict]) -> dict:
    """Ratios between modes: per-run costs against a cold run, and worker scaling."""
    ratios = {}
    cold = rows.get("cold")
    cold_run = float(np.median(cold["run_s_each"])) if cold and cold["run_s_each"] else None
    if cold_run and "rebuild1" in rows:
        # all but the slowest build (the slot's cold one); run folders are not in time order
        each = np.sort(np.asarray(rows["rebuild1"]["run_s_each"]))[:-1]
        if len(each):
            ratios["rebuilt_run_over_cold_run"] = float(np.median(each)) / cold_run
    if cold_run and "rerun1" in rows:
        r = rows["rerun1"]
        each = [s for s, again in zip(r["run_s_each"], r["reused_each"], strict=True) if again]
        binary = [b for b, again in zip(r["binary_s_each"], r["reused_each"], strict=True) if again]
        if each:
            ratios["rerun_over_cold_run"] = float(np.median(each)) / cold_run
            # what a re-run costs beyond its simulation (writing run_args, reading results)
            ratios["rerun_overhead_s"] = float(np.median(np.subtract(each, binary)))
        ratios["throughput_rerun1_over_cold"] = r["runs_per_hour"] / cold["runs_per_hour"]
    if "rerun1" in rows and "rerun2" in rows:
        speedup = rows["rerun2"]["runs_per_hour"] / rows["rerun1"]["runs_per_hour"]
        ratios["throughput_2_over_1"] = speedup
        ratios["scaling_efficiency"] = speedup / 2.0
    return ratios


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=4000, help="neurons (80 %% E)")
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument(
        "--cold-points",
        type=int,
        default=5,
        help="runs of the cold and rebuild1 modes (their runs cost the same after the first)",
    )
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
        print(f"{mode}: ...", flush=True)
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
