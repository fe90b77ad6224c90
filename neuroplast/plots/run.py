"""Figures of one run: spike raster, population rates and the slow variables (PNG).

Made outside pyplot (:mod:`neuroplast.plots.figure`): with ``path=None`` a plot returns
its figure; the one-panel plots also draw into an axes given as ``ax=``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from neuroplast.plots.figure import finish, new_figure
from neuroplast.simulation.recording import Recording

__all__ = ["plot_raster", "plot_rates", "plot_run", "plot_slow"]


EXC_COLOUR = "#c0392b"
INH_COLOUR = "#2471a3"


def plot_raster(
    rec: Recording,
    path: Path | None = None,
    window: float = 2.0,
    max_neurons: int = 500,
    *,
    ax=None,
) -> Path | Figure:
    """Raster of the last ``window`` seconds, at most ``max_neurons`` per population drawn."""
    t0 = max(0.0, rec.duration - window)
    fig, ax = new_figure(figsize=(9, 4.5)) if ax is None else (ax.figure, ax)
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
    return finish(fig, path)


def _smooth(rate: np.ndarray, width: int) -> np.ndarray:
    if width <= 1 or len(rate) < width:
        return rate
    kernel = np.ones(width) / width
    return np.convolve(rate, kernel, mode="same")


def plot_rates(
    rec: Recording, path: Path | None = None, smooth: float = 0.01, *, ax=None
) -> Path | Figure:
    """Population rates over the whole run (boxcar-smoothed over ``smooth`` seconds)."""
    bin_width = rec.rate_t[1] - rec.rate_t[0] if len(rec.rate_t) > 1 else rec.dt
    width = max(1, int(round(smooth / bin_width)))
    fig, ax = new_figure(figsize=(9, 3.5)) if ax is None else (ax.figure, ax)
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
    return finish(fig, path)


def _per_day(days: np.ndarray, cumulative: np.ndarray, width: float = 0.25):
    """Events per day in fixed biological bins of ``width`` days (samples are uneven)."""
    edges = np.arange(days[0], days[-1] + 1e-9, width)
    if len(edges) < 2:
        return np.zeros(0), np.zeros(0)
    counts = np.interp(edges, days, cumulative)
    return 0.5 * (edges[1:] + edges[:-1]), np.diff(counts) / width


def plot_slow(rec: Recording, path: Path | None = None) -> Path | Figure:
    """Slow mechanisms over biological time: drug, BDNF, E->E synapses, turnover."""
    slow, sched = rec.slow, rec.schedules
    days = slow["bio_days"]
    has_structure = "n_alive" in slow
    fig, axes = new_figure(
        4 if has_structure else 2, 1, figsize=(9, 10 if has_structure else 5), sharex=True
    )
    ax = axes[0]
    ax.plot(sched["bio_days"], sched["concentration_uM"], color="k", lw=1, label="brain conc.")
    ax.set_ylabel("ketamine (uM)")
    twin = ax.twinx()
    # the simulated block when trapping is on, else the equilibrium occupancy schedule
    block = slow if "occupancy_exc" in slow else sched
    twin.plot(block["bio_days"], block["occupancy_exc"], color=EXC_COLOUR, lw=1, label="f_E")
    twin.plot(block["bio_days"], block["occupancy_inh"], color=INH_COLOUR, lw=1, label="f_I")
    twin.fill_between(
        sched["bio_days"], 0, sched["stress_level"], color="0.85", step="mid", label="stress level"
    )
    twin.set_ylim(0, 1.05)
    twin.set_ylabel("NMDA occupancy / stress")
    twin.legend(loc="upper right", fontsize=8)
    ax.set_title("Drug, receptor occupancy and stress")
    ax = axes[1]
    ax.plot(days, slow["bdnf"].mean(axis=0), color="#7d3c98", lw=1, label="BDNF")
    ax.plot(
        days, slow["trkb_signal"].mean(axis=0), color="#1e8449", lw=1.5, label="TrkB-mTOR signal"
    )
    ax.axhline(1, color="k", lw=0.6, ls=":")
    ax.set_ylabel("mean over E cells\n(1 = baseline)")
    ax.legend(loc="upper right", fontsize=8)
    if has_structure:
        count = slow["n_alive"].sum(axis=0)
        axes[2].plot(days, count, color=EXC_COLOUR)
        axes[2].set_ylabel("E->E synapses")
        for name, colour, label in (
            ("formed", "#1e8449", "formed"),
            ("eliminated", "#922b21", "eliminated"),
        ):
            mid, per_day = _per_day(days, slow[name].sum(axis=0))
            axes[3].plot(mid, 100 * per_day / count.mean(), color=colour, lw=1, label=label)
        axes[3].set_ylabel("% of synapses per day\n(6 h bins)")
        axes[3].legend(loc="upper right", fontsize=8)
    axes[-1].set_xlabel("biological time (days)")
    fig.tight_layout()
    return finish(fig, path)


def plot_run(
    rec: Recording, out_dir: Path, raster_window: float = 2.0, *, spikes: bool = True
) -> list[Path]:
    """Draw every figure of one run into ``out_dir``; return the paths written.

    ``spikes=False`` (the run did not record spikes, ``recording.spikes = false``) leaves
    the raster out: an empty raster would read as a silent network.
    """
    out_dir = Path(out_dir)
    paths = []
    if spikes:
        paths.append(plot_raster(rec, out_dir / "raster.png", window=raster_window))
    paths.append(plot_rates(rec, out_dir / "rates.png"))
    if rec.slow:
        paths.append(plot_slow(rec, out_dir / "slow.png"))
    return paths
