"""Drugs: pharmacokinetics (dose schedule -> brain concentration) and NMDA-receptor block.

Everything here runs in **biological time** (seconds of a patient's or an animal's clock,
written in configs as "40 min", "24 h", "7 days"); mapping it onto network time is the
scheduler's job (:mod:`neuroplast.simulation.schedules`).  Pure numpy and brian2 units; no
network is simulated.  One module per job, each with its equations and sources:

=============== ==========================================================================
``drugs``       the drug table (``drugs.toml``): PK and NMDA constants with their sources
``doses``       the dose schema: one session, repeated, escalated or titrated
``section``     the ``[pharmacology]`` config section: doses, drug overrides, coupling
``pk``          two-compartment PK with first-order absorption, solved exactly
``pd``          NMDA occupancy per cell type (Hill), several blockers combined
``slow_bdnf``   the slow-onset BDNF effect of the SSRI-like comparator
``trapping``    trapping block kinetics, as brian2 equations for every neuron
=============== ==========================================================================

The names below are the package's public interface; import them from here.
"""

from neuroplast.model.pharmacology.doses import (
    Dose,
    DoseAmount,
    DoseConfig,
    Titration,
    dose_mg,
    format_amount,
    per_kg,
)
from neuroplast.model.pharmacology.drugs import (
    CELL_TYPES,
    DRUGS,
    NMDA_KEYS,
    ROUTES,
    Drug,
    Route,
    RouteName,
    SlowBDNFEffect,
    load_drug_table,
)
from neuroplast.model.pharmacology.pd import (
    DrugCurves,
    PharmacologyTimecourse,
    combined_occupancy,
    nmda_available,
    occupancy,
    pharmacology_timecourse,
    potency,
)
from neuroplast.model.pharmacology.pk import (
    CompartmentAmounts,
    brain_concentration,
    compartment_amounts,
    concentration,
    distribution_half_life,
    terminal_half_life,
)
from neuroplast.model.pharmacology.section import (
    DrugOverride,
    PharmacologyConfig,
    RouteOverride,
    SlowBDNFOverride,
    acute_doses,
)
from neuroplast.model.pharmacology.slow_bdnf import SlowBDNFCourse, slow_bdnf_course
from neuroplast.model.pharmacology.trapping import (
    TRAPPING_EQUATIONS,
    trapping_equilibrium,
    trapping_initial_state,
    trapping_namespace,
    trapping_rates,
)

__all__ = [
    "CELL_TYPES",
    "DRUGS",
    "NMDA_KEYS",
    "ROUTES",
    "TRAPPING_EQUATIONS",
    "CompartmentAmounts",
    "DoseAmount",
    "Dose",
    "DrugCurves",
    "DoseConfig",
    "Drug",
    "DrugOverride",
    "PharmacologyConfig",
    "PharmacologyTimecourse",
    "Route",
    "RouteName",
    "RouteOverride",
    "SlowBDNFCourse",
    "SlowBDNFEffect",
    "SlowBDNFOverride",
    "Titration",
    "acute_doses",
    "brain_concentration",
    "combined_occupancy",
    "compartment_amounts",
    "concentration",
    "distribution_half_life",
    "dose_mg",
    "format_amount",
    "load_drug_table",
    "nmda_available",
    "occupancy",
    "per_kg",
    "pharmacology_timecourse",
    "potency",
    "slow_bdnf_course",
    "terminal_half_life",
    "trapping_equilibrium",
    "trapping_initial_state",
    "trapping_namespace",
    "trapping_rates",
]
