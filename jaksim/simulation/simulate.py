"""``simulate``, ``simulate_ensemble`` and ``steady_state``: the user-facing entry points.

Each accepts a :class:`~jaksim.spec.model.Model`, a ``CompiledModel`` or a model name / path
(resolved with :func:`jaksim.io.registry.load_model`). Parameters and initial values are
overridden *by id*; the model's ``inputs`` are the default protocol.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..compile.breakpoints import breakpoint_times
from ..solve import get_solver
from ..solve.ensemble import ADD_PARAM, SET_PARAM
from ..solve.kernels import call_kernel, null_init
from ..solve.problem import Problem, Solution
from ..solve.sparse_lu import sparse_lu_plan
from ..solve.steady_state import find_steady_state, reduce_conservation
from ..spec.errors import did_you_mean
from .diagnose import MAX_EXPLAINED, explain_failure
from .event_runs import run_event_members
from .protocol import Protocol
from .results import STAT_NAMES, EnsembleResult, SimulationResult, SteadyStateResult

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from ..compile import CompiledModel
    from ..spec.model import Model

    ModelLike = Model | CompiledModel | str | os.PathLike[str]

__all__ = ["simulate", "simulate_ensemble", "steady_state", "resolve_model"]

#: Steady-state convergence used for pre-equilibration: WRMS(f) <= 1 with weights
#: SS_ATOL + SS_RTOL*|y| (concentration/time), fallback integration up to SS_T_MAX time units.
SS_RTOL, SS_ATOL, SS_T_MAX = 1e-8, 1e-12, 1e10


def resolve_model(model: ModelLike) -> CompiledModel:
    """Return a compiled model for a ``CompiledModel``, a ``Model`` or a model name / path."""
    if isinstance(model, (str, os.PathLike)):
        from ..io.registry import load_model

        model = load_model(model)
    if hasattr(model, "rhs") and hasattr(model, "state_ids"):
        return model
    from ..compile import compile_model

    return compile_model(model)


def _index_of(ids: Sequence[str], key: str, what: str, compiled) -> int:
    try:
        return list(ids).index(key)
    except ValueError:
        hint = ""
        if what == "species" and key in compiled.param_ids:
            hint = " (it is a parameter or constant species: pass it in params=)"
        raise KeyError(
            f"unknown {what} id {key!r}{did_you_mean(key, ids)}{hint}; "
            f"known: {', '.join(ids) if len(ids) <= 20 else ', '.join(ids[:20]) + ', ...'}"
        ) from None


def _member_count(*sources: Mapping | np.ndarray | int | None) -> int:
    sizes = set()
    for src in sources:
        if src is None:
            continue
        if isinstance(src, int):
            sizes.add(src)
        elif isinstance(src, np.ndarray):
            sizes.add(src.shape[0])
        else:
            sizes.update(np.size(v) for v in src.values() if np.ndim(v) > 0)
    if len(sizes) > 1:
        raise ValueError(
            f"ensemble inputs have different member counts {sorted(sizes)}: every per-member "
            "array (params, param_matrix rows, initial, protocol values) needs the same length"
        )
    return sizes.pop() if sizes else 1


def _rows(base: np.ndarray, ids, overrides: Mapping | None, what: str, compiled, m: int):
    rows = np.repeat(base[None, :].astype(float), m, axis=0)
    for key, val in (overrides or {}).items():
        rows[:, _index_of(ids, key, what, compiled)] = np.asarray(val, dtype=float)
    return rows


def _member_rows(compiled, params, initial, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Parameter and initial-state rows ``(m, n_param)``, ``(m, n_state)`` with overrides."""
    P = _rows(np.asarray(compiled.p0), compiled.param_ids, params, "parameter", compiled, m)
    Y0 = _rows(np.asarray(compiled.y0), compiled.state_ids, initial, "species", compiled, m)
    return P, Y0


def _selection(compiled, outputs: Sequence[str] | None):
    if outputs is None:
        return np.arange(len(compiled.state_ids)), np.arange(len(compiled.output_ids))
    s_index = {s: i for i, s in enumerate(compiled.state_ids)}
    o_index = {s: i for i, s in enumerate(compiled.output_ids)}
    sel_s, sel_o = [], []
    for key in outputs:
        if key in s_index:
            sel_s.append(s_index[key])
        elif key in o_index:
            sel_o.append(o_index[key])
        else:
            known = (*compiled.state_ids, *compiled.output_ids)
            raise KeyError(f"outputs: unknown id {key!r}{did_you_mean(key, known)}")
    return np.asarray(sel_s, dtype=np.int64), np.asarray(sel_o, dtype=np.int64)


def _check_times(t_eval) -> np.ndarray:
    t = np.ascontiguousarray(np.atleast_1d(np.asarray(t_eval, dtype=float)))
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)):
        raise ValueError("t_eval must be a non-empty 1-D array of finite times")
    if np.any(np.diff(t) <= 0):
        raise ValueError("t_eval must be strictly increasing")
    return t


def _conservation(compiled):
    L = np.asarray(getattr(compiled, "conservation", np.zeros((0, 0))), dtype=float)
    n = len(compiled.state_ids)
    if L.size == 0:
        return np.zeros((0, n)), np.zeros(0, dtype=np.int64)
    return reduce_conservation(L.reshape(-1, n))


def _breakpoints(compiled, P: np.ndarray, Y0: np.ndarray, changes: tuple) -> np.ndarray:
    """Per-member breakpoint times, (m, n) sorted with ``inf`` padding.

    From each member's parameters after initial assignments; when the protocol changes a
    parameter that a switching time depends on, each protocol interval uses the values in
    force there (and keeps only the switching times inside it).
    """
    exprs = tuple(getattr(compiled, "breakpoints", ()))
    m = P.shape[0]
    if not exprs:
        return np.zeros((m, 0))
    used = {compiled.param_ids.index(s) for b in exprs for s in b.symbols()}
    P_eff = P
    if compiled.init is not null_init and used:
        from ..solve.kernels import call_init

        # initial assignments may set a parameter that a switching time depends on
        P_eff = P.copy()
        y_out = np.empty(Y0.shape[1])
        for i in range(m):
            call_init(compiled.init, P_eff[i], np.ascontiguousarray(Y0[i]), y_out)
    ch_time, ch_kind, ch_index, ch_value = changes
    moving = [
        c
        for c in range(ch_time.size)
        if ch_kind[c] in (SET_PARAM, ADD_PARAM) and int(ch_index[c]) in used
    ]
    if not moving:
        return breakpoint_times(exprs, compiled.param_ids, P_eff)
    rows = []
    for i in range(m):
        p = P_eff[i].copy()
        found, start = [], -np.inf
        for c in moving:
            times = breakpoint_times(exprs, compiled.param_ids, p[None, :])[0]
            found += [x for x in times if start <= x <= ch_time[c]]
            if ch_kind[c] == SET_PARAM:
                p[ch_index[c]] = ch_value[i, c]
            else:
                p[ch_index[c]] += ch_value[i, c]
            start = float(ch_time[c])
        times = breakpoint_times(exprs, compiled.param_ids, p[None, :])[0]
        rows.append(sorted(found + [x for x in times if start <= x < np.inf]))
    out = np.full((m, max(1, max(len(r) for r in rows))), np.inf)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def build_problem(
    compiled,
    t_eval,
    *,
    P: np.ndarray,
    Y0: np.ndarray,
    protocol: Protocol,
    outputs: Sequence[str] | None,
    preequilibrate: bool,
    rtol: float,
    atol: float,
) -> Problem:
    """Assemble the solver :class:`~jaksim.solve.problem.Problem` for ``m = len(P)`` members."""
    if not getattr(compiled, "jit", True):
        raise ValueError(
            f"model {getattr(compiled.model, 'id', '?')!r} was compiled with jit=False; the "
            "solvers need numba cfunc kernels (compile_model(model, jit=True))"
        )
    t = _check_times(t_eval)
    m = P.shape[0]
    ch_time, ch_kind, ch_index, ch_value = protocol.encode(
        compiled.state_ids, compiled.param_ids, m
    )
    t_start = min(t[0], ch_time[0]) if ch_time.size else t[0]
    sel_s, sel_o = _selection(compiled, outputs)
    L_red, piv_rows = _conservation(compiled)
    return Problem(
        rhs=compiled.rhs,
        jac=compiled.jac,
        outputs=compiled.outputs,
        init=compiled.init,
        n_out=len(compiled.output_ids),
        use_init=compiled.init is not null_init,
        use_dfdt=not getattr(compiled, "autonomous", False),
        t_eval=t,
        t_start=float(t_start),
        Y0=np.ascontiguousarray(Y0, dtype=float),
        P=np.ascontiguousarray(P, dtype=float),
        ch_time=np.ascontiguousarray(ch_time),
        ch_kind=np.ascontiguousarray(ch_kind),
        ch_index=np.ascontiguousarray(ch_index),
        ch_value=np.ascontiguousarray(ch_value),
        sel_state=sel_s,
        sel_out=sel_o,
        preequilibrate=bool(preequilibrate),
        L_red=np.ascontiguousarray(L_red),
        piv_rows=np.ascontiguousarray(piv_rows),
        ss_opts=np.array([SS_RTOL, SS_ATOL, SS_T_MAX, rtol, atol], dtype=float),
        lu_plan=sparse_lu_plan(getattr(compiled, "jac_sparsity", None)),
        switches=getattr(compiled, "switches", None),
        n_switch=int(getattr(compiled, "n_switch", 0)),
        breakpoints=_breakpoints(
            compiled,
            np.asarray(P, dtype=float),
            np.asarray(Y0, dtype=float),
            (ch_time, ch_kind, ch_index, ch_value),
        ),
    )


def _stats(row: np.ndarray) -> dict[str, int]:
    return dict(zip(STAT_NAMES, map(int, row), strict=True))


def _has_events(compiled) -> bool:
    """Whether the model runs through the SBML event driver: events, or algebraic rules /
    ``delay()``, which only the driver's scipy path integrates (DAE elimination, history)."""
    # a hand-built compiled model (tests, solver benchmarks) may carry no Model
    model = getattr(compiled, "model", None)
    return bool(
        getattr(model, "events", ())
        or getattr(model, "algebraic_rules", ())
        or getattr(model, "delays", ())
    )


def _event_runs(compiled, t_eval, P, Y0, proto, outputs, preequilibrate, solver, rtol, atol,
                max_steps) -> list[SimulationResult]:  # fmt: skip
    sel_s, sel_o = _selection(compiled, outputs)
    return run_event_members(
        compiled, _check_times(t_eval), P=P, Y0=Y0, protocol=proto, sel_state=sel_s,
        sel_out=sel_o, preequilibrate=preequilibrate, solver=solver, rtol=rtol, atol=atol,
        max_steps=max_steps,
    )  # fmt: skip


def simulate(
    model: ModelLike,
    t_eval: ArrayLike,
    *,
    params: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    protocol: Protocol | None = None,
    outputs: Sequence[str] | None = None,
    preequilibrate: bool = False,
    solver: str = "rodas",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_steps: int = 100_000,
) -> SimulationResult:
    """Simulate one parameter set.

    Parameters
    ----------
    model : Model, CompiledModel or str
        The model, or a shipped model name / model file path.
    t_eval : (n_t,) array_like
        Strictly increasing output times (model time unit). Integration starts at
        ``min(t_eval[0], first change time)``.
    params, initial : dict, optional
        Parameter values / initial species values by id (model units); unknown ids raise
        ``KeyError`` with a suggestion. Initial assignments of the model are applied after.
    protocol : Protocol, optional
        Timed changes; default: the model's ``inputs``.
    outputs : sequence of str, optional
        State and observable ids to report (default: all).
    preequilibrate : bool
        Start from the steady state of the unstimulated system (no protocol change applied).
    solver : {"rodas", "bdf", "radau", "lsoda"}
    rtol, atol : float
        Relative and absolute (concentration units) tolerances.
    max_steps : int
        Step budget (rodas); exceeding it gives ``status = -1``.

    Returns
    -------
    SimulationResult
        With ``status != 0`` (NaN values) and a message when the solve failed.

    Notes
    -----
    A model with events (e.g. imported from SBML) is run by the SBML event driver
    (:func:`jaksim.simulation.events.simulate_events`; ``solver="rodas"`` integrates with
    Rodas between events); protocol changes are applied there too, and ``params`` of the
    result holds the parameter trajectories. ``preequilibrate`` is refused for such models.
    So is a model with algebraic rules (a DAE) or ``delay()``: the driver integrates it with
    scipy (``solver="rodas"``, the default, means LSODA there; ``"bdf"``/``"radau"``/``"lsoda"``
    as named), eliminating the algebraic states by Newton (:mod:`jaksim.solve.dae`) and
    keeping the history the delays read (:mod:`jaksim.simulation.delays`).
    """
    compiled = resolve_model(model)
    P, Y0 = _member_rows(compiled, params, initial, 1)
    proto = Protocol.of_model(compiled) if protocol is None else protocol
    if _has_events(compiled):
        return _event_runs(compiled, t_eval, P, Y0, proto, outputs, preequilibrate, solver,
                           rtol, atol, max_steps)[0]  # fmt: skip
    problem = build_problem(
        compiled, t_eval, P=P, Y0=Y0, protocol=proto, outputs=outputs,
        preequilibrate=preequilibrate, rtol=rtol, atol=atol,
    )  # fmt: skip
    sol: Solution = get_solver(solver)(problem, rtol=rtol, atol=atol, max_steps=max_steps)
    ns = problem.sel_state.size
    values = sol.values[0]
    return SimulationResult(
        t=problem.t_eval,
        states=values[:, :ns],
        outputs=values[:, ns:],
        state_ids=tuple(compiled.state_ids[i] for i in problem.sel_state),
        output_ids=tuple(compiled.output_ids[i] for i in problem.sel_out),
        status=int(sol.status[0]),
        message=explain_failure(
            compiled, int(sol.status[0]), sol.messages[0], P[0], Y0[0], problem.t_start
        ),
        stats=_stats(sol.stats[0]),
    )


def simulate_ensemble(
    model: ModelLike,
    t_eval: ArrayLike,
    *,
    params: Mapping[str, np.ndarray | float] | None = None,
    param_matrix: np.ndarray | None = None,
    param_names: Sequence[str] | None = None,
    initial: Mapping[str, np.ndarray | float] | None = None,
    protocol: Protocol | None = None,
    outputs: Sequence[str] | None = None,
    preequilibrate: bool = False,
    solver: str = "rodas",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_steps: int = 100_000,
    n_threads: int | None = None,
) -> EnsembleResult:
    """Simulate many members (parameter sets, initial values, protocol values) in parallel.

    Parameters
    ----------
    params : dict of id -> array (members,) or scalar, optional
    param_matrix : (members, k) array, optional
        Values for the parameters ``param_names`` (default: all parameters, in order).
    initial : dict of id -> array (members,) or scalar, optional
    protocol : Protocol, optional
        Change values may be arrays with one value per member (e.g. a cytokine dose sweep).
    n_threads : int, optional
        Threads for the rodas kernel (default: numba's current setting).

    Other parameters are as in :func:`simulate`. Members that fail have NaN values and a
    non-zero ``status``; the others are unaffected. A model with events runs member by member
    through the SBML event driver (as in :func:`simulate`; ``n_threads`` is not used then).
    """
    compiled = resolve_model(model)
    proto = Protocol.of_model(compiled) if protocol is None else protocol
    if param_matrix is not None:
        param_matrix = np.atleast_2d(np.asarray(param_matrix, dtype=float))
        names = list(compiled.param_ids) if param_names is None else list(param_names)
        if param_matrix.shape[1] != len(names):
            raise ValueError(
                f"param_matrix has {param_matrix.shape[1]} columns but {len(names)} "
                "param_names (default: all model parameters)"
            )
    m = _member_count(params, initial, param_matrix, proto.member_count())
    P, Y0 = _member_rows(compiled, params, initial, m)
    if param_matrix is not None:
        for j, key in enumerate(names):
            P[:, _index_of(compiled.param_ids, key, "parameter", compiled)] = param_matrix[:, j]
    if _has_events(compiled):
        runs = _event_runs(compiled, t_eval, P, Y0, proto, outputs, preequilibrate, solver,
                           rtol, atol, max_steps)  # fmt: skip
        t, columns = runs[0].t, runs[0].names
        sol = Solution(
            values=np.stack([np.hstack([r.states, r.outputs]) for r in runs]),
            status=np.array([r.status for r in runs], dtype=np.int64),
            messages=tuple(r.message for r in runs),
            stats=np.array([[r.stats[k] for k in STAT_NAMES] for r in runs], dtype=np.int64),
        )
    else:
        problem = build_problem(
            compiled, t_eval, P=P, Y0=Y0, protocol=proto, outputs=outputs,
            preequilibrate=preequilibrate, rtol=rtol, atol=atol,
        )  # fmt: skip
        sol = get_solver(solver)(
            problem, rtol=rtol, atol=atol, max_steps=max_steps, n_threads=n_threads
        )
        t = problem.t_eval
        failed = np.flatnonzero(sol.status < 0)[:MAX_EXPLAINED]
        if failed.size:
            messages = list(sol.messages)
            for i in failed:
                messages[i] = explain_failure(
                    compiled, int(sol.status[i]), messages[i], P[i], Y0[i], problem.t_start
                )
            sol = replace(sol, messages=tuple(messages))
        columns = tuple(compiled.state_ids[i] for i in problem.sel_state) + tuple(
            compiled.output_ids[i] for i in problem.sel_out
        )
    varied = {k: np.broadcast_to(np.asarray(v, float), (m,)) for k, v in (params or {}).items()}
    if param_matrix is not None:
        varied.update({k: param_matrix[:, j] for j, k in enumerate(names)})
    varied.update({k: np.broadcast_to(np.asarray(v, float), (m,)) for k, v in
                   (initial or {}).items()})  # fmt: skip
    return EnsembleResult(
        t=t,
        values=sol.values,
        names=columns,
        status=sol.status,
        messages=sol.messages,
        stats=sol.stats,
        member_params=varied,
    )


def steady_state(
    model: ModelLike,
    *,
    params: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    rtol: float = SS_RTOL,
    atol: float = SS_ATOL,
    t_max: float = SS_T_MAX,
) -> SteadyStateResult:
    """Steady state in the conservation class of the initial state (no protocol applied).

    Newton on the conservation-reduced system, else integration until ``WRMS(f) <= 1``
    (weights ``atol + rtol*|y|``, concentration/time) up to ``t_max``, then Newton polish.

    Raises
    ------
    SteadyStateError
        When no steady state is found (the message gives the residual).
    ValueError
        For a model with algebraic rules or ``delay()``.
    """
    compiled = resolve_model(model)
    m = getattr(compiled, "model", None)
    if getattr(m, "algebraic_rules", ()) or getattr(m, "delays", ()):
        # the fallback integration would treat an algebraic residual as a rate
        raise ValueError(f"steady_state does not support model {m.id!r} (algebraic rules or "
                         "delay()); simulate it to a late time instead")  # fmt: skip
    (p,), (y0,) = _member_rows(compiled, params, initial, 1)
    if compiled.init is not null_init:
        from ..solve.kernels import call_init

        y_init = np.empty_like(y0)
        call_init(compiled.init, p, y0, y_init)
        y0 = y_init
    L = np.asarray(getattr(compiled, "conservation", np.zeros((0, 0))), dtype=float)
    y, info = find_steady_state(
        compiled.rhs, compiled.jac, y0, p, L if L.size else None,
        ss_rtol=rtol, ss_atol=atol, t_max=t_max,
    )  # fmt: skip
    out = np.zeros(max(len(compiled.output_ids), 1))
    if compiled.output_ids:
        call_kernel(compiled.outputs, 0.0, y, p, out)
    return SteadyStateResult(
        y=y,
        outputs=out[: len(compiled.output_ids)],
        state_ids=tuple(compiled.state_ids),
        output_ids=tuple(compiled.output_ids),
        residual=info["residual"],
        stats={k: v for k, v in info.items() if k.endswith("evaluations")},
    )
