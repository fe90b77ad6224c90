"""c6_ketamine_magnitude: calibration target C6, ketamine's synaptogenic magnitude.

Runs ``configs/c6_ketamine_magnitude.toml`` (resumable): 7 days of baseline, 21 of
stress, then one 0.5 mg/kg IV dose on the next day, under each
``pharmacology.mechanism``, against paired controls without a dose.  Per seed it
computes

    R24 = (N_drug - N_control) / (N_baseline - N_stressed)

from the E->E count 24 h after the dose started (N_baseline at the end of the baseline,
N_stressed at the end of the stress, both from the control run), and C6b, how far the
loss of the synapses present at the dose over those 24 h differs from control's (within
+-10 %, a consistency check, not fitted; what spine imaging measures, a spine seen at
both sessions survives: synapses formed after the dose and lost again are not counted,
all eliminations are reported next to it).

The gain kappa_D (``plasticity.structural.surge_growth_rate``) multiplies the spine growth
the surge drives, dz = kappa_D D z: to first order the synapses it adds are
N_dose (exp(kappa_D int D) - 1), with N_dose the count at the dose.  So from a run at
kappa_D, the gain that gives R24 = target is

    kappa* = kappa_D ln(1 + target x deficit / N_dose) / ln(1 + R24 x deficit / N_dose)

which the page reports per mechanism (homeostasis pushes back, so the fitted gain is
checked by running the config again with it).  A mechanism whose fitted gain exceeds
20 /day fails C6; that is a result.

    python experiments/c6_ketamine_magnitude.py [OUT_DIR] [--workers 2]
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
from named import ROOT, commit, main_with_page, series

from neuroplast.analysis.connectivity import persisting_fraction
from neuroplast.simulation.storage import read_hdf5
from neuroplast.studies.calibrate import C6_RANGE, C6_TARGET, C6B_TOLERANCE, ketamine_magnitude
from neuroplast.units import SECONDS_PER_DAY, parse_quantity

#: R24's target and accepted range (C6) and C6b's tolerance, as neuroplast calibrate has them
TARGET, (LOW, HIGH) = C6_TARGET, C6_RANGE
ELIMINATION_TOLERANCE = C6B_TOLERANCE / 100
#: the largest gain we would defend (per day)
MAX_GAIN = 20.0
#: the control of each dosed condition: the same mechanism and gain without the dose (the
#: gain also acts on releases without one: the firing route's, on spontaneous bursts)
CONTROL_OF = {name: f"control_{name}" for name in ("direct", "disinhibition", "both")}


def _run(rows, out: Path, condition: str, seed: int, dose_day: float) -> dict:
    """One run's E->E count and cumulative eliminations over biological days, and the
    share of its synapses at the dose that persist a day later (from its snapshots)."""
    days, count = series(rows, condition, seed, "ee_synapses")
    _, eliminated = series(rows, condition, seed, "ee_eliminated_total")
    snapshots = read_hdf5(out / "runs" / condition / f"seed_{seed}" / "data.h5").snapshots
    persisting = persisting_fraction(
        snapshots[f"day_{dose_day:g}"], snapshots[f"day_{dose_day + 1:g}"], dose_day
    )
    return {"days": days, "count": count, "eliminated": eliminated, "persisting": persisting}


def _gain(out: Path, condition: str, seed: int) -> float:
    """The synaptogenic gain (per day) a finished run used, from its own config.json."""
    data = json.loads((out / "runs" / condition / f"seed_{seed}" / "config.json").read_text())
    gain = parse_quantity(data["plasticity"]["structural"]["surge_growth_rate"])
    return float(gain) * SECONDS_PER_DAY


def c6_rows(cfg, rows, out: Path) -> list[dict]:
    """One row per dosed condition and seed: R24, C6b and the gain that run used."""
    phases = {p.name: p for p in cfg.protocol.phases}
    baseline_end = float(phases["baseline"].duration) / SECONDS_PER_DAY
    stress_end = baseline_end + float(phases["stress"].duration) / SECONDS_PER_DAY
    dose_day = stress_end + float(cfg.protocol.doses[0].start) / SECONDS_PER_DAY
    table = []
    for condition, control in CONTROL_OF.items():
        for seed in sorted({r.seed for r in rows if r.condition == condition}):
            if not any(r.condition == control and r.seed == seed for r in rows):
                continue
            c6 = ketamine_magnitude(
                _run(rows, out, control, seed, dose_day),
                _run(rows, out, condition, seed, dose_day),
                baseline_end,
                stress_end,
                dose_day,
            )
            table.append(
                {
                    "mechanism": condition,
                    "seed": seed,
                    "kappa_D (1/day)": _gain(out, condition, seed),
                    "stress loss (%)": c6.loss,
                    "R24": c6.r24,
                    "C6b loss of the synapses at the dose vs control (%)": (
                        c6.existing_elimination_change
                    ),
                    "all eliminations vs control (%)": c6.elimination_change,
                    "deficit / N_dose": c6.deficit_ratio,
                }
            )
    return table


def fitted_gain(kappa: float, r24: float, deficit_ratio: float) -> float:
    """The gain that gives R24 = TARGET, from a run at ``kappa`` that gave ``r24``."""
    if r24 <= 0:
        return math.inf
    return kappa * math.log1p(TARGET * deficit_ratio) / math.log1p(r24 * deficit_ratio)


def write_page(cfg, table: list[dict], out: Path, page: Path) -> Path:
    """The results page: per mechanism and seed, then per mechanism with the fitted gain."""
    where = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    lines = [
        "# C6: ketamine's synaptogenic magnitude",
        "",
        f"Made on {date.today().isoformat()} at commit `{commit()}` from "
        f"`configs/c6_ketamine_magnitude.toml` by `python experiments/c6_ketamine_magnitude.py "
        f"{where}`; {cfg.network.n_exc} E / {cfg.network.n_inh} I, {cfg.repeats} seeds.",
        "",
        "One 0.5 mg/kg IV dose (40 min) the day after 21 days of stress; "
        "R24 = (N_drug - N_control) / (N_baseline - N_stressed) of the E->E count 24 h "
        "after the dose started, paired by seed.  Target "
        f"{TARGET:g}, accepted {LOW:g}-{HIGH:g} (Li et al 2011; Moda-Sava et al 2019; "
        "Phoumthipphavong et al 2016).  C6b: the loss over those 24 h of the synapses "
        f"present at the dose within +-{100 * ELIMINATION_TOLERANCE:g} % of control's (not "
        "fitted; as spine imaging counts elimination); all eliminations, including those of "
        "synapses formed after the dose, next to it.",
        "",
    ]
    keys = list(table[0]) if table else []
    lines += ["| " + " | ".join(keys) + " |", "|---" * len(keys) + "|"]
    for row in table:
        cells = [f"{v:.3g}" if isinstance(v, float) else str(v) for v in row.values()]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Per mechanism (mean over seeds; the fitted gain is the first-order estimate of the",
        "module docstring, to be checked by a run at that gain):",
        "",
        "| mechanism | kappa_D (1/day) | R24 mean | R24 range | C6 | C6b mean (%) | C6b | "
        "all eliminations mean (%) | fitted kappa_D for R24 = 0.5 (1/day) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for mechanism in CONTROL_OF:
        runs = [r for r in table if r["mechanism"] == mechanism]
        if not runs:
            continue
        r24 = np.array([r["R24"] for r in runs])
        c6b = np.mean([r["C6b loss of the synapses at the dose vs control (%)"] for r in runs])
        c6b_verdict = "pass" if abs(c6b) <= 100 * ELIMINATION_TOLERANCE else "FAIL"
        every = np.mean([r["all eliminations vs control (%)"] for r in runs])
        kappa = runs[0]["kappa_D (1/day)"]
        ratio = float(np.mean([r["deficit / N_dose"] for r in runs]))
        fit = fitted_gain(kappa, float(r24.mean()), ratio)
        verdict = "pass" if LOW <= r24.mean() <= HIGH else "FAIL"
        reach = f"{fit:.3g}" + ("" if fit <= MAX_GAIN else f" (> {MAX_GAIN:g}: cannot reach)")
        lines.append(
            f"| {mechanism} | {kappa:g} | {r24.mean():.3f} | {r24.min():.3f}-{r24.max():.3f} "
            f"| {verdict} | {c6b:+.1f} | {c6b_verdict} | {every:+.1f} | {reach} |"
        )
    lines += ["", "![C6](../figures/c6_ketamine_magnitude.png)", ""]
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("\n".join(lines))
    return page


def main() -> None:
    measures = ["ee_synapses", "synaptogenic", "pool_ratio", "ee_eliminated_total"]
    page = main_with_page(
        "c6_ketamine_magnitude",
        measures,
        [],
        lambda cfg, rows, out, page: write_page(cfg, c6_rows(cfg, rows, out), out, page),
    )
    print(page.read_text())


if __name__ == "__main__":
    main()
