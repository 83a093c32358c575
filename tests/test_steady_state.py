"""Steady states: Newton on the conservation-reduced system vs analytic values and long runs."""

from __future__ import annotations

import _kernels as K
import numpy as np
import pytest

from jaksim.simulation import simulate, steady_state
from jaksim.solve.kernels import call_kernel
from jaksim.solve.steady_state import find_steady_state, reduce_conservation
from jaksim.spec.errors import SteadyStateError


def test_reduce_conservation_picks_independent_pivots():
    L = np.array([[1.0, 0, 1, 0], [0, 1, 1, 1], [1, 1, 2, 1]])  # third = first + second
    L_red, piv = reduce_conservation(L)
    assert L_red.shape == (2, 4) and piv.tolist() == [0, 1]
    np.testing.assert_allclose(np.linalg.matrix_rank(np.vstack([L, L_red])), 2)


def test_binding_steady_state_matches_quadratic_and_long_integration():
    kf, kr, A0, B0 = 0.1, 0.05, 10.0, 4.0
    m = K.make_binding(kf=kf, kr=kr, A0=A0, B0=B0)
    ss = steady_state(m)
    s = A0 + B0 + kr / kf
    C_eq = (s - np.sqrt(s * s - 4 * A0 * B0)) / 2
    assert ss["C"] == pytest.approx(C_eq, rel=1e-10)
    assert ss["A"] == pytest.approx(A0 - C_eq, rel=1e-10)
    f = np.empty(3)
    call_kernel(m.rhs, 0.0, ss.y, m.p0, f)
    assert np.max(np.abs(f)) < 1e-10 and ss.residual < 1e-10
    long = simulate(m, [0.0, 1e4], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(long.states[-1], ss.y, rtol=1e-8)


def test_michaelis_menten_steady_state_consumes_substrate():
    m = K.make_mm(E0=0.1, S0=5.0)
    ss = steady_state(m)
    np.testing.assert_allclose(ss.y, [0.1, 0.0, 0.0, 5.0], atol=1e-9)


def test_degenerate_steady_state_reached_by_integration():
    # Robertson's steady state (0, 0, 1) is non-hyperbolic (the reduced Jacobian is singular
    # there), so Newton cannot converge and the integration fallback must deliver. The approach
    # is algebraic (y1 ~ 1/t), so the rate criterion WRMS(f) <= 1 stops at small but finite y1.
    m = K.make_robertson()
    y, info = find_steady_state(m.rhs, m.jac, m.y0, m.p0, m.conservation)
    np.testing.assert_allclose(y.sum(), 1.0, rtol=1e-12)
    assert y[0] < 1e-4 and y[1] < 1e-8 and y[2] > 1 - 1e-4
    assert info["wrms"] <= 1.0


def test_no_steady_state_raises():
    with pytest.raises(SteadyStateError, match="no steady state"):
        steady_state(K.make_production(k=1.0), t_max=1e6)
