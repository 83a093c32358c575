"""MathML (libsbml ``ASTNode`` trees) <-> jaksim expression trees.

Import walks libsbml's AST directly (never its infix formula strings, whose operator
precedence and function names differ from jaksim's grammar). Export prints jaksim text in
libsbml's L3 infix syntax and lets :func:`libsbml.parseL3Formula` build the MathML, after the
tree has been rewritten into operators that syntax shares with jaksim.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import libsbml

from jaksim.spec.expr import (
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
    substitute,
)

__all__ = ["UnsupportedMath", "ast_to_expr", "expr_to_ast", "AVOGADRO_SBML"]

#: Avogadro's constant as the SBML L3 specifications define the ``avogadro`` csymbol.
AVOGADRO_SBML = 6.02214179e23


class UnsupportedMath(Exception):
    """A MathML construct jaksim cannot represent; ``args[0]`` names it."""


_FN1 = {
    libsbml.AST_FUNCTION_ABS: "abs",
    libsbml.AST_FUNCTION_EXP: "exp",
    libsbml.AST_FUNCTION_LN: "log",
    libsbml.AST_FUNCTION_FLOOR: "floor",
    libsbml.AST_FUNCTION_CEILING: "ceil",
    libsbml.AST_FUNCTION_FACTORIAL: "factorial",
    libsbml.AST_FUNCTION_SIN: "sin",
    libsbml.AST_FUNCTION_COS: "cos",
    libsbml.AST_FUNCTION_TAN: "tan",
    libsbml.AST_FUNCTION_SEC: "sec",
    libsbml.AST_FUNCTION_CSC: "csc",
    libsbml.AST_FUNCTION_COT: "cot",
    libsbml.AST_FUNCTION_SINH: "sinh",
    libsbml.AST_FUNCTION_COSH: "cosh",
    libsbml.AST_FUNCTION_TANH: "tanh",
    libsbml.AST_FUNCTION_SECH: "sech",
    libsbml.AST_FUNCTION_CSCH: "csch",
    libsbml.AST_FUNCTION_COTH: "coth",
    libsbml.AST_FUNCTION_ARCSIN: "asin",
    libsbml.AST_FUNCTION_ARCCOS: "acos",
    libsbml.AST_FUNCTION_ARCTAN: "atan",
    libsbml.AST_FUNCTION_ARCSEC: "arcsec",
    libsbml.AST_FUNCTION_ARCCSC: "arccsc",
    libsbml.AST_FUNCTION_ARCCOT: "arccot",
    libsbml.AST_FUNCTION_ARCSINH: "asinh",
    libsbml.AST_FUNCTION_ARCCOSH: "acosh",
    libsbml.AST_FUNCTION_ARCTANH: "atanh",
    libsbml.AST_FUNCTION_ARCSECH: "arcsech",
    libsbml.AST_FUNCTION_ARCCSCH: "arccsch",
    libsbml.AST_FUNCTION_ARCCOTH: "arccoth",
}
_RELATIONAL = {
    libsbml.AST_RELATIONAL_EQ: "==",
    libsbml.AST_RELATIONAL_NEQ: "!=",
    libsbml.AST_RELATIONAL_LT: "<",
    libsbml.AST_RELATIONAL_LEQ: "<=",
    libsbml.AST_RELATIONAL_GT: ">",
    libsbml.AST_RELATIONAL_GEQ: ">=",
}
_UNSUPPORTED = {
    libsbml.AST_FUNCTION_DELAY: "csymbol delay",
    libsbml.AST_FUNCTION_RATE_OF: "csymbol rateOf",
}


def _is_bool(e: Expr) -> bool:
    return isinstance(e, (Compare, Logic)) or (isinstance(e, UnaryOp) and e.op == "not")


def _truth(e: Expr) -> Expr:
    """A condition from a value (L3V2 allows numbers where booleans are expected)."""
    return e if _is_bool(e) else Compare("!=", e, Num(0.0))


def _trunc(x: Expr) -> Expr:
    """Truncation toward zero (MathML ``quotient``/``rem`` semantics)."""
    return Call("piecewise", (Call("floor", (x,)), Compare(">=", x, Num(0.0)), Call("ceil", (x,))))


class _Converter:
    def __init__(
        self,
        functions: Mapping[str, libsbml.ASTNode],
        name_of: Callable[[str], Expr],
        rate_of: Callable[[str], Expr] | None,
        delay: Callable[[Expr, Expr, Expr], Expr] | None = None,
    ):
        self.functions = functions
        self.name_of = name_of
        self.rate_of = rate_of
        self.delay = delay

    def convert(self, node: libsbml.ASTNode, bound: Mapping[str, Expr] | None = None) -> Expr:
        t = node.getType()
        kids = [self.convert(node.getChild(i), bound) for i in range(node.getNumChildren())]
        if t == libsbml.AST_INTEGER:
            return Num(float(node.getInteger()))
        if t in (libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL):
            return Num(float(node.getReal()))
        if t == libsbml.AST_NAME:
            name = node.getName()
            if bound is not None and name in bound:
                return bound[name]
            return self.name_of(name)
        if t == libsbml.AST_NAME_TIME:
            return Time()
        if t == libsbml.AST_NAME_AVOGADRO:
            return Num(AVOGADRO_SBML)
        if t == libsbml.AST_CONSTANT_E:
            return Num(math.e)
        if t == libsbml.AST_CONSTANT_PI:
            return Num(math.pi)
        if t in (libsbml.AST_CONSTANT_TRUE, libsbml.AST_CONSTANT_FALSE):
            return Num(1.0 if t == libsbml.AST_CONSTANT_TRUE else 0.0)
        if t == libsbml.AST_PLUS:
            return _fold("+", kids, Num(0.0))
        if t == libsbml.AST_TIMES:
            return _fold("*", kids, Num(1.0))
        if t == libsbml.AST_MINUS:
            return UnaryOp("-", kids[0]) if len(kids) == 1 else BinOp("-", kids[0], kids[1])
        if t == libsbml.AST_DIVIDE:
            return BinOp("/", kids[0], kids[1])
        if t in (libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER):
            return BinOp("^", kids[0], kids[1])
        if t == libsbml.AST_FUNCTION_ROOT:
            if len(kids) == 1:
                return Call("sqrt", (kids[0],))
            return BinOp("^", kids[1], BinOp("/", Num(1.0), kids[0]))
        if t == libsbml.AST_FUNCTION_LOG:
            if len(kids) == 1:
                return Call("log10", (kids[0],))
            return BinOp("/", Call("log", (kids[1],)), Call("log", (kids[0],)))
        if t in _FN1:
            return Call(_FN1[t], (kids[0],))
        if t in (libsbml.AST_FUNCTION_MAX, libsbml.AST_FUNCTION_MIN):
            return Call("max" if t == libsbml.AST_FUNCTION_MAX else "min", tuple(kids))
        if t == libsbml.AST_FUNCTION_QUOTIENT:
            return _trunc(BinOp("/", kids[0], kids[1]))
        if t == libsbml.AST_FUNCTION_REM:
            a, b = kids
            return BinOp("-", a, BinOp("*", b, _trunc(BinOp("/", a, b))))
        if t == libsbml.AST_FUNCTION_PIECEWISE:
            args = [k if i % 2 == 0 else _truth(k) for i, k in enumerate(kids)]
            return Call("piecewise", tuple(args))
        if t in _RELATIONAL:
            return _relational(_RELATIONAL[t], kids)
        if t in (libsbml.AST_LOGICAL_AND, libsbml.AST_LOGICAL_OR):
            op = "and" if t == libsbml.AST_LOGICAL_AND else "or"
            if not kids:
                return Num(1.0 if op == "and" else 0.0)
            return Logic(op, tuple(_truth(k) for k in kids)) if len(kids) > 1 else _truth(kids[0])
        if t == libsbml.AST_LOGICAL_NOT:
            return UnaryOp("not", _truth(kids[0]))
        if t == libsbml.AST_LOGICAL_XOR:
            # odd parity of the true operands
            count = _fold("+", [Call("piecewise", (Num(1.0), _truth(k), Num(0.0))) for k in kids],
                          Num(0.0))  # fmt: skip
            return Compare("==", Call("floor", (BinOp("/", count, Num(2.0)),)),
                           BinOp("/", BinOp("-", count, Num(1.0)), Num(2.0)))  # fmt: skip
        if t == libsbml.AST_LOGICAL_IMPLIES:
            return Logic("or", (UnaryOp("not", _truth(kids[0])), _truth(kids[1])))
        if t == libsbml.AST_FUNCTION:
            return self.call_user(node.getName(), kids)
        if t == libsbml.AST_FUNCTION_RATE_OF and self.rate_of is not None:
            arg = node.getChild(0) if node.getNumChildren() == 1 else None
            if arg is None or arg.getType() != libsbml.AST_NAME:
                raise UnsupportedMath("csymbol rateOf of an expression")
            return self.rate_of(arg.getName())
        if t == libsbml.AST_FUNCTION_DELAY and self.delay is not None and len(kids) == 2:
            # before the start every state is constant: rateOf is 0 there (suite 01400)
            before = _Converter(self.functions, self.name_of, lambda n: Num(0.0),
                                lambda x, tau, b: b).convert(node.getChild(0), bound)  # fmt: skip
            return self.delay(kids[0], kids[1], before)
        raise UnsupportedMath(_UNSUPPORTED.get(t, f"MathML element {node.getName() or t!r}"))

    def call_user(self, name: str, args: list[Expr]) -> Expr:
        lam = self.functions.get(name)
        if lam is None:
            raise UnsupportedMath(f"call of undefined function {name!r}")
        n_bvar = lam.getNumBvars()
        if n_bvar != len(args):
            raise UnsupportedMath(f"function {name!r} takes {n_bvar} argument(s), got {len(args)}")
        bvars = [lam.getChild(i).getName() for i in range(n_bvar)]
        if lam.getNumChildren() == n_bvar:
            raise UnsupportedMath(f"function {name!r} has no body")
        # Bound variables map to placeholders first, then to the arguments, so an argument that
        # happens to be named like a bound variable is not substituted twice.
        marks = {b: Sym(f"\x00{i}") for i, b in enumerate(bvars)}
        body = self.convert(lam.getChild(lam.getNumChildren() - 1), marks)
        return substitute(body, {f"\x00{i}": a for i, a in enumerate(args)})


def _fold(op: str, kids: list[Expr], empty: Expr) -> Expr:
    if not kids:
        return empty
    out = kids[0]
    for k in kids[1:]:
        out = BinOp(op, out, k)
    return out


def _relational(op: str, kids: list[Expr]) -> Expr:
    if len(kids) < 2:
        return Num(1.0)  # a relation over fewer than two operands holds vacuously
    pairs = [Compare(op, a, b) for a, b in zip(kids, kids[1:], strict=False)]
    return pairs[0] if len(pairs) == 1 else Logic("and", tuple(pairs))


def ast_to_expr(
    node: libsbml.ASTNode,
    functions: Mapping[str, libsbml.ASTNode],
    name_of: Callable[[str], Expr] = Sym,
    rate_of: Callable[[str], Expr] | None = None,
    delay: Callable[[Expr, Expr, Expr], Expr] | None = None,
) -> Expr:
    """Convert a libsbml MathML tree to a jaksim :class:`~jaksim.spec.expr.Expr`.

    Parameters
    ----------
    node : libsbml.ASTNode
        The math of a kinetic law, rule, trigger...
    functions : mapping
        SBML function-definition id -> its ``lambda`` node; calls are inlined.
    name_of : callable
        Maps an SBML identifier to the expression standing for it (renames reserved ids,
        turns a species amount into a concentration...).
    rate_of : callable, optional
        Maps an SBML identifier to the expression of its time derivative (``rateOf``);
        without it ``rateOf`` is unsupported.
    delay : callable, optional
        Maps ``delay(x, tau)`` (converted arguments, and ``x`` as it is before the start
        of a run: ``rateOf`` 0) to the expression standing for it; without it ``delay`` is
        unsupported.

    Raises
    ------
    UnsupportedMath
        For ``delay``, ``rateOf`` and MathML outside SBML's subset.
    """
    return _Converter(functions, name_of, rate_of, delay).convert(node)


# ------------------------------------------------------------------------------------------
# Export: jaksim Expr -> libsbml AST (through L3 infix text on a rewritten tree)
# ------------------------------------------------------------------------------------------
def _l3(e: Expr) -> str:
    """L3 infix text of ``e``: fully parenthesised so precedence differences cannot bite."""
    if isinstance(e, Num):
        v = e.value
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "INF" if v > 0 else "-INF"
        return repr(float(v)) if v >= 0 else f"(-{repr(-float(v))})"
    if isinstance(e, Sym):
        return e.name
    if isinstance(e, Time):
        return "time"
    if isinstance(e, BinOp):
        return f"({_l3(e.left)} {e.op} {_l3(e.right)})"
    if isinstance(e, UnaryOp):
        return f"(-{_l3(e.operand)})" if e.op == "-" else f"!({_l3(e.operand)})"
    if isinstance(e, Compare):
        return f"({_l3(e.left)} {e.op} {_l3(e.right)})"
    if isinstance(e, Logic):
        joiner = " && " if e.op == "and" else " || "
        return "(" + joiner.join(_l3(a) for a in e.args) + ")"
    assert isinstance(e, Call)
    if e.fn == "piecewise":
        args = list(e.args)
        if len(args) % 2 == 0:
            args.append(Num(math.nan))
        return "piecewise(" + ", ".join(_l3(a) for a in args) + ")"
    names = {"log": "ln", "ceil": "ceiling", "asin": "arcsin", "acos": "arccos", "atan": "arctan",
             "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh"}  # fmt: skip
    if e.fn in ("min", "max") and len(e.args) == 1:
        return _l3(e.args[0])
    if e.fn == "log10":
        return f"log(10, {_l3(e.args[0])})"
    return f"{names.get(e.fn, e.fn)}(" + ", ".join(_l3(a) for a in e.args) + ")"


def expr_to_ast(e: Expr, model: libsbml.Model | None = None) -> libsbml.ASTNode:
    """Build the libsbml MathML tree of a jaksim expression.

    ``min``/``max`` need SBML L3V2 (they are MathML ``min``/``max`` there). Comparisons and
    logic used as numbers are wrapped in ``piecewise(1, cond, 0)`` because SBML keeps
    booleans and numbers apart.
    """
    text = _l3(_numeric(expand_macros(e), want_bool=False))
    settings = libsbml.L3ParserSettings()
    if model is not None:
        settings.setModel(model)
    ast = libsbml.parseL3FormulaWithSettings(text, settings)
    if ast is None:
        raise ValueError(f"libsbml could not parse {text!r}: {libsbml.getLastParseL3Error()}")
    return ast


def _numeric(e: Expr, want_bool: bool) -> Expr:
    """Make boolean/numeric use explicit: SBML MathML is typed, jaksim's is not."""
    if isinstance(e, Compare):
        out: Expr = Compare(e.op, _numeric(e.left, False), _numeric(e.right, False))
    elif isinstance(e, Logic):
        out = Logic(e.op, tuple(_numeric(a, True) for a in e.args))
    elif isinstance(e, UnaryOp) and e.op == "not":
        out = UnaryOp("not", _numeric(e.operand, True))
    elif isinstance(e, Call) and e.fn == "piecewise":
        out = Call(
            "piecewise",
            tuple(_numeric(a, i % 2 == 1 and i < len(e.args) - (len(e.args) % 2))
                  for i, a in enumerate(e.args)),
        )  # fmt: skip
    elif isinstance(e, BinOp):
        out = BinOp(e.op, _numeric(e.left, False), _numeric(e.right, False))
    elif isinstance(e, UnaryOp):
        out = UnaryOp(e.op, _numeric(e.operand, False))
    elif isinstance(e, Call):
        out = Call(e.fn, tuple(_numeric(a, False) for a in e.args))
    else:
        out = e
    if want_bool and not _is_bool(out):
        return Compare("!=", out, Num(0.0))
    if not want_bool and _is_bool(out):
        return Call("piecewise", (Num(1.0), out, Num(0.0)))
    return out
