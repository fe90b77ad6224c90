"""baseline_rules: 30 days of baseline under each rewiring and STDP rule (sanity check S1).

Runs ``configs/baseline_rules.toml`` (resumable), draws ``docs/figures/baseline_rules.png``
and writes the page ``docs/results/baseline_rules.md``: per condition, the E->E count's
drift, formation and elimination per day, the calcium sensor's drift from the set point,
the mean weight's drift and the within-group connectivity of two groups of cells that
never get input.  These are the statistics a new rule's parameters are fixed against
before any therapy arm is run; the page says which pass.

    python experiments/baseline_rules.py [OUT_DIR] [--workers 2]
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import h5py
import numpy as np
from named import ROOT, commit, invalid_runs, main_with_page, series

from neuroplast.config.conditions import condition_names
from neuroplast.units import SECONDS_PER_DAY

#: (name, low, high) of each baseline statistic, in percent (issue #16, S1; C2 for turnover).
CRITERIA = {
    "count drift (%)": (-3.0, 3.0),
    "formation (%/day)": (1.0, 4.0),
    "calcium drift (%)": (-10.0, 10.0),
    "weight drift (%)": (-5.0, 5.0),
}


def baseline_statistics(rows, out: Path, condition: str, seed: int, start: float) -> dict:
    """The S1 statistics of one run, from day ``start`` (the first sample after the
    set-point window, where each cell's calcium sensor starts at its set point) to its
    last sample."""
    days, count = series(rows, condition, seed, "ee_synapses")
    end = float(days.max())

    def at(measure: str, day: float) -> float:
        d, v = series(rows, condition, seed, measure)
        return float(np.interp(day, d, v))

    # the stable synapses' weight where the rule tells them apart (nascent ones are
    # born weak); under weakest_first every live synapse is stable
    measures = {r.measure for r in rows if r.condition == condition}
    weight = "ee_stable_weight_mean" if "ee_stable_weight_mean" in measures else "ee_mean_weight"
    n0 = at("ee_synapses", start)
    formed = at("ee_formed_total", end) - at("ee_formed_total", start)
    stats = {
        "count drift (%)": 100 * (at("ee_synapses", end) / n0 - 1),
        "formation (%/day)": 100 * formed / n0 / (end - start),
        "calcium drift (%)": 100 * (at("calcium_mean_hz", end) / at("calcium_mean_hz", start) - 1),
        "median cell's drift (%)": median_cell_drift(out, condition, seed, start),
        "weight drift (%)": 100 * (at(weight, end) / at(weight, start) - 1),
    }
    for group in ("group_a", "group_b"):
        d, p_in = series(rows, condition, seed, f"assembly_{group}_p_in")
        stats[f"{group} p_in, day 0 -> {d.max():g}"] = f"{p_in[0]:.3f} -> {p_in[-1]:.3f}"
    return stats


def median_cell_drift(out: Path, condition: str, seed: int, start: float) -> float:
    """Median over pyramidal cells of each one's calcium drift from ``start`` (percent):
    the homeostat's per-cell error, which the population mean weights by rate."""
    with h5py.File(out / "runs" / condition / f"seed_{seed}" / "data.h5", "r") as h5:
        days = h5["slow/bio_days"][:]
        calcium = h5["slow/calcium"][:, :]
    first = int(np.argmin(np.abs(days - start)))
    alive = calcium[:, first] > 0
    ratio = calcium[alive, -1] / calcium[alive, first]
    return float(100 * (np.median(ratio) - 1))


def first_day_after_window(cfg, rows) -> float:
    """The first sample after the set-point window (the calcium sensors are reset to the
    set points when it closes, so the sample at its end still holds the sensor's run-in)."""
    window_end = float(cfg.set_point.window) * cfg.timescale.rate / SECONDS_PER_DAY
    return min(r.bio_time_days for r in rows if r.bio_time_days > window_end + 1e-6)


def write_page(cfg, rows, out: Path, page: Path) -> Path:
    """The results page: one row per run, the criteria and the verdicts."""
    lines = [
        "# Baseline statistics of the rewiring and STDP rules (S1)",
        "",
        f"Made on {date.today().isoformat()} at commit `{commit()}` from "
        "`configs/baseline_rules.toml` by `python experiments/baseline_rules.py "
        f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}`; full size "
        f"({cfg.network.n_exc} E / {cfg.network.n_inh} I), {cfg.repeats} seed(s), "
        "30 biological days without input, drug or stress.  Drifts run from the first "
        f"sample after the set-point window (day {first_day_after_window(cfg, rows):g}), where "
        "each cell's calcium sensor starts at its set point, to the last sample: the "
        "calcium drift is the population rate's drift from its set point, the median "
        "cell's drift that of each cell's rate from its own (what the homeostat "
        "regulates; not a criterion); the weight is the mean over the stable E->E "
        "synapses (nascent ones are born weak; under weakest_first all live synapses).",
        "",
        "Criteria (issue #16, S1): "
        + "; ".join(f"{name} within {lo:g} to {hi:g}" for name, (lo, hi) in CRITERIA.items())
        + "; the two groups' p_in stays at chance (they never get input).",
        "",
    ]
    header = None
    start = first_day_after_window(cfg, rows)
    for condition in condition_names(cfg):
        seeds = sorted({r.seed for r in rows if r.condition == condition})
        for seed in seeds:
            stats = baseline_statistics(rows, out, condition, seed, start)
            if header is None:
                header = list(stats)
                lines += [
                    "| condition | seed | " + " | ".join(header) + " | passes |",
                    "|---" * (len(header) + 3) + "|",
                ]
            cells = [f"{v:+.2f}" if isinstance(v, float) else v for v in stats.values()]
            passes = all(lo <= stats[k] <= hi for k, (lo, hi) in CRITERIA.items())
            lines.append(
                f"| {condition} | {seed} | "
                + " | ".join(cells)
                + f" | {'yes' if passes else 'no'} |"
            )
    for condition, seed, reason in invalid_runs(cfg, out):
        lines.append(f"| {condition} | {seed} | invalid: {reason.split('; its outputs')[0]} |")
    descriptions = [
        f"- `{name}`: {cfg.conditions[name].description}" for name in condition_names(cfg)
    ]
    lines += ["", "Conditions:", "", *descriptions, ""]
    lines += ["![baseline](../figures/baseline_rules.png)", ""]
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("\n".join(lines))
    return page


def main() -> None:
    measures = [
        "ee_synapses",
        "calcium_mean_hz",
        "ee_mean_weight",
        "ee_stable_weight_mean",
        "ee_formation_pct_per_day",
    ]
    groups = ["assembly_group_a_p_in", "assembly_group_b_p_in"]
    print(main_with_page("baseline_rules", measures, groups, write_page))


if __name__ == "__main__":
    main()
