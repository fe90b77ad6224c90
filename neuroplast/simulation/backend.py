"""Choose brian2's code-generation backend for one run, and put everything back afterwards.

brian2 keeps its device, code-generation target, default clock and random state
in process-wide globals.  :func:`brian_backend` sets them for one run and restores
them on exit, so that running a model never leaves the caller's session changed
(numpy's global random state included: brian2's runtime targets draw from it).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import brian2
import numpy as np
from brian2.codegen.runtime.cython_rt.extension_manager import get_cython_cache_dir

from neuroplast.schema import ConfigError
from neuroplast.simulation import rerun

__all__ = [
    "BACKENDS",
    "OPT_LEVEL_VARIABLE",
    "brian_backend",
    "is_standalone",
    "owned",
    "program_command",
]

BACKENDS = ("cython", "numpy", "cpp_standalone")

#: Environment variable: the optimisation level (0-3) of the compiled code, in place of
#: the ``-O3`` of brian2's compiler flags (Cython extensions and C++ standalone alike).
#: Unset, brian2's flags are used as they are.  The test suite sets 1, for its many short
#: runs: the first cython run of a plain 500-cell network (0.5 s, cold cache) took 72 s
#: at -O3, 51 s at -O1 and 37 s at -O0, with the same spikes; 4 s of it ran 30 % slower
#: at -O0 than at -O3.
OPT_LEVEL_VARIABLE = "NEUROPLAST_OPT_LEVEL"


def _run_prefs(backend: str) -> dict[str, object]:
    """The brian2 preferences a run on ``backend`` sets (:func:`brian_backend`).

    The code-generation target, or for C++ standalone one make job per core (brian2's
    default '-j' starts one per source file) and a program that dies with this process
    (:func:`program_command`); and the optimisation level in the environment, if one is
    set.  Cython extensions compiled at another level get their own cache directory:
    brian2's cache key leaves the compiler flags out, and a user's runs should not reuse
    the test suite's extensions.
    """
    if is_standalone(backend):
        prefs = {
            "devices.cpp_standalone.extra_make_args_unix": [f"-j{os.cpu_count() or 1}"],
            "devices.cpp_standalone.run_cmd_unix": program_command(),
        }
    else:
        prefs = {"codegen.target": backend}
    level = os.environ.get(OPT_LEVEL_VARIABLE, "")
    if not level:
        return prefs
    if level not in ("0", "1", "2", "3"):
        raise ConfigError(
            f"{OPT_LEVEL_VARIABLE} = {level!r}: expected 0, 1, 2 or 3 (the -O level of "
            "the compiled code), or unset"
        )
    flags = brian2.prefs["codegen.cpp.extra_compile_args_gcc"]
    prefs["codegen.cpp.extra_compile_args_gcc"] = [
        f"-O{level}" if flag.startswith("-O") else flag for flag in flags
    ]
    cache = get_cython_cache_dir()  # None without Cython: nothing compiles through it
    if cache is not None:
        prefs["codegen.runtime.cython.cache_dir"] = f"{cache}-O{level}"
    return prefs


def owned(values, dtype=None) -> np.ndarray:
    """A plain numpy copy of a brian2 variable's values (units stripped) that owns its memory.

    Read every monitor and synapse variable through this before the brian2 objects go.
    From brian2 2.10 on, the runtime targets keep dynamic arrays (monitors, synapses) in
    C++ and ``var[:]`` returns a numpy view of that memory which does not keep it alive:
    once the monitor is freed, or the array grows in a later ``run``, the view reads
    freed memory, and ``np.asarray`` passes the view through without a copy.  (brian2
    2.9 returned views of numpy arrays, which kept their memory alive.)
    """
    return np.array(values, dtype=dtype, copy=True)


#: Starts the built C++ program so that it gets SIGKILL when the process that runs it dies
#: (Linux's parent-death signal), then replaces itself with the program: argv is the PID
#: of that process, then the program's command line.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None).prctl(1, signal.SIGKILL)\n"  # 1: PR_SET_PDEATHSIG
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit('neuroplast: the process that started the C++ program has exited')\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def program_command() -> str | list[str]:
    """brian2's command for running a built C++ program (``run_cmd_unix``).

    brian2 runs the program as a child process (``./main``).  A child outlives a parent
    killed with SIGKILL: the program of a ``neuroplast`` command or sweep worker killed
    that way went on simulating, for hours on a long run, and wrote its results into a
    project slot that the next run may have taken meanwhile.  On Linux the program is
    started through a launcher that makes it die with this process.
    """
    if not sys.platform.startswith("linux"):
        return "./main"
    return [sys.executable, "-I", "-S", "-c", _DIE_WITH_PARENT, str(os.getpid()), "./main"]


def is_standalone(backend: str) -> bool:
    """Whether ``backend`` builds a C++ program instead of running in this process."""
    return backend == "cpp_standalone"


@contextmanager
def brian_backend(backend: str, dt, standalone_dir: Path | None = None) -> Iterator[None]:
    """Select ``backend`` and the time step for the duration of a ``with`` block.

    Parameters
    ----------
    backend : {"cython", "numpy", "cpp_standalone"}
        brian2 runtime target, or the C++ standalone device.
    dt : brian2.Quantity
        Integration time step (set on brian2's default clock).
    standalone_dir : Path, optional
        Project directory for ``cpp_standalone``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"simulation.backend = {backend!r}: expected one of {BACKENDS}")
    # a standalone program held for re-runs (rerun.py) keeps brian2's device: reset it
    rerun.release()
    # Objects of an earlier model that are still in memory keep their names, and brian2
    # then renames the new model's code objects ("neurons_stateupdater_codeobject_1"):
    # new source files, so a full C++ rebuild (and new Cython extensions) every time.
    # Collecting them first keeps the names, and the compiled code, the same.
    gc.collect()
    run_prefs = _run_prefs(backend)
    saved_prefs = {name: brian2.prefs[name] for name in run_prefs}
    saved_dt = brian2.defaultclock.dt
    saved_random_state = np.random.get_state()  # noqa: NPY002 (brian2 draws from it)
    try:
        for name, value in run_prefs.items():
            brian2.prefs[name] = value
        if is_standalone(backend):
            if standalone_dir is None:
                raise ValueError("cpp_standalone needs a project directory")
            brian2.set_device("cpp_standalone", directory=str(standalone_dir), build_on_run=False)
        brian2.defaultclock.dt = dt
        # The rewiring pass (plasticity.py) writes per-neuron sums from a synaptic
        # pathway; brian2 warns that such code *may* depend on the order of execution.
        # Ours only reads per-neuron snapshots and accumulates, so the order cannot
        # matter (tests/test_rewiring.py checks the sums against the pool).
        brian2.BrianLogger.suppress_hierarchy("brian2.codegen.generators.base")
        yield
    finally:
        if is_standalone(backend):
            brian2.device.reinit()
            brian2.set_device("runtime")
        for name, value in saved_prefs.items():
            brian2.prefs[name] = value
        brian2.defaultclock.dt = saved_dt
        np.random.set_state(saved_random_state)  # noqa: NPY002
