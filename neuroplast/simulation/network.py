"""Assemble the E/I spiking network from the mechanism modules.

The network (model docs §1; Brunel & Wang 2001 made sparse):

* one ``NeuronGroup`` of ``n_exc`` pyramidal cells followed by ``n_inh`` interneurons
  (:mod:`neuroplast.model.neurons`);
* ``exc_synapses``: every excitatory spike opens AMPA and NMDA conductances on its
  targets (E->E, E->I); ``inh_synapses``: GABA_A (I->E, I->I)
  (:mod:`neuroplast.model.receptors`);
* random connectivity with probability ``p_connect`` for each projection, no
  autapses, drawn with numpy's ``Generator`` from the run's connectivity seed so
  that every backend simulates the same graph;
* per-synapse conductances scaled by ``n_ref / (p_connect * n_pre)`` so the mean
  recurrent input matches the all-to-all reference network (model docs §1.2);
* external drive: ``n_inputs`` independent Poisson AMPA inputs per neuron.

This module only assembles; equations and parameters live in the mechanism modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import brian2
import numpy as np

from neuroplast.config.experiment import ExperimentConfig
from neuroplast.model import bdnf as bdnf_model
from neuroplast.model import draws, setpoint
from neuroplast.model import plasticity as plast
from neuroplast.model import therapy as therapy_model
from neuroplast.model.neurons import RESET, THRESHOLD, neuron_equations, population_values
from neuroplast.model.pharmacology import (
    acute_doses,
    trapping_initial_state,
    trapping_namespace,
)
from neuroplast.model.receptors import (
    NMDA_SCALE_DRUG,
    NMDA_SCALE_FIXED,
    NMDA_SCALE_TRAPPING,
    ON_PRE_EXC,
    ON_PRE_INH,
    receptor_namespace,
)
from neuroplast.model.records import Record
from neuroplast.model.rules import RewiringRule, resolve_rule
from neuroplast.model.synapses import TargetConductances, random_projection
from neuroplast.simulation.pool import (
    build_pool,
    rewiring_dt,
    rewiring_stride,
    snapshot_code,
    snapshot_steps,
)
from neuroplast.simulation.schedules import Schedules
from neuroplast.simulation.validity import SPIKE_COUNT, SPIKE_COUNT_ON_SPIKE

__all__ = ["NetworkModel", "TRACED_VARIABLES", "build_network", "mechanism_records"]

#: Variables recorded for the traced neurons.
TRACED_VARIABLES = ("V", "g_ampa", "g_gaba", "s_nmda_in")


#: Time step of the BDNF-surge compartment and of the sums that feed and read it.
SURGE_DT = 1 * brian2.ms


#: Streams (with the connectivity seed) of the assemblies and of the therapy input spikes.
ASSEMBLY_STREAM = 1
INPUT_STREAM = 2

#: Variables of the network's BDNF-surge compartment (bdnf.py), recorded every slow_interval.
SURGE_VARIABLES = (*(r.variable for r in bdnf_model.SURGE_RECORDS), "pool_reference")


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
    ee_pool: brian2.Synapses | None = None
    schedules: Schedules | None = None
    assemblies: dict[str, np.ndarray] = field(default_factory=dict)
    #: the validity guard (validity.py), added by simulate.py when validity.enabled
    guard: object | None = None


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


@dataclass(frozen=True)
class _Mechanisms:
    """Which optional mechanisms a config switches on."""

    slow: bool
    stdp: bool
    istdp: bool
    trapping: bool = False
    #: the rewiring rule when structural plasticity is on (resolved once per build)
    rule: RewiringRule | None = None
    #: a frozen copy of a plastic run's network (``build_network(frozen=True)``): the
    #: run's candidate pool and inputs, none of its plastic or slow mechanisms
    frozen: bool = False

    @property
    def structural(self) -> bool:
        return self.rule is not None

    @property
    def ee_pool(self) -> bool:
        return self.structural or self.stdp or self.frozen

    @property
    def records(self) -> tuple[Record, ...]:
        """The per-cell outputs of the mechanisms switched on, as they declare them."""
        records = plast.RECORDS + self.rule.records if self.structural else ()
        if self.slow:
            records += bdnf_model.RECORDS + bdnf_model.SURGE_RECORDS
        return records

    @classmethod
    def of(
        cls, cfg: ExperimentConfig, schedules: Schedules | None, *, frozen: bool = False
    ) -> _Mechanisms:
        if frozen:
            return cls(slow=False, stdp=False, istdp=False, frozen=True)
        slow = schedules is not None
        p = cfg.plasticity
        return cls(
            slow=slow,
            stdp=slow and p.stdp.enabled,
            istdp=slow and p.istdp.enabled,
            trapping=slow and cfg.pharmacology.trapping_drug() is not None,
            rule=_rule(cfg) if slow and p.structural.enabled else None,
        )


def _rule(cfg: ExperimentConfig) -> RewiringRule:
    """The config's rewiring rule, as its options make it."""
    structural = cfg.plasticity.structural
    return resolve_rule(structural.rule).for_options(structural.rule_options())


def mechanism_records(cfg: ExperimentConfig) -> tuple[Record, ...]:
    """What a run of ``cfg`` records of its pyramidal cells.

    The records its mechanisms declare: spines, synapses and the rewiring rule's own
    with structural plasticity, BDNF with the slow clock.
    """
    slow = cfg.timescale.enabled
    structural = cfg.plasticity.structural
    rule = _rule(cfg) if slow and structural.enabled else None
    return _Mechanisms(slow=slow, stdp=False, istdp=False, rule=rule).records


def _neuron_code(cfg: ExperimentConfig, mech: _Mechanisms) -> tuple[str, str]:
    """Equations and reset code for the mechanisms switched on."""
    # every cell counts its spikes for the validity guard (validity.py): one addition per spike
    parts, reset = [SPIKE_COUNT], [RESET, SPIKE_COUNT_ON_SPIKE]
    if mech.trapping:
        parts.append(NMDA_SCALE_TRAPPING)
    else:
        parts.append(NMDA_SCALE_DRUG if mech.slow else NMDA_SCALE_FIXED)
    if mech.slow:
        parts += [setpoint.SET_POINT_EQUATIONS, bdnf_model.BDNF_EQUATIONS]
        reset += [setpoint.SET_POINT_ON_SPIKE, bdnf_model.BDNF_ON_SPIKE]
    if mech.structural:
        curve = plast.GROWTH_CURVES[cfg.plasticity.structural.growth_curve]
        parts.append(plast.SPINE_EQUATIONS.replace("{growth_curve}", curve))
        reset.append(plast.SPINE_ON_SPIKE)
        if mech.rule.neuron_equations.strip():
            parts.append(mech.rule.neuron_equations)
        if mech.rule.neuron_on_spike.strip():
            reset.append(mech.rule.neuron_on_spike)
    if mech.stdp:
        traces, on_spike = plast.stdp_neuron_code(cfg.plasticity.stdp)
        parts.append(traces)
        reset.append(on_spike)
    if mech.istdp:
        parts.append(plast.ISTDP_TRACES)
        reset.append(plast.ISTDP_ON_SPIKE)
    return neuron_equations(*parts), "\n".join(reset)


def _namespace(cfg: ExperimentConfig, mech: _Mechanisms, schedules: Schedules | None) -> dict:
    namespace = receptor_namespace(cfg.receptors)
    if mech.slow:
        namespace.update(schedules.namespace)
        namespace.update(
            bdnf_model.bdnf_namespace(
                cfg.bdnf,
                direct_route=cfg.pharmacology.block_coupled,
                activity_route=cfg.pharmacology.activity_coupled,
            )
        )
        namespace.update(
            plast.plasticity_namespace(
                cfg.plasticity, cfg.stress.prune_rate, cfg.pharmacology.mechanism
            )
        )
        if mech.structural:
            namespace.update(mech.rule.namespace(cfg.plasticity.structural.rule_options()))
        namespace["structural_steps"] = rewiring_stride(cfg)
        window = cfg.set_point.window
        namespace["set_point_window"] = window
        namespace["set_point_settle"] = cfg.set_point.settle
        # the surge's baseline fluctuations are sampled once the smoothed firing has
        # forgotten its initial value (bdnf.py, release_threshold_from = "fluctuations")
        namespace["fluctuation_start"] = cfg.set_point.settle + 3 * cfg.bdnf.surge_smoothing
        namespace["set_point_steps"] = int(round(float(window / cfg.simulation.dt)))
    return namespace


def _set_initial_state(cfg: ExperimentConfig, neurons, mech: _Mechanisms, rng_init) -> None:
    v_l = np.asarray(neurons.V_L[:])
    v_th = np.asarray(neurons.V_th[:])
    neurons.V = (v_l + draws.uniform(rng_init, len(neurons)) * (v_th - v_l)) * brian2.volt
    if mech.slow:
        neurons.bdnf = 1.0
        neurons.trkb_signal = 1.0
        neurons.set_point = cfg.set_point.target_rate
        neurons.activity = cfg.set_point.target_rate
    if mech.structural:
        neurons.calcium = cfg.set_point.target_rate
        neurons.scale_step = 1.0


def _set_trapping(
    cfg: ExperimentConfig, schedules: Schedules, populations: dict, in_degrees: dict
) -> None:
    """Per-neuron trapping rates, NMDA input count and start block of each cell type.

    The rate constants come from :func:`~neuroplast.model.pharmacology.trapping_namespace`
    (k_off = k_on IC50 differs between pyramidal cells and interneurons); the block starts at
    the equilibrium of the concentration at t = 0
    (:func:`~neuroplast.model.pharmacology.trapping_initial_state`, usually 0 before a dose).
    ``nmda_inputs`` is the cell's number of excitatory synapses at the start (at least 1),
    which turns the summed gating ``s_nmda_in`` into a mean open fraction (receptors.py).
    """
    drug = cfg.pharmacology.trapping_drug()
    start = float(schedules.sampled["concentration_uM"][0])
    for cell_type, cells in populations.items():
        for name, value in trapping_namespace(drug, cell_type).items():
            setattr(cells, name, value)
        for name, value in trapping_initial_state(start, drug, cell_type).items():
            setattr(cells, name, value)
        cells.nmda_inputs = np.maximum(in_degrees[cell_type], 1).astype(float)


def _input_generator(
    cfg: ExperimentConfig, exc_cells, assemblies, schedules: Schedules, connectivity_seed: int
):
    """Therapy and replay input (therapy.py) as a spike generator onto the pyramidal cells."""
    ext = cfg.external
    spikes = therapy_model.input_spikes(
        cfg.therapy,
        assemblies,
        schedules.time_map.sim_at,
        background_rate=float(ext.n_inputs * ext.rate),
        n_exc=cfg.network.n_exc,
        dt=float(cfg.simulation.dt),
        rng=np.random.default_rng([connectivity_seed, INPUT_STREAM]),
    )
    generator = brian2.SpikeGeneratorGroup(
        spikes.n_channels,
        spikes.channels,
        spikes.times * brian2.second,
        dt=cfg.simulation.dt,
        name="therapy_input",
    )
    synapses = brian2.Synapses(
        generator, exc_cells, on_pre=therapy_model.THERAPY_ON_PRE, name="therapy_synapses"
    )
    channels = np.arange(spikes.n_channels)
    synapses.connect(i=channels, j=channels % cfg.network.n_exc)
    return [generator, synapses]


def _surge_compartment(cfg: ExperimentConfig, exc_cells, namespace, mech: _Mechanisms, n_exc: int):
    """The network's BDNF-surge compartment (bdnf.py) and the synapses that feed it.

    One cell sums the pyramidal cells' activity traces and set points (all-to-one summed
    variables) every :data:`SURGE_DT`, not every time step: the compartment follows
    biological time and a 1-s network-time smoothing, and the sums every 0.1 ms step
    cost ~15 % of a plastic run (measured, 400 E / 100 I, cpp_standalone).  With
    structural plasticity every pyramidal cell reads the compartment's synaptogenic
    drive through a linked variable: linked to a one-cell group, brian2 indexes it as a
    scalar, which costs nothing per step (a one-to-all summed variable, which this
    replaced, runs on its *target's* clock, every 0.1 ms step: 1-2 % of the default
    model's run time at N = 1000, profiled in cpp_standalone).
    """
    steps = max(1, int(round(float(SURGE_DT) / float(cfg.simulation.dt))))
    dt = steps * cfg.simulation.dt
    surge = brian2.NeuronGroup(
        1,
        bdnf_model.SURGE_EQUATIONS,
        method="euler",
        namespace=namespace,
        dt=dt,
        name="bdnf_surge",
    )
    surge.pool_ratio = 1.0
    surge.pool_reference = n_exc * cfg.set_point.target_rate
    source = brian2.Synapses(
        exc_cells,
        surge,
        model=bdnf_model.SURGE_FROM_CELLS,
        namespace=namespace,
        dt=dt,
        name="surge_from_cells",
    )
    source.connect(i=np.arange(n_exc), j=np.zeros(n_exc, dtype=int))
    if mech.structural:
        # declared on every neuron (the spine equations are), read by the pyramidal cells
        exc_cells.source.synaptogenic_drive = brian2.linked_var(surge, "synaptogenic")
    return surge, [surge, source]


def _before_the_pass(cfg: ExperimentConfig, exc_cells, rule: RewiringRule, n_exc: int) -> list:
    """What the rule computes at each rewiring step before the pass (model/rules.py).

    Its population sums: a one-cell group on the rewiring clock sums the pyramidal
    cells' variables (a summed variable runs on its target's clock, in the groups slot,
    before the cells' own update); in the same step, after the groups, each cell
    receives the sums as ``population_<variable>`` (synapses cannot read a linked
    variable with an index, hence the copy).  Then, before the pass (synapses slot),
    its per-cell ``neuron_before`` code.  Returns the objects to add to the network.
    """
    dt = rewiring_dt(cfg)
    if rule.neuron_before.strip():
        exc_cells.run_regularly(
            rule.neuron_before, dt=dt, when="before_synapses", name="neurons_before_rewiring"
        )
    sums = rule.population_sums
    if not sums:
        return []
    cells, hub = np.arange(n_exc), np.zeros(n_exc, dtype=int)
    population = brian2.NeuronGroup(
        1, "\n".join(f"pool_{v} : {unit}" for v, unit in sums), dt=dt, name="population"
    )
    gather = brian2.Synapses(
        exc_cells,
        population,
        model="\n".join(f"pool_{v}_post = {v}_pre : {unit} (summed)" for v, unit in sums),
        dt=dt,
        name="population_from_cells",
    )
    gather.connect(i=cells, j=hub)
    scatter = brian2.Synapses(population, exc_cells, dt=dt, name="population_to_cells")
    scatter.connect(i=hub, j=cells)
    scatter.run_regularly(
        "\n".join(f"population_{v}_post = pool_{v}_pre" for v, _ in sums),
        dt=dt,
        when="after_groups",
        name="population_to_cells_copy",
    )
    return [population, gather, scatter]


def build_network(
    cfg: ExperimentConfig,
    connectivity_seed: int,
    initial_seed: int,
    schedules: Schedules | None = None,
    *,
    frozen: bool = False,
) -> NetworkModel:
    """Create every brian2 object of the network described by ``cfg``.

    Must be called inside :func:`neuroplast.simulation.backend.brian_backend`.

    Parameters
    ----------
    cfg : ExperimentConfig
    connectivity_seed, initial_seed : int
        Seeds of the connectivity graph and of the initial membrane potentials.
    schedules : Schedules, optional
        Biological-time schedules; without them the slow mechanisms are off and the
        network is the plain E/I network of the foundation.
    frozen : bool
        Build the network a plastic run of ``cfg`` started from, frozen: the same cells,
        candidate pool (``ee_pool``, whose ``alive`` and ``w`` the caller sets), static
        projections, Poisson drive, assemblies and therapy input (from ``schedules``),
        and none of the plastic or slow mechanisms (no rewiring, STDP, scaling, iSTDP,
        BDNF, set point or drug).  The recall probes run it
        (:mod:`neuroplast.analysis.recall`): what they need of the run's network, at a
        fraction of its code.

    Returns
    -------
    NetworkModel
    """
    n_exc, n_inh = cfg.network.n_exc, cfg.network.n_inh
    mech = _Mechanisms.of(cfg, schedules, frozen=frozen)
    namespace = _namespace(cfg, mech, schedules)
    equations, reset = _neuron_code(cfg, mech)
    events = {}
    if mech.slow:
        events["set_point"] = "timestep(t, dt) == set_point_steps"
    if mech.structural:
        events["structural"] = "timestep(t, dt) % structural_steps == 0"
    neurons = brian2.NeuronGroup(
        n_exc + n_inh,
        equations,
        threshold=THRESHOLD,
        reset=reset,
        refractory="t_ref",
        events=events or None,
        method=cfg.simulation.method,
        namespace=namespace,
        name="neurons",
    )
    for name, values in population_values(cfg.neurons, n_exc, n_inh).items():
        setattr(neurons, name, values)
    exc_cells, inh_cells = neurons[:n_exc], neurons[n_exc:]
    for cells, target, is_exc in (
        (exc_cells, cfg.synapses.to_exc, 1.0),
        (inh_cells, cfg.synapses.to_inh, 0.0),
    ):
        for name, value in _scaled(cfg, target).items():
            setattr(cells, "nmda_base" if (name == "nmda_scale" and mech.slow) else name, value)
        if mech.slow:
            cells.is_exc = is_exc
    _set_initial_state(cfg, neurons, mech, np.random.default_rng(initial_seed))
    if mech.slow:
        code = setpoint.SET_POINT_CODE if cfg.set_point.mode == "baseline" else ""
        if mech.structural:
            code += "\n" + plast.SPINE_SET_POINT_CODE
        if code.strip():
            neurons.run_on_event("set_point", code, when="after_synapses")

    rng = np.random.default_rng(connectivity_seed)
    p = cfg.network.p_connect
    objects: list = [neurons]

    def make(source, target, name, i, j, **code):
        """A static (or iSTDP) projection with the shared delay and namespace, connected i->j."""
        synapses = brian2.Synapses(
            source, target, delay=cfg.synapses.delay, namespace=namespace, name=name, **code
        )
        synapses.connect(i=i, j=j)
        return synapses

    n_synapses: dict[str, int] = {}
    pool = None
    if mech.ee_pool:
        pool, n_live, n_candidates, ee_in = build_pool(
            cfg,
            exc_cells,
            rng,
            namespace,
            n_exc,
            rule=mech.rule,
            stdp=mech.stdp,
            # a frozen network's pool is the one its plastic run drew: both have schedules
            candidates=schedules is not None and cfg.plasticity.structural.enabled,
        )
        n_synapses.update({"EE": n_live, "EE_candidates": n_candidates})
        ei = random_projection(rng, n_exc, n_inh, p, same_population=False)
        objects += [pool, make(exc_cells, inh_cells, "ei_synapses", *ei, on_pre=ON_PRE_EXC)]
        if cfg.simulation.backend == "cpp_standalone" and cfg.recording.snapshots and mech.slow:
            code = snapshot_code(*snapshot_steps(cfg, schedules))
            # first thing in the step: the state after every step before it
            pool.run_regularly(code, dt=rewiring_dt(cfg), when="start", name="snapshots")
        if mech.structural:
            code = plast.NEURON_REWIRE + mech.rule.neuron_after
            if cfg.plasticity.scaling.enabled:
                code += plast.NEURON_SCALING
            neurons.run_on_event("structural", code, when="after_synapses")
    else:
        ee = random_projection(rng, n_exc, n_exc, p, same_population=True)
        ei = random_projection(rng, n_exc, n_inh, p, same_population=False)
        n_synapses["EE"] = len(ee[0])
        ee_in = np.bincount(ee[1], minlength=n_exc)
        objects.append(
            make(
                exc_cells,
                neurons,
                "exc_synapses",
                np.concatenate([ee[0], ei[0]]),
                np.concatenate([ee[1], ei[1] + n_exc]),
                on_pre=ON_PRE_EXC,
            )
        )
    n_synapses["EI"] = len(ei[0])
    if mech.trapping:
        in_degrees = {"exc": ee_in, "inh": np.bincount(ei[1], minlength=n_inh)}
        _set_trapping(cfg, schedules, {"exc": exc_cells, "inh": inh_cells}, in_degrees)

    ie = random_projection(rng, n_inh, n_exc, p, same_population=False)
    ii = random_projection(rng, n_inh, n_inh, p, same_population=True)
    n_synapses.update({"IE": len(ie[0]), "II": len(ii[0])})
    if mech.istdp:
        ie_synapses = make(
            inh_cells,
            exc_cells,
            "ie_synapses",
            *ie,
            model=plast.ISTDP_MODEL,
            on_pre=plast.ISTDP_ON_PRE,
            on_post=plast.ISTDP_ON_POST,
        )
        ie_synapses.w = 1.0
        objects += [ie_synapses, make(inh_cells, inh_cells, "ii_synapses", *ii, on_pre=ON_PRE_INH)]
    else:
        objects.append(
            make(
                inh_cells,
                neurons,
                "inh_synapses",
                np.concatenate([ie[0], ii[0]]),
                np.concatenate([ie[1], ii[1] + n_exc]),
                on_pre=ON_PRE_INH,
            )
        )

    ext = cfg.external
    if ext.n_inputs > 0 and float(ext.rate) > 0:
        objects.append(
            brian2.PoissonInput(
                neurons, "g_ampa", N=ext.n_inputs, rate=ext.rate, weight="g_ampa_ext"
            )
        )

    assemblies: dict[str, np.ndarray] = {}
    if cfg.assemblies:
        # drawn from their own stream of the connectivity seed: the same cells in every
        # condition of a repeat, whatever else the condition changes
        rng_assemblies = np.random.default_rng([connectivity_seed, ASSEMBLY_STREAM])
        assemblies = therapy_model.choose_assemblies(cfg.assemblies, n_exc, rng_assemblies)
    if schedules is not None and cfg.therapy.sessions:
        objects += _input_generator(cfg, exc_cells, assemblies, schedules, connectivity_seed)

    surge = None
    if mech.slow:
        surge, surge_objects = _surge_compartment(cfg, exc_cells, namespace, mech, n_exc)
        objects += surge_objects
        if mech.structural:
            objects += _before_the_pass(cfg, exc_cells, mech.rule, n_exc)

    traced = _traced_indices(n_exc, n_inh, cfg.recording.n_traced)
    monitors = _monitors(cfg, neurons, exc_cells, inh_cells, mech, traced)
    if surge is not None:
        monitors["surge"] = brian2.StateMonitor(
            surge,
            list(SURGE_VARIABLES),
            record=True,
            dt=cfg.recording.slow_interval,
            name="surge_monitor",
        )
    objects.extend(monitors.values())
    return NetworkModel(
        network=brian2.Network(*objects, name="network"),
        neurons=neurons,
        n_exc=n_exc,
        n_inh=n_inh,
        monitors=monitors,
        traced=traced,
        n_synapses=n_synapses,
        ee_pool=pool,
        schedules=schedules,
        assemblies=assemblies,
    )


def _monitors(
    cfg, neurons, exc_cells, inh_cells, mech: _Mechanisms, traced: np.ndarray
) -> dict[str, object]:
    monitors: dict[str, object] = {}
    if cfg.recording.spikes:
        # population rates are binned from the spikes afterwards (cheaper than monitors)
        monitors["spikes"] = brian2.SpikeMonitor(neurons, name="spikes")
    else:
        monitors["rate_exc"] = brian2.PopulationRateMonitor(exc_cells, name="rate_exc")
        monitors["rate_inh"] = brian2.PopulationRateMonitor(inh_cells, name="rate_inh")
        if mech.slow and any(x.kind == "therapy" for x in cfg.therapy.sessions):
            # the pyramidal spikes, for the therapy read-outs only (analysis/evoked.py);
            # not saved unless recording.spikes asks for every spike
            monitors["exc_spikes"] = brian2.SpikeMonitor(exc_cells, name="exc_spikes")
    if traced.size:
        monitors["traces"] = brian2.StateMonitor(
            neurons,
            list(TRACED_VARIABLES),
            record=traced,
            dt=cfg.recording.trace_dt,
            name="traces",
        )
    if mech.slow:
        per_cell = (r.variable for r in mech.records if r.reduction != "value")
        variables = list(dict.fromkeys(per_cell))
        monitors["slow"] = brian2.StateMonitor(
            exc_cells,
            variables,
            record=True,
            dt=cfg.recording.slow_interval,
            name="slow",
        )
    if mech.trapping:
        # every cell's block, averaged per population into the occupancy series afterwards
        monitors["block"] = brian2.StateMonitor(
            neurons, "nmda_block", record=True, dt=cfg.recording.slow_interval, name="block"
        )
    acute = cfg.protocol.acute
    sampling = acute.conductance_sampling
    if mech.slow and acute.enabled and sampling is not None and acute_doses(cfg.pharmacology):
        # E/I conductance ratio of the acute read-outs (acute.py): the pyramidal cells'
        # excitatory (AMPA, external drive included, + NMDA after Mg2+ and drug block) and
        # GABA_A conductances summed into one cell every `sampling`, so the recording is
        # two numbers per sample whatever the network size
        pool = brian2.NeuronGroup(
            1, "g_exc_sum : siemens\ng_inh_sum : siemens", dt=sampling, name="conductance_pool"
        )
        sums = brian2.Synapses(
            exc_cells,
            pool,
            model="g_exc_sum_post = g_ampa_pre + g_nmda_syn_pre * nmda_scale_pre * "
            "s_nmda_in_pre * mg_unblock_pre : siemens (summed)\n"
            "g_inh_sum_post = g_gaba_pre : siemens (summed)",
            namespace=neurons.namespace,
            dt=sampling,
            name="conductance_sums",
        )
        sums.connect(i=np.arange(len(exc_cells)), j=np.zeros(len(exc_cells), dtype=int))
        monitors["conductance_pool"] = pool
        monitors["conductance_sums"] = sums
        monitors["conductances"] = brian2.StateMonitor(
            pool, ["g_exc_sum", "g_inh_sum"], record=0, dt=sampling, name="conductances"
        )
    return monitors
