"""NEST 3.x reference for calibration target C1 (``neuroplast.analysis.msp_check``).

Builds, through the NEST API, the network of NEST's example
``pynest/examples/structural_plasticity.py`` (model docs §5.2): 800 + 200
``iaf_psc_alpha`` neurons with NEST's default parameters, no initial connectivity,
10 kHz Poisson background (6.2 pA), E/I synapses +-585 pA with 1 ms delay, Gaussian
growth curves (eta 0; E cells eps 0.05, I cells eps 0.2; growth rates as in
``msp_check.MSPParams``), integer synaptic elements, and records, every second, the
mean calcium of each population and the number of E and I synapses (connected
``Axon_ex`` / ``Axon_in`` elements), as the example does.  This is a re-implementation
of the example's set-up for comparison, not a copy of it; it imports neither brian2 nor
neuroplast, and needs ``nest-simulator`` (optional extra ``neuroplast[nest]``)::

    python experiments/nest_msp_example.py --interval 1000 --seed 1 --out nest_1s.json
    python experiments/nest_msp_example.py --interval 10000 --seed 1 --out nest_10s.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

#: Growth curve parameters per (population, element): growth rate (elements/ms), eps.
#: NEST example structural_plasticity.py (model docs §5.2); eta = 0 for all.
ELEMENTS = {
    "E": {"Den_ex": (1e-4, 0.05), "Den_in": (1e-4, 0.05), "Axon_ex": (1e-4, 0.05)},
    "I": {"Den_ex": (4e-4, 0.2), "Den_in": (1e-4, 0.2), "Axon_in": (1e-4, 0.2)},
}


def element_dict(population: str) -> dict:
    """The ``synaptic_elements`` status dictionary of one population."""
    return {
        name: {
            "growth_curve": "gaussian",
            "growth_rate": rate,
            "continuous": False,
            "eta": 0.0,
            "eps": eps,
        }
        for name, (rate, eps) in ELEMENTS[population].items()
    }


def run(interval_ms: float, seed: int, t_sim_s: float) -> dict:
    """Simulate the example network; returns the per-second time series."""
    import nest

    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = 0.1
    nest.local_num_threads = 1
    nest.rng_seed = seed
    nest.structural_plasticity_update_interval = interval_ms
    for name, weight in (("syn_ex", 585.0), ("syn_in", -585.0)):
        nest.CopyModel("static_synapse", name, {"weight": weight, "delay": 1.0})
    nest.structural_plasticity_synapses = {
        "syn_ex": {
            "synapse_model": "syn_ex",
            "pre_synaptic_element": "Axon_ex",
            "post_synaptic_element": "Den_ex",
        },
        "syn_in": {
            "synapse_model": "syn_in",
            "pre_synaptic_element": "Axon_in",
            "post_synaptic_element": "Den_in",
        },
    }
    exc = nest.Create("iaf_psc_alpha", 800)
    inh = nest.Create("iaf_psc_alpha", 200)
    exc.synaptic_elements = element_dict("E")
    inh.synaptic_elements = element_dict("I")
    background = nest.Create("poisson_generator", params={"rate": 10000.0})
    nest.Connect(background, exc + inh, "all_to_all", {"weight": 6.2, "delay": 1.0})
    nest.EnableStructuralPlasticity()

    series = {"t": [], "ca_e": [], "ca_i": [], "n_e": [], "n_i": []}
    start = time.perf_counter()
    for second in range(1, int(round(t_sim_s)) + 1):
        nest.Simulate(1000.0)
        series["t"].append(float(second))
        series["ca_e"].append(float(np.mean(exc.Ca)))
        series["ca_i"].append(float(np.mean(inh.Ca)))
        series["n_e"].append(int(sum(el["Axon_ex"]["z_connected"] for el in exc.synaptic_elements)))
        series["n_i"].append(int(sum(el["Axon_in"]["z_connected"] for el in inh.synaptic_elements)))
    series["wall_s"] = time.perf_counter() - start
    series["interval_ms"] = interval_ms
    series["seed"] = seed
    series["nest_version"] = nest.__version__
    return series


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=1000.0, help="update interval (ms)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=200.0, help="network time (s)")
    parser.add_argument("--out", default=None, help="write the series as JSON here")
    args = parser.parse_args()
    series = run(args.interval, args.seed, args.duration)
    for t in (50, 100, 130, 150, 200):
        if t <= len(series["t"]):
            k = t - 1
            print(
                f"t={t:>4} s  Ca_E {series['ca_e'][k]:.4f}  Ca_I {series['ca_i'][k]:.4f}  "
                f"#E {series['n_e'][k]}  #I {series['n_i'][k]}"
            )
    window = slice(149, 200)
    if len(series["t"]) >= 200:
        print(
            f"150-200 s mean: Ca_E/0.05 = {np.mean(series['ca_e'][window]) / 0.05:.3f}, "
            f"Ca_I/0.2 = {np.mean(series['ca_i'][window]) / 0.2:.3f}"
        )
    print(f"wall time {series['wall_s']:.1f} s (NEST {series['nest_version']})")
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(series, handle)


if __name__ == "__main__":
    main()
