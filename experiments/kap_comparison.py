"""kap_comparison: the headline four-arm comparison (and sham).

Recovery of E->E connectivity after stress under control, ketamine, therapy and ketamine + therapy.

Runs ``configs/kap_comparison.toml`` (resumable) and draws its figure,
``docs/figures/kap_comparison.png``.

    python experiments/kap_comparison.py [OUT_DIR] [--set KEY=VALUE ...]
"""

from named import main

if __name__ == "__main__":
    main(
        "kap_comparison",
        ["ee_synapses", "recovery_index_ee_synapses", "synaptogenic"],
        ["assembly_adaptive_p_in", "recall_adaptive_index", "coactivity_corr_exc"],
    )
