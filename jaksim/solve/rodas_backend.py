"""The ``"rodas"`` backend: Rodas5 members in chunks on a thread pool (GIL released)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numba
import numpy as np

from .ensemble import solve_members
from .problem import Problem, Solution, empty_solution, status_message

#: Chunks per thread: small enough for dynamic load balancing, large enough that the
#: per-call overhead (~10 us) is negligible.
CHUNKS_PER_THREAD = 4


def solve_rodas(
    problem: Problem,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_steps: int = 100_000,
    n_threads: int | None = None,
) -> Solution:
    """Integrate every member with Rodas5.

    ``n_threads`` defaults to :func:`numba.get_num_threads` (``NUMBA_NUM_THREADS``).
    """
    sol = empty_solution(problem)
    m = problem.n_members
    threads = numba.get_num_threads() if n_threads is None else int(n_threads)
    threads = max(1, min(threads, m))
    bp = problem.breakpoint_rows()
    n_sw = int(problem.n_switch) if problem.switches is not None else 0
    # `outputs` fills the FunctionType slot when there are no switches (never called then)
    switches = problem.switches if n_sw else problem.outputs

    def run(i0: int, i1: int) -> None:
        solve_members(
            problem.rhs, problem.jac, problem.outputs, problem.init, switches, n_sw,
            problem.use_init, problem.t_eval, float(problem.t_start), problem.Y0, problem.P,
            problem.ch_time,
            problem.ch_kind, problem.ch_index, problem.ch_value, bp, problem.sel_state,
            problem.sel_out, int(problem.n_out), float(rtol), float(atol), int(max_steps),
            problem.use_dfdt, problem.preequilibrate, problem.L_red, problem.piv_rows,
            problem.ss_opts, problem.lu_plan, sol.values, sol.status, sol.stats, i0, i1,
        )  # fmt: skip

    if threads == 1:
        run(0, m)
    else:
        bounds = np.linspace(0, m, min(m, threads * CHUNKS_PER_THREAD) + 1).astype(int)
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for fut in [
                pool.submit(run, a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
            ]:
                fut.result()
    return replace(sol, messages=tuple(status_message(s) for s in sol.status))
