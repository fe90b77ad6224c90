"""Run directories: written atomically, never overwritten silently, readable with plain h5py.

Layout of a run directory::

    config.json     the resolved configuration (every value, units as text)
    data.h5         spikes, population rates, traces; attributes carry the resolved
                    config, seeds, package versions, backend and wall times
    measures.csv    tidy table: condition, seed, bio_time_days, sim_time_s, measure, value
    status.json     the validity verdict: "status" valid or invalid, the one-line
                    "reason", the check that failed and the highest window rates
                    (simulation/validity.py); an invalid run's outputs are kept for
                    inspection, and sweeps, experiments and analyses count it as failed
    *.png           figures

Every file is written to a temporary name and renamed into place, and the whole
directory is assembled under a hidden temporary name and renamed at the end, so a
killed run leaves either a complete directory or none.
"""

from __future__ import annotations

import csv
import datetime as _dt
import errno
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from neuroplast import __version__
from neuroplast.simulation.recording import Recording

__all__ = [
    "DataFileError",
    "InvalidRun",
    "RunDirectoryError",
    "data_problem",
    "is_invalid",
    "read_status",
    "write_status",
    "empty_directory",
    "atomic_write",
    "new_run_dir",
    "staged_run_dir",
    "write_hdf5",
    "read_hdf5",
    "write_measures",
    "versions",
    "source_commit",
]

CONFIG_FILE = "config.json"
DATA_FILE = "data.h5"
MEASURES_FILE = "measures.csv"
STATUS_FILE = "status.json"


class RunDirectoryError(RuntimeError):
    """A run directory could not be created (e.g. it exists already)."""


class InvalidRun(RuntimeError):
    """A run finished (or was stopped) invalid; its outputs are kept, marked invalid."""

    def __init__(self, reason: str, run_dir=None):
        self.reason = reason
        self.run_dir = run_dir
        where = (
            f"; its outputs are kept in {run_dir}, marked invalid in status.json"
            if run_dir is not None
            else ""
        )
        super().__init__(f"run invalid: {reason}{where}")

    def __reduce__(self):
        return type(self), (self.reason, self.run_dir)


class DataFileError(RunDirectoryError):
    """A run's data.h5 cannot be read back: truncated or corrupt."""


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` then rename the temporary file to ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_figure(fig, path: Path, *, dpi: int = 120, tight: bool = True) -> Path:
    """Write a matplotlib figure to ``path`` atomically (format from the suffix).

    A figure made with pyplot is closed afterwards (pyplot keeps it otherwise); the
    package's own figures are not registered with pyplot, which this never imports.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"format": path.suffix[1:], "dpi": dpi}
    if tight:
        options["bbox_inches"] = "tight"
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, **options))
    finally:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close(fig)
    return path


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2) + "\n"))


def write_status(run_dir: Path, validity: dict[str, Any]) -> None:
    """Write a run's validity verdict to its ``status.json``, atomically."""
    write_json(Path(run_dir) / STATUS_FILE, validity)


def read_status(run_dir: Path) -> dict[str, Any] | None:
    """A run's ``status.json``, or None when it has none.

    A run made before the validity guard, or with ``validity.enabled = false``, has none;
    an unreadable one reads as invalid.
    """
    path = Path(run_dir) / STATUS_FILE
    if not path.exists():
        return None
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        return {"status": "invalid", "reason": f"{path} cannot be read ({err})"}
    return status if isinstance(status, dict) else {"status": "invalid", "reason": "not a table"}


def is_invalid(run_dir: Path) -> bool:
    """Whether the run in ``run_dir`` was judged invalid (its status.json says so)."""
    status = read_status(run_dir)
    return status is not None and status.get("status") != "valid"


def new_run_dir(root: Path, name: str) -> Path:
    """A fresh ``root/<name>-<timestamp>`` path that does not exist yet."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = Path(root) / f"{name}-{stamp}"
    suffix = 1
    while candidate.exists():
        suffix += 1
        candidate = Path(root) / f"{name}-{stamp}-{suffix}"
    return candidate


@contextmanager
def staged_run_dir(final: Path, overwrite: bool = False):
    """Yield a hidden temporary directory; on success, rename it to ``final``.

    Raises
    ------
    RunDirectoryError
        If ``final`` exists and ``overwrite`` is false: when the run starts, or when it
        ends (written by another process meanwhile; it is never replaced then).
    """
    final = Path(final)
    if final.exists() and not overwrite:
        raise RunDirectoryError(
            f"output directory {final} exists already; choose another --out or pass --overwrite"
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".{final.name}.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if overwrite and final.exists():  # swap, then remove the old copy
        old = final.parent / f".{final.name}.old-{os.getpid()}"
        os.replace(final, old)
        os.replace(staging, final)
        shutil.rmtree(old, ignore_errors=True)
        return
    _move_into_place(staging, final)


def _move_into_place(staging: Path, final: Path) -> None:
    """Rename a finished run's staging folder to ``final``, which must not exist.

    ``final`` did not exist when the run started; if it does now, someone else wrote it
    meanwhile (a run that ignored the directory's lock), and it is kept: this run's own
    result stays in its staging folder, which the error names.
    """
    error = RunDirectoryError(
        f"output directory {final} appeared while this run was running (another process "
        f"writing there?); it was not replaced: this run's complete result is in {staging}"
    )
    if final.exists():
        raise error
    try:
        os.replace(staging, final)  # fails if a non-empty final appeared since the check
    except OSError:
        raise error from None


def empty_directory(directory: Path, keep: Iterable[str] = ()) -> None:
    """Delete everything in ``directory`` except the entries named in ``keep``.

    ``--overwrite`` of an experiment starts it afresh this way, keeping the lock file
    that says this invocation holds the directory.
    """
    for path in Path(directory).iterdir():
        if path.name in keep:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def remove_leftovers(directory: Path) -> list[Path]:
    """Delete the hidden staging folders that runs killed mid-write left in ``directory``.

    :func:`staged_run_dir` writes ``.NAME.partial-PID`` (and moves an overwritten run to
    ``.NAME.old-PID``); a run killed before its rename leaves them behind.  Call this when
    an experiment or sweep starts, holding the directory's lock
    (:func:`neuroplast.simulation.locks.lock_directory`): the staging folders of another
    invocation at work there would look the same.
    """
    removed = []
    if Path(directory).is_dir():
        for path in Path(directory).iterdir():
            if path.name.startswith(".") and (".partial-" in path.name or ".old-" in path.name):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


@functools.cache
def source_commit() -> str:
    """The git commit of the package's source tree ('unknown' outside a git checkout).

    ``+changes`` marks uncommitted changes.  Read once per process: the code a long
    experiment started with.
    """
    here = Path(__file__).resolve().parent

    def git(*args: str) -> subprocess.CompletedProcess:
        command = ["git", "-C", str(here), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=10)

    try:
        head = git("rev-parse", "--short", "HEAD")
        if head.returncode != 0:
            return "unknown"
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() + ("+changes" if dirty else "")


def versions() -> dict[str, str]:
    """Versions of the packages that determine a run's numbers, and the source commit."""
    import brian2
    import numpy

    return {
        "neuroplast": __version__,
        "neuroplast_commit": source_commit(),
        "brian2": brian2.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


def write_hdf5(path: Path, recording, attrs: dict[str, Any]) -> None:
    """Write a :class:`~neuroplast.simulation.recording.Recording` and provenance to HDF5."""

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as h5:
            for key, value in attrs.items():
                h5.attrs[key] = value if isinstance(value, str | int | float) else json.dumps(value)
            ne = recording.n_exc
            exc = recording.spike_i < ne
            spikes = h5.create_group("spikes")
            spikes.attrs["description"] = "spike times (s) and neuron indices within the population"
            for pop, sel, offset in (("exc", exc, 0), ("inh", ~exc, ne)):
                group = spikes.create_group(pop)
                group.create_dataset("t", data=recording.spike_t[sel], compression="gzip")
                group.create_dataset("i", data=recording.spike_i[sel] - offset, compression="gzip")
            rates = h5.create_group("rates")
            rates.attrs["description"] = "population firing rate (Hz), mean over each bin"
            rates.create_dataset("t", data=recording.rate_t)
            rates.create_dataset("exc", data=recording.rate_exc)
            rates.create_dataset("inh", data=recording.rate_inh)
            if recording.traces:
                traces = h5.create_group("traces")
                traces.attrs["description"] = "state variables of traced neurons (SI units)"
                traces.create_dataset("t", data=recording.trace_t)
                traces.create_dataset("neuron", data=recording.traced)
                for name, values in recording.traces.items():
                    traces.create_dataset(name, data=values, compression="gzip")
            _write_group(
                h5,
                "slow",
                recording.slow,
                "per-pyramidal-cell slow variables (cells x samples); t in network s, "
                "bio_days in biological days; occupancy_exc/occupancy_inh (trapping only): "
                "mean simulated NMDA block per population",
            )
            _write_group(
                h5,
                "schedules",
                recording.schedules,
                "schedules on their network-time grid: time rate, stress, drug",
            )
            _write_group(
                h5,
                "ee_pool",
                recording.ee_pool,
                "final E->E candidate pool: pre i, post j, weight w, alive, birth_day "
                "(biological day; -1 = present at the start)",
            )
            if recording.snapshots:
                group = h5.create_group("snapshots")
                group.attrs["description"] = (
                    "live E->E synapses at requested biological days: pre i, post j, weight w, "
                    "birth_day"
                )
                for name, arrays in recording.snapshots.items():
                    _write_group(group, name, arrays, f"connectivity at {name}")
            _write_group(
                h5,
                "assemblies",
                recording.assemblies,
                "named assemblies: pyramidal-cell indices of each",
            )
            h5.attrs["n_exc"] = recording.n_exc
            h5.attrs["n_inh"] = recording.n_inh
            h5.attrs["duration_s"] = recording.duration
            h5.attrs["dt_s"] = recording.dt
            h5.attrs["n_synapses"] = json.dumps(recording.n_synapses)
            h5.attrs["wall_time"] = json.dumps(recording.wall_time)

    atomic_write(path, write)


def _write_group(h5, name: str, arrays: dict, description: str) -> None:
    if not arrays:
        return
    group = h5.create_group(name)
    group.attrs["description"] = description
    for key, values in arrays.items():
        group.create_dataset(key, data=np.asarray(values), compression="gzip")


#: What every data.h5 holds (write_hdf5), checked by :func:`data_problem` without reading data.
REQUIRED_GROUPS = ("spikes", "rates")
REQUIRED_ATTRS = ("n_exc", "n_inh", "duration_s", "dt_s", "n_synapses", "wall_time")


def data_problem(path: Path) -> str | None:
    """Why a run's ``data.h5`` cannot be read back (one line), or None if it can.

    Opens the file and looks for the groups and attributes that every data.h5 has;
    reads no data, so it is cheap enough for every finished run of a resumed sweep or
    experiment.  A killed run never leaves a truncated data.h5 (:func:`atomic_write`),
    but a full disk, a copy cut short or a damaged file system can.
    """
    try:
        with h5py.File(path, "r") as h5:
            missing = [g for g in REQUIRED_GROUPS if g not in h5]
            missing += [f"attribute {a}" for a in REQUIRED_ATTRS if a not in h5.attrs]
    except OSError as err:  # h5py's errors for missing, truncated and non-HDF5 files
        return " ".join(str(err).split())
    return f"missing {', '.join(missing)}" if missing else None


def read_hdf5(path: Path):
    """Read a run's ``data.h5`` back into a :class:`~neuroplast.simulation.recording.Recording`.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    DataFileError
        If it is truncated or corrupt (the message names the file).
    """
    if not Path(path).is_file():
        raise FileNotFoundError(errno.ENOENT, "no such data file", str(path))
    try:
        return _read_recording(path)
    except (OSError, KeyError, ValueError) as err:
        reason = " ".join(str(err).split())
        raise DataFileError(
            f"{path}: cannot be read, the file is truncated or corrupt ({reason}); expected "
            "a complete data.h5: run this run again"
        ) from None


def _read_recording(path: Path):
    with h5py.File(path, "r") as h5:
        ne, ni = int(h5.attrs["n_exc"]), int(h5.attrs["n_inh"])
        spike_t = np.concatenate([h5["spikes/exc/t"][:], h5["spikes/inh/t"][:]])
        spike_i = np.concatenate([h5["spikes/exc/i"][:], h5["spikes/inh/i"][:] + ne])
        rec = Recording(
            n_exc=ne,
            n_inh=ni,
            duration=float(h5.attrs["duration_s"]),
            dt=float(h5.attrs["dt_s"]),
            spike_i=spike_i.astype(np.int32),
            spike_t=spike_t,
            rate_t=h5["rates/t"][:],
            rate_exc=h5["rates/exc"][:],
            rate_inh=h5["rates/inh"][:],
            n_synapses=json.loads(h5.attrs["n_synapses"]),
            wall_time=json.loads(h5.attrs["wall_time"]),
        )
        for name in ("slow", "schedules", "ee_pool", "assemblies"):
            if name in h5:
                setattr(rec, name, {k: h5[name][k][:] for k in h5[name]})
        if "snapshots" in h5:
            rec.snapshots = {
                day: {k: group[k][:] for k in group} for day, group in h5["snapshots"].items()
            }
        if "traces" in h5:
            rec.trace_t = h5["traces/t"][:]
            rec.traced = h5["traces/neuron"][:]
            rec.traces = {k: h5["traces"][k][:] for k in h5["traces"] if k not in ("t", "neuron")}
    return rec


def write_measures(path: Path, rows: Iterable) -> None:
    """Write measure rows (dataclasses) as a tidy CSV, atomically."""
    rows = list(rows)

    def write(tmp: Path) -> None:
        with tmp.open("w", newline="") as handle:
            if not rows:
                return
            names = [f.name for f in fields(rows[0])]
            writer = csv.DictWriter(handle, fieldnames=names)
            writer.writeheader()
            for row in rows:
                writer.writerow(asdict(row))

    atomic_write(path, write)
