"""single_dose_duration: How long the recovery from one ketamine dose lasts without therapy.

Runs ``configs/single_dose_duration.toml`` (resumable) and draws its figure,
``docs/figures/single_dose_duration.png``.

    python experiments/single_dose_duration.py [OUT_DIR] [--set KEY=VALUE ...]
"""

from named import main

if __name__ == "__main__":
    main(
        "single_dose_duration",
        ["ee_synapses", "recovery_index_ee_synapses", "synaptogenic", "bdnf_mean"],
        [],
    )
