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
experiment resumes: finished runs are not run again (one whose data.h5 cannot be read,
truncated or corrupt, is run again, and the log says so).  Nor are runs judged invalid or
that failed with an error: a run is deterministic, and would end the same way again
(``retry_failed`` / ``--retry-failed`` runs them again); runs lost with their worker are
run again (:mod:`neuroplast.studies.outcomes`).  While any run has no valid result the
experiment is not analysed: :class:`RunsFailed` counts the runs of each outcome and says
what to do.  The experiment holds the lock of its directory while it runs (locks.py).  A
finished run is kept only if it was made with the config this invocation would run it
with (its saved ``config.json``, read back, equals it); otherwise the experiment stops
before anything runs or is overwritten, naming the first key that differs (an edited
config, or a default that changed between versions, must not mix into one comparison).
An invalid run or one that failed with an error is kept only on the same condition, and
is run again, not refused, when its config changed (a fixed value).
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
from neuroplast.studies import execution, outcomes
from neuroplast.studies.analyse import (
    RECALL_FILE,
    analyse,
    experiment_runs,
    is_comparison,
    run_directory,
)
from neuroplast.studies.execution import RunsFailed
from neuroplast.studies.outcomes import DONE, ERROR, INVALID, LOST, NOT_RUN
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
    """Where the experiment was written and what became of its runs (run directories).

    ``ran`` finished in this invocation, ``skipped`` before it (kept); ``invalid``,
    ``errors`` and ``lost`` hold the runs with that outcome (outcomes.py), from this
    invocation or kept from an earlier one, and ``why`` one line per such run.
    """

    out_dir: Path
    ran: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    invalid: list[Path] = field(default_factory=list)
    errors: list[Path] = field(default_factory=list)
    lost: list[Path] = field(default_factory=list)
    why: dict[Path, str] = field(default_factory=dict)
    report: Path | None = None

    @property
    def failed(self) -> list[Path]:
        """Every run without a valid result: invalid, then errors, then lost."""
        return self.invalid + self.errors + self.lost

    def add(self, run_dir: Path, status: str, line: str) -> None:
        """Count a run that did not finish valid under its outcome, with one line why."""
        {INVALID: self.invalid, ERROR: self.errors, LOST: self.lost}[status].append(run_dir)
        self.why[run_dir] = line

    def failure_text(self, total: int) -> str:
        """One line for :class:`RunsFailed`: how many runs of each outcome, what to do."""
        counts = {DONE: len(self.ran) + len(self.skipped)}
        groups = {INVALID: self.invalid, ERROR: self.errors, LOST: self.lost}
        counts.update({status: len(dirs) for status, dirs in groups.items()})
        parts = [
            f"{outcomes.advice(status, len(dirs))}: " + "; ".join(self.why[d] for d in dirs)
            for status, dirs in groups.items()
            if dirs
        ]
        return (
            f"{len(self.failed)} of {total} run(s) have no valid result "
            f"({outcomes.counts_text(counts)}; the done ones are kept): " + ". ".join(parts)
        )


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


def _config_difference(run_dir: Path, run_cfg) -> tuple | None:
    """Where the config ``run_dir`` was made with first differs from ``run_cfg``.

    Returns (key, saved value, value now), or None when they agree.  The saved config
    is read back through the schema, so keys added to the schema since the run was made
    take their defaults and quantities compare as values.  The keys of
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
    return found


def _check_finished_run(run_dir: Path, run_cfg, out_dir: Path) -> None:
    """Raise ConfigError unless ``run_dir`` was made with ``run_cfg`` (module doc)."""
    found = _config_difference(run_dir, run_cfg)
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
    retry_failed: bool = False,
    log=print,
) -> ComparisonResult:
    """Run (or resume) every condition x seed of ``cfg``, then :func:`analyse` them.

    Parameters
    ----------
    cfg : ExperimentConfig
        The experiment (root seed drawn and recorded if absent).
    out_dir : Path
        Experiment directory; an existing one is resumed (finished runs are kept, and so
        are invalid runs and runs that failed with an error) unless ``overwrite``, which
        starts it afresh.
    progress : bool
        Progress bar per run (one worker only).
    workers : int
        Runs at once.  1 (and no ``scheduler`` or ``client``): one after the other in this
        process.  More: on the worker processes of an embedded Dask ``LocalCluster``, as a
        sweep's runs (:mod:`neuroplast.studies.execution`; brian2's device and preferences are per
        process, the compiled-code cache is shared safely).  A failed run does not stop the
        others; :class:`RunsFailed` names it after they finish, with its outcome.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) to run on instead.
    client : dask.distributed.Client, optional
        A connected client to run on instead (e.g. of a dask-jobqueue cluster).
    retry_failed : bool
        Also run again the runs kept as invalid or failed with an error (lost runs and
        runs not attempted yet always run: :mod:`neuroplast.studies.outcomes`).
    log : callable
        Receives one line per run.

    Raises
    ------
    RunsFailed
        After every run, if any run has no valid result (from this invocation or kept
        from an earlier one); nothing is analysed then.
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
        dask = (workers, scheduler, client)
        return _run_and_analyse(cfg, out_dir, runs, retry_failed, progress, dask, log)


def _earlier_outcomes(out_dir: Path, runs: list, log) -> dict[Path, str]:
    """The outcome of each run's last attempt (outcomes.py), as this invocation sees it.

    A finished run made with another config stops the experiment before it writes
    anything (:func:`_check_finished_run`).  An invalid run or a run that failed with an
    error made with another config is ``"todo"``: the config that failed was changed.
    A run whose data.h5 is truncated or corrupt is ``"todo"`` too, and ``log`` says so.
    """
    found = {}
    for k, (condition, seed, run_cfg) in enumerate(runs, start=1):
        run_dir = run_directory(out_dir, condition, seed)
        where = f"  [{k}/{len(runs)}] {condition} seed {seed}"
        status = outcomes.outcome(run_dir)
        if status == DONE:
            _check_finished_run(run_dir, run_cfg, out_dir)
        elif status in (INVALID, ERROR) and _config_difference(run_dir, run_cfg) is not None:
            log(f"{where}: {status} before, with another config; running it again")
            status = NOT_RUN
        elif status == NOT_RUN and (run_dir / storage.MEASURES_FILE).exists():
            problem = storage.data_problem(run_dir / storage.DATA_FILE)
            log(f"{where}: data.h5 is truncated or corrupt ({problem}); running it again")
        found[run_dir] = status
    return found


def _run_and_analyse(
    cfg, out_dir: Path, runs: list, retry_failed: bool, progress, dask, log
) -> ComparisonResult:
    """Run what needs running, then :func:`analyse` (with the directory's lock held).

    The body of :func:`run_comparison`; ``dask`` is its (workers, scheduler, client).
    """
    before = _earlier_outcomes(out_dir, runs, log)
    storage.write_json(out_dir / storage.CONFIG_FILE, cfg.resolved())
    for condition in condition_names(cfg):
        storage.remove_leftovers(out_dir / "runs" / condition)
    result = ComparisonResult(out_dir=out_dir)
    todo = _to_run(result, runs, before, retry_failed, log)
    workers, scheduler, client = dask
    if todo and (workers > 1 or scheduler is not None or client is not None):
        _run_on_dask(result, todo, dask, log)
    else:
        for item in todo:
            _, condition, seed, run_cfg, run_dir = item
            _settle(result, item, _attempt(run_cfg, run_dir, progress, condition, seed), log)
    if result.failed:
        raise RunsFailed(result.failure_text(len(runs)))
    for condition, seed, run_cfg in runs:  # probes of runs kept from an earlier invocation
        _recall(run_directory(out_dir, condition, seed), run_cfg, condition, seed, log)
    result.report = analyse(out_dir, cfg)
    return result


def _to_run(result: ComparisonResult, runs: list, before: dict, retry_failed: bool, log) -> list:
    """The runs to run now, as (log prefix, condition, seed, config, directory).

    Done runs, and invalid and error runs unless ``retry_failed``, are counted in
    ``result`` as kept; a run that runs again starts from an empty directory
    (outcomes.py).
    """
    todo = []
    for k, (condition, seed, run_cfg) in enumerate(runs, start=1):
        run_dir = run_directory(result.out_dir, condition, seed)
        status, where = before[run_dir], f"  [{k}/{len(runs)}] {condition} seed {seed}"
        if status == DONE:
            result.skipped.append(run_dir)
            log(f"{where}: done before, kept")
        elif not outcomes.runs_again(status, retry_failed):
            why = outcomes.reason(run_dir, status)
            result.add(run_dir, status, f"{condition} seed {seed}: {why}")
            log(f"{where}: {status} before ({why}); kept (--retry-failed runs it again)")
        else:
            outcomes.clear(run_dir)
            todo.append((where, condition, seed, run_cfg, run_dir))
    return todo


def _run_on_dask(result: ComparisonResult, todo: list, dask: tuple, log) -> None:
    """Run ``todo`` on Dask workers (execution.py); a task whose worker was lost is lost."""
    workers, scheduler, client = dask
    jobs = [(run_cfg.resolved(), str(run_dir), c, seed) for _, c, seed, run_cfg, run_dir in todo]
    by_dir = {str(item[-1]): item for item in todo}
    finished = execution.run_tasks(
        run_job, jobs, workers=min(workers, len(jobs)), scheduler=scheduler, client=client
    )
    for (_, run_dir, _, _), attempt, lost in finished:
        if lost is not None:  # the executor's exception, not the run's (outcomes.py)
            trace = "".join(traceback.format_exception(lost))
            attempt = (LOST, math.nan, f"{type(lost).__name__}: {lost}", trace)
        _settle(result, by_dir[run_dir], attempt, log)


def _settle(result: ComparisonResult, item: tuple, attempt: tuple, log) -> None:
    """Count one attempted run under its outcome, and record why if it failed.

    A run that raised or was lost gets its error.txt or lost.txt and the config it ran
    with (config.json), so that a resume can tell whether that config was changed since.
    """
    where, condition, seed, run_cfg, run_dir = item
    status, wall, message, trace = attempt
    if status == DONE:
        result.ran.append(Path(run_dir))
        log(f"{where}: {wall:.0f} s -> {run_dir}")
        return
    if status in (ERROR, LOST):
        outcomes.record_failure(run_dir, status, message, trace)
        storage.write_json(Path(run_dir) / storage.CONFIG_FILE, run_cfg.resolved())
    first = message.splitlines()[0] if message else ""
    result.add(Path(run_dir), status, f"{condition} seed {seed}: {first}")
    log(f"{where}: {status.upper()}: {first}")


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


def _attempt(
    run_cfg: ExperimentConfig, run_dir: Path, progress: bool, condition: str, seed: int
) -> tuple[str, float, str, str]:
    """One run and its probes, which never raises: (outcome, wall time, message, traceback).

    The outcome is ``"done"`` or that of the run's exception (outcomes.py: ``"invalid"``,
    ``"error"``, ``"lost"`` for a MemoryError), so that one failed run stops no other.
    """
    try:
        return DONE, _run_one(run_cfg, Path(run_dir), progress, condition, seed), "", ""
    except Exception as err:  # noqa: BLE001 -- reported by the experiment, per run
        rerun.release()  # a program that failed is not reused
        status = outcomes.outcome_of(err)
        if status == INVALID:  # a verdict on the simulation, not a bug: one line
            return status, math.nan, f"run invalid: {err.reason}", ""
        return status, math.nan, f"{type(err).__name__}: {err}", traceback.format_exc()


def run_job(job: tuple[dict, str, str, int]) -> tuple[str, float, str, str]:
    """One run of an experiment on a worker, from plain data.

    ``job`` is (resolved config, run directory, condition, seed); returns what
    :func:`_attempt` returns.  A failure is returned, not raised, so that Dask resubmits
    a task only when its worker is lost (:mod:`neuroplast.studies.execution`).
    """
    execution.prepare_worker()
    resolved, run_dir, condition, seed = job
    return _attempt(config_from_dict(resolved), Path(run_dir), False, condition, seed)


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
