"""Size and scale guards (issue 15): big or deeply nested models compile in bounded time.

Each test failed before its fix (RecursionError, "too many nested parentheses", exponential
source, minutes of exact Fraction elimination) and checks values against an independent
evaluation: closed-form solutions, scipy on a hand-written right-hand side, finite
differences. Model builders are shared with ``benchmarks/bench_scale.py``
(``tests/scale_models.py``). Tests over ~10 s are ``slow`` and have a smaller fast variant.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import scale_models as sm
from scipy.integrate import solve_ivp

from jaksim import simulate
from jaksim.compile import compile_model
from jaksim.compile import conservation as cons
from jaksim.compile.cache import kernel_cache_dir
from jaksim.spec import expr as ex
from jaksim.spec.model import Model
from jaksim.spec.validate import validate_model

ROOT = Path(__file__).resolve().parents[1]


def _timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def _bounded(code: str, timeout: float, cache: Path) -> dict:
    """Run ``code`` in a fresh interpreter (bounded: a hang fails the test instead of
    stalling the suite); it prints one JSON line last."""
    env = dict(
        os.environ, JAKSIM_CACHE_DIR=str(cache), PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'tests'}"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True,
            timeout=timeout, check=False, cwd=ROOT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not finish within {timeout} s")
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _python_rhs(c):
    """scipy-ready f(t, y) from a ``jit=False`` compiled model's generated rhs."""

    def f(t, y):
        out = np.zeros_like(y)
        c.rhs(t, y, c.p0, out)
        return out

    return f


# ------------------------------------------------------------------------------------------
# 1. conservation laws
# ------------------------------------------------------------------------------------------
def _span_equal(a: np.ndarray, b: np.ndarray) -> bool:
    ra = np.linalg.matrix_rank(a)
    return ra == np.linalg.matrix_rank(b) == np.linalg.matrix_rank(np.vstack([a, b]))


def _stoich(c) -> np.ndarray:
    n = np.zeros((c.n_state, len(c.reaction_ids)), dtype=np.int64)
    for i, r, coef in c.layout.stoich_amount:
        n[i, r] += int(coef)
    return n


def test_chain_250_conservation_is_fast_and_exact() -> None:
    """250-species chain: one law (the total); took 24 s of Fraction elimination per compile."""
    cons._BASIS_MEMO.clear()
    c, seconds = _timed(compile_model, sm.chain(250), jit=False)
    assert seconds < 8.0, f"compile took {seconds:.1f} s"
    assert c.conservation.shape == (1, 250)
    np.testing.assert_array_equal(c.conservation, np.ones((1, 250)))


def test_branched_network_laws_span_the_expected_moieties() -> None:
    """Enzyme units E+S<->C->E+P, P->S', 2P<->Q: laws E_i + C_i and the total substrate."""
    units = 60
    cons._BASIS_MEMO.clear()
    c, seconds = _timed(compile_model, sm.branched(units), jit=False)
    assert seconds < 8.0, f"compile took {seconds:.1f} s"
    idx = {s: i for i, s in enumerate(c.state_ids)}
    expected = np.zeros((units + 1, c.n_state))
    for u in range(units):
        expected[u, [idx[f"E{u}"], idx[f"C{u}"]]] = 1
        for sp, w in (("S", 1), ("C", 1), ("P", 1), ("Q", 2)):
            expected[units, idx[f"{sp}{u}"]] = w
    counts, _ = cons.conservation_matrix(c)
    assert counts.shape == (units + 1, c.n_state)
    assert not (counts @ _stoich(c)).any()  # exact, in integers
    assert _span_equal(counts.astype(float), expected)
    assert (counts >= 0).all()  # nonnegative moieties, as the dense elimination gave


def test_sparse_elimination_equals_the_dense_fraction_one() -> None:
    """Same laws (not only the same span) as the former dense Fraction Gauss-Jordan."""
    from fractions import Fraction

    def dense(matrix: np.ndarray) -> np.ndarray:  # the previous implementation, condensed
        n, m = matrix.shape
        order = list(range(n - 1, -1, -1))
        rows = [[Fraction(matrix[i, r]).limit_denominator(10**6) for i in order] for r in range(m)]
        pivots, row = [], 0
        for col in range(n):
            piv = next((k for k in range(row, m) if rows[k][col] != 0), None)
            if piv is None:
                continue
            rows[row], rows[piv] = rows[piv], rows[row]
            rows[row] = [v / rows[row][col] for v in rows[row]]
            for k in range(m):
                if k != row and rows[k][col] != 0:
                    f = rows[k][col]
                    rows[k] = [a - f * b for a, b in zip(rows[k], rows[row], strict=True)]
            pivots.append(col)
            row += 1
            if row == m:
                break
        basis = []
        for fcol in (c for c in range(n) if c not in pivots):
            vec = [Fraction(0)] * n
            vec[fcol] = Fraction(1)
            for k, pcol in enumerate(pivots):
                vec[pcol] = -rows[k][fcol]
            scale = math.lcm(*(v.denominator for v in vec))
            ints = [int(v * scale) for v in vec]
            g = math.gcd(*ints)
            ints = [v // g for v in ints]
            if all(v <= 0 for v in ints):
                ints = [-v for v in ints]
            out = [0] * n
            for pos, i in enumerate(order):
                out[i] = ints[pos]
            basis.append(out)
        basis.sort(key=lambda v: [i for i, x in enumerate(v) if x])
        return np.array(basis, dtype=np.int64).reshape(len(basis), n)

    rng = np.random.default_rng(15)
    for trial in range(300):
        n, m = rng.integers(1, 12), rng.integers(1, 10)
        a = rng.integers(-3, 4, size=(n, m)).astype(float)
        a[rng.random((n, m)) < 0.6] = 0.0
        if trial % 3 == 0:
            a *= rng.choice([0.5, 1.5, 1 / 3, 2.0], size=(n, m))
        np.testing.assert_array_equal(cons.integer_left_null_space(a), dense(a))


def test_conservation_laws_are_cached_with_the_kernels_and_verified(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("JAKSIM_CACHE_DIR", str(tmp_path))
    model = sm.branched(12)
    cons._BASIS_MEMO.clear()
    first = compile_model(model, jit=False)
    files = list(kernel_cache_dir().glob(f"laws_{first.structure_hash[:16]}_*.json"))
    assert len(files) == 1
    # warm: a new process (empty memo) loads the laws instead of eliminating again
    cons._BASIS_MEMO.clear()

    real = cons._null_space_and_free

    def refuse(*_a, **_k):
        raise AssertionError("eliminated again despite a cached result")

    monkeypatch.setattr(cons, "_null_space_and_free", refuse)
    np.testing.assert_array_equal(compile_model(model, jit=False).conservation, first.conservation)
    monkeypatch.setattr(cons, "_null_space_and_free", real)
    # a tampered file (a law that is not conserved) is detected, recomputed and rewritten
    data = json.loads(files[0].read_text())
    data["laws"][0][0][1] += 1
    files[0].write_text(json.dumps(data))
    cons._BASIS_MEMO.clear()
    with pytest.warns(RuntimeWarning, match="failed verification"):
        again = compile_model(model, jit=False)
    np.testing.assert_array_equal(again.conservation, first.conservation)
    # garbage is no better
    files[0].write_text("{not json")
    cons._BASIS_MEMO.clear()
    with pytest.warns(RuntimeWarning, match="failed verification"):
        again = compile_model(model, jit=False)
    np.testing.assert_array_equal(again.conservation, first.conservation)
    # and the rewritten file is trusted again, silently
    cons._BASIS_MEMO.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile_model(model, jit=False)


@pytest.mark.slow
@pytest.mark.parametrize("n", [1000, 5000])
def test_long_chain_conservation(n: int) -> None:
    cons._BASIS_MEMO.clear()
    c, seconds = _timed(compile_model, sm.chain(n), jit=False)
    assert seconds < 120.0, f"compile took {seconds:.1f} s"
    np.testing.assert_array_equal(c.conservation, np.ones((1, n)))


# ------------------------------------------------------------------------------------------
# 2. nested hill: shared subexpressions
# ------------------------------------------------------------------------------------------
def _hill(x: float, k: float, n: float) -> float:
    return x**n / (k**n + x**n)


def _hill_rate(a: float, depth: int, k=0.7, n=2.0, rate=0.3) -> float:
    for _ in range(depth):
        a = _hill(a, k, n)
    return -rate * a


def test_nested_hill_source_is_linear_in_depth() -> None:
    """hill^10 printed 787 kB of kernel source (numba: 184 s); with CSE it is a few kB."""
    from jaksim.compile.codegen import generate_source
    from jaksim.compile.layout import build_layout

    sizes = [len(generate_source(build_layout(sm.nested_hill(d)), "x")[0]) for d in (10, 12)]
    assert sizes[0] < 20_000 and sizes[1] < 1.5 * sizes[0]
    c = compile_model(sm.nested_hill(10), jit=False)
    for a in (0.05, 0.6, 2.0, 9.0):
        y, out, jac = np.array([a]), np.zeros(1), np.zeros(1)
        c.rhs(0.0, y, c.p0, out)
        c.jac(0.0, y, c.p0, jac)
        assert out[0] == pytest.approx(_hill_rate(a, 10), rel=1e-12)
        h = 1e-6 * a
        fd = (_hill_rate(a + h, 10) - _hill_rate(a - h, 10)) / (2 * h)
        assert jac[0] == pytest.approx(fd, rel=1e-6, abs=1e-12)


def test_nested_hill_jit_compiles_quickly_and_simulates(tmp_path: Path) -> None:
    """Depth 10 under numba in a fresh cache: seconds, and the trajectory matches scipy."""
    code = (
        "import json, time\n"
        "import scale_models as sm\n"
        "from jaksim import simulate\n"
        "from jaksim.compile import compile_model\n"
        "t0 = time.perf_counter(); c = compile_model(sm.nested_hill(10))\n"
        "dt = time.perf_counter() - t0\n"
        "r = simulate(c, [0.0, 1.0, 5.0, 20.0], rtol=1e-10, atol=1e-12)\n"
        "print(json.dumps({'compile': dt, 'A': r.states[:, 0].tolist()}))\n"
    )
    res = _bounded(code, timeout=240.0, cache=tmp_path)
    assert res["compile"] < 60.0  # 184 s before (most of a bounded test is numba's startup)
    ref = solve_ivp(lambda t, y: [_hill_rate(y[0], 10)], (0, 20), [2.0], t_eval=[0, 1, 5, 20],
                    rtol=1e-11, atol=1e-13)  # fmt: skip
    np.testing.assert_allclose(res["A"], ref.y[0], rtol=1e-7)


def test_hill_power_prints_with_parentheses() -> None:
    """``hill(x, K, n)^2`` compiled as ``x^n / (K^n + x^n)^2``: macros expanded after printing
    their call site lost the parentheses (a silent wrong rate)."""
    e = ex.parse("hill(x, K, n)^2 + mm(x, K)^2")
    src = ex.to_python(e, lambda s: s)
    env = {"x": 1.3, "K": 0.7, "n": 2.0}
    assert eval(src, {"math": math}, dict(env)) == pytest.approx(ex.evaluate(e, env))  # noqa: S307
    assert ex.evaluate(e, env) == pytest.approx(_hill(1.3, 0.7, 2.0) ** 2 + (1.3 / 2.0) ** 2)


def test_diff_and_simplify_share_subtrees(tmp_path: Path) -> None:
    """Derivative of hill^30: a linear-size DAG (memoised walks), not ~2^30 terms."""
    code = (
        "import json, time\n"
        "import scale_models as sm\n"
        "from jaksim.spec import expr as ex\n"
        "e = ex.expand_macros(ex.parse(sm.nested_hill_text(30)))\n"
        "t0 = time.perf_counter(); d = ex.simplify(ex.diff(e, 'A'))\n"
        "dt = time.perf_counter() - t0\n"
        "env = {'A': 0.9, 'K': 0.7, 'n': 2.0}\n"
        "f = [ex.evaluate(e, {**env, 'A': a}) for a in (0.9 - 1e-6, 0.9 + 1e-6)]\n"
        "print(json.dumps({'seconds': dt, 'd': ex.evaluate(d, env), 'fd': (f[1] - f[0]) / 2e-6}))\n"
    )
    res = _bounded(code, timeout=60.0, cache=tmp_path)
    assert res["seconds"] < 10.0
    assert res["d"] == pytest.approx(res["fd"], rel=1e-5)


# ------------------------------------------------------------------------------------------
# 3. sizes: long sums, deep parentheses, long rule chains, many piecewise branches
# ------------------------------------------------------------------------------------------
def _exact_decay(c, t: np.ndarray, rate: float) -> None:
    """Integrate the generated (plain Python) rhs with scipy; compare with 2 exp(-rate t)."""
    sol = solve_ivp(_python_rhs(c), (0, t[-1]), c.y0, t_eval=t, rtol=1e-10, atol=1e-12)
    assert sol.success
    np.testing.assert_allclose(sol.y[0], 2.0 * np.exp(-rate * t), rtol=1e-7)


def test_5000_term_rate_law() -> None:
    """k*A*(B1 + ... + B5000)/5000: RecursionError in the printer / compile()."""
    model = sm.big_sum(5000)
    c = compile_model(model, jit=False)
    mean_b = np.mean([1.0 + 0.001 * i for i in range(1, 5001)])
    _exact_decay(c, np.array([0.0, 1.0, 4.0]), 0.3 * mean_b)


def test_sum_over_400_state_species_jacobian() -> None:
    """A 400-term sum of *states*: every Jacobian entry of A's row, against the closed form."""
    c = compile_model(sm.big_sum(400, states=True), jit=False)
    y = c.y0.copy()
    jac = np.zeros(c.n_state**2)
    c.jac(0.0, y, c.p0, jac)
    row = jac[: c.n_state]
    assert row[0] == pytest.approx(-0.3 * np.mean(y[1:]), rel=1e-12)
    np.testing.assert_allclose(row[1:], -0.3 * y[0] / 400, rtol=1e-12)


def test_1000_nested_parentheses_parse_compile_and_simulate() -> None:
    text = sm.deep_parens_text(1000)
    e = ex.parse(text)  # RecursionError before
    assert ex.parse(ex.to_text(e)) == e
    c = compile_model(sm.deep_parens(1000))
    r = simulate(c, [0.0, 1.0, 4.0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.states[:, 0], 2.0 * np.exp(-0.3 * np.array([0, 1, 4])), rtol=1e-7)


def _rule_chain_reversed(n: int) -> Model:
    """x1 = k*A, x_i = 0.5 x_{i-1} + 0.25 k A (so x_n -> 0.5 k A), listed last rule first."""
    rules = [("x1", "k*A")] + [(f"x{i}", f"0.5*x{i - 1} + 0.25*k*A") for i in range(2, n + 1)]
    return sm._decay_model(f"rules{n}", f"x{n}", rules=rules[::-1])


@pytest.mark.parametrize("n", [1500, pytest.param(5000, marks=pytest.mark.slow)])
def test_long_assignment_rule_chain(n: int) -> None:
    """Rules each using the previous one, in reverse order: recursive topological sorts (in
    validation and layout) hit the recursion limit."""
    model = _rule_chain_reversed(n)
    validate_model(model, require_sources=False, require_units=False)
    c = compile_model(model, jit=False)
    rate = 0.3 * (0.5 + 0.5**n)
    _exact_decay(c, np.array([0.0, 1.0, 3.0]), rate)
    out = np.zeros(len(c.output_ids))
    c.outputs(0.0, c.y0, c.p0, out)
    x = 0.3 * 2.0
    for _ in range(2, 21):
        x = 0.5 * x + 0.25 * 0.3 * 2.0
    assert out[c.output_ids.index("x20")] == pytest.approx(x, rel=1e-12)


def test_rule_cycle_in_a_long_chain_is_reported() -> None:
    rules = [("x1", "k*A + 0*x1200")] + [(f"x{i}", f"x{i - 1}") for i in range(2, 1201)]
    with pytest.raises(Exception, match="circular .*x1 -> x1200 -> x1199"):
        compile_model(sm._decay_model("cyc", "x5", rules=rules), jit=False)


def _piecewise_rate(a: float, n: int, k: float = 0.3) -> float:
    """Independent evaluation of sm.big_piecewise_text(n)."""
    for i in range(1, n + 1):
        if a < 2.0 * i / n:
            return -k * i * a
    return -k * (n + 1) * a


def test_300_branch_piecewise_values() -> None:
    """300 branches printed as 300 nested conditional expressions: CPython refused them."""
    c = compile_model(sm.big_piecewise(300), jit=False)
    src_ok = True
    for a in np.linspace(0.001, 2.5, 57):
        out = np.zeros(1)
        c.rhs(0.0, np.array([a]), c.p0, out)
        src_ok &= out[0] == pytest.approx(_piecewise_rate(a, 300), rel=1e-14)
    assert src_ok
    # lazy branches: only the selected branch is evaluated (in plain Python the log of a
    # negative number raises), in the tree walk and in the flat generated code alike
    text = "piecewise(" + ", ".join(f"log(A - {i})*{i}, A > {i}" for i in range(299, 0, -1))
    e = ex.parse(text + ", 0)")
    assert ex.evaluate(e, {"A": 3.5}) == pytest.approx(math.log(0.5) * 3)
    c = compile_model(sm._decay_model("lazy", text + ", 0)"), jit=False)
    out = np.zeros(1)
    c.rhs(0.0, np.array([3.5]), c.p0, out)
    assert out[0] == pytest.approx(-math.log(0.5) * 3)


@pytest.mark.slow
def test_300_branch_piecewise_jit_kernel() -> None:
    """Under numba: the if/elif chain compiles (a flag-guarded block sequence overflowed
    numba's recursive SSA pass), the cfunc gives the independent values, and a run across a
    few switching thresholds matches scipy. (A run across all ~300 rate jumps ends in Rodas'
    STEP_TOO_SMALL: a solver limit, not a kernel error.)"""
    import ctypes

    c = compile_model(sm.big_piecewise(300))
    ptr = ctypes.POINTER(ctypes.c_double)
    p = np.ascontiguousarray(c.p0)
    for a in np.linspace(0.001, 2.5, 41):
        y, out = np.array([a]), np.zeros(1)
        c.rhs.ctypes(0.0, y.ctypes.data_as(ptr), p.ctypes.data_as(ptr), out.ctypes.data_as(ptr))
        assert out[0] == pytest.approx(_piecewise_rate(a, 300), rel=1e-14)
    t = [0.0, 2e-4, 5e-4]
    r = simulate(c, t, rtol=1e-10, atol=1e-12)
    ref = solve_ivp(lambda _t, y: [_piecewise_rate(y[0], 300)], (0, t[-1]), [2.0], t_eval=t,
                    rtol=1e-11, atol=1e-13, max_step=1e-6)  # fmt: skip
    assert r.status == 0
    assert ref.y[0][-1] < 2.0 * (1 - 2 / 300)  # several thresholds crossed
    np.testing.assert_allclose(r.states[:, 0], ref.y[0], rtol=1e-5)
