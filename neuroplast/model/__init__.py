"""brian2 model of the network: one module per mechanism, assembled by network.py."""
