"""Loading model files: good fixtures give the right values, and every bad input gives an
error naming the file, the field and what was expected.

Bad files are made in ``tmp_path`` from the good ``tests/data/binding.toml`` by one text edit
each. Failure modes covered by ``test_bad_file`` (one parameter case each):

 1. invalid TOML syntax
 2. missing format_version
 3. unsupported format_version
 4. unknown top-level key (did you mean)
 5. unknown key in a component, with key path ``reactions[0].kff`` (did you mean)
 6. unknown key in [model]
 7. wrong value type (string where a number is expected)
 8. missing required key (parameter without units)
 9. missing units (empty units string)
10. unparsable unit
11. species initial value in a unit that is not a concentration or amount
12. compartment size unit that is not a volume
13. mass-action forward constant with the wrong dimension (expected vs got)
14. mass-action reverse constant with the wrong dimension
15. mass-action with an unknown constant (did you mean)
16. unknown species in a reaction (did you mean)
17. unknown compartment of a species (did you mean)
18. unknown compartment of a reaction
19. unparsable expression
20. unknown symbol in an expression (did you mean)
21. negative initial concentration
22. compartment size <= 0
23. stoichiometry given as a string
24. stoichiometry zero / negative
25. parameter with neither source nor assumed
26. bounds that do not contain the value
27. assignment cycle
28. duplicate id across kinds (a parameter named like a species)
29. both `rate` and `kf`
30. neither `rate` nor `kf`
31. `kr` without `kf`
32. input with an unknown target and an invalid op (several problems listed together)
33. invalid model units (time_unit = "nM")
34. a component written twice outside templates
35. a NaN value that no rule, initial assignment or event sets
36. a [model] flag of the wrong type (require_units = "no")
37. missing units when the file does not declare require_units = false
Template-specific failures (undeclared / missing placeholders, conflicting merges, unknown
template, include cycles, missing includes) are in ``tests/test_templates.py``.
"""

import math
from pathlib import Path

import pytest

from jaksim.io.toml_model import load_model_file
from jaksim.spec.errors import ExpressionError, ModelError, UnitError

DATA = Path(__file__).parent / "data"
GOOD = (DATA / "binding.toml").read_text()

EXTRA_ASSIGNMENTS = """
[[assignments]]
id = "a1"
expression = "a2 + 1"

[[assignments]]
id = "a2"
expression = "2*a1"
"""

# (case id, old text, new text, error type, fragments that must all appear in str(error))
CASES = [
    ("toml-syntax", 'id = "bind"', 'id = "bind', ModelError, ["invalid TOML"]),
    ("no-version", "format_version = 1", "", ModelError, ["missing 'format_version = 1'"]),
    (
        "bad-version",
        "format_version = 1",
        "format_version = 2",
        ModelError,
        ["format_version", "unsupported format_version 2"],
    ),
    (
        "top-key",
        "[model]",
        "reaction = []\n[model]",
        ModelError,
        ["unknown key 'reaction'", "did you mean 'reactions'"],
    ),
    (
        "component-key",
        'kf = "kon"',
        'kff = "kon"',
        ModelError,
        ["reactions[0].kff", "did you mean 'kf'"],
    ),
    (
        "model-key",
        'time_unit = "s"',
        'timeunit = "s"',
        ModelError,
        ["model.timeunit", "did you mean 'time_unit'"],
    ),
    (
        "type",
        "initial = 5.0",
        'initial = "5.0"',
        ModelError,
        ["species[1].initial", "expected number, got string '5.0'"],
    ),
    (
        "required",
        'units = "s^-1"',
        "",
        ModelError,
        ["parameters[1]", "missing required key 'units'"],
    ),
    (
        "empty-units",
        'units = "s^-1"',
        'units = ""',
        UnitError,
        ["parameter 'koff'.units", "empty unit"],
    ),
    (
        "bad-unit",
        'units = "s^-1"',
        'units = "sec^-1"',
        UnitError,
        ["parameter 'koff'.units", "unknown unit 'sec'"],
    ),
    (
        "species-unit",
        'initial = 5.0\nunits = "nM"',
        'initial = 5.0\nunits = "s"',
        UnitError,
        ["species 'R'.units", "not a concentration"],
    ),
    (
        "compartment-unit",
        'size = 1.0\nunits = "pL"',
        'size = 1.0\nunits = "nM"',
        UnitError,
        ["compartment 'cell'.units", "not a volume"],
    ),
    (
        "kf-dimension",
        'units = "1/(uM*min)"',
        'units = "1/min"',
        UnitError,
        ["reaction 'bind'.kf", "has units '1/s'", "order 2 needs '1/(nM*s)'"],
    ),
    (
        "kr-dimension",
        'units = "s^-1"',
        'units = "1/(nM*s)"',
        UnitError,
        ["reaction 'bind'.kr", "order 1 needs '1/s'"],
    ),
    (
        "kf-unknown",
        'kf = "kon"',
        'kf = "k_on"',
        ExpressionError,
        ["reaction 'bind'.kf", "unknown symbol 'k_on'", "did you mean 'kon'"],
    ),
    (
        "species-unknown",
        'products = ["LR"]',
        'products = ["L_R"]',
        ModelError,
        ["reaction 'bind'.products", "unknown species 'L_R'", "did you mean 'LR'"],
    ),
    (
        "species-compartment",
        'id = "LR"\ncompartment = "cell"',
        'id = "LR"\ncompartment = "cel"',
        ModelError,
        ["species 'LR'.compartment", "unknown compartment 'cel'", "did you mean 'cell'"],
    ),
    (
        "reaction-compartment",
        'kr = "koff"',
        'kr = "koff"\ncompartment = "nucleus"',
        ModelError,
        ["reaction 'bind'.compartment", "unknown compartment 'nucleus'"],
    ),
    (
        "expr-syntax",
        'expression = "LR/(R + LR)"',
        'expression = "LR/(R + LR"',
        ExpressionError,
        ["assignment 'bound_fraction'.expression"],
    ),
    (
        "expr-symbol",
        'expression = "LR/(R + LR)"',
        'expression = "LR/(Rtot + LR)"',
        ExpressionError,
        ["assignment 'bound_fraction'.expression", "unknown symbol 'Rtot'"],
    ),
    (
        "negative-initial",
        "initial = 5.0",
        "initial = -5.0",
        ModelError,
        ["species 'R'.initial", "must be >= 0"],
    ),
    (
        "zero-size",
        "size = 1.0",
        "size = 0.0",
        ModelError,
        ["compartment 'cell'.size", "must be > 0"],
    ),
    (
        "stoich-string",
        'reactants = ["L", "R"]',
        'reactants = {L = "1", R = 1}',
        ModelError,
        ["reactions[0].reactants.L", "must be a number > 0, got string '1'"],
    ),
    (
        "stoich-zero",
        'reactants = ["L", "R"]',
        "reactants = {L = 0, R = -1}",
        ModelError,
        ["reactions[0].reactants.L", "must be a number > 0, got integer 0"],
    ),
    (
        "no-source",
        'assumed = "test value"\nbounds',
        "bounds",
        ModelError,
        ["parameter 'koff'", "no 'source'", "'assumed'"],
    ),
    (
        "bounds",
        "bounds = [0.001, 0.1]",
        "bounds = [0.02, 0.1]",
        ModelError,
        ["parameter 'koff'.bounds", "outside bounds"],
    ),
    (
        "assignment-cycle",
        'units = "dimensionless"',
        'units = "dimensionless"' + EXTRA_ASSIGNMENTS,
        ModelError,
        ["assignment cycle: a1 -> a2 -> a1"],
    ),
    (
        "duplicate-id",
        "[[reactions]]",
        '[[parameters]]\nid = "L"\nvalue = 1.0\nunits = "1/s"\nassumed = "x"\n\n[[reactions]]',
        ModelError,
        ["parameter 'L'", "duplicate id 'L' (also a species)"],
    ),
    (
        "rate-and-kf",
        'kr = "koff"',
        'kr = "koff"\nrate = "kon*L*R"',
        ModelError,
        ["reactions[0]", "either 'rate' or 'kf'"],
    ),
    ("no-rate", 'kf = "kon"\nkr = "koff"', "", ModelError, ["reactions[0]", "missing rate law"]),
    ("kr-only", 'kf = "kon"\n', "", ModelError, ["reactions[0].kr", "'kr' needs 'kf'"]),
    (
        "inputs",
        "[[assignments]]",
        '[[inputs]]\ntarget = "LL"\nop = "multiply"\nchanges = [[0.0, 1.0]]\n\n[[assignments]]',
        ModelError,
        ["2 problems", "unknown target 'LL'", "did you mean 'L'", "op must be"],
    ),
    (
        "model-units",
        'time_unit = "s"',
        'time_unit = "nM"',
        UnitError,
        ["time_unit", "'nM' is not a unit of time"],
    ),
    (
        "written-twice",
        "[[assignments]]",
        '[[compartments]]\nid = "cell"\nsize = 1.0\nunits = "pL"\nassumed = "unit volume: '
        'concentration kinetics"\n\n[[assignments]]',
        ModelError,
        ["compartment 'cell' is defined by both compartments[0] and compartments[1]"],
    ),
    (
        "nan",
        "initial = 5.0",
        "initial = nan",
        ModelError,
        ["species 'R'.initial", "no value (NaN) and no rule"],
    ),
    (
        "flag-type",
        'volume_unit = "pL"',
        'volume_unit = "pL"\nrequire_units = "no"',
        ModelError,
        ["model.require_units", "expected true or false"],
    ),
    (
        "missing-units",
        'initial = 5.0\nunits = "nM"',
        'initial = 5.0\nunits = ""',
        UnitError,
        ["species 'R'.units", "empty unit"],
    ),
]


@pytest.mark.parametrize("case, old, new, error, fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_file(tmp_path, case, old, new, error, fragments):
    assert old in GOOD, f"case {case}: the fixture no longer contains {old!r}"
    path = tmp_path / f"{case}.toml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(error) as info:
        load_model_file(path)
    message = str(info.value)
    assert message.startswith(str(path)), message  # names the file first
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_binding_fixture_values_in_model_units():
    model = load_model_file(DATA / "binding.toml")
    assert model.source_file == str(DATA / "binding.toml")
    assert model.get_species("L").initial == pytest.approx(10.0, rel=1e-14)  # 0.01 uM
    kon = model.get_parameter("kon")  # 1.2/(uM*min) = 1.2/(1000 nM * 60 s)
    assert kon.units == "1/(nM*s)" and math.isclose(kon.value, 2e-5, rel_tol=1e-13)
    assert model.get_parameter("koff").units == "1/s"  # normalised spelling of s^-1
    assert model.get_parameter("koff").bounds == (0.001, 0.1)
    assert model.metadata["original.parameter.kon"] == "1.2 1/(uM*min)"
    (bind,) = model.reactions
    assert bind.rate == "kon*L*R - koff*LR" and bind.reversible
    assert bind.compartment == "cell"  # default: first reactant's compartment


def test_transport_fixture():
    model = load_model_file(DATA / "transport.toml")
    assert model.time_unit == "min"
    assert model.get_parameter("kin").value == pytest.approx(3.0, rel=1e-14)  # 0.05/s
    assert model.get_compartment("nuc").size == pytest.approx(0.5, rel=1e-14)  # 500 fL
    # 1204.4 molecules / (6.02214076e23 /mol) / 2e-12 L, in nM
    expected = 1204.4 / 6.02214076e23 / 2e-12 * 1e9
    assert model.get_species("X_cyt").initial == pytest.approx(expected, rel=1e-13)
    assert {r.id: r.compartment for r in model.reactions} == {"import": "cyt", "export": "cyt"}


def test_stoichiometry_powers_in_mass_action(tmp_path):
    text = GOOD.replace('reactants = ["L", "R"]', "reactants = {L = 2, R = 1}").replace(
        'units = "1/(uM*min)"', 'units = "1/(nM^2*s)"'
    )
    path = tmp_path / "dimer.toml"
    path.write_text(text)
    assert load_model_file(path).reactions[0].rate == "kon*L^2*R - koff*LR"


def test_amount_species_and_no_compartment_reaction(tmp_path):
    # compartment = "" means a rate in amount/time: a 0th-order production constant is then
    # amount/time and the 1st-order decay constant of an amount species is 1/time
    text = (
        GOOD
        + """
[[species]]
id = "P"
compartment = "cell"
initial = 0.0
amount = true

[[parameters]]
id = "ksyn"
value = 1.0
units = "nM*pL/s"
assumed = "x"

[[parameters]]
id = "kdeg"
value = 1.0
units = "1/min"
assumed = "x"

[[reactions]]
id = "syn"
products = ["P"]
kf = "ksyn"
compartment = ""

[[reactions]]
id = "deg"
reactants = ["P"]
kf = "kdeg"
compartment = ""
"""
    )
    path = tmp_path / "amount.toml"
    path.write_text(text)
    model = load_model_file(path)
    assert model.get_species("P").units == "nM*pL"
    assert [r.compartment for r in model.reactions] == ["cell", None, None]
    path.write_text(text.replace('units = "1/min"', 'units = "1/(nM*min)"'))
    with pytest.raises(UnitError, match=r"reaction 'deg'\.kf: .* needs '1/s'"):
        load_model_file(path)


def test_validate_python_model_collects_problems():
    """Models built in Python (not from a file) get the same checks; problems are listed."""
    from dataclasses import replace

    from jaksim.spec.model import Parameter, Reaction
    from jaksim.spec.validate import MAX_REPORTED, validate_model

    model = load_model_file(DATA / "binding.toml")
    bad = replace(
        model,
        source_file="",
        reactions=(
            Reaction("r1", (("L", "1"),), (("LR", 1.0),), "kon*L"),  # stoichiometry as text
            Reaction("r2", (("L", True),), (), "kon*L"),  # a bool is not a number
            Reaction("r3", (("L", 1.0),), (), "kon*L", modifiers=("Rr",)),
        ),
    )
    with pytest.raises(ModelError) as info:
        validate_model(bad, file="python-model")
    message = str(info.value)
    assert message.startswith("python-model: 3 problems:")
    assert "reaction 'r1'.reactants: stoichiometry of 'L' must be a number > 0, got '1'" in message
    assert "reaction 'r2'.reactants: stoichiometry of 'L' must be a number > 0, got True" in message
    assert "reaction 'r3'.modifiers: unknown species 'Rr' (did you mean 'R'?)" in message
    extra = tuple(Parameter(f"k{i}", 1.0, "1/s") for i in range(MAX_REPORTED + 5))
    with pytest.raises(
        ModelError,
        match=rf": {MAX_REPORTED + 5} problems:\n(.*\n){{{MAX_REPORTED}}}"
        r"  \.\.\. and 5 more$",
    ):
        validate_model(replace(model, parameters=model.parameters + extra))
