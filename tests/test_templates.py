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


# -- templates using templates ----------------------------------------------------------------

PAIR = Template.define(
    "pair",
    ["L1", "L2", "R"],
    description="{L1} and {L2} compete for {R}",
    use=[
        {"template": "binding", "with": {"L": "{L1}", "R": "{R}"}},
        {
            "template": BINDING,  # a Template object works as well as a name
            "with": {"L": "{L2}", "R": "{R}"},
            "parameters": {"kon_{L2}": 0.6},
            "sources": {"kon_{L2}": "faster {L2}"},
        },
    ],
)


def test_nested_uses_substitute_outer_placeholders_and_merge():
    c = PAIR.instantiate({"binding": BINDING}, L1="IL4", L2="IL13", R="IL4RA")
    # the shared receptor and compartment are made twice and merge into one
    merged = merge_components(c)
    assert [s.id for s in merged.species] == ["IL4", "IL4RA", "IL4_IL4RA", "IL13", "IL13_IL4RA"]
    kon = {p.id: p for p in merged.parameters}
    assert kon["kon_IL13"].value == 0.6 and kon["kon_IL13"].source == "faster IL13"
    assert kon["kon_IL4"].value == 0.06 and kon["kon_IL4"].source == "table 1 for IL4"


def test_outer_overrides_reach_nested_parameters():
    entries = PAIR.tables_for(
        {"L1": "A", "L2": "B", "R": "R"},
        parameters={"kon_A": 1.5, "kon_B": 2.5},
        templates={"binding": BINDING},
    )
    values = {t["id"]: t["value"] for kind, _, t, _ in entries if kind == "parameters"}
    assert values == {"kon_A": 1.5, "kon_B": 2.5}  # the outer use wins over the inner one


def test_nested_unknown_template_names_the_chain_and_suggests():
    with pytest.raises(ModelError, match=r"use\[0\] > pair\.use\[0\].*unknown template 'binding'"):
        PAIR.tables_for({"L1": "A", "L2": "B", "R": "R"}, where="use[0]", templates={})
    typo = Template.define("typo", [], use=[{"template": "bindng", "with": {}}])
    with pytest.raises(ModelError, match=r"did you mean 'binding'"):
        typo.instantiate({"binding": BINDING})


def test_template_cycle_is_an_error_naming_the_chain():
    a = Template.define("a", ["X"], use=[{"template": "b", "with": {"Y": "{X}"}}])
    b = Template.define("b", ["Y"], use=[{"template": "a", "with": {"X": "{Y}"}}])
    with pytest.raises(ModelError, match=r"template cycle: a -> b -> a"):
        a.instantiate({"a": a, "b": b}, X="1")


def test_nesting_depth_is_limited():
    from jaksim.spec.templates import MAX_DEPTH

    levels = {"t0": Template.define("t0", [], parameters=[])}
    for i in range(1, MAX_DEPTH + 1):
        levels[f"t{i}"] = Template.define(f"t{i}", [], use=[{"template": f"t{i - 1}"}])
    levels[f"t{MAX_DEPTH - 1}"].instantiate(levels)  # MAX_DEPTH levels are fine
    with pytest.raises(ModelError, match=rf"nested deeper than {MAX_DEPTH} levels: t{MAX_DEPTH}"):
        levels[f"t{MAX_DEPTH}"].instantiate(levels)


def test_nested_use_is_checked_on_definition():
    with pytest.raises(ModelError, match=r"templates\.t\.use\[0\]\.wiht: unknown key.*'with'"):
        Template.define("t", [], use=[{"template": "binding", "wiht": {}}])
    with pytest.raises(ModelError, match=r"undeclared placeholder \{Z\}"):
        Template.define("t", ["R"], use=[{"template": "binding", "with": {"L": "{Z}"}}])


def test_nested_templates_from_toml(tmp_path):
    module = _write(
        tmp_path / "mods" / "pair.toml",
        f'format_version = 1\ninclude = ["{DATA}/modules/binding_module.toml"]\n'
        "[templates.pair]\n"
        'placeholders = ["L1", "L2", "R"]\n'
        "[[templates.pair.use]]\n"
        'template = "ligand_binding"\nwith = { L = "{L1}", R = "{R}" }\n'
        "[[templates.pair.use]]\n"
        'template = "ligand_binding"\nwith = { L = "{L2}", R = "{R}" }\n',
    )
    text = MODEL_HEAD.format(inc=f'"{module}"')
    text += '[[use]]\ntemplate = "pair"\nwith = { L1 = "A", L2 = "B", R = "R" }\n'
    model = load_model_file(_write(tmp_path / "m.toml", text))
    assert {r.id for r in model.reactions} >= {"A_binds_R", "B_binds_R"}
    cyc = _write(
        tmp_path / "c.toml",
        MODEL_HEAD.format(inc="")
        + '[templates.p]\nplaceholders = []\n[[templates.p.use]]\ntemplate = "q"\n'
        + '[templates.q]\nplaceholders = []\n[[templates.q.use]]\ntemplate = "p"\n'
        + '[[use]]\ntemplate = "p"\n',
    )
    with pytest.raises(ModelError, match=r"c\.toml: use\[0\].*template cycle: p -> q -> p"):
        load_model_file(cyc)
