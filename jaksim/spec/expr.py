"""jaksim's restricted expression language: parser, printer, calculus and code generation.

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
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from jaksim.spec.errors import ExpressionError, did_you_mean

__all__ = [
    "Expr",
    "Num",
    "Sym",
    "Time",
    "Call",
    "BinOp",
    "UnaryOp",
    "Compare",
    "Logic",
    "FUNCTIONS",
    "CONSTANTS",
    "parse",
    "check_symbols",
    "bind_constants",
    "to_text",
    "substitute",
    "rename",
    "simplify",
    "diff",
    "evaluate",
    "to_python",
]


# ------------------------------------------------------------------------------------------
# Tree
# ------------------------------------------------------------------------------------------
class Expr:
    """Base class of expression nodes (immutable, hashable, compared structurally)."""

    __slots__ = ()

    def children(self) -> tuple[Expr, ...]:
        return ()

    def symbols(self) -> frozenset[str]:
        """Free identifiers, excluding function names and time.

        Constant names (``pi``, ``e``, ...) are included when not yet bound by
        :func:`bind_constants`, because a model symbol of that name shadows the constant.
        """
        out: set[str] = set()
        stack: list[Expr] = [self]
        while stack:
            node = stack.pop()
            if isinstance(node, Sym):
                out.add(node.name)
            stack.extend(node.children())
        return frozenset(out)

    def __str__(self) -> str:
        return to_text(self)


@dataclass(frozen=True, slots=True)
class Num(Expr):
    value: float


@dataclass(frozen=True, slots=True)
class Sym(Expr):
    name: str


@dataclass(frozen=True, slots=True)
class Time(Expr):
    """The current simulation time (``t`` or ``time`` in text)."""


@dataclass(frozen=True, slots=True)
class Call(Expr):
    fn: str
    args: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.args


@dataclass(frozen=True, slots=True)
class BinOp(Expr):
    op: str  # one of + - * / ^
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class UnaryOp(Expr):
    op: str  # "-" or "not"
    operand: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Compare(Expr):
    op: str  # one of < <= > >= == !=
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Logic(Expr):
    op: str  # "and" or "or"
    args: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.args


ZERO, ONE = Num(0.0), Num(1.0)
CONSTANTS: dict[str, float] = {
    "pi": math.pi,
    "e": math.e,
    "inf": math.inf,
    "nan": math.nan,
    "true": 1.0,
    "false": 0.0,
}
_TIME_NAMES = ("t", "time")
_KEYWORDS = ("and", "or", "not")


# ------------------------------------------------------------------------------------------
# Simplifying constructors (used by diff, simplify and the compiler)
# ------------------------------------------------------------------------------------------
def _is(e: Expr, v: float) -> bool:
    return isinstance(e, Num) and e.value == v


def add(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.value + b.value)
    if _is(a, 0.0):
        return b
    if _is(b, 0.0):
        return a
    if isinstance(b, UnaryOp) and b.op == "-":
        return sub(a, b.operand)
    return BinOp("+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.value - b.value)
    if _is(b, 0.0):
        return a
    if _is(a, 0.0):
        return neg(b)
    if a == b:
        return ZERO
    return BinOp("-", a, b)


def neg(a: Expr) -> Expr:
    if isinstance(a, Num):
        return Num(-a.value)
    if isinstance(a, UnaryOp) and a.op == "-":
        return a.operand
    return UnaryOp("-", a)


def mul(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.value * b.value)
    if _is(a, 0.0) or _is(b, 0.0):
        return ZERO
    if _is(a, 1.0):
        return b
    if _is(b, 1.0):
        return a
    if _is(a, -1.0):
        return neg(b)
    if _is(b, -1.0):
        return neg(a)
    if isinstance(a, UnaryOp) and a.op == "-":  # pull signs out: a + -x*y becomes a - x*y
        return neg(mul(a.operand, b))
    if isinstance(b, UnaryOp) and b.op == "-":
        return neg(mul(a, b.operand))
    if isinstance(b, Num):  # numeric factor first, so that 3*(2*x) folds to 6*x
        a, b = b, a
    if isinstance(a, Num) and isinstance(b, BinOp) and b.op == "*" and isinstance(b.left, Num):
        return mul(Num(a.value * b.left.value), b.right)
    return BinOp("*", a, b)


def div(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num) and b.value != 0.0:
        return Num(a.value / b.value)
    if _is(a, 0.0) and not _is(b, 0.0):
        return ZERO
    if _is(b, 1.0):
        return a
    if isinstance(a, UnaryOp) and a.op == "-":
        return neg(div(a.operand, b))
    return BinOp("/", a, b)


def power(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        try:
            value = a.value**b.value
        except (OverflowError, ZeroDivisionError):
            return BinOp("^", a, b)
        if isinstance(value, float):
            return Num(value)
    if _is(b, 0.0):
        return ONE
    if _is(b, 1.0):
        return a
    return BinOp("^", a, b)


def call(fn: str, *args: Expr) -> Expr:
    if fn == "piecewise":
        return _piecewise(args)
    spec = FUNCTIONS[fn]
    if spec.evaluate is not None and args and all(isinstance(a, Num) for a in args):
        try:
            return Num(float(spec.evaluate(*(a.value for a in args))))
        except (ValueError, OverflowError, ZeroDivisionError):
            pass
    return Call(fn, tuple(args))


def _piecewise(args: tuple[Expr, ...]) -> Expr:
    values = args[0::2]
    if all(v == values[0] for v in values) and len(args) % 2 == 1:
        return values[0]  # every branch gives the same value (e.g. all derivatives zero)
    return Call("piecewise", tuple(args))


# ------------------------------------------------------------------------------------------
# Function table
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One function of the language.

    Exactly one of ``python`` (a format string over the argument sources ``{0}``, ``{1}``...)
    or ``expand`` (a macro: rewrite into other expressions) is given. ``derivative`` maps the
    argument ``u`` of a one-argument function to ``f'(u)``; ``None`` with ``python`` set means
    the derivative is zero almost everywhere (floor, ceil).
    """

    nargs: tuple[int, int | None]  # (min, max); max None = unbounded
    evaluate: Callable[..., float] | None = None
    python: str | None = None
    derivative: Callable[[Expr], Expr] | None = None
    expand: Callable[..., Expr] | None = None


def _f1(fn: Callable[[float], float], py: str, d: Callable[[Expr], Expr] | None) -> FunctionSpec:
    return FunctionSpec((1, 1), fn, py + "({0})", d)


def _macro(nargs: int, expand: Callable[..., Expr]) -> FunctionSpec:
    return FunctionSpec((nargs, nargs), None, None, None, expand)


def _factorial(x: float) -> float:
    return math.gamma(x + 1.0)


FUNCTIONS: dict[str, FunctionSpec] = {
    "exp": _f1(math.exp, "math.exp", lambda u: call("exp", u)),
    "log": _f1(math.log, "math.log", lambda u: div(ONE, u)),
    "log10": _f1(math.log10, "math.log10", lambda u: div(ONE, mul(u, Num(math.log(10.0))))),
    "sqrt": _f1(math.sqrt, "math.sqrt", lambda u: div(Num(0.5), call("sqrt", u))),
    "sin": _f1(math.sin, "math.sin", lambda u: call("cos", u)),
    "cos": _f1(math.cos, "math.cos", lambda u: neg(call("sin", u))),
    "tan": _f1(math.tan, "math.tan", lambda u: power(call("cos", u), Num(-2.0))),
    "asin": _f1(math.asin, "math.asin", lambda u: power(sub(ONE, power(u, Num(2.0))), Num(-0.5))),
    "acos": _f1(
        math.acos, "math.acos", lambda u: neg(power(sub(ONE, power(u, Num(2.0))), Num(-0.5)))
    ),
    "atan": _f1(math.atan, "math.atan", lambda u: div(ONE, add(ONE, power(u, Num(2.0))))),
    "sinh": _f1(math.sinh, "math.sinh", lambda u: call("cosh", u)),
    "cosh": _f1(math.cosh, "math.cosh", lambda u: call("sinh", u)),
    "tanh": _f1(math.tanh, "math.tanh", lambda u: power(call("cosh", u), Num(-2.0))),
    "asinh": _f1(
        math.asinh, "math.asinh", lambda u: power(add(power(u, Num(2.0)), ONE), Num(-0.5))
    ),
    "acosh": _f1(
        math.acosh, "math.acosh", lambda u: power(sub(power(u, Num(2.0)), ONE), Num(-0.5))
    ),
    "atanh": _f1(math.atanh, "math.atanh", lambda u: div(ONE, sub(ONE, power(u, Num(2.0))))),
    "abs": _f1(abs, "abs", lambda u: call("piecewise", ONE, Compare(">=", u, ZERO), Num(-1.0))),
    "floor": _f1(math.floor, "math.floor", None),
    "ceil": _f1(math.ceil, "math.ceil", None),
    "factorial": FunctionSpec(
        (1, 1), _factorial, "math.gamma(1.0 + {0})", lambda u: call("factorial_d", u)
    ),
    # factorial'(x) = Gamma'(x+1), not expressible in math.*; kept symbolic, refused by to_python
    "factorial_d": FunctionSpec((1, 1)),
    "min": FunctionSpec((1, None), lambda *a: min(a), "min({args})"),
    "max": FunctionSpec((1, None), lambda *a: max(a), "max({args})"),
    "piecewise": FunctionSpec((1, None)),  # handled specially everywhere
    # macros: rewritten into the functions above before differentiation / code generation
    "ln": _macro(1, lambda u: call("log", u)),
    "pow": _macro(2, lambda a, b: power(a, b)),
    "root": _macro(2, lambda n, x: power(x, div(ONE, n))),
    "hill": _macro(3, lambda x, k, n: div(power(x, n), add(power(k, n), power(x, n)))),
    "hillr": _macro(3, lambda x, k, n: div(power(k, n), add(power(k, n), power(x, n)))),
    "mm": _macro(2, lambda x, k: div(x, add(k, x))),
    "sec": _macro(1, lambda u: div(ONE, call("cos", u))),
    "csc": _macro(1, lambda u: div(ONE, call("sin", u))),
    "cot": _macro(1, lambda u: div(ONE, call("tan", u))),
    "sech": _macro(1, lambda u: div(ONE, call("cosh", u))),
    "csch": _macro(1, lambda u: div(ONE, call("sinh", u))),
    "coth": _macro(1, lambda u: div(ONE, call("tanh", u))),
    "arcsec": _macro(1, lambda u: call("acos", div(ONE, u))),
    "arccsc": _macro(1, lambda u: call("asin", div(ONE, u))),
    "arccot": _macro(1, lambda u: call("atan", div(ONE, u))),
    "arcsech": _macro(1, lambda u: call("acosh", div(ONE, u))),
    "arccsch": _macro(1, lambda u: call("asinh", div(ONE, u))),
    "arccoth": _macro(1, lambda u: call("atanh", div(ONE, u))),
    "xor": _macro(2, lambda a, b: Compare("!=", _truth(a), _truth(b))),
}


def _truth(e: Expr) -> Expr:
    return (
        e
        if isinstance(e, (Compare, Logic)) or (isinstance(e, UnaryOp) and e.op == "not")
        else Compare("!=", e, ZERO)
    )


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


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expr:
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
def _rebuild(expr: Expr, f: Callable[[Expr], Expr]) -> Expr:
    """Apply ``f`` to every child of ``expr`` and reassemble the node (no simplification)."""
    if isinstance(expr, Call):
        return Call(expr.fn, tuple(f(a) for a in expr.args))
    if isinstance(expr, BinOp):
        return BinOp(expr.op, f(expr.left), f(expr.right))
    if isinstance(expr, UnaryOp):
        return UnaryOp(expr.op, f(expr.operand))
    if isinstance(expr, Compare):
        return Compare(expr.op, f(expr.left), f(expr.right))
    if isinstance(expr, Logic):
        return Logic(expr.op, tuple(f(a) for a in expr.args))
    return expr


def substitute(expr: Expr, mapping: Mapping[str, Expr]) -> Expr:
    """Replace symbols by expressions (one pass; the replacements are not substituted again)."""
    if isinstance(expr, Sym):
        return mapping.get(expr.name, expr)
    return _rebuild(expr, lambda e: substitute(e, mapping))


def rename(expr: Expr, mapping: Mapping[str, str]) -> Expr:
    """Rename symbols, e.g. a reaction's local parameter ``k`` to ``bind__k``."""
    return substitute(expr, {old: Sym(new) for old, new in mapping.items()})


def bind_constants(expr: Expr, shadowed: Iterable[str] = ()) -> Expr:
    """Replace constant names (``pi``, ``e``, ``inf``...) by numbers unless in ``shadowed``."""
    names = set(shadowed)
    return substitute(expr, {k: Num(v) for k, v in CONSTANTS.items() if k not in names})


def expand_macros(expr: Expr) -> Expr:
    """Rewrite macro functions (hill, mm, pow, sec, ...) into core functions and operators."""
    expr = _rebuild(expr, expand_macros)
    if isinstance(expr, Call) and FUNCTIONS[expr.fn].expand is not None:
        return expand_macros(FUNCTIONS[expr.fn].expand(*expr.args))
    return expr


def simplify(expr: Expr) -> Expr:
    """Local algebraic simplification: constant folding, ``0*x``, ``1*x``, ``x+0``, ``x^1``..."""
    expr = _rebuild(expr, simplify)
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
    return _rebuild(e, lambda c: _swap_time(c, to_symbol=to_symbol))


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
    (u,) = e.args
    if spec.derivative is None:
        return ZERO
    return mul(spec.derivative(u), _diff(u, var))


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
    invalid powers follow IEEE (inf / nan) like the compiled kernels.

    Raises
    ------
    ExpressionError
        If a symbol is neither in ``env`` nor a constant.
    """
    ev = lambda e: evaluate(e, env, t)  # noqa: E731
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
        return _BIN_EVAL[expr.op](ev(expr.left), ev(expr.right))
    if isinstance(expr, UnaryOp):
        return -ev(expr.operand) if expr.op == "-" else float(ev(expr.operand) == 0.0)
    if isinstance(expr, Compare):
        return float(_CMP_EVAL[expr.op](ev(expr.left), ev(expr.right)))
    if isinstance(expr, Logic):
        truth = (ev(a) != 0.0 for a in expr.args)
        return float(all(truth) if expr.op == "and" else any(truth))
    assert isinstance(expr, Call)
    if expr.fn == "piecewise":
        args = expr.args
        for i in range(0, len(args) - 1, 2):
            if ev(args[i + 1]) != 0.0:
                return ev(args[i])
        return ev(args[-1]) if len(args) % 2 == 1 else math.nan
    spec = FUNCTIONS[expr.fn]
    if spec.expand is not None:
        return ev(spec.expand(*expr.args))
    if spec.evaluate is None:
        raise ExpressionError(f"function {expr.fn!r} cannot be evaluated")
    try:
        return float(spec.evaluate(*(ev(a) for a in expr.args)))
    except (ValueError, ZeroDivisionError):
        return math.nan
    except OverflowError:
        return math.inf


# Precedence levels used when printing; a child is parenthesised when its level is lower.
_LEVEL = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7, "^": 8}
_ATOM = 9


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
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))  # "2" rather than "2.0": readable, and numba uses integer powers
    return repr(float(v))


class _Printer:
    """Prints jaksim text (``python=False``) or Python/numba source (``python=True``)."""

    def __init__(self, python: bool, name_of: Callable[[str], str] | None = None):
        self.python = python
        self.name_of = name_of

    def wrap(self, e: Expr, min_level: int) -> str:
        text = self.value(e)
        return f"({text})" if _level(e) < min_level else text

    def value(self, e: Expr) -> str:
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
                return f"{self.wrap(e.left, lvl + 1)}{op}{self.wrap(e.right, _LEVEL['neg'])}"
            return f"{self.wrap(e.left, lvl)} {e.op} {self.wrap(e.right, lvl + 1)}"
        if isinstance(e, UnaryOp) and e.op == "-":
            return f"-{self.wrap(e.operand, _LEVEL['neg'])}"
        if self.python and isinstance(e, (Compare, Logic, UnaryOp)):
            return f"(1.0 if {self.cond(e)} else 0.0)"
        if isinstance(e, UnaryOp):
            return f"not {self.wrap(e.operand, _LEVEL['not'])}"
        if isinstance(e, Compare):
            lvl = _LEVEL["cmp"]
            return f"{self.wrap(e.left, lvl + 1)} {e.op} {self.wrap(e.right, lvl + 1)}"
        if isinstance(e, Logic):
            lvl = _LEVEL[e.op]
            return f" {e.op} ".join(self.wrap(a, lvl + 1) for a in e.args)
        assert isinstance(e, Call)
        if not self.python:
            return f"{e.fn}({', '.join(self.value(a) for a in e.args)})"
        return self.call(e)

    def cond(self, e: Expr) -> str:
        """Python boolean source for a condition."""
        if isinstance(e, Compare):
            return f"({self.value(e.left)} {e.op} {self.value(e.right)})"
        if isinstance(e, Logic):
            return "(" + f" {e.op} ".join(self.cond(a) for a in e.args) + ")"
        if isinstance(e, UnaryOp) and e.op == "not":
            return f"(not {self.cond(e.operand)})"
        return f"({self.value(e)} != 0.0)"

    def call(self, e: Call) -> str:
        if e.fn == "piecewise":
            args = e.args
            tail = self.value(args[-1]) if len(args) % 2 == 1 else "math.nan"
            for i in range(len(args) - 2 - len(args) % 2, -1, -2):
                tail = f"({self.value(args[i])} if {self.cond(args[i + 1])} else {tail})"
            return tail
        spec = FUNCTIONS[e.fn]
        if spec.expand is not None:
            return self.value(spec.expand(*e.args))
        if spec.python is None:
            raise ExpressionError(f"function {e.fn!r} has no compiled form")
        parts = [self.value(a) for a in e.args]
        if e.fn in ("min", "max") and len(parts) == 1:
            return parts[0]
        return spec.python.format(*parts, args=", ".join(parts))


def to_text(expr: Expr) -> str:
    """Print ``expr`` in jaksim syntax; ``parse(to_text(e)) == e`` for parsed trees."""
    return _Printer(python=False).value(expr)


def to_python(expr: Expr, name_of: Callable[[str], str]) -> str:
    """Python / numba source for ``expr`` using ``math.*`` functions.

    Parameters
    ----------
    expr : Expr
        The expression; constants should be bound first (:func:`bind_constants`).
    name_of : callable
        Maps a symbol name to its source text, e.g. ``"k1" -> "p[3]"``. Time prints as ``t``.
    """
    return _Printer(python=True, name_of=name_of).value(expr)
