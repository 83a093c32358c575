"""The ``clinical_trial`` experiment kind and ``jaksim demo patients``."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from jaksim.cli.main import main
from jaksim.experiment import run_experiment
from jaksim.experiment.kinds_clinic import arms_of
from jaksim.experiment.loading import load_config, parse_config
from jaksim.io.registry import shipped_path
from jaksim.spec.errors import ConfigError

SMALL = """
[experiment]
name = "small_trial"
kind = "clinical_trial"
[clinical_trial]
patients = 12
weeks = 4
seeds = [1, 2]
report_weeks = [4]
pk_samples = 2
[[clinical_trial.arms]]
name = "placebo"
[[clinical_trial.arms]]
name = "upa 30 -> 15"
drug = "upadacitinib"
segments = [{ regimen = "30 mg QD", weeks = 2 }, { regimen = "15 mg QD" }]
[[clinical_trial.arms]]
name = "dupilumab"
drug = "dupilumab"
regimen = "300 mg Q2W"
loading_dose_mg = 600
"""


def test_clinical_trial_kind_writes_tables_and_figure(tmp_path):
    cfg = tmp_path / "small.toml"
    cfg.write_text(SMALL)
    out = run_experiment(cfg, out=tmp_path / "out", quiet=True)
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["arm"]) == {"placebo", "upa 30 -> 15", "dupilumab"}
    assert (summary["n"] <= 24).all() and (summary["n"] > 12).all()  # two seeds pooled
    per_seed = pd.read_csv(out / "endpoints.csv")
    assert set(per_seed["seed"]) == {1, 2}
    bands = pd.read_csv(out / "time_courses.csv")
    assert set(bands["endpoint"]) == {"easi_pct_change", "itch", "hb_change",
                                      "platelets_change"}  # fmt: skip
    inh = pd.read_csv(out / "inhibition.csv").set_index(["arm", "input"])
    # the dose switch lowers the inhibition from the first day to the last week
    assert inh.loc[("upa 30 -> 15", "block_IL13"), "mean_last_week"] < inh.loc[
        ("upa 30 -> 15", "block_IL13"), "mean_first_day"]  # fmt: skip
    assert inh.loc[("dupilumab", "block_IL13"), "mean_last_week"] > 0.95
    timing = json.loads((out / "timing.json").read_text())
    assert timing["arms"] == 3 and timing["disease_s"] > 0
    assert (out / "time_courses.png").stat().st_size > 10_000


def test_shipped_ad_trials_config_is_valid():
    loaded = load_config(shipped_path("experiments", "ad_trials"))
    arms = arms_of(loaded.section)
    assert len(arms) == 9 and arms[0].drug is None
    dupi = [a for a in arms if a.drug == "dupilumab"][0]
    assert dupi.loading_extra_mg == 300.0  # 600 mg loading = one extra 300 mg dose


@pytest.mark.parametrize("arm, match", [
    ('{ name = "x", regimen = "15 mg QD" }', "need a drug"),
    ('{ name = "x", drug = "upadacitinib" }', "either regimen or segments"),
])  # fmt: skip
def test_bad_arms_are_config_errors(arm, match):
    text = SMALL.split("[[clinical_trial.arms]]")[0] + f"arms = [{arm}]\n"
    with pytest.raises(ConfigError, match=match):
        parse_config(text)


def test_unknown_regimen_is_reported_by_check(tmp_path):
    text = SMALL.split("[[clinical_trial.arms]]")[0] + (
        'arms = [{ name = "x", drug = "upadacitinib", regimen = "45 mg QD" }]\n'
    )
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    assert main(["check", str(cfg)]) != 0


def test_demo_patients(tmp_path, capsys):
    figure = tmp_path / "patients.png"
    assert main(["demo", "patients", "--out", str(figure), "--patients", "20"]) == 0
    text = capsys.readouterr().out
    assert "percentile of response" in text and "O" in text
    assert figure.stat().st_size > 10_000
