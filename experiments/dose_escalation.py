"""dose_escalation: A fixed dose against an escalating one over four sessions.

Runs ``configs/dose_escalation.toml`` (resumable) and draws its figure,
``docs/figures/dose_escalation.png``.

    python experiments/dose_escalation.py [OUT_DIR] [--set KEY=VALUE ...]
"""

from named import main

if __name__ == "__main__":
    main(
        "dose_escalation",
        ["ee_synapses", "recovery_index_ee_synapses", "synaptogenic", "concentration_uM"],
        [],
    )
