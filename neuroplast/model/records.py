"""What a mechanism records: per-pyramidal-cell variables and the measures made of them.

A mechanism module declares its outputs next to its equations, as a tuple ``RECORDS`` of
:class:`Record` (the BDNF model in :mod:`neuroplast.model.bdnf`, the spine and synapse
counts in :mod:`neuroplast.model.plasticity`, a rewiring rule's own in its
:class:`~neuroplast.model.rules.RewiringRule`).  The network records those variables of
the pyramidal cells every ``recording.slow_interval``; ``measures.csv`` gets one row per
record and slow sample, the population ``reduction`` of the variable; figures and reports
label it with the record's ``label``.  Declaring a record is all it takes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REDUCTIONS", "Record", "record_label"]

#: How a recorded variable becomes one value per sample: the sum or mean over the
#: pyramidal cells, or ("value") the value of a one-element compartment of the network
#: (the tissue's BDNF surge).
REDUCTIONS = ("sum", "mean", "value")

_LABELS: dict[str, str] = {}


@dataclass(frozen=True)
class Record:
    """One recorded per-pyramidal-cell variable and the measure made of it.

    Attributes
    ----------
    measure : str
        Name in ``measures.csv``.
    variable : str
        The per-cell variable of the neuron equations (or, for ``"value"``, of the
        network's one-element compartment).
    reduction : str
        ``"sum"`` or ``"mean"`` over the pyramidal cells at each slow sample, or
        ``"value"`` of a one-element compartment.
    label : str
        Axis label with its unit, e.g. ``"BDNF, mean over E cells (1 = baseline)"``.
    headline : bool
        Whether experiment reports summarise it across seeds and draw its time course.
    """

    measure: str
    variable: str
    reduction: str
    label: str
    headline: bool = False

    def __post_init__(self) -> None:
        if self.reduction not in REDUCTIONS:
            raise ValueError(
                f"Record {self.measure!r}: reduction = {self.reduction!r}, expected one of "
                f"{list(REDUCTIONS)}"
            )
        _LABELS[self.measure] = self.label


def record_label(measure: str) -> str | None:
    """The label of a declared record's measure (``None`` when no record declares it)."""
    return _LABELS.get(measure)
