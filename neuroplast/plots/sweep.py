"""Figures of a parameter sweep (:mod:`neuroplast.studies.sweep`), drawn from its reduced table.

Every figure reduces the sweep's table with :func:`neuroplast.studies.sweep_data.load_sweep_data`
(each measure at each run's last time point; only finished runs count, and the number of
failed and missing runs is written under each figure's title).

Figures (PNG, written atomically into ``OUT/figures/``):

``response_<axis>.png``
    Parameter-response curves: one panel per measure, the swept value on x and the mean
    across seeds on y, with the 95 % percentile-bootstrap interval of that mean as a
    band (:func:`neuroplast.analysis.stats.bootstrap_ci`; none with fewer than 3 seeds).  In a
    ``grid`` sweep every combination of the other axes is its own line; in a
    ``one_at_a_time`` sweep the curve holds the base point and the points that vary this
    axis; in ``random`` / ``latin_hypercube`` sweeps each point is a marker with its
    interval as an error bar (the other axes vary too, so points are not joined).
``heatmap_<x axis>__<y axis>.png``
    ``grid`` sweeps with two or more axes: the mean across seeds over every pair of
    axes, one panel per measure (with more than two axes, also averaged over the others).
``sensitivity.png``
    ``one_at_a_time`` sweeps: per measure, the change from the base point of every
    varied value, as horizontal bars with the bootstrap interval of the mean change.
    Seeds are paired (repeat ``k`` of every point runs with the same seed), so the
    change is averaged over per-seed differences.  Axes are sorted by the largest
    change they cause, largest on top.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from neuroplast.plots.figure import finish
from neuroplast.studies.sweep import SAMPLED_KINDS
from neuroplast.studies.sweep_data import (
    AxisInfo,
    SweepData,
    SweepPlotError,
    is_sweep_dir,
    load_sweep_data,
    select_axes,
    select_measures,
)
from neuroplast.studies.sweep_summary import (
    CI_LEVEL,
    N_BOOT,
    Curve,
    Effect,
    finite_values,
    heatmap_grid,
    measure_mask,
    response_curves,
    sensitivity,
)

__all__ = [
    "SweepPlotError",
    "is_sweep_dir",
    "plot_heatmap",
    "plot_response",
    "plot_sensitivity",
    "plot_sweep",
]

FIGURES_DIR = "figures"
#: Colour-blind-safe line colours (Okabe & Ito 2008); more lines use a colour map.
LINE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: Cells of a heat map annotated with their value when the map is at most this big.
ANNOTATE_CELLS = 64
#: Characters of a 10-point title line per inch of figure width.
TITLE_CHARS_PER_INCH = 13


# --------------------------------------------------------------------------- figures


def _new_figure(n_panels: int, ncols: int, size: tuple[float, float]):
    ncols = max(1, min(ncols, n_panels))
    nrows = -(-n_panels // ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def _title(fig, data: SweepData, title: str) -> None:
    """Title and the run counts, wrapped to the figure's width."""
    width = max(40, int(fig.get_figwidth() * TITLE_CHARS_PER_INCH))
    lines = textwrap.wrap(title, width) + textwrap.wrap(data.subtitle(), width)
    fig.suptitle("\n".join(lines), fontsize=10)


def _colours(n: int) -> list:
    if n <= len(LINE_COLOURS):
        return list(LINE_COLOURS[:n])
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(k / max(n - 1, 1)) for k in range(n)]


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


def _draw_curves(ax, curves: list[Curve], info: AxisInfo, sampled: bool) -> None:
    for curve, colour in zip(curves, _colours(len(curves)), strict=True):
        if sampled:
            err = np.vstack([curve.mean - curve.ci_low, curve.ci_high - curve.mean])
            ax.errorbar(
                curve.x,
                curve.mean,
                yerr=np.where(np.isfinite(err), err, 0.0),
                fmt="o",
                ms=4,
                color=colour,
                lw=1,
                label=curve.label or None,
            )
            continue
        ax.plot(curve.x, curve.mean, "o-", ms=4, color=colour, label=curve.label or None)
        for x, seeds in zip(curve.x, curve.values, strict=True):
            ax.plot(np.full(seeds.size, x), seeds, ".", ms=3, color=colour, alpha=0.4)
        ax.fill_between(curve.x, curve.ci_low, curve.ci_high, color=colour, alpha=0.2, lw=0)
    if not info.numeric and curves:
        ticks = {x: t for c in curves for x, t in zip(c.x, c.x_text, strict=True)}
        ax.set_xticks(list(ticks), list(ticks.values()))


def _mark_base(ax, data: SweepData, info: AxisInfo) -> None:
    """A dotted vertical line at the base value of a one_at_a_time axis."""
    base = data.points["coords"][info.path][data.points["varied"] == ""]
    if base.size:
        x = base[0] if info.numeric else data.order(info.path).index(base[0])
        ax.axvline(x, color="0.5", lw=0.8, ls=":", label="base point")


def _seeds_note(curves: list[Curve], ci: float) -> str:
    n = [int(v) for c in curves for v in c.n if v > 0]
    if not n:
        return "no finite values"
    spread = f"{min(n)}" if min(n) == max(n) else f"{min(n)}–{max(n)}"
    band = f"{ci:.0%} bootstrap CI of the mean" if max(n) >= 3 else "no CI (fewer than 3 seeds)"
    return f"n = {spread} seeds per point; {band}"


def plot_response(
    data: SweepData,
    path: str,
    measures: Sequence[str],
    out: Path | None = None,
    *,
    n_boot: int = N_BOOT,
    ci: float = CI_LEVEL,
) -> Path | Figure:
    """Parameter-response curves of ``measures`` along the axis ``path`` (one panel each).

    Returns
    -------
    Path or Figure
        The PNG written, or the figure when ``out`` is None.
    """
    info = data.axis(path)
    sampled = data.kind in SAMPLED_KINDS
    fig, axes = _new_figure(len(measures), 3, (4.3, 3.2))
    notes, handles = set(), {}
    for ax, measure in zip(axes, measures, strict=True):
        curves = response_curves(data, measure, path, n_boot=n_boot, ci=ci)
        _draw_curves(ax, curves, info, sampled)
        if data.kind == "one_at_a_time":
            _mark_base(ax, data, info)
        notes.add(_seeds_note(curves, ci))
        ax.set_xlabel(info.label(), fontsize=8)
        ax.set_ylabel(data.measure_label(measure), fontsize=8)
        ax.set_title(measure, fontsize=9, loc="left")
        ax.tick_params(labelsize=8)
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    if handles:
        fig.legend(
            list(handles.values()),
            list(handles),
            loc="outside lower center",
            fontsize=8,
            ncols=min(4, len(handles)),
        )
    what = "mean across seeds at each point" if sampled else "mean across seeds (dots: seeds)"
    _title(fig, data, f"Response to {path}: {what}; {'; '.join(sorted(notes))}")
    return finish(fig, out, dpi=110, tight=False)


def plot_heatmap(
    data: SweepData, x_path: str, y_path: str, measures: Sequence[str], out: Path | None = None
) -> Path | Figure:
    """Heat maps of the mean across seeds over two axes, one panel per measure x condition.

    Returns
    -------
    Path or Figure
        The PNG written, or the figure when ``out`` is None.
    """
    x_info, y_info = data.axis(x_path), data.axis(y_path)
    conditions = data.conditions
    panels = [(m, c) for m in measures for c in conditions]
    fig, axes = _new_figure(len(panels), 3, (4.3, 3.4))
    for ax, (measure, condition) in zip(axes, panels, strict=True):
        grid = heatmap_grid(data, measure, x_path, y_path, condition)
        image = ax.imshow(grid.mean, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(grid.x)), grid.x_text, fontsize=8)
        ax.set_yticks(range(len(grid.y)), grid.y_text, fontsize=8)
        ax.set_xlabel(x_info.label(), fontsize=8)
        ax.set_ylabel(y_info.label(), fontsize=8)
        suffix = f" ({condition})" if len(conditions) > 1 else ""
        ax.set_title(f"{measure}{suffix}", fontsize=9, loc="left")
        bar = fig.colorbar(image, ax=ax)
        bar.set_label(data.measure_label(measure), fontsize=7)
        bar.ax.tick_params(labelsize=7)
        if grid.mean.size <= ANNOTATE_CELLS:
            _annotate(ax, grid.mean)
    others = [a.path for a in data.axes if a.path not in (x_path, y_path)]
    over = "seeds" + (f" and {', '.join(others)}" if others else "")
    _title(fig, data, f"Mean over {over}")
    return finish(fig, out, dpi=110, tight=False)


def _annotate(ax, values: np.ndarray) -> None:
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (j, i), value in np.ndenumerate(values):
        if math.isfinite(value):
            colour = "black" if value > middle else "white"
            ax.text(i, j, f"{value:.3g}", ha="center", va="center", fontsize=7, color=colour)


def plot_sensitivity(
    data: SweepData,
    measures: Sequence[str],
    out: Path | None = None,
    *,
    paths: Sequence[str] | None = None,
    n_boot: int = N_BOOT,
    ci: float = CI_LEVEL,
) -> Path | Figure:
    """One-at-a-time sensitivity: change from the base point as horizontal bars.

    One panel per measure x condition; one bar per varied value, coloured by axis, axes
    sorted by their largest change (largest on top).

    Returns
    -------
    Path or Figure
        The PNG written, or the figure when ``out`` is None.
    """
    conditions = data.conditions
    panels = [(m, c) for m in measures for c in conditions]
    paths = [a.path for a in select_axes(data, paths)]
    colours = dict(zip(paths, _colours(len(paths)), strict=True))
    effects = {
        panel: sensitivity(data, panel[0], condition=panel[1], paths=paths, n_boot=n_boot, ci=ci)
        for panel in panels
    }
    n_bars = max([1, *(len(e) for e in effects.values())])
    fig, axes = _new_figure(len(panels), 2, (5.2, 1.3 + 0.3 * n_bars))
    for ax, (measure, condition) in zip(axes, panels, strict=True):
        effects_here = effects[(measure, condition)]
        _draw_bars(ax, effects_here, colours)
        base = data.value[measure_mask(data, measure, condition) & (data.varied == "")]
        base_mean = finite_values(base).mean() if finite_values(base).size else math.nan
        suffix = f" ({condition})" if len(conditions) > 1 else ""
        ax.set_title(f"{measure}{suffix}: base {base_mean:.3g}", fontsize=9, loc="left")
        label = data.measure_label(measure).replace("\n", ", ")
        ax.set_xlabel(f"change from base point\n{label}", fontsize=8)
    _title(
        fig,
        data,
        f"One-at-a-time sensitivity: mean over {len(data.all_seeds)} paired seed(s) of the "
        "change; "
        f"bars: {ci:.0%} bootstrap CI (3 or more seeds)",
    )
    return finish(fig, out, dpi=110, tight=False)


def _draw_bars(ax, effects: list[Effect], colours: dict[str, Any]) -> None:
    if not effects:
        ax.text(
            0.5,
            0.5,
            "no change to show\n(base point missing?)",
            ha="center",
            va="center",
            transform=ax.transAxes,
            fontsize=8,
        )
        ax.set_yticks([])
        return
    y = np.arange(len(effects))[::-1]
    delta = np.asarray([e.delta for e in effects])
    err = np.vstack([delta - [e.ci_low for e in effects], [e.ci_high for e in effects] - delta])
    ax.barh(
        y,
        np.nan_to_num(delta),
        xerr=np.where(np.isfinite(err), err, 0.0),
        color=[colours[e.axis] for e in effects],
        error_kw={"lw": 1, "capsize": 3},
    )
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(y, [f"{e.axis} = {e.value}" for e in effects], fontsize=8)
    ax.tick_params(axis="x", labelsize=8)


def plot_sweep(
    sweep_dir: str | Path,
    measures: Sequence[str] | None = None,
    axes: Sequence[str] | None = None,
    *,
    n_boot: int = N_BOOT,
    ci: float = CI_LEVEL,
) -> list[Path]:
    """Draw every figure of a sweep directory into ``SWEEP_DIR/figures/``.

    Parameters
    ----------
    sweep_dir : str or Path
        Written by ``neuroplast sweep``.
    measures : sequence of str, optional
        Measures to draw (default: all, summaries first).
    axes : sequence of str, optional
        Swept paths to draw (default: all).
    n_boot : int
        Bootstrap resamples per interval.
    ci : float
        Confidence level of the intervals.

    Returns
    -------
    list of Path
        The PNG files written.

    Raises
    ------
    SweepPlotError
        For an unknown measure or axis (naming the available ones), or no finished run.
    """
    sweep_dir = Path(sweep_dir)
    data = load_sweep_data(sweep_dir)
    measures = select_measures(data, measures)
    infos = select_axes(data, axes)
    figures = sweep_dir / FIGURES_DIR
    written = []
    for info in infos:
        if len(data.order(info.path)) > 1:
            out = figures / f"response_{_safe_name(info.path)}.png"
            written.append(plot_response(data, info.path, measures, out, n_boot=n_boot, ci=ci))
    if data.kind == "grid":
        wide = [a for a in infos if len(data.order(a.path)) > 1]
        for k, x_info in enumerate(wide):
            for y_info in wide[k + 1 :]:
                name = f"heatmap_{_safe_name(x_info.path)}__{_safe_name(y_info.path)}.png"
                written.append(
                    plot_heatmap(data, x_info.path, y_info.path, measures, figures / name)
                )
    if data.kind == "one_at_a_time":
        paths = [a.path for a in infos]
        out = figures / "sensitivity.png"
        written.append(plot_sensitivity(data, measures, out, paths=paths, n_boot=n_boot, ci=ci))
    return written
