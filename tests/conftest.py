"""Shared fixtures: configs and simulations that several tests read (run once per session)."""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import math
import os
from pathlib import Path

import numpy as np
import pytest

from neuroplast.config.experiment import load_config
from neuroplast.simulation.simulate import derive_seeds, simulate

# The suite's many short runs compile their code at -O1 rather than brian2's -O3: about
# 30 % less compiling, the same numbers (backend.OPT_LEVEL_VARIABLE).  Set before any test
# runs, so the processes the tests start (CLI runs, sweep and Dask workers) inherit it;
# NEUROPLAST_OPT_LEVEL=3 pytest tests the default build.
os.environ.setdefault("NEUROPLAST_OPT_LEVEL", "1")

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
QUICK = CONFIGS / "quick.toml"

#: Validity bounds above the rates of the uncalibrated 80 E / 20 I test networks (E ~65 Hz,
#: I ~150 Hz), which the physiological defaults (50 / 150 Hz) judge invalid, as
#: tests/test_validity.py checks; tests of other things on these networks raise them.
TINY_VALIDITY = {"max_rate_exc": "200 Hz", "max_rate_inh": "400 Hz"}

#: CLI overrides for a network small and short enough for a run to take about a second.
TINY = [
    "--set",
    'simulation.duration="0.2 s"',
    "--set",
    "network.n_exc=80",
    "--set",
    "network.n_inh=20",
    "--set",
    "recording.n_traced=0",
    "--set",
    "output.figures=false",
    "--set",
    f'validity.max_rate_exc="{TINY_VALIDITY["max_rate_exc"]}"',
    "--set",
    f'validity.max_rate_inh="{TINY_VALIDITY["max_rate_inh"]}"',
    "--quiet",
]


@pytest.fixture(autouse=True, scope="module")
def _older_objects_left_out_of_garbage_collection():
    """Every ``Network.run`` of brian2 starts with a full ``gc.collect()``, whose time grows
    with every object in the process: late in a test worker's life (brian2's caches of
    parsed equations, the fixtures of earlier files), a test that calls ``run`` hundreds
    of times took five times as long as alone.  At the start of each test file, collect,
    then move what is left to the collector's permanent generation (``gc.freeze``): the
    file's own objects are collected as usual, the older ones only at the next file."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope="session")
def quick_config_path() -> Path:
    return CONFIGS / "quick.toml"


def load(name: str, *overrides: str):
    """Load ``configs/<name>.toml`` with overrides."""
    return load_config(CONFIGS / f"{name}.toml", list(overrides))


@pytest.fixture(scope="session")
def default_cython_run():
    """The default network, 6 s of network time on cython (compiled once per session)."""
    cfg = load("default", 'simulation.duration="6 s"', "recording.n_traced=0")
    return cfg, simulate(cfg, derive_seeds(cfg.seed))


def assert_same_records(a, b) -> None:
    """Assert two dataclass records (or lists of them) are equal field by field, NaN == NaN.

    Dataclass ``==`` compares fields with ``==`` from Python 3.13 on, where NaN != NaN;
    before, it compared tuples, in which the same NaN object equals itself.  Results with
    undefined statistics (NaN) must compare equal when they are the same.
    """
    if isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), f"{len(a)} vs {len(b)} records"
        for x, y in zip(a, b, strict=True):
            assert_same_records(x, y)
        return
    assert type(a) is type(b), f"{type(a).__name__} vs {type(b).__name__}"
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
            continue
        assert x == y, f"{type(a).__name__}.{f.name}: {x!r} != {y!r}"


def digest(*arrays) -> str:
    """SHA-256 of arrays in a fixed byte order (little-endian int64 / float64)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        h.update(a.astype("<f8" if a.dtype.kind == "f" else "<i8").tobytes())
    return h.hexdigest()[:16]
