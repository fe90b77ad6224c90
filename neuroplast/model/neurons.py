"""Conductance-based leaky integrate-and-fire neurons (pyramidal cells and interneurons).

Equations (Brunel & Wang 2001; Wang 2002)::

    C_m dV/dt = -g_L (V - V_L) - I_AMPA - I_NMDA - I_GABA      (V clamped while refractory)
    V > V_th  ->  spike, V = V_reset, refractory for t_ref

The synaptic currents are defined in :mod:`neuroplast.model.receptors`.  Both
populations live in one brian2 ``NeuronGroup`` (excitatory cells first, then
inhibitory ones) so that every equation is compiled once; each neuron carries
its population's membrane parameters.

Parameters (``[neurons.exc]``, ``[neurons.inh]``; from Brunel & Wang 2001 and Wang 2002,
as in the brian2 examples): the membrane time constants C_m / g_L are 20 ms (E) and
10 ms (I).

{parameters}
"""

from __future__ import annotations

from typing import Any

import numpy as np
from brian2.units.fundamentalunits import Quantity, get_dimensions
from pydantic import Field, model_validator

from neuroplast.model.receptors import RECEPTOR_EQUATIONS, RESET_NMDA
from neuroplast.schema import (
    BRUNEL_WANG,
    POTENTIAL_RANGE,
    Qty,
    Section,
    fill_table_defaults,
    param,
    with_parameter_table,
)

__all__ = [
    "INH_POPULATION",
    "MEMBRANE_EQUATIONS",
    "NeuronsConfig",
    "PopulationConfig",
    "THRESHOLD",
    "RESET",
    "neuron_equations",
    "population_values",
]


class PopulationConfig(Section):
    """Leaky integrate-and-fire membrane of one population."""

    C_m: Qty("nF", positive=True) = param("0.5 nF", "membrane capacitance", BRUNEL_WANG)
    g_L: Qty("nS", positive=True) = param("25 nS", "leak conductance", BRUNEL_WANG)
    V_L: Qty("mV", **POTENTIAL_RANGE) = param(
        "-70 mV", "leak reversal (resting) potential", BRUNEL_WANG
    )
    V_th: Qty("mV", **POTENTIAL_RANGE) = param("-50 mV", "spike threshold", BRUNEL_WANG)
    V_reset: Qty("mV", **POTENTIAL_RANGE) = param(
        "-55 mV", "reset potential after a spike", BRUNEL_WANG
    )
    t_ref: Qty("ms", nonnegative=True) = param("2 ms", "absolute refractory period", BRUNEL_WANG)


#: Where interneurons differ from the class defaults (which are the pyramidal values).
INH_POPULATION = {"C_m": "0.2 nF", "g_L": "20 nS", "t_ref": "1 ms"}


class NeuronsConfig(Section):
    """The excitatory (pyramidal) and inhibitory (interneuron) populations."""

    exc: PopulationConfig = Field(default_factory=PopulationConfig)
    inh: PopulationConfig = Field(default_factory=lambda: PopulationConfig(**INH_POPULATION))

    @model_validator(mode="before")
    @classmethod
    def _inh_defaults(cls, data: Any) -> Any:
        return fill_table_defaults(data, "inh", INH_POPULATION)


MEMBRANE_EQUATIONS = """
dV/dt = (-g_L * (V - V_L) - I_ampa - I_nmda - I_gaba) / C_m : volt (unless refractory)
C_m : farad (constant)
g_L : siemens (constant)
V_L : volt (constant)
V_th : volt (constant)
V_reset : volt (constant)
t_ref : second (constant)
"""

THRESHOLD = "V > V_th"
RESET = "V = V_reset" + RESET_NMDA


def neuron_equations(*extra: str) -> str:
    """The full equation string of one neuron: membrane, receptor currents, ``extra`` parts."""
    return MEMBRANE_EQUATIONS + RECEPTOR_EQUATIONS + "".join(extra)


def population_values(cfg: NeuronsConfig, n_exc: int, n_inh: int) -> dict[str, np.ndarray]:
    """Per-neuron membrane parameters: the E values for the first ``n_exc`` cells, then I.

    Returns
    -------
    dict of str to brian2 quantity arrays
        One entry per membrane parameter, ready to assign to the NeuronGroup.
    """
    values = {}
    for name in PopulationConfig.model_fields:
        e_value, i_value = getattr(cfg.exc, name), getattr(cfg.inh, name)
        numbers = np.concatenate([np.full(n_exc, float(e_value)), np.full(n_inh, float(i_value))])
        values[name] = Quantity(numbers, dim=get_dimensions(e_value))
    return values


__doc__ = with_parameter_table(__doc__, NeuronsConfig)
