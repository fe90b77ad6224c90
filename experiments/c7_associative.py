"""c7_associative: calibration target C7, the associative sanity check.

Runs ``configs/c7_associative.toml`` (resumable) and draws its figure,
``docs/figures/c7_associative.png``: the stimulated group's within-group connection
probability p_in and its connection probability with the rest p_out, with and without
axonal elements, at the probes (Gallinaro & Rotter 2018: p_in should rise above the rest
after the stimulation and decay slowly).

    python experiments/c7_associative.py [OUT_DIR] [--workers 2]
"""

from named import main

if __name__ == "__main__":
    main(
        "c7_associative",
        ["ee_synapses", "calcium_mean_hz", "axonal_elements_mean"],
        ["assembly_stimulated_p_in", "assembly_stimulated_p_out", "assembly_stimulated_p_ratio"],
    )
