"""Wall time of whole experiments, as a user runs them: ``neuroplast run CONFIG``.

Each config is run in a subprocess with an empty HOME and TMPDIR, so brian2's Cython
cache and the C++ standalone project slots start empty (a cold machine); ``--warm``
runs it a second time with the caches kept.  Printed: wall time per config, the number
of runs, and the mean compile, binary and total time per run (saved with each run).

    python benchmarks/bench_experiment.py                              # configs/kap_quick.toml
    python benchmarks/bench_experiment.py --configs configs/kap_comparison.toml   # ~1 h
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import machine_info, run_wall_times

from neuroplast.simulation import storage

ROOT = Path(__file__).resolve().parents[1]


def timed_run(config: Path, out: Path, workers: int, env: dict) -> float:
    command = [
        sys.executable, "-m", "neuroplast", "run", str(config),
        "--out", str(out), "--workers", str(workers), "--overwrite", "--quiet",
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, cwd=ROOT)
    return time.perf_counter() - start


def bench_config(config: Path, workers: int, warm: bool, work: Path) -> dict:
    home = work / f"{config.stem}-home"
    tmp = work / f"{config.stem}-tmp"
    for folder in (home, tmp):
        folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOME=str(home), TMPDIR=str(tmp), MPLBACKEND="Agg")
    out = work / config.stem
    row = {"config": str(config), "workers": workers}
    row["cold_s"] = timed_run(config, out, workers, env)
    times = run_wall_times(out, "runs/*/*")
    row["runs"] = len(times)
    for key in ("compile_s", "binary_s", "run_s"):
        values = [t[key] for t in times if key in t]
        row[f"mean_{key}"] = float(np.mean(values)) if values else float("nan")
    if warm:
        row["warm_s"] = timed_run(config, out, workers, env)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--configs", nargs="+", type=Path, default=[ROOT / "configs" / "kap_quick.toml"]
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warm", action="store_true", help="also time a second, warm run")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/experiment.json")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-experiment-"))
    rows = []
    try:
        for config in args.configs:
            print(f"{config} (workers {args.workers}) ...", flush=True)
            row = bench_config(config.resolve(), args.workers, args.warm, work)
            rows.append(row)
            warm = f", warm {row['warm_s']:.0f} s" if "warm_s" in row else ""
            print(
                f"  cold {row['cold_s']:.0f} s{warm}; {row['runs']} runs, per run: compile "
                f"{row['mean_compile_s']:.1f} s, binary {row['mean_binary_s']:.1f} s, "
                f"simulate total {row['mean_run_s']:.1f} s",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "machine": machine_info(),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    storage.write_json(args.out, report)
    print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
