"""repeated_sessions: Six infusions over three weeks (Wilkinson et al 2021) against one.

Runs ``configs/repeated_sessions.toml`` (resumable) and draws its figure,
``docs/figures/repeated_sessions.png``.

    python experiments/repeated_sessions.py [OUT_DIR] [--set KEY=VALUE ...]
"""

from named import main

if __name__ == "__main__":
    main("repeated_sessions", ["ee_synapses", "recovery_index_ee_synapses", "synaptogenic"], [])
