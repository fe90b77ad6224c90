"""Recurrent synapses and the external drive: their conductances, scaling and delay.

The recurrent AMPA, NMDA and GABA_A conductances are given per target population as the
values of the all-to-all reference network of Brunel & Wang (2001) and scaled by
``network.n_ref / (p_connect * n_pre)`` when the network is assembled
(:mod:`neuroplast.simulation.network`), so the mean recurrent input matches the reference;
``gaba_scale`` is one extra factor on every GABA_A conductance [C].  The external drive is
``n_inputs`` independent Poisson AMPA inputs per neuron.  The receptor kinetics these
conductances open are in :mod:`neuroplast.model.receptors`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, model_validator

from neuroplast.model import draws
from neuroplast.schema import BRUNEL_WANG, Qty, Section, fill_table_defaults, param

__all__ = ["ExternalConfig", "SynapsesConfig", "TargetConductances", "TO_INH", "random_projection"]


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
        le=1,
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
        "model docs §1.2 [C]",
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


def random_projection(
    rng: np.random.Generator, n_pre: int, n_post: int, p: float, *, same_population: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Draw an Erdős–Rényi projection: each (pre, post) pair connected with probability p.

    One uniform number per candidate pair, source by source (:mod:`~neuroplast.model.draws`:
    the same graph on every numpy version).

    Parameters
    ----------
    rng : numpy.random.Generator
    n_pre, n_post : int
        Sizes of the source and target populations.
    p : float
        Connection probability.
    same_population : bool
        Source and target are the same cells: no self-connections.

    Returns
    -------
    (i, j) : tuple of int arrays
        Source and target indices (within their populations), sorted by source, then target.
    """
    candidates = n_post - 1 if same_population else n_post
    sources, targets = [], []
    rows = max(1, (1 << 22) // max(candidates, 1))  # draw ~4 M pairs at a time
    for start in range(0, n_pre, rows):
        stop = min(start + rows, n_pre)
        u = draws.uniform(rng, (stop - start) * candidates).reshape(stop - start, candidates)
        pre, post = np.nonzero(u < p)
        pre += start
        if same_population:
            post += post >= pre  # candidate c of source s is cell c, or c + 1 from s on
        sources.append(pre)
        targets.append(post)
    return (
        np.concatenate(sources).astype(np.int64) if sources else np.zeros(0, np.int64),
        np.concatenate(targets).astype(np.int64) if targets else np.zeros(0, np.int64),
    )
