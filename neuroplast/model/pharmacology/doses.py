"""Dose schedules (direct doses and escalation) and the ``[pharmacology]`` config section.

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
        runtime=True,
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
        return known_drug(value)

    @model_validator(mode="after")
    def _route_fits_drug(self) -> DoseConfig:
        _check_route(self.drug, self.route, self.duration)
        return self

    def describe(self) -> str:
        """Short human description, e.g. ``'ketamine 0.5 mg/kg iv at 24 h over 40 min'``."""
        text = f"{self.drug} {format_amount(self.dose)} {self.route} at "
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
        runtime=True,
    )
    step: DoseAmount = param(
        "50 mg",
        "dose increase from one session to the next (> 0)",
        "[D] doses are individualised in KAP practice (Dore et al 2019); SCIENCE.md §2.2",
        runtime=True,
    )
    cap: DoseAmount = param(
        "400 mg",
        "ceiling: no session exceeds it",
        "CTP KAP lozenge protocol: up to 400 mg per session; SCIENCE.md §2.2",
        runtime=True,
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
        return known_drug(value)

    @field_validator("step")
    @classmethod
    def _step_positive(cls, value: Quantity) -> Quantity:
        if not float(value) > 0:
            raise ValueError(
                f"must be > 0 (got {format_amount(value)!r}); for a fixed dose set cap = start"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EscalationConfig:
        kinds = {name: per_kg(getattr(self, name)) for name in ("start", "step", "cap")}
        if len(set(kinds.values())) > 1:
            written = ", ".join(
                f"{name} = {format_amount(getattr(self, name))!r}" for name in kinds
            )
            raise ValueError(
                f"{written}: expected start, step and cap all per body weight (mg/kg) or all "
                "absolute (mg)"
            )
        if self.cap < self.start:
            raise ValueError(
                f"cap = {format_amount(self.cap)!r}: expected at least start "
                f"({format_amount(self.start)!r}); the ceiling cannot be below the first dose"
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
                    known_drug(name)
                except ValueError as err:
                    raise ValueError(f"drugs.{name}: {err}") from None
            return {known_drug(name): entry for name, entry in value.items()}
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
