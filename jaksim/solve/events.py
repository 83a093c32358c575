"""Integrate one simulation until a trigger flips (building block for SBML events).

:func:`integrate_until_event` is meant to be called in a Python loop: integrate, apply the
event's assignments to the returned state, call again from the event time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .kernels import call_kernel
from .rodas import (
    EVENT,
    N_STATS,
    STATUS_MESSAGES,
    SUCCESS,
    _allocate_work,
    integrate_segment,
    record,
)


@dataclass(frozen=True)
class EventSegment:
    """Result of :func:`integrate_until_event`.

    Attributes
    ----------
    t : float
        Time reached: the event time (status ``1``), ``t_end`` (status ``0``) or the last
        accepted time (negative status).
    y : (n,) array
        State at ``t`` (before any event assignment).
    status : int
        0 = reached ``t_end``, 1 = a trigger flipped, negative = failure (see ``message``).
    flipped : (n_triggers,) bool
        Which triggers differ from their values at the start.
    g : (n_triggers,) array
        Trigger values at ``t``.
    t_out, y_out : (k,), (k, n)
        The requested output times reached, ``t0 <= t_out < t`` (``<= t_end`` when no event
        fired), and the states there.
    stats : (5,) int64
        accepted, rejected steps, rhs, jac evaluations, LU factorisations.
    """

    t: float
    y: np.ndarray
    status: int
    flipped: np.ndarray
    g: np.ndarray
    t_out: np.ndarray
    y_out: np.ndarray
    stats: np.ndarray

    @property
    def message(self) -> str:
        return STATUS_MESSAGES.get(self.status, f"status {self.status}")


# numba's cache keys this function on this file's text only, although the cached machine code
# includes the rodas.py functions it calls: after changing those, edit this file too.
# (last change there: kernels evaluated inside the segment's time window.)
@njit(cache=True)
def _until_event(
    rhs, jac, triggers, n_trig, t0, t_end, y, p, t_eval, g0, rtol, atol, max_steps, use_dfdt,
    res, stats,
):  # fmt: skip
    n = y.size
    work = _allocate_work(n, n_trig, np.zeros(0, dtype=np.int64))  # dense LU
    gbuf = work[4]
    gbuf[0, :n_trig] = g0
    sel = np.arange(n)
    no_out = np.zeros(0, dtype=np.int64)
    obuf = np.zeros(1)
    k = 0
    while k < t_eval.size and t_eval[k] <= t0:
        record(rhs, t_eval[k], y, p, sel, no_out, obuf, res, k)
        k += 1
    status, k, t = integrate_segment(
        rhs, jac, rhs, triggers, n_trig, t0, t_end, y, p, t_eval, k, sel, no_out, obuf, res,
        rtol, atol, max_steps, use_dfdt, stats, work, False,
    )  # fmt: skip
    if status == SUCCESS:
        while k < t_eval.size and t_eval[k] <= t_end:
            record(rhs, t_eval[k], y, p, sel, no_out, obuf, res, k)
            k += 1
        triggers(t, y.ctypes, p.ctypes, gbuf[1].ctypes)
    return status, k, t, gbuf[1, :n_trig].copy()


def integrate_until_event(
    rhs,
    jac,
    triggers,
    n_triggers: int,
    t0: float,
    y0: np.ndarray,
    p: np.ndarray,
    t_end: float,
    *,
    t_eval: np.ndarray | None = None,
    g0: np.ndarray | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_steps: int = 100_000,
    use_dfdt: bool = True,
) -> EventSegment:
    """Integrate from ``t0`` until a trigger flips or ``t_end`` is reached.

    Parameters
    ----------
    rhs, jac, triggers : numba cfunc
        Model kernels; ``triggers(t, y, p, g)`` writes one 0/1 value per event into ``g``.
    n_triggers : int
        Length of ``g``.
    t0, t_end : float
        Time span (model time units), ``t_end > t0``.
    y0 : (n,) array
        State at ``t0``; ``p`` the parameter vector.
    t_eval : (n_t,) array, optional
        Increasing output times; those in ``[t0, t_event)`` are filled.
    g0 : (n_triggers,) array, optional
        Trigger values regarded as "before" (default: evaluated at ``(t0, y0)``; pass e.g.
        zeros for SBML ``initialValue=false`` triggers that should fire at ``t0``).

    Returns
    -------
    EventSegment
        The event time is located by bisection on the dense output to ``1e-12`` relative in t
        and is the first time at which the trigger values differ from ``g0``.
    """
    y = np.array(y0, dtype=float, copy=True)
    p = np.ascontiguousarray(p, dtype=float)
    te = np.zeros(0) if t_eval is None else np.ascontiguousarray(t_eval, dtype=float)
    if g0 is None:
        g0 = np.zeros(max(n_triggers, 1))
        call_kernel(triggers, float(t0), y, p, g0)
    g0 = np.ascontiguousarray(np.asarray(g0, dtype=float)[:n_triggers])
    res = np.full((te.size, y.size), np.nan)
    stats = np.zeros(N_STATS, dtype=np.int64)
    status, k, t, g = _until_event(
        rhs, jac, triggers, int(n_triggers), float(t0), float(t_end), y, p, te, g0,
        float(rtol), float(atol), int(max_steps), bool(use_dfdt), res, stats,
    )  # fmt: skip
    flipped = (g > 0.5) != (g0 > 0.5) if status == EVENT else np.zeros(n_triggers, dtype=bool)
    return EventSegment(
        t=float(t),
        y=y,
        status=int(status),
        flipped=flipped,
        g=g,
        t_out=te[:k],
        y_out=res[:k],
        stats=stats,
    )
