"""The drug table: pharmacokinetic and NMDA constants per drug, with their sources.

Parameters (drug table ``neuroplast/drugs.toml``; every value there carries its source)

============================ ============= ========= ===========================================
name                         default       unit      source
============================ ============= ========= ===========================================
molar_mass (ketamine base)   237.7         g/mol     [V] docslib table; model docs §2.1
clearance CL                 0.020         L/kg/min  [V] PMC9118341 Table 6 + [D] arithmetic
v_central V1                 1.0           L/kg      [D,C] calibrated to Zarate 2006 C_max
v_ss                         3.0           L/kg      [D,C] calibrated to t1/2beta 2-3 h
intercompartmental Q         0.05          L/kg/min  [D,C] t1/2alpha ~ 8 min
F iv / IN / SL / oral / IM   1/.45/.29/.20/.93       Yanagihara 2003; Rolan 2014; [M] Clements 1982
k_a IN / SL / oral / IM      2.5/1.1/0.8/3 /h        [D] fitted to T_max (see drugs.toml)
ic50_exc                     5             µM        [M] Kotermanski & Johnson 2009 (GluN2A/B, Mg)
ic50_inh                     1.5           µM        [M] same (GluN2C/D, Mg) [D choice]
hill n                       1             1         [D] (0.6 sensitivity case)
brain_plasma_ratio rho       1             1         [D] model docs §2.2
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
max_brain_concentration      2/1.2/2/1     µM        validity range (ket/esket/mem/ssri): Idvall 1979
============================ ============= ========= ===========================================

Caveats
-------
* Sources disagree on the half-life (2-3 h clinical summaries; 79 min in the 1979 anaesthesia
  study; terminal 5-6 h for ketamine and 7-12 h for esketamine in some reports).  The default
  (2.07 h) follows model docs §2.2; a slow deep compartment is not modelled.  Override
  ``[pharmacology.drugs.<name>]`` clearance / v_ss to explore.
* Intranasal racemic F: 45 % (Yanagihara 2003, cited by Al Shirawi 2017; default) vs 11-17 %
  (PMC9118341).  Override ``[pharmacology.drugs.ketamine.routes.intranasal] bioavailability``.
* Brain/plasma rho = 1 for every drug [D] (model docs §2.2), so ketamine and memantine are
  compared on equal terms; memantine's CSF/serum ratio is 0.52 (SmPC) and the free-fraction
  logic would give ~0.5 for ketamine (~53 % protein bound) too.
* k_off = k_on IC50_k uses IC50s measured in 1 mM Mg2+; on pyramidal cells it exceeds the
  Mg2+-free k_off of Gilling 2009 (ketamine 0.75 vs 0.22 /s; memantine 3.4 vs 0.53 /s).  On
  ketamine's interneuron receptors it matches (0.225 /s).
* Active metabolites (norketamine ~1/3 potency, hydroxynorketamines) are out of scope; oral
  and sublingual routes make much norketamine (Chong 2006), so their effect is understated.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from brian2 import Quantity, get_dimensions
from brian2.units import kgram

from neuroplast.schema import ConfigError
from neuroplast.units import QuantityParseError, dimension_of, format_quantity, parse_quantity

#: Routes of administration known to the model (a drug tables the subset it supports).
ROUTES = ("iv", "intranasal", "sublingual", "oral", "im")
RouteName = Literal["iv", "intranasal", "sublingual", "oral", "im"]

#: Cell types with their own NMDA IC50 (names as in ``neurons.exc`` / ``neurons.inh``).
CELL_TYPES = ("exc", "inh")

DRUG_TABLE_FILE = "drugs.toml"
ZARATE = "Zarate et al 2006 (Zanos et al 2018 Pharmacol Rev Table 1); model docs §2.2"

MASS = get_dimensions(kgram)


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
    max_brain_concentration : brian2.Quantity or None
        The model's validity range: the highest brain concentration a schedule may reach
        (``pharmacology.allow_outside_range`` lifts it; ``None``: no range).  Every drug
        of the table has one, with its source.

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
    max_brain_concentration: Quantity | None = None

    def __post_init__(self) -> None:
        if self.max_brain_concentration is not None:
            if not float(self.max_brain_concentration) > 0:
                raise ValueError(
                    f"max_brain_concentration = {self._shown('max_brain_concentration')}: "
                    "expected a value > 0"
                )
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
    "max_brain_concentration": "uM",
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


def known_drug(name: str) -> str:
    """Return the table key for ``name`` (case-insensitive) or raise a helpful ValueError."""
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in DRUGS:
        raise ValueError(
            f"unknown drug {name!r}{_suggest(str(key), DRUGS)} "
            f"(drugs in the table: {', '.join(sorted(DRUGS))})"
        )
    return key


def resolve_drug(drug: str | Drug) -> Drug:
    """The :class:`Drug` itself, or the table's entry for a name (case-insensitive)."""
    if isinstance(drug, Drug):
        return drug
    return DRUGS[known_drug(drug)]


def blocker(drug: str | Drug) -> Drug:
    """The drug, which must block NMDA receptors (else a ValueError naming it)."""
    drug = resolve_drug(drug)
    if not drug.blocks_nmda:
        raise ValueError(
            f"drug {drug.name!r} blocks no NMDA receptors (its NMDA keys are 'none' in the "
            "drug table): it has no NMDA potency or trapping kinetics"
        )
    return drug


def table_entries(drugs: Mapping[str, Drug] | None = None) -> Iterable[tuple[str, Any, str, str]]:
    """Every constant of the drug table: ``(drug.key, value, unit, source)``.

    Keys as in ``drugs.toml`` and in ``[pharmacology.drugs.<name>]`` overrides:
    ``ketamine.clearance``, ``ketamine.routes.intranasal.bioavailability``,
    ``ssri.bdnf_effect.gain``; ``unit`` is "1" for plain numbers, ``value`` None for an
    NMDA key a drug does not have ("none" in the table).
    """
    for name, drug in (DRUGS if drugs is None else drugs).items():
        for key, unit in _DRUG_UNITS.items():
            yield f"{name}.{key}", getattr(drug, key), unit, drug.sources.get(key, "")
        for route_name, route in drug.routes.items():
            for key, unit in _ROUTE_UNITS.items():
                if key in route.sources:
                    yield (
                        f"{name}.routes.{route_name}.{key}",
                        getattr(route, key),
                        unit,
                        route.sources[key],
                    )
        if drug.slow_bdnf is not None:
            for key, unit in _SLOW_BDNF_UNITS.items():
                value, source = getattr(drug.slow_bdnf, key), drug.slow_bdnf.sources.get(key, "")
                yield f"{name}.bdnf_effect.{key}", value, unit, source
