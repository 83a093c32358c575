"""Tests of the restricted expression language (jaksim.spec.expr)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from jaksim.spec.errors import ExpressionError
from jaksim.spec.expr import (
    BinOp,
    Call,
    Num,
    Sym,
    Time,
    UnaryOp,
    bind_constants,
    check_symbols,
    diff,
    evaluate,
    parse,
    rename,
    simplify,
    substitute,
    to_python,
    to_text,
)

ENV = {"a": 2.0, "b": 3.0, "c": 5.0, "x": 0.7, "y": 1.3}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-2^2", -4.0),
        ("2^3^2", 512.0),
        ("2**3**2", 512.0),
        ("a/b*c", 2.0 / 3.0 * 5.0),
        ("a-b-c", 2.0 - 3.0 - 5.0),
        ("a/b/c", 2.0 / 3.0 / 5.0),
        ("2^-1", 0.5),
        ("2^-1*4", 2.0),
        ("-a*b", -6.0),
        ("a - -b", 5.0),
        ("(-2)^2", 4.0),
        ("1 + 2*3^2", 19.0),
        ("a < b and b < c", 1.0),
        ("not a < b", 0.0),
        ("a > b or c > b", 1.0),
        ("1 + (a < b)", 2.0),
        ("a == 2 and not b != 3", 1.0),
        ("2.5e-3*1e3", 2.5),
        (".5 + 1.", 1.5),
        ("+a", 2.0),
    ],
)
def test_precedence_and_values(text: str, expected: float) -> None:
    assert evaluate(parse(text), ENV) == pytest.approx(expected, rel=1e-15)


def test_tree_shapes() -> None:
    assert parse("-2^2") == UnaryOp("-", BinOp("^", Num(2.0), Num(2.0)))
    assert parse("2^3^2") == BinOp("^", Num(2.0), BinOp("^", Num(3.0), Num(2.0)))
    assert parse("a/b*c") == BinOp("*", BinOp("/", Sym("a"), Sym("b")), Sym("c"))
    assert parse("t") == parse("time") == Time()
    assert parse("hill(x, 1, 2)") == Call("hill", (Sym("x"), Num(1.0), Num(2.0)))


@pytest.mark.parametrize(
    "text",
    [
        "k_on*L*R - k_off*LR",
        "Vmax*S/(Km + S)",
        "-2^2 + (-2)^2 - 2^-2 + 2^3^2 + (2^3)^2",
        "a - (b - c) + a/(b/c) - a*(b*c)",
        "piecewise(1, t > 5 and x <= 2, 0.5, not y, 0)",
        "hill(S, K, n) + hillr(S, K, n) + mm(S, K) + max(a, b, c) + min(a)",
        "(a < b) < c",
        "a or (b and c)",
        "exp(-k*time)*1e-300 + 1.5e16",
    ],
)
def test_round_trip(text: str) -> None:
    e = parse(text)
    assert parse(to_text(e)) == e
    assert to_text(parse(to_text(e))) == to_text(e)


def test_functions_values() -> None:
    env = {"x": 0.3, "K": 2.0, "n": 3.0}
    x, k, n = 0.3, 2.0, 3.0
    cases = {
        "hill(x, K, n)": x**n / (k**n + x**n),
        "hillr(x, K, n)": k**n / (k**n + x**n),
        "mm(x, K)": x / (k + x),
        "root(3, 8)": 2.0,
        "factorial(4)": 24.0,
        "sec(x)": 1 / math.cos(x),
        "arccot(x)": math.atan(1 / x),
        "log10(1000)": 3.0,
        "ln(e)": 1.0,
        "pow(2, 10)": 1024.0,
        "piecewise(1, x > 1, 2, x > 0, 3)": 2.0,
        "piecewise(1, x > 1, 2)": 2.0,
        "xor(1, 0) + xor(1, 1)": 1.0,
        "abs(-x) + floor(2.7) + ceil(2.1)": x + 5.0,
    }
    for text, expected in cases.items():
        assert evaluate(parse(text), env) == pytest.approx(expected, rel=1e-14), text
    assert math.isnan(evaluate(parse("piecewise(1, x > 1)"), env))  # no otherwise branch
    assert evaluate(parse("1/0"), {}) == math.inf
    assert math.isnan(evaluate(parse("(-8)^(1/3)"), {}))


def test_symbols_and_constants() -> None:
    e = parse("k*exp(-t) + pi*S + max(time, K)")
    assert e.symbols() == frozenset({"k", "S", "K", "pi"})
    assert bind_constants(e).symbols() == frozenset({"k", "S", "K"})
    assert bind_constants(e, shadowed=["pi"]).symbols() == e.symbols()
    assert evaluate(parse("pi"), {}) == math.pi
    assert evaluate(parse("pi"), {"pi": 3.0}) == 3.0  # a model symbol shadows the constant


def test_substitute_rename_simplify() -> None:
    e = parse("k*A + B")
    assert substitute(e, {"A": parse("x + 1")}) == parse("k*(x + 1) + B")
    assert rename(e, {"k": "bind__k"}) == parse("bind__k*A + B")
    assert simplify(parse("0*x + 1*y + z^1 + (2 + 3)*w - 0")) == parse("y + z + 5*w")
    assert simplify(parse("x/1 + 0/x + x^0")) == parse("x + 1")


def test_errors_have_position_and_context() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("k*(A + )", context="reaction 'bind' rate")
    msg = str(info.value)
    assert msg.startswith("reaction 'bind' rate: ")
    assert "column 8" in msg and "       ^" in msg
    with pytest.raises(ExpressionError, match=r"unknown function 'expp' \(did you mean 'exp'\?\)"):
        parse("expp(x)")
    with pytest.raises(ExpressionError, match="takes 3 argument"):
        parse("hill(x, 1)")
    with pytest.raises(ExpressionError, match="unexpected character '\\$'"):
        parse("a $ b")
    with pytest.raises(ExpressionError, match="unexpected 'b'"):
        parse("a b")
    with pytest.raises(ExpressionError, match="empty expression"):
        parse("   ")


def test_check_symbols_did_you_mean() -> None:
    e = parse("k_onn*L*R")
    check_symbols(parse("k_on*L*R*pi"), ["k_on", "L", "R"])
    with pytest.raises(ExpressionError) as info:
        check_symbols(e, ["k_on", "L", "R"], context="reaction 'bind' rate", file="m.toml")
    assert str(info.value).startswith("m.toml: reaction 'bind' rate: unknown symbol 'k_onn'")
    assert "did you mean 'k_on'?" in str(info.value)


# -- derivatives vs central finite differences on random expressions -------------------------
_UNARY = ["exp", "sin", "cos", "tanh", "atan", "sqrt", "log", "abs", "sinh"]


def _random_expr(rng: np.random.Generator, depth: int) -> str:
    if depth == 0 or rng.random() < 0.2:
        return str(rng.choice(["x", "y", "a", f"{rng.uniform(0.5, 2.0):.3f}"]))
    r = rng.random()
    sub = lambda: _random_expr(rng, depth - 1)  # noqa: E731
    if r < 0.45:
        return f"({sub()} {rng.choice(['+', '-', '*', '/'])} {sub()})"
    if r < 0.55:
        return f"({sub()})^{rng.choice(['2', '3', '-1', '0.5', 'a'])}"
    if r < 0.8:
        fn = rng.choice(_UNARY)
        inner = sub()
        # keep sqrt/log arguments positive so the finite difference is defined
        return f"{fn}(1 + ({inner})^2)" if fn in ("sqrt", "log") else f"{fn}({inner})"
    if r < 0.88:
        return f"hill(1 + ({sub()})^2, a, 2)"
    if r < 0.94:
        return f"max({sub()}, {sub()})"
    return f"piecewise({sub()}, x > y, {sub()})"


@pytest.mark.parametrize("seed", range(8))
def test_diff_matches_finite_differences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    checked = 0
    while checked < 25:
        text = _random_expr(rng, 4)
        e = parse(text)
        env = {"x": rng.uniform(0.2, 1.5), "y": rng.uniform(0.2, 1.5), "a": 1.3}
        for var in ("x", "y"):
            d = diff(e, var)
            h = 1e-6 * max(1.0, abs(env[var]))
            hi, lo = dict(env), dict(env)
            hi[var] += h
            lo[var] -= h
            f_hi, f_lo, f0 = evaluate(e, hi), evaluate(e, lo), evaluate(e, env)
            fd = (f_hi - f_lo) / (2 * h)
            exact = evaluate(d, env)
            if not all(map(math.isfinite, (f_hi, f_lo, f0, fd, exact))) or abs(f0) > 1e6:
                continue
            # skip points next to a kink (max/abs/piecewise): one-sided slopes differ there
            slope_l, slope_r = (f0 - f_lo) / h, (f_hi - f0) / h
            if abs(slope_l - slope_r) > 1e-3 * (1 + abs(fd)):
                continue
            assert exact == pytest.approx(fd, rel=1e-5, abs=1e-6), (text, var, to_text(d))
            checked += 1


def test_diff_rules_exact() -> None:
    assert diff(parse("3*x^2 + y"), "x") == parse("6*x")
    assert diff(parse("k*A*B"), "A") == parse("k*B")
    assert diff(parse("x > 1"), "x") == Num(0.0)
    assert diff(parse("floor(x)"), "x") == Num(0.0)
    assert diff(parse("exp(t)*y"), "x") == Num(0.0)
    assert diff(parse("piecewise(x, t > 1, 2*x)"), "x") == parse("piecewise(1, t > 1, 2)")
    d_dt = diff(parse("exp(-k*t)*x"), "t")  # explicit time derivative
    assert d_dt.symbols() == {"k", "x"}
    expected = -0.3 * math.exp(-0.3 * 2.0) * 1.5
    assert evaluate(d_dt, {"k": 0.3, "x": 1.5}, t=2.0) == pytest.approx(expected, rel=1e-15)
    # factorial'(x) = Gamma(x+1) digamma(x+1); jaksim uses a central difference
    exact = special.gamma(3.5) * special.digamma(3.5)
    assert evaluate(diff(parse("factorial(x)"), "x"), {"x": 2.5}) == pytest.approx(exact, rel=1e-7)


def test_to_python_compiles_and_matches() -> None:
    texts = [
        "hill(x, a, 2) + piecewise(1, x > y and not y > 3, 2) - max(x, y, a)",
        "-x^2 + 2^-1 + (x < y) + sec(x) + root(2, y) + abs(x - y) + exp(-t)",
        "piecewise(x, y > 5)",
    ]
    names = {"x": "v[0]", "y": "v[1]", "a": "v[2]"}
    for text in texts:
        e = parse(text)
        src = to_python(e, names.__getitem__)
        fn = eval(compile(f"lambda v, t: {src}", "<test>", "eval"), {"math": math})  # noqa: S307
        v = [0.7, 1.3, 2.0]
        expected = evaluate(e, dict(zip("xya", v, strict=True)), t=0.4)
        got = fn(v, 0.4)
        assert got == pytest.approx(expected, rel=1e-14, nan_ok=True), (text, src)
