"""Every config mistake ends in one clear message and exit status 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from neuroplast.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def write_config(tmp_path):
    def write(text: str):
        path = tmp_path / "config.toml"
        path.write_text(text)
        return str(path)

    return write


def run_cli(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_unknown_key_is_an_error(capsys, write_config):
    path = write_config("[network]\nn_neurons = 100\n")
    status, _, err = run_cli(capsys, "validate", path)
    assert status == 2
    assert "network.n_neurons: unknown key 'n_neurons'" in err
    assert "Traceback" not in err


def test_typo_gets_a_suggestion(capsys, write_config):
    path = write_config('[receptors.nmda]\ntau_decy = "80 ms"\n')
    status, _, err = run_cli(capsys, "validate", path)
    assert status == 2
    assert "receptors.nmda.tau_decy" in err
    assert "did you mean 'tau_decay'?" in err


def test_wrong_dimension_is_an_error(capsys, write_config):
    path = write_config('[receptors.ampa]\ntau = "100 mV"\n')
    status, _, err = run_cli(capsys, "validate", path)
    assert status == 2
    assert "receptors.ampa.tau = '100 mV'" in err
    assert "wrong dimension" in err


def test_negative_population_size_is_an_error(capsys, write_config):
    path = write_config("[network]\nn_exc = -5\n")
    status, _, err = run_cli(capsys, "validate", path)
    assert status == 2
    assert "network.n_exc = -5" in err
    assert "greater than 0" in err


def test_malformed_toml_is_an_error(capsys, write_config):
    path = write_config("[network\nn_exc = 5\n")
    status, _, err = run_cli(capsys, "validate", path)
    assert status == 2
    assert "not valid TOML" in err


def test_set_on_missing_path_is_an_error(capsys, quick_config_path):
    status, _, err = run_cli(capsys, "run", str(quick_config_path), "--set", "network.n_ecx=10")
    assert status == 2
    assert "network.n_ecx" in err
    assert "did you mean 'n_exc'?" in err


def test_set_without_equals_sign_is_an_error(capsys, quick_config_path):
    status, _, err = run_cli(capsys, "validate", str(quick_config_path), "--set", "network.n_exc")
    assert status == 2
    assert "expected KEY=VALUE" in err


def test_missing_config_file_is_an_error(capsys, tmp_path):
    status, _, err = run_cli(capsys, "validate", str(tmp_path / "nope.toml"))
    assert status == 2
    assert "no such config file" in err


def test_an_unknown_calibration_target_is_named_before_anything_runs(capsys, quick_config_path):
    status, _, err = run_cli(capsys, "calibrate", str(quick_config_path), "--only", "C6,C9")
    assert status == 2
    assert err.strip().splitlines() == [
        "neuroplast: error: --only: calibration target 'C9': expected one of "
        "['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C6b', 'C7']"
    ]


def test_unknown_backend_lists_the_choices(capsys, quick_config_path):
    status, _, err = run_cli(
        capsys, "validate", str(quick_config_path), "--set", "simulation.backend=gpu"
    )
    assert status == 2
    assert "simulation.backend = 'gpu'" in err
    assert "'cython', 'numpy' or 'cpp_standalone'" in err


@pytest.mark.parametrize(
    ("script", "option", "message"),
    [
        ("spine_ablation", "--set=recall.enabled=maybe", "recall.enabled = 'maybe'"),
        ("titration", "--set=recall.enabeld=true", "did you mean 'enabled'?"),
        ("onset_comparison", "--workers=0", "--workers 0: expected at least 1"),
    ],
)
def test_a_named_experiment_script_reports_a_bad_option_without_running(
    tmp_path, script, option, message
):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / f"{script}.py"), str(out), option],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert f"{script}: error:" in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_output_piped_into_a_command_that_stops_reading_is_no_error():
    """``neuroplast params | head -1``: the reader goes away; no traceback, status 0.

    The reading end is closed before the command writes anything (it is still
    importing), so its first write meets a closed pipe, as after head has read its line.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "neuroplast", "params"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=60) == 0, err.decode()
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_an_old_dose_spelling_still_runs_with_a_one_line_notice(write_config):
    """Renamed dose keys are read for one release; the notice names the new spelling."""
    path = write_config(
        '[timescale]\nenabled = true\n[[pharmacology.doses]]\ntime = "40 h"\n'
        "[pharmacology.escalation]\nsessions = 2\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "neuroplast", "validate", path],
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"start": "40 h"' in done.stdout and '"count": 2' in done.stdout
    assert sorted(done.stderr.splitlines()) == [
        "neuroplast: warning: doses: key 'time' is deprecated, write 'start' instead (the old "
        "spelling is read until the next release)",
        "neuroplast: warning: pharmacology.escalation is deprecated: write it as a "
        "[[pharmacology.doses]] entry with start, dose, step, cap, count and every (first -> "
        "start, start -> dose, sessions -> count, interval -> every); the old table is read "
        "until the next release",
    ]
