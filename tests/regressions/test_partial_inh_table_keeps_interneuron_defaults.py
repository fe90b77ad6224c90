"""Regression: a partial [synapses.to_inh] or [neurons.inh] table took the pyramidal defaults.

Found by test_default_network_is_asynchronous_irregular: configs/default.toml sets only
``synapses.to_inh.nmda_scale``, and every other interneuron conductance silently became
the pyramidal value (E rate 0.3 Hz instead of ~5 Hz).
"""

import brian2

from neuroplast.config.experiment import config_from_dict


def test_partial_to_inh_table_keeps_interneuron_conductances():
    cfg = config_from_dict({"synapses": {"to_inh": {"nmda_scale": 0.5}}})
    assert cfg.synapses.to_inh.nmda_scale == 0.5
    assert cfg.synapses.to_inh.g_ampa_ext == 1.62 * brian2.nS
    assert cfg.synapses.to_inh.g_gaba == 0.973 * brian2.nS


def test_partial_inh_population_table_keeps_interneuron_membrane():
    cfg = config_from_dict({"neurons": {"inh": {"V_th": "-52 mV"}}})
    assert cfg.neurons.inh.V_th == -52 * brian2.mV
    assert cfg.neurons.inh.C_m == 0.2 * brian2.nF
    assert cfg.neurons.inh.t_ref == 1 * brian2.ms
