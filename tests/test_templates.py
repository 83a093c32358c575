"""Templates: substitution, merging, overrides, includes (TOML) and the Python API."""

import math
from pathlib import Path

import pytest

from jaksim.io.toml_model import load_model_file
from jaksim.spec.builder import build_model
from jaksim.spec.errors import ModelError
from jaksim.spec.templates import Template, merge_components

DATA = Path(__file__).parent / "data"

BINDING = Template.define(
    "binding",
    ["L", "R"],
    description="{L} binds {R}",
    compartments=[{"id": "cell", "size": 1.0, "units": "pL", "assumed": "unit volume"}],
    species=[
        {"id": "{L}", "compartment": "cell", "initial": 1.0, "units": "nM"},
        {"id": "{R}", "compartment": "cell", "initial": 2.0, "units": "nM"},
        {"id": "{L}_{R}", "compartment": "cell"},
    ],
    parameters=[
        {"id": "kon_{L}", "value": 0.06, "units": "1/(uM*min)", "source": "table 1 for {L}"}
    ],
    reactions=[
        {
            "id": "{L}_binds_{R}",
            "reactants": {"{L}": 1, "{R}": 1},
            "products": ["{L}_{R}"],
            "kf": "kon_{L}",
            "description": "{L} + {R}",
        }
    ],
)


def test_instantiate_substitutes_every_string():
    c = BINDING.instantiate(L="IL6", R="gp130")
    (r,) = c.reactions
    assert r.id == "IL6_binds_gp130"
    assert r.reactants == (("IL6", 1.0), ("gp130", 1.0))  # placeholders in table keys too
    assert r.products == (("IL6_gp130", 1.0),)
    assert r.rate == "kon_IL6*IL6*gp130"
    assert r.description == "IL6 + gp130"
    assert c.parameters[0].source == "table 1 for IL6"
    assert c.mass_action == {"IL6_binds_gp130": ("kon_IL6", None)}


def test_python_merge_and_build_converts_units():
    # the shared receptor gp130 and compartment merge; kon 0.06/(uM*min) = 1e-6/(nM*s)
    parts = BINDING.instantiate(L="IL6", R="gp130"), BINDING.instantiate(L="IL11", R="gp130")
    model = build_model("two", merge_components(*parts))
    assert [s.id for s in model.species] == ["IL6", "gp130", "IL6_gp130", "IL11", "IL11_gp130"]
    kon = model.get_parameter("kon_IL11")
    assert kon.units == "1/(nM*s)" and math.isclose(kon.value, 1e-6, rel_tol=1e-12)
    assert model.reactions[0].compartment == "cell"  # default: first reactant's compartment


def test_conflicting_components_name_both_origins():
    other = Template.define(
        "other", ["R"], species=[{"id": "{R}", "compartment": "cell", "initial": 9.0}]
    )
    with pytest.raises(
        ModelError, match=r"species 'gp130' is defined by both .*differ in \['initial'\]"
    ):
        merge_components(BINDING.instantiate(L="IL6", R="gp130"), other.instantiate(R="gp130"))


def test_undeclared_placeholder_is_an_error():
    with pytest.raises(ModelError, match=r"undeclared placeholder \{Rr\}.*did you mean 'R'"):
        Template.define("t", ["R"], species=[{"id": "{Rr}", "compartment": "c"}])


def test_missing_and_unknown_substitutions():
    with pytest.raises(ModelError, match=r"missing \['R'\], unknown \['RR'\].*did you mean 'R'"):
        BINDING.instantiate(L="IL6", RR="gp130")


def test_template_tables_are_checked_on_definition():
    with pytest.raises(ModelError, match=r"templates\.t\.reactions\[0\]\.kff.*did you mean 'kf'"):
        Template.define("t", [], reactions=[{"id": "r", "reactants": ["A"], "kff": "k"}])


def test_overrides():
    entries = BINDING.tables_for(
        {"L": "A", "R": "B"}, parameters={"kon_A": 0.5}, sources={"kon_A": "new paper"}
    )
    (param,) = [t for kind, _, t, _ in entries if kind == "parameters"]
    assert param["value"] == 0.5 and param["source"] == "new paper"
    assert BINDING.tables["parameters"][0]["value"] == 0.06  # the template is unchanged
    with pytest.raises(ModelError, match=r"no parameter 'kon_X'.*did you mean 'kon_A'"):
        BINDING.tables_for({"L": "A", "R": "B"}, parameters={"kon_X": 1.0})


def test_templated_fixture_with_include():
    model = load_model_file(DATA / "templated.toml")
    ids = [s.id for s in model.species]
    assert ids.count("R") == 1  # one shared receptor pool from two uses
    assert model.parameter_ids().count("kdeg") == 1
    assert model.get_parameter("kon_B_R").value == 0.05
    assert model.get_parameter("kon_B_R").source == "test: a faster binder"
    assert model.get_parameter("kon_B_R").assumed == ""
    assert model.get_parameter("kon_A_R").value == 0.02
    assert {r.id for r in model.reactions} == {"A_binds_R", "B_binds_R", "deg_A_R", "deg_B_R"}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


MODEL_HEAD = """format_version = 1
include = [{inc}]
[model]
id = "m"
[[compartments]]
id = "cell"
assumed = "x"
"""


def test_include_cycle_is_detected(tmp_path):
    _write(tmp_path / "mods/a.toml", 'format_version = 1\ninclude = ["b.toml"]\n')
    _write(tmp_path / "mods/b.toml", 'format_version = 1\ninclude = ["a.toml"]\n')
    main = _write(tmp_path / "m.toml", MODEL_HEAD.format(inc='"mods/a.toml"'))
    with pytest.raises(ModelError, match=r"include cycle: .*a\.toml -> .*b\.toml -> .*a\.toml"):
        load_model_file(main)


def test_diamond_include_and_missing_include(tmp_path):
    _write(tmp_path / "d.toml", "format_version = 1\n[templates.t]\nplaceholders = []\n")
    _write(tmp_path / "b.toml", 'format_version = 1\ninclude = ["d.toml"]\n')
    _write(tmp_path / "c.toml", 'format_version = 1\ninclude = ["d.toml"]\n')
    main = _write(tmp_path / "m.toml", MODEL_HEAD.format(inc='"b.toml", "c.toml"'))
    assert load_model_file(main).id == "m"  # d.toml's template seen twice is one template
    bad = _write(tmp_path / "n.toml", MODEL_HEAD.format(inc='"nope.toml"'))
    with pytest.raises(ModelError, match=r"n\.toml: include\[0\]: included file 'nope.toml' not"):
        load_model_file(bad)


def test_unknown_template_in_use(tmp_path):
    text = MODEL_HEAD.format(inc='"modules/binding_module.toml"').replace(
        "include = [", f'include = ["{DATA}/modules/binding_module.toml", '
    )
    text = text.replace('"modules/binding_module.toml"]', "]")
    text += '[[use]]\ntemplate = "ligand_bindin"\nwith = { L = "A", R = "B" }\n'
    main = _write(tmp_path / "m.toml", text)
    with pytest.raises(
        ModelError,
        match=r"use\[0\]\.template: unknown template 'ligand_bindin' "
        r"\(did you mean 'ligand_binding'\?\)",
    ):
        load_model_file(main)


def test_module_file_is_not_a_model():
    with pytest.raises(ModelError, match="template module"):
        load_model_file(DATA / "modules" / "binding_module.toml")


@pytest.mark.parametrize(
    "module", ["jaksim.spec.templates", "jaksim.spec.builder", "jaksim.spec.units"]
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
