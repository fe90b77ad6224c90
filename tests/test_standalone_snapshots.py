"""Connectivity snapshots in C++ standalone runs.

Standalone cannot stop for Python to read the E->E pool mid-run; inside one ``run`` the
program copies the pool into per-snapshot variables at the rewiring step nearest each
snapshot day (pool.snapshot_steps).  Checked here on a small protocol: every probe
day has its snapshot; the first one is the initial graph; the last one, at the end of the
protocol, is the final pool; births inside a snapshot never postdate the step it was
taken at, and that step is within half a rewiring interval of the requested day; the
program has one set of code objects (one ``run`` call), not one per snapshot; and taking
snapshots changes nothing in the simulation (the same run without them is identical).

Compile once, run many (rerun.py): the numbers of a re-run must be those of a fresh
build of the same config and seed.  A ketamine dose of 0.5 mg/kg is run once on its own
build, and once by re-running the program built for 0.25 mg/kg with the new
concentration and occupancy curves passed on the command line; the two doses must give
different networks (else the check could not fail).  The tests share one project
folder, so that only the first build is cold.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_comparison import _config  # noqa: I001  (tests/ is on sys.path)

from neuroplast.config import conditions
from neuroplast.config.experiment import config_from_dict
from neuroplast.simulation import rerun
from neuroplast.simulation.pool import snapshot_steps
from neuroplast.simulation.schedules import build_schedules
from neuroplast.simulation.simulate import drug_curves, run_seeds, simulate


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory):
    """One C++ project folder for this module: later builds are incremental."""
    return tmp_path_factory.mktemp("cpp")


def probed_config(project_dir, dose: str = "0.5 mg/kg", probed: bool = True):
    """The small two-phase protocol, ketamine + therapy, probed in both phases (or never)."""
    data = _config()
    data["simulation"] = {"backend": "cpp_standalone", "standalone_dir": str(project_dir)}
    data["protocol"]["probes"] = [{"phase": "baseline"}, {"phase": "treatment"}] if probed else []
    data["protocol"]["probe_phase_ends"] = probed
    data["protocol"]["doses"][0]["dose"] = dose
    return conditions.resolve_condition(config_from_dict(data), "ketamine_therapy")


@pytest.fixture(scope="module")
def probed_run(project_dir):
    cfg = probed_config(project_dir)
    return cfg, simulate(cfg, run_seeds(cfg))


@pytest.mark.standalone
def test_standalone_run_stores_a_snapshot_at_every_probe(project_dir, probed_run):
    cfg, rec = probed_run
    assert [float(d) / 86400 for d in cfg.recording.snapshots] == [0.0, 0.5, 1.0]

    assert sorted(rec.snapshots) == ["day_0", "day_0.5", "day_1"]
    first, last = rec.snapshots["day_0"], rec.snapshots["day_1"]
    # the initial graph: every synapse drawn at build time, born "before day 0"
    assert len(first["i"]) == rec.n_synapses["EE"]
    assert np.all(first["birth_day"] == -1.0)
    # the last probe is the end of the protocol: the final pool, synapse for synapse
    pool = rec.ee_pool
    alive = pool["alive"] > 0
    np.testing.assert_array_equal(last["i"], pool["i"][alive])
    np.testing.assert_array_equal(last["j"], pool["j"][alive])
    np.testing.assert_array_equal(last["birth_day"], pool["birth_day"][alive])
    np.testing.assert_array_equal(last["w"], pool["w"][alive])
    # each snapshot holds the births before its step (a birth day is the biological time
    # at the middle of its schedule step), and that step is within half a rewiring
    # interval (1 s of network time here) of the requested day
    schedules = build_schedules(cfg, drug_curves(cfg))
    dt = float(cfg.simulation.dt)
    half = 0.5 * float(cfg.plasticity.structural.update_interval)
    names = sorted(rec.snapshots, key=lambda name: float(name[4:]))
    steps, _ = snapshot_steps(cfg, schedules)
    for name, step in zip(names, steps, strict=True):
        snap = rec.snapshots[name]
        taken = float(schedules.time_map.bio_at(step * dt + 0.5 * schedules.resolution))
        assert snap["birth_day"].max() <= taken / 86400 + 1e-6, name
        requested = schedules.time_map.sim_at(float(name[4:]) * 86400)
        assert abs(step * dt - requested) <= half + dt, name
    # one run: no code object generated twice
    objects = [path.stem for path in (project_dir / "slot-0" / "code_objects").glob("*.cpp")]
    assert objects and not [name for name in objects if "codeobject_" in name]
    # the plastic network did change between the probes
    assert not np.array_equal(rec.snapshots["day_0.5"]["w"], last["w"])


@pytest.mark.standalone
def test_taking_snapshots_leaves_the_simulation_unchanged(project_dir, probed_run):
    """Snapshots only observe: the same run without them gives the same numbers."""
    _, probed = probed_run
    plain = probed_config(project_dir, probed=False)
    rec = simulate(plain, run_seeds(plain))
    assert rec.snapshots == {} and len(probed.snapshots) == 3
    np.testing.assert_array_equal(rec.rate_exc, probed.rate_exc)
    for name, values in probed.slow.items():
        np.testing.assert_array_equal(rec.slow[name], values, err_msg=name)
    for name in ("i", "j", "w", "alive", "birth_day"):
        np.testing.assert_array_equal(rec.ee_pool[name], probed.ee_pool[name], err_msg=name)


@pytest.mark.standalone
def test_a_rerun_gives_the_numbers_of_a_fresh_build(project_dir, probed_run):
    high, fresh = probed_run  # 0.5 mg/kg on its own build
    low = probed_config(project_dir, "0.25 mg/kg")
    try:
        built = simulate(low, run_seeds(low), reuse_build=True)
        again = simulate(high, run_seeds(high), reuse_build=True)
    finally:
        rerun.release()
    assert again.wall_time.get("reused_build") == 1.0
    assert again.wall_time["compile_s"] == 0.0

    # the doses make a difference (so the comparison below can fail) ...
    assert not np.allclose(built.schedules["occupancy_inh"], fresh.schedules["occupancy_inh"])
    assert not np.array_equal(built.rate_exc, fresh.rate_exc)
    assert not np.array_equal(built.slow["activity"], fresh.slow["activity"])
    # ... and the re-run reproduces the fresh build exactly
    np.testing.assert_array_equal(again.rate_exc, fresh.rate_exc)
    np.testing.assert_array_equal(again.rate_inh, fresh.rate_inh)
    np.testing.assert_array_equal(
        again.schedules["occupancy_inh"], fresh.schedules["occupancy_inh"]
    )
    assert sorted(again.slow) == sorted(fresh.slow)
    for name, values in fresh.slow.items():
        np.testing.assert_array_equal(again.slow[name], values, err_msg=name)
    for name in ("i", "j", "w", "alive", "birth_day"):
        np.testing.assert_array_equal(again.ee_pool[name], fresh.ee_pool[name], err_msg=name)
    assert sorted(again.snapshots) == sorted(fresh.snapshots)
    for day, snap in fresh.snapshots.items():
        np.testing.assert_array_equal(again.snapshots[day]["w"], snap["w"], err_msg=day)
