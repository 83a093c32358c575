"""Rodas5 integrator, LU, events and the scipy backends against analytic solutions and scipy."""

from __future__ import annotations

import _kernels as K
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from jaksim.simulation import Protocol, simulate
from jaksim.solve import get_solver
from jaksim.solve.events import integrate_until_event
from jaksim.solve.linalg import lu_factor, lu_index_size, lu_solve
from jaksim.solve.tableau import CT, GAMMA, A, B, C, D

TIGHT = {"rtol": 1e-10, "atol": 1e-14}


def test_lu_solves_random_systems_and_flags_singular():
    rng = np.random.default_rng(1)
    for n in (1, 3, 17, 50):
        a = rng.normal(size=(n, n))
        a[rng.random((n, n)) < 0.7] = 0.0  # sparse-ish, like reaction Jacobians
        a += np.eye(n) * 0.5
        b = rng.normal(size=n)
        lu, piv, x = a.copy(), np.zeros(lu_index_size(n), np.int64), b.copy()
        assert lu_factor(lu, piv) == 0
        lu_solve(lu, piv, x)
        np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-9, atol=1e-12)
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert lu_factor(s, np.zeros(lu_index_size(2), np.int64)) == 2


def test_tableau_order_conditions():
    # Back-transform to Hairer-Wanner's (alpha, gamma, b) form (Solving ODEs II, eq. IV.7.25):
    # Gamma^-1 = diag(1/gamma) - C, alpha = A Gamma, b = B Gamma; then check the stage times,
    # the d_s = row sums of Gamma, and the order conditions up to order 3.
    n = A.shape[0]
    Gam = np.linalg.inv(np.eye(n) / GAMMA - C)
    alpha = A @ Gam
    b = B @ Gam
    np.testing.assert_allclose(alpha.sum(axis=1), CT, atol=1e-10)
    np.testing.assert_allclose(Gam[:5].sum(axis=1), D[:5], atol=1e-10)
    beta = alpha + Gam  # includes the diagonal gamma
    assert b.sum() == pytest.approx(1.0, abs=1e-10)  # order 1
    assert b @ beta.sum(axis=1) == pytest.approx(0.5, abs=1e-10)  # order 2
    assert b @ CT**2 == pytest.approx(1.0 / 3.0, abs=1e-10)  # order 3 (bushy tree)
    assert b @ beta @ beta.sum(axis=1) == pytest.approx(1.0 / 6.0, abs=1e-10)  # order 3


def test_decay_matches_exponential_including_dense_output():
    m = K.make_decay(k=0.5, y0=2.0)
    t = np.linspace(0.0, 20.0, 401)  # many points between steps: exercises the interpolant
    res = simulate(m, t, **TIGHT)
    assert res.status == 0
    exact = 2.0 * np.exp(-0.5 * t)
    np.testing.assert_allclose(res["x"], exact, rtol=1e-8, atol=1e-13)
    # The steps do not depend on t_eval: few steps, output still accurate.
    assert res.stats["steps"] < t.size


def test_bateman_chain():
    k1, k2 = 1.0, 0.3
    m = K.make_abc(k1=k1, k2=k2)
    t = np.linspace(0, 30, 61)
    res = simulate(m, t, rtol=1e-9, atol=1e-13)
    A_ = np.exp(-k1 * t)
    B_ = k1 / (k2 - k1) * (np.exp(-k1 * t) - np.exp(-k2 * t))
    np.testing.assert_allclose(res["A"], A_, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(res["B"], B_, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(res["C"], 1 - A_ - B_, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(res["total"], 1.0, rtol=1e-12)


def test_reversible_binding_matches_closed_form():
    kf, kr, A0, B0 = 0.1, 0.05, 10.0, 4.0
    m = K.make_binding(kf=kf, kr=kr, A0=A0, B0=B0)
    t = np.linspace(0, 20, 81)
    res = simulate(m, t, **TIGHT)
    # dC/dt = kf (C - r1)(C - r2); r1 = C_eq is the smaller root of the quadratic.
    s = A0 + B0 + kr / kf
    r1 = (s - np.sqrt(s * s - 4 * A0 * B0)) / 2
    r2 = (s + np.sqrt(s * s - 4 * A0 * B0)) / 2
    rate = kf * (A0 - r1 + B0 - r1) + kr  # 1 / relaxation time
    assert rate == pytest.approx(kf * (r2 - r1))
    u = (r1 / r2) * np.exp(-rate * t)
    C_exact = (r1 - u * r2) / (1 - u)
    np.testing.assert_allclose(res["C"], C_exact, rtol=1e-8, atol=1e-12)
    assert res["C"][-1] == pytest.approx(r1, rel=1e-6)


def test_michaelis_menten_quasi_steady_state():
    from scipy.special import lambertw

    E0, S0, k1, km1, k2 = 0.01, 10.0, 1.0, 1.0, 0.5
    m = K.make_mm(k1=k1, km1=km1, k2=k2, E0=E0, S0=S0)
    Km, Vmax = (km1 + k2) / k1, k2 * E0
    t = np.linspace(0, 4000, 81)
    res = simulate(m, t, rtol=1e-8, atol=1e-12)
    S_mm = Km * lambertw(S0 / Km * np.exp((S0 - Vmax * t) / Km)).real
    # QSSA error scale: epsilon = E0/(S0 + Km) (Segel & Slemrod 1989, SIAM Rev 31:446) times S0,
    # plus the enzyme-bound substrate; 3x margin.
    eps = E0 / (S0 + Km)
    np.testing.assert_allclose(res["S"] + res["ES"], S_mm, atol=3 * eps * S0)
    # sanity: the test can fail -- a 10x slower rate is far outside that band
    assert (
        np.max(np.abs(res["S"] - Km * lambertw(S0 / Km * np.exp((S0 - 0.1 * Vmax * t) / Km)).real))
        > 3 * eps * S0
    )


@pytest.mark.parametrize("t_end", [1e5, 1e8])
def test_robertson_against_scipy_radau(t_end):
    m = K.make_robertson()
    t = np.concatenate([[0.0], np.logspace(-4, np.log10(t_end), 25)])
    res = simulate(m, t, rtol=1e-10, atol=1e-14, max_steps=1_000_000)
    assert res.status == 0, res.message
    p = m.p0

    def f(_, y):
        return [-p[0] * y[0] + p[2] * y[1] * y[2],
                p[0] * y[0] - p[2] * y[1] * y[2] - p[1] * y[1] ** 2, p[1] * y[1] ** 2]  # fmt: skip

    def jac(_, y):
        return [[-p[0], p[2] * y[2], p[2] * y[1]],
                [p[0], -p[2] * y[2] - 2 * p[1] * y[1], -p[2] * y[1]],
                [0, 2 * p[1] * y[1], 0]]  # fmt: skip

    ref = solve_ivp(f, (0, t_end), m.y0, method="Radau", t_eval=t, jac=jac, rtol=1e-10,
                    atol=1e-14)  # fmt: skip
    assert ref.success
    np.testing.assert_allclose(res.states, ref.y.T, rtol=1e-6, atol=1e-13)
    # linear invariant y1 + y2 + y3 = 1 kept to roundoff
    np.testing.assert_allclose(res.states.sum(axis=1), 1.0, rtol=1e-10)


def test_conservation_to_roundoff_at_loose_tolerance():
    # Rosenbrock stages preserve L @ y exactly when L @ J = 0, whatever the step error.
    m = K.make_mm(E0=1.0, S0=10.0)
    res = simulate(m, np.linspace(0, 100, 11), rtol=1e-3, atol=1e-6)
    L = m.conservation
    totals = res.states @ L.T
    np.testing.assert_allclose(totals, np.broadcast_to(L @ m.y0, totals.shape), rtol=1e-12)


def test_non_autonomous_rhs_uses_time_derivative():
    m = K.make_forced(w=1.0)
    t = np.linspace(0, 10, 51)
    res = simulate(m, t, rtol=1e-10, atol=1e-13)
    exact = (np.cos(t) + np.sin(t) - np.exp(-t)) / 2
    np.testing.assert_allclose(res["x"], exact, atol=1e-8)


@pytest.mark.parametrize("solver", ["bdf", "radau", "lsoda"])
def test_scipy_backends_agree_with_analytic(solver):
    m = K.make_abc()
    t = np.linspace(0, 10, 11)
    proto = Protocol()
    res = simulate(m, t, solver=solver, protocol=proto, rtol=1e-9, atol=1e-12)
    assert res.status == 0
    np.testing.assert_allclose(res["A"], np.exp(-t), rtol=1e-6, atol=1e-10)


def test_solver_registry_rejects_unknown_names():
    with pytest.raises(ValueError, match="did you mean 'rodas'"):
        get_solver("rodass")


def test_event_located_by_bisection_and_loop_continues():
    m = K.make_decay(k=0.5, y0=2.0)
    t_eval = np.array([0.0, 1.0, 2.0, 3.0, 150.0])
    seg = integrate_until_event(m.rhs, m.jac, K.decay_trigger, 2, 0.0, m.y0, m.p0, 200.0,
                                t_eval=t_eval, rtol=1e-10, atol=1e-14)  # fmt: skip
    assert seg.status == 1
    assert seg.t == pytest.approx(np.log(4.0) / 0.5, rel=1e-9)
    assert seg.flipped.tolist() == [True, False]
    assert seg.y[0] == pytest.approx(0.5, rel=1e-8)
    np.testing.assert_allclose(seg.t_out, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(seg.y_out[:, 0], 2 * np.exp(-0.5 * seg.t_out), rtol=1e-9)
    # continue from the event state (trigger 0 stays true): the time trigger fires at t = 100
    seg2 = integrate_until_event(m.rhs, m.jac, K.decay_trigger, 2, seg.t, seg.y, m.p0, 200.0,
                                 t_eval=t_eval[3:], g0=seg.g, **TIGHT)  # fmt: skip
    assert seg2.status == 1 and seg2.flipped.tolist() == [False, True]
    assert seg2.t == pytest.approx(100.0, rel=1e-11)
    np.testing.assert_allclose(seg2.t_out, [3.0])
    np.testing.assert_allclose(seg2.y_out[0], 2 * np.exp(-1.5), rtol=1e-8)
    seg3 = integrate_until_event(m.rhs, m.jac, K.decay_trigger, 2, seg2.t, seg2.y, m.p0, 200.0,
                                 t_eval=t_eval[4:], g0=seg2.g)  # fmt: skip
    assert seg3.status == 0 and seg3.t == 200.0
    assert seg3.t_out.tolist() == [150.0]
