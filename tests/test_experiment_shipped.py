"""The shipped example experiments validate against the shipped models and run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jaksim.analysis import fit_hill
from jaksim.cli.main import main
from jaksim.experiment import check_experiment, load_config, open_results, read_readouts

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
OURS = {  # name -> number of members
    "il6_timecourse": 1,
    "il6_dose_response": 13,
    "receptor_socs_grid": 49,
    "il6_sensitivity": 256 * (5 + 2),
    "latin_hypercube_10k": 10_000,
}


@pytest.mark.parametrize("name", sorted(OURS))
def test_shipped_experiment_checks(name):
    loaded = load_config(EXPERIMENTS / f"{name}.toml")
    assert check_experiment(loaded) == OURS[name]


def test_timecourse_runs_from_its_shipped_name(tmp_path, capsys):
    assert main(["run", "il6_timecourse", "--out", str(tmp_path / "tc"), "--quiet"]) == 0
    ds = open_results(tmp_path / "tc").load()
    assert ds["status"].values.tolist() == [0]
    y = ds["timecourse"].sel(observable="pSTAT3_total").values[0]
    assert y[0] == pytest.approx(0.0, abs=1e-6)  # unstimulated steady state: no pSTAT3
    assert y.max() > 1.0  # 1 nM IL-6 phosphorylates STAT3 (nM)


def test_dose_response_is_monotonic_with_ec50_inside_the_range(tmp_path):
    assert (
        main(
            [
                "run",
                str(EXPERIMENTS / "il6_dose_response.toml"),
                "--out",
                str(tmp_path / "dr"),
                "--quiet",
            ]
        )
        == 0
    )
    df = read_readouts(tmp_path / "dr")
    df = df.sort_values("IL6")
    assert (df["status"] == 0).all()
    at15 = df["pSTAT3_total:value_at_15min"].to_numpy()
    assert np.all(np.diff(at15) > 0)  # more ligand, more pSTAT3 (below saturation)
    fit = fit_hill(df["IL6"].to_numpy(), at15)
    assert 1e-3 < fit.ec50 < 10.0


@pytest.mark.slow
@pytest.mark.parametrize("name", ["receptor_socs_grid", "il6_sensitivity", "latin_hypercube_10k"])
def test_large_shipped_experiments_run(tmp_path, name):
    out = tmp_path / name
    assert main(["run", str(EXPERIMENTS / f"{name}.toml"), "--out", str(out), "--quiet"]) == 0
    ds = open_results(out)
    assert ds.sizes["member"] == OURS[name]
    assert float((ds["status"] != 0).mean()) < 0.01
    if name == "il6_sensitivity":
        assert (out / "sensitivity.csv").is_file()
