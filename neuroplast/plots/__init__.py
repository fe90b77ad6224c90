"""Drawing only: figures of runs, experiments, connectivity and sweeps (matplotlib, no pyplot)."""
