"""Recall probe: cue part of an assembly in the frozen network and measure completion.

The behavioural proxy of model docs §8: memory recall as pattern completion.  For a
connectivity snapshot of a run (a biological day), the run's network is rebuilt with the
same seeds -- the same candidate pool, the same E->I, I->E and I->I synapses, the same
assemblies -- and the snapshot's live E->E synapses and weights.  The network is frozen
(``build_network(frozen=True)``): it has no code for rewiring, STDP (pair or triplet),
scaling, inhibitory STDP, BDNF, the set point, a drug or stress, so nothing in it
changes but membranes and conductances.  After ``settle`` of spontaneous activity,
``pulses`` input pulses (the therapy pulse shape and timing, therapy.py, at the cue's
own ``intensity``) drive the first ``cue_fraction`` of the assembly's cells.  Read-outs,
as firing-rate changes during the pulses from the gaps between them (from 100 ms after a
pulse to the next one; the first ``settle`` is left out as the start-up transient),
averaged over ``trials`` probes that differ only in their noise seed:

* ``recall_<A>_completion_hz``: non-cued cells of assembly A -- the completed pattern;
* ``recall_<A>_other_hz``: pyramidal cells outside A (the other assemblies and the
  rest) -- spill-over;
* ``recall_<A>_index``: ``completion - other``; positive when the cue recruits its own
  assembly more than the rest of the network, which needs stronger connectivity within
  A than to the rest;
* ``recall_<A>_index_sem``: with ``trials`` >= 2, the standard error of the index
  over the trials (their sd / sqrt(trials)): the probe's own noise, to set against
  differences between conditions;
* ``coactivity_chi_exc`` / ``coactivity_corr_exc``: E-E co-activity of the frozen
  network in ``quiet`` seconds of spontaneous activity after the cues (synchrony chi
  and the mean pairwise correlation it implies; :func:`_coactivity_rows`).

Cells are exchangeable in the random network, so before any learning the index is
about 0 (a cued cell's input reaches members and non-members alike), and it grows with
within-assembly connectivity: a hand-wired assembly scores far above the same cells
unwired (tests/test_recall.py).

**The cue.**  A therapy pulse (``therapy.intensity`` = 0.15 of the background input)
is a teaching signal, too weak for a recall cue: in the 800 E / 200 I network it
raises the cued cells from about 5 to 10 Hz and their targets by a fraction of a Hz,
below the probe's noise.  The cue is therefore stronger, ``intensity`` = 1 (as much
extra input as the background; the cued cells fire at 40-70 Hz during a pulse), as
recall cues to part of a stored pattern are in plastic spiking networks (e.g. Zenke,
Agnes & Gerstner 2015 Nat Commun 6:6922) [D].

**Noise.**  On the unlearned 800 E / 200 I network (kap_comparison's, day 0) the index
of one probe varies between noise seeds with a sd of 0.95 Hz at 5 pulses and 0.34 Hz
at 20 (6 and 4 seeds); with the weak therapy-pulse cue it was 0.44 Hz at both, because
that cue's response is smaller than the slow fluctuations of 40 cells' rate.  A
difference between conditions smaller than about twice that sd is within one probe's
noise.  More ``pulses`` or ``trials`` reduce it, at a proportional cost (a probe of
the 800 E / 200 I network runs at about 1.4 s of wall time per second).
"""

from __future__ import annotations

import brian2
import numpy as np

from neuroplast.analysis.measures import MeasureRow, synchrony_chi
from neuroplast.config.experiment import ExperimentConfig, config_from_dict
from neuroplast.simulation.backend import brian_backend, is_standalone, owned
from neuroplast.simulation.network import build_network
from neuroplast.simulation.schedules import build_schedules
from neuroplast.simulation.simulate import drug_curves, run_seeds

__all__ = ["probe_config", "recall_rows", "trial_seed"]


def probe_config(run_cfg: ExperimentConfig, assembly: str) -> ExperimentConfig:
    """The frozen-network config of a probe of ``assembly`` (module doc)."""
    rc = run_cfg.recall
    data = run_cfg.resolved()
    length = float(rc.settle) + rc.pulses * float(run_cfg.therapy.period) + float(rc.quiet)
    data.update(
        {
            "condition": f"{run_cfg.condition}-recall",
            "from_protocol": True,
        }
    )
    data["timescale"].update(
        {"enabled": True, "rate": 1.0, "session_rate": 1.0, "bio_duration": f"{length!r} s"}
    )
    data["set_point"].update({"mode": "fixed", "window": "0.1 s", "settle": "0 s"})
    data["bdnf"]["release_threshold_from"] = "fixed"  # no surge to detect in seconds
    data["stress"]["episodes"] = []
    data["pharmacology"]["doses"] = []
    data["recording"].update({"spikes": True, "n_traced": 0, "snapshots": []})
    data["plasticity"]["structural"]["ablate_at"] = None  # no ablation schedule either
    data["output"]["figures"] = False
    data["therapy"]["intensity"] = rc.intensity
    data["therapy"]["sessions"] = [
        {
            "start": f"{float(rc.settle)!r} s",
            "duration": f"{rc.pulses * float(run_cfg.therapy.period)!r} s",
            "assembly": assembly,
            "fraction": rc.cue_fraction,
            "kind": "replay",
        }
    ]
    data["protocol"] = {}
    data["conditions"] = {}
    data["comparisons"] = []
    return config_from_dict(data)


def _load_snapshot(model, snapshot: dict) -> None:
    """Set the rebuilt pool's alive flags and weights to the snapshot's live synapses."""
    pool = model.ee_pool
    n = model.n_exc
    keys = owned(pool.i[:], dtype=np.int64) * n + owned(pool.j[:], dtype=np.int64)
    order = np.argsort(keys)
    wanted = np.asarray(snapshot["i"], dtype=np.int64) * n + np.asarray(snapshot["j"], np.int64)
    where = np.searchsorted(keys[order], wanted)
    if np.any(where >= len(keys)) or np.any(
        keys[order][np.minimum(where, len(keys) - 1)] != wanted
    ):
        raise ValueError("snapshot synapses are not in the rebuilt candidate pool (wrong seed?)")
    index = order[where]
    # not named after the pool's variables: brian2 warns when a local name shadows one
    live = np.zeros(len(keys))
    live[index] = 1.0
    weights = owned(pool.w[:], dtype=float)
    weights[index] = np.asarray(snapshot["w"], dtype=float)
    pool.alive = live
    pool.w = weights


def _rate(i: np.ndarray, t: np.ndarray, cells: np.ndarray, windows) -> float:
    """Mean rate (Hz) of ``cells`` over the windows [(start, stop), ...] of network time."""
    mask = np.isin(i, cells)
    count = sum(np.count_nonzero(mask & (t >= a) & (t < b)) for a, b in windows)
    span = sum(b - a for a, b in windows)
    return count / (len(cells) * span) if len(cells) and span > 0 else float("nan")


#: Bin of the co-activity read-out: ensemble co-activity on tens of ms.
COACTIVITY_BIN = 0.02


def _coactivity_rows(
    cfg: ExperimentConfig, i, t, n_exc: int, condition: str, seed: int, day: float
) -> list:
    """E-E co-activity in the quiet window after the cues (module doc).

    ``coactivity_chi_exc``: Golomb's synchrony chi of the pyramidal cells in 20 ms bins
    (measures.py); ``coactivity_corr_exc``: the mean pairwise spike-count correlation it
    implies, ``r = (N chi^2 - 1) / (N - 1)`` (chi^2 = 1/N + (1 - 1/N) r for cells of equal
    count variance).  Stress lowers E-E co-activity and ketamine restores it in vivo
    (Moda-Sava et al 2019; model docs §8).
    """
    quiet = float(cfg.recall.quiet)
    end = float(cfg.timescale.bio_duration)
    if quiet <= 0:
        return []
    start = end - quiet + 0.2  # 200 ms after the last cue's effects
    chi = synchrony_chi(i, t, 0, n_exc, start, end, bin_width=COACTIVITY_BIN)
    corr = (n_exc * chi**2 - 1.0) / (n_exc - 1.0) if np.isfinite(chi) else float("nan")
    return [
        MeasureRow(condition, seed, day, float("nan"), "coactivity_chi_exc", float(chi)),
        MeasureRow(condition, seed, day, float("nan"), "coactivity_corr_exc", float(corr)),
    ]


def trial_seed(brian_seed: int, trial: int) -> int:
    """The brian2 noise seed of probe ``trial``: the run's own for trial 0, then derived."""
    if trial == 0:
        return brian_seed
    return int(np.random.SeedSequence([brian_seed, trial]).generate_state(1)[0])


def _probe(cfg: ExperimentConfig, seeds, snapshot: dict, noise_seed: int):
    """One probe run: (spike indices, spike times, model).

    The run's network is rebuilt from its ``seeds`` (experiment.RunSeeds), given the
    ``snapshot``'s live synapses and weights, and run with the noise seed ``noise_seed``.
    """
    schedules = build_schedules(cfg, drug_curves(cfg))
    model = build_network(cfg, seeds.connectivity, seeds.initial, schedules, frozen=True)
    _load_snapshot(model, snapshot)
    brian2.seed(noise_seed)
    # an empty run namespace: every name lives in the groups' own namespaces
    model.network.run(schedules.duration * brian2.second, namespace={})
    spikes = model.monitors["spikes"]
    return owned(spikes.i[:]), owned(spikes.t[:], dtype=float), model


def recall_rows(run_cfg, snapshots: dict, condition: str, seed: int) -> list[MeasureRow]:
    """Probe every assembly at every snapshot of a run; tidy rows (module doc)."""
    rows: list[MeasureRow] = []
    if not run_cfg.recall.enabled or not run_cfg.assemblies or not snapshots:
        return rows
    seeds = run_seeds(run_cfg)
    # probes are short runs of a network loaded from a snapshot: a runtime backend (a
    # standalone project would be compiled for every probe)
    backend = run_cfg.simulation.backend
    backend = "cython" if is_standalone(backend) else backend
    trials = run_cfg.recall.trials
    first_assembly = next(iter(run_cfg.assemblies))
    for assembly in run_cfg.assemblies:
        cfg = probe_config(run_cfg, assembly)
        settle = float(cfg.recall.settle)
        period, pulse = float(cfg.therapy.period), float(cfg.therapy.pulse)
        starts = [settle + k * period for k in range(cfg.recall.pulses)]
        pulses = [(a, a + pulse) for a in starts]
        # baseline: the quiet part of each gap between pulses (from 100 ms after a
        # pulse ends to the next start), the same network state without the cue
        gaps = [(a + pulse + 0.1, a + period) for a in starts if a + pulse + 0.1 < a + period]
        for name, snap in sorted(snapshots.items(), key=lambda kv: float(kv[0][4:])):
            day = float(name[4:])
            values: dict[str, list[float]] = {}
            coactivity: dict[str, list[float]] = {}
            for trial in range(trials):
                with brian_backend(backend, cfg.simulation.dt):
                    i, t, model = _probe(cfg, seeds, snap, trial_seed(seeds.brian, trial))
                members = model.assemblies[assembly]
                n_cue = max(1, int(round(cfg.recall.cue_fraction * len(members))))
                rest_of_a = members[n_cue:]
                outside = np.setdiff1d(np.arange(model.n_exc), members)
                if assembly == first_assembly:
                    for row in _coactivity_rows(cfg, i, t, model.n_exc, condition, seed, day):
                        coactivity.setdefault(row.measure, []).append(row.value)
                completion = _rate(i, t, rest_of_a, pulses) - _rate(i, t, rest_of_a, gaps)
                other = _rate(i, t, outside, pulses) - _rate(i, t, outside, gaps)
                for measure, value in (
                    ("completion_hz", completion),
                    ("other_hz", other),
                    ("index", completion - other),
                ):
                    values.setdefault(measure, []).append(value)
            rows += [
                MeasureRow(condition, seed, day, float("nan"), measure, float(np.mean(v)))
                for measure, v in coactivity.items()
            ]
            if trials >= 2:
                index = np.asarray(values["index"])
                values["index_sem"] = [float(index.std(ddof=1) / np.sqrt(trials))]
            for measure, trial_values in values.items():
                rows.append(
                    MeasureRow(
                        condition,
                        seed,
                        day,
                        float("nan"),
                        f"recall_{assembly}_{measure}",
                        float(np.mean(trial_values)),
                    )
                )
    return rows
