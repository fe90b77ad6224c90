"""Crash drills on cpp_standalone: kill -9 during the C++ build and during the simulation.

The guarantees that tests/test_output_locks.py, test_sweep.py and test_io_faults.py check
on the runtime backends, checked here on the C++ standalone device, whose runs write a
C++ project (a slot under ``simulation.standalone_dir``), compile it with ``make`` and
run the program as a child process:

* an invocation killed (SIGKILL of its process group) while ``make`` compiles, or while
  the program simulates, leaves no result; the same command then takes over the stale
  lock, builds again and finishes ``done`` with the numbers of an uninterrupted run;
* after the kill no process of the invocation is left (its workers, ``make``, the
  compiler, the program); the program and the sweep's worker die even when only the
  command's own process is killed (``kill -9 PID``, the OOM killer:
  :func:`neuroplast.simulation.backend.program_command`);
* a sweep gives bit-identical measures and arrays with one worker and with two.

The project folders are the tests' own (tmp_path), so a build of someone else's session
never interferes; the drill killed during the build has one to itself (it needs a build
to kill), the other two share one (the second finds its first slot built).  The numbers
are compared with a run that nobody interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import QUICK, ROOT, TINY_VALIDITY  # noqa: I001  (tests/ is on sys.path)
from test_output_locks import _alive
from test_sweep import table_text

from neuroplast.studies.sweep import load_sweep, run_sweep

pytestmark = [pytest.mark.slow, pytest.mark.standalone]

#: Seconds a drill waits for a phase (a cold build of the tiny network takes about 20 s).
PHASE_TIMEOUT = 120


def overrides(project: Path, duration: str = "1 s") -> list[str]:
    """CLI overrides: the tiny network on cpp_standalone, its C++ project in ``project``."""
    values = {
        "simulation.backend": '"cpp_standalone"',
        "simulation.standalone_dir": f'"{project.as_posix()}"',
        "simulation.duration": f'"{duration}"',
        "network.n_exc": "80",
        "network.n_inh": "20",
        "recording.n_traced": "0",
        "output.figures": "false",
        **{f"validity.{key}": f'"{value}"' for key, value in TINY_VALIDITY.items()},
    }
    return [arg for key, value in values.items() for arg in ("--set", f"{key}={value}")]


def start(argv: list, log: Path) -> subprocess.Popen:
    """``neuroplast ARGV`` of this checkout in its own process group (output to ``log``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("w") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "neuroplast", *map(str, argv)],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def finish(argv: list, log: Path) -> str:
    """Run ``neuroplast ARGV`` to its end; return its output (it must succeed)."""
    process = start(argv, log)
    try:
        status = process.wait(timeout=300)
    finally:
        _kill_group(process)
    text = log.read_text()
    assert status == 0, text
    return text


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def group_members(pgid: int) -> list[int]:
    """PIDs of the live processes (zombies excluded) of process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def wait_for(condition, process: subprocess.Popen, log: Path, what: str) -> None:
    """Poll ``condition()`` until it holds; fail if ``process`` ends first."""
    deadline = time.monotonic() + PHASE_TIMEOUT
    while not condition():
        assert process.poll() is None, f"the invocation ended before {what}:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"no {what} after {PHASE_TIMEOUT} s"
        time.sleep(0.005)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the invocation's process group; check that none of its processes is left."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # none left already
        pass
    process.wait()
    deadline = time.monotonic() + 10
    while left := group_members(process.pid):
        assert time.monotonic() < deadline, f"processes {left} outlived the kill"
        time.sleep(0.05)


def arrays(data_file: Path) -> dict[str, np.ndarray]:
    """Every dataset of a data.h5, by path."""
    found = {}
    with h5py.File(data_file, "r") as h5:
        h5.visititems(
            lambda name, node: (
                found.__setitem__(name, node[()]) if isinstance(node, h5py.Dataset) else None
            )
        )
    return found


def assert_same_run(run: Path, reference: Path) -> None:
    """The same measures and bit-identical arrays as the reference run."""
    assert (run / "measures.csv").read_bytes() == (reference / "measures.csv").read_bytes()
    ours, theirs = arrays(run / "data.h5"), arrays(reference / "data.h5")
    assert sorted(ours) == sorted(theirs)
    assert ours, "data.h5 holds no arrays"
    for name, values in ours.items():
        np.testing.assert_array_equal(values, theirs[name], err_msg=name, strict=True)


# --------------------------------------------------------------------------- kill during build


def empty_object_file(slot: Path) -> bool:
    """Whether ``make`` is writing an object file: the assembler creates it empty first.

    The moment of a kill where a build leaves the most behind: an empty ``.o`` newer than
    its source, which ``make`` takes for up to date.
    """
    try:
        return any(p.stat().st_size == 0 for p in slot.rglob("*.o"))
    except FileNotFoundError:  # a file went between the listing and the stat
        return False


def test_a_run_killed_while_it_compiles_is_built_again_to_the_same_numbers(tmp_path):
    project = tmp_path / "cpp"
    out = tmp_path / "run"
    argv = ["run", QUICK, "--out", out, *overrides(project), "--quiet"]
    process = start(argv, tmp_path / "killed.log")
    try:
        wait_for(
            lambda: empty_object_file(project / "slot-0"), process, tmp_path / "killed.log", "build"
        )
        kill(process)
    finally:
        _kill_group(process)
    # the drill's moment: an object file left empty, which make would take for built
    assert empty_object_file(project / "slot-0"), "the kill came after the object was written"
    assert not out.exists(), "a killed run left a result"
    assert (tmp_path / ".run.lock").exists()  # the killed invocation's, now stale

    log = finish(argv, tmp_path / "again.log")
    assert f"took over the lock of {out}" in log and "no longer running" in log
    assert (out / "status.json").exists()
    reference = tmp_path / "reference"
    finish(["run", QUICK, "--out", reference, *overrides(project), "--quiet"], tmp_path / "ref.log")
    assert_same_run(out, reference)


# --------------------------------------------------------------------------- kill during simulation


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory) -> Path:
    """A C++ project folder for the tests below: later builds are incremental."""
    return tmp_path_factory.mktemp("cpp")


def sweep_spec(folder: Path, project: Path, rates: list[str], repeats: int, duration: str) -> Path:
    """A sweep over ``external.rate`` of the tiny network on cpp_standalone."""
    pairs = overrides(project, duration)[1::2]  # "key=value" after each --set
    values = ", ".join(f'"{rate}"' for rate in rates)
    path = folder / "spec.toml"
    path.write_text(
        f'base = "{QUICK.as_posix()}"\nseed = 5\nrepeats = {repeats}\n[set]\n'
        + "".join(f"{pair.replace('=', ' = ', 1)}\n" for pair in pairs)
        + f'\n[[axes]]\npath = "external.rate"\nvalues = [{values}]\n'
    )
    return path


def programs(slot: Path) -> list[int]:
    """PIDs of the processes running the program built in ``slot`` (any process group)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "exe") == str(slot / "main"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def parent(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])


def test_a_sweep_killed_while_its_program_runs_leaves_no_process_and_resumes(
    tmp_path, shared_project
):
    """First the command alone is killed (as ``kill -9 PID`` or the OOM killer do): its
    worker and the worker's C++ program must die with it; then its process group."""
    project = shared_project
    # 120 s of network time: the program runs for 5 s or more (0.04 s per s), so that one
    # left running after the kill is seen alive after the deadline below
    spec = sweep_spec(tmp_path, project, ["3 Hz"], repeats=1, duration="120 s")
    out = tmp_path / "sweep"
    argv = ["sweep", spec, "--out", out, "--workers", "1", "--quiet"]
    process = start(argv, tmp_path / "killed.log")
    try:
        wait_for(lambda: programs(project / "slot-0"), process, tmp_path / "killed.log", "program")
        (program,) = programs(project / "slot-0")
        worker = parent(program)
        assert worker != process.pid, "the program runs on a Dask worker, not in the command"
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 2
        while alive := [pid for pid in (program, worker) if _alive(pid)]:
            assert time.monotonic() < deadline, f"processes {alive} outlived their invocation"
            time.sleep(0.05)
        kill(process)
    finally:
        _kill_group(process)
    results = [p for p in out.glob("runs/*/data.h5") if not p.parent.name.startswith(".")]
    assert not results, "a killed run left a result"
    assert (out / ".neuroplast.lock").exists()  # the killed invocation's, now stale

    log = finish(argv, tmp_path / "again.log")
    assert f"took over the lock of {out}" in log and "no longer running" in log
    assert "1 done" in log
    reference = tmp_path / "reference"
    finish(["sweep", spec, "--out", reference, "--workers", "1", "--quiet"], tmp_path / "ref.log")
    assert table_text(out / "sweep.parquet") == table_text(reference / "sweep.parquet")
    (run_dir,) = (out / "runs").iterdir()
    assert_same_run(run_dir, reference / "runs" / run_dir.name)


# --------------------------------------------------------------------------- 1 vs 2 workers


def test_one_and_two_workers_give_bit_identical_standalone_sweeps(tmp_path, shared_project):
    project = shared_project
    spec = load_sweep(sweep_spec(tmp_path, project, ["3 Hz"], repeats=2, duration="1 s"))
    two = run_sweep(spec, tmp_path / "two", workers=2, progress=False)
    one = run_sweep(spec, tmp_path / "one", workers=1, progress=False)
    assert len(one.ran) == len(two.ran) == 2 and not one.failed and not two.failed
    assert table_text(one.table) == table_text(two.table)
    for run_id in one.ran:
        assert_same_run(tmp_path / "two" / "runs" / run_id, tmp_path / "one" / "runs" / run_id)
    first, second = (arrays(tmp_path / "one" / "runs" / rid / "data.h5") for rid in one.ran)
    assert not np.array_equal(first["spikes/exc/t"], second["spikes/exc/t"]), "seeds differ"
    slots = sorted(p.name for p in project.iterdir() if p.is_dir())
    assert slots == ["slot-0", "slot-1"], "two workers build in two project slots"
