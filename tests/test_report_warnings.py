"""What an experiment report says above its numbers (studies/analyse.py).

* An experiment smaller or faster than the calibrated model (800 E / 200 I, fewer than 3
  seeds, a clock above 8640 biological s per network s) is called a check of the
  pipeline, not a result, naming each reason; the shipped main experiment gets no line.
* Runs whose set-point window was more than 15 % off the rate that followed it are named
  with their bias; runs within it, or without the measure, are not.
"""

from __future__ import annotations

from neuroplast.analysis.measures import MeasureRow
from neuroplast.config.experiment import load_config
from neuroplast.studies.analyse import scale_lines, set_point_lines


def test_a_small_fast_single_seed_experiment_says_it_is_a_check_not_a_result():
    (line,) = scale_lines(load_config("configs/kap_quick.toml"))
    assert line.startswith("Smaller than the calibrated model")
    for reason in ("200 E / 50 I (calibrated: 800 / 200)", "1 seed(s)", "86400"):
        assert reason in line
    assert scale_lines(load_config("configs/kap_comparison.toml")) == []


def test_runs_with_a_biased_set_point_window_are_named():
    rows = [
        MeasureRow("control", 1, 1.0, 10.0, "set_point_bias_pct", 36.2),
        MeasureRow("control", 2, 1.0, 10.0, "set_point_bias_pct", -3.0),
        MeasureRow("ketamine", 1, 1.0, 10.0, "set_point_bias_pct", -16.0),
        MeasureRow("ketamine", 2, 1.0, 10.0, "ee_synapses", 99.0),
    ]
    (line,) = set_point_lines(rows)
    assert "2 run(s)" in line
    assert "control seed 1 (+36 %)" in line and "ketamine seed 1 (-16 %)" in line
    assert "seed 2" not in line
    assert set_point_lines(rows[1:2]) == []
