"""Output directories are locked for an invocation: a second one is refused, never merged.

Checked here (simulation/locks.py, simulation/storage.py):
* a second ``neuroplast run --out DIR`` while the first is simulating is refused with one
  line naming the holder (PID, host), and the first one's result is kept;
* a sweep or an experiment into a directory another invocation holds is refused before
  it runs or changes anything;
* a lock left by an invocation killed with SIGKILL is taken over, and the output says so;
* a run that finds its output directory written by someone else when it finishes does
  not replace it (it says where its own result is).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import QUICK, ROOT, TINY

from neuroplast.cli import main
from neuroplast.simulation import storage

#: Holds the lock of the directory argv[1] until killed (prints "held" once it has it).
HOLDER = (
    "import sys, time\n"
    "from neuroplast.simulation.locks import lock_directory\n"
    "with lock_directory(sys.argv[1]):\n"
    "    print('held', flush=True)\n"
    "    time.sleep(120)\n"
)


def test_a_second_run_into_the_same_out_is_refused_naming_the_holder(tmp_path, monkeypatch, capsys):
    """Two ``neuroplast run --out DIR`` at once: the second is refused, the first kept."""
    from neuroplast.studies import run as run_module

    out = tmp_path / "run1"
    real = run_module.simulate
    inner = []
    started = []

    def simulate_while_another_starts(*args, **kwargs):
        if not started:  # the first invocation, mid-run: a second one starts
            started.append(True)
            inner.append(main(["run", str(QUICK), "--out", str(out), "--seed", "2", *TINY]))
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "simulate", simulate_while_another_starts)
    status = main(["run", str(QUICK), "--out", str(out), "--seed", "1", *TINY])
    err = capsys.readouterr().err
    assert inner == [2], err
    refusal = [line for line in err.splitlines() if "neuroplast: error:" in line]
    assert len(refusal) == 1
    assert f"PID {os.getpid()}" in refusal[0] and socket.gethostname() in refusal[0]
    assert str(out) in refusal[0]
    assert status == 0
    assert json.loads((out / "config.json").read_text())["seed"] == 1
    assert not list(tmp_path.glob(".*")), "no lock or staging folder left behind"


def test_a_run_that_finds_its_out_written_meanwhile_does_not_replace_it(tmp_path):
    final = tmp_path / "run1"
    with pytest.raises(storage.RunDirectoryError, match="was not replaced") as caught:
        with storage.staged_run_dir(final) as staging:
            (staging / "data.h5").write_text("this run")
            final.mkdir()  # someone else's complete result appears meanwhile
            (final / "data.h5").write_text("other run")
    assert (final / "data.h5").read_text() == "other run"
    kept = [p for p in tmp_path.iterdir() if p.name.startswith(".run1.partial-")]
    assert len(kept) == 1 and (kept[0] / "data.h5").read_text() == "this run"
    assert str(kept[0]) in str(caught.value)


def _write_spec(folder: Path) -> Path:
    spec = folder / "spec.toml"
    spec.write_text(
        f'base = "{QUICK.as_posix()}"\nseed = 5\n[set]\nsimulation.duration = "0.2 s"\n'
        "network.n_exc = 80\nnetwork.n_inh = 20\noutput.figures = false\n\n"
        '[[axes]]\npath = "external.rate"\nvalues = ["2.5 Hz", "3 Hz"]\n'
    )
    return spec


@pytest.fixture
def held_by_another_process(tmp_path):
    """Start a process that holds the lock of a directory; yield (directory, process)."""
    directory = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(directory)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout.readline().strip() == "held"
        yield directory, process
    finally:
        process.kill()
        process.wait()


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("neuroplast: error: "), err
    return lines[0]


def test_a_sweep_into_a_directory_in_use_is_refused(held_by_another_process, tmp_path, capsys):
    out, holder = held_by_another_process
    status = main(["sweep", str(_write_spec(tmp_path)), "--out", str(out), "--quiet"])
    line = _one_error_line(capsys.readouterr().err)
    assert status == 2
    assert f"PID {holder.pid}" in line and socket.gethostname() in line
    assert not (out / "runs").exists()


def test_an_experiment_into_a_directory_in_use_is_refused(held_by_another_process, capsys):
    out, holder = held_by_another_process
    status = main(["run", str(QUICK), "--set", "repeats=2", "--out", str(out), *TINY])
    line = _one_error_line(capsys.readouterr().err)
    assert status == 2 and f"PID {holder.pid}" in line
    assert not (out / "runs").exists()


def test_the_lock_of_a_killed_invocation_is_taken_over_saying_so(held_by_another_process, capsys):
    from neuroplast.simulation.locks import lock_directory

    out, holder = held_by_another_process
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (out / ".neuroplast.lock").exists()  # SIGKILL left the holder's lock file
    with lock_directory(out):
        pass
    notes = capsys.readouterr().err
    assert f"PID {holder.pid}" in notes and "no longer running" in notes
    assert not (out / ".neuroplast.lock").exists()


def test_an_overwritten_experiment_keeps_its_lock_while_it_starts_afresh(
    tmp_path, monkeypatch, capsys
):
    """--overwrite empties the directory it holds, not the lock that says it holds it."""
    from neuroplast.simulation.locks import lock_directory
    from neuroplast.studies import comparison

    out = tmp_path / "exp"
    args = ["run", str(QUICK), "--set", "repeats=2", "--out", str(out), *TINY]
    assert main(args) == 0
    real = comparison.analyse
    refused = []

    def analyse_while_another_tries(*args, **kwargs):
        with pytest.raises(storage.RunDirectoryError, match="in use") as caught:
            with lock_directory(out):
                pass
        refused.append(caught.value)
        return real(*args, **kwargs)

    monkeypatch.setattr(comparison, "analyse", analyse_while_another_tries)
    assert main([*args, "--overwrite"]) == 0
    assert len(refused) == 1
    assert "ran 2, kept 0" in capsys.readouterr().out


def test_worker_processes_die_with_the_invocation_that_started_them(tmp_path):
    """kill -9 of the command: its Dask worker processes exit too (no orphan writes)."""
    pid_file = tmp_path / "worker.pid"
    script = (
        "import sys, time\n"
        "from neuroplast.studies.execution import run_tasks\n"
        "def work(path):\n"
        "    import os, time\n"
        "    open(path, 'w').write(str(os.getpid()))\n"
        "    time.sleep(120)\n"
        "for _ in run_tasks(work, [sys.argv[1]], workers=1):\n"
        "    pass\n"
    )
    command = subprocess.Popen([sys.executable, "-c", script, str(pid_file)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text()):
            assert time.monotonic() < deadline, "the worker never started"
            time.sleep(0.2)
        worker = int(pid_file.read_text())
        command.send_signal(signal.SIGKILL)
        command.wait()
        deadline = time.monotonic() + 20
        while _alive(worker):
            assert time.monotonic() < deadline, f"worker {worker} outlived the command"
            time.sleep(0.2)
    finally:
        command.kill()
        command.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as handle:  # a zombie has exited
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_named_experiment_script_into_a_directory_in_use_is_refused(tmp_path):
    from neuroplast.simulation.locks import lock_directory

    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's neuroplast
    with lock_directory(out):
        done = subprocess.run(
            [sys.executable, str(ROOT / "experiments" / "spine_ablation.py"), str(out)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("spine_ablation: error: ") and "Traceback" not in done.stderr
    assert f"PID {os.getpid()}" in done.stderr and "is in use" in done.stderr
    assert list(out.iterdir()) == []
