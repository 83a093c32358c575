"""SBML ``delay(x, tau)``: delay differential equations by the method of steps.

The importer turns each distinct ``delay(x, tau)`` into a non-constant parameter
(:class:`~jaksim.spec.model.DelayedValue`). :class:`DelayHistory` keeps the trajectory's dense
output (one interpolant per integrated segment, with the parameters of that segment) and,
before every kernel call of the SBML event driver, sets each such parameter to ``x`` evaluated
at ``t - tau`` from that history. Before the start of the run the history is constant: the
initial state (SBML's convention, and the test suite's).

Method of steps: a segment never extends more than ``tau`` past its start, so ``t - tau``
always lies in an already integrated (and interpolated) segment, and the integration stops at
every ``d + k*tau`` for the start and every event time ``d``, where the solution's
derivatives jump (the discontinuity propagates, smoothed by one order per ``tau``).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable

import numpy as np

from jaksim.spec import expr as ex
from jaksim.spec.errors import SimulationError

__all__ = ["DelayHistory"]

#: a delay time that shrinks with t (``delay(x, t/2)``) makes lookups of lookups approach the
#: start without reaching it: past this depth the initial history is used (t / 2**40 ~ t0)
_MAX_DEPTH = 40

#: discontinuities followed for this many multiples of the delay (each smooths one order)
_ORDERS = 4


class DelayHistory:
    """History of one run and the values of its delayed-value parameters.

    Parameters
    ----------
    cm : CompiledModel
    k : the event driver's kernel caller (``env(t, y, p, fill)``)
    """

    def __init__(self, cm, k):
        self.k = k
        ids = set(cm.state_ids) | set(cm.param_ids) | set(cm.output_ids)
        delays = cm.model.delays
        self.index = [cm.param_index(d.id) for d in delays]
        self.expr = [ex.bind_constants(ex.parse(d.expression, context=f"delay {d.id}"), ids)
                     for d in delays]  # fmt: skip
        self.tau = [ex.bind_constants(ex.parse(d.delay, context=f"delay {d.id}"), ids)
                    for d in delays]  # fmt: skip
        self.before = [ex.bind_constants(ex.parse(d.before or d.expression,
                                                  context=f"delay {d.id}"), ids)
                       for d in delays]  # fmt: skip
        # a delayed expression that itself uses delayed values (through rules) needs their
        # values at the past time too
        delay_ids = {d.id for d in delays}
        computed = cm.layout.computed
        self.nested = any(self._uses(e, delay_ids, computed) for e in self.expr)
        self.cm, self.delay_ids = cm, delay_ids
        # only a delayed expression that uses algebraic states needs them solved in the past
        # (a Newton solve there calls rhs, which may look further back: costly recursion)
        alg_ids = {cm.state_ids[i] for i in cm.layout.algebraic_states}
        self.needs_alg = [self._uses(e, alg_ids, computed) for e in self.expr]
        self.t0 = 0.0
        self.depth = 0
        self.initial = np.zeros(len(delays))
        self.starts: list[float] = []
        self.segments: list[tuple[float, float, Callable, Callable, np.ndarray]] = []
        self.discontinuities: list[float] = []

    @staticmethod
    def _uses(e: ex.Expr, names: set[str], computed: dict) -> bool:
        seen, stack = set(), list(e.symbols())
        while stack:
            s = stack.pop()
            if s in names:
                return True
            if s in computed and s not in seen:
                seen.add(s)
                stack.extend(computed[s].symbols())
        return False

    def kernels_using_delays(self) -> set[int]:
        """``id()`` of the model's kernels whose results depend on a delayed value."""
        lay, ids, cm = self.cm.layout, self.delay_ids, self.cm
        groups = {
            (cm.rhs, cm.jac): lay.dydt,
            (cm.outputs,): [lay.computed[o] for o in lay.output_ids if o in lay.computed],
            (cm.triggers,): lay.triggers,
            (cm.event_values,): [e for items in lay.event_assignments for _, e in items],
        }
        out = {id(cm.outputs)}  # an observable may be the delayed value itself
        for kernels, exprs in groups.items():
            if any(self._uses(e, ids, lay.computed) for e in exprs):
                out.update(id(kern) for kern in kernels)
        return out

    def start(self, t0: float, y: np.ndarray, p: np.ndarray) -> None:
        """Fix the constant initial history from the state at ``t0`` (written into ``p``)."""
        self.t0 = t0
        self.y_start, self.p_start = np.array(y, dtype=float), np.array(p, dtype=float)
        self.discontinuities = [t0]
        p[self.index] = self.initial
        for _ in range(len(self.index) + 1):  # nested delays: iterate to the fixed point
            env = self.k.env(t0, y, p, fill=False)
            self.initial = np.array([ex.evaluate(e, env, t0) for e in self.expr])
            p[self.index] = self.initial

    def delay_time(self, i: int, t: float, y: np.ndarray, p: np.ndarray) -> float:
        """Current value of the ``i``-th ``tau`` (it may use earlier delayed values)."""
        tau = self.tau[i]
        if isinstance(tau, ex.Num):
            return tau.value
        return ex.evaluate(tau, self.k.env(t, y, p, fill=False), t)

    def delays(self, t: float, y: np.ndarray, p: np.ndarray) -> list[float]:
        """Current value of each ``tau``."""
        return [self.delay_time(i, t, y, p) for i in range(len(self.tau))]

    def fill(self, t: float, y: np.ndarray, p: np.ndarray) -> None:
        """Set the delayed-value parameters in ``p`` for time ``t`` (state ``y``), in model
        order, so that a delay time using an earlier delayed value sees it (suite 00985)."""
        for i, e in enumerate(self.expr):
            tau = self.delay_time(i, t, y, p)
            if t < self.t0:  # a delay within the history before the start (nested delays)
                tau = max(tau, 0.0)
            if not math.isfinite(tau) or tau < 0.0:
                raise SimulationError(f"delay: delay time {tau} at t={t:g} is not >= 0")
            past = t - tau
            if tau == 0.0:
                value = ex.evaluate(e, self.k.env(t, y, p, fill=False), t)
            elif self.depth > _MAX_DEPTH:
                value = self.initial[i]
            else:
                self.depth += 1  # the lookup may call kernels that need older values
                try:
                    if past < self.t0 or not self.segments:
                        # before the start: initial state, explicit time at the past time;
                        # nested delayed values keep their t0 values (bounded work)
                        e = self.before[i]
                        env = self.k.env(past, self.y_start, self.p_start.copy(), fill=False)
                    else:
                        y_past, p_past = self.lookup(past, self.needs_alg[i])
                        env = self.k.env(past, y_past, p_past, fill=self.nested)
                finally:
                    self.depth -= 1
                value = ex.evaluate(e, env, past)
            p[self.index[i]] = value

    def lookup(self, t: float, algebraic: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """State and parameters at a past time ``t`` (the earlier segment at a boundary);
        ``algebraic=False``: the algebraic states may be stale (not solved at ``t``)."""
        i = max(bisect.bisect_left(self.starts, t) - 1, 0)
        a, b, state_at, quick, p = self.segments[i]
        at = min(max(t, a), b)
        return np.asarray((state_at if algebraic else quick)(at), dtype=float), p.copy()

    def add(self, t_a: float, t_b: float, state_at, p: np.ndarray, quick=None) -> None:
        """Record an integrated segment ``[t_a, t_b]``: dense output, its parameters, and
        optionally a cheaper dense output whose algebraic states are not solved."""
        if t_b > t_a:
            self.starts.append(t_a)
            self.segments.append((t_a, t_b, state_at, quick or state_at, p.copy()))

    def discontinuity(self, t: float) -> None:
        """An event or protocol change at ``t``: its jump propagates every ``tau``."""
        if not self.discontinuities or self.discontinuities[-1] != t:
            self.discontinuities = [*self.discontinuities[-20:], t]

    def next_stop(self, t: float, y: np.ndarray, p: np.ndarray) -> float:
        """Where the segment starting at ``t`` must end (method of steps)."""
        taus = [tau for tau in self.delays(t, y, p) if tau > 0.0 and math.isfinite(tau)]
        if not taus:
            return math.inf
        eps = 64.0 * np.finfo(float).eps * max(abs(t), 1.0)
        stop = t + min(taus)
        for d in self.discontinuities:
            for tau in taus:
                k = math.floor((t - d) / tau) + 1
                if 1 <= k <= _ORDERS:
                    when = d + k * tau
                    if when <= t + eps:
                        when += tau
                    if when <= d + _ORDERS * tau:
                        stop = min(stop, when)
        return stop
