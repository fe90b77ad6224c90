"""Figures of E->E connectivity: weight matrices ordered by assembly, side by side (PNG).

The matrices come from :func:`neuroplast.analysis.connectivity.connectivity_matrix` with
cells ordered by :func:`neuroplast.analysis.connectivity.assembly_order`, whose ``bounds``
give the assembly boundaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from neuroplast.plots.figure import finish, new_figure

__all__ = ["plot_connectivity_matrices"]

BOUNDARY_COLOUR = "white"


def _draw_bounds(ax, bounds: Mapping[str, tuple[int, int]], n_cells: int) -> None:
    """Assembly boundaries as lines, assembly names as ticks at block centres."""
    for start, stop in bounds.values():
        for edge in (start, stop):
            if 0 < edge < n_cells:
                ax.axhline(edge, color=BOUNDARY_COLOUR, lw=0.8)
                ax.axvline(edge, color=BOUNDARY_COLOUR, lw=0.8)
    centres = [(start + stop) / 2 for start, stop in bounds.values()]
    ax.set_xticks(centres, list(bounds), rotation=45, ha="right")
    ax.set_yticks(centres, list(bounds))


def plot_connectivity_matrices(
    matrices: Mapping[str, np.ndarray],
    assemblies_bounds: Mapping[str, tuple[int, int]],
    path: Path | str | None = None,
    n_cells: int | None = None,
    colour_label: str = "summed E→E weight (initial synapse: w = 1)",
) -> Path | Figure:
    """One panel per matrix on a shared colour scale, assembly boundaries drawn.

    Parameters
    ----------
    matrices : mapping of str to ndarray
        Panel title (e.g. ``"day 0"``, ``"day 14, stress"``) to a square matrix, rows
        presynaptic; dense (one row per cell) or block-summed.
    assemblies_bounds : mapping of str to (int, int)
        ``[start, stop)`` cell positions of each assembly, as returned by ``assembly_order``.
    path : Path or str
        PNG file to write.
    n_cells : int, optional
        Number of cells the matrices span; default the largest ``stop`` in
        ``assemblies_bounds`` (which reaches the last cell when it includes ``"rest"``), else
        the matrix size.  Block-summed matrices are drawn over cell positions so the bounds
        apply unchanged.
    colour_label : str
        Label of the colour bar.

    Returns
    -------
    Path
    """
    if not matrices:
        raise ValueError("no matrices to plot")
    first = next(iter(matrices.values()))
    if n_cells is None:
        stops = [stop for _, stop in assemblies_bounds.values()]
        n_cells = max(stops) if stops else first.shape[0]
    # one scale for every panel so before and after compare by colour
    vmax = max(float(np.max(m)) for m in matrices.values()) or 1.0
    fig, axes = new_figure(
        1, len(matrices), figsize=(4.2 * len(matrices) + 1.0, 4.4), squeeze=False
    )
    for ax, (label, matrix) in zip(axes[0], matrices.items(), strict=True):
        image = ax.imshow(
            matrix,
            cmap="magma",
            vmin=0.0,
            vmax=vmax,
            extent=(0, n_cells, n_cells, 0),
            interpolation="nearest",
        )
        _draw_bounds(ax, assemblies_bounds, n_cells)
        ax.set_title(label)
        if ax is not axes[0][0]:
            ax.tick_params(labelleft=False)  # the first panel names the assemblies
        ax.set_xlabel("postsynaptic cell (ordered by assembly)")
    axes[0][0].set_ylabel("presynaptic cell (ordered by assembly)")
    fig.colorbar(image, ax=list(axes[0]), shrink=0.85, label=colour_label)
    return finish(fig, path)
