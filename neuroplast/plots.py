"""Figures of one run: spike raster and population rates (matplotlib, PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neuroplast.recording import Recording  # noqa: E402

__all__ = ["plot_raster", "plot_rates", "plot_run"]

EXC_COLOUR = "#c0392b"
INH_COLOUR = "#2471a3"


def _save(fig, path: Path) -> Path:
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    tmp.replace(path)
    return path


def plot_raster(rec: Recording, path: Path, window: float = 2.0, max_neurons: int = 500) -> Path:
    """Raster of the last ``window`` seconds, at most ``max_neurons`` per population drawn."""
    t0 = max(0.0, rec.duration - window)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ne, ni = rec.n_exc, rec.n_inh
    show_e = min(ne, int(max_neurons * 0.8))
    show_i = min(ni, max_neurons - show_e)
    sel_t = rec.spike_t >= t0
    e = sel_t & (rec.spike_i < show_e)
    i = sel_t & (rec.spike_i >= ne) & (rec.spike_i < ne + show_i)
    ax.plot(rec.spike_t[e], rec.spike_i[e], ".", ms=1.5, color=EXC_COLOUR, label="excitatory")
    ax.plot(
        rec.spike_t[i],
        rec.spike_i[i] - ne + show_e,
        ".",
        ms=1.5,
        color=INH_COLOUR,
        label="inhibitory",
    )
    ax.set_xlim(t0, rec.duration)
    ax.set_ylim(-1, show_e + show_i)
    ax.set_xlabel("network time (s)")
    ax.set_ylabel("neuron (E first, then I)")
    ax.set_title(f"Spike raster: {show_e} of {ne} E and {show_i} of {ni} I neurons")
    ax.legend(loc="upper right", markerscale=6, frameon=True)
    return _save(fig, path)


def _smooth(rate: np.ndarray, width: int) -> np.ndarray:
    if width <= 1 or len(rate) < width:
        return rate
    kernel = np.ones(width) / width
    return np.convolve(rate, kernel, mode="same")


def plot_rates(rec: Recording, path: Path, smooth: float = 0.01) -> Path:
    """Population rates over the whole run (boxcar-smoothed over ``smooth`` seconds)."""
    bin_width = rec.rate_t[1] - rec.rate_t[0] if len(rec.rate_t) > 1 else rec.dt
    width = max(1, int(round(smooth / bin_width)))
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.plot(
        rec.rate_t,
        _smooth(rec.rate_exc, width),
        color=EXC_COLOUR,
        lw=0.8,
        label=f"excitatory (mean {rec.rate_exc.mean():.1f} Hz)",
    )
    ax.plot(
        rec.rate_t,
        _smooth(rec.rate_inh, width),
        color=INH_COLOUR,
        lw=0.8,
        label=f"inhibitory (mean {rec.rate_inh.mean():.1f} Hz)",
    )
    ax.set_xlabel("network time (s)")
    ax.set_ylabel(f"population rate (Hz, {smooth * 1000:g} ms boxcar)")
    ax.set_xlim(0, rec.duration)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right")
    ax.set_title("Population firing rates")
    return _save(fig, path)


def plot_run(rec: Recording, out_dir: Path, raster_window: float = 2.0) -> list[Path]:
    """Draw every figure of one run into ``out_dir``; return the paths written."""
    out_dir = Path(out_dir)
    return [
        plot_raster(rec, out_dir / "raster.png", window=raster_window),
        plot_rates(rec, out_dir / "rates.png"),
    ]
