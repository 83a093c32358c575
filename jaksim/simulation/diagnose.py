"""Say *what* went non-finite when a solve fails.

The compiled solvers only report a status code ("NaN / inf in the state or rates"). After a
failed solve this module re-evaluates the model at the start of the integration in plain
Python, from the compiler's :class:`~jaksim.compile.layout.Layout` (the same expressions the
kernels were generated from): the first state, assignment or reaction rate that is not finite
is named, with the zero or non-finite values it was computed from and a remedy. Failures that
only appear later in the integration are not traced (that would need the state at the failing
step); the message then says so.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..compile.layout import computed_closure
from ..spec import expr as ex
from ..spec.errors import JaksimError

__all__ = ["explain_failure"]

#: Failed members of one ensemble explained at most (each costs a Python evaluation).
MAX_EXPLAINED = 20


def _initial_state(compiled: Any, p: np.ndarray, y0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(y, p)`` after the model's initial assignments, as the solvers start from."""
    from ..solve.kernels import call_init, null_init

    p, y = np.array(p, dtype=float), np.array(y0, dtype=float)
    init = getattr(compiled, "init", null_init)
    if init is null_init or not getattr(compiled, "jit", True):
        return y, p
    out = y.copy()
    call_init(init, p, y, out)
    return out, p


def _inputs_of(e: ex.Expr, env: dict[str, float]) -> str:
    """The symbols of ``e`` that are zero or non-finite, as ``"R = 0, k = inf"``."""
    odd = []
    for name in sorted(e.symbols()):
        value = env.get(name)
        if value is not None and (value == 0.0 or not math.isfinite(value)):
            odd.append(f"{name} = {value:g}")
    return ", ".join(odd)


def _explain_start(compiled: Any, p: np.ndarray, y0: np.ndarray, t0: float) -> str | None:
    layout = getattr(compiled, "layout", None)
    if layout is None:
        return None
    y, p = _initial_state(compiled, p, y0)
    unit = getattr(getattr(compiled, "model", None), "time_unit", "")
    when = f"t = {t0:g}{' ' + unit if unit else ''}"
    for sid, value in zip(compiled.state_ids, y, strict=True):
        if not math.isfinite(value):
            return (
                f"species {sid!r} has the non-finite initial value {value:g} at {when}; "
                "give it a finite initial value (file, initial=, or its initial assignment)"
            )
    env = dict(zip(compiled.param_ids, map(float, p), strict=True))
    env |= dict(zip(compiled.state_ids, map(float, y), strict=True))
    reactions = set(layout.reaction_ids)
    # observables that no rate uses may be NaN at t0 (0/0 of an empty pool) without harm:
    # only what d(state)/dt needs is examined, in evaluation order (causes before effects)
    needed = set(computed_closure(layout.computed, layout.dydt))
    for name, e in layout.computed.items():
        value = ex.evaluate(e, env, t0)
        env[name] = value
        if name in needed and not math.isfinite(value):
            what = f"the rate of reaction {name!r}" if name in reactions else f"{name!r}"
            odd = _inputs_of(e, env)
            return (
                f"{what} is {value:g} at {when} ({ex.to_text(e)}"
                f"{'; with ' + odd if odd else ''}); check the parameters and initial values "
                "it uses (a division by a zero species or parameter, log of 0, 0/0), or guard "
                "the expression"
            )
    for sid, e in zip(compiled.state_ids, layout.dydt, strict=True):
        value = ex.evaluate(e, env, t0)
        if not math.isfinite(value):
            odd = _inputs_of(e, env)
            return (
                f"d{sid}/dt is {value:g} at {when}{' (with ' + odd + ')' if odd else ''}; "
                "check the compartment sizes and conversion factors it uses"
            )
    return None


def explain_failure(
    compiled: Any, status: int, message: str, p: np.ndarray, y0: np.ndarray, t0: float
) -> str:
    """``message`` of a failed member, with what went non-finite where that can be found.

    Parameters
    ----------
    compiled : CompiledModel
    status : int
        The solver status (only failures are explained; ``0`` returns ``message``).
    message : str
        The solver's message.
    p, y0 : ndarray
        The member's parameter and initial-state rows (before initial assignments).
    t0 : float
        Start of the integration.
    """
    if status >= 0:
        return message
    try:
        found = _explain_start(compiled, p, y0, t0)
    except (JaksimError, ValueError, TypeError, OverflowError):
        found = None  # the diagnosis is a courtesy: never replace the failure by another
    if found is not None:
        return f"{message}: {found}"
    if status == -3:  # NONFINITE, yet everything is finite at the start
        return (
            f"{message}: every state and rate is finite at the start, so a value diverged "
            "during the integration; look for divisions by species that can reach zero, "
            "unbounded growth, or try tighter tolerances / another solver"
        )
    return message
