"""SBML import: MathML conversion, species semantics, refusals (checked against analytic values)."""

from __future__ import annotations

import math

import libsbml
import numpy as np
import pytest

from jaksim.compile.compiled import compile_model
from jaksim.io.sbml_import import UnsupportedSBML, read_sbml_string
from jaksim.io.sbml_math import ast_to_expr
from jaksim.simulation.events import simulate_events
from jaksim.spec.expr import evaluate


def _math(formula: str, env: dict[str, float], functions=None) -> float:
    ast = libsbml.parseL3Formula(formula)
    assert ast is not None, libsbml.getLastParseL3Error()
    return evaluate(ast_to_expr(ast, functions or {}), env)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("log(2, 8)", 3.0),  # MathML log with logbase
        ("log10(1000)", 3.0),
        ("root(3, 27)", 3.0),
        ("sqrt(16)", 4.0),
        ("piecewise(1, x > 5, 2, x > 1, 3)", 2.0),
        ("piecewise(1, x > 5, 2)", 2.0),
        ("xor(x > 1, x > 2, x > 3)", 1.0),  # x = 2: one of three true
        ("xor(x > 1, x > 0, x > 3)", 0.0),  # two of three true
        ("quotient(-7, 2)", -3.0),  # truncation toward zero
        ("rem(-7, 2)", -1.0),
        ("2^3^2", 512.0),
        ("-x^2", -4.0),
        ("ceiling(1.2) + floor(1.8)", 3.0),
        ("factorial(4)", 24.0),
        ("arcsinh(sinh(0.5))", 0.5),
        ("max(1, x, 3)", 3.0),
        ("exp(ln(5))", 5.0),
        ("implies(x > 3, x > 10)", 1.0),
    ],
)
def test_math_conversion(formula: str, expected: float) -> None:
    assert _math(formula, {"x": 2.0}) == pytest.approx(expected, rel=1e-12)


def test_function_definitions_are_inlined_with_shadowing_argument_names() -> None:
    lam = libsbml.parseL3Formula("lambda(x, y, x^2 + y)")
    # the caller's symbol 'y' is passed as the bound variable x: f(y, 1) = y^2 + 1, not 1^2 + 1
    assert _math("f(y, 1)", {"y": 3.0}, {"f": lam}) == 10.0


def _doc(body: str, version: int = 2) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version{version}/core" level="3" version="{version}">
 <model id="m">
  <listOfCompartments>
   <compartment id="c" size="2" spatialDimensions="3" constant="true"/>
  </listOfCompartments>
  <listOfSpecies>
   <species id="A" compartment="c" initialAmount="4" hasOnlySubstanceUnits="false"
            boundaryCondition="false" constant="false"/>
   <species id="B" compartment="c" initialAmount="0" hasOnlySubstanceUnits="true"
            boundaryCondition="false" constant="false"/>
  </listOfSpecies>
  <listOfParameters>
   <parameter id="k" value="0.5" constant="true"/>
   <parameter id="pi" value="7" constant="true"/>
  </listOfParameters>
  {body}
 </model>
</sbml>"""


_REACTION = """
  <listOfReactions>
   <reaction id="R" reversible="false">
    <listOfReactants><speciesReference species="A" stoichiometry="1" constant="true"/>
    </listOfReactants>
    <listOfProducts><speciesReference species="B" stoichiometry="2" constant="true"/>
    </listOfProducts>
    <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
      <apply><times/><ci>k</ci><ci>A</ci><ci>c</ci></apply></math>
    </kineticLaw>
   </reaction>
  </listOfReactions>"""


def test_amount_and_concentration_semantics_match_the_analytic_solution() -> None:
    """A -> 2B with rate k*[A]*V (amount/time); [A] = 2 e^{-kt}, amount B = 2*(4 - 4e^{-kt})."""
    model = read_sbml_string(_doc(_REACTION))
    a, b = model.get_species("A"), model.get_species("B")
    assert (a.amount, a.initial) == (False, 2.0)  # initialAmount 4 in size 2 -> 2 concentration
    assert b.amount
    t = np.linspace(0.0, 4.0, 9)
    sim = simulate_events(compile_model(model, jit=False), t)
    np.testing.assert_allclose(sim["A"], 2.0 * np.exp(-0.5 * t), rtol=1e-6)
    np.testing.assert_allclose(sim["B"], 2.0 * (4.0 - 4.0 * np.exp(-0.5 * t)), rtol=1e-6)


def test_reserved_ids_are_renamed_and_recorded() -> None:
    body = """<listOfRules><assignmentRule variable="B"><math
      xmlns="http://www.w3.org/1998/Math/MathML"><ci>pi</ci></math></assignmentRule>
      </listOfRules>"""
    model = read_sbml_string(_doc(body))
    assert "pi_" in model.parameter_ids()
    assert model.assignments[0].expression == "pi_"  # the parameter, not 3.14159
    assert model.metadata["sbml_renamed"] == "pi_=pi"


def test_every_unsupported_construct_is_listed_in_one_error() -> None:
    """An algebraic rule on constants only (nothing it could determine) and rateOf of an
    assignment-rule variable are refused together (fast reactions and delay() are imported:
    tests/test_sbml_dae.py)."""
    body = """
  <listOfRules>
   <algebraicRule><math xmlns="http://www.w3.org/1998/Math/MathML">
     <apply><minus/><ci>k</ci><cn>1</cn></apply></math></algebraicRule>
   <assignmentRule variable="B"><math xmlns="http://www.w3.org/1998/Math/MathML">
     <ci>k</ci></math></assignmentRule>
  </listOfRules>
  <listOfReactions>
   <reaction id="R1" reversible="false" fast="true">  <!-- L3V1: fast exists -->
    <listOfReactants><speciesReference species="A" stoichiometry="1" constant="true"/>
    </listOfReactants>
    <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
      <apply><csymbol encoding="text"
       definitionURL="http://www.sbml.org/sbml/symbols/rateOf">rateOf</csymbol>
       <ci>B</ci></apply></math></kineticLaw>
   </reaction>
  </listOfReactions>"""
    with pytest.raises(UnsupportedSBML) as info:
        read_sbml_string(_doc(body, version=1), source="bad.xml")
    err = info.value
    assert set(err.constructs) == {
        "algebraic rule without a variable it could determine",
        "csymbol rateOf of an assignment-rule variable",
    }
    assert err.constructs["csymbol rateOf of an assignment-rule variable"] == ["reaction R1"]
    assert str(err).startswith("bad.xml: unsupported SBML:")


def test_invalid_sbml_is_a_model_error_naming_the_file() -> None:
    from jaksim.spec.errors import ModelError

    with pytest.raises(ModelError, match="x.xml: not valid SBML"):
        read_sbml_string("<sbml>", source="x.xml")


def test_time_triggered_delayed_event_executes_at_trigger_plus_delay() -> None:
    """A grows at rate 1 (rate rule on a parameter); event at time >= 1, delay 0.5, sets it 0."""
    body = """
  <listOfRules><rateRule variable="p"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <cn>1</cn></math></rateRule></listOfRules>
  <listOfEvents>
   <event id="E" useValuesFromTriggerTime="true">
    <trigger initialValue="true" persistent="true"><math
      xmlns="http://www.w3.org/1998/Math/MathML"><apply><geq/><csymbol encoding="text"
      definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol><cn>1</cn></apply>
      </math></trigger>
    <delay><math xmlns="http://www.w3.org/1998/Math/MathML"><cn>0.5</cn></math></delay>
    <listOfEventAssignments><eventAssignment variable="p"><math
      xmlns="http://www.w3.org/1998/Math/MathML"><ci>p</ci></math></eventAssignment>
    </listOfEventAssignments>
   </event>
  </listOfEvents>"""
    text = _doc(body).replace(
        '<parameter id="k" value="0.5" constant="true"/>',
        '<parameter id="k" value="0.5" constant="true"/>'
        '<parameter id="p" value="0" constant="false"/>',
    )
    model = read_sbml_string(text)
    t = np.array([0.0, 1.0, 1.25, 1.5, 2.0])
    p = simulate_events(compile_model(model, jit=False), t)["p"]
    # value computed at trigger time (p=1) and assigned at 1.5: p(2) = 1 + 0.5
    np.testing.assert_allclose(p, [0.0, 1.0, 1.25, 1.0, 1.5], atol=1e-6)
    assert not math.isnan(p[-1])


def test_published_model_with_time_events_rodas_and_lsoda_agree() -> None:
    """Swameye et al. 2003 (JAK2-STAT5; spline input switched by time events): the event driver
    on jaksim's Rodas (numba kernels) and on scipy LSODA (Python kernels) agree."""
    from pathlib import Path

    from jaksim.io.sbml_import import load_sbml

    model = load_sbml(Path(__file__).parent / "data" / "sbml" / "Swameye_PNAS2003.xml")
    t = np.linspace(0.0, 60.0, 61)  # min
    fast = simulate_events(compile_model(model, jit=True), t, rtol=1e-10, atol=1e-12)
    ref = simulate_events(compile_model(model, jit=False), t, rtol=1e-10, atol=1e-12)
    for sid in ("STAT", "pSTAT", "pSTAT_pSTAT", "npSTAT_npSTAT", "nSTAT5"):
        scale = np.abs(ref[sid]).max()
        assert np.max(np.abs(fast[sid] - ref[sid])) <= 1e-6 * scale, sid
    # the nucleocytoplasmic cycle conserves STAT (cytoplasm 1.4 pL, nucleus 0.45 pL)
    cyt = ref["STAT"] + ref["pSTAT"] + 2 * ref["pSTAT_pSTAT"]
    nuc = 2 * ref["npSTAT_npSTAT"] + sum(ref[f"nSTAT{i}"] for i in range(1, 6))
    total = 1.4 * cyt + 0.45 * nuc
    np.testing.assert_allclose(total, total[0], rtol=1e-7)


_TIME = '<csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol>'


def _event(
    eid: str, trigger: str, assigns: dict[str, str], initial_value: bool = False, delay: str = ""
) -> str:
    """An SBML event; ``trigger``, delay and assignment values are MathML content."""
    mathml = '<math xmlns="http://www.w3.org/1998/Math/MathML">{}</math>'
    items = "".join(f'<eventAssignment variable="{v}">{mathml.format(m)}</eventAssignment>'
                    for v, m in assigns.items())  # fmt: skip
    delay = f"<delay>{mathml.format(delay)}</delay>" if delay else ""
    return (f'<event id="{eid}" useValuesFromTriggerTime="true"><trigger persistent="true" '
            f'initialValue="{str(initial_value).lower()}">{mathml.format(trigger)}</trigger>'
            f"{delay}<listOfEventAssignments>{items}</listOfEventAssignments></event>")  # fmt: skip


def _events(*events: str) -> str:
    return _doc(_REACTION + "<listOfEvents>" + "".join(events) + "</listOfEvents>")


def _at(op: str, left: str, right: str) -> str:
    return f"<apply><{op}/>{left}{right}</apply>"


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # time >= 0 with initialValue false fires at the start
        ([_event("E", _at("geq", _TIME, "<cn>0</cn>"), {"B": "<cn>5</cn>"})], {"B": ((0.0, 5.0),)}),
        # 1 < time fires at 1; T may be an unchanged constant parameter (k = 0.5)
        ([_event("E1", _at("lt", "<cn>1</cn>", _TIME), {"A": "<cn>3</cn>"}),
          _event("E2", _at("geq", _TIME, "<ci>k</ci>"), {"A": "<apply><minus/><cn>1</cn></apply>",
                                                        "B": "<cn>0</cn>"})],
         {"A": ((0.5, -1.0), (1.0, 3.0)), "B": ((0.5, 0.0),)}),
    ],
)  # fmt: skip
def test_timed_constant_events_become_inputs(events: list[str], expected: dict) -> None:
    model = read_sbml_string(_events(*events))
    assert model.events == ()
    assert {i.target: i.changes for i in model.inputs} == expected
    assert all(i.op == "set" for i in model.inputs)


@pytest.mark.parametrize(
    "events",
    [
        # initialValue true at T = 0: the trigger is already true at the start, never fires
        [_event("E", _at("geq", _TIME, "<cn>0</cn>"), {"B": "<cn>5</cn>"}, initial_value=True)],
        # time > 0 becomes true just after 0: the value reported at t = 0 is the old one
        [_event("E", _at("gt", _TIME, "<cn>0</cn>"), {"B": "<cn>5</cn>"})],
        [_event("E", _at("geq", _TIME, "<cn>1</cn>"), {"B": "<cn>5</cn>"}, delay="<cn>1</cn>")],
        [_event("E", _at("geq", "<ci>B</ci>", "<cn>1</cn>"), {"A": "<cn>5</cn>"})],  # state
        [_event("E", _at("geq", _TIME, "<cn>1</cn>"), {"B": "<ci>k</ci>"})],  # not a number
        # two events setting B at the same time: their order would matter
        [_event("E1", _at("geq", _TIME, "<cn>1</cn>"), {"B": "<cn>5</cn>"}),
         _event("E2", _at("gt", _TIME, "<cn>1</cn>"), {"B": "<cn>6</cn>"})],
        # one event the kernels cannot run as an input keeps every event an event
        [_event("E1", _at("geq", _TIME, "<cn>1</cn>"), {"A": "<cn>5</cn>"}),
         _event("E2", _at("geq", "<ci>B</ci>", "<cn>1</cn>"), {"A": "<cn>1</cn>"})],
    ],
)  # fmt: skip
def test_other_events_stay_events(events: list[str]) -> None:
    model = read_sbml_string(_events(*events))
    assert len(model.events) == len(events)
    assert model.inputs == ()


def test_event_at_start_with_initial_value_true_does_not_fire() -> None:
    """SBML: a trigger already true at t0 (initialValue true) never fires, so B follows the
    reaction's analytic solution from its initial amount 0."""
    trigger = _at("geq", _TIME, "<cn>0</cn>")
    model = read_sbml_string(_events(_event("E", trigger, {"B": "<cn>5</cn>"}, True)))
    t = np.linspace(0.0, 2.0, 5)
    sim = simulate_events(compile_model(model, jit=False), t)
    np.testing.assert_allclose(sim["B"], 2.0 * (4.0 - 4.0 * np.exp(-0.5 * t)), rtol=1e-6)


def test_converted_events_keep_amount_and_concentration_semantics() -> None:
    """At t = 1: [A] := 3 (concentration, V = 2) and B := 0 (an amount). After that
    [A] = 3 e^{-k(t-1)} and amount B = 2 * V * 3 * (1 - e^{-k(t-1)}), k = 0.5."""
    from jaksim.simulation import simulate

    trigger = _at("geq", _TIME, "<cn>1</cn>")
    model = read_sbml_string(_events(_event("E", trigger, {"A": "<cn>3</cn>", "B": "<cn>0</cn>"})))
    assert model.events == () and len(model.inputs) == 2
    t = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0])
    sim = simulate(compile_model(model, jit=True), t, rtol=1e-10, atol=1e-12)
    after = np.exp(-0.5 * np.clip(t - 1.0, 0.0, None))
    a = np.where(t < 1, 2.0 * np.exp(-0.5 * t), 3.0 * after)
    b = np.where(t < 1, 2.0 * (4.0 - 4.0 * np.exp(-0.5 * t)), 12.0 * (1.0 - after))
    np.testing.assert_allclose(sim["A"], a, rtol=1e-7)
    np.testing.assert_allclose(sim["B"], b, rtol=1e-7, atol=1e-9)


def test_exported_shipped_model_imports_its_input_as_an_input() -> None:
    """il6's IL-6 dose (an Input at t = 0) round-trips through SBML as an Input, not an event,
    and the imported model's trajectories match the shipped model's."""
    from jaksim.io.registry import load_model
    from jaksim.io.sbml_export import model_to_sbml
    from jaksim.simulation import simulate

    native = load_model("il6")
    model = read_sbml_string(model_to_sbml(native))
    assert model.events == ()
    assert [(i.target, i.changes, i.op) for i in model.inputs] == [
        (i.target, i.changes, i.op) for i in native.inputs
    ]
    t = np.linspace(0.0, 3600.0, 61)
    compiled = compile_model(native, jit=True)
    ref = simulate(compiled, t, rtol=1e-10, atol=1e-12)
    got = simulate(compile_model(model, jit=True), t, rtol=1e-10, atol=1e-12)
    species = [s for s in compiled.state_ids if s in native.species_ids()]
    assert len(species) > 30
    for sid in species:
        scale = max(np.ptp(ref[sid]), 1e-12)
        assert np.max(np.abs(got[sid] - ref[sid])) <= 1e-6 * scale, sid
