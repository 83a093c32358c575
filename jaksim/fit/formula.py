"""Vectorised evaluation of jaksim expressions on numpy arrays (observable / noise formulas).

The model kernels are compiled with numba; observable and noise formulas are evaluated
once per objective call on arrays of all measurements of one observable, so a small numpy
tree walker is enough and avoids a compile per PEtab problem.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from jaksim.spec import expr as ex
from jaksim.spec.errors import PetabError

__all__ = ["evaluate_array"]

_UNARY = {
    "exp": np.exp, "log": np.log, "log10": np.log10, "sqrt": np.sqrt, "sin": np.sin,
    "cos": np.cos, "tan": np.tan, "abs": np.abs, "tanh": np.tanh, "sinh": np.sinh,
    "cosh": np.cosh, "floor": np.floor, "ceil": np.ceil,
}  # fmt: skip
_CMP = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
        "==": np.equal, "!=": np.not_equal}  # fmt: skip


def evaluate_array(e: ex.Expr, env: Mapping[str, np.ndarray | float], t: np.ndarray | float):
    """Evaluate ``e`` elementwise; ``env`` maps each symbol to an array (n,) or a scalar.

    Raises
    ------
    PetabError
        For a symbol missing from ``env`` or an unsupported function.
    """
    if isinstance(e, ex.Num):
        return e.value
    if isinstance(e, ex.Sym):
        if e.name in env:
            return env[e.name]
        if e.name in ex.CONSTANTS:
            return ex.CONSTANTS[e.name]
        raise PetabError(f"unknown symbol {e.name!r} in formula '{ex.to_text(e)}'")
    if isinstance(e, ex.Time):
        return t
    if isinstance(e, ex.BinOp):
        a = evaluate_array(e.left, env, t)
        b = evaluate_array(e.right, env, t)
        with np.errstate(all="ignore"):
            if e.op == "+":
                return a + b
            if e.op == "-":
                return a - b
            if e.op == "*":
                return a * b
            if e.op == "/":
                return np.divide(a, b)
            return np.power(np.asarray(a, dtype=float), b)
    if isinstance(e, ex.UnaryOp):
        v = evaluate_array(e.operand, env, t)
        return -v if e.op == "-" else np.logical_not(v).astype(float)
    if isinstance(e, ex.Compare):
        a, b = (evaluate_array(c, env, t) for c in e.children())
        return _CMP[e.op](a, b).astype(float)
    if isinstance(e, ex.Call):
        args = [evaluate_array(a, env, t) for a in e.args]
        with np.errstate(all="ignore"):
            if e.fn in _UNARY and len(args) == 1:
                return _UNARY[e.fn](args[0])
            if e.fn == "piecewise":
                out = args[-1] if len(args) % 2 == 1 else np.nan
                # evaluate from the last pair backwards so the first true condition wins
                pairs = [(args[i], args[i + 1]) for i in range(0, len(args) - 1, 2)]
                for val, cond in reversed(pairs):
                    out = np.where(np.asarray(cond) != 0, val, out)
                return out
            if e.fn == "min":
                return np.minimum.reduce(np.broadcast_arrays(*args))
            if e.fn == "max":
                return np.maximum.reduce(np.broadcast_arrays(*args))
        expanded = ex.expand_macros(e)
        if expanded != e:
            return evaluate_array(expanded, env, t)
    raise PetabError(f"formula '{ex.to_text(e)}': unsupported construct in an observable")
