"""An experiment's tables, figures and report, from its saved runs alone.

:func:`analyse` reads every finished run of an experiment directory (comparison.py
writes them) and writes the merged tidy table, the summary across seeds, the
comparisons between conditions, the figures and ``report.md``; ``neuroplast plot DIR``
calls it, and :func:`remeasure` first recomputes each run's measures from its data.h5.
The directory's layout (:func:`run_directory`) is defined here, where it is read.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from neuroplast.analysis.connectivity import assembly_order, connectivity_matrix, snapshot_rows
from neuroplast.analysis.measures import MeasureRow
from neuroplast.analysis.stats import (
    MIN_SEEDS_FOR_CI,
    STRESS_EFFECT_FLOOR,
    bootstrap_ci,
    columns,
    compare,
    read_measures,
    recovery_days,
    recovery_rows,
    sample_days,
    summarize,
)
from neuroplast.config.conditions import (
    condition_names,
    outside_range_lines,
    resolve_condition,
    resolve_conditions,
)
from neuroplast.config.experiment import ExperimentConfig, NetworkConfig, config_from_dict
from neuroplast.model.pharmacology import format_amount
from neuroplast.model.timescale import TimescaleConfig
from neuroplast.plots import experiment as eplots
from neuroplast.plots.connectivity import plot_connectivity_matrices
from neuroplast.simulation import locks, storage
from neuroplast.simulation.network import mechanism_records
from neuroplast.studies import outcomes
from neuroplast.studies.report import format_number, write_report, write_table
from neuroplast.studies.run import born_after_days, run_rows
from neuroplast.units import SECONDS_PER_DAY

__all__ = [
    "acute_summaries",
    "analyse",
    "events_of",
    "experiment_runs",
    "is_comparison",
    "phases_of",
    "remeasure",
    "run_directory",
]

CONNECTIVITY_FILE = "connectivity.csv"
RECALL_FILE = "recall.csv"
#: Comparison windows end this far (days) before a phase end: runs sample up to just before.
END_MARGIN_DAYS = 0.05

#: Measures summarised and drawn (when present) after the records that the run's
#: mechanisms declare as headline measures (neuroplast.model.records): the series
#: derived from those records.
DERIVED_HEADLINE = (
    "recovery_index_ee_synapses",
    "ee_formation_pct_per_day",
    "ee_elimination_pct_per_day",
)


def headline_measures(cfg: ExperimentConfig) -> list[str]:
    """The measures an experiment's report summarises across seeds and draws, in order."""
    names = condition_names(cfg)
    runs = [resolve_condition(cfg, name) for name in names] if is_comparison(cfg) else [cfg]
    declared = [r.measure for run in runs for r in mechanism_records(run) if r.headline]
    return [*dict.fromkeys(declared), *DERIVED_HEADLINE]


def is_comparison(cfg: ExperimentConfig) -> bool:
    """Whether ``cfg`` describes several runs (protocol, conditions or repeats)."""
    return cfg.protocol.enabled or bool(cfg.conditions) or cfg.repeats > 1


def run_directory(out: Path, condition: str, seed: int) -> Path:
    """Where the run of (condition, seed) is written."""
    return Path(out) / "runs" / condition / f"seed_{seed}"


def experiment_runs(cfg: ExperimentConfig) -> list[tuple[str, int]]:
    """Every (condition, seed), condition by condition.

    Consecutive runs of one condition differ only in their seeds, so a C++ standalone
    worker that builds them one after the other in its project slot recompiles only the
    few files that hold the seed and the synapse arrays
    (:func:`neuroplast.simulation.simulate.standalone_project`).
    """
    return [(name, cfg.seed + k) for name in condition_names(cfg) for k in range(cfg.repeats)]


def _connectivity_rows(
    run_dir: Path, run_cfg: dict, condition: str, seed: int, born_after: list[float]
) -> list:
    """Connectivity read-outs of a run's snapshots (cached in its connectivity.csv).

    ``born_after``: days after which the share of newly born synapses is reported.
    """
    cached = run_dir / CONNECTIVITY_FILE
    if cached.exists():
        return read_measures(cached)
    rec = storage.read_hdf5(run_dir / storage.DATA_FILE)
    rows = []
    for name, snap in sorted(rec.snapshots.items(), key=lambda kv: float(kv[0][4:])):
        rows += snapshot_rows(
            snap,
            rec.n_exc,
            rec.assemblies,
            condition,
            seed,
            float(name[4:]),
            graph_metrics=run_cfg["output"].get("graph_metrics", True),
            small_world=run_cfg["output"].get("small_world", False),
            born_after=born_after,
        )
    storage.write_measures(cached, rows)
    return rows


#: Window (biological days) over which formation and elimination rates are computed.
RATE_WINDOW_DAYS = 0.5


def _turnover_rows(rows: list) -> list:
    """Formation and elimination per day, as % of the live E->E synapses, per run.

    From the cumulative counts (``ee_formed_total``, ``ee_eliminated_total``): the
    increase over each ``RATE_WINDOW_DAYS`` window, divided by its length and by the mean
    count in it.  Windows span several rewiring updates, so the rate does not jump with
    the update grid.
    """
    cols = columns(rows)
    out = []
    runs = sorted(set(zip(cols["condition"], cols["seed"], strict=True)))
    for condition, seed in runs:
        mine = (cols["condition"] == condition) & (cols["seed"] == seed)

        def series(name, mine=mine):
            sel = mine & (cols["measure"] == name)
            order = np.argsort(cols["bio_time_days"][sel])
            return cols["bio_time_days"][sel][order], cols["value"][sel][order]

        days, count = series("ee_synapses")
        if len(days) < 2:
            continue
        edges = np.arange(days[0], days[-1] + 1e-9, RATE_WINDOW_DAYS)
        mids = 0.5 * (edges[1:] + edges[:-1])
        for measure, name in (
            ("ee_formation_pct_per_day", "ee_formed_total"),
            ("ee_elimination_pct_per_day", "ee_eliminated_total"),
        ):
            d, total = series(name)
            if len(d) < 2:
                continue
            at = np.interp(edges, d, total)
            mean_count = np.interp(mids, days, count)
            rate = np.diff(at) / RATE_WINDOW_DAYS / np.maximum(mean_count, 1.0) * 100.0
            for day, value in zip(mids, rate, strict=True):
                out.append(
                    MeasureRow(
                        condition, int(seed), float(day), float("nan"), measure, float(value)
                    )
                )
    return out


#: Tidy rows that locate an acute sub-window or a session instead of measuring it.
ACUTE_INDEX_MEASURES = ("acute_session", "acute_hours_after_dose", "session_index")
ACUTE_SUMMARY_FILE = "acute_summary.csv"
SESSION_SUMMARY_FILE = "session_summary.csv"


def _located(cols: dict, name: str) -> dict[tuple, float]:
    """(condition, seed, bio day) -> value of the locator rows ``name``."""
    sel = cols["measure"] == name
    return {
        (c, int(seed), round(float(day), 9)): float(value)
        for c, seed, day, value in zip(
            cols["condition"][sel],
            cols["seed"][sel],
            cols["bio_time_days"][sel],
            cols["value"][sel],
            strict=True,
        )
    }


def _group_stats(groups: dict, keys: tuple[str, ...]) -> list[dict]:
    """Mean and bootstrap CI across seeds of each group of values."""
    out = []
    for key, values in groups.items():
        x = np.asarray(values, dtype=float)
        x = x[np.isfinite(x)]
        low, high = bootstrap_ci(x, rng=0)
        mean = float(x.mean()) if x.size else float("nan")
        out.append(
            {
                **dict(zip(keys, key, strict=True)),
                "n": int(x.size),
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return out


def acute_summaries(rows: list, conditions: list[str]) -> tuple[list[dict], list[dict]]:
    """Mean and 95 % bootstrap CI across seeds of the acute and per-session read-outs.

    Sub-window rows (``acute_*``) are grouped by condition, session and hours after the
    dose start; session rows (``session_*``) by condition and session.  Seeds of one
    condition share the protocol, so their sub-windows line up.

    Returns
    -------
    (acute, sessions) : tuple of lists of dict
        ``condition, session, hours, measure, n, mean, ci_low, ci_high`` and
        ``condition, session, day, measure, n, mean, ci_low, ci_high``.
    """
    cols = columns(rows)
    session_of = _located(cols, "acute_session")
    hours_of = _located(cols, "acute_hours_after_dose")
    index_of = _located(cols, "session_index")
    acute, sessions = {}, {}
    order = {name: k for k, name in enumerate(conditions)}
    for c, seed, day, measure, value in zip(
        cols["condition"],
        cols["seed"],
        cols["bio_time_days"],
        cols["measure"],
        cols["value"],
        strict=True,
    ):
        if measure in ACUTE_INDEX_MEASURES or c not in order:
            continue
        key = (c, int(seed), round(float(day), 9))
        if measure.startswith("acute_") and key in session_of:
            group = (c, int(session_of[key]), round(hours_of[key], 6), measure)
            acute.setdefault(group, []).append(value)
        elif measure.startswith("session_") and key in index_of:
            group = (c, int(index_of[key]), round(float(day), 6), measure)
            sessions.setdefault(group, []).append(value)
    acute_rows = _group_stats(acute, ("condition", "session", "hours", "measure"))
    session_rows = _group_stats(sessions, ("condition", "session", "day", "measure"))
    rank = lambda r: (order[r["condition"]], r["session"], r.get("hours", 0.0), r["measure"])  # noqa: E731
    return sorted(acute_rows, key=rank), sorted(session_rows, key=rank)


def _acute_figures(out_dir: Path, rows: list, names: list[str]) -> tuple[list, list, list]:
    """Acute figures and tables of an experiment: (figures, report section lines, sessions)."""
    acute, sessions = acute_summaries(rows, names)
    if not acute and not sessions:
        return [], [], []
    write_table(out_dir / ACUTE_SUMMARY_FILE, acute)
    write_table(out_dir / SESSION_SUMMARY_FILE, sessions)
    figures = []
    present = {r["measure"] for r in acute}
    measures = [m for m in eplots.ACUTE_FIGURE_MEASURES if m in present]
    if measures:
        path = eplots.plot_acute(
            acute, measures, out_dir / "figures" / "acute.png", conditions=names
        )
        figures.append(
            (
                "Acute read-outs around each drug session (mean across seeds, 95 % "
                "bootstrap CI), hours after the dose start",
                path,
            )
        )
    present = {r["measure"] for r in sessions}
    measures = [m for m in eplots.SESSION_FIGURE_MEASURES if m in present]
    if measures:
        path = eplots.plot_sessions(
            sessions, measures, out_dir / "figures" / "sessions.png", conditions=names
        )
        figures.append(("Per-session read-outs: dose given, peak dissociation index, gamma", path))
    return figures, _acute_section(sessions), sessions


def _acute_section(sessions: list[dict]) -> list[str]:
    """Report lines: one table row per condition x session (means across seeds)."""
    if not sessions:
        return []
    cells: dict[tuple, dict] = {}
    for r in sessions:
        cells.setdefault((r["condition"], r["session"], r["day"]), {})[r["measure"]] = r

    def shown(entry, name):
        row = entry.get(name)
        if row is None:
            return "n/a"
        text = format_number(row["mean"])
        if np.isfinite(row["ci_low"]):
            text += f" [{format_number(row['ci_low'])}, {format_number(row['ci_high'])}]"
        return text

    lines = [
        "Read-outs in sub-windows of biological time around every session of an "
        "NMDA-blocking drug ([protocol.acute]; acute.py): E and I rates, the power spectrum "
        "of the E population rate (gamma 30–80 Hz, low band 1–8 Hz), the E/I conductance "
        "ratio of the pyramidal cells, the NMDA block per cell type and the dissociation "
        "index. The dissociation index is a proxy from the PK/PD (a Hill function of the "
        "interneuron NMDA occupancy), not a clinical scale. Means across seeds [95 % "
        f"bootstrap CI]; all sub-windows: [{ACUTE_SUMMARY_FILE}]({ACUTE_SUMMARY_FILE}), "
        f"per session: [{SESSION_SUMMARY_FILE}]({SESSION_SUMMARY_FILE}).",
        "",
        "| condition | session | day | dose (mg/kg) | peak dissociation | resolved after (h) "
        "| gamma pre-dose (Hz²) | gamma peak (Hz²) | E rate pre → peak (Hz) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (condition, session, day), entry in cells.items():
        pre = entry.get("session_pre_rate_exc_hz")
        peak = entry.get("session_peak_rate_exc_hz")
        rates = (
            f"{format_number(pre['mean'])} → {format_number(peak['mean'])}"
            if pre and peak
            else "n/a"
        )
        lines.append(
            f"| {condition} | {session} | {day:g} | {shown(entry, 'session_dose_mg_per_kg')} "
            f"| {shown(entry, 'session_peak_dissociation')} "
            f"| {shown(entry, 'session_dissociation_resolved_hours')} "
            f"| {shown(entry, 'session_pre_gamma_power_hz2')} "
            f"| {shown(entry, 'session_peak_gamma_power_hz2')} | {rates} |"
        )
    return lines


def _matrix_figure(out_dir: Path, cfg: ExperimentConfig, names: list[str]):
    """Connectivity matrices of the first seed: start, end of stress, end (per condition)."""
    stress = _stress_phase(cfg)
    matrices, bounds, n_exc = {}, {}, None
    for k, condition in enumerate(names):
        path = run_directory(out_dir, condition, cfg.seed) / storage.DATA_FILE
        if not path.exists():
            continue
        rec = storage.read_hdf5(path)
        if not rec.snapshots:
            continue
        n_exc = rec.n_exc
        order, bounds = assembly_order(rec.n_exc, rec.assemblies)
        days = sorted(rec.snapshots, key=lambda name: float(name[4:]))
        picks = [days[-1]]
        if k == 0:
            picks = [days[0]]
            if stress is not None:
                picks += [d for d in days if abs(float(d[4:]) - stress[1]) < 1e-3][:1]
            picks.append(days[-1])
        for day in picks:
            label = f"{condition}, day {float(day[4:]):g}"
            matrices[label] = connectivity_matrix(
                rec.snapshots[day], rec.n_exc, order, min(100, rec.n_exc)
            )
    if not matrices:
        return None
    return plot_connectivity_matrices(
        matrices, bounds, out_dir / "figures" / "connectivity_matrices.png", n_cells=n_exc
    )


def phases_of(cfg: ExperimentConfig) -> list[tuple[str, float, float]]:
    """(name, start day, end day) of every protocol phase, for figures."""
    bounds = cfg.protocol.phase_bounds()
    return [(name, lo / SECONDS_PER_DAY, hi / SECONDS_PER_DAY) for name, (lo, hi) in bounds.items()]


def events_of(cfg: ExperimentConfig) -> list[tuple[str, float, str | None]]:
    """(kind, day, condition) of every dose, therapy and replay session, for figures."""
    events = []
    for name in condition_names(cfg):
        run_cfg = resolve_condition(cfg, name)
        for dose in run_cfg.pharmacology.schedule():
            events.append(("dose", float(dose.start) / SECONDS_PER_DAY, name))
        for s in run_cfg.therapy.sessions:
            events.append((s.kind, float(s.start) / SECONDS_PER_DAY, name))
    return events


def _stress_phase(cfg: ExperimentConfig) -> tuple[float, float] | None:
    """Biological days (start, end) of the stress: the span of all stress episodes."""
    bounds = cfg.protocol.phase_bounds()
    spans = []
    for e in cfg.protocol.stress:
        lo, hi = bounds[e.phase]
        start = lo + float(e.start)
        stop = hi if e.duration is None else start + float(e.duration)
        spans.append((start, stop))
    if not spans:
        return None
    return min(a for a, _ in spans) / SECONDS_PER_DAY, max(b for _, b in spans) / SECONDS_PER_DAY


def _protocol_text(cfg: ExperimentConfig) -> str:
    lines = []
    if cfg.protocol.enabled:
        lines.append("Phases (biological time):")
        for name, lo, hi in phases_of(cfg):
            lines.append(f"- {name}: day {lo:g} to {hi:g}")
        lines += _dose_lines(cfg)
        for e in cfg.protocol.stress:
            lines.append(f"- stress: phase {e.phase}, severity {e.severity:g}")
        for e in cfg.protocol.therapy:
            when = (
                f"{float(e.after_dose) / 3600:g} h after each dose"
                if e.after_dose is not None
                else f"{float(e.start) / 3600:g} h into {e.phase}"
            )
            lines.append(
                f"- therapy: {e.pattern} to assembly {e.assembly}, {float(e.duration) / 3600:g} h, "
                f"{when}; conditions {e.conditions or 'all'}"
            )
    lines.append(
        f"Network: {cfg.network.n_exc} E + {cfg.network.n_inh} I; {cfg.repeats} seeds per "
        f"condition from {cfg.seed}; backend {cfg.simulation.backend}."
    )
    return "\n".join(lines)


def _dose_lines(cfg: ExperimentConfig) -> list[str]:
    """One line per dose event of the protocol (repeated sessions summarised)."""
    bounds = cfg.protocol.phase_bounds()
    lines = []
    for e in cfg.protocol.doses:
        day = (bounds[e.phase][0] + float(e.start)) / SECONDS_PER_DAY
        text = f"- dose: {e.drug} {format_amount(e.dose)} {e.route}"
        if e.count > 1:
            every = float(e.every) / SECONDS_PER_DAY
            text += f", {e.count} sessions every {every:g} days from day {day:g}"
        else:
            text += f" on day {day:g}"
        if e.step is not None:
            text += " (escalating)"
        if e.titration is not None:
            t = e.titration
            text += (
                f" (titrated from {format_amount(e.dose)}: +{format_amount(t.step)} per "
                f"session while the peak dissociation index < {t.target:g}, ceiling "
                f"{format_amount(t.ceiling)}; doses given: session rows below)"
            )
        lines.append(text + f"; conditions {e.conditions or 'all'}")
    return lines


def _comparison_pairs(names: list[str], declared=()) -> list[tuple[str, str]]:
    """The (a, b) pairs of conditions the report compares (difference b - a).

    The config's ``comparisons`` when it declares any (those of them whose conditions
    have runs), else control against every other condition and ketamine and therapy
    each against ketamine_therapy.
    """
    if declared:
        return [(a, b) for a, b in declared if a in names and b in names]
    pairs = []
    if "control" in names:
        pairs += [("control", b) for b in names if b != "control"]
    for a, b in (("ketamine", "ketamine_therapy"), ("therapy", "ketamine_therapy")):
        if a in names and b in names:
            pairs.append((a, b))
    if not pairs and len(names) > 1:
        pairs = [(names[0], b) for b in names[1:]]
    return pairs


def remeasure(out_dir: Path) -> int:
    """Recompute every finished run's measures.csv from its data.h5; returns how many.

    Runs nothing: for an experiment made before the per-run measures changed
    (``neuroplast plot DIR --remeasure``, which then redraws with :func:`analyse`).  Each
    measures.csv is replaced atomically, so an interrupted remeasure loses nothing.
    """
    out_dir = Path(out_dir)
    cfg = config_from_dict(json.loads((out_dir / storage.CONFIG_FILE).read_text()))
    with locks.lock_directory(out_dir):  # not while the experiment writes there
        return _remeasure_runs(out_dir, cfg)


def _remeasure_runs(out_dir: Path, cfg: ExperimentConfig) -> int:
    done = 0
    for condition, seed in experiment_runs(cfg):
        run_dir = run_directory(out_dir, condition, seed)
        files = [run_dir / name for name in (storage.MEASURES_FILE, storage.DATA_FILE)]
        if not all(path.exists() for path in files):
            continue  # not run yet, or not finished
        run_cfg = config_from_dict(json.loads((run_dir / storage.CONFIG_FILE).read_text()))
        rows = run_rows(run_cfg, storage.read_hdf5(run_dir / storage.DATA_FILE))
        storage.write_measures(run_dir / storage.MEASURES_FILE, rows)
        done += 1
    return done


def analyse(
    out_dir: Path, cfg: ExperimentConfig | None = None, *, include_invalid: bool = False
) -> Path:
    """Aggregate the runs under ``out_dir``: tables, statistics, figures and report.md.

    Reads only what the runs wrote, so ``neuroplast plot OUT`` redraws without
    re-running.  Runs judged invalid (their status.json; simulation/validity.py) are
    left out unless ``include_invalid``; the report says, under its title, which runs it
    leaves out and why (:func:`_left_out_lines`).  Returns the report's path.
    """
    out_dir = Path(out_dir)
    if cfg is None:
        cfg = config_from_dict(json.loads((out_dir / storage.CONFIG_FILE).read_text()))
    names = condition_names(cfg)
    # the share of synapses born after the first dose of the protocol (any condition)
    born_after = born_after_days(cfg)
    rows = []
    for condition, seed in experiment_runs(cfg):
        run_dir = run_directory(out_dir, condition, seed)
        if not (run_dir / storage.MEASURES_FILE).exists():
            continue
        if storage.is_invalid(run_dir) and not include_invalid:
            continue
        rows += read_measures(run_dir / storage.MEASURES_FILE)
        run_cfg = json.loads((run_dir / storage.CONFIG_FILE).read_text())
        if (run_dir / storage.DATA_FILE).exists():
            rows += _connectivity_rows(run_dir, run_cfg, condition, seed, born_after)
        if (run_dir / RECALL_FILE).exists():
            rows += read_measures(run_dir / RECALL_FILE)
    if not rows:
        raise FileNotFoundError(f"{out_dir}: no finished runs to analyse")
    # the last day every run has sampled: the slow monitor's last sample can lie up to one
    # sample interval before the protocol's end (0.1 day at 1 day = 10 s)
    last_runs = {}
    for r in rows:
        if r.measure == "ee_synapses":
            key = (r.condition, r.seed)
            last_runs[key] = max(last_runs.get(key, -np.inf), r.bio_time_days)
    covered = min(last_runs.values()) if last_runs else np.inf
    total_days = cfg.protocol.total / SECONDS_PER_DAY if cfg.protocol.enabled else None
    stress = _stress_phase(cfg) if cfg.protocol.enabled else None
    if stress is not None:
        first_end = phases_of(cfg)[0][2]
        rows += recovery_rows(
            rows,
            "ee_synapses",
            baseline=(max(0.0, first_end - 1.0), first_end),
            stress=(max(stress[0], stress[1] - 1.0), stress[1]),
            post_days=recovery_days(rows, stress[1], min(total_days - END_MARGIN_DAYS, covered)),
            rtol=STRESS_EFFECT_FLOOR,
        )
    rows += _turnover_rows(rows)
    storage.write_measures(out_dir / storage.MEASURES_FILE, rows)
    measures_present = sorted({r.measure for r in rows})
    if total_days is None:
        days = sorted({r.bio_time_days for r in rows})
        total_days = max(days) if days else 0.0
    # the runs' own sample days (one shared clock), so that dose peaks are not aliased
    headline = [m for m in headline_measures(cfg) if m in measures_present]
    grid = sample_days(rows, headline, extra=np.linspace(0.0, total_days, 201))
    grid = grid[(grid >= 0.0) & (grid <= total_days)]
    if any(r.measure == "bdnf_drug_factor" and r.value != 1.0 for r in rows):
        headline.append("bdnf_drug_factor")  # the slow-onset comparator is dosed
    assembly = [m for m in measures_present if m.startswith("assembly_") and m.endswith("_p_in")]
    assembly += [m for m in measures_present if m.startswith("recall_") and m.endswith("_index")]
    assembly += [m for m in ("coactivity_corr_exc",) if m in measures_present]
    summary = summarize(rows, headline, grid, conditions=names)
    probe_days = sorted({r.bio_time_days for r in rows if r.measure in assembly})
    if assembly and probe_days:
        summary += summarize(rows, assembly, probe_days, conditions=names)
    comparisons = []
    phases = phases_of(cfg) if cfg.protocol.enabled else []
    points = []
    if len(phases) >= 2:
        for name, lo, hi in phases[-2:]:
            # the last day of the phase, as far as every run has sampled it
            end = min(hi - END_MARGIN_DAYS, covered)
            points.append((f"end of {name}", (max(lo, end - 1.0), end)))
    elif total_days:
        end = total_days - END_MARGIN_DAYS
        points.append(("end", (max(0.0, end - 1.0), end)))
    targets = [m for m in ("ee_synapses", "recovery_index_ee_synapses") if m in measures_present]
    # the conditions of one seed share network, noise and clock: compare them pair by pair too
    paired = bool(cfg.paired_conditions)
    for a, b in _comparison_pairs(names, cfg.comparisons):
        for measure in targets:
            for label, window in points:
                comparisons.append(compare(rows, measure, a, b, window, label=label, paired=paired))
        for measure in assembly:
            if probe_days:
                comparisons.append(
                    compare(rows, measure, a, b, probe_days[-1], label="last probe", paired=paired)
                )
    figures_dir = out_dir / "figures"
    figures_dir.mkdir(exist_ok=True)
    events = events_of(cfg) if cfg.protocol.enabled else []
    figures = []
    for measure in headline:
        path = eplots.plot_recovery_curves(
            summary, measure, phases, events, figures_dir / f"{measure}.png", conditions=names
        )
        figures.append((eplots.measure_label(measure), path))
    if assembly:
        path = eplots.plot_measure_grid(
            summary, assembly, figures_dir / "assemblies.png", phases=phases, conditions=names
        )
        figures.append(("Within-assembly connectivity p_in at the probes", path))
    matrix = _matrix_figure(out_dir, cfg, names)
    if matrix is not None:
        figures.append(("E→E connectivity (first seed), cells ordered by assembly", matrix))
    if comparisons:
        path = eplots.plot_comparisons(
            comparisons, figures_dir / "comparisons.png", conditions=names
        )
        figures.append(("Differences between conditions (95 % bootstrap CI)", path))
    acute_figures, acute_lines, _ = _acute_figures(out_dir, rows, names)
    figures += acute_figures
    described = {
        name: (cfg.conditions[name].description if name in cfg.conditions else "") for name in names
    }
    return write_report(
        out_dir,
        _protocol_text(cfg),
        described,
        summary,
        comparisons,
        figures,
        title=f"{cfg.name}: {cfg.description}".rstrip(": "),
        sections=[("Acute read-outs per session", acute_lines)] if acute_lines else (),
        warnings=_left_out_lines(out_dir, cfg, include_invalid)
        + outside_range_lines(resolve_conditions(cfg))
        + scale_lines(cfg)
        + set_point_lines(rows),
    )


#: The network size and clock the model is calibrated at (neuroplast calibrate's defaults).
CALIBRATED_SIZE = (
    NetworkConfig.model_fields["n_exc"].default,
    NetworkConfig.model_fields["n_inh"].default,
)
CALIBRATED_RATE = TimescaleConfig.model_fields["rate"].default
#: |set_point_bias_pct| beyond which a run is named (set_point.window states ~15 %).
SET_POINT_TOLERANCE_PCT = 15.0


def scale_lines(cfg: ExperimentConfig) -> list[str]:
    """One line when the experiment is smaller or faster than the calibrated model.

    A network below the calibrated size has larger input fluctuations per cell (the
    conductances keep the reference network's mean input, model docs §1.2), fewer than
    ``MIN_SEEDS_FOR_CI`` seeds give no intervals, and a faster clock leaves the slow
    processes fewer network seconds: the numbers then test the pipeline, not the model.
    """
    reasons = []
    n_exc, n_inh = cfg.network.n_exc, cfg.network.n_inh
    if n_exc < CALIBRATED_SIZE[0] or n_inh < CALIBRATED_SIZE[1]:
        reasons.append(
            f"the network is {n_exc} E / {n_inh} I (calibrated: "
            f"{CALIBRATED_SIZE[0]} / {CALIBRATED_SIZE[1]})"
        )
    if cfg.repeats < MIN_SEEDS_FOR_CI:
        reasons.append(f"{cfg.repeats} seed(s) per condition (intervals need {MIN_SEEDS_FOR_CI})")
    slow = cfg.timescale.enabled or cfg.protocol.enabled
    if slow and cfg.timescale.rate > CALIBRATED_RATE:
        reasons.append(
            f"the clock runs {cfg.timescale.rate:g} biological s per network s "
            f"(calibrated: {CALIBRATED_RATE:g})"
        )
    if not reasons:
        return []
    return [
        "Smaller than the calibrated model, so a check of the pipeline, not a result: "
        + "; ".join(reasons)
        + "."
    ]


def set_point_lines(rows) -> list[str]:
    """Runs whose set-point window was unrepresentative (``set_point_bias_pct``).

    Their cells start the run away from their own set points, which the slow mechanisms
    read as a perturbation (a half-size kap_comparison seed at +36 % grew spines through
    stress: docs/results/kap_comparison_half/README.md).
    """
    biased = sorted(
        (r.condition, r.seed, r.value)
        for r in rows
        if r.measure == "set_point_bias_pct" and abs(r.value) > SET_POINT_TOLERANCE_PCT
    )
    if not biased:
        return []
    named = ", ".join(f"{c} seed {s} ({v:+.0f} %)" for c, s, v in biased)
    return [
        f"The set-point window of {len(biased)} run(s) was more than "
        f"{SET_POINT_TOLERANCE_PCT:g} % off the rate that followed it, so their cells "
        f"started away from their set points: {named} (set_point_bias_pct)."
    ]


def _left_out_lines(out_dir: Path, cfg: ExperimentConfig, include_invalid: bool = False) -> list:
    """One line per outcome of the runs without a valid result, naming them.

    Invalid runs, runs that failed with an error, lost runs (outcomes.py) and runs not
    run yet, each with what to do, so that a report of part of an experiment says so.
    """
    left_out: dict[str, list[str]] = {}
    for condition, seed in experiment_runs(cfg):
        status = outcomes.outcome(run_directory(out_dir, condition, seed))
        if status != outcomes.DONE and not (status == outcomes.INVALID and include_invalid):
            left_out.setdefault(status, []).append(f"{condition} seed {seed}")
    lines = []
    for status, names in left_out.items():
        if status == outcomes.NOT_RUN:
            what = f"{len(names)} run(s) not run yet"
        else:
            what = outcomes.advice(status, len(names))
        lines.append(f"{what}; left out of this report: {', '.join(names)}.")
    return lines
