"""Structure that learns (issue #16): correlated input wires a group together, sham does not.

Half-size network (400 E / 100 I, C++ standalone) with the rules that let activity
decide which synapses form and survive (``hebbian`` rewiring with the ``population``
co-activity signal, triplet STDP, synaptic scaling).  An 80-cell group gets ten daily
1-h sessions of pulsed input: either pulses to the whole group at once (correlated) or
each pulse to a fresh random set of 80 cells (sham: the same amount and timing of input,
no consistent group).  The same seed gives every run the same initial network.

* The hand-made input is the recall cue's intensity (1.0), strong enough that the group
  follows it.  The group's within-group connection probability p_in gains more under
  correlated input than under sham, by more than three standard errors of the
  difference (the within-group formations and eliminations of both runs, counted as
  Poisson events).
* Bounded: at three times the default therapy intensity (0.45), p_in stays below the
  candidate pool's probability (candidate_factor x p_connect = 0.6: p_in cannot exceed
  it) and the mean rate (calcium sensor) of the group and of all pyramidal cells stays
  below twice their mean set point.

About 3 x 5 min of CPU: marked ``calibration``.

Measured (issue #16, 2026-12-07, seed 20261207): at intensity 1.0 the correlated p_in
gain is +0.042 and sham's -0.006 (standard error of the difference 0.006) with the
``population`` signal; with the ``bcm`` signal +0.011 and -0.005.  At 0.45, before the
signal was read over each presynaptic cell's mean (commit c2344c1), the difference was
+0.014 (2.4 standard errors) with ``population`` and +0.002 (``bcm``) and +0.004
(``covariance``) with the rate-trace signals.
"""

from __future__ import annotations

import numpy as np
import pytest

from neuroplast.config.experiment import config_from_dict
from neuroplast.simulation.simulate import derive_seeds, simulate

pytestmark = [pytest.mark.calibration, pytest.mark.standalone]

N_EXC, GROUP, SESSIONS = 400, 80, 10
#: the hand-made correlated input (and its sham): the recall cue's intensity
CUE_INTENSITY = 1.0
#: three times the default therapy intensity (0.15)
BOUND_INTENSITY = 0.45
#: the hebbian rule's co-activity drive under test
SIGNAL = "population"


def _run(pattern: str, signal: str, intensity: float):
    cfg = config_from_dict(
        {
            "seed": 20261207,
            "simulation": {"backend": "cpp_standalone"},
            "network": {"n_exc": N_EXC, "n_inh": 100},
            "recording": {"n_traced": 0, "spikes": False, "snapshots": ["1 day"]},
            "output": {"figures": False},
            "recall": {"enabled": False},
            "timescale": {"enabled": True, "bio_duration": f"{SESSIONS + 2} days"},
            "plasticity": {
                "structural": {"enabled": True, "rule": "hebbian", "options": {"signal": signal}},
                "stdp": {"enabled": True, "rule": "triplet"},
                "scaling": {"enabled": True},
            },
            "assemblies": {"group": {"size": GROUP}},
            "therapy": {
                "intensity": intensity,
                "sessions": [
                    {
                        "start": f"{day} days",
                        "duration": "1 h",
                        "assembly": "group",
                        "pattern": pattern,
                        "kind": "therapy",
                    }
                    for day in range(1, SESSIONS + 1)
                ],
            },
        }
    )
    return cfg, simulate(cfg, derive_seeds(cfg.seed))


@pytest.fixture(scope="module")
def runs():
    return {pattern: _run(pattern, SIGNAL, CUE_INTENSITY) for pattern in ("pulses", "sham")}


@pytest.fixture(scope="module")
def bound_run():
    return _run("pulses", SIGNAL, BOUND_INTENSITY)


def _within(snapshot, group: np.ndarray) -> set[tuple[int, int]]:
    members = np.zeros(N_EXC, dtype=bool)
    members[group] = True
    i, j = np.asarray(snapshot["i"]), np.asarray(snapshot["j"])
    if "alive" in snapshot:
        live = np.asarray(snapshot["alive"]) > 0
        i, j = i[live], j[live]
    keep = members[i] & members[j]
    return set(zip(i[keep].tolist(), j[keep].tolist(), strict=True))


def _change(rec):
    """p_in gain from day 1 to the end, and the within-group synapses formed + removed."""
    group = rec.assemblies["group"]
    before = _within(rec.snapshots["day_1"], group)
    after = _within(rec.ee_pool, group)
    pairs = GROUP * (GROUP - 1)
    return (len(after) - len(before)) / pairs, len(after ^ before)


def test_correlated_input_raises_p_in_and_sham_does_not(runs):
    (gain, events), (sham_gain, sham_events) = (_change(runs[p][1]) for p in ("pulses", "sham"))
    se = np.sqrt(events + sham_events) / (GROUP * (GROUP - 1))
    assert gain - sham_gain > 3 * se, (gain, sham_gain, se)


def test_three_times_the_default_therapy_stays_bounded(bound_run):
    cfg, rec = bound_run
    group = rec.assemblies["group"]
    final = _within(rec.ee_pool, group)
    pool_probability = cfg.plasticity.structural.candidate_factor * cfg.network.p_connect
    assert len(final) / (GROUP * (GROUP - 1)) < pool_probability
    days, calcium = rec.slow["bio_days"], rec.slow["calcium"][:N_EXC]
    window_end = float(cfg.set_point.window) * cfg.timescale.rate / 86400
    first = int(np.argmax(days > window_end + 1e-6))  # the calcium sensors at the set points
    for cells in (group, np.arange(N_EXC)):
        assert calcium[cells, -1].mean() < 2 * calcium[cells, first].mean()
