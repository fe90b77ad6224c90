"""File-system faults end in one line naming the file and exit status 2, never a traceback.

Checked here (config/experiment.py read_toml, simulation/locks.py, simulation/storage.py,
studies/comparison.py, cli.py):
* a config that is a directory, unreadable, not UTF-8 or UTF-16;
* an ``--out`` that cannot be created (a file where a directory should be) or written
  (read-only), for a run, an experiment and a sweep;
* a truncated ``data.h5``: ``neuroplast plot`` names it; an experiment resume finds it,
  says so and runs that run again;
* the command's top level: any other error is one line too (``--debug`` shows the
  traceback), and brian2's "report this bug to Brian 2" banner never appears.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import pytest
from conftest import QUICK, ROOT, TINY

from neuroplast import cli
from neuroplast.cli import main


def run_cli(capsys, *argv):
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_error_line(err: str) -> str:
    """The single line of an error report (a note before it is allowed, nothing after)."""
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("neuroplast: error: "), err
    assert "Traceback" not in err and "Brian 2" not in err, err
    assert len([line for line in lines if not line.startswith("neuroplast: ")]) == 0, err
    return lines[-1]


# --------------------------------------------------------------------------- configs


def test_a_directory_given_as_the_config_is_named(capsys, tmp_path):
    status, _, err = run_cli(capsys, "validate", tmp_path)
    line = one_error_line(err)
    assert status == 2
    assert str(tmp_path) in line and "is a directory" in line and "TOML" in line


def test_a_config_that_is_not_utf8_names_the_byte(capsys, tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    status, _, err = run_cli(capsys, "validate", path)
    line = one_error_line(err)
    assert status == 2
    assert str(path) in line and "not UTF-8" in line and "byte 11" in line


def test_a_utf16_config_is_named_as_such(capsys, tmp_path):
    path = tmp_path / "utf16.toml"
    path.write_text('name = "x"\n', encoding="utf-16")
    status, _, err = run_cli(capsys, "validate", path)
    line = one_error_line(err)
    assert status == 2
    assert str(path) in line and "UTF-16" in line and "UTF-8" in line


def test_an_unreadable_config_is_named(capsys, tmp_path, monkeypatch):
    path = tmp_path / "secret.toml"
    path.write_text('name = "x"\n')
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the open fail as it would for a user
        real_open = Path.open

        def refuse(self, *args, **kwargs):
            if self == path:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", refuse)
    status, _, err = run_cli(capsys, "validate", path)
    line = one_error_line(err)
    assert status == 2
    assert str(path) in line and "Permission denied" in line


def test_a_sweep_spec_that_is_not_utf8_is_named(capsys, tmp_path):
    path = tmp_path / "spec.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    status, _, err = run_cli(capsys, "sweep", path, "--out", tmp_path / "sw")
    assert status == 2 and "not UTF-8" in one_error_line(err)


# --------------------------------------------------------------------------- --out


def _spec(folder: Path) -> Path:
    spec = folder / "spec.toml"
    spec.write_text(
        f'base = "{QUICK.as_posix()}"\nseed = 5\n[set]\nsimulation.duration = "0.2 s"\n'
        "network.n_exc = 80\nnetwork.n_inh = 20\noutput.figures = false\n\n"
        '[[axes]]\npath = "external.rate"\nvalues = ["2.5 Hz"]\n'
    )
    return spec


def _command(kind: str, out: Path, folder: Path) -> list:
    if kind == "run":
        return ["run", QUICK, "--out", out, *TINY]
    if kind == "experiment":
        return ["run", QUICK, "--set", "repeats=2", "--out", out, *TINY]
    return ["sweep", _spec(folder), "--out", out, "--quiet", "--workers", "1"]


KINDS = ["run", "experiment", "sweep"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_out_under_a_file_is_named(capsys, tmp_path, kind):
    blocker = tmp_path / "afile"
    blocker.write_text("not a directory")
    status, _, err = run_cli(capsys, *_command(kind, blocker / "out", tmp_path))
    line = one_error_line(err)
    assert status == 2
    assert str(blocker) in line and "not a directory" in line
    assert blocker.read_text() == "not a directory"


@pytest.mark.parametrize("kind", ["experiment", "sweep"])
def test_an_out_that_is_a_file_is_named(capsys, tmp_path, kind):
    blocker = tmp_path / "afile"
    blocker.write_text("not a directory")
    status, _, err = run_cli(capsys, *_command(kind, blocker, tmp_path))
    line = one_error_line(err)
    assert status == 2 and str(blocker) in line and "not a directory" in line


@pytest.fixture
def read_only(tmp_path, monkeypatch):
    """A directory nothing can be created in (as on a read-only mount), even by root."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # permissions do not stop root: fail as a read-only mount does
        real_mkdir, real_open = os.mkdir, os.open

        def inside(path) -> bool:
            return Path(os.fspath(path)).parent == folder

        def mkdir(path, *args, **kwargs):
            if inside(path):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))
            return real_mkdir(path, *args, **kwargs)

        def open_(path, flags, *args, **kwargs):
            if inside(path) and flags & os.O_CREAT:
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "mkdir", mkdir)
        monkeypatch.setattr(os, "open", open_)
    yield folder
    folder.chmod(0o755)


@pytest.mark.parametrize("kind", KINDS)
def test_a_read_only_out_is_named(capsys, tmp_path, read_only, kind):
    status, _, err = run_cli(capsys, *_command(kind, read_only / "out", tmp_path))
    line = one_error_line(err)
    assert status == 2
    assert str(read_only) in line
    assert "Read-only file system" in line or "Permission denied" in line
    assert "writable" in line


# --------------------------------------------------------------------------- data.h5


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """A finished two-seed experiment on the tiny network (copied by each test)."""
    out = tmp_path_factory.mktemp("io") / "exp"
    assert main(["run", str(QUICK), "--set", "repeats=2", "--out", str(out), *TINY]) == 0
    return out


def test_plot_names_a_truncated_data_file_of_a_run(capsys, tmp_path, experiment):
    run = tmp_path / "seed_1"
    shutil.copytree(experiment / "runs" / "baseline" / "seed_1", run)
    _truncate(run / "data.h5")
    status, _, err = run_cli(capsys, "plot", run)
    line = one_error_line(err)
    assert status == 2
    assert str(run / "data.h5") in line and "truncated or corrupt" in line


def test_plot_names_a_truncated_data_file_of_an_experiment(capsys, tmp_path, experiment):
    out = tmp_path / "exp"
    shutil.copytree(experiment, out)
    bad = out / "runs" / "baseline" / "seed_1" / "data.h5"  # the first seed's: drawn
    _truncate(bad)
    status, _, err = run_cli(capsys, "plot", out)
    line = one_error_line(err)
    assert status == 2 and str(bad) in line and "truncated or corrupt" in line


def test_an_experiment_resume_runs_a_truncated_run_again_saying_so(capsys, tmp_path, experiment):
    out = tmp_path / "exp"
    shutil.copytree(experiment, out)
    bad = out / "runs" / "baseline" / "seed_1" / "data.h5"
    _truncate(bad)
    status, stdout, err = run_cli(capsys, "run", QUICK, "--set", "repeats=2", "--out", out, *TINY)
    assert status == 0, err
    assert "baseline seed 1: data.h5 is truncated or corrupt" in stdout
    assert "ran 1, kept 1" in stdout
    original = experiment / "runs" / "baseline" / "seed_1" / "data.h5"
    with h5py.File(bad, "r") as again, h5py.File(original, "r") as before:
        assert again["spikes/exc/t"][:].tolist() == before["spikes/exc/t"][:].tolist()


# --------------------------------------------------------------------------- top level


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(capsys, monkeypatch):
    def broken(args):
        raise TypeError("something inside went wrong")

    monkeypatch.setitem(cli.COMMANDS, "params", broken)
    status, _, err = run_cli(capsys, "params")
    line = one_error_line(err)
    assert status == 1
    assert "TypeError: something inside went wrong" in line and "--debug" in line
    status, _, err = run_cli(capsys, "params", "--debug")
    assert status == 1 and "Traceback" in err and "something inside went wrong" in err
    status, _, err = run_cli(capsys, "--debug", "params")
    assert status == 1 and "Traceback" in err


def test_an_os_error_of_a_command_is_one_line_naming_the_file(capsys, monkeypatch):
    def disk_full(args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/somewhere/data.h5")

    monkeypatch.setitem(cli.COMMANDS, "params", disk_full)
    status, _, err = run_cli(capsys, "params")
    line = one_error_line(err)
    assert status == 2 and "/somewhere/data.h5" in line and "No space left on device" in line


def test_brian2s_bug_banner_never_appears(tmp_path):
    """In a real process brian2's excepthook would send our errors to brian2's tracker."""
    run = tmp_path / "run"
    (run / "config.json").mkdir(parents=True)  # an OS error that nothing below catches
    (run / "data.h5").write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "neuroplast", "plot", str(run)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert "Brian 2" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines() == [f"neuroplast: error: {run / 'config.json'}: Is a directory"]
    assert done.returncode == 2
