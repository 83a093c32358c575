"""Tests of jaksim.compile: generated kernels vs hand-derived right-hand sides and finite
differences, structure hashing, the on-disk kernel cache and error reporting."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from jaksim.compile import compile_model, kernel_cache_dir, structure_hash
from jaksim.spec.errors import ExpressionError, ModelError
from jaksim.spec.model import (
    Assignment,
    Compartment,
    Event,
    EventAssignment,
    InitialAssignment,
    Model,
    Parameter,
    RateRule,
    Reaction,
    Species,
)

V_CYT, V_NUC = 2.0, 0.5


@pytest.fixture(autouse=True, scope="module")
def _private_cache(tmp_path_factory):
    old = os.environ.get("JAKSIM_CACHE_DIR")
    os.environ["JAKSIM_CACHE_DIR"] = str(tmp_path_factory.mktemp("kernels"))
    yield
    if old is None:
        del os.environ["JAKSIM_CACHE_DIR"]
    else:
        os.environ["JAKSIM_CACHE_DIR"] = old


def two_compartment() -> Model:
    """Ligand binding in the cytoplasm and a Hill-gated nuclear import (different volumes)."""
    return Model(
        id="two_comp",
        compartments=(Compartment("cyt", V_CYT), Compartment("nuc", V_NUC)),
        species=(
            Species("L", "cyt", 1.0, boundary=True),
            Species("R", "cyt", 3.0),
            Species("LR", "cyt", 0.0),
            Species("S", "cyt", 5.0),
            Species("Sn", "nuc", 0.0),
        ),
        parameters=(
            Parameter("kon", 0.1),
            Parameter("koff", 0.01),
            Parameter("kimp", 0.2),
            Parameter("kexp", 0.05),
            Parameter("K", 1.0),
            Parameter("act_JAK1", 1.0, constant=False),
            Parameter("occ", 0.3),
        ),
        reactions=(
            Reaction(
                "bind", (("L", 1), ("R", 1)), (("LR", 1),), "kon*L*R - koff*LR", compartment="cyt"
            ),
            Reaction(
                "imp",
                (("S", 1),),
                (("Sn", 1),),
                "act_JAK1*kimp*hill(LR, K, 2)*S",
                compartment="cyt",
            ),
            Reaction("exp_", (("Sn", 1),), (("S", 1),), "kexp*Sn", compartment="nuc"),
        ),
        assignments=(
            Assignment("act_JAK1", "1 - occ"),
            Assignment("Stot_amount", "S*cyt + Sn*nuc"),
            Assignment("frac_bound", "LR/(R + LR)"),
        ),
    )


def two_compartment_rhs(y: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """Hand-derived right-hand side of :func:`two_compartment`."""
    r, lr, s, sn = y
    act = 1 - p["occ"]
    bind = p["kon"] * p["L"] * r - p["koff"] * lr  # nM/s in cyt
    imp = act * p["kimp"] * lr**2 / (p["K"] ** 2 + lr**2) * s  # nM/s in cyt
    exp_ = p["kexp"] * sn  # nM/s in nuc
    return np.array(
        [
            -bind,
            bind,
            -imp + exp_ * V_NUC / V_CYT,
            imp * V_CYT / V_NUC - exp_,
        ]
    )


def switch_model() -> Model:
    """Time and state switches (piecewise, comparisons, min/max/abs), local parameters,
    an amount species with an amount/time rate law, and a rate rule."""
    return Model(
        id="switch",
        compartments=(Compartment("c", 1.5),),
        species=(
            Species("A", "c", 2.0),
            Species("B", "c", 1.0),
            Species("N", "c", 4.0, amount=True),
            Species("X", "c", 0.5, boundary=True),
        ),
        parameters=(
            Parameter("k1", 0.3),
            Parameter("k2", 0.7),
            Parameter("ton", 5.0),
            Parameter("g", 0.0, constant=False),
        ),
        reactions=(
            Reaction(
                "r1",
                (("A", 1),),
                (("B", 2),),
                "piecewise(k1*A, t > ton, k2*A^2, A > B, kl*A)",
                compartment="c",
                local_parameters=(Parameter("kl", 0.11),),
            ),
            Reaction("r2", (("B", 1),), (("N", 1),), "max(k2*B, A) - min(N, B)*abs(A - B)"),
            Reaction("r3", (("N", 1),), (), "k1*N*X/(1 + g)", compartment=None),
        ),
        rate_rules=(RateRule("g", "0.1*exp(-t)*B"), RateRule("X", "-0.01*X*(A > 1)")),
    )


def switch_rhs(t: float, y: np.ndarray) -> np.ndarray:
    a, b, n, g, x = y
    vol = 1.5
    if t > 5.0:
        r1 = 0.3 * a
    elif a > b:
        r1 = 0.7 * a**2
    else:
        r1 = 0.11 * a
    r1_ext = r1 * vol
    r2 = max(0.7 * b, a) - min(n, b) * abs(a - b)  # amount/time (no compartment)
    r3 = 0.3 * n * x / (1 + g)
    return np.array(
        [
            -r1_ext / vol,
            2 * r1_ext / vol - r2 / vol,
            r2 - r3,  # amount species: no division by volume
            0.1 * np.exp(-t) * b,
            -0.01 * x * float(a > 1),
        ]
    )


def call(kernel, *args):
    """Call a kernel through its C entry point (jit) with numpy arrays."""
    ptr = ctypes.POINTER(ctypes.c_double)
    conv = [a.ctypes.data_as(ptr) if isinstance(a, np.ndarray) else a for a in args]
    kernel.ctypes(*conv)


def numeric_jacobian(c, t: float, y: np.ndarray, h: float = 1e-6) -> np.ndarray:
    n = len(y)
    jac = np.zeros((n, n))
    for j in range(n):
        step = h * max(1.0, abs(y[j]))
        hi, lo = y.copy(), y.copy()
        hi[j] += step
        lo[j] -= step
        f_hi, f_lo = np.zeros(n), np.zeros(n)
        c.rhs(t, hi, c.p0, f_hi)
        c.rhs(t, lo, c.p0, f_lo)
        jac[:, j] = (f_hi - f_lo) / (2 * step)
    return jac


def test_layout_orders() -> None:
    c = compile_model(two_compartment(), jit=False)
    assert c.state_ids == ("R", "LR", "S", "Sn")
    # parameters (file order, minus rule targets), compartments, boundary species
    assert c.param_ids == ("kon", "koff", "kimp", "kexp", "K", "occ", "cyt", "nuc", "L")
    assert c.output_ids == ("act_JAK1", "Stot_amount", "frac_bound")
    assert c.autonomous
    s = compile_model(switch_model(), jit=False)
    assert s.state_ids == ("A", "B", "N", "g", "X")
    assert "r1__kl" in s.param_ids
    assert not s.autonomous  # piecewise on t, exp(-t) in a rate rule


def test_rhs_matches_hand_derivation() -> None:
    model = two_compartment()
    c = compile_model(model, jit=False)
    p = dict(zip(c.param_ids, c.p0, strict=True))
    rng = np.random.default_rng(1)
    for _ in range(5):
        y = rng.uniform(0.1, 5.0, 4)
        dydt = np.zeros(4)
        c.rhs(0.0, y, c.p0, dydt)
        np.testing.assert_allclose(dydt, two_compartment_rhs(y, p), rtol=1e-13)
    s = compile_model(switch_model(), jit=False)
    for t, y in [
        (1.0, [2.0, 1.0, 4.0, 0.2, 0.5]),
        (1.0, [0.5, 1.0, 0.4, 0.0, 2.0]),
        (6.0, [2, 1, 4, 0, 1]),
    ]:
        y = np.asarray(y, dtype=float)
        dydt = np.zeros(5)
        s.rhs(t, y, s.p0, dydt)
        np.testing.assert_allclose(dydt, switch_rhs(t, y), rtol=1e-13)


def test_outputs() -> None:
    c = compile_model(two_compartment(), jit=False)
    y = np.array([3.0, 1.0, 5.0, 2.0])
    out = np.zeros(3)
    c.outputs(0.0, y, c.p0, out)
    np.testing.assert_allclose(out, [0.7, 5.0 * V_CYT + 2.0 * V_NUC, 0.25], rtol=1e-15)


@pytest.mark.parametrize("builder", [two_compartment, switch_model])
def test_jacobian_matches_finite_differences(builder) -> None:
    c = compile_model(builder(), jit=False)
    n = c.n_state
    rng = np.random.default_rng(7)
    for t in (0.5, 7.0):
        for _ in range(4):
            y = rng.uniform(0.3, 3.0, n)
            jac = np.zeros(n * n)
            c.jac(t, y, c.p0, jac)
            jac = jac.reshape(n, n)
            np.testing.assert_allclose(jac, numeric_jacobian(c, t, y), rtol=1e-6, atol=1e-8)
            # entries outside the declared sparsity are exactly zero
            assert np.all(jac[~c.jac_sparsity] == 0.0)
    assert c.jac_sparsity.dtype == bool and c.jac_sparsity.shape == (n, n)


def test_two_compartment_transport_conserves_amount() -> None:
    c = compile_model(two_compartment(), jit=False)
    y = np.array([3.0, 1.0, 5.0, 2.0])
    dydt = np.zeros(4)
    c.rhs(0.0, y, c.p0, dydt)
    # mass moved between compartments of different volume is conserved as amount
    assert dydt[2] * V_CYT + dydt[3] * V_NUC == pytest.approx(0.0, abs=1e-14)
    assert dydt[3] != 0.0


def test_jit_kernels_match_python() -> None:
    for builder in (two_compartment, switch_model):
        cp, cj = compile_model(builder(), jit=False), compile_model(builder())
        assert cj.structure_hash == cp.structure_hash
        n = cp.n_state
        y = np.linspace(0.4, 2.5, n)
        for t in (1.0, 6.0):
            for kernel, size in (("rhs", n), ("jac", n * n), ("outputs", len(cp.output_ids))):
                a, b = np.zeros(size), np.zeros(size)
                getattr(cp, kernel)(t, y, cp.p0, a)
                call(getattr(cj, kernel), t, y, cj.p0.copy(), b)
                np.testing.assert_allclose(b, a, rtol=1e-14, err_msg=kernel)


def test_structure_hash_ignores_values() -> None:
    m = two_compartment()
    variant = m.with_parameters(kon=5.0, occ=0.9).with_initial(R=10.0)
    variant = replace(variant, compartments=(Compartment("cyt", 3.0), Compartment("nuc", 1.0)))
    assert structure_hash(variant) == structure_hash(m)
    a, b = compile_model(m, jit=False), compile_model(variant, jit=False)
    assert a.rhs is b.rhs  # one kernel module for both parameterisations
    assert a.p0[a.param_index("kon")] == 0.1 and b.p0[b.param_index("kon")] == 5.0
    assert b.y0[b.state_index("R")] == 10.0
    # formatting of an expression does not matter, its meaning does
    reformatted = replace(
        m, reactions=(replace(m.reactions[0], rate="kon * L * R-koff*LR"), *m.reactions[1:])
    )
    assert structure_hash(reformatted) == structure_hash(m)
    changed = replace(m, reactions=(replace(m.reactions[0], rate="kon*L*R"), *m.reactions[1:]))
    assert structure_hash(changed) != structure_hash(m)
    boundary = replace(
        m, species=(*m.species[:1], replace(m.species[1], boundary=True), *m.species[2:])
    )
    assert structure_hash(boundary) != structure_hash(m)


@pytest.mark.parametrize("jit", [False, True])
def test_initial_assignments_and_events(jit: bool) -> None:
    m = Model(
        id="ia",
        compartments=(Compartment("c", 1.0),),
        species=(Species("A", "c", 1.0), Species("B", "c", 0.0)),
        parameters=(Parameter("k", 2.0), Parameter("tot", 0.0), Parameter("kf", 0.1)),
        reactions=(Reaction("f", (("A", 1),), (("B", 1),), "kf*A", compartment="c"),),
        initial_assignments=(InitialAssignment("A", "3*k"), InitialAssignment("tot", "A + B")),
        events=(
            Event(
                "pulse",
                "t >= 10 and B < 1",
                (EventAssignment("A", "A + k"), EventAssignment("kf", "0")),
            ),
        ),
    )
    c = compile_model(m, jit=jit)
    run = call if jit else (lambda kernel, *args: kernel(*args))
    assert c.y0[c.state_index("A")] == 6.0  # 3*k
    assert c.p0[c.param_index("tot")] == 6.0  # uses A after its own initial assignment
    p = c.p0.copy()
    p[c.param_index("k")] = 5.0
    y = np.zeros(2)
    run(c.init, p, np.array([1.0, 0.5]), y)
    assert list(y) == [15.0, 0.5] and p[c.param_index("tot")] == 15.5
    g = np.zeros(1)
    run(c.triggers, 9.0, np.array([1.0, 0.5]), c.p0, g)
    assert g[0] == 0.0
    run(c.triggers, 10.0, np.array([1.0, 0.5]), c.p0, g)
    assert g[0] == 1.0
    v = np.zeros(2)
    run(c.event_values, 0, 10.0, np.array([1.0, 0.5]), c.p0, v)
    assert list(v) == [3.0, 0.0]
    assert c.event_targets == ((("y", 0), ("p", c.param_index("kf"))),)


def test_conversion_factor_scales_contribution() -> None:
    m = Model(
        id="cf",
        compartments=(Compartment("c", 2.0),),
        species=(Species("A", "c", 1.0), Species("B", "c", 0.0, conversion_factor="cfB")),
        parameters=(Parameter("k", 0.5), Parameter("cfB", 3.0)),
        reactions=(Reaction("f", (("A", 1),), (("B", 1),), "k*A", compartment="c"),),
    )
    c = compile_model(m, jit=False)
    dydt = np.zeros(2)
    c.rhs(0.0, np.array([1.0, 0.0]), c.p0, dydt)
    np.testing.assert_allclose(dydt, [-0.5, 1.5])


def test_errors_name_the_component() -> None:
    m = two_compartment()
    bad = replace(m, reactions=(replace(m.reactions[0], rate="konn*L*R"), *m.reactions[1:]))
    with pytest.raises(
        ExpressionError, match=r"reaction 'bind' rate: unknown symbol 'konn'.*'kon'"
    ):
        compile_model(bad, jit=False)
    cyc = replace(m, assignments=(Assignment("a", "b + 1"), Assignment("b", "2*a")))
    with pytest.raises(ModelError, match="circular assignment rules.*: a -> b -> a"):
        compile_model(cyc, jit=False)
    jump = replace(m, compartments=(Compartment("cyt", 2.0, constant=False), m.compartments[1]))
    jump = replace(jump, events=(Event("grow", "t > 1", (EventAssignment("cyt", "4"),)),))
    with pytest.raises(ModelError, match="variable compartment size not supported.*cyt"):
        compile_model(jump, jit=False)


def growing_cell(volume_rule: str) -> Model:
    """A -> B inside a compartment whose volume follows a rate rule or an assignment rule."""
    rate_rules = (RateRule("V", "g*V"),) if volume_rule == "rate" else ()
    assignments = (Assignment("V", "2*(1 + 0.1*t)"),) if volume_rule == "assignment" else ()
    return Model(
        id="growth",
        compartments=(Compartment("V", 2.0, constant=False),),
        species=(Species("A", "V", 3.0), Species("B", "V", 0.0), Species("C", "V", 1.0)),
        parameters=(Parameter("k", 0.2), Parameter("g", 0.1)),
        reactions=(Reaction("conv", (("A", 1),), (("B", 1),), "k*A", compartment="V"),),
        rate_rules=rate_rules,
        assignments=assignments,
    )


@pytest.mark.parametrize("volume_rule", ["rate", "assignment"])
def test_variable_compartment_dilutes_concentrations(volume_rule: str) -> None:
    """Amounts follow the reaction only; concentrations are amount / V(t) (analytic)."""
    c = compile_model(growing_cell(volume_rule), jit=False)

    def f(t, y):
        out = np.zeros_like(y)
        c.rhs(t, y, c.p0, out)
        return out

    t = np.linspace(0.0, 10.0, 11)
    sol = solve_ivp(f, (0.0, 10.0), c.y0, t_eval=t, method="LSODA", rtol=1e-10, atol=1e-12)
    volume = 2.0 * np.exp(0.1 * t) if volume_rule == "rate" else 2.0 * (1 + 0.1 * t)
    n_a = 6.0 * np.exp(-0.2 * t)  # amount of A: d n_A/dt = -k n_A
    expected = {"A": n_a / volume, "B": (6.0 - n_a) / volume, "C": 2.0 / volume}
    for sid, values in expected.items():
        np.testing.assert_allclose(sol.y[c.state_index(sid)], values, rtol=1e-7)
    n = c.n_state
    y = sol.y[:, 5]
    jac = np.zeros(n * n)
    c.jac(5.0, y, c.p0, jac)
    np.testing.assert_allclose(jac.reshape(n, n), numeric_jacobian(c, 5.0, y), rtol=1e-6, atol=1e-9)


_CHILD = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {tests!r})
    from test_compile import two_compartment
    from jaksim.compile import compile_model
    c = compile_model(two_compartment())
    print(json.dumps([c.rhs.cache_hits, c.jac.cache_hits, c.init.cache_hits]))
    """
)


def test_second_process_loads_cached_kernels(tmp_path) -> None:
    env = dict(os.environ, JAKSIM_CACHE_DIR=str(tmp_path))
    code = _CHILD.format(tests=os.path.dirname(__file__))
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs[0] == [0, 0, 0]  # compiled in the first process
    assert runs[1] == [1, 1, 1]  # loaded from the index in the second
    cache = tmp_path / kernel_cache_dir().name
    assert len(list(cache.glob("k_*.py"))) == 1
    assert list((cache / "__pycache__").glob("*.nbi"))


def test_rate_of_is_resolved_to_the_right_hand_side() -> None:
    m = Model(
        id="rateof",
        compartments=(Compartment("c", 2.0),),
        species=(Species("A", "c", 3.0),),
        parameters=(Parameter("k", 0.4), Parameter("P", 0.0, constant=False)),
        reactions=(Reaction("deg", (("A", 1),), (), "k*A", compartment="c"),),
        assignments=(Assignment("dA", "rateOf(A) + rateOf(k)"),),
        rate_rules=(RateRule("P", "-2*rateOf(A)"),),
    )
    c = compile_model(m, jit=False)
    y = np.array([1.5, 0.2])
    dydt, out = np.zeros(2), np.zeros(1)
    c.rhs(0.0, y, c.p0, dydt)
    c.outputs(0.0, y, c.p0, out)
    np.testing.assert_allclose(dydt, [-0.4 * 1.5, 2 * 0.4 * 1.5], rtol=1e-15)
    assert out[0] == pytest.approx(-0.4 * 1.5, rel=1e-15)
    jac = np.zeros(4)
    c.jac(0.0, y, c.p0, jac)
    np.testing.assert_allclose(jac.reshape(2, 2), numeric_jacobian(c, 0.0, y), rtol=1e-7)
    bad = replace(m, assignments=(Assignment("dA", "rateOf(deg)"),))
    with pytest.raises(ModelError, match=r"rateOf\(deg\)"):
        compile_model(bad, jit=False)
