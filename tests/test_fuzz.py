"""Fuzzing (issue 15): random expressions and random model files may be refused, but only with
jaksim's own errors (:class:`~jaksim.spec.errors.JaksimError`), never with RecursionError,
ZeroDivisionError, KeyError, TypeError... Budgets are fixed and derandomised, so a run is
reproducible and takes a few seconds.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from jaksim.spec import expr as ex  # noqa: E402
from jaksim.spec.errors import JaksimError  # noqa: E402

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# -- expressions -----------------------------------------------------------------------------
NAMES = ["x", "y", "k1", "t", "time", "pi", "e", "inf", "nan", "true", "and", "or", "not"]
FUNCS = ["exp", "log", "sqrt", "sin", "abs", "min", "max", "piecewise", "hill", "mm", "pow",
         "root", "floor", "factorial", "rateOf", "log10", "xor", "nosuch", "acosh"]  # fmt: skip
NUMBERS = ["0", "1", "2.5", "1e308", "1e-320", "0.0", "1e999", ".5", "5.", "1e", "0x10", "00"]
OPS = ["+", "-", "*", "/", "^", "**", "<", ">=", "==", "!=", " and ", " or ", "&&", "||", "%"]
JUNK = list("()[]{},;:'\"\\#$@!?~`|&=<>^*/+-.") + ["\x00", "\x7f", "é", "∞", " ", "\n", "1e5"]


def _expressions() -> st.SearchStrategy[str]:
    atom = st.one_of(st.sampled_from(NAMES), st.sampled_from(NUMBERS))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        args = st.lists(inner, min_size=0, max_size=4).map(", ".join)
        return st.one_of(
            st.tuples(inner, st.sampled_from(OPS), inner).map("".join),
            inner.map(lambda s: f"({s})"),
            inner.map(lambda s: f"-{s}"),
            inner.map(lambda s: f"not {s}"),
            st.tuples(st.sampled_from(FUNCS), args).map(lambda p: f"{p[0]}({p[1]})"),
        )

    grammar = st.recursive(atom, extend, max_leaves=25)
    # random junk spliced in at a random place
    mutated = st.tuples(grammar, st.sampled_from(JUNK), st.integers(0, 200)).map(
        lambda p: p[0][: p[2]] + p[1] + p[0][p[2] :]
    )
    deep = st.integers(50, 3000).map(lambda n: "(" * n + "x" + ")" * n)
    chain = st.integers(50, 3000).map(lambda n: "-" * n + "x")
    powers = st.integers(50, 3000).map(lambda n: "^".join(["x"] * n))
    return st.one_of(grammar, grammar, mutated, st.text(max_size=40), deep, chain, powers)


def _name_of(name: str) -> str:
    return f"v[{name!r}]"


@FUZZ
@given(text=_expressions())
@example(text="(" * 2000 + "x" + ")" * 2000)  # found: RecursionError in the parser
@example(text="+".join(["x"] * 2000))  # found: RecursionError in to_text / diff
def test_fuzz_expressions(text: str) -> None:
    try:
        tree = ex.parse(text, context="fuzz")
    except JaksimError:
        return
    for step in (
        lambda: ex.to_text(tree),
        lambda: ex.parse(ex.to_text(tree)),  # printing round-trips through the parser
        lambda: ex.simplify(tree),
        lambda: ex.diff(tree, "x"),
        lambda: ex.diff(tree, "t"),
        lambda: ex.to_python(ex.bind_constants(tree), _name_of),
        lambda: ex.evaluate(tree, {"x": 0.0, "y": -1.0, "k1": math.inf}, 0.0),
    ):
        try:
            step()
        except JaksimError:
            pass


# -- model files -----------------------------------------------------------------------------
HEAD = 'format_version = 1\n\n[model]\nid = "fz"\ntime_unit = "s"\n'
FRAGMENTS = {
    "compartment": '[[compartments]]\nid = "c"\nsize = 1.0\nunits = "pL"\nassumed = "x"\n',
    "species_a": '[[species]]\nid = "A"\ncompartment = "c"\ninitial = 1.0\nunits = "nM"\n',
    "species_b": '[[species]]\nid = "B"\ncompartment = "c"\ninitial = 0.0\nunits = "nM"\n',
    "param": '[[parameters]]\nid = "k"\nvalue = 0.1\nunits = "1/s"\nassumed = "x"\n',
    "reaction": '[[reactions]]\nid = "r"\nreactants = ["A"]\nproducts = ["B"]\nkf = "k"\n',
    "rate": '[[reactions]]\nid = "r2"\nreactants = ["B"]\nproducts = ["A"]\nrate = "k*B"\n',
    "assignment": '[[assignments]]\nid = "tot"\nexpression = "A + B"\nunits = "nM"\n',
    "input": '[[inputs]]\ntarget = "A"\nop = "add"\nchanges = [[1.0, 2.0]]\n',
    "event": '[[events]]\nid = "ev"\ntrigger = "t > 1"\n'
    '[[events.assignments]]\nvariable = "A"\nexpression = "0"\n',
    "rate_rule": '[[rate_rules]]\nvariable = "k"\nexpression = "0"\n',
    "initial": '[[initial_assignments]]\nsymbol = "B"\nexpression = "A/2"\n',
    "use": '[[use]]\ntemplate = "nosuch"\n',
    "templates": '[templates.tp]\nparameters = ["q"]\n',
}
VALUES = ["1.0", "-1.0", "0", "nan", "inf", '"abc"', "true", "[1, 2]", "{ a = 1 }", '""',
          '"1/s"', '"furlong"', '"k*"', '"k/0"', '"A+"', "[[1.0]]", '["A", 3]', '"A"',
          '"c"', '"nM*nM/s"', "[[nan, 1.0]]", '"\\u007f"', "1e400", '"x" ']  # fmt: skip


HEAD_VALUES = ['"min"', '"nM"', '"bogus"', "1", "true", "[1]", '"1 2"', "{}", "nan", '""',
               "[[model]]", "[model.metadata]", '"fz"\ninclude = ["nosuch.toml"]',
               '"fz"\ninclude = "x"', '"fz"\nrequire_units = "no"', "2", "1.0"]  # fmt: skip


@st.composite
def _model_text(draw) -> str:
    names = draw(st.lists(st.sampled_from(sorted(FRAGMENTS)), min_size=0, max_size=9))
    parts = [FRAGMENTS[n] for n in names]
    for _ in range(draw(st.integers(0, 4))):
        if not parts:
            break
        i = draw(st.integers(0, len(parts) - 1))
        lines = parts[i].split("\n")
        j = draw(st.integers(0, max(len(lines) - 2, 0)))
        action = draw(st.sampled_from(["drop", "value", "key", "dup", "junk"]))
        key = lines[j].partition("=")[0].strip()
        if action == "drop":
            del lines[j]
        elif action == "value" and "=" in lines[j]:
            lines[j] = f"{key} = {draw(st.sampled_from(VALUES))}"
        elif action == "key":
            lines.insert(j + 1, f"{draw(st.sampled_from(['kff', 'size', 'units', 'x y']))} = 1")
        elif action == "dup":
            parts.append(parts[i])
        else:
            lines[j] = lines[j][: len(lines[j]) // 2]
        parts[i] = "\n".join(lines)
    head = HEAD
    if draw(st.booleans()):
        old = draw(st.sampled_from(['"s"', '"fz"', "1", "[model]"]))
        head = head.replace(old, draw(st.sampled_from(HEAD_VALUES)))
    return head + "\n" + "\n".join(parts)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz_models")


@settings(FUZZ, max_examples=1000)
@given(text=_model_text())
@example(text=HEAD + '[[assignments]]\nid = [1, 2]\nexpression = "A"\n')  # found: TypeError
@example(text=HEAD + "species = [1, 2]\n")
def test_fuzz_model_files(model_dir: Path, text: str) -> None:
    """Random model files: fragments of valid tables with keys dropped, values replaced by
    values of other types, unknown keys, duplicated tables and truncated lines."""
    from jaksim import load_model

    path = model_dir / "m.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_model(path)
    except JaksimError:
        pass


VALID = HEAD + "\n".join(FRAGMENTS[k] for k in ("compartment", "species_a", "species_b", "param"))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    rate=_expressions(),
    initial=st.sampled_from(["1.0", "0.0", "1e300", "inf", "nan", "-1.0"]),
)
def test_fuzz_compile_small_models(model_dir: Path, rate: str, initial: str) -> None:
    """Random rate laws through the whole front end and the plain-Python kernels."""
    import numpy as np

    from jaksim import load_model
    from jaksim.compile import compile_model

    text = VALID.replace("initial = 1.0", f"initial = {initial}") + (
        f'[[reactions]]\nid = "r"\nreactants = ["A"]\nproducts = ["B"]\nrate = {ex_string(rate)}\n'
    )
    path = model_dir / "valid.toml"
    path.write_text(text, encoding="utf-8")
    try:
        model = load_model(path, require_sources=False)
        compiled = compile_model(model, jit=False)
    except JaksimError:
        return
    y, p = np.array(compiled.y0, dtype=float), np.array(compiled.p0, dtype=float)
    out = np.zeros_like(y)
    compiled.rhs(0.0, y, p, out)  # IEEE semantics: NaN / inf are values, not exceptions


def ex_string(text: str) -> str:
    """``text`` as a TOML basic string."""
    from jaksim.io.toml_writer import _value

    return _value(text)
