"""One run as a study: simulate, add the analyses, write the run directory.

:func:`run_experiment` simulates a config (:func:`neuroplast.simulation.simulate.simulate`), adds
the acute read-outs around every drug session (:func:`add_acute_readouts`), turns the
recording into the tidy measure rows of ``measures.csv`` (:func:`run_rows`) and writes
the run directory: the resolved config, ``data.h5``, ``measures.csv`` and figures.
Experiments (comparison.py) and sweeps (sweep/) run every (condition, seed) through it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from neuroplast.analysis.acute import session_readouts
from neuroplast.analysis.connectivity import snapshot_rows
from neuroplast.analysis.evoked import therapy_readouts
from neuroplast.analysis.measures import measure_rows, set_point_rows
from neuroplast.config.experiment import ExperimentConfig
from neuroplast.config.sessions import dose_times
from neuroplast.model.rules import provenance as rule_provenance
from neuroplast.plots.run import plot_run
from neuroplast.simulation import locks, storage
from neuroplast.simulation.network import mechanism_records
from neuroplast.simulation.recording import Recording
from neuroplast.simulation.simulate import RunSeeds, resolve_seed, run_seeds, simulate
from neuroplast.studies import runlog
from neuroplast.units import SECONDS_PER_DAY

_LOG = logging.getLogger("neuroplast.run")

__all__ = [
    "RunResult",
    "add_acute_readouts",
    "add_therapy_readouts",
    "born_after_days",
    "run_experiment",
    "run_rows",
]


def add_acute_readouts(cfg: ExperimentConfig, recording: Recording) -> None:
    """Add the acute read-outs around every drug session to ``recording.slow``.

    :func:`neuroplast.analysis.acute.session_readouts` of the recorded population rates, schedules
    and conductances, kept as ``acute_*`` and ``session_*`` arrays of ``recording.slow``
    so that they reach data.h5 and measures.csv.  Runs without the slow mechanisms (no
    time map) have none.
    """
    if recording.time_map is None:
        return
    rates = (recording.rate_t, recording.rate_exc, recording.rate_inh)
    recording.slow.update(
        session_readouts(
            cfg,
            rates,
            recording.time_map,
            recording.schedules,
            recording.slow,
            recording.conductances,
        )
    )


def add_therapy_readouts(cfg: ExperimentConfig, recording: Recording) -> None:
    """Add the evoked rates of every therapy session to ``recording.slow``.

    :func:`neuroplast.analysis.evoked.therapy_readouts` of the run's pyramidal spikes
    (all spikes when recorded, else the ones kept for this in ``recording.exc_spikes``),
    kept as ``therapy_*`` arrays so that they reach data.h5 and measures.csv.
    """
    if recording.time_map is None:
        return
    spikes = recording.exc_spikes or (recording.spike_i, recording.spike_t)
    recording.slow.update(
        therapy_readouts(
            cfg.therapy,
            recording.assemblies,
            recording.time_map,
            *spikes,
            recording.n_exc,
            duration=recording.duration,
        )
    )


@dataclass
class RunResult:
    """Where a run was written and its headline numbers."""

    run_dir: Path
    seeds: RunSeeds
    recording: Recording
    summary: dict[str, float]


def born_after_days(cfg: ExperimentConfig) -> list[float]:
    """Days after which new synapses are counted: the protocol's first dose (any condition)."""
    doses = dose_times(cfg.protocol) if cfg.protocol.enabled else []
    return [round(doses[0] / SECONDS_PER_DAY, 2)] if doses else []


def mechanisms(cfg: ExperimentConfig) -> dict:
    """Which replaceable mechanisms the run used: name, module and module version."""
    structural = cfg.plasticity.structural
    return {"rewiring_rule": rule_provenance(structural.rule)} if structural.enabled else {}


def run_rows(cfg: ExperimentConfig, recording: Recording, *, connectivity: bool = False) -> list:
    """The tidy measure rows of one run (measures.csv).

    With ``connectivity``, also the connectivity read-outs of every snapshot
    (connectivity.py: density, degrees, per-assembly p_in / p_out and weights, graph
    metrics if ``output.graph_metrics``, the share of synapses born after the first
    dose).  Experiments compute those once per run in their own table
    (analyse.py); sweeps, which have no such table, ask for them here.
    """
    rows = measure_rows(
        recording,
        cfg.condition,
        cfg.seed,
        window=float(cfg.recording.measure_window),
        transient=float(cfg.recording.transient),
        records=mechanism_records(cfg),
    )
    if recording.slow and recording.schedules and cfg.set_point.mode == "baseline":
        rows += set_point_rows(
            recording,
            cfg.condition,
            cfg.seed,
            settle=float(cfg.set_point.settle),
            window=float(cfg.set_point.window),
        )
    if connectivity and recording.snapshots:
        born_after = born_after_days(cfg)
        snapshots = sorted(recording.snapshots.items(), key=lambda kv: float(kv[0][4:]))
        for name, snapshot in snapshots:
            rows += snapshot_rows(
                snapshot,
                recording.n_exc,
                recording.assemblies,
                cfg.condition,
                cfg.seed,
                float(name[4:]),
                graph_metrics=cfg.output.graph_metrics,
                small_world=cfg.output.small_world,
                born_after=born_after,
            )
    return rows


def run_experiment(
    cfg: ExperimentConfig,
    out_dir: Path,
    *,
    overwrite: bool = False,
    progress: bool = False,
    reuse_build: bool = False,
    connectivity: bool = False,
    lock: bool = True,
) -> RunResult:
    """Simulate ``cfg`` and write its run directory (config, HDF5, measures, figures).

    Parameters
    ----------
    cfg : ExperimentConfig
        Validated configuration; a root seed is drawn and recorded if absent.
    out_dir : Path
        Run directory to create (must not exist unless ``overwrite``).
    overwrite : bool
        Replace an existing run directory.
    progress : bool
        Show a progress bar.
    reuse_build : bool
        Passed to :func:`simulate` (the sweep runner's compile once, run many).
    connectivity : bool
        Add the snapshots' connectivity read-outs to measures.csv (:func:`run_rows`).
    lock : bool
        Hold the lock of ``out_dir`` while the run runs (:func:`locks.lock_destination`),
        so that another invocation cannot write there meanwhile.  Experiments and sweeps,
        which hold the lock of the directory around their runs, pass False.

    Raises
    ------
    neuroplast.simulation.locks.DirectoryLocked
        If another invocation holds the lock of ``out_dir``.
    neuroplast.simulation.storage.InvalidRun
        If the run is invalid (``[validity]``: NaN or inf state, no simulated time, a
        population rate above its bound, silence).  Its directory is written all the same,
        with ``status.json`` saying ``"invalid"`` and why, so that nothing computed is lost.
    """
    cfg = resolve_seed(cfg)
    seeds = run_seeds(cfg)
    held = locks.lock_destination(out_dir) if lock else contextlib.nullcontext()
    with (
        held,
        storage.staged_run_dir(Path(out_dir), overwrite=overwrite) as staging,
        runlog.captured() as messages,
    ):
        start = time.perf_counter()
        versions = storage.versions()
        _LOG.info(
            "%s, condition %s, seed %d: %d E + %d I on %s, host %s, pid %d, %s",
            cfg.name,
            cfg.condition,
            seeds.root,
            cfg.network.n_exc,
            cfg.network.n_inh,
            cfg.simulation.backend,
            socket.gethostname(),
            os.getpid(),
            ", ".join(f"{k} {v}" for k, v in versions.items()),
        )
        recording = simulate(cfg, seeds, progress=progress, reuse_build=reuse_build)
        verdict = recording.validity.get("status", "unchecked")
        reason = recording.validity.get("reason", "")
        _LOG.info(
            "simulated in %.1f s: %s%s",
            time.perf_counter() - start,
            verdict,
            f" ({reason})" * bool(reason),
        )
        add_acute_readouts(cfg, recording)
        add_therapy_readouts(cfg, recording)
        rows = run_rows(cfg, recording, connectivity=connectivity)
        storage.write_json(staging / storage.CONFIG_FILE, cfg.resolved())
        storage.write_hdf5(
            staging / storage.DATA_FILE,
            recording,
            attrs={
                "config": cfg.to_json(),
                "seeds": seeds.as_dict(),
                "versions": versions,
                "backend": cfg.simulation.backend,
                "condition": cfg.condition,
                "mechanisms": mechanisms(cfg),
                # a dose past the drug's validity range, run because the config opted in
                "outside_validity_range": cfg.pharmacology.outside_range(),
                "status": recording.validity.get("status", "unchecked"),
                "validity": recording.validity,
            },
        )
        storage.write_measures(staging / storage.MEASURES_FILE, rows)
        if cfg.output.figures:
            plot_run(
                recording,
                staging,
                raster_window=float(cfg.output.raster_window),
                spikes=cfg.recording.spikes,
            )
        if recording.validity:
            storage.write_status(staging, recording.validity)
        _LOG.info("run directory written after %.1f s", time.perf_counter() - start)
        runlog.write(staging, messages)
    if recording.validity.get("status", "valid") != "valid":
        raise storage.InvalidRun(recording.validity["reason"], out_dir)
    summary = {r.measure: r.value for r in rows if r.measure.startswith(("mean_", "cv_"))}
    return RunResult(run_dir=Path(out_dir), seeds=seeds, recording=recording, summary=summary)
