"""Activity-dependent BDNF per pyramidal neuron, suppressed by stress, raised by ketamine.

Equations (biological time T, advanced at the time rate r = dT/dt; SCIENCE.md §3.2 [D])::

    tau_B dB_i/dT = P_i(T) - B_i                               (B = 1: healthy baseline)
    P_i = S_stress(T) * [1 + k_act (a_i/a_0 - 1) + k_dir f_E(C(T))]_+
    tau_a da_i/dT = -a_i + tau_a * sum_spikes delta(T - T_s)    (activity trace, in Hz)
    tau_m dm_i/dT = B_i - m_i                                  (TrkB-mTOR synaptogenic signal)

* ``a_i`` estimates neuron i's firing rate over the last ``tau_a`` of biological time:
  in network time each spike adds ``r(t)/tau_a`` and the trace decays at ``r(t)/tau_a``.
  Its reference ``a_0`` is the cell's firing-rate set point (:mod:`neuroplast.model.setpoint`).
* ``k_act`` is the disinhibition route (more pyramidal firing -> glutamate burst ->
  activity-dependent BDNF release; Hartmann, Heumann & Lessmann 2001; Homayoun &
  Moghaddam 2007; Li et al 2010).
* ``k_dir`` is the direct route: NMDA block at rest on pyramidal cells -> eEF2
  dephosphorylation -> rapid BDNF translation (Autry et al 2011), proportional to the
  pyramidal NMDA occupancy ``f_E``.  The pharmacology ``mechanism`` switches the
  routes: ``disinhibition`` uses k_act only, ``direct`` k_dir only, ``both`` both.
* ``S_stress = 1 - bdnf_suppression * S(T)`` (:mod:`neuroplast.model.stress`).
* ``m`` (``trkb_signal``) is the slower TrkB -> mTORC1 -> synaptic-protein signal that
  structural plasticity reads: ketamine activates mTOR within an hour, synaptic
  proteins rise from 2 h and spine density at 24 h (Li et al 2010 [M timecourse]); it
  also averages out the spike noise of a single cell's BDNF under time compression.
* While the set point is measured (:mod:`neuroplast.model.setpoint`), production is 1.

============ ========= ===== ==================================================================
parameter    default   unit  source
============ ========= ===== ==================================================================
tau          1         h     release ~30 min + translation (Solinas et al 2019; Autry 2011) [D]
tau_m        6         h     Li et al 2010 timecourse [M]; [D]
tau_activity 5         min   SCIENCE §3.2: 1-10 min [D]
a_0          own rate  Hz    the cell's set point (setpoint.py)
k_act        1         -     SCIENCE §3.2 [D]
k_dir        2         -     SCIENCE §3.2 [D]
============ ========= ===== ==================================================================

Only the excitatory cells' B is used; interneurons carry the variable unused.
"""

from __future__ import annotations

from neuroplast.schema import Qty, Section, param

__all__ = ["BDNFConfig", "BDNF_EQUATIONS", "BDNF_ON_SPIKE", "bdnf_namespace"]


class BDNFConfig(Section):
    """Activity-dependent BDNF (per excitatory neuron)."""

    tau: Qty("h", positive=True) = param(
        "1 h", "BDNF time constant (release and translation)", "SCIENCE.md §3.2 [D]"
    )
    tau_synaptogenesis: Qty("h", positive=True) = param(
        "6 h",
        "time constant of the TrkB-mTOR synaptogenic signal that integrates BDNF "
        "(synaptic proteins up from 2 h, spine density up at 24 h: Li et al 2010)",
        "Li et al 2010 Science 329:959 [M timecourse]; Moda-Sava et al 2019 [D]",
    )
    tau_activity: Qty("min", positive=True) = param(
        "5 min", "time constant of the activity (firing-rate) trace", "SCIENCE.md §3.2 [D]"
    )
    k_act: float = param(
        1.0,
        "gain of activity-driven BDNF production (disinhibition route)",
        "SCIENCE.md §3.2 [D]",
        ge=0,
    )
    k_dir: float = param(
        2.0,
        "gain of occupancy-driven BDNF synthesis (direct route, Autry et al 2011)",
        "SCIENCE.md §3.2 [D]",
        ge=0,
    )


#: BDNF and its activity trace; ``time_rate``, ``stress_bdnf_factor`` and ``occupancy_exc``
#: are TimedArrays of network time (timescale.py, stress.py, pharmacology.py).
BDNF_EQUATIONS = """
dbdnf/dt = time_rate(t) * (bdnf_production - bdnf) / tau_bdnf : 1
bdnf_production = measuring + (1 - measuring) * stress_bdnf_factor(t) * clip(1 + k_act_eff * (activity / set_point - 1) + k_dir_eff * occupancy_exc(t), 0, inf) : 1
dtrkb_signal/dt = time_rate(t) * (bdnf - trkb_signal) / tau_trkb : 1
dactivity/dt = -time_rate(t) * activity / tau_activity : Hz
"""  # noqa: E501

#: Added to the reset: each spike raises the activity trace by r(t)/tau_a.
BDNF_ON_SPIKE = "activity += time_rate(t) / tau_activity"


def bdnf_namespace(cfg: BDNFConfig, direct_route: bool, activity_route: bool = True) -> dict:
    """Constants used by :data:`BDNF_EQUATIONS`; each route's gain is 0 when it is off."""
    return {
        "tau_bdnf": cfg.tau,
        "tau_trkb": cfg.tau_synaptogenesis,
        "tau_activity": cfg.tau_activity,
        "k_act_eff": cfg.k_act if activity_route else 0.0,
        "k_dir_eff": cfg.k_dir if direct_route else 0.0,
    }
