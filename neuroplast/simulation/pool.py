"""The E->E candidate pool: the synapses that can form, which of them live, and snapshots.

brian2 cannot create or delete synapses during a run, so the E->E projection is one
``Synapses`` object of candidates (``plasticity.structural.candidate_factor`` times the
initial live ones, drawn with :func:`~neuroplast.model.synapses.random_projection`), each
with an ``alive`` flag, a weight and a birth day; the rewiring rule
(:mod:`neuroplast.model.rules`) runs over it at every rewiring step.  Snapshots of the
live synapses are read between runs in runtime mode and copied inside the program in
C++ standalone (:func:`snapshot_steps`).
"""

from __future__ import annotations

import brian2
import numpy as np

from neuroplast.config.experiment import ExperimentConfig
from neuroplast.model import draws
from neuroplast.model import plasticity as plast
from neuroplast.model.rules import RewiringRule
from neuroplast.model.synapses import random_projection
from neuroplast.simulation.schedules import Schedules

__all__ = [
    "POOL_FLOAT32",
    "SNAPSHOT_DEAD",
    "build_pool",
    "rewiring_dt",
    "rewiring_stride",
    "snapshot_code",
    "snapshot_steps",
    "snapshot_variables",
]


#: Per-candidate variables of the E->E pool stored in single precision.
POOL_FLOAT32 = ("w", "alive", "birth_day")


def snapshot_variables(k: int) -> tuple[str, str]:
    """Names of the pool variables that hold snapshot ``k`` in C++ standalone runs.

    Standalone cannot stop mid-run for Python to read the pool, so each requested
    snapshot gets two single-precision copies that the program fills at the snapshot's
    time step (:func:`snapshot_steps`): the weight (0 for dead candidates) and the birth
    day (:data:`SNAPSHOT_DEAD` for dead candidates).  8 bytes per candidate and snapshot.
    """
    return f"snap_w_{k}", f"snap_birth_{k}"


def snapshot_steps(cfg: ExperimentConfig, schedules: Schedules) -> tuple[list[int], int]:
    """When each snapshot is taken: time steps run before it, in sorted-day order.

    A snapshot of day d holds the pool at the rewiring step (every
    ``plasticity.structural.update_interval`` of network time) nearest to network time
    ``sim_at(d)``, before that step's rewiring, or at the end of the run when d is within
    half an update interval of it.  The connectivity only changes at rewiring steps, so
    a snapshot holds every structural change up to d, within half an update interval
    (0.05 day at the default 1 s and 1 day = 10 s).  Runtime backends run that many
    steps (network time on every clock's grid) and read the pool; C++ standalone copies
    the pool at those steps inside one ``run`` (one ``run`` per snapshot would compile
    every code object once per ``run`` call) and reads the final pool for the end.

    Returns
    -------
    steps : list of int
        Time steps before each snapshot.
    total : int
        Time steps of the run (a snapshot with ``steps == total`` is the final pool).
    """
    dt = float(cfg.simulation.dt)
    stride = rewiring_stride(cfg)
    total = int(round(schedules.duration / dt))
    last = (total - 1) // stride  # the last rewiring step inside the run
    steps = []
    for bio in sorted(float(d) for d in cfg.recording.snapshots):  # biological seconds
        sim = float(schedules.time_map.sim_at(bio))
        if sim >= (total - 0.5 * stride) * dt:
            steps.append(total)
        else:
            steps.append(min(max(round(sim / (stride * dt)), 0), last) * stride)
    return steps, total


def rewiring_stride(cfg: ExperimentConfig) -> int:
    """Time steps between rewiring steps."""
    return max(1, int(round(float(cfg.plasticity.structural.update_interval / cfg.simulation.dt))))


def rewiring_dt(cfg: ExperimentConfig):
    """Network time between rewiring steps: the clock of what runs at every one of them."""
    return rewiring_stride(cfg) * cfg.simulation.dt


def snapshot_code(steps: list[int], total: int) -> str:
    """Code for a pool ``run_regularly`` (at rewiring steps) that fills the snapshots."""
    lines = []
    for k, step in enumerate(steps):
        if step >= total:
            continue  # the end of the run: the final pool
        w_name, birth_name = snapshot_variables(k)
        # t and dt are the pool's (the default clock's), not the operation's own clock
        now = f"int(timestep(t, dt) == {step})"
        lines.append(f"{w_name} += {now} * (alive * w - {w_name})")
        dead = f"(1 - alive) * ({SNAPSHOT_DEAD!r})"
        lines.append(f"{birth_name} += {now} * (alive * birth_day + {dead} - {birth_name})")
    return "\n".join(lines)


#: Birth day stored for dead candidates in a standalone snapshot (births are >= -1).
SNAPSHOT_DEAD = -1.0e9


def build_pool(
    cfg: ExperimentConfig,
    exc_cells,
    rng,
    namespace,
    n_exc: int,
    *,
    rule: RewiringRule | None,
    stdp: bool,
    candidates: bool,
):
    """The E->E candidate pool: live synapses drawn with p, dead candidates around them.

    ``rule`` is the rewiring rule, None without structural plasticity (STDP only, or a
    frozen network).  ``candidates``: whether the pool holds ``candidate_factor`` times
    the live synapses (the pool of a run with structural plasticity) or only them.
    Returns the pool, the numbers of live synapses and of candidates, and the live E->E
    in-degree of each pyramidal cell.
    """
    structural = rule is not None
    p = cfg.network.p_connect
    factor = cfg.plasticity.structural.candidate_factor if candidates else 1.0
    p_pool = min(1.0, factor * p)
    i, j = random_projection(rng, n_exc, n_exc, p_pool, same_population=True)
    # not named "alive": string assignments below would also see this local
    is_live = (draws.uniform(rng, len(i)) < p / p_pool).astype(float)
    model = plast.POOL_MODEL
    float32 = list(POOL_FLOAT32)
    if structural and rule.pool_variables.strip():
        model += rule.pool_variables.strip() + "\n"
        float32 += rule.pool_variable_names()
    if cfg.simulation.backend == "cpp_standalone":
        for k in range(len(cfg.recording.snapshots)):
            names = snapshot_variables(k)
            model += "".join(f"{name} : 1\n" for name in names)
            float32 += names
    on_pre_stdp, on_post_stdp = plast.stdp_pool_code(cfg.plasticity.stdp)
    on_pre = {"pre": plast.POOL_ON_PRE + (on_pre_stdp if stdp else "")}
    on_event = {"pre": "spike"}
    delay = {"pre": cfg.synapses.delay}
    if structural:
        on_pre["rewire"] = plast.pool_rewire_code(rule, cfg.plasticity.scaling.enabled)
        on_event["rewire"] = "structural"
        delay["rewire"] = 0 * brian2.ms
    pool = brian2.Synapses(
        exc_cells,
        exc_cells,
        model=model,
        on_pre=on_pre,
        on_event=on_event,
        on_post=on_post_stdp if stdp else None,
        delay=delay,
        namespace=namespace,
        # single precision for the per-candidate state: 12 bytes less per candidate (the
        # pool is most of the model's memory); relative weights and birth days need no more
        dtype={name: np.float32 for name in float32},
        name="ee_pool",
    )
    # int32 indices and single-precision values: C++ standalone keeps these initial arrays
    # in memory for the whole run, so their size counts per candidate
    pool.connect(i=i.astype(np.int32), j=j.astype(np.int32))
    pool.alive = is_live.astype(np.float32)
    pool.w = "alive"  # computed in place, no second initial array
    pool.birth_day = -1.0
    n_alive = np.bincount(j, weights=is_live, minlength=n_exc)  # live in-degree
    if structural:
        n_candidates = np.bincount(j, minlength=n_exc).astype(float)
        prune_weight, form_weight = rule.initial_weights(namespace)
        exc_cells.n_alive = n_alive
        exc_cells.n_alive_snap = n_alive
        exc_cells.z_spine = n_alive
        exc_cells.z_reference = n_alive  # the spine-density set point (density_rate)
        exc_cells.n_candidates = n_candidates
        exc_cells.prune_total = n_alive * prune_weight
        exc_cells.form_total = (n_candidates - n_alive) * form_weight
        exc_cells.w_mean = 1.0
        degrees = {
            "in_degree": n_alive,
            "out_degree": np.bincount(i, weights=is_live, minlength=n_exc),
        }
        for name, values in rule.initial_values(degrees).items():
            setattr(exc_cells, name, values)
    return pool, int(is_live.sum()), len(i), n_alive
