"""``neuroplast params`` (parameters.py): every settable value, read from the schema.

Checked here:
* the listing has the fields inside lists of tables (dose events, stress episodes) and
  optional tables (escalation), and the drug table's constants with units and sources;
* every path it lists can be set with ``--set`` (indices and names filled in), except
  the drug constants it marks as fixed;
* words filter the listing, on the command line too;
* the fields declared ``runtime=True`` are the values that reach a standalone program
  only through its schedule arrays (rerun.py re-runs a built program with new ones).
"""

from __future__ import annotations

import re
from pathlib import Path

from neuroplast.cli import main
from neuroplast.config.experiment import load_config
from neuroplast.config.parameters import ELEMENT, NAMED, parameters, runtime_paths
from neuroplast.model.pharmacology import Titration
from neuroplast.simulation import rerun


def _by_path() -> dict:
    return {row.path: row for row in parameters()}


def test_params_lists_dose_fields_and_the_drug_table():
    rows = _by_path()
    assert rows["protocol.doses.<k>.dose"].default == '"0.5 mg/kg"'
    assert rows["protocol.doses.<k>.titration.ceiling"].default == '"1 mg/kg"'
    assert rows["pharmacology.doses.<k>.every"].unit == "h"
    assert rows["stress.episodes.<k>.onset"].unit == "day"
    clearance = rows["pharmacology.drugs.ketamine.clearance"]
    assert (clearance.default, clearance.unit) == ("0.02 L/kg/min", "L/kg/min")
    assert "PMC9118341" in clearance.source
    ic50 = rows["pharmacology.drugs.ketamine.ic50_inh"]
    assert (ic50.default, ic50.unit) == ("1.5 uM", "uM")
    assert rows["pharmacology.drugs.ssri.ic50_exc"].default == "none"  # blocks no NMDAR
    assert rows["pharmacology.drugs.esketamine.routes.intranasal.bioavailability"].source


def _example(row) -> str:
    """A ``--set`` item for the row's path, with its default (or a value of its unit)."""
    path = row.path.replace(ELEMENT, "0").replace(NAMED, "ketamine")
    value = row.default
    if value in ("(required)", "null", "none", "[]", "{}") or value.startswith(("[", "{")):
        return ""
    return f"{path}={value!r}" if row.unit else f"{path}={value}"


def test_every_listed_path_can_be_set():
    checked = 0
    for row in parameters():
        item = _example(row)
        if not item or "not set by" in row.description:
            continue
        # one (empty) element in each list of tables on the way, so that index 0 exists
        parts = row.path.split(".")
        lists = [".".join(parts[:k]) for k, part in enumerate(parts) if part == ELEMENT]
        # a rule's options are valid with that rule selected
        rule = re.match(r"\(rule '(\w+)'\)", row.description)
        selected = [f"plasticity.structural.rule={rule.group(1)}"] if rule else []
        try:
            load_config(None, [*selected, *(f"{path}=[{{}}]" for path in lists), item])
        except Exception as err:  # noqa: BLE001 -- the path may pass, the values may not
            message = str(err)
            # the path was accepted; only the example values are invalid together
            for refused in ("unknown key", "not a table", "out of range", "expected an index"):
                assert refused not in message, message
        checked += 1
    assert checked > 240


def test_words_filter_the_listing(capsys):
    rows = parameters("stress severity")
    assert {r.path for r in rows} >= {
        "stress.episodes.<k>.severity",
        "protocol.stress.<k>.severity",
    }
    assert all("stress" in f"{r.path} {r.description} {r.source}".lower() for r in rows)
    assert main(["params", "ketamine", "clearance"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("pharmacology.drugs.ketamine.clearance = 0.02 L/kg/min")
    assert main(["params", "no-such-parameter"]) == 1
    assert "no parameter matches 'no-such-parameter'" in capsys.readouterr().err


def test_runtime_fields_are_the_schedule_values():
    # doses reach a program only as concentration and occupancy curves; stress severities
    # and the BDNF suppression only as the stress level curve (schedules.py)
    assert set(runtime_paths()) == {
        "protocol.doses.*.dose",
        "pharmacology.doses.*.dose",
        "protocol.doses.*.step",
        "protocol.doses.*.cap",
        "pharmacology.doses.*.step",
        "pharmacology.doses.*.cap",
        "protocol.stress.*.severity",
        "stress.episodes.*.severity",
        "stress.bdnf_suppression",
    }
    assert rerun.RUNTIME_PATHS == runtime_paths()


def test_a_path_into_an_optional_table_creates_it():
    cfg = load_config(
        None, ["timescale.enabled=true", "pharmacology.drugs.ssri.bdnf_effect.gain=0.4"]
    )
    assert cfg.pharmacology.drugs["ssri"].bdnf_effect.gain == 0.4
    kap = Path(__file__).parents[1] / "configs" / "kap_comparison.toml"
    cfg = load_config(kap, ["protocol.doses.0.titration.target=0.4"])
    assert cfg.protocol.doses[0].titration.target == 0.4
    assert cfg.protocol.doses[0].titration.ceiling == Titration().ceiling


def test_mechanism_docstrings_show_the_defaults_of_their_fields():
    """The parameter tables of the mechanism modules are made from the param() fields
    (schema.parameter_table), so a default lives in one place."""
    import re

    from neuroplast.model import bdnf, neurons, plasticity, receptors, stress, therapy
    from neuroplast.schema import _table_rows

    for module, section in (
        (bdnf, bdnf.BDNFConfig),
        (neurons, neurons.NeuronsConfig),
        (plasticity, plasticity.PlasticityConfig),
        (receptors, receptors.ReceptorsConfig),
        (stress, stress.StressConfig),
        (therapy, therapy.TherapyConfig),
    ):
        assert "{parameters}" not in module.__doc__
        for key, shown, _ in _table_rows(section(), ""):
            row = rf"^{re.escape(key)}( \(\S+\))? +{re.escape(shown)}( |$)"
            assert re.search(row, module.__doc__, re.M), (module.__name__, key, shown)
