"""Each pyramidal cell's firing-rate set point, measured at the start of a run.

The slow mechanisms compare activity to a set point: BDNF production is at baseline
when a cell fires at its set point (:mod:`neuroplast.model.bdnf`), and homeostatic
structural plasticity grows or removes spines to bring the cell back to it
(:mod:`neuroplast.model.plasticity`).  Cortical neurons return to individual
firing-rate set points after perturbations (Hengen et al 2016 Cell 165:180), so by
default each cell's set point is its own rate over the first ``window`` of network
time (after ``settle``), during which nothing rewires; the baseline network then starts at its
homeostatic fixed point.  ``mode = "fixed"`` gives every cell ``target_rate``
instead, as NEST's structural-plasticity example does (eps_E = 0.05 = 5 Hz).
"""

from __future__ import annotations

from typing import Literal

from neuroplast.schema import Qty, Section, param

__all__ = ["SetPointConfig", "SET_POINT_EQUATIONS", "SET_POINT_ON_SPIKE", "SET_POINT_CODE"]


class SetPointConfig(Section):
    """Firing-rate set points of the pyramidal cells."""

    mode: Literal["baseline", "fixed"] = param(
        "baseline",
        "'baseline': each cell's own rate over the window (Hengen et al 2016); "
        "'fixed': target_rate for every cell (NEST example)",
    )
    window: Qty("s", positive=True) = param(
        "10 s",
        "network time at the start over which baseline rates are measured (no rewiring); "
        "~50 spikes per cell at 5 Hz, a set point within ~15 %",
    )
    settle: Qty("s", nonnegative=True) = param(
        "1 s",
        "network time at the start that the set-point measurement skips (the network "
        "settles from its random initial state)",
    )
    target_rate: Qty("Hz", positive=True) = param(
        "5 Hz",
        "set point when mode = 'fixed'; the initial value otherwise",
        "NEST structural_plasticity.py example (eps_E = 0.05 = 5 Hz)",
    )


SET_POINT_EQUATIONS = """
set_point : Hz
warmup_spikes : 1
measuring = int(t < set_point_window) : 1
"""

SET_POINT_ON_SPIKE = "warmup_spikes += measuring * int(t >= set_point_settle)"

#: Run once, when the window ends (a cell silent in it counts half a spike).
SET_POINT_CODE = """
set_point = clip(warmup_spikes, 0.5, inf) / (set_point_window - set_point_settle)
"""
