"""NMDA receptor: Mg2+ block against Jahr & Stevens (1990), and the event-driven saturating jump."""

from __future__ import annotations

import brian2
import numpy as np
import pytest

from neuroplast.model.receptors import (
    MG_BLOCK,
    ReceptorsConfig,
    nmda_jump_coefficients,
    nmda_release_fraction,
    receptor_namespace,
)
from neuroplast.simulation.backend import brian_backend, owned

VOLTAGES_MV = [-80.0, -60.0, -40.0, -20.0, 0.0]

# Jahr & Stevens 1990 form as used by Brunel & Wang 2001 / Wang 2002 (model docs §1.1):
# B(V) = 1 / (1 + [Mg]/3.57 mM * exp(-0.062 V/mV)), [Mg] = 1 mM, written out by hand.
JAHR_STEVENS = {v: 1.0 / (1.0 + (1.0 / 3.57) * np.exp(-0.062 * v)) for v in VOLTAGES_MV}


def model_mg_unblock(voltages_mV) -> np.ndarray:
    """Evaluate the model's own Mg-block expression inside brian2."""
    namespace = receptor_namespace(ReceptorsConfig())
    with brian_backend("numpy", 0.1 * brian2.ms):
        group = brian2.NeuronGroup(
            len(voltages_mV), f"V : volt\nB = {MG_BLOCK} : 1", namespace=namespace
        )
        group.V = np.asarray(voltages_mV) * brian2.mV
        return owned(group.B[:])


@pytest.mark.parametrize("voltage", VOLTAGES_MV)
def test_mg_block_equals_jahr_stevens(voltage):
    value = model_mg_unblock([voltage])[0]
    assert value == pytest.approx(JAHR_STEVENS[voltage], rel=1e-9)


def test_mg_block_reference_values():
    # Independent sanity anchors: about 2.4 % unblocked at -80 mV, 78 % at 0 mV.
    values = model_mg_unblock([-80.0, 0.0])
    assert values[0] == pytest.approx(0.0244, abs=5e-4)
    assert values[1] == pytest.approx(3.57 / 4.57, rel=1e-9)


def test_nmda_iv_curve_has_a_negative_slope_region():
    v = np.linspace(-100.0, 20.0, 1201)
    current = model_mg_unblock(v) * (v - 0.0)  # I = g B(V) (V - E_NMDA), E_NMDA = 0 mV
    slope = np.gradient(current, v)
    negative = v[slope < 0]
    assert negative.size > 0
    # the region lies in the physiological range below about -20 mV ...
    assert negative.min() < -60 and -40 < negative.max() < -10
    # ... and the current is inward (negative) throughout it, outward above E_NMDA
    assert np.all(current[(v > -90) & (v < -1)] < 0)
    assert current[-1] > 0


def wang_charge(s0: float, alpha: float, tau_rise: float, tau_decay: float) -> float:
    """Extra integral of s after one spike in the Wang (2002) gating, by fine Euler steps."""
    dt = 1e-6
    t = np.arange(0.0, 1.5, dt)
    s, x, charge = s0, 1.0, 0.0
    for now in t:
        baseline = s0 * np.exp(-now / tau_decay)
        charge += (s - baseline) * dt
        s += dt * (-s / tau_decay + alpha * x * (1 - s))
        x -= dt * x / tau_rise
    return charge


@pytest.mark.parametrize("s0", [0.0, 0.4, 0.8, 0.95])
def test_event_driven_nmda_delivers_the_charge_of_the_wang_synapse(s0):
    alpha, tau_rise, tau_decay = 500.0, 2e-3, 0.1
    k_free, k_const = nmda_jump_coefficients(alpha, tau_rise, tau_decay)
    jump = k_free * (1 - s0) + k_const
    model_charge = jump * tau_decay  # the postsynaptic filter integrates a jump J to J*tau_decay
    # first order in tau_rise/tau_decay = 0.02: the residual is second order, < 1 %
    assert model_charge == pytest.approx(wang_charge(s0, alpha, tau_rise, tau_decay), rel=0.01)


def test_zeroth_order_jump_alone_would_miss_the_wang_charge_at_high_gating():
    # Documents why the first-order term is there: without it, 10 % short at s = 0.8.
    alpha, tau_rise, tau_decay = 500.0, 2e-3, 0.1
    naive = (1 - 0.8) * nmda_release_fraction(alpha, tau_rise) * tau_decay
    assert naive < 0.92 * wang_charge(0.8, alpha, tau_rise, tau_decay)


def test_release_fraction_of_brunel_wang_values():
    assert nmda_release_fraction(500.0, 2e-3) == pytest.approx(1 - np.exp(-1.0))
