"""Was each run's set-point window representative of the rates that followed it?

Reads finished runs (directories with config.json and data.h5, found under the paths
given) and prints one markdown row per run: network size, the excitatory population
rate in the set-point window and its bias against the next five window lengths
(``set_point_bias_pct``, :func:`neuroplast.analysis.measures.set_point_rows`), the
coefficient of variation of the population rate in 1-s bins over the first 60 s of
network time (slow fluctuations, which a short window cannot average out), and the
E->E count at the start, at the end of the second phase (stress, in kap_comparison) and
at the end.  Runs nothing; made to diagnose the seed spread of the half-size kap_comparison.

    python experiments/set_point_check.py runs/kap_comparison_half/runs/control \
        runs/baseline_rules/runs/default
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from neuroplast.analysis.measures import set_point_rows
from neuroplast.config.experiment import config_from_dict
from neuroplast.simulation import storage

#: network time (s) over which the 1-s population-rate CV is taken
CV_SPAN = 60


def run_dirs(paths: list[Path]) -> list[Path]:
    """Every run directory (with data.h5 and config.json) at or under ``paths``, sorted."""
    found = []
    for path in paths:
        found += [d.parent for d in Path(path).rglob(storage.DATA_FILE)]
    return sorted(d for d in found if (d / storage.CONFIG_FILE).is_file())


def row(run_dir: Path) -> str:
    cfg = config_from_dict(json.loads((run_dir / storage.CONFIG_FILE).read_text()))
    rec = storage.read_hdf5(run_dir / storage.DATA_FILE)
    values = {
        r.measure: r.value
        for r in set_point_rows(
            rec,
            cfg.condition,
            cfg.seed,
            settle=float(cfg.set_point.settle),
            window=float(cfg.set_point.window),
        )
    }
    bin_width = float(rec.rate_t[1] - rec.rate_t[0])
    per_bin = max(1, int(round(1.0 / bin_width)))
    n_bins = min(CV_SPAN, len(rec.rate_exc) // per_bin)
    seconds = np.asarray(rec.rate_exc[: n_bins * per_bin]).reshape(n_bins, per_bin).mean(axis=1)
    cv = seconds.std() / seconds.mean() if seconds.mean() > 0 else float("nan")
    count = np.asarray(rec.slow["n_alive"]).sum(axis=0)
    days = np.asarray(rec.slow["bio_days"])
    phases = cfg.protocol.phases
    mid = (
        f"{np.interp(sum(float(p.duration) for p in phases[:2]) / 86400, days, count):.0f}"
        if len(phases) > 1
        else "–"
    )
    name = "/".join(part for part in run_dir.parts[-4:] if part != "runs")
    return (
        f"| {name} | {cfg.network.n_exc}/{cfg.network.n_inh} "
        f"| {values.get('set_point_window_rate_exc_hz', float('nan')):.2f} "
        f"| {values.get('set_point_bias_pct', float('nan')):+.1f} | {cv:.2f} "
        f"| {count[0]:.0f} | {mid} | {count[-1]:.0f} |"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="run directories or their parents")
    args = parser.parse_args(argv)
    print(
        "| run | E/I | rate in the set-point window (Hz) | set_point_bias_pct "
        f"| CV of 1-s rates (first {CV_SPAN} s) | E→E at start | E→E after 2nd phase "
        "| E→E at end |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for run_dir in run_dirs(args.paths):
        print(row(run_dir))


if __name__ == "__main__":
    main()
