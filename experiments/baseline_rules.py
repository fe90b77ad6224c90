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

import numpy as np
from named import ROOT, commit, draw_figure, load_and_run, parser_for, series

from neuroplast.analysis.stats import read_measures
from neuroplast.config.conditions import condition_names

#: (name, low, high) of each baseline statistic, in percent (issue #16, S1; C2 for turnover).
CRITERIA = {
    "count drift (%)": (-3.0, 3.0),
    "formation (%/day)": (1.0, 4.0),
    "calcium drift (%)": (-10.0, 10.0),
    "weight drift (%)": (-5.0, 5.0),
}


def baseline_statistics(rows, condition: str, seed: int, start: float = 1.0) -> dict:
    """The S1 statistics of one run, from day ``start`` (after the set-point window) to
    its last sample; the calcium sensor starts at the cell's set point."""
    days, count = series(rows, condition, seed, "ee_synapses")
    end = float(days.max())

    def at(measure: str, day: float) -> float:
        d, v = series(rows, condition, seed, measure)
        return float(np.interp(day, d, v))

    n0 = at("ee_synapses", start)
    formed = at("ee_formed_total", end) - at("ee_formed_total", start)
    stats = {
        "count drift (%)": 100 * (at("ee_synapses", end) / n0 - 1),
        "formation (%/day)": 100 * formed / n0 / (end - start),
        "calcium drift (%)": 100 * (at("calcium_mean_hz", end) / at("calcium_mean_hz", start) - 1),
        "weight drift (%)": 100 * (at("ee_mean_weight", end) / at("ee_mean_weight", start) - 1),
    }
    for group in ("group_a", "group_b"):
        d, p_in = series(rows, condition, seed, f"assembly_{group}_p_in")
        stats[f"{group} p_in, day 0 -> {d.max():g}"] = f"{p_in[0]:.3f} -> {p_in[-1]:.3f}"
    return stats


def write_page(cfg, rows, out: Path, page: Path) -> Path:
    """The results page: one row per run, the criteria and the verdicts."""
    lines = [
        "# Baseline statistics of the rewiring and STDP rules (S1)",
        "",
        f"Made on {date.today().isoformat()} at commit `{commit()}` from "
        "`configs/baseline_rules.toml` by `python experiments/baseline_rules.py "
        f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}`; full size "
        f"({cfg.network.n_exc} E / {cfg.network.n_inh} I), {cfg.repeats} seed(s), "
        "30 biological days without input, drug or stress.  Drifts run from day 1 (after "
        "the set-point window) to the last sample; the calcium sensor starts at each cell's "
        "set point, so its drift is the rate's drift from the set point; the weight is the "
        "mean over all live E->E synapses.",
        "",
        "Criteria (issue #16, S1): "
        + "; ".join(f"{name} within {lo:g} to {hi:g}" for name, (lo, hi) in CRITERIA.items())
        + "; the two groups' p_in stays at chance (they never get input).",
        "",
    ]
    header = None
    for condition in condition_names(cfg):
        seeds = sorted({r.seed for r in rows if r.condition == condition})
        for seed in seeds:
            stats = baseline_statistics(rows, condition, seed)
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
    descriptions = [
        f"- `{name}`: {cfg.conditions[name].description}" for name in condition_names(cfg)
    ]
    lines += ["", "Conditions:", "", *descriptions, ""]
    lines += ["![baseline](../figures/baseline_rules.png)", ""]
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("\n".join(lines))
    return page


def main() -> None:
    parser = parser_for("baseline_rules")
    parser.add_argument(
        "--page", type=Path, default=ROOT / "docs" / "results" / "baseline_rules.md"
    )
    args = parser.parse_args()
    cfg, _ = load_and_run("baseline_rules", args)
    rows = read_measures(args.out / "measures.csv")
    draw_figure(
        cfg,
        rows,
        ["ee_synapses", "calcium_mean_hz", "ee_mean_weight", "ee_formation_pct_per_day"],
        ["assembly_group_a_p_in", "assembly_group_b_p_in"],
        args.figure,
    )
    print(write_page(cfg, rows, args.out, args.page))


if __name__ == "__main__":
    main()
