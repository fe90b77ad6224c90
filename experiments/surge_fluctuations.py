"""How much the population firing fluctuates, seen by the BDNF-surge compartment.

The firing route's release threshold can be set from the tissue's own fluctuations
(``bdnf.release_threshold_from = "fluctuations"``: theta = 1 + n_sd x CV, the CV
measured in the set-point window).  This script checks that the window's CV stands for
the baseline that follows and for a drug session, where the clock is slower: it runs
``configs/ketamine_single_dose.toml`` (full size, 0.5 mg/kg IV on day 3) for 4 days in
C++ standalone with the 'recent' reference, records the compartment every 10 ms of
network time and prints the CV of the smoothed firing in each part of the run, and the
population firing ratio around the dose.

    python experiments/surge_fluctuations.py [--seed N]     # about 3 min on one core
"""

from __future__ import annotations

import argparse

import brian2
import numpy as np

from neuroplast.config.experiment import config_from_dict, load_config
from neuroplast.simulation.backend import brian_backend
from neuroplast.simulation.network import build_network
from neuroplast.simulation.schedules import build_schedules
from neuroplast.simulation.simulate import derive_seeds, drug_curves, standalone_project
from neuroplast.units import SECONDS_PER_DAY

CONFIG = "configs/ketamine_single_dose.toml"
VARIABLES = ["pool_activity", "pool_reference", "pool_ratio"]


def record(seed: int | None) -> dict[str, np.ndarray]:
    """Run the config for 4 biological days; the compartment's variables and biological days."""
    data = load_config(CONFIG).resolved()
    data["simulation"]["backend"] = "cpp_standalone"
    data["timescale"]["bio_duration"] = "4 days"
    data["bdnf"]["release_reference"] = "recent"
    if seed is not None:
        data["seed"] = seed
    cfg = config_from_dict(data)
    seeds = derive_seeds(cfg.seed, "surge_fluctuations")
    with (
        standalone_project(cfg) as project,
        brian_backend("cpp_standalone", cfg.simulation.dt, standalone_dir=project),
    ):
        schedules = build_schedules(cfg, drug_curves(cfg))
        model = build_network(cfg, seeds.connectivity, seeds.initial, schedules)
        monitor = brian2.StateMonitor(
            model.network["bdnf_surge"], VARIABLES, record=0, dt=10 * brian2.ms
        )
        model.network.add(monitor)
        model.network.run(schedules.duration * brian2.second)
        brian2.device.build(directory=str(project), compile=True, run=True)
        t = np.asarray(monitor.t / brian2.second)
        out = {name: np.asarray(getattr(monitor, name)[0]) for name in VARIABLES}
    out["t"] = t
    out["bio_day"] = schedules.time_map.bio_at(t) / SECONDS_PER_DAY
    out["window"] = float(cfg.set_point.window)
    out["sampled_from"] = float(cfg.set_point.settle + 3 * cfg.bdnf.surge_smoothing)
    return out


def cv(values: np.ndarray) -> float:
    return float(np.std(values) / np.mean(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="root seed (config's by default)")
    r = record(parser.parse_args().seed)
    t, day, ratio = r["t"], r["bio_day"], r["pool_ratio"]
    in_window = (t >= r["sampled_from"]) & (t < r["window"])
    dose_day = 3.0
    parts = [
        ("set-point window (smoothed firing)", in_window, r["pool_reference"]),
        ("baseline, days 1-2", (day >= 1) & (day < 2), ratio),
        ("baseline, day 2 to the session", (day >= 2) & (day < dose_day - 0.03), ratio),
        ("session clock, before the dose", (day >= dose_day - 0.03) & (day < dose_day), ratio),
    ]
    print(f"{'part of the run':<40}{'samples':>8}{'CV':>8}{'max':>8}")
    for name, mask, values in parts:
        peak = values[mask].max() / (values[mask].mean() if values is not ratio else 1.0)
        print(f"{name:<40}{mask.sum():>8d}{cv(values[mask]):>8.3f}{peak:>8.3f}")
    print(f"threshold 1 + 3 CV(window) = {1 + 3 * cv(r['pool_reference'][in_window]):.3f}")
    print("\npopulation firing / recent reference around the dose (day 3, 40-min infusion)")
    for d in np.arange(dose_day - 0.02, dose_day + 0.2, 0.02):
        print(f"  day {d:.2f}: {ratio[np.argmin(np.abs(day - d))]:.3f}")


if __name__ == "__main__":
    main()
