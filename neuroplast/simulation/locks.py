"""Output directories locked for the duration of one invocation.

Two invocations writing into one output directory at once lose work without a word: two
``neuroplast run --out DIR`` both reported success while one result replaced the other,
and two sweeps or experiments deleted each other's half-written runs (issue #20; the
reliability probes, section 5).  So every command that writes into a directory first
takes its lock, and a second one is refused with one line naming the holder.

The lock is a small file, ``.neuroplast.lock``, that names its holder (PID, host, start
time, command line) and carries an advisory ``flock`` (:func:`fcntl.flock`).  The
kernel releases a ``flock`` when its holder exits, however it exits (``kill -9``
included), so

* a lock is never taken from a holder that is alive, and needs no PID check, which
  could be fooled by a PID the system has given to another process since;
* a lock file left by a killed invocation is *stale*: the next invocation gets the
  ``flock``, reads the dead holder's details, says that it takes over, and goes on.

An experiment or a sweep keeps its lock inside its directory (:func:`lock_directory`).  A
single run keeps it beside its directory (:func:`lock_destination`): the run directory
does not exist until the run has finished (:func:`~neuroplast.simulation.storage.staged_run_dir`).
A file system without ``flock`` (some Lustre and NFS mounts) gets a warning and no lock.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import shlex
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from neuroplast.simulation.storage import RunDirectoryError

try:
    import fcntl
except ImportError:  # Windows: no flock
    fcntl = None

__all__ = ["LOCK_FILE", "DirectoryLocked", "Holder", "lock_destination", "lock_directory"]

#: Name of the lock file inside an experiment's or a sweep's directory.
LOCK_FILE = ".neuroplast.lock"


class DirectoryLocked(RunDirectoryError):
    """Another invocation holds the lock of an output directory."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: what a refused invocation prints, so that its user can find it."""

    pid: int
    host: str
    started: str
    command: str

    @classmethod
    def this_process(cls) -> Holder:
        """The holder that is this process, started now, with its command line."""
        argv = list(sys.argv) or ["python"]
        if Path(argv[0]).name in ("__main__.py", "neuroplast"):  # python -m neuroplast
            argv[0] = "neuroplast"
        started = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
        return cls(os.getpid(), socket.gethostname(), started, shlex.join(argv))

    def describe(self) -> str:
        """One line: PID, host, start time and command."""
        return f"PID {self.pid} on host {self.host}, started {self.started} ({self.command})"


def lock_directory(directory: str | Path) -> contextlib.AbstractContextManager[Path]:
    """Hold the lock of an experiment's or a sweep's directory (created if missing).

    Use as ``with lock_directory(out): ...``; yields the lock file's path.

    Raises
    ------
    DirectoryLocked
        If another invocation holds it (the message names the holder).
    RunDirectoryError
        If the directory cannot be created or written (the message says why).
    """
    directory = Path(directory)
    _make_directory(directory, directory)
    return _held(directory / LOCK_FILE, directory)


def lock_destination(final: str | Path) -> contextlib.AbstractContextManager[Path]:
    """Hold the lock of a run directory yet to be written: ``.NAME.lock`` beside it.

    Raises the errors of :func:`lock_directory`.
    """
    final = Path(final)
    _make_directory(final.parent, final)
    return _held(final.parent / f".{final.name}.lock", final)


def _make_directory(path: Path, out: Path) -> None:
    """Create ``path`` (and its parents), or say in one line why ``out`` cannot be written."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next(p for p in (path, *path.parents) if p.exists() and not p.is_dir())
        raise RunDirectoryError(
            f"output directory {out}: {blocker} is a file, not a directory; expected a "
            "directory there, or choose another --out"
        ) from None
    except OSError as err:
        raise RunDirectoryError(
            f"output directory {out}: cannot create {err.filename or path} ({err.strerror}); "
            "expected a writable location, choose another --out"
        ) from None


@contextlib.contextmanager
def _held(lock_file: Path, out: Path) -> Iterator[Path]:
    """Take the lock, write this process's details into it, release it at the end."""
    handle = _acquire(lock_file, out)
    if handle is None:  # no flock here: warned, run unlocked
        yield lock_file
        return
    try:
        stale = _read_holder(os.pread(handle, 65536, 0))
        if stale is not None:
            _warn(
                f"took over the lock of {out} from {stale.describe()}, which is no longer running"
            )
        os.ftruncate(handle, 0)
        os.pwrite(handle, (json.dumps(asdict(Holder.this_process())) + "\n").encode(), 0)
        yield lock_file
    finally:
        _release(handle, lock_file)


def _acquire(lock_file: Path, out: Path) -> int | None:
    """The open, ``flock``-ed lock file; None where the file system has no ``flock``."""
    if fcntl is None:
        _warn(f"cannot lock {out} on this system; make sure no other invocation writes there")
        return None
    while True:
        handle = _open(lock_file, out)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise DirectoryLocked(
                f"{out} is in use by another invocation: {_holder_text(lock_file)}; expected "
                "no other invocation there: wait for it to finish, or choose another --out"
            ) from None
        except OSError as err:  # ENOLCK, EOPNOTSUPP: this file system has no flock
            os.close(handle)
            _warn(f"cannot lock {out} ({err.strerror}); make sure no other invocation writes there")
            return None
        if _same_file(handle, lock_file):
            return handle
        os.close(handle)  # its holder removed it between our open and our flock: again


def _open(lock_file: Path, out: Path) -> int:
    try:
        return os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise RunDirectoryError(
            f"output directory {out}: cannot create {lock_file} ({err.strerror}); expected a "
            "writable directory, choose another --out"
        ) from None


def _same_file(handle: int, lock_file: Path) -> bool:
    """Whether ``lock_file`` still names the open file (a holder unlinks it on release)."""
    try:
        named = os.stat(lock_file)
    except FileNotFoundError:
        return False
    opened = os.fstat(handle)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _release(handle: int, lock_file: Path) -> None:
    """Remove the lock file while still holding it, then let go.

    In that order: anyone who opened the file meanwhile sees that it is gone and opens
    a new one (:func:`_acquire`).
    """
    try:
        if _same_file(handle, lock_file):
            lock_file.unlink()
    except OSError:
        pass  # the directory went away or turned read-only: the flock goes with the handle
    finally:
        os.close(handle)


def _read_holder(data: bytes) -> Holder | None:
    try:
        return Holder(**json.loads(data.decode()))
    except (ValueError, TypeError):
        return None


def _holder_text(lock_file: Path) -> str:
    """The holder's details, as one line.

    A holder that has only just taken the lock is given a moment to write them.
    """
    for _ in range(20):
        try:
            holder = _read_holder(lock_file.read_bytes())
        except OSError:
            holder = None
        if holder is not None:
            return holder.describe()
        time.sleep(0.05)
    return f"a process that has not written its details into {lock_file}"


def _warn(message: str) -> None:
    print(f"neuroplast: warning: {message}", file=sys.stderr)
