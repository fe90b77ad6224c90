"""Which mechanism makes the baseline's firing creep?  Short baselines, one variant each.

Each variant runs the default network at full size (800 E / 200 I, C++ standalone) for
``--days`` biological days of baseline (no input, drug or stress) with structural
plasticity and STDP on and the variant's settings, and prints, at days 2, 5, 10 and the
end, the population rate's drift (mean calcium sensor) and the median cell's drift from
the first sample after the set-point window, the mean E->E weight and the E->E count's
drift.  Used to find why the triplet rule's rates creep (plasticity.py docstring).

    python experiments/baseline_drift.py [--days 12] [--seed 20261207] [VARIANT ...]

Variants: %(variants)s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from neuroplast.config.experiment import config_from_dict
from neuroplast.simulation.simulate import derive_seeds, simulate

#: rewiring switched off (no growth, turnover, surge or maturation): only weights move
STATIC = {
    "plasticity.structural.growth_rate": "0 1/day",
    "plasticity.structural.turnover": "0 1/day",
    "plasticity.structural.bdnf_growth_rate": "0 1/day",
    "plasticity.structural.surge_growth_rate": "0 1/day",
    "plasticity.structural.tau_mature": "1e6 days",
}
HEBBIAN_TRIPLET = {"plasticity.structural.rule": "hebbian", "plasticity.stdp.rule": "triplet"}
VARIANTS = {
    "triplet_static": {"plasticity.stdp.rule": "triplet", **STATIC},
    "triplet_static_threshold_3s": {
        "plasticity.stdp.rule": "triplet",
        "plasticity.stdp.triplet.tau_threshold": "3 s",
        **STATIC,
    },
    "triplet_static_threshold_10s": {
        "plasticity.stdp.rule": "triplet",
        "plasticity.stdp.triplet.tau_threshold": "10 s",
        **STATIC,
    },
    "hebbian_no_stdp": {"plasticity.structural.rule": "hebbian", "plasticity.stdp.enabled": False},
    "hebbian_triplet": HEBBIAN_TRIPLET,
    "hebbian_triplet_scaling": {**HEBBIAN_TRIPLET, "plasticity.scaling.enabled": True},
}
__doc__ %= {"variants": ", ".join(VARIANTS)}


def run(name: str, days: float, seed: int) -> str:
    data: dict = {
        "seed": seed,
        "simulation": {"backend": "cpp_standalone"},
        "recording": {"n_traced": 0, "spikes": False},
        "output": {"figures": False},
        "recall": {"enabled": False},
        "timescale": {"enabled": True, "bio_duration": f"{days} days"},
        "plasticity": {"structural": {"enabled": True}, "stdp": {"enabled": True}},
    }
    for key, value in VARIANTS[name].items():
        *path, last = key.split(".")
        node = data
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    cfg = config_from_dict(data)
    start = time.perf_counter()
    rec = simulate(cfg, derive_seeds(cfg.seed, "baseline"))
    n_exc = cfg.network.n_exc
    days_, slow = rec.slow["bio_days"], rec.slow
    calcium, weight = slow["calcium"][:n_exc], slow["w_mean"][:n_exc]
    count = slow["n_alive"][:n_exc]
    window_end = float(cfg.set_point.window) * cfg.timescale.rate / 86400.0
    first = int(np.argmax(days_ > window_end + 1e-6))
    cells = []
    for day in (2.0, 5.0, 10.0, days):
        k = int(np.argmin(np.abs(days_ - day)))
        ratio = calcium[:, k] / np.maximum(calcium[:, first], 1e-12)
        rate = calcium[:, k].mean() / calcium[:, first].mean()
        cells.append(
            f"day {day:g}: rate {100 * (rate - 1):+.1f} %,"
            f" median cell {100 * (np.median(ratio) - 1):+.1f} %, w {weight[:, k].mean():.3f},"
            f" count {100 * (count[:, k].sum() / count[:, first].sum() - 1):+.2f} %"
        )
    return f"{name} ({time.perf_counter() - start:.0f} s)\n  " + "\n  ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", metavar="VARIANT", help="default: all")
    parser.add_argument("--days", type=float, default=12.0)
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"variant {unknown[0]!r}: expected one of {', '.join(VARIANTS)}")
    for name in args.variants or VARIANTS:
        print(run(name, args.days, args.seed), flush=True)


if __name__ == "__main__":
    main()
