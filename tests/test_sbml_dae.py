"""Beyond libRoadRunner: SBML algebraic rules (DAEs), fast reactions and delay().

Checked against analytic solutions (an index-1 DAE, a rapid-equilibrium system, the
method-of-steps solution of ``x' = -x(t-1)``) and the SBML Test Suite's expected results for
the cases these features made pass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jaksim.compile.compiled import compile_model
from jaksim.io.sbml_import import read_sbml_string
from jaksim.simulation import simulate
from jaksim.simulation.events import simulate_events
from jaksim.spec.errors import ModelError
from jaksim.spec.model import AlgebraicRule, Compartment, Model, Parameter, RateRule

CASES = Path(__file__).resolve().parents[2] / "shared" / "sbml-test-suite" / "cases"

MATHML = 'xmlns="http://www.w3.org/1998/Math/MathML"'


def _sbml(body: str, level: int = 3, version: int = 2) -> str:
    ns = f"http://www.sbml.org/sbml/level{level}/version{version}" + ("/core" if level == 3 else "")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sbml xmlns="{ns}" level="{level}" '
        f'version="{version}"><model id="m">{body}</model></sbml>'
    )


def _math(inner: str) -> str:
    return f"<math {MATHML}>{inner}</math>"


# -- algebraic rules -----------------------------------------------------------------------
def _dae_model(z0: float = 0.0) -> Model:
    """x' = -z, 0 = z - k x (z feeds back: x = x0 exp(-k t)), 0 = w - x^2 (w = x^2)."""
    return Model(
        id="dae",
        compartments=(Compartment("c", 1.0),),
        parameters=(
            Parameter("k", 0.7),
            Parameter("x", 2.0, constant=False),
            Parameter("z", z0, constant=False),
            Parameter("w", float("nan"), constant=False),
        ),
        rate_rules=(RateRule("x", "-z"),),
        algebraic_rules=(AlgebraicRule("z", "z - k*x"), AlgebraicRule("w", "w - x^2")),
    )


@pytest.mark.parametrize("solver", ["rodas", "bdf", "radau"])
def test_algebraic_rules_match_the_analytic_solution(solver: str) -> None:
    """Consistent initialisation (z0 = 0, w unset) and elimination: every solver path."""
    t = np.linspace(0.0, 3.0, 13)
    res = simulate(compile_model(_dae_model(), jit=False), t, solver=solver, rtol=1e-10,
                   atol=1e-12)  # fmt: skip
    assert res.status == 0, res.message
    x = 2.0 * np.exp(-0.7 * t)
    np.testing.assert_allclose(res["x"], x, rtol=1e-7)
    np.testing.assert_allclose(res["z"], 0.7 * x, rtol=1e-7)  # z(0) = 1.4, not the given 0
    np.testing.assert_allclose(res["w"], x**2, rtol=1e-7)


def test_badly_scaled_residuals_converge() -> None:
    """Residuals of scale 1e9 / 1e12 cannot meet an absolute tolerance in floating point:
    Newton's increment test accepts them."""
    from dataclasses import replace

    rules = (AlgebraicRule("z", "1e9*(z - k*x)"), AlgebraicRule("w", "1e12*(w - x^2)"))
    model = replace(_dae_model(), algebraic_rules=rules)
    t = np.linspace(0.0, 3.0, 4)
    res = simulate_events(compile_model(model, jit=False), t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res["x"], 2.0 * np.exp(-0.7 * t), rtol=1e-8)
    np.testing.assert_allclose(res["w"], res["x"] ** 2, rtol=1e-12)


def test_ensemble_of_a_dae_runs_member_by_member() -> None:
    from jaksim.simulation import simulate_ensemble

    t = np.linspace(0.0, 2.0, 5)
    k = np.array([0.5, 1.5])
    ens = simulate_ensemble(compile_model(_dae_model(), jit=False), t, params={"k": k},
                            solver="bdf", rtol=1e-10, atol=1e-12)  # fmt: skip
    assert not ens.n_failed
    np.testing.assert_allclose(ens["x"], 2.0 * np.exp(-np.outer(k, t)), rtol=1e-7)
    np.testing.assert_allclose(ens["z"], k[:, None] * ens["x"], rtol=1e-9)


def test_algebraic_rule_nonlinear_root_and_sbml_import() -> None:
    """0 = z^3 + z - x imported from SBML; the algebraic variable is matched by the importer."""
    body = (
        '<listOfParameters><parameter id="x" value="1" constant="false"/>'
        '<parameter id="z" constant="false"/></listOfParameters><listOfRules>'
        f'<rateRule variable="x">{_math("<cn>1</cn>")}</rateRule>'
        "<algebraicRule>"
        + _math(
            "<apply><minus/><apply><plus/><apply><power/><ci>z</ci><cn>3</cn></apply>"
            "<ci>z</ci></apply><ci>x</ci></apply>"
        )  # fmt: skip
        + "</algebraicRule></listOfRules>"
    )
    model = read_sbml_string(_sbml(body))
    assert model.algebraic_rules[0].variable == "z"
    t = np.linspace(0.0, 2.0, 5)
    res = simulate_events(compile_model(model, jit=False), t, rtol=1e-10, atol=1e-12)
    z, x = res["z"], res["x"]
    np.testing.assert_allclose(x, 1.0 + t, rtol=1e-9)
    np.testing.assert_allclose(z**3 + z, x, rtol=1e-10)
    assert z[0] == pytest.approx(0.6823278038280193, rel=1e-10)  # real root of z^3 + z = 1


def test_rodas_in_the_event_driver_refuses_a_dae() -> None:
    with pytest.raises(ValueError, match="algebraic rules"):
        simulate_events(compile_model(_dae_model(), jit=True), np.linspace(0, 1, 3),
                        method="rodas")  # fmt: skip


def test_steady_state_refuses_a_dae() -> None:
    from jaksim.simulation import steady_state

    with pytest.raises(ValueError, match="algebraic rules"):
        steady_state(compile_model(_dae_model(), jit=False))


def test_dae_models_are_not_written_as_toml() -> None:
    from jaksim.io.toml_writer import model_to_toml

    with pytest.raises(ModelError, match="algebraic rules"):
        model_to_toml(_dae_model())


# -- fast reactions ------------------------------------------------------------------------
def _fast_sbml(fast: bool, kf: float, kr: float) -> str:
    """L2V4: 0 -> A at k0 (slow), A <-> B at kf A - kr B (fast or not)."""
    flag = "true" if fast else "false"
    return _sbml(
        '<listOfCompartments><compartment id="c" size="1"/></listOfCompartments>'
        '<listOfSpecies><species id="A" compartment="c" initialAmount="3"/>'
        '<species id="B" compartment="c" initialAmount="0"/></listOfSpecies>'
        f'<listOfParameters><parameter id="k0" value="0.5"/><parameter id="kf" value="{kf}"/>'
        f'<parameter id="kr" value="{kr}"/></listOfParameters><listOfReactions>'
        '<reaction id="prod" reversible="false"><listOfProducts>'
        '<speciesReference species="A"/></listOfProducts>'
        f"<kineticLaw>{_math('<ci>k0</ci>')}</kineticLaw></reaction>"
        f'<reaction id="bind" fast="{flag}"><listOfReactants><speciesReference species="A"/>'
        '</listOfReactants><listOfProducts><speciesReference species="B"/></listOfProducts>'
        "<kineticLaw>"
        + _math(
            "<apply><minus/><apply><times/><ci>kf</ci><ci>A</ci></apply>"
            "<apply><times/><ci>kr</ci><ci>B</ci></apply></apply>"
        )  # fmt: skip
        + "</kineticLaw></reaction></listOfReactions>",
        level=2,
        version=4,
    )


def test_fast_reaction_is_the_rapid_equilibrium_limit() -> None:
    """B = K A at every time (K = kf/kr = 2) with A + B = 3 + k0 t: analytic, from t = 0
    (the initial A = 3, B = 0 is moved onto the equilibrium with the same total)."""
    t = np.linspace(0.0, 4.0, 9)
    model = read_sbml_string(_fast_sbml(True, 2.0, 1.0))
    res = simulate_events(compile_model(model, jit=False), t, rtol=1e-10, atol=1e-12)
    total = 3.0 + 0.5 * t
    np.testing.assert_allclose(res["A"], total / 3.0, rtol=1e-8)
    np.testing.assert_allclose(res["B"], 2.0 * total / 3.0, rtol=1e-8)
    # the slow limit: the same reaction, not fast, with rates 10^5 times faster approaches it
    slow = read_sbml_string(_fast_sbml(False, 2e5, 1e5))
    ref = simulate_events(compile_model(slow, jit=False), t, method="BDF", rtol=1e-10,
                          atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(ref["A"][1:], res["A"][1:], rtol=1e-4)
    assert abs(ref["A"][0] - 3.0) < 1e-12  # ...which starts off equilibrium, unlike the limit


# -- delay() -------------------------------------------------------------------------------
def _dde_exact(t: np.ndarray) -> np.ndarray:
    """x' = -x(t - 1), x = 1 for t <= 0: the method-of-steps polynomials on [0, 3]."""
    return np.where(
        t <= 1.0,
        1.0 - t,
        np.where(
            t <= 2.0,
            1.0 - t + (t - 1.0) ** 2 / 2.0,
            1.0 - t + (t - 1.0) ** 2 / 2.0 - (t - 2.0) ** 3 / 6.0,
        ),
    )


@pytest.mark.parametrize("method", ["LSODA", "BDF"])
def test_delay_differential_equation_analytic(method: str) -> None:
    body = (
        '<listOfParameters><parameter id="x" value="1" constant="false"/></listOfParameters>'
        '<listOfRules><rateRule variable="x">'
        + _math(
            '<apply><minus/><apply><csymbol encoding="text" '
            'definitionURL="http://www.sbml.org/sbml/symbols/delay">delay</csymbol>'
            "<ci>x</ci><cn>1</cn></apply></apply>"
        )  # fmt: skip
        + "</rateRule></listOfRules>"
    )
    model = read_sbml_string(_sbml(body))
    assert len(model.delays) == 1
    t = np.linspace(0.0, 3.0, 31)
    res = simulate_events(compile_model(model, jit=False), t, method=method, rtol=1e-10,
                          atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(res["x"], _dde_exact(t), atol=1e-8)
    # simulate() takes the same path (jit kernels, routed through the event driver)
    via_api = simulate(compile_model(model), t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(via_api["x"], _dde_exact(t), atol=1e-8)


# -- the SBML Test Suite cases these features made pass ---------------------------------------
# algebraic rules (incl. parameters / compartments set only by them), fast reactions, delay()
NEWLY_PASSING = [
    40, 182, 184, 532, 533, 535, 536, 538, 539, 541, 542, 544, 545, 547, 548, 550, 551, 553,
    554, 556, 557, 559, 560, 562, 563, 565, 566, 568, 569, 571, 572, 574, 575, 613, 614, 628,
    629, 658, 659, 661, 662, 664, 665, 673, 674, 695, 760, 761, 778, 779, 844, 983,
    1054, 1084, 1085, 1108, 1142, 1174, 1244, 1292, 1483, 1484, 1499, 1501, 1502, 1576, 1577,
    1579, 1589, 1786, 1787, 1789, 1790, 1792, 1793,
    871, 872, 874, 875, 986, 1051, 1052, 1396, 1397, 1399, 1544, 1546, 1547, 1549, 1550, 1558,
    1559, 1565, 1567, 1568, 1570,
    937, 938, 940, 941, 943, 982, 985, 1318, 1319, 1400, 1403, 1406, 1409, 1411, 1412, 1414,
    1415, 1417, 1418, 1454, 1480, 1481, 1519, 1520, 1522, 1523, 1534, 1535, 1537, 1538, 1592,
]  # fmt: skip
# one or two per feature for the fast test run
SAMPLE = [40, 539, 983, 1108, 871, 1399, 1544, 937, 1318, 1400, 1522]


def _run(case: int) -> None:
    from jaksim.sbml_suite import run_case

    result = run_case(CASES / f"{case:05d}")
    assert result.status == "passed", f"{result.case}: {result.status} {result.reason}"


@pytest.mark.skipif(not CASES.is_dir(), reason="SBML Test Suite not available")
@pytest.mark.parametrize("case", SAMPLE)
def test_suite_sample(case: int) -> None:
    _run(case)


@pytest.mark.slow
@pytest.mark.skipif(not CASES.is_dir(), reason="SBML Test Suite not available")
@pytest.mark.parametrize("case", NEWLY_PASSING)
def test_suite_newly_passing(case: int) -> None:
    _run(case)
