"""Baseline operating point of the default network over seeds (issue #2 acceptance figure).

Runs configs/default.toml for several root seeds and reports, per seed, the E and I
firing rates, the CV of inter-spike intervals and the synchrony chi, then draws them.
Targets: E 1-10 Hz, I above E, CV near 1, chi well below 1 (asynchronous irregular;
model docs §1.2 reports E ~5 Hz / I ~11 Hz for this sparse Brunel & Wang network).

    python experiments/baseline_activity.py [--seeds 1 2 3] [--duration "10 s"] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neuroplast.analysis.measures import cv_isi, population_rate, synchrony_chi  # noqa: E402
from neuroplast.config.experiment import load_config  # noqa: E402
from neuroplast.simulation.simulate import derive_seeds, simulate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "default.toml"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--duration", default="10 s")
    parser.add_argument("--out", type=Path, default=Path("runs") / "baseline_activity")
    args = parser.parse_args()

    rows = []
    for seed in args.seeds:
        cfg = load_config(
            args.config,
            [f"seed={seed}", f'simulation.duration="{args.duration}"', "recording.n_traced=0"],
        )
        rec = simulate(cfg, derive_seeds(seed, cfg.condition))
        ne, n, t0, t1 = rec.n_exc, rec.n_exc + rec.n_inh, 0.5, rec.duration
        rows.append(
            {
                "seed": seed,
                "rate_exc": population_rate(rec.spike_i, rec.spike_t, 0, ne, t0, t1),
                "rate_inh": population_rate(rec.spike_i, rec.spike_t, ne, n, t0, t1),
                "cv_exc": cv_isi(rec.spike_i, rec.spike_t, 0, ne, t0),
                "cv_inh": cv_isi(rec.spike_i, rec.spike_t, ne, n, t0),
                "chi_exc": synchrony_chi(rec.spike_i, rec.spike_t, 0, ne, t0, t1),
            }
        )
        r = rows[-1]
        print(
            f"seed {seed}: E {r['rate_exc']:.2f} Hz  I {r['rate_inh']:.2f} Hz  "
            f"CV_E {r['cv_exc']:.2f}  CV_I {r['cv_inh']:.2f}  chi_E {r['chi_exc']:.3f}",
            flush=True,
        )

    keys = ["rate_exc", "rate_inh", "cv_exc", "cv_inh", "chi_exc"]
    means = {k: np.mean([r[k] for r in rows]) for k in keys}
    sds = {k: np.std([r[k] for r in rows], ddof=1) if len(rows) > 1 else 0.0 for k in keys}
    print("mean ± SD over seeds: " + ", ".join(f"{k} {means[k]:.2f} ± {sds[k]:.2f}" for k in keys))

    args.out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.5))
    x = np.arange(len(rows))
    axes[0].bar(x - 0.2, [r["rate_exc"] for r in rows], 0.4, color="#c0392b", label="E")
    axes[0].bar(x + 0.2, [r["rate_inh"] for r in rows], 0.4, color="#2471a3", label="I")
    axes[0].axhspan(1, 10, color="0.9", zorder=0, label="E target 1-10 Hz")
    axes[0].set(
        xticks=x,
        xticklabels=[r["seed"] for r in rows],
        xlabel="seed",
        ylabel="rate (Hz)",
        title="Firing rates",
    )
    axes[0].legend(fontsize=8)
    axes[1].bar(x - 0.2, [r["cv_exc"] for r in rows], 0.4, color="#c0392b", label="E")
    axes[1].bar(x + 0.2, [r["cv_inh"] for r in rows], 0.4, color="#2471a3", label="I")
    axes[1].axhline(1.0, color="k", lw=0.8, ls="--", label="Poisson")
    axes[1].set(
        xticks=x,
        xticklabels=[r["seed"] for r in rows],
        xlabel="seed",
        ylabel="CV of ISI",
        title="Irregularity",
    )
    axes[1].legend(fontsize=8)
    axes[2].bar(x, [r["chi_exc"] for r in rows], 0.5, color="#c0392b")
    axes[2].set(
        xticks=x,
        xticklabels=[r["seed"] for r in rows],
        xlabel="seed",
        ylabel="chi (E)",
        title="Synchrony (0 async, 1 sync)",
        ylim=(0, 1),
    )
    fig.tight_layout()
    path = args.out / "baseline_activity.png"
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
