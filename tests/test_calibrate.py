"""`neuroplast calibrate`: the pharmacokinetic targets (C5) pass on the defaults."""

from __future__ import annotations

from neuroplast.config.experiment import ExperimentConfig
from neuroplast.studies.calibrate import Target, format_table, pk_targets


def test_pk_calibration_targets_pass_on_the_defaults():
    targets = pk_targets(ExperimentConfig())
    assert {t.id for t in targets} == {"C5"}
    assert all(t.passed for t in targets), format_table(targets)


def test_table_marks_failures_and_unjudged_rows():
    rows = [
        Target("C3", "loss", 40.0, 15, 35, "%", "Liston 2006"),
        Target("C4", "recovery", 0.2, 0.5, 1.0, "", "Bloss 2010", judged=False),
    ]
    table = format_table(rows)
    assert "FAIL" in table and "(n/a)" in table
    assert rows[0].passed is False and rows[1].passed is None
