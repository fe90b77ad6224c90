"""The ``hebbian`` rewiring rule on the compiled backends (cython and C++ standalone).

Split from test_hebbian.py: these two runs compile the rule's code for each backend
(124/97 s and under 50 s in CI), the rest of that file runs on numpy, and the two
workers can take one file each.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_rules import _plastic  # tests/ is on sys.path

from neuroplast.config import config_from_dict
from neuroplast.simulation.simulate import derive_seeds, simulate


@pytest.mark.slow
@pytest.mark.standalone
@pytest.mark.parametrize("backend", ["cython", "cpp_standalone"])
def test_the_rule_runs_on_every_backend_and_keeps_its_books(backend, tmp_path):
    """Generated for cython and C++ as for numpy (axonal elements, triplet STDP and the
    ``population`` signal with its population sums on).

    The synapse count is the initial one plus the formed minus the eliminated at every
    sample, nascent synapses are some of those formed, the co-activity signal is finite,
    the weights are bounded and the axonal elements stay near the out-degrees.
    """
    data = _plastic("hebbian", axonal_elements=True, signal="population")
    data["plasticity"]["stdp"] = {"enabled": True, "rule": "triplet"}
    data["simulation"] = {"backend": backend, "standalone_dir": str(tmp_path / "cpp")}
    data["timescale"]["bio_duration"] = "1.5 days"
    cfg = config_from_dict(data)
    slow = simulate(cfg, derive_seeds(cfg.seed)).slow
    alive, formed, eliminated = (slow[k].sum(axis=0) for k in ("n_alive", "formed", "eliminated"))
    np.testing.assert_array_equal(alive, alive[0] + formed - eliminated)
    assert formed[-1] > 10
    nascent = slow["n_nascent"].sum(axis=0)
    assert 0 < nascent.max() <= formed[-1]
    assert np.isfinite(slow["hpos_mean"]).all() and (slow["hpos_mean"] >= 0).all()
    weights = slow["w_mean"][slow["n_alive"] > 0]  # triplet STDP on: weights move, bounded
    assert np.isfinite(weights).all() and 0 < weights.min() and weights.max() <= 2.0
    assert weights.std() > 0
    # every synapse has one presynaptic and one postsynaptic end: the mean axonal
    # elements follow the mean in-degree (both sides grow by the same homeostasis)
    mean_out = alive / len(slow["z_axon"])
    assert np.abs(slow["z_axon"].mean(axis=0) - mean_out).max() < 0.2 * mean_out.max()
