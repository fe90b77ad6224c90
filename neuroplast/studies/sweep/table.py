"""A sweep's tidy table: every finished run's measures with its point's values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from neuroplast.analysis.stats import read_measures
from neuroplast.simulation import storage
from neuroplast.studies import outcomes
from neuroplast.studies.outcomes import DONE
from neuroplast.studies.sweep.runs import (
    CSV_FILE,
    MEASURE_COLUMNS,
    MISSING,
    PLAN_FILE,
    TABLE_FILE,
    run_status,
)
from neuroplast.studies.sweep.spec import is_int, is_number, value_text
from neuroplast.units import QuantityParseError, parse_quantity


def _axis_columns(path: str, values: list[Any]) -> dict[str, Any]:
    """The column(s) of one swept path: the value as given, plus SI when a quantity."""
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return {path: pa.array(values, pa.bool_())}
    if present and all(is_int(v) for v in present):
        return {path: pa.array(values, pa.int64())}
    if present and all(is_number(v) for v in present):
        return {path: pa.array([None if v is None else float(v) for v in values], pa.float64())}
    if present and all(isinstance(v, str) for v in present):
        columns = {path: pa.array(values, pa.string())}
        try:
            si = [None if v is None else float(parse_quantity(v)) for v in values]
        except QuantityParseError:
            return columns
        columns[f"{path}_si"] = pa.array(si, pa.float64())
        return columns
    return {path: pa.array([None if v is None else value_text(v) for v in values], pa.string())}


def collect_table(out: str | Path):
    """The sweep table, rebuilt from ``OUT/sweep.json`` and the run directories.

    Parameters
    ----------
    out : str or Path
        Sweep directory.

    Returns
    -------
    pyarrow.Table
        One row per run x measure x time in plan order (columns: module docstring).
    """
    import pyarrow as pa

    out = Path(out)
    plan = json.loads((out / PLAN_FILE).read_text())
    paths = plan["axes"]
    rows: dict[str, list[Any]] = {
        name: []
        for name in ("run_id", "point", "repeat", "status", "varied", *MEASURE_COLUMNS, "error")
    }
    swept: dict[str, list[Any]] = {p: [] for p in paths}
    for entry in plan["runs"]:
        run_dir = out / "runs" / entry["run_id"]
        status = run_status(run_dir)
        if status == DONE:
            measures = [
                (m.condition, m.seed, m.bio_time_days, m.sim_time_s, m.measure, m.value)
                for m in read_measures(run_dir / storage.MEASURES_FILE)
            ]
            errors = [None] * len(measures)
        else:  # invalid, error, lost (with why) or never attempted
            measures = [(entry["condition"], entry["seed"], None, None, None, None)]
            failed = status in outcomes.FAILED
            errors = [outcomes.reason(run_dir, status) if failed else None]
            status = status if failed else MISSING
        for measure, error in zip(measures, errors, strict=True):
            rows["run_id"].append(entry["run_id"])
            rows["point"].append(entry["point"])
            rows["repeat"].append(entry["repeat"])
            rows["status"].append(status)
            rows["varied"].append(entry["varied"])
            for name, value in zip(MEASURE_COLUMNS, measure, strict=True):
                rows[name].append(value)
            rows["error"].append(error)
            for p in paths:
                swept[p].append(entry["values"][p])
    types = {
        "run_id": pa.string(),
        "point": pa.int64(),
        "repeat": pa.int64(),
        "status": pa.string(),
        "varied": pa.string(),
        "condition": pa.string(),
        "seed": pa.int64(),
        "bio_time_days": pa.float64(),
        "sim_time_s": pa.float64(),
        "measure": pa.string(),
        "value": pa.float64(),
        "error": pa.string(),
    }
    columns: dict[str, Any] = {}
    for name in ("run_id", "point", "repeat", "status"):
        columns[name] = pa.array(rows[name], types[name])
    if plan["kind"] == "one_at_a_time":
        columns["varied"] = pa.array(rows["varied"], types["varied"])
    for p in paths:
        columns.update(_axis_columns(p, swept[p]))
    for name in (*MEASURE_COLUMNS, "error"):
        columns[name] = pa.array(rows[name], types[name])
    return pa.table(columns)


def write_table(table, out: str | Path, *, csv: bool = False) -> Path:
    """Write ``OUT/sweep.parquet`` (and ``sweep.csv``) atomically; return the Parquet path.

    Parameters
    ----------
    table : pyarrow.Table
        From :func:`collect_table`.
    out : str or Path
        Sweep directory.
    csv : bool
        Also write the CSV.

    Returns
    -------
    Path
    """
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    out = Path(out)
    storage.atomic_write(out / TABLE_FILE, lambda tmp: pq.write_table(table, str(tmp)))
    if csv:
        storage.atomic_write(out / CSV_FILE, lambda tmp: pa_csv.write_csv(table, str(tmp)))
    return out / TABLE_FILE
