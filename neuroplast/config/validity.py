"""When a simulated run counts as invalid: the ``[validity]`` config section.

A run is invalid (:mod:`neuroplast.simulation.validity` checks it, during the run and
after it) when

* a state variable of the network is NaN or infinite;
* less network time was simulated than asked for (e.g. a time step so small that
  brian2 simulates nothing);
* the pyramidal or the interneuron population's mean rate, averaged over a window of
  ``window`` network time, is above ``max_rate_exc`` / ``max_rate_inh``;
* with ``silence`` on, no pyramidal cell fires in a whole window while the external
  drive is on (a stressed network firing at a third of its set point is not silent).

The rate bounds are sanity limits, an order of magnitude above what cortex does, not a
calibration target: pyramidal cells fire sparsely in vivo, population means of about
0.1-10 Hz (Barth & Poulet 2012), fast-spiking interneurons at tens of Hz and in brief
bursts at a few hundred (Connors & Gutnick 1990; Buzsaki & Mizuseki 2014).  A network
whose population mean stays above them for a whole window has run away (or is not
calibrated for its size).
"""

from __future__ import annotations

from neuroplast.schema import Qty, Section, param

__all__ = ["ValidityConfig"]

SPARSE_FIRING = (
    "Barth & Poulet 2012 Trends Neurosci 35:345 (population means of pyramidal cells "
    "in vivo ~0.1-10 Hz); the bound is ~5x their top"
)
FAST_SPIKING = (
    "Connors & Gutnick 1990 Trends Neurosci 13:99 (fast-spiking cells sustain a few hundred "
    "Hz only under strong current injection); Buzsaki & Mizuseki 2014 Nat Rev Neurosci "
    "15:264 (interneuron rates in vivo: tens of Hz)"
)


class ValidityConfig(Section):
    """When a run is invalid: non-finite state, no simulated time, runaway or silence."""

    enabled: bool = param(
        True,
        "check every run (NaN/inf state, simulated time, rate bounds, silence); an invalid "
        "run exits non-zero and is kept marked invalid, never counted as a result",
    )
    window: Qty("s", positive=True) = param(
        "1 s",
        "network time over which the population rates are averaged, and how often the "
        "running network is checked (a run shorter than this is judged over its length)",
    )
    max_rate_exc: Qty("Hz", positive=True) = param(
        "50 Hz", "highest mean rate of the pyramidal cells over a window", SPARSE_FIRING
    )
    max_rate_inh: Qty("Hz", positive=True) = param(
        "150 Hz", "highest mean rate of the interneurons over a window", FAST_SPIKING
    )
    silence: bool = param(
        True,
        "a whole window without a pyramidal spike while the external drive is on makes "
        "the run invalid (runs shorter than one window are not judged silent)",
    )
    stop: bool = param(
        True,
        "stop the simulation at the end of the first invalid window (false: simulate to "
        "the end, then report the run invalid)",
    )
