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
from collections.abc import Callable, Iterable, Mapping
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
    postorder,
    power,
    rebuild,  # noqa: F401 - public via expr_nodes.__all__
    sub,
    transform,
    with_children,
)
from jaksim.spec.expr_print import (  # noqa: F401 - public API
    ATOM_LEVEL,
    Printer,
    evaluate,
    precedence,
    to_python,
    to_text,
)

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
        """Pratt parsing with explicit operator and operand stacks (no recursion).

        Frames on ``ops``: ``("bin", op, rbp)``: the right operand of an infix operator;
        ``("pre", op, bp)``: the operand of ``-``, ``+`` or ``not``; ``("paren",)``;
        ``("call", fn, pos, first_arg)``. An infix operator with left binding power ``lbp``
        first completes every ``bin`` / ``pre`` frame whose (right) binding power is
        ``>= lbp``, which is what the recursive formulation does when its loop stops.
        Deeply nested parentheses and long operator chains therefore cost no Python stack.
        """
        if self.peek()[0] == "end":
            self.fail("empty expression", 0)
        operands: list[Expr] = []
        ops: list[tuple] = []
        while True:
            if not self.operand(operands, ops):
                continue  # a prefix operator, '(' or a call's '(': an operand still follows
            while True:  # after an operand: infix operators, ')' and ','
                op = self.infix_op()
                if op is not None:
                    self.reduce(operands, ops, _INFIX[op][0])
                    self.next()
                    ops.append(("bin", op, _INFIX[op][1]))
                    break
                self.reduce(operands, ops, 0)
                kind, val, pos = self.peek()
                if not ops:
                    if kind != "end":
                        self.fail(f"unexpected {val!r}", pos)
                    return operands.pop()
                frame = ops[-1]
                if frame[0] == "call" and val == ",":
                    self.next()
                    break
                self.expect(")")
                ops.pop()
                if frame[0] == "call":
                    args = operands[frame[3] :]
                    del operands[frame[3] :]
                    operands.append(self.make_call(frame[1], args, frame[2]))

    def infix_op(self) -> str | None:
        kind, val, _ = self.peek()
        if (kind == "op" or (kind == "name" and val in ("and", "or"))) and val in _INFIX:
            return val
        return None

    def operand(self, operands: list[Expr], ops: list[tuple]) -> bool:
        """Consume an operand (True) or the prefix operator / '(' before one (False)."""
        kind, val, pos = self.next()
        if kind == "num":
            operands.append(Num(float(val)))
            return True
        if kind == "op" and val in ("-", "+"):
            ops.append(("pre", val, _NEG_BP))
            return False
        if kind == "op" and val == "(":
            ops.append(("paren",))
            return False
        if kind == "name":
            if val == "not":
                ops.append(("pre", "not", _NOT_BP))
                return False
            if val in ("and", "or"):
                self.fail(f"{val!r} needs a left operand", pos)
            if self.peek()[1] == "(" and self.peek()[0] == "op":
                if val not in FUNCTIONS or val == "factorial_d":
                    known = [f for f in FUNCTIONS if f != "factorial_d"]
                    self.fail(f"unknown function {val!r}{did_you_mean(val, known)}", pos)
                self.next()
                if self.peek()[1] == ")":
                    self.next()
                    operands.append(self.make_call(val, [], pos))
                    return True
                ops.append(("call", val, pos, len(operands)))
                return False
            operands.append(Time() if val in _TIME_NAMES else Sym(val))
            return True
        found = "end of expression" if kind == "end" else repr(val)
        self.fail(f"expected a number, name or '(', found {found}", pos)
        raise AssertionError  # unreachable: fail raises

    @staticmethod
    def reduce(operands: list[Expr], ops: list[tuple], lbp: int) -> None:
        """Complete the operator frames that end before an operator of binding power lbp."""
        while ops and ops[-1][0] in ("bin", "pre") and ops[-1][2] >= lbp:
            kind, op, _ = ops.pop()
            right = operands.pop()
            if kind == "pre":
                operands.append(right if op == "+" else UnaryOp(op, right))
                continue
            left = operands.pop()
            if op in ("and", "or"):
                parts = left.args if isinstance(left, Logic) and left.op == op else (left,)
                operands.append(Logic(op, (*parts, right)))
            elif op in ("+", "-", "*", "/"):
                operands.append(BinOp(op, left, right))
            elif op in ("^", "**"):
                operands.append(BinOp("^", left, right))
            else:
                operands.append(Compare(op, left, right))

    def make_call(self, fn: str, args: list[Expr], pos: int) -> Expr:
        lo, hi = FUNCTIONS[fn].nargs
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo}-{hi}"
            self.fail(f"{fn}() takes {want} argument(s), got {len(args)}", pos)
        return Call(fn, tuple(args))


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expr:
    # the parser and every tree operation are iterative: any depth is accepted
    return _Parser(text).parse()


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
    # no copy of a set: checking every rate law of a big model against one set stays linear
    known_set = known if isinstance(known, (set, frozenset)) else set(known)
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

    def replace(node: Expr, kids: tuple[Expr, ...]) -> Expr:
        if isinstance(node, Sym):
            return mapping.get(node.name, node)
        return with_children(node, kids)

    return transform(expr, replace)


def rename(expr: Expr, mapping: Mapping[str, str]) -> Expr:
    """Rename symbols, e.g. a reaction's local parameter ``k`` to ``bind__k``."""
    return substitute(expr, {old: Sym(new) for old, new in mapping.items()})


def bind_constants(expr: Expr, shadowed: Iterable[str] = ()) -> Expr:
    """Replace constant names (``pi``, ``e``, ``inf``...) by numbers unless in ``shadowed``."""
    names = shadowed if isinstance(shadowed, (set, frozenset)) else set(shadowed)
    return substitute(expr, {k: Num(v) for k, v in CONSTANTS.items() if k not in names})


def simplify(expr: Expr) -> Expr:
    """Local algebraic simplification: constant folding, ``0*x``, ``1*x``, ``x+0``, ``x^1``..."""
    return transform(expr, _simplify_node)


def _simplify_node(expr: Expr, kids: tuple[Expr, ...]) -> Expr:
    expr = with_children(expr, kids)
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
    time_symbol = Sym(_TIME_SYMBOL)

    def swap(node: Expr, kids: tuple[Expr, ...]) -> Expr:
        if to_symbol and isinstance(node, Time):
            return time_symbol
        if not to_symbol and isinstance(node, Sym) and node.name == _TIME_SYMBOL:
            return Time()
        return with_children(node, kids)

    return transform(e, swap)


def _diff(root: Expr, var: str) -> Expr:
    """Derivative of a macro-free tree: one bottom-up pass over the nodes that contain
    ``var`` (iterative, each shared node differentiated once; derivatives share the
    original subtrees)."""
    order = postorder((root,))
    has_var: set[int] = set()
    for node in order:
        if (isinstance(node, Sym) and node.name == var) or any(
            id(c) in has_var for c in node.children()
        ):
            has_var.add(id(node))
    d: dict[int, Expr] = {}

    def dv(node: Expr) -> Expr:
        return d.get(id(node), ZERO)

    for e in order:
        if id(e) in has_var:
            d[id(e)] = _diff_node(e, var, dv)
    return dv(root)


def _diff_node(e: Expr, var: str, dv: Callable[[Expr], Expr]) -> Expr:
    """``d e / d var`` given the derivatives ``dv(child)`` of its children."""
    if isinstance(e, Sym):
        return ONE
    if isinstance(e, UnaryOp):
        return neg(dv(e.operand)) if e.op == "-" else ZERO
    if isinstance(e, (Compare, Logic)):
        return ZERO
    if isinstance(e, BinOp):
        a, b = e.left, e.right
        da, db = dv(a), dv(b)
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
        return call("piecewise", *(dv(a) if i % 2 == 0 else a for i, a in enumerate(e.args)))
    if e.fn in ("min", "max"):
        if len(e.args) == 1:
            return dv(e.args[0])
        first, rest = e.args[0], call(e.fn, *e.args[1:])
        cmp = "<=" if e.fn == "min" else ">="
        # ``rest`` is a new node: differentiate it on its own (depth = number of arguments)
        return call("piecewise", dv(first), Compare(cmp, first, rest), _diff(rest, var))
    spec = FUNCTIONS[e.fn]
    if spec.python is None:  # rateOf: only the compiler can resolve it
        raise ExpressionError(f"cannot differentiate {e.fn}() in '{to_text(e)}'")
    (u,) = e.args
    if spec.derivative is None:  # floor, ceil: piecewise constant
        return ZERO
    return mul(spec.derivative(u), dv(u))
