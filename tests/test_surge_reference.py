"""The BDNF-surge compartment's two references (bdnf.py ``release_reference``).

The compartment is driven directly (numpy backend, one cell): its summed population
firing is set from a profile instead of from a network, so the answers are known.

* A hypoactive population (35 % of its set point, as after the stress phase of
  configs/kap_comparison.toml) that bursts 2.7-fold for 40 min (as under ketamine there)
  releases a surge against its recent firing, and none against the healthy set point,
  which the burst does not reach.
* A slow recovery over days (35 % -> 85 %) releases nothing against either reference:
  the 6 h reference follows it.
* A healthy population bursting 2.3-fold (the default network under ketamine) releases
  against both.
* A steady population releases nothing when the set-point window closes, although its
  set points were a first guess 0.4 of their measured value during the window
  (setpoint.py: the cells start at target_rate, 5 Hz, and take their measured rates
  when it closes; the quick network fires 11 Hz at start).  While the recent reference
  followed the set points during the window, it held the first guess and the ratio
  jumped when the window closed: a start-up surge in every arm (measured, 400 E /
  100 I, day 1.1).
"""

from __future__ import annotations

import brian2
import numpy as np
import pytest

from neuroplast.model import bdnf
from neuroplast.simulation.backend import brian_backend

SET_POINT = 100.0  # Hz, summed over the population
#: where the fluctuations' sampling starts, as a fraction of the set-point window
FLUCTUATION_START = 0.2
DAY = 86400.0


def surge_response(
    reference: str,
    profile,
    days: float,
    burst_start: float | None,
    first_guess: float = 1.0,
    window: float = 0.5,
    monitor_theta: bool = False,
    **options,
):
    """Peak synaptogenic drive of the compartment driven by ``profile(bio_day) -> ratio``.

    The clock runs at 1 day = 10 s, and at 1 h = 10 s for 6 h from ``burst_start`` (the
    session clock of a dose).  The set-point window lasts ``window`` seconds of network
    time.  The summed set point is ``first_guess`` times its final
    value until the set-point window closes, then the final value, as in setpoint.py:
    the cells start at target_rate and take their measured rates when the window ends.
    """
    config = bdnf.BDNFConfig(release_reference=reference, **options)
    resolution = 0.01  # s of network time per schedule step
    edges, rates = [0.0], []
    if burst_start is None:
        edges.append(days * DAY)
        rates.append(8640.0)
    else:
        edges += [burst_start * DAY, burst_start * DAY + 6 * 3600, days * DAY]
        rates += [8640.0, 360.0, 8640.0]
    sim_edges = np.concatenate([[0.0], np.cumsum(np.diff(edges) / rates)])
    steps = int(np.ceil(sim_edges[-1] / resolution))
    t_mid = (np.arange(steps) + 0.5) * resolution
    segment = np.clip(np.searchsorted(sim_edges, t_mid, side="right") - 1, 0, len(rates) - 1)
    rate = np.asarray(rates)[segment]
    bio = np.asarray(edges)[segment] + (t_mid - sim_edges[segment]) * rate
    activity = np.array([profile(b / DAY) for b in bio]) * SET_POINT

    with brian_backend("numpy", 1 * brian2.ms):
        dt = resolution * brian2.second
        namespace = bdnf.bdnf_namespace(config, direct_route=False)
        namespace.update(
            time_rate=brian2.TimedArray(rate, dt=dt),
            stress_bdnf_factor=brian2.TimedArray([1.0], dt=dt),
            occupancy_exc=brian2.TimedArray([0.0], dt=dt),
            drive=brian2.TimedArray(activity * brian2.Hz, dt=dt),
            set_point_window=window * brian2.second,
            fluctuation_start=FLUCTUATION_START * window * brian2.second,
        )
        # a 10 ms step (the network uses 1 ms): the compartment's fastest time is the
        # 1 s smoothing of the ratio
        cell = brian2.NeuronGroup(
            1, bdnf.SURGE_EQUATIONS, method="euler", namespace=namespace, dt=10 * brian2.ms
        )
        cell.pool_ratio = 1.0
        cell.pool_set_point = first_guess * SET_POINT * brian2.Hz
        cell.pool_reference = first_guess * SET_POINT * brian2.Hz
        cell.run_regularly("pool_activity = drive(t)", when="start")
        namespace["final_set_point"] = SET_POINT * brian2.Hz
        namespace["first_guess"] = first_guess
        cell.run_regularly(
            "pool_set_point = final_set_point"
            " * (first_guess + (1 - first_guess) * int(t >= set_point_window))",
            when="start",
        )
        monitor = brian2.StateMonitor(
            cell, ["synaptogenic", "theta", "pool_reference"], record=0, dt=10 * brian2.ms
        )
        brian2.run(steps * dt, namespace={})
        peak = float(np.max(monitor.synaptogenic[0]))
        if not monitor_theta:
            return peak
        return peak, np.asarray(monitor.t / brian2.second), np.asarray(monitor.theta[0])


def hypoactive_burst(day: float) -> float:
    return 0.35 * (2.7 if 1.0 <= day < 1.0 + 40 / 1440 else 1.0)


def healthy_burst(day: float) -> float:
    return 2.3 if 1.0 <= day < 1.0 + 40 / 1440 else 1.0


def slow_recovery(day: float) -> float:
    return 0.35 + 0.5 * np.clip((day - 1.0) / 5.0, 0.0, 1.0)


@pytest.mark.parametrize("reference", ["set_point", "recent"])
def test_a_healthy_burst_releases_against_either_reference(reference):
    assert surge_response(reference, healthy_burst, 1.5, burst_start=0.99) > 1e-3


def test_a_hypoactive_burst_releases_only_against_recent_firing():
    assert surge_response("set_point", hypoactive_burst, 1.5, burst_start=0.99) == 0.0
    assert surge_response("recent", hypoactive_burst, 1.5, burst_start=0.99) > 1e-3


@pytest.mark.parametrize("reference", ["set_point", "recent"])
def test_a_slow_recovery_releases_nothing(reference):
    assert surge_response(reference, slow_recovery, 7.0, burst_start=None) == 0.0


def steady(day: float) -> float:
    return 1.0


@pytest.mark.parametrize("reference", ["set_point", "recent"])
def test_no_surge_when_the_set_point_window_closes(reference):
    # the default window, 10 s of network time (setpoint.py), is 1 day at 1 day = 10 s
    peak = surge_response(reference, steady, 2.0, burst_start=None, first_guess=0.4, window=10.0)
    assert peak == 0.0


# --- the threshold from the tissue's fluctuations (release_threshold_from = "fluctuations") ---
# In the set-point window (20 s of network time = 2 days at 1 day = 10 s) the population
# firing alternates +-10 % around its set point every 2 s of network time; the 1 s
# smoothing leaves a known coefficient of variation, computed here from the same filter.
# After the window the threshold follows the ratio's running variance (6 h).
WINDOW = 20.0  # s of network time


def fluctuating(day: float, burst: float = 1.0, after: float = 0.0, burst_day: float = 2.02):
    """+-10 % in the window, +-``after`` from then on, and a 40-min ``burst``."""
    net = day * DAY / 8640.0  # network time before the session clock (rate 8640)
    amplitude = 0.1 if net < WINDOW else after
    if burst_day <= day < burst_day + 40 / 1440:
        return burst
    return 1.0 + amplitude * (1.0 if int(net // 2.0) % 2 == 0 else -1.0)


def smoothed_cv() -> float:
    """CV of the 1 s smoothed firing over the sampled part of the window (Euler, 10 ms)."""
    step, x, samples = 0.01, SET_POINT, []
    for k in range(int(WINDOW / step)):
        t = k * step
        x += step * (fluctuating(t * 8640.0 / DAY) * SET_POINT - x) / 1.0
        if t + step > FLUCTUATION_START * WINDOW:
            samples.append(x)
    return float(np.std(samples) / np.mean(samples))


def theta_after(after: float, days: float = 3.5) -> tuple[float, float]:
    """The threshold when the window closes and at ``days``, for fluctuations of +-after."""
    _, t, theta = surge_response(
        "set_point",
        lambda d: fluctuating(d, after=after, burst_day=99.0),
        days,
        burst_start=None,
        window=WINDOW,
        monitor_theta=True,
        release_threshold_from="fluctuations",
    )
    return float(theta[t > WINDOW][0]), float(theta[-1])


def test_the_threshold_starts_at_one_plus_n_sd_of_the_window_and_follows_the_fluctuations():
    cv = smoothed_cv()
    assert 0.03 < cv < 0.1  # the profile's fluctuations survive the smoothing
    start, same = theta_after(0.1)
    # the compartment samples the same filter on its own grid: equal within 1 %
    assert start - 1.0 == pytest.approx(3.0 * cv, rel=0.01)
    _, steady = theta_after(0.0)
    _, double = theta_after(0.2)
    # 1.5 days = 6 reference times later: the same fluctuations keep it, none lower it,
    # twice as large ones double its excess over 1
    assert same - 1.0 == pytest.approx(start - 1.0, rel=0.2)
    assert steady - 1.0 < 0.1 * (start - 1.0)
    assert double - 1.0 == pytest.approx(2 * (start - 1.0), rel=0.25)


@pytest.mark.parametrize("sds, releases", [(2.0, False), (5.0, True)])
def test_a_burst_releases_only_beyond_n_sd(sds, releases):
    cv = smoothed_cv()
    peak = surge_response(
        "set_point",
        lambda d: fluctuating(d, burst=1.0 + sds * cv, after=0.1),
        2.5,
        burst_start=2.01,
        window=WINDOW,
        release_threshold_from="fluctuations",
    )
    assert (peak > 1e-4) is releases


def test_a_window_too_short_to_sample_the_fluctuations_is_a_clear_error():
    from neuroplast.config.experiment import config_from_dict
    from neuroplast.schema import ConfigError

    data = {
        "bdnf": {"release_threshold_from": "fluctuations"},
        "set_point": {"window": "3 s", "settle": "1 s"},
    }
    with pytest.raises(ConfigError, match=r"set_point.window > '4 s', got '3 s'"):
        config_from_dict(data)
