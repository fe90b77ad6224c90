"""Two clocks and the stress schedule: mappings that must hold exactly."""

from __future__ import annotations

import numpy as np
import pytest

from neuroplast.config.experiment import ConfigError, load_config
from neuroplast.model.stress import StressConfig, stress_level
from neuroplast.model.timescale import TimescaleConfig, build_time_map
from neuroplast.units import SECONDS_PER_DAY

DAY = SECONDS_PER_DAY


def test_default_mapping_is_ten_seconds_per_day():
    time_map = build_time_map(TimescaleConfig(bio_duration="7 days"))
    assert time_map.sim_duration == pytest.approx(70.0)
    assert time_map.bio_at(10.0) == pytest.approx(DAY)


def test_session_windows_run_at_the_session_rate():
    cfg = TimescaleConfig(bio_duration="3 days", session_before="0.5 h", session_after="6 h")
    time_map = build_time_map(cfg, session_times=[DAY])
    # 6.5 h at 360 (65 s) plus the rest of the 3 days at 8640
    rest = 3 * DAY - 6.5 * 3600
    assert time_map.sim_duration == pytest.approx(6.5 * 3600 / 360 + rest / 8640)
    session_sim = time_map.sim_at(DAY + 3600)
    assert time_map.rate_at_sim(session_sim) == 360
    assert time_map.rate_at_sim(time_map.sim_at(2.5 * DAY)) == 8640


def test_bio_and_sim_time_are_inverse_and_monotone():
    cfg = TimescaleConfig(bio_duration="10 days")
    time_map = build_time_map(cfg, session_times=[2 * DAY, 2.1 * DAY, 6 * DAY])
    bio = np.linspace(0, 10 * DAY, 1001)
    sim = time_map.sim_at(bio)
    assert np.all(np.diff(sim) > 0)
    np.testing.assert_allclose(time_map.bio_at(sim), bio, rtol=1e-12, atol=1e-6)


def test_overlapping_session_windows_merge():
    cfg = TimescaleConfig(bio_duration="2 days", session_before="0 h", session_after="6 h")
    time_map = build_time_map(cfg, session_times=[0.5 * DAY, 0.5 * DAY + 3 * 3600])
    assert list(time_map.rates) == [8640, 360, 8640]
    assert time_map.bio_edges[2] == pytest.approx(0.5 * DAY + 9 * 3600)


def test_stress_level_follows_its_episodes():
    cfg = StressConfig(episodes=[{"onset": "7 days", "duration": "21 days", "severity": 0.8}])
    level = stress_level(cfg, np.array([0, 6.99, 7.0, 20, 27.99, 28.0]) * DAY)
    np.testing.assert_allclose(level, [0, 0, 0.8, 0.8, 0.8, 0])


def test_stress_severity_outside_unit_interval_is_rejected():
    with pytest.raises(ConfigError, match=r"stress.episodes.0.severity = 1.5"):
        load_config(None, ["stress.episodes=[{severity = 1.5}]"])


def test_plasticity_without_the_slow_clock_is_rejected():
    with pytest.raises(ConfigError, match="needs timescale.enabled = true"):
        load_config(None, ["plasticity.structural.enabled=true"])
