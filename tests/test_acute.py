"""Acute read-outs: Welch spectrum, band powers, readout dict, dissociation proxy.

Fast: synthetic signals and the exact PK only, no network simulation.
"""

from __future__ import annotations

import brian2
import numpy as np
import pytest
from pydantic import ValidationError

from neuroplast.analysis.acute import acute_readouts
from neuroplast.analysis.spectrum import BANDS, band_power, peak_frequency, rate_spectrum
from neuroplast.model.dissociation import (
    DissociationConfig,
    dissociation_index,
    dissociation_timecourse,
)
from neuroplast.model.pharmacology import DrugCurves, PharmacologyConfig, pharmacology_timecourse

DT = 1e-3  # s, the default recording.rate_bin
MINUTE = 60.0
INFUSION_END = 40 * MINUTE


def _signal(seconds: float, freq: float, amplitude: float, noise: float, seed: int = 1):
    rng = np.random.default_rng(seed)
    t = np.arange(0, seconds, DT)
    return 10 + amplitude * np.sin(2 * np.pi * freq * t) + noise * rng.standard_normal(t.size)


def _infusion(dose_mg_per_kg: float) -> PharmacologyConfig:
    return PharmacologyConfig(doses=[{"dose": f"{dose_mg_per_kg} mg/kg", "duration": "40 min"}])


# --------------------------------------------------------------------------- spectrum


@pytest.mark.parametrize("freq", [40.0, 41.3])
def test_sinusoid_peaks_at_its_frequency_within_one_bin(freq):
    freqs, psd = rate_spectrum(_signal(10.0, freq, 5.0, 3.0), DT, segment=0.5)
    df = freqs[1] - freqs[0]
    assert df == pytest.approx(2.0)
    assert abs(freqs[np.argmax(psd)] - freq) <= df
    assert abs(peak_frequency(freqs, psd, "gamma") - freq) <= df


def test_brian2_quantities_are_accepted():
    rate = _signal(4.0, 40.0, 5.0, 1.0) * brian2.Hz
    freqs, psd = rate_spectrum(rate, 1 * brian2.ms, segment=500 * brian2.ms)
    assert freqs[-1] == pytest.approx(500.0)
    assert freqs[np.argmax(psd)] == pytest.approx(40.0)


@pytest.mark.parametrize("segment", [0.25, 0.5, 1.0])
def test_parseval_integrated_psd_equals_variance(segment):
    x = _signal(20.0, 40.0, 5.0, 3.0)
    freqs, psd = rate_spectrum(x, DT, segment=segment)
    df = freqs[1] - freqs[0]
    assert np.sum(psd) * df == pytest.approx(np.var(x), rel=0.03)
    assert band_power(freqs, psd, (df, freqs[-1])) == pytest.approx(np.var(x), rel=0.03)


def test_single_segment_with_flat_window_region_is_exact_parseval():
    # a signal as long as one segment: sum(psd) df is the Hann-weighted mean square
    x = _signal(0.5, 40.0, 5.0, 3.0)
    freqs, psd = rate_spectrum(x, DT, segment=0.5)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(x.size) / x.size)
    y = x - x.mean()
    expected = np.sum(w**2 * y**2) / np.sum(w**2)
    assert np.sum(psd) * (freqs[1] - freqs[0]) == pytest.approx(expected, rel=1e-10)


def test_white_noise_is_flat_band_powers_scale_with_bandwidth():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(200_000)  # 200 s at 1 ms
    freqs, psd = rate_spectrum(x, DT, segment=0.5)
    # flat at the two-sided white-noise level 2 sigma^2 dt (one-sided density)
    assert np.median(psd[1:-1]) == pytest.approx(2 * DT, rel=0.05)
    gamma = band_power(freqs, psd, "gamma")
    low = band_power(freqs, psd, "low")
    widths = (BANDS["gamma"][1] - BANDS["gamma"][0]) / (BANDS["low"][1] - BANDS["low"][0])
    assert gamma / low == pytest.approx(widths, rel=0.08)


def test_flat_psd_band_power_is_level_times_bandwidth():
    freqs = np.arange(0, 501, 2.0)
    psd = np.full(freqs.shape, 3.0)
    assert band_power(freqs, psd, "gamma") == pytest.approx(3.0 * 50)
    assert band_power(freqs, psd, (1.0, 8.0)) == pytest.approx(3.0 * 7)
    assert band_power(freqs, psd, (33.3, 33.7)) == pytest.approx(3.0 * 0.4)


@pytest.mark.parametrize(
    ("band", "message"),
    [
        ((80.0, 30.0), r"band \(80, 30\): low = 80 Hz must be below high = 30 Hz"),
        ((40.0, 40.0), r"low = 40 Hz must be below high = 40 Hz"),
        ((0.0, 8.0), r"band \(0, 8\) = 0-8 Hz: expected 0 < low < high <= 500 Hz"),
        ((-1.0, 8.0), r"expected 0 < low < high <= 500 Hz"),
        ((30.0, 600.0), r"band \(30, 600\) = 30-600 Hz: expected .* <= 500 Hz"),
        ("beta", r"band = 'beta': expected one of gamma, low, total"),
        ((1.0,), r"band = \(1.0,\): expected a name or a \(low, high\) pair"),
    ],
)
def test_bad_bands_are_rejected(band, message):
    freqs, psd = rate_spectrum(_signal(2.0, 40.0, 5.0, 1.0), DT)
    with pytest.raises(ValueError, match=message):
        band_power(freqs, psd, band)


def test_total_band_above_nyquist_is_rejected_for_coarse_sampling():
    freqs, psd = rate_spectrum(_signal(4.0, 20.0, 5.0, 1.0), 0.01)  # Nyquist 50 Hz
    with pytest.raises(ValueError, match=r"band total = 1-100 Hz: .*<= 50 Hz"):
        band_power(freqs, psd, "total")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": [1.0, 2.0, 3.0]}, "rate: expected at least 4 samples, got 3"),
        ({"rate": np.ones((10, 2))}, r"rate: expected a 1-D time series, got shape \(10, 2\)"),
        ({"rate": [1.0, np.nan, 1.0, 1.0]}, "rate: expected finite values"),
        ({"dt": 0.0}, r"dt = 0.0: expected a finite time > 0"),
        ({"dt": 1 * brian2.mV}, r"dt = .*: expected a time"),
        ({"segment": -1.0}, r"segment = -1.0: expected a finite time > 0"),
        ({"overlap": 1.0}, r"overlap = 1.0: expected a fraction in \[0, 1\)"),
    ],
)
def test_bad_spectrum_arguments_are_rejected(kwargs, message):
    args = {"rate": np.ones(100), "dt": DT, **kwargs}
    with pytest.raises(ValueError, match=message):
        rate_spectrum(**args)


# --------------------------------------------------------------------------- readouts


def test_acute_readouts_of_a_gamma_rhythm():
    rate_exc = _signal(4.0, 40.0, 6.0, 2.0, seed=2)
    rate_inh = _signal(4.0, 40.0, 10.0, 2.0, seed=3) + 10
    g_exc, g_inh = np.full((4000, 3), 2.0), np.full((4000, 3), 8.0)
    out = acute_readouts(rate_exc, rate_inh, DT, g_exc, g_inh)
    assert out["rate_exc_hz"] == pytest.approx(10.0, abs=0.2)
    assert out["rate_inh_hz"] == pytest.approx(20.0, abs=0.2)
    assert out["gamma_peak_hz"] == pytest.approx(40.0)
    assert out["gamma_power_hz2"] > 10 * out["low_power_hz2"]
    assert 0.5 < out["relative_gamma"] <= 1.0
    assert out["ei_conductance_ratio"] == pytest.approx(0.25)


def test_acute_readouts_without_conductances_and_degenerate_inputs():
    flat = np.full(1000, 5.0)
    out = acute_readouts(flat, flat, DT)
    assert "ei_conductance_ratio" not in out
    assert out["gamma_power_hz2"] == 0.0
    assert np.isnan(out["relative_gamma"])
    with pytest.raises(ValueError, match="g_inh is missing"):
        acute_readouts(flat, flat, DT, g_exc=np.ones(3))
    with pytest.raises(ValueError, match="spectrum_of = 'both'"):
        acute_readouts(flat, flat, DT, spectrum_of="both")
    ratio = acute_readouts(flat, flat, DT, np.ones(5), np.zeros(5))["ei_conductance_ratio"]
    assert np.isnan(ratio)


# --------------------------------------------------------------------------- dissociation


def test_index_is_zero_without_drug_half_at_theta_and_bounded():
    cfg = DissociationConfig()
    assert dissociation_index(0.0, 0.0) == 0.0
    assert dissociation_index(0.0, cfg.half_max_occupancy) == pytest.approx(0.5)
    f = np.linspace(0, 1, 101)
    index = dissociation_index(f, f)
    assert np.all(np.diff(index) > 0)
    assert 0 <= index.min() and index.max() < 1


def test_interneuron_weight_mixes_the_two_occupancies():
    only_exc = DissociationConfig(interneuron_weight=0.0)
    half = DissociationConfig(interneuron_weight=0.5)
    assert dissociation_index(0.3, 0.9, only_exc) == pytest.approx(0.5)
    assert dissociation_index(0.1, 0.5, half) == pytest.approx(0.5)


def test_bad_occupancies_are_rejected():
    with pytest.raises(ValueError, match=r"occupancy_inh: expected occupancies .* \[0, 1\]"):
        dissociation_index(0.1, 1.2)
    with pytest.raises(ValueError, match="occupancy_exc: expected finite values"):
        dissociation_index(np.nan, 0.1)


@pytest.fixture(scope="module")
def courses():
    times = np.arange(0, 8 * 3600 + 1, 30.0)
    doses = (0.1, 0.25, 0.5, 0.75)
    return {dose: dissociation_timecourse(times, _infusion(dose)) for dose in doses}


def test_peak_index_increases_with_dose(courses):
    peaks = [courses[dose].peak for dose in sorted(courses)]
    assert np.all(np.diff(peaks) > 0)
    assert 0.4 < courses[0.5].peak < 0.9  # the standard dose dissociates clearly, not maximally
    assert courses[0.1].peak < 0.1


@pytest.mark.parametrize("dose", [0.1, 0.25, 0.5, 0.75])
def test_index_peaks_at_the_end_of_the_infusion(courses, dose):
    assert abs(courses[dose].peak_time - INFUSION_END) <= 15 * MINUTE


@pytest.mark.parametrize("dose", [0.1, 0.25, 0.5, 0.75])
def test_index_resolves_within_three_hours_of_the_end(courses, dose):
    resolved = courses[dose].resolution_time()  # below 10 % of the peak
    assert INFUSION_END < resolved <= INFUSION_END + 3 * 3600
    later = courses[dose].times >= resolved
    assert np.all(courses[dose].index[later] < 0.1 * courses[dose].peak)


def test_standard_dose_resolves_about_two_hours_after_the_start(courses):
    resolved = courses[0.5].resolution_time()
    assert 90 * MINUTE <= resolved <= 150 * MINUTE


def test_timecourse_sources_agree_drug_curves_config_and_experiment():
    pharm = _infusion(0.5)
    times = np.arange(0, 4 * 3600 + 1, 60.0)

    def timecourse(bio_seconds):
        course = pharmacology_timecourse(bio_seconds, pharm)
        return {
            "concentration_uM": course.brain_concentration["ketamine"],
            "occupancy_exc": course.occupancy["exc"],
            "occupancy_inh": course.occupancy["inh"],
        }

    curves = DrugCurves(session_times=[0.0], timecourse=timecourse)

    class _Experiment:
        pharmacology = pharm

    expected = dissociation_timecourse(times, pharm).index
    np.testing.assert_allclose(dissociation_timecourse(times, curves).index, expected)
    np.testing.assert_allclose(dissociation_timecourse(times, _Experiment()).index, expected)
    np.testing.assert_allclose(
        dissociation_timecourse(times * brian2.second, pharm).index, expected
    )


def test_default_grid_spans_follow_up_after_last_dose():
    cfg = DissociationConfig(sample_step="2 min", follow_up="3 h")
    course = dissociation_timecourse(None, _infusion(0.5), cfg)
    assert course.times[0] == 0.0
    assert course.times[-1] == pytest.approx(3 * 3600)
    assert np.diff(course.times) == pytest.approx(np.full(course.times.size - 1, 120.0))
    assert course.peak_time == pytest.approx(INFUSION_END)


def test_no_drug_gives_zero_index_and_no_resolution():
    course = dissociation_timecourse(np.arange(0, 3600, 60.0), DrugCurves())
    assert course.peak == 0.0
    assert np.isnan(course.resolution_time())
    with pytest.raises(ValueError, match="bio_times = None needs a dose schedule"):
        dissociation_timecourse(None, PharmacologyConfig())


def test_bad_timecourse_arguments_are_rejected():
    with pytest.raises(TypeError, match="curves_or_cfg: expected DrugCurves"):
        dissociation_timecourse([0.0, 1.0], {"doses": []})
    with pytest.raises(ValueError, match="bio_times: expected a 1-D array of strictly"):
        dissociation_timecourse([0.0, 0.0, 1.0], _infusion(0.5))
    with pytest.raises(ValueError, match="fraction = 1.5"):
        dissociation_timecourse([0.0, 60.0], _infusion(0.5)).resolution_time(1.5)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"half_max_occupancy": 1.5}, r"half_max_occupancy\n.*less than 1.*input_value=1.5"),
        ({"half_max_occupancy": 0}, r"half_max_occupancy\n.*greater than 0"),
        ({"hill": -2}, r"hill\n.*greater than 0.*input_value=-2"),
        ({"interneuron_weight": 1.2}, r"interneuron_weight\n.*less than or equal to 1"),
        ({"resolved_fraction": 0}, r"resolved_fraction\n.*greater than 0"),
        ({"sample_step": "0 min"}, r"sample_step\n.*must be > 0 \(got '0 min'\)"),
        ({"follow_up": "6 mV"}, r"follow_up\n.*'6 mV' is not a value in h"),
        ({"half_max": 0.3}, r"half_max\n.*Extra inputs are not permitted"),
    ],
)
def test_bad_config_values_are_rejected_naming_the_key(data, message):
    with pytest.raises(ValidationError, match=message):
        DissociationConfig.model_validate(data)
