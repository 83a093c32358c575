"""Switching times of time-only conditions in the right-hand side (solver breakpoints).

A rate law such as ``k * (piecewise(10, t > 100, 1) - A)`` or a pulse
``piecewise(kp, t >= 500 and t < 500.5, 0)`` is discontinuous in time. An adaptive integrator
that steps across such a switch either steps over a short pulse entirely or, for a stiff
model, accepts a wrong step (the embedded error estimate of an L-stable method damps the
stiff components, so it does not see the jump). The remedy is the one used for protocol
changes: stop exactly at the switching time and restart there.

This module finds, at compile time, every comparison in the right-hand side (rate laws, rate
rules and the assignment rules they use, SBML-imported ones included) whose one side is time
and whose other side depends only on runtime parameters and constants. The other side is the
breakpoint; it is kept as an expression of ``p``, so a breakpoint that depends on a parameter
moves with that parameter's value (evaluated per member by :func:`breakpoint_times`).

Every other comparison that can change value during a run (on states, or on time in another
form: ``x > 0.5``, ``sin(t) > 0``) is a *switch* (:func:`find_switches`): the generated
``switches`` kernel evaluates them, and the Rodas integrator locates each flip on its dense
output and lands on it (:func:`jaksim.solve.rodas.integrate_segment`, ``switch_mode``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from jaksim.spec import expr as ex

__all__ = ["find_breakpoints", "find_switches", "breakpoint_times"]


def _param_only(e: ex.Expr, computed: dict[str, ex.Expr], params: set[str]) -> ex.Expr | None:
    """``e`` with computed symbols inlined, if it depends only on parameters; else None."""
    for _ in range(len(computed) + 1):
        if e.uses_time():
            return None
        syms = e.symbols()
        pending = syms & computed.keys()
        if not pending:
            return e if syms <= params else None
        e = ex.substitute(e, {s: computed[s] for s in pending})
    return None  # cyclic definitions are refused earlier; be safe


def find_breakpoints(
    exprs: Iterable[ex.Expr], computed: dict[str, ex.Expr], param_ids: Sequence[str]
) -> tuple[ex.Expr, ...]:
    """Switching-time expressions (of parameters only) of the time conditions in ``exprs``.

    Parameters
    ----------
    exprs : iterable of Expr
        The right-hand side expressions and the computed symbols they use.
    computed : dict
        Computed symbols (assignment rules), inlined when a threshold refers to one.
    param_ids : sequence of str
        Runtime parameters (the only symbols a threshold may depend on).

    Returns
    -------
    tuple of Expr
        Distinct threshold expressions, in order of first appearance.
    """
    params = set(param_ids)
    found: dict[ex.Expr, None] = {}
    stack = list(exprs)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ex.Compare):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(side, ex.Time):
                    threshold = _param_only(other, computed, params)
                    if threshold is not None:
                        found.setdefault(threshold, None)
        stack.extend(node.children())
    return tuple(found)


def breakpoint_times(
    breakpoints: Sequence[ex.Expr], param_ids: Sequence[str], P: np.ndarray
) -> np.ndarray:
    """Breakpoint times per member, ``(m, n_b)`` sorted ascending, padded with ``+inf``.

    Non-finite values (a threshold of ``inf`` means "never") become ``+inf`` and are ignored
    by the solvers. ``P`` holds one parameter row per member.
    """
    P = np.atleast_2d(np.asarray(P, dtype=float))
    m = P.shape[0]
    out = np.full((m, len(breakpoints)), np.inf)
    if not breakpoints:
        return out
    names = list(param_ids)
    constant = [not b.symbols() for b in breakpoints]
    for j, b in enumerate(breakpoints):
        if constant[j]:
            out[:, j] = ex.evaluate(b, {})
    if not all(constant):
        for i in range(m):
            env = dict(zip(names, P[i].tolist(), strict=True))
            for j, b in enumerate(breakpoints):
                if not constant[j]:
                    out[i, j] = ex.evaluate(b, env)
    out[~np.isfinite(out)] = math.inf
    out.sort(axis=1)
    return np.ascontiguousarray(out)


def _time_breakpoint(node: ex.Compare, computed, params) -> bool:
    return any(
        isinstance(side, ex.Time) and _param_only(other, computed, params) is not None
        for side, other in ((node.left, node.right), (node.right, node.left))
    )


def find_switches(
    exprs: Iterable[ex.Expr], computed: dict[str, ex.Expr], param_ids: Sequence[str]
) -> tuple[ex.Expr, ...]:
    """Comparisons in ``exprs`` (and the computed symbols they use) that can flip during a
    run and are not time breakpoints: conditions on states, or on time in another form.

    Returns the distinct comparison nodes in a deterministic order (first appearance).
    """
    params = set(param_ids)
    found: dict[ex.Expr, None] = {}
    todo = list(exprs)
    seen_sym: set[str] = set()
    while todo:
        e = todo.pop(0)
        stack = [e]
        while stack:
            node = stack.pop()
            if isinstance(node, ex.Sym) and node.name in computed and node.name not in seen_sym:
                seen_sym.add(node.name)
                todo.append(computed[node.name])
            if isinstance(node, ex.Compare):
                constant = _param_only(node, computed, params) is not None
                if not constant and not _time_breakpoint(node, computed, params):
                    found.setdefault(node, None)
            stack.extend(reversed(node.children()))
    return tuple(found)
