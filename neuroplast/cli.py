"""Command-line interface: ``neuroplast run | sweep | validate | params | plot | calibrate``.

Every command reads a TOML config (see ``configs/``); ``--set dotted.key=value``
changes any parameter without editing the file.  Problems with a config are
reported as one line per mistake, naming the key, the value and what was
expected, and the command exits with status 2; so are files that cannot be read or
written and an output directory another invocation holds (:func:`main`).  ``--debug``
prints the traceback as well.

Each command imports what it needs when it runs (the only function-level imports of the
package's own modules): ``neuroplast --help`` and a mistyped command answer without
loading brian2, dask and matplotlib.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from argparse import SUPPRESS
from pathlib import Path

__all__ = ["main", "build_parser"]

EXIT_CONFIG_ERROR = 2
#: Exit status of a run that finished (or was stopped) invalid (``[validity]``).
EXIT_INVALID_RUN = 3
#: Exit status of an error neuroplast does not expect (a bug): the run did not finish.
EXIT_UNEXPECTED = 1

DEBUG_HELP = "on an error, print the full traceback instead of one line"
RETRY_FAILED_HELP = (
    "also run again the runs kept as invalid or failed with an error (runs lost with their "
    "worker always run again)"
)

EPILOG = """examples:
  neuroplast run configs/default.toml
  neuroplast run configs/quick.toml --set network.n_exc=400 --set receptors.nmda.tau_decay="80 ms"
  neuroplast validate configs/default.toml
  neuroplast params | grep nmda
  neuroplast plot runs/default-20261128-120000
  neuroplast plot sweeps/quick_drive --measure mean_rate_exc_hz
  neuroplast calibrate configs/default.toml --quick
  neuroplast sweep configs/sweeps/quick_drive.toml --workers 2 --out sweeps/quick_drive
"""


def _add_config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "config",
        nargs="?",
        help="TOML config file, or a run's config.json to run it again (default: built-in "
        "defaults)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help='override one parameter by its dotted path, e.g. --set simulation.duration="5 s" '
        "(repeatable)",
    )


class _VersionAction(argparse.Action):
    """``--version``: what a run records as its versions (imports brian2 only when asked)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from neuroplast.simulation.storage import versions

        v = versions()
        print(
            f"neuroplast {v['neuroplast']} (commit {v['neuroplast_commit']}), brian2 "
            f"{v['brian2']}, numpy {v['numpy']}, Python {v['python']}"
        )
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``neuroplast`` command."""
    parser = argparse.ArgumentParser(
        prog="neuroplast",
        description="Spiking E/I network models of ketamine, BDNF, chronic stress and "
        "therapy-paired structural plasticity, built on brian2.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    parser.add_argument(
        "--version",
        action=_VersionAction,
        help="print the version, the source commit and the versions of brian2, numpy and Python",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    run = sub.add_parser(
        "run",
        help="simulate a config and write a run directory",
        description="Simulate the network described by CONFIG and write a run directory: "
        "config.json (every value used), data.h5 (spikes, rates, traces, "
        "provenance), measures.csv (tidy table) and PNG figures. A config with a "
        "[protocol], [conditions] or repeats > 1 runs every condition x seed into "
        "OUT/runs/ (resuming an interrupted experiment: finished runs are kept, and so are "
        "invalid runs and runs that failed with an error; runs lost with their worker run "
        "again) and writes measures.csv, summary.csv, comparisons.csv, figures/ and "
        "report.md.",
    )
    _add_config_args(run)
    run.add_argument("--out", type=Path, help="run directory (default: runs/<name>-<timestamp>)")
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --out if it exists (an experiment directory is otherwise resumed)",
    )
    run.add_argument("--seed", type=int, help="root random seed (overrides the config's seed)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        help="experiments: runs at once, on an embedded Dask cluster of that many worker "
        "processes (default 1: one after the other, in this process)",
    )
    run.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="experiments: run on the existing Dask cluster at this scheduler address",
    )
    run.add_argument(
        "--retry-failed", action="store_true", help="experiments: " + RETRY_FAILED_HELP
    )

    sweep = sub.add_parser(
        "sweep",
        help="run a parameter sweep (resumable) and write one Parquet table",
        description="Run every point x seed of the sweep SPEC (a TOML file: base config, "
        "seed, repeats, kind and [[axes]] over dotted config paths) on Dask worker "
        "processes, one directory per run under OUT/runs/<hash>/, and write "
        "OUT/sweep.parquet. An interrupted sweep resumes: finished runs are kept, and so "
        "are invalid runs and runs that failed with an error (deterministic); runs lost "
        "with their worker run again. Exits with status 1 if any run is invalid, failed "
        "or lost (its status.json, error.txt or lost.txt says why), 2 if the spec is wrong.",
    )
    sweep.add_argument("spec", type=Path, help="TOML sweep spec (see configs/sweeps/)")
    sweep.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one parameter of the base config by its dotted path (repeatable)",
    )
    sweep.add_argument("--out", type=Path, help="sweep directory (default: sweeps/<spec name>)")
    sweep.add_argument(
        "--workers", type=int, help="local worker processes (default: the number of cores)"
    )
    sweep.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="use the existing Dask cluster at this scheduler address instead",
    )
    sweep.add_argument("--retry-failed", action="store_true", help=RETRY_FAILED_HELP)
    sweep.add_argument(
        "--dry-run",
        action="store_true",
        help="print the number of runs and the first points, and exit",
    )
    sweep.add_argument("--csv", action="store_true", help="also write OUT/sweep.csv")
    sweep.add_argument(
        "--remeasure",
        action="store_true",
        help="run nothing: recompute the finished runs' measures from their data.h5 and "
        "rewrite the table (after neuroplast's measures changed)",
    )
    sweep.add_argument(
        "--rebuild",
        action="store_true",
        help="cpp_standalone: build every run, never re-run a built program with new "
        "dose or stress values (the default re-runs it: neuroplast/simulation/rerun.py)",
    )
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")

    validate = sub.add_parser(
        "validate",
        help="check a config and print it with every default filled in",
        description="Check CONFIG (and any --set overrides) with every check 'neuroplast "
        "run' makes before it starts (each condition compiled, the drug's validity range on "
        "its doses) and print the resolved configuration as JSON. Exits with status 2 if "
        "anything is wrong.",
    )
    _add_config_args(validate)

    params = sub.add_parser(
        "params",
        help="list every parameter with default, unit, description and source",
        description="List every configurable parameter: dotted path, default value, unit, "
        "description and literature source, then the drug table's constants. <k> stands for "
        "a list index (--set protocol.doses.0.dose=...), <name> for a table's name. "
        "'[run time]' marks values a built C++ standalone program can take without a new "
        "build.",
    )
    params.add_argument(
        "words",
        nargs="*",
        help="list only the parameters whose path, description or source contain every word "
        "(e.g. 'neuroplast params stress', 'neuroplast params dose')",
    )
    params.add_argument("--markdown", action="store_true", help="print a Markdown table")

    calibrate = sub.add_parser(
        "calibrate",
        help="check the model against its calibration targets C1-C7 (model docs §10)",
        description="Run the calibration targets (C5 PK peak and half-life; C1 NEST's "
        "structural-plasticity example; C2 baseline turnover and drift; C3 synapse loss "
        "under 21 days of stress; C4 recovery after it; C6 how much of that loss one "
        "ketamine dose restores in a day; C7 joint stimulation wiring cells together "
        "under homeostatic rewiring) on CONFIG and print, per target, the model's "
        "figure, the published range, pass/fail and the source. All of them simulate "
        "about 150 biological days (tens of minutes of CPU); --only picks some, "
        "--quick runs a short smoke version.",
    )
    _add_config_args(calibrate)
    calibrate.add_argument(
        "--quick",
        action="store_true",
        help="short protocol (2+4+3 days); network targets not judged",
    )
    calibrate.add_argument(
        "--only",
        metavar="IDS",
        help="comma-separated target ids to check, e.g. 'C6,C7' (default: all)",
    )
    calibrate.add_argument(
        "--out",
        metavar="DIR",
        help="also save the targets with the commit, command and resolved config "
        "(DIR/calibration.json) and a results page (DIR/calibration.md)",
    )

    plot = sub.add_parser(
        "plot",
        help="redraw the figures of a run, experiment or sweep directory",
        description="Read RUN_DIR/data.h5 and redraw its figures; for an experiment "
        "directory (with runs/), recompute the tables, figures and report.md from the "
        "runs' saved data, without re-running anything. For a sweep directory (with "
        "sweep.json), draw from its table into DIR/figures/: parameter-response curves per "
        "swept axis (mean across seeds, 95% bootstrap band), heat maps over pairs of axes "
        "(grid sweeps) and a sensitivity chart (one_at_a_time sweeps), each measure at its "
        "last time point; failed runs are left out and counted in the subtitles.",
    )
    plot.add_argument(
        "run_dir", type=Path, help="a directory written by 'neuroplast run' or 'neuroplast sweep'"
    )
    plot.add_argument(
        "--measure",
        action="append",
        default=[],
        metavar="NAME",
        help="sweeps: draw this measure (repeatable; default: every measure in the table)",
    )
    plot.add_argument(
        "--axis",
        action="append",
        default=[],
        metavar="PATH",
        help="sweeps: draw along this swept path (repeatable; default: every axis)",
    )
    plot.add_argument(
        "--remeasure",
        action="store_true",
        help="experiments and sweeps: first recompute every finished run's measures.csv "
        "from its data.h5 (for runs made before the measures changed); runs nothing",
    )
    for command in sub.choices.values():  # --debug after the command too
        command.add_argument("--debug", action="store_true", default=SUPPRESS, help=DEBUG_HELP)
    return parser


def _load(args):
    from neuroplast.config.experiment import load_config

    overrides = list(args.overrides)
    if getattr(args, "seed", None) is not None:
        overrides.append(f"seed={args.seed}")
    return load_config(args.config, overrides)


def _cmd_run(args) -> int:
    from neuroplast.simulation.storage import new_run_dir
    from neuroplast.studies.run import run_experiment

    cfg = _load(args)
    out = args.out if args.out is not None else new_run_dir(Path("runs"), cfg.name)
    from neuroplast.studies.comparison import is_comparison
    from neuroplast.units import SECONDS_PER_DAY

    if is_comparison(cfg):
        return _run_comparison(cfg, out, args)
    if cfg.timescale.enabled:
        span = f"{float(cfg.timescale.bio_duration) / SECONDS_PER_DAY:g} biological days"
    else:
        span = f"{float(cfg.simulation.duration):g} s"
    print(
        f"neuroplast: running '{cfg.name}' ({cfg.network.n_exc} E + {cfg.network.n_inh} I "
        f"neurons, {span} on {cfg.simulation.backend}) -> {out}"
    )
    _warn_outside_range({cfg.condition: cfg})
    result = run_experiment(cfg, out, overwrite=args.overwrite, progress=not args.quiet)
    s = result.summary
    wall = result.recording.wall_time  # run_s includes the C++ compile and binary times
    seconds = wall.get("setup_s", 0.0) + wall.get("run_s", 0.0)
    print(f"  seed {result.seeds.root}; wall time {seconds:.1f} s")
    print(
        f"  E {s['mean_rate_exc_hz']:.2f} Hz (CV {s['cv_isi_exc']:.2f}), "
        f"I {s['mean_rate_inh_hz']:.2f} Hz (CV {s['cv_isi_inh']:.2f})"
    )
    figures = " ".join(sorted(p.name for p in Path(result.run_dir).glob("*.png")))
    print(f"  wrote {result.run_dir}/: config.json data.h5 measures.csv {figures}".rstrip())
    return 0


def _run_comparison(cfg, out: Path, args) -> int:
    from neuroplast.config.conditions import condition_names, resolve_conditions
    from neuroplast.config.experiment import work_estimate
    from neuroplast.studies.comparison import run_comparison

    names = condition_names(cfg)
    print(
        f"neuroplast: experiment '{cfg.name}': {len(names)} condition(s) ({', '.join(names)}) "
        f"x {cfg.repeats} seed(s), {cfg.network.n_exc} E + {cfg.network.n_inh} I neurons on "
        f"{cfg.simulation.backend} -> {out}"
    )
    print(f"  work: {work_estimate(cfg)}")
    _warn_outside_range(resolve_conditions(cfg))
    result = run_comparison(
        cfg,
        out,
        overwrite=args.overwrite,
        progress=not args.quiet and args.workers == 1 and args.scheduler is None,
        workers=args.workers,
        scheduler=args.scheduler,
        retry_failed=args.retry_failed,
    )
    print(f"  ran {len(result.ran)}, kept {len(result.skipped)}; report: {result.report}")
    return 0


def _cmd_sweep(args) -> int:
    from neuroplast.config.experiment import ConfigError
    from neuroplast.studies.outcomes import DONE, advice, counts_text, record_path
    from neuroplast.studies.sweep import describe, load_sweep, remeasure, resolve_runs, run_sweep

    spec = load_sweep(args.spec, args.overrides)
    out = args.out if args.out is not None else Path("sweeps") / spec.name
    if args.dry_run:
        print(describe(spec, resolve_runs(spec), out))
        return 0
    if args.remeasure:
        if not (out / "runs").is_dir():
            raise ConfigError(f"--remeasure: {out} has no runs/ (expected a sweep directory)")
        print(f"neuroplast: remeasured {remeasure(out)} finished run(s) in {out}")
        return 0
    where = args.scheduler or f"{args.workers or os.cpu_count()} local worker(s)"
    print(f"neuroplast: sweep '{spec.name}' on {where} -> {out}")
    result = run_sweep(
        spec,
        out,
        workers=args.workers,
        scheduler=args.scheduler,
        retry_failed=args.retry_failed,
        progress=not args.quiet,
        csv=args.csv,
        reuse=not args.rebuild,
    )
    counts = {status: len(ids) for status, ids in result.by_outcome().items()}
    print(
        f"  {result.runs} run(s): {counts_text(counts)} ({len(result.ran)} finished now); "
        f"table: {result.table}"
    )
    for status, ids in result.by_outcome().items():
        if status == DONE or not ids:
            continue
        print(f"  {advice(status, len(ids))}:")
        for run_id in ids:
            print(f"    {record_path(out / 'runs' / run_id, status)}")
    return 1 if result.failed else 0


def _warn_outside_range(runs) -> None:
    """Say on stderr which run configs leave a drug's validity range (opted in)."""
    from neuroplast.config.conditions import outside_range_lines

    for line in outside_range_lines(runs):
        print(f"neuroplast: warning: {line}", file=sys.stderr)


def _cmd_validate(args) -> int:
    from neuroplast.config.conditions import resolve_conditions

    cfg = _load(args)
    # every check `run` makes before it starts: each condition compiled as run compiles
    # it (overrides, protocol, titration), the drug's validity range on its doses
    runs = resolve_conditions(cfg)
    _warn_outside_range(runs)
    print(cfg.to_json())
    return 0


def _cmd_params(args) -> int:
    from neuroplast.config.parameters import parameters

    words = " ".join(args.words)
    rows = parameters(words)
    if not rows:
        print(f"neuroplast: no parameter matches {words!r}", file=sys.stderr)
        return 1
    if args.markdown:
        print("| parameter | default | unit | description | source |")
        print("|---|---|---|---|---|")
        for row in rows:
            text = row.description + (" [run time]" if row.runtime else "")
            print(f"| `{row.path}` | {row.default} | {row.unit} | {text} | {row.source} |")
        return 0
    for row in rows:
        print(f"{row.path} = {row.default}" + ("  [run time]" if row.runtime else ""))
        print(f"    {row.description}" + (f"  [{row.source}]" if row.source else ""))
    return 0


def _cmd_plot_sweep(args) -> int:
    from neuroplast.plots.sweep import SweepPlotError, plot_sweep

    try:
        paths = plot_sweep(args.run_dir, args.measure or None, args.axis or None)
    except SweepPlotError as err:
        print(f"neuroplast: error: {args.run_dir}: {err}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    for path in paths:
        print(f"wrote {path}")
    return 0


def _cmd_plot(args) -> int:
    from neuroplast.config.experiment import ConfigError, config_from_dict
    from neuroplast.plots.run import plot_run
    from neuroplast.simulation.storage import CONFIG_FILE, DATA_FILE, read_hdf5
    from neuroplast.studies.sweep import PLAN_FILE

    if (args.run_dir / PLAN_FILE).is_file():
        if args.remeasure:
            from neuroplast.studies.sweep import remeasure

            print(f"remeasured {remeasure(args.run_dir)} runs")
        return _cmd_plot_sweep(args)
    if args.measure or args.axis:
        raise ConfigError(
            f"--measure/--axis: only for a sweep directory (with {PLAN_FILE}); "
            f"{args.run_dir} is not one"
        )
    if (args.run_dir / "runs").is_dir():
        from neuroplast.studies.analyse import analyse, remeasure

        if args.remeasure:
            print(f"remeasured {remeasure(args.run_dir)} runs")
        print(f"wrote {analyse(args.run_dir)}")
        return 0
    if args.remeasure:
        raise ConfigError(
            f"--remeasure: {args.run_dir} is neither an experiment directory (with runs/) "
            f"nor a sweep directory (with {PLAN_FILE})"
        )
    data = args.run_dir / DATA_FILE
    if not data.exists():
        raise FileNotFoundError(f"{data}: not found; is {args.run_dir} a run directory?")
    import json

    cfg = config_from_dict(json.loads((args.run_dir / CONFIG_FILE).read_text()))
    for path in plot_run(
        read_hdf5(data),
        args.run_dir,
        raster_window=float(cfg.output.raster_window),
        spikes=cfg.recording.spikes,
    ):
        print(f"wrote {path}")
    return 0


def _cmd_calibrate(args) -> int:
    from neuroplast.config.experiment import ConfigError
    from neuroplast.studies.calibrate import calibrate, format_table

    cfg = _load(args)
    only = None if args.only is None else [i.strip() for i in args.only.split(",") if i.strip()]
    commit = None
    if args.out is not None:  # before the run, not after tens of minutes of it
        from neuroplast.simulation.storage import source_commit

        Path(args.out).mkdir(parents=True, exist_ok=True)
        if not os.access(args.out, os.W_OK):
            raise PermissionError(13, "Permission denied", args.out)
        commit = source_commit()  # the code the run starts with
    try:
        targets = calibrate(cfg, quick=args.quick, progress=True, only=only)
    except ValueError as err:
        raise ConfigError(f"--only: {err}") from None
    print(format_table(targets))
    if args.out is not None:
        import shlex

        from neuroplast.studies.calibrate import calibration_record, write_calibration

        command = "neuroplast " + shlex.join(args.argv)
        record = calibration_record(targets, cfg, command, args.quick, commit)
        for path in write_calibration(args.out, record):
            print(f"wrote {path}")
    return 0 if all(t.passed is not False for t in targets) else 1


COMMANDS = {
    "run": _cmd_run,
    "sweep": _cmd_sweep,
    "validate": _cmd_validate,
    "params": _cmd_params,
    "plot": _cmd_plot,
    "calibrate": _cmd_calibrate,
}


def _one_line_notices(fallback):
    """A ``warnings.showwarning`` that prints our deprecation notices on one line.

    A notice names an old config key and its new spelling; other warnings go to
    ``fallback``.
    """

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if issubclass(category, FutureWarning) and "neuroplast" in Path(filename).parts:
            print(f"neuroplast: warning: {message}", file=sys.stderr)
        else:
            fallback(message, category, filename, lineno, file, line)

    return show


def _os_error_text(err: OSError) -> str:
    """One line for an OS error: the file(s), the system's reason."""
    if err.filename is None:
        return str(err)
    where = str(err.filename) + (f" -> {err.filename2}" if err.filename2 is not None else "")
    return f"{where}: {err.strerror or err}"


def _report(message: str, debug: bool, status: int) -> int:
    """Print an error as one line (after its traceback with ``--debug``); return ``status``."""
    if debug:
        traceback.print_exc()
    print(f"neuroplast: error: {message}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``neuroplast`` command; returns the exit status.

    Every error ends in one line, ``neuroplast: error: ...``, and never in brian2's
    handler of uncaught exceptions, which would ask to report a bug to brian2: a
    mistake in the config or the command line, an output directory in use or unwritable
    and any other file-system error exit with status 2, a run that failed with 1, an
    error neuroplast did not expect with 1 (``--debug`` prints its traceback).  A run
    judged invalid (NaN state, runaway or silent network, nothing simulated) exits with
    status 3 and one line, ``neuroplast: run invalid: <why>; its outputs are kept in ...``.
    """
    from neuroplast.config.experiment import ConfigError
    from neuroplast.simulation.storage import InvalidRun, RunDirectoryError
    from neuroplast.studies.execution import RunsFailed

    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what results pages cite
    debug = getattr(args, "debug", False)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_notices(warnings.showwarning)
            return COMMANDS[args.command](args)
    except (ConfigError, RunDirectoryError) as err:
        return _report(str(err), debug, EXIT_CONFIG_ERROR)
    except RunsFailed as err:
        return _report(str(err), debug, 1)
    except InvalidRun as err:
        if debug:
            traceback.print_exc()
        print(f"neuroplast: {err}", file=sys.stderr)
        return EXIT_INVALID_RUN
    except KeyboardInterrupt:
        print("neuroplast: interrupted; no partial run directory was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:  # piped into a command that stopped reading (| head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # a file that cannot be read or written: not a bug
        return _report(_os_error_text(err), debug, EXIT_CONFIG_ERROR)
    except Exception as err:  # noqa: BLE001 -- one line, not brian2's bug report
        text = " ".join(str(err).split())
        return _report(
            f"unexpected {type(err).__name__}: {text} (a bug in neuroplast? --debug shows "
            "the traceback)",
            debug,
            EXIT_UNEXPECTED,
        )
