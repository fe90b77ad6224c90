"""onset_comparison: ketamine, a slow-onset SSRI-like comparator and both, after stress.

Runs ``configs/onset_comparison.toml`` (resumable) and draws its figure,
``docs/figures/onset_comparison.png``:

* the recovery trajectory of the E->E synapse count after stress (recovery index, 1 =
  baseline, 0 = stressed) per condition, mean across seeds with a 95 % bootstrap band;
* the time from the start of treatment to a recovery level (``--level``, default 0.5:
  half of the stress-induced loss regained), per seed, with the mean and its 95 %
  bootstrap interval; seeds that never reach the level are counted, not averaged in;
* mean BDNF of the pyramidal cells, and the factor on BDNF production of the slow drug
  (pharmacology/slow_bdnf.py: builds over weeks of daily dosing).

The times are also written to ``OUT/time_to_recovery.csv``.

    python experiments/onset_comparison.py [OUT_DIR] [--level 0.5] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from named import load_and_run, parser_for, seeds_text  # noqa: E402

from neuroplast.analysis.measures import measure_label  # noqa: E402
from neuroplast.analysis.stats import bootstrap_ci, columns, read_measures, summarize  # noqa: E402
from neuroplast.config.conditions import condition_names  # noqa: E402
from neuroplast.plots.experiment import condition_colours  # noqa: E402
from neuroplast.simulation.storage import save_figure  # noqa: E402
from neuroplast.studies.analyse import phases_of  # noqa: E402
from neuroplast.units import SECONDS_PER_DAY

ROOT = Path(__file__).resolve().parent.parent
NAME = "onset_comparison"
RECOVERY = "recovery_index_ee_synapses"


def _arguments() -> argparse.Namespace:
    parser = parser_for(NAME)
    parser.add_argument(
        "--level", type=float, default=0.5, help="recovery index whose first crossing is timed"
    )
    return parser.parse_args()


def _treatment_start(cfg) -> float:
    """Biological day the treatment phase starts (the end of the stress phase)."""
    return next(lo for name, lo, _ in phases_of(cfg) if name == "treatment")


def first_crossing(days: np.ndarray, values: np.ndarray, level: float) -> float:
    """First day (linear interpolation) at which ``values`` reaches ``level``; NaN if never.

    Parameters
    ----------
    days, values : numpy.ndarray
        One run's series, days increasing.
    level : float

    Returns
    -------
    float
    """
    above = np.nonzero(values >= level)[0]
    if above.size == 0:
        return float("nan")
    k = int(above[0])
    if k == 0:
        return float(days[0])
    d0, d1, v0, v1 = days[k - 1], days[k], values[k - 1], values[k]
    return float(d0 + (level - v0) / (v1 - v0) * (d1 - d0))


def time_to_recovery(rows, names, start_day: float, level: float) -> dict[str, dict]:
    """Per condition: the days from ``start_day`` to ``level`` of every seed, mean and CI."""
    cols = columns(rows)
    sel = cols["measure"] == RECOVERY
    out = {}
    for condition in names:
        mine = sel & (cols["condition"] == condition)
        times = []
        for seed in sorted(set(cols["seed"][mine].tolist())):
            run = mine & (cols["seed"] == seed)
            order = np.argsort(cols["bio_time_days"][run])
            days = cols["bio_time_days"][run][order]
            values = cols["value"][run][order]
            keep = days >= start_day
            times.append(first_crossing(days[keep], values[keep], level) - start_day)
        times = np.asarray(times, dtype=float)
        reached = times[np.isfinite(times)]
        low, high = bootstrap_ci(reached)
        out[condition] = {
            "times": times,
            "n_reached": int(reached.size),
            "n": int(times.size),
            "mean": float(reached.mean()) if reached.size else float("nan"),
            "ci_low": low,
            "ci_high": high,
        }
    return out


def _write_times(path: Path, times: dict, level: float) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "condition",
                "level",
                "n_seeds",
                "n_reached",
                "mean_days",
                "ci_low",
                "ci_high",
                "per_seed_days",
            ]
        )
        for condition, t in times.items():
            per_seed = " ".join(f"{x:.3g}" for x in t["times"])
            writer.writerow(
                [
                    condition,
                    level,
                    t["n"],
                    t["n_reached"],
                    t["mean"],
                    t["ci_low"],
                    t["ci_high"],
                    per_seed,
                ]
            )


def _trajectories(ax, rows, measure, grid, names, colours, start_day) -> None:
    summary = summarize(rows, [measure], grid, conditions=names)
    for condition in names:
        mine = [s for s in summary if s.condition == condition]
        days = np.array([s.bio_time_days for s in mine]) - start_day
        mean = np.array([s.mean for s in mine])
        if not np.isfinite(mean).any():
            continue
        ax.fill_between(
            days,
            [s.ci_low for s in mine],
            [s.ci_high for s in mine],
            color=colours[condition],
            alpha=0.2,
            lw=0,
        )
        n = max(s.n for s in mine)
        ax.plot(days, mean, color=colours[condition], lw=1.5, label=f"{condition} (n={n})")
    ax.axvline(0.0, color="0.5", lw=0.8, ls="--")
    ax.set_xlabel("days after the start of treatment")
    ax.set_ylabel(measure_label(measure), fontsize=8)


def _times_panel(ax, times, names, colours, level) -> None:
    for k, condition in enumerate(names):
        t = times[condition]
        jitter = np.linspace(-0.12, 0.12, max(1, t["n"]))
        finite = np.isfinite(t["times"])
        ax.plot(
            np.full(finite.sum(), k) + jitter[finite],
            t["times"][finite],
            "o",
            ms=4,
            color=colours[condition],
            alpha=0.6,
        )
        if t["n_reached"]:
            err = [[t["mean"] - t["ci_low"]], [t["ci_high"] - t["mean"]]]
            err = np.where(np.isfinite(err), err, 0.0)
            ax.errorbar(
                k + 0.3, t["mean"], yerr=err, color=colours[condition], marker="D", ms=6, capsize=3
            )
        ax.text(
            k,
            1.02,
            f"{t['n_reached']}/{t['n']} reached",
            transform=ax.get_xaxis_transform(),
            ha="center",
            fontsize=7,
        )
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=20, fontsize=8)
    ax.set_ylabel(f"days from treatment start to recovery index {level:g}", fontsize=8)


def draw(cfg, out: Path, figure: Path, level: float) -> Path:
    """The onset figure from the experiment directory ``out``; also time_to_recovery.csv."""
    rows = read_measures(out / "measures.csv")
    names = condition_names(cfg)
    colours = condition_colours(names)
    start = _treatment_start(cfg)
    total = cfg.protocol.total / SECONDS_PER_DAY
    times = time_to_recovery(rows, names, start, level)
    _write_times(out / "time_to_recovery.csv", times, level)
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    post = np.linspace(start, total - 0.05, 150)
    _trajectories(axes[0, 0], rows, RECOVERY, post, names, colours, start)
    axes[0, 0].axhline(level, color="0.3", lw=0.8, ls=":", label=f"level {level:g}")
    axes[0, 0].legend(fontsize=7)
    _times_panel(axes[0, 1], times, names, colours, level)
    whole = np.linspace(0.0, total - 0.05, 200)
    _trajectories(axes[1, 0], rows, "bdnf_mean", whole, names, colours, start)
    _trajectories(axes[1, 1], rows, "bdnf_drug_factor", whole, names, colours, start)
    for ax in (axes[1, 0], axes[1, 1]):
        for name, lo, hi in phases_of(cfg):
            ax.axvspan(
                lo - start, hi - start, color="0.93" if name == "stress" else "1.0", lw=0, zorder=0
            )
    fig.suptitle(
        f"{NAME}: {cfg.description}\n({seeds_text(cfg.repeats)}; mean, 95 % bootstrap CI "
        "over seeds; grey: stress phase)",
        fontsize=10,
    )
    fig.tight_layout()
    return save_figure(fig, figure)


def main() -> Path:
    """Run configs/onset_comparison.toml into OUT and draw its figure."""
    args = _arguments()
    cfg, result = load_and_run(NAME, args)
    path = draw(cfg, args.out, args.figure, args.level)
    print(f"report: {result.report}\nfigure: {path}\ntimes: {args.out / 'time_to_recovery.csv'}")
    return path


if __name__ == "__main__":
    main()
