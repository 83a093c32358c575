"""The plain-data problem every solver backend receives, and the solution it returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .rodas import N_STATS, STATUS_MESSAGES


@dataclass(frozen=True)
class Problem:
    """An ensemble of ``m`` piecewise initial-value problems sharing one model and protocol.

    Attributes
    ----------
    rhs, jac, outputs, init : numba cfunc
        Model kernels (:mod:`jaksim.solve.kernels` signatures).
    n_out : int
        Number of values ``outputs`` writes.
    use_init : bool
        Apply ``init`` (initial assignments) to each row of ``Y0``.
    use_dfdt : bool
        The model may depend on ``t`` explicitly (Rosenbrock needs ``df/dt``).
    t_eval : (n_t,) float
        Strictly increasing output times.
    t_start : float
        Integration start (<= ``t_eval[0]`` and every change time).
    Y0 : (m, n) float
        Initial states (before ``init``).
    P : (m, n_p) float
        Parameter rows.
    ch_time, ch_kind, ch_index : (n_c,)
        Protocol changes, see :mod:`jaksim.solve.ensemble`.
    ch_value : (m, n_c) float
        Change values per member.
    sel_state, sel_out : int64 arrays
        State and output indices to report, in this order.
    preequilibrate : bool
        Start each member from its steady state (protocol not applied).
    L_red, piv_rows, ss_opts
        Reduced conservation laws, their pivot species and steady-state options
        (see :mod:`jaksim.solve.steady_state`).
    lu_plan : int64 array
        Sparse LU plan of the Rosenbrock matrix (:func:`jaksim.solve.sparse_lu.sparse_lu_plan`
        of the model's ``jac_sparsity``); empty (the default) for a dense LU.
    switches : cfunc or None
        The model's switch-condition kernel (``n_switch`` entries; None or 0: none).
    n_switch : int
    breakpoints : (m, n_b) float
        Per member, the sorted switching times of the model's time-only conditions
        (``inf`` padding; :func:`jaksim.compile.breakpoints.breakpoint_times`). Solvers stop
        and restart exactly there. Empty (the default): none.
    """

    rhs: object
    jac: object
    outputs: object
    init: object
    n_out: int
    use_init: bool
    use_dfdt: bool
    t_eval: np.ndarray
    t_start: float
    Y0: np.ndarray
    P: np.ndarray
    ch_time: np.ndarray
    ch_kind: np.ndarray
    ch_index: np.ndarray
    ch_value: np.ndarray
    sel_state: np.ndarray
    sel_out: np.ndarray
    preequilibrate: bool
    L_red: np.ndarray
    piv_rows: np.ndarray
    ss_opts: np.ndarray
    lu_plan: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    breakpoints: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    switches: object = None
    n_switch: int = 0

    def breakpoint_rows(self) -> np.ndarray:
        """``breakpoints`` as a C-contiguous (m, n_b) array (n_b = 0 when there are none)."""
        bp = np.asarray(self.breakpoints, dtype=float)
        if bp.size == 0:
            return np.zeros((self.n_members, 0))
        return np.ascontiguousarray(bp.reshape(self.n_members, -1))

    @property
    def n_members(self) -> int:
        return self.Y0.shape[0]

    @property
    def n_selected(self) -> int:
        return self.sel_state.size + self.sel_out.size


@dataclass(frozen=True)
class Solution:
    """``values`` (m, n_t, n_sel) (NaN for failed members), ``status`` (m,), ``stats`` (m, 5)."""

    values: np.ndarray
    status: np.ndarray
    stats: np.ndarray
    messages: tuple[str, ...]


def empty_solution(problem: Problem) -> Solution:
    m = problem.n_members
    return Solution(
        values=np.full((m, problem.t_eval.size, problem.n_selected), np.nan),
        status=np.zeros(m, dtype=np.int64),
        stats=np.zeros((m, N_STATS), dtype=np.int64),
        messages=(),
    )


#: What to try for each failure status (appended to the status message).
REMEDIES = {
    -1: "raise max_steps, or shorten t_eval / split the protocol",
    -2: "check the rate laws for blow-up or non-finite values; loosen rtol/atol, or try "
    'solver="lsoda" to compare',
    -3: "a rate or state became NaN/inf: look for divisions by a species that reaches 0 and "
    "for overflowing exponentials; the message of simulate() names the first such rate",
    -4: "the model may have no steady state from these initial values: integrate longer "
    "(ss_t_max) or simulate without preequilibrate",
    -5: 'see the scipy message; try solver="rodas"',
}


def status_message(code: int) -> str:
    """Human-readable meaning of a solver status code, with what to try for a failure."""
    text = STATUS_MESSAGES.get(int(code), f"unknown status {int(code)}")
    remedy = REMEDIES.get(int(code))
    return f"{text}; remedy: {remedy}" if remedy else text
