"""Is the hebbian rule's co-activity signal selective?  One run, then the pool is read.

Half-size network (400 E / 100 I, C++ standalone) with the hebbian rule, triplet STDP and
synaptic scaling; an 80-cell group gets daily 1-h sessions of therapy-like input at
0.45 (three times the default intensity) from day 1; the run ends at ``--days``.  Printed:
the co-activity signal h (mean, sd, mean of [h]+) of the candidates within the group,
from the rest into the group and onto the rest; the share of the dead candidates onto
group cells that are within the group, and the share of the synapses born after day 1
onto group cells that are: equal shares mean partner choice ignored the co-activity.

    python experiments/hebbian_selectivity.py [--signal bcm|covariance|population] [--days 5.1]
        [--tau-rate "30 min"] [--tau-hebbian "12 h"]
"""

from __future__ import annotations

import argparse

import brian2
import numpy as np

from neuroplast.config.experiment import config_from_dict
from neuroplast.simulation.backend import brian_backend
from neuroplast.simulation.network import build_network
from neuroplast.simulation.schedules import build_schedules
from neuroplast.simulation.simulate import derive_seeds, drug_curves, standalone_project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signal", choices=["bcm", "covariance", "population"], default="bcm")
    parser.add_argument("--days", type=float, default=5.1)
    parser.add_argument("--tau-rate", default="30 min", help="the rule's tau_rate")
    parser.add_argument("--tau-hebbian", default="12 h", help="the rule's tau_hebbian")
    args = parser.parse_args()
    signal, end = args.signal, args.days
    options = {"signal": signal, "tau_rate": args.tau_rate, "tau_hebbian": args.tau_hebbian}
    cfg = config_from_dict(
        {
            "seed": 20261207,
            "simulation": {"backend": "cpp_standalone"},
            "network": {"n_exc": 400, "n_inh": 100},
            "recording": {"n_traced": 0, "spikes": False},
            "output": {"figures": False},
            "recall": {"enabled": False},
            "timescale": {"enabled": True, "bio_duration": f"{end} days"},
            "plasticity": {
                "structural": {"enabled": True, "rule": "hebbian", "options": options},
                "stdp": {"enabled": True, "rule": "triplet"},
                "scaling": {"enabled": True},
            },
            "assemblies": {"group": {"size": 80}},
            "therapy": {
                "intensity": 0.45,
                "sessions": [
                    {
                        "start": f"{d} days",
                        "duration": "1 h",
                        "assembly": "group",
                        "pattern": "pulses",
                        "kind": "therapy",
                    }
                    for d in range(1, int(end))
                ],
            },
        }
    )
    seeds = derive_seeds(cfg.seed)
    with (
        standalone_project(cfg) as proj,
        brian_backend("cpp_standalone", cfg.simulation.dt, standalone_dir=proj),
    ):
        sch = build_schedules(cfg, drug_curves(cfg))
        model = build_network(cfg, seeds.connectivity, seeds.initial, sch)
        model.network.run(sch.duration * brian2.second)
        brian2.device.build(directory=str(proj), compile=True, run=True)
        pool = model.ee_pool
        i, j = np.asarray(pool.i[:]), np.asarray(pool.j[:])
        h, stage, alive, born = (
            np.asarray(getattr(pool, v)[:]) for v in ("h", "stage", "alive", "birth_day")
        )
        # the bcm and covariance signals' running rate; the population signal has none
        trace = "calcium" if signal == "population" else "rate_h"
        rate = np.asarray(getattr(model.neurons, trace)[:400])
        ca = np.asarray(model.neurons.calcium[:400])
        sp = np.asarray(model.neurons.set_point[:400])
    g = np.zeros(400, bool)
    g[model.assemblies["group"]] = True
    within = g[i] & g[j]
    into = ~g[i] & g[j]
    other = ~g[j]
    for name, m in (("within", within), ("into group", into), ("onto rest", other)):
        hp = np.clip(h[m], 0, None)
        print(
            f"{name:11s} n={m.sum():6d} h mean {h[m].mean():+.4f} sd {h[m].std():.4f}"
            f" [h]+ mean {hp.mean():.4f} alive {alive[m].mean():.3f}"
            f" nascent {(alive[m] * (stage[m] == 1)).sum():4.0f}"
            f" born after day 1 and alive {(alive[m] * (born[m] > 1.0)).sum():4.0f}"
        )
    dead_g = (alive < 0.5) & g[j]
    print(
        "share of dead candidates onto group cells that are within-group:",
        (dead_g & g[i]).sum() / dead_g.sum(),
    )
    nb = (alive > 0.5) & (born > 1.0) & g[j]
    print(
        "share of synapses born after day 1 onto group cells that are within-group:",
        (nb & g[i]).sum() / nb.sum(),
        "n",
        nb.sum(),
    )
    print(
        "rate/calcium group",
        (rate[g] / sp[g]).mean(),
        (ca[g] / sp[g]).mean(),
        "rest",
        (rate[~g] / sp[~g]).mean(),
        (ca[~g] / sp[~g]).mean(),
    )


if __name__ == "__main__":
    main()
