"""Shared fixtures: configs and simulations that several tests read (run once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from neuroplast.config import load_config
from neuroplast.experiment import derive_seeds, simulate

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


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
