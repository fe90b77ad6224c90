"""The population rate's power spectrum (Welch) and its power in frequency bands.

Rate spectrum (Welch 1967)
--------------------------
The population rate r(t) (Hz, sampled every dt) is cut into segments of ``segment``
seconds with 50 % overlap; each segment has its mean removed and is multiplied by a
periodic Hann window w_n = 0.5 - 0.5 cos(2 pi n / M) (M samples per segment).  The
one-sided power spectral density at f_k = k / (M dt) is the mean over segments of::

    P(f_k) = c_k |sum_n w_n x_n exp(-2 pi i k n / M)|^2 / (f_s sum_n w_n^2),   f_s = 1/dt

with c_k = 2 except c_0 = 1 and c_{M/2} = 1 (the Nyquist bin of an even M), so P is in
Hz^2/Hz (rate^2 per frequency).  By Parseval's theorem for the DFT,
``sum_k P(f_k) df = sum_n w_n^2 x_n^2 / sum_n w_n^2`` for each segment (df = 1/(M dt)):
the integral of the PSD over frequency is the window-weighted mean square of the
demeaned segments, i.e. the variance of a stationary signal (exactly its variance for a
rectangular window).  This is the normalisation of ``scipy.signal.welch(...,
scaling='density')``; scipy is not a dependency of the package, so it is written out here.

Bands (Hz)
----------
=========== ========= ===================================================================
band        range     why
=========== ========= ===================================================================
gamma       30-80     subanaesthetic ketamine raises gamma power: human EEG, gamma 40-85 Hz
                      up and delta 1-5 Hz down (Hong et al 2010 Neuropsychopharmacology
                      35:632 [V abstract, PMC3055615; volume/page M]); MEG, 0.5 mg/kg IV,
                      gamma amplitude up and visual peak gamma frequency down (Shaw et al
                      2015 Eur Neuropsychopharmacol [V abstract]); resting MEG gamma up in
                      depressed and healthy subjects (Nugent et al 2019 Mol Psychiatry
                      [M]); resting EEG gamma up, delta/theta and alpha down, with CADSS
                      (de la Salle et al 2016 Front Pharmacol 7:348 [V abstract]).
                      Rodents: ketamine <= 10 mg/kg s.c. raises wake-related 30-80 Hz ECoG
                      gamma power by 200-400 % (Pinault 2008 Biol Psychiatry, PMID
                      18022604 [V abstract]); generalised, persistent aberrant gamma after
                      NMDAR antagonists (Hakami et al 2009 PLoS One [V title; M details]).
low         1-8       delta/theta, lowered by ketamine (Hong 2010; de la Salle 2016;
                      alpha and other low-frequency power down at 0.5 mg/kg over 40 min,
                      Vlisides et al 2018 Br J Anaesth 121:249 [V abstract])
total       1-100     reference for the relative gamma power (gamma / total)
=========== ========= ===================================================================

The network's population rate is not an EEG: it is a proxy of the summed pyramidal
activity that dominates the field potential [D].  Compare directions and peak
frequencies with the literature, not absolute powers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from brian2 import Quantity, have_same_dimensions
from brian2.units import hertz, second

from neuroplast.units import finite_array

__all__ = [
    "BANDS",
    "GAMMA_BAND",
    "LOW_BAND",
    "TOTAL_BAND",
    "band_power",
    "peak_frequency",
    "rate_spectrum",
]

#: Gamma band (Hz): Pinault 2008 (rat ECoG, 30-80 Hz); Hong 2010 (human EEG, 40-85 Hz).
GAMMA_BAND = (30.0, 80.0)
#: Delta/theta band (Hz), lowered by subanaesthetic ketamine (Hong 2010; de la Salle 2016).
LOW_BAND = (1.0, 8.0)
#: Reference band of the relative gamma power (Hz).
TOTAL_BAND = (1.0, 100.0)
#: Named default bands, in Hz.
BANDS: Mapping[str, tuple[float, float]] = {
    "gamma": GAMMA_BAND,
    "low": LOW_BAND,
    "total": TOTAL_BAND,
}


def _seconds(value: Any, name: str) -> float:
    """A positive, finite time in seconds from a brian2 quantity or a plain number (s)."""
    if isinstance(value, Quantity):
        if not have_same_dimensions(value, second):
            raise ValueError(f"{name} = {value!r}: expected a time (e.g. 1*ms or 0.001 s)")
        value = float(value / second)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r}: expected a time in seconds") from None
    if not (np.isfinite(seconds) and seconds > 0):
        raise ValueError(f"{name} = {value!r}: expected a finite time > 0 (seconds)")
    return seconds


def _hann(length: int) -> np.ndarray:
    """Periodic Hann window of ``length`` samples (sums to a constant at 50 % overlap)."""
    n = np.arange(length)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / length)


def _segments(x: np.ndarray, length: int, overlap: float) -> np.ndarray:
    """Rows of ``length`` samples starting every ``length - overlap*length`` samples."""
    step = max(1, length - int(overlap * length))
    starts = np.arange(0, x.size - length + 1, step)
    return np.stack([x[s : s + length] for s in starts])


def rate_spectrum(
    rate: Any,
    dt: Any,
    segment: Any = 0.5,
    overlap: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """One-sided power spectral density of a population-rate signal (Welch's method).

    Parameters
    ----------
    rate : array_like or brian2.Quantity
        Population rate (Hz) at steps of ``dt``, 1-D, at least 4 samples.
    dt : float or brian2.Quantity
        Sampling step (plain numbers: seconds), e.g. ``recording.rate_bin``.
    segment : float or brian2.Quantity
        Segment length (plain: seconds); sets the resolution df = 1/segment (0.5 s: 2 Hz).
        A signal shorter than one segment is analysed as a single segment.
    overlap : float
        Fraction of a segment shared with the next, in [0, 1) (Welch 1967: 0.5 with Hann).

    Returns
    -------
    freqs : numpy.ndarray
        0, df, ..., up to the Nyquist frequency 1/(2 dt) (for an even segment length).
    psd : numpy.ndarray
        Hz^2/Hz.  Normalised so that ``sum(psd) * df`` equals the Hann-weighted mean
        square of the demeaned segments, i.e. the signal variance for a stationary
        signal (Parseval; module docstring).  Same normalisation as
        ``scipy.signal.welch(x, fs, window='hann', scaling='density')``.

    References
    ----------
    Welch PD 1967 IEEE Trans Audio Electroacoust 15:70 [M page].
    """
    x = finite_array(rate, "rate", hertz)
    if x.ndim != 1:
        raise ValueError(f"rate: expected a 1-D time series, got shape {x.shape}")
    if x.size < 4:
        raise ValueError(f"rate: expected at least 4 samples, got {x.size}")
    step = _seconds(dt, "dt")
    length = min(x.size, max(4, round(_seconds(segment, "segment") / step)))
    if not 0 <= overlap < 1:
        raise ValueError(f"overlap = {overlap!r}: expected a fraction in [0, 1)")

    rows = _segments(x, length, overlap)
    rows = rows - rows.mean(axis=1, keepdims=True)
    window = _hann(length)
    spectra = np.abs(np.fft.rfft(rows * window, axis=1)) ** 2
    psd = spectra.mean(axis=0) / ((1.0 / step) * np.sum(window**2))
    psd[1:] *= 2.0
    if length % 2 == 0:
        psd[-1] /= 2.0  # the Nyquist bin has no negative-frequency twin
    return np.fft.rfftfreq(length, step), psd


def _band(band: str | tuple[float, float], freqs: np.ndarray) -> tuple[float, float]:
    """Resolve a band name or (low, high) pair and check it against the spectrum."""
    if isinstance(band, str):
        if band not in BANDS:
            raise ValueError(f"band = {band!r}: expected one of {', '.join(BANDS)} or (low, high)")
        name, (low, high) = band, BANDS[band]
    else:
        try:
            low, high = (float(edge) for edge in band)
        except (TypeError, ValueError):
            raise ValueError(
                f"band = {band!r}: expected a name or a (low, high) pair in Hz"
            ) from None
        name = f"({low:g}, {high:g})"
    top = float(freqs[-1])
    if not low < high:
        raise ValueError(f"band {name}: low = {low:g} Hz must be below high = {high:g} Hz")
    if not (0 < low and high <= top):
        raise ValueError(
            f"band {name} = {low:g}-{high:g} Hz: expected 0 < low < high <= {top:g} Hz "
            f"(the spectrum's Nyquist frequency; a smaller sampling step reaches higher)"
        )
    return low, high


def _spectrum_arrays(freqs: Any, psd: Any) -> tuple[np.ndarray, np.ndarray]:
    f = finite_array(freqs, "freqs")
    p = finite_array(psd, "psd")
    if f.ndim != 1 or f.shape != p.shape:
        raise ValueError(f"freqs {f.shape} and psd {p.shape}: expected 1-D arrays of one shape")
    if f.size < 2 or np.any(np.diff(f) <= 0):
        raise ValueError("freqs: expected at least 2 strictly increasing frequencies")
    return f, p


def band_power(freqs: Any, psd: Any, band: str | tuple[float, float]) -> float:
    """Power of the signal in a frequency band: the integral of the PSD from low to high.

    Parameters
    ----------
    freqs, psd : array_like
        A spectrum as returned by :func:`rate_spectrum` (Hz; Hz^2/Hz).
    band : str or (float, float)
        A name of :data:`BANDS` ('gamma', 'low', 'total') or (low, high) in Hz with
        0 < low < high <= the highest frequency of the spectrum.

    Returns
    -------
    float
        Hz^2 (trapezoidal integral, the PSD interpolated linearly at the band edges, so
        a flat PSD of level s gives exactly s * (high - low)).

    Raises
    ------
    ValueError
        Naming the band and its edges when low >= high or the band leaves (0, Nyquist].
    """
    f, p = _spectrum_arrays(freqs, psd)
    low, high = _band(band, f)
    inside = (f > low) & (f < high)
    grid = np.concatenate(([low], f[inside], [high]))
    values = np.interp(grid, f, p)
    return float(np.trapezoid(values, grid))


def peak_frequency(freqs: Any, psd: Any, band: str | tuple[float, float] = "gamma") -> float:
    """Frequency of the largest PSD bin inside ``band`` (resolution: one bin, df).

    Parameters
    ----------
    freqs, psd : array_like
        A spectrum (:func:`rate_spectrum`).
    band : str or (float, float)
        As in :func:`band_power`.

    Returns
    -------
    float
        Hz; NaN when no bin lies inside the band (a band narrower than df).
    """
    f, p = _spectrum_arrays(freqs, psd)
    low, high = _band(band, f)
    inside = np.nonzero((f >= low) & (f <= high))[0]
    if inside.size == 0:
        return float("nan")
    return float(f[inside[np.argmax(p[inside])]])
