"""Recurrent synapses and the external drive: their conductances, scaling and delay.

The recurrent AMPA, NMDA and GABA_A conductances are given per target population as the
values of the all-to-all reference network of Brunel & Wang (2001) and scaled by
``network.n_ref / (p_connect * n_pre)`` when the network is assembled
(:mod:`neuroplast.model.network`), so the mean recurrent input matches the reference;
``gaba_scale`` is one extra factor on every GABA_A conductance [C].  The external drive is
``n_inputs`` independent Poisson AMPA inputs per neuron.  The receptor kinetics these
conductances open are in :mod:`neuroplast.model.receptors`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from neuroplast.schema import BRUNEL_WANG, Qty, Section, fill_table_defaults, param

__all__ = ["ExternalConfig", "SynapsesConfig", "TargetConductances", "TO_INH"]


class TargetConductances(Section):
    """Peak conductances of the synapses onto one population (reference network values)."""

    g_ampa_ext: Qty("nS", nonnegative=True) = param(
        "2.08 nS", "external AMPA conductance per Poisson input", BRUNEL_WANG
    )
    g_ampa: Qty("nS", nonnegative=True) = param(
        "0.104 nS",
        "recurrent AMPA conductance per synapse in the all-to-all reference",
        BRUNEL_WANG,
    )
    g_nmda: Qty("nS", nonnegative=True) = param(
        "0.327 nS",
        "recurrent NMDA conductance per synapse in the all-to-all reference",
        BRUNEL_WANG,
    )
    g_gaba: Qty("nS", nonnegative=True) = param(
        "1.25 nS", "GABA_A conductance per synapse in the all-to-all reference", BRUNEL_WANG
    )
    nmda_scale: float = param(
        1.0,
        "fraction of NMDA conductance available on this cell type (1 = none blocked); "
        "the ketamine model drives it",
        ge=0,
    )


#: Conductances onto interneurons (the class defaults are those onto pyramidal cells).
TO_INH = {"g_ampa_ext": "1.62 nS", "g_ampa": "0.081 nS", "g_nmda": "0.258 nS", "g_gaba": "0.973 nS"}


class SynapsesConfig(Section):
    """Recurrent synapses: conductances per target population, scaling and delay."""

    to_exc: TargetConductances = Field(default_factory=TargetConductances)
    to_inh: TargetConductances = Field(default_factory=lambda: TargetConductances(**TO_INH))
    gaba_scale: float = param(
        1.5,
        "extra factor on every GABA_A conductance that brings the sparse network to "
        "E ~ 5 Hz / I ~ 11 Hz",
        "SCIENCE.md §1.2 [C]",
        ge=0,
    )
    delay: Qty("ms", nonnegative=True) = param("0.5 ms", "synaptic transmission delay", BRUNEL_WANG)

    @model_validator(mode="before")
    @classmethod
    def _inh_defaults(cls, data: Any) -> Any:
        return fill_table_defaults(data, "to_inh", TO_INH)


class ExternalConfig(Section):
    """Background drive: independent Poisson inputs onto every neuron (AMPA)."""

    n_inputs: int = param(800, "number of external Poisson inputs per neuron", BRUNEL_WANG, ge=0)
    rate: Qty("Hz", nonnegative=True) = param("3 Hz", "rate of each external input", BRUNEL_WANG)
