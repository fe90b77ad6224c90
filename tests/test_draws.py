"""Version-stable random draws (neuroplast.model.draws) and the graphs drawn with them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import digest

from neuroplast.model import draws
from neuroplast.model.synapses import random_projection


def test_uniform_is_generator_random_today():
    # the same numbers as numpy's own uniform draw (so no graph changed for that part)
    np.testing.assert_array_equal(
        draws.uniform(np.random.default_rng(5), 1000), np.random.default_rng(5).random(1000)
    )


def test_uniform_is_the_same_on_every_numpy():
    # PCG64's raw stream is stable across numpy versions (NEP 19); these digests were taken
    # on numpy 2.3.5 (Python 3.11) and hold on 2.5.5 (Python 3.13)
    assert digest(draws.uniform(np.random.default_rng(12345), 1000)) == "3e0ee59d5642fe78"


def test_projection_is_the_same_on_every_numpy():
    # seed 371860575 is the quick network's connectivity seed at root seed 7, whose graph
    # differed between numpy 2.3 and 2.5 when it was drawn with Generator.binomial
    i, j = random_projection(np.random.default_rng(371860575), 400, 400, 0.2, same_population=True)
    assert digest(i, j) == "49b9992bf27560f2"


def test_projection_has_the_erdos_renyi_degree_distribution():
    n, p = 400, 0.2
    i, j = random_projection(np.random.default_rng(3), n, n, p, same_population=True)
    out_degree = np.bincount(i, minlength=n)
    # Binomial(n - 1, p): mean 79.8, variance 63.84; 400 samples give the mean to 0.4
    assert out_degree.mean() == pytest.approx((n - 1) * p, abs=4 * math.sqrt(63.84 / n))
    assert out_degree.var(ddof=1) == pytest.approx((n - 1) * p * (1 - p), rel=0.25)
    # sorted by source, then target, as brian2's connect() is given them
    assert np.all(np.diff(i) >= 0)
    assert np.all(np.diff(j)[np.diff(i) == 0] > 0)


def test_sample_draws_every_subset_equally_often():
    rng = np.random.default_rng(0)
    counts: dict[tuple[int, ...], int] = {}
    for _ in range(6000):
        key = tuple(sorted(draws.sample(rng, 4, 2).tolist()))
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 6  # all C(4, 2) subsets
    # 1000 expected each; binomial sd 29: 5 sd
    assert all(abs(c - 1000) < 150 for c in counts.values())


def test_sample_refuses_more_items_than_the_population():
    with pytest.raises(ValueError, match="cannot draw 5 of 4"):
        draws.sample(np.random.default_rng(0), 4, 5)


@pytest.mark.parametrize("lam", [0.3, 7.0, 72.0, 480.0])
def test_poisson_has_the_right_mean_and_variance(lam):
    counts = draws.poisson(np.random.default_rng(1), lam, 100_000)
    se = math.sqrt(lam / 100_000)
    assert counts.mean() == pytest.approx(lam, abs=5 * se)
    # a Poisson sample's variance has relative sd sqrt(2 / n) sqrt(1 + 1 / (2 lam)): 5 sd
    rel = 5 * math.sqrt(2 / 100_000) * math.sqrt(1 + 1 / (2 * lam))
    assert counts.var() == pytest.approx(lam, rel=rel)


def test_poisson_of_zero_and_bad_means():
    assert not draws.poisson(np.random.default_rng(1), 0.0, 10).any()
    with pytest.raises(ValueError, match="Poisson mean"):
        draws.poisson(np.random.default_rng(1), float("nan"), 10)
