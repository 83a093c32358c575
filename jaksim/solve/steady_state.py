"""Steady states: damped Newton on the conservation-reduced system, with an integration fallback.

A reaction network with conservation laws ``L @ y = const`` has a singular Jacobian, so plain
Newton fails. As in AMICI and COPASI, one equation per law is replaced by the law itself:
for each row of ``L`` in reduced row-echelon form the equation of its pivot species becomes
``L_l @ y - L_l @ y0 = 0``. The reduced Jacobian is then regular at an isolated steady state.
When Newton fails (singular matrix, no decrease, negative concentrations) the state is
integrated with Rodas5 over growing horizons until the rates are negligible, then polished
with Newton.

Convergence: ``WRMS(f(y)) <= 1`` with weights ``ss_atol + ss_rtol*|y|`` (rates in
concentration/time compared with a fraction of the concentration per unit time).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

from ..spec.errors import SteadyStateError
from .kernels import call_kernel
from .linalg import lu_factor, lu_solve
from .rodas import (
    ST_JAC,
    ST_RHS,
    STEADY_STATE_FAILED,
    SUCCESS,
    _allocate_work,
    integrate_segment,
    wrms,
)

__all__ = ["reduce_conservation", "find_steady_state", "newton_steady_state", "steady_state_core"]

# Layout of the ``opts`` float array passed to the numba core.
OPT_SS_RTOL, OPT_SS_ATOL, OPT_T_MAX, OPT_RTOL, OPT_ATOL = range(5)


def reduce_conservation(L: np.ndarray, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Row-reduce conservation laws ``L`` (n_laws, n) and pick one species per law.

    Returns
    -------
    L_red : (r, n) float array
        Independent laws in reduced row-echelon form (same row space as ``L``).
    pivots : (r,) int64 array
        The species whose rate equation each law replaces.
    """
    M = np.array(L, dtype=float, copy=True).reshape(-1, L.shape[-1] if L.size else 0)
    if M.size == 0:
        return np.zeros((0, M.shape[1] if M.ndim == 2 else 0)), np.zeros(0, dtype=np.int64)
    # Cached: every simulate() call reduces its model's laws (measured ~0.2 ms of a 1 ms run).
    L_red, pivots = _reduce_cached(M.shape, M.tobytes(), float(tol))
    return L_red.copy(), pivots.copy()


@lru_cache(maxsize=64)
def _reduce_cached(shape: tuple[int, int], data: bytes, tol: float):
    M = np.frombuffer(data, dtype=float).reshape(shape).copy()
    rows, cols = M.shape
    pivots = []
    r = 0
    for c in range(cols):
        if r == rows:
            break
        i = r + int(np.argmax(np.abs(M[r:, c])))
        if abs(M[i, c]) <= tol * max(1.0, np.abs(M).max()):
            continue
        M[[r, i]] = M[[i, r]]
        M[r] /= M[r, c]
        for j in range(rows):
            if j != r:
                M[j] -= M[j, c] * M[r]
        pivots.append(c)
        r += 1
    return np.ascontiguousarray(M[:r]), np.asarray(pivots, dtype=np.int64)


@njit(cache=True)
def _reduced_residual(rhs, t, y, p, L, piv_rows, totals, F, stats):
    rhs(t, y.ctypes, p.ctypes, F.ctypes)
    stats[ST_RHS] += 1
    for law in range(L.shape[0]):
        acc = -totals[law]
        for j in range(y.size):
            acc += L[law, j] * y[j]
        F[piv_rows[law]] = acc


@njit(cache=True, inline="always")
def newton_steady_state(rhs, jac, t, y, p, L, piv_rows, opts, max_iter, work, stats):
    """Damped Newton on the reduced system from ``y`` (updated in place). Returns success."""
    ws, J, W, piv, _, _ = work
    n = y.size
    F = ws[0]
    dx = ws[1]
    ytry = ws[2]
    ftry = ws[3]
    scale_y = ws[4]
    totals = np.zeros(L.shape[0])
    for law in range(L.shape[0]):
        for j in range(n):
            totals[law] += L[law, j] * y[j]
    rt = opts[OPT_SS_RTOL]
    at = opts[OPT_SS_ATOL]
    _reduced_residual(rhs, t, y, p, L, piv_rows, totals, F, stats)
    for _ in range(max_iter):
        scale_y[:] = y
        fnorm = wrms(F, y, y, rt, at)
        if not np.isfinite(fnorm):
            return False
        jac(t, y.ctypes, p.ctypes, J.ctypes)
        stats[ST_JAC] += 1
        W[:, :] = J
        for law in range(L.shape[0]):
            W[piv_rows[law], :] = L[law, :]
        if lu_factor(W, piv) != 0:
            return False
        for i in range(n):
            dx[i] = -F[i]
        lu_solve(W, piv, dx)
        # Backtracking: halve the step until the residual norm decreases.
        lam = 1.0
        improved = False
        for _ in range(30):
            for i in range(n):
                ytry[i] = y[i] + lam * dx[i]
            _reduced_residual(rhs, t, ytry, p, L, piv_rows, totals, ftry, stats)
            fn = wrms(ftry, scale_y, ytry, rt, at)
            if np.isfinite(fn) and (fn < fnorm or fn <= 1e-3):
                improved = True
                break
            lam *= 0.5
        if not improved:
            return False
        y[:] = ytry
        F[:] = ftry
        step = wrms(dx, y, y, rt, at) * lam
        if fn <= 1e-3 or (step <= 1e-3 and fn <= 1.0):
            # A steady state with clearly negative concentrations is a spurious root.
            ymax = 0.0
            for i in range(n):
                ymax = max(ymax, abs(y[i]))
            for i in range(n):
                if y[i] < -1e-6 * ymax - at:
                    return False
            return True
    return False


@njit(cache=True, inline="always")
def steady_state_core(rhs, jac, t, y, p, L, piv_rows, opts, max_steps, use_dfdt, stats):
    """Steady state from ``y`` (in place): Newton, else integrate and polish. Returns a status."""
    # Integer and boolean arguments to jitted callees are passed as typed variables, never as
    # literals: numba compiles a separate specialisation per literal value (measured: +4 s
    # of cold compile for two literals).
    n = y.size
    k0 = np.int64(0)
    newton_iter = np.int64(50)
    work = _allocate_work(n, 0, np.zeros(0, dtype=np.int64))  # dense: Newton's W has L rows
    y_start = y.copy()
    if newton_steady_state(rhs, jac, t, y, p, L, piv_rows, opts, newton_iter, work, stats):
        return SUCCESS
    y[:] = y_start
    ws = work[0]
    f = ws[5]
    empty_t = np.zeros(0)
    empty_i = np.zeros(0, dtype=np.int64)
    res = np.zeros((0, 0))
    obuf = np.zeros(1)
    horizon = 1.0
    t_now = t
    # numba caches this function keyed on this file only: edit it when rodas.py changes
    # (last: segment time window / breakpoints).
    while horizon <= opts[OPT_T_MAX]:
        status, _, t_reached = integrate_segment(
            rhs, jac, rhs, rhs, 0, t_now, t_now + horizon, y, p, empty_t, k0, empty_i, empty_i,
            obuf, res, opts[OPT_RTOL], opts[OPT_ATOL], max_steps, use_dfdt, stats, work, False,
        )  # fmt: skip
        if status != SUCCESS:
            return STEADY_STATE_FAILED
        t_now = t_reached
        rhs(t_now, y.ctypes, p.ctypes, f.ctypes)
        stats[ST_RHS] += 1
        if wrms(f, y, y, opts[OPT_SS_RTOL], opts[OPT_SS_ATOL]) <= 1.0:
            y_int = y.copy()
            if not newton_steady_state(
                rhs, jac, t, y, p, L, piv_rows, opts, newton_iter, work, stats
            ):
                y[:] = y_int
            return SUCCESS
        horizon *= 10.0
    return STEADY_STATE_FAILED


def find_steady_state(
    rhs,
    jac,
    y0: np.ndarray,
    p: np.ndarray,
    conservation: np.ndarray | None = None,
    *,
    t: float = 0.0,
    ss_rtol: float = 1e-8,
    ss_atol: float = 1e-12,
    t_max: float = 1e10,
    rtol: float = 1e-8,
    atol: float = 1e-12,
    max_steps: int = 200_000,
) -> tuple[np.ndarray, dict]:
    """Steady state of ``y' = f(t, y, p)`` in the conservation class of ``y0``.

    Parameters
    ----------
    rhs, jac : numba cfunc
        Model kernels (see :mod:`jaksim.solve.kernels`).
    y0 : (n,) array
        Starting state; fixes the conserved totals ``conservation @ y0``.
    p : (n_p,) array
        Parameter vector.
    conservation : (n_laws, n) array, optional
        Rows ``L`` with ``L @ f = 0``.
    ss_rtol, ss_atol : float
        Convergence: ``WRMS(f) <= 1`` with weights ``ss_atol + ss_rtol*|y|``
        (rates in concentration/time).
    t_max : float
        Longest integration horizon of the fallback (time units).
    rtol, atol, max_steps
        Tolerances and step budget of the fallback integration.

    Returns
    -------
    y_ss : (n,) array
    info : dict
        ``residual`` (max |f|), ``wrms`` and solver counters.

    Raises
    ------
    SteadyStateError
        When neither Newton nor integration up to ``t_max`` reaches the tolerance.
    """
    y = np.array(y0, dtype=float, copy=True)
    p = np.ascontiguousarray(p, dtype=float)
    n = y.size
    L = np.zeros((0, n)) if conservation is None else np.asarray(conservation, dtype=float)
    L_red, piv_rows = (
        reduce_conservation(L) if L.size else (np.zeros((0, n)), np.zeros(0, np.int64))
    )
    opts = np.array([ss_rtol, ss_atol, t_max, rtol, atol], dtype=float)
    stats = np.zeros(5, dtype=np.int64)
    status = steady_state_core(
        rhs, jac, float(t), y, p, L_red, piv_rows, opts, max_steps, True, stats
    )
    f = np.empty(n)
    call_kernel(rhs, float(t), y, p, f)
    info = {
        "residual": float(np.max(np.abs(f))) if n else 0.0,
        "wrms": float(np.sqrt(np.mean((f / (ss_atol + ss_rtol * np.abs(y))) ** 2))) if n else 0.0,
        "rhs_evaluations": int(stats[ST_RHS]),
        "jacobian_evaluations": int(stats[ST_JAC]),
    }
    if status != SUCCESS:
        raise SteadyStateError(
            f"no steady state found: Newton failed and integration to t={t_max:g} left "
            f"max|f| = {info['residual']:.3g} (WRMS {info['wrms']:.3g} > 1 with "
            f"ss_rtol={ss_rtol:g}, ss_atol={ss_atol:g})"
        )
    return y, info
