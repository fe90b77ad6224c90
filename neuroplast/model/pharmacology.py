"""Drug pharmacokinetics (dose schedule -> brain concentration) and NMDA-receptor occupancy.

Everything here runs in **biological time** (seconds of a patient's or an animal's clock,
written in configs as "40 min", "24 h", "7 days"); mapping it onto network time is the
scheduler's job (SCIENCE.md §7).  Pure numpy and brian2 units; no network is simulated.

Pharmacokinetics: linear two-compartment model with first-order absorption (SCIENCE.md §2.2)
-----------------------------------------------------------------------------------------------
Per extravascular route r a depot D_r; the central (plasma) compartment A1; the peripheral
compartment A2; and, for bookkeeping, the cumulative eliminated amount A_el::

    dD_r/dt  = F_r R_r(t) - k_a,r D_r                       (zero-order input or bolus F_r dose)
    dA1/dt   = F_iv R_iv(t) + sum_r k_a,r D_r - (k10 + k12) A1 + k21 A2
    dA2/dt   = k12 A1 - k21 A2
    dA_el/dt = k10 A1
    C_plasma = A1 / V1,      C_brain = rho C_plasma

    k10 = CL / V1,   k12 = Q / V1,   k21 = Q / V2,   V2 = V_ss - V1      (all per kg)

F (bioavailability) scales what enters the depot (or, for ``iv``, the central compartment,
F = 1).  Amounts are in mg, volumes V1 = v_central * body weight; C is converted to µM with
the molar mass of the base.  The system is linear with piecewise-constant input, so it is
solved **exactly** on any time grid: with the state x and the rate matrix M, each interval of
length h with constant input rate u advances x(t + h) = e^{Mh} x(t) + Phi(h) u, where
Phi(h) = integral_0^h e^{Ms} ds.  Both come from one matrix exponential of the augmented
matrix [[M h, I], [0, 0]] (Van Loan 1978), computed to round-off by scaling and squaring
of a degree-18 Taylor series (Moler & Van Loan 2003, "Nineteen dubious ways").  Unlike an
eigendecomposition this stays exact when an absorption rate equals a disposition rate (M
is then defective).  Boluses enter at their start time (values are right-continuous);
no time step is involved, so there is no step-size error.

With the ketamine defaults k10 = 0.020, k12 = 0.050, k21 = 0.025 /min:
t1/2alpha = 7.8 min and t1/2beta = 2.07 h; 0.5 mg/kg over 40 min peaks at 0.87 µM at the end
of the infusion (target C5: 0.78 µM +/- 25 %, Zarate 2006 in Zanos 2018 Table 1).

Correction to SCIENCE.md §2.2 [D]: in this two-compartment model T_max = 20-40 min needs
k_a ~ 1.3-3 /h, not 3-6 /h (6 /h gives T_max = 13 min: the fast distribution phase pulls
the peak earlier than in a one-compartment model).  The tabled k_a are chosen for T_max.

Pharmacodynamics: NMDA occupancy per cell type (SCIENCE.md §2.1)
----------------------------------------------------------------
Fraction of NMDA conductance blocked on cell type k in {exc, inh}, and what remains::

    f_k(C) = C^n / (C^n + IC50_k^n),      nmda_available_k = 1 - f_k(C_brain)

The network multiplies g_NMDA of cell type k by nmda_available_k (``nmda_scale`` in
:mod:`neuroplast.model.receptors`).  With ``interneuron_preference = false`` IC50_inh is set
to IC50_exc.  Several drugs at the same pore site combine competitively
(f = X / (1 + X), X = sum_d (C_d / IC50_d)^n_d; exact for n = 1) [D].

Optional trapping kinetics [D] (SCIENCE.md §2.1; brian2 string :data:`TRAPPING_EQUATIONS`).
Block B = B_trap + B_esc; the drug binds and unbinds only while channels are open
(open fraction o(t), defined by the network from the neuron's NMDA gating and Mg2+ unblock,
:mod:`neuroplast.model.receptors`); a fraction phi of the block
is trapped by channel closure, the rest escapes from closed channels at rate k_untrap
(two-site picture of partial trapping, Kotermanski, Wood & Johnson 2009)::

    dB_trap/dt = o (phi k_on C (1 - B) - k_off B_trap)
    dB_esc/dt  = o ((1 - phi) k_on C (1 - B) - k_off B_esc) - (1 - o) k_untrap B_esc

For full trapping (phi = 1, ketamine) or o = 1 the equilibrium is
B_inf = C / (C + k_off / k_on), the Hill n = 1 occupancy; k_off is therefore derived per cell
type as k_off,k = k_on IC50_k, so the kinetic and the equilibrium model agree.  In general
B_inf = c' / (1 + c') with c' = (C k_on / k_off) (phi + (1 - phi) g),
g = o k_off / (o k_off + (1 - o) k_untrap)  (:func:`trapping_equilibrium`).

In the network (``pharmacology.trapping = true``; receptors.py ``NMDA_SCALE_TRAPPING``) every
neuron integrates these equations in biological time (rates times ``time_rate(t)``; the open
fraction o comes from its channels, which open and close in network time), with
per-neuron constants of its cell type (:func:`trapping_namespace`: k_off differs between
pyramidal cells and interneurons) and C from the ``drug_concentration`` TimedArray of network
time (schedules.py).  Its NMDA conductance is scaled by 1 - B instead of 1 - f_k(C); B starts
at the equilibrium of the concentration at t = 0 (:func:`trapping_initial_state`).  The run
records the mean B per population as ``occupancy_exc`` / ``occupancy_inh`` (measures.py).
Trapping follows one blocker: a schedule with doses of two drugs is rejected.  The BDNF
"direct" route (bdnf.py) and the STDP gate (plasticity.py) still read the equilibrium
occupancy schedule f_exc(C).

Mechanism hypotheses (SCIENCE.md §2.3; config ``mechanism``)
------------------------------------------------------------
* ``disinhibition`` (Homayoun & Moghaddam 2007; Gerhard 2020 JCI; Picard 2019): ketamine
  blocks interneuron NMDARs preferentially (IC50_inh < IC50_exc), interneurons slow, pyramidal
  cells fire more; BDNF production follows E activity.
* ``direct`` block at rest (Autry et al 2011 Nature 475:91): block of spontaneously activated
  NMDARs on pyramidal cells -> eEF2 -> BDNF translation; BDNF production term proportional to
  f_exc, independent of firing.
* ``both`` (the default).  SCIENCE.md §3.2 gives both gains as defaults (k_act = 1,
  k_dir = 2) and pure disinhibition as the test with k_dir = 0.  Without a drug the
  direct term is exactly 0, so a drug-free run is the same under ``both`` and
  ``disinhibition``.  The occupancy always scales the NMDA conductances; ``mechanism``
  only tells the BDNF model which coupling(s) to switch on.  Disinhibition only emerges
  when f_inh > f_exc (SCIENCE.md §2.3 [C]), so ``interneuron_preference = false`` is its
  control arm.

Slow-onset BDNF effect: the SSRI-like comparator (drug ``ssri``) [D]
--------------------------------------------------------------------
Chronic, not acute, antidepressant treatment raises BDNF mRNA in hippocampus and cortex:
after 14-21 days of daily dosing, not after a single dose (Nibuya, Morinobu & Duman 1995
J Neurosci 15:7539; SCIENCE.md §3.1).  The ``ssri`` drug (sertraline PK, oral, once daily)
blocks no NMDA receptors (its NMDA keys are "none": occupancy 0, no acute network effect,
no slowed clock around its doses) and carries a :class:`SlowBDNFEffect`::

    E(T) = C^n / (C^n + EC50^n)                  target (SERT) engagement, from the PK
    tau_on dF/dT = E(T) - F                      slow adaptation (weeks)
    BDNF production x (1 + gain F)               bdnf.py, schedule ``bdnf_drug_factor``

EC50 is calibrated so that 50 mg/day engages ~80 % of SERT at steady state (Meyer et al
2004), where the PK settles within a week; tau_on = 10 days then puts the factor at < 10 %
of its plateau after one day and at 75-90 % after 2-3 weeks (:func:`slow_bdnf_course`).
The factor is read by the per-cell BDNF production only, not by the activity-triggered
surge (bdnf.py): the drug changes how much BDNF cells make, not the firing that releases
the surge.  The comparator is a time-course device, not a model of serotonergic
signalling: serotonin, 5-HT receptors, SERT internalisation and the delayed network
effects of SSRIs are out of scope.

Parameters (drug table ``neuroplast/drugs.toml``; every value there carries its source)

============================ ============= ========= ===========================================
name                         default       unit      source
============================ ============= ========= ===========================================
molar_mass (ketamine base)   237.7         g/mol     [V] docslib table; SCIENCE.md §2.1
clearance CL                 0.020         L/kg/min  [V] PMC9118341 Table 6 + [D] arithmetic
v_central V1                 1.0           L/kg      [D,C] calibrated to Zarate 2006 C_max
v_ss                         3.0           L/kg      [D,C] calibrated to t1/2beta 2-3 h
intercompartmental Q         0.05          L/kg/min  [D,C] t1/2alpha ~ 8 min
F iv / IN / SL / oral / IM   1/.45/.29/.20/.93       Yanagihara 2003; Rolan 2014; [M] Clements 1982
k_a IN / SL / oral / IM      2.5/1.1/0.8/3 /h        [D] fitted to T_max (see drugs.toml)
ic50_exc                     5             µM        [M] Kotermanski & Johnson 2009 (GluN2A/B, Mg)
ic50_inh                     1.5           µM        [M] same (GluN2C/D, Mg) [D choice]
hill n                       1             1         [D] (0.6 sensitivity case)
brain_plasma_ratio rho       1             1         [D] SCIENCE.md §2.2
k_on (trapping)              0.15          /µM/s     [V] Gilling et al 2009 (abstract)
trapped_fraction phi         1             1         [V] Gilling 2009 (Mealing 1999: 86 %)
k_untrap                     1.27          /s        [V] Kotermanski, Wood & Johnson 2009
esketamine CL                0.018         L/kg/min  [V] Wang et al 2019 DDDT (PMC6902860)
esketamine IC50 exc / inh    3.0 / 0.9     µM        [D] racemate x 0.61 from [M] Ebert 1997 S/R
esketamine F, k_a nasal      0.48, 2.0 /h            [V] Spravato label; [D] T_max ~ 27 min
memantine v_ss, F            10 L/kg, 1.0            [V] Namenda label
memantine CL                 0.00165       L/kg/min  [D] t1/2 ~ 70 h (label 60-80 h)
memantine IC50 exc / inh     10.6 / 2.0    µM        [V] docslib table (oocytes, 1 mM Mg2+)
memantine k_on, phi          0.32 /µM/s, 0.8         [V] Gilling 2009 (rho = 1 as ketamine)
body_weight                  70            kg        reference adult (C5 is stated for 70 kg)
ssri t1/2 (CL), v_ss         26 h, 20 L/kg           DeVane et al 2002 [V abstract]; [M] label
ssri oral F, k_a             0.44, 0.15 /h           [M]; [D] T_max ~ 6 h (label 4.5-8.4 h)
ssri target_ec50, n          0.018 µM, 1             [D] ~80 % SERT at 50 mg/day (Meyer 2004)
ssri gain, onset             0.5, 10 days            [D] Nibuya, Morinobu & Duman 1995
============================ ============= ========= ===========================================

Caveats
-------
* Sources disagree on the half-life (2-3 h clinical summaries; 79 min in the 1979 anaesthesia
  study; terminal 5-6 h for ketamine and 7-12 h for esketamine in some reports).  The default
  (2.07 h) follows SCIENCE.md §2.2; a slow deep compartment is not modelled.  Override
  ``[pharmacology.drugs.<name>]`` clearance / v_ss to explore.
* Intranasal racemic F: 45 % (Yanagihara 2003, cited by Al Shirawi 2017; default) vs 11-17 %
  (PMC9118341).  Override ``[pharmacology.drugs.ketamine.routes.intranasal] bioavailability``.
* Brain/plasma rho = 1 for every drug [D] (SCIENCE.md §2.2), so ketamine and memantine are
  compared on equal terms; memantine's CSF/serum ratio is 0.52 (SmPC) and the free-fraction
  logic would give ~0.5 for ketamine (~53 % protein bound) too.
* k_off = k_on IC50_k uses IC50s measured in 1 mM Mg2+; on pyramidal cells it exceeds the
  Mg2+-free k_off of Gilling 2009 (ketamine 0.75 vs 0.22 /s; memantine 3.4 vs 0.53 /s).  On
  ketamine's interneuron receptors it matches (0.225 /s).
* Active metabolites (norketamine ~1/3 potency, hydroxynorketamines) are out of scope; oral
  and sublingual routes make much norketamine (Chong 2006), so their effect is understated.
* Trapping is a slow process in biological time: the block relaxes at rate
  o (k_on C + k_off), and with the open fraction o ~ 0.017 of the default network that is
  tau ~ 65 s (exc) and ~ 160 s (inh) at C ~ 1 µM -- minutes, like the PK.  The kinetics
  are therefore advanced in biological time (``time_rate(t)`` times the rates, DESIGN.md
  "Two clocks"), with o sampled from the network's own channel gating in network time; in
  compressed time each network second stands for r(t) biological seconds with the same
  gating statistics.  Integrated in network time instead, the block could not follow a
  40-min infusion compressed into 6.7 s of network time [C] (quick network, session rate
  360: B_exc 0.013 and B_inh 0.014 at 1 h against peaks f_exc 0.14, f_inh 0.36), and far
  from equilibrium both cell types block at the same rate o k_on C, so the interneuron
  preference (a smaller k_off) and the disinhibition it causes would vanish as an artefact
  of the time compression.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

import numpy as np
from brian2 import Quantity, get_dimensions, have_same_dimensions
from brian2.units import hertz, kgram, liter, mgram, second, umolar
from brian2.units.fundamentalunits import DIMENSIONLESS
from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from neuroplast.schema import ConfigError, Qty, Section, param
from neuroplast.units import QuantityParseError, dimension_of, format_quantity, parse_quantity

__all__ = [
    "CELL_TYPES",
    "DRUGS",
    "ROUTES",
    "TRAPPING_EQUATIONS",
    "acute_doses",
    "CompartmentAmounts",
    "DoseConfig",
    "Drug",
    "DrugOverride",
    "EscalationConfig",
    "PharmacologyConfig",
    "PharmacologyTimecourse",
    "NMDA_KEYS",
    "Route",
    "RouteOverride",
    "SlowBDNFCourse",
    "SlowBDNFEffect",
    "SlowBDNFOverride",
    "brain_concentration",
    "combined_occupancy",
    "compartment_amounts",
    "concentration",
    "distribution_half_life",
    "load_drug_table",
    "nmda_available",
    "occupancy",
    "pharmacology_timecourse",
    "potency",
    "slow_bdnf_course",
    "terminal_half_life",
    "trapping_equilibrium",
    "trapping_initial_state",
    "trapping_namespace",
    "trapping_rates",
]

#: Routes of administration known to the model (a drug tables the subset it supports).
ROUTES = ("iv", "intranasal", "sublingual", "oral", "im")
RouteName = Literal["iv", "intranasal", "sublingual", "oral", "im"]

#: Cell types with their own NMDA IC50 (names as in ``neurons.exc`` / ``neurons.inh``).
CELL_TYPES = ("exc", "inh")
_CELL_ALIASES = {"exc": "exc", "e": "exc", "inh": "inh", "i": "inh"}

DRUG_TABLE_FILE = "drugs.toml"
ZARATE = "Zarate et al 2006 (Zanos et al 2018 Pharmacol Rev Table 1); SCIENCE.md §2.2"

_MASS = get_dimensions(kgram)

# --------------------------------------------------------------------------- drug table


@dataclass(frozen=True, eq=False)
class Route:
    """How a drug enters the body by one route.

    Attributes
    ----------
    name : str
        One of :data:`ROUTES`.
    bioavailability : float
        Fraction F of the dose that reaches the systemic circulation, in (0, 1].
    absorption_rate : brian2.Quantity or None
        First-order absorption rate k_a (1/time); ``None`` for ``iv`` (no depot).
    sources : Mapping[str, str]
        Source of each value, by attribute name.
    """

    name: str
    bioavailability: float
    absorption_rate: Quantity | None
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.name not in ROUTES:
            raise ValueError(f"route {self.name!r}: expected one of {', '.join(ROUTES)}")
        if not 0 < self.bioavailability <= 1:
            raise ValueError(
                f"routes.{self.name}.bioavailability = {self.bioavailability!r}: "
                "expected a fraction in (0, 1]"
            )
        if (self.name == "iv") != (self.absorption_rate is None):
            need = "no absorption_rate" if self.name == "iv" else "an absorption_rate > 0"
            raise ValueError(f"routes.{self.name}: expected {need}")
        if self.absorption_rate is not None and not float(self.absorption_rate) > 0:
            shown = format_quantity(self.absorption_rate, "/h")
            raise ValueError(f"routes.{self.name}.absorption_rate = {shown!r}: expected > 0")


#: Drug-table keys of the NMDA-receptor pharmacodynamics: all set, or all "none".
NMDA_KEYS = ("ic50_exc", "ic50_inh", "hill", "k_on", "trapped_fraction", "k_untrap")


@dataclass(frozen=True, eq=False)
class SlowBDNFEffect:
    """A BDNF effect that builds over weeks of dosing (the SSRI-like comparator) [D].

    The drug engages its target (the serotonin transporter, SERT, for an SSRI) with a
    Hill occupancy of its brain concentration, and BDNF production follows that
    engagement only slowly (module doc, "Slow-onset BDNF effect")::

        E(T) = C^n / (C^n + EC50^n)              target engagement (SERT occupancy)
        tau dF/dT = E(T) - F                     slow adaptation, F in [0, 1)
        BDNF production factor = 1 + gain * F

    Attributes
    ----------
    target_ec50 : brian2.Quantity
        Brain concentration at which half the target is engaged.
    target_hill : float
        Hill coefficient n of the engagement.
    gain : float
        Fractional rise of BDNF production at full, sustained engagement (F = 1).
    onset : brian2.Quantity
        Time constant tau of the build-up (and of the decay after dosing stops).
    sources : Mapping[str, str]
        Source of each value, by attribute name.
    """

    target_ec50: Quantity
    target_hill: float
    gain: float
    onset: Quantity
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("target_ec50", "target_hill", "onset"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"bdnf_effect.{name} = {getattr(self, name)!r}: expected > 0")
        if not self.gain >= 0:
            raise ValueError(f"bdnf_effect.gain = {self.gain!r}: expected >= 0")


@dataclass(frozen=True, eq=False)
class Drug:
    """One drug: two-compartment PK per kg of body weight and NMDA-receptor PD.

    A student adds a drug by adding a block to ``neuroplast/drugs.toml`` (every value with a
    source), or in code with ``dataclasses.replace(DRUGS["ketamine"], name=..., ...)``.

    Attributes
    ----------
    name, description : str
        Table key and a one-line description.
    molar_mass : brian2.Quantity
        Of the base (converts mg/L to µM).
    clearance, intercompartmental_clearance : brian2.Quantity
        CL and Q, volume per body mass per time.
    v_central, v_ss : brian2.Quantity
        Central volume V1 and steady-state volume V_ss = V1 + V2, volume per body mass.
    routes : Mapping[str, Route]
        The routes by which the drug can be given.
    ic50_exc, ic50_inh : brian2.Quantity or None
        Half-blocking concentration on pyramidal (exc) and interneuron (inh) NMDARs.
    hill : float or None
        Hill coefficient n of the occupancy curve.
    brain_plasma_ratio : float
        rho, C_brain = rho * C_plasma.
    k_on : brian2.Quantity or None
        Blocking rate constant (1/(concentration time)) for the trapping kinetics.
    trapped_fraction : float or None
        phi, fraction of the block trapped when channels close (1 = full trapping).
    k_untrap : brian2.Quantity or None
        Escape rate from closed channels of the untrapped fraction.
    sources : Mapping[str, str]
        Source of each value, by attribute name.
    slow_bdnf : SlowBDNFEffect or None
        The slow (weeks) rise of BDNF production under repeated dosing, for a drug that
        has one (the SSRI-like comparator); ``None`` for the NMDA blockers.

    A drug that blocks no NMDA receptors (the SSRI-like comparator) has every NMDA key
    (:data:`NMDA_KEYS`) set to ``None`` (``value = "none"`` in the table, with a source
    saying so); its occupancy is 0 on both cell types.
    """

    name: str
    description: str
    molar_mass: Quantity
    clearance: Quantity
    v_central: Quantity
    v_ss: Quantity
    intercompartmental_clearance: Quantity
    routes: Mapping[str, Route]
    ic50_exc: Quantity | None
    ic50_inh: Quantity | None
    hill: float | None
    brain_plasma_ratio: float
    k_on: Quantity | None
    trapped_fraction: float | None
    k_untrap: Quantity | None
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict)
    slow_bdnf: SlowBDNFEffect | None = None

    def __post_init__(self) -> None:
        for name in (
            "molar_mass",
            "clearance",
            "v_central",
            "v_ss",
            "intercompartmental_clearance",
            "brain_plasma_ratio",
        ):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} = {self._shown(name)}: expected a value > 0")
        if not self.v_ss > self.v_central:
            raise ValueError(
                f"v_ss = {self._shown('v_ss')}: expected more than v_central "
                f"({self._shown('v_central')}); V_ss = V1 + V2 with a peripheral volume V2 > 0"
            )
        self._check_nmda_block()
        if not self.routes:
            raise ValueError("routes: expected at least one route")

    def _check_nmda_block(self) -> None:
        """The NMDA keys are all set (a blocker) or all None (no NMDA block)."""
        unset = [name for name in NMDA_KEYS if getattr(self, name) is None]
        if unset and len(unset) < len(NMDA_KEYS):
            given = ", ".join(name for name in NMDA_KEYS if name not in unset)
            raise ValueError(
                f"{', '.join(unset)} = 'none' but {given} set: expected every NMDA key "
                f"({', '.join(NMDA_KEYS)}) set (an NMDA blocker) or every one 'none' "
                "(a drug without NMDA block)"
            )
        if unset:
            return
        for name in ("ic50_exc", "ic50_inh", "k_on", "hill"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} = {self._shown(name)}: expected a value > 0")
        if not 0 <= self.trapped_fraction <= 1:
            raise ValueError(
                f"trapped_fraction = {self.trapped_fraction!r}: expected a fraction in [0, 1]"
            )
        if float(self.k_untrap) < 0:
            raise ValueError(f"k_untrap = {self._shown('k_untrap')}: expected >= 0")

    @property
    def blocks_nmda(self) -> bool:
        """Whether the drug blocks NMDA receptors (and so acts on the network acutely)."""
        return self.ic50_exc is not None

    def _shown(self, name: str) -> str:
        """A value as written in the drug table, e.g. ``'3 L/kg'``."""
        value = getattr(self, name)
        unit = _DRUG_UNITS.get(name, "1")
        return repr(value) if unit == "1" else repr(format_quantity(value, unit))

    @property
    def v_peripheral(self) -> Quantity:
        """Peripheral volume V2 = V_ss - V1 (per kg)."""
        return self.v_ss - self.v_central

    def rate_constants(self) -> tuple[float, float, float]:
        """Micro-constants ``(k10, k12, k21)`` in 1/s (per-kg volumes cancel)."""
        k10 = float(self.clearance / self.v_central)
        k12 = float(self.intercompartmental_clearance / self.v_central)
        k21 = float(self.intercompartmental_clearance / self.v_peripheral)
        return k10, k12, k21


# The unit each table entry is read in (and the dimension it must have).
_DRUG_UNITS = {
    "molar_mass": "g/mol",
    "clearance": "L/kg/min",
    "v_central": "L/kg",
    "v_ss": "L/kg",
    "intercompartmental_clearance": "L/kg/min",
    "ic50_exc": "uM",
    "ic50_inh": "uM",
    "hill": "1",
    "brain_plasma_ratio": "1",
    "k_on": "/uM/s",
    "trapped_fraction": "1",
    "k_untrap": "/s",
}
_ROUTE_UNITS = {"bioavailability": "1", "absorption_rate": "/h"}
_SLOW_BDNF_UNITS = {"target_ec50": "uM", "target_hill": "1", "gain": "1", "onset": "day"}


def _table_value(entry: Any, where: str, unit: str) -> tuple[Any, str]:
    """Read ``{value = ..., source = "..."}`` in ``unit``; return (value, source)."""
    if not isinstance(entry, dict) or set(entry) != {"value", "source"}:
        raise ConfigError(f'{where}: expected {{ value = ..., source = "..." }}, got {entry!r}')
    source = entry["source"]
    if not isinstance(source, str) or not source.strip():
        raise ConfigError(f"{where}.source: expected a non-empty citation")
    raw = entry["value"]
    if unit == "1":
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ConfigError(f"{where} = {raw!r}: expected a plain number")
        return float(raw), source
    try:
        quantity = parse_quantity(raw)
    except QuantityParseError as err:
        raise ConfigError(f"{where} = {raw!r}: {err}; expected a value in {unit}") from None
    if get_dimensions(quantity) != dimension_of(unit):
        raise ConfigError(f"{where} = {raw!r}: wrong dimension, expected a value in {unit}")
    return quantity, source


def _nmda_value(entry: Any, where: str, unit: str) -> tuple[Any, str]:
    """An NMDA key: a value, or ``"none"`` for a drug that blocks no NMDA receptors."""
    if isinstance(entry, dict) and entry.get("value") == "none":
        _, source = _table_value({**entry, "value": 0.0}, where, "1")  # checks the source
        return None, source
    return _table_value(entry, where, unit)


def _slow_bdnf_from_table(data: Any, where: str) -> SlowBDNFEffect:
    if not isinstance(data, dict) or set(data) != set(_SLOW_BDNF_UNITS):
        raise ConfigError(
            f"{where}: expected exactly the keys {', '.join(sorted(_SLOW_BDNF_UNITS))}"
        )
    values, sources = {}, {}
    for key, unit in _SLOW_BDNF_UNITS.items():
        values[key], sources[key] = _table_value(data[key], f"{where}.{key}", unit)
    try:
        return SlowBDNFEffect(sources=MappingProxyType(sources), **values)
    except ValueError as err:
        raise ConfigError(f"{where}: {err}") from None


def _drug_from_table(name: str, data: Any, where: str) -> Drug:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table of drug properties")
    expected = {"description", "routes", *_DRUG_UNITS}
    missing = expected - set(data)
    unknown = set(data) - expected - {"bdnf_effect"}
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(sorted(missing))}")
        if unknown:
            parts.append(f"unknown {', '.join(sorted(unknown))}")
        raise ConfigError(f"{where}: {'; '.join(parts)} (keys: {', '.join(sorted(expected))})")
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, unit in _DRUG_UNITS.items():
        read = _nmda_value if key in NMDA_KEYS else _table_value
        values[key], sources[key] = read(data[key], f"{where}.{key}", unit)
    if "bdnf_effect" in data:
        values["slow_bdnf"] = _slow_bdnf_from_table(data["bdnf_effect"], f"{where}.bdnf_effect")
    routes = {}
    for route_name, route_data in data["routes"].items():
        rwhere = f"{where}.routes.{route_name}"
        if route_name not in ROUTES:
            raise ConfigError(f"{rwhere}: unknown route (expected one of {', '.join(ROUTES)})")
        allowed = {"bioavailability"} if route_name == "iv" else set(_ROUTE_UNITS)
        if set(route_data) != allowed:
            raise ConfigError(f"{rwhere}: expected exactly the keys {', '.join(sorted(allowed))}")
        rvalues: dict[str, Any] = {"absorption_rate": None}
        rsources: dict[str, str] = {}
        for key in sorted(allowed):
            rvalues[key], rsources[key] = _table_value(
                route_data[key], f"{rwhere}.{key}", _ROUTE_UNITS[key]
            )
        try:
            routes[route_name] = Route(route_name, sources=MappingProxyType(rsources), **rvalues)
        except ValueError as err:
            raise ConfigError(f"{where}: {err}") from None
    try:
        return Drug(
            name=name,
            description=str(data["description"]),
            routes=MappingProxyType(routes),
            sources=MappingProxyType(sources),
            **values,
        )
    except ValueError as err:
        raise ConfigError(f"{where}: {err}") from None


def load_drug_table(path: str | Path | None = None) -> Mapping[str, Drug]:
    """Read a drug table (TOML, one table per drug, every value with its source).

    Parameters
    ----------
    path : str or Path, optional
        TOML file; ``None`` reads the table shipped with the package (``drugs.toml``).

    Returns
    -------
    Mapping[str, Drug]
        Read-only mapping from drug name to :class:`Drug`.

    Raises
    ------
    ConfigError
        Naming the file, the drug and the key of the first bad entry.
    """
    if path is None:
        text = resources.files("neuroplast").joinpath(DRUG_TABLE_FILE).read_text("utf-8")
        where = DRUG_TABLE_FILE
    else:
        text = Path(path).read_text("utf-8")
        where = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{where}: not valid TOML ({err})") from None
    return MappingProxyType(
        {name: _drug_from_table(name, entry, f"{where} [{name}]") for name, entry in data.items()}
    )


#: The drug table shipped with the package: ketamine, esketamine, memantine.
DRUGS: Mapping[str, Drug] = load_drug_table()


def _suggest(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def _known_drug(name: str) -> str:
    """Return the table key for ``name`` (case-insensitive) or raise a helpful ValueError."""
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in DRUGS:
        raise ValueError(
            f"unknown drug {name!r}{_suggest(str(key), DRUGS)} "
            f"(drugs in the table: {', '.join(sorted(DRUGS))})"
        )
    return key


def _resolve_drug(drug: str | Drug) -> Drug:
    if isinstance(drug, Drug):
        return drug
    return DRUGS[_known_drug(drug)]


def _blocker(drug: str | Drug) -> Drug:
    """The drug, which must block NMDA receptors (else a ValueError naming it)."""
    drug = _resolve_drug(drug)
    if not drug.blocks_nmda:
        raise ValueError(
            f"drug {drug.name!r} blocks no NMDA receptors (its NMDA keys are 'none' in the "
            "drug table): it has no NMDA potency or trapping kinetics"
        )
    return drug


# --------------------------------------------------------------------------- config sections


def _validate_amount(value: Any) -> Quantity:
    """A dose: mass per body mass ('0.5 mg/kg') or an absolute mass ('56 mg'), >= 0."""
    if isinstance(value, Quantity):
        quantity = value
    elif isinstance(value, str):
        try:
            quantity = parse_quantity(value)
        except QuantityParseError as err:
            raise ValueError(f"{err}; expected e.g. '0.5 mg/kg' or '56 mg'") from None
        per_kg_text = value.replace(" ", "").lower().endswith("/kg")
        if get_dimensions(quantity) is DIMENSIONLESS and not per_kg_text:
            raise ValueError(
                f"{value!r} has no dose unit: expected mass per body weight such as "
                "'0.5 mg/kg' or an absolute mass such as '56 mg'"
            )
    else:
        raise ValueError(
            f"expected text such as '0.5 mg/kg' or '56 mg', got {type(value).__name__} {value!r}"
        )
    if get_dimensions(quantity) not in (DIMENSIONLESS, _MASS):
        raise ValueError(
            f"wrong dimension: {value!r} is neither a mass per body weight ('0.5 mg/kg') "
            "nor a mass ('56 mg')"
        )
    if not float(quantity) >= 0:
        raise ValueError(f"must be >= 0 (got {value!r}); a dose cannot be negative")
    return quantity


def _per_kg(amount: Quantity) -> bool:
    return get_dimensions(amount) is DIMENSIONLESS


def _format_amount(amount: Quantity) -> str:
    return format_quantity(amount, "mg/kg" if _per_kg(amount) else "mg")


#: Config type of a dose amount: ``"0.5 mg/kg"`` (per body weight) or ``"56 mg"`` (absolute).
DoseAmount = Annotated[
    Quantity,
    BeforeValidator(_validate_amount),
    PlainSerializer(_format_amount, return_type=str),
    WithJsonSchema({"type": "string", "unit": "mg/kg or mg"}),
]


def _dose_mg(amount: Quantity, body_weight: Quantity) -> float:
    """Dose in mg for a body weight (per-kg doses are scaled, absolute ones not)."""
    total = amount * body_weight if _per_kg(amount) else amount
    return float(total / mgram)


def _check_route(drug: str, route: str, duration: Quantity | None) -> None:
    """Raise ValueError unless ``drug`` tables ``route`` and an iv dose has a duration."""
    routes = DRUGS[drug].routes
    if route not in routes:
        raise ValueError(
            f"route = {route!r}: {drug} has no {route!r} route in the drug table "
            f"(routes for {drug}: {', '.join(routes)})"
        )
    if route == "iv" and (duration is None or not float(duration) > 0):
        got = "missing" if duration is None else f"{format_quantity(duration, 'min')!r}"
        raise ValueError(
            f"duration = {got}: an iv dose is an infusion and needs a duration > 0, "
            "e.g. duration = '40 min' (the Zarate 2006 infusion)"
        )


class DoseConfig(Section):
    """One administration of a drug (``[[pharmacology.doses]]``)."""

    drug: str = param("ketamine", "drug name, a key of the drug table (neuroplast/drugs.toml)")
    route: RouteName = param(
        "iv",
        "route of administration: iv (infusion), intranasal, sublingual, oral or im; "
        "the drug table says which routes a drug has",
    )
    time: Qty("h", nonnegative=True) = param(
        "0 h", "biological time at which the dose starts, from the start of the protocol"
    )
    dose: DoseAmount = param(
        "0.5 mg/kg",
        "amount given: per body weight ('0.5 mg/kg') or absolute ('56 mg'); bioavailability "
        "scales what reaches the blood",
        ZARATE,
    )
    duration: Qty("min", nonnegative=True) | None = param(
        None,
        "administration time: required (> 0) for an iv infusion; for other routes the dose "
        "enters the absorption depot at a constant rate over it (omitted or 0: at once)",
        ZARATE + " (40 min infusion)",
    )

    @field_validator("drug", mode="before")
    @classmethod
    def _drug_in_table(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected a drug name (text), got {value!r}")
        return _known_drug(value)

    @model_validator(mode="after")
    def _route_fits_drug(self) -> DoseConfig:
        _check_route(self.drug, self.route, self.duration)
        return self

    def describe(self) -> str:
        """Short human description, e.g. ``'ketamine 0.5 mg/kg iv at 24 h over 40 min'``."""
        text = f"{self.drug} {_format_amount(self.dose)} {self.route} at "
        text += format_quantity(self.time, "h")
        if self.duration is not None and float(self.duration) > 0:
            text += f" over {format_quantity(self.duration, 'min')}"
        return text

    @property
    def end(self) -> Quantity:
        """Biological time at which the administration ends (the start for a bolus)."""
        return self.time + (self.duration if self.duration is not None else 0 * second)


class EscalationConfig(Section):
    """A series of sessions with a rising dose (``[pharmacology.escalation]``).

    Session k (k = 0, 1, ...) gives ``min(start + k * step, cap)`` at
    ``first + k * interval``.  For a fixed dose series set ``cap = start``.
    """

    drug: str = param("ketamine", "drug name, a key of the drug table")
    route: RouteName = param(
        "sublingual",
        "route of every session",
        "KAP practice: sublingual lozenges (CTP protocol; Dore et al 2019); SCIENCE.md §2.2",
    )
    first: Qty("h", nonnegative=True) = param("0 h", "biological time of the first session")
    start: DoseAmount = param(
        "100 mg",
        "dose of the first session",
        "CTP KAP lozenge protocol: 100-400 mg per session; SCIENCE.md §2.2",
    )
    step: DoseAmount = param(
        "50 mg",
        "dose increase from one session to the next (> 0)",
        "[D] doses are individualised in KAP practice (Dore et al 2019); SCIENCE.md §2.2",
    )
    cap: DoseAmount = param(
        "400 mg",
        "ceiling: no session exceeds it",
        "CTP KAP lozenge protocol: up to 400 mg per session; SCIENCE.md §2.2",
    )
    sessions: int = param(
        6,
        "number of sessions",
        "Wilkinson et al 2021: 6 infusions over 3 weeks; KAP usually >= 3 sessions",
        ge=1,
    )
    interval: Qty("h", positive=True) = param(
        "84 h",
        "time between the starts of consecutive sessions (84 h = twice weekly)",
        "Wilkinson et al 2021 (6 sessions in 3 weeks)",
    )
    duration: Qty("min", nonnegative=True) | None = param(
        None, "administration time of each session (required > 0 for iv)"
    )

    @field_validator("drug", mode="before")
    @classmethod
    def _drug_in_table(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected a drug name (text), got {value!r}")
        return _known_drug(value)

    @field_validator("step")
    @classmethod
    def _step_positive(cls, value: Quantity) -> Quantity:
        if not float(value) > 0:
            raise ValueError(
                f"must be > 0 (got {_format_amount(value)!r}); for a fixed dose set cap = start"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EscalationConfig:
        kinds = {name: _per_kg(getattr(self, name)) for name in ("start", "step", "cap")}
        if len(set(kinds.values())) > 1:
            written = ", ".join(
                f"{name} = {_format_amount(getattr(self, name))!r}" for name in kinds
            )
            raise ValueError(
                f"{written}: expected start, step and cap all per body weight (mg/kg) or all "
                "absolute (mg)"
            )
        if self.cap < self.start:
            raise ValueError(
                f"cap = {_format_amount(self.cap)!r}: expected at least start "
                f"({_format_amount(self.start)!r}); the ceiling cannot be below the first dose"
            )
        _check_route(self.drug, self.route, self.duration)
        return self

    def expand(self) -> list[DoseConfig]:
        """The sessions as a list of :class:`DoseConfig`, in time order."""
        return [
            DoseConfig(
                drug=self.drug,
                route=self.route,
                time=self.first + k * self.interval,
                # Quantity(): dimensionless (mg/kg) arithmetic returns plain floats
                dose=Quantity(min(self.start + k * self.step, self.cap)),
                duration=self.duration,
            )
            for k in range(self.sessions)
        ]


class RouteOverride(Section):
    """Replace a tabled route value for one experiment (``...drugs.<name>.routes.<route>``)."""

    bioavailability: float | None = param(
        None, "fraction F reaching the blood, in (0, 1] (default: drug table)", gt=0, le=1
    )
    absorption_rate: Qty("/h", positive=True) | None = param(
        None, "first-order absorption rate k_a (default: drug table)"
    )


class SlowBDNFOverride(Section):
    """Replace the tabled slow BDNF effect of a drug (``...drugs.<name>.bdnf_effect``)."""

    target_ec50: Qty("uM", positive=True) | None = param(
        None, "brain concentration at half target (SERT) engagement"
    )
    target_hill: float | None = param(None, "Hill coefficient of the target engagement", gt=0)
    gain: float | None = param(
        None, "fractional rise of BDNF production at full, sustained engagement", ge=0
    )
    onset: Qty("day", positive=True) | None = param(
        None, "time constant of the build-up (and decay) of the BDNF effect"
    )

    def apply(self, effect: SlowBDNFEffect) -> SlowBDNFEffect:
        """``effect`` with the values set here replaced (sources marked 'config')."""
        changes = {
            name: getattr(self, name)
            for name in type(self).model_fields
            if getattr(self, name) is not None
        }
        sources = {**effect.sources, **dict.fromkeys(changes, "config override")}
        return dataclasses.replace(effect, sources=MappingProxyType(sources), **changes)


class DrugOverride(Section):
    """Replace tabled drug values for one experiment (``[pharmacology.drugs.<name>]``).

    Unset keys keep the drug-table value (neuroplast/drugs.toml, with sources).
    """

    clearance: Qty("L/kg/min", positive=True) | None = param(None, "clearance CL per kg")
    v_central: Qty("L/kg", positive=True) | None = param(None, "central volume V1 per kg")
    v_ss: Qty("L/kg", positive=True) | None = param(None, "steady-state volume V1 + V2 per kg")
    intercompartmental_clearance: Qty("L/kg/min", positive=True) | None = param(
        None, "intercompartmental clearance Q per kg"
    )
    ic50_exc: Qty("uM", positive=True) | None = param(
        None, "half-blocking concentration on pyramidal-cell NMDARs"
    )
    ic50_inh: Qty("uM", positive=True) | None = param(
        None, "half-blocking concentration on interneuron NMDARs"
    )
    hill: float | None = param(
        None, "Hill coefficient of the occupancy (0.6: sensitivity case, SCIENCE.md §2.1)", gt=0
    )
    brain_plasma_ratio: float | None = param(None, "C_brain / C_plasma", gt=0)
    k_on: Qty("/uM/s", positive=True) | None = param(None, "trapping: blocking rate constant")
    trapped_fraction: float | None = param(
        None, "trapping: fraction of the block trapped by channel closure", ge=0, le=1
    )
    k_untrap: Qty("/s", nonnegative=True) | None = param(
        None, "trapping: escape rate of the untrapped block from closed channels"
    )
    routes: dict[str, RouteOverride] = Field(
        default_factory=dict, description="per-route overrides, keyed by route name"
    )
    bdnf_effect: SlowBDNFOverride | None = param(
        None, "overrides of the slow BDNF effect (drugs that have one: the SSRI-like comparator)"
    )

    def apply(self, drug: Drug) -> Drug:
        """Return ``drug`` with the values set here replaced (sources marked 'config')."""
        changes = {
            name: getattr(self, name)
            for name in type(self).model_fields
            if name not in ("routes", "bdnf_effect") and getattr(self, name) is not None
        }
        if self.bdnf_effect is not None:
            if drug.slow_bdnf is None:
                raise ValueError(
                    f"bdnf_effect: {drug.name} has no slow BDNF effect in the drug table "
                    "(only drugs with a [<drug>.bdnf_effect] table, such as ssri, have one)"
                )
            changes["slow_bdnf"] = self.bdnf_effect.apply(drug.slow_bdnf)
        routes = dict(drug.routes)
        for route_name, override in self.routes.items():
            if route_name not in routes:
                raise ValueError(
                    f"routes.{route_name}: {drug.name} has no {route_name!r} route in the drug "
                    f"table (routes for {drug.name}: {', '.join(drug.routes)})"
                )
            route_changes = {
                name: getattr(override, name)
                for name in type(override).model_fields
                if getattr(override, name) is not None
            }
            if route_name == "iv" and "absorption_rate" in route_changes:
                raise ValueError("routes.iv.absorption_rate: an iv dose has no absorption depot")
            route = routes[route_name]
            sources = {**route.sources, **dict.fromkeys(route_changes, "config override")}
            routes[route_name] = dataclasses.replace(
                route, sources=MappingProxyType(sources), **route_changes
            )
        overridden = [name for name in changes if name != "slow_bdnf"]
        sources = {**drug.sources, **dict.fromkeys(overridden, "config override")}
        return dataclasses.replace(
            drug, routes=MappingProxyType(routes), sources=MappingProxyType(sources), **changes
        )


Mechanism = Literal["disinhibition", "direct", "both"]


class PharmacologyConfig(Section):
    """Drug doses (biological time), PK body weight and NMDA-block pharmacodynamics."""

    body_weight: Qty("kg", positive=True) = param(
        "70 kg", "body weight that scales per-kg doses and volumes", "reference adult; " + ZARATE
    )
    doses: list[DoseConfig] = Field(
        default_factory=list,
        description="explicit doses ([[pharmacology.doses]]); empty = no drug",
    )
    escalation: EscalationConfig | None = param(
        None, "optional escalating series of sessions, added to the explicit doses"
    )
    mechanism: Mechanism = param(
        "both",
        "which BDNF coupling the drug effect uses: 'disinhibition' (E activity after "
        "preferential interneuron block), 'direct' (block at rest, BDNF production ~ f_exc) "
        "or 'both' (the default: SCIENCE.md §3.2 sets k_act = 1 and k_dir = 2, "
        "'k_dir = 0 to test pure disinhibition')",
        "Homayoun & Moghaddam 2007; Autry et al 2011; SCIENCE.md §2.3, §3.2",
    )
    interneuron_preference: bool = param(
        True,
        "interneuron NMDARs more sensitive (IC50_inh from the table); false sets "
        "IC50_inh = IC50_exc (control arm for disinhibition)",
        "SCIENCE.md §2.1 occupancy model [D]",
    )
    trapping: bool = param(
        False,
        "use the trapping-block kinetics (block changes only while channels are open, "
        "integrated per neuron in biological time) instead of the equilibrium occupancy; needs "
        "Hill n = 1 and doses of a single drug",
        "Autry et al 2011; SCIENCE.md §2.1 optional trapping kinetics [D]",
    )
    drugs: dict[str, DrugOverride] = Field(
        default_factory=dict,
        description="per-drug overrides of the drug table ([pharmacology.drugs.<name>])",
    )

    @field_validator("drugs", mode="before")
    @classmethod
    def _override_names(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for name in value:
                try:
                    _known_drug(name)
                except ValueError as err:
                    raise ValueError(f"drugs.{name}: {err}") from None
            return {_known_drug(name): entry for name, entry in value.items()}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PharmacologyConfig:
        for name in sorted(set(self.drugs) | {d.drug for d in self.schedule()}):
            override = self.drugs.get(name)
            if override is not None and override.ic50_inh is not None:
                if not self.interneuron_preference:
                    raise ValueError(
                        f"drugs.{name}.ic50_inh is set, but interneuron_preference = false "
                        "makes IC50_inh = IC50_exc; remove one of the two"
                    )
            try:
                drug = self.drug(name)
            except ValueError as err:  # the message starts with the key inside the drug
                raise ValueError(f"drugs.{name}.{err}") from None
            if self.trapping and drug.blocks_nmda and drug.hill != 1:
                raise ValueError(
                    f"drugs.{name}.hill = {drug.hill:g}: trapping = true implies Hill n = 1 "
                    "(its equilibrium is C / (C + k_off/k_on)); set hill = 1 or trapping = false"
                )
        if self.trapping:
            given = self._blockers_given()
            if len(given) > 1:
                raise ValueError(
                    f"trapping = true with doses of {len(given)} drugs ({', '.join(given)}): "
                    "expected doses of a single drug (the trapping kinetics follow one blocker; "
                    "competing blockers are modelled only at equilibrium); give one drug or set "
                    "trapping = false"
                )
        self._check_iv_line()
        return self

    def _labelled_schedule(self) -> list[tuple[str, DoseConfig]]:
        labelled = [(f"doses[{i}]", dose) for i, dose in enumerate(self.doses)]
        if self.escalation is not None:
            labelled += [
                (f"escalation session {k + 1}", dose)
                for k, dose in enumerate(self.escalation.expand())
            ]
        return sorted(labelled, key=lambda item: float(item[1].time))

    def _check_iv_line(self) -> None:
        """Two infusions cannot run at once on the one IV line."""
        infusions = [item for item in self._labelled_schedule() if item[1].route == "iv"]
        for (label_a, a), (label_b, b) in zip(infusions, infusions[1:], strict=False):
            if b.time < a.end:
                raise ValueError(
                    f"{label_a} ({a.describe()}) and {label_b} ({b.describe()}) overlap on the "
                    f"IV line: the first runs until {format_quantity(a.end, 'h')}; start the "
                    "second at or after that time, or merge them into one dose"
                )

    def schedule(self) -> list[DoseConfig]:
        """Every dose (explicit and escalation sessions), sorted by start time."""
        return [dose for _, dose in self._labelled_schedule()]

    def drug(self, name: str) -> Drug:
        """The table entry for ``name`` with this config's overrides and preference switch."""
        key = _known_drug(name)
        drug = DRUGS[key]
        if key in self.drugs:
            drug = self.drugs[key].apply(drug)
        if not self.interneuron_preference:
            sources = {**drug.sources, "ic50_inh": "interneuron_preference = false: = ic50_exc"}
            drug = dataclasses.replace(
                drug, ic50_inh=drug.ic50_exc, sources=MappingProxyType(sources)
            )
        return drug

    def trapping_drug(self) -> Drug | None:
        """The drug whose trapping kinetics the network integrates (``trapping = true``).

        Returns
        -------
        Drug or None
            The single dosed drug with this config's overrides; ``None`` when trapping is
            off or nothing is dosed (then there is no block to integrate).
        """
        given = self._blockers_given()
        if not self.trapping or not given:
            return None
        return self.drug(given[0])

    def _blockers_given(self) -> list[str]:
        """Names of the dosed drugs that block NMDA receptors, sorted."""
        return sorted({d.drug for d in self.schedule() if DRUGS[d.drug].blocks_nmda})

    def slow_drugs(self) -> list[str]:
        """Names of the dosed drugs with a slow BDNF effect (the SSRI-like comparator)."""
        return sorted({d.drug for d in self.schedule() if self.drug(d.drug).slow_bdnf})

    @property
    def activity_coupled(self) -> bool:
        """Whether BDNF follows E activity (disinhibition hypothesis)."""
        return self.mechanism in ("disinhibition", "both")

    @property
    def block_coupled(self) -> bool:
        """Whether BDNF production has a term proportional to f_exc (Autry 2011)."""
        return self.mechanism in ("direct", "both")


def acute_doses(pharmacology: PharmacologyConfig) -> list:
    """The doses of NMDA-blocking drugs (the acute sessions), in time order."""
    return [dose for dose in pharmacology.schedule() if DRUGS[dose.drug].blocks_nmda]


# --------------------------------------------------------------------------- PK solver

_TAYLOR_ORDER = 18


def _expm_stack(matrices: np.ndarray) -> np.ndarray:
    """Matrix exponential of each matrix in a ``(k, n, n)`` stack.

    Scaling and squaring: with ``A / 2^s`` of infinity-norm <= 1/2 the degree-18 Taylor
    remainder is below 1e-20, then ``s`` squarings (Moler & Van Loan 2003, method 3).
    """
    norms = np.abs(matrices).sum(axis=2).max(axis=1)
    squarings = np.ceil(np.log2(np.maximum(norms, 1e-300) / 0.5)).clip(min=0).astype(int)
    eye = np.eye(matrices.shape[1])
    result = np.empty_like(matrices)
    for s in np.unique(squarings):
        chosen = squarings == s
        scaled = matrices[chosen] / 2.0**s
        series = eye + scaled / _TAYLOR_ORDER
        for k in range(_TAYLOR_ORDER - 1, 0, -1):  # Horner: I + A(I + A/2(I + ...))
            series = eye + scaled @ series / k
        for _ in range(s):
            series = series @ series
        result[chosen] = series
    return result


@dataclass(frozen=True)
class _Compartments:
    """Layout and rate matrix of the linear PK system for one drug and set of routes."""

    depots: tuple[str, ...]
    matrix: np.ndarray  # dx/dt = matrix @ x + input, 1/s

    @property
    def central(self) -> int:
        return len(self.depots)

    @property
    def size(self) -> int:
        return len(self.depots) + 3


def _compartments(drug: Drug, depots: tuple[str, ...]) -> _Compartments:
    k10, k12, k21 = drug.rate_constants()
    n = len(depots)
    central, peripheral, eliminated = n, n + 1, n + 2
    matrix = np.zeros((n + 3, n + 3))
    for i, route in enumerate(depots):
        k_a = float(drug.routes[route].absorption_rate / hertz)
        matrix[i, i] = -k_a
        matrix[central, i] = k_a
    matrix[central, central] = -(k10 + k12)
    matrix[central, peripheral] = k21
    matrix[peripheral, central] = k12
    matrix[peripheral, peripheral] = -k21
    matrix[eliminated, central] = k10
    return _Compartments(depots, matrix)


def _seconds(times: Any, what: str = "times") -> np.ndarray:
    if isinstance(times, Quantity):
        if not have_same_dimensions(times, second):
            raise ValueError(f"{what}: expected a time (brian2 quantity in s), got {times!r}")
        values = np.asarray(times / second, dtype=float)
    else:
        values = np.asarray(times, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what}: expected finite times")
    return values


def _kilograms(body_weight: Any) -> Quantity:
    if isinstance(body_weight, Quantity):
        if get_dimensions(body_weight) != _MASS:
            raise ValueError(f"body_weight = {body_weight!r}: expected a mass, e.g. 70*kgram")
        weight = body_weight
    else:
        weight = float(body_weight) * kgram
    if not float(weight) > 0:
        raise ValueError(f"body_weight = {body_weight!r}: expected > 0")
    return weight


@dataclass(frozen=True)
class CompartmentAmounts:
    """Drug amounts (mg) in each compartment at the requested times.

    Attributes
    ----------
    times : numpy.ndarray
        The requested biological times, s.
    depot, central, peripheral : numpy.ndarray
        Amount in the absorption depots (summed over routes), plasma and tissue, mg.
    eliminated : numpy.ndarray
        Cumulative amount cleared, mg.
    delivered : numpy.ndarray
        Cumulative bioavailable amount given so far (F x dose), mg.  Mass balance:
        ``depot + central + peripheral + eliminated == delivered``.
    central_volume : float
        V1 for this body weight, L.
    """

    times: np.ndarray
    depot: np.ndarray
    central: np.ndarray
    peripheral: np.ndarray
    eliminated: np.ndarray
    delivered: np.ndarray
    central_volume: float


def _as_doses(doses: DoseConfig | Sequence[DoseConfig]) -> list[DoseConfig]:
    if isinstance(doses, DoseConfig):
        return [doses]
    return list(doses)


def compartment_amounts(
    times: Any,
    doses: DoseConfig | Sequence[DoseConfig],
    drug: str | Drug = "ketamine",
    body_weight: Any = 70 * kgram,
) -> CompartmentAmounts:
    """Exact solution of the two-compartment model with absorption depots (module doc).

    Parameters
    ----------
    times : brian2.Quantity or array_like
        Biological times (a brian2 time quantity, or plain numbers in seconds), any order.
    doses : DoseConfig or sequence of DoseConfig
        The schedule; doses of other drugs than ``drug`` are ignored.
    drug : str or Drug
        Table name, or a :class:`Drug` (e.g. from :meth:`PharmacologyConfig.drug`).
    body_weight : brian2.Quantity or float
        Mass (float: kg).

    Returns
    -------
    CompartmentAmounts
        Arrays of the shape of ``times``, in mg; values are right-continuous at boluses.
    """
    drug = _resolve_drug(drug)
    weight = _kilograms(body_weight)
    query = _seconds(times)
    flat = query.ravel()
    mine = [dose for dose in _as_doses(doses) if dose.drug == drug.name]
    for dose in mine:
        if dose.route not in drug.routes:
            raise ValueError(f"{dose.describe()}: {drug.name} has no {dose.route!r} route")
        if dose.route == "iv" and (dose.duration is None or not float(dose.duration) > 0):
            raise ValueError(f"{dose.describe()}: an iv dose needs an infusion duration > 0")
    depots = tuple(sorted({dose.route for dose in mine if dose.route != "iv"}))
    system = _compartments(drug, depots)
    n = system.size

    starts = np.array([float(dose.time / second) for dose in mine])
    lengths = np.array(
        [float(dose.duration / second) if dose.duration is not None else 0.0 for dose in mine]
    )
    ends = starts + lengths
    grid = np.unique(np.concatenate([flat, starts, ends]))
    steps = np.diff(grid)
    bolus = np.zeros((grid.size, n))
    rate = np.zeros((max(grid.size - 1, 0), n))
    for dose, start, length, end in zip(mine, starts, lengths, ends, strict=True):
        route = drug.routes[dose.route]
        amount = route.bioavailability * _dose_mg(dose.dose, weight)
        target = system.central if dose.route == "iv" else depots.index(dose.route)
        first = np.searchsorted(grid, start)
        if length > 0:
            rate[first : np.searchsorted(grid, end), target] += amount / length
        else:
            bolus[first, target] += amount

    states = np.zeros((grid.size, n))
    if grid.size:
        unique_steps, which = np.unique(steps, return_inverse=True)
        augmented = np.zeros((unique_steps.size, 2 * n, 2 * n))
        augmented[:, :n, :n] = system.matrix * unique_steps[:, None, None]
        augmented[:, :n, n:] = np.eye(n)
        exponentials = _expm_stack(augmented)
        propagate = exponentials[:, :n, :n]  # e^{Mh}
        integrate = exponentials[:, :n, n:] * unique_steps[:, None, None]  # int_0^h e^{Ms} ds
        state = np.zeros(n)
        for i in range(grid.size):
            state = state + bolus[i]
            states[i] = state
            if i < steps.size:
                state = propagate[which[i]] @ state + integrate[which[i]] @ rate[i]
    delivered = np.cumsum(bolus.sum(axis=1))
    delivered[1:] += np.cumsum(rate.sum(axis=1) * steps)

    pick = np.searchsorted(grid, flat)
    picked = states[pick]
    shape = query.shape
    return CompartmentAmounts(
        times=query,
        depot=picked[:, : system.central].sum(axis=1).reshape(shape),
        central=picked[:, system.central].reshape(shape),
        peripheral=picked[:, system.central + 1].reshape(shape),
        eliminated=picked[:, system.central + 2].reshape(shape),
        delivered=delivered[pick].reshape(shape),
        central_volume=float(drug.v_central * weight / liter),
    )


def concentration(
    times: Any,
    doses: DoseConfig | Sequence[DoseConfig],
    drug: str | Drug = "ketamine",
    body_weight: Any = 70 * kgram,
) -> np.ndarray:
    """Plasma concentration of ``drug`` in µM at biological ``times``.

    Parameters
    ----------
    times : brian2.Quantity or array_like
        Biological times (brian2 time quantity, or plain numbers in seconds).
    doses : DoseConfig or sequence of DoseConfig
        The dose schedule (e.g. ``PharmacologyConfig.schedule()``).
    drug : str or Drug
        Table name or a resolved :class:`Drug`.
    body_weight : brian2.Quantity or float
        Mass (float: kg).

    Returns
    -------
    numpy.ndarray
        C_plasma = A1 / V1 in µM (plain numbers), shaped like ``times``.
    """
    drug = _resolve_drug(drug)
    amounts = compartment_amounts(times, doses, drug, body_weight)
    molar_mass = float(drug.molar_mass / (mgram / umolar / liter))  # mg per (µM * L)
    return amounts.central / amounts.central_volume / molar_mass


def brain_concentration(
    times: Any,
    doses: DoseConfig | Sequence[DoseConfig],
    drug: str | Drug = "ketamine",
    body_weight: Any = 70 * kgram,
) -> np.ndarray:
    """Brain concentration rho * C_plasma in µM (arguments as :func:`concentration`).

    Parameters
    ----------
    times : brian2.Quantity or array_like
        Biological times (brian2 time quantity, or plain numbers in seconds).
    doses : DoseConfig or sequence of DoseConfig
        The dose schedule.
    drug : str or Drug
        Table name or a resolved :class:`Drug`.
    body_weight : brian2.Quantity or float
        Mass (float: kg).

    Returns
    -------
    numpy.ndarray
        µM, shaped like ``times``.
    """
    drug = _resolve_drug(drug)
    return drug.brain_plasma_ratio * concentration(times, doses, drug, body_weight)


def _disposition_rates(drug: Drug) -> tuple[float, float]:
    """Eigen-rates (alpha, beta) in 1/s of the central/peripheral system, alpha > beta."""
    k10, k12, k21 = drug.rate_constants()
    total = k10 + k12 + k21
    root = math.sqrt(total**2 - 4 * k10 * k21)
    return (total + root) / 2, (total - root) / 2


def terminal_half_life(drug: str | Drug = "ketamine") -> Quantity:
    """Elimination (beta) half-life ln 2 / beta of the two-compartment model.

    Parameters
    ----------
    drug : str or Drug
        Table name or a resolved :class:`Drug`.

    Returns
    -------
    brian2.Quantity
        A time (2.07 h for the ketamine defaults).
    """
    return math.log(2) / _disposition_rates(_resolve_drug(drug))[1] * second


def distribution_half_life(drug: str | Drug = "ketamine") -> Quantity:
    """Distribution (alpha) half-life ln 2 / alpha of the two-compartment model.

    Parameters
    ----------
    drug : str or Drug
        Table name or a resolved :class:`Drug`.

    Returns
    -------
    brian2.Quantity
        A time (7.8 min for the ketamine defaults).
    """
    return math.log(2) / _disposition_rates(_resolve_drug(drug))[0] * second


# --------------------------------------------------------------------------- PD


def _micromolar(value: Any, what: str) -> np.ndarray:
    if isinstance(value, Quantity):
        if not have_same_dimensions(value, umolar):
            raise ValueError(f"{what} = {value!r}: expected a concentration")
        return np.asarray(value / umolar, dtype=float)
    return np.asarray(value, dtype=float)


def _blocking_ratio(concentration: Any, ic50: Any, hill: float) -> np.ndarray:
    """``(C / IC50)^n`` after checking the arguments (C >= 0, IC50 > 0, n > 0)."""
    c = _micromolar(concentration, "concentration")
    half = float(_micromolar(ic50, "ic50"))
    if not half > 0:
        raise ValueError(f"ic50 = {ic50!r}: expected > 0")
    if not hill > 0:
        raise ValueError(f"hill = {hill!r}: expected > 0")
    if np.any(c < 0):
        raise ValueError("concentration: expected values >= 0")
    return (c / half) ** hill


def occupancy(concentration: Any, ic50: Any, hill: float = 1.0) -> np.ndarray:
    """Fraction of NMDA receptors blocked, C^n / (C^n + IC50^n).

    Parameters
    ----------
    concentration : array_like or brian2.Quantity
        Brain concentration (plain numbers in the unit of ``ic50``, or quantities), >= 0.
    ic50 : float or brian2.Quantity
        Half-blocking concentration, > 0.
    hill : float
        Hill coefficient n > 0.

    Returns
    -------
    numpy.ndarray
        In [0, 1), shaped like ``concentration``; exactly 0.5 at C = IC50, 0 at C = 0.
    """
    ratio = _blocking_ratio(concentration, ic50, hill)
    return ratio / (1.0 + ratio)


def _cell_type(cell_type: str) -> str:
    key = _CELL_ALIASES.get(str(cell_type).lower())
    if key is None:
        raise ValueError(f"cell_type = {cell_type!r}: expected 'exc' or 'inh'")
    return key


def potency(drug: str | Drug, cell_type: str) -> tuple[float, float]:
    """``(IC50 in µM, Hill n)`` of ``drug`` on NMDARs of ``cell_type`` ('exc' or 'inh').

    Parameters
    ----------
    drug : str or Drug
        Table name or a resolved :class:`Drug` (with overrides and the preference switch).
    cell_type : str
        'exc' (pyramidal) or 'inh' (interneuron); 'E' / 'I' are accepted.

    Returns
    -------
    tuple of float
    """
    drug = _blocker(drug)
    ic50 = drug.ic50_exc if _cell_type(cell_type) == "exc" else drug.ic50_inh
    return float(ic50 / umolar), drug.hill


def nmda_available(concentration: Any, cell_type: str, drug: str | Drug = "ketamine") -> np.ndarray:
    """Fraction of NMDA conductance left unblocked, 1 - f_k(C).

    Parameters
    ----------
    concentration : array_like or brian2.Quantity
        Brain concentration (plain numbers: µM).
    cell_type : str
        'exc' or 'inh'.
    drug : str or Drug
        Table name or a resolved :class:`Drug`.

    Returns
    -------
    numpy.ndarray
        In (0, 1], the factor on g_NMDA of that cell type (``nmda_scale``).
    """
    ic50, hill = potency(drug, cell_type)
    return 1.0 - occupancy(concentration, ic50, hill)


def combined_occupancy(concentrations: Mapping[str | Drug, Any], cell_type: str) -> np.ndarray:
    """Block by several drugs competing for the pore site, X / (1 + X) [D].

    Parameters
    ----------
    concentrations : Mapping
        Drug (name or :class:`Drug`) -> brain concentration (µM), arrays of one shape.
    cell_type : str
        'exc' or 'inh'.

    Returns
    -------
    numpy.ndarray
        ``X / (1 + X)`` with ``X = sum_d (C_d / IC50_d)^n_d``; for one drug this is
        :func:`occupancy`.
    """
    total: Any = 0.0
    for drug, conc in concentrations.items():
        if _resolve_drug(drug).blocks_nmda:  # an SSRI-like drug adds no block
            total = total + _blocking_ratio(conc, *potency(drug, cell_type))
    return np.asarray(total / (1.0 + total), dtype=float)


@dataclass(frozen=True)
class PharmacologyTimecourse:
    """Brain concentrations and NMDA block on a biological time grid.

    Attributes
    ----------
    times : numpy.ndarray
        Biological times, s.
    brain_concentration : dict of str to numpy.ndarray
        Per NMDA-blocking drug in the schedule, µM (what the block and the trapping
        kinetics read).
    occupancy, nmda_available : dict of str to numpy.ndarray
        Per cell type ('exc', 'inh'): blocked and available NMDA fraction.
    other_concentration : dict of str to numpy.ndarray
        Per drug in the schedule that blocks no NMDA receptors (the SSRI-like
        comparator), µM; kept apart so that concentrations of different drugs are
        never summed into the blocker's.
    """

    times: np.ndarray
    brain_concentration: dict[str, np.ndarray]
    occupancy: dict[str, np.ndarray]
    nmda_available: dict[str, np.ndarray]
    other_concentration: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)


def pharmacology_timecourse(times: Any, cfg: PharmacologyConfig) -> PharmacologyTimecourse:
    """Concentrations and per-cell-type NMDA block for a whole config (equilibrium block).

    Parameters
    ----------
    times : brian2.Quantity or array_like
        Biological times (plain numbers: s).
    cfg : PharmacologyConfig
        Doses, body weight, overrides and the interneuron-preference switch.

    Returns
    -------
    PharmacologyTimecourse
    """
    seconds = _seconds(times)
    schedule = cfg.schedule()
    drugs = {name: cfg.drug(name) for name in sorted({dose.drug for dose in schedule})}
    every = {
        name: brain_concentration(seconds, schedule, drug, cfg.body_weight)
        for name, drug in drugs.items()
    }
    conc = {name: c for name, c in every.items() if drugs[name].blocks_nmda}
    blocked = {
        cell: combined_occupancy({drugs[name]: c for name, c in conc.items()}, cell)
        if conc
        else np.zeros(seconds.shape)
        for cell in CELL_TYPES
    }
    return PharmacologyTimecourse(
        times=seconds,
        brain_concentration=conc,
        occupancy=blocked,
        nmda_available={cell: 1.0 - f for cell, f in blocked.items()},
        other_concentration={name: c for name, c in every.items() if name not in conc},
    )


# --------------------------------------------------------------------------- slow BDNF effect

#: Biological-time step (s) on which the slow BDNF adaptation is integrated (10 min: the
#: PK of a daily oral dose changes over hours, the adaptation over days).
SLOW_BDNF_STEP = 600.0


@dataclass(frozen=True)
class SlowBDNFCourse:
    """The slow BDNF effect of a dose schedule over biological time (:class:`SlowBDNFEffect`).

    Attributes
    ----------
    times : numpy.ndarray
        Biological times, s.
    engagement : dict of str to numpy.ndarray
        Per drug with a slow effect: target engagement E(T) in [0, 1).
    adaptation : dict of str to numpy.ndarray
        Per drug: the slow adaptation F(T) that follows E with the onset time constant.
    factor : numpy.ndarray
        ``1 + sum_d gain_d F_d(T)``: the factor on BDNF production (1 without such drugs).
    """

    times: np.ndarray
    engagement: dict[str, np.ndarray]
    adaptation: dict[str, np.ndarray]
    factor: np.ndarray


def _follow(drive: np.ndarray, step: float, tau: float) -> np.ndarray:
    """Solve ``tau dF/dT = E(T) - F``, F(0) = 0, for E linear between grid points (exact)."""
    decay = math.exp(-step / tau)
    lag = tau / step * (1.0 - decay)
    out = np.zeros_like(drive)
    for k in range(1, drive.size):
        out[k] = decay * out[k - 1] + drive[k] - decay * drive[k - 1]
        out[k] -= (drive[k] - drive[k - 1]) * lag
    return out


def slow_bdnf_course(times: Any, cfg: PharmacologyConfig) -> SlowBDNFCourse:
    """Target engagement, slow adaptation and BDNF production factor of a dose schedule.

    Each drug with a :class:`SlowBDNFEffect` engages its target with a Hill occupancy of
    its brain concentration, ``E = C^n / (C^n + EC50^n)``; the adaptation F follows E
    with the time constant ``onset`` (``onset dF/dT = E - F``, from F = 0 at T = 0,
    integrated exactly on a :data:`SLOW_BDNF_STEP` grid with E linear between grid
    points) and BDNF production is multiplied by ``1 + sum_d gain_d F_d`` (bdnf.py).

    Parameters
    ----------
    times : brian2.Quantity or array_like
        Biological times (plain numbers: s), >= 0.
    cfg : PharmacologyConfig
        Doses, body weight and drug overrides.

    Returns
    -------
    SlowBDNFCourse
        At ``times``; ``factor`` is 1 everywhere when no dosed drug has a slow effect.
    """
    seconds = _seconds(times)
    if np.any(seconds < 0):
        raise ValueError("times: expected biological times >= 0 (s)")
    names = cfg.slow_drugs()
    factor = np.ones(seconds.shape)
    engagement, adaptation = {}, {}
    if not names:
        return SlowBDNFCourse(seconds, engagement, adaptation, factor)
    end = float(seconds.max()) if seconds.size else 0.0
    grid = np.arange(0.0, end + 2 * SLOW_BDNF_STEP, SLOW_BDNF_STEP)
    schedule = cfg.schedule()
    for name in names:
        drug = cfg.drug(name)
        effect = drug.slow_bdnf
        conc = brain_concentration(grid, schedule, drug, cfg.body_weight)
        drive = occupancy(conc, float(effect.target_ec50 / umolar), effect.target_hill)
        follow = _follow(drive, SLOW_BDNF_STEP, float(effect.onset / second))
        engagement[name] = np.interp(seconds, grid, drive)
        adaptation[name] = np.interp(seconds, grid, follow)
        factor = factor + effect.gain * adaptation[name]
    return SlowBDNFCourse(seconds, engagement, adaptation, factor)


# --------------------------------------------------------------------------- trapping

#: Trapping block of NMDA channels (module doc), per neuron, advanced in biological time (``time_rate``).
#: The network defines ``nmda_open`` (open fraction o in [0, 1], receptors.py) and
#: ``drug_conc`` (brain concentration, a concentration unit such as mmolar), and uses
#: ``nmda_scale = 1 - nmda_block``.  Constants: :func:`trapping_namespace` (the network
#: declares them as per-neuron parameters).  (Equation lines are kept whole, longer than
#: the line limit, because brian2 reads one equation per line.)
TRAPPING_EQUATIONS = """
nmda_block = nmda_block_trapped + nmda_block_escapable : 1
block_binding = nmda_open * block_k_on * drug_conc * (1 - nmda_block) : Hz
block_release = nmda_open * block_k_off + (1 - nmda_open) * block_k_untrap : Hz
dnmda_block_trapped/dt = time_rate(t) * (block_trapped_fraction * block_binding - nmda_open * block_k_off * nmda_block_trapped) : 1
dnmda_block_escapable/dt = time_rate(t) * ((1 - block_trapped_fraction) * block_binding - block_release * nmda_block_escapable) : 1
"""  # noqa: E501


def trapping_rates(drug: str | Drug, cell_type: str) -> dict[str, Any]:
    """Rate constants of the trapping kinetics on one cell type.

    k_off is derived as ``k_on * IC50_k`` so the equilibrium equals the Hill n = 1 occupancy
    (ketamine on interneurons: 0.15 /µM/s * 1.5 µM = 0.22 /s, the measured k_off of
    Gilling et al 2009).

    Parameters
    ----------
    drug : str or Drug
        Table name or a resolved :class:`Drug`.
    cell_type : str
        'exc' or 'inh'.

    Returns
    -------
    dict
        ``k_on`` (1/(concentration time)), ``k_off`` and ``k_untrap`` (1/time) as brian2
        quantities, and ``trapped_fraction`` (float).
    """
    drug = _blocker(drug)
    ic50 = drug.ic50_exc if _cell_type(cell_type) == "exc" else drug.ic50_inh
    return {
        "k_on": drug.k_on,
        "k_off": drug.k_on * ic50,
        "k_untrap": drug.k_untrap,
        "trapped_fraction": drug.trapped_fraction,
    }


def trapping_namespace(drug: str | Drug, cell_type: str) -> dict[str, Any]:
    """Constants referenced by :data:`TRAPPING_EQUATIONS` for one cell type's group.

    Parameters
    ----------
    drug : str or Drug
        Table name or a resolved :class:`Drug`.
    cell_type : str
        'exc' or 'inh'.

    Returns
    -------
    dict
        ``block_k_on``, ``block_k_off``, ``block_k_untrap``, ``block_trapped_fraction``.
    """
    rates = trapping_rates(drug, cell_type)
    return {
        "block_k_on": rates["k_on"],
        "block_k_off": rates["k_off"],
        "block_k_untrap": rates["k_untrap"],
        "block_trapped_fraction": rates["trapped_fraction"],
    }


def trapping_equilibrium(
    concentration: Any,
    k_on: Any,
    k_off: Any,
    open_fraction: float = 1.0,
    trapped_fraction: float = 1.0,
    k_untrap: Any = 0.0,
) -> np.ndarray:
    """Steady state of the trapping kinetics at a constant open fraction o > 0.

    Parameters
    ----------
    concentration : array_like or brian2.Quantity
        Brain concentration (plain numbers: µM).
    k_on : float or brian2.Quantity
        Blocking rate constant (plain: /µM/s).
    k_off : float or brian2.Quantity
        Unblocking rate from open channels (plain: /s).
    open_fraction : float
        o in (0, 1].
    trapped_fraction : float
        phi in [0, 1].
    k_untrap : float or brian2.Quantity
        Escape rate from closed channels (plain: /s).

    Returns
    -------
    numpy.ndarray
        ``c' / (1 + c')``, ``c' = (C k_on / k_off)(phi + (1 - phi) g)``,
        ``g = o k_off / (o k_off + (1 - o) k_untrap)``; equals ``C / (C + k_off/k_on)``
        when phi = 1 or o = 1.
    """
    if not 0 < open_fraction <= 1:
        raise ValueError(f"open_fraction = {open_fraction!r}: expected a value in (0, 1]")
    c = _micromolar(concentration, "concentration")
    on = float(k_on / (1 / umolar / second)) if isinstance(k_on, Quantity) else float(k_on)
    off = float(k_off / hertz) if isinstance(k_off, Quantity) else float(k_off)
    untrap = float(k_untrap / hertz) if isinstance(k_untrap, Quantity) else float(k_untrap)
    escape = open_fraction * off / (open_fraction * off + (1 - open_fraction) * untrap)
    effective = c * on / off * (trapped_fraction + (1 - trapped_fraction) * escape)
    return effective / (1 + effective)


def trapping_initial_state(
    concentration: Any, drug: str | Drug, cell_type: str
) -> dict[str, float]:
    """Start values of the trapping block on one cell type (equilibrium at ``concentration``).

    The open fraction before a run is unknown, so the block starts at the o = 1 steady state,
    ``B0 = C / (C + k_off/k_on)`` (the Hill n = 1 occupancy of :func:`occupancy`), split
    phi : (1 - phi) into trapped and escapable block as at o = 1.  For a fully trapping drug
    (phi = 1, ketamine) B0 is also the steady state at any o > 0.  Runs usually start before
    the first dose (C = 0, B0 = 0).

    Parameters
    ----------
    concentration : float or brian2.Quantity
        Brain concentration at the start (plain: µM).
    drug : str or Drug
        Table name or a resolved :class:`Drug`.
    cell_type : str
        'exc' or 'inh'.

    Returns
    -------
    dict
        ``nmda_block_trapped`` and ``nmda_block_escapable`` (floats).
    """
    rates = trapping_rates(drug, cell_type)
    block = float(trapping_equilibrium(concentration, rates["k_on"], rates["k_off"]))
    phi = rates["trapped_fraction"]
    return {"nmda_block_trapped": phi * block, "nmda_block_escapable": (1 - phi) * block}
