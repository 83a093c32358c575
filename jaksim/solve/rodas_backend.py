"""The ``"rodas"`` backend: the parallel numba kernel on a :class:`~.problem.Problem`."""

from __future__ import annotations

from dataclasses import replace

import numba

from .ensemble import solve_ensemble_kernel
from .problem import Problem, Solution, empty_solution, status_message


def solve_rodas(
    problem: Problem,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_steps: int = 100_000,
    n_threads: int | None = None,
) -> Solution:
    """Integrate every member with Rodas5 (``prange`` over members on ``n_threads`` threads)."""
    sol = empty_solution(problem)
    previous = numba.get_num_threads()
    # One member: one thread (a parallel launch would only add wake-up latency).
    threads = 1 if problem.n_members == 1 else n_threads
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        solve_ensemble_kernel(
            problem.rhs, problem.jac, problem.outputs, problem.init, problem.use_init,
            problem.t_eval, float(problem.t_start), problem.Y0, problem.P, problem.ch_time,
            problem.ch_kind, problem.ch_index, problem.ch_value, problem.sel_state,
            problem.sel_out, int(problem.n_out), float(rtol), float(atol), int(max_steps),
            problem.use_dfdt, problem.preequilibrate, problem.L_red, problem.piv_rows,
            problem.ss_opts, sol.values, sol.status, sol.stats,
        )  # fmt: skip
    finally:
        numba.set_num_threads(previous)
    return replace(sol, messages=tuple(status_message(s) for s in sol.status))
