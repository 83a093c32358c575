"""Reference backend: :func:`scipy.integrate.solve_ivp` (BDF, Radau, LSODA) on the model kernels.

Same protocol semantics as the Rodas backend (segments between change times, changes applied
at segment starts, right-continuous output); members run one after the other in Python.
Slow per step (scipy's Python-level stepping) but independent of jaksim's integrator, which is
what the cross-checks in the tests need. ``max_steps`` is not enforced (scipy has no such limit).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.integrate import solve_ivp

from . import ensemble
from .kernels import call_init, call_kernel
from .problem import Problem, Solution, empty_solution, status_message
from .rodas import EXTERNAL_FAILED, NONFINITE, ST_JAC, ST_RHS, SUCCESS, segment_time_window
from .steady_state import steady_state_core

METHODS = ("BDF", "Radau", "LSODA")

#: The Rodas backend's protocol step as plain Python (same code, no numba dispatch per change).
_apply_change = ensemble._apply_change.py_func


def _kernel_functions(problem: Problem, p: np.ndarray, window: list[float]):
    """rhs / Jacobian for solve_ivp; times clamped to ``window`` (the current segment's
    :func:`~jaksim.solve.rodas.segment_time_window`, as in the Rodas backend)."""
    n = problem.Y0.shape[1]
    rhs, jac = problem.rhs, problem.jac

    def fun(t, y):
        out = np.empty(n)
        tc = min(max(float(t), window[0]), window[1])
        call_kernel(rhs, tc, np.ascontiguousarray(y, dtype=float), p, out)
        return out

    def jacobian(t, y):
        out = np.empty(n * n)
        tc = min(max(float(t), window[0]), window[1])
        call_kernel(jac, tc, np.ascontiguousarray(y, dtype=float), p, out)
        return out.reshape(n, n)

    return fun, jacobian


def _record(problem: Problem, t: float, y: np.ndarray, p: np.ndarray, row: np.ndarray) -> None:
    ns = problem.sel_state.size
    row[:ns] = y[problem.sel_state]
    if problem.sel_out.size:
        buf = np.empty(max(problem.n_out, 1))
        call_kernel(problem.outputs, float(t), np.ascontiguousarray(y), p, buf)
        row[ns:] = buf[problem.sel_out]


def _solve_member(problem, i, method, rtol, atol, max_steps, values, stats) -> int:
    p = problem.P[i].copy()
    y = problem.Y0[i].copy()
    if problem.use_init:
        y_out = np.empty_like(y)
        call_init(problem.init, p, y, y_out)
        y = y_out
    if problem.preequilibrate:
        status = steady_state_core(
            problem.rhs, problem.jac, float(problem.t_start), y, p, problem.L_red,
            problem.piv_rows, problem.ss_opts, int(max_steps), problem.use_dfdt, stats,
        )  # fmt: skip
        if status != SUCCESS:
            return int(status)
    window = [-np.inf, np.inf]
    fun, jacobian = _kernel_functions(problem, p, window)
    t_eval = problem.t_eval
    t_end = t_eval[-1]
    t = float(problem.t_start)
    ic, k, n_c = 0, 0, problem.ch_time.size
    bp = problem.breakpoint_rows()[i]
    while True:
        while ic < n_c and problem.ch_time[ic] <= t:
            _apply_change(problem.ch_kind[ic], problem.ch_index[ic], problem.ch_value[i, ic], y, p)
            ic += 1
        while k < t_eval.size and t_eval[k] <= t:
            _record(problem, t_eval[k], y, p, values[k])
            k += 1
        if t >= t_end:
            return SUCCESS
        seg_end = float(problem.ch_time[ic]) if ic < n_c and problem.ch_time[ic] < t_end else t_end
        later = bp[bp > t]
        if later.size and later[0] < seg_end:
            seg_end = float(later[0])
        if seg_end - t <= 64.0 * np.finfo(float).eps * max(abs(t), abs(seg_end)):
            t = seg_end  # as in the Rodas backend: no step fits between two stops this close
            continue
        window[:] = segment_time_window.py_func(t, seg_end)
        inner = t_eval[(t_eval > t) & (t_eval < seg_end)]
        if not np.all(np.isfinite(y)):  # solve_ivp raises ValueError on these: a status
            return NONFINITE
        try:
            sol = solve_ivp(
                fun, (t, seg_end), y, method=method, t_eval=np.append(inner, seg_end),
                jac=jacobian, rtol=rtol, atol=atol,
            )  # fmt: skip
        except ValueError as err:  # a NaN / inf Jacobian reaches scipy's LU check_finite
            if "inf" in str(err) or "finite" in str(err):
                return NONFINITE
            raise
        stats[ST_RHS] += sol.nfev
        stats[ST_JAC] += sol.njev
        if sol.status != 0:
            return EXTERNAL_FAILED
        for j in range(inner.size):
            _record(problem, inner[j], sol.y[:, j], p, values[k])
            k += 1
        y = np.ascontiguousarray(sol.y[:, -1])
        t = seg_end


def solve_scipy(
    problem: Problem,
    *,
    method: str = "BDF",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_steps: int = 100_000,
    n_threads: int | None = None,
) -> Solution:
    """Integrate every member with ``solve_ivp(method=...)`` (``n_threads`` is ignored)."""
    if method not in METHODS:
        raise ValueError(f"scipy method must be one of {METHODS}, got {method!r}")
    sol = empty_solution(problem)
    for i in range(problem.n_members):
        status = _solve_member(
            problem, i, method, rtol, atol, max_steps, sol.values[i], sol.stats[i]
        )
        sol.status[i] = status
        if status != SUCCESS:
            sol.values[i] = np.nan
    return replace(sol, messages=tuple(status_message(s) for s in sol.status))
