"""A sweep's runs: their ids and status, and one run on a worker (errors recorded)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
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
from neuroplast.studies import execution
from neuroplast.studies.run import run_experiment
from neuroplast.studies.sweep.spec import SweepPoint, SweepSpec, expand_points, value_text

#: Hex digits of a run id (48 bits: collisions are checked for when a sweep is resolved).
RUN_ID_LENGTH = 12

PLAN_FILE = "sweep.json"
TABLE_FILE = "sweep.parquet"
CSV_FILE = "sweep.csv"
ERROR_FILE = "error.txt"
RUN_LOG_FILE = "sweep_run.json"
#: brian2's and neuroplast's log messages (INFO and up) and Python warnings of one run.
RUN_MESSAGES_FILE = "run.log"

_LOG = logging.getLogger("neuroplast.studies.sweep")

DONE, FAILED, TO_RUN, MISSING = "done", "failed", "todo", "missing"

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
    """``"done"`` (measures.csv and a readable data.h5), ``"failed"`` (error.txt) or ``"todo"``.

    A run whose status.json says it is invalid (simulation/validity.py) is ``"failed"``,
    whatever else its directory holds: its outputs are kept for inspection only.

    Parameters
    ----------
    run_dir : Path

    Returns
    -------
    str
    """
    run_dir = Path(run_dir)
    if storage.is_invalid(run_dir):
        return FAILED
    measured = (run_dir / storage.MEASURES_FILE).exists()
    if measured and storage.data_problem(run_dir / storage.DATA_FILE) is None:
        return DONE
    if (run_dir / ERROR_FILE).exists():
        return FAILED
    return TO_RUN


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
        Sweep directory; when it exists, finished and failed runs are counted.
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
        lines.append(
            f"  in {out}: {states.count(DONE)} finished, {states.count(FAILED)} failed, "
            f"{states.count(TO_RUN)} to run"
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
    """What a worker sends back: the run's status, wall time and error line."""

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


def write_error(run_dir: Path, message: str, trace: str) -> None:
    """Write a failed run's ``error.txt`` (message, host, process, traceback), atomically."""
    run_dir.mkdir(parents=True, exist_ok=True)
    text = f"{message}\n\nhost {socket.gethostname()}, pid {os.getpid()}\n\n{trace}"
    storage.atomic_write(run_dir / ERROR_FILE, lambda tmp: tmp.write_text(text))


@contextlib.contextmanager
def _captured_messages() -> Iterator[list[str]]:
    """Collect the log records (INFO and up) and warnings emitted while a run runs."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in ("brian2", "neuroplast", "py.warnings")]
    levels = [logger.level for logger in loggers]
    logging.captureWarnings(True)
    for logger in loggers:
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)  # brian2's console handler keeps its own level
    try:
        yield lines
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
        logging.captureWarnings(False)


def _write_messages(run_dir: Path, lines: list[str]) -> None:
    if run_dir.exists():
        text = "\n".join(lines) + ("\n" if lines else "")
        storage.atomic_write(run_dir / RUN_MESSAGES_FILE, lambda tmp: tmp.write_text(text))


def execute_run(task: RunTask, runner: Runner | None = None) -> RunOutcome:
    """Run one task on a worker; an exception is written to ``error.txt``, not raised.

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
    with _captured_messages() as messages:
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
            message = f"{type(err).__name__}: {err}".strip()
            if isinstance(err, storage.InvalidRun):  # "run invalid: <why>; ..."
                message = f"run invalid: {err.reason}"
            write_error(run_dir, message, traceback.format_exc())
            _LOG.error("failed after %.1f s: %s", time.perf_counter() - start, message)
            _write_messages(run_dir, messages)
            return RunOutcome(task.run_id, FAILED, time.perf_counter() - start, message)
        _LOG.info("finished in %.1f s", time.perf_counter() - start)
    _write_messages(run_dir, messages)
    wall = time.perf_counter() - start
    (run_dir / ERROR_FILE).unlink(missing_ok=True)  # a retried run that now worked
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
