"""Recall-probe read-outs on synthetic spikes (recall.py; the full probe runs in
tests/test_comparison.py).

* co-activity: independent Poisson trains give a mean pairwise correlation near 0,
  identical trains give 1 (chi^2 = 1/N + (1 - 1/N) r);
* rates over windows count spikes per cell and second.
"""

from __future__ import annotations

import numpy as np
import pytest

from neuroplast.config import config_from_dict
from neuroplast.recall import _coactivity_rows, _rate


def _cfg():
    return config_from_dict(
        {"timescale": {"enabled": True, "bio_duration": "12 s"}, "recall": {"quiet": "10 s"}}
    )


def _poisson(n, rate, start, stop, rng):
    counts = rng.poisson(rate * (stop - start), size=n)
    i = np.repeat(np.arange(n), counts)
    t = rng.uniform(start, stop, size=counts.sum())
    return i, t


def test_independent_trains_have_no_coactivity():
    rng = np.random.default_rng(0)
    i, t = _poisson(200, 10.0, 0.0, 12.0, rng)
    rows = {r.measure: r.value for r in _coactivity_rows(_cfg(), i, t, 200, "c", 1, 0.0)}
    # 490 bins of 20 ms: the sd of a pairwise correlation estimate is ~1/sqrt(490) = 0.045,
    # of the mean over 200 cells about that over sqrt(200 * 199 / 2) -> |r| < 0.01 is 4 sd
    assert abs(rows["coactivity_corr_exc"]) < 0.01
    assert rows["coactivity_chi_exc"] == pytest.approx(1 / np.sqrt(200), rel=0.25)


def test_identical_trains_are_fully_coactive():
    rng = np.random.default_rng(1)
    _, times = _poisson(1, 10.0, 0.0, 12.0, rng)
    n = 50
    i = np.repeat(np.arange(n), len(times))
    t = np.tile(times, n)
    rows = {r.measure: r.value for r in _coactivity_rows(_cfg(), i, t, n, "c", 1, 0.0)}
    assert rows["coactivity_chi_exc"] == pytest.approx(1.0)
    assert rows["coactivity_corr_exc"] == pytest.approx(1.0)


def test_rate_counts_spikes_per_cell_and_second():
    i = np.array([0, 0, 1, 2, 2, 2])
    t = np.array([0.1, 0.6, 0.2, 1.1, 1.2, 1.3])
    assert _rate(i, t, np.array([0, 1]), [(0.0, 1.0)]) == pytest.approx(1.5)
    assert _rate(i, t, np.array([2]), [(0.0, 0.5), (1.0, 1.5)]) == pytest.approx(3.0)
