"""Which runs a resume runs again (neuroplast.studies.outcomes): done, invalid, error, lost.

Checked here, for sweeps and experiments, with runs that simulate nothing (they write
what a finished run writes, or raise) and an executor that runs the tasks in this
process and loses the chosen ones as Dask does when a task's worker died twice
(``KilledWorker``):

* a run lost with its worker is run again by the next invocation, without a flag;
* a run that raised is kept failed until ``--retry-failed``, and then runs again;
* a run judged invalid is kept invalid until ``--retry-failed`` (a run is deterministic);
* the sweep's end lines and table, an experiment's error and its report count each
  outcome and say what to do.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import h5py
import pytest
from conftest import QUICK, TINY_VALIDITY  # tests/ is on sys.path
from distributed import KilledWorker

from neuroplast.analysis.measures import MeasureRow
from neuroplast.cli import main
from neuroplast.config.experiment import config_from_dict
from neuroplast.simulation import storage
from neuroplast.studies import analyse, comparison, execution
from neuroplast.studies.comparison import RunsFailed, run_comparison, run_directory
from neuroplast.studies.outcomes import DONE, ERROR, INVALID, LOST, outcome_of
from neuroplast.studies.sweep import collect_table, load_sweep, run_status, run_sweep
from neuroplast.studies.sweep import runs as sweep_runs

# --------------------------------------------------------------------------- fakes


def write_finished_run(run_dir: Path, cfg, verdict: str = "valid") -> None:
    """What a finished run's directory holds: config, one measure, data.h5, status.json."""
    run_dir.mkdir(parents=True)
    storage.write_json(run_dir / storage.CONFIG_FILE, cfg.resolved())
    row = MeasureRow(cfg.condition, cfg.seed, 0.0, 0.2, "mean_rate_exc_hz", 5.0)
    storage.write_measures(run_dir / storage.MEASURES_FILE, [row])
    with h5py.File(run_dir / storage.DATA_FILE, "w") as h5:
        for group in storage.REQUIRED_GROUPS:
            h5.create_group(group)
        h5.attrs.update(dict.fromkeys(storage.REQUIRED_ATTRS, 0))
    storage.write_status(run_dir, {"status": verdict, "reason": "E rate 410 Hz above 50 Hz"})


def fake_run(cfg, run_dir: Path, fate: str) -> None:
    """A run that ends as ``fate`` says: done, invalid, error (raises) or memory."""
    if fate == "error":
        raise ValueError("a bad value")
    if fate == "memory":
        raise MemoryError("cannot allocate 8 GB")
    write_finished_run(Path(run_dir), cfg, "invalid" if fate == "invalid" else "valid")
    if fate == "invalid":
        raise storage.InvalidRun("E rate 410 Hz above 50 Hz", run_dir)


def executor(lost: set, attempted: list):
    """A stand-in for execution.run_tasks: runs each task here, records its name in
    ``attempted``, and loses those named in ``lost`` as a worker that died twice would."""

    def run_tasks(function, tasks, *, workers, scheduler=None, client=None):
        for task in tasks:
            name = task_name(task)
            attempted.append(name)
            if name in lost:
                worker = SimpleNamespace(address="tcp://127.0.0.1:40000")
                yield task, None, KilledWorker(f"task-{name}", worker, 3)
            else:
                yield task, function(task), None

    return run_tasks


def task_name(task) -> str:
    """A sweep task's external rate ('3 Hz'), an experiment job's condition."""
    if isinstance(task, sweep_runs.RunTask):
        return task.config["external"]["rate"]
    return task[2]


# --------------------------------------------------------------------------- sweeps

RATES = ["2.5 Hz", "3 Hz"]


def sweep_spec(folder: Path, rates=RATES):
    values = ", ".join(f'"{rate}"' for rate in rates)
    path = folder / "spec.toml"
    path.write_text(
        f'name = "fates"\nbase = "{QUICK.as_posix()}"\nseed = 5\nrepeats = 1\n'
        f'[[axes]]\npath = "external.rate"\nvalues = [{values}]\n'
    )
    return path


@pytest.fixture()
def sweep_world(tmp_path, monkeypatch):
    """A two-point sweep whose runs end as ``fates[rate]`` says (default done), whose
    executor loses the rates in ``lost``; ``attempted`` lists the rates run."""
    world = SimpleNamespace(fates={}, lost=set(), attempted=[], out=tmp_path / "out")
    world.spec = load_sweep(sweep_spec(tmp_path))

    def run_one(cfg, run_dir, reuse=True):
        rate = f"{float(cfg.external.rate):g} Hz"
        fake_run(cfg, run_dir, world.fates.get(rate, "done"))

    monkeypatch.setattr(sweep_runs, "run_one", run_one)
    monkeypatch.setattr(execution, "run_tasks", executor(world.lost, world.attempted))
    return world


def sweep(world, **options):
    world.attempted.clear()
    return run_sweep(world.spec, world.out, workers=1, progress=False, **options)


def table_status(out: Path) -> dict[str, tuple]:
    table = collect_table(out).to_pydict()
    rows = zip(table["external.rate"], table["status"], table["error"], strict=True)
    return {rate: (status, error) for rate, status, error in rows}


def test_a_sweep_run_lost_with_its_worker_runs_again_without_a_flag(sweep_world):
    sweep_world.lost.add("3 Hz")
    first = sweep(sweep_world)
    assert len(first.ran) == 1 and len(first.lost) == 1 and not first.errors
    lost_dir = sweep_world.out / "runs" / first.lost[0]
    assert run_status(lost_dir) == LOST
    assert (lost_dir / "lost.txt").read_text().startswith("KilledWorker:")
    status, why = table_status(sweep_world.out)["3 Hz"]
    assert status == LOST and why.startswith("KilledWorker:")

    sweep_world.lost.clear()
    again = sweep(sweep_world)  # no flag
    assert sweep_world.attempted == ["3 Hz"]
    assert again.ran == first.lost and again.kept == first.ran and not again.failed
    assert run_status(lost_dir) == DONE and not (lost_dir / "lost.txt").exists()


def test_a_sweep_run_that_raised_is_kept_until_retry_failed(sweep_world):
    sweep_world.fates["3 Hz"] = "error"
    first = sweep(sweep_world)
    assert len(first.errors) == 1 and not first.lost
    assert table_status(sweep_world.out)["3 Hz"] == (ERROR, "ValueError: a bad value")

    sweep_world.fates.clear()  # it would work now, but it is not asked to run
    kept = sweep(sweep_world)
    assert sweep_world.attempted == [] and kept.errors == first.errors and not kept.ran

    retried = sweep(sweep_world, retry_failed=True)
    assert sweep_world.attempted == ["3 Hz"] and retried.ran == first.errors
    assert not retried.failed


def test_a_sweep_run_judged_invalid_is_kept_invalid_until_retry_failed(sweep_world):
    sweep_world.fates["3 Hz"] = "invalid"
    first = sweep(sweep_world)
    assert len(first.invalid) == 1 and not first.errors and not first.lost
    status, why = table_status(sweep_world.out)["3 Hz"]
    assert status == INVALID and why == "run invalid: E rate 410 Hz above 50 Hz"

    kept = sweep(sweep_world)
    assert sweep_world.attempted == [] and kept.invalid == first.invalid

    sweep_world.fates.clear()
    retried = sweep(sweep_world, retry_failed=True)
    assert sweep_world.attempted == ["3 Hz"] and retried.ran == first.invalid


def test_a_run_out_of_memory_is_lost_not_an_error(sweep_world):
    sweep_world.fates["3 Hz"] = "memory"
    first = sweep(sweep_world)
    assert len(first.lost) == 1 and not first.errors
    assert outcome_of(MemoryError()) == LOST and outcome_of(ValueError()) == ERROR


def test_the_sweep_command_counts_each_outcome_and_says_what_to_do(tmp_path, monkeypatch, capsys):
    fates, lost, attempted = {"2.5 Hz": "error", "2 Hz": "invalid"}, {"3 Hz"}, []

    def run_one(cfg, run_dir, reuse=True):
        fake_run(cfg, run_dir, fates.get(f"{float(cfg.external.rate):g} Hz", "done"))

    monkeypatch.setattr(sweep_runs, "run_one", run_one)
    monkeypatch.setattr(execution, "run_tasks", executor(lost, attempted))
    spec = sweep_spec(tmp_path, ["1.5 Hz", "2 Hz", "2.5 Hz", "3 Hz"])
    argv = ["sweep", str(spec), "--out", str(tmp_path / "out"), "--quiet", "--workers", "1"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "1 done, 1 invalid, 1 failed with an error, 1 lost" in out
    assert "1 run failed with an error (kept; re-run it with --retry-failed):" in out
    assert (
        "1 run lost (worker killed, out of memory or cancelled; the same command runs it again)"
        in out
    )
    assert "error.txt" in out and "lost.txt" in out and "status.json" in out

    fates.clear()
    lost.clear()
    assert main(argv) == 1  # the lost run ran; the invalid and the error run are kept
    assert attempted[-1:] == ["3 Hz"]
    assert "2 done, 1 invalid, 1 failed with an error" in capsys.readouterr().out
    assert main([*argv, "--retry-failed"]) == 0
    assert "4 done" in capsys.readouterr().out


# --------------------------------------------------------------------------- experiments


def experiment_config(ketamine: dict | None = None):
    """Two arms of a tiny network (``ketamine``: that arm's overrides); its runs are faked,
    so it only has to be valid."""
    return config_from_dict(
        {
            "name": "fates",
            "seed": 3,
            "simulation": {"backend": "numpy"},
            "network": {"n_exc": 80, "n_inh": 20},
            "validity": TINY_VALIDITY,
            "output": {"figures": False},
            "recall": {"enabled": False},
            "conditions": {"control": {}, "ketamine": {"set": ketamine or {}}},
        }
    )


@pytest.fixture()
def experiment_world(tmp_path, monkeypatch):
    """An experiment whose runs end as ``fates[condition]`` says (default done), on a
    one-process executor that loses the conditions in ``lost`` (with ``workers=2``);
    ``attempted`` lists the conditions run.  Nothing is analysed."""
    world = SimpleNamespace(fates={}, lost=set(), attempted=[], out=tmp_path / "exp")
    world.cfg = experiment_config()

    def run_one(run_cfg, run_dir, progress=False, condition=None, seed=None):
        world.attempted.append(condition)
        fake_run(run_cfg, run_dir, world.fates.get(condition, "done"))
        return 1.0

    monkeypatch.setattr(comparison, "_run_one", run_one)
    monkeypatch.setattr(execution, "run_tasks", executor(world.lost, []))
    monkeypatch.setattr(comparison, "analyse", lambda out, cfg: Path(out) / "report.md")
    return world


def experiment(world, **options):
    world.attempted.clear()
    return run_comparison(world.cfg, world.out, log=lambda line: None, **options)


def test_an_experiment_run_lost_with_its_worker_runs_again_without_a_flag(experiment_world):
    experiment_world.lost.add("control")
    with pytest.raises(RunsFailed, match=r"1 run lost .*the same command runs it again\): "):
        experiment(experiment_world, workers=2)
    control = run_directory(experiment_world.out, "control", 3)
    assert (control / "lost.txt").read_text().startswith("KilledWorker:")

    experiment_world.lost.clear()
    again = experiment(experiment_world, workers=2)  # no flag
    assert again.ran == [control] and again.skipped == [
        run_directory(experiment_world.out, "ketamine", 3)
    ]


def test_an_experiment_run_that_raised_is_kept_until_retry_failed(experiment_world):
    experiment_world.fates["control"] = "error"
    expected = (
        r"1 of 2 run\(s\) have no valid result \(1 done, 1 failed with an error; "
        r".*1 run failed with an error \(kept; re-run it with --retry-failed\): "
        r"control seed 3: ValueError: a bad value"
    )
    with pytest.raises(RunsFailed, match=expected):
        experiment(experiment_world)  # one after the other, in this process
    control = run_directory(experiment_world.out, "control", 3)
    assert "Traceback" in (control / "error.txt").read_text()

    experiment_world.fates.clear()  # it would work now, but it is not asked to run
    with pytest.raises(RunsFailed, match=expected):
        experiment(experiment_world)
    assert experiment_world.attempted == []

    retried = experiment(experiment_world, retry_failed=True)
    assert experiment_world.attempted == ["control"] and retried.ran == [control]
    assert not (control / "error.txt").exists()


def test_an_experiment_run_judged_invalid_is_kept_invalid_until_retry_failed(experiment_world):
    experiment_world.fates["ketamine"] = "invalid"
    expected = r"1 run invalid .*: ketamine seed 3: run invalid: E rate 410 Hz"
    with pytest.raises(RunsFailed, match=expected):
        experiment(experiment_world)
    with pytest.raises(RunsFailed, match=expected):
        experiment(experiment_world)
    assert experiment_world.attempted == []  # deterministic: not run again

    experiment_world.fates.clear()
    retried = experiment(experiment_world, retry_failed=True)
    assert experiment_world.attempted == ["ketamine"] and not retried.failed


def test_an_invalid_experiment_run_whose_config_changed_runs_again(experiment_world):
    experiment_world.fates["ketamine"] = "invalid"
    with pytest.raises(RunsFailed):
        experiment(experiment_world)
    experiment_world.fates.clear()
    experiment_world.cfg = experiment_config({"synapses.gaba_scale": 0.9})  # a fixed value
    lines = []
    run_comparison(experiment_world.cfg, experiment_world.out, log=lines.append)
    assert any("ketamine seed 3: invalid before, with another config" in line for line in lines)


def test_an_experiment_report_names_the_runs_it_leaves_out(experiment_world):
    experiment_world.fates["ketamine"] = "error"
    with pytest.raises(RunsFailed):
        experiment(experiment_world)
    lines = analyse._left_out_lines(experiment_world.out, experiment_world.cfg)
    assert lines == [
        "1 run failed with an error (kept; re-run it with --retry-failed); left out of this "
        "report: ketamine seed 3."
    ]
