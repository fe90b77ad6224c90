"""A sweep's runs: their ids and outcomes, and one run on a worker (failures recorded)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neuroplast import paths
from neuroplast.config.conditions import condition_names, resolve_condition
from neuroplast.config.experiment import (
    ConfigError,
    ExperimentConfig,
    config_from_dict,
)
from neuroplast.simulation import rerun, storage
from neuroplast.studies import execution, outcomes, runlog
from neuroplast.studies.outcomes import DONE, ERROR, ERROR_FILE, INVALID, LOST, LOST_FILE, NOT_RUN
from neuroplast.studies.run import run_experiment
from neuroplast.studies.sweep.spec import SweepPoint, SweepSpec, expand_points, value_text

#: Hex digits of a run id (48 bits: collisions are checked for when a sweep is resolved).
RUN_ID_LENGTH = 12

PLAN_FILE = "sweep.json"
TABLE_FILE = "sweep.parquet"
CSV_FILE = "sweep.csv"
RUN_LOG_FILE = "sweep_run.json"

_LOG = logging.getLogger("neuroplast.studies.sweep")

#: The table's status of a run never attempted (outcomes.NOT_RUN in its directory).
MISSING = "missing"

#: Columns of the measures table (neuroplast.analysis.measures.MeasureRow), in order.
MEASURE_COLUMNS = ("condition", "seed", "bio_time_days", "sim_time_s", "measure", "value")

#: A runner simulates one validated config into one run directory (test hook; default
#: :func:`run_one`).  It must be importable (or picklable by value) on the workers.
Runner = Callable[[ExperimentConfig, Path], Any]


@dataclass(frozen=True)
class SweepRun:
    """One (point, condition, repeat) of a sweep with its resolved config and run id."""

    run_id: str
    point: SweepPoint
    condition: str
    repeat: int
    seed: int
    config: dict[str, Any]


def run_id(resolved: dict[str, Any], seed: int) -> str:
    """Short hash naming a run: SHA-256 of the canonical JSON of its config and seed.

    Parameters
    ----------
    resolved : dict
        ``ExperimentConfig.resolved()`` of the run (units as text).
    seed : int
        The run's root seed.

    Returns
    -------
    str
        ``RUN_ID_LENGTH`` hex digits, the same on every process and machine.
    """
    canonical = json.dumps(
        {"config": resolved, "seed": seed}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:RUN_ID_LENGTH]


def resolve_runs(spec: SweepSpec) -> list[SweepRun]:
    """Every run of a sweep with its validated config; nothing runs.

    Each point's config is the base with the point's values; a base with conditions
    gives one run per condition (:func:`neuroplast.config.conditions.resolve_condition`); repeat
    ``k`` runs with root seed ``spec.seed + k``.

    Parameters
    ----------
    spec : SweepSpec

    Returns
    -------
    list of SweepRun
        In the order point, condition, repeat.  Points with the same resolved config
        share a run id.

    Raises
    ------
    ConfigError
        Naming the point when its config is invalid.
    """
    runs: list[SweepRun] = []
    canonical: dict[str, str] = {}
    for point in expand_points(spec):
        data = json.loads(json.dumps(spec.base))
        for path, value in point.values.items():
            paths.set_at(data, path.split("."), value)
        try:
            cfg = config_from_dict(data)
            names = [
                n for n in condition_names(cfg) if spec.conditions is None or n in spec.conditions
            ]
            flats = [(name, resolve_condition(cfg, name)) for name in names]
        except ConfigError as err:
            raise ConfigError(f"point {point.index} ({point.label()}): {err}") from None
        for condition, flat in flats:
            for repeat in range(spec.repeats):
                seed = spec.seed + repeat
                resolved = flat.model_copy(update={"seed": seed, "repeats": 1}).resolved()
                rid = run_id(resolved, seed)
                text = json.dumps(resolved, sort_keys=True)
                if canonical.setdefault(rid, text) != text:  # 48-bit hash: never seen
                    raise ConfigError(
                        f"run id {rid} names two different configs; raise RUN_ID_LENGTH"
                    )
                runs.append(SweepRun(rid, point, condition, repeat, seed, resolved))
    return runs


def unique_runs(runs: Sequence[SweepRun]) -> list[SweepRun]:
    """The runs with distinct run ids, first occurrence kept."""
    seen: set[str] = set()
    return [r for r in runs if not (r.run_id in seen or seen.add(r.run_id))]


def run_status(run_dir: Path) -> str:
    """The outcome of a run's last attempt: done, invalid, error, lost or todo.

    :func:`neuroplast.studies.outcomes.outcome`: a run whose status.json says it is
    invalid (simulation/validity.py) is ``"invalid"`` whatever else its directory holds
    (its outputs are kept for inspection only); ``"done"`` needs measures.csv and a
    readable data.h5; error.txt is a run that raised, lost.txt a run lost with its worker.

    Parameters
    ----------
    run_dir : Path

    Returns
    -------
    str
    """
    return outcomes.outcome(run_dir)


def config_value(config: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of a run's config data (None where it holds none)."""
    return paths.value_at(config, path.split("."))


def describe(spec: SweepSpec, runs: Sequence[SweepRun], out: Path | None = None, n_show=5) -> str:
    """A few lines for ``--dry-run``: how many runs, and the first points resolved.

    Parameters
    ----------
    spec : SweepSpec
    runs : sequence of SweepRun
        From :func:`resolve_runs`.
    out : Path, optional
        Sweep directory; when it exists, its runs are counted by outcome.
    n_show : int
        Points listed.

    Returns
    -------
    str
    """
    distinct = unique_runs(runs)
    points = list(dict.fromkeys(r.point.index for r in runs))
    conditions = list(dict.fromkeys(r.condition for r in runs))
    lines = [
        f"sweep '{spec.name}': kind {spec.kind}, {len(points)} point(s) x "
        f"{len(conditions)} condition(s) x {spec.repeats} repeat(s) = {len(distinct)} run(s)"
        + (
            f" ({len(runs) - len(distinct)} duplicate(s) share a run)"
            if len(distinct) < len(runs)
            else ""
        )
    ]
    if out is not None and Path(out).exists():
        states = [run_status(Path(out) / "runs" / r.run_id) for r in distinct]
        counts = {s: states.count(s) for s in (DONE, INVALID, ERROR, LOST)}
        lines.append(
            f"  in {out}: {outcomes.counts_text(counts)}, {states.count(NOT_RUN)} not run yet"
        )
    paths = [axis.path for axis in spec.axes]
    shown = 0
    for run in runs:
        if run.repeat or shown >= n_show or run.condition != conditions[0]:
            continue
        values = ", ".join(f"{p}={value_text(config_value(run.config, p))}" for p in paths)
        seeds = ", ".join(str(spec.seed + k) for k in range(spec.repeats))
        lines.append(f"  point {run.point.index}: {values} (seeds {seeds}) -> {run.run_id}")
        shown += 1
    if len(points) > shown:
        lines.append(f"  ... {len(points) - shown} more point(s)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- one task


@dataclass(frozen=True)
class RunTask:
    """What a worker needs to run one sweep run (plain data: cheap to send)."""

    run_id: str
    config: dict[str, Any]
    run_dir: str
    label: str
    reuse: bool = True


@dataclass(frozen=True)
class RunOutcome:
    """What a worker sends back: the run's outcome (outcomes.py), wall time and error line."""

    run_id: str
    status: str
    wall_s: float
    error: str = ""


def run_one(cfg: ExperimentConfig, run_dir: Path, reuse: bool = True) -> None:
    """Simulate one sweep run into ``run_dir`` (the default runner of :func:`execute_run`).

    With ``reuse`` a cpp_standalone run keeps its built program in the worker, and the
    worker's next run re-runs it if it differs only in run-time values (rerun.py).
    """
    run_experiment(
        cfg,
        Path(run_dir),
        overwrite=Path(run_dir).exists(),
        reuse_build=reuse,
        connectivity=True,
        lock=False,  # the sweep's lock covers its runs
    )


def execute_run(task: RunTask, runner: Runner | None = None) -> RunOutcome:
    """Run one task on a worker; a failure is recorded in the run's directory, not raised.

    An invalid run has its status.json; a run that raised writes error.txt, or lost.txt
    for a ``MemoryError`` (:func:`neuroplast.studies.outcomes.outcome_of`).

    Parameters
    ----------
    task : RunTask
    runner : callable, optional
        ``runner(cfg, run_dir)``; default :func:`run_one`.

    Returns
    -------
    RunOutcome
    """
    execution.prepare_worker()
    run_dir = Path(task.run_dir)
    start = time.perf_counter()
    with runlog.captured() as messages:
        _LOG.info(
            "run %s (%s) on %s, pid %d", task.run_id, task.label, socket.gethostname(), os.getpid()
        )
        try:
            cfg = config_from_dict(task.config)
            if runner is None:
                run_one(cfg, run_dir, reuse=task.reuse)
            else:
                runner(cfg, run_dir)
        except Exception as err:  # noqa: BLE001 -- any failure of a run is recorded, not raised
            rerun.release()  # a program that failed is not reused
            status, message = _record(run_dir, err)
            _LOG.error("%s after %.1f s: %s", status, time.perf_counter() - start, message)
            runlog.write(run_dir, messages)
            return RunOutcome(task.run_id, status, time.perf_counter() - start, message)
        _LOG.info("finished in %.1f s", time.perf_counter() - start)
    runlog.write(run_dir, messages)
    wall = time.perf_counter() - start
    for record in (ERROR_FILE, LOST_FILE):  # a retried run that now worked
        (run_dir / record).unlink(missing_ok=True)
    log = {
        "run_id": task.run_id,
        "point": task.label,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "wall_s": wall,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    storage.write_json(run_dir / RUN_LOG_FILE, log)
    return RunOutcome(task.run_id, DONE, wall)


def _record(run_dir: Path, err: Exception) -> tuple[str, str]:
    """Record why a run failed in its directory; return its outcome and one line."""
    status = outcomes.outcome_of(err)
    if status == INVALID:  # run_experiment wrote status.json; a test runner may not have
        if not storage.is_invalid(run_dir):
            run_dir.mkdir(parents=True, exist_ok=True)
            storage.write_status(run_dir, {"status": "invalid", "reason": err.reason})
        return status, f"run invalid: {err.reason}"
    message = f"{type(err).__name__}: {err}".strip()
    outcomes.record_failure(run_dir, status, message, traceback.format_exc())
    return status, message
