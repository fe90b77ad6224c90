"""Figures of a multi-condition experiment: recovery curves, small multiples, forest plots.

Inputs are the outputs of :mod:`neuroplast.analysis.stats`: summary rows (condition, measure,
bio_time_days, n, mean, sd, ci_low, ci_high) and :class:`~neuroplast.analysis.stats.Comparison`
rows.  Every figure colours a condition the same way (:func:`condition_colours`), using
the colour-blind-safe palette of Okabe & Ito (2008, "Color Universal Design",
jfly.uni-koeln.de/color).  Files are PNG, written atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from neuroplast.analysis.measures import measure_label
from neuroplast.analysis.stats import as_dicts, columns
from neuroplast.plots.figure import finish, new_figure

__all__ = [
    "ACUTE_FIGURE_MEASURES",
    "CONDITION_COLOURS",
    "SESSION_FIGURE_MEASURES",
    "condition_colours",
    "measure_label",
    "plot_acute",
    "plot_comparisons",
    "plot_measure_grid",
    "plot_recovery_curves",
    "plot_sessions",
]

#: Fixed colours of the conditions neuroplast's protocols name (Okabe & Ito 2008).
CONDITION_COLOURS = {
    "control": "#000000",
    "sham": "#999999",
    "stress": "#D55E00",
    "ketamine": "#E69F00",
    "therapy": "#0072B2",
    "ketamine_therapy": "#009E73",
}

#: Colours for other condition names, handed out in the order the conditions are given.
SPARE_COLOURS = ("#56B4E9", "#CC79A7", "#8C564B", "#F0E442", "#7F7F7F", "#BCBD22", "#17BECF")


#: How event kinds are drawn: (edge of the axes, line width, legend text).  Ticks of
#: different conditions on the same day sit in separate rows from that edge.
EVENT_STYLES = {
    "dose": ("bottom", 2.0, "ketamine dose (tick at bottom; colour = condition)"),
    "therapy": ("top", 2.0, "therapy session (tick at top; colour = condition)"),
}
OTHER_EVENT_STYLE = ("full", 0.8, "{kind}")

#: Height of one condition's row of event ticks (fraction of the axes height).
EVENT_ROW = 0.035

PHASE_SHADES = ("0.90", "0.96")
WHEN_MARKERS = ("o", "s", "D", "^", "v", "P")


def condition_colours(conditions: Sequence[str]) -> dict[str, str]:
    """Colour of each condition: fixed for known names, spare colours in the given order."""
    spare = iter(c for c in SPARE_COLOURS if c not in CONDITION_COLOURS.values())
    colours = {}
    for name in conditions:
        if name in CONDITION_COLOURS:
            colours[name] = CONDITION_COLOURS[name]
        elif name not in colours:
            colours[name] = next(spare, "#444444")
    return colours


def _summary_series(summary, measure: str) -> dict[str, dict[str, np.ndarray]]:
    """Per condition (table order): days, mean, CI and n of one measure, sorted by day."""
    cols = columns(
        summary, ("condition", "measure", "bio_time_days", "n", "mean", "ci_low", "ci_high")
    )
    sel = cols["measure"] == measure
    if not sel.any():
        raise ValueError(f"measure {measure!r} is not in the summary")
    out = {}
    for condition in dict.fromkeys(cols["condition"][sel].tolist()):
        rows = sel & (cols["condition"] == condition)
        order = np.argsort(cols["bio_time_days"][rows].astype(float), kind="stable")
        out[condition] = {
            key: cols[key][rows].astype(float)[order]
            for key in ("bio_time_days", "n", "mean", "ci_low", "ci_high")
        }
    return out


def _conditions_in(summary, conditions: Sequence[str] | None) -> list[str]:
    if conditions is not None:
        return list(conditions)
    return list(dict.fromkeys(columns(summary, ("condition",))["condition"].tolist()))


def _shade_phases(ax, phases, label: bool) -> None:
    for k, (name, start, end) in enumerate(phases):
        ax.axvspan(start, end, color=PHASE_SHADES[k % 2], lw=0, zorder=0)
        if label:
            ax.text(
                0.5 * (start + end),
                1.01,
                name,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=8,
                clip_on=False,
            )


def _tick_span(edge: str, row: int | None, n_rows: int) -> tuple[float, float]:
    """Vertical extent (axes fraction) of a tick; ``row`` None spans every row."""
    if edge == "full":
        return 0.0, 1.0
    lo, hi = (0, n_rows) if row is None else (row, row + 1)
    if edge == "bottom":
        return lo * EVENT_ROW, hi * EVENT_ROW
    return 1 - hi * EVENT_ROW, 1 - lo * EVENT_ROW


def _mark_events(ax, events, colours: dict[str, str]) -> set[str]:
    """Vertical ticks at event days; returns the kinds drawn (for the legend).

    Each kind's ticks get one row per condition that has events of that kind (in colour
    order), so a dose given to two conditions on the same day shows both colours.
    """
    shown = [e for e in events if e[2] is None or e[2] in colours]
    kinds = set()
    for kind in dict.fromkeys(e[0] for e in shown):
        edge, width, _ = EVENT_STYLES.get(kind, OTHER_EVENT_STYLE)
        ls = "-" if kind in EVENT_STYLES else ":"
        with_kind = {e[2] for e in shown if e[0] == kind}
        rows = [c for c in colours if c in with_kind]
        for _, day, condition in (e for e in shown if e[0] == kind):
            row = None if condition is None else rows.index(condition)
            y0, y1 = _tick_span(edge, row, max(1, len(rows)))
            colour = "0.2" if condition is None else colours[condition]
            ax.vlines(
                day, y0, y1, transform=ax.get_xaxis_transform(), colors=colour, lw=width, ls=ls
            )
        kinds.add(kind)
    if kinds:
        ax.margins(y=0.12)  # room for the tick rows above and below the data
    return kinds


def _event_legend_handles(kinds: set[str]) -> list:
    handles = []
    for kind in sorted(kinds):
        _, width, text = EVENT_STYLES.get(kind, OTHER_EVENT_STYLE)
        ls = "-" if kind in EVENT_STYLES else ":"
        handles.append(Line2D([], [], color="0.2", lw=width, ls=ls, label=text.format(kind=kind)))
    return handles


def _draw_curves(ax, series, colours, conditions) -> list:
    """Mean line and CI band per condition; returns legend handles."""
    handles = []
    for condition in conditions:
        if condition not in series:
            continue
        s, colour = series[condition], colours[condition]
        days = s["bio_time_days"]
        ax.fill_between(days, s["ci_low"], s["ci_high"], color=colour, alpha=0.2, lw=0)
        n = int(np.nanmax(s["n"])) if len(s["n"]) else 0
        marker = "o" if len(days) <= 30 else None
        (line,) = ax.plot(
            days, s["mean"], color=colour, lw=1.5, marker=marker, ms=3, label=f"{condition} (n={n})"
        )
        handles.append(line)
    return handles


def plot_recovery_curves(
    summary,
    measure: str,
    phases: Sequence[tuple[str, float, float]],
    events: Sequence[tuple[str, float, str | None]],
    path: Path | None = None,
    *,
    conditions: Sequence[str] | None = None,
    ci: float = 0.95,
    ylabel: str | None = None,
    title: str | None = None,
) -> Path | Figure:
    """Mean across seeds with its bootstrap CI band per condition over biological days.

    Parameters
    ----------
    summary : rows or columns
        Output of :func:`neuroplast.analysis.stats.summarize`.
    measure : str
    phases : sequence of (name, start_day, end_day)
        Shaded alternately, named above the axes.
    events : sequence of (kind, day, condition or None)
        Vertical ticks: ``"dose"`` at the bottom edge, ``"therapy"`` at the top edge,
        other kinds as dotted full-height lines; coloured by condition (dark grey when
        the event applies to all conditions).
    path : Path
        PNG file to write.
    conditions : sequence of str, optional
        Conditions and legend order; default the summary's order.
    ci : float
        Level of the summary's intervals (for the legend).
    ylabel, title : str, optional
        Override the defaults.

    Returns
    -------
    Path
    """
    conditions = _conditions_in(summary, conditions)
    colours = condition_colours(conditions)
    series = _summary_series(summary, measure)
    fig, ax = new_figure(figsize=(9, 4.5))
    _shade_phases(ax, phases, label=True)
    handles = _draw_curves(ax, series, colours, conditions)
    kinds = _mark_events(ax, events, colours)
    handles.append(Patch(color="0.5", alpha=0.3, label=f"{ci:.0%} bootstrap CI of the mean"))
    handles.extend(_event_legend_handles(kinds))
    ax.set_xlabel("biological time (days)")
    ax.set_ylabel(ylabel or measure_label(measure))
    ax.set_title(title or f"{measure}: mean across seeds per condition", pad=16)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    return finish(fig, path)


def plot_measure_grid(
    summary,
    measures: Sequence[str],
    path: Path | None = None,
    *,
    phases: Sequence[tuple[str, float, float]] = (),
    events: Sequence[tuple[str, float, str | None]] = (),
    conditions: Sequence[str] | None = None,
    ncols: int = 2,
    ci: float = 0.95,
    title: str | None = None,
) -> Path | Figure:
    """Small multiples: one panel per measure, shared biological-time axis, one legend.

    Arguments as in :func:`plot_recovery_curves`; ``ncols`` panels per row.
    """
    conditions = _conditions_in(summary, conditions)
    colours = condition_colours(conditions)
    ncols = max(1, min(ncols, len(measures)))
    nrows = -(-len(measures) // ncols)
    fig, axes = new_figure(
        nrows, ncols, figsize=(4.8 * ncols, 3.0 * nrows), sharex=True, squeeze=False
    )
    handles, kinds = [], set()
    for k, ax in enumerate(axes.flat):
        if k >= len(measures):
            ax.set_visible(False)
            continue
        _shade_phases(ax, phases, label=k < ncols)
        drawn = _draw_curves(ax, _summary_series(summary, measures[k]), colours, conditions)
        if len(drawn) > len(handles):
            handles = drawn
        kinds |= _mark_events(ax, events, colours)
        ax.set_ylabel(measure_label(measures[k]), fontsize=8)
        if k >= len(measures) - ncols:
            ax.set_xlabel("biological time (days)")
            ax.xaxis.set_tick_params(labelbottom=True)
    handles = [*handles, Patch(color="0.5", alpha=0.3, label=f"{ci:.0%} bootstrap CI of the mean")]
    handles.extend(_event_legend_handles(kinds))
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 0.95), fontsize=8)
    fig.suptitle(title or "Measures across conditions: mean across seeds")
    fig.tight_layout()
    return finish(fig, path)


def _smallest_n(rows: list[dict], idx: np.ndarray) -> int:
    """The fewest runs of one condition among the comparisons ``idx``."""
    return min(min(int(rows[i]["n_a"]), int(rows[i]["n_b"])) for i in idx)


def plot_comparisons(
    comparisons,
    path: Path | None = None,
    *,
    conditions: Sequence[str] | None = None,
    title: str | None = None,
) -> Path | Figure:
    """Forest plot: difference ``b - a`` and Hedges' g with their intervals.

    One row of panels per measure (differences keep the measure's unit); within a panel
    one line per comparison, marker shape by time point (``when``, e.g. end of treatment,
    end of follow-up), colour by condition ``b``.  A dashed line marks no difference.
    Comparisons of paired runs (``stats.compare(paired=True)``) also show the interval of
    the paired difference, as a wide pale bar under the unpaired one.

    Parameters
    ----------
    comparisons : sequence of neuroplast.analysis.stats.Comparison (or rows with the same fields)
    path : Path
    conditions : sequence of str, optional
        Order for the colours (default: order of the ``b`` conditions, then ``a``).
    title : str, optional

    Returns
    -------
    Path
    """
    names = (
        "measure",
        "when",
        "a",
        "b",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "hedges_g",
        "hedges_g_ci_low",
        "hedges_g_ci_high",
        "ci",
    )
    cols = columns(comparisons, names)
    if len(cols["measure"]) == 0:
        raise ValueError("no comparisons to plot")
    rows = as_dicts(comparisons)
    paired = [
        (float(r["paired_ci_low"]), float(r["paired_ci_high"])) if r.get("paired") else None
        for r in rows
    ]
    if conditions is None:
        conditions = list(dict.fromkeys(cols["b"].tolist() + cols["a"].tolist()))
    colours = condition_colours(conditions)
    measures = list(dict.fromkeys(cols["measure"].tolist()))
    whens = list(dict.fromkeys(cols["when"].tolist()))
    counts = [int((cols["measure"] == m).sum()) for m in measures]
    fig, axes = new_figure(
        len(measures),
        2,
        figsize=(10, 1.2 + 0.45 * sum(counts) + 0.6 * len(measures)),
        gridspec_kw={"height_ratios": counts, "width_ratios": (3, 2)},
        squeeze=False,
    )
    level = float(cols["ci"][0])
    for row, measure in enumerate(measures):
        idx = np.flatnonzero(cols["measure"] == measure)
        y = np.arange(len(idx))[::-1]
        for panel, (key, xlabel) in enumerate(
            (
                ("difference", f"difference b − a, {measure_label(measure)}"),
                ("hedges_g", "Hedges' g (b vs a, dimensionless)"),
            )
        ):
            ax = axes[row, panel]
            for yy, i in zip(y, idx, strict=True):
                centre = float(cols[key][i])
                lo, hi = float(cols[f"{key}_ci_low"][i]), float(cols[f"{key}_ci_high"][i])
                colour = colours[cols["b"][i]]
                if panel == 0 and paired[i] is not None and np.all(np.isfinite(paired[i])):
                    ax.plot(
                        paired[i], [yy, yy], color=colour, lw=7, alpha=0.3, solid_capstyle="butt"
                    )
                if np.isfinite(lo) and np.isfinite(hi):
                    ax.plot([lo, hi], [yy, yy], color=colour, lw=1.8)
                marker = WHEN_MARKERS[whens.index(cols["when"][i]) % len(WHEN_MARKERS)]
                ax.plot(centre, yy, marker=marker, color=colour, ms=7, ls="none")
            if panel == 1 and not np.isfinite(cols[key][idx].astype(float)).any():
                ax.text(
                    0.5,
                    0.5,
                    "Hedges' g needs at least 2 runs\nof each condition "
                    f"(n = {_smallest_n(rows, idx)} here)",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="0.3",
                )
            ax.axvline(0, color="0.3", lw=0.8, ls="--")
            ax.set_ylim(-0.7, len(idx) - 0.3)
            ax.set_yticks(y)
            ax.set_xlabel(xlabel, fontsize=8)
            if panel == 0:
                ax.set_yticklabels(
                    [f"{cols['b'][i]} − {cols['a'][i]}\n{cols['when'][i]}" for i in idx], fontsize=8
                )
                ax.set_title(measure, loc="left", fontsize=9)
            else:
                ax.set_yticklabels([])
    handles = [
        Line2D([], [], marker=WHEN_MARKERS[k % len(WHEN_MARKERS)], color="0.3", ls="none", label=w)
        for k, w in enumerate(whens)
    ]
    handles.append(Line2D([], [], color="0.3", lw=1.8, label=f"{level:.0%} bootstrap CI"))
    if any(p is not None for p in paired):
        handles.append(Line2D([], [], color="0.3", lw=7, alpha=0.3, label="paired (same seed) CI"))
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 0.95), fontsize=8)
    fig.suptitle(title or "Differences between conditions (point estimate and interval)")
    # keep half an inch on top for the title (tight_layout alone lets it cover panel titles)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
    return finish(fig, path)


# --------------------------------------------------------------------------- acute read-outs

#: Acute read-outs drawn per session (in this order, when present).
ACUTE_FIGURE_MEASURES = (
    "acute_gamma_power_hz2",
    "acute_relative_gamma",
    "acute_low_power_hz2",
    "acute_rate_exc_hz",
    "acute_rate_inh_hz",
    "acute_ei_conductance_ratio",
    "acute_occupancy_inh",
    "acute_occupancy_exc",
    "acute_dissociation_index",
)

#: Per-session read-outs drawn against the session number (in this order, when present).
SESSION_FIGURE_MEASURES = (
    "session_dose_mg_per_kg",
    "session_peak_dissociation",
    "session_gamma_fold_change",
    "session_peak_rate_exc_hz",
)


def _pick_sessions(sessions: Sequence[int], most: int) -> list[int]:
    """At most ``most`` sessions, evenly spread, always with the first and the last."""
    sessions = sorted(sessions)
    if len(sessions) <= most:
        return sessions
    picks = np.unique(np.round(np.linspace(0, len(sessions) - 1, most)).astype(int))
    return [sessions[k] for k in picks]


def _band(ax, x, mean, low, high, colour, label) -> Line2D:
    ax.fill_between(x, low, high, color=colour, alpha=0.2, lw=0)
    (line,) = ax.plot(x, mean, color=colour, lw=1.5, marker="o", ms=3, label=label)
    return line


def plot_acute(
    summary,
    measures: Sequence[str],
    path: Path | None = None,
    *,
    conditions: Sequence[str] | None = None,
    max_sessions: int = 6,
    ci: float = 0.95,
    title: str | None = None,
) -> Path | Figure:
    """Acute read-outs around each drug session: one row per measure, one column per session.

    Parameters
    ----------
    summary : rows or columns
        ``condition, session, hours, measure, n, mean, ci_low, ci_high``: the mean across
        seeds of each sub-window read-out (analyse.py), ``hours`` after the dose start.
    measures : sequence of str
        Rows of panels, e.g. :data:`ACUTE_FIGURE_MEASURES`.
    path : Path
    conditions : sequence of str, optional
        Conditions and legend order.
    max_sessions : int
        Columns at most (sessions spread evenly, first and last always shown).
    ci : float
        Level of the intervals (legend).
    title : str, optional

    Returns
    -------
    Path
    """
    names = ("condition", "session", "hours", "measure", "n", "mean", "ci_low", "ci_high")
    cols = columns(summary, names)
    if conditions is None:
        conditions = list(dict.fromkeys(cols["condition"].tolist()))
    colours = condition_colours(conditions)
    sessions = _pick_sessions({int(s) for s in cols["session"]}, max_sessions)
    fig, axes = new_figure(
        len(measures),
        len(sessions),
        figsize=(2.8 * len(sessions) + 1.5, 2.0 * len(measures) + 0.8),
        sharex=True,
        sharey="row",
        squeeze=False,
    )
    handles = {}
    for r, measure in enumerate(measures):
        for c, session in enumerate(sessions):
            ax = axes[r, c]
            ax.axvline(0.0, color="0.5", lw=0.8, ls="--")
            for condition in conditions:
                sel = (
                    (cols["measure"] == measure)
                    & (cols["session"].astype(int) == session)
                    & (cols["condition"] == condition)
                )
                if not sel.any():
                    continue
                order = np.argsort(cols["hours"][sel].astype(float))
                get = {k: cols[k][sel].astype(float)[order] for k in names[2:] if k != "measure"}
                n = int(np.nanmax(get["n"]))
                handles[condition] = _band(
                    ax,
                    get["hours"],
                    get["mean"],
                    get["ci_low"],
                    get["ci_high"],
                    colours[condition],
                    f"{condition} (n={n})",
                )
            if r == 0:
                ax.set_title(f"session {session}", fontsize=9)
            if c == 0:
                ax.set_ylabel(measure_label(measure), fontsize=7)
            if r == len(measures) - 1:
                ax.set_xlabel("hours after the dose start")
    legend = [handles[c] for c in conditions if c in handles]
    legend.append(Patch(color="0.5", alpha=0.3, label=f"{ci:.0%} bootstrap CI of the mean"))
    legend.append(Line2D([], [], color="0.5", lw=0.8, ls="--", label="dose start"))
    fig.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.0, 0.97), fontsize=8)
    fig.suptitle(title or "Acute read-outs around each drug session: mean across seeds")
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    return finish(fig, path)


def plot_sessions(
    summary,
    measures: Sequence[str],
    path: Path | None = None,
    *,
    conditions: Sequence[str] | None = None,
    ci: float = 0.95,
    title: str | None = None,
) -> Path | Figure:
    """Per-session read-outs (dose given, peak dissociation, ...) against the session number.

    Parameters
    ----------
    summary : rows or columns
        ``condition, session, measure, n, mean, ci_low, ci_high`` (analyse.py).
    measures : sequence of str
        One panel each, e.g. :data:`SESSION_FIGURE_MEASURES`.
    path : Path
    conditions : sequence of str, optional
    ci : float
    title : str, optional

    Returns
    -------
    Path
    """
    names = ("condition", "session", "measure", "n", "mean", "ci_low", "ci_high")
    cols = columns(summary, names)
    if conditions is None:
        conditions = list(dict.fromkeys(cols["condition"].tolist()))
    colours = condition_colours(conditions)
    fig, axes = new_figure(
        1, len(measures), figsize=(3.6 * len(measures) + 1.5, 3.2), squeeze=False
    )
    handles = {}
    offsets = np.linspace(-0.15, 0.15, max(1, len(conditions)))
    for ax, measure in zip(axes[0], measures, strict=True):
        for k, condition in enumerate(conditions):
            sel = (cols["measure"] == measure) & (cols["condition"] == condition)
            if not sel.any():
                continue
            order = np.argsort(cols["session"][sel].astype(float))
            x = cols["session"][sel].astype(float)[order] + offsets[k]
            mean = cols["mean"][sel].astype(float)[order]
            low = cols["ci_low"][sel].astype(float)[order]
            high = cols["ci_high"][sel].astype(float)[order]
            err = np.vstack([mean - low, high - mean])
            err = np.where(np.isfinite(err), err, 0.0)
            n = int(np.nanmax(cols["n"][sel].astype(float)))
            handles[condition] = ax.errorbar(
                x,
                mean,
                yerr=err,
                color=colours[condition],
                marker="o",
                ms=4,
                lw=1.2,
                capsize=2,
                label=f"{condition} (n={n})",
            )
        ax.set_xlabel("session")
        ax.set_ylabel(measure_label(measure), fontsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
    legend = [handles[c] for c in conditions if c in handles]
    legend.append(Line2D([], [], color="0.3", lw=1.2, label=f"{ci:.0%} bootstrap CI (n ≥ 3)"))
    fig.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.0, 0.95), fontsize=8)
    fig.suptitle(title or "Per-session read-outs: mean across seeds")
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    return finish(fig, path)
