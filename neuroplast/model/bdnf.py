"""Activity-dependent BDNF per pyramidal neuron, suppressed by stress, raised by ketamine.

Equations (biological time T, advanced at the time rate r = dT/dt; model docs §3.2 [D])::

    tau_B dB_i/dT = P_i(T) - B_i                               (B = 1: healthy baseline)
    P_i = S_stress(T) * A_drug(T) * [1 + k_act (a_i/a_0 - 1) + k_dir f_E(C(T))]_+
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
  routes: ``disinhibition`` uses k_act only, ``direct`` k_dir only, ``both`` (the
  default, as model docs §3.2 sets both gains) both.
* ``S_stress = 1 - bdnf_suppression * S(T)`` (:mod:`neuroplast.model.stress`).
* ``A_drug = 1 + gain F(T)`` (schedule ``bdnf_drug_factor``) is the slow BDNF effect of a
  drug that has one, the SSRI-like comparator: F builds up over weeks of daily dosing
  (:func:`neuroplast.model.pharmacology.slow_bdnf_course`; Nibuya, Morinobu & Duman 1995:
  BDNF mRNA up after chronic, not acute, antidepressant treatment).  It is 1 without such
  a drug.  It scales BDNF *expression* only; the surge below is the activity-triggered
  release and does not read it [D].
* ``m`` (``trkb_signal``) is the slower TrkB -> mTORC1 -> synaptic-protein signal that
  structural plasticity reads: ketamine activates mTOR within an hour, synaptic
  proteins rise from 2 h and spine density at 24 h (Li et al 2010 [M timecourse]); it
  also averages out the spike noise of a single cell's BDNF under time compression.
* While the set point is measured (:mod:`neuroplast.model.setpoint`), production is 1.

**The BDNF surge (tissue compartment) and why it is thresholded.**  BDNF release needs
high-frequency firing and postsynaptic Ca2+ influx (Hartmann, Heumann & Lessmann 2001;
Balkowiec & Katz 2002 [M]); low-frequency activity releases little.  The synaptogenic
effect of ketamine is the surge of release during the glutamate burst (Li et al 2010;
Autry et al 2011), which acts on TrkB -> mTORC1 of the surrounding pyramidal cells::

    tau_B dU/dT = S_stress(T) [k_act [A(T)/A_0 - theta]_+ + k_dir f_E(C(T))] - U
    tau_m dD/dT = U - D                      (synaptogenic drive, read by plasticity.py)

with A/A_0 the pyramidal population's firing (sum of the activity traces) relative to
its set point (sum of the set points), smoothed over ``surge_smoothing`` (1 s) of
*network* time, theta the release threshold (default 1.5 [D]),
and the same route gains and switches as B.  U and D are one compartment for the
network: released BDNF is extracellular and acts on the cells around (paracrine), and
its per-cell version would be dominated by spike-count noise under time compression
(measured: per-cell m has a heavy upper tail, 99th percentile 2.6 at baseline, from
cells with low set points, so any threshold on it fires on noise).  Even the population
ratio is noisy at the default compression (the 5-min trace is 35 ms of network time at
1 day = 10 s: its peaks crossed theta = 1.5 without any drug, measured), hence the 1 s
network-time smoothing: 6 min of biological time during a drug session (rate 360),
longer between sessions, where there is no surge to resolve.  While the set points are
measured the ratio is held at 1 (the set points are not known yet; without this, the
quick network's start-up, 11 Hz against the 5 Hz initial set point, left a ratio of 2.3
that released a surge right after the window, measured).

**What the firing is compared with** (``release_reference``).  With ``"set_point"``
(the model's first choice, kept as an option) A_0 is the sum of the healthy set points: the threshold is an absolute level
of firing.  A network that chronic stress has left hypoactive cannot reach it: measured
at full scale (configs/kap_comparison.toml, 800 E / 200 I, seed 20261128), 21 days of
stress left the population at 0.35 of its set point, and 0.5 mg/kg ketamine lifted it
2.7-fold but only to 0.95 -- no surge, and no structural effect of ketamine, against
the spine formation ketamine restores in stressed mice (Li et al 2011 Biol Psychiatry
69:754; Moda-Sava et al 2019).  With ``"recent"`` (the default) A_0 is the population's own firing
averaged over ``reference_time`` (6 h, biological): the threshold detects a burst
relative to the tissue's recent activity, as a releasable pool that refills at low
activity and is depleted by bursts would (Solinas et al 2019 model such pools).  The
6 h sit between a dose's burst (minutes to hours) and the days over which stress and
recovery move the firing, so slow drifts release nothing.  While the set points are
measured the reference follows the firing itself (smoothed like the ratio): the set
points hold their first guess until the window closes, and a reference that followed
them released a start-up surge in every arm when they jumped to the measured rates
(ratio 1.5 at day 1.1, measured at 400 E / 100 I; tests/test_surge_reference.py).  Which reference is right
is open; both are kept so that experiments can compare them.

**Where the threshold sits** (``release_threshold_from``).  With ``"fixed"`` theta is
``release_threshold`` (1.5).  With ``"fluctuations"`` (the default) it is set from the tissue's own
fluctuations: theta = 1 + n_sd sd, n_sd = ``release_threshold_sd`` (3), where sd is the
standard deviation of the firing ratio around its reference.  It starts, when the
set-point window closes, at the coefficient of variation of the smoothed population
firing over the window (from ``set_point.settle`` plus three smoothing times, when the
smoothed firing has forgotten its initial value, to the window's end), and from then on
is a running estimate over ``reference_time`` (the same 6 h as the recent reference):
``tau_ref dV/dT = min((ratio - 1)^2, n_sd^2 V) - V``.  The squared deviations are capped at
the threshold's own, so a burst raises V by at most a factor of about 1 + (n_sd^2 - 1)
(burst length / tau_ref) (1.9 for a 40-min burst) and cannot hide itself.  Release is
then a burst beyond the network's recent spontaneous fluctuations, whatever their size.
Why running: the window is short (6 s of network time) and sees only the network's
first state.  Measured at full size without plasticity (``python
experiments/surge_fluctuations.py``: 800 E / 200 I, configs/ketamine_single_dose.toml)
the window's CV (0.040) matched the next two baseline days (0.038; 0.019 in a drug
session's slower clock), but at half size with the hebbian rule and triplet STDP
(configs/c6_ketamine_magnitude.toml) the ratio's sd over the baseline days was 2-3
times the window's CV (0.08-0.12 against 0.03-0.07), and larger still under stress: a
threshold frozen at the window's value was crossed 5-35 % of the time, and with a
synaptogenic gain of 2/day those spontaneous releases grew the E->E count by a fifth
during stress.

Why a threshold at all: with linear couplings only, the baseline is stable only if the
BDNF route to spine growth is weaker than calcium homeostasis (plasticity.py:
``nu_B k_act < nu``), and a linear system's net response to any transient rise of firing
is then the integral of (nu_B k_act - nu) times the rate excess -- a net *loss* of
spines, whatever the time constants.  Measured with the linear route alone (default
network, 0.5 mg/kg IV): E activity 4.7 -> 11 Hz at the peak, m +0.3, spine elements
+0.01 %.  A release threshold leaves the baseline loop untouched (no gain below theta)
and lets a surge drive synaptogenesis.  The threshold is a modelling choice; the dose
above which the model responds is an output to report, not a target.

{parameters}

The activity trace's reference a_0 is the cell's own set point (setpoint.py).  Only the excitatory cells' B is used; interneurons carry the variable unused.
"""

from __future__ import annotations

from typing import Literal

from neuroplast.model.records import Record
from neuroplast.schema import Qty, Section, param, with_parameter_table

__all__ = [
    "BDNFConfig",
    "BDNF_EQUATIONS",
    "BDNF_ON_SPIKE",
    "SURGE_EQUATIONS",
    "SURGE_FROM_CELLS",
    "bdnf_namespace",
]


class BDNFConfig(Section):
    """Activity-dependent BDNF (per excitatory neuron)."""

    tau: Qty("h", positive=True) = param(
        "1 h", "BDNF time constant (release and translation)", "model docs §3.2 [D]"
    )
    tau_synaptogenesis: Qty("h", positive=True) = param(
        "6 h",
        "time constant of the TrkB-mTOR synaptogenic signal that integrates BDNF "
        "(synaptic proteins up from 2 h, spine density up at 24 h: Li et al 2010)",
        "Li et al 2010 Science 329:959 [M timecourse]; Moda-Sava et al 2019 [D]",
    )
    tau_activity: Qty("min", positive=True) = param(
        "5 min", "time constant of the activity (firing-rate) trace", "model docs §3.2 [D]"
    )
    k_act: float = param(
        1.0,
        "gain of activity-driven BDNF production (disinhibition route)",
        "model docs §3.2 [D]",
        ge=0,
    )
    k_dir: float = param(
        2.0,
        "gain of occupancy-driven BDNF synthesis (direct route, Autry et al 2011)",
        "model docs §3.2 [D]",
        ge=0,
    )
    release_threshold: float = param(
        1.5,
        "population firing (relative to its set point) above which activity releases the "
        "BDNF surge that switches on synaptogenesis (release needs high-frequency firing)",
        "Hartmann, Heumann & Lessmann 2001; Balkowiec & Katz 2002 [M]; value [D]",
        ge=1,
    )
    release_threshold_from: Literal["fixed", "fluctuations"] = param(
        "fluctuations",
        "'fixed': theta is release_threshold; 'fluctuations': theta = 1 + "
        "release_threshold_sd x the firing ratio's standard deviation, a running "
        "estimate over reference_time that starts from the set-point window (a burst is "
        "a rise beyond the tissue's own recent fluctuations)",
        "[D]",
    )
    release_threshold_sd: float = param(
        3.0,
        "with release_threshold_from = 'fluctuations': how many standard deviations of "
        "its recent fluctuations the population firing must rise above its reference to "
        "release",
        "[D]",
        gt=0,
    )
    release_reference: Literal["set_point", "recent"] = param(
        "recent",
        "what the population firing is compared with before the release threshold: "
        "'set_point' (the healthy firing-rate set point, an absolute level) or 'recent' "
        "(the population's own firing averaged over reference_time: a burst relative "
        "to the tissue's recent activity, as when a releasable pool refills at low "
        "activity and is depleted by bursts)",
        "[D]; releasable pool: Solinas et al 2019 (release over ~30 min, 300 vesicles)",
    )
    reference_time: Qty("h", positive=True) = param(
        "6 h",
        "biological averaging time of the 'recent' reference (refill of the releasable "
        "pool): long against a dose's burst, short against the days of stress and "
        "recovery",
        "[D]",
    )
    surge_smoothing: Qty("s", positive=True) = param(
        "1 s",
        "network-time smoothing of the population firing ratio before the release "
        "threshold (a guard against spike-count noise of the compressed simulation)",
        "[D] numerical",
    )


#: BDNF and its activity trace; ``time_rate``, ``stress_bdnf_factor``, ``bdnf_drug_factor``
#: and ``occupancy_exc`` are TimedArrays of network time (timescale.py, stress.py,
#: pharmacology/pd.py via schedules.py).
BDNF_EQUATIONS = """
dbdnf/dt = time_rate(t) * (bdnf_production - bdnf) / tau_bdnf : 1
bdnf_production = measuring + (1 - measuring) * stress_bdnf_factor(t) * bdnf_drug_factor(t) * clip(1 + k_act_eff * (activity / set_point - 1) + k_dir_eff * occupancy_exc(t), 0, inf) : 1
dtrkb_signal/dt = time_rate(t) * (bdnf - trkb_signal) / tau_trkb : 1
dactivity/dt = -time_rate(t) * activity / tau_activity : Hz
"""  # noqa: E501

#: Added to the reset: each spike raises the activity trace by r(t)/tau_a.
BDNF_ON_SPIKE = "activity += time_rate(t) / tau_activity"

#: What the BDNF model records of every pyramidal cell (:mod:`neuroplast.model.records`).
RECORDS = (
    Record("bdnf_mean", "bdnf", "mean", "BDNF, mean over E cells (1 = baseline)", headline=True),
    Record("trkb_signal_mean", "trkb_signal", "mean", "TrkB–mTOR signal (1 = baseline)"),
    Record("exc_activity_hz", "activity", "mean", "E firing (activity trace, Hz)", headline=True),
)


def bdnf_namespace(cfg: BDNFConfig, direct_route: bool, activity_route: bool = True) -> dict:
    """Constants used by :data:`BDNF_EQUATIONS`; each route's gain is 0 when it is off."""
    return {
        "tau_bdnf": cfg.tau,
        "tau_trkb": cfg.tau_synaptogenesis,
        "tau_activity": cfg.tau_activity,
        "k_act_eff": cfg.k_act if activity_route else 0.0,
        "k_dir_eff": cfg.k_dir if direct_route else 0.0,
        "release_threshold": cfg.release_threshold,
        "threshold_from_fluctuations": 1.0 if cfg.release_threshold_from == "fluctuations" else 0.0,
        "release_threshold_sd": cfg.release_threshold_sd,
        "surge_smoothing": cfg.surge_smoothing,
        "recent_reference": 1.0 if cfg.release_reference == "recent" else 0.0,
        "tau_reference": cfg.reference_time,
    }


#: The tissue BDNF surge and the synaptogenic TrkB-mTOR drive it causes: one compartment
#: for the network (a one-cell group).  ``pool_activity`` and ``pool_set_point`` are the
#: pyramidal cells' activity traces and set points summed through :data:`SURGE_FROM_CELLS`,
#: so their ratio is the population's firing relative to its set point.
SURGE_EQUATIONS = """
pool_activity : Hz
pool_set_point : Hz
measuring = int(t < set_point_window) : 1
pool_norm = recent_reference * pool_reference + (1 - recent_reference) * pool_set_point : Hz
dpool_ratio/dt = ((1 - measuring) * pool_activity / (pool_norm + 1e-9 * Hz) + measuring - pool_ratio) / surge_smoothing : 1
dpool_reference/dt = measuring * (pool_activity - pool_reference) / surge_smoothing + (1 - measuring) * time_rate(t) * (pool_activity - pool_reference) / tau_reference : Hz
fluctuation_sampling = measuring * int(t >= fluctuation_start) : 1
dpool_moment_1/dt = fluctuation_sampling * pool_reference / (set_point_window - fluctuation_start) : Hz
dpool_moment_2/dt = fluctuation_sampling * pool_reference ** 2 / (set_point_window - fluctuation_start) : Hz ** 2
pool_cv = sqrt(clip(pool_moment_2 - pool_moment_1 ** 2, 0 * Hz ** 2, inf * Hz ** 2)) / (pool_moment_1 + 1e-9 * Hz) : 1
pool_variance = pool_cv ** 2 + pool_excess : 1
dpool_excess/dt = (1 - measuring) * time_rate(t) * (clip((pool_ratio - 1) ** 2, 0, release_threshold_sd ** 2 * pool_variance) - pool_variance) / tau_reference : 1
theta = (1 - threshold_from_fluctuations) * release_threshold + threshold_from_fluctuations * (1 + release_threshold_sd * sqrt(pool_variance)) : 1
surge_release = (1 - measuring) * stress_bdnf_factor(t) * (k_act_eff * clip(pool_ratio - theta, 0, inf) + k_dir_eff * occupancy_exc(t)) : 1
dbdnf_surge/dt = time_rate(t) * (surge_release - bdnf_surge) / tau_bdnf : 1
dsynaptogenic/dt = time_rate(t) * (bdnf_surge - synaptogenic) / tau_trkb : 1
"""  # noqa: E501

#: What the surge compartment records (one value per sample for the network).
SURGE_RECORDS = (
    Record(
        "pool_ratio",
        "pool_ratio",
        "value",
        "E firing / its reference (population; set point or recent firing)",
    ),
    Record("release_threshold", "theta", "value", "release threshold theta (ratio)"),
    Record("bdnf_surge", "bdnf_surge", "value", "BDNF surge (units of baseline BDNF)"),
    Record(
        "synaptogenic",
        "synaptogenic",
        "value",
        "synaptogenic drive of the BDNF surge (dimensionless)",
        headline=True,
    ),
)

#: Synapses pyramidal cells -> surge compartment (all to one).
SURGE_FROM_CELLS = """
pool_activity_post = activity_pre : Hz (summed)
pool_set_point_post = set_point_pre : Hz (summed)
"""


__doc__ = with_parameter_table(
    __doc__,
    BDNFConfig,
    {
        "tau": "tau_B",
        "tau_synaptogenesis": "tau_m",
        "tau_activity": "tau_a",
        "release_threshold": "theta",
    },
)
