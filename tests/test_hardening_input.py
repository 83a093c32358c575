"""Malformed input (issue 15, "bad input"): every case is refused with a JaksimError whose
message names the file / field / argument and what was expected; the CLI prints it without a
traceback and exits non-zero. Simulation failures name what went non-finite.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from jaksim.cli.main import main
from jaksim.experiment import load_config, parse_config
from jaksim.io.registry import load_model
from jaksim.io.sbml_import import read_sbml_string
from jaksim.io.toml_model import load_model_file
from jaksim.io.toml_writer import model_to_toml, write_model_toml
from jaksim.spec.errors import ConfigError, ModelError, SimulationError

DATA = Path(__file__).parent / "data"
BINDING = DATA / "binding.toml"
BINARY = bytes(range(256)) * 4  # not UTF-8, contains NUL and every control byte


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, *argv: str, expect: tuple[str, ...]) -> str:
    """Run the CLI, check it failed cleanly, return stderr."""
    code, _, err = cli(capsys, *argv)
    assert code != 0, err
    assert "Traceback" not in err
    assert err.startswith("jaksim: error: "), err
    for fragment in expect:
        assert fragment in err, (fragment, err)
    return err


def _experiment(tmp_path: Path, extra: str = "", time: str = 'end = "10 s"') -> Path:
    model = tmp_path / "binding.toml"
    shutil.copy(BINDING, model)
    path = tmp_path / "exp.toml"
    path.write_text(
        f'[experiment]\nname = "x"\n[model]\nref = "binding.toml"\n[time]\n{time}\npoints = 3\n'
        f"[protocol]\npreequilibrate = false\n{extra}"
    )
    return path


# -- unreadable files ------------------------------------------------------------------------
def test_binary_model_file(tmp_path, capsys):
    path = tmp_path / "m.toml"
    path.write_bytes(BINARY)
    with pytest.raises(ModelError, match="not a text") as info:
        load_model_file(path)
    assert str(info.value).startswith(str(path))
    refused(capsys, "info", path, expect=(str(path), "UTF-8"))


def test_binary_include_file(tmp_path, capsys):
    inc = tmp_path / "x.toml"
    inc.write_bytes(BINARY)
    path = tmp_path / "m.toml"
    head = 'format_version = 1\ninclude = ["x.toml"]'
    path.write_text(BINDING.read_text().replace("format_version = 1", head))
    refused(capsys, "info", path, expect=(str(inc), "UTF-8"))


def test_binary_experiment_file(tmp_path, capsys):
    path = tmp_path / "e.toml"
    path.write_bytes(BINARY)
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(path)
    refused(capsys, "check", path, expect=(str(path), "UTF-8"))


@pytest.mark.parametrize("name", ["folder", "folder.toml"])
def test_directory_as_model_file(tmp_path, capsys, name):
    folder = tmp_path / name
    folder.mkdir()
    refused(capsys, "info", folder, expect=(str(folder), "is a folder"))


def test_directory_as_experiment_file(tmp_path, capsys):
    refused(capsys, "check", tmp_path, expect=(str(tmp_path), "is a folder"))


# -- output paths ----------------------------------------------------------------------------
def _out_commands(tmp_path: Path, out: Path) -> dict[str, list[str]]:
    sbml = tmp_path / "in.xml"
    if not sbml.exists():
        assert main(["export-sbml", str(BINDING), str(sbml)]) == 0
    return {
        "simulate": [
            "simulate",
            str(BINDING),
            "--t-end",
            "1",
            "--points",
            "3",
            "--solver",
            "bdf",
            "--out",
            str(out),
        ],  # fmt: skip
        "export-sbml": ["export-sbml", str(BINDING), str(out)],
        "import-sbml": ["import-sbml", str(sbml), "--out", str(out)],
        "run": ["run", str(_experiment(tmp_path)), "--quiet", "--out", str(out)],
    }


COMMANDS = ("simulate", "export-sbml", "import-sbml", "run")


@pytest.mark.parametrize("command", COMMANDS)
def test_out_under_a_regular_file(tmp_path, capsys, command):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    out = blocker / "sub" / "out.x"
    argv = _out_commands(tmp_path, out)[command]
    capsys.readouterr()
    refused(capsys, *argv, expect=("--out" if command != "export-sbml" else "OUT",
                                   str(blocker), "not a folder"))  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_out_in_proc(tmp_path, capsys, command):
    out = Path("/proc/jaksim-test/out.x")
    argv = _out_commands(tmp_path, out)[command]
    capsys.readouterr()
    refused(capsys, *argv, expect=(str(out.parent),))


@pytest.mark.parametrize("command", COMMANDS)
def test_out_unwritable_folder(tmp_path, capsys, monkeypatch, command):
    locked = tmp_path / "locked"
    locked.mkdir()
    argv = _out_commands(tmp_path, locked / "out.x")[command]
    capsys.readouterr()
    locked.chmod(0o500)
    if os.access(locked, os.W_OK):  # root ignores permission bits: pretend it does not
        import jaksim.io.paths

        real = os.access
        fake = lambda p, mode: False if Path(p) == locked else real(p, mode)  # noqa: E731
        monkeypatch.setattr(jaksim.io.paths.os, "access", fake)
    try:
        refused(capsys, *argv, expect=(str(locked), "not writable"))
    finally:
        locked.chmod(0o700)


def test_run_out_is_a_regular_file(tmp_path, capsys):
    out = tmp_path / "results.txt"
    out.write_text("keep me")
    argv = _out_commands(tmp_path, out)["run"]
    capsys.readouterr()
    refused(capsys, *argv, expect=("--out", str(out), "not a folder"))
    assert out.read_text() == "keep me"


@pytest.mark.parametrize("command", ["simulate", "export-sbml", "import-sbml"])
def test_out_is_an_existing_folder(tmp_path, capsys, command):
    out = tmp_path / "afolder"
    out.mkdir()
    argv = _out_commands(tmp_path, out)[command]
    capsys.readouterr()
    refused(capsys, *argv, expect=(str(out), "is a folder"))


@pytest.mark.parametrize("command", ["export-sbml", "import-sbml", "simulate"])
def test_out_missing_parents_are_created(tmp_path, capsys, command):
    out = tmp_path / "new" / "deeper" / "out.x"
    argv = _out_commands(tmp_path, out)[command]
    capsys.readouterr()
    code, stdout, err = cli(capsys, *argv)
    assert code == 0, err
    assert out.is_file()
    assert f"created folder {out.parent}" in stdout


# -- experiment files ------------------------------------------------------------------------
def test_experiment_not_a_table():
    with pytest.raises(ConfigError, match=r"experiment: expected a table \[experiment\]"):
        parse_config("experiment = 5\n", file="e.toml")
    with pytest.raises(ConfigError, match="experiment.kind"):
        parse_config('[experiment]\nname = "x"\nkind = 5\n', file="e.toml")


def test_relative_axis_on_unknown_parameter(tmp_path, capsys):
    path = _experiment(
        tmp_path,
        '[[sweep.axes]]\nkind = "parameter"\nname = "konn"\nrelative = true\nvalues = [1, 2]\n',
    )
    refused(capsys, "check", path, expect=("sweep.axes[0].name", "'konn'", "did you mean 'kon'"))


@pytest.mark.parametrize(
    "extra, field, fragment",
    [
        ("[solver]\nrtol = inf\n", "solver.rtol", "finite"),
        ("[solver]\nrtol = nan\n", "solver.rtol", "finite"),
        ("[solver]\nrtol = 0.0\n", "solver.rtol", "greater than 0"),
        ("[solver]\nrtol = -1e-6\n", "solver.rtol", "greater than 0"),
        ("[solver]\natol = -1e-9\n", "solver.atol", "greater than 0"),
        ("[solver]\natol = inf\n", "solver.atol", "finite"),
        (
            '[[sweep.axes]]\nkind = "parameter"\nname = "kon"\nunit = "1/(nM*s)"\n'
            "low = 1e-5\nhigh = inf\npoints = 3\n",
            "sweep.axes[0]",
            "finite",
        ),
        (
            '[[sweep.axes]]\nkind = "parameter"\nname = "kon"\nunit = "1/(nM*s)"\n'
            "values = [1e-5, nan]\n",
            "sweep.axes[0]",
            "finite",
        ),
        (
            '[[sweep.axes]]\nkind = "parameter"\nname = "kon"\nrelative = true\n'
            "low = -inf\nhigh = 2\npoints = 3\n",
            "sweep.axes[0]",
            "finite",
        ),
    ],
)
def test_non_finite_numbers_in_experiment(tmp_path, capsys, extra, field, fragment):
    path = _experiment(tmp_path, extra)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.field == field and fragment in info.value.message, str(info.value)
    refused(capsys, "check", path, expect=(field, fragment))


@pytest.mark.parametrize("values", ["[nan, 1.0]", "[0.0, nan, 2.0]", "[1.0, inf]"])
def test_non_finite_time_values(tmp_path, capsys, values):
    path = _experiment(tmp_path, time=f'values = {values}\nunit = "s"')
    refused(capsys, "check", path, expect=("time.values", "finite"))


# -- simulate arguments ----------------------------------------------------------------------
@pytest.mark.parametrize("t_end", ["nan", "inf", "-5", "0"])
def test_simulate_bad_t_end(capsys, t_end):
    refused(capsys, "simulate", BINDING, "--t-end", t_end, expect=("--t-end", "finite", "> 0"))


# -- model files -----------------------------------------------------------------------------
def _model_text(**replace: str) -> str:
    text = BINDING.read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


INPUT = '\n[[inputs]]\ntarget = "L"\nop = "set"\nchanges = [[{t}, 1.0]]\n'


@pytest.mark.parametrize("t", ["nan", "inf", "-inf"])
def test_input_change_time_not_finite(tmp_path, capsys, t):
    path = tmp_path / "m.toml"
    path.write_text(BINDING.read_text() + INPUT.format(t=t))
    with pytest.raises(ModelError) as info:
        load_model_file(path)
    assert "inputs[0].changes" in str(info.value) and "finite" in str(info.value)
    refused(capsys, "info", path, expect=(str(path), "inputs[0].changes", "finite"))


def test_species_and_parameter_share_an_id(tmp_path, capsys):
    path = tmp_path / "m.toml"
    path.write_text(_model_text(**{'id = "koff"': 'id = "R"', 'kr = "koff"': 'kr = "R"'}))
    err = refused(capsys, "info", path, expect=(str(path), "duplicate id 'R'"))
    assert "unit" not in err.lower().split("duplicate")[0]


# -- non-finite simulation ---------------------------------------------------------------------
def _failing(tmp_path: Path, **replace: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(_model_text(**replace))
    return path


def test_division_by_zero_names_the_reaction(tmp_path, capsys):
    # kr = koff / R with R = 0 at t = 0: the reverse rate is inf * LR = nan
    path = _failing(
        tmp_path,
        **{
            "initial = 5.0": "initial = 0.0",
            'kr = "koff"': 'rate = "kon*L*R - koff/R*LR"',
            'kf = "kon"\n': "",
        },
    )
    err = refused(capsys, "simulate", path, "--t-end", "10", "--solver", "bdf",
                  expect=("reaction 'bind'", "t = 0", "R"))  # fmt: skip
    assert "status -3" not in err or "reaction 'bind'" in err


def test_infinite_initial_value_names_the_species(tmp_path, capsys):
    path = _failing(tmp_path, **{"initial = 5.0": "initial = inf"})
    refused(capsys, "simulate", path, "--t-end", "10", "--solver", "bdf",
            expect=("species 'R'", "initial"))  # fmt: skip


@pytest.mark.parametrize("solver", ["bdf", "rodas"])
def test_nonfinite_message_from_the_api(tmp_path, solver):
    from jaksim import simulate, simulate_ensemble

    model = load_model(_failing(tmp_path, **{"initial = 5.0": "initial = inf"}))
    ens = simulate_ensemble(model, [0.0, 1.0], params={"kon": [1e-5, 2e-5]}, solver=solver)
    assert all("species 'R'" in m for m in ens.messages)
    res = simulate(model, np.linspace(0, 1, 3), solver=solver)
    assert res.status != 0
    assert "species 'R'" in res.message
    with pytest.raises(SimulationError, match="species 'R'"):
        res.raise_for_status()


# -- SBML ------------------------------------------------------------------------------------
_SBML = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1" {ns}>
<model id="m"><listOfCompartments><compartment id="c" size="1" constant="true"/>
</listOfCompartments><listOfSpecies><species id="A" compartment="c" initialConcentration="1"
hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/></listOfSpecies>
{body}</model>{after}</sbml>"""


def _pkg(name: str, required: str = "true") -> str:
    return (f'xmlns:{name}="http://www.sbml.org/sbml/level3/version1/{name}/version1" '
            f'{name}:required="{required}"')  # fmt: skip


@pytest.mark.parametrize("package", ["qual", "distrib", "spatial", "arrays", "foo"])
def test_sbml_required_package_refused(package):
    with pytest.raises(ModelError, match=f"{package}"):
        read_sbml_string(_SBML.format(ns=_pkg(package), body="", after=""), "x.xml")


def test_sbml_comp_submodel_that_cannot_be_flattened():
    text = _SBML.format(
        ns=_pkg("comp"),
        body='<comp:listOfSubmodels><comp:submodel comp:id="s" comp:modelRef="ext"/>'
        "</comp:listOfSubmodels>",
        after='<comp:listOfExternalModelDefinitions><comp:externalModelDefinition comp:id="ext" '
        'comp:source="missing.xml" comp:modelRef="x"/></comp:listOfExternalModelDefinitions>',
    )
    with pytest.raises(ModelError, match="comp"):
        read_sbml_string(text, "x.xml")


def test_sbml_reaction_with_undefined_species(tmp_path, capsys):
    body = (
        '<listOfReactions><reaction id="r1" reversible="false" fast="false"><listOfReactants>'
        '<speciesReference species="A" stoichiometry="1" constant="true"/></listOfReactants>'
        '<listOfProducts><speciesReference species="Zed" stoichiometry="1" constant="true"/>'
        '</listOfProducts><kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">'
        "<ci>A</ci></math></kineticLaw></reaction></listOfReactions>"
    )
    path = tmp_path / "bad.xml"
    path.write_text(_SBML.format(ns="", body=body, after=""))
    out = tmp_path / "bad.toml"
    refused(capsys, "import-sbml", path, "--out", out, expect=(str(path), "r1", "'Zed'"))
    assert not out.exists()


# -- TOML writer -----------------------------------------------------------------------------
HOSTILE = 'del\x7f nul\x00 bel\x07 esc\x1b tab\t nl\n cr\r quote" back\\ ü \u2028 \U0001f600 \x85'


def test_toml_writer_escapes_control_characters(tmp_path):
    from dataclasses import replace

    model = load_model(BINDING)
    model = replace(
        model,
        name=HOSTILE,
        description=HOSTILE,
        metadata={"note": HOSTILE, "weird key\x7f\x01": "v"},
        species=tuple(replace(s, description=HOSTILE) for s in model.species),
    )
    text = model_to_toml(model)
    assert "\x7f" not in text and "\x00" not in text and "\x85" not in text
    path = write_model_toml(model, tmp_path / "m.toml")
    back = load_model_file(path)
    assert back.name == HOSTILE and back.description == HOSTILE
    assert back.metadata["note"] == HOSTILE and back.metadata["weird key\x7f\x01"] == "v"
    assert all(s.description == HOSTILE for s in back.species)


def test_export_import_round_trip_with_hostile_notes(tmp_path, capsys):
    from dataclasses import replace

    model = replace(load_model(BINDING), name=HOSTILE.replace("\x00", ""))
    toml = write_model_toml(model, tmp_path / "m.toml")
    xml, back = tmp_path / "m.xml", tmp_path / "back.toml"
    assert main(["export-sbml", str(toml), str(xml)]) == 0
    assert main(["import-sbml", str(xml), "--out", str(back)]) == 0
    name = load_model(back, require_sources=False).name
    # XML cannot hold NUL-like controls at all: they become U+FFFD; DEL and the rest survive
    assert name.startswith("del\x7f nul bel\ufffd esc\ufffd") and "\U0001f600" in name
    assert "\x7f" not in back.read_text()
