"""Run every (condition, seed) of an experiment and compare the conditions.

``neuroplast run CONFIG`` comes here when the config has a ``[protocol]``,
``[conditions]`` or ``repeats > 1``.  The experiment directory::

    OUT/
      config.json           the experiment config as given (resolved)
      runs/CONDITION/seed_S/  one run directory per (condition, seed): config.json of
                            the compiled run, data.h5, measures.csv, figures
                            (+ connectivity.csv, derived from its snapshots;
                            recall.csv, its recall probes, and recall.json, their settings)
      measures.csv          every run's rows (tidy: condition, seed, bio_time_days,
                            sim_time_s, measure, value), plus recovery indices
      summary.csv           mean, sd, 95 % bootstrap CI per condition x measure x day
      comparisons.csv       differences between conditions with CIs and Hedges' g
      figures/*.png         recovery curves, comparisons, connectivity
      report.md             protocol, conditions, comparisons, figures

Runs are independent and each is written atomically (storage.py), so an interrupted
experiment resumes: run directories that exist are complete and are not run again (one
whose data.h5 cannot be read, truncated or corrupt, is run again, and the log says so).
The experiment holds the lock of its directory while it runs (locks.py).  A
finished run is kept only if it was made with the config this invocation would run it
with (its saved ``config.json``, read back, equals it); otherwise the experiment stops
before anything runs or is overwritten, naming the first key that differs (an edited
config, or a default that changed between versions, must not mix into one comparison).
Keys that describe the experiment around a run (:data:`EXPERIMENT_ONLY_KEYS`) are not
compared, and the recall settings (:data:`PROBE_ONLY_KEYS`) are read only by the probes
that run on a finished run's snapshots: when they change, the probes run again and the
simulation is kept.  Repeat k of every condition uses root seed ``seed + k``; with
``paired_conditions`` (default) the conditions of a repeat share network and noise (experiment.py
:func:`~neuroplast.simulation.simulate.run_seeds`).  The statistics compare conditions as
independent groups and, for paired runs, seed by seed as well (stats/).
"""

from __future__ import annotations

import json
import math
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from neuroplast.analysis.recall import recall_rows
from neuroplast.config.conditions import condition_names, resolve_conditions
from neuroplast.config.experiment import ConfigError, ExperimentConfig, config_from_dict
from neuroplast.simulation import locks, rerun, storage
from neuroplast.simulation.simulate import resolve_seed
from neuroplast.studies import execution
from neuroplast.studies.analyse import (
    RECALL_FILE,
    analyse,
    experiment_runs,
    is_comparison,
    run_directory,
)
from neuroplast.studies.execution import RunsFailed
from neuroplast.studies.run import run_experiment

__all__ = [
    "ComparisonResult",
    "RunsFailed",
    "is_comparison",
    "run_comparison",
    "run_directory",
    "run_job",
]


@dataclass
class ComparisonResult:
    """Where the experiment was written and what ran."""

    out_dir: Path
    ran: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    report: Path | None = None


def _first_difference(a, b, path: str = ""):
    """(path, a's value, b's value) of the first difference of two JSON trees, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                return where, a.get(key, "(absent)"), b.get(key, "(absent)")
            found = _first_difference(a[key], b[key], where)
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{path}[{k}]")
            if found is not None:
                return found
        return None
    return None if a == b else (path, a, b)


#: Keys of a run's config that describe the experiment around it, not the run: adding a
#: condition or a repeat to an experiment keeps its finished runs.
EXPERIMENT_ONLY_KEYS = ("name", "description", "repeats", "conditions", "comparisons")
#: Keys that only the recall probes read, after the run, from its saved snapshots: a
#: change re-probes the finished runs (their recall.csv) instead of refusing them.
PROBE_ONLY_KEYS = ("recall",)
#: The recall settings a run's recall.csv was made with (beside it).
RECALL_SETTINGS_FILE = "recall.json"


def _check_finished_run(run_dir: Path, run_cfg, out_dir: Path) -> None:
    """Raise ConfigError unless ``run_dir`` was made with ``run_cfg`` (module doc).

    The saved config is read back through the schema, so keys added to the schema since
    the run was made take their defaults and quantities compare as values.  The keys of
    :data:`EXPERIMENT_ONLY_KEYS` and :data:`PROBE_ONLY_KEYS` are not compared.
    """
    ignored = EXPERIMENT_ONLY_KEYS + PROBE_ONLY_KEYS

    def comparable(resolved: dict) -> dict:
        tree = json.loads(json.dumps(resolved))
        return {k: v for k, v in tree.items() if k not in ignored}

    expected = comparable(run_cfg.resolved())
    try:
        saved_data = json.loads((run_dir / storage.CONFIG_FILE).read_text())
        saved = comparable(config_from_dict(saved_data).resolved())
    except (OSError, ValueError, ConfigError) as err:
        saved, found = None, ("config.json", f"unreadable ({err})", "a valid config")
    if saved is not None:
        found = _first_difference(saved, expected)
    if found is None:
        return
    key, then, now = found

    def short(value) -> str:
        text = repr(value)
        return text if len(text) <= 160 else text[:157] + "..."

    raise ConfigError(
        f"{run_dir} was made with {key} = {short(then)}, but this config runs it with "
        f"{short(now)}. Its results would not be comparable with new runs, so nothing was run "
        f"and nothing in {out_dir} was changed. Use the config it was made with, another "
        "--out directory, or --overwrite to start the experiment afresh."
    )


def run_comparison(
    cfg: ExperimentConfig,
    out_dir: Path,
    *,
    overwrite: bool = False,
    progress: bool = False,
    workers: int = 1,
    scheduler: str | None = None,
    client=None,
    log=print,
) -> ComparisonResult:
    """Run (or resume) every condition x seed of ``cfg``, then :func:`analyse` them.

    Parameters
    ----------
    cfg : ExperimentConfig
        The experiment (root seed drawn and recorded if absent).
    out_dir : Path
        Experiment directory; an existing one is resumed (finished runs are kept) unless
        ``overwrite``, which starts it afresh.
    progress : bool
        Progress bar per run (one worker only).
    workers : int
        Runs at once.  1 (and no ``scheduler`` or ``client``): one after the other in this
        process.  More: on the worker processes of an embedded Dask ``LocalCluster``, as a
        sweep's runs (:mod:`neuroplast.studies.execution`; brian2's device and preferences are per
        process, the compiled-code cache is shared safely).  A failed run does not stop the
        others; :class:`RunsFailed` names it after they finish.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) to run on instead.
    client : dask.distributed.Client, optional
        A connected client to run on instead (e.g. of a dask-jobqueue cluster).
    log : callable
        Receives one line per run.
    """
    if workers < 1:
        raise ConfigError(f"--workers {workers}: expected at least 1")
    cfg = resolve_seed(cfg)
    out_dir = Path(out_dir)
    # every run's config first, so that a bad condition fails before anything runs; a
    # condition is compiled once (its run config does not depend on the seed)
    compiled = resolve_conditions(cfg)
    runs = [
        (condition, seed, compiled[condition].model_copy(update={"seed": seed}, deep=True))
        for condition, seed in experiment_runs(cfg)
    ]
    with locks.lock_directory(out_dir):
        if overwrite:
            storage.empty_directory(out_dir, keep=[locks.LOCK_FILE])
        return _run_and_analyse(cfg, out_dir, runs, progress, workers, scheduler, client, log)


def _finished_runs(out_dir: Path, runs: list, log) -> set[Path]:
    """The run directories of ``runs`` that are finished: measures.csv and a readable data.h5.

    A run whose data.h5 is truncated or corrupt is not (it is run again), and ``log``
    says so; a finished run made with another config stops the experiment before it
    writes anything (:func:`_check_finished_run`).
    """
    finished = set()
    for k, (condition, seed, run_cfg) in enumerate(runs, start=1):
        run_dir = run_directory(out_dir, condition, seed)
        if not (run_dir / storage.MEASURES_FILE).exists():
            continue
        if storage.is_invalid(run_dir):
            reason = (storage.read_status(run_dir) or {}).get("reason", "")
            log(
                f"  [{k}/{len(runs)}] {condition} seed {seed}: invalid before ({reason}); "
                "running it again"
            )
            continue
        problem = storage.data_problem(run_dir / storage.DATA_FILE)
        if problem is not None:
            log(
                f"  [{k}/{len(runs)}] {condition} seed {seed}: data.h5 is truncated or corrupt "
                f"({problem}); running it again"
            )
            continue
        _check_finished_run(run_dir, run_cfg, out_dir)
        finished.add(run_dir)
    return finished


def _run_and_analyse(
    cfg, out_dir: Path, runs: list, progress, workers, scheduler, client, log
) -> ComparisonResult:
    """Run what is not finished yet, then :func:`analyse` (with the directory's lock held).

    The body of :func:`run_comparison`.
    """
    finished = _finished_runs(out_dir, runs, log)
    storage.write_json(out_dir / storage.CONFIG_FILE, cfg.resolved())
    result = ComparisonResult(out_dir=out_dir)
    for condition in condition_names(cfg):
        storage.remove_leftovers(out_dir / "runs" / condition)
    todo = []
    for k, (condition, seed, run_cfg) in enumerate(runs, start=1):
        run_dir = run_directory(out_dir, condition, seed)
        if run_dir in finished:
            result.skipped.append(run_dir)
            log(f"  [{k}/{len(runs)}] {condition} seed {seed}: done before, kept")
        else:
            todo.append((k, condition, seed, run_cfg, run_dir))
    if todo and (workers > 1 or scheduler is not None or client is not None):
        jobs = [
            (run_cfg.resolved(), str(run_dir), condition, seed)
            for _, condition, seed, run_cfg, run_dir in todo
        ]
        number = {str(run_dir): k for k, _, _, _, run_dir in todo}
        failed = []
        finished = execution.run_tasks(
            run_job,
            jobs,
            workers=min(workers, len(jobs)),
            scheduler=scheduler,
            client=client,
        )
        for (_, run_dir, condition, seed), outcome, lost in finished:
            # a task lost with its worker twice has no outcome, only the exception
            wall, error = outcome if lost is None else (math.nan, f"{type(lost).__name__}: {lost}")
            k = number[run_dir]
            if error:
                failed.append(f"{condition} seed {seed}: {error.splitlines()[0]}")
                log(f"  [{k}/{len(runs)}] {condition} seed {seed}: FAILED: {error}")
                continue
            log(f"  [{k}/{len(runs)}] {condition} seed {seed}: {wall:.0f} s -> {run_dir}")
            result.ran.append(Path(run_dir))
        if failed:
            raise RunsFailed(
                f"{len(failed)} of {len(jobs)} run(s) failed (the others are kept; run the "
                "same command again to retry them): " + "; ".join(failed)
            )
    else:
        invalid = []
        for k, condition, seed, run_cfg, run_dir in todo:
            try:
                wall = _run_one(run_cfg, run_dir, progress, condition, seed)
            except storage.InvalidRun as err:  # kept, marked invalid; the others go on
                invalid.append(f"{condition} seed {seed}: run invalid: {err.reason}")
                log(f"  [{k}/{len(runs)}] {condition} seed {seed}: FAILED: {err}")
                continue
            log(f"  [{k}/{len(runs)}] {condition} seed {seed}: {wall:.0f} s -> {run_dir}")
            result.ran.append(run_dir)
        if invalid:
            raise RunsFailed(
                f"{len(invalid)} of {len(todo)} run(s) failed (the others are kept; run the "
                "same command again to retry them): " + "; ".join(invalid)
            )
    for condition, seed, run_cfg in runs:  # probes of runs kept from an earlier invocation
        _recall(run_directory(out_dir, condition, seed), run_cfg, condition, seed, log)
    result.report = analyse(out_dir, cfg)
    return result


def _run_one(
    run_cfg: ExperimentConfig,
    run_dir: Path,
    progress: bool = False,
    condition: str | None = None,
    seed: int | None = None,
) -> float:
    """One run and its recall probes; returns the run's wall time (s).

    Called here or in a worker process, so that the probes of different runs run in
    parallel too (``condition`` and ``seed`` name the run for its probes).
    """
    run = run_experiment(
        run_cfg, run_dir, overwrite=run_dir.exists(), progress=progress, lock=False
    )  # the experiment's lock covers its runs
    wall = run.recording.wall_time  # run_s includes the C++ compile and binary times
    if condition is not None:
        _recall(run_dir, run_cfg, condition, seed, log=lambda line: None)
    return wall.get("setup_s", 0.0) + wall.get("run_s", 0.0)


def run_job(job: tuple[dict, str, str, int]) -> tuple[float, str | None]:
    """One run of an experiment on a worker, from plain data.

    ``job`` is (resolved config, run directory, condition, seed); returns (wall time,
    None), or (nan, the error's message and traceback) if the run failed.  The error is
    returned, not raised, so that Dask resubmits a task only when its worker is lost
    (:mod:`neuroplast.studies.execution`).
    """
    execution.prepare_worker()
    resolved, run_dir, condition, seed = job
    try:
        return _run_one(config_from_dict(resolved), Path(run_dir), False, condition, seed), None
    except storage.InvalidRun as err:  # a verdict on the simulation, not a bug: one line
        rerun.release()
        return float("nan"), str(err)
    except Exception as err:  # noqa: BLE001 -- reported by the experiment, per run
        rerun.release()
        return float("nan"), f"{type(err).__name__}: {err}\n{traceback.format_exc()}"


def _recall_settings(run_dir: Path) -> dict | None:
    """The recall settings the run's recall.csv was made with (None: unknown).

    Read from recall.json; a recall.csv older than that file was made with the recall
    section of the run's own config.json, read back through the schema (defaults of
    keys added since filled in, as they were then: the cue was the therapy pulse's).
    """
    recorded = run_dir / RECALL_SETTINGS_FILE
    try:
        if recorded.exists():
            return json.loads(recorded.read_text())
        saved = json.loads((run_dir / storage.CONFIG_FILE).read_text())
        cfg = config_from_dict(saved)
        settings = cfg.resolved()["recall"]
        if "intensity" not in saved.get("recall", {}):  # made before recall.intensity
            settings["intensity"] = cfg.therapy.intensity
        return settings
    except (OSError, ValueError, ConfigError):
        return None


def _recall(run_dir: Path, run_cfg, condition: str, seed: int, log) -> None:
    """Recall probes of a finished run (recall.py), cached in its recall.csv.

    The probes run again when the run's recall.csv was made with other recall settings
    (``recall.*``: :data:`PROBE_ONLY_KEYS`); the simulation is not repeated.
    """
    target = run_dir / RECALL_FILE
    if not (run_dir / storage.DATA_FILE).exists():
        return
    if not run_cfg.recall.enabled or not run_cfg.assemblies:
        return
    wanted = json.loads(json.dumps(run_cfg.resolved()["recall"]))
    if target.exists():
        if _recall_settings(run_dir) == wanted:
            return
        log(f"  recall settings changed: probing {condition} seed {seed} again")
    snapshots = storage.read_hdf5(run_dir / storage.DATA_FILE).snapshots
    rows = recall_rows(run_cfg, snapshots, condition, seed)
    storage.write_measures(target, rows)
    storage.write_json(run_dir / RECALL_SETTINGS_FILE, wanted)
    log(f"  recall probes: {condition} seed {seed} ({len(snapshots)} snapshots)")
