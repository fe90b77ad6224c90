"""Shared fixtures: configs and simulations that several tests read (run once per session)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from pathlib import Path

import numpy as np
import pytest

from neuroplast.config import load_config
from neuroplast.experiment import derive_seeds, simulate

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"

#: The costliest test files, costliest first: seconds of one worker from cold caches
#: (Python 3.11, brian2 2.9, `pytest --durations=0`, 2026-12-06): comparison 316,
#: mechanisms 193, rewiring 109, standalone_snapshots 106, trapping 105, activity 84,
#: two_clocks 75, recall 70, acute_pipeline 59, sweep 46; every other file < 20.
#: pytest-xdist hands whole files to the two workers in collection order
#: (`--dist loadfile --no-loadscope-reorder`, pyproject.toml), so starting with these
#: lets the workers finish together: measured, one worker had 724 s of the 1245 s when
#: xdist ordered files by their number of tests.
COSTLIEST_FIRST = (
    "test_comparison.py",
    "test_mechanisms.py",
    "test_rewiring.py",
    "test_standalone_snapshots.py",
    "test_trapping.py",
    "test_activity.py",
    "test_two_clocks.py",
    "test_recall.py",
    "test_acute_pipeline.py",
    "test_sweep.py",
)


def pytest_collection_modifyitems(config, items):
    """Run the costliest files first (COSTLIEST_FIRST); the rest keep their order."""
    rank = {name: k for k, name in enumerate(COSTLIEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


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
