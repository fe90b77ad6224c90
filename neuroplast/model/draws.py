"""Random draws that give the same numbers on every numpy version.

numpy keeps the raw streams of its bit generators stable across versions, but not the
distributions it builds on them (NEP 19).  numpy 2.5 corrected the acceptance test of
``Generator.binomial``'s BTPE sampler (used when n·min(p, 1 − p) ≥ 30; numpy PR 31238):
from the same seed, our 400-cell connectivity then differed from numpy 2.3's for some
seeds, and so did every spike.  Everything that decides a run's network and its input
(connectivity, assemblies, therapy input) is therefore drawn here, from the bit
generator's raw 64-bit words, by constructions that are exact and written out below:

* uniform doubles in [0, 1): the top 53 bits of a word times 2⁻⁵³ (what
  ``Generator.random`` computes today, so its values are unchanged);
* k of n items without replacement: the k items with the smallest uniform keys
  (every k-subset equally likely, in random order);
* Poisson counts by inversion of the cumulative distribution (exact to double precision).

The generator passed in is advanced as by any other draw.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["poisson", "sample", "uniform"]

_TWO_TO_MINUS_53 = 1.0 / 9007199254740992.0


def uniform(rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` doubles uniform on [0, 1) from ``rng``'s raw stream."""
    if size == 0:
        return np.zeros(0)
    raw = rng.bit_generator.random_raw(int(size))
    return (raw >> np.uint64(11)).astype(np.float64) * _TWO_TO_MINUS_53


def sample(rng: np.random.Generator, population, k: int) -> np.ndarray:
    """``k`` distinct items of ``population`` (an int n means ``range(n)``), in random order."""
    items = np.arange(population) if np.isscalar(population) else np.asarray(population)
    if not 0 <= k <= len(items):
        raise ValueError(f"cannot draw {k} of {len(items)} items without replacement")
    keys = uniform(rng, len(items))
    return items[np.argsort(keys, kind="stable")[:k]]


def poisson(rng: np.random.Generator, lam: float, size: int) -> np.ndarray:
    """``size`` Poisson counts of mean ``lam``, by inversion (one uniform per count).

    The cumulative distribution is summed up to ``lam + 12 sqrt(lam) + 20``, beyond which
    the tail mass is below double precision for any ``lam``; a uniform above the sum
    (probability < 1e-16) returns the bound plus one.
    """
    if lam < 0 or not math.isfinite(lam):
        raise ValueError(f"Poisson mean {lam!r}: expected a finite value >= 0")
    u = uniform(rng, size)
    if lam == 0:
        return np.zeros(size, dtype=np.int64)
    top = int(lam + 12.0 * math.sqrt(lam) + 20)
    k = np.arange(top + 1)
    # log pmf = k log(lam) - lam - log(k!), summed in log space: no overflow for large lam
    log_pmf = k * math.log(lam) - lam - np.cumsum(np.r_[0.0, np.log(k[1:])])
    cdf = np.cumsum(np.exp(log_pmf))
    return np.searchsorted(cdf, u, side="right").astype(np.int64)
