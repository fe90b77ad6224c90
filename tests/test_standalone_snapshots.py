"""Connectivity snapshots in C++ standalone runs.

Standalone cannot stop for Python to read the E->E pool mid-run; the pool is copied into
per-snapshot variables between the ``run`` calls of one program (experiment.py).  Checked
here on a small protocol: every probe day has its snapshot; the first one is the initial
graph; the last one, taken at the end of the protocol, is the final pool (same synapses
and birth days); births inside a snapshot never postdate it.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_comparison import _config  # noqa: I001  (tests/ is on sys.path)

from neuroplast import protocol
from neuroplast.config import config_from_dict
from neuroplast.experiment import run_seeds, simulate


@pytest.mark.standalone
def test_standalone_run_stores_a_snapshot_at_every_probe(tmp_path):
    data = _config()
    data["simulation"] = {"backend": "cpp_standalone", "standalone_dir": str(tmp_path / "cpp")}
    data["protocol"]["probes"] = [{"phase": "baseline"}, {"phase": "treatment"}]
    cfg = protocol.resolve_condition(config_from_dict(data), "ketamine_therapy")
    assert [float(d) / 86400 for d in cfg.recording.snapshots] == [0.0, 0.5, 1.0]

    rec = simulate(cfg, run_seeds(cfg))

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
    # STDP may still act in the part of a schedule step after the last probe
    np.testing.assert_allclose(last["w"], pool["w"][alive], atol=0.05)
    for name, snap in rec.snapshots.items():
        assert snap["birth_day"].max() <= float(name[4:]) + 1e-3
    # the plastic network did change between the probes
    assert not np.array_equal(rec.snapshots["day_0.5"]["w"], last["w"])
