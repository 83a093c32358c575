"""Rodas5: an adaptive Rosenbrock integrator for stiff ODEs, wholly in numba.

The building blocks here integrate one segment ``[t0, t1]`` of a piecewise protocol for one
parameter set; :mod:`jaksim.solve.ensemble` strings segments together (changes at protocol
times) and runs many members in parallel. Model kernels arrive as numba first-class function
values (``cfunc`` objects, see :mod:`jaksim.solve.kernels`), so these functions are compiled once
and cached for every model.

Design (following Hairer & Wanner, *Solving ODEs II*, Sec. IV.7 and their ``rodas.f``):

* one analytic Jacobian per step (reused after a rejection at the same ``(t, y)``) and one
  LU of ``I/(h gamma) - J`` per step attempt: sparse on a per-model plan
  (:mod:`jaksim.solve.sparse_lu`), dense when there is none or a static pivot fails;
  ``df/dt`` by a forward difference when the model is not known to be autonomous;
* error = WRMS norm of the embedded difference ``k_8`` with weights ``atol + rtol*max(|y0|, |y1|)``;
* Gustafsson's predictive step-size controller, no increase directly after a rejection;
* output times are filled from the method's 4th-order dense output, and the last step of a
  segment is shortened to land exactly on ``t1`` (protocol changes are discontinuities);
* kernels are evaluated at times clamped a few ulps inside the segment
  (:func:`segment_time_window`), so time switches at segment ends (breakpoints) take the
  branch of the segment being integrated; ``df/dt`` never differences across a segment end;
* compiled with ``error_model="numpy"``: a division by zero gives inf / NaN, which the step
  rejection and the status codes handle, never a ``ZeroDivisionError`` out of compiled code;
* a failed step (singular matrix, non-finite values) counts as a rejection with ``h /= 5``.
  The run stops with a negative status when ``h`` underflows or ``max_steps`` is exceeded;
  values are never clipped.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .linalg import lu_factor, lu_index_size, lu_solve
from .sparse_lu import sparse_lu_factor, sparse_lu_solve
from .tableau import CT, ERR_EXPONENT, GAMMA, N_STAGES, A, C, D, H

# Status codes (0 = success; negative = failure; positive = stopped on purpose).
SUCCESS = 0
EVENT = 1
MAX_STEPS = -1
STEP_TOO_SMALL = -2
NONFINITE = -3
STEADY_STATE_FAILED = -4
EXTERNAL_FAILED = -5

STATUS_MESSAGES = {
    SUCCESS: "success",
    EVENT: "stopped at an event",
    MAX_STEPS: "maximum number of steps exceeded",
    STEP_TOO_SMALL: "step size underflow (stiffness beyond reach, blow-up or non-finite values)",
    NONFINITE: "non-finite right-hand side (NaN or inf in the state or the rates)",
    STEADY_STATE_FAILED: "pre-equilibration found no steady state",
    EXTERNAL_FAILED: "scipy solve_ivp failed",
}

# Counters in the ``stats`` array.
ST_ACCEPTED, ST_REJECTED, ST_RHS, ST_JAC, ST_LU = 0, 1, 2, 3, 4
N_STATS = 5

# Rows of the per-member work array ``ws`` (shape (WS_ROWS, n)).
_K0 = 0  # rows 0..7: stage increments k_s
_Q0 = N_STAGES  # rows 8..10: dense-output coefficients q_r
_F0 = 11  # f(t, y) at the step start
_DFDT = 12  # df/dt (forward difference)
_U = 13  # stage argument
_FU = 14  # f at the stage argument
_Y1 = 15  # proposed new state
_YT = 16  # interpolated state
_X = 17  # scratch of the sparse LU
WS_ROWS = 18

_SAFETY = 0.9
_FAC_MIN = 0.2  # h_new >= 0.2 h
_FAC_MAX = 6.0  # h_new <= 6 h
_EPS = 2.220446049250313e-16
_TINY = 2.2250738585072014e-308  # smallest normal float64


def allocate_work(n: int, n_trig: int = 0, plan: np.ndarray | None = None) -> tuple:
    """Work arrays for one member: ``(ws, J, W, piv, gbuf, plan)`` (numba: ``_allocate_work``).

    ``plan`` is a :func:`jaksim.solve.sparse_lu.sparse_lu_plan` (empty or None: dense LU).
    """
    return _allocate_work(n, n_trig, np.zeros(0, dtype=np.int64) if plan is None else plan)


@njit(cache=True, error_model="numpy")
def _allocate_work(n, n_trig, plan):
    ws = np.zeros((WS_ROWS, n))
    J = np.zeros((n, n))
    W = np.zeros((n, n))  # dense factors, or the sparse factors' values in its first nnz
    piv = np.zeros(lu_index_size(n), dtype=np.int64)
    gbuf = np.zeros((3, max(n_trig, 1)))
    return ws, J, W, piv, gbuf, plan


@njit(cache=True, error_model="numpy")
def wrms(v, y0, y1, rtol, atol):
    """Weighted RMS norm of ``v`` with weights ``atol + rtol * max(|y0|, |y1|)``."""
    n = v.size
    s = 0.0
    for i in range(n):
        # floored: with atol = 0 a state that decays to exactly 0 would divide by zero
        sc = max(atol + rtol * max(abs(y0[i]), abs(y1[i])), _TINY)
        e = v[i] / sc
        s += e * e
    return np.sqrt(s / max(n, 1))


@njit(cache=True, error_model="numpy")
def _all_finite(v):
    for i in range(v.size):
        if not np.isfinite(v[i]):
            return False
    return True


@njit(cache=True, error_model="numpy")
def rodas_step(rhs, t, h, y, p, J, W, piv, plan, ws, stats, t_lo, t_hi):
    """One Rodas5 step of size ``h`` from ``(t, y)``; the proposal goes to ``ws[_Y1]``.

    Needs ``ws[_F0] = f(t, y)``, ``ws[_DFDT]`` and ``J`` evaluated at ``(t, y)``. Stage times
    are clamped to ``[t_lo, t_hi]`` (the segment shrunk by a few ulps, see
    :func:`segment_time_window`). Factors
    ``W`` sparsely on ``plan`` when one is given and its static pivots are sound, else densely.
    Returns 0 when the iteration matrix is singular, else 1 (dense factors in ``W``) or 2
    (sparse factors).
    """
    n = y.size
    inv_hg = 1.0 / (h * GAMMA)
    lu = W.reshape(n * n)
    x = ws[_X]
    stats[ST_LU] += 1
    sparse = plan.size > 0 and sparse_lu_factor(plan, J, inv_hg, lu, x)
    if not sparse:
        for i in range(n):
            for j in range(n):
                W[i, j] = -J[i, j]
            W[i, i] += inv_hg
        if lu_factor(W, piv) != 0:
            return 0
    f0 = ws[_F0]
    dfdt = ws[_DFDT]
    u = ws[_U]
    fu = ws[_FU]
    inv_h = 1.0 / h
    # Stage sums: previous stages outside, elements inside (contiguous rows), and C / h
    # computed once per stage rather than a division per element.
    for s in range(N_STAGES):
        k = ws[_K0 + s]
        if s == 0:
            fu[:] = f0
        else:
            u[:] = y
            for j in range(s):
                a = A[s, j]
                if a != 0.0:
                    kj = ws[_K0 + j]
                    for i in range(n):
                        u[i] += a * kj[i]
            rhs(min(max(t + CT[s] * h, t_lo), t_hi), u.ctypes, p.ctypes, fu.ctypes)
            stats[ST_RHS] += 1
        hd = h * D[s]
        for i in range(n):
            k[i] = fu[i] + hd * dfdt[i]
        for j in range(s):
            c = C[s, j] * inv_h
            if c != 0.0:
                kj = ws[_K0 + j]
                for i in range(n):
                    k[i] += c * kj[i]
        if sparse:
            sparse_lu_solve(plan, lu, x, k)
        else:
            lu_solve(W, piv, k)
    # u holds U_8 (embedded order-4 solution); y1 = U_8 + k_8.
    y1 = ws[_Y1]
    k8 = ws[_K0 + N_STAGES - 1]
    for i in range(n):
        y1[i] = u[i] + k8[i]
    return 2 if sparse else 1


@njit(cache=True, error_model="numpy")
def _dense_coefficients(ws):
    n = ws.shape[1]
    for r in range(3):
        q = ws[_Q0 + r]
        q[:] = 0.0
        for s in range(N_STAGES):
            c = H[r, s]
            if c != 0.0:
                ks = ws[_K0 + s]
                for i in range(n):
                    q[i] += c * ks[i]


@njit(cache=True, error_model="numpy")
def interpolate(theta, y0, ws, out):
    """State at ``t + theta*h`` on the last accepted step (Rodas5 dense output) into ``out``."""
    y1 = ws[_Y1]
    q1 = ws[_Q0]
    q2 = ws[_Q0 + 1]
    q3 = ws[_Q0 + 2]
    th1 = 1.0 - theta
    for i in range(y0.size):
        out[i] = th1 * y0[i] + theta * (y1[i] + th1 * (q1[i] + theta * (q2[i] + theta * q3[i])))


@njit(cache=True, error_model="numpy")
def record(outputs, t, y, p, sel_state, sel_out, obuf, res, k):
    """Write the selected states and outputs at time ``t`` into row ``k`` of ``res``."""
    ns = sel_state.size
    for j in range(ns):
        res[k, j] = y[sel_state[j]]
    if sel_out.size > 0:
        outputs(t, y.ctypes, p.ctypes, obuf.ctypes)
        for j in range(sel_out.size):
            res[k, ns + j] = obuf[sel_out[j]]


@njit(cache=True, error_model="numpy")
def segment_time_window(t0, t1):
    """Times at which a segment ``[t0, t1]`` evaluates its kernels: ``(t_lo, t_hi)``.

    The segment ends are pulled inwards by ``64 ulp`` of ``max(|t0|, |t1|)`` so that a
    time-only condition switching at a segment end (a breakpoint, see
    :mod:`jaksim.compile.breakpoints`) is always evaluated on the segment's own side: at a
    restart on ``t > c`` or ``t < c`` at ``c`` the post-switch branch, at the end of the segment
    before it the pre-switch branch. Without this, Rodas5's last stages (``c_s = 1``) of the
    step that lands on ``c`` saw the post-switch rate (measured: 6.5e-6 relative error at
    ``rtol = 1e-10`` on a ``time < 4`` switch). Shifting ``t`` by ~1e-14 relative is far below
    any tolerance for a model smooth in time.
    """
    d = 64.0 * _EPS * max(abs(t0), abs(t1))
    t_lo = t0 + d
    t_hi = t1 - d
    if t_lo > t_hi:
        t_lo = 0.5 * (t0 + t1)
        t_hi = t_lo
    return t_lo, t_hi


@njit(cache=True, error_model="numpy")
def _jacobian(rhs, jac, t, y, p, J, ws, use_dfdt, stats, t_lo, t_hi):
    tc = min(max(t, t_lo), t_hi)
    jac(tc, y.ctypes, p.ctypes, J.ctypes)
    stats[ST_JAC] += 1
    dfdt = ws[_DFDT]
    if use_dfdt:
        # Finite difference in t only: cheap (one rhs call) and exactly 0 for autonomous models.
        # Forward, or backward at the end of a segment: a difference across a breakpoint
        # would turn a jump of f into a huge spurious df/dt.
        dt = np.sqrt(_EPS) * max(abs(t), 1.0)
        tb = min(tc + dt, t_hi)
        if tb - tc < 0.5 * dt:
            tb = max(tc - dt, t_lo)
        if abs(tb - tc) < 0.5 * dt:
            dfdt[:] = 0.0  # segment shorter than the difference step: no usable difference
            return
        fu = ws[_FU]
        rhs(tb, y.ctypes, p.ctypes, fu.ctypes)
        stats[ST_RHS] += 1
        f0 = ws[_F0]
        inv = 1.0 / (tb - tc)
        for i in range(y.size):
            dfdt[i] = (fu[i] - f0[i]) * inv
    else:
        dfdt[:] = 0.0


@njit(cache=True, error_model="numpy")
def _initial_step(rhs, t0, t1, y, p, ws, rtol, atol, stats, t_lo, t_hi):
    """Hairer-Wanner starting step (scipy's ``select_initial_step``), at most ``t1 - t0``."""
    f0 = ws[_F0]
    d0 = wrms(y, y, y, rtol, atol)
    d1 = wrms(f0, y, y, rtol, atol)
    span = t1 - t0
    if d0 < 1e-5 or d1 < 1e-5:
        h0 = 1e-6 * span
    else:
        h0 = 0.01 * d0 / d1
    h0 = min(h0, span)
    u = ws[_U]
    fu = ws[_FU]
    for i in range(y.size):
        u[i] = y[i] + h0 * f0[i]
    rhs(min(max(t0 + h0, t_lo), t_hi), u.ctypes, p.ctypes, fu.ctypes)
    stats[ST_RHS] += 1
    for i in range(y.size):
        fu[i] -= f0[i]
    d2 = wrms(fu, y, y, rtol, atol) / h0
    dm = max(d1, d2)
    if dm <= 1e-15 or not np.isfinite(dm):
        h1 = max(1e-6 * span, h0 * 1e-3)
    else:
        h1 = (0.01 / dm) ** ERR_EXPONENT
    return min(100.0 * h0, h1, span)


@njit(cache=True, error_model="numpy")
def _triggers_changed(g_prev, g):
    for i in range(g.size):
        if (g[i] > 0.5) != (g_prev[i] > 0.5):
            return True
    return False


@njit(cache=True, error_model="numpy")
def _locate_event(triggers, t, h, y, p, ws, g_prev, g_mid):
    """Bisect the dense output of the accepted step for the first trigger flip.

    Returns ``theta`` in (0, 1] of the earliest time found where a trigger differs from
    ``g_prev``, to ``1e-12`` relative in t; ``ws[_YT]`` holds the state there and ``g_mid``
    the trigger values.
    """
    yt = ws[_YT]
    lo = 0.0
    hi = 1.0
    tol = 1e-12 * max(abs(t), abs(t + h))
    if tol == 0.0:
        tol = 1e-12 * h
    for _ in range(200):
        if (hi - lo) * h <= tol:
            break
        mid = 0.5 * (lo + hi)
        interpolate(mid, y, ws, yt)
        triggers(t + mid * h, yt.ctypes, p.ctypes, g_mid.ctypes)
        if _triggers_changed(g_prev, g_mid):
            hi = mid
        else:
            lo = mid
    if hi == 1.0:
        yt[:] = ws[_Y1]
    else:
        interpolate(hi, y, ws, yt)
    triggers(t + hi * h, yt.ctypes, p.ctypes, g_mid.ctypes)
    return hi


@njit(cache=True, error_model="numpy")
def integrate_segment(
    rhs, jac, outputs, triggers, n_trig, t0, t1, y, p, t_eval, k, sel_state, sel_out, obuf,
    res, rtol, atol, max_steps, use_dfdt, stats, work, switch_mode,
):  # fmt: skip
    """Integrate ``y' = f(t, y, p)`` from ``t0`` to exactly ``t1`` (``y`` updated in place).

    Output rows ``k, k+1, ...`` of ``res`` are filled for every ``t_eval[k]`` with
    ``t0 < t_eval[k] < t1`` (points at ``t0``/``t1`` are the caller's: protocol changes happen
    there). With ``n_trig > 0`` the integration also stops at the first flip of a
    ``triggers`` entry relative to ``work[4][0]`` (the values at ``t0``, set by the caller).

    ``switch_mode``: ``triggers`` are instead the model's switch conditions (a discontinuity
    of ``f`` on a state, see :func:`jaksim.compile.breakpoints.find_switches`) and the
    integration does not stop. Why: Rodas5's error estimate does not see a jump of ``f``
    inside a step (the stages after the jump agree with each other; measured 1e-4 relative
    error at ``rtol = 1e-10``, and garbage for a stiff switch, all with status 0). A step in
    which a condition flips is redone to end just before the flip (located on the dense
    output), repeatedly, until the remaining gap is below ``h_cross = max(rtol * h, 64 ulp)``;
    that tiny step crosses the switch, so the branches mix over ``h_cross`` only. A condition
    that keeps flipping (chattering) exhausts ``max_steps`` rather than passing silently.

    Returns
    -------
    (status, k, t) : int, int, float
        Status code (``SUCCESS``, ``EVENT`` or a negative failure), the next output row and the
        time reached (``t1``, or the event time; on failure the last accepted time).
        After ``EVENT``, ``work[4][1]`` holds the trigger values at the event.
    """
    ws, J, W, piv, gbuf, plan = work
    g_prev = gbuf[0, :n_trig]
    g_new = gbuf[1, :n_trig]
    g_mid = gbuf[2, :n_trig]
    n_t = t_eval.size
    f0 = ws[_F0]
    y1 = ws[_Y1]
    yt = ws[_YT]
    t = t0
    t_lo, t_hi = segment_time_window(t0, t1)
    rhs(t_lo, y.ctypes, p.ctypes, f0.ctypes)
    stats[ST_RHS] += 1
    if not (_all_finite(y) and _all_finite(f0)):
        return NONFINITE, k, t
    h = _initial_step(rhs, t0, t1, y, p, ws, rtol, atol, stats, t_lo, t_hi)
    need_jac = True
    rejected = False
    first = True
    h_acc = 0.0
    err_acc = 1.0
    h_cross = 0.0  # > 0 while landing on a switch
    while t < t1:
        if stats[ST_ACCEPTED] + stats[ST_REJECTED] >= max_steps:
            return MAX_STEPS, k, t
        if h <= 16.0 * _EPS * max(abs(t), abs(t1)):
            return STEP_TOO_SMALL, k, t
        last = t + 1.0001 * h >= t1
        if last:
            h = t1 - t
        if need_jac:
            _jacobian(rhs, jac, t, y, p, J, ws, use_dfdt, stats, t_lo, t_hi)
            need_jac = False
        code = rodas_step(rhs, t, h, y, p, J, W, piv, plan, ws, stats, t_lo, t_hi)
        err = wrms(ws[_K0 + N_STAGES - 1], y, y1, rtol, atol) if code > 0 else np.inf
        if not np.isfinite(err):
            err = np.inf
        if err > 1.0:
            stats[ST_REJECTED] += 1
            rejected = True
            if np.isinf(err):
                h *= _FAC_MIN
            else:
                h /= min(1.0 / _FAC_MIN, max(1.0, err**ERR_EXPONENT / _SAFETY))
            continue
        t_new = t1 if last else t + h
        if switch_mode and n_trig > 0:  # n_trig = 0: `triggers` is a placeholder, never call
            triggers(min(max(t_new, t_lo), t_hi), y1.ctypes, p.ctypes, g_new.ctypes)
            if _triggers_changed(g_prev, g_new):
                if h_cross == 0.0:
                    h_cross = max(rtol * h, 64.0 * _EPS * max(abs(t), abs(t1)))
                if h > h_cross:
                    # redo the step to end just before the first flip
                    _dense_coefficients(ws)
                    theta = _locate_event(triggers, t, h, y, p, ws, g_prev, g_mid)
                    stats[ST_REJECTED] += 1
                    rejected = True
                    h = max(theta * h * (1.0 - 1e-3), h_cross)
                    continue
                g_prev[:] = g_new  # a step of at most h_cross crosses the switch
                h_cross = 0.0
        stats[ST_ACCEPTED] += 1
        theta_stop = 1.0
        event = False
        if n_trig > 0 and not switch_mode:
            triggers(t_new, y1.ctypes, p.ctypes, g_new.ctypes)
            if _triggers_changed(g_prev, g_new):
                _dense_coefficients(ws)
                theta_stop = _locate_event(triggers, t, h, y, p, ws, g_prev, g_mid)
                g_new[:] = g_mid
                event = True
        t_stop = t + theta_stop * h if theta_stop < 1.0 else t_new
        if not event and k < n_t and t_eval[k] < t_stop:
            # Dense output only for steps that interpolate (il6: 61 outputs in 358 steps).
            _dense_coefficients(ws)
        while k < n_t and t_eval[k] < t_stop:
            if t_eval[k] > t0:
                interpolate((t_eval[k] - t) / h, y, ws, yt)
                record(outputs, t_eval[k], yt, p, sel_state, sel_out, obuf, res, k)
            k += 1
        if event:  # the output interpolations above reused yt: the state at t_stop again
            interpolate(theta_stop, y, ws, yt)
            y[:] = yt
            return EVENT, k, t_stop
        # Gustafsson predictive controller (Hairer & Wanner II, eq. IV.8.21).
        fac = min(1.0 / _FAC_MIN, max(1.0 / _FAC_MAX, err**ERR_EXPONENT / _SAFETY))
        if not first:
            fac_g = (h_acc / h) * (err * err / err_acc) ** ERR_EXPONENT / _SAFETY
            fac = max(fac, min(1.0 / _FAC_MIN, max(1.0 / _FAC_MAX, fac_g)))
        first = False
        h_acc = h
        err_acc = max(1e-2, err)
        h_new = h / fac
        if rejected:
            h_new = min(h_new, h)
        rejected = False
        y[:] = y1
        t = t_new
        if t < t1:
            rhs(min(max(t, t_lo), t_hi), y.ctypes, p.ctypes, f0.ctypes)
            stats[ST_RHS] += 1
            if not _all_finite(f0):
                return NONFINITE, k, t
            need_jac = True
        h = h_new
    return SUCCESS, k, t
