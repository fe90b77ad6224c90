"""The Markdown report of a multi-condition experiment: protocol, conditions, comparisons.

The report states what was run and what was compared, with the numbers from
:mod:`neuroplast.analysis.stats`, and links the figures of :mod:`neuroplast.plots.experiment`.
It makes no claim beyond those numbers and gives no p-values.  Written atomically
(temporary file, then ``os.replace``), next to ``summary.csv`` and ``comparisons.csv``
that hold the same numbers at full precision.
"""

from __future__ import annotations

import csv
import functools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path

from neuroplast.analysis.stats import (
    MIN_SEEDS_FOR_CI,
    STRESS_EFFECT_FLOOR,
    as_dicts,
    columns,
    percentile_coverage,
)
from neuroplast.simulation.storage import atomic_write

__all__ = ["REPORT_FILE", "format_number", "write_report", "write_table"]

REPORT_FILE = "report.md"
SUMMARY_FILE = "summary.csv"
COMPARISONS_FILE = "comparisons.csv"


def format_number(x: float, digits: int = 3) -> str:
    """``x`` with ``digits`` significant figures, in fixed notation from 1e-4 to 1e6.

    Integer digits are kept (1083.4 -> ``1083``, not ``1.08e+03``); NaN -> ``n/a``.
    """
    if x is None or not math.isfinite(x):
        return "n/a" if x is None or math.isnan(x) else str(x)
    if x == 0 or not 1e-4 <= abs(x) < 1e6:
        return f"{x:.{digits}g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{round(x, decimals):.{decimals}f}"


def _interval(centre: float, low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return f"{format_number(centre)} [n/a]"
    return f"{format_number(centre)} [{format_number(low)}, {format_number(high)}]"


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _protocol_lines(protocol_text) -> list[str]:
    """Protocol as given: text, or rows (e.g. (phase, start day, end day)) as a list."""
    if isinstance(protocol_text, str):
        return [protocol_text.strip()]
    lines = []
    for row in protocol_text:
        if isinstance(row, str):
            lines.append(f"- {row}")
        else:
            lines.append("- " + ", ".join(str(c) for c in row))
    return lines


def _condition_lines(conditions) -> list[str]:
    if isinstance(conditions, Mapping):
        return [f"- **{name}**: {text}" for name, text in conditions.items()]
    return [f"- **{name}**" for name in conditions]


def _write_csv(path: Path, rows) -> None:
    rows = as_dicts(rows)

    def write(tmp: Path) -> None:
        with tmp.open("w", newline="") as handle:
            if rows:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)

    atomic_write(path, write)


def write_table(path: Path, rows) -> Path:
    """Write rows (dataclasses or dicts with the same keys) as a CSV file, atomically.

    Parameters
    ----------
    path : Path
    rows : sequence of dataclass or dict

    Returns
    -------
    Path
    """
    _write_csv(Path(path), rows)
    return Path(path)


def _figure_lines(out_dir: Path, figures) -> list[str]:
    """Figures as ``(caption, path)`` pairs or bare paths, linked relative to the report."""
    lines = []
    for item in figures:
        caption, path = (item[0], item[1]) if isinstance(item, tuple | list) else (None, item)
        path = Path(path)
        rel = Path(os.path.relpath(path.resolve(), out_dir.resolve())).as_posix()
        caption = caption or path.stem.replace("_", " ")
        lines += [f"![{caption}]({rel})", "", f"*{caption}*", ""]
    return lines


def _time_point(when: str, start: float, end: float) -> str:
    days = f"day {start:g}" if start == end else f"days {start:g}–{end:g}"
    return when if when.replace("-", "–") == days else f"{when} ({days})"


def _any_paired(comparisons) -> bool:
    """Whether any comparison carries a paired difference (``stats.compare(paired=True)``)."""
    return any(bool(d.get("paired", False)) for d in as_dicts(comparisons))


def _comparison_rows(comparisons, paired: bool) -> list[list[str]]:
    names = [f.name for f in fields(comparisons[0])] if is_dataclass(comparisons[0]) else None
    cols = columns(comparisons, names or list(comparisons[0]))
    rows = []
    for k in range(len(cols["measure"])):
        extra = []
        if paired:
            extra = [
                _interval(
                    float(cols["paired_difference"][k]),
                    float(cols["paired_ci_low"][k]),
                    float(cols["paired_ci_high"][k]),
                )
                + f" ({cols['n_pairs'][k]})"
                if bool(cols["paired"][k])
                else "n/a"
            ]
        rows.append(
            [
                cols["measure"][k],
                _time_point(
                    cols["when"][k], float(cols["bio_day_start"][k]), float(cols["bio_day_end"][k])
                ),
                cols["a"][k],
                cols["b"][k],
                f"{cols['n_a'][k]}, {cols['n_b'][k]}",
                format_number(float(cols["mean_a"][k])),
                format_number(float(cols["mean_b"][k])),
                _interval(
                    float(cols["difference"][k]),
                    float(cols["difference_ci_low"][k]),
                    float(cols["difference_ci_high"][k]),
                ),
                _interval(
                    float(cols["hedges_g"][k]),
                    float(cols["hedges_g_ci_low"][k]),
                    float(cols["hedges_g_ci_high"][k]),
                ),
                *extra,
            ]
        )
    return rows


#: percentile_coverage is a deterministic Monte Carlo of about half a second: once per
#: (n, level) in a process, however many reports it renders.
_coverage = functools.cache(percentile_coverage)


def _coverage_sentence(rows: list[dict], ci: float) -> str:
    """The coverage of the table's intervals at its smallest and largest number of seeds."""
    counts = {
        int(float(n))
        for row in rows
        for key in ("n_a", "n_b", "n_pairs")
        if (n := row.get(key)) not in (None, "")
    }
    counts = {n for n in counts if n >= MIN_SEEDS_FOR_CI}
    if not counts:
        return ""
    sizes = sorted({min(counts), max(counts)})
    covers = ", ".join(f"{_coverage(n, ci):.0%} of the time at n = {n}" for n in sizes)
    return (
        f" For normal data a nominal {ci:.0%} percentile interval covers the true mean "
        f"{covers} (Monte Carlo, neuroplast.analysis.stats.percentile_coverage): with this "
        "few seeds read an interval that excludes 0 as a lead to test with more seeds, "
        "not as a finding."
    )


def _recovery_sentence(rows: list[dict]) -> str:
    """Why a recovery index can be n/a, when the report compares one."""
    if not any(str(r.get("measure", "")).startswith("recovery_index_") for r in rows):
        return ""
    return (
        " A run's recovery index is left out when its stress changed the measure by "
        f"{STRESS_EFFECT_FLOOR:.0%} or less, the drift a healthy baseline may show "
        "(calibration target C2): the index divides by that change."
    )


def _methods_lines(comparisons, paired: bool) -> list[str]:
    rows = as_dicts(comparisons)
    first = rows[0] if rows else {}
    ci = float(first.get("ci", 0.95))
    level = f"{ci:.0%}"
    n_boot = first.get("n_boot")
    boot = f"{n_boot} resamples" if n_boot else "bootstrap resamples"
    return [
        "Each run (one seed) gives one value per measure: its series interpolated linearly "
        "at the stated biological day, or its time-weighted mean over the stated window. "
        "Runs that do not cover a day are left out of it; n counts the runs used."
        + _recovery_sentence(rows),
        "",
        f"Intervals are {level} percentile bootstrap intervals ({boot}; Efron & Tibshirani "
        "1993). For a difference, the seeds of each condition are resampled independently. "
        "With paired_conditions (the default) the conditions of one seed share network and "
        "noise, so treating them as independent groups makes these intervals conservative. "
        "Hedges' g is the difference over the pooled standard deviation times "
        "J = 1 − 3/(4(n_a + n_b) − 9) (Hedges 1981); its interval comes from the same "
        f"resamples. With fewer than {MIN_SEEDS_FOR_CI} seeds in a group no interval is "
        "given (n/a). With few seeds the percentile interval is narrower than nominal "
        "(Hesterberg 2015, Am Stat 69:371)." + _coverage_sentence(rows, ci),
        *(
            [
                "",
                "Paired difference: the runs of the two conditions with the same seed share "
                "network, noise and clock, so each seed gives one difference b − a; the "
                "column gives the mean of their differences, the bootstrap interval of that "
                "mean over seeds and the number of pairs. The seed-to-seed spread that "
                "both conditions share cancels in it, so it can resolve an effect that the "
                "unpaired interval cannot.",
            ]
            if paired
            else []
        ),
        "",
        "No p-values are computed. The table lists every comparison that was made.",
    ]


def write_report(
    out_dir: Path,
    protocol_text,
    conditions,
    summary,
    comparisons,
    figures,
    *,
    title: str = "Experiment report",
    sections: Sequence[tuple[str, Sequence[str]]] = (),
    warnings: Sequence[str] = (),
) -> Path:
    """Write ``report.md`` (and ``summary.csv``, ``comparisons.csv``) into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Directory of the report; created if missing.  Figure links are relative to it.
    protocol_text : str or sequence of rows
        The protocol as text, or rows (strings or tuples such as
        ``("stress", 0, 21)`` or ``("dose", 21.0, "ketamine")``), listed as given.
    conditions : mapping of name to description, or sequence of names
    summary : sequence of neuroplast.analysis.stats.SummaryRow
        Written to ``summary.csv``; the report links it.
    comparisons : sequence of neuroplast.analysis.stats.Comparison
        Tabulated: measure, time point, a, b, n per group, means, difference b − a [CI],
        Hedges' g [CI], and the paired difference [CI] when the comparisons carry one.
    figures : sequence of Path or (caption, Path)
        Embedded in this order.
    title : str
        First heading.
    sections : sequence of (heading, lines)
        Further sections (e.g. the acute read-outs per session), after the comparisons
        and before the figures.
    warnings : sequence of str
        Said under the title, before anything else: e.g. runs outside the model's
        validity range (``pharmacology.allow_outside_range``).

    Returns
    -------
    Path
        The report file.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary, comparisons = list(summary), list(comparisons)
    _write_csv(out_dir / SUMMARY_FILE, summary)
    _write_csv(out_dir / COMPARISONS_FILE, comparisons)

    lines = [f"# {title}", ""]
    lines += [f"> **Warning:** {warning}" for warning in warnings]
    lines += ["", "## Protocol", ""] if warnings else ["## Protocol", ""]
    lines += _protocol_lines(protocol_text)
    lines += ["", "## Conditions", ""]
    lines += _condition_lines(conditions)
    lines += ["", "## Methods", ""]
    paired = _any_paired(comparisons)
    lines += _methods_lines(comparisons, paired)
    lines += ["", "## Comparisons", ""]
    if comparisons:
        header = [
            "measure",
            "time point (bio days)",
            "a",
            "b",
            "n (a, b)",
            "mean a",
            "mean b",
            "difference b − a [CI]",
            "Hedges' g [CI]",
        ]
        if paired:
            header.append("paired difference b − a [CI] (pairs)")
        lines += _table(header, _comparison_rows(comparisons, paired))
    else:
        lines.append("No comparisons were made.")
    lines += [
        "",
        f"Full-precision numbers: [{COMPARISONS_FILE}]({COMPARISONS_FILE}); means across "
        f"seeds per condition, measure and day: [{SUMMARY_FILE}]({SUMMARY_FILE}) "
        f"({len(summary)} rows).",
        "",
    ]
    for heading, body in sections:
        lines += [f"## {heading}", "", *body, ""]
    if figures:
        lines += ["## Figures", ""]
        lines += _figure_lines(out_dir, figures)
    text = "\n".join(lines).rstrip() + "\n"
    path = out_dir / REPORT_FILE
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
