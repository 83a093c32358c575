"""The model commands (`jaksim models / info / simulate`), the registry and the network plot.

Simulation numbers are checked against closed-form equilibria, not against earlier output.
"""

import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from jaksim.cli.main import main
from jaksim.io import registry
from jaksim.io.registry import list_models, load_model, shipped_path
from jaksim.io.toml_model import load_model_file
from jaksim.io.toml_writer import write_model_toml
from jaksim.spec.errors import ModelError

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]
BINDING = str(DATA / "binding.toml")
TRANSPORT = str(DATA / "transport.toml")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A fake shipped-models folder: two models, a template module and a data file."""
    root = tmp_path / "models"
    (root / "pathways").mkdir(parents=True)
    (root / "modules").mkdir()
    (root / "pathways" / "binding.toml").write_text((DATA / "binding.toml").read_text())
    (root / "transport.toml").write_text((DATA / "transport.toml").read_text())
    (root / "modules" / "binding_module.toml").write_text(
        (DATA / "modules" / "binding_module.toml").read_text()
    )
    (root / "drugs.toml").write_text('format_version = 1\n[[drugs]]\nid = "x"\n')
    (tmp_path / "experiments" / "sweeps").mkdir(parents=True)
    (tmp_path / "experiments" / "sweeps" / "dose.toml").write_text("format_version = 1\n")
    monkeypatch.setattr(registry, "shipped_root", lambda kind="models": tmp_path / kind)
    return root


def test_list_models_skips_modules_and_data_files(shipped):
    assert [(n, d) for n, d, _ in list_models()] == [
        ("binding", "L + R <-> LR mass-action binding (test fixture)"),
        ("transport", "X shuttles between cytoplasm and nucleus (test fixture)"),
    ]


def test_load_model_by_name_path_and_typo(shipped):
    assert load_model("binding").source_file == str(shipped / "pathways" / "binding.toml")
    assert load_model(TRANSPORT).id == "transport"
    assert shipped_path("models", "pathways/binding") == shipped / "pathways" / "binding.toml"
    with pytest.raises(
        ModelError, match=r"no shipped model named 'bindng' \(did you mean 'binding'"
    ):
        load_model("bindng")
    with pytest.raises(ModelError, match="file not found"):
        load_model("missing.toml")
    assert shipped_path("experiments", "dose") == shipped.parent / "experiments/sweeps/dose.toml"
    with pytest.raises(ModelError, match=r"no shipped experiment named 'dos' \(did you mean"):
        shipped_path("experiments", "dos")


def test_models_command(shipped, capsys):
    code, out, _ = run(capsys, "models")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["name", "description"]
    assert [line.split()[0] for line in lines[2:]] == ["binding", "transport"]


def test_info_lists_everything_and_conservation_laws(capsys, tmp_path):
    graph = tmp_path / "net.png"
    code, out, _ = run(capsys, "info", BINDING, "--graph", str(graph))
    assert code == 0
    assert "L + R <-> LR [cell]" in out
    assert "rate = kon*L*R - koff*LR" in out
    assert "assumed: test value" in out
    assert "bound_fraction = LR/(R + LR)" in out
    # L + R <-> LR conserves total ligand and total receptor (in some integer basis)
    laws = {line.strip() for line in out.splitlines() if line.endswith("= const")}
    assert laws in (
        {"L + LR = const", "R + LR = const"},
        {"L + LR = const", "L - R = const"},
        {"R + LR = const", "L - R = const"},
    )
    assert graph.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulate_reaches_analytic_binding_equilibrium(capsys, tmp_path):
    # kon = 2e-5 /(nM s) (after unit conversion), koff = 0.01/s -> Kd = 500 nM; L0 = 10, R0 = 5
    # LR_eq solves x^2 - (L0 + R0 + Kd) x + L0 R0 = 0; relaxation rate >= koff, so 3000 s
    # is > 30 time constants
    out_csv = tmp_path / "res.csv"
    code, _, err = run(
        capsys,
        "simulate",
        BINDING,
        "--t-end",
        "3000",
        "--points",
        "11",
        "--out",
        str(out_csv),
        "--plot",
        str(tmp_path / "fig.png"),
    )
    assert code == 0, err
    table = np.genfromtxt(out_csv, delimiter=",", names=True)
    s = 10.0 + 5.0 + 500.0
    lr_eq = (s - math.sqrt(s * s - 4 * 10.0 * 5.0)) / 2
    assert table["LR"][-1] == pytest.approx(lr_eq, rel=1e-4)
    assert table["L"][-1] + table["LR"][-1] == pytest.approx(10.0, rel=1e-6)
    assert (tmp_path / "fig.png").stat().st_size > 0


def test_simulate_param_override_changes_equilibrium(capsys):
    # koff = 0.002/s -> Kd = 100 nM
    code, out, err = run(
        capsys,
        "simulate",
        BINDING,
        "--t-end",
        "5000",
        "--points",
        "3",
        "--param",
        "koff=0.002",
        "--show",
        "LR",
    )
    assert code == 0, err
    s = 10.0 + 5.0 + 100.0
    lr_eq = (s - math.sqrt(s * s - 4 * 10.0 * 5.0)) / 2
    (value,) = [float(line.split("=")[1]) for line in out.splitlines() if "LR =" in line]
    assert value == pytest.approx(lr_eq, rel=1e-4)


def test_simulate_transport_equilibrium(capsys):
    # kin*X_cyt = kout*X_nuc*V_nuc/V_cyt -> X_nuc/X_cyt = 3*2/(0.6*0.5) = 20 (rates per min)
    code, out, err = run(capsys, "simulate", TRANSPORT, "--t-end", "30", "--points", "3")
    assert code == 0, err
    final = {
        line.split("=")[0].strip(): float(line.split("=")[1])
        for line in out.splitlines()
        if "=" in line and not line.startswith("values")
    }
    assert final["X_nuc"] / final["X_cyt"] == pytest.approx(20.0, rel=1e-5)


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--param", "kof=1"], "has no parameter 'kof' (did you mean 'koff'?)"),
        (["--param", "koff"], "expected ID=VALUE"),
        (["--param", "koff=fast"], "'fast' is not a number"),
        (["--show", "LRR"], "no state or observable 'LRR' (did you mean 'LR'?)"),
    ],
)
def test_simulate_bad_arguments(capsys, argv, fragment):
    code, _, err = run(capsys, "simulate", BINDING, "--t-end", "10", *argv)
    assert code == 1 and fragment in err


def test_info_unknown_model(capsys, shipped):
    code, _, err = run(capsys, "info", "transprt")
    assert code == 1 and "did you mean 'transport'" in err


def test_network_layout_places_every_species_in_its_band():
    from jaksim.plot.network import network_layout

    model = load_model_file(TRANSPORT)
    xy, bands = network_layout(model)
    for s in model.species:
        x0, x1, _ = bands[s.compartment]
        assert x0 < xy[s.id][0] < x1
    assert xy["X_cyt"][1] > xy["X_nuc"][1]  # the source species is drawn above


def test_toml_round_trip(tmp_path):
    for name in ("binding", "transport", "templated"):
        model = load_model_file(DATA / f"{name}.toml")
        again = load_model_file(write_model_toml(model, tmp_path / f"{name}.toml"))
        assert again.source_file == str(tmp_path / f"{name}.toml")
        assert again == replace(model, source_file=again.source_file)


def test_shipped_models_claim_no_exemptions():
    """require_sources / require_units = false are for imported SBML, not shipped models."""
    from jaksim.io.toml_model import read_toml

    for name, _, path in list_models():
        head = read_toml(path)["model"]
        assert head.get("require_sources", True) and head.get("require_units", True), name


SBML_CASES = REPO.parent / "shared" / "sbml-test-suite" / "cases"


@pytest.mark.skipif(not SBML_CASES.is_dir(), reason="SBML test suite not available")
@pytest.mark.parametrize(
    "case",
    # plain, events, assignment rules, rate rules, initial assignments, local parameters
    ["00001", "00026", "00029", "00031", "00037", "00058"],
)
def test_sbml_import_round_trips_through_toml(tmp_path, case):
    """Imported SBML (no units, NaN values set by rules) survives TOML."""
    from jaksim.io.sbml_import import load_sbml
    from jaksim.io.toml_writer import model_to_toml

    model = load_sbml(SBML_CASES / case / f"{case}-sbml-l3v2.xml")
    path = write_model_toml(model, tmp_path / "imported.toml")
    text = path.read_text()
    # an imported parameter's provenance is the SBML file, so no source exemption is written
    params = [*model.parameters, *(p for r in model.reactions for p in r.local_parameters)]
    assert all(p.source == f"SBML file {case}-sbml-l3v2.xml" for p in params)
    assert "require_sources = false" not in text
    again = load_model_file(path)
    # compared as text because NaN placeholders are never == themselves
    assert model_to_toml(again).splitlines()[1:] == text.splitlines()[1:]


@pytest.mark.slow
def test_wheel_install_finds_shipped_models(tmp_path):
    """`pip install .` (non-editable) into a fresh venv carries models/ inside the package."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--no-deps", str(REPO)],
        check=True,
    )
    code = (
        "import jaksim.io.registry as r; print(r.shipped_root()); "
        "print(','.join(n for n, _, _ in r.list_models()))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [str(py), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert Path(out[0]).is_relative_to(venv) and out[0].endswith("jaksim/_data/models")
    expected = [n for n, _, _ in list_models()]  # the repository's own models
    assert expected and out[1].split(",") == expected
