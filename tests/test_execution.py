"""Experiments on the Dask path that sweeps use (neuroplast.studies.execution, comparison.py).

Checked here:
* an experiment's runs on two Dask worker processes write the numbers of the same runs
  made one after the other in this process (same seeds, same shared clock);
* a run that fails on a worker stops no other: the finished runs are kept, the error
  names the failed run, and the same command with --retry-failed runs only that one;
* a task that cannot complete (its worker died twice) is named too, and recorded lost.
"""

from __future__ import annotations

import pytest
from conftest import TINY_VALIDITY  # tests/ is on sys.path

from neuroplast.config.experiment import config_from_dict
from neuroplast.simulation import storage
from neuroplast.studies import comparison
from neuroplast.studies.comparison import RunsFailed, run_comparison, run_directory


def _config() -> dict:
    """Two arms on a tiny numpy network, 0.4 days on a clock of 1 day = 1 s."""
    return {
        "name": "tiny",
        "seed": 3,
        "simulation": {"backend": "numpy"},
        "network": {"n_exc": 80, "n_inh": 20},
        "validity": TINY_VALIDITY,
        "recording": {"n_traced": 0, "spikes": False, "slow_interval": "50 ms"},
        "output": {"figures": False},
        "set_point": {"window": "0.2 s", "settle": "0.1 s"},
        "bdnf": {"release_threshold_from": "fixed"},  # short window (bdnf.py)
        "timescale": {"rate": 86400.0, "session_rate": 86400.0},
        "recall": {"enabled": False},
        "protocol": {
            "phases": [
                {"name": "baseline", "duration": "0.2 days"},
                {"name": "treatment", "duration": "0.2 days"},
            ],
            "doses": [{"phase": "treatment", "start": "1 h", "conditions": ["ketamine"]}],
        },
        "conditions": {"control": {}, "ketamine": {}},
    }


def _measures(out) -> dict:
    return {
        name: run_directory(out, name, 3).joinpath(storage.MEASURES_FILE).read_text()
        for name in ("control", "ketamine")
    }


@pytest.mark.slow
def test_an_experiment_on_two_dask_workers_writes_the_serial_numbers(tmp_path):
    cfg = config_from_dict(_config())
    serial = run_comparison(cfg, tmp_path / "serial", log=lambda line: None)
    lines = []
    parallel = run_comparison(cfg, tmp_path / "dask", workers=2, log=lines.append)
    assert len(serial.ran) == len(parallel.ran) == 2
    assert sum(" s -> " in line for line in lines) == 2, lines
    assert _measures(tmp_path / "dask") == _measures(tmp_path / "serial")


@pytest.fixture()
def thread_client():
    """A Dask client whose worker runs in this process, so that patched functions are
    the ones called."""
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False) as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_a_failed_run_stops_no_other_and_runs_again_alone_when_retried(
    tmp_path, monkeypatch, thread_client
):
    real = comparison._run_one

    def control_fails(run_cfg, run_dir, progress=False, condition=None, seed=None):
        if condition == "control":  # the first run submitted
            raise ValueError("a run that fails")
        return real(run_cfg, run_dir, progress, condition, seed)

    cfg = config_from_dict(_config())
    out = tmp_path / "out"
    monkeypatch.setattr(comparison, "_run_one", control_fails)
    with pytest.raises(
        RunsFailed,
        match=r"1 of 2 run\(s\) have no valid result.*control seed 3: "
        r"ValueError: a run that fails",
    ):
        run_comparison(cfg, out, client=thread_client, log=lambda line: None)
    assert run_directory(out, "ketamine", 3).joinpath(storage.MEASURES_FILE).exists()
    assert run_directory(out, "control", 3).joinpath("error.txt").exists()
    monkeypatch.setattr(comparison, "_run_one", real)
    again = run_comparison(cfg, out, client=thread_client, retry_failed=True, log=lambda line: None)
    assert again.ran == [run_directory(out, "control", 3)]
    assert again.skipped == [run_directory(out, "ketamine", 3)]


def test_a_task_that_cannot_complete_is_named_too(tmp_path, monkeypatch, thread_client):
    """A task that raises on the worker (as a task whose worker died twice does: Dask's
    KilledWorker) has no outcome; the experiment names it and keeps the others."""
    real = comparison.run_job

    def control_is_lost(job):
        if job[2] == "control":
            raise RuntimeError("worker lost")
        return real(job)

    cfg = config_from_dict(_config())
    out = tmp_path / "out"
    monkeypatch.setattr(comparison, "run_job", control_is_lost)
    with pytest.raises(RunsFailed, match=r"1 run lost .*control seed 3: RuntimeError: worker lost"):
        run_comparison(cfg, out, client=thread_client, log=lambda line: None)
    assert run_directory(out, "ketamine", 3).joinpath(storage.MEASURES_FILE).exists()
    assert run_directory(out, "control", 3).joinpath("lost.txt").exists()
