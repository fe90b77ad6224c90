"""The mechanisms: one module each, with its equations, config section and records.

Assembled into a brian2 network by :mod:`neuroplast.simulation.network`.
"""
