"""SBML event semantics on top of an ODE integrator.

:func:`simulate_events` integrates a compiled model between event times and executes events
the way SBML L3V2 (section 4.12) defines them:

* an event *triggers* when its trigger goes from false to true (at ``t0`` too when the
  trigger's ``initial_value`` is false and the trigger holds at ``t0``);
* with a ``delay`` it *executes* ``delay`` later; ``use_values_from_trigger_time`` decides
  whether assignment values are computed at trigger or at execution time;
* a non-``persistent`` event whose trigger turns false before execution is cancelled;
* events executing at the same time run one at a time, highest ``priority`` first (no
  priority = after every prioritised event); equal priorities run in random (seeded) order,
  events without priority in the order they triggered; after each execution triggers are
  re-evaluated, so events can cascade at one instant.

Between events the model is integrated by jaksim's Rodas solver
(:func:`jaksim.solve.events.integrate_until_event`, numba kernels) or by
:func:`scipy.integrate.solve_ivp` with trigger-flip detection, which also runs pure-Python
kernels (``compile_model(..., jit=False)``: fast to build for the tiny models of the SBML Test
Suite). Trigger times are then refined by bisection to the exact float where a trigger
switches.
"""

from __future__ import annotations

import ctypes
import heapq
import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from jaksim.compile.breakpoints import breakpoint_times
from jaksim.compile.compiled import CompiledModel
from jaksim.solve.dae import AlgebraicSolver
from jaksim.solve.ensemble import _apply_change
from jaksim.solve.events import integrate_until_event
from jaksim.solve.rodas import N_STATS, ST_JAC, ST_LU, ST_RHS
from jaksim.spec import expr as ex
from jaksim.spec.errors import SimulationError

from .delays import DelayHistory
from .protocol import Protocol
from .results import STAT_NAMES, SimulationResult

__all__ = ["simulate_events"]

log = logging.getLogger(__name__)


def _ptr(a: np.ndarray):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))


class _Kernels:
    """Calls a compiled model's kernels on numpy arrays (cfuncs or plain Python functions)."""

    def __init__(self, cm: CompiledModel):
        self.cm = cm
        self.n, self.n_out, self.n_ev = cm.n_state, len(cm.output_ids), len(cm.event_ids)
        # delay(): sets the delayed-value parameters in p from the history before a call
        # of a kernel that uses them (only those: a lookup of the past may itself call rhs)
        self.fill_delays = None
        self.uses_delays: set[int] = set()

    def call(
        self, kernel, t: float, y: np.ndarray, p: np.ndarray, size: int, fill: bool = True
    ) -> np.ndarray:
        out = np.zeros(max(size, 1))
        y = np.ascontiguousarray(y, dtype=float)
        if fill and self.fill_delays is not None and id(kernel) in self.uses_delays:
            self.fill_delays(t, y, p)
        if self.cm.jit:
            kernel.ctypes(float(t), _ptr(y), _ptr(p), _ptr(out))
        else:
            kernel(float(t), y, p, out)
        return out[:size]

    def triggers(self, t, y, p) -> np.ndarray:
        return self.call(self.cm.triggers, t, y, p, self.n_ev) > 0.5

    def env(self, t: float, y: np.ndarray, p: np.ndarray, fill: bool = True) -> dict[str, float]:
        outputs = self.call(self.cm.outputs, t, y, p, self.n_out, fill)
        values = dict(zip(self.cm.param_ids, p, strict=False))
        values.update(zip(self.cm.state_ids, y, strict=False))
        values.update(zip(self.cm.output_ids, outputs, strict=False))
        return values


@dataclass(order=True)
class _Pending:
    time: float
    seq: int
    event: int
    values: tuple[float, ...] | None  # computed at trigger time, or None


def simulate_events(
    compiled: CompiledModel,
    t_eval: np.ndarray,
    *,
    y0: np.ndarray | None = None,
    p: np.ndarray | None = None,
    method: str | None = None,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    max_events: int = 100_000,
    max_step: float | None = None,
    max_steps: int = 100_000,
    protocol: Protocol | None = None,
    seed: int = 0,
) -> SimulationResult:
    """Simulate ``compiled`` with SBML event semantics; outputs at ``t_eval`` (from ``t_eval[0]``).

    Parameters
    ----------
    compiled : CompiledModel
    t_eval : (n_t,) array
        Increasing output times in the model's time unit; integration starts at ``t_eval[0]``.
    y0, p : arrays, optional
        Initial state (before initial assignments) and parameters; default the model's.
    method : str, optional
        ``"rodas"`` (jaksim's native Rosenbrock solver; needs ``jit`` kernels) or a
        ``solve_ivp`` method (``"LSODA"``, ``"BDF"``, ``"Radau"``...). Default: ``"rodas"``
        for jit-compiled models, ``"LSODA"`` for pure-Python kernels.
    max_events : int
        Guard against event cascades that never end.
    max_step : float, optional
        Largest ``solve_ivp`` step (default: a quarter of the smallest output interval), so that
        a trigger that is true only briefly between two steps is not stepped over (Rodas checks
        triggers at its own steps).
    max_steps : int
        Step budget of each Rodas segment between events.
    protocol : Protocol, optional
        Timed changes (scalar values) applied at their times, before the events of that time
        are evaluated; default: the model's ``inputs``, as in :func:`simulate`.
    seed : int
        Seed of the random choice among simultaneous events of equal priority (SBML leaves
        their order random).

    Returns
    -------
    SimulationResult
        Every state, output and parameter (``params``) at ``t_eval``, after the events
        executed at each output time (right-continuous); ``stats`` summed over segments.

    Raises
    ------
    SimulationError
        When the integrator fails or events keep firing without time advancing.
    """
    k = _Kernels(compiled)
    t_eval = np.asarray(t_eval, dtype=float)
    p = np.array(compiled.p0 if p is None else p, dtype=float)
    y = np.array(compiled.y0 if y0 is None else y0, dtype=float)
    if y0 is not None or p is not None:
        y_in = y.copy()
        if compiled.jit:
            compiled.init.ctypes(_ptr(p), _ptr(y_in), _ptr(y))
        else:
            compiled.init(p, y_in, y)
    special = _needs_scipy(compiled)
    if method is None:
        method = "rodas" if compiled.jit and compiled.n_state and not special else "LSODA"
        if special:
            # say so: the user asked for the default (Rodas) and gets another integrator
            log.info("model %r has %s: integrating with scipy LSODA (Rodas does not run "
                     "them yet)", compiled.model.id, special)  # fmt: skip
    if method == "rodas" and not (compiled.jit and compiled.n_state):
        raise ValueError("method='rodas' needs a jit-compiled model with at least one state")
    if method == "rodas" and special:
        raise ValueError(f"method='rodas' does not run models with {special} in the event "
                         "driver; use 'LSODA', 'BDF' or 'Radau'")  # fmt: skip
    if max_step is None:
        gaps = np.diff(t_eval)
        max_step = float(gaps[gaps > 0].min()) / 4.0 if np.any(gaps > 0) else math.inf
    run = _Run(compiled, k, y, p, rtol, atol, method, max_events, max_step, max_steps, seed)
    if protocol is None:
        protocol = Protocol.of_model(compiled)
    if len(protocol):
        run.changes = protocol.encode(compiled.state_ids, compiled.param_ids, 1)
    return run.execute(t_eval)


def _algebraic_states(cm: CompiledModel) -> frozenset[int]:
    return getattr(getattr(cm, "layout", None), "algebraic_states", frozenset())


def _delays(cm: CompiledModel) -> tuple:
    return getattr(getattr(cm, "model", None), "delays", ())


def _needs_scipy(cm: CompiledModel) -> str:
    """What in ``cm`` only the driver's scipy path handles ("" if nothing)."""
    parts = []
    if _algebraic_states(cm):
        parts.append("algebraic rules")
    if _delays(cm):
        parts.append("delay()")
    return " and ".join(parts)


class _Run:
    """State of one simulation: integrator settings, pending events, trigger values."""

    def __init__(self, cm, k, y, p, rtol, atol, method, max_events, max_step, max_steps, seed):
        self.cm, self.k, self.y, self.p = cm, k, y, p
        self.rtol, self.atol, self.method, self.max_events = rtol, atol, method, max_events
        self.max_step, self.max_steps = max_step, max_steps
        self.stats = np.zeros(N_STATS, dtype=np.int64)
        # protocol changes (time, kind, index, value (1, n_c)) and the next one to apply
        self.changes = (np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((1, 0)))
        self.next_change = 0
        self.rng = np.random.default_rng(seed)
        model_ids = set(cm.state_ids) | set(cm.param_ids) | set(cm.output_ids)
        self.events = cm.model.events

        def parse(text: str | None, what: str) -> ex.Expr | None:
            return None if text is None else ex.bind_constants(ex.parse(text, context=what),
                                                               model_ids)  # fmt: skip

        self.delay = [parse(e.delay, f"event {e.id!r} delay") for e in self.events]
        self.priority = [parse(e.priority, f"event {e.id!r} priority") for e in self.events]
        self.pending: list[_Pending] = []
        self.seq = 0
        self.fired = 0
        # DAE (algebraic rules): the scipy path integrates the differential states only
        self.dae = None
        if _algebraic_states(cm):
            alg = np.zeros(k.n, dtype=bool)
            alg[sorted(_algebraic_states(cm))] = True
            n = k.n
            rules = cm.model.algebraic_rules
            relax = None
            relaxed = np.zeros(k.n, dtype=bool)
            relaxed[[cm.state_index(r.variable) for r in rules if r.relaxation]] = True
            if any(r.relaxation for r in rules):  # fast reactions: start at a stable root
                # reaction ids stand for their rates (not in the env): inline them
                rates = {rid: cm.layout.computed[rid] for rid in cm.reaction_ids}
                flows = [
                    ex.substitute(ex.bind_constants(
                        ex.parse(r.relaxation or "0", context=r.variable), model_ids | set(rates)
                    ), rates)
                    for r in rules
                ]  # fmt: skip

                def relax(t: float, y: np.ndarray) -> np.ndarray:
                    env = k.env(t, y, self.p)
                    return np.array([ex.evaluate(f, env, t) for f in flows])

            self.dae = AlgebraicSolver(
                lambda t, y: k.call(cm.rhs, t, y, self.p, n),
                lambda t, y: k.call(cm.jac, t, y, self.p, n * n).reshape(n, n),
                alg, y, relax, relaxed,
            )  # fmt: skip
        self.history = None
        if _delays(cm):
            self.history = DelayHistory(cm, k)
            k.fill_delays = self.history.fill
            k.uses_delays = self.history.kernels_using_delays()

    def project(self, t: float) -> None:
        """Make the algebraic states consistent with the others (after a start or a jump)."""
        if self.dae is not None:
            self.y = self.dae.solve(t, self.y, relax_first=True)

    # -- event bookkeeping -----------------------------------------------------------------
    def values(self, i: int, t: float) -> tuple[float, ...]:
        n = len(self.cm.event_targets[i])
        buf = np.zeros(max(n, 1))
        y = np.ascontiguousarray(self.y)
        if self.history is not None and id(self.cm.event_values) in self.k.uses_delays:
            self.history.fill(t, y, self.p)
        if self.cm.jit:
            self.cm.event_values.ctypes(i, float(t), _ptr(y), _ptr(self.p), _ptr(buf))
        else:
            self.cm.event_values(i, float(t), y, self.p, buf)
        return tuple(buf[:n])

    def on_trigger(self, i: int, t: float) -> None:
        delay = 0.0
        if self.delay[i] is not None:
            delay = ex.evaluate(self.delay[i], self.k.env(t, self.y, self.p), t)
        vals = self.values(i, t) if self.events[i].use_values_from_trigger_time else None
        self.seq += 1
        heapq.heappush(self.pending, _Pending(t + delay, self.seq, i, vals))

    def update_triggers(self, t: float, now: np.ndarray) -> None:
        """Trigger rising edges, cancel non-persistent events whose trigger fell."""
        for i, (before, after) in enumerate(zip(self.g, now, strict=False)):
            if after and not before:
                self.on_trigger(i, t)
            elif before and not after and not self.events[i].persistent:
                self.pending = [q for q in self.pending if q.event != i]
                heapq.heapify(self.pending)
        self.g = now

    def execute_due(self, t: float) -> None:
        """Execute every event due at ``t`` one at a time, by priority, with cascades."""
        while self.pending and self.pending[0].time <= t:
            due = [q for q in self.pending if q.time <= t]
            env = self.k.env(t, self.y, self.p)
            ranks = [
                -math.inf if self.priority[q.event] is None
                else ex.evaluate(self.priority[q.event], env, t)
                for q in due
            ]  # fmt: skip
            top = [q for q, r in zip(due, ranks, strict=False) if r == max(ranks)]
            # equal priorities: SBML leaves the order random; without priorities, model order
            tied_random = len(top) > 1 and max(ranks) != -math.inf
            chosen = top[int(self.rng.integers(len(top)))] if tied_random else min(top)
            self.pending.remove(chosen)
            heapq.heapify(self.pending)
            vals = chosen.values if chosen.values is not None else self.values(chosen.event, t)
            for (where, idx), v in zip(self.cm.event_targets[chosen.event], vals, strict=False):
                (self.y if where == "y" else self.p)[idx] = v
            self.project(t)
            if self.history is not None:
                self.history.discontinuity(t)
            self.fired += 1
            if self.fired > self.max_events:
                raise SimulationError(f"more than {self.max_events} event executions at t={t}")
            self.update_triggers(t, self.k.triggers(t, self.y, self.p))

    def apply_changes(self, t: float) -> None:
        """Apply the protocol changes due at or before ``t``."""
        time, kind, index, value = self.changes
        while self.next_change < time.size and time[self.next_change] <= t:
            c = self.next_change
            _apply_change(kind[c], index[c], value[0, c], self.y, self.p)
            self.next_change += 1
            self.project(t)
            if self.history is not None:
                self.history.discontinuity(t)

    def next_change_time(self) -> float:
        time = self.changes[0]
        return float(time[self.next_change]) if self.next_change < time.size else math.inf

    def next_breakpoint(self, t: float) -> float:
        """First switching time of a time-only condition after ``t`` (see
        :mod:`jaksim.compile.breakpoints`), from the current parameters (events may move it)."""
        exprs = getattr(self.cm, "breakpoints", ())
        if not exprs:
            return math.inf
        times = breakpoint_times(exprs, self.cm.param_ids, self.p[None, :])[0]
        # a stop within a few ulps of t would leave no room for a step (as in ensemble.py)
        later = times[times > t + 64.0 * np.finfo(float).eps * abs(t)]
        return float(later[0]) if later.size else math.inf

    # -- integration -----------------------------------------------------------------------
    def execute(self, t_eval: np.ndarray) -> SimulationResult:
        t = float(t_eval[0])
        n_t = t_eval.size
        rows_y = np.full((n_t, self.k.n), np.nan)
        rows_p = np.full((n_t, self.p.size), np.nan)
        rows_o = np.full((n_t, self.k.n_out), np.nan)
        # "just before t0" every trigger has its initial_value
        self.g = np.array([e.initial_value for e in self.events], dtype=bool)
        if self.history is not None:
            self.history.start(t, self.y, self.p)
        self.project(t)
        if self.history is not None:  # the initial history of algebraic states: consistent
            self.history.start(t, self.y, self.p)
        self.apply_changes(t)
        self.update_triggers(t, self.k.triggers(t, self.y, self.p))
        self.execute_due(t)
        j = 0
        while True:
            while j < n_t and t_eval[j] <= t:
                rows_y[j], rows_p[j] = self.y, self.p
                rows_o[j] = self.k.call(self.cm.outputs, t_eval[j], self.y, self.p, self.k.n_out)
                j += 1
            if j >= n_t:
                break
            t_stop = min(t_eval[-1], self.pending[0].time if self.pending else math.inf,
                         self.next_change_time(), self.next_breakpoint(t),
                         self.history.next_stop(t, self.y, self.p) if self.history else math.inf,
                         )  # fmt: skip
            t, filled = self.integrate(t, t_stop, t_eval, j, rows_y, rows_p, rows_o)
            j += filled  # rows at times up to t itself are written after t's events (above)
            if self.next_change_time() <= t:  # a change is a discontinuity: re-check triggers
                self.apply_changes(t)
                self.update_triggers(t, self.k.triggers(t, self.y, self.p))
            elif self.history is not None:
                # a method-of-steps stop can land exactly on a trigger's switching time,
                # where the integrator's event search does not see the flip (suite 01592)
                self.update_triggers(t, self.k.triggers(t, self.y, self.p))
            self.execute_due(t)
        return SimulationResult(
            t=t_eval.copy(), states=rows_y, outputs=rows_o, state_ids=tuple(self.cm.state_ids),
            output_ids=tuple(self.cm.output_ids),
            stats=dict(zip(STAT_NAMES, map(int, self.stats), strict=True)),
            params=rows_p, param_ids=tuple(self.cm.param_ids),
        )  # fmt: skip

    def integrate(self, t0, t_stop, t_eval, j, rows_y, rows_p, rows_o) -> tuple[float, int]:
        """Integrate to ``t_stop`` or the first trigger flip; fill output rows before it.

        Returns the time reached and the number of rows filled.
        """
        if t_stop <= t0:
            return t0, 0
        if t_stop - t0 <= 64.0 * np.finfo(float).eps * max(abs(t0), 1.0):
            return float(t_stop), 0  # a few ulps (sums of delay times): nothing to integrate
        inner = t_eval[(t_eval > t0) & (t_eval < t_stop)]  # t_stop's row: after its events
        if self.method == "rodas":
            seg = integrate_until_event(
                self.cm.rhs, self.cm.jac, self.cm.triggers, self.k.n_ev, t0, self.y, self.p,
                t_stop, t_eval=inner, g0=self.g.astype(float), rtol=self.rtol, atol=self.atol,
                max_steps=self.max_steps, use_dfdt=not getattr(self.cm, "autonomous", False),
            )  # fmt: skip
            self.stats += seg.stats
            if seg.status < 0:
                raise SimulationError(f"integration failed after t={t0}: {seg.message}")
            t_out, y_out, flipped = seg.t_out, seg.y_out, seg.status == 1
            y_end = seg.y
            t_ev = seg.t

            def state_at(t: float) -> np.ndarray:  # constant over the 1e-12 refinement window
                return y_end

        else:
            p_segment = self.p.copy()
            try:
                sol = self.scipy_segment(t0, t_stop, inner)
            except ValueError as err:
                if "different signs" not in str(err):
                    raise
                return self.nudge(t0), 0
            t_out, y_out, flipped = sol.t, np.asarray(sol.y).T, sol.status == 1
            t_ev = float(min(te[0] for te in sol.t_events if te.size)) if flipped else t_stop
            state_at = sol.sol if self.k.n else (lambda t: self.y)
            quick = state_at
            if self.dae is not None:  # sol holds the differential states only
                dense, dae, y_seg = sol.sol, self.dae, self.y.copy()
                state_at = lambda t: dae.full(t, dense(t)[: dae.n_diff])  # noqa: E731

                def quick(t: float) -> np.ndarray:  # algebraic states: the segment's start
                    y_t = y_seg.copy()
                    y_t[dae.diff] = dense(t)[: dae.n_diff]
                    return y_t

                y_out = np.array([state_at(tc) for tc in t_out]).reshape(len(t_out), self.k.n)
            y_end = state_at(t_stop)
            if self.history is not None:
                self.history.add(t0, t_ev if flipped else t_stop, state_at, p_segment, quick)
        for c, tc in enumerate(t_out):
            yc = y_out[c] if self.k.n else self.y
            rows_y[j + c], rows_p[j + c] = yc, self.p
            rows_o[j + c] = self.k.call(self.cm.outputs, tc, yc, self.p, self.k.n_out)
        if flipped:  # continue from the first time at which a trigger differs
            t_ev = self.switch_time(state_at, t0, t_ev)
            if self.k.n:
                self.y = np.array(state_at(t_ev), dtype=float)
            self.update_triggers(t_ev, self.k.triggers(t_ev, self.y, self.p))
            return t_ev, len(t_out)
        if self.k.n:
            self.y = np.array(y_end, dtype=float)
        return float(t_stop), len(t_out)

    def nudge(self, t0: float) -> float:
        """Step a few ulps past ``t0`` (explicit Euler) and re-evaluate the triggers.

        solve_ivp's root finder fails when a trigger flips within rounding of the segment
        start (its state there and its dense output there differ by an ulp): with delays the
        method of steps can start a segment exactly on a switching time (suite 01592).
        """
        dt = 64.0 * np.finfo(float).eps * max(abs(t0), 1.0)
        if self.k.n:
            f = self.k.call(self.cm.rhs, t0, self.y, self.p, self.k.n)
            if self.dae is not None:
                f[self.dae.alg] = 0.0
            self.y = self.y + dt * f
            self.project(t0 + dt)
        self.update_triggers(t0 + dt, self.k.triggers(t0 + dt, self.y, self.p))
        return t0 + dt

    def scipy_segment(self, t0: float, t_stop: float, inner: np.ndarray):
        """``solve_ivp`` from ``t0`` to ``t_stop``, stopping when any trigger flips."""
        p, k = self.p, self.k
        n = max(k.n, 1)  # a model without states still needs time to advance for its triggers
        dae = self.dae
        full = (lambda t, y: y) if dae is None else (lambda t, x: dae.full(t, x[: dae.n_diff]))
        y_start = self.y if k.n else np.zeros(1)

        def fun(t, y):
            return k.call(self.cm.rhs, t, y, p, k.n) if k.n else np.zeros(1)

        def jac(t, y):
            if not k.n:
                return np.zeros((1, 1))
            return k.call(self.cm.jac, t, y, p, n * n).reshape(n, n)

        if dae is not None:  # eliminate the algebraic states (jaksim.solve.dae)
            y_start = self.y[dae.diff] if dae.n_diff else np.zeros(1)

            def fun(t, x):  # noqa: F811
                return dae.reduced_rhs(t, x) if dae.n_diff else np.zeros(1)

            def jac(t, x):  # noqa: F811
                return dae.reduced_jac(t, x) if dae.n_diff else np.zeros((1, 1))

        g0 = self.g.copy()
        funcs = []
        for i in range(k.n_ev):

            def flip(t, y, i=i):  # +0.5 once trigger i differs from its value at t0
                return 0.5 if k.triggers(t, full(t, y), p)[i] != g0[i] else -0.5

            flip.terminal = True
            flip.direction = 1.0
            funcs.append(flip)
        sol = solve_ivp(
            fun, (t0, t_stop), y_start, method=self.method, t_eval=inner,
            events=funcs or None, dense_output=True, rtol=self.rtol, atol=self.atol,
            max_step=self.max_step,
            **({} if self.method in ("RK45", "RK23", "DOP853") else {"jac": jac}),
        )  # fmt: skip
        self.stats[ST_RHS] += sol.nfev
        self.stats[ST_JAC] += sol.njev
        self.stats[ST_LU] += sol.nlu
        if sol.status == -1:
            raise SimulationError(f"integration failed after t={t0}: {sol.message}")
        return sol

    def switch_time(self, state_at, t0: float, t_ev: float) -> float:
        """The first float time at which a trigger differs from its value at ``t0``.

        Integrators locate the flip to ~1e-12; bisection down to adjacent floats recovers
        the exact switching time of e.g. ``time >= 1``, so that delayed executions and output
        times coinciding with it are ordered as SBML says.
        """

        def differs(t: float) -> bool:
            return bool(np.any(self.k.triggers(t, state_at(t), self.p) != self.g))

        width = max(abs(t_ev), 1.0) * 1e-12
        lo, hi = t_ev, t_ev
        for _ in range(40):  # bracket: lo does not differ, hi does
            if differs(hi):
                break
            hi = hi + width
            width *= 2.0
        width = max(abs(t_ev), 1.0) * 1e-12
        while lo > t0 and differs(lo):
            lo = max(t0, lo - width)
            width *= 2.0
        if differs(lo) or not differs(hi):
            return hi  # no clean bracket (the state itself jumps): keep the located time
        while True:
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi:
                return hi
            if differs(mid):
                hi = mid
            else:
                lo = mid
