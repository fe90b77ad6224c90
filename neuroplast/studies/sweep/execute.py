"""Running a sweep on Dask, resuming it, and remeasuring its finished runs."""

from __future__ import annotations

import functools
import json
import os
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroplast.config.experiment import (
    ConfigError,
    config_from_dict,
)
from neuroplast.simulation import locks, storage
from neuroplast.studies import execution, outcomes
from neuroplast.studies.outcomes import DONE, ERROR, INVALID, LOST
from neuroplast.studies.run import run_rows
from neuroplast.studies.sweep.runs import (
    CSV_FILE,
    PLAN_FILE,
    TABLE_FILE,
    Runner,
    RunOutcome,
    RunTask,
    SweepRun,
    config_value,
    execute_run,
    resolve_runs,
    run_status,
    unique_runs,
)
from neuroplast.studies.sweep.spec import SweepSpec
from neuroplast.studies.sweep.table import collect_table, write_table


@dataclass
class SweepResult:
    """Where a sweep was written and what happened to its runs (run ids).

    ``ran`` finished in this invocation, ``kept`` before it; ``invalid``, ``errors`` and
    ``lost`` hold the runs with that outcome (outcomes.py), from this invocation or kept
    from an earlier one.
    """

    out_dir: Path
    table: Path
    runs: int
    ran: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    csv: Path | None = None

    @property
    def failed(self) -> list[str]:
        """Every run without a valid result: invalid, then errors, then lost."""
        return self.invalid + self.errors + self.lost

    def by_outcome(self) -> dict[str, list[str]]:
        """The run ids of each outcome, done first."""
        done = self.kept + self.ran
        return {DONE: done, INVALID: self.invalid, ERROR: self.errors, LOST: self.lost}

    def add(self, run_id: str, status: str) -> None:
        """Count a run that did not finish valid under its outcome."""
        {INVALID: self.invalid, ERROR: self.errors, LOST: self.lost}[status].append(run_id)


def _plan(spec: SweepSpec, runs: Sequence[SweepRun]) -> dict[str, Any]:
    paths = [axis.path for axis in spec.axes]
    return {
        "name": spec.name,
        "description": spec.description,
        "source": str(spec.source) if spec.source else None,
        "kind": spec.kind,
        "seed": spec.seed,
        "repeats": spec.repeats,
        "samples": spec.samples,
        "axes": paths,
        "runs": [
            {
                "run_id": r.run_id,
                "point": r.point.index,
                "varied": r.point.varied,
                "condition": r.condition,
                "repeat": r.repeat,
                "seed": r.seed,
                "values": {p: config_value(r.config, p) for p in paths},
            }
            for r in runs
        ],
    }


def _remove_leftovers(runs_dir: Path) -> None:
    """Hidden staging folders of runs killed mid-write (storage.staged_run_dir)."""
    storage.remove_leftovers(runs_dir)


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
    retry_failed: bool = False,
    progress: bool = True,
    csv: bool = False,
    runner: Runner | None = None,
    reuse: bool = True,
) -> SweepResult:
    """Run (or resume) every run of a sweep on dask.distributed and write its table.

    Parameters
    ----------
    spec : SweepSpec
        From :func:`load_sweep`.
    out : str or Path
        Sweep directory; an existing one is resumed (finished, invalid and error runs
        are kept).
    workers : int, optional
        Worker processes of the embedded LocalCluster (default: the number of cores).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) to use instead.
    client : dask.distributed.Client, optional
        A connected client to use instead (e.g. of a dask-jobqueue cluster).
    retry_failed : bool
        Also run again the runs kept as invalid or failed with an error (lost runs and
        runs not attempted yet always run: :mod:`neuroplast.studies.outcomes`).
    progress : bool
        One progress bar over the runs, with done and failed counts.
    csv : bool
        Also write ``sweep.csv``.
    runner : callable, optional
        ``runner(cfg, run_dir)`` instead of :func:`run_one` (tests).
    reuse : bool
        cpp_standalone: a worker re-runs its built program for the next run of the same
        (condition, seed) that differs only in run-time values (dose amounts, stress
        severities: rerun.py) instead of building again; False builds every run.

    Returns
    -------
    SweepResult

    Raises
    ------
    ConfigError
        Before anything runs, if a point's config is invalid or ``workers`` < 1.
    neuroplast.simulation.locks.DirectoryLocked
        Before anything runs, if another invocation holds the lock of ``out``.
    """
    from tqdm import tqdm

    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        raise ConfigError(f"--workers {workers}: expected at least 1")
    runs = resolve_runs(spec)
    out = Path(out)
    with locks.lock_directory(out):  # one invocation per sweep directory
        runs_dir = out / "runs"
        runs_dir.mkdir(exist_ok=True)
        _remove_leftovers(runs_dir)
        storage.write_json(out / PLAN_FILE, _plan(spec, runs))

        result = SweepResult(out_dir=out, table=out / TABLE_FILE, runs=0)
        todo = []
        distinct = unique_runs(runs)
        result.runs = len(distinct)
        for run in distinct:
            status = run_status(runs_dir / run.run_id)
            if status == DONE:
                result.kept.append(run.run_id)
            elif not outcomes.runs_again(status, retry_failed):
                result.add(run.run_id, status)
            else:
                if status in outcomes.FAILED:
                    outcomes.clear(runs_dir / run.run_id)
                task = RunTask(
                    run.run_id, run.config, str(runs_dir / run.run_id), run.point.label(), reuse
                )
                todo.append(task)
        # the runs of one (condition, seed) one after the other: a worker that built one of
        # them can re-run its program for the next (rerun.py); sorted() keeps point order
        todo = sorted(
            todo, key=lambda t: (str(t.config.get("condition")), str(t.config.get("seed")))
        )

        bar = tqdm(
            total=len(distinct),
            initial=len(distinct) - len(todo),
            unit="run",
            desc=f"sweep {spec.name}",
            disable=not progress,
        )
        bar.set_postfix(done=len(result.kept), failed=len(result.failed))
        try:
            if todo:
                _execute(todo, result, bar, min(workers, len(todo)), scheduler, client, runner)
        finally:
            bar.close()
        write_table(collect_table(out), out, csv=csv)
        result.csv = out / CSV_FILE if csv else None
        return result


def _execute(todo, result: SweepResult, bar, workers, scheduler, client, runner) -> None:
    done_runs = execution.run_tasks(
        functools.partial(execute_run, runner=runner),
        todo,
        workers=workers,
        scheduler=scheduler,
        client=client,
    )
    for task, outcome, err in done_runs:
        if err is not None:  # the executor's, not the run's: e.g. KilledWorker (outcomes.py)
            message = f"{type(err).__name__}: {err}".strip()
            trace = "".join(traceback.format_exception(err))
            outcomes.record_failure(Path(task.run_dir), LOST, message, trace)
            outcome = RunOutcome(task.run_id, LOST, float("nan"), message)
        if outcome.status == DONE:
            result.ran.append(task.run_id)
        else:
            result.add(task.run_id, outcome.status)
        done = len(result.kept) + len(result.ran)
        bar.set_postfix(done=done, failed=len(result.failed), refresh=False)
        bar.update(1)


def remeasure(out: str | Path) -> int:
    """Recompute every finished run's measures.csv from its data.h5, then the table.

    Runs nothing: for a sweep made before the measures changed (``neuroplast sweep SPEC
    --remeasure``).  Each measures.csv is replaced atomically.  Returns the number of
    runs remeasured.
    """
    out = Path(out)
    with locks.lock_directory(out):  # not while a sweep writes there
        done = _remeasure_runs(out)
        write_table(collect_table(out), out, csv=(out / CSV_FILE).exists())
    return done


def _remeasure_runs(out: Path) -> int:
    done = 0
    for run_dir in sorted((out / "runs").iterdir()):
        if not run_dir.is_dir() or run_status(run_dir) != DONE:
            continue
        cfg = config_from_dict(json.loads((run_dir / storage.CONFIG_FILE).read_text()))
        recording = storage.read_hdf5(run_dir / storage.DATA_FILE)
        rows = run_rows(cfg, recording, connectivity=True)
        storage.write_measures(run_dir / storage.MEASURES_FILE, rows)
        done += 1
    return done
