"""therapy_intensity: the therapy arm's outcomes read against the rate its input evokes.

Reads a finished ``configs/sweeps/therapy_intensity.toml`` sweep (runs nothing) and
writes a results page and a figure: per run, the driven (assembly) cells' rate inside
the therapy pulses, averaged over the three sessions (``therapy_evoked_rate_hz``,
:mod:`neuroplast.analysis.evoked`), their rate between pulses, and the outcomes: the
assembly's within-group connection probability p_in and mean weight from the last
stress day (day 24) to the end of treatment (day 31) and of follow-up (day 45), the
recall index at day 45 and the E->E count at day 45.  Sweeps do not probe recall, so
the first call runs the experiments' recall probes on each run's saved snapshots
(``neuroplast.analysis.recall.recall_rows``) and keeps them in the run's recall.csv.
Intensity 0 is the arm without input (same sessions and clock), so each seed's change
at intensity x minus its change at 0 is the effect of the input, paired by seed (same
network and noise).

    neuroplast sweep configs/sweeps/therapy_intensity.toml --workers 2 \
        --out sweeps/therapy_intensity
    python experiments/therapy_intensity.py sweeps/therapy_intensity \
        [--page docs/results/therapy_intensity.md]
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import h5py
import numpy as np

from neuroplast.analysis.recall import recall_rows
from neuroplast.analysis.stats.tables import read_measures
from neuroplast.config.experiment import config_from_dict
from neuroplast.plots.figure import finish, new_figure
from neuroplast.simulation.storage import read_hdf5, write_measures

#: snapshot days of kap_comparison: last stress day, end of treatment, end of follow-up
BEFORE, TREATED, END = 24.0, 31.0, 45.0
SESSION_MEASURES = (
    "therapy_evoked_rate_hz",
    "therapy_gap_rate_hz",
    "therapy_others_rate_hz",
)


def _at(rows, measure: str, day: float) -> float:
    """The value of ``measure`` at the sample nearest ``day`` (snapshots sit on their day)."""
    picked = [(abs(r.bio_time_days - day), r.value) for r in rows if r.measure == measure]
    if not picked:
        return float("nan")
    gap, value = min(picked)
    return value if gap < 0.1 else float("nan")


def recall(run_dir: Path) -> list:
    """The run's recall probes (recall.csv), probed on its saved snapshots the first time."""
    cached = run_dir / "recall.csv"
    if not cached.exists():
        cfg = config_from_dict(json.loads((run_dir / "config.json").read_text()))
        snapshots = read_hdf5(run_dir / "data.h5").snapshots
        write_measures(cached, recall_rows(cfg, snapshots, cfg.condition, cfg.seed))
    return read_measures(cached)


def run_values(run_dir: Path) -> dict[str, float]:
    """One run's intensity, seed, evoked rates (mean over sessions) and outcomes."""
    cfg = json.loads((run_dir / "config.json").read_text())
    rows = read_measures(run_dir / "measures.csv") + recall(run_dir)
    with h5py.File(run_dir / "data.h5", "r") as f:
        commit = json.loads(f.attrs.get("versions", "{}")).get("neuroplast_commit", "unknown")
    out = {"intensity": float(cfg["therapy"]["intensity"]), "seed": int(cfg["seed"])}
    out["commit"] = commit
    for name in SESSION_MEASURES:
        values = [r.value for r in rows if r.measure == name]
        out[name] = float(np.mean(values)) if values else float("nan")
    for day in (BEFORE, TREATED, END):
        out[f"p_in_{day:g}"] = _at(rows, "assembly_adaptive_p_in", day)
        out[f"w_in_{day:g}"] = _at(rows, "assembly_adaptive_w_in_mean", day)
    out["recall_45"] = _at(rows, "recall_adaptive_index", END)
    out["ee_45"] = _at(rows, "ee_synapses", END - 0.05)
    for day in (TREATED, END):
        out[f"dp_in_{day:g}"] = out[f"p_in_{day:g}"] - out[f"p_in_{BEFORE:g}"]
        out[f"dw_in_{day:g}"] = out[f"w_in_{day:g}"] - out[f"w_in_{BEFORE:g}"]
    return out


def collect(sweep: Path) -> list[dict[str, float]]:
    """Every finished run of the sweep, by intensity then seed."""
    runs = [run_values(p.parent) for p in sorted(sweep.glob("runs/*/measures.csv"))]
    return sorted(runs, key=lambda r: (r["intensity"], r["seed"]))


#: (key, column title, format) of the page's table
COLUMNS = [
    ("intensity", "intensity", "{:g}"),
    ("seed", "seed", "{:d}"),
    ("therapy_evoked_rate_hz", "evoked rate (Hz)", "{:.1f}"),
    ("therapy_gap_rate_hz", "between pulses (Hz)", "{:.1f}"),
    ("therapy_others_rate_hz", "other cells in pulses (Hz)", "{:.1f}"),
    ("dp_in_31", "Δp_in day 24→31", "{:+.4f}"),
    ("dp_in_45", "Δp_in day 24→45", "{:+.4f}"),
    ("dw_in_31", "Δw_in day 24→31", "{:+.3f}"),
    ("dw_in_45", "Δw_in day 24→45", "{:+.3f}"),
    ("recall_45", "recall index day 45 (Hz)", "{:+.2f}"),
    ("ee_45", "E→E day 45", "{:.0f}"),
]
#: outcomes compared with the same seed's run at intensity 0
PAIRED = ["dp_in_31", "dp_in_45", "dw_in_31", "dw_in_45", "recall_45", "ee_45"]
#: the paired table: which run, then each outcome's difference, signed
PAIRED_COLUMNS = COLUMNS[:3] + [
    (key, title, fmt if fmt.startswith("{:+") else "{:+" + fmt[2:])
    for key, title, fmt in COLUMNS
    if key in PAIRED
]


def _cell(fmt: str, value) -> str:
    if isinstance(value, float) and not np.isfinite(value):
        return "n/a"
    return fmt.format(int(value) if fmt == "{:d}" else value)


def _table(columns, records) -> list[str]:
    """A Markdown table: a column per (key, title, format), a row per record."""
    lines = ["| " + " | ".join(title for _, title, _ in columns) + " |"]
    lines.append("|" + "---|" * len(columns))
    for record in records:
        lines.append("| " + " | ".join(_cell(fmt, record[key]) for key, _, fmt in columns) + " |")
    return lines


def paired_effects(runs) -> list[dict[str, float]]:
    """Each run's outcomes minus those of the same seed at intensity 0."""
    reference = {r["seed"]: r for r in runs if r["intensity"] == 0}
    effects = []
    for r in runs:
        if r["intensity"] == 0 or r["seed"] not in reference:
            continue
        ref = reference[r["seed"]]
        effect = {"intensity": r["intensity"], "seed": r["seed"]}
        effect.update({k: r[k] - ref[k] for k in PAIRED})
        effect["therapy_evoked_rate_hz"] = r["therapy_evoked_rate_hz"]
        effects.append(effect)
    return effects


def reading_lines(runs, effects) -> list[str]:
    """Sentences with the sweep's numbers: the effect on p_in per intensity and its decay."""
    lines = []
    for intensity in sorted({e["intensity"] for e in effects}):
        chosen = [e for e in effects if e["intensity"] == intensity]
        evoked = np.mean([e["therapy_evoked_rate_hz"] for e in chosen])
        at_31 = np.mean([e["dp_in_31"] for e in chosen])
        at_45 = np.mean([e["dp_in_45"] for e in chosen])
        kept = f"{at_45 / at_31:.0%} of it left at day 45" if at_31 > 0 else "no gain at day 31"
        lines.append(
            f"- Intensity {intensity:g} (evoked {evoked:.1f} Hz, mean of {len(chosen)} seeds): "
            f"p_in gains {at_31:+.4f} over intensity 0 by day 31, {kept} ({at_45:+.4f})."
        )
    zero = [r for r in runs if r["intensity"] == 0]
    if len(zero) > 1:
        spread = max(r["dp_in_45"] for r in zero) - min(r["dp_in_45"] for r in zero)
        gap = np.mean([r["therapy_gap_rate_hz"] for r in zero])
        lines.append(
            f"- Without input the assembly's p_in still rises after stress (recovery); the two "
            f"seeds' rises differ by {spread:.4f} by day 45, and the driven cells fire at "
            f"{gap:.1f} Hz between the pulse windows."
        )
    lines.append(
        f"- {len({r['seed'] for r in runs})} seeds: no intervals (they need 3); the paired "
        "differences cancel what the seeds share, not the noise of each run."
    )
    return lines


def draw(runs, effects, path: Path) -> Path:
    """Outcomes against the evoked rate: raw per run (top), paired on intensity 0 (bottom)."""
    fig, axes = new_figure(figsize=(12, 7), nrows=2, ncols=3)
    fig.set_layout_engine("constrained")
    panels = [
        ("dp_in_45", "Δp_in, day 24→45"),
        ("dw_in_45", "Δw_in, day 24→45"),
        ("recall_45", "recall index, day 45 (Hz)"),
    ]
    seeds = sorted({r["seed"] for r in runs})
    markers = dict(zip(seeds, "os^Dv<>", strict=False))
    for col, (key, label) in enumerate(panels):
        for row, table, prefix in ((0, runs, ""), (1, effects, "paired on intensity 0: ")):
            ax = axes[row][col]
            for r in table:
                ax.plot(
                    r["therapy_evoked_rate_hz"], r[key], markers[r["seed"]], color="#0072B2", ms=6
                )
                ax.annotate(
                    f"{r['intensity']:g}",
                    (r["therapy_evoked_rate_hz"], r[key]),
                    textcoords="offset points",
                    xytext=(4, 3),
                    fontsize=7,
                )
            ax.axhline(0, color="0.7", lw=0.8)
            ax.set_title(prefix + label, fontsize=9)
            ax.set_xlabel("evoked rate of the driven cells (Hz)")
    names = {"o": "circles", "s": "squares", "^": "triangles", "D": "diamonds"}
    fig.suptitle(
        "; ".join(f"seed {seed}: {names.get(m, m)}" for seed, m in markers.items())
        + "; each point labelled with its intensity",
        fontsize=9,
    )
    return finish(fig, path)


def write_page(sweep: Path, page: Path) -> Path:
    runs = collect(sweep)
    if not runs:
        raise SystemExit(f"{sweep}: no finished run (runs/*/measures.csv)")
    effects = paired_effects(runs)
    figure = draw(runs, effects, page.with_suffix(".png"))
    commits = sorted({r["commit"] for r in runs})
    lines = [
        "# Therapy intensity against the evoked rate of the assembly",
        "",
        f"Made on {date.today().isoformat()} by `python experiments/therapy_intensity.py {sweep}` "
        f"from the sweep `configs/sweeps/therapy_intensity.toml` (runs at commit(s) "
        f"{', '.join(commits)}): the therapy arm of `configs/kap_comparison.toml` (800 E / 200 I; "
        "21 days of stress, three 1-h sessions on days 26-28, follow-up to day 45), "
        f"{len(runs)} runs. Intensity is the extra input to each driven cell during a pulse as a "
        "fraction of the background external rate; 0 keeps the sessions and their clock "
        "without input. Every other parameter is the default; nothing was fitted to this sweep.",
        "",
        "Evoked rate: the driven cells' rate inside the pulses, mean over the three sessions; "
        "p_in and w_in are the assembly's within-group connection probability and mean weight "
        "(snapshots on days 24, 31 and 45).",
        "",
        "## Per run",
        "",
        *_table(COLUMNS, runs),
    ]
    lines += ["", "## Paired on intensity 0 (same seed)", "", *_table(PAIRED_COLUMNS, effects)]
    lines += ["", "## Reading", ""] + reading_lines(runs, effects)
    lines += ["", f"![outcomes against the evoked rate]({figure.name})", ""]
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("\n".join(lines))
    return page


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", type=Path, help="the sweep's output directory")
    parser.add_argument("--page", type=Path, default=Path("docs/results/therapy_intensity.md"))
    args = parser.parse_args(argv)
    print(f"wrote {write_page(args.sweep, args.page)}")


if __name__ == "__main__":
    main()
