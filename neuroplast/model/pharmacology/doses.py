"""The dose schema (one for direct and protocol doses) and the ``[pharmacology]`` config section.

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
"""

from __future__ import annotations

import dataclasses
import warnings
from types import MappingProxyType
from typing import Annotated, Any, Literal

from brian2 import Quantity, get_dimensions
from brian2.units import mgram, second
from brian2.units.fundamentalunits import DIMENSIONLESS
from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from neuroplast.model.pharmacology.drugs import (
    DRUGS,
    MASS,
    ZARATE,
    Drug,
    RouteName,
    SlowBDNFEffect,
    known_drug,
)
from neuroplast.schema import Qty, Section, param
from neuroplast.units import QuantityParseError, format_quantity, parse_quantity


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
    if get_dimensions(quantity) not in (DIMENSIONLESS, MASS):
        raise ValueError(
            f"wrong dimension: {value!r} is neither a mass per body weight ('0.5 mg/kg') "
            "nor a mass ('56 mg')"
        )
    if not float(quantity) >= 0:
        raise ValueError(f"must be >= 0 (got {value!r}); a dose cannot be negative")
    return quantity


def per_kg(amount: Quantity) -> bool:
    """Whether a dose amount is per kilogram of body weight (mg/kg) rather than absolute (mg)."""
    return get_dimensions(amount) is DIMENSIONLESS


def format_amount(amount: Quantity) -> str:
    """A dose amount as config text, in mg/kg or mg ("0.5 mg/kg")."""
    return format_quantity(amount, "mg/kg" if per_kg(amount) else "mg")


#: Config type of a dose amount: ``"0.5 mg/kg"`` (per body weight) or ``"56 mg"`` (absolute).
DoseAmount = Annotated[
    Quantity,
    BeforeValidator(_validate_amount),
    PlainSerializer(format_amount, return_type=str),
    WithJsonSchema({"type": "string", "unit": "mg/kg or mg"}),
]


def dose_mg(amount: Quantity, body_weight: Quantity) -> float:
    """Dose in mg for a body weight (per-kg doses are scaled, absolute ones not)."""
    total = amount * body_weight if per_kg(amount) else amount
    return float(total / mgram)


#: Infusion time of an iv dose that gives none: the 40-min infusion of Zarate et al 2006.
IV_DURATION = "40 min"


def renamed_keys(data: Any, renames: dict[str, str], where: str) -> Any:
    """Accept the old spelling of renamed keys for one release, with a FutureWarning.

    ``renames`` maps old key -> new key; ``where`` names the table in the message.
    """
    if not isinstance(data, dict):
        return data
    data = dict(data)
    for old, new in renames.items():
        if old not in data:
            continue
        if new in data:
            raise ValueError(
                f"{where}: both {old!r} and {new!r} given; {old!r} is the old spelling of "
                f"{new!r}, keep only {new!r}"
            )
        warnings.warn(
            f"{where}: key {old!r} is deprecated, write {new!r} instead (the old spelling "
            "is read until the next release)",
            FutureWarning,
            stacklevel=2,
        )
        data[new] = data.pop(old)
    return data


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


class Titration(Section):
    """Titrated escalation of a repeated dose (``[protocol.doses.titration]``).

    The first session gives the dose's ``dose`` (the start dose).  After each session
    its peak dissociation index D (:func:`~neuroplast.model.dissociation.dissociation_index`,
    parameters ``[protocol.acute.dissociation]``) sets the next dose::

        D_k <  target:  dose_{k+1} = min(dose_k + step, ceiling)     (escalate)
        D_k >= target:  dose_{k+1} = dose_k                          (hold)

    as a clinician raises a KAP dose session by session until the desired depth of
    effect is reached, within a ceiling (doses "individualised", Dore et al 2019; CTP
    lozenge protocol 100-400 mg).  D_k is the largest index from the start of session k
    to the next session (at most ``follow_up`` after it), on the PK of every dose given
    so far.  It depends on the PK/PD only, never on the network, so the whole schedule is
    decided when the protocol is compiled (:mod:`neuroplast.sessions`), before anything
    runs; the doses given are the run's ``pharmacology.doses`` (its config.json) and its
    ``session_dose_*`` rows.
    """

    step: DoseAmount = param(
        "0.1 mg/kg",
        "dose increase after a session whose peak dissociation stayed below the target (> 0)",
        "[D]; KAP practice: doses individualised session by session (Dore et al 2019)",
    )
    ceiling: DoseAmount = param(
        "1 mg/kg",
        "no session exceeds this dose (at least the start dose)",
        "[D] below anaesthetic doses (1-2 mg/kg iv; SCIENCE.md §2.2)",
    )
    target: float = param(
        0.5,
        "peak dissociation index (proxy, 0-1) at which escalation stops; in (0, 1)",
        "[D] a mid-scale level of the proxy (model/dissociation.py DissociationConfig)",
    )

    @field_validator("step")
    @classmethod
    def _step_positive(cls, value: Quantity) -> Quantity:
        if not float(value) > 0:
            raise ValueError(
                "expected a dose increase > 0 (for a fixed dose omit the titration table)"
            )
        return value

    @field_validator("target", mode="before")
    @classmethod
    def _target_inside(cls, value: Any) -> float:
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        if number is None or not 0 < number < 1:
            raise ValueError(
                "expected a dissociation index strictly between 0 and 1 (the proxy is 0 "
                "without drug and approaches 1 at full interneuron block)"
            )
        return float(value)

    def next_dose(self, dose: Quantity, peak: float) -> Quantity:
        """The dose after a session that gave ``dose`` and reached peak dissociation ``peak``."""
        if peak >= self.target:
            return dose
        # Quantity(): dimensionless (mg/kg) arithmetic returns plain floats
        return Quantity(min(dose + self.step, self.ceiling))


class Dose(Section):
    """A drug session, optionally repeated with a fixed, escalating or titrated dose.

    The one dose schema: a direct dose (``[[pharmacology.doses]]``) and a protocol dose
    (``[[protocol.doses]]``, :class:`neuroplast.protocol.DoseEvent`, which adds the
    phase and the conditions) have the same keys with the same meaning.  Session
    k = 0 ... count - 1 starts at ``start + k every`` and gives::

        fixed        dose
        escalation   min(dose + k step, cap)          (step; cap optional)
        titration    set from session k - 1's peak dissociation ([titration];
                     protocol doses only, decided when the protocol is compiled)
    """

    drug: str = param("ketamine", "drug name, a key of the drug table (neuroplast/drugs.toml)")
    route: RouteName = param(
        "iv",
        "route of administration: iv (infusion), intranasal, sublingual, oral or im; "
        "the drug table says which routes a drug has",
    )
    start: Qty("h", nonnegative=True) = param(
        "0 h",
        "time of the (first) session: from the start of its phase in [[protocol.doses]], "
        "from the start of the run in [[pharmacology.doses]]",
    )
    dose: DoseAmount = param(
        "0.5 mg/kg",
        "amount of the (first) session: per body weight ('0.5 mg/kg') or absolute ('56 mg'); "
        "bioavailability scales what reaches the blood",
        ZARATE,
        runtime=True,
    )
    duration: Qty("min", nonnegative=True) | None = param(
        None,
        "administration time of each session; omitted: 40 min for iv (the Zarate 2006 "
        "infusion), at once for other routes, whose dose enters the absorption depot at a "
        "constant rate over it",
        ZARATE + " (40 min infusion)",
    )
    count: int = param(1, "number of sessions", ge=1)
    every: Qty("h", positive=True) | None = param(
        None, "time between session starts (needed when count > 1)"
    )
    step: DoseAmount | None = param(
        None,
        "dose increase per session (escalation; > 0)",
        "KAP practice: doses individualised session by session (Dore et al 2019)",
        runtime=True,
    )
    cap: DoseAmount | None = param(
        None, "ceiling of an escalation (at least the first dose)", runtime=True
    )
    titration: Titration | None = param(
        None,
        "titrated escalation: each session's dose from the previous session's dissociation "
        "read-out (start dose = dose; step, ceiling, target); protocol doses only",
    )

    @model_validator(mode="before")
    @classmethod
    def _old_spelling_and_iv_default(cls, data: Any) -> Any:
        data = renamed_keys(data, {"time": "start"}, "doses")
        if isinstance(data, dict) and data.get("duration") is None:
            if data.get("route", "iv") == "iv":
                data["duration"] = IV_DURATION
        return data

    @field_validator("drug", mode="before")
    @classmethod
    def _drug_in_table(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected a drug name (text), got {value!r}")
        return known_drug(value)

    @model_validator(mode="after")
    def _consistent(self) -> Dose:
        if self.count > 1 and self.every is None:
            raise ValueError(f"count = {self.count}: expected 'every' (time between sessions)")
        if self.step is not None and not float(self.step) > 0:
            raise ValueError("step: expected a dose increase > 0 (omit it for a fixed dose)")
        if self.cap is not None and self.step is None:
            raise ValueError("cap without step: expected step (the increase per session)")
        if self.titration is not None and (self.step is not None or self.cap is not None):
            raise ValueError(
                "titration with step/cap: expected one escalation rule, either the fixed "
                "step and cap or the titration table"
            )
        ceiling = self.cap if self.titration is None else self.titration.ceiling
        named = {"dose": self.dose}
        if self.titration is None:
            named.update(step=self.step, cap=self.cap)
        else:
            named.update({"titration.step": self.titration.step, "titration.ceiling": ceiling})
        given = {name: amount for name, amount in named.items() if amount is not None}
        if len({per_kg(amount) for amount in given.values()}) > 1:
            written = ", ".join(f"{name} = {format_amount(a)!r}" for name, a in given.items())
            raise ValueError(
                f"{written}: expected all per body weight (mg/kg) or all absolute (mg)"
            )
        if ceiling is not None and ceiling < self.dose:
            name = "cap" if self.titration is None else "titration.ceiling"
            raise ValueError(
                f"{name} = {format_amount(ceiling)!r}: expected at least the first dose "
                f"(dose = {format_amount(self.dose)!r})"
            )
        _check_route(self.drug, self.route, self.duration)
        return self

    def amount(self, k: int) -> Quantity:
        """The dose of session ``k`` (0-based) of a fixed or escalating series."""
        if self.titration is not None:
            raise ValueError(
                "a titrated dose is decided from the dissociation of the sessions before it, "
                "when the protocol is compiled (neuroplast.sessions.dose_sessions)"
            )
        if self.step is None:
            return self.dose
        # Quantity(): dimensionless (mg/kg) arithmetic returns plain floats
        amount = Quantity(self.dose + k * self.step)
        return self.cap if self.cap is not None and amount > self.cap else amount

    def sessions(self) -> list[Dose]:
        """The sessions as single doses (count 1), in time order."""
        return [
            Dose(
                drug=self.drug,
                route=self.route,
                start=self.start + k * (self.every if self.every is not None else 0 * second),
                dose=self.amount(k),
                duration=self.duration,
            )
            for k in range(self.count)
        ]

    def describe(self) -> str:
        """Short human description, e.g. ``'ketamine 0.5 mg/kg iv at 24 h over 40 min'``."""
        text = f"{self.drug} {format_amount(self.dose)} {self.route} at "
        text += format_quantity(self.start, "h")
        if self.duration is not None and float(self.duration) > 0:
            text += f" over {format_quantity(self.duration, 'min')}"
        if self.count > 1:
            text += f", {self.count} sessions every {format_quantity(self.every, 'h')}"
        return text

    @property
    def end(self) -> Quantity:
        """Time at which the (first) administration ends (its start, for a bolus)."""
        return self.start + (self.duration if self.duration is not None else 0 * second)


#: The keys of the old ``[pharmacology.escalation]`` table, read for one release as a
#: :class:`Dose` with ``count``/``every``/``step``/``cap``: old key -> (new key, old default).
_ESCALATION = {
    "drug": ("drug", "ketamine"),
    "route": ("route", "sublingual"),
    "first": ("start", "0 h"),
    "start": ("dose", "100 mg"),
    "step": ("step", "50 mg"),
    "cap": ("cap", "400 mg"),
    "sessions": ("count", 6),
    "interval": ("every", "84 h"),
    "duration": ("duration", None),
}


def _escalation_as_dose(table: Any) -> dict:
    """The old ``[pharmacology.escalation]`` table as a ``[[pharmacology.doses]]`` entry."""
    if not isinstance(table, dict):
        raise ValueError(f"escalation: expected a table, got {table!r}")
    unknown = sorted(set(table) - set(_ESCALATION))
    if unknown:
        raise ValueError(
            f"escalation.{unknown[0]}: unknown key; expected one of {list(_ESCALATION)}"
        )
    warnings.warn(
        "pharmacology.escalation is deprecated: write it as a [[pharmacology.doses]] entry "
        "with start, dose, step, cap, count and every (first -> start, start -> dose, "
        "sessions -> count, interval -> every); the old table is read until the next release",
        FutureWarning,
        stacklevel=2,
    )
    entry = {new: table.get(old, default) for old, (new, default) in _ESCALATION.items()}
    return {key: value for key, value in entry.items() if value is not None}


#: Old name of :class:`Dose`, kept for one release.
DoseConfig = Dose


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
    doses: list[Dose] = Field(
        default_factory=list,
        description="doses in the run's time ([[pharmacology.doses]]); empty = no drug",
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

    @model_validator(mode="before")
    @classmethod
    def _old_escalation_table(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "escalation" not in data:
            return data
        data = dict(data)
        table = data.pop("escalation")
        if table is not None:  # null: written by configs of earlier releases
            data["doses"] = [*data.get("doses", []), _escalation_as_dose(table)]
        return data

    @field_validator("drugs", mode="before")
    @classmethod
    def _override_names(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for name in value:
                try:
                    known_drug(name)
                except ValueError as err:
                    raise ValueError(f"drugs.{name}: {err}") from None
            return {known_drug(name): entry for name, entry in value.items()}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PharmacologyConfig:
        for k, dose in enumerate(self.doses):
            if dose.titration is not None:
                raise ValueError(
                    f"doses[{k}].titration: expected titration only in [[protocol.doses]], "
                    "where each session's dose is decided when the protocol is compiled"
                )
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

    def _labelled_schedule(self) -> list[tuple[str, Dose]]:
        labelled = [
            (f"doses[{i}]" if dose.count == 1 else f"doses[{i}] session {k + 1}", session)
            for i, dose in enumerate(self.doses)
            for k, session in enumerate(dose.sessions())
        ]
        return sorted(labelled, key=lambda item: float(item[1].start))

    def _check_iv_line(self) -> None:
        """Two infusions cannot run at once on the one IV line."""
        infusions = [item for item in self._labelled_schedule() if item[1].route == "iv"]
        for (label_a, a), (label_b, b) in zip(infusions, infusions[1:], strict=False):
            if b.start < a.end:
                raise ValueError(
                    f"{label_a} ({a.describe()}) and {label_b} ({b.describe()}) overlap on the "
                    f"IV line: the first runs until {format_quantity(a.end, 'h')}; start the "
                    "second at or after that time, or merge them into one dose"
                )

    def schedule(self) -> list[Dose]:
        """Every session of every dose as a single dose, sorted by start time."""
        return [dose for _, dose in self._labelled_schedule()]

    def drug(self, name: str) -> Drug:
        """The table entry for ``name`` with this config's overrides and preference switch."""
        key = known_drug(name)
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
