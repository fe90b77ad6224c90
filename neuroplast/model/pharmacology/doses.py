"""The dose schema: one drug session, repeated, escalated or titrated.

:class:`Dose` is the one schema of a dose, used by ``[[pharmacology.doses]]`` (timed from
the start of the run) and ``[[protocol.doses]]`` (:class:`neuroplast.config.protocol.DoseEvent`,
timed from the start of its phase); :class:`Titration` is its titrated escalation.  A dose
amount is per body weight ('0.5 mg/kg') or absolute ('56 mg').  The ``[pharmacology]``
section that holds the doses is :mod:`neuroplast.model.pharmacology.section`.
"""

from __future__ import annotations

import math
import warnings
from typing import Annotated, Any

from brian2 import Quantity, get_dimensions
from brian2.units import mgram, second
from brian2.units.fundamentalunits import DIMENSIONLESS
from pydantic import (
    BeforeValidator,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from neuroplast.model.pharmacology.drugs import DRUGS, MASS, ZARATE, RouteName, known_drug
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
    # finite in mg or mg/kg too, the units it is written in (1e308 kg is inf mg)
    if not (math.isfinite(float(quantity)) and math.isfinite(float(quantity) / 1e-6)):
        raise ValueError(f"expected a finite dose such as '0.5 mg/kg' (got {value!r})")
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


#: Most sessions of one dose or therapy entry (``count``): about three years of daily
#: doses.  Validation expands every session (its PK, the IV line, the clock), about 1 ms
#: each; a count of 10^9 was accepted and never finished validating.
MAX_SESSIONS = 1000


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
    decided when the protocol is compiled (:mod:`neuroplast.config.sessions`), before anything
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
        "[D] below anaesthetic doses (1-2 mg/kg iv; model docs §2.2)",
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
    (``[[protocol.doses]]``, :class:`neuroplast.config.protocol.DoseEvent`, which adds the
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
    count: int = param(1, "number of sessions", ge=1, le=MAX_SESSIONS)
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
                "when the protocol is compiled (neuroplast.config.sessions.dose_sessions)"
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


def escalation_as_dose(table: Any) -> dict:
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
