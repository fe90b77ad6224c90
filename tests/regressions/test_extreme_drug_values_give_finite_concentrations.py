"""Regression: extreme drug values gave NaN concentrations and occupancies, or lost the dose.

Found by tests/test_config_fuzz.py (every accepted config's schedules must be finite):

1. ``pharmacology.drugs.ketamine.intercompartmental_clearance = "1e29 L/kg/min"``: the
   matrix exponential of the PK overflowed, the peak brain concentration was NaN, and
   ``NaN > 2 uM`` is false, so the validity range passed it: the run's concentration and
   occupancy schedules were NaN.  Now refused, naming the override.
2. An IC50 so small (or a Hill coefficient so large) that ``(C / IC50)^n`` overflows gave
   an occupancy of ``inf / inf = NaN``; it is 1 (full block).
3. An infusion shorter than the floating-point resolution of its start time
   (``duration = "1e-300 min"``) delivered nothing: its rate fell between the PK's time
   points and the peak was 0 uM.  It is now given as its limit, a bolus.
"""

from __future__ import annotations

import numpy as np
import pytest

from neuroplast.config.experiment import ConfigError, load_config
from neuroplast.model.pharmacology import Dose
from neuroplast.model.pharmacology.pd import combined_occupancy, occupancy
from neuroplast.model.pharmacology.pk import peak_brain_concentration

DOSED = ["timescale.enabled=true", 'pharmacology.doses=[{start = "6 h", dose = "0.5 mg/kg"}]']


@pytest.mark.filterwarnings("error::RuntimeWarning")  # refused without numpy's warnings
@pytest.mark.parametrize("clearance", ["1e+29", "1e+308"])
def test_a_pk_that_overflows_is_refused_naming_the_override(clearance):
    override = f'pharmacology.drugs.ketamine.intercompartmental_clearance="{clearance} L/kg/min"'
    with pytest.raises(ConfigError) as err:
        load_config(None, [*DOSED, override])
    message = str(err.value)
    assert "\n" not in message
    assert "peak brain concentration nan uM" in message
    assert f"intercompartmental_clearance = '{clearance} L/kg/min'" in message
    assert "expected a finite concentration" in message


def test_an_overflowing_blocking_ratio_is_full_block_not_nan():
    assert occupancy(1.0, 5e-324) == 1.0
    assert occupancy(np.array([0.0, 0.5, 2.0]), 1.0, 1e300).tolist() == [0.0, 0.0, 1.0]
    # esketamine's IC50 on interneurons is 0.9 uM: 1.7e308 / 0.9 overflows
    blocked = combined_occupancy({"esketamine": np.array([0.0, 1.7e308])}, "inh")
    assert blocked.tolist() == [0.0, 1.0]


def test_an_infusion_too_short_to_resolve_is_a_bolus_not_lost():
    bolus, _ = peak_brain_concentration([Dose(dose="0.5 mg/kg", start="6 h", duration="1 s")])
    for duration in ("1e-300 min", "5e-324 min"):
        peak, when = peak_brain_concentration(
            [Dose(dose="0.5 mg/kg", start="6 h", duration=duration)]
        )
        assert peak == pytest.approx(bolus, rel=1e-3)
        assert when == 6 * 3600
