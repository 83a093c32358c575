"""`jaksim plot` draws each figure kind from a results directory, in each file format."""

from __future__ import annotations

import pytest
from test_experiment_support import TOY_ENGINE, base_config, ligand_kb_sweep

from jaksim.cli.main import main
from jaksim.experiment import run_experiment

SWEEP = ligand_kb_sweep(6, [0.3, 0.6, 1.2])

MAGIC = {".png": b"\x89PNG", ".pdf": b"%PDF", ".svg": b"<?xml"}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plot")
    return run_experiment(base_config(tmp, SWEEP), quiet=True, engine=TOY_ENGINE, out=tmp / "out")


@pytest.mark.parametrize(
    "kind, suffix", [("timecourse", ".png"), ("heatmap", ".svg"), ("auto", ".pdf")]
)
def test_plot_kinds_and_formats(results, tmp_path, kind, suffix):
    fig = tmp_path / f"fig{suffix}"
    assert (
        main(["plot", str(results), "--kind", kind, "--out", str(fig), "--readout", "B_obs:final"])
        == 0
    )
    assert fig.read_bytes().startswith(MAGIC[suffix])


def test_dose_response_needs_one_axis(tmp_path):
    one = run_experiment(
        base_config(tmp_path, SWEEP.split('[[sweep.axes]]\nkind = "parameter')[0]),
        quiet=True,
        engine=TOY_ENGINE,
        out=tmp_path / "out",
    )
    fig = tmp_path / "dr.png"
    assert main(["plot", str(one), "--out", str(fig), "--readout", "B_obs:final"]) == 0
    assert fig.read_bytes().startswith(MAGIC[".png"])


def test_plot_of_a_missing_directory_is_an_error(tmp_path, capsys):
    assert main(["plot", str(tmp_path / "nothing")]) == 1
    assert "no manifest.json" in capsys.readouterr().err


def test_dose_response_fits_one_curve_per_drug():
    import numpy as np
    import xarray as xr

    from jaksim.plot.results import plot_dose_response

    x = np.tile(np.logspace(-1, 3, 9), 2)
    drug = np.repeat(["a", "b"], 9)
    ic50 = np.where(drug == "a", 3.0, 40.0)
    y = 100 / (1 + (ic50 / x))  # Hill slope 1
    ds = xr.Dataset(
        {"readouts": (("member", "readout"), y[:, None])},
        coords={
            "member": np.arange(18),
            "readout": ["r"],
            "conc": ("member", x),
            "drug": ("member", drug),
        },
    )
    ax = plot_dose_response(ds, "conc", "r", by="drug")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[0] == "a" and labels[2] == "b"
    assert "EC50 = 3, n = 1.00" in labels[1]
    assert "EC50 = 40, n = 1.00" in labels[3]
