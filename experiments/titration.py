"""titration: titrated dose escalation against a fixed dose, after chronic stress.

Runs ``configs/titration.toml`` (resumable) and draws its figure,
``docs/figures/titration.png``: per session, the dose given, the peak dissociation index
(acute.py; a PK/PD proxy, not a clinical scale) and the recovery index of the E->E
synapse count just before the next session, and the recovery trajectory over the whole
protocol; means across seeds with 95 % bootstrap intervals (3 seeds or more).

    python experiments/titration.py [OUT_DIR] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from named import load_and_run, parser_for, seeds_text  # noqa: E402

from neuroplast.analysis.measures import measure_label  # noqa: E402
from neuroplast.analysis.stats import bootstrap_ci, read_measures, recovery_rows, summarize  # noqa: E402
from neuroplast.config.conditions import condition_names  # noqa: E402
from neuroplast.config.sessions import dose_times  # noqa: E402
from neuroplast.plots.experiment import condition_colours  # noqa: E402
from neuroplast.simulation.storage import save_figure  # noqa: E402
from neuroplast.studies.analyse import acute_summaries, phases_of  # noqa: E402
from neuroplast.units import SECONDS_PER_DAY

ROOT = Path(__file__).resolve().parent.parent
NAME = "titration"
DAY = SECONDS_PER_DAY
#: Recovery is read this long (days) before the next session (or after the last + interval).
BEFORE_NEXT = 0.05


def _arguments() -> argparse.Namespace:
    return parser_for(NAME).parse_args()


def _stress_window(cfg) -> tuple[tuple[float, float], tuple[float, float]]:
    """(baseline, stress) windows of days for the recovery index, as analyse.analyse."""
    phases = phases_of(cfg)
    first_end = phases[0][2]
    stress_end = next(hi for name, _, hi in phases if name == "stress")
    return (max(0.0, first_end - 1.0), first_end), (stress_end - 1.0, stress_end)


def _session_recovery(rows, cfg, names) -> dict[str, dict[str, np.ndarray]]:
    """Recovery index of ee_synapses just before each next session, per condition."""
    starts = sorted(set(dose_times(cfg.protocol, acute_only=True)))
    days = np.array(starts) / DAY
    interval = np.diff(days).mean() if len(days) > 1 else 3.5
    reads = np.append(days[1:], days[-1] + interval) - BEFORE_NEXT
    baseline, stress = _stress_window(cfg)
    index = recovery_rows(rows, "ee_synapses", baseline, stress, reads)
    out = {}
    for condition in names:
        stats = {"session": np.arange(1, len(days) + 1), "mean": [], "low": [], "high": []}
        for day in reads:
            x = [
                r.value
                for r in index
                if r.condition == condition and abs(r.bio_time_days - day) < 1e-9
            ]
            low, high = bootstrap_ci(x)
            stats["mean"].append(np.nanmean(x) if len(x) else np.nan)
            stats["low"].append(low)
            stats["high"].append(high)
        out[condition] = {k: np.asarray(v, dtype=float) for k, v in stats.items()}
    return out


def _per_session(ax, sessions, measure, names, colours) -> None:
    """Mean and CI per session of one session_* measure, one line per condition."""
    offsets = np.linspace(-0.12, 0.12, len(names))
    for k, condition in enumerate(names):
        mine = sorted(
            (r for r in sessions if r["measure"] == measure and r["condition"] == condition),
            key=lambda r: r["session"],
        )
        if not mine:
            continue
        x = np.array([r["session"] for r in mine], dtype=float) + offsets[k]
        mean = np.array([r["mean"] for r in mine])
        err = np.array([[r["mean"] - r["ci_low"], r["ci_high"] - r["mean"]] for r in mine]).T
        err = np.where(np.isfinite(err), err, 0.0)
        ax.errorbar(
            x,
            mean,
            yerr=err,
            color=colours[condition],
            marker="o",
            ms=4,
            capsize=2,
            label=condition,
        )
    ax.set_xlabel("session")
    ax.set_ylabel(measure_label(measure), fontsize=8)


def draw(cfg, out: Path, figure: Path) -> Path:
    """The titration figure from the experiment directory ``out``."""
    rows = read_measures(out / "measures.csv")
    names = condition_names(cfg)
    colours = condition_colours(names)
    _, sessions = acute_summaries(rows, names)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    _per_session(axes[0, 0], sessions, "session_dose_mg_per_kg", names, colours)
    _per_session(axes[0, 1], sessions, "session_peak_dissociation", names, colours)
    for condition in names:
        if condition != "control":
            target = cfg.protocol.doses
            for event in target:
                if event.titration is not None and condition in (event.conditions or names):
                    axes[0, 1].axhline(
                        event.titration.target,
                        color=colours[condition],
                        ls=":",
                        lw=1,
                        label=f"target ({condition})",
                    )
    recovery = _session_recovery(rows, cfg, names)
    ax = axes[1, 0]
    offsets = np.linspace(-0.12, 0.12, len(names))
    for k, condition in enumerate(names):
        r = recovery[condition]
        err = np.vstack([r["mean"] - r["low"], r["high"] - r["mean"]])
        ax.errorbar(
            r["session"] + offsets[k],
            r["mean"],
            yerr=np.where(np.isfinite(err), err, 0),
            color=colours[condition],
            marker="s",
            ms=4,
            capsize=2,
            label=condition,
        )
    ax.set_xlabel("session (recovery read just before the next one)")
    ax.set_ylabel("recovery index of E→E synapses\n(1 = baseline, 0 = stressed)", fontsize=8)
    ax = axes[1, 1]
    measure = "recovery_index_ee_synapses"
    total = cfg.protocol.total / DAY
    grid = np.linspace(_stress_window(cfg)[1][1], total - 0.05, 120)
    summary = summarize(rows, [measure], grid, conditions=names)
    for condition in names:
        mine = [s for s in summary if s.condition == condition]
        days = np.array([s.bio_time_days for s in mine])
        ax.fill_between(
            days,
            [s.ci_low for s in mine],
            [s.ci_high for s in mine],
            color=colours[condition],
            alpha=0.2,
            lw=0,
        )
        ax.plot(days, [s.mean for s in mine], color=colours[condition], lw=1.5, label=condition)
    for day in sorted(set(dose_times(cfg.protocol, acute_only=True))):
        ax.axvline(day / DAY, color="0.6", lw=0.6, ls="--")
    ax.set_xlabel("biological time (days); dashed: sessions")
    ax.set_ylabel(measure_label(measure), fontsize=8)
    for ax in axes.flat:
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0, 1].legend(fontsize=7)
    axes[1, 1].legend(fontsize=7)
    fig.suptitle(
        f"{NAME}: {cfg.description}\n({seeds_text(cfg.repeats)}; mean, 95 % bootstrap CI "
        "over seeds)",
        fontsize=10,
    )
    fig.tight_layout()
    return save_figure(fig, figure)


def main() -> Path:
    """Run configs/titration.toml into OUT (default runs/titration) and draw its figure."""
    args = _arguments()
    cfg, result = load_and_run(NAME, args)
    path = draw(cfg, args.out, args.figure)
    print(f"report: {result.report}\nfigure: {path}")
    return path


if __name__ == "__main__":
    main()
