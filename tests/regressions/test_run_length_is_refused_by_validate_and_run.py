"""Regression: a run of no time step, or of more than brian2 can step, passed ``validate``.

Found by tests/test_config_fuzz.py (validate against run's checks before it simulates):

1. ``simulation.duration = "0.01 ms"`` (less than one ``simulation.dt``) and ``"1e10 s"``
   (1e14 steps, more than brian2's 2**40) were accepted by ``neuroplast validate``;
   ``neuroplast run`` refused them only once started, as an invalid run (exit 3, "no
   simulated time").
2. A clock that needs more schedule steps than memory holds (``timescale.rate = 1``: 6e7
   steps of ``timescale.resolution`` for 7 days, about 11 GB; ``1e-300``: 6e307) was
   accepted, and ``run`` died building the schedules (MemoryError).

Both are now refused when the config is loaded, by both commands, naming the keys.
"""

from __future__ import annotations

import pytest

from neuroplast.cli import main
from neuroplast.config.experiment import MAX_SCHEDULE_STEPS, ConfigError, load_config

CLOCK = ["timescale.enabled=true"]


@pytest.mark.parametrize(
    ("duration", "shown", "expected"),
    [
        ("0.01 ms", "1e-05 s", "expected at least one time step"),
        ("1e10 s", "1e+10 s", "1e+14 time steps of simulation.dt = '0.1 ms', expected fewer"),
    ],
)
def test_validate_and_run_refuse_a_run_of_no_or_too_many_time_steps(
    capsys, tmp_path, duration, shown, expected
):
    override = f'simulation.duration="{duration}"'
    for argv in (["validate"], ["run", "--out", str(tmp_path / "out")]):
        assert main([argv[0], "--set", override, *argv[1:]]) == 2
        err = capsys.readouterr().err
        assert f"simulation.duration = '{shown}': {expected}" in err
        assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("override", "key"),
    [("timescale.rate=1", "timescale.rate = 1)"), ("timescale.rate=1e-300", "timescale.rate")],
)
def test_a_clock_too_slow_for_memory_is_refused_with_its_size(override, key):
    with pytest.raises(ConfigError) as err:
        load_config(None, [*CLOCK, override])
    message = str(err.value)
    assert "\n" not in message
    assert "timescale.resolution = '10 ms'" in message and key in message
    assert f"expected at most {MAX_SCHEDULE_STEPS:.0e}" in message
    assert "GB" in message


def test_a_slow_session_window_is_blamed_on_its_own_rate():
    with pytest.raises(ConfigError, match=r"timescale\.windows\[0\]\.rate = 1e-06"):
        load_config(
            None, [*CLOCK, 'timescale.windows=[{start = "1 day", duration = "1 h", rate = 1e-6}]']
        )


def test_the_longest_shipped_clock_is_far_inside_the_bound():
    cfg = load_config(None, [*CLOCK, 'timescale.bio_duration="150 days"'])
    assert cfg.network_seconds() / float(cfg.timescale.resolution) < MAX_SCHEDULE_STEPS / 50
