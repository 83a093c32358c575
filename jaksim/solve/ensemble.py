"""Piecewise protocols and parameter ensembles on the Rodas5 integrator.

One compiled kernel, :func:`solve_members`, runs a range of members with the GIL released;
:mod:`jaksim.solve.rodas_backend` runs chunks of members in a thread pool. A single simulation
is an ensemble of one, so single and ensemble results are the same computation.

Why threads over chunks rather than ``@njit(parallel=True)`` with ``prange``: measured on this
solver, the ``prange`` wrapper alone added ~24 s to the cold (first-ever) compile, against
~0 s for a plain loop. Parallelism is kept: the kernel releases the GIL (checked: a Python
thread runs freely meanwhile), members are independent, and the pool hands out chunks
dynamically, which also balances members of very different stiffness.

Protocol encoding (sorted by time; simultaneous changes are applied in order):

``ch_time`` (n_c,) float, ``ch_kind`` (n_c,) int (:data:`SET_STATE`, :data:`ADD_STATE`,
:data:`SET_PARAM`, :data:`ADD_PARAM`), ``ch_index`` (n_c,) int index into ``y`` or ``p``,
``ch_value`` (m, n_c) float, one row per member.

Values reported at a change time are those *after* the change (right-continuous), so an input
set at ``t = 0`` is visible in the first output row.

Breakpoints ``BP`` (m, n_b), sorted per row, padded with ``inf``: switching times of time-only
conditions in the model (:mod:`jaksim.compile.breakpoints`). The integration stops exactly at
each one and restarts there, like at a protocol change but with nothing applied; inside a
segment the kernels see times pulled a few ulps inside it
(:func:`jaksim.solve.rodas.segment_time_window`), so each side of a switch is integrated with
its own branch.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .rodas import (
    _EPS,
    STEADY_STATE_FAILED,
    SUCCESS,
    _allocate_work,
    integrate_segment,
    record,
)
from .steady_state import steady_state_core

SET_STATE, ADD_STATE, SET_PARAM, ADD_PARAM = 0, 1, 2, 3


@njit(cache=True)
def _apply_change(kind, index, value, y, p):
    if kind == SET_STATE:
        y[index] = value
    elif kind == ADD_STATE:
        y[index] += value
    elif kind == SET_PARAM:
        p[index] = value
    else:
        p[index] += value


# inline="always" (numba-IR inlining) for run_member, steady_state_core and newton_steady_state:
# measured cold compile of the first simulation 25.6 s -> 18.1 s (each separately compiled level
# re-optimises everything it links); inlining integrate_segment too made it slower (21.3 s).
@njit(cache=True, inline="always")
def run_member(
    rhs, jac, outputs, init, switches, n_sw, use_init, t_eval, t_start, y0, p, ch_time,
    ch_kind, ch_index, ch_value, bp, sel_state, sel_out, n_out, rtol, atol, max_steps,
    use_dfdt, preeq, L, piv_rows, ss_opts, lu_plan, res, stats,
):  # fmt: skip
    """Simulate one member; fills ``res`` (n_t, n_sel) and ``stats``; returns a status code.

    ``p`` is modified (protocol parameter changes). Order: initial assignments (``init``),
    optional pre-equilibration with no protocol change applied, then the protocol from
    ``t_start`` (<= every change time and ``t_eval[0]``) to ``t_eval[-1]``. ``lu_plan``: the
    model's sparse LU plan (:func:`jaksim.solve.sparse_lu.sparse_lu_plan`; empty: dense).
    ``bp``: this member's sorted breakpoints (``inf`` padding). ``switches`` / ``n_sw``: the
    model's switch-condition kernel and count (0: ``switches`` is only a placeholder); the
    integrator lands on their flips (``switch_mode`` of :func:`integrate_segment`).
    """
    n = y0.size
    y = np.empty(n)
    if use_init:
        init(p.ctypes, y0.ctypes, y.ctypes)
    else:
        y[:] = y0
    if preeq:
        st = steady_state_core(
            rhs, jac, t_start, y, p, L, piv_rows, ss_opts, max_steps, use_dfdt, stats
        )
        if st != SUCCESS:
            return STEADY_STATE_FAILED
    work = _allocate_work(n, n_sw, lu_plan)
    gbuf = work[4]
    obuf = np.zeros(max(n_out, 1))
    n_t = t_eval.size
    n_c = ch_time.size
    n_b = bp.size
    t_end = t_eval[n_t - 1]
    t = t_start
    ic = 0
    ib = 0
    k = 0
    while True:
        while ic < n_c and ch_time[ic] <= t:
            _apply_change(ch_kind[ic], ch_index[ic], ch_value[ic], y, p)
            ic += 1
        while k < n_t and t_eval[k] <= t:
            record(outputs, t_eval[k], y, p, sel_state, sel_out, obuf, res, k)
            k += 1
        if t >= t_end:
            return SUCCESS
        seg_end = t_end
        if ic < n_c and ch_time[ic] < t_end:
            seg_end = ch_time[ic]
        while ib < n_b and bp[ib] <= t:
            ib += 1
        if ib < n_b and bp[ib] < seg_end:
            seg_end = bp[ib]
        if seg_end - t <= 64.0 * _EPS * max(abs(t), abs(seg_end)):
            # A stop within a few ulps of the last one (a breakpoint next to a change or an
            # output time): no step fits; the state moves by ~f * 1e-14 t, below any tolerance.
            t = seg_end
            continue
        if n_sw > 0:  # reference values of the switch conditions at the segment start
            switches(t, y.ctypes, p.ctypes, gbuf[0].ctypes)
        status, k, t = integrate_segment(
            rhs, jac, outputs, switches, n_sw, t, seg_end, y, p, t_eval, k, sel_state, sel_out,
            obuf, res, rtol, atol, max_steps, use_dfdt, stats, work, True,
        )  # fmt: skip
        if status != SUCCESS:
            return status


@njit(nogil=True, cache=True)
def solve_members(
    rhs, jac, outputs, init, switches, n_sw, use_init, t_eval, t_start, Y0, P, ch_time,
    ch_kind, ch_index, CH_VALUE, BP, sel_state, sel_out, n_out, rtol, atol, max_steps,
    use_dfdt, preeq, L, piv_rows, ss_opts, lu_plan, res, status, stats, i0, i1,
):  # fmt: skip
    """Run members ``i0 <= i < i1`` (releases the GIL: callers run chunks in threads).

    Shapes: ``Y0`` (m, n), ``P`` (m, n_p), ``CH_VALUE`` (m, n_c), ``BP`` (m, n_b) sorted
    breakpoints (``inf`` padding), ``res`` (m, n_t, n_sel)
    (output, NaN for a failed member), ``status`` (m,) int64, ``stats`` (m, N_STATS) int64.
    """
    for i in range(i0, i1):
        p = P[i].copy()
        st = run_member(
            rhs, jac, outputs, init, switches, n_sw, use_init, t_eval, t_start, Y0[i], p,
            ch_time, ch_kind, ch_index, CH_VALUE[i], BP[i], sel_state, sel_out, n_out, rtol,
            atol, max_steps, use_dfdt, preeq, L, piv_rows, ss_opts, lu_plan, res[i], stats[i],
        )  # fmt: skip
        status[i] = st
        if st != SUCCESS:
            res[i, :, :] = np.nan
