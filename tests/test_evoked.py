"""The therapy read-outs (analysis/evoked.py): evoked rates inside and between the pulses.

* On synthetic spikes with known rates (driven cells at 30 Hz inside the pulses and 5 Hz
  between them, the other cells at 5 Hz throughout) the read-outs return those rates,
  counted in the exact pulse windows the input uses (therapy.pulse_windows).
* In a simulated run, a session's pulses raise the driven cells' rate inside the pulses
  above their rate between the pulses and above the other cells' rate inside the pulses,
  and the read-outs are the same whether or not the run records every spike.
"""

from __future__ import annotations

import numpy as np
import pytest

from neuroplast.analysis.evoked import therapy_readouts
from neuroplast.model.therapy import InputSession, TherapyConfig, pulse_windows, slow_windows
from neuroplast.model.timescale import TimescaleConfig, build_time_map


def _time_map(cfg: TherapyConfig):
    return build_time_map(
        TimescaleConfig(enabled=True, bio_duration="1 day"), [], slow_windows(cfg)
    )


def _poisson(rng, cells, rate, windows):
    i, t = [], []
    for a, b in windows:
        counts = rng.poisson(rate * (b - a), len(cells))
        i.append(np.repeat(cells, counts))
        t.append(rng.uniform(a, b, counts.sum()))
    return np.concatenate(i), np.concatenate(t)


def test_the_read_outs_recover_known_rates_in_the_exact_pulse_windows():
    # 40 driven cells x 60 pulses x 0.2 s x 30 Hz ~ 14 400 spikes inside the pulses: a
    # relative Poisson SD of ~0.8 %, so 3 % is ~4 SD; between pulses 40 x 48 s x 5 Hz
    # ~ 9 600 spikes (SD 1 %), the other 160 cells inside the pulses ~ 9 600 (SD 1 %).
    rng = np.random.default_rng(11)
    n_exc, driven = 200, np.arange(0, 200, 5)
    session = InputSession(start="0.5 days", duration="1 h", assembly="a")
    cfg = TherapyConfig(sessions=[session])
    time_map = _time_map(cfg)
    t0, t1, pulses = pulse_windows(session, cfg, time_map.sim_at)
    assert len(pulses) == 60 and t1 - t0 == pytest.approx(60.0)
    gaps = [(b, a2) for (_, b), (a2, _) in zip(pulses, [*pulses[1:], (t1, t1)], strict=True)]
    others = np.setdiff1d(np.arange(n_exc), driven)
    parts = [
        _poisson(rng, driven, 30.0, pulses),
        _poisson(rng, driven, 5.0, gaps),
        _poisson(rng, others, 5.0, [(t0, t1)]),
        _poisson(rng, np.arange(n_exc), 50.0, [(0.0, t0 - 1e-6)]),  # before: ignored
        (np.array([n_exc + 3]), np.array([t0 + 0.1])),  # an interneuron: ignored
    ]
    i = np.concatenate([p[0] for p in parts])
    t = np.concatenate([p[1] for p in parts])
    out = therapy_readouts(cfg, {"a": driven}, time_map, i, t, n_exc)
    assert out["therapy_session"].tolist() == [0.0]
    assert out["therapy_t"][0] == pytest.approx(t1)
    assert out["therapy_day"][0] == pytest.approx(0.5 + 1 / 24)
    assert out["therapy_evoked_rate_hz"][0] == pytest.approx(30.0, rel=0.03)
    assert out["therapy_gap_rate_hz"][0] == pytest.approx(5.0, rel=0.04)
    assert out["therapy_others_rate_hz"][0] == pytest.approx(5.0, rel=0.04)
    assert out["therapy_evoked_ratio"][0] == pytest.approx(6.0, rel=0.06)
    # a run stopped before the session ended (e.g. as invalid): left out, not read as silent
    stopped = therapy_readouts(cfg, {"a": driven}, time_map, i, t, n_exc, duration=t1 - 1)
    assert stopped["therapy_session"].size == 0


def test_a_run_without_therapy_sessions_has_no_read_outs():
    cfg = TherapyConfig(sessions=[InputSession(kind="replay")])
    time_map = _time_map(cfg)
    assert therapy_readouts(cfg, {"adaptive": np.arange(4)}, time_map, [], [], 10) == {}


@pytest.mark.slow
def test_a_session_raises_the_driven_cells_rate_inside_its_pulses():
    """160 E / 40 I cells, numpy, one 3-min session (3 s of network time, 3 pulses) at the
    recall cue's intensity (1.0: the input doubles the driven cells' external rate).  The
    run records no spikes, so the read-outs come from the pyramidal spikes kept for them.
    Measured (seed 7): 55.6 Hz inside the pulses, 29.3 Hz between them, 20.6 Hz for the
    other cells inside the pulses; ~1 000 driven-cell spikes in the pulses give a Poisson
    SD near 3 %, so the bound of 1.3 x is far outside noise yet catches an input that
    misses its cells or windows that miss the pulses (ratio ~1)."""
    from neuroplast.config.experiment import config_from_dict
    from neuroplast.simulation.simulate import derive_seeds, simulate
    from neuroplast.studies.run import add_therapy_readouts, run_rows

    session = {"start": "0.1 days", "duration": "0.05 h", "assembly": "group"}
    cfg = config_from_dict(
        {
            "seed": 7,
            "simulation": {"backend": "numpy"},
            "network": {"n_exc": 160, "n_inh": 40},
            "recording": {"n_traced": 0, "spikes": False},
            "output": {"figures": False},
            "recall": {"enabled": False},
            "set_point": {"window": "2 s"},
            "bdnf": {"release_threshold_from": "fixed"},
            "timescale": {"enabled": True, "bio_duration": "0.15 days"},
            "assemblies": {"group": {"size": 32}},
            "therapy": {"intensity": 1.0, "sessions": [session]},
        }
    )
    rec = simulate(cfg, derive_seeds(cfg.seed))
    assert rec.spike_i.size == 0 and rec.exc_spikes is not None
    add_therapy_readouts(cfg, rec)
    evoked = rec.slow["therapy_evoked_rate_hz"][0]
    assert evoked > 1.3 * rec.slow["therapy_gap_rate_hz"][0]
    assert evoked > 1.3 * rec.slow["therapy_others_rate_hz"][0]
    rows = {r.measure: r for r in run_rows(cfg, rec)}
    assert rows["therapy_evoked_rate_hz"].value == evoked
    assert rows["therapy_evoked_rate_hz"].bio_time_days == pytest.approx(0.1 + 0.05 / 24)
