"""Drawing (plots.py and the other *_plots modules): figures of their own, outside pyplot.

Checked here:
* importing the drawing modules and drawing with them leaves the user's matplotlib
  backend as it was (brian2 itself imports pyplot, so pyplot's figures could pile up:
  the package's figures are never registered there);
* a one-panel plot draws into an axes it is given, and with no path returns its figure
  instead of writing a file.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from neuroplast.plots.run import plot_raster, plot_rates
from neuroplast.simulation.recording import Recording

DRAW = """
import tempfile, pathlib, numpy as np, matplotlib
import neuroplast.cli, neuroplast.plots.run, neuroplast.plots.experiment
import neuroplast.plots.connectivity, neuroplast.plots.sweep
from neuroplast.plots.connectivity import plot_connectivity_matrices
out = pathlib.Path(tempfile.mkdtemp()) / "m.png"
plot_connectivity_matrices({"a": np.eye(4)}, {"x": (0, 2)}, out)
print(matplotlib.get_backend(), out.stat().st_size > 0)
"""


def _recording() -> Recording:
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0, 1, 300))
    return Recording(
        n_exc=8,
        n_inh=2,
        duration=1.0,
        dt=1e-4,
        spike_i=rng.integers(0, 10, 300),
        spike_t=t,
        rate_t=np.arange(0, 1, 0.01),
        rate_exc=rng.uniform(0, 10, 100),
        rate_inh=rng.uniform(0, 20, 100),
    )


def test_drawing_leaves_the_users_matplotlib_backend_alone():
    env = dict(os.environ, MPLBACKEND="svg")
    done = subprocess.run(
        [sys.executable, "-c", DRAW], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["svg", "True"], done.stderr


def test_a_one_panel_plot_draws_into_the_axes_it_is_given(tmp_path):
    from matplotlib.figure import Figure

    rec = _recording()
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert plot_raster(rec, ax=left) is fig
    assert plot_rates(rec, ax=right) is fig
    assert len(left.lines) == 2 and len(right.lines) == 2  # E and I in each
    alone = plot_rates(rec)  # no path: the figure, no file
    assert isinstance(alone, Figure) and alone is not fig
    assert list(tmp_path.iterdir()) == []
    path = plot_raster(rec, tmp_path / "raster.png")
    assert path.stat().st_size > 1000


def test_a_run_that_recorded_no_spikes_gets_no_raster(tmp_path):
    """An empty raster would read as a silent network: with spikes off it is not drawn."""
    from neuroplast.plots.run import plot_run

    rec = _recording()
    without = plot_run(rec, tmp_path / "off", spikes=False)
    assert [p.name for p in without] == ["rates.png"]
    assert not (tmp_path / "off" / "raster.png").exists()
    assert [p.name for p in plot_run(rec, tmp_path / "on")] == ["raster.png", "rates.png"]
