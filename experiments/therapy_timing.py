"""therapy_timing: Therapy in the dosing session vs in the post-dose window.

Runs ``configs/therapy_timing.toml`` (resumable) and draws its figure,
``docs/figures/therapy_timing.png``.

    python experiments/therapy_timing.py [OUT_DIR] [--set KEY=VALUE ...]
"""

from named import main

if __name__ == "__main__":
    main(
        "therapy_timing",
        ["ee_synapses", "synaptogenic"],
        ["assembly_adaptive_p_in", "recall_adaptive_index"],
    )
