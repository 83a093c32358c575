"""Sparse LU of W = I/(h gamma) - J against numpy.linalg.solve, and its dense fallback."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from jaksim.compile.compiled import compile_model
from jaksim.io.registry import load_model
from jaksim.simulation import Protocol, simulate
from jaksim.simulation.simulate import build_problem
from jaksim.solve import get_solver
from jaksim.solve.kernels import call_kernel
from jaksim.solve.sparse_lu import DENSE_BELOW, sparse_lu_factor, sparse_lu_plan, sparse_lu_solve
from jaksim.solve.tableau import GAMMA


def _solve(plan, J, inv_hg, b):
    n = J.shape[0]
    lu, x, z = np.zeros(n * n), np.zeros(n), b.copy()
    ok = sparse_lu_factor(plan, np.ascontiguousarray(J), inv_hg, lu, x)
    if ok:
        sparse_lu_solve(plan, lu, x, z)
    return ok, z


def _rel_err(x, ref):
    return np.max(np.abs(x - ref)) / np.max(np.abs(ref))


def test_random_sparse_diagonally_dominant():
    rng = np.random.default_rng(7)
    for n, density in ((1, 1.0), (5, 0.4), (40, 0.05), (120, 0.03)):
        pat = rng.random((n, n)) < density
        J = np.where(pat, rng.normal(size=(n, n)), 0.0)
        inv_hg = 1.0 + np.abs(J).sum(axis=1).max()  # strictly diagonally dominant W
        plan = sparse_lu_plan(pat, min_size=1)
        for _ in range(3):
            b = rng.normal(size=n)
            ok, z = _solve(plan, J, inv_hg, b)
            assert ok
            ref = np.linalg.solve(inv_hg * np.eye(n) - J, b)
            assert _rel_err(z, ref) < 1e-12


def test_plan_is_a_permutation_with_fill_inside_the_pattern():
    # An arrow matrix (dense last row/column) fills completely unless the hub is ordered last.
    n = 30
    pat = np.eye(n, dtype=bool)
    pat[0, :] = pat[:, 0] = True
    plan = sparse_lu_plan(pat)
    assert plan[0] == n and plan[1] == 3 * n - 2  # minimum degree: no fill at all
    assert sorted(plan[2 : 2 + n]) == list(range(n))


@pytest.mark.parametrize("name", ["il6", "ifng"])
def test_shipped_model_W_at_several_h_and_y(name):
    cm = compile_model(load_model(name), jit=True)
    n = cm.n_state
    plan = sparse_lu_plan(cm.jac_sparsity)
    sol = simulate(cm, np.linspace(0.0, 3600.0, 7))
    rng = np.random.default_rng(3)
    for y in np.asarray(sol.states):
        J = np.zeros((n, n))
        call_kernel(cm.jac, 0.0, np.ascontiguousarray(y, dtype=float), cm.p0, J)
        assert not np.any(J[~cm.jac_sparsity])  # the kernel writes only the declared pattern
        for h in (1e-3, 1.0, 100.0):
            b = rng.normal(size=n)
            ok, z = _solve(plan, J, 1.0 / (h * GAMMA), b)
            assert ok
            ref = np.linalg.solve(np.eye(n) / (h * GAMMA) - J, b)
            assert _rel_err(z, ref) < 1e-12


def test_bad_pivot_is_refused():
    # Static diagonal pivoting meets a zero pivot: W = [[0, 1], [1, 0]] (inv_hg = 1).
    J = np.array([[1.0, -1.0], [-1.0, 1.0]])
    plan = sparse_lu_plan(J != 0, min_size=1)
    assert not _solve(plan, J, 1.0, np.ones(2))[0]
    assert not _solve(plan, np.array([[np.nan, 0.0], [0.0, 0.0]]), 1.0, np.ones(2))[0]


def test_small_systems_stay_dense():
    assert sparse_lu_plan(np.eye(DENSE_BELOW - 1, dtype=bool)).size == 0
    assert sparse_lu_plan(np.eye(DENSE_BELOW, dtype=bool)).size > 0
    assert sparse_lu_plan(None).size == 0


def test_sparse_and_dense_integrations_agree():
    # Same model, plan vs no plan (dense LU): identical steps up to round-off.
    cm = compile_model(load_model("il6"), jit=True)
    t = np.linspace(0.0, 3600.0, 13)
    prob = build_problem(cm, t, P=cm.p0[None, :], Y0=cm.y0[None, :], protocol=Protocol(),
                         outputs=None, preequilibrate=False, rtol=1e-8, atol=1e-10)  # fmt: skip
    assert prob.lu_plan.size > 0
    solve = get_solver("rodas")
    a = solve(prob, rtol=1e-8, atol=1e-10)
    b = solve(replace(prob, lu_plan=np.zeros(0, dtype=np.int64)), rtol=1e-8, atol=1e-10)
    assert a.status[0] == 0 and b.status[0] == 0
    scale = np.abs(b.values).max(axis=1, keepdims=True) + 1e-12
    assert np.max(np.abs(a.values - b.values) / scale) < 1e-6
