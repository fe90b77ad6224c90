"""Figures outside pyplot: every figure of the package is made and finished here.

A :class:`matplotlib.figure.Figure` of its own, not registered with pyplot: drawing needs
no display and never switches the user's backend.  Each ``plot_*`` function of the
package writes its figure to ``path`` and returns the path, or, with ``path=None``,
returns the figure for the caller to show, change or save; the one-panel plots also
draw into an axes given as ``ax=``.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from neuroplast.simulation.storage import save_figure

__all__ = ["finish", "new_figure"]


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize, **subplots):
    """A new figure and its axes, as ``pyplot.subplots`` but outside pyplot's state."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, **subplots)


def finish(fig: Figure, path: Path | str | None, **options) -> Path | Figure:
    """Write ``fig`` to ``path`` and return the path; with no path return the figure."""
    return fig if path is None else save_figure(fig, Path(path), **options)
