"""mechanism_comparison: Disinhibition vs direct block-at-rest vs both, at the same dose.

Runs ``configs/mechanism_comparison.toml`` (resumable) and draws its figure,
``docs/figures/mechanism_comparison.png``.

    python experiments/mechanism_comparison.py [OUT_DIR] [--set KEY=VALUE ...]
"""

from named import main

if __name__ == "__main__":
    main(
        "mechanism_comparison", ["ee_synapses", "synaptogenic", "bdnf_mean", "calcium_mean_hz"], []
    )
