"""Where runs execute: one Dask path for experiments and sweeps.

Every batch of runs (an experiment's condition x seed runs, a sweep's points x seeds)
goes through :func:`run_tasks`: an embedded ``LocalCluster`` of single-threaded worker
processes by default, an existing cluster with ``scheduler="tcp://host:8786"``, or a
connected ``client`` (for instance of a dask-jobqueue cluster).  brian2 keeps its device,
preferences and compiled-code cache per process, so a worker runs one simulation at a
time (https://distributed.dask.org/en/stable/api.html#cluster).

A task that dies with its worker (killed, out of memory) is resubmitted once
(``retries=1``); a task that raises an ordinary exception is not: the task functions of
experiments and sweeps catch their run's error and return it, so that a run with a bad
value fails once, with its message, and the others go on.  An exception that
:func:`run_tasks` yields is therefore the infrastructure's (the worker died again:
``KilledWorker``; the task was cancelled), and its run is recorded as lost, to be run
again by the next invocation (:mod:`neuroplast.studies.outcomes`).
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = [
    "RETRIES",
    "RunsFailed",
    "dask_client",
    "prepare_worker",
    "run_tasks",
    "sigterm_as_interrupt",
]

#: How many times a task lost with its worker is submitted again.
RETRIES = 1


class RunsFailed(RuntimeError):
    """Some runs of an experiment failed on the workers; the finished ones are kept."""


def prepare_worker() -> None:
    """brian2 settings every worker process needs before it compiles anything."""
    import brian2  # noqa: PLC0415 -- deferred: this module is imported by the CLI

    # brian2's lock file per compiled extension: workers sharing the cache compile each
    # extension once and never load a half-written one
    brian2.prefs.codegen.runtime.cython.multiprocess_safe = True


@contextlib.contextmanager
def dask_client(workers: int, scheduler: str | None = None, client=None) -> Iterator[Any]:
    """A Dask client: ``client`` itself, one of ``scheduler``, or of a new LocalCluster."""
    if client is not None:
        yield client
        return
    from dask.distributed import Client, LocalCluster  # noqa: PLC0415 -- heavy, optional

    if scheduler:
        with Client(scheduler) as remote:
            yield remote
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as local,
    ):
        yield local


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt, so that the cluster is shut down cleanly."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_tasks(
    function: Callable[[Any], Any],
    tasks: Iterable[Any],
    *,
    workers: int,
    scheduler: str | None = None,
    client=None,
) -> Iterator[tuple[Any, Any, BaseException | None]]:
    """Run ``function(task)`` for every task on Dask; yield results as they finish.

    Parameters
    ----------
    function : callable
        Importable (pickled by reference) and given one task, which is plain data.
    tasks : iterable
        Submitted in order; workers take them in that order.
    workers : int
        Worker processes of the embedded LocalCluster (ignored with ``scheduler`` or
        ``client``).
    scheduler, client
        An existing cluster to use instead (:func:`dask_client`).

    Yields
    ------
    (task, result, error)
        ``error`` is the exception of a task that could not be completed (e.g. its
        worker died twice: ``KilledWorker``; a cancelled task), with ``result`` None.
    """
    from dask.distributed import as_completed  # noqa: PLC0415 -- heavy, optional

    tasks = list(tasks)
    with sigterm_as_interrupt(), dask_client(workers, scheduler, client) as dask:
        futures = {dask.submit(function, task, pure=False, retries=RETRIES): task for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                yield task, future.result(), None
            except Exception as err:  # noqa: BLE001 -- reported to the caller, per task
                yield task, None, err
