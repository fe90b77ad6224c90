"""Sweeps (neuroplast.studies.sweep): spec validation, point expansion, run ids, and real sweeps on
a LocalCluster of worker processes (resume, failures, 1 vs 2 workers)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import TINY_VALIDITY  # noqa: E402  (tests/ is on sys.path)

from neuroplast.cli import main
from neuroplast.config.experiment import ConfigError
from neuroplast.studies.sweep import (
    expand_points,
    latin_hypercube,
    load_sweep,
    resolve_runs,
    run_id,
    run_one,
    run_status,
    run_sweep,
)

ROOT = Path(__file__).resolve().parents[1]
QUICK = ROOT / "configs" / "quick.toml"

#: A network small and short enough for a run to take well under a second (numpy).
TINY = {
    "simulation.duration": '"0.2 s"',
    "network.n_exc": "80",
    "network.n_inh": "20",
    "recording.n_traced": "0",
    "output.figures": "false",
    **{f"validity.{key}": f'"{value}"' for key, value in TINY_VALIDITY.items()},
}

# the failing runner below travels to the worker processes by value (tests/ is not a package)
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def write_spec(folder: Path, axes: str, head: str = "", name: str = "spec") -> Path:
    """A sweep spec on the tiny quick network; ``axes`` and ``head`` are TOML text."""
    fixed = "\n".join(f"{key} = {value}" for key, value in TINY.items())
    text = f'base = "{QUICK.as_posix()}"\nseed = 5\n{head}\n[set]\n{fixed}\n\n{axes}\n'
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def axis(path: str, values: str) -> str:
    return f'[[axes]]\npath = "{path}"\n{values}\n'


RATES = axis("external.rate", 'values = ["2.5 Hz", "3 Hz"]')


def table_text(path: Path) -> str:
    """The whole table as JSON (NaN-aware exact comparison)."""
    table = pq.read_table(path)
    return json.dumps({"schema": str(table.schema), "rows": table.to_pylist()})


# --------------------------------------------------------------------------- expansion


def test_grid_runs_every_combination(tmp_path):
    axes = RATES + axis("network.p_connect", "values = [0.1, 0.15, 0.2]")
    spec = load_sweep(write_spec(tmp_path, axes, "repeats = 2"))
    points = expand_points(spec)
    assert len(points) == 6
    assert {(p.values["external.rate"], p.values["network.p_connect"]) for p in points} == {
        (r, c) for r in ("2.5 Hz", "3 Hz") for c in (0.1, 0.15, 0.2)
    }
    assert len(resolve_runs(spec)) == 12


def test_zip_pairs_the_kth_values(tmp_path):
    axes = RATES + axis("network.p_connect", "values = [0.1, 0.2]")
    points = expand_points(load_sweep(write_spec(tmp_path, axes, 'kind = "zip"')))
    assert [p.values for p in points] == [
        {"external.rate": "2.5 Hz", "network.p_connect": 0.1},
        {"external.rate": "3 Hz", "network.p_connect": 0.2},
    ]


def test_one_at_a_time_varies_one_axis_around_the_base(tmp_path):
    axes = RATES + axis("network.p_connect", "values = [0.1, 0.15, 0.3]")
    spec = load_sweep(write_spec(tmp_path, axes, 'kind = "one_at_a_time"'))
    points = expand_points(spec)
    assert len(points) == 1 + 2 + 3
    assert points[0].values == {} and points[0].varied == ""
    assert all(len(p.values) == 1 and p.varied in p.values for p in points[1:])
    runs = resolve_runs(spec)
    varied_rate = [r for r in runs if r.point.varied == "external.rate"]
    # the other axis stays at the base value (quick.toml: the default p_connect 0.2)
    assert {r.config["network"]["p_connect"] for r in varied_rate} == {0.2}


def test_latin_hypercube_hits_every_stratum_of_every_axis_once():
    n, d = 17, 3
    unit = latin_hypercube(n, d, np.random.default_rng(0))
    assert unit.shape == (n, d) and unit.min() >= 0 and unit.max() < 1
    for column in unit.T:
        assert sorted(np.floor(column * n).astype(int)) == list(range(n))


def test_latin_hypercube_spec_samples_ranges_with_units(tmp_path):
    axes = axis("external.rate", 'range = { low = 2, high = 4, unit = "Hz" }') + axis(
        "network.n_exc", "range = { low = 60, high = 100 }"
    )
    path = write_spec(tmp_path, axes, 'kind = "latin_hypercube"\nsamples = 8')
    points = expand_points(load_sweep(path))
    rates = np.array([float(p.values["external.rate"].removesuffix(" Hz")) for p in points])
    assert len(points) == 8
    assert sorted(np.floor((rates - 2) / 2 * 8).astype(int)) == list(range(8))
    assert all(isinstance(p.values["network.n_exc"], int) for p in points)
    # drawn from the root seed: the same points every time
    assert [p.values for p in expand_points(load_sweep(path))] == [p.values for p in points]


def test_random_samples_stay_in_range(tmp_path):
    axes = axis("network.p_connect", "range = { low = 0.1, high = 0.3 }")
    spec = load_sweep(write_spec(tmp_path, axes, 'kind = "random"\nsamples = 20'))
    values = [p.values["network.p_connect"] for p in expand_points(spec)]
    assert len(values) == 20 and all(0.1 <= v <= 0.3 for v in values)


# --------------------------------------------------------------------------- spec errors


@pytest.mark.parametrize(
    ("axes", "head", "expected"),
    [
        (axis("external.rat", 'values = ["3 Hz"]'), "", "did you mean 'rate'"),
        (axis("external.rate", "values = []"), "", "axes[0].values = []: expected at least one"),
        (
            axis("external.rate", 'range = { low = 2, high = 4, unit = "mV" }'),
            'kind = "random"\nsamples = 3',
            "axes[0].range.unit = 'mV': wrong dimension for external.rate",
        ),
        (
            axis("external.rate", "range = { low = 2, high = 4 }"),
            'kind = "latin_hypercube"\nsamples = 3',
            "expected unit = 'Hz'",
        ),
        (
            RATES + axis("network.p_connect", "values = [0.1, 0.2, 0.3]"),
            'kind = "zip"',
            "external.rate: 2 values, network.p_connect: 3 values",
        ),
        (RATES, 'kind = "gird"', "did you mean 'grid'"),
        (RATES, "repeat = 2", "unknown key 'repeat'; did you mean 'repeats'"),
        (axis("external.rate", 'values = ["3 mV"]'), "", "point 0 (external.rate=3 mV)"),
    ],
    ids=[
        "unknown-path",
        "empty-axis",
        "range-unit-of-wrong-dimension",
        "range-without-unit",
        "zip-unequal-lengths",
        "unknown-kind",
        "unknown-spec-key",
        "value-of-wrong-dimension",
    ],
)
def test_spec_errors_name_key_value_and_expectation_before_anything_runs(
    tmp_path, axes, head, expected
):
    spec_path = write_spec(tmp_path, axes, head)
    out = tmp_path / "out"
    with pytest.raises(ConfigError) as info:
        run_sweep(load_sweep(spec_path), out, workers=1, progress=False)
    assert expected in str(info.value)
    assert not out.exists()


def test_cli_reports_a_bad_spec_in_one_line_and_exits_2(tmp_path, capsys):
    spec_path = write_spec(tmp_path, axis("network.n_exce", "values = [80]"))
    out = tmp_path / "out"
    assert main(["sweep", str(spec_path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "axes[0].path = 'network.n_exce'" in err and "did you mean 'n_exc'" in err
    assert not out.exists()


def test_dry_run_prints_the_runs_and_runs_nothing(tmp_path, capsys):
    spec_path = write_spec(tmp_path, RATES, "repeats = 3")
    out = tmp_path / "out"
    assert main(["sweep", str(spec_path), "--out", str(out), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "2 point(s) x 1 condition(s) x 3 repeat(s) = 6 run(s)" in text
    assert "external.rate=2.5 Hz" in text and "(seeds 5, 6, 7)" in text
    assert not out.exists()


# --------------------------------------------------------------------------- run ids


def test_run_id_is_a_fixed_hash_of_canonical_json():
    # key order does not matter; the value is the same on every machine and process
    assert run_id({"b": [1, "2 Hz"], "a": 0.5}, 3) == run_id({"a": 0.5, "b": [1, "2 Hz"]}, 3)
    assert run_id({"a": 0.5, "b": [1, "2 Hz"]}, 3) == "c30176d815f3"


def test_run_ids_are_distinct_per_point_and_seed_and_stable_across_processes(tmp_path):
    spec_path = write_spec(tmp_path, RATES, "repeats = 2")
    ids = [r.run_id for r in resolve_runs(load_sweep(spec_path))]
    assert len(set(ids)) == 4
    code = (
        "from neuroplast.studies.sweep import load_sweep, resolve_runs; "
        f"print(' '.join(r.run_id for r in resolve_runs(load_sweep({str(spec_path)!r}))))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert other.stdout.split() == ids


# --------------------------------------------------------------------------- real sweeps


@pytest.fixture(scope="module")
def two_worker_sweep(tmp_path_factory):
    """2 points x 2 repeats on a 2-worker LocalCluster (processes)."""
    folder = tmp_path_factory.mktemp("sweep")
    spec = load_sweep(write_spec(folder, RATES, "repeats = 2"))
    out = folder / "out"
    start = time.perf_counter()
    result = run_sweep(spec, out, workers=2, progress=False, csv=True)
    return spec, out, result, time.perf_counter() - start


@pytest.mark.slow
def test_sweep_on_a_local_cluster_writes_one_tidy_table(two_worker_sweep):
    _, out, result, _ = two_worker_sweep
    assert result.runs == 4 and len(result.ran) == 4 and not result.failed
    table = pq.read_table(out / "sweep.parquet")
    for column in ("run_id", "status", "external.rate", "external.rate_si", "condition"):
        assert column in table.column_names
    for column in ("seed", "bio_time_days", "sim_time_s", "measure", "value"):
        assert column in table.column_names
    rows = table.to_pylist()
    assert {r["status"] for r in rows} == {"done"}
    assert {(r["external.rate"], r["external.rate_si"]) for r in rows} == {
        ("2.5 Hz", 2.5),
        ("3 Hz", 3.0),
    }
    assert {r["seed"] for r in rows} == {5, 6}
    per_run = {r["run_id"] for r in rows if r["measure"] == "mean_rate_exc_hz"}
    assert len(per_run) == 4
    assert (out / "sweep.csv").read_text().startswith('"run_id","point"')
    assert all(run_status(out / "runs" / rid) == "done" for rid in per_run)


@pytest.mark.slow
def test_resume_recomputes_only_the_missing_run_and_gives_the_same_table(
    two_worker_sweep, tmp_path
):
    spec, out, result, _ = two_worker_sweep
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    lost = result.ran[1]
    shutil.rmtree(copy / "runs" / lost)
    (copy / "sweep.parquet").unlink()
    kept_mtime = {
        rid: (copy / "runs" / rid / "measures.csv").stat().st_mtime_ns
        for rid in result.ran
        if rid != lost
    }
    again = run_sweep(spec, copy, workers=2, progress=False)
    assert again.ran == [lost] and sorted(again.kept) == sorted(kept_mtime)
    for rid, mtime in kept_mtime.items():
        assert (copy / "runs" / rid / "measures.csv").stat().st_mtime_ns == mtime
    assert table_text(copy / "sweep.parquet") == table_text(out / "sweep.parquet")


@pytest.mark.slow
def test_remeasure_recomputes_the_measures_from_the_saved_data(two_worker_sweep, tmp_path):
    spec, out, result, _ = two_worker_sweep
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    for rid in result.ran:  # measures lost or made by an older neuroplast
        (copy / "runs" / rid / "measures.csv").write_text("condition,seed\n")
    (copy / "sweep.parquet").unlink()
    assert main(["sweep", str(spec.source), "--out", str(copy), "--remeasure"]) == 0
    for rid in result.ran:
        fresh = (copy / "runs" / rid / "measures.csv").read_text()
        assert fresh == (out / "runs" / rid / "measures.csv").read_text()
    assert table_text(copy / "sweep.parquet") == table_text(out / "sweep.parquet")


@pytest.mark.slow
def test_one_and_two_workers_give_identical_tables(two_worker_sweep, tmp_path):
    spec, out, _, _ = two_worker_sweep
    single = run_sweep(spec, tmp_path / "one", workers=1, progress=False)
    assert table_text(single.table) == table_text(out / "sweep.parquet")


@pytest.mark.slow
def test_a_worker_started_by_a_jobqueue_batch_script_runs_the_sweep(two_worker_sweep, tmp_path):
    """As far as SLURM can be tested without SLURM: dask-jobqueue's cluster writes the
    batch script it would submit; its worker command, run here as the job would run it,
    joins the cluster's scheduler and runs the sweep given the cluster's client (the
    usage neuroplast/studies/sweep/ and docs/sweeps_on_a_cluster.md document), with the same
    table as the local 2-worker sweep."""
    jobqueue = pytest.importorskip("dask_jobqueue")
    from dask.distributed import Client

    spec, reference, _, _ = two_worker_sweep
    cluster = jobqueue.SLURMCluster(
        cores=1, processes=1, memory="2GB", walltime="00:10:00", local_directory=str(tmp_path)
    )
    worker = None
    try:
        command = cluster.job_script().strip().splitlines()[-1]
        assert "dask_worker" in command and cluster.scheduler_address in command
        log = (tmp_path / "worker.log").open("w")
        # the batch job
        worker = subprocess.Popen(command, shell=True, cwd=tmp_path, stdout=log, stderr=log)
        with Client(cluster) as client:
            client.wait_for_workers(1, timeout=60)
            result = run_sweep(spec, tmp_path / "out", client=client, progress=False)
        assert len(result.ran) == 4 and not result.failed
        assert table_text(result.table) == table_text(reference / "sweep.parquet")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        cluster.close()


def fail_above_three_hz(cfg, run_dir):
    """A runner that breaks every run whose external rate is above 2.9 Hz."""
    if float(cfg.external.rate) > 2.9:
        raise RuntimeError("injected failure: external rate too high")
    run_one(cfg, run_dir)


@pytest.mark.slow
def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    spec = load_sweep(write_spec(tmp_path, RATES))
    out = tmp_path / "out"
    result = run_sweep(spec, out, workers=2, progress=False, runner=fail_above_three_hz)
    assert len(result.ran) == 1 and len(result.failed) == 1
    failed_dir = out / "runs" / result.failed[0]
    text = (failed_dir / "error.txt").read_text()
    assert text.startswith("RuntimeError: injected failure") and "Traceback" in text
    # each run has its log: the finished one its host and wall time, both their messages
    done_dir = out / "runs" / result.ran[0]
    assert json.loads((done_dir / "sweep_run.json").read_text())["wall_s"] > 0
    assert "finished in" in (done_dir / "run.log").read_text()
    assert "injected failure" in (failed_dir / "run.log").read_text()
    rows = pq.read_table(result.table).to_pylist()
    failed_rows = [r for r in rows if r["status"] == "error"]
    assert len(failed_rows) == 1 and failed_rows[0]["external.rate"] == "3 Hz"
    assert failed_rows[0]["error"].startswith("RuntimeError: injected failure")
    assert failed_rows[0]["value"] is None
    assert {r["status"] for r in rows if r["external.rate"] == "2.5 Hz"} == {"done"}
    # a plain restart keeps the failure; --retry-failed runs it again
    kept = run_sweep(spec, out, workers=1, progress=False)
    assert kept.ran == [] and kept.failed == result.failed
    retried = run_sweep(spec, out, workers=1, progress=False, retry_failed=True)
    assert retried.ran == result.failed and not retried.failed
    assert not (failed_dir / "error.txt").exists()
    assert {r["status"] for r in pq.read_table(retried.table).to_pylist()} == {"done"}


INTERRUPTED_SWEEP = """
import sys, time
from neuroplast.studies.sweep import load_sweep, run_one, run_sweep

def slow(cfg, run_dir):  # pickled by value: defined in __main__
    time.sleep(1.0)
    run_one(cfg, run_dir)

run_sweep(load_sweep(sys.argv[1]), sys.argv[2], workers=1, progress=False, runner=slow)
"""


@pytest.mark.slow
def test_a_killed_sweep_loses_no_finished_run_and_resumes_to_the_same_table(
    two_worker_sweep, tmp_path
):
    spec, reference, _, _ = two_worker_sweep
    spec_path = write_spec(tmp_path, RATES, "repeats = 2")
    out = tmp_path / "out"
    # its own process group: SIGKILL reaches the client, scheduler and worker processes
    sweep = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_SWEEP, str(spec_path), str(out)],
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob("runs/*/measures.csv")) and time.monotonic() < deadline:
            assert sweep.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.05)
    finally:
        os.killpg(sweep.pid, signal.SIGKILL)
        sweep.wait()
    finished = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("runs/*/measures.csv")}
    assert 1 <= len(finished) < 4
    resumed = run_sweep(spec, out, workers=2, progress=False)
    assert sorted(resumed.kept) == sorted(finished) and len(resumed.ran) == 4 - len(finished)
    for rid, mtime in finished.items():
        assert (out / "runs" / rid / "measures.csv").stat().st_mtime_ns == mtime
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]
    assert table_text(resumed.table) == table_text(reference / "sweep.parquet")


def test_a_base_with_conditions_gives_one_run_per_condition(tmp_path):
    base = (ROOT / "configs" / "mechanism_comparison.toml").as_posix()
    spec_path = tmp_path / "mech.toml"
    spec_path.write_text(
        f'base = "{base}"\nrepeats = 1\n' + axis("external.rate", 'values = ["2.5 Hz", "3.5 Hz"]')
    )
    runs = resolve_runs(load_sweep(spec_path))
    conditions = {"control", "disinhibition", "direct", "both", "control_direct"}
    assert len(runs) == 2 * 5 and len({r.run_id for r in runs}) == 10
    assert {r.condition for r in runs} == conditions
    assert all(r.config["from_protocol"] and r.config["repeats"] == 1 for r in runs)
