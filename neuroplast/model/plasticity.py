"""Structural plasticity of E->E synapses (MSP + BDNF + stress), STDP and inhibitory STDP.

**Candidate pool.**  brian2 cannot create or delete synapses during a run, so the E->E
projection is a pool of candidate synapses created once (``candidate_factor`` times
the initial live ones; about 3x matches the cortical filling fraction 0.2-0.3,
Stepanyants, Hof & Chklovskii 2002), each with an ``alive`` flag, a weight ``w`` and a
``birth_day``.  Transmission is multiplied by ``alive``.

**Spine elements (MSP, Butz & van Ooyen 2013, with BDNF and stress; model docs §5.3).**
Each pyramidal cell has a continuous number of dendritic spine elements z for E input::

    dz/dT = nu G(Ca) (1 + gamma_B (m - 1)) + nu_B (m - 1) + kappa_D D(T) z - lambda_s S(T) z
            + rho_z (1 - S(T)) (z_ref - z)
    G(Ca) = 1 - Ca/eps                                        (linear, default)
    G(Ca) = 2 exp(-((Ca - xi)/zeta)^2) - 1,  xi = (eta + eps)/2,  zeta = (eps - eta)/(2 sqrt(ln 2))
    tau_Ca dCa/dT = -Ca + tau_Ca sum_spikes delta(T - T_s)          (Ca in Hz: a rate estimate)

Both growth curves are NEST's.  The linear one is the default [D]: with a noisy
per-cell calcium sensor (spikes are few per biological hour under time compression)
the Gaussian's curvature turns noise into a net loss of spines (Jensen's
inequality), which made the baseline network drift.  The first proposal
(model docs §5.3) wrote ``nu_B [B - 1]_+``; the rectification is dropped here [D]: per-cell
BDNF is noisy under time compression and rectified noise is a net growth drive
(it made the baseline network gain synapses), and less BDNF than baseline should
mean less formation.  With the linear curve and ``k_act = 1`` (bdnf.py), the BDNF
term pushes the same way as activity (less activity -> less BDNF -> fewer spines)
with gain ``nu_B`` while homeostasis pulls back with gain ``nu``; the baseline is
stable only if ``nu_B < nu``.  At the proposal's ``nu_B = nu`` it is marginal and the
baseline drifted down, so the default is ``nu_B = nu/2`` [D].  The multiplicative
term ``gamma_B (m - 1)`` adds a second, low fixed point: below the set point by
``(1 - nu_B/nu)/(gamma_B k)`` (k ~ 1.4 = how far m falls per unit of activity deficit,
measured), about 20 % for gamma_B = 1; the baseline network slid into it within days
(7 % fewer synapses, rates 25 % lower).  The default is therefore ``gamma_B = 0``.  G is NEST's Gaussian growth curve (zero at Ca = eta and Ca = eps, ``growth_curve.cpp``;
the zeta of the code, not of the header text: model docs §5.1).  Each cell's set
point eps comes from :mod:`neuroplast.model.setpoint` (by default its own baseline
rate); no rewiring happens while it is measured.  As in NEST, synapses are removed when the connected count exceeds
``floor(z)`` and vacancies are ``floor(z) - n_alive``: the integer dead band stops
rounding noise from turning synapses over.  B is BDNF
through its slower TrkB-mTOR signal m (:mod:`neuroplast.model.bdnf`), S the stress level (:mod:`neuroplast.model.stress`).
D is the synaptogenic drive of the BDNF surge (:mod:`neuroplast.model.bdnf`: release
above a firing threshold, shared by the network), zero at baseline and under stress;
``kappa_D`` (``surge_growth_rate``) makes its growth proportional to the cell's spines,
as BDNF effects on spine density are reported (relative changes).  kappa_D is the one
parameter fitted to ketamine's synaptogenic magnitude (calibration target C6: a dose the
day after 21 days of stress restores about half the loss within 24 h), once per
``pharmacology.mechanism``.  It is what lets a
glutamate surge (ketamine, disinhibition) or the direct route build spines; the linear
``nu_B`` term alone cannot (bdnf.py: with a stable baseline its net response to any
transient firing increase is a loss).
The last term is the cell's **spine-density set point**: z returns to z_ref, the cell's
initial live in-degree, at ``density_rate`` rho_z, except while stress lasts.  Without
it, recovery after stress failed C4 (index 0.09 against 0.5-1, full size, with STDP):
the homeostats of the weights (synaptic scaling, the triplet rule's sliding threshold)
restore the rate within days, the same calcium error then stops driving spine growth,
and the count stays down.  Two integral controllers on one error leave a line of
equilibria (Lu, Diaz-Pier, Lenz & Vlachos 2025 eLife 12:RP88376 describe scaling and
structural plasticity as redundant integral feedback on calcium); in vivo rates return
within days (Hengen et al 2016 Cell 165:180) while spines return over one to three
weeks after stress ends (Radley et al 2005 Exp Neurol 196:199; Moench & Wellman 2017;
young animals, Bloss et al 2010), so density has a set point of its own.  Stress holds
it back, as it holds back up-scaling: atrophy persists for the whole stress period
(Radley et al 2006).  rho_z = 1/(14 days) is fitted to C4 (the middle of 0.5-1, one
parameter, docs/model_parameters.md); weights still set the rate, and which synapses
return is still the rule's choice.
Pre-synaptic (axonal) elements are not limiting here: pyramidal axons are long and
bouton-rich, the spine is what stress removes and ketamine restores; so the rule is
post-synaptic-element limited [D].

**Rewiring** every ``update_interval`` of network time (all in brian2 code strings; a
custom ``structural`` event of the pyramidal cells drives a synaptic pathway, so no
``network_operation`` is needed and numpy, cython and C++ standalone agree):

* excess ``n_alive - floor(z) - tol > 0``: that many live synapses onto the cell are removed, each
  with probability proportional to ``exp(-w/w_ref)`` (weakest first: strong, used
  synapses survive; cf. Deger et al 2018, Fauth et al 2015) -- NEST deletes uniformly;
* spontaneous turnover: live synapses are also removed at ``turnover`` per biological
  day (weakness-weighted), and as many dead candidates are expected to form in the same
  pass (stable-spine turnover 1-4 %/day, Grutzendler et al 2002; Attardo et al 2015).
  Refilling in the same pass matters: refilled one pass later, the removed synapses
  were a standing deficit of turnover x interval (0.2 % of E->E at 1 day = 10 s) that
  changed with the time rate, so slowing the clock for a session formed ~250 synapses
  at once (measured, default network) -- a two-clocks artefact;
* vacancy ``floor(z) - tol - n_alive > 0``: dead candidates onto the cell become alive with
  probability ``vacancy / n_dead``, with weight ``w_new`` (new synapses start weak) and
  ``birth_day`` = the biological day of formation;
* ablation (optional, ``ablate_at``): in the rewiring pass at that biological time, live
  synapses born on or after ``ablate_born_after`` are removed together with their
  spine elements, so they are not regrown as vacancies (the optical ablation of
  ketamine-induced spines, Moda-Sava et al 2019).  The elements come off ``z`` after
  the pass (``ablated_now``): taken off during it, they opened a vacancy gap that the
  same pass's later synapses of the cell read as an excess, so it pruned about one old
  synapse for every six ablated (measured in spine_ablation, before the fix);
* maturation: synapses weaker than 1 grow toward 1 with ``tau_mature`` (new spines
  acquire synapses and enlarge over a day or more; Knott et al 2006 [M]); without it,
  turnover alone would replace strong synapses by weak ones and silence the network.

Per-neuron counts are kept by the rewiring pass itself (it adds born and subtracts
removed synapses), so nothing sweeps the pool between updates.

**Calibration** of the first model (weakest-first partners, no STDP; the current
model's figures are on docs/results/calibration/calibration.md, made by
``neuroplast calibrate configs/calibration.toml``): default network, seed
20261128, model docs §10: with nu = 5/day, nu_B = 2.5/day, turnover 2 %/day and
stress prune_rate 0.02/day, baseline turnover is 2.2 %/day and net drift +0.2 % over
days 1.5-7 (C2: 1-4 %/day), 21 days of full stress remove 25 % of E->E synapses (C3:
15-35 %) and 14 days after it the recovery index is 0.54 (C4: 0.5-1).  With nu =
10/day the loss was 18 % and recovery complete (index 1.09, C4 failed).  These
figures are for rewiring every 100 ms; every 1 s (the default, 1.6x faster at N =
1000 in C++ standalone) gives the same: 2.1 %/day, -0.1 %, 25 %, 0.53.  With the
same-pass turnover refill and the BDNF surge (session 2) at 1 s: 2.9 %/day (turnover
now replaces every removal at once; before, part of it waited a pass), +0.06 %,
25.1 %, 0.535.

**STDP** (pair-based, all-to-all traces, hard bounds; Song, Miller & Abbott 2000; brian2
example ``synapses/STDP.py``): ``w += A_plus x_pre`` at each post spike,
``w -= A_minus x_post`` at each pre spike, ``0 <= w <= w_max``.  Traces are per neuron.
**Triplet STDP** (``stdp.rule = "triplet"``; the minimal all-to-all model of Pfister &
Gerstner 2006): traces r1 (tau_plus) of the presynaptic cell, o1 (tau_minus) and o2
(tau_y) of the postsynaptic one; ``w -= A2_minus o1`` at each pre spike,
``w += r1 (A2_plus + A3_plus o2)`` at each post spike (o2 before its own increment).  For
independent Poisson trains at rates rho_pre, rho_post the drift is
``rho_pre rho_post (A2_plus tau_plus + A3_plus tau_plus tau_y rho_post - A2_minus tau_minus)``;
with ``A2_minus = (A2_plus tau_plus + A3_plus tau_plus tau_y theta) / tau_minus`` it is
``rho_pre rho_post A3_plus tau_plus tau_y (rho_post - theta)``, a BCM rule with threshold
theta.  Here ``theta = rho_bar^2 / eps`` (Pfister & Gerstner's mapping to BCM), with
rho_bar a rate detector of the postsynaptic cell (time constant ``tau_threshold``, 1 s of
network time) and eps its set point; rho_bar^2 is taken less its Poisson expectation at a
presynaptic spike, ``rho_bar (1 / (2 tau_threshold) + 2 / (tau_threshold + tau_minus))``
(the detector's variance, and its covariance with the o1 trace that the depression
multiplies), without which the threshold sat 24 % above the set point at 10 Hz
(measured, tests/test_stdp.py).  Drift then vanishes at the set point, a cell firing
above it depresses its inputs, and within a rate change faster than the detector, inputs
that are active together with the cell potentiate while the others depress.  A
threshold slower than the weights would let potentiation run away, as measured here
with the 1-day calcium sensor as threshold (30-day baseline, full size: the pyramidal
cells' calcium sensors read 40 Hz after the first day, against set points of 5 Hz); Zenke, Hennequin & Gerstner 2013 show that the detector must
act within seconds.  With the fixed A2_minus of the paper the threshold would be about
18 Hz, far above the rates here.
The learning rate is optionally gated by NMDA availability, ``eta_eff = 1 - f_E(C)``
(model docs §6 [D]), so learning during a ketamine session is reduced.

Even so the triplet rule is not rate-homeostatic in this recurrent network: pre-before-
post correlations add potentiation that the threshold, built for independent trains, does
not see.  Measured (``python experiments/baseline_drift.py``: full size, 12 days of
baseline, one seed; no rewiring): the population rate rose 17 % with
tau_threshold = 1 s, 40 % with 3 s, and oscillated (+164 % on day 2) with 10 s, while the
mean weight moved by less than 1 %: the rate is very sensitive to how the weights are
distributed.  The count homeostasis is far too slow to hold that (removing one of a
cell's ~160 E->E inputs barely moves its rate), and the creep went on for 30 days.

**Synaptic scaling** (``[plasticity.scaling]``, Turrigiano et al 1998; Turrigiano 2008)
is the slow weight homeostat that closes this gap: at each rewiring pass every E->E
weight onto pyramidal cell j is multiplied by ``exp(dT/tau e_j)``, ``e_j = clip(1 - Ca_j /
eps_j, -1, 1)``, dT the pass's biological time.  Multiplicative and per cell, it keeps the
ratios between a cell's weights (what STDP and therapy write into them) and moves only
their scale.  tau = 1 day (scaling develops over 24-48 h of blocked or raised activity).
Up-scaling is held back by stress (factor 1 - S(T)) unless ``upscaling_under_stress``:
after chronic stress EPSCs are smaller, not larger (Li et al 2011), so the model must not
compensate the stress loss with stronger synapses.  Measured with it (same run as above,
hebbian rule and triplet STDP, rewiring on): population rate +0.7 % and mean weight
-4.3 % at day 12, against +16 % without.

**Inhibitory STDP** on I->E (Vogels et al 2011 Science 334:1569): symmetric,
``w += eta (x_post - alpha)`` at pre spikes, ``w += eta x_pre`` at post spikes,
``alpha = 2 rho_0 tau``; in Vogels' network it holds pyramidal rates near ``rho_0``.
In ours it does not, measured: pyramidal spikes fall in lulls of inhibition, so the
interneuron trace at pyramidal spikes is about a third of its mean, potentiation is
weak, and with rho_0 = 5 Hz the quick network's E rate rose from ~8 to ~11 Hz within
8 s.  The rule is implemented and tested against its pair window (tests/test_stdp.py);
its target needs setting per network.

The set point eps of the calcium sensor is the cell's own rate (setpoint.py; Hengen et al
2016).

{parameters}
"""

from __future__ import annotations

import math
from typing import Any, Literal

import brian2
from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from neuroplast.model.records import Record
from neuroplast.model.rules import HEBBIAN, RewiringRule, check_options, find_rule
from neuroplast.schema import Qty, Section, param, with_parameter_table
from neuroplast.units import SECONDS_PER_DAY

__all__ = [
    "StructuralConfig",
    "SurgeGrowthRate",
    "STDPConfig",
    "ISTDPConfig",
    "PlasticityConfig",
    "SPINE_EQUATIONS",
    "POOL_MODEL",
    "POOL_ON_PRE",
    "POOL_ON_POST",
    "SPINE_SET_POINT_CODE",
    "POOL_REWIRE",
    "NEURON_REWIRE",
    "NEURON_SCALING",
    "POOL_SCALING",
    "ScalingConfig",
    "pool_rewire_code",
    "ISTDP_MODEL",
    "ISTDP_ON_PRE",
    "ISTDP_ON_POST",
    "plasticity_namespace",
]

S53 = "model docs §5.3 [D]"


C6 = (
    "fitted to C6 (one dose the day after 21 days of stress restores half the loss at "
    "+24 h; Li et al 2011; Moda-Sava et al 2019; Phoumthipphavong et al 2016): "
    "experiments/c6_ketamine_magnitude.py, docs/results/c6_ketamine_magnitude.md"
)


C4_SOURCE = (
    "fitted to C4 (after 21 days of stress, recovery index 0.5-1 within 10-21 days; "
    "Radley et al 2005 Exp Neurol 196:199; Moench & Wellman 2017; Bloss et al 2010): "
    "1/(14 days) gives 0.76 at 14 days, the middle of the range; docs/model_parameters.md"
)


class SurgeGrowthRate(Section):
    """kappa_D, the synaptogenic gain of the BDNF surge, one per ketamine mechanism.

    Each mechanism (``pharmacology.mechanism``) is a separate hypothesis of how the drug
    releases BDNF, so each has its own gain, fitted to the same target (C6).  The
    firing route alone cannot reach C6 with a gain that can be defended (about 300 /day
    would be needed): its default is the gain fitted for both routes together, in which
    its release takes part, and C6 fails for it (a reported result).
    """

    direct: Qty("1/day", nonnegative=True) = param(
        "7.5 /day", "gain with mechanism = 'direct' (BDNF from NMDA block at rest)", C6
    )
    disinhibition: Qty("1/day", nonnegative=True) = param(
        "9.8 /day",
        "gain with mechanism = 'disinhibition' (BDNF from the disinhibited firing); as "
        "'both': this route alone fails C6",
        C6,
    )
    both: Qty("1/day", nonnegative=True) = param(
        "9.8 /day", "gain with mechanism = 'both' (the default mechanism)", C6
    )

    @model_validator(mode="before")
    @classmethod
    def _one_for_all(cls, data: Any) -> Any:
        if isinstance(data, str | brian2.Quantity):  # one value: every mechanism
            try:  # checked once, so that a wrong value is one error, not three
                value = cls(both=data).both
            except ValidationError as err:
                raise ValueError(err.errors()[0]["msg"].removeprefix("Value error, ")) from None
            return {"direct": value, "disinhibition": value, "both": value}
        return data

    def of(self, mechanism: str) -> brian2.Quantity:
        """The gain for ``mechanism`` ('direct', 'disinhibition' or 'both')."""
        return getattr(self, mechanism)


class StructuralConfig(Section):
    """Structural plasticity of E->E synapses: candidate pool, spine elements, rewiring."""

    enabled: bool = param(False, "rewire E->E synapses (needs timescale.enabled)")
    candidate_factor: float = param(
        3.0,
        "candidate E->E synapses per initial live one",
        "Stepanyants, Hof & Chklovskii 2002 (filling fraction 0.2-0.3) [M]",
        ge=1,
    )
    update_interval: Qty("ms", positive=True) = param(
        "1 s",
        "network time between rewiring steps (<= tau_calcium/10 in network time at the "
        "highest time rate; 1 s = 2.4 biological hours at 1 day = 10 s)",
        "model docs §5.2 (NEST: 1 s converges, 10 s = tau_Ca overshoots)",
    )
    growth_curve: Literal["linear", "gaussian"] = param(
        "linear",
        "homeostatic growth curve G(Ca): 'linear' 1 - Ca/eps, or NEST's 'gaussian' (zero "
        "at eta and eps)",
        "NEST growth_curve.cpp; model docs §5.1",
    )
    eta: Qty("Hz", nonnegative=True) = param(
        "0 Hz", "lower zero of the Gaussian growth curve", "NEST structural_plasticity.py example"
    )
    tau_calcium: Qty("day", positive=True) = param(
        "1 day", "time constant of the calcium (rate) sensor", "model docs §7 [D]"
    )
    growth_rate: Qty("1/day", nonnegative=True) = param(
        "5 /day",
        "homeostatic spine-element growth rate nu (elements per day at G = 1)",
        "calibrated: model docs §10 C2-C4",
    )
    gamma_bdnf: float = param(
        0.0,
        "how strongly BDNF scales homeostatic growth (first proposed as 1, model docs §5.3; "
        "see the module doc for why the default is 0)",
        S53,
        ge=0,
    )
    rewire_tolerance: float = param(
        1.0,
        "dead band (elements): synapses are removed only when n_alive > floor(z) + this "
        "and added only when n_alive < floor(z) - this, so sensor noise does not turn "
        "synapses over",
        "[D]",
        ge=0,
    )
    bdnf_growth_rate: Qty("1/day", nonnegative=True) = param(
        "2.5 /day", "extra BDNF-driven spine formation nu_B (elements per day per unit B-1)", S53
    )
    surge_growth_rate: SurgeGrowthRate = Field(
        default_factory=SurgeGrowthRate,
        description="spine growth per unit of the synaptogenic drive of the BDNF surge, relative to the "
        "cell's spine elements, one per pharmacology.mechanism (a single value sets all "
        "three)",
        json_schema_extra={"source": C6},
    )
    turnover: Qty("1/day", nonnegative=True) = param(
        "0.02 /day",
        "spontaneous removal of live synapses (regrown through vacancies)",
        "Grutzendler et al 2002; Attardo et al 2015 (1-4 %/day)",
    )
    w_new: float = param(0.5, "weight of a newly formed synapse (relative; 1 = initial)", S53, ge=0)
    tau_mature: Qty("day", positive=True) = param(
        "2 days",
        "new (weak) synapses grow toward the initial weight 1 with this time constant; "
        "stronger ones are left to STDP",
        "Knott et al 2006 Nat Neurosci 9:1117; Holtmaat et al 2005 Neuron 45:279 [M]; [D]",
    )
    density_rate: Qty("1/day", nonnegative=True) = param(
        "0.0714 /day",
        "rate at which a pyramidal cell's spine elements return to its initial number, "
        "its spine-density set point (fraction of the gap closed per day), held back by "
        "stress as 1 - S(T); 0 = off",
        C4_SOURCE,
    )
    ablate_at: Qty("day", nonnegative=True) | None = param(
        None,
        "biological time at which live synapses born on or after ablate_born_after are "
        "removed together with their spine elements (spine-ablation experiment, "
        "Moda-Sava et al 2019); none by default",
    )
    ablate_born_after: Qty("day") = param(
        "0 days", "birth day from which synapses are ablated at ablate_at (-1 = initial ones)"
    )
    w_ref: float = param(0.5, "weight scale of pruning preference exp(-w/w_ref)", S53, gt=0)
    rule: str = param(
        HEBBIAN.name,
        "rewiring rule: which candidates form and which synapses are removed; a built-in "
        "name or 'module:NAME' of a RewiringRule in your own module (rules.py)",
    )
    options: dict[str, Any] = param(
        {}, "parameters of the rewiring rule (validated by the rule's own options table)"
    )

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, key: str) -> str:
        find_rule(key)
        return key

    @field_validator("options")
    @classmethod
    def _rule_options(cls, options: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if "rule" not in info.data:  # the rule itself was wrong, and said so
            return options
        # every option written out, defaults included: a run's config.json then records
        # the values it ran with, and a default that changes is seen on resume
        return check_options(info.data["rule"], options).model_dump(mode="json")

    def rule_options(self) -> Section:
        """The rule's parameters, validated by its options table."""
        return check_options(self.rule, self.options)


TRIPLET = (
    "Pfister & Gerstner 2006 J Neurosci 26:9673, visual cortex, all-to-all minimal model "
    "[M]; time constants as NEST's stdp_triplet_synapse"
)


class TripletConfig(Section):
    """The minimal triplet rule (``[plasticity.stdp.triplet]``; module docstring)."""

    tau_plus: Qty("ms", positive=True) = param("16.8 ms", "presynaptic trace r1", TRIPLET)
    tau_minus: Qty("ms", positive=True) = param("33.7 ms", "postsynaptic trace o1", TRIPLET)
    tau_y: Qty("ms", positive=True) = param("125 ms", "slow postsynaptic trace o2", TRIPLET)
    A2_plus: float = param(5e-10, "pair potentiation (relative weight)", TRIPLET, ge=0)
    A3_plus: float = param(6.2e-3, "triplet potentiation (relative weight)", TRIPLET, ge=0)
    tau_threshold: Qty("s", positive=True) = param(
        "1 s",
        "time constant (network time) of the rate detector whose square over the set point "
        "is the sliding threshold",
        "Zenke, Hennequin & Gerstner 2013 PLoS Comput Biol 9:e1003330: the threshold must "
        "follow the rate within seconds for the network to stay stable [D value]",
    )


class STDPConfig(Section):
    """STDP on E->E synapses: pair-based (Song, Miller & Abbott 2000) or triplet."""

    enabled: bool = param(False, "plastic E->E weights")
    rule: Literal["pair", "triplet"] = param(
        "triplet",
        "'pair': pair-based STDP (tau_plus, tau_minus, A_plus, A_minus); 'triplet': the "
        "minimal triplet rule with a depression amplitude that slides with the cell's mean "
        "rate, so co-active cells firing above their mean are potentiated ([triplet])",
        "Song et al 2000; Pfister & Gerstner 2006",
    )
    triplet: TripletConfig = Field(default_factory=TripletConfig)
    tau_plus: Qty("ms", positive=True) = param("20 ms", "pre trace time constant", "Song 2000")
    tau_minus: Qty("ms", positive=True) = param("20 ms", "post trace time constant", "Song 2000")
    A_plus: float = param(0.01, "potentiation per pair (relative weight)", "Song 2000", ge=0)
    A_minus: float = param(
        0.0105, "depression per pair (relative weight)", "Song 2000 (1.05 A_plus)", ge=0
    )
    w_max: float = param(2.0, "upper weight bound (relative; 1 = initial)", "[D]", gt=0)
    gate_by_nmda: bool = param(
        True, "scale learning by NMDA availability 1 - f_E(C)", "model docs §6 [D]"
    )


class ScalingConfig(Section):
    """Synaptic scaling of a pyramidal cell's E->E weights by its rate error (module docstring)."""

    enabled: bool = param(
        True,
        "scale all E->E weights onto a pyramidal cell by its rate error, multiplicatively "
        "(runs in the rewiring pass: only with plasticity.structural)",
        "Turrigiano et al 1998 Nature 391:892; Turrigiano 2008 Cell 135:422",
    )
    tau: Qty("day", positive=True) = param(
        "1 day",
        "time constant: a cell at (1 - e) of its set point scales its weights by "
        "exp(e T / tau), e clipped to [-1, 1]",
        "Turrigiano et al 1998 (scaling after 24-48 h of blocked or raised activity) [M]",
    )
    upscaling_under_stress: bool = param(
        False,
        "let the low firing under stress scale weights up; when false, up-scaling is "
        "multiplied by 1 - S(T) (after chronic stress EPSCs are smaller, not larger)",
        "Li et al 2011 Biol Psychiatry 69:754 [V abstract]",
    )


class ISTDPConfig(Section):
    """Inhibitory STDP on I->E synapses (Vogels et al 2011)."""

    enabled: bool = param(False, "plastic I->E weights (fast homeostat)")
    eta: float = param(1e-2, "learning rate", "Vogels et al 2011", ge=0)
    target_rate: Qty("Hz", positive=True) = param(
        "5 Hz", "pyramidal rate the rule maintains (rho_0)", "Vogels 2011 use 3 Hz; [D] 5 Hz"
    )
    tau: Qty("ms", positive=True) = param("20 ms", "trace time constant", "Vogels et al 2011")
    w_max: float = param(10.0, "upper weight bound (relative; 1 = initial)", "[D]", gt=0)


class PlasticityConfig(Section):
    """Structural plasticity, STDP and inhibitory STDP."""

    structural: StructuralConfig = Field(default_factory=StructuralConfig)
    stdp: STDPConfig = Field(default_factory=STDPConfig)
    scaling: ScalingConfig = Field(default_factory=ScalingConfig)
    istdp: ISTDPConfig = Field(default_factory=ISTDPConfig)


#: Per-neuron variables of structural plasticity (added to every neuron; used for E).
SPINE_EQUATIONS = """
dz_spine/dt = rewiring_on * time_rate(t) * (spine_growth - spine_loss) : 1
spine_growth = nu_grow * growth_curve * (1 + gamma_bdnf * (trkb_signal - 1)) + nu_bdnf * (trkb_signal - 1) + nu_surge * synaptogenic_drive * z_spine + density_rate * (1 - stress_level(t)) * (z_reference - z_spine) : Hz
spine_loss = stress_prune * stress_level(t) * z_spine : Hz
growth_curve = {growth_curve} : 1
dcalcium/dt = -time_rate(t) * calcium / tau_calcium : Hz
rewiring_on = 1 - measuring : 1
synaptogenic_drive : 1 (linked)
n_alive : 1
n_alive_snap : 1
n_candidates : 1 (constant)
z_reference : 1 (constant)
prune_acc : 1
prune_total : 1
form_acc : 1
form_total : 1
w_sum : 1
w_mean : 1
formed : 1
eliminated : 1
ablated_now : 1
scale_step : 1
"""  # noqa: E501

#: Growth curves G(Ca) (NEST ``growth_curve.cpp``): zero at the set point.
GROWTH_CURVES = {
    "linear": "1 - calcium / set_point",
    "gaussian": "2 * exp(-((calcium - 0.5 * (ca_eta + set_point)) / ((set_point - ca_eta) * ca_width))**2) - 1",
}

SPINE_ON_SPIKE = "calcium += time_rate(t) / tau_calcium"

#: When the set-point window ends, the calcium sensor starts from the set point.
SPINE_SET_POINT_CODE = "calcium = set_point"

#: What structural plasticity records of every pyramidal cell: its E->E synapses (live
#: count, cumulative formations and eliminations, mean weight), calcium and spine elements.
RECORDS = (
    Record("ee_synapses", "n_alive", "sum", "E→E synapses (count)", headline=True),
    Record("ee_formed_total", "formed", "sum", "E→E synapses formed, cumulative (count)"),
    Record(
        "ee_eliminated_total", "eliminated", "sum", "E→E synapses eliminated, cumulative (count)"
    ),
    Record(
        "ee_mean_weight", "w_mean", "mean", "mean E→E weight (relative, 1 = initial)", headline=True
    ),
    Record(
        "calcium_mean_hz",
        "calcium",
        "mean",
        "calcium trace, mean over E cells (Hz)",
        headline=True,
    ),
    Record("spine_elements_mean", "z_spine", "mean", "spine elements per E cell (count)"),
)

#: Per-neuron STDP traces.
#: (``trace_plus`` is read when the cell is presynaptic, ``trace_minus`` when postsynaptic.)
STDP_TRACES = """
dtrace_plus/dt = -trace_plus / tau_plus : 1
dtrace_minus/dt = -trace_minus / tau_minus : 1
"""
STDP_ON_SPIKE = "trace_plus += 1\ntrace_minus += 1"

#: The triplet rule's slow postsynaptic trace, its fast rate detector and the sliding
#: depression amplitude (module docstring): theta = rate_theta^2 / set point.
TRIPLET_TRACES = """
dtrace_y/dt = -trace_y / tau_y : 1
drate_theta/dt = -rate_theta / tau_threshold : Hz
A2_minus = (A2_plus * tau_plus + A3_plus * tau_plus * tau_y * clip(rate_theta ** 2 - rate_theta * (1 / (2 * tau_threshold) + 2 / (tau_threshold + tau_minus)), 0 * Hz ** 2, inf * Hz ** 2) / (set_point + 1e-9 * Hz)) / tau_minus : 1
"""
TRIPLET_ON_SPIKE = "trace_y += 1\nrate_theta += 1 / tau_threshold"

POOL_MODEL = """
w : 1
alive : 1
birth_day : 1
"""

#: Spike from a pyramidal cell through an E->E candidate (transmission, then LTD).
POOL_ON_PRE = """
g_ampa_post += alive * w * g_ampa_syn_post
x_nmda_in_post += alive * w * nmda_release_pre * nmda_charge
"""
POOL_ON_PRE_STDP = "\nw = clip(w - alive * stdp_gate(t) * A_minus * trace_minus_post, 0, w_max)"
POOL_ON_POST = "w = clip(w + alive * stdp_gate(t) * A_plus * trace_plus_pre, 0, w_max)"
POOL_ON_PRE_TRIPLET = (
    "\nw = clip(w - alive * stdp_gate(t) * A2_minus_post * trace_minus_post, 0, w_max)"
)
POOL_ON_POST_TRIPLET = (
    "w = clip(w + alive * stdp_gate(t) * trace_plus_pre * (A2_plus + A3_plus * trace_y_post),"
    " 0, w_max)"
)


def stdp_neuron_code(stdp: STDPConfig) -> tuple[str, str]:
    """Per-neuron STDP traces and spike code."""
    if stdp.rule == "pair":
        return STDP_TRACES, STDP_ON_SPIKE
    return STDP_TRACES + TRIPLET_TRACES, STDP_ON_SPIKE + "\n" + TRIPLET_ON_SPIKE


def stdp_pool_code(stdp: STDPConfig) -> tuple[str, str]:
    """Code of an E->E candidate at a presynaptic spike (after transmission) and a post one."""
    if stdp.rule == "pair":
        return POOL_ON_PRE_STDP, POOL_ON_POST
    return POOL_ON_PRE_TRIPLET, POOL_ON_POST_TRIPLET


#: The rewiring pass over every candidate, run at each ``structural`` event: how many
#: synapses each cell loses and gains (from z), which ones (the rule's weights, rules.py),
#: then the bookkeeping.  The weights' sums are the previous pass's (nothing else changes
#: ``alive`` between passes; STDP may change ``w``).
POOL_REWIRE = """
{before}
weakness = {prune_weight}
dt_bio = time_rate(t) * update_interval
p_prune = rewiring_on_post * (clip(n_alive_snap_post - floor(z_spine_post) - rewire_tolerance, 0, inf) + turnover * dt_bio * n_alive_snap_post) * weakness / (prune_total_post + 1e-9)
ablated = alive * ablation_now(t) * int(birth_day >= ablate_born_after)
die = alive * clip(int(rand() < p_prune + ({extra_hazard})) + ablated, 0, 1)
p_form = rewiring_on_post * (clip(floor(z_spine_post) - rewire_tolerance - n_alive_snap_post, 0, inf) + turnover * dt_bio * n_alive_snap_post) * ({form_weight}) / (form_total_post + 1e-9)
born = (1 - alive) * int(rand() < p_form)
alive = alive - die + born
w = w * (1 - die) * (1 - born) + born * w_new
{after}
birth_day = birth_day * (1 - born) + born * bio_day(t)
n_alive_post += born - die
ablated_now_post += ablated
formed_post += born
eliminated_post += die
prune_acc_post += alive * ({prune_weight})
form_acc_post += (1 - alive) * ({form_weight})
w_sum_post += alive * w
"""  # noqa: E501

#: After each rewiring pass: snapshot the counts and the weights' sums for the next one.
NEURON_REWIRE = """
n_alive_snap = n_alive
prune_total = prune_acc
prune_acc = 0
form_total = form_acc
form_acc = 0
w_mean = w_sum / (n_alive + 1e-9)
w_sum = 0
z_spine = clip(z_spine - ablated_now, 0, inf)
ablated_now = 0
"""


#: Synaptic scaling: each cell's factor for the next pass, from its rate error (clipped to
#: [-1, 1]; up-scaling held back by stress unless ``upscaling_under_stress``).
NEURON_SCALING = """
scale_error = clip(1 - calcium / (set_point + 1e-9 * Hz), -1, 1)
scale_step = exp(rewiring_on * time_rate(t) * update_interval / tau_scaling * (clip(scale_error, -1, 0) + clip(scale_error, 0, 1) * (1 - stress_blocks_upscaling * stress_level(t))))
"""  # noqa: E501

#: ... applied to every candidate's weight at the start of the pass.
POOL_SCALING = "w = clip(w * scale_step_post, 0, w_max)"


def pool_rewire_code(rule: RewiringRule, scaling: bool = False) -> str:
    """The rewiring pass of ``rule`` (:data:`POOL_REWIRE`, its weights and code), scaled first.

    Synaptic scaling (:data:`POOL_SCALING`) runs at the start of the pass when ``scaling``.
    """
    code = (POOL_SCALING + "\n" if scaling else "") + POOL_REWIRE
    for name in ("before", "prune_weight", "form_weight", "extra_hazard", "after"):
        code = code.replace("{" + name + "}", getattr(rule, name))
    return "\n".join(line for line in code.splitlines() if line.strip())


ISTDP_MODEL = "w : 1"
ISTDP_ON_PRE = """
g_gaba_post += w * g_gaba_syn_post
w = clip(w + istdp_eta * (istdp_trace_post - istdp_alpha), 0, istdp_w_max)
"""
ISTDP_ON_POST = "w = clip(w + istdp_eta * istdp_trace_pre, 0, istdp_w_max)"
#: One symmetric trace per cell serves both roles (Vogels et al 2011).
ISTDP_TRACES = """
distdp_trace/dt = -istdp_trace / tau_istdp : 1
"""
ISTDP_ON_SPIKE = "istdp_trace += 1"


def plasticity_namespace(cfg: PlasticityConfig, prune_rate, mechanism: str = "both") -> dict:
    """Constants used by the plasticity equations and code (``mechanism`` picks kappa_D)."""
    sp, stdp, istdp = cfg.structural, cfg.stdp, cfg.istdp
    return {
        "nu_grow": sp.growth_rate,
        "nu_bdnf": sp.bdnf_growth_rate,
        "nu_surge": sp.surge_growth_rate.of(mechanism),
        "gamma_bdnf": sp.gamma_bdnf,
        "stress_prune": prune_rate,
        "ca_eta": sp.eta,
        # zeta = (eps - eta) / (2 sqrt(ln 2)): the curve is zero at eta and at eps
        "ca_width": 1.0 / (2.0 * math.sqrt(math.log(2.0))),
        "tau_calcium": sp.tau_calcium,
        "turnover": sp.turnover,
        "update_interval": sp.update_interval,
        "w_new": sp.w_new,
        "w_ref": sp.w_ref,
        "ablate_born_after": float(sp.ablate_born_after / brian2.second) / SECONDS_PER_DAY,
        "rewire_tolerance": sp.rewire_tolerance,
        "tau_mature": sp.tau_mature,
        "density_rate": sp.density_rate,
        "tau_plus": stdp.tau_plus if stdp.rule == "pair" else stdp.triplet.tau_plus,
        "tau_minus": stdp.tau_minus if stdp.rule == "pair" else stdp.triplet.tau_minus,
        "A_plus": stdp.A_plus,
        "A_minus": stdp.A_minus,
        "tau_y": stdp.triplet.tau_y,
        "A2_plus": stdp.triplet.A2_plus,
        "A3_plus": stdp.triplet.A3_plus,
        "tau_threshold": stdp.triplet.tau_threshold,
        "w_max": stdp.w_max,
        "tau_scaling": cfg.scaling.tau,
        "stress_blocks_upscaling": 0.0 if cfg.scaling.upscaling_under_stress else 1.0,
        "istdp_eta": istdp.eta,
        "istdp_alpha": float(2 * istdp.target_rate * istdp.tau),
        "istdp_w_max": istdp.w_max,
        "tau_istdp": istdp.tau,
    }


__doc__ = with_parameter_table(
    __doc__,
    PlasticityConfig,
    {
        "structural.growth_rate": "nu",
        "structural.surge_growth_rate.both": "kappa_D",
        "structural.tau_calcium": "tau_Ca",
        "structural.eta": "eta",
        "istdp.target_rate": "rho_0",
    },
)
