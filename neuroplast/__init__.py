"""neuroplast: spiking-network models of ketamine, BDNF, stress and therapy-paired plasticity.

See docs/getting_started.md for a tour; each module under :mod:`neuroplast.model` documents its
equations, parameters and sources.
"""

__version__ = "0.1.0"
