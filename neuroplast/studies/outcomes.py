"""What became of a run (done, invalid, error, lost), and which runs a resume runs again.

Every run of an experiment or a sweep ends in one of four outcomes, recorded in its
directory so that the next invocation of the same command knows what to do with it:

=========  ===============================================  ==================  ============
outcome    what happened                                    recorded in         on resume
=========  ===============================================  ==================  ============
done       finished, valid                                  measures.csv and a  kept
                                                            readable data.h5
invalid    finished (or stopped) invalid: the validity      status.json         kept [*]_
           guard's verdict on the model (validity.py)
error      the run raised: a bad value, a bug               error.txt           kept [*]_
lost       the run's worker died (killed, out of memory,    lost.txt            run again
           pre-empted), its task was cancelled, or it ran
           out of memory
=========  ===============================================  ==================  ============

.. [*] run again with ``--retry-failed`` (``retry_failed=True``).

Why: a run is deterministic given its config and seed (every random stream derives from
the seed), so an invalid run or a run that raised would end the same way again, and
running it on every resume costs its whole run time for nothing; a lost run says nothing
about the model, so the next invocation runs it without being asked.  A run not
attempted yet, or one killed with the whole invocation (nothing recorded), is simply run.

Which failures are lost: the task functions of experiments and sweeps catch every
exception of their own run and return it, so an exception that reaches the executor
(:func:`neuroplast.studies.execution.run_tasks`) is the infrastructure's: Dask's
``KilledWorker`` once a task's worker died again, a cancelled future, a closed
connection.  A ``MemoryError`` inside a run counts as lost too: the machine was short of
memory, which another machine or a quieter moment may not be.

A run that runs again starts from an empty directory (:func:`clear`), so that what its
directory holds always describes its last attempt.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Mapping
from pathlib import Path

from neuroplast.simulation import storage

__all__ = [
    "DONE",
    "ERROR",
    "ERROR_FILE",
    "FAILED",
    "INVALID",
    "LOST",
    "LOST_FILE",
    "NOT_RUN",
    "advice",
    "clear",
    "counts_text",
    "outcome",
    "outcome_of",
    "reason",
    "record_failure",
    "record_path",
    "runs_again",
]

DONE, INVALID, ERROR, LOST, NOT_RUN = "done", "invalid", "error", "lost", "todo"
#: The outcomes of a run that finished without a valid result.
FAILED = (INVALID, ERROR, LOST)

#: A run that raised: its message, host, process and traceback.
ERROR_FILE = "error.txt"
#: A run lost with its worker: what the executor said, host and process.
LOST_FILE = "lost.txt"
RECORD_FILES = {ERROR: ERROR_FILE, LOST: LOST_FILE}


def outcome(run_dir: Path) -> str:
    """The outcome of a run's last attempt, read from its directory (module table).

    ``"todo"`` when nothing is recorded: never attempted, or killed with the invocation
    (a truncated or corrupt data.h5 without a verdict counts as that too).  A run whose
    status.json says invalid is invalid whatever else its directory holds.
    """
    run_dir = Path(run_dir)
    if storage.is_invalid(run_dir):
        return INVALID
    measured = (run_dir / storage.MEASURES_FILE).exists()
    if measured and storage.data_problem(run_dir / storage.DATA_FILE) is None:
        return DONE
    if (run_dir / ERROR_FILE).exists():
        return ERROR
    if (run_dir / LOST_FILE).exists():
        return LOST
    return NOT_RUN


def runs_again(status: str, retry_failed: bool) -> bool:
    """Whether a resume runs a run of this outcome again.

    Lost runs and runs with nothing recorded always; invalid runs and runs that raised
    only when asked (``retry_failed``): they are deterministic (module doc).
    """
    if status == DONE:
        return False
    return retry_failed or status not in (INVALID, ERROR)


def outcome_of(err: BaseException) -> str:
    """The outcome of a run that raised ``err`` inside its own task (module doc)."""
    if isinstance(err, storage.InvalidRun):
        return INVALID
    if isinstance(err, MemoryError):
        return LOST
    return ERROR


def record_failure(run_dir: Path, status: str, message: str, trace: str = "") -> Path:
    """Write the record of a run that raised (error.txt) or was lost (lost.txt), atomically.

    Holds the message, host, process and traceback; the record of the other kind is
    removed, so that the directory says what its last attempt did.  Returns the file.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    text = f"{message}\n\nhost {socket.gethostname()}, pid {os.getpid()}\n\n{trace}"
    path = run_dir / RECORD_FILES[status]
    storage.atomic_write(path, lambda tmp: tmp.write_text(text))
    for other in RECORD_FILES.values():
        if other != path.name:
            (run_dir / other).unlink(missing_ok=True)
    return path


def record_path(run_dir: Path, status: str) -> Path:
    """The file that says why a failed run failed: status.json, error.txt or lost.txt."""
    return Path(run_dir) / (storage.STATUS_FILE if status == INVALID else RECORD_FILES[status])


def reason(run_dir: Path, status: str) -> str:
    """One line saying why a failed run failed: its verdict, error or what lost it."""
    if status == INVALID:
        return "run invalid: " + (storage.read_status(run_dir) or {}).get("reason", "")
    try:
        return record_path(run_dir, status).read_text().splitlines()[0]
    except (OSError, IndexError):
        return ""


def clear(run_dir: Path) -> None:
    """Remove the directory of a failed run before it runs again (module doc)."""
    if Path(run_dir).is_dir():
        shutil.rmtree(run_dir)


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def counts_text(counts: Mapping[str, int]) -> str:
    """``"7 done, 1 invalid, 2 failed with an error, 1 lost"`` (outcomes without runs left out)."""
    words = {DONE: "done", INVALID: "invalid", ERROR: "failed with an error", LOST: "lost"}
    parts = [f"{counts.get(s, 0)} {words[s]}" for s in words if s == DONE or counts.get(s)]
    return ", ".join(parts)


def advice(status: str, n: int) -> str:
    """What ``n`` runs of a failed outcome are, and what to do about them."""
    them = "it" if n == 1 else "them"
    if status == INVALID:
        return (
            f"{_runs(n)} invalid (the validity guard's verdict, in status.json; kept, as it "
            f"would be the same again; re-run {them} with --retry-failed)"
        )
    if status == ERROR:
        return f"{_runs(n)} failed with an error (kept; re-run {them} with --retry-failed)"
    return (
        f"{_runs(n)} lost (worker killed, out of memory or cancelled; the same command "
        f"runs {them} again)"
    )
