"""Tests of moiety conservation laws (jaksim.compile.conservation)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from jaksim.compile import compile_model, conservation_laws
from jaksim.compile.conservation import integer_left_null_space
from jaksim.spec.model import Compartment, Model, Parameter, RateRule, Reaction, Species

ONE_COMPARTMENT = (Compartment("c", 1.0),)


def _model(species, reactions, compartments=ONE_COMPARTMENT, **kw) -> Model:
    params = (Parameter("kf", 0.7), Parameter("kr", 0.2), Parameter("k3", 0.05))
    return Model(
        id="m",
        compartments=compartments,
        species=tuple(species),
        parameters=params + kw.pop("parameters", ()),
        reactions=tuple(reactions),
        **kw,
    )


def _span_equal(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether the row spaces of ``a`` and ``b`` coincide."""
    ra = np.linalg.matrix_rank(a)
    return ra == np.linalg.matrix_rank(b) == np.linalg.matrix_rank(np.vstack([a, b]))


def _integrate(c, t_end: float = 50.0):
    def f(t, y):
        out = np.zeros_like(y)
        c.rhs(t, y, c.p0, out)
        return out

    def jac(t, y):
        out = np.zeros(y.size * y.size)
        c.jac(t, y, c.p0, out)
        return out.reshape(y.size, y.size)

    return solve_ivp(f, (0.0, t_end), c.y0, method="BDF", jac=jac, rtol=1e-10, atol=1e-12)


def test_binding_laws_are_exact_integers() -> None:
    m = _model(
        [Species("A", "c", 1.0), Species("B", "c", 2.0), Species("C", "c", 0.0)],
        [Reaction("bind", (("A", 1), ("B", 1)), (("C", 1),), "kf*A*B - kr*C", compartment="c")],
    )
    laws, text = conservation_laws(m)
    assert laws.shape == (2, 3)
    assert _span_equal(laws, np.array([[1, 0, 1], [0, 1, 1]]))
    assert sorted(text) == ["A + C", "B + C"]  # nonnegative moieties, not "A - B"


def test_dimerisation_and_chain() -> None:
    m = _model(
        [Species("M", "c", 1.0), Species("D", "c", 0.0), Species("P", "c", 0.0)],
        [
            Reaction("dim", (("M", 2),), (("D", 1),), "kf*M^2 - kr*D", compartment="c"),
            Reaction("conv", (("D", 1),), (("P", 1),), "k3*D", compartment="c"),
        ],
    )
    laws, text = conservation_laws(m)
    assert text == ["M + 2*D + 2*P"]
    np.testing.assert_array_equal(laws, [[1.0, 2.0, 2.0]])


def test_no_law_for_open_system_and_rate_rules() -> None:
    m = _model(
        [Species("A", "c", 1.0), Species("B", "c", 0.0)],
        [
            Reaction("make", (), (("A", 1),), "kf", compartment="c"),
            Reaction("conv", (("A", 1),), (("B", 1),), "kr*A", compartment="c"),
            Reaction("deg", (("B", 1),), (), "k3*B", compartment="c"),
        ],
        parameters=(Parameter("g", 1.0, constant=False),),
        rate_rules=(RateRule("g", "-g"),),
    )
    laws, _ = conservation_laws(m)
    assert laws.shape == (0, 3)


def test_volumes_enter_as_amounts() -> None:
    vc, vn = 2.0, 0.25
    m = _model(
        [Species("S", "cyt", 4.0), Species("Sn", "nuc", 0.0), Species("X", "nuc", 1.0)],
        [
            Reaction("imp", (("S", 1),), (("Sn", 1),), "kf*S", compartment="cyt"),
            Reaction("exp", (("Sn", 1),), (("S", 1),), "kr*Sn", compartment="nuc"),
        ],
        compartments=(Compartment("cyt", vc), Compartment("nuc", vn)),
    )
    laws, text = conservation_laws(m)
    assert text == ["S + Sn (amounts)", "X"]
    np.testing.assert_allclose(laws, [[vc, vn, 0.0], [0.0, 0.0, vn]])


def test_law_constant_along_scipy_trajectory() -> None:
    """L @ y stays constant when integrating the compiled rhs with an independent solver."""
    m = Model(
        id="cascade",
        compartments=(Compartment("cyt", 1.4), Compartment("nuc", 0.45)),
        species=(
            Species("L", "cyt", 0.5, boundary=True),
            Species("R", "cyt", 10.0),
            Species("LR", "cyt", 0.0),
            Species("STAT", "cyt", 100.0),
            Species("pSTAT", "cyt", 0.0),
            Species("pSTAT2", "cyt", 0.0),
            Species("pSTAT2n", "nuc", 0.0),
            Species("STATn", "nuc", 0.0),
        ),
        parameters=(
            Parameter("kon", 0.3),
            Parameter("koff", 0.05),
            Parameter("kp", 0.02),
            Parameter("kd", 0.01),
            Parameter("kdiss", 0.1),
            Parameter("kimp", 0.2),
            Parameter("kdep", 0.3),
            Parameter("kexp", 0.1),
        ),
        reactions=(
            Reaction(
                "bind", (("L", 1), ("R", 1)), (("LR", 1),), "kon*L*R - koff*LR", compartment="cyt"
            ),
            Reaction(
                "phos",
                (("STAT", 1),),
                (("pSTAT", 1),),
                "kp*LR*STAT/(1 + STAT/50)",
                compartment="cyt",
            ),
            Reaction(
                "dim",
                (("pSTAT", 2),),
                (("pSTAT2", 1),),
                "kd*pSTAT^2 - kdiss*pSTAT2",
                compartment="cyt",
            ),
            Reaction("imp", (("pSTAT2", 1),), (("pSTAT2n", 1),), "kimp*pSTAT2", compartment="cyt"),
            Reaction("dep", (("pSTAT2n", 1),), (("STATn", 2),), "kdep*pSTAT2n", compartment="nuc"),
            Reaction("exp", (("STATn", 1),), (("STAT", 1),), "kexp*STATn", compartment="nuc"),
        ),
    )
    c = compile_model(m, jit=False)
    laws, text = conservation_laws(c)
    assert sorted(text) == ["R + LR", "STAT + pSTAT + 2*pSTAT2 + 2*pSTAT2n + STATn (amounts)"]
    sol = _integrate(c, t_end=200.0)
    assert sol.success
    totals = laws @ sol.y
    assert np.ptp(sol.y[c.state_index("STATn")]) > 1.0  # mass really moved into the nucleus
    np.testing.assert_allclose(totals, totals[:, :1] * np.ones_like(totals), rtol=1e-8)
    # the laws match the model's stated totals: 10 nM receptor, 100 nM STAT in 1.4 pL
    np.testing.assert_allclose(sorted(totals[:, 0]), [10.0 * 1.4, 100.0 * 1.4])


@pytest.mark.parametrize("seed", range(5))
def test_integer_null_space_random(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = rng.integers(3, 9), rng.integers(1, 7)
    stoich = rng.integers(-2, 3, size=(n, m)).astype(float)
    basis = integer_left_null_space(stoich)
    assert basis.dtype == np.int64
    np.testing.assert_array_equal(basis @ stoich, 0)  # exact, in integers
    assert basis.shape[0] == n - np.linalg.matrix_rank(stoich)
    assert np.linalg.matrix_rank(basis) == basis.shape[0] if basis.size else True
