"""jaksim's restricted expression language: the public API (parse, print, differentiate, evaluate).

Expressions in model files (rate laws, rules, triggers) are never ``eval``-ed. They are parsed
by a hand-written tokenizer and a Pratt (precedence-climbing) parser into an immutable tree of
frozen dataclasses, which is then printed back (:func:`to_text`), differentiated (:func:`diff`),
evaluated in pure Python (:func:`evaluate`) or turned into numba-compatible Python source
(:func:`to_python`).

Grammar (lowest to highest precedence)::

    or  <  and  <  not  <  comparisons (< <= > >= == !=)  <  + -  <  * /  <  unary -  <  ^ **

``^`` is right associative (``2^3^2 == 512``) and binds tighter than unary minus
(``-2^2 == -4``); its right operand may carry a sign (``2^-1``). Comparisons and logic give
1.0 / 0.0. ``t`` and ``time`` are the current time (:class:`Time`); ``pi``, ``e``, ``inf``,
``nan``, ``true`` and ``false`` are constants unless a model symbol of that name shadows them
(see :func:`bind_constants`). Functions are listed in :data:`FUNCTIONS`; adding one is one
table entry.

The tree, builders and function table are in :mod:`jaksim.spec.expr_nodes`; evaluation and
printing in :mod:`jaksim.spec.expr_print`. Import everything from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from jaksim.spec import expr_nodes as _nodes
from jaksim.spec import expr_print as _print
from jaksim.spec.errors import ExpressionError, did_you_mean
from jaksim.spec.expr_nodes import (
    _TIME_NAMES,
    CONSTANTS,
    FUNCTIONS,
    ONE,
    ZERO,
    BinOp,
    Call,
    Compare,
    Expr,
    FunctionSpec,  # noqa: F401 - public via expr_nodes.__all__
    Logic,
    Num,
    Sym,
    Time,
    UnaryOp,
    _is,
    add,
    call,
    div,
    expand_macros,
    mul,
    neg,
    power,
    rebuild,
    sub,
)
from jaksim.spec.expr_print import evaluate, to_python, to_text  # noqa: F401 - public API

# the tree, builders and function table (expr_nodes) and evaluation/printing (expr_print)
# are part of this module's public API
__all__ = [
    *_nodes.__all__,
    *_print.__all__,
    "parse",
    "check_symbols",
    "bind_constants",
    "substitute",
    "rename",
    "simplify",
    "diff",
]


# ------------------------------------------------------------------------------------------
# Tokenizer + Pratt parser
# ------------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|<=|>=|==|!=|[-+*/^()<>,]))"
)
_INFIX = {  # operator -> (left binding power, right-operand binding power)
    "or": (1, 1),
    "and": (2, 2),
    "<": (4, 4), "<=": (4, 4), ">": (4, 4), ">=": (4, 4), "==": (4, 4), "!=": (4, 4),
    "+": (5, 5), "-": (5, 5),
    "*": (6, 6), "/": (6, 6),
    "^": (8, 7), "**": (8, 7),  # right associative; right operand may be signed
}  # fmt: skip
_NOT_BP, _NEG_BP = 3, 7

#: Deepest expression tree accepted. Every tree operation (diff, simplify, printing, code
#: generation) recurses once per level; Python's default stack (1000 frames) overflows from
#: about 450 levels, so deeper text is refused with an ExpressionError, not a RecursionError.
MAX_DEPTH = 300


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []  # (kind, value, position)
        pos = 0
        while True:
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                rest = text[pos:]
                if rest.strip() == "":
                    break
                bad = pos + len(rest) - len(rest.lstrip())
                self.fail(f"unexpected character {text[bad]!r}", bad)
            kind = m.lastgroup or ""
            value = m.group(kind)
            self.tokens.append((kind, value, m.start(kind)))
            pos = m.end()
        self.tokens.append(("end", "", len(text)))
        self.i = 0
        self.depth = 0

    def fail(self, message: str, pos: int) -> None:
        caret = " " * pos + "^"
        raise ExpressionError(f"{message} at column {pos + 1}\n    {self.text}\n    {caret}")

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def next(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        kind, val, pos = self.next()
        if val != value or kind == "end":
            found = "end of expression" if kind == "end" else repr(val)
            self.fail(f"expected {value!r}, found {found}", pos)

    def parse(self) -> Expr:
        if self.peek()[0] == "end":
            self.fail("empty expression", 0)
        expr = self.expression(0)
        kind, val, pos = self.peek()
        if kind != "end":
            self.fail(f"unexpected {val!r}", pos)
        return expr

    def infix_op(self) -> str | None:
        kind, val, _ = self.peek()
        if (kind == "op" or (kind == "name" and val in ("and", "or"))) and val in _INFIX:
            return val
        return None

    def expression(self, min_bp: int) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(_too_deep(), self.peek()[2])
        try:
            return self._expression(min_bp)
        finally:
            self.depth -= 1

    def _expression(self, min_bp: int) -> Expr:
        left = self.prefix()
        while (op := self.infix_op()) is not None and _INFIX[op][0] > min_bp:
            self.next()
            right = self.expression(_INFIX[op][1])
            if op in ("and", "or"):
                parts = left.args if isinstance(left, Logic) and left.op == op else (left,)
                left = Logic(op, (*parts, right))
            elif op in ("+", "-", "*", "/"):
                left = BinOp(op, left, right)
            elif op in ("^", "**"):
                left = BinOp("^", left, right)
            else:
                left = Compare(op, left, right)
        return left

    def prefix(self) -> Expr:
        kind, val, pos = self.next()
        if kind == "num":
            return Num(float(val))
        if kind == "op" and val in ("-", "+"):
            operand = self.expression(_NEG_BP)
            return UnaryOp("-", operand) if val == "-" else operand
        if kind == "op" and val == "(":
            inner = self.expression(0)
            self.expect(")")
            return inner
        if kind == "name":
            if val == "not":
                return UnaryOp("not", self.expression(_NOT_BP))
            if val in ("and", "or"):
                self.fail(f"{val!r} needs a left operand", pos)
            if self.peek()[1] == "(" and self.peek()[0] == "op":
                return self.call(val, pos)
            return Time() if val in _TIME_NAMES else Sym(val)
        found = "end of expression" if kind == "end" else repr(val)
        self.fail(f"expected a number, name or '(', found {found}", pos)
        raise AssertionError  # unreachable: fail raises

    def call(self, fn: str, pos: int) -> Expr:
        if fn not in FUNCTIONS or fn == "factorial_d":
            known = [f for f in FUNCTIONS if f != "factorial_d"]
            self.fail(f"unknown function {fn!r}{did_you_mean(fn, known)}", pos)
        self.expect("(")
        args: list[Expr] = []
        if self.peek()[1] != ")":
            args.append(self.expression(0))
            while self.peek()[1] == ",":
                self.next()
                args.append(self.expression(0))
        self.expect(")")
        lo, hi = FUNCTIONS[fn].nargs
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo}-{hi}"
            self.fail(f"{fn}() takes {want} argument(s), got {len(args)}", pos)
        return Call(fn, tuple(args))


def _too_deep() -> str:
    return (
        f"expression nested more than {MAX_DEPTH} levels deep (parentheses, operators or "
        "terms of one long sum); split it into assignments"
    )


def _depth(expr: Expr) -> int:
    """Depth of the tree, without recursion (the tree may be too deep to recurse)."""
    deepest, stack = 0, [(expr, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in node.children())
    return deepest


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expr:
    tree = _Parser(text).parse()
    # a long left-associative chain (a + b + c + ...) is built by a loop, not by recursion
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(f"{_too_deep()}\n    {text[:80]}{'...' if len(text) > 80 else ''}")
    return tree


def parse(text: str, *, context: str = "") -> Expr:
    """Parse expression text into an :class:`Expr` tree.

    Parameters
    ----------
    text : str
        Expression in jaksim syntax (see module docstring).
    context : str
        Where the text comes from, e.g. ``"reaction 'bind' rate"``; becomes the error's field.

    Raises
    ------
    ExpressionError
        With the column, a caret excerpt and ``context`` as field.
    """
    if not isinstance(text, str):
        raise ExpressionError(
            f"expected an expression string, got {type(text).__name__} {text!r}",
            field=context or None,
        )
    try:
        return _parse_cached(text)
    except ExpressionError as err:
        raise err.located(field=context or None) from None


def check_symbols(
    expr: Expr, known: Iterable[str], *, context: str = "", file: str | None = None
) -> None:
    """Raise :class:`ExpressionError` if ``expr`` uses a symbol not in ``known``.

    Unshadowed constants (``pi``, ``e``, ...) are always allowed.
    """
    known_set = set(known)
    unknown = sorted(expr.symbols() - known_set - set(CONSTANTS))
    if unknown:
        name = unknown[0]
        more = f" (also unknown: {', '.join(unknown[1:])})" if len(unknown) > 1 else ""
        raise ExpressionError(
            f"unknown symbol {name!r} in '{to_text(expr)}'{did_you_mean(name, known_set)}{more}",
            file=file,
            field=context or None,
        )


# ------------------------------------------------------------------------------------------
# Tree rewriting
# ------------------------------------------------------------------------------------------
def substitute(expr: Expr, mapping: Mapping[str, Expr]) -> Expr:
    """Replace symbols by expressions (one pass; the replacements are not substituted again)."""
    if isinstance(expr, Sym):
        return mapping.get(expr.name, expr)
    return rebuild(expr, lambda e: substitute(e, mapping))


def rename(expr: Expr, mapping: Mapping[str, str]) -> Expr:
    """Rename symbols, e.g. a reaction's local parameter ``k`` to ``bind__k``."""
    return substitute(expr, {old: Sym(new) for old, new in mapping.items()})


def bind_constants(expr: Expr, shadowed: Iterable[str] = ()) -> Expr:
    """Replace constant names (``pi``, ``e``, ``inf``...) by numbers unless in ``shadowed``."""
    names = set(shadowed)
    return substitute(expr, {k: Num(v) for k, v in CONSTANTS.items() if k not in names})


def simplify(expr: Expr) -> Expr:
    """Local algebraic simplification: constant folding, ``0*x``, ``1*x``, ``x+0``, ``x^1``..."""
    expr = rebuild(expr, simplify)
    if isinstance(expr, BinOp):
        build = {"+": add, "-": sub, "*": mul, "/": div, "^": power}[expr.op]
        return build(expr.left, expr.right)
    if isinstance(expr, UnaryOp) and expr.op == "-":
        return neg(expr.operand)
    if isinstance(expr, Call) and FUNCTIONS[expr.fn].expand is None:
        return call(expr.fn, *expr.args)
    if isinstance(expr, (Compare, Logic, UnaryOp)) and all(
        isinstance(c, Num) for c in expr.children()
    ):
        return Num(evaluate(expr, {}))
    return expr


# ------------------------------------------------------------------------------------------
# Differentiation
# ------------------------------------------------------------------------------------------
def diff(expr: Expr, var: str) -> Expr:
    """Symbolic derivative ``d expr / d var`` (simplified).

    Macros are expanded first. ``piecewise``, ``min``, ``max`` and ``abs`` differentiate
    branchwise (the derivative of the active branch); comparisons, logic, ``floor`` and
    ``ceil`` have zero derivative. Time is independent of every symbol; ``var`` = ``"t"`` or
    ``"time"`` gives the explicit (partial) time derivative.
    """
    if var in _TIME_NAMES:
        as_symbol = _swap_time(expand_macros(expr), to_symbol=True)
        return _swap_time(_diff(as_symbol, _TIME_SYMBOL), to_symbol=False)
    return _diff(expand_macros(expr), var)


_TIME_SYMBOL = "$time"  # '$' cannot occur in a parsed identifier


def _swap_time(e: Expr, *, to_symbol: bool) -> Expr:
    if to_symbol and isinstance(e, Time):
        return Sym(_TIME_SYMBOL)
    if not to_symbol and e == Sym(_TIME_SYMBOL):
        return Time()
    return rebuild(e, lambda c: _swap_time(c, to_symbol=to_symbol))


def _diff(e: Expr, var: str) -> Expr:
    if var not in e.symbols():
        return ZERO
    if isinstance(e, Sym):
        return ONE
    if isinstance(e, UnaryOp):
        return neg(_diff(e.operand, var)) if e.op == "-" else ZERO
    if isinstance(e, (Compare, Logic)):
        return ZERO
    if isinstance(e, BinOp):
        a, b = e.left, e.right
        da, db = _diff(a, var), _diff(b, var)
        if e.op == "+":
            return add(da, db)
        if e.op == "-":
            return sub(da, db)
        if e.op == "*":
            return add(mul(da, b), mul(a, db))
        if e.op == "/":
            return sub(div(da, b), div(mul(a, db), power(b, Num(2.0))))
        if _is(db, 0.0):  # a^n, n independent of var
            return mul(mul(b, power(a, sub(b, ONE))), da)
        if _is(da, 0.0):  # c^u
            return mul(mul(e, call("log", a)), db)
        return mul(e, add(mul(db, call("log", a)), div(mul(b, da), a)))
    assert isinstance(e, Call)
    if e.fn == "piecewise":
        return call(
            "piecewise",
            *(_diff(a, var) if i % 2 == 0 else a for i, a in enumerate(e.args)),
        )
    if e.fn in ("min", "max"):
        if len(e.args) == 1:
            return _diff(e.args[0], var)
        first, rest = e.args[0], call(e.fn, *e.args[1:])
        cmp = "<=" if e.fn == "min" else ">="
        return call("piecewise", _diff(first, var), Compare(cmp, first, rest), _diff(rest, var))
    spec = FUNCTIONS[e.fn]
    if spec.python is None:  # rateOf: only the compiler can resolve it
        raise ExpressionError(f"cannot differentiate {e.fn}() in '{to_text(e)}'")
    (u,) = e.args
    if spec.derivative is None:  # floor, ceil: piecewise constant
        return ZERO
    return mul(spec.derivative(u), _diff(u, var))
