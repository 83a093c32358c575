"""`jaksim drugs`, `jaksim demo selectivity` and the pharmacology experiment kinds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jaksim.cli.main import main
from jaksim.experiment.kinds import get_kind
from jaksim.experiment.loading import parse_config
from jaksim.experiment.runner import run_experiment
from jaksim.spec.errors import ConfigError

IC50_CONFIG = """
[experiment]
name = "tiny_ic50"
kind = "ic50_assay"
[ic50_assay]
drugs = ["tofacitinib", "dupilumab"]
pathways = ["il13_type2", "epo"]
concentrations = { low = "0.01 nM", high = "100000 nM", points = 15 }
"""


def test_drugs_lists_the_library(capsys):
    assert main(["drugs"]) == 0
    out = capsys.readouterr().out
    for name in ("upadacitinib", "deucravacitinib", "dupilumab", "15 mg QD"):
        assert name in out


def test_drug_detail_and_typo(capsys):
    assert main(["drugs", "Rinvoq"]) == 0
    assert "Cavg" in capsys.readouterr().out
    assert main(["drugs", "upa"]) == 1
    assert "did you mean 'upadacitinib'" in capsys.readouterr().err


def test_config_errors_name_the_field(tmp_path):
    bad = IC50_CONFIG.replace('"dupilumab"', '"dupilumb"')
    loaded = parse_config(bad, file="tiny.toml")
    with pytest.raises(ConfigError, match="did you mean 'dupilumab'") as err:
        get_kind("ic50_assay").check(loaded)
    assert err.value.field == "ic50_assay.drugs" and err.value.file == "tiny.toml"
    loaded = parse_config(IC50_CONFIG.replace('"epo"', '"epoo"'), file="tiny.toml")
    with pytest.raises(ConfigError, match="did you mean 'epo'") as err:
        get_kind("ic50_assay").check(loaded)
    assert err.value.field == "ic50_assay.pathways"
    with pytest.raises(ConfigError, match="missing unit"):
        parse_config(IC50_CONFIG.replace('"0.01 nM"', "0.01"), file="tiny.toml")


@pytest.mark.slow
def test_ic50_kind_writes_tables(tmp_path):
    out = run_experiment(parse_config(IC50_CONFIG, file="tiny.toml"), out=tmp_path, quiet=True)
    table = pd.read_csv(out / "ic50.csv")
    assert {"drug", "pathway", "cytokine", "readout", "ic50_nM", "hill", "r2",
            "published_ic50_nM"} <= set(table)  # fmt: skip
    row = table.set_index(["drug", "pathway"])
    assert pd.isna(row.loc[("dupilumab", "epo"), "ic50_nM"])  # IL-4Ra antibody: no EPO effect
    assert row.loc[("dupilumab", "il13_type2"), "ic50_nM"] < 10
    assert (out / "ic50_heatmap.png").stat().st_size > 0


@pytest.mark.slow
def test_demo_selectivity_writes_the_figure(tmp_path, capsys):
    figure = tmp_path / "sel.png"
    assert main(["demo", "selectivity", "--out", str(figure)]) == 0
    assert figure.stat().st_size > 10_000
    assert "upadacitinib" in capsys.readouterr().out


def test_exchange_limit_is_a_config_choice(tmp_path):
    """`exchange` reaches with_drug: the config run gives the IC50s of the direct panel call in
    each limit, and the slow limit (only complex activation carries the drug) needs more drug
    for the same block of a one-JAK pathway (docs/pharmacology.md)."""
    from jaksim.pharmacology.panel import ic50_table, run_panel

    with pytest.raises(ConfigError, match="exchange"):
        parse_config(IC50_CONFIG + 'exchange = "medium"\n', file="tiny.toml")
    config = IC50_CONFIG.replace('"dupilumab"', '"upadacitinib"').replace('"il13_type2", ', "")
    config = config.replace("points = 15", "points = 9")
    ic50 = {}
    for limit in ("fast", "slow"):
        text = config + f'exchange = "{limit}"\n'
        out = run_experiment(parse_config(text, file="x.toml"), out=tmp_path / limit, quiet=True)
        ic50[limit] = pd.read_csv(out / "ic50.csv").set_index("drug")["ic50_nM"]
        direct = ic50_table(run_panel(["epo"], ["tofacitinib", "upadacitinib"],
                                      np.logspace(-2, 5, 9), exchange=limit))  # fmt: skip
        assert ic50[limit].to_numpy() == pytest.approx(direct["ic50_nM"].to_numpy(), rel=1e-9)
    assert (ic50["slow"] > ic50["fast"]).all()
