"""Compile once, run many: re-run a built C++ standalone program with new schedules.

A sweep over a ketamine dose or a stress severity changes nothing in the network but
the values of its schedule TimedArrays (concentration, occupancies, stress factors:
schedules.py).  brian2 >= 2.8 can pass new TimedArray values to a built standalone
program on its command line (``device.run(run_args={timed_array: values})``), so a
worker that has just built and run one point of such a sweep can run the next point
with the same binary: no code generation, no compiler, only the simulation.

Which runs can share a build
    The same (condition, seed) and configs that differ only at :data:`RUNTIME_PATHS`
    (``*`` matches a list index).  Seeds cannot be run-time arguments in brian2 2.9:
    the brian2 seed is compiled into ``main.cpp`` and the connectivity is drawn by
    numpy and written into the project as static arrays, so another seed is another
    build (an incremental one, in the worker's project slot: experiment.py).  Before a
    re-run the new schedules are checked against the built ones: every TimedArray must
    keep its length (the same dose *times*, hence the same clock) and the state that
    the build set from the schedules (the NMDA block at t = 0) must not change;
    otherwise the worker builds again.

What it costs
    The built program stays in the worker process with its project slot locked
    (:class:`BuiltProgram`) until a run needs another build or :func:`release` is
    called.  Only the sweep runner asks for reuse (``simulate(..., reuse_build=True)``);
    every other run releases a held program first, so the usual build-and-reset
    behaviour of :func:`neuroplast.simulation.simulate.simulate` is unchanged.

tests/test_rerun.py checks that a re-run gives the same numbers as a fresh build of
the same config and seed.
"""

from __future__ import annotations

import atexit
import hashlib
import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import brian2
import numpy as np

from neuroplast.config.parameters import runtime_paths

__all__ = ["RUNTIME_PATHS", "BuiltProgram", "build_key", "held", "hold", "release"]

#: Config paths whose values reach a standalone program only through the values of its
#: schedule TimedArrays (schedules.py): the fields declared ``param(..., runtime=True)``
#: (dose amounts, stress severities, the BDNF suppression by stress), as glob patterns.
RUNTIME_PATHS = runtime_paths()

#: Placeholder for a run-time value in :func:`build_key`.
_RUNTIME = "<run time>"


def _blank(node: Any, prefix: str) -> Any:
    """``node`` with every value at a :data:`RUNTIME_PATHS` path replaced."""
    if any(fnmatchcase(prefix, pattern) for pattern in RUNTIME_PATHS):
        return _RUNTIME
    if isinstance(node, dict):
        return {k: _blank(v, f"{prefix}.{k}" if prefix else str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_blank(v, f"{prefix}.{k}") for k, v in enumerate(node)]
    return node


def build_key(resolved: dict[str, Any], seeds: dict[str, int]) -> str:
    """What a built program depends on: the resolved config without run-time values."""
    text = json.dumps({"config": _blank(resolved, ""), "seeds": seeds}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class BuiltProgram:
    """A built and run standalone program, its brian2 objects and its project slot.

    ``stack`` holds the project slot's lock and brian2's device; closing it resets
    brian2 (experiment.simulate's usual exit).
    """

    key: str
    stack: ExitStack
    project: Path
    model: Any  # NetworkModel
    snapshot_readers: dict = field(default_factory=dict)
    runs: int = 1
    built_schedules: Any = None  # the schedules compiled in (model.schedules at the build)

    def __post_init__(self) -> None:
        if self.built_schedules is None:
            self.built_schedules = self.model.schedules

    def run_args(self, schedules) -> dict | None:
        """New values for the built TimedArrays, or None if ``schedules`` needs a build.

        The arrays must match the built ones in names and lengths, and the concentration
        at t = 0 (from which the build set the initial NMDA block) must be the same.
        """
        built = self.built_schedules
        if set(built.arrays) != set(schedules.arrays):
            return None
        start_old = float(built.sampled["concentration_uM"][0])
        start_new = float(schedules.sampled["concentration_uM"][0])
        if start_old != start_new or built.resolution != schedules.resolution:
            return None
        used = brian2.get_device().timed_arrays  # the arrays the compiled code reads
        args = {}
        for name, array in built.arrays.items():
            new = schedules.arrays[name]
            if new.values.shape != array.values.shape:
                return None
            if np.array_equal(new.values, array.values):
                continue  # each run starts from the built values: pass only changes
            if array not in used:
                continue  # no compiled code reads it (its mechanism is off)
            args[array] = brian2.Quantity(new.values, dim=new.dim)
        return args

    def rerun(self, schedules, args: dict) -> dict[str, float]:
        """Run the built program again with ``args``; the model now reads the new results."""
        brian2.device.run(
            directory=str(self.project),
            results_directory="results",
            with_output=False,
            run_args=args,
        )
        self.model.schedules = schedules
        self.runs += 1
        return {"compile_s": 0.0, "binary_s": float(brian2.device.timers["run_binary"] or 0.0)}


_HELD: BuiltProgram | None = None
_AT_EXIT = False


def held(key: str) -> BuiltProgram | None:
    """The program this process holds, if it was built for ``key``."""
    return _HELD if _HELD is not None and _HELD.key == key else None


def hold(program: BuiltProgram) -> None:
    """Keep ``program`` (releasing any other) for the next run of this process."""
    global _HELD, _AT_EXIT
    release()
    if not _AT_EXIT:
        # release before the interpreter tears brian2 down (a worker that exits)
        atexit.register(release)
        _AT_EXIT = True
    _HELD = program


def release() -> None:
    """Reset brian2's device and unlock the project slot of a held program, if any."""
    global _HELD
    if _HELD is not None:
        program, _HELD = _HELD, None
        program.model = None
        program.stack.close()
