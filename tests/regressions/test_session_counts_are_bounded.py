"""Regression: a dose or therapy ``count`` of 10^9 was accepted and never finished validating.

Found while fuzzing the protocol schema (tests/test_config_fuzz.py): validation expands
every session of a repeated dose (its PK peak, the IV line) at about 1 ms each, so
``count = 1000000000`` with ``every = "0.5 h"`` hung ``neuroplast validate``.  A count is
now at most :data:`~neuroplast.model.pharmacology.doses.MAX_SESSIONS` (1000: about three
years of daily doses), refused in one line.
"""

from __future__ import annotations

import pytest

from neuroplast.config.experiment import ConfigError, load_config
from neuroplast.model.pharmacology.doses import MAX_SESSIONS

ORAL = 'pharmacology.doses=[{{route = "oral", dose = "10 mg", count = {count}, every = "0.5 h"}}]'


def test_a_dose_count_beyond_the_bound_is_refused_at_once():
    with pytest.raises(ConfigError) as err:
        load_config(None, ["timescale.enabled=true", ORAL.format(count=10**9)])
    message = str(err.value)
    assert "\n" not in message
    assert "pharmacology.doses.0.count = 1000000000" in message
    assert f"less than or equal to {MAX_SESSIONS}" in message


def test_a_therapy_count_beyond_the_bound_is_refused():
    therapy = 'protocol.therapy=[{phase = "p", start = "1 h", count = 1001, every = "2 h"}]'
    with pytest.raises(ConfigError, match=r"protocol\.therapy\.0\.count = 1001"):
        load_config(None, ['protocol.phases=[{name = "p", duration = "100 days"}]', therapy])


def test_a_year_of_daily_doses_is_still_accepted():
    daily = ORAL.format(count=365).replace("0.5 h", "24 h")
    cfg = load_config(None, ["timescale.enabled=true", 'timescale.bio_duration="366 days"', daily])
    assert len(cfg.pharmacology.schedule()) == 365
