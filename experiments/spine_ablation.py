"""spine_ablation: Remove the synapses born after ketamine and see what is left of the recovery.

Runs ``configs/spine_ablation.toml`` (resumable) and draws its figure,
``docs/figures/spine_ablation.png``.

    python experiments/spine_ablation.py [OUT_DIR] [--set KEY=VALUE ...]
"""

from named import main

if __name__ == "__main__":
    main(
        "spine_ablation",
        ["ee_synapses", "recovery_index_ee_synapses"],
        ["ee_frac_born_after_day_24.5"],
    )
