"""Rewiring rules: which E->E candidates become synapses and which synapses are removed.

Structural plasticity answers two questions (model docs §5.5, "how many vs which").  **How
many** synapses a pyramidal cell gains or loses in a rewiring pass follows from its
spine elements z (homeostasis, BDNF, the surge, stress, turnover:
:mod:`neuroplast.model.plasticity`); that part is the model's and is calibrated.
**Which** candidates they are is a *rewiring rule*'s, and the rule is replaceable.

In each pass, on the pyramidal cell j with ``R_j`` synapses to remove and ``F_j`` to form
(both expected counts, from z, the dead band and turnover), a live candidate i->j is
removed and a dead one formed with probability::

    p_remove,ij = R_j * prune_weight_ij / sum_{live k} prune_weight_kj
    p_form,ij   = F_j * form_weight_ij  / sum_{dead k} form_weight_kj

A rule is a :class:`RewiringRule`: the two weights as brian2 expressions over the
candidate's variables (``w``, ``birth_day``, its own ``pool_variables``, ``_pre`` and
``_post`` neuron variables), code run before and after the decisions, extra per-neuron
equations, its parameters (a :class:`~neuroplast.schema.Section` read from
``[plasticity.structural.options]``) and the per-cell outputs it records.  Everything is
brian2 code, so a rule runs the same on numpy, cython and C++ standalone.

The rule ``"weakest_first"``, the model's first, is kept as an option: a
removal prefers weak synapses, ``exp(-w/w_ref)`` (Deger et al 2018; Fauth et al 2015),
a new synapse picks its partner uniformly among the cell's dead candidates, and
synapses weaker than 1 grow toward 1 with ``tau_mature`` (Knott et al 2006).

The ``"hebbian"`` rule [D], the default, lets activity choose the partners.  Each pyramidal cell keeps
a rate trace a_i (time constant ``tau_rate`` of biological time, advanced at the time
rate r like the other slow traces), and each candidate i->j a co-activity signal h_ij,
updated at every pass of ΔT biological time::

    h_ij <- h_ij + (1 - exp(-ΔT / tau_hebbian)) (c_ij - h_ij)
    c_ij  = (a_i / eps_i) (a_j / eps_j) (a_j - theta_j - r / (2 tau_rate)) / eps_j

with eps the set point and theta_j the calcium sensor (the 1-day running mean of the
cell's rate), a sliding threshold as in BCM (Bienenstock, Cooper & Munro 1982; the
triplet rule's rate limit, Pfister & Gerstner 2006).  ``r / (2 tau_rate)`` is the
variance over the mean of a trace of Poisson spikes, so c is zero in expectation for
independent firing at the running mean; h is a potential synapse's eligibility:
presynaptic activity at a postsynaptic cell firing above its own mean (Kwon & Sabatini
2011; Knoblauch et al 2014).  A share ``bias`` of a cell's new synapses is drawn in
proportion to [h]+, the rest uniformly (``b_ij = 1 + bias ([h_ij]+ / <[h]+>_dead,j -
1)``); ``bias = 0`` is ``weakest_first`` exactly.  Removal and maturation are as in
``weakest_first``.  h is integrated in biological time, so its expectation does not
depend on how the clock is compressed; its noise does (a trace of ``tau_rate`` holds
fewer spikes on a faster clock).

**Which signal.**  ``signal`` chooses the drive c_ij.  The two rate-trace drives above
(``bcm``, and ``covariance``: the product of both cells' deviations from their running
means) are integrated in biological time, so their expectation is the same on any clock,
but on the compressed clock they are not selective (``python
experiments/hebbian_selectivity.py``, half size, an 80-cell group with daily 1-h
sessions at 0.45 for 4 days): the share of new synapses onto group cells that come from
the group (19.0 %) is the share of such candidates among the dead ones (20.4 %).  The
reason is arithmetic.  An ordinary biological day is 10 s of network time, so each
2.4-h rewiring interval's rates rest on about 1 s of spikes, and a biological-time
average gives each of those noisy intervals 144 times the weight of a session's
(1 h = 60 s): a session's signal, one hour in 24 and a fraction of a standard deviation
per interval, is buried in the noise of the ordinary hours around it.  Sessions also
raise the whole network's firing, which both drives count as co-activity.

``signal = "population"`` [D] counts evidence instead.  In each rewiring interval
(``update_interval`` of network time) cell i's spike count n_i is compared with the
count its running mean predicts, scaled by the population's firing in the same interval::

    lambda_i = Ca_i dt_net (P / sum_k Ca_k dt_net),   z_i = (n_i - lambda_i) / sqrt(lambda_i + 1)
    h_ij <- h_ij exp(-dT / tau_hebbian) + z_i z_j

with P the pyramidal population's count (an expected count below 1 counts as 1, so a
near-silent cell's rare spike is worth about one standard deviation).  A network-wide
rise is nobody's co-activity, and independent cells at their running means give zero in
expectation (up to -lambda/(N (lambda + 1)) per interval, because P includes the pair;
tests/test_hebbian.py computes both).  Each interval counts once, as each observation
of the pair, so the signal's expectation per biological hour grows with the network time
that hour is simulated for: like STDP, which runs in network time, a session resolved on
a slower clock weighs more (``therapy.session_rate``; the price of a usable
signal-to-noise ratio on a compressed clock).  The session's input is defined in network
time too (1 pulse per second), so its weight follows the number of pulses it delivers.

Measured with ``population`` (bias 0.5).  Read over the candidate's own [h]+ alone, the
signal was selective but favoured fast-firing partners: noise makes |h| grow with a
cell's firing variability (counts are over-dispersed, more so at high rates), new
synapses came from cells firing 6.3 Hz against 5.2 Hz for all candidates, and synaptic
scaling cut the stable synapses' weights by 14-16 % in a 30-day baseline at any bias
(commit 20e28ca).  Read over each presynaptic cell's mean [h]+ (as built): new
synapses' partners fire 5.0 Hz; the baseline (docs/results/baseline_rules.md, S1)
keeps count, formation, rates and random groups' p_in, and the stable weight drifts
-3.9 to -5.7 % (reciprocity rises 5-6 % over chance); ten sessions at the recall cue's
intensity raise a group's p_in by 0.042 against sham's -0.006
(tests/test_structure_learns.py).  At 0.45 (three times the default therapy) for four
days (``hebbian_selectivity.py --signal population``) 21.3 % of the synapses formed onto
group cells come from the group, against 20.4 % of the dead candidates (672 synapses:
within one standard error); the group's candidates have a mean h of +1.3 against +0.1
(sd 11: the network's own co-fluctuations).  So co-activity the group actually follows
wires it together; therapy-strength input barely does (issue #16, open).

**Your own rule.****Your own rule.**  ``plasticity.structural.rule = "package.module:NAME"`` selects the
:class:`RewiringRule` called ``NAME`` in an importable module: every worker process
imports it by that name, so it runs the same with ``--workers N``, on a Dask cluster
(the module must be importable there) and in C++ standalone.  The rule's name, module
and the module's version (its ``__version__``, else a hash of its source) are written
into each run's provenance (``data.h5`` attribute ``mechanisms``).  docs/mechanisms.md
has a worked example.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from pydantic import ValidationError

from neuroplast import __version__
from neuroplast.model.records import Record
from neuroplast.paths import suggest
from neuroplast.schema import ConfigError, Qty, Section, param

__all__ = [
    "BUILT_IN",
    "WEAKEST_FIRST",
    "NoOptions",
    "Record",
    "RewiringRule",
    "check_options",
    "find_rule",
    "provenance",
    "resolve_rule",
]


class NoOptions(Section):
    """A rule without parameters of its own."""


@dataclass(frozen=True)
class RewiringRule:
    """Which candidates form and which synapses are removed in a rewiring pass.

    Attributes
    ----------
    name : str
        Short name, recorded in provenance.
    description : str
        One line.
    prune_weight : str
        brian2 expression: relative chance that a live candidate is one removed.
    form_weight : str
        brian2 expression: relative chance that a dead candidate is one formed.
    extra_hazard : str
        brian2 expression: probability per pass that a live synapse is removed on top of
        the removals the cell's count asks for (e.g. of nascent synapses); ``"0"``: none.
        It shares the removal's random draw (competing risks), so a rule whose hazard is
        0 draws the same numbers as one without.
    before, after : str
        Pool code run at the start of the pass and after ``alive``/``w`` are updated
        (``born`` and ``die`` are 1 for the candidates formed and removed).
    pool_variables : str
        Extra per-candidate model lines (``"h : 1"``), float32 unless named in
        ``float64``.
    neuron_equations, neuron_on_spike : str
        Extra per-neuron equations and spike code (e.g. a rate trace).
    neuron_before : str
        Per-neuron code run at each rewiring step before the pass, after the population
        sums of that step have arrived: per-cell numbers the pass would otherwise compute
        once per candidate.
    neuron_after : str
        Per-neuron code run after each pass (e.g. turn sums the pass accumulated into
        per-cell means for the next pass).
    options : type[Section]
        The rule's parameters, from ``[plasticity.structural.options]``.
    namespace : callable
        ``namespace(options) -> dict`` of the constants its code uses.
    initial_weights : callable
        ``initial_weights(namespace) -> (prune weight of an initial live synapse, form
        weight of a dead candidate)``: the weights' sums before the first pass.
    records : tuple[Record, ...]
        Per-cell outputs to record and summarise.
    initial_values : callable
        ``initial_values(degrees) -> {neuron variable: values}``, given the initial live
        ``in_degree`` and ``out_degree`` of every pyramidal cell (e.g. axonal elements
        starting at the out-degree).
    population_sums : tuple[tuple[str, str], ...]
        ``(variable, unit)`` of per-neuron variables (declared in ``neuron_equations``)
        summed over the pyramidal cells at each rewiring step (before the cells' own
        update in that step); every cell receives the sum as ``population_<variable>``,
        which ``neuron_equations`` declares too (e.g. the population's spike count in a
        rewiring interval), for ``neuron_before`` and the pass to read.
    specialise : callable or None
        ``specialise(rule, options) -> RewiringRule``: the rule as its options make it
        (e.g. code chosen by an option, so the pass evaluates only what is used);
        None: the same rule for all options.
    """

    name: str
    description: str
    prune_weight: str
    form_weight: str
    extra_hazard: str = "0"
    before: str = ""
    after: str = ""
    pool_variables: str = ""
    neuron_equations: str = ""
    neuron_on_spike: str = ""
    neuron_before: str = ""
    neuron_after: str = ""
    options: type[Section] = NoOptions
    namespace: Callable[[Section], Mapping[str, Any]] = field(default=lambda options: {})
    initial_weights: Callable[[Mapping[str, Any]], tuple[float, float]] = field(
        default=lambda namespace: (1.0, 1.0)
    )
    records: tuple[Record, ...] = ()
    initial_values: Callable[[Mapping[str, np.ndarray]], Mapping[str, np.ndarray]] = field(
        default=lambda degrees: {}
    )
    population_sums: tuple[tuple[str, str], ...] = ()
    specialise: Callable[[RewiringRule, Section], RewiringRule] | None = None

    def for_options(self, options: Section) -> RewiringRule:
        """The rule as ``options`` make it (:attr:`specialise`; itself without one)."""
        return self if self.specialise is None else self.specialise(self, options)

    def pool_variable_names(self) -> list[str]:
        """Names of the rule's per-candidate variables."""
        lines = (line.split(":")[0].strip() for line in self.pool_variables.splitlines())
        return [name for name in lines if name]


#: The model's rule: weakest removed first, partners uniform, weak synapses mature.
WEAKEST_FIRST = RewiringRule(
    name="weakest_first",
    description="removal weighted by exp(-w/w_ref); partners uniform; maturation to w = 1",
    prune_weight="exp(-w / w_ref)",
    form_weight="1",
    after="w = w + alive * clip(1 - w, 0, inf) * (1 - exp(-dt_bio / tau_mature))",
    initial_weights=lambda namespace: (float(np.exp(-1.0 / namespace["w_ref"])), 1.0),
)


class HebbianOptions(Section):
    """Parameters of the ``hebbian`` rule (``[plasticity.structural.options]``)."""

    bias: float = param(
        0.5,
        "share of new synapses whose presynaptic partner is drawn in proportion to the "
        "positive co-activity signal [h]+ (the rest uniformly); 0: partners uniform, as in "
        "weakest_first",
        "[D] model choice, checked at baseline: with it random groups of cells gain no "
        "p_in in 30 days (docs/results/baseline_rules.md); co-activity-directed spine "
        "formation: Kwon & Sabatini 2011; Knoblauch et al 2014",
        ge=0,
        le=1,
    )
    tau_hebbian: Qty("h", positive=True) = param(
        "12 h",
        "biological time over which the co-activity signal h is averaged",
        "[D] between new spines within 1 h of training (Xu et al 2009) and stabilisation of "
        "nascent spines over > 14 h (Hill & Zito 2013)",
    )
    tau_rate: Qty("min", positive=True) = param(
        "30 min",
        "biological time constant of the rate trace a_i that the co-activity signal multiplies",
        "[D] NMDA-receptor and calcium integration, much shorter than tau_hebbian",
    )
    nascent_hazard: Qty("1/day", nonnegative=True) = param(
        "0.2 1/day",
        "removal rate of a nascent synapse whose co-activity signal is 0, on top of the "
        "removals its cell's count asks for",
        "fixed at baseline (configs/baseline_rules.toml): 0.2/day gives E->E formation of "
        "3.3-3.4 %/day with triplet STDP and scaling, within C2's 1-4 %/day "
        "(docs/results/baseline_rules.md); 0.5/day gave 4.3 %/day in a one-seed run at "
        "commit 27422ce; thin new spines appear and disappear over a few days (Holtmaat et "
        "al 2005)",
    )
    protect: float = param(
        1.0,
        "[h]+ at which a nascent synapse's hazard falls by e, in units of its cell's mean "
        "[h]+ over dead candidates",
        "[D]; activity stabilises nascent spines (Hill & Zito 2013)",
        gt=0,
    )
    stabilise_after: float = param(
        2.0,
        "integral of [h]+ (in units of the cell's mean, times days) at which a nascent "
        "synapse becomes stable and starts to mature toward w = 1",
        "[D] a synapse with a typical signal stabilises in 2 days (Holtmaat et al 2005: thin "
        "spines persist or vanish over a few days)",
        gt=0,
    )
    axonal_elements: bool = param(
        False,
        "presynaptic (axonal) elements too: a cell's outgoing synapses follow its own "
        "homeostatic axonal elements (grown like its spine elements), new synapses prefer "
        "presynaptic cells with free axonal elements, and a cell with more outgoing "
        "synapses than elements loses some",
        "MSP with axonal and dendritic elements (NEST; Butz & van Ooyen 2013; Gallinaro & "
        "Rotter 2018)",
    )
    signal: Literal["bcm", "covariance", "population"] = param(
        "population",
        "co-activity drive: 'bcm', presynaptic rate times the postsynaptic rate's deviation "
        "from its running mean (BCM-like); 'covariance', the product of both cells' "
        "deviations from their running means (in Hz, not over each cell's set point), zero "
        "for a presynaptic cell at its mean; 'population', the product of both cells' "
        "spike-count excesses in each rewiring interval over what their running means and "
        "the population's firing in that interval predict (Poisson z-scores), summed over "
        "intervals: network-wide activity is nobody's co-activity",
        "BCM: Bienenstock, Cooper & Munro 1982; covariance rule: Sejnowski 1977; "
        "population: [D] (rules.py, 'Which signal')",
    )
    maturation: Literal["stabilised", "all"] = param(
        "stabilised",
        "'stabilised': only synapses stabilised by activity mature to w = 1 (from w_new), so "
        "maturation no longer lifts depressed synapses; 'all': every live synapse below 1 "
        "matures (as weakest_first)",
        "Hill & Zito 2013; Hayashi-Takagi et al 2015",
    )


#: Co-activity drives c_ij of a candidate i->j (dimensionless; HEBBIAN's docstring).
#: ``bcm``: the presynaptic rate times the postsynaptic rate's deviation from its running
#: mean, over each cell's set point.  ``covariance``: the product of both cells' rate
#: deviations from their running means in units of 5 Hz, not of each cell's set point
#: (set points span 0.05-45 Hz, and a ratio over a cell's own set point lets the rare
#: spike of a near-silent cell outweigh any co-activity; the rule reads only ratios of h
#: onto one cell, so the unit does not matter).
DRIVES = {
    "bcm": (
        "rate_h_pre / (set_point_pre + 1e-9 * Hz) * rate_h_post / (set_point_post + 1e-9 * Hz)"
        " * (rate_h_post - calcium_post - time_rate(t) / (2 * tau_rate))"
        " / (set_point_post + 1e-9 * Hz)"
    ),
    "covariance": "(rate_h_pre - calcium_pre) * (rate_h_post - calcium_post) / (25 * Hz ** 2)",
}

#: The BCM-like drive (the default ``signal``).
COACTIVITY_DRIVE = DRIVES["bcm"]


def coactivity_update(drive: str) -> str:
    """Pool code: h relaxes to ``drive`` over tau_hebbian of biological time."""
    return "h += rewiring_on_post * (1 - exp(-dt_bio / tau_hebbian)) * (" + drive + " - h)"


#: The co-activity signal h_ij: c_ij averaged over tau_hebbian of biological time.
COACTIVITY_UPDATE = coactivity_update(COACTIVITY_DRIVE)

#: ``population``: each cell's spike count in the rewiring interval just ended, in excess
#: of the count its running mean predicts once scaled by the population's firing in the
#: same interval (so a network-wide rise is nobody's co-activity), as a Poisson z-score
#: (an expected count below 1 counts as 1, so a near-silent cell's rare spike is worth
#: about one).  A per-cell number, computed once per cell at the rewiring step before the
#: pass (``neuron_before``), not once per candidate.
POPULATION_EXCESS = "\n".join(
    [
        "pass_expected = calcium * update_interval * population_pass_spikes"
        " / (population_calcium * update_interval + 1e-9)",
        "pass_excess = (pass_spikes - pass_expected) / sqrt(pass_expected + 1)",
    ]
)
#: h sums the products of the two cells' scores, one per interval, and forgets over
#: tau_hebbian of biological time.
POPULATION_UPDATE = (
    "h = h * (1 - rewiring_on_post * (1 - exp(-dt_bio / tau_hebbian)))"
    " + rewiring_on_post * pass_excess_pre * pass_excess_post"
)

#: Per-neuron lines of the ``population`` signal: the spike count of the current
#: rewiring interval (reset after each pass), the population's sums, and the mean [h]+
#: of the cell's outgoing candidates (with what accumulates it in a pass).
POPULATION_NEURON_EQUATIONS = (
    "pass_spikes : 1\npass_excess : 1\npopulation_pass_spikes : 1\npopulation_calcium : Hz\n"
    "hpos_pre_mean : 1\nhpos_pre_acc : 1\ncandidates_acc : 1"
)

#: Where the rule reads a candidate's positive signal.
POSITIVE_SIGNAL = "clip(h, 0, inf)"

#: ... and where the ``population`` signal reads it: over the presynaptic cell's mean [h]+
#: (of the last pass).  A cell's |h| grows with its firing's variability (Poisson counts
#: are over-dispersed in this network, more so at high rates; an expected count below 1
#: is floored), so without this, noise alone would favour fast-firing presynaptic
#: partners, which then drive their targets harder; what a partner's signal says about
#: co-activity with this post is how it compares with that cell's other targets.
POPULATION_POSITIVE_SIGNAL = (
    f"({POSITIVE_SIGNAL} / (hpos_pre_mean_pre + 1e-12) * int(hpos_pre_mean_pre > 0))"
)

#: Pool lines of the ``population`` signal after the rule's: the presynaptic sums.
POPULATION_AFTER = f"hpos_pre_acc_pre += {POSITIVE_SIGNAL}\ncandidates_acc_pre += 1"

#: ... and per neuron after the pass: their mean for the next pass.
POPULATION_NEURON_AFTER = (
    "pass_spikes = 0\n"
    "hpos_pre_mean = hpos_pre_acc / (candidates_acc + 1e-9)\n"
    "hpos_pre_acc = 0\n"
    "candidates_acc = 0"
)

#: Relative signal of a candidate: [h]+ over its cell's mean over dead candidates.
_RELATIVE_SIGNAL = f"{POSITIVE_SIGNAL} / (hpos_mean_post + 1e-12) * int(hpos_mean_post > 0)"


#: The ``axonal_elements`` option's code (MSP with both elements; HebbianOptions): what
#: a new synapse's form weight and a live one's hazard add, what the pass counts per
#: presynaptic cell, the axonal elements' growth, and the per-neuron bookkeeping after it.
AXONAL_FORM = " * axon_accept_pre * (axonal * int(floor(z_axon_pre) > n_out_pre) + (1 - axonal))"
AXONAL_HAZARD = (
    " + alive * axonal * clip(n_out_pre - floor(z_axon_pre) - rewire_tolerance, 0, inf)"
    " / (n_out_pre + 1e-9)"
)
AXONAL_AFTER = (
    "n_out_acc_pre += alive\n"
    # what the posts proposed to this presynaptic cell (before its acceptance)
    "requests_acc_pre += (1 - alive + born - die) * p_form / (axon_accept_pre + 1e-12)"
)
AXONAL_GROWTH = "dz_axon/dt = axonal * rewiring_on * time_rate(t) * nu_grow * growth_curve : 1"
AXONAL_NEURON_AFTER = (
    "n_out = n_out_acc\n"
    "n_out_acc = 0\n"
    "axon_accept = axonal * clip(clip(floor(z_axon) - n_out, 0, inf) / (requests_acc + 1e-9), 0, 1)"
    " + (1 - axonal)\n"
    "requests_acc = 0"
)

#: The ``bcm`` and ``covariance`` signals' running rate, per neuron (unused by ``population``).
RATE_TRACE = "drate_h/dt = -time_rate(t) * rate_h / tau_rate : Hz"
RATE_ON_SPIKE = "rate_h += time_rate(t) / tau_rate"


def _without_axonal(rule: RewiringRule) -> RewiringRule:
    """The rule without the axonal-element code: identical results, a cheaper pass.

    The axonal elements stay declared (at their initial out-degree, so the record is
    what it was) but neither grow nor enter the pass.
    """
    return replace(
        rule,
        form_weight=rule.form_weight.replace(AXONAL_FORM, ""),
        extra_hazard=rule.extra_hazard.replace(AXONAL_HAZARD, ""),
        after=rule.after.replace("\n" + AXONAL_AFTER, ""),
        neuron_equations=rule.neuron_equations.replace(AXONAL_GROWTH, "z_axon : 1"),
        neuron_after=rule.neuron_after.replace("\n" + AXONAL_NEURON_AFTER, ""),
    )


def _hebbian_for(rule: RewiringRule, options: Section) -> RewiringRule:
    """The ``hebbian`` rule with the code its options use, and only that.

    ``signal`` picks the drive (the rule as written is ``bcm``); without
    ``axonal_elements`` their code is left out of the pass and the neuron updates.
    """
    if not options.axonal_elements:
        rule = _without_axonal(rule)
    if options.signal == "bcm":
        return rule
    if options.signal == "covariance":
        update = coactivity_update(DRIVES["covariance"])
        return replace(rule, after=rule.after.replace(COACTIVITY_UPDATE, update))

    # [h]+ over the presynaptic cell's own mean [h]+ wherever the rule reads [h]+
    def per_presynaptic_scale(code: str) -> str:
        return code.replace(POSITIVE_SIGNAL, POPULATION_POSITIVE_SIGNAL)

    return replace(
        rule,
        form_weight=per_presynaptic_scale(rule.form_weight),
        extra_hazard=per_presynaptic_scale(rule.extra_hazard),
        after=per_presynaptic_scale(rule.after).replace(COACTIVITY_UPDATE, POPULATION_UPDATE)
        + "\n"
        + POPULATION_AFTER,
        neuron_equations=rule.neuron_equations.replace(RATE_TRACE + "\n", "")
        + "\n"
        + POPULATION_NEURON_EQUATIONS,
        neuron_on_spike=rule.neuron_on_spike.replace(RATE_ON_SPIKE, "pass_spikes += 1"),
        neuron_before=rule.neuron_before + "\n" + POPULATION_EXCESS,
        neuron_after=rule.neuron_after + "\n" + POPULATION_NEURON_AFTER,
        population_sums=(("pass_spikes", "1"), ("calcium", "Hz")),
    )


#: The co-activity rule: which partners form follows a Hebbian, BCM-like signal, and new
#: synapses stay nascent (an extra removal hazard) until activity stabilises them.
#: ``stage``: 0 stable, 1 nascent, 2 stabilised and maturing toward w = 1.
HEBBIAN = RewiringRule(
    name="hebbian",
    description=(
        "partners chosen by co-activity (a share `bias`); new synapses nascent until their "
        "co-activity stabilises them; removal weighted by exp(-w/w_ref)"
    ),
    prune_weight="exp(-w / w_ref)",
    form_weight=(
        f"(1 + hebbian_bias * ({POSITIVE_SIGNAL} / (hpos_mean_post + 1e-12) - 1)"
        " * int(hpos_mean_post > 0))" + AXONAL_FORM
    ),
    extra_hazard=(
        "alive * int(stage == 1) * (1 - exp(-dt_bio * nascent_hazard"
        f" * exp(-{POSITIVE_SIGNAL} / (protect * hpos_mean_post + 1e-12))))" + AXONAL_HAZARD
    ),
    after="\n".join(
        [
            COACTIVITY_UPDATE,
            "elig = elig * (1 - die) * (1 - born) + int(stage == 1) * alive * (1 - born) * "
            + _RELATIVE_SIGNAL
            + " * dt_bio / (86400 * second)",
            "stage = stage * (1 - die) * (1 - born) + born",
            "stage = stage + int(stage == 1) * alive * int(elig >= stabilise_after)",
            "w = w + alive * clip(1 - w, 0, inf) * (1 - exp(-dt_bio / tau_mature))"
            " * clip(int(stage == 2) + mature_all, 0, 1)",
            "stage = stage - 2 * int(stage == 2) * int(w >= 0.99)",
            "nascent_acc_post += alive * int(stage == 1)",
            "stable_acc_post += alive * int(stage == 0)",
            "stable_w_acc_post += alive * int(stage == 0) * w",
            f"hpos_acc_post += (1 - alive) * {POSITIVE_SIGNAL}",
            "dead_acc_post += 1 - alive",
            AXONAL_AFTER,
        ]
    ),
    pool_variables="h : 1\nstage : 1\nelig : 1",
    neuron_equations=(
        RATE_TRACE + "\n"
        "hpos_acc : 1\n"
        "dead_acc : 1\n"
        "hpos_mean : 1\n"
        "nascent_acc : 1\n"
        "n_nascent : 1\n"
        "stable_acc : 1\n"
        "stable_w_acc : 1\n"
        "w_stable : 1\n" + AXONAL_GROWTH + "\n"
        "n_out : 1\n"
        "n_out_acc : 1\n"
        "requests_acc : 1\n"
        "axon_accept : 1"
    ),
    neuron_on_spike=RATE_ON_SPIKE,
    # the next pass's form weights (without the presynaptic acceptance) sum to the dead
    # count exactly: they use this pass's h and its per-cell mean of [h]+ (the
    # framework's own sum would be a pass older).  With axonal elements a presynaptic
    # cell accepts the proposals of the last pass only up to its free elements
    # (axon_accept), so a pass forms about min(proposals, free elements) synapses from
    # it, as NEST's pairing of free elements would, and a post may form fewer than its
    # vacancies ask for
    neuron_after=(
        "hpos_mean = hpos_acc / (dead_acc + 1e-9)\n"
        "form_total = dead_acc\n"
        "hpos_acc = 0\n"
        "dead_acc = 0\n"
        "n_nascent = nascent_acc\n"
        "nascent_acc = 0\n"
        "w_stable = stable_w_acc / (stable_acc + 1e-9)\n"
        "stable_acc = 0\n"
        "stable_w_acc = 0\n" + AXONAL_NEURON_AFTER
    ),
    options=HebbianOptions,
    specialise=_hebbian_for,
    namespace=lambda options: {
        "hebbian_bias": options.bias,
        "tau_hebbian": options.tau_hebbian,
        "tau_rate": options.tau_rate,
        "nascent_hazard": options.nascent_hazard,
        "protect": options.protect,
        "stabilise_after": options.stabilise_after,
        "mature_all": float(options.maturation == "all"),
        "axonal": float(options.axonal_elements),
    },
    initial_weights=lambda namespace: (float(np.exp(-1.0 / namespace["w_ref"])), 1.0),
    records=(
        Record(
            "ee_coactivity_mean",
            "hpos_mean",
            "mean",
            "co-activity signal [h]+ of the dead candidates (mean per E cell)",
        ),
        Record("ee_nascent_synapses", "n_nascent", "sum", "nascent E→E synapses (count)"),
        Record(
            "ee_stable_weight_mean",
            "w_stable",
            "mean",
            "mean weight of the stable E→E synapses (relative, 1 = initial)",
        ),
        Record("axonal_elements_mean", "z_axon", "mean", "axonal elements per E cell (count)"),
    ),
    initial_values=lambda degrees: {
        "z_axon": degrees["out_degree"],
        "n_out": degrees["out_degree"],
        "axon_accept": np.ones_like(degrees["out_degree"]),
        "w_stable": np.ones_like(degrees["out_degree"]),
    },
)

#: Rules known by a short name.
BUILT_IN: dict[str, RewiringRule] = {rule.name: rule for rule in (WEAKEST_FIRST, HEBBIAN)}


def find_rule(key: str) -> RewiringRule:
    """The rule a config names: a built-in name, or ``"module:ATTRIBUTE"``.

    Raises
    ------
    ValueError
        Saying why (the key's path is the caller's to add).
    """
    if key in BUILT_IN:
        return BUILT_IN[key]
    module_name, colon, attribute = key.partition(":")
    if not colon or not module_name or not attribute:
        raise ValueError(
            f"expected a built-in rule ({', '.join(sorted(BUILT_IN))}) or 'module:NAME' of a "
            f"RewiringRule in an importable module{suggest(key, BUILT_IN)}"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"cannot import {module_name!r} ({err})") from None
    rule = getattr(module, attribute, None)
    if not isinstance(rule, RewiringRule):
        found = "nothing" if rule is None else type(rule).__name__
        raise ValueError(f"{module_name}.{attribute} is {found}, not a RewiringRule")
    return rule


def resolve_rule(key: str) -> RewiringRule:
    """:func:`find_rule`, with a :class:`ConfigError` naming ``plasticity.structural.rule``."""
    try:
        return find_rule(key)
    except ValueError as err:
        raise ConfigError(f"plasticity.structural.rule = {key!r}: {err}") from None


def check_options(rule_key: str, options: Mapping[str, Any]) -> Section:
    """The rule's options validated by its own table (ValueError: the first problem)."""
    rule = find_rule(rule_key)
    try:
        return rule.options.model_validate(dict(options))
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        if first["type"] == "extra_forbidden":
            names = list(rule.options.model_fields)
            raise ValueError(
                f"unknown key {key!r}{suggest(key, names)} (the options of rule "
                f"{rule_key!r}: {', '.join(names) or 'none'})"
            ) from None
        raise ValueError(f"{key} = {first.get('input')!r}: {first['msg']}") from None


def provenance(key: str) -> dict[str, str]:
    """Name, module and module version of the rule ``key`` (for a run's records)."""
    rule = resolve_rule(key)
    if key in BUILT_IN:
        return {"key": key, "name": rule.name, "module": __name__, "version": __version__}
    module = importlib.import_module(key.partition(":")[0])
    version = getattr(module, "__version__", None)
    if version is None:
        try:
            source = inspect.getsource(module)
        except (OSError, TypeError):
            source = ""
        version = "sha256:" + hashlib.sha256(source.encode()).hexdigest()[:16]
    return {"key": key, "name": rule.name, "module": module.__name__, "version": str(version)}
