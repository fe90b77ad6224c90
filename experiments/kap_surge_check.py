"""The KAP comparison's BDNF surge, read raw: which route releases it in the stressed network.

Reads the finished runs of a ``configs/kap_comparison.toml`` experiment directory (the
seeds that every condition has finished; nothing is simulated) and draws three panels:

1. E->E synapse count over biological time, per condition (mean over the finished seeds);
2. the population firing relative to its set point (the BDNF-surge compartment's
   ``pool_ratio``) around the dose, with the release threshold of bdnf.py;
3. the synaptogenic drive the surge causes.

The firing route (k_act) releases BDNF only above the threshold; the direct route
(k_dir f_E, ``pharmacology.mechanism`` = direct or both, the default) needs no burst.
The title gives the firing level before and at the infusion and the peak drive.

    python experiments/kap_surge_check.py runs/kap_comparison   # docs/figures/kap_surge_check.png
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neuroplast.config.experiment import config_from_dict  # noqa: E402
from neuroplast.simulation import storage  # noqa: E402
from neuroplast.simulation.storage import save_figure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COLOURS = {
    "control": "0.4",
    "ketamine": "tab:blue",
    "therapy": "tab:green",
    "ketamine_therapy": "tab:red",
    "sham": "tab:purple",
}


def finished_runs(out: Path) -> dict[str, list]:
    """Slow recordings by condition, of the seeds every condition has finished."""
    paths = sorted(out.glob(f"runs/*/seed_*/{storage.DATA_FILE}"))
    seeds = defaultdict(set)
    for data in paths:
        seeds[data.parent.parent.name].add(data.parent.name)
    common = set.intersection(*seeds.values()) if seeds else set()
    runs = defaultdict(list)
    for data in paths:
        if data.parent.name in common:
            runs[data.parent.parent.name].append(storage.read_hdf5(data).slow)
    return runs


def draw(out: Path, figure: Path) -> Path:
    cfg = config_from_dict(json.loads((out / storage.CONFIG_FILE).read_text()))
    threshold = cfg.bdnf.release_threshold
    runs = finished_runs(out)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    levels, peaks = {}, {}
    for condition, slows in runs.items():
        colour = COLOURS.get(condition, "k")
        day = np.asarray(slows[0]["bio_days"])
        counts = np.mean([np.asarray(s["n_alive"]).sum(axis=0) for s in slows], axis=0)
        label = f"{condition} ({len(slows)} seed{'s' if len(slows) > 1 else ''})"
        axes[0].plot(day, counts / 1000, color=colour, lw=1, label=label)
        window = (day > 24.5) & (day < 26.0)
        ratio = np.mean([np.asarray(s["pool_ratio"]).ravel() for s in slows], axis=0)
        drive = np.mean([np.asarray(s["synaptogenic"]).ravel() for s in slows], axis=0)
        axes[1].plot(day[window], ratio[window], color=colour, lw=1, label=condition)
        before, after = (day > 24.6) & (day < 25.0), (day >= 25.0) & (day < 25.5)
        levels[condition] = (float(ratio[before].mean()), float(ratio[after].max()))
        peaks[condition] = float(drive[day > 24.5].max())
        axes[2].plot(day, drive, color=colour, lw=1, label=condition)
    axes[0].set(xlabel="biological day", ylabel="E→E synapses (thousands)")
    axes[0].axvspan(3, 24, color="0.93", lw=0, zorder=0)
    axes[0].legend(fontsize=7)
    axes[1].axhline(threshold, color="k", ls="--", lw=0.8)
    axes[1].axhline(1.0, color="0.6", ls=":", lw=0.8)
    axes[1].text(24.55, threshold + 0.03, "release threshold", fontsize=7)
    axes[1].text(24.55, 1.03, "set point", fontsize=7)
    axes[1].set(
        xlabel="biological day (dose on day 25)",
        ylabel="population firing / set point",
        ylim=(0, max(1.7, threshold + 0.2)),
    )
    axes[2].set(xlabel="biological day", ylabel="synaptogenic drive D")
    pre, peak = levels.get("ketamine", (float("nan"), float("nan")))
    fig.suptitle(
        f"{cfg.name} (mechanism: {cfg.pharmacology.mechanism}): after 21 days of stress (grey) "
        f"the network fires at {pre:.2f} of its set point; the infusion lifts it to {peak:.2f} "
        f"(BDNF release threshold {threshold:g})\npeak synaptogenic drive after day 24.5: "
        f"ketamine {peaks.get('ketamine', float('nan')):.3f}, "
        f"control {peaks.get('control', float('nan')):.3f}",
        fontsize=10,
    )
    fig.tight_layout()
    return save_figure(fig, figure)


def main() -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="a kap_comparison experiment directory")
    parser.add_argument(
        "--figure", type=Path, default=ROOT / "docs" / "figures" / "kap_surge_check.png"
    )
    args = parser.parse_args()
    path = draw(args.out, args.figure)
    print(f"figure: {path}")
    return path


if __name__ == "__main__":
    main()
