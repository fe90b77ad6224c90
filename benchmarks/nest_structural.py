"""NEST 3.x reference network for ``bench_plastic.py``: E/I network with structural plasticity.

Run by ``bench_plastic.py`` in a subprocess (so that brian2 and NEST never share a
process), or by hand::

    python benchmarks/nest_structural.py --n 1000 --duration 2 --interval 100 --out nest.json

It imports neither brian2 nor neuroplast.

The network
-----------
N ``iaf_psc_alpha`` neurons (NEST defaults: C_m 250 pF, tau_m 10 ms, tau_syn 2 ms,
V_th -55 mV, V_reset = E_L = -70 mV, t_ref 2 ms), 80 % excitatory; every projection
(E->E, E->I, I->E, I->I) random with p = 0.2 and no autapses, as neuroplast's network
(``network.p_connect``).  Every excitatory synapse has a PSC amplitude that gives a
0.1 mV PSP peak, inhibitory ones ``-g`` times that (g = 6); each neuron receives one
Poisson generator whose rate is ``eta`` times the threshold rate of K_E = p N_E inputs
(Brunel 2000, J Comput Neurosci 8:183, eqs. for nu_thr; here eta = 0.55 with alpha PSCs,
tuned by hand so that both populations fire at about 5 Hz, like neuroplast's network).
Delays 1 ms, dt 0.1 ms, one thread (NEST refuses structural plasticity with more).

Structural plasticity (``--interval`` > 0)
------------------------------------------
As in NEST's example ``pynest/examples/structural_plasticity.py`` (model docs §5.1, §5.2):
E cells carry ``Axon_ex`` and ``Den_ex`` synaptic elements with the Gaussian growth curve
(eta = 0, eps = 0.05, i.e. a 5 Hz set point with NEST's calcium trace tau_Ca = 10 s,
beta_Ca = 0.001), integer elements
(``continuous = False``); ``nest.structural_plasticity_synapses`` makes the E->E synapse
model plastic, ``nest.structural_plasticity_update_interval`` (ms) sets the rewiring
interval.  Unlike the example (which starts without synapses and grows them for 100 s),
the E->E synapses are created up front through NEST's structural-plasticity connection
builder (one ``all_to_all`` call per source neuron over its drawn targets, so that the
elements count them as connected), each element's ``z`` is set to its connected count,
and the calcium trace starts at eps: the network starts at its
homeostatic fixed point with neuroplast's connectivity, as neuroplast's does.  The growth
rate is neuroplast's in network time, 5e-4 elements/ms (5x the example's 1e-4/ms, at which
no count would change within a few seconds), so that cells firing away from the common
5 Hz set point lose or gain synapses within the timed interval and rewiring (deletions
and creations) really runs.  ``--stdp`` makes the E->E model ``stdp_synapse`` (additive,
lambda 0.01, alpha 1.05, tau_plus 20 ms, Wmax twice the initial weight; Song, Miller &
Abbott 2000 values, as neuroplast's STDP).

What is timed: ``nest.Simulate(duration)`` wall time (``time.perf_counter``), after an
untimed ``nest.Simulate(warmup)``; ``--repeats`` further chunks, the caller takes the best.
The result (JSON) goes to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np

#: Fraction of excitatory neurons (as in neuroplast and bench_network).
EXC_FRACTION = 0.8
#: Connection probability of every projection (neuroplast's ``network.p_connect``).
P_CONNECT = 0.2
#: Excitatory PSP peak (mV) and relative inhibition g (Brunel 2000 notation).
PSP_EXC_MV = 0.1
G_INH = 6.0
#: External drive relative to the threshold rate (Brunel 2000); hand-tuned for ~5 Hz.
ETA_EXT = 0.55
DELAY_MS = 1.0
DT_MS = 0.1
#: Growth curve of the E elements: NEST example structural_plasticity.py (model docs §5.2),
#: except the growth rate: the example's 1e-4 elements/ms wires a network over ~100 s, so
#: over a few timed seconds no element count would cross an integer and nothing would be
#: rewired.  5e-4/ms is neuroplast's growth rate in network time (nu = 5 elements per
#: biological day, 1 day = 10 s of network time at timescale.rate 8640; plasticity.py).
GROWTH_RATE_PER_MS = 5e-4
CA_EPS = 0.05
CA_ETA = 0.0
#: STDP of the E->E synapses (``stdp_synapse``): Song, Miller & Abbott 2000.
STDP_PARAMS = {"tau_plus": 20.0, "lambda": 0.01, "alpha": 1.05, "mu_plus": 0.0, "mu_minus": 0.0}


def psp_peak_per_pa(tau_m: float, tau_syn: float, c_m: float) -> float:
    """Peak PSP (mV) of an ``iaf_psc_alpha`` neuron for an alpha PSC of 1 pA peak.

    The PSC is ``e/tau_syn * t * exp(-t/tau_syn)`` pA (NEST's normalisation: the weight
    is the peak current); the membrane response is the closed-form convolution of that
    current with the membrane kernel ``exp(-t/tau_m)/C_m``, evaluated on a fine grid.

    Parameters
    ----------
    tau_m, tau_syn : float
        Membrane and synaptic time constants (ms), ``tau_m != tau_syn``.
    c_m : float
        Membrane capacitance (pF).

    Returns
    -------
    float
    """
    times = np.linspace(0.0, 10.0 * max(tau_m, tau_syn), 200_001)
    a, b = 1.0 / tau_syn, 1.0 / tau_m
    # integral_0^t s exp(-a s) exp(-b (t - s)) ds, solved for a != b
    c = a - b
    kernel = np.exp(-b * times) * (1.0 - np.exp(-c * times) * (1.0 + c * times)) / c**2
    return float((math.e / tau_syn) * kernel.max() / c_m)


def random_targets(rng: np.random.Generator, n_pre: int, n_post: int, p: float, same: bool):
    """Targets of every source of an Erdős–Rényi projection (no autapses if ``same``).

    Returns
    -------
    list of numpy.ndarray
        Sorted target indices of each source.
    """
    candidates = n_post - 1 if same else n_post
    counts = rng.binomial(candidates, p, size=n_pre)
    targets = []
    for pre, count in enumerate(counts):
        chosen = np.sort(rng.choice(candidates, size=count, replace=False))
        if same:
            chosen[chosen >= pre] += 1
        targets.append(chosen)
    return targets


def status_kib(key: str) -> int:
    """A memory field (``VmRSS``, ``VmHWM``) of this process in KiB (0 if unavailable)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def count_ee(nest, exc) -> int:
    """Number of E->E connections now."""
    return len(nest.GetConnections(source=exc, target=exc, synapse_model="synapse_ee"))


def build(nest, args: argparse.Namespace) -> dict:
    """Create the network in a freshly reset NEST kernel; returns handles and sizes."""
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.resolution = DT_MS
    nest.local_num_threads = 1
    nest.rng_seed = args.seed
    plastic = args.interval > 0
    n_exc = int(round(EXC_FRACTION * args.n))
    n_inh = args.n - n_exc
    defaults = nest.GetDefaults("iaf_psc_alpha")
    unit = psp_peak_per_pa(defaults["tau_m"], defaults["tau_syn_ex"], defaults["C_m"])
    w_exc = PSP_EXC_MV / unit
    w_inh = -G_INH * w_exc

    base = "stdp_synapse" if args.stdp else "static_synapse"
    ee_params = {"weight": w_exc, "delay": DELAY_MS}
    if args.stdp:
        ee_params |= STDP_PARAMS | {"Wmax": 2.0 * w_exc}
    nest.CopyModel(base, "synapse_ee", ee_params)
    ee_spec = {"synapse_model": "synapse_ee"}
    if plastic:
        nest.structural_plasticity_update_interval = args.interval
        nest.structural_plasticity_synapses = {
            "synapse_ee": {
                "synapse_model": "synapse_ee",
                "pre_synaptic_element": "Axon_ex",
                "post_synaptic_element": "Den_ex",
            }
        }
        ee_spec |= {"pre_synaptic_element": "Axon_ex", "post_synaptic_element": "Den_ex"}
        element = {
            "growth_curve": "gaussian",
            "growth_rate": args.growth_rate,
            "eps": CA_EPS,
            "eta": CA_ETA,
            "continuous": False,
            "z": 0.0,
        }
        exc = nest.Create(
            "iaf_psc_alpha",
            n_exc,
            {"synaptic_elements": {"Axon_ex": dict(element), "Den_ex": dict(element)}},
        )
    else:
        exc = nest.Create("iaf_psc_alpha", n_exc)
    inh = nest.Create("iaf_psc_alpha", n_inh)
    neurons = exc + inh
    rng = np.random.default_rng(args.seed)
    neurons.V_m = rng.uniform(defaults["E_L"], defaults["V_th"], args.n)

    exc_ids = np.asarray(exc.tolist())
    for source, targets in enumerate(random_targets(rng, n_exc, n_exc, P_CONNECT, True)):
        if len(targets):
            post = nest.NodeCollection(exc_ids[targets].tolist())
            nest.Connect(exc[source], post, "all_to_all", ee_spec)
    bernoulli = {"rule": "pairwise_bernoulli", "p": P_CONNECT, "allow_autapses": False}
    nest.Connect(exc, inh, bernoulli, {"weight": w_exc, "delay": DELAY_MS})
    nest.Connect(inh, neurons, bernoulli, {"weight": w_inh, "delay": DELAY_MS})

    k_exc = P_CONNECT * n_exc
    theta = defaults["V_th"] - defaults["E_L"]
    # Brunel 2000: nu_thr = theta / (J K_E tau_m), with J the PSP peak (mV)
    nu_thr_hz = theta / (PSP_EXC_MV * k_exc * defaults["tau_m"]) * 1000.0
    drive = nest.Create("poisson_generator", params={"rate": ETA_EXT * nu_thr_hz * k_exc})
    nest.Connect(drive, neurons, syn_spec={"weight": w_exc, "delay": DELAY_MS})
    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder)

    if plastic:
        nest.EnableStructuralPlasticity()
        # start at the fixed point: z = the connected count, Ca = eps
        elements = exc.synaptic_elements
        exc.set(
            [
                {
                    "synaptic_elements_param": {
                        name: {"z": float(elements[k][name]["z_connected"])}
                        for name in ("Axon_ex", "Den_ex")
                    },
                    "Ca": CA_EPS,
                }
                for k in range(n_exc)
            ]
        )
    return {
        "exc": exc,
        "inh": inh,
        "recorder": recorder,
        "n_exc": n_exc,
        "n_inh": n_inh,
        "w_exc_pA": w_exc,
        "n_ee": count_ee(nest, exc),
        "n_ei": len(nest.GetConnections(source=exc, target=inh)),
        "n_ie_ii": len(nest.GetConnections(source=inh, target=neurons)),
    }


def element_summary(exc) -> dict:
    """Mean z and z_connected of the E cells' elements, and their mean calcium."""
    elements = exc.synaptic_elements
    summary = {"Ca_mean": float(np.mean(exc.Ca))}
    for name in ("Axon_ex", "Den_ex"):
        summary[f"{name}_z_mean"] = float(np.mean([e[name]["z"] for e in elements]))
        summary[f"{name}_z_connected_mean"] = float(
            np.mean([e[name]["z_connected"] for e in elements])
        )
    return summary


def main(argv: list[str] | None = None) -> dict:
    """Build, warm up and time the NEST network; write the JSON result to ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=2.0, help="simulated s per timed run")
    parser.add_argument("--warmup", type=float, default=0.6, help="untimed simulated s first")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--interval", type=float, default=100.0, help="rewiring interval (ms); 0 = no SP"
    )
    parser.add_argument("--stdp", action="store_true", help="E->E synapses are stdp_synapse")
    parser.add_argument(
        "--growth-rate", type=float, default=GROWTH_RATE_PER_MS, help="elements per ms"
    )
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    import nest  # imported here: the module docstring and helpers stay importable without NEST

    rss_start = status_kib("VmRSS")
    start = time.perf_counter()
    net = build(nest, args)
    build_seconds = time.perf_counter() - start
    rss_built = status_kib("VmRSS")
    start = time.perf_counter()
    nest.Simulate(args.warmup * 1000.0)
    warmup_seconds = time.perf_counter() - start
    plastic = args.interval > 0
    runs = []
    for _ in range(args.repeats):
        net["recorder"].n_events = 0
        n_ee_before = count_ee(nest, net["exc"])
        start = time.perf_counter()
        nest.Simulate(args.duration * 1000.0)
        seconds = time.perf_counter() - start
        senders = np.asarray(net["recorder"].events["senders"])
        first_inh = min(net["inh"].tolist())
        runs.append(
            {
                "loop_seconds": seconds,
                "n_spikes_exc": int(np.count_nonzero(senders < first_inh)),
                "n_spikes_inh": int(np.count_nonzero(senders >= first_inh)),
                "n_ee_before": n_ee_before,
                "n_ee_after": count_ee(nest, net["exc"]),
            }
        )
    result = {
        "nest_version": nest.__version__,
        "n_exc": net["n_exc"],
        "n_inh": net["n_inh"],
        "p_connect": P_CONNECT,
        "structural_plasticity": plastic,
        "update_interval_ms": args.interval if plastic else None,
        "growth_rate_per_ms": args.growth_rate if plastic else None,
        "stdp": args.stdp,
        "threads": nest.local_num_threads,
        "w_exc_pA": net["w_exc_pA"],
        "n_ee_initial": net["n_ee"],
        "n_ei": net["n_ei"],
        "n_ie_ii": net["n_ie_ii"],
        "build_seconds": build_seconds,
        "warmup_seconds": warmup_seconds,
        "rss_increase_build_mib": (rss_built - rss_start) / 1024,
        "peak_rss_mib": status_kib("VmHWM") / 1024,
        "runs": runs,
    }
    if plastic:
        result["elements"] = element_summary(net["exc"])
    tmp = f"{args.out}.tmp{os.getpid()}"
    with open(tmp, "w") as handle:
        json.dump(result, handle, indent=2)
    os.replace(tmp, args.out)
    return result


if __name__ == "__main__":
    main()
