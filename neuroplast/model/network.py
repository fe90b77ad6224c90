"""Assemble the E/I spiking network from the mechanism modules.

The network (SCIENCE.md §1; Brunel & Wang 2001 made sparse):

* one ``NeuronGroup`` of ``n_exc`` pyramidal cells followed by ``n_inh`` interneurons
  (:mod:`neuroplast.model.neurons`);
* ``exc_synapses``: every excitatory spike opens AMPA and NMDA conductances on its
  targets (E->E, E->I); ``inh_synapses``: GABA_A (I->E, I->I)
  (:mod:`neuroplast.model.receptors`);
* random connectivity with probability ``p_connect`` for each projection, no
  autapses, drawn with numpy's ``Generator`` from the run's connectivity seed so
  that every backend simulates the same graph;
* per-synapse conductances scaled by ``n_ref / (p_connect * n_pre)`` so the mean
  recurrent input matches the all-to-all reference network (SCIENCE.md §1.2);
* external drive: ``n_inputs`` independent Poisson AMPA inputs per neuron.

This module only assembles; equations and parameters live in the mechanism modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import brian2
import numpy as np

from neuroplast.config import ExperimentConfig, TargetConductances
from neuroplast.model.neurons import RESET, THRESHOLD, neuron_equations, population_values
from neuroplast.model.receptors import ON_PRE_EXC, ON_PRE_INH, receptor_namespace

__all__ = ["NetworkModel", "build_network", "random_projection", "TRACED_VARIABLES"]

#: Variables recorded for the traced neurons.
TRACED_VARIABLES = ("V", "g_ampa", "g_gaba", "s_nmda_in")


@dataclass
class NetworkModel:
    """A built brian2 network and handles on its parts."""

    network: brian2.Network
    neurons: brian2.NeuronGroup
    n_exc: int
    n_inh: int
    monitors: dict[str, object] = field(default_factory=dict)
    traced: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    n_synapses: dict[str, int] = field(default_factory=dict)


def random_projection(
    rng: np.random.Generator, n_pre: int, n_post: int, p: float, *, same_population: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Draw an Erdős–Rényi projection: each (pre, post) pair connected with probability p.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_pre, n_post : int
        Sizes of the source and target populations.
    p : float
        Connection probability.
    same_population : bool
        Source and target are the same cells: no self-connections.

    Returns
    -------
    (i, j) : tuple of int arrays
        Source and target indices (within their populations), sorted by source.
    """
    candidates = n_post - 1 if same_population else n_post
    counts = rng.binomial(candidates, p, size=n_pre)
    sources = np.repeat(np.arange(n_pre), counts)
    targets = np.empty(counts.sum(), dtype=np.int64)
    start = 0
    for pre, k in enumerate(counts):
        chosen = rng.choice(candidates, size=k, replace=False)
        if same_population:
            chosen[chosen >= pre] += 1  # skip the autapse
        targets[start : start + k] = np.sort(chosen)
        start += k
    return sources, targets


def _scaled(cfg: ExperimentConfig, target: TargetConductances) -> dict[str, brian2.Quantity]:
    net = cfg.network
    if net.scale_conductances:
        exc_factor = net.n_ref_exc / (net.p_connect * net.n_exc)
        inh_factor = net.n_ref_inh / (net.p_connect * net.n_inh)
    else:
        exc_factor = inh_factor = 1.0
    return {
        "g_ampa_syn": target.g_ampa * exc_factor,
        "g_nmda_syn": target.g_nmda * exc_factor,
        "g_gaba_syn": target.g_gaba * inh_factor * cfg.synapses.gaba_scale,
        "g_ampa_ext": target.g_ampa_ext,
        "nmda_scale": target.nmda_scale,
    }


def _traced_indices(n_exc: int, n_inh: int, per_population: int) -> np.ndarray:
    exc = np.arange(min(per_population, n_exc))
    inh = n_exc + np.arange(min(per_population, n_inh))
    return np.concatenate([exc, inh]).astype(int)


def build_network(cfg: ExperimentConfig, connectivity_seed: int, initial_seed: int) -> NetworkModel:
    """Create every brian2 object of the network described by ``cfg``.

    Must be called inside :func:`neuroplast.backend.brian_backend`.

    Parameters
    ----------
    cfg : ExperimentConfig
    connectivity_seed, initial_seed : int
        Seeds of the connectivity graph and of the initial membrane potentials.

    Returns
    -------
    NetworkModel
    """
    n_exc, n_inh = cfg.network.n_exc, cfg.network.n_inh
    namespace = receptor_namespace(cfg.receptors)
    neurons = brian2.NeuronGroup(
        n_exc + n_inh,
        neuron_equations(),
        threshold=THRESHOLD,
        reset=RESET,
        refractory="t_ref",
        method=cfg.simulation.method,
        namespace=namespace,
        name="neurons",
    )
    for name, values in population_values(cfg.neurons, n_exc, n_inh).items():
        setattr(neurons, name, values)
    exc_cells, inh_cells = neurons[:n_exc], neurons[n_exc:]
    for cells, target in ((exc_cells, cfg.synapses.to_exc), (inh_cells, cfg.synapses.to_inh)):
        for name, value in _scaled(cfg, target).items():
            setattr(cells, name, value)

    rng_init = np.random.default_rng(initial_seed)
    v_l = np.asarray(neurons.V_L[:])
    v_th = np.asarray(neurons.V_th[:])
    neurons.V = (v_l + rng_init.uniform(0, 1, len(neurons)) * (v_th - v_l)) * brian2.volt

    rng = np.random.default_rng(connectivity_seed)
    p = cfg.network.p_connect
    ee = random_projection(rng, n_exc, n_exc, p, same_population=True)
    ei = random_projection(rng, n_exc, n_inh, p, same_population=False)
    ie = random_projection(rng, n_inh, n_exc, p, same_population=False)
    ii = random_projection(rng, n_inh, n_inh, p, same_population=True)

    exc_synapses = brian2.Synapses(
        exc_cells,
        neurons,
        on_pre=ON_PRE_EXC,
        delay=cfg.synapses.delay,
        namespace=namespace,
        name="exc_synapses",
    )
    exc_synapses.connect(i=np.concatenate([ee[0], ei[0]]), j=np.concatenate([ee[1], ei[1] + n_exc]))
    inh_synapses = brian2.Synapses(
        inh_cells,
        neurons,
        on_pre=ON_PRE_INH,
        delay=cfg.synapses.delay,
        namespace=namespace,
        name="inh_synapses",
    )
    inh_synapses.connect(i=np.concatenate([ie[0], ii[0]]), j=np.concatenate([ie[1], ii[1] + n_exc]))

    objects: list = [neurons, exc_synapses, inh_synapses]
    ext = cfg.external
    if ext.n_inputs > 0 and float(ext.rate) > 0:
        objects.append(
            brian2.PoissonInput(
                neurons, "g_ampa", N=ext.n_inputs, rate=ext.rate, weight="g_ampa_ext"
            )
        )

    monitors: dict[str, object] = {
        "rate_exc": brian2.PopulationRateMonitor(exc_cells, name="rate_exc"),
        "rate_inh": brian2.PopulationRateMonitor(inh_cells, name="rate_inh"),
    }
    if cfg.recording.spikes:
        monitors["spikes"] = brian2.SpikeMonitor(neurons, name="spikes")
    traced = _traced_indices(n_exc, n_inh, cfg.recording.n_traced)
    if traced.size:
        monitors["traces"] = brian2.StateMonitor(
            neurons,
            list(TRACED_VARIABLES),
            record=traced,
            dt=cfg.recording.trace_dt,
            name="traces",
        )
    objects.extend(monitors.values())

    return NetworkModel(
        network=brian2.Network(*objects, name="network"),
        neurons=neurons,
        n_exc=n_exc,
        n_inh=n_inh,
        monitors=monitors,
        traced=traced,
        n_synapses={"EE": len(ee[0]), "EI": len(ei[0]), "IE": len(ie[0]), "II": len(ii[0])},
    )
