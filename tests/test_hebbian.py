"""The ``hebbian`` rewiring rule (model/rules.py): which partners new synapses choose.

Checked here:
* with ``bias = 0``, no nascent hazard and maturation of all synapses it is the
  built-in rule exactly (same spikes, same synapses): its extra state draws nothing;
* its co-activity signal h, run as brian2 code (the rule's own expression) on neurons
  that fire as independent Poisson trains at their running mean, is zero in
  expectation; without the trace's noise term it would not be (so the test can fail);
* for a common rate modulation the signal is positive and, on two clocks four times
  apart (the same biological protocol), equal to its noise-free expectation: it is
  integrated in biological time;
* the ``population`` signal is zero in expectation for independent firing and for a
  modulation of the whole population, and for a co-modulated group it is the product of
  the cells' expected excesses over what the population predicts (computed here).

The rule on the compiled backends: test_hebbian_backends.py.
"""

from __future__ import annotations

import brian2
import numpy as np
import pytest
from test_rules import _plastic  # noqa: I001  (tests/ is on sys.path)

from neuroplast.config import config_from_dict
from neuroplast.model.rules import (
    AXONAL_AFTER,
    AXONAL_FORM,
    AXONAL_GROWTH,
    COACTIVITY_DRIVE,
    COACTIVITY_UPDATE,
    DRIVES,
    HEBBIAN,
    POPULATION_EXCESS,
    POPULATION_NEURON_EQUATIONS,
    POPULATION_UPDATE,
)
from neuroplast.simulation.backend import brian_backend
from neuroplast.simulation.simulate import derive_seeds, simulate


def test_without_bias_hazard_and_stabilisation_the_rule_is_weakest_first_exactly():
    runs = {}
    options = {"bias": 0.0, "nascent_hazard": "0 1/day", "maturation": "all"}
    for name, rule, rule_options in (
        ("built_in", "weakest_first", {}),
        ("hebbian", "hebbian", options),
    ):
        cfg = config_from_dict(_plastic(rule, **rule_options))
        runs[name] = simulate(cfg, derive_seeds(cfg.seed))
    built_in, hebbian = runs["built_in"], runs["hebbian"]
    assert built_in.slow["formed"].sum() > 10  # rewiring happened
    np.testing.assert_array_equal(hebbian.spike_i, built_in.spike_i)
    np.testing.assert_array_equal(hebbian.spike_t, built_in.spike_t)
    for name in ("n_alive", "formed", "eliminated", "w_mean"):
        np.testing.assert_array_equal(hebbian.slow[name], built_in.slow[name], err_msg=name)
    assert "hpos_mean" in hebbian.slow  # the rule's declared record


def _namespace(clock_rate, tau_hebbian, update, rate_hz, modulation) -> dict:
    """Constants of the Poisson test cells: one clock, a 4-h square-wave modulation."""
    return {
        "time_rate": brian2.TimedArray([clock_rate], dt=1e6 * brian2.second),
        "tau_hebbian": tau_hebbian,
        "update_interval": update,
        "nu0": rate_hz * brian2.Hz,
        "modulation": modulation,
        "period": 4 * 3600 * brian2.second,
    }


def _mean_signal(
    *,
    clock_rate: float,
    bio_hours: float,
    modulation: float = 0.0,
    drive: str = COACTIVITY_DRIVE,
    rate_hz: float = 10.0,
    n: int = 40,
    seed: int = 11,
) -> tuple[float, float]:
    """Mean co-activity signal h over all pairs of ``n`` Poisson neurons, and its SE.

    The neurons fire at ``rate_hz * (1 + modulation * s(T))``, with s a square wave of
    period 4 h of biological time T (common to all; 0 = independent stationary firing);
    set point and sliding threshold are ``rate_hz``.  h is updated every 50 ms of network
    time with the rule's code and averaged over whole periods after a warm-up of 3
    tau_hebbian; the standard error is that of the per-period means.
    """
    tau_rate, tau_hebbian, update = 1800 * brian2.second, 3600 * brian2.second, 50 * brian2.ms
    with brian_backend("numpy", 1 * brian2.ms):
        brian2.seed(seed)
        namespace = _namespace(clock_rate, tau_hebbian, update, rate_hz, modulation)
        namespace["tau_rate"] = tau_rate
        cells = brian2.NeuronGroup(
            n,
            """
            drate_h/dt = -time_rate(t) * rate_h / tau_rate : Hz
            nu = nu0 * (1 + modulation * sign(sin(2 * pi * time_rate(t) * t / period))) : Hz
            set_point : Hz (constant)
            calcium : Hz (constant)
            rewiring_on : 1 (constant)
            """,
            threshold="rand() < nu * dt",
            reset="rate_h += time_rate(t) / tau_rate",
            namespace=namespace,
        )
        cells.rate_h = rate_hz * brian2.Hz
        cells.set_point = rate_hz * brian2.Hz
        cells.calcium = rate_hz * brian2.Hz
        cells.rewiring_on = 1
        pairs = brian2.Synapses(cells, cells, "h : 1", namespace=namespace)
        pairs.connect(condition="i != j")
        update_code = COACTIVITY_UPDATE.replace(COACTIVITY_DRIVE, drive)
        pairs.run_regularly("dt_bio = time_rate(t) * update_interval\n" + update_code, dt=update)
        net = brian2.Network(cells, pairs)
        network_hour = 3600.0 / clock_rate * brian2.second
        net.run(3 * float(tau_hebbian / (3600 * brian2.second)) * network_hour)
        samples = []
        for _ in range(int(bio_hours)):
            net.run(network_hour)
            samples.append(np.asarray(pairs.h[:]).reshape(n, n - 1).mean())
    # one mean per 4-h period of the modulation (its cycle averages out in each)
    periods = np.asarray(samples).reshape(-1, 4).mean(axis=1)
    return float(periods.mean()), float(periods.std(ddof=1) / np.sqrt(len(periods)))


@pytest.mark.slow
def test_the_signal_is_zero_in_expectation_for_independent_firing_at_the_running_mean():
    mean, se = _mean_signal(clock_rate=3600.0, bio_hours=24)
    assert abs(mean) < 4 * se + 0.005, (mean, se)
    # without the trace's noise term r/(2 tau_rate) the mean is biased by about
    # r / (2 tau_rate) / rate = 1 Hz / 10 Hz = 0.1: the test above can fail
    biased = COACTIVITY_DRIVE.replace(" - time_rate(t) / (2 * tau_rate)", "")
    assert biased != COACTIVITY_DRIVE
    uncorrected, se_u = _mean_signal(clock_rate=3600.0, bio_hours=24, drive=biased)
    assert uncorrected == pytest.approx(0.1, abs=4 * se_u + 0.02)


@pytest.mark.slow
def test_the_covariance_signal_is_zero_in_expectation_for_independent_firing_too():
    mean, se = _mean_signal(clock_rate=3600.0, bio_hours=24, drive=DRIVES["covariance"])
    assert abs(mean) < 4 * se + 0.005, (mean, se)


def _noise_free_signal(modulation: float, tau_rate_h: float = 0.5, period_h: float = 4.0) -> float:
    """The expected drive for the common square-wave modulation, from noise-free traces.

    The rate trace follows the rate with a first-order lag of ``tau_rate`` (biological
    time); the drive of a pair is then a^2 (a - 1) in units of the mean rate, averaged
    over whole periods in the steady state.  The trace's Poisson noise is what the
    drive's r/(2 tau_rate) term removes, so the simulated signal should match this on
    any clock.
    """
    step = 1e-3  # hours
    times = np.arange(0.0, 40 * period_h, step)
    rate = 1 + modulation * np.sign(np.sin(2 * np.pi * times / period_h))
    trace = np.empty_like(times)
    trace[0] = 1.0
    keep = np.exp(-step / tau_rate_h)
    for k in range(1, len(times)):
        trace[k] = rate[k - 1] + (trace[k - 1] - rate[k - 1]) * keep
    drive = trace**2 * (trace - 1)
    return float(drive[times >= 20 * period_h].mean())


@pytest.mark.slow
def test_the_signal_of_a_common_modulation_is_the_same_on_two_clocks():
    expected = _noise_free_signal(0.5)  # 0.259; 2 m^2 = 0.5 without the traces' lag
    assert 0.2 < expected < 0.3
    for clock_rate in (1800.0, 7200.0):  # 1 s of network time = 30 min and 2 h
        mean, se = _mean_signal(clock_rate=clock_rate, bio_hours=48, modulation=0.5, n=60)
        assert mean == pytest.approx(expected, abs=4 * se + 0.02), (clock_rate, mean, se)


def _population_signal(
    *,
    modulated: int,
    clock_rate: float = 3600.0,
    modulation: float = 0.5,
    normalised: bool = True,
    rate_hz: float = 10.0,
    n: int = 40,
    seed: int = 11,
    bio_hours: int = 24,
) -> tuple[np.ndarray, float, float]:
    """The ``population`` signal h of ``n`` Poisson neurons, run as the rule's own code.

    The first ``modulated`` neurons fire at ``rate_hz * (1 + modulation * s(T))``, s a
    square wave of period 4 h of biological time T, the rest at ``rate_hz``; running
    means are ``rate_hz``.  The population's sums reach the cells through a one-cell
    group, as in the network.  Returns the matrix of h (pre x post, NaN on the
    diagonal) sampled every biological hour after a warm-up of 3 tau_hebbian, averaged
    per 4-h period, then over periods; and h's steady state for one unit of the drive
    per interval, 1 / (1 - exp(-dt_bio / tau_hebbian)).  ``normalised = False`` drops
    the population's gain: the cells read constant sums, the population's expected
    count, so each cell's expected count is its running mean's alone.
    """
    tau_hebbian, update = 3600 * brian2.second, 200 * brian2.ms
    with brian_backend("numpy", 1 * brian2.ms):
        brian2.seed(seed)
        namespace = _namespace(clock_rate, tau_hebbian, update, rate_hz, modulation)
        cells = brian2.NeuronGroup(
            n,
            "nu = nu0 * (1 + modulation * is_modulated * sign(sin(2 * pi * time_rate(t) * t"
            " / period))) : Hz\nis_modulated : 1 (constant)\ncalcium : Hz (constant)\n"
            "rewiring_on : 1 (constant)\n" + POPULATION_NEURON_EQUATIONS,
            threshold="rand() < nu * dt",
            reset="pass_spikes += 1",
            namespace=namespace,
        )
        cells.is_modulated = (np.arange(n) < modulated).astype(float)
        cells.calcium = rate_hz * brian2.Hz
        cells.rewiring_on = 1
        population = brian2.NeuronGroup(1, "pool_pass_spikes : 1\npool_calcium : Hz")
        source = brian2.Synapses(
            cells,
            population,
            "pool_pass_spikes_post = pass_spikes_pre : 1 (summed)\n"
            "pool_calcium_post = calcium_pre : Hz (summed)",
        )
        source.connect()
        objects = [cells, population, source]
        if normalised:
            sink = brian2.Synapses(
                population,
                cells,
                "population_pass_spikes_post = pool_pass_spikes_pre : 1 (summed)\n"
                "population_calcium_post = pool_calcium_pre : Hz (summed)",
            )
            sink.connect()
            objects.append(sink)
        else:
            cells.population_calcium = n * rate_hz * brian2.Hz
            cells.population_pass_spikes = n * rate_hz * float(update / brian2.second)
        pairs = brian2.Synapses(cells, cells, "h : 1", namespace=namespace)
        pairs.connect(condition="i != j")
        cells.run_regularly(POPULATION_EXCESS, dt=update, when="before_synapses")
        pairs.run_regularly(
            "dt_bio = time_rate(t) * update_interval\n" + POPULATION_UPDATE,
            dt=update,
            when="synapses",
        )
        cells.run_regularly("pass_spikes = 0", dt=update, when="after_synapses")
        net = brian2.Network(*objects, pairs)
        network_hour = 3600.0 / clock_rate * brian2.second
        net.run(3 * float(tau_hebbian / (3600 * brian2.second)) * network_hour)
        samples = []
        for _ in range(bio_hours):
            net.run(network_hour)
            matrix = np.full((n, n), np.nan)
            matrix[np.asarray(pairs.i[:]), np.asarray(pairs.j[:])] = pairs.h[:]
            samples.append(matrix)
    dt_bio = clock_rate * float(update / brian2.second)
    per_unit = 1.0 / (1.0 - np.exp(-dt_bio / float(tau_hebbian / brian2.second)))
    periods = np.asarray(samples).reshape(-1, 4, n, n).mean(axis=1)
    return periods, per_unit


def _expected_drive(counts: np.ndarray, i: int, j: int) -> float:
    """E[z_i z_j] for independent Poisson counts with means ``counts`` (one interval).

    Every cell has the same running mean, so each expects the population's count P over
    N; z_k = (n_k - P/N) / sqrt(E[P]/N + 1).  P includes n_i and n_j, hence the O(1/N)
    terms: E[n_i P] = mu_i (M + 1), E[P^2] = M^2 + M, with M = E[P].
    """
    n, total = len(counts), counts.sum()
    mu_i, mu_j = counts[i], counts[j]
    product = mu_i * mu_j - (mu_i + mu_j) * (total + 1) / n + (total**2 + total) / n**2
    return float(product / (total / n + 1))


def _two_phase_drive(n: int, modulated: int, i: int, j: int, m: float = 0.5) -> float:
    """:func:`_expected_drive` averaged over the square wave's two phases (r dt = 2)."""
    values = []
    for phase in (1.0, -1.0):
        counts = np.full(n, 2.0)
        counts[:modulated] *= 1 + m * phase
        values.append(_expected_drive(counts, i, j))
    return float(np.mean(values))


@pytest.mark.slow
def test_the_population_signal_ignores_independent_firing_and_network_wide_modulation():
    """Zero in expectation (up to the O(1/N) term of a population that includes the pair)
    for independent firing at the running mean and for a rate modulation common to every
    cell, on two clocks (1 s of network time = 1 h and 4 h); without the population's gain
    the common modulation reads as co-activity, (r dt m)^2 / (r dt + 1) = 1/3 per
    interval (so the test can fail)."""
    n = 40
    for modulated, clock_rate in ((0, 3600.0), (n, 3600.0), (n, 14400.0)):
        periods, per_unit = _population_signal(modulated=modulated, n=n, clock_rate=clock_rate)
        means = np.nanmean(periods, axis=(1, 2)) / per_unit  # drive per interval
        se = means.std(ddof=1) / np.sqrt(len(means))
        expected = _two_phase_drive(n, modulated, 0, 1)  # -0.017, -0.016
        assert abs(expected) < 0.02
        assert means.mean() == pytest.approx(expected, abs=4 * se + 0.003), modulated
    periods, per_unit = _population_signal(modulated=n, n=n, normalised=False)
    means = np.nanmean(periods, axis=(1, 2)) / per_unit
    assert means.mean() == pytest.approx(1 / 3, rel=0.15)


@pytest.mark.slow
def test_the_population_signal_of_a_co_modulated_group():
    """Half the cells modulated together: pairs within the group (and within the rest,
    which the population's gain puts in antiphase) are positive, pairs across negative,
    each as :func:`_two_phase_drive` expects."""
    n, half = 40, 20
    periods, per_unit = _population_signal(modulated=half, n=n)
    drive = periods / per_unit
    group = np.arange(n) < half
    classes = ((group, group, 0, 1), (group, ~group, 0, n - 1), (~group, ~group, n - 2, n - 1))
    for pre, post, i, j in classes:
        means = np.nanmean(drive[:, pre][:, :, post], axis=(1, 2))
        se = means.std(ddof=1) / np.sqrt(len(means))
        expected = _two_phase_drive(n, half, i, j)
        assert means.mean() == pytest.approx(expected, abs=4 * se + 0.1 * abs(expected)), (
            i,
            j,
            means.mean(),
            expected,
            se,
        )


def test_the_rule_declares_its_signal_and_options():
    assert HEBBIAN.pool_variable_names() == ["h", "stage", "elig"]
    assert [r.variable for r in HEBBIAN.records] == ["hpos_mean", "n_nascent", "w_stable", "z_axon"]
    options = HEBBIAN.options()
    assert HEBBIAN.namespace(options)["hebbian_bias"] == 0.5
    with pytest.raises(ValueError, match="bias"):
        HEBBIAN.options.model_validate({"bias": 1.5})
    # each signal's pass evaluates its own drive only; the population signal brings its
    # per-interval counts and the population's sums
    codes = {
        signal: HEBBIAN.for_options(HEBBIAN.options(signal=signal))
        for signal in ("bcm", "covariance", "population")
    }
    # the rule as written is the bcm signal with axonal elements
    assert HEBBIAN.for_options(HEBBIAN.options(signal="bcm", axonal_elements=True)) is HEBBIAN
    assert codes["bcm"].after == HEBBIAN.after.replace("\n" + AXONAL_AFTER, "")
    # without axonal elements (the default) the pass and the neurons skip their code
    for rule in codes.values():
        assert "axon" not in rule.form_weight + rule.extra_hazard + rule.after
        assert "dz_axon/dt" not in rule.neuron_equations and "n_out =" not in rule.neuron_after
    axonal = HEBBIAN.for_options(HEBBIAN.options(axonal_elements=True))
    assert AXONAL_FORM in axonal.form_weight and AXONAL_GROWTH in axonal.neuron_equations
    assert DRIVES["covariance"] in codes["covariance"].after
    assert DRIVES["bcm"] not in codes["covariance"].after
    population = codes["population"]
    assert "rate_h_pre" not in population.after and "pass_excess_pre" in population.after
    assert "pass_spikes" in population.neuron_before
    assert "rate_h" not in population.neuron_equations + population.neuron_on_spike
    assert population.population_sums == (("pass_spikes", "1"), ("calcium", "Hz"))
    assert "pass_spikes = 0" in population.neuron_after
