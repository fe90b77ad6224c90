"""Chronic and acute stress as a schedule in biological time, and its two effects.

Stress level S(T) in [0, 1] (0 = none, 1 = the strongest chronic paradigm modelled,
e.g. 21 days of restraint 6 h/day; Liston et al 2006; Radley et al 2006) is the
largest severity among the episodes active at biological time T.  Its effects
(model docs §3.2, §4, stress operator [D]):

1. BDNF production is multiplied by ``S_stress = 1 - bdnf_suppression * S``
   (stress lowers BDNF mRNA and protein in hippocampus and PFC: Nibuya, Morinobu &
   Duman 1995; review PMC7073021).  Default 0.35: S_stress = 0.65 under full stress,
   the middle of the 0.6-0.7 first proposed (model docs §3.2).
2. Dendritic-spine elements of pyramidal cells are lost at rate ``prune_rate * S``
   per biological day (``-lambda_s S z`` in the element equation of
   :mod:`neuroplast.model.plasticity`), so E->E synapses are pruned, weakest first.

{parameters}

Calibration target (model docs §10, C3): 21 biological days at S = 1 remove 15-35 %
of E->E synapses (rat mPFC: -16 % apical spine density, Radley et al 2006 [M];
-20 % apical arbor, Liston et al 2006).  ``neuroplast calibrate`` checks it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from neuroplast.schema import Qty, Section, param, with_parameter_table

__all__ = ["StressEpisode", "StressConfig", "stress_level"]


class StressEpisode(Section):
    """One period of stress: when it starts, how long it lasts, how severe it is."""

    onset: Qty("day", nonnegative=True) = param("7 days", "biological time the stress starts")
    duration: Qty("day", positive=True) = param(
        "21 days", "how long it lasts", "Liston et al 2006; Radley et al 2006 (21 d restraint)"
    )
    severity: float = param(
        1.0, "stress level while active (0 none, 1 full chronic)", runtime=True, ge=0, le=1
    )
    kind: Literal["chronic", "acute"] = param(
        "chronic", "label: 'chronic' (days-weeks) or 'acute' (hours); same equations"
    )


class StressConfig(Section):
    """Stress schedule and its effects on BDNF and spine pruning."""

    episodes: list[StressEpisode] = param([], "stress episodes (none by default)")
    bdnf_suppression: float = param(
        0.35,
        "fraction by which full stress lowers BDNF production (S_stress = 1 - this * S)",
        "model docs §3.2 (S_stress 0.6-0.7) [D]; Nibuya et al 1995",
        runtime=True,
        ge=0,
        le=1,
    )
    prune_rate: Qty("1/day", nonnegative=True) = param(
        "0.02 /day",
        "fraction of spine elements lost per biological day at full stress",
        "calibrated to model docs §10 C3 (21 d: -15..-35 % E->E synapses)",
    )


def stress_level(cfg: StressConfig, bio_seconds: np.ndarray) -> np.ndarray:
    """Stress level S(T) in [0, 1] at biological times ``bio_seconds`` (s)."""
    bio_seconds = np.asarray(bio_seconds, dtype=float)
    level = np.zeros_like(bio_seconds)
    for episode in cfg.episodes:
        start = float(episode.onset)
        active = (bio_seconds >= start) & (bio_seconds < start + float(episode.duration))
        level = np.where(active, np.maximum(level, episode.severity), level)
    return level


__doc__ = with_parameter_table(__doc__, StressConfig)
