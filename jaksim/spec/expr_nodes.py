"""Expression tree of jaksim's expression language: nodes, simplifying builders, functions.

The public API lives in :mod:`jaksim.spec.expr`, which re-exports everything here. This module
holds the data: the frozen node classes, the constructors that simplify while building
(``add``, ``mul``, ...; used by differentiation and by the compiler) and the function table
:data:`FUNCTIONS`, where adding a function is one entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

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
    "ZERO",
    "ONE",
    "CONSTANTS",
    "FUNCTIONS",
    "FunctionSpec",
    "add",
    "sub",
    "neg",
    "mul",
    "div",
    "power",
    "call",
    "rebuild",
    "expand_macros",
    "postorder",
    "with_children",
    "transform",
]


# ------------------------------------------------------------------------------------------
# Tree
# ------------------------------------------------------------------------------------------
class Expr:
    """Base class of expression nodes (immutable, hashable, compared structurally).

    Trees may be deep (a 5,000-term sum is a 5,000-level chain of ``+``) and may share
    subtrees (macro expansion and differentiation reuse nodes, so a tree can be a DAG whose
    unfolded size is exponential). Hence every node caches its hash, computed from its
    children's cached hashes when it is built, and equality, :meth:`symbols` and the
    traversal helpers below are iterative and visit each shared node once.
    """

    __slots__ = ()

    def children(self) -> tuple[Expr, ...]:
        return ()

    def _label(self) -> tuple:
        """The node's own data besides its children (compared by ``==``)."""
        return ()

    def _set_hash(self) -> None:
        parts = (type(self).__name__, self._label(), *(c._hash for c in self.children()))
        object.__setattr__(self, "_hash", hash(parts))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined]

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Expr):
            return NotImplemented
        if type(self) is not type(other) or self._hash != other._hash:  # type: ignore[attr-defined]
            return False  # the common case in dict lookups: decided without a walk
        if not self.children():
            return self._label() == other._label()
        stack: list[tuple[Expr, Expr]] = [(self, other)]
        seen: set[tuple[int, int]] = set()
        while stack:
            a, b = stack.pop()
            if a is b or (id(a), id(b)) in seen:
                continue
            seen.add((id(a), id(b)))
            if type(a) is not type(b) or a._hash != b._hash or a._label() != b._label():  # type: ignore[attr-defined]
                return False
            ca, cb = a.children(), b.children()
            if len(ca) != len(cb):
                return False
            stack.extend(zip(ca, cb, strict=True))
        return True

    def __reduce__(self) -> tuple:
        # rebuilt through __init__ in the receiving process: string hashes are per process
        return (type(self), (*self._label_init(),))

    def _label_init(self) -> tuple:
        return ()

    def symbols(self) -> frozenset[str]:
        """Free identifiers, excluding function names and time.

        Constant names (``pi``, ``e``, ...) are included when not yet bound by
        :func:`bind_constants`, because a model symbol of that name shadows the constant.
        """
        return frozenset(n.name for n in postorder((self,)) if isinstance(n, Sym))

    def uses_time(self) -> bool:
        """Whether time (``t``/``time``) occurs in the expression."""
        return any(isinstance(n, Time) for n in postorder((self,)))

    def __str__(self) -> str:
        from jaksim.spec.expr_print import to_text  # printing lives in its own module

        return to_text(self)


_NODE = dict(frozen=True, slots=True, eq=False)  # equality and hash: see Expr


def _hash_field() -> int:
    return field(init=False, repr=False, compare=False)  # type: ignore[return-value]


@dataclass(**_NODE)
class Num(Expr):
    value: float
    _hash: int = _hash_field()

    def __post_init__(self) -> None:
        self._set_hash()

    def _label(self) -> tuple:
        return (self.value,)

    _label_init = _label


@dataclass(**_NODE)
class Sym(Expr):
    name: str
    _hash: int = _hash_field()

    def __post_init__(self) -> None:
        self._set_hash()

    def _label(self) -> tuple:
        return (self.name,)

    _label_init = _label


@dataclass(**_NODE)
class Time(Expr):
    """The current simulation time (``t`` or ``time`` in text)."""

    _hash: int = _hash_field()

    def __post_init__(self) -> None:
        self._set_hash()


@dataclass(**_NODE)
class Call(Expr):
    fn: str
    args: tuple[Expr, ...]
    _hash: int = _hash_field()

    def __post_init__(self) -> None:
        self._set_hash()

    def children(self) -> tuple[Expr, ...]:
        return self.args

    def _label(self) -> tuple:
        return (self.fn,)

    def _label_init(self) -> tuple:
        return (self.fn, self.args)


@dataclass(**_NODE)
class BinOp(Expr):
    op: str  # one of + - * / ^
    left: Expr
    right: Expr
    _hash: int = _hash_field()

    def __post_init__(self) -> None:
        self._set_hash()

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def _label(self) -> tuple:
        return (self.op,)

    def _label_init(self) -> tuple:
        return (self.op, self.left, self.right)


@dataclass(**_NODE)
class UnaryOp(Expr):
    op: str  # "-" or "not"
    operand: Expr
    _hash: int = _hash_field()

    def __post_init__(self) -> None:
        self._set_hash()

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def _label(self) -> tuple:
        return (self.op,)

    def _label_init(self) -> tuple:
        return (self.op, self.operand)


@dataclass(**_NODE)
class Compare(Expr):
    op: str  # one of < <= > >= == !=
    left: Expr
    right: Expr
    _hash: int = _hash_field()

    def __post_init__(self) -> None:
        self._set_hash()

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def _label(self) -> tuple:
        return (self.op,)

    def _label_init(self) -> tuple:
        return (self.op, self.left, self.right)


@dataclass(**_NODE)
class Logic(Expr):
    op: str  # "and" or "or"
    args: tuple[Expr, ...]
    _hash: int = _hash_field()

    def __post_init__(self) -> None:
        self._set_hash()

    def children(self) -> tuple[Expr, ...]:
        return self.args

    def _label(self) -> tuple:
        return (self.op,)

    def _label_init(self) -> tuple:
        return (self.op, self.args)


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


def _factorial_d(x: float) -> float:
    return (math.gamma(x + 1.0 + 1e-6) - math.gamma(x + 1.0 - 1e-6)) / 2e-6


_FACTORIAL_D_PY = "((math.gamma({0} + 1.000001) - math.gamma({0} + 0.999999)) / 2e-06)"


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
    # factorial'(x) = Gamma'(x+1) has no math.* form: a central difference (step 1e-6) that is
    # only ever used in Jacobians, where it affects convergence, not the solution
    "factorial_d": FunctionSpec((1, 1), _factorial_d, _FACTORIAL_D_PY),
    "min": FunctionSpec((1, None), lambda *a: min(a), "min({args})"),
    "max": FunctionSpec((1, None), lambda *a: max(a), "max({args})"),
    "piecewise": FunctionSpec((1, None)),  # handled specially everywhere
    # SBML's rateOf csymbol: d(variable)/dt. Only the compiler can resolve it (it replaces the
    # call by the variable's right-hand side); evaluate / diff / to_python refuse it.
    "rateOf": FunctionSpec((1, 1)),
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
# Generic traversal
# ------------------------------------------------------------------------------------------
def postorder(roots: Iterable[Expr]) -> list[Expr]:
    """Every distinct node (by identity) under ``roots``, children before their parents.

    Iterative: deep trees do not hit the recursion limit, and a node shared by several
    parents (a DAG) is listed once.
    """
    out: list[Expr] = []
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(r, False) for r in reversed(list(roots))]
    push = stack.append
    while stack:
        node, expanded = stack.pop()
        if expanded:
            out.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        kids = node.children()
        if not kids:  # leaves: most nodes; no second visit needed
            out.append(node)
            continue
        push((node, True))
        for c in reversed(kids):
            if id(c) not in seen:
                push((c, False))
    return out


def with_children(expr: Expr, kids: tuple[Expr, ...]) -> Expr:
    """``expr`` with its children replaced by ``kids`` (itself when they are the same
    objects, which keeps shared subtrees shared; no simplification)."""
    old = expr.children()
    if len(old) == len(kids) and all(a is b for a, b in zip(old, kids, strict=True)):
        return expr
    if isinstance(expr, Call):
        return Call(expr.fn, kids)
    if isinstance(expr, BinOp):
        return BinOp(expr.op, kids[0], kids[1])
    if isinstance(expr, UnaryOp):
        return UnaryOp(expr.op, kids[0])
    if isinstance(expr, Compare):
        return Compare(expr.op, kids[0], kids[1])
    if isinstance(expr, Logic):
        return Logic(expr.op, kids)
    return expr


def transform(expr: Expr, fn: Callable[[Expr, tuple[Expr, ...]], Expr]) -> Expr:
    """Bottom-up rewrite: ``fn(node, new_children)`` for every node, children first.

    Iterative and memoised by node identity (each shared node is rewritten once), so it
    works on deep trees and stays linear on DAGs.
    """
    memo: dict[int, Expr] = {}
    for node in postorder((expr,)):
        memo[id(node)] = fn(node, tuple(memo[id(c)] for c in node.children()))
    return memo[id(expr)]


def rebuild(expr: Expr, f: Callable[[Expr], Expr]) -> Expr:
    """Apply ``f`` to every child of ``expr`` and reassemble the node (no simplification)."""
    return with_children(expr, tuple(f(c) for c in expr.children()))


def expand_macros(expr: Expr) -> Expr:
    """Rewrite macro functions (hill, mm, pow, sec, ...) into core functions and operators."""

    def expand(node: Expr, kids: tuple[Expr, ...]) -> Expr:
        node = with_children(node, kids)
        while isinstance(node, Call) and FUNCTIONS[node.fn].expand is not None:
            # the arguments are expanded already; a macro's own body uses core functions
            # only (``ln`` -> ``log``), except that it may produce another macro call
            node = FUNCTIONS[node.fn].expand(*node.args)  # type: ignore[misc]
        return node

    return transform(expr, expand)
