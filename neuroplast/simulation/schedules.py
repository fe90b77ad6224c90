"""Schedules of biological time as brian2 TimedArrays over network time.

Everything the slow mechanisms read from the protocol is turned here into
TimedArrays with names the equations use:

============================ ======================================================
name                         meaning
============================ ======================================================
``time_rate(t)``             biological s per network s (timescale.py)
``bio_day(t)``               biological time in days (for synapse birth times)
``stress_level(t)``          S(T) in [0, 1] (stress.py)
``stress_bdnf_factor(t)``    1 - bdnf_suppression * S(T) (stress.py)
``occupancy_exc(t)``         NMDA occupancy by the drug on pyramidal cells (pharmacology/pd.py)
``occupancy_inh(t)``         ... on interneurons
``drug_concentration(t)``    brain concentration (µM, as a brian2 concentration) that drives
                             the trapping block (``pharmacology.trapping``; receptors.py)
``bdnf_drug_factor(t)``      factor on BDNF production from a drug with a slow BDNF effect
                             (the SSRI-like comparator; 1 without one; pharmacology/slow_bdnf.py)
``stdp_gate(t)``             STDP learning-rate factor (1, or 1 - occupancy_exc when gated;
                             0 while the set points are measured, setpoint.py)
``ablation_now(t)``          1 during the rewiring interval of a spine ablation, else 0
(``therapy``, ``replay``)    1 while a therapy / replay session runs (outputs only)
(``target_engagement``)      target (SERT) engagement of the slow drug (outputs only)
============================ ======================================================

Only doses of NMDA-blocking drugs slow the clock (``timescale.session_rate``): a daily
oral dose of the SSRI-like comparator has no acute network effect to resolve.
"""

from __future__ import annotations

from dataclasses import dataclass

import brian2
import numpy as np

from neuroplast.config.experiment import ExperimentConfig
from neuroplast.model.pharmacology import DRUGS, DrugCurves, slow_bdnf_course
from neuroplast.model.stress import stress_level
from neuroplast.model.therapy import slow_windows
from neuroplast.model.timescale import TimeMap, build_time_map
from neuroplast.units import SECONDS_PER_DAY

__all__ = ["Schedules", "build_schedules", "DrugCurves"]


@dataclass
class Schedules:
    """The time map and every TimedArray the slow equations read."""

    time_map: TimeMap
    resolution: float
    arrays: dict[str, brian2.TimedArray]
    sampled: dict[str, np.ndarray]

    @property
    def duration(self) -> float:
        """Network time (s) the schedules cover: whole schedule steps."""
        return len(self.sampled["time_rate"]) * self.resolution

    @property
    def namespace(self) -> dict[str, brian2.TimedArray]:
        """Names the equations use, mapped to their TimedArrays."""
        return dict(self.arrays)


def _ablation_steps(
    cfg: ExperimentConfig, time_map: TimeMap, starts: np.ndarray, resolution: float
) -> np.ndarray:
    """1 on the schedule steps of the one rewiring interval that starts at ``ablate_at``."""
    flags = np.zeros_like(starts)
    structural = cfg.plasticity.structural
    if structural.ablate_at is None:
        return flags
    begin = float(time_map.sim_at(float(structural.ablate_at)))
    end = begin + float(structural.update_interval)
    flags[(starts + resolution > begin) & (starts < end)] = 1.0
    return flags


#: Sampled schedules kept for the outputs only (no TimedArray of their own).
RECORD_ONLY = ("concentration_uM", "therapy", "replay", "target_engagement")


def _acute_session_times(cfg: ExperimentConfig, drug: DrugCurves) -> list[float]:
    """Session times of ``drug`` without the doses of drugs that block no NMDA receptors.

    The slow-onset comparator is dosed daily; slowing the clock around each of its doses
    would cost network time for no acute effect.
    """
    schedule = cfg.pharmacology.schedule()
    slow = {float(d.start) for d in schedule if not DRUGS[d.drug].blocks_nmda}
    acute = {float(d.start) for d in schedule if DRUGS[d.drug].blocks_nmda}
    return [t for t in drug.session_times if float(t) not in slow or float(t) in acute]


def _session_flags(sessions, kind: str, bio_mid: np.ndarray) -> np.ndarray:
    """1 where an input session of ``kind`` (therapy or replay) is running, else 0."""
    flags = np.zeros_like(bio_mid)
    for s in sessions:
        if s.kind == kind:
            start = float(s.start)
            flags[(bio_mid >= start) & (bio_mid < start + float(s.duration))] = 1.0
    return flags


def build_schedules(cfg: ExperimentConfig, drug: DrugCurves | None = None) -> Schedules:
    """Build every schedule of ``cfg`` (an ExperimentConfig with the clock enabled)."""
    drug = drug or DrugCurves()
    sessions = _acute_session_times(cfg, drug)
    time_map = build_time_map(cfg.timescale, sessions, slow_windows(cfg.therapy))
    resolution = float(cfg.timescale.resolution)
    starts, bio_mid = time_map.grid(resolution)
    stress = stress_level(cfg.stress, bio_mid)
    drug_values = drug.evaluate(bio_mid)
    gate = cfg.plasticity.stdp.gate_by_nmda
    # nothing learns while the set points are measured (as nothing rewires): the triplet
    # rule's depression reads the set point, which holds its first guess until then
    measured = starts + 1e-9 >= float(cfg.set_point.window)
    slow_drug = slow_bdnf_course(bio_mid, cfg.pharmacology)
    sampled = {
        "time_rate": time_map.rate_at_sim(starts + 0.5 * resolution),
        "bio_day": bio_mid / SECONDS_PER_DAY,
        "stress_level": stress,
        "stress_bdnf_factor": 1.0 - cfg.stress.bdnf_suppression * stress,
        "occupancy_exc": drug_values["occupancy_exc"],
        "occupancy_inh": drug_values["occupancy_inh"],
        "stdp_gate": measured * (1.0 - drug_values["occupancy_exc"] if gate else 1.0),
        "concentration_uM": drug_values["concentration_uM"],
        "bdnf_drug_factor": slow_drug.factor,
        "target_engagement": sum(slow_drug.engagement.values(), np.zeros_like(bio_mid)),
    }
    sampled["ablation_now"] = _ablation_steps(cfg, time_map, starts, resolution)
    for kind in ("therapy", "replay"):
        sampled[kind] = _session_flags(cfg.therapy.sessions, kind, bio_mid)
    dt = resolution * brian2.second
    arrays = {
        name: brian2.TimedArray(values, dt=dt, name=name)
        for name, values in sampled.items()
        if name not in RECORD_ONLY
    }
    # with its unit, so the trapping equations check k_on * C (1/(µM s) * µM = Hz)
    arrays["drug_concentration"] = brian2.TimedArray(
        sampled["concentration_uM"] * brian2.umolar, dt=dt, name="drug_concentration"
    )
    return Schedules(time_map=time_map, resolution=resolution, arrays=arrays, sampled=sampled)
