"""`neuroplast run` end to end on configs/quick.toml: every file there, readable by plain tools."""

from __future__ import annotations

import csv
import json

import h5py
import numpy as np
import pytest

from neuroplast.cli import main
from neuroplast.simulation.storage import source_commit


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, quick_config_path):
    out = tmp_path_factory.mktemp("cli") / "quick-run"
    status = main(
        [
            "run",
            str(quick_config_path),
            "--out",
            str(out),
            "--quiet",
            "--set",
            'simulation.duration="1 s"',
        ]
    )
    assert status == 0
    return out


def test_run_directory_has_every_file(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {"config.json", "data.h5", "measures.csv", "raster.png", "rates.png"} <= names
    assert not [n for n in names if n.startswith(".")]  # no temporary files left behind


def test_a_run_writes_its_log(run_dir):
    """run.log: who ran it where, what brian2 said, how long it took (runlog.py)."""
    cfg = json.loads((run_dir / "config.json").read_text())
    text = (run_dir / "run.log").read_text()
    assert f"seed {cfg['seed']}: 400 E + 100 I on numpy, host " in text
    assert "neuroplast_commit" in text and "brian2 " in text
    assert "INFO neuroplast.run: simulated in " in text
    assert text.rstrip().splitlines()[-1].endswith(tuple(f"{k} s" for k in "0123456789"))


def test_config_json_is_the_resolved_config(run_dir):
    cfg = json.loads((run_dir / "config.json").read_text())
    assert cfg["simulation"]["duration"] == "1 s"
    assert cfg["network"]["n_exc"] == 400
    assert cfg["seed"] == 1
    assert cfg["receptors"]["nmda"]["tau_decay"] == "100 ms"  # defaults filled in


def test_hdf5_is_readable_with_plain_h5py(run_dir):
    with h5py.File(run_dir / "data.h5", "r") as h5:
        assert json.loads(h5.attrs["config"])["name"] == "quick"
        assert json.loads(h5.attrs["seeds"])["root"] == 1
        versions = json.loads(h5.attrs["versions"])
        assert {"neuroplast", "neuroplast_commit", "brian2", "numpy", "python"} <= set(versions)
        assert versions["neuroplast_commit"] == source_commit()
        assert h5.attrs["backend"] == "numpy"
        t_exc = h5["spikes/exc/t"][:]
        i_exc = h5["spikes/exc/i"][:]
        assert len(t_exc) == len(i_exc) > 0
        assert i_exc.max() < 400 and h5["spikes/inh/i"][:].max() < 100
        assert np.all((t_exc >= 0) & (t_exc <= 1.0))
        assert len(h5["rates/exc"]) == len(h5["rates/t"]) == 1000  # 1 ms bins over 1 s
        assert h5["traces/V"].shape[0] == 4  # 2 E + 2 I traced


def test_measures_csv_is_tidy(run_dir):
    with (run_dir / "measures.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {"condition", "seed", "bio_time_days", "measure", "value"} <= set(rows[0])
    measures = {r["measure"] for r in rows}
    assert {"rate_exc_hz", "rate_inh_hz", "mean_rate_exc_hz", "cv_isi_exc"} <= measures
    assert all(r["condition"] == "baseline" and r["seed"] == "1" for r in rows)


def test_existing_run_directory_is_not_overwritten(run_dir, quick_config_path, capsys):
    before = (run_dir / "data.h5").stat().st_mtime_ns
    status = main(["run", str(quick_config_path), "--out", str(run_dir), "--quiet"])
    assert status == 2
    assert "exists already" in capsys.readouterr().err
    assert (run_dir / "data.h5").stat().st_mtime_ns == before


def test_plot_command_redraws_figures(run_dir, capsys):
    (run_dir / "raster.png").unlink()
    assert main(["plot", str(run_dir)]) == 0
    assert (run_dir / "raster.png").stat().st_size > 10_000


def test_same_seed_same_numbers_through_the_cli(run_dir, quick_config_path, tmp_path):
    again = tmp_path / "again"
    assert (
        main(
            [
                "run",
                str(quick_config_path),
                "--out",
                str(again),
                "--quiet",
                "--set",
                'simulation.duration="1 s"',
                "--set",
                "output.figures=false",
            ]
        )
        == 0
    )
    with h5py.File(run_dir / "data.h5") as a, h5py.File(again / "data.h5") as b:
        np.testing.assert_array_equal(a["spikes/exc/t"][:], b["spikes/exc/t"][:])


def test_a_runs_config_json_runs_it_again(run_dir, tmp_path, capsys):
    """The resolved config a run writes is a config: validate accepts it and a run of it
    gives the same spikes and the same resolved config."""
    recorded = run_dir / "config.json"
    assert main(["validate", str(recorded)]) == 0
    again = tmp_path / "again"
    args = ["run", str(recorded), "--out", str(again), "--quiet"]
    assert main([*args, "--set", "output.figures=false"]) == 0
    with h5py.File(run_dir / "data.h5") as a, h5py.File(again / "data.h5") as b:
        np.testing.assert_array_equal(a["spikes/exc/t"][:], b["spikes/exc/t"][:])
        np.testing.assert_array_equal(a["spikes/inh/i"][:], b["spikes/inh/i"][:])
    first, second = (json.loads((d / "config.json").read_text()) for d in (run_dir, again))
    first["output"], second["output"] = {}, {}
    assert first == second


def test_a_broken_config_json_is_one_line(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text('{"seed": 1,')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("neuroplast: error:") and "not valid JSON" in err and "\n" not in err


def test_version_names_the_commit_and_the_simulator(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("neuroplast 0.") and f"(commit {source_commit()})" in out
    assert "brian2 2." in out and out.count("\n") == 1


def test_params_lists_every_parameter_with_unit_and_source(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    assert "receptors.nmda.tau_decay = 100 ms" in out
    assert "Jahr & Stevens 1990" in out


def test_validate_prints_resolved_json(capsys, quick_config_path):
    assert main(["validate", str(quick_config_path), "--set", "network.n_exc=321"]) == 0
    assert json.loads(capsys.readouterr().out)["network"]["n_exc"] == 321


def test_leftovers_of_killed_runs_are_removed_and_finished_runs_kept(tmp_path):
    from neuroplast.simulation.storage import remove_leftovers, staged_run_dir

    final = tmp_path / "seed_1"
    with staged_run_dir(final) as staging:
        (staging / "measures.csv").write_text("x")
    killed = tmp_path / ".seed_2.partial-12345"  # what a run killed mid-write leaves
    killed.mkdir()
    (killed / "data.h5").write_text("half")
    assert remove_leftovers(tmp_path) == [killed]
    assert not killed.exists() and (final / "measures.csv").read_text() == "x"
