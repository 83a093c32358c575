"""Evaluation and printing of expression trees: ``evaluate``, ``to_text``, ``to_python``.

Re-exported by :mod:`jaksim.spec.expr` (the public API).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from jaksim.spec.errors import ExpressionError, did_you_mean
from jaksim.spec.expr_nodes import (
    CONSTANTS,
    FUNCTIONS,
    BinOp,
    Call,
    Compare,
    Expr,
    Logic,
    Num,
    Sym,
    Time,
    UnaryOp,
    expand_macros,
    postorder,
)

__all__ = ["evaluate", "to_text", "to_python", "Printer", "precedence", "ATOM_LEVEL"]


# ------------------------------------------------------------------------------------------
# Evaluation and printing
# ------------------------------------------------------------------------------------------
def _ieee_div(a: float, b: float) -> float:
    if b == 0.0:
        if a == 0.0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _ieee_pow(a: float, b: float) -> float:
    try:
        value = a**b
    except ZeroDivisionError:
        return math.inf
    except OverflowError:
        return math.inf
    return value if isinstance(value, float) else math.nan  # negative ** fractional -> nan


_BIN_EVAL: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _ieee_div,
    "^": _ieee_pow,
}
_CMP_EVAL: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def evaluate(expr: Expr, env: Mapping[str, float], t: float = 0.0) -> float:
    """Evaluate ``expr`` by walking the tree (pure Python; for tests and initial values).

    Symbols are looked up in ``env`` first, then in :data:`CONSTANTS`. Division by zero and
    invalid powers follow IEEE (inf / nan) like the compiled kernels. ``piecewise`` and
    ``and`` / ``or`` evaluate their arguments lazily, left to right. The walk is iterative
    (deep trees) and evaluates a shared node once.

    Raises
    ------
    ExpressionError
        If a symbol is neither in ``env`` nor a constant.
    """
    memo: dict[int, float] = {}

    def value(root: Expr) -> float:
        if id(root) in memo:
            return memo[id(root)]
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in memo:
                continue
            lazy = isinstance(node, Logic) or (isinstance(node, Call) and node.fn == "piecewise")
            if not ready and not lazy and node.children():
                stack.append((node, True))
                stack.extend((c, False) for c in node.children() if id(c) not in memo)
                continue
            memo[id(node)] = _eval_node(node, [memo.get(id(c), 0.0) for c in node.children()],
                                        value, env, t)  # fmt: skip
        return memo[id(root)]

    return value(expr)


def _eval_node(
    expr: Expr,
    kids: list[float],
    value: Callable[[Expr], float],
    env: Mapping[str, float],
    t: float,
) -> float:
    """Value of one node from its children's values (``kids``; lazy nodes call ``value``)."""
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Sym):
        if expr.name in env:
            return float(env[expr.name])
        if expr.name in CONSTANTS:
            return CONSTANTS[expr.name]
        raise ExpressionError(f"no value for symbol {expr.name!r}{did_you_mean(expr.name, env)}")
    if isinstance(expr, Time):
        return float(t)
    if isinstance(expr, BinOp):
        return _BIN_EVAL[expr.op](kids[0], kids[1])
    if isinstance(expr, UnaryOp):
        return -kids[0] if expr.op == "-" else float(kids[0] == 0.0)
    if isinstance(expr, Compare):
        return float(_CMP_EVAL[expr.op](kids[0], kids[1]))
    if isinstance(expr, Logic):
        truth = (value(a) != 0.0 for a in expr.args)
        return float(all(truth) if expr.op == "and" else any(truth))
    assert isinstance(expr, Call)
    if expr.fn == "piecewise":
        args = expr.args
        for i in range(0, len(args) - 1, 2):
            if value(args[i + 1]) != 0.0:
                return value(args[i])
        return value(args[-1]) if len(args) % 2 == 1 else math.nan
    spec = FUNCTIONS[expr.fn]
    if spec.expand is not None:
        # the macro body over placeholders, evaluated with the argument values
        names = [f"$arg{k}" for k in range(len(kids))]
        body = spec.expand(*(Sym(n) for n in names))
        return evaluate(body, dict(zip(names, kids, strict=True)), t)
    if spec.evaluate is None:
        raise ExpressionError(f"function {expr.fn!r} cannot be evaluated")
    try:
        return float(spec.evaluate(*kids))
    except (ValueError, ZeroDivisionError):
        return math.nan
    except OverflowError:
        return math.inf


# Precedence levels used when printing; a child is parenthesised when its level is lower.
_LEVEL = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7, "^": 8}
_ATOM = 9
ATOM_LEVEL = _ATOM  # precedence of names, numbers and calls: never parenthesised


def precedence(e: Expr) -> int:
    """Printing precedence level of ``e`` (a child of lower level than needed gets parentheses)."""
    return _level(e)


def _level(e: Expr) -> int:
    if isinstance(e, BinOp):
        return _LEVEL[e.op]
    if isinstance(e, UnaryOp):
        return _LEVEL["neg" if e.op == "-" else "not"]
    if isinstance(e, Compare):
        return _LEVEL["cmp"]
    if isinstance(e, Logic):
        return _LEVEL[e.op]
    if isinstance(e, Num) and (e.value < 0 or math.copysign(1.0, e.value) < 0):
        return _LEVEL["neg"]
    return _ATOM


def _format_num(v: float, python: bool) -> str:
    if math.isnan(v):
        return "math.nan" if python else "nan"
    if math.isinf(v):
        text = "math.inf" if python else "inf"
        return "-" + text if v < 0 else text
    if python:
        # always a float literal: numba compiles ``x**2`` (int exponent) into a loop, which
        # makes large Jacobians slow to compile; ``x**2.0`` is one ``llvm.pow`` call
        return repr(float(v))
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))  # "2" rather than "2.0" in model text
    return repr(float(v))


class Printer:
    """Prints jaksim text (``python=False``) or Python/numba source (``python=True``).

    Bottom-up and iterative: :meth:`node` formats one node from the texts of its children,
    so deep trees print without recursion and each shared node is formatted once. The code
    generator reuses :meth:`node` / :meth:`node_cond` with children replaced by temporaries.
    """

    def __init__(self, python: bool, name_of: Callable[[str], str] | None = None):
        self.python = python
        self.name_of = name_of

    def render(self, root: Expr) -> str:
        if self.python:
            root = expand_macros(root)
        text: dict[int, str] = {}
        conds: dict[int, str] = {}

        def txt(c: Expr) -> str:
            return text[id(c)]

        def cond(c: Expr) -> str:
            return conds.get(id(c)) or f"({text[id(c)]} != 0.0)"

        for e in postorder((root,)):
            if self.python:
                c = self.node_cond(e, txt, cond)
                if c is not None:
                    conds[id(e)] = c
            text[id(e)] = self.node(e, txt, cond, _level)
        return text[id(root)]

    def node(
        self,
        e: Expr,
        txt: Callable[[Expr], str],
        cond: Callable[[Expr], str],
        level: Callable[[Expr], int],
    ) -> str:
        """Text of ``e`` given its children's texts ``txt(c)``, conditions ``cond(c)`` (Python
        only) and precedence levels ``level(c)``."""

        def wrap(c: Expr, min_level: int) -> str:
            return f"({txt(c)})" if level(c) < min_level else txt(c)

        if isinstance(e, Num):
            return _format_num(e.value, self.python)
        if isinstance(e, Sym):
            return self.name_of(e.name) if self.name_of else e.name
        if isinstance(e, Time):
            return "t" if self.python else "time"
        if isinstance(e, BinOp):
            lvl = _LEVEL[e.op]
            if e.op == "^":  # right associative: parenthesise the left operand at equal level
                op = "**" if self.python else "^"
                return f"{wrap(e.left, lvl + 1)}{op}{wrap(e.right, _LEVEL['neg'])}"
            return f"{wrap(e.left, lvl)} {e.op} {wrap(e.right, lvl + 1)}"
        if isinstance(e, UnaryOp) and e.op == "-":
            return f"-{wrap(e.operand, _LEVEL['neg'])}"
        if self.python and isinstance(e, (Compare, Logic, UnaryOp)):
            return f"(1.0 if {cond(e)} else 0.0)"
        if isinstance(e, UnaryOp):
            return f"not {wrap(e.operand, _LEVEL['not'])}"
        if isinstance(e, Compare):
            lvl = _LEVEL["cmp"]
            return f"{wrap(e.left, lvl + 1)} {e.op} {wrap(e.right, lvl + 1)}"
        if isinstance(e, Logic):
            lvl = _LEVEL[e.op]
            return f" {e.op} ".join(wrap(a, lvl + 1) for a in e.args)
        assert isinstance(e, Call)
        if not self.python:
            return f"{e.fn}({', '.join(txt(a) for a in e.args)})"
        if e.fn == "piecewise":
            args = e.args
            tail = txt(args[-1]) if len(args) % 2 == 1 else "math.nan"
            for i in range(len(args) - 2 - len(args) % 2, -1, -2):
                tail = f"({txt(args[i])} if {cond(args[i + 1])} else {tail})"
            return tail
        spec = FUNCTIONS[e.fn]
        if spec.python is None or spec.expand is not None:  # macros are expanded first
            raise ExpressionError(f"function {e.fn!r} has no compiled form")
        parts = [txt(a) for a in e.args]
        if e.fn in ("min", "max") and len(parts) == 1:
            return parts[0]
        return spec.python.format(*parts, args=", ".join(parts))

    def node_cond(
        self, e: Expr, txt: Callable[[Expr], str], cond: Callable[[Expr], str]
    ) -> str | None:
        """Python boolean source of a comparison / logic / ``not`` node (None otherwise)."""
        if isinstance(e, Compare):
            return f"({txt(e.left)} {e.op} {txt(e.right)})"
        if isinstance(e, Logic):
            return "(" + f" {e.op} ".join(cond(a) for a in e.args) + ")"
        if isinstance(e, UnaryOp) and e.op == "not":
            return f"(not {cond(e.operand)})"
        return None


def to_text(expr: Expr) -> str:
    """Print ``expr`` in jaksim syntax; ``parse(to_text(e)) == e`` for parsed trees."""
    return Printer(python=False).render(expr)


def to_python(expr: Expr, name_of: Callable[[str], str]) -> str:
    """Python / numba source for ``expr`` using ``math.*`` functions.

    Parameters
    ----------
    expr : Expr
        The expression; constants should be bound first (:func:`bind_constants`).
    name_of : callable
        Maps a symbol name to its source text, e.g. ``"k1" -> "p[3]"``. Time prints as ``t``.
    """
    return Printer(python=True, name_of=name_of).render(expr)
