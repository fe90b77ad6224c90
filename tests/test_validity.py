"""The validity guard: NaN, runaway, silent and empty runs are invalid, never results.

The probes of the reliability issue (../shared/notes/reliability-probes.md): inhibition
removed, excitatory weights x10, infinite conductances, ``simulation.dt = "1e-30 ms"``;
each exited 0 and was saved (and counted ``done`` by a sweep) as a valid result.

The 80 E / 20 I networks here are not calibrated: their baseline fires at E ~65 Hz /
I ~150 Hz (measured, numpy), above the physiological bounds; tests that need a *valid*
tiny run raise the bounds explicitly (:data:`TINY_BOUNDS`).
"""

from __future__ import annotations

import json
from pathlib import Path

import brian2
import h5py
import numpy as np
import pytest

from neuroplast.cli import EXIT_INVALID_RUN, main
from neuroplast.config.experiment import load_config
from neuroplast.simulation import storage
from neuroplast.simulation.simulate import derive_seeds, simulate
from neuroplast.simulation.validity import check_steps
from neuroplast.studies.sweep import DONE, INVALID, run_status

QUICK = Path(__file__).resolve().parents[1] / "configs" / "quick.toml"

TINY_NET = ["network.n_exc=80", "network.n_inh=20", "recording.n_traced=1"]
#: Bounds above the uncalibrated tiny network's own rates (module doc).
TINY_BOUNDS = ['validity.max_rate_exc="200 Hz"', 'validity.max_rate_inh="400 Hz"']


def tiny(*overrides: str, duration: str = "0.3 s"):
    return load_config(QUICK, [f'simulation.duration="{duration}"', *TINY_NET, *overrides])


def verdict(*overrides: str, duration: str = "0.3 s") -> dict:
    cfg = tiny(*overrides, duration=duration)
    return simulate(cfg, derive_seeds(cfg.seed)).validity


def test_tiny_baseline_within_raised_bounds_is_valid():
    found = verdict(*TINY_BOUNDS)
    assert found["status"] == "valid", found
    assert 20 < found["max_rate_exc_hz"] < 200


def test_uncalibrated_tiny_network_is_beyond_the_physiological_bounds():
    found = verdict()
    assert found["status"] == "invalid"
    assert found["check"] in ("rate_exc", "rate_inh")


def test_no_inhibition_is_invalid():
    found = verdict("synapses.gaba_scale=0", *TINY_BOUNDS)
    assert found["status"] == "invalid"
    assert found["check"] == "rate_exc"
    assert "above validity.max_rate_exc = 200 Hz" in found["reason"]


def test_excitatory_weights_times_ten_is_invalid():
    weights = [
        f'synapses.{target}.{g}="{value}"'
        for target, g, value in (
            ("to_exc", "g_ampa", "1.04 nS"),
            ("to_exc", "g_nmda", "3.27 nS"),
            ("to_inh", "g_ampa", "0.81 nS"),
            ("to_inh", "g_nmda", "2.58 nS"),
        )
    ]
    found = verdict(*weights, *TINY_BOUNDS)
    assert found["status"] == "invalid"
    assert found["check"] in ("rate_exc", "rate_inh")


def _poisoned(monkeypatch, variable: str, value: float) -> None:
    """Builds set ``variable`` of neuron 0 to ``value`` (a non-finite state that the config
    bounds can no longer produce: an infinite conductance or a NaN potential is refused)."""
    import neuroplast.simulation.simulate as simulate_module  # noqa: PLC0415

    build = simulate_module.build_network

    def poisoned(*args, **kwargs):
        model = build(*args, **kwargs)
        values = np.asarray(getattr(model.neurons, variable + "_")[:], dtype=float)
        values[0] = value
        setattr(model.neurons, variable + "_", values)
        return model

    monkeypatch.setattr(simulate_module, "build_network", poisoned)


def test_infinite_conductance_is_invalid(monkeypatch):
    _poisoned(monkeypatch, "g_ampa_syn", np.inf)
    found = verdict(*TINY_BOUNDS)
    assert found["status"] == "invalid"
    assert found["check"] == "nonfinite"


def test_nan_membrane_potentials_are_invalid(monkeypatch):
    _poisoned(monkeypatch, "V", np.nan)
    found = verdict(*TINY_BOUNDS)
    assert found["status"] == "invalid"
    assert found["check"] == "nonfinite"
    assert "NaN" in found["reason"]


def test_silent_network_with_drive_on_is_invalid():
    # AMPA and NMDA into the pyramidal cells off: they never reach threshold
    silent = ['synapses.to_exc.g_ampa_ext="0 nS"', 'synapses.to_exc.g_ampa="0 nS"']
    found = verdict(*silent, *TINY_BOUNDS, 'validity.window="0.1 s"')
    assert found["status"] == "invalid", found
    assert found["check"] == "silence"


def test_runaway_stops_the_run_at_the_end_of_its_window():
    cfg = tiny("synapses.gaba_scale=0", *TINY_BOUNDS, 'validity.window="0.1 s"', duration="1 s")
    recording = simulate(cfg, derive_seeds(cfg.seed))
    assert recording.validity["check"] == "rate_exc"
    assert recording.validity["at_s"] == pytest.approx(0.1)
    assert recording.duration < 0.2  # stopped, not simulated to the end
    assert recording.spike_t.max() < 0.11


def test_without_stop_the_run_goes_on_and_is_invalid():
    cfg = tiny(
        "synapses.gaba_scale=0",
        *TINY_BOUNDS,
        'validity.window="0.1 s"',
        "validity.stop=false",
        duration="0.4 s",
    )
    recording = simulate(cfg, derive_seeds(cfg.seed))
    assert recording.duration == pytest.approx(0.4)
    assert recording.validity["status"] == "invalid"
    assert recording.validity["at_s"] == pytest.approx(0.1)


def test_cli_run_of_no_inhibition_exits_non_zero_with_one_line_and_keeps_the_data(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["run", str(QUICK), "--out", str(out), "--quiet"]
    for item in ('simulation.duration="0.3 s"', *TINY_NET, *TINY_BOUNDS):
        argv += ["--set", item]
    argv += ["--set", "synapses.gaba_scale=0", "--set", "output.figures=false"]
    assert main(argv) == EXIT_INVALID_RUN
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("neuroplast: run invalid: E rate "), err
    status = json.loads((out / "status.json").read_text())
    assert status["status"] == "invalid"
    with h5py.File(out / "data.h5") as h5:
        assert h5.attrs["status"] == "invalid"
        assert len(h5["spikes/exc/t"]) > 0  # nothing computed is lost
    assert storage.is_invalid(out)


@pytest.mark.parametrize("duration", [0.01 * brian2.ms, 0 * brian2.ms, 1e12 * brian2.second])
def test_a_run_shorter_than_a_time_step_or_too_long_to_step_is_invalid(duration):
    # a config refuses both before they run (tests/regressions/
    # test_run_length_is_refused_by_validate_and_run.py); this guards a config built around
    # that check, as the 1e-30 ms time step of the probes was before the config's bounds
    with pytest.raises(storage.InvalidRun, match="no simulated time"):
        check_steps(load_config(QUICK), duration)


def test_valid_run_records_its_status(tmp_path):
    out = tmp_path / "run"
    argv = ["run", str(QUICK), "--out", str(out), "--quiet"]
    for item in ('simulation.duration="0.3 s"', *TINY_NET, *TINY_BOUNDS, "output.figures=false"):
        argv += ["--set", item]
    assert main(argv) == 0
    assert json.loads((out / "status.json").read_text())["status"] == "valid"
    assert not storage.is_invalid(out)


def test_sweep_counts_an_invalid_run_as_failed(tmp_path):
    from neuroplast.studies.sweep import collect_table, load_sweep, run_sweep

    spec_file = tmp_path / "spec.toml"
    fixed = [
        'simulation.duration = "0.3 s"',
        "network.n_exc = 80",
        "network.n_inh = 20",
        "recording.n_traced = 0",
        "output.figures = false",
        'validity.max_rate_exc = "200 Hz"',
        'validity.max_rate_inh = "400 Hz"',
    ]
    spec_file.write_text(
        f'name = "guard"\nbase = "{QUICK.as_posix()}"\nseed = 1\nkind = "grid"\n'
        "[set]\n" + "\n".join(fixed) + "\n\n"
        '[[axes]]\npath = "synapses.gaba_scale"\nvalues = [1.0, 0.0]\n'
    )
    result = run_sweep(load_sweep(spec_file), tmp_path / "out", workers=1, progress=False)
    assert len(result.failed) == 1 and len(result.ran) == 1
    failed = tmp_path / "out" / "runs" / result.failed[0]
    assert run_status(failed) == INVALID
    assert storage.is_invalid(failed)
    assert (failed / "data.h5").exists()  # kept for inspection
    assert run_status(tmp_path / "out" / "runs" / result.ran[0]) == DONE
    table = collect_table(tmp_path / "out").to_pydict()
    rows = [
        (status, error)
        for rid, status, error in zip(table["run_id"], table["status"], table["error"], strict=True)
        if rid == result.failed[0]
    ]
    assert rows == [(INVALID, rows[0][1])] and rows[0][1].startswith("run invalid: E rate")
    values = [
        v for rid, v in zip(table["run_id"], table["value"], strict=True) if rid == result.failed[0]
    ]
    assert all(v is None or np.isnan(v) for v in values)  # no measure of it in the table


def test_experiment_counts_an_invalid_run_as_failed_and_analyses_leave_it_out(tmp_path):
    from neuroplast.studies.analyse import analyse
    from neuroplast.studies.comparison import RunsFailed, run_comparison

    cfg = tiny(
        *TINY_BOUNDS,
        "output.figures=false",
        'conditions.control.description="as configured"',
        "conditions.disinhibited.set={'synapses.gaba_scale' = 0.0}",
    )
    out = tmp_path / "exp"
    with pytest.raises(RunsFailed, match="disinhibited seed 1: run invalid: E rate"):
        run_comparison(cfg, out, log=lambda line: None)
    assert storage.is_invalid(out / "runs" / "disinhibited" / "seed_1")
    assert not storage.is_invalid(out / "runs" / "control" / "seed_1")
    analyse(out, cfg)
    conditions = {line.split(",")[0] for line in (out / "measures.csv").read_text().splitlines()}
    assert "disinhibited" not in conditions and "control" in conditions
    analyse(out, cfg, include_invalid=True)
    conditions = {line.split(",")[0] for line in (out / "measures.csv").read_text().splitlines()}
    assert "disinhibited" in conditions


@pytest.mark.slow
@pytest.mark.standalone
def test_runaway_stops_a_cpp_standalone_run(tmp_path):
    cfg = tiny(
        "synapses.gaba_scale=0",
        *TINY_BOUNDS,
        'validity.window="0.1 s"',
        "simulation.backend=cpp_standalone",
        f'simulation.standalone_dir="{tmp_path}"',
        duration="1 s",
    )
    recording = simulate(cfg, derive_seeds(cfg.seed))
    assert recording.validity["check"] == "rate_exc"
    assert recording.validity["at_s"] == pytest.approx(0.1)
    assert recording.duration < 0.2
    assert recording.spike_t.max() < 0.11
