"""The ``[pharmacology]`` config section: doses, drug-table overrides, the BDNF coupling.

Mechanism hypotheses (model docs §2.3; config ``mechanism``)
------------------------------------------------------------
* ``disinhibition`` (Homayoun & Moghaddam 2007; Gerhard 2020 JCI; Picard 2019): ketamine
  blocks interneuron NMDARs preferentially (IC50_inh < IC50_exc), interneurons slow, pyramidal
  cells fire more; BDNF production follows E activity.
* ``direct`` block at rest (Autry et al 2011 Nature 475:91): block of spontaneously activated
  NMDARs on pyramidal cells -> eEF2 -> BDNF translation; BDNF production term proportional to
  f_exc, independent of firing.
* ``both`` (the default).  Model docs §3.2 gives both gains as defaults (k_act = 1,
  k_dir = 2) and pure disinhibition as the test with k_dir = 0.  Without a drug the
  direct term is exactly 0, so a drug-free run is the same under ``both`` and
  ``disinhibition``.  The occupancy always scales the NMDA conductances; ``mechanism``
  only tells the BDNF model which coupling(s) to switch on.  Disinhibition only emerges
  when f_inh > f_exc (model docs §2.3 [C]), so ``interneuron_preference = false`` is its
  control arm.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from brian2.units import umolar
from pydantic import Field, field_validator, model_validator

from neuroplast.model.pharmacology.doses import (
    Dose,
    escalation_as_dose,
)
from neuroplast.model.pharmacology.drugs import (
    DRUGS,
    ZARATE,
    Drug,
    SlowBDNFEffect,
    known_drug,
)
from neuroplast.model.pharmacology.pk import peak_brain_concentration
from neuroplast.schema import Qty, Section, param
from neuroplast.units import format_quantity


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
        None, "Hill coefficient of the occupancy (0.6: sensitivity case, model docs §2.1)", gt=0
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


@dataclass(frozen=True)
class PeakConcentration:
    """The peak brain concentration of one drug of a schedule and its validity range.

    Attributes
    ----------
    drug : str
        Table name.
    peak_uM : float
        Highest brain concentration (:func:`~neuroplast.model.pharmacology.pk.peak_brain_concentration`).
    time_s : float
        Biological time of the peak, s.
    limit_uM : float or None
        The drug table's ``max_brain_concentration`` (``None``: no range).
    dose : str
        The session the peak follows, as config text (``doses[0] = '...'``).
    overrides : str
        The config's overrides of the drug table, as config text
        (``pharmacology.drugs.ketamine.brain_plasma_ratio = 3``); empty when none.
    """

    drug: str
    peak_uM: float  # noqa: N815 -- the unit, as in the measures' names
    time_s: float
    limit_uM: float | None  # noqa: N815
    dose: str
    overrides: str = ""

    @property
    def outside(self) -> bool:
        """Whether the peak exceeds the validity range."""
        return self.limit_uM is not None and self.peak_uM > self.limit_uM

    def describe(self) -> str:
        """One line: the session, the computed peak and the range expected."""
        given = f" with {self.overrides}" if self.overrides else ""
        if not math.isfinite(self.peak_uM):  # the PK of extreme drug-table values overflowed
            return (
                f"{self.dose}: peak brain concentration {self.peak_uM} uM of {self.drug}"
                f"{given}, expected a finite concentration (drug-table values for which the "
                "two-compartment PK can be computed)"
            )
        return (
            f"{self.dose}: peak brain concentration {self.peak_uM:.3g} uM of {self.drug} "
            f"(at {self.time_s / 3600:.3g} h){given}, expected at most {self.limit_uM:g} uM, "
            "the model's validity range for it (drugs.toml max_brain_concentration)"
        )


class PharmacologyConfig(Section):
    """Drug doses (biological time), PK body weight and NMDA-block pharmacodynamics."""

    body_weight: Qty("kg", at_least="1 kg", at_most="500 kg") = param(
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
        "or 'both' (the default: model docs §3.2 sets k_act = 1 and k_dir = 2, "
        "'k_dir = 0 to test pure disinhibition')",
        "Homayoun & Moghaddam 2007; Autry et al 2011; model docs §2.3, §3.2",
    )
    interneuron_preference: bool = param(
        True,
        "interneuron NMDARs more sensitive (IC50_inh from the table); false sets "
        "IC50_inh = IC50_exc (control arm for disinhibition)",
        "model docs §2.1 occupancy model [D]",
    )
    trapping: bool = param(
        False,
        "use the trapping-block kinetics (block changes only while channels are open, "
        "integrated per neuron in biological time) instead of the equilibrium occupancy; needs "
        "Hill n = 1 and doses of a single drug",
        "Autry et al 2011; model docs §2.1 optional trapping kinetics [D]",
    )
    drugs: dict[str, DrugOverride] = Field(
        default_factory=dict,
        description="per-drug overrides of the drug table ([pharmacology.drugs.<name>])",
    )
    allow_outside_range: bool = param(
        False,
        "run doses whose peak brain concentration exceeds the drug's validity range "
        "(max_brain_concentration in the drug table: 2 uM for ketamine, the subanaesthetic "
        "range); the run's provenance, report and command line then say so",
        "drugs.toml max_brain_concentration (Idvall et al 1979)",
    )

    @model_validator(mode="before")
    @classmethod
    def _old_escalation_table(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "escalation" not in data:
            return data
        data = dict(data)
        table = data.pop("escalation")
        if table is not None:  # null: written by configs of earlier releases
            data["doses"] = [*data.get("doses", []), escalation_as_dose(table)]
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
        peaks = self.peak_concentrations()
        for peak in peaks:
            if not math.isfinite(peak.peak_uM):
                raise ValueError(peak.describe())
        outside = [peak.describe() for peak in peaks if peak.outside]
        if outside and not self.allow_outside_range:
            raise ValueError(
                f"{outside[0]}; set pharmacology.allow_outside_range = true to run it anyway "
                "(its outputs then say so)"
            )
        return self

    def peak_concentrations(self) -> list[PeakConcentration]:
        """The peak brain concentration of every dosed drug, against its validity range."""
        schedule = self._labelled_schedule()
        peaks = []
        for name in sorted({dose.drug for _, dose in schedule}):
            drug = self.drug(name)
            mine = [(label, dose) for label, dose in schedule if dose.drug == name]
            with np.errstate(all="ignore"):  # an overflowing PK gives nan: refused (_consistent)
                peak, when = peak_brain_concentration(
                    [dose for _, dose in mine], drug, self.body_weight
                )
            started = [(label, dose) for label, dose in mine if float(dose.start) <= when]
            label, dose = started[-1] if started else mine[0]
            limit = drug.max_brain_concentration
            peaks.append(
                PeakConcentration(
                    drug=name,
                    peak_uM=peak,
                    time_s=when,
                    limit_uM=None if limit is None else float(limit / umolar),
                    dose=f"{label} = {dose.describe()!r}",
                    overrides=self._overrides_text(name),
                )
            )
        return peaks

    def _overrides_text(self, name: str) -> str:
        """The drug-table values this config replaces for ``name``, as config text."""
        override = self.drugs.get(name)
        if override is None:
            return ""
        given = []

        def walk(table: dict, prefix: str) -> None:
            for key, value in table.items():
                if isinstance(value, dict):
                    walk(value, f"{prefix}{key}.")
                else:
                    given.append(f"{prefix}{key} = {value!r}")

        walk(override.model_dump(mode="json", exclude_none=True), f"pharmacology.drugs.{name}.")
        return ", ".join(given)

    def outside_range(self) -> list[str]:
        """One line per dosed drug whose peak exceeds its validity range (none: ``[]``)."""
        return [peak.describe() for peak in self.peak_concentrations() if peak.outside]

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
