"""Experiments and sweeps: running many simulations, resuming, analysing and reporting them."""
