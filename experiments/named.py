"""Shared driver of the named experiments: run (or resume) a config, draw its figure.

Each ``experiments/<name>.py`` calls :func:`main` with the measures its question needs.
The experiment runs with ``neuroplast run``'s machinery (resumable: finished runs are
kept), its report is written by the package, and the figure goes to
``docs/figures/<name>.png``: one panel per measure, mean across seeds with a 95 %
bootstrap band per condition, phases shaded, doses and therapy sessions marked.  When the
conditions of a seed are paired (``paired_conditions``, the default) and there is a
``control``, one more panel shows each condition's recovery index minus control's of the
same seed: effects smaller than the seed-to-seed spread show there.

    python experiments/<name>.py [OUT_DIR] [--set KEY=VALUE ...] [--retry-failed]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from neuroplast.analysis.stats import paired_difference_rows, read_measures, sample_days, summarize
from neuroplast.cli import RETRY_FAILED_HELP
from neuroplast.config.conditions import condition_names
from neuroplast.config.experiment import ConfigError, load_config
from neuroplast.plots import experiment as eplots
from neuroplast.simulation import storage
from neuroplast.simulation.storage import RunDirectoryError
from neuroplast.studies.analyse import (
    analyse,
    events_of,
    experiment_runs,
    phases_of,
    run_directory,
)
from neuroplast.studies.comparison import RunsFailed, run_comparison
from neuroplast.studies.outcomes import DONE, INVALID, outcome
from neuroplast.units import SECONDS_PER_DAY

ROOT = Path(__file__).resolve().parent.parent


def parser_for(name: str) -> argparse.ArgumentParser:
    """The command line every named experiment shares: OUT, --set, --figure, --workers,
    --scheduler, --retry-failed."""
    parser = argparse.ArgumentParser(description=f"Run the {name} experiment and draw its figure.")
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "runs" / name)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "figures" / f"{name}.png")
    parser.add_argument(
        "--workers", type=int, default=1, help="runs at once (Dask worker processes)"
    )
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on the existing Dask cluster at ADDRESS"
    )
    parser.add_argument("--retry-failed", action="store_true", help=RETRY_FAILED_HELP)
    return parser


def load_and_run(name: str, args: argparse.Namespace):
    """Load configs/<name>.toml with ``--set`` overrides and run (or resume) it into OUT.

    A bad config value or option, or an OUT that another invocation holds or that cannot
    be written, ends the script with the error and exit status 2, as ``neuroplast run``
    does, instead of a traceback.  Returns (config, result).
    """
    try:
        cfg = load_config(ROOT / "configs" / f"{name}.toml", args.overrides)
        result = run_comparison(
            cfg,
            args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            retry_failed=args.retry_failed,
        )
        return cfg, result
    except (ConfigError, RunDirectoryError) as err:  # RunDirectoryError: OUT in use
        print(f"{name}: error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    except RunsFailed as err:
        if not all(outcome(d) == INVALID for d in failed_runs(cfg, args.out)):
            # runs that raised or were lost: no page until they are run (the message
            # says how); one line, not a traceback
            print(f"{name}: error: {err}", file=sys.stderr)
            raise SystemExit(1) from None
        # every failure is a simulation judged invalid ([validity]): a result to report,
        # so the valid runs are analysed and the page names the invalid ones
        print(f"{name}: {err}", file=sys.stderr)
        return cfg, SimpleNamespace(report=analyse(args.out, cfg))


def failed_runs(cfg, out: Path) -> list[Path]:
    """The run directories of ``cfg``'s experiment in ``out`` without a valid result."""
    dirs = [run_directory(out, condition, seed) for condition, seed in experiment_runs(cfg)]
    return [d for d in dirs if outcome(d) != DONE]


def invalid_runs(cfg, out: Path) -> list[tuple[str, int, str]]:
    """(condition, seed, reason) of each run judged invalid, for results pages."""
    found = []
    for condition, seed in experiment_runs(cfg):
        status = storage.read_status(run_directory(out, condition, seed))
        if status is not None and status.get("status") != "valid":
            found.append((condition, seed, status.get("reason", "")))
    return found


def commit() -> str:
    """The checkout's short commit, for results pages."""
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def series(rows, condition: str, seed: int, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """One run's (days, values) of ``measure``, in time order."""
    picked = sorted(
        (r.bio_time_days, r.value)
        for r in rows
        if r.condition == condition and r.seed == seed and r.measure == measure
    )
    return np.array([d for d, _ in picked]), np.array([v for _, v in picked])


def seeds_text(n: int) -> str:
    """'1 seed' / 'n seeds', for figure titles."""
    return f"{n} seed" if n == 1 else f"{n} seeds"


def main(name: str, measures: list[str], probe_measures: list[str] = ()) -> Path:
    """Run configs/<name>.toml into OUT (default runs/<name>) and draw its figure."""
    args = parser_for(name).parse_args()
    cfg, result = load_and_run(name, args)
    rows = read_measures(args.out / "measures.csv")
    path = draw_figure(cfg, rows, measures, probe_measures, args.figure)
    print(f"report: {result.report}\nfigure: {path}")
    return path


def main_with_page(name: str, measures: list[str], probe_measures, write_page) -> Path:
    """Run configs/<name>.toml, draw its figure and write its results page.

    ``write_page(cfg, rows, out, page) -> Path`` writes the page (default
    ``docs/results/<name>.md``, ``--page``) from the experiment's measures.
    """
    parser = parser_for(name)
    parser.add_argument("--page", type=Path, default=ROOT / "docs" / "results" / f"{name}.md")
    args = parser.parse_args()
    cfg, _ = load_and_run(name, args)
    rows = read_measures(args.out / "measures.csv")
    draw_figure(cfg, rows, measures, probe_measures, args.figure)
    return write_page(cfg, rows, args.out, args.page)


def draw_figure(cfg, rows, measures: list[str], probe_measures, figure: Path) -> Path:
    """One panel per measure (mean across seeds, 95 % band per condition) and per probe
    measure (at the probe days), with the paired recovery-index difference to control."""
    names = condition_names(cfg)
    total = cfg.protocol.total / SECONDS_PER_DAY
    present = {r.measure for r in rows}
    series = [m for m in measures if m in present]
    # the runs' own sample days (one shared clock): a uniform grid would alias dose peaks
    grid = sample_days(rows, series, extra=np.linspace(0.0, total, 201))
    summary = summarize(rows, series, grid, conditions=names)
    index = "recovery_index_ee_synapses"
    if cfg.paired_conditions and "control" in names and index in series:
        differences = paired_difference_rows(rows, index, "control", grid)
        if differences:  # none when control is the only condition with runs
            others = [n for n in names if n != "control"]
            summary += summarize(differences, [differences[0].measure], grid, conditions=others)
            series.insert(series.index(index) + 1, differences[0].measure)
    probes = [m for m in probe_measures if m in present]
    if probes:
        days = sorted({r.bio_time_days for r in rows if r.measure in probes})
        summary += summarize(rows, probes, days, conditions=names)
    figure.parent.mkdir(parents=True, exist_ok=True)
    return eplots.plot_measure_grid(
        summary,
        series + probes,
        figure,
        phases=phases_of(cfg),
        events=events_of(cfg),
        conditions=names,
        title=f"{cfg.name}: {cfg.description} ({seeds_text(cfg.repeats)}, 95 % bootstrap CI)",
    )
